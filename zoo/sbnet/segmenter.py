"""SBNet used the way the paper uses it: a dense-prediction network whose main body runs only on the blocks a
small low-resolution network marks as foreground (paper §5, the LiDAR detector with its PSPNet mask), and its
dense twin — on Fashion-MNIST scenes (:mod:`zoo.data.scenes`), segmented into background + 10 classes.

``sbnet-segnet`` (sparse) and ``sbnet-segnet-dense`` (dense twin) are one :class:`SceneSegmenter` with
``sparse=True`` / ``sparse=False``: the same layers and the same weight file layout, so weights trained in one
mode load into the other.
"""
import math

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from zoo.data.scenes import SceneConfig
from zoo.layers.blocks import batch_norm, conv_initializer
from zoo.sbnet import ops
from zoo.sbnet.layers import SparseResBlock

SCENES = SceneConfig(height=256, width=256, min_objects=1, max_objects=4)
"""The scenes the pretrained weights were trained and evaluated on: 256×256 canvases with 1–4 articles (scale
0.8–1.6, the generator's defaults otherwise): about 2% foreground pixels, 4–5% of the 8×8 cells, the regime of
the paper's PSPNet masks (90% sparse) rather than of dense images."""

NUM_CLASSES = 11
"""Per-pixel classes: 0 is background, ``c + 1`` is Fashion-MNIST class ``c``."""

OUTSIDE_LOGIT = 10.0
"""Background logit (the others are 0) of pixels outside the computation mask: predicted background."""

# The paper's detector, scaled down for 256×256 scenes on a CPU. Paper: two dense stem convolutions, then
# [3, 6, 6, 3] sparse bottleneck units at widths [96, 192, 256, 384], block sizes 5–29 (smaller at coarser
# scales), and a PSPNet (ResNet-18, widths 32–256) predicting the mask at 8× downsampling. Here: one stride-2
# dense stem convolution of width 96, three stages of two units at widths 96/192/256 (bottleneck width / 4) at
# 1/2, 1/4 and 1/8 of the input resolution with block sizes 15/11/7 (17 and 11 for the strided first units), an
# FCN-style head (one 1×1 logit convolution per stage, upsampled and summed), and a mask network of three
# stride-2 convolutions (16-32-32) at 8× downsampling.
STEM_WIDTH = 96
STAGES = (
    dict(width=96, units=2, block_size=15),
    dict(width=192, units=2, block_size=11, stride=2, strided_block_size=17),
    dict(width=256, units=2, block_size=7, stride=2, strided_block_size=11),
)
MASK_WIDTHS = (16, 32, 32)
STAGE_KEYS = {"width", "units", "block_size", "stride", "strided_block_size"}


@keras.saving.register_keras_serializable(package="zoo")
class SceneSegmenter(keras.Model):
    """Per-pixel classification whose main network runs on SBNet sparse residual units.

    Sparse mode (``sparse=True``), as in the paper:

    1. Mask network: ``len(mask_widths)`` stride-2 3×3 convolutions (ReLU) and a 1×1 convolution give
       foreground logits at ``1 / 2^len(mask_widths)`` resolution (``mask_logits``). Where
       ``sigmoid > mask_threshold`` the cell is active; the active cells, upsampled to the input resolution and
       dilated by ``mask_dilation`` pixels, are the computation mask (``mask``).
    2. Main network: a dense stride-2 3×3 stem convolution with BN-ReLU, then stages of
       :class:`~zoo.sbnet.layers.SparseResBlock` computed only on the blocks the mask (max-pooled to each
       stage's resolution) touches; units of equal geometry share one ``reduce_mask``.
    3. Head: a 1×1 convolution to ``num_classes`` logits after every stage; the logits are bilinearly
       upsampled, summed (FCN style) and upsampled to the input resolution. Pixels outside the computation
       mask are predicted background (logits ``OUTSIDE_LOGIT`` for class 0, 0 for the others).

    Dense mode (``sparse=False``, the dense twin) runs the same main network and head on every pixel and skips
    the mask network (whose weights it still holds, so that both modes share one weight layout).

    Batch norm statistics of sparse units are those of the gathered blocks, so train in sparse mode to run in
    sparse mode (paper §4); running sparse-trained weights densely measures exactly that difference.

    Args:
        num_classes: logits per pixel (background included).
        stem_width: channels of the stem convolution.
        stages: one dict per stage: ``width`` and ``units`` (residual units), ``block_size`` of the stride-1
            units, and for a downsampling stage ``stride=2`` and ``strided_block_size`` (block size of its first
            unit; ``strided_block_size − 3`` must be even).
        mask_widths: channels of the mask network's stride-2 convolutions.
        mask_threshold: probability above which a mask cell is active, in (0, 1).
        mask_dilation: pixels (at the input resolution) by which the upsampled mask is dilated.
        sparse: run the main network on the computation mask (True) or densely (False).
        impl: SBNet op implementation, ``"auto"``, ``"native"`` or ``"tf"``.

    Call: ``model(images, training=None, computation_mask=None)`` with ``images`` ``(N, H, W, 3)`` in
    [0, 255] (uint8 or float; ``H`` and ``W`` multiples of the network's total downsampling). In sparse mode,
    ``computation_mask`` ``(N, H, W)`` replaces the predicted mask.

    Returns a dict: ``logits`` ``(N, H, W, num_classes)``; in sparse mode also ``mask`` ``(N, H, W)`` (the
    computation mask, 0/1 float) and, unless a mask was given, ``mask_logits`` ``(N, H / m, W / m, 1)``.

    Reference: Ren, Pokrovsky, Yang, Urtasun. SBNet: Sparse Blocks Network for Fast Inference. CVPR 2018,
    arXiv:1801.02108.
    """

    def __init__(self, num_classes=NUM_CLASSES, stem_width=STEM_WIDTH, stages=STAGES, mask_widths=MASK_WIDTHS,
                 mask_threshold=0.5, mask_dilation=2, sparse=True, impl="auto", **kwargs):
        super().__init__(**kwargs)
        _check_arguments(num_classes, stem_width, stages, mask_widths, mask_threshold, mask_dilation, impl)
        self.num_classes = num_classes
        self.stem_width = stem_width
        self.stages = tuple(dict(stage) for stage in stages)
        self.mask_widths = tuple(mask_widths)
        self.mask_threshold = mask_threshold
        self.mask_dilation = mask_dilation
        self.sparse = sparse
        self.impl = impl
        self.mask_convs = [layers.Conv2D(w, 3, strides=2, padding="same", activation="relu", name=f"mask_conv{i}")
                           for i, w in enumerate(self.mask_widths, start=1)]
        self.mask_head = layers.Conv2D(1, 1, name="mask_logits")
        self.stem_conv = layers.Conv2D(stem_width, 3, strides=2, padding="same", use_bias=False,
                                       kernel_initializer=conv_initializer(), name="stem_conv")
        self.stem_bn = batch_norm("stem_bn")
        self.units = [self._unit(stage, s, u) for s, stage in enumerate(self.stages) for u in range(stage["units"])]
        self.heads = [layers.Conv2D(num_classes, 1, name=f"stage{s}_logits") for s in range(1, len(self.stages) + 1)]

    @property
    def mask_stride(self):
        """Downsampling of the mask network (8 with three stride-2 convolutions)."""
        return 2 ** len(self.mask_widths)

    @property
    def input_multiple(self):
        """``H`` and ``W`` must be multiples of this: the mask network's and the main network's downsampling."""
        main = 2 * math.prod(stage.get("stride", 1) for stage in self.stages)
        return math.lcm(self.mask_stride, main)

    def build(self, input_shape):
        shape = (None, *self._check_image_shape(input_shape))
        for convolution in (*self.mask_convs, self.mask_head):
            convolution.build(shape)
            shape = convolution.compute_output_shape(shape)
        shape = (None, *input_shape[1:])
        self.stem_conv.build(shape)
        shape = self.stem_conv.compute_output_shape(shape)
        self.stem_bn.build(shape)
        for unit, head in self._units_and_heads():
            unit_input = (shape, shape[:3]) if self.sparse else shape
            unit.build(unit_input)
            shape = unit.compute_output_shape(unit_input)
            if head is not None:
                head.build(shape)

    def call(self, images, training=None, computation_mask=None):
        image_hw = self._check_image_shape(images.shape)[:2]
        if computation_mask is not None and not self.sparse:
            raise ValueError("computation_mask is for the sparse model; the dense twin computes every pixel")
        x = tf.cast(images, self.compute_dtype) / 255.0
        outputs = {}
        if self.sparse:
            if computation_mask is None:
                outputs["mask_logits"] = self.predict_mask_logits(x)
                computation_mask = self.computation_mask(outputs["mask_logits"], image_hw)
            outputs["mask"] = self._check_mask(computation_mask, images.shape)
        features = tf.nn.relu(self.stem_bn(self.stem_conv(x), training=training))
        stage_logits, shared_indices = [], {}
        for unit, head in self._units_and_heads():
            if self.sparse:
                indices = self._block_indices(unit, features.shape[1:3], outputs["mask"], shared_indices)
                features = unit((features, indices), training=training)
            else:
                features = unit(features, training=training)
            if head is not None:
                stage_logits.append(head(features))
        logits = _fuse(stage_logits, image_hw)
        if self.sparse:
            outside = tf.one_hot(0, self.num_classes, on_value=OUTSIDE_LOGIT, dtype=logits.dtype)
            logits = tf.where(outputs["mask"][..., None] > 0, logits, outside)
        outputs["logits"] = logits
        return outputs

    def predict_mask_logits(self, x):
        """Foreground logits ``(N, H / mask_stride, W / mask_stride, 1)`` of scaled images ``x`` in [0, 1]."""
        for convolution in self.mask_convs:
            x = convolution(x)
        return self.mask_head(x)

    def computation_mask(self, mask_logits, image_hw):
        """The 0/1 computation mask ``(N, H, W)``: cells with ``sigmoid(mask_logits) > mask_threshold``,
        upsampled to ``image_hw`` and dilated by ``mask_dilation`` pixels."""
        threshold = math.log(self.mask_threshold / (1.0 - self.mask_threshold))
        mask = tf.cast(mask_logits > threshold, tf.float32)
        factor = image_hw[0] // mask_logits.shape[1]
        mask = tf.repeat(tf.repeat(mask, factor, axis=1), factor, axis=2)
        if self.mask_dilation:
            mask = tf.nn.max_pool2d(mask, 2 * self.mask_dilation + 1, 1, "SAME")
        return mask[..., 0]

    def _block_indices(self, unit, features_hw, mask, shared):
        """Active blocks of ``unit`` on ``features_hw`` inputs; computed once per distinct block geometry."""
        params = unit.block_params(tuple(features_hw))
        key = (tuple(features_hw), params)
        if key not in shared:
            factor = mask.shape[1] // features_hw[0]
            level = tf.nn.max_pool2d(mask[..., None], factor, factor, "VALID")
            shared[key] = ops.reduce_mask(level, params, impl=self.impl).indices
        return shared[key]

    def _unit(self, stage, stage_index, unit_index):
        strided = unit_index == 0 and stage.get("stride", 1) > 1
        return SparseResBlock(stage["width"], stage["strided_block_size"] if strided else stage["block_size"],
                              strides=stage.get("stride", 1) if unit_index == 0 else 1, impl=self.impl,
                              sparse=self.sparse, name=f"stage{stage_index + 1}_unit{unit_index + 1}")

    def _units_and_heads(self):
        """``(unit, head)`` in order; head is the stage's logit convolution after its last unit, else None."""
        last_units = np.cumsum([stage["units"] for stage in self.stages]) - 1
        heads = dict(zip(last_units.tolist(), self.heads))
        return [(unit, heads.get(i)) for i, unit in enumerate(self.units)]

    def _check_image_shape(self, shape):
        shape = tuple(shape)
        multiple = self.input_multiple
        if len(shape) != 4 or shape[3] != 3 or any(d is None or d % multiple for d in shape[1:3]):
            raise ValueError(f"images must be (N, H, W, 3) with H and W static multiples of {multiple}, got shape "
                             f"{shape}")
        return shape[1:]

    def _check_mask(self, mask, image_shape):
        mask = tf.cast(mask, tf.float32)
        if tuple(mask.shape[1:]) != tuple(image_shape[1:3]) or mask.shape.rank != 3:
            raise ValueError(f"computation_mask must be (N, H, W) = (N, {image_shape[1]}, {image_shape[2]}), got "
                             f"shape {tuple(mask.shape)}")
        return mask

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "stem_width": self.stem_width,
                "stages": [dict(stage) for stage in self.stages], "mask_widths": list(self.mask_widths),
                "mask_threshold": self.mask_threshold, "mask_dilation": self.mask_dilation, "sparse": self.sparse,
                "impl": self.impl}


def _fuse(stage_logits, image_hw):
    """Sum of the stages' logits, bilinearly upsampled to the finest stage, then to ``image_hw``."""
    finest, dtype = stage_logits[0].shape[1:3], stage_logits[0].dtype
    fused = tf.add_n([logits if logits.shape[1:3] == finest else tf.cast(tf.image.resize(logits, finest), dtype)
                      for logits in stage_logits])
    return tf.cast(tf.image.resize(fused, image_hw), dtype)  # resize computes in float32


def _check_arguments(num_classes, stem_width, stages, mask_widths, mask_threshold, mask_dilation, impl):
    for name, value in (("num_classes", num_classes), ("stem_width", stem_width)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not stages:
        raise ValueError("stages must name at least one stage")
    for stage in stages:
        if not isinstance(stage, dict) or not {"width", "units", "block_size"} <= set(stage) <= STAGE_KEYS:
            raise ValueError(f"each stage must be a dict with width, units, block_size (and optionally stride, "
                             f"strided_block_size), got {stage!r}")
        if stage.get("stride", 1) not in (1, 2) or (stage.get("stride", 1) == 2) != ("strided_block_size" in stage):
            raise ValueError(f"a stage's stride must be 1 or 2, and a stride-2 stage (only) needs "
                             f"strided_block_size, got {stage!r}")
        if not isinstance(stage["units"], int) or stage["units"] < 1:
            raise ValueError(f"a stage's units must be a positive integer, got {stage!r}")
    if not mask_widths or any(not isinstance(w, int) or w < 1 for w in mask_widths):
        raise ValueError(f"mask_widths must be a non-empty sequence of positive integers, got {mask_widths!r}")
    if not 0 < mask_threshold < 1:
        raise ValueError(f"mask_threshold must be in (0, 1), got {mask_threshold!r}")
    if not isinstance(mask_dilation, int) or mask_dilation < 0:
        raise ValueError(f"mask_dilation must be a non-negative integer, got {mask_dilation!r}")
    if impl not in ops.IMPLS:
        raise ValueError(f"impl must be one of {ops.IMPLS}, got {impl!r}")


def build_segnet(sparse, input_shape=(SCENES.height, SCENES.width, 3), name="sbnet_segnet", **kwargs):
    """A built :class:`SceneSegmenter` for ``input_shape`` images; ``kwargs`` are its constructor arguments."""
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (H, W, 3), got {input_shape!r}")
    model = SceneSegmenter(sparse=sparse, name=name, **kwargs)
    model.build((None, *input_shape))
    return model


def scene_labels(arrays):
    """Per-pixel labels ``(N, H, W)`` int32 (0 background, class + 1) from :func:`zoo.data.scenes.scenes_to_arrays`
    output (its ``masks`` are disjoint)."""
    masks, classes = arrays["masks"], arrays["classes"]
    labels = np.zeros(masks.shape[:1] + masks.shape[2:], np.int32)
    for k in range(masks.shape[1]):
        labels = np.where(masks[:, k], classes[:, k, None, None].astype(np.int32) + 1, labels)
    return labels


def segmentation_losses(outputs, labels):
    """The training losses of a :class:`SceneSegmenter`'s ``outputs`` for per-pixel ``labels`` ``(N, H, W)``.

    Returns a dict: ``pixel``, the mean per-pixel softmax cross-entropy, and in sparse mode ``mask``, the mean
    sigmoid cross-entropy of ``mask_logits`` against "the cell holds a foreground pixel". Losses are computed in
    float32 whatever the model's compute dtype (mixed precision).
    """
    labels = tf.convert_to_tensor(labels)
    losses = {"pixel": tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
        labels, tf.cast(outputs["logits"], tf.float32), from_logits=True))}
    if "mask_logits" in outputs:
        stride = labels.shape[1] // outputs["mask_logits"].shape[1]
        foreground = tf.cast(labels > 0, tf.float32)[..., None]
        target = tf.nn.max_pool2d(foreground, stride, stride, "VALID")
        losses["mask"] = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
            target, tf.cast(outputs["mask_logits"], tf.float32)))
    return losses
