"""Procedural multi-object scenes built from Fashion-MNIST articles.

Each scene is a small RGB canvas (96x96 by default) on a plain background holding one to six
Fashion-MNIST articles (Xiao, Rasul & Vollgraf 2017, MIT licence). Every article is resized by a
random factor, tinted with a named colour from :data:`PALETTE` and pasted at a random position;
articles are painted in order, so later ones occlude earlier ones. Placements are resampled until
no article is hidden by more than ``SceneConfig.max_occlusion`` of its footprint.

For every scene the generator records per-instance *visible* masks, tight boxes, class ids,
colour names, the union foreground mask, the source indices of the articles, and several plain
English captions (a counting caption, a spatial-relation caption when there are two or more
articles, and a caption naming the background). The same data serves sparse convolution
(foreground masks), recurrent-attention instance segmentation (masks and boxes) and image
question answering (captions, colours, classes, positions).

Train scenes draw their articles from the Fashion-MNIST train split and test scenes from the test
split, so no article image is shared between the two.

Determinism: :func:`generate_scene` is a pure function of its random generator (or seed), source
and config. ``make_scenes(n, split, seed)`` builds scene ``i`` from
``scene_rng(seed, i)``, so a scene does not depend on how many scenes were requested::

    scenes = make_scenes(100, split="train", seed=0)
    batch = scenes_to_arrays(scenes, max_objects=6)   # padded numpy arrays for batching
"""
from __future__ import annotations

import dataclasses
import functools
import math
import re

import numpy as np
from scipy import ndimage

from zoo.data.fashion_mnist import CLASS_NAMES, load_fashion_mnist

PALETTE = (
    ("red", (255, 0, 0)),
    ("green", (0, 200, 0)),
    ("blue", (40, 90, 255)),
    ("yellow", (255, 230, 0)),
    ("white", (255, 255, 255)),
    ("orange", (255, 130, 0)),
    ("purple", (170, 50, 240)),
    ("cyan", (0, 230, 230)),
)
"""Ordered ``(name, (r, g, b))`` colours used to tint articles; a colour's id is its position."""

COLOR_NAMES = tuple(name for name, _ in PALETTE)
"""Colour names in palette order."""

BACKGROUNDS = {"black": (0, 0, 0), "dark grey": (64, 64, 64), "grey": (128, 128, 128)}
"""Background colours a :class:`SceneConfig` may name, with their RGB values."""

CAPTION_NOUNS = {
    0: ("t-shirt", "t-shirts"),
    1: ("pair of trousers", "pairs of trousers"),
    2: ("pullover", "pullovers"),
    3: ("dress", "dresses"),
    4: ("coat", "coats"),
    5: ("sandal", "sandals"),
    6: ("shirt", "shirts"),
    7: ("sneaker", "sneakers"),
    8: ("bag", "bags"),
    9: ("ankle boot", "ankle boots"),
}
"""Class id -> ``(singular, plural)`` noun used in captions."""

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six",
                "seven", "eight", "nine", "ten", "eleven", "twelve")
"""Number words used in captions; larger counts are written as digits."""

RELATIONS = ("to the left of", "to the right of", "above", "below")
"""Spatial relations used in captions, decided by the dominant axis between box centres."""


@dataclasses.dataclass(frozen=True)
class SceneConfig:
    """Parameters of the scene generator.

    Attributes:
        height, width: canvas size in pixels.
        min_objects, max_objects: inclusive range of the number of articles per scene.
        min_scale, max_scale: range of the resize factor applied to the 28x28 article.
        max_occlusion: largest fraction of an article's footprint later articles may hide, in [0, 1).
        min_visible_pixels: fewest visible pixels any article may keep.
        foreground_threshold: an article pixel is foreground when its resized intensity exceeds
            ``foreground_threshold * 255``; in [0, 1).
        background: background colour name, a key of :data:`BACKGROUNDS`.
        colors: palette colour names articles may take (default: the whole palette).
        max_attempts: placements tried per article before the scene is restarted.
        max_restarts: scene restarts before :func:`generate_scene` gives up with RuntimeError.
    """

    height: int = 96
    width: int = 96
    min_objects: int = 1
    max_objects: int = 6
    min_scale: float = 0.8
    max_scale: float = 1.6
    max_occlusion: float = 0.5
    min_visible_pixels: int = 20
    foreground_threshold: float = 0.1
    background: str = "black"
    colors: tuple[str, ...] = COLOR_NAMES
    max_attempts: int = 100
    max_restarts: int = 20

    def __post_init__(self):
        object.__setattr__(self, "colors", tuple(self.colors))
        _check(self.height >= 1, "height", "must be positive")
        _check(self.width >= 1, "width", "must be positive")
        _check(1 <= self.min_objects, "min_objects", "must be at least 1")
        _check(self.min_objects <= self.max_objects, "max_objects", "must be >= min_objects")
        _check(0 < self.min_scale, "min_scale", "must be positive")
        _check(self.min_scale <= self.max_scale, "max_scale", "must be >= min_scale")
        _check(math.ceil(28 * self.max_scale) <= min(self.height, self.width), "max_scale",
               f"makes a 28x28 article larger than the {self.height}x{self.width} canvas")
        _check(0 <= self.max_occlusion < 1, "max_occlusion", "must be in [0, 1)")
        _check(self.min_visible_pixels >= 1, "min_visible_pixels", "must be at least 1")
        _check(0 <= self.foreground_threshold < 1, "foreground_threshold", "must be in [0, 1)")
        _check(self.background in BACKGROUNDS, "background", f"must be one of {sorted(BACKGROUNDS)}")
        _check(len(self.colors) > 0 and all(c in COLOR_NAMES for c in self.colors), "colors",
               f"must be a non-empty subset of {COLOR_NAMES}")
        _check(self.max_attempts >= 1, "max_attempts", "must be at least 1")
        _check(self.max_restarts >= 1, "max_restarts", "must be at least 1")


def _check(condition, field, message):
    if not condition:
        raise ValueError(f"SceneConfig.{field} {message}")


@dataclasses.dataclass(frozen=True, eq=False)
class Scene:
    """One generated scene; ``K`` is the number of articles, ``H x W`` the canvas.

    Attributes:
        image: uint8 ``(H, W, 3)`` RGB image.
        masks: bool ``(K, H, W)`` visible pixels of each article (disjoint; later articles on top).
        classes: int64 ``(K,)`` Fashion-MNIST class ids.
        class_names: the ``CLASS_NAMES`` entry of each article.
        boxes: int32 ``(K, 4)`` tight ``(y0, x0, y1, x1)`` boxes of the visible masks, ends exclusive.
        colors: palette colour name of each article.
        foreground: bool ``(H, W)`` union of ``masks``.
        captions: English captions; the first is the counting caption.
        source_indices: int64 ``(K,)`` index of each article in its Fashion-MNIST split.
        footprint_areas: int64 ``(K,)`` pixels each article would cover if nothing occluded it.
    """

    image: np.ndarray
    masks: np.ndarray
    classes: np.ndarray
    class_names: tuple[str, ...]
    boxes: np.ndarray
    colors: tuple[str, ...]
    foreground: np.ndarray
    captions: tuple[str, ...]
    source_indices: np.ndarray
    footprint_areas: np.ndarray

    @property
    def num_objects(self) -> int:
        """Number of articles ``K``."""
        return len(self.classes)


@dataclasses.dataclass(frozen=True)
class _Placed:
    """An article placed on the canvas, before occlusion by later articles."""

    index: int
    label: int
    color: str
    footprint: np.ndarray  # bool (H, W)
    alpha: np.ndarray  # float32 (H, W), intensity / 255 inside the footprint, 0 elsewhere


def scene_rng(seed: int, index: int) -> np.random.Generator:
    """The random generator :func:`make_scenes` uses for scene ``index`` under ``seed``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))


@functools.lru_cache(maxsize=2)
def load_source(split: str):
    """Fashion-MNIST ``(images, labels)`` of ``split``, loaded once and returned read-only."""
    images, labels = load_fashion_mnist(split)
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def _resolve_source(source):
    if isinstance(source, str):
        return load_source(source)
    images, labels = source
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim != 3 or labels.shape != images.shape[:1] or len(images) == 0:
        raise ValueError(f"source must be non-empty (images (N, h, w), labels (N,)); got "
                         f"{images.shape} and {labels.shape}")
    return images, labels


def _as_rng(seed_or_rng) -> np.random.Generator:
    if isinstance(seed_or_rng, np.random.Generator):
        return seed_or_rng
    return np.random.default_rng(seed_or_rng)


def generate_scene(seed_or_rng, source="train", config: SceneConfig = SceneConfig()) -> Scene:
    """Generate one scene.

    Args:
        seed_or_rng: an int seed, a ``np.random.SeedSequence`` or a ``np.random.Generator``
            (consumed in place). The same seed, source and config give a bit-identical scene.
        source: ``(images uint8 (N, h, w), labels (N,))`` to draw articles from, or a split name
            (``"train"``/``"test"``) of Fashion-MNIST.
        config: generator parameters.

    Returns:
        A :class:`Scene`.

    Raises:
        RuntimeError: no valid placement was found in ``config.max_restarts`` restarts.
    """
    rng = _as_rng(seed_or_rng)
    images, labels = _resolve_source(source)
    for _ in range(config.max_restarts):
        num_objects = int(rng.integers(config.min_objects, config.max_objects + 1))
        placed = []
        for _ in range(num_objects):
            article = _place_article(rng, images, labels, placed, config)
            if article is None:
                break
            placed.append(article)
        else:
            return _assemble(rng, placed, config)
    raise RuntimeError(f"could not place the articles within the occlusion limits after "
                       f"{config.max_restarts} restarts; relax {config}")


def _place_article(rng, images, labels, placed, config):
    """Sample an article and a position that keeps every earlier article visible enough."""
    visible = _visible_masks([p.footprint for p in placed])
    needed = [_needed_pixels(int(p.footprint.sum()), config) for p in placed]
    for _ in range(config.max_attempts):
        index = int(rng.integers(len(images)))
        scale = rng.uniform(config.min_scale, config.max_scale)
        color = config.colors[int(rng.integers(len(config.colors)))]
        alpha = _resize(images[index], scale)
        mask = alpha > config.foreground_threshold
        if mask.sum() < config.min_visible_pixels:
            continue
        y = int(rng.integers(config.height - alpha.shape[0] + 1))
        x = int(rng.integers(config.width - alpha.shape[1] + 1))
        footprint = np.zeros((config.height, config.width), bool)
        footprint[y:y + mask.shape[0], x:x + mask.shape[1]] = mask
        if all((v & ~footprint).sum() >= n for v, n in zip(visible, needed)):
            canvas_alpha = np.zeros((config.height, config.width), np.float32)
            canvas_alpha[y:y + mask.shape[0], x:x + mask.shape[1]] = np.where(mask, alpha, 0)
            return _Placed(index, int(labels[index]), color, footprint, canvas_alpha)
    return None


def _needed_pixels(area: int, config: SceneConfig) -> int:
    """Fewest visible pixels an article with footprint ``area`` must keep."""
    return max(config.min_visible_pixels, math.ceil((1 - config.max_occlusion) * area - 1e-9))


def _resize(image: np.ndarray, scale: float) -> np.ndarray:
    """Bilinearly resize a uint8 article by ``scale``; returns intensities in [0, 1]."""
    resized = ndimage.zoom(image.astype(np.float32) / 255.0, scale, order=1, grid_mode=False)
    return np.clip(resized, 0.0, 1.0)


def _visible_masks(footprints) -> list[np.ndarray]:
    """Visible part of each footprint when painted in order (later ones on top)."""
    visible = []
    covered = np.zeros_like(footprints[-1]) if footprints else None
    for footprint in reversed(footprints):
        visible.append(footprint & ~covered)
        covered = covered | footprint
    return visible[::-1]


def _paint(placed, config) -> np.ndarray:
    """Composite the tinted articles over the background, later articles on top."""
    background = np.asarray(BACKGROUNDS[config.background], np.float32)
    image = np.broadcast_to(background, (config.height, config.width, 3)).copy()
    palette = dict(PALETTE)
    for article in placed:
        rgb = np.asarray(palette[article.color], np.float32)
        tinted = background + article.alpha[..., None] * (rgb - background)
        image[article.footprint] = tinted[article.footprint]
    return np.round(image).astype(np.uint8)


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """Tight ``(y0, x0, y1, x1)`` box of a non-empty mask, ends exclusive."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def _assemble(rng, placed, config) -> Scene:
    masks = np.stack(_visible_masks([p.footprint for p in placed]))
    classes = np.array([p.label for p in placed], np.int64)
    colors = tuple(p.color for p in placed)
    boxes = np.array([_box(m) for m in masks], np.int32).reshape(-1, 4)
    return Scene(
        image=_paint(placed, config),
        masks=masks,
        classes=classes,
        class_names=tuple(CLASS_NAMES[c] for c in classes),
        boxes=boxes,
        colors=colors,
        foreground=masks.any(0),
        captions=make_captions(rng, colors, classes, boxes, config.background),
        source_indices=np.array([p.index for p in placed], np.int64),
        footprint_areas=np.array([p.footprint.sum() for p in placed], np.int64),
    )


def make_scenes(num_scenes: int, split: str = "train", seed: int = 0,
                config: SceneConfig = SceneConfig(), source=None) -> list[Scene]:
    """Generate ``num_scenes`` scenes; scene ``i`` is ``generate_scene(scene_rng(seed, i), ...)``.

    Args:
        num_scenes: how many scenes.
        split: Fashion-MNIST split the articles come from when ``source`` is None
            (``"train"`` for training scenes, ``"test"`` for test scenes).
        seed: base seed; the same seed gives bit-identical scenes.
        config: generator parameters.
        source: optional preloaded ``(images, labels)`` used instead of loading ``split``.

    Returns:
        A list of :class:`Scene`.
    """
    if source is None:
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        source = load_source(split)
    source = _resolve_source(source)
    return [generate_scene(scene_rng(seed, i), source, config) for i in range(num_scenes)]


def scenes_to_arrays(scenes, max_objects: int | None = None) -> dict[str, np.ndarray]:
    """Stack scenes into padded arrays for batching.

    Args:
        scenes: a non-empty sequence of :class:`Scene` with the same canvas size.
        max_objects: padded object dimension ``M`` (default: the largest ``K`` among the scenes).

    Returns:
        A dict with ``images`` uint8 ``(N, H, W, 3)``, ``masks`` bool
        ``(N, M, H, W)``, ``foreground`` bool ``(N, H, W)``, ``classes`` int64 ``(N, M)`` and
        ``colors`` int64 ``(N, M)`` (palette ids) padded with -1, ``boxes`` int32 ``(N, M, 4)``
        padded with 0, and ``num_objects`` int32 ``(N,)``.

    Raises:
        ValueError: no scenes, mismatched canvas sizes, or a scene with more than ``max_objects``.
    """
    if not scenes:
        raise ValueError("scenes must not be empty")
    counts = np.array([s.num_objects for s in scenes], np.int32)
    m = int(counts.max()) if max_objects is None else max_objects
    if counts.max() > m:
        raise ValueError(f"a scene has {counts.max()} objects but max_objects={m}")
    shapes = {s.image.shape for s in scenes}
    if len(shapes) != 1:
        raise ValueError(f"scenes have different image shapes: {sorted(shapes)}")
    n, (h, w, _) = len(scenes), shapes.pop()
    out = dict(
        images=np.stack([s.image for s in scenes]),
        masks=np.zeros((n, m, h, w), bool),
        foreground=np.stack([s.foreground for s in scenes]),
        classes=np.full((n, m), -1, np.int64),
        colors=np.full((n, m), -1, np.int64),
        boxes=np.zeros((n, m, 4), np.int32),
        num_objects=counts,
    )
    for i, s in enumerate(scenes):
        k = s.num_objects
        out["masks"][i, :k] = s.masks
        out["classes"][i, :k] = s.classes
        out["colors"][i, :k] = [COLOR_NAMES.index(c) for c in s.colors]
        out["boxes"][i, :k] = s.boxes
    return out


# ----------------------------------------------------------------------------------------------
# Captions


def number_word(count: int) -> str:
    """``count`` as an English word (``"two"``), or digits beyond twelve."""
    return NUMBER_WORDS[count] if count < len(NUMBER_WORDS) else str(count)


def article_for(word: str) -> str:
    """Indefinite article for ``word``: ``"an"`` before a vowel letter, else ``"a"``."""
    return "an" if word[:1].lower() in "aeiou" else "a"


def noun_phrase(color: str, label: int, count: int = 1) -> str:
    """``"a red sneaker"``, ``"an orange bag"``, ``"three white pairs of trousers"``."""
    singular, plural = CAPTION_NOUNS[int(label)]
    if count == 1:
        return f"{article_for(color)} {color} {singular}"
    return f"{number_word(count)} {color} {plural}"


def join_phrases(phrases) -> str:
    """``"a, b and c"``."""
    phrases = list(phrases)
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]


def counting_caption(colors, classes) -> str:
    """Group articles by (colour, class) in order of first appearance and count them.

    Example: ``"two red sneakers and a blue bag"``.
    """
    groups = {}
    for color, label in zip(colors, classes):
        key = (color, int(label))
        groups[key] = groups.get(key, 0) + 1
    return join_phrases(noun_phrase(color, label, n) for (color, label), n in groups.items())


def box_center(box) -> tuple[float, float]:
    """``(y, x)`` centre of a ``(y0, x0, y1, x1)`` box."""
    y0, x0, y1, x1 = box
    return (y0 + y1) / 2.0, (x0 + x1) / 2.0


def spatial_relation(box_a, box_b) -> str | None:
    """Where box ``a`` lies relative to box ``b``, along the axis their centres differ most.

    Returns one of :data:`RELATIONS` (``"to the left of"`` means ``a``'s centre has the smaller
    x), or None when the centres differ equally along both axes.
    """
    (ya, xa), (yb, xb) = box_center(box_a), box_center(box_b)
    dy, dx = ya - yb, xa - xb
    if abs(dx) == abs(dy):
        return None
    if abs(dx) > abs(dy):
        return "to the left of" if dx < 0 else "to the right of"
    return "above" if dy < 0 else "below"


def spatial_caption(rng, colors, classes, boxes) -> str | None:
    """A relation between two articles each unique by (colour, class) in the scene.

    Example: ``"a white shirt to the left of a yellow dress"``. Returns None when no such pair
    exists (fewer than two uniquely described articles, or only ambiguous diagonal pairs).
    """
    keys = [(c, int(label)) for c, label in zip(colors, classes)]
    unique = [i for i, key in enumerate(keys) if keys.count(key) == 1]
    pairs = [(a, b) for a in unique for b in unique
             if a != b and spatial_relation(boxes[a], boxes[b]) is not None]
    if not pairs:
        return None
    a, b = pairs[int(rng.integers(len(pairs)))]
    relation = spatial_relation(boxes[a], boxes[b])
    return f"{noun_phrase(*keys[a])} {relation} {noun_phrase(*keys[b])}"


def background_caption(colors, classes, background: str) -> str:
    """``"a green ankle boot on a black background"``, or ``"four objects on a black background"``."""
    subject = (noun_phrase(colors[0], classes[0]) if len(classes) == 1
               else f"{number_word(len(classes))} objects")
    return f"{subject} on {article_for(background)} {background} background"


def make_captions(rng, colors, classes, boxes, background: str = "black") -> tuple[str, ...]:
    """All captions of a scene: counting, spatial (when one exists) and background captions."""
    captions = [counting_caption(colors, classes)]
    spatial = spatial_caption(rng, colors, classes, boxes)
    if spatial is not None:
        captions.append(spatial)
    captions.append(background_caption(colors, classes, background))
    return tuple(captions)


_NOUNS = {word: (label, plural) for label, nouns in CAPTION_NOUNS.items()
          for plural, word in enumerate(nouns)}
_COUNTS = {word: n for n, word in enumerate(NUMBER_WORDS)} | {"a": 1, "an": 1}
_PHRASE = re.compile(r"(\w+) (\w+) (.+)")


def parse_noun_phrase(phrase: str) -> tuple[int, str, int]:
    """Inverse of :func:`noun_phrase`: ``"two red sneakers"`` -> ``(2, "red", 7)``."""
    match = _PHRASE.fullmatch(phrase)
    if not match or match[1] not in _COUNTS or match[2] not in COLOR_NAMES or match[3] not in _NOUNS:
        raise ValueError(f"not a noun phrase: {phrase!r}")
    label, _ = _NOUNS[match[3]]
    return _COUNTS[match[1]], match[2], label


def parse_counting_caption(caption: str) -> dict[tuple[str, int], int]:
    """Inverse of :func:`counting_caption`: ``{(colour, class id): count}``."""
    counts = {}
    for phrase in re.split(r", | and ", caption):
        n, color, label = parse_noun_phrase(phrase)
        counts[(color, label)] = counts.get((color, label), 0) + n
    return counts


def parse_spatial_caption(caption: str) -> tuple[tuple[str, int], str, tuple[str, int]]:
    """Inverse of :func:`spatial_caption`: ``((colour, class), relation, (colour, class))``."""
    for relation in RELATIONS:
        left, sep, right = caption.partition(f" {relation} ")
        if sep:
            (_, ca, la), (_, cb, lb) = parse_noun_phrase(left), parse_noun_phrase(right)
            return (ca, la), relation, (cb, lb)
    raise ValueError(f"not a spatial caption: {caption!r}")
