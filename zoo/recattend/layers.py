"""DRAW-style Gaussian attention: read a patch from an image through two banks of 1-D Gaussian filters, and write a
patch back onto the canvas with the transposed filters (Ren & Zemel, CVPR 2017, arXiv:1605.09410, after Gregor et
al., DRAW, 2015)."""
import keras
import tensorflow as tf

ATTENTION_SIZE = 6
"""Entries of an attention vector: centre y, centre x, box height, box width (pixels), log σ², log γ."""


@keras.saving.register_keras_serializable(package="zoo")
class GaussianAttention(keras.layers.Layer):
    """Reads a ``patch_size`` patch from an image at a box given by an attention vector; ``write`` is its transpose.

    Pixel ``a`` of the image sits at coordinate ``a``. For a box with centre ``g`` and size ``δ`` (pixels) along
    one axis, the patch's ``P`` filters are centred at ``μ_i = g + (δ + 1)(i − P/2 + 0.5)/P`` (spacing
    ``(δ + 1)/P``, as the paper's code) and have the unnormalised profile ``F[i, a] = exp(−(a − μ_i)² / 2σ²)``, so
    a filter on a pixel centre with a small σ picks that pixel exactly. The read is
    ``γ · F_Y x F_Xᵀ`` per channel; ``write(patch, attention, (H, W))`` is ``γ · F_Yᵀ patch F_X``. Hence
    ``write(read(x))`` is ``γ² K_Y x K_X`` with the blur kernel ``K[a, b] = Σ_i F[i, a] F[i, b]`` on each axis:
    the box's region smoothed by Gaussians at the filter centres, zero far outside it.

    Call as ``layer(image, attention)``: ``image`` ``(B, H, W, C)``, ``attention`` ``(B, 6)`` = centre y, centre x,
    height, width (pixels), log σ², log γ. Returns ``(B, P_h, P_w, C)``. Every output is differentiable in every
    attention entry.

    Args:
        patch_size: ``(P_h, P_w)`` (paper: 48×48).

    Reference: Ren, Zemel. End-to-End Instance Segmentation with Recurrent Attention. CVPR 2017,
    arXiv:1605.09410 (§3.2; Gregor et al., DRAW, arXiv:1502.04623).
    """

    def __init__(self, patch_size=(48, 48), **kwargs):
        super().__init__(**kwargs)
        patch_size = tuple(int(p) for p in (patch_size if hasattr(patch_size, "__len__") else (patch_size,) * 2))
        if len(patch_size) != 2 or min(patch_size) < 1:
            raise ValueError(f"patch_size must be two positive integers, got {patch_size}")
        self.patch_size = patch_size

    def build(self, image_shape, attention_shape):
        pass  # no weights; call checks the shapes (Keras passes one shape per call argument)

    def call(self, image, attention):
        image, attention = self._check(image, attention, "image")
        filters_y, filters_x = self.filter_banks(attention, tf.shape(image)[1], tf.shape(image)[2])
        patch = tf.einsum("bia,bahc,bjh->bijc", filters_y, image, filters_x)
        return patch * _gamma(attention)

    def write(self, patch, attention, output_size):
        """The transposed read: ``γ · F_Yᵀ patch F_X`` on a canvas of ``output_size`` ``(H, W)``."""
        patch, attention = self._check(patch, attention, "patch")
        if patch.shape[1:3] != self.patch_size:
            raise ValueError(f"patch must be (batch, {self.patch_size[0]}, {self.patch_size[1]}, channels), got "
                             f"{patch.shape}")
        filters_y, filters_x = self.filter_banks(attention, output_size[0], output_size[1])
        return tf.einsum("bia,bijc,bjh->bahc", filters_y, patch, filters_x) * _gamma(attention)

    def filter_banks(self, attention, height, width):
        """``(F_Y, F_X)``: ``(B, P_h, height)`` and ``(B, P_w, width)`` filter banks of an attention vector."""
        attention = tf.convert_to_tensor(attention)
        variance = tf.exp(attention[:, 4:5])
        return (_bank(attention[:, 0:1], attention[:, 2:3], variance, self.patch_size[0], height),
                _bank(attention[:, 1:2], attention[:, 3:4], variance, self.patch_size[1], width))

    def _check(self, tensor, attention, name):
        tensor = tf.convert_to_tensor(tensor)
        attention = tf.cast(tf.convert_to_tensor(attention), tensor.dtype)
        if tensor.shape.rank != 4:
            raise ValueError(f"{name} must be (batch, height, width, channels), got shape {tensor.shape}")
        if attention.shape.rank != 2 or attention.shape[-1] != ATTENTION_SIZE:
            raise ValueError(f"attention must be (batch, {ATTENTION_SIZE}): centre y, centre x, height, width, "
                             f"log variance, log gamma; got shape {attention.shape}")
        return tensor, attention

    def compute_output_shape(self, image_shape, attention_shape):
        return (image_shape[0], *self.patch_size, image_shape[3])

    def get_config(self):
        return {**super().get_config(), "patch_size": list(self.patch_size)}


def _bank(centre, size, variance, count, length):
    """``(B, count, length)`` unnormalised Gaussian filters along one axis."""
    index = tf.cast(tf.range(count), centre.dtype)[None, :]
    means = centre + (size + 1.0) * (index - count / 2 + 0.5) / count
    position = tf.cast(tf.range(length), centre.dtype)[None, None, :]
    return tf.exp(-tf.square(position - means[:, :, None]) / (2.0 * variance[:, :, None]))


def _gamma(attention):
    return tf.exp(attention[:, 5])[:, None, None, None]
