"""Semi-supervised few-shot learning (Ren et al., ICLR 2018, arXiv:1803.00676): prototypical networks refined
with unlabeled examples (soft k-means, distractor cluster, masked soft k-means) and episode sampling."""
from zoo.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "EpisodeConfig": "zoo.fewshot.episodes",
    "EpisodeSampler": "zoo.fewshot.episodes",
    "FewShotClassifier": "zoo.fewshot.classifier",
    "conv4": "zoo.fewshot.classifier",
})
