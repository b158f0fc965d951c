"""Semi-supervised few-shot learning (Ren et al., ICLR 2018, arXiv:1803.00676): prototypical networks refined
with unlabeled examples (soft k-means, distractor cluster, masked soft k-means) and episode sampling."""
from zoo.fewshot import models  # noqa: F401  (registers the model builders)
from zoo.fewshot.episodes import EpisodeConfig, EpisodeSampler
from zoo.fewshot.models import FewShotClassifier, conv4

__all__ = ["EpisodeConfig", "EpisodeSampler", "FewShotClassifier", "conv4"]
