"""Training: the distributed loop every tool shares, recipes, and the classifier trainer with its configuration,
schedules and strategies."""
from zoo.training.classifier import TrainConfig, train_classifier

__all__ = ["TrainConfig", "train_classifier"]
