"""Training of registered classifiers: configuration, schedules, strategies, Keras-fit and custom loops."""
from zoo.training.classifier import TrainConfig, train_classifier

__all__ = ["TrainConfig", "train_classifier"]
