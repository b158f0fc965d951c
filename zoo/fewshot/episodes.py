"""Semi-supervised few-shot episodes (Ren et al. 2018, §4): N-way K-shot support and queries from each class's
labeled images, M unlabeled images per class from its unlabeled images, and H distractor classes that
contribute only unlabeled images.

Each class's images are split once, **per image**, into a labeled part (``label_ratio``) and an unlabeled
part, fixed by the seed: an unlabeled image never appears as support or query (the paper's pitfall is
splitting by class instead).
"""
import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class EpisodeConfig:
    """Episode shape: ``n_way`` classes × (``k_shot`` support + ``n_query`` queries + ``n_unlabeled``
    unlabeled images), plus ``n_distractor`` classes × ``n_unlabeled`` unlabeled images."""

    n_way: int = 5
    k_shot: int = 1
    n_query: int = 5
    n_unlabeled: int = 5
    n_distractor: int = 5

    def __post_init__(self):
        for field in ("n_way", "k_shot", "n_query"):
            if getattr(self, field) < 1:
                raise ValueError(f"EpisodeConfig.{field} must be at least 1, got {getattr(self, field)}")
        for field in ("n_unlabeled", "n_distractor"):
            if getattr(self, field) < 0:
                raise ValueError(f"EpisodeConfig.{field} must be >= 0, got {getattr(self, field)}")


class EpisodeSampler:
    """Draws episodes from ``images`` ``(num_images, H, W[, C])`` with integer ``labels``.

    Args:
        images, labels: any labelled image source (Glyphs, Fashion-MNIST, tfds omniglot arrays).
        config: the :class:`EpisodeConfig`.
        label_ratio: fraction of each class's images in its labeled part (paper: 0.1 Omniglot / tiered,
            0.4 mini), at least one image.
        seed: fixes the labeled/unlabeled split and the episode stream: ``episode(i)`` is a pure function of
            ``(seed, i)``.

    Raises:
        ValueError: bad shapes, or too few classes or images per class for the episode shape.
    """

    def __init__(self, images, labels, config=EpisodeConfig(), label_ratio=0.1, seed=0):
        images, labels = np.asarray(images), np.asarray(labels)
        if images.ndim not in (3, 4) or labels.shape != images.shape[:1]:
            raise ValueError(f"images must be (N, H, W[, C]) with labels (N,), got {images.shape} and {labels.shape}")
        if not 0 < label_ratio <= 1:
            raise ValueError(f"label_ratio must be in (0, 1], got {label_ratio!r}")
        self.images = images if images.ndim == 4 else images[..., None]
        self.config = config
        self.seed = seed
        split_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
        self.labeled, self.unlabeled = {}, {}
        for c in np.unique(labels):
            members = split_rng.permutation(np.flatnonzero(labels == c))
            cut = max(1, int(round(label_ratio * len(members))))
            self.labeled[int(c)], self.unlabeled[int(c)] = members[:cut], members[cut:]
        self.classes = np.array(sorted(self.labeled))
        self._check_capacity()

    def _check_capacity(self):
        c = self.config
        if len(self.classes) < c.n_way + c.n_distractor:
            raise ValueError(f"episodes need {c.n_way} + {c.n_distractor} distractor classes, the source has "
                             f"{len(self.classes)}")
        labeled = min(len(v) for v in self.labeled.values())
        unlabeled = min(len(v) for v in self.unlabeled.values())
        if labeled < c.k_shot + c.n_query:
            raise ValueError(f"every class needs k_shot + n_query = {c.k_shot + c.n_query} labeled images; the "
                             f"smallest labeled part has {labeled} (raise label_ratio or render more examples)")
        if unlabeled < c.n_unlabeled:
            raise ValueError(f"every class needs n_unlabeled = {c.n_unlabeled} unlabeled images; the smallest "
                             f"unlabeled part has {unlabeled}")

    def episode(self, index):
        """Episode ``index`` as a dict of numpy arrays.

        Keys: ``support`` ``(N·K, H, W, C)`` and ``support_labels`` ``(N·K,)`` in ``0..N−1``; ``query`` and
        ``query_labels`` (``N·Q``); ``unlabeled`` ``(N·M + H·M, H, W, C)`` with ``unlabeled_labels`` (episode
        label, −1 for distractors: for analysis only, never for training) ; ``classes`` ``(N,)`` and
        ``distractor_classes`` ``(H,)`` (source labels).
        """
        c = self.config
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(1, int(index))))
        chosen = rng.choice(self.classes, c.n_way + c.n_distractor, replace=False)
        classes, distractors = chosen[:c.n_way], chosen[c.n_way:]
        support, query, unlabeled = [], [], []
        for label, cls in enumerate(classes):
            picks = rng.choice(self.labeled[int(cls)], c.k_shot + c.n_query, replace=False)
            support.append((picks[:c.k_shot], label))
            query.append((picks[c.k_shot:], label))
            unlabeled.append((rng.choice(self.unlabeled[int(cls)], c.n_unlabeled, replace=False), label))
        for cls in distractors:
            unlabeled.append((rng.choice(self.unlabeled[int(cls)], c.n_unlabeled, replace=False), -1))
        episode = {}
        for key, parts in (("support", support), ("query", query), ("unlabeled", unlabeled)):
            indices = np.concatenate([p for p, _ in parts]).astype(np.int64)
            episode[key] = self.images[indices]
            episode[f"{key}_labels"] = np.concatenate([np.full(len(p), label, np.int32) for p, label in parts])
            episode[f"{key}_indices"] = indices
        episode["classes"], episode["distractor_classes"] = classes, distractors
        return episode
