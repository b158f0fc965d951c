"""Glyphs: a procedural, Omniglot-like few-shot data set (many character classes, few renderings each).

Each class is a random composition of 2–4 pen strokes (Bézier curves through 2–4 control points), fixed by
the class id and the seed. Each example is a new rendering of its class: the control points jitter, the
whole glyph gets a random affine map (rotation, anisotropic scale, shear, shift) and a smooth elastic warp,
and the strokes are rasterised anti-aliased with a random pen width. Splits are disjoint ranges of class ids
(train / val / test), as few-shot evaluation needs unseen classes. Everything is deterministic by seed.

Rendering is slow (the 600 test classes × 40 renderings take about a minute), so :func:`make_glyphs` keeps every
rendering it makes under ``$ZOO_HOME/data`` (:func:`zoo.data.cache.cached_arrays`) and shows a progress bar while it
renders.
"""
import dataclasses
import functools

import numpy as np

from zoo.data.cache import cached_arrays
from zoo.progress import progress_bar

SPLITS = {"train": (0, 1200), "val": (1200, 1400), "test": (1400, 2000)}
"""Class-id ranges of the splits: 1,200 / 200 / 600 classes (Omniglot: 1,623 characters)."""

RENDERER_VERSION = 1
"""Part of every cache key: raise it when a change to the renderer changes the images, so no stale cache is read."""


@dataclasses.dataclass(frozen=True)
class GlyphConfig:
    """Parameters of the class generator and of the renderer (lengths are fractions of the canvas).

    Attributes:
        image_size: canvas height and width in pixels.
        min_strokes, max_strokes: strokes per class.
        min_points, max_points: Bézier control points per stroke.
        jitter: standard deviation of the per-example control-point displacement.
        max_rotation: largest rotation in degrees.
        scale_range: range of the per-axis scale factors.
        max_shear: largest shear coefficient.
        max_shift: largest translation per axis.
        elastic: amplitude of the smooth elastic displacement.
        pen_width_range: range of the stroke width in pixels.
    """

    image_size: int = 28
    min_strokes: int = 2
    max_strokes: int = 4
    min_points: int = 2
    max_points: int = 4
    jitter: float = 0.03
    max_rotation: float = 12.0
    scale_range: tuple = (0.85, 1.1)
    max_shear: float = 0.15
    max_shift: float = 0.06
    elastic: float = 0.025
    pen_width_range: tuple = (1.2, 2.0)

    def __post_init__(self):
        checks = {
            "image_size": self.image_size >= 8,
            "min_strokes": 1 <= self.min_strokes <= self.max_strokes,
            "min_points": 2 <= self.min_points <= self.max_points,
            "jitter": self.jitter >= 0,
            "scale_range": 0 < self.scale_range[0] <= self.scale_range[1],
            "pen_width_range": 0 < self.pen_width_range[0] <= self.pen_width_range[1],
            "elastic": self.elastic >= 0,
        }
        for field, ok in checks.items():
            if not ok:
                raise ValueError(f"GlyphConfig.{field} is invalid: {getattr(self, field)!r}")


def class_strokes(class_id, seed=0, config=GlyphConfig()):
    """The strokes of class ``class_id``: a list of ``(points, 2)`` control-point arrays in [0.15, 0.85]²."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(int(class_id), 0)))
    count = int(rng.integers(config.min_strokes, config.max_strokes + 1))
    return [rng.uniform(0.15, 0.85, (int(rng.integers(config.min_points, config.max_points + 1)), 2))
            for _ in range(count)]


def render_glyph(strokes, rng, config=GlyphConfig()):
    """One rendering of ``strokes`` (uint8 ``(image_size, image_size)``, ink = 255) drawn with ``rng``."""
    curves = [_bezier(points + rng.normal(0.0, config.jitter, points.shape)) for points in strokes]
    transform = _random_affine(rng, config)
    warp = _random_warp(rng, config.elastic)
    curves = [warp(transform(curve)) for curve in curves]
    width = rng.uniform(*config.pen_width_range)
    size = config.image_size
    # Every stroke's segments at once, in pixel (row, column) coordinates; ink fades over one pixel.
    starts = np.concatenate([curve[:-1] for curve in curves])[:, ::-1] * size
    ends = np.concatenate([curve[1:] for curve in curves])[:, ::-1] * size
    distance = _distance_to_segments(_pixel_centres(size), starts, ends)
    return np.round(255 * np.clip(width / 2 + 0.5 - distance, 0.0, 1.0)).reshape(size, size).astype(np.uint8)


def make_glyphs(split, num_classes=None, examples_per_class=20, seed=0, config=GlyphConfig(), cache=True,
                progress=None):
    """Renderings of the classes of ``split``: ``(images uint8 (N, S, S), labels int64 (N,))``.

    Labels are global class ids (disjoint between splits). ``num_classes`` keeps the first classes of the
    split; example ``j`` of class ``c`` is drawn from its own seed, so any subset is reproducible on its own.

    Args:
        split: ``"train"``, ``"val"`` or ``"test"`` (:data:`SPLITS`).
        num_classes: the first this many classes of the split (default: all).
        examples_per_class: renderings of each class.
        seed: the class generator's and the renderer's seed.
        config: the :class:`GlyphConfig`.
        cache: keep the rendering under ``$ZOO_HOME/data`` and read it from there next time
            (:func:`zoo.data.cache.cached_arrays`); False renders every time.
        progress: show a progress bar while rendering: None on a terminal only, True or False to force it.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {sorted(SPLITS)}, got {split!r}")
    first, end = SPLITS[split]
    if num_classes is not None:
        if not 1 <= num_classes <= end - first:
            raise ValueError(f"num_classes must be in [1, {end - first}] for split {split!r}, got {num_classes}")
        end = first + num_classes
    if examples_per_class < 1:
        raise ValueError(f"examples_per_class must be positive, got {examples_per_class}")

    def render():
        images, labels = _render_classes(split, first, end, examples_per_class, seed, config, progress)
        return {"images": images, "labels": labels}

    if not cache:
        arrays = render()
    else:
        key = (RENDERER_VERSION, first, end, examples_per_class, seed, config)
        arrays = cached_arrays(f"glyphs-{split}-{end - first}x{examples_per_class}", key, render)
    return arrays["images"], arrays["labels"]


def _render_classes(split, first, end, examples_per_class, seed, config, progress):
    images = np.empty(((end - first) * examples_per_class, config.image_size, config.image_size), np.uint8)
    with progress_bar(end - first, f"rendering Glyphs {split} classes", unit="class", show=progress) as bar:
        for c in range(first, end):
            strokes = class_strokes(c, seed, config)
            for j in range(examples_per_class):
                rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(c, 1 + j)))
                images[(c - first) * examples_per_class + j] = render_glyph(strokes, rng, config)
            bar.update(1)
    return images, np.repeat(np.arange(first, end, dtype=np.int64), examples_per_class)


def _bezier(points, samples=24):
    """``samples`` points along the Bézier curve with control ``points`` (de Casteljau)."""
    t = np.linspace(0.0, 1.0, samples)[:, None, None]
    curve = np.broadcast_to(points, (samples, *points.shape)).copy()
    while curve.shape[1] > 1:
        curve = (1 - t) * curve[:, :-1] + t * curve[:, 1:]
    return curve[:, 0]


def _random_affine(rng, config):
    angle = np.deg2rad(rng.uniform(-config.max_rotation, config.max_rotation))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    shape = np.array([[rng.uniform(*config.scale_range), rng.uniform(-config.max_shear, config.max_shear)],
                      [0.0, rng.uniform(*config.scale_range)]])
    matrix = rotation @ shape
    shift = rng.uniform(-config.max_shift, config.max_shift, 2)
    return lambda p: (p - 0.5) @ matrix.T + 0.5 + shift


def _random_warp(rng, amplitude):
    """A smooth displacement field: per axis, a sum of three random low-frequency sinusoids."""
    frequencies = rng.normal(0.0, 1.5, (2, 3, 2))
    phases = rng.uniform(0.0, 2 * np.pi, (2, 3))
    weights = rng.normal(0.0, amplitude / np.sqrt(3), (2, 3))
    return lambda p: p + np.stack([(weights[a] * np.sin(2 * np.pi * p @ frequencies[a].T + phases[a])).sum(-1)
                                   for a in range(2)], -1)


@functools.lru_cache(maxsize=4)
def _pixel_centres(size):
    return np.stack(np.meshgrid(np.arange(size), np.arange(size), indexing="ij"), -1).reshape(-1, 2) + 0.5


def _distance_to_segments(points, starts, ends):
    """Distance from each of ``points`` (P, 2) to the nearest of the segments ``starts[i]``–``ends[i]``
    (coordinates kept apart: reductions over a length-2 axis are slow in numpy)."""
    seg_y, seg_x = (ends - starts).T
    length2 = np.maximum(seg_y ** 2 + seg_x ** 2, 1e-12)
    off_y = points[:, :1] - starts[:, 0]
    off_x = points[:, 1:] - starts[:, 1]
    t = np.clip((off_y * seg_y + off_x * seg_x) / length2, 0.0, 1.0)
    return np.sqrt(((off_y - t * seg_y) ** 2 + (off_x - t * seg_x) ** 2).min(axis=1))
