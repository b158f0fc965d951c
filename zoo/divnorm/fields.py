"""Means over divisive-normalization fields: centred box windows that average over valid positions only.

A field is the product of a spatial window (odd sizes, or ``"all"``) and a channel window (``"all"``,
``"same"``, or an odd width). Because a box over a product region is separable, its mean is the mean over the
channel window followed by the means along each spatial axis; every 1-D box mean is two gathers from a
cumulative sum, so the cost does not depend on the window size.
"""
import numbers

import tensorflow as tf


def _is_odd_positive_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value > 0 and value % 2 == 1


def check_window(window, arg):
    """Validate a spatial window (odd int, sequence of odd ints, or ``"all"``); returns it normalised."""
    if window == "all":
        return window
    if _is_odd_positive_int(window):
        return int(window)
    if isinstance(window, (tuple, list)) and window and all(_is_odd_positive_int(w) for w in window):
        return tuple(int(w) for w in window)
    raise ValueError(f"{arg} must be 'all', an odd positive int, or a tuple of them (one per spatial axis), "
                     f"got {window!r}")


def check_window_rank(window, num_spatial, arg):
    """Raise ``ValueError`` if a tuple ``window`` does not have one size per spatial axis."""
    if isinstance(window, tuple) and len(window) != num_spatial:
        raise ValueError(f"{arg}={window!r} gives {len(window)} sizes but the input has {num_spatial} spatial axes")


def check_channels(channels, arg):
    """Validate a channel window (``"all"``, ``"same"`` or an odd int width); returns it normalised."""
    if channels in ("all", "same"):
        return channels
    if _is_odd_positive_int(channels):
        return int(channels)
    raise ValueError(f"{arg} must be 'all', 'same', or an odd positive int width, got {channels!r}")


def box_mean(x, axis, size):
    """Mean of ``x`` over the centred window of odd ``size`` along ``axis``, over valid positions only.

    With ``c`` the cumulative sum of ``x`` along ``axis`` (prefixed by 0) and half-width ``h``, the window of
    position ``i`` sums ``c[min(i + h + 1, n)] − c[max(i − h, 0)]`` and holds as many valid positions.
    """
    axis = axis % len(x.shape)
    n = tf.shape(x)[axis]
    half = size // 2
    prefix = [[0, 0]] * len(x.shape)
    prefix[axis] = [1, 0]
    cumulative = tf.pad(tf.cumsum(x, axis=axis), prefix)
    position = tf.range(n)
    upper = tf.minimum(position + half + 1, n)
    lower = tf.maximum(position - half, 0)
    total = tf.gather(cumulative, upper, axis=axis) - tf.gather(cumulative, lower, axis=axis)
    count = tf.cast(upper - lower, x.dtype)
    count_shape = [1] * len(x.shape)
    count_shape[axis] = -1
    return total / tf.reshape(count, count_shape)


def field_mean(x, window, channels):
    """Mean of ``x`` (``(batch, *spatial, channels)``) over each unit's field, broadcastable to ``x``.

    Args:
        x: input tensor of rank ≥ 2.
        window: ``"all"``, an odd int (every spatial axis), or a tuple of odd ints (one per spatial axis).
        channels: ``"all"``, ``"same"``, or an odd int width along the channel axis.
    """
    rank = len(x.shape)
    if channels == "all":
        x = tf.reduce_mean(x, axis=-1, keepdims=True)
    elif channels != "same":
        x = box_mean(x, rank - 1, channels)
    spatial_axes = list(range(1, rank - 1))
    if window == "all":
        return tf.reduce_mean(x, axis=spatial_axes, keepdims=True) if spatial_axes else x
    sizes = (window,) * len(spatial_axes) if isinstance(window, int) else window
    for axis, size in zip(spatial_axes, sizes):
        if size > 1:
            x = box_mean(x, axis, size)
    return x


def divisive_normalize(x, window, channels, suppression_window, suppression_channels, floor):
    """The paper's Eqs. 1–2 without affine: ``v = x − E_A[x]`` and ``v / sqrt(floor + E_B[v²])``.

    Returns ``(v, normalised)``; ``floor`` is σ² plus any numerical epsilon.
    """
    v = x - field_mean(x, window, channels)
    variance = field_mean(tf.square(v), suppression_window, suppression_channels)
    return v, v * tf.math.rsqrt(variance + floor)
