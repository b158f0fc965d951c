"""The recurrent attention instance segmenter: one object per step from an external memory of what is already
segmented, a box network with glimpses, a Gaussian-attention read, a segmentation network, its re-projection, and a
stop score (Ren & Zemel, CVPR 2017, arXiv:1605.09410)."""
import math

import keras
import tensorflow as tf
from keras import layers

from zoo.recattend.layers import GaussianAttention
from zoo.recattend.losses import box_iou, pick_ground_truth

SEGMENT_BETA = 5.0
"""β of the re-projection ``y = sigmoid(γ_y · write(ỹ) − β)`` and of the box mask (the paper's code)."""
LOG_GAMMA_Y = 2.0
"""Fixed log γ_y of the re-projection (``fixed_gamma`` in the paper's code)."""
MEMORIES = ("canvas", "convlstm")


@keras.saving.register_keras_serializable(package="zoo")
class ConvLSTMMemory(keras.layers.Layer):
    """A 3×3 convolutional LSTM over the segments produced so far (the supplement's external memory option).

    Call: ``layer(segment, state=None)`` with ``segment`` ``(B, H, W, 1)`` and ``state = (h, c)`` (zeros when None)
    returns the new state ``(h, c)``, each ``(B, H, W, channels)``; ``h`` is what the box and segmentation networks
    see.

    Args:
        channels: channels of the hidden and cell states.
    """

    def __init__(self, channels=9, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.gates = layers.Conv2D(4 * channels, 3, padding="same", name="gates", dtype=self.dtype_policy)

    def build(self, segment_shape):
        self.gates.build(tuple(segment_shape[:-1]) + (segment_shape[-1] + self.channels,))

    def initial_state(self, batch, height, width):
        zeros = tf.zeros([batch, height, width, self.channels])
        return zeros, zeros

    def call(self, segment, state=None):
        if state is None:
            zeros = tf.zeros(tf.concat([tf.shape(segment)[:-1], [self.channels]], axis=0), segment.dtype)
            state = zeros, zeros
        h, c = state
        i, f, o, g = tf.split(self.gates(tf.concat([segment, h], axis=-1)), 4, axis=-1)
        c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
        return tf.sigmoid(o) * tf.tanh(c), c

    def compute_output_shape(self, segment_shape, state_shape=None):
        shape = (*segment_shape[:-1], self.channels)
        return shape, shape

    def get_config(self):
        return {**super().get_config(), "channels": self.channels}


@keras.saving.register_keras_serializable(package="zoo")
class RecurrentAttentionSegmenter(keras.Model):
    """Segments the objects of an image one per step.

    At step t the network sees the image and the external memory of the segments produced so far (the running
    pixel-wise maximum, ``canvas``, as in the public code; or a ConvLSTM, ``convlstm``, as in the supplement). The
    box network (a CNN on both, then an LSTM taking ``glimpses`` soft-attention glimpses over the CNN's positions)
    outputs a box; the Gaussian attention reads a ``patch_size`` patch there; an encoder–decoder with skips
    segments the patch; the segment is written back onto the image as ``y_t = sigmoid(e^{2} · write(ỹ) − 5)``; a
    score MLP on the LSTM state and the segmentation network's core features gives the probability that y_t is an
    object. Inference keeps the steps before the first score below 0.5.

    Call with images ``(B, H, W, C)`` in [0, 255]; returns a dict of ``masks`` ``(B, T, H, W)`` in [0, 1],
    ``box_masks`` ``(B, T, H, W)`` (the box each step attended to, rendered through the attention), ``scores``
    ``(B, T)`` and ``attention`` ``(B, T, 6)``. For training with teacher forcing pass ``teacher`` (see
    :meth:`call`).

    Args:
        image_size: ``(H, W)``.
        image_channels: C.
        max_steps: T (the most objects + 1).
        patch_size: attention patch (paper: 48×48).
        box_filters: 3×3 conv widths of the box CNN, a 2×2 max-pool after every second (paper, CVPPP:
            8, 8, 16, 16, 32, 32, 64, 64).
        lstm_units: box LSTM size (paper: 256).
        glimpses: glimpses per step (paper: 5).
        segmentation_filters: encoder widths of the segmentation network, one 2×2 pooling between levels; the
            decoder mirrors them with skip connections.
        score_hidden: hidden units of the score MLP.
        memory: ``"canvas"`` or ``"convlstm"``.
        box_network: ``False`` for the paper's "no box network" ablation: every step reads the whole image.

    Reference: Ren, Zemel. End-to-End Instance Segmentation with Recurrent Attention. CVPR 2017,
    arXiv:1605.09410.
    """

    def __init__(self, image_size=(64, 64), image_channels=3, max_steps=5, patch_size=(24, 24),
                 box_filters=(8, 8, 16, 16, 32, 32), lstm_units=64, glimpses=5, segmentation_filters=(16, 32, 64),
                 score_hidden=32, memory="canvas", box_network=True, **kwargs):
        super().__init__(**kwargs)
        if memory not in MEMORIES:
            raise ValueError(f"memory must be one of {MEMORIES}, got {memory!r}")
        if max_steps < 1 or glimpses < 1:
            raise ValueError(f"max_steps and glimpses must be >= 1, got {max_steps} and {glimpses}")
        if len(box_filters) < 2 or len(box_filters) % 2:
            raise ValueError(f"box_filters must list an even number (>= 2) of widths, got {box_filters}")
        levels = len(segmentation_filters)
        if any(p % 2 ** (levels - 1) for p in patch_size):
            raise ValueError(f"patch_size {patch_size} must be divisible by 2**(len(segmentation_filters) - 1)")
        self.image_size, self.image_channels = tuple(image_size), image_channels
        self.max_steps, self.patch_size, self.box_filters = max_steps, tuple(patch_size), tuple(box_filters)
        self.lstm_units, self.glimpses = lstm_units, glimpses
        self.segmentation_filters, self.score_hidden = tuple(segmentation_filters), score_hidden
        self.memory, self.box_network = memory, box_network
        memory_channels = 1 if memory == "canvas" else 9
        inputs = image_channels + memory_channels

        policy = self.dtype_policy  # sublayers compute in the model's dtype (mixed precision reaches them)
        self.attend = GaussianAttention(self.patch_size, name="attention", dtype=policy)
        self.memory_cell = (ConvLSTMMemory(memory_channels, name="memory", dtype=policy) if memory == "convlstm"
                            else None)
        self.box_cnn = keras.Sequential(name="box_cnn")
        for i, width in enumerate(self.box_filters):
            self.box_cnn.add(layers.Conv2D(width, 3, padding="same", activation="relu", dtype=policy))
            if i % 2:
                self.box_cnn.add(layers.MaxPooling2D(2, dtype=policy))
        self.box_lstm = layers.LSTMCell(lstm_units, name="box_lstm", dtype=policy)
        self.glimpse_hidden = layers.Dense(lstm_units, activation="relu", name="glimpse_hidden", dtype=policy)
        self.glimpse_logit = layers.Dense(1, name="glimpse_logit", dtype=policy)
        # centre (tanh), size (sigmoid of the image: a clipped exp(min(raw, 0)) loses its gradient once a box
        # reaches the image size and stays there), log of σ relative to the filter spacing, log γ. Every box
        # starts at the image centre, half the image in size (the articles span a third to 0.6 of it).
        self.box_head = layers.Dense(6, name="box_head", kernel_initializer="zeros", dtype=policy)
        def conv_pair(filters, name):
            return keras.Sequential([layers.Conv2D(filters, 3, padding="same", activation="relu", dtype=policy)
                                     for _ in range(2)], name=name)

        self.encoder = [conv_pair(f, f"enc{i}") for i, f in enumerate(self.segmentation_filters)]
        self.decoder = [conv_pair(f, f"dec{i}") for i, f in enumerate(self.segmentation_filters[:-1])]
        self.segment_logits = layers.Conv2D(1, 1, name="segment_logits", dtype=policy)
        self.score_mlp = keras.Sequential([layers.Dense(score_hidden, activation="relu", dtype=policy),
                                           layers.Dense(1, bias_initializer=keras.initializers.Constant(2.0),
                                                        dtype=policy)], name="score_mlp")
        self._build_layers(inputs)

    def _build_layers(self, inputs):
        h, w = self.image_size
        self.box_cnn.build((None, h, w, inputs))
        positions, features = self.box_cnn.compute_output_shape((None, h, w, inputs))[1:3], self.box_filters[-1]
        self.box_lstm.build((None, features))
        self.glimpse_hidden.build((None, self.lstm_units + features))
        self.glimpse_logit.build((None, self.lstm_units))
        self.box_head.build((None, self.lstm_units))
        ph, pw = self.patch_size
        channels = inputs
        for i, block in enumerate(self.encoder):
            block.build((None, ph >> i, pw >> i, channels))
            channels = self.segmentation_filters[i]
        for i in reversed(range(len(self.decoder))):
            self.decoder[i].build((None, ph >> i, pw >> i, channels + self.segmentation_filters[i]))
            channels = self.segmentation_filters[i]
        self.segment_logits.build((None, ph, pw, channels))
        core = (ph >> (len(self.encoder) - 1)) * (pw >> (len(self.encoder) - 1)) * self.segmentation_filters[-1]
        self.score_mlp.build((None, self.lstm_units + core))
        if self.memory_cell is not None:
            self.memory_cell.build((None, h, w, 1))
        self.feature_positions = int(positions[0] * positions[1])
        self.built = True  # every weight exists now

    def call(self, images, training=False, teacher=None):
        """Run all ``max_steps`` steps.

        Args:
            images: ``(B, H, W, C)`` in [0, 255].
            training: unused by the layers (no dropout / batch norm); kept for Keras.
            teacher: optional teacher forcing (scheduled sampling), a dict: the true ``boxes`` ``(B, N, 4)``,
                ``masks`` ``(B, N, H, W)`` and ``num_objects`` ``(B,)``, and ``use_box`` / ``use_mask`` ``(B, T)``
                0/1 draws. At step t the true instance whose box overlaps the predicted box most, among those not
                picked at an earlier step, is picked; where ``use_box`` is 1 the step reads at its (padded) box
                instead of its own (not without a box network), where ``use_mask`` is 1 the memory receives its
                mask instead of the segment. The outputs are still the network's own.
        """
        images = tf.cast(images, self.compute_dtype) / 255.0
        batch = tf.shape(images)[0]
        h, w = self.image_size
        canvas = tf.zeros([batch, h, w, 1], images.dtype)
        state = self.memory_cell.initial_state(batch, h, w) if self.memory_cell is not None else None
        outputs = {key: [] for key in ("masks", "box_masks", "scores", "attention")}
        if teacher is not None:
            true_attention = box_attention(teacher["boxes"], self.image_size, self.patch_size)
            true_masks = tf.cast(teacher["masks"], images.dtype)
            available = tf.range(tf.shape(true_masks)[1])[None, :] < tf.cast(teacher["num_objects"], tf.int32)[:, None]
        for t in range(self.max_steps):
            memory = canvas if state is None else state[0]
            scene = tf.concat([images, memory], axis=-1)
            box_state, attention = self._box(scene)
            outputs["attention"].append(attention)
            if teacher is not None:
                pick = pick_ground_truth(box_iou(attention_box(attention), teacher["boxes"]), available)
                available &= pick == 0
                has_pick = tf.reduce_max(pick, axis=1)
                if self.box_network:  # without one there is no box to force: every step reads the whole image
                    use = (tf.cast(teacher["use_box"][:, t], attention.dtype) * has_pick)[:, None]
                    attention = use * tf.einsum("bn,bnk->bk", pick, true_attention) + (1 - use) * attention
            patch = self.attend(scene, attention)
            logits, core = self._segment(patch)
            neutral = tf.concat([attention[:, :5], tf.zeros_like(attention[:, 5:])], axis=-1)  # γ = 1
            projected = self.attend.write(logits, neutral, (h, w))[..., 0]
            mask = tf.sigmoid(math.exp(LOG_GAMMA_Y) * projected - SEGMENT_BETA)
            box = self.attend.write(tf.ones_like(logits), neutral, (h, w))[..., 0]
            box_mask = tf.sigmoid(math.exp(LOG_GAMMA_Y) * box - SEGMENT_BETA)
            score = tf.sigmoid(self.score_mlp(tf.concat([box_state, tf.reshape(core, [batch, -1])], axis=-1)))[:, 0]
            remembered = mask
            if teacher is not None:
                use = (tf.cast(teacher["use_mask"][:, t], mask.dtype) * has_pick)[:, None, None]
                remembered = use * tf.einsum("bn,bnhw->bhw", pick, true_masks) + (1 - use) * mask
            remembered = tf.stop_gradient(remembered)[..., None]  # the paper's code stops gradients at the memory
            if state is None:
                canvas = tf.maximum(canvas, remembered)
            else:
                state = self.memory_cell(remembered, state)
            for key, value in (("masks", mask), ("box_masks", box_mask), ("scores", score)):
                outputs[key].append(value)
        return {key: tf.stack(values, axis=1) for key, values in outputs.items()}

    def _box(self, scene):
        """LSTM state after the glimpses and the attention vector (pixels) of the box it chose."""
        batch = tf.shape(scene)[0]
        h, w = self.image_size
        if not self.box_network:
            whole = tf.constant([[(h - 1) / 2, (w - 1) / 2, h, w, 0.0, 0.0]], scene.dtype)
            return tf.zeros([batch, self.lstm_units], scene.dtype), tf.tile(whole, [batch, 1])
        features = self.box_cnn(scene)
        features = tf.reshape(features, [batch, self.feature_positions, features.shape[-1]])
        state = [tf.zeros([batch, self.lstm_units], scene.dtype)] * 2
        weights = tf.ones([batch, self.feature_positions], features.dtype) / self.feature_positions
        for k in range(self.glimpses):
            if k:
                hidden = tf.repeat(state[0][:, None, :], self.feature_positions, axis=1)
                logits = self.glimpse_logit(self.glimpse_hidden(tf.concat([hidden, features], axis=-1)))
                weights = tf.nn.softmax(logits[..., 0], axis=-1)
            glimpse = tf.einsum("bp,bpf->bf", weights, features)
            _, state = self.box_lstm(glimpse, state)
        raw = self.box_head(state[0])
        size = tf.sigmoid(raw[:, 2:4]) * tf.constant([h, w], scene.dtype)
        centre = (tf.tanh(raw[:, 0:2]) + 1.0) * tf.constant([h, w], scene.dtype) / 2.0 - 0.5
        spacing = (size + 1.0) / tf.constant(self.patch_size, scene.dtype)
        log_variance = 2.0 * tf.math.log(tf.reduce_mean(spacing, axis=-1, keepdims=True)) + raw[:, 4:5]
        return state[0], tf.concat([centre, size, log_variance, raw[:, 5:6]], axis=-1)

    def _segment(self, patch):
        skips, x = [], patch
        for i, block in enumerate(self.encoder):
            if i:
                x = tf.nn.max_pool2d(x, 2, 2, "VALID")
            x = block(x)
            skips.append(x)
        core = x
        for i in reversed(range(len(self.decoder))):
            x = tf.image.resize(x, tf.shape(skips[i])[1:3], method="nearest")
            x = self.decoder[i](tf.concat([x, skips[i]], axis=-1))
        return self.segment_logits(x), core

    def get_config(self):
        return {**super().get_config(), "image_size": list(self.image_size), "image_channels": self.image_channels,
                "max_steps": self.max_steps, "patch_size": list(self.patch_size),
                "box_filters": list(self.box_filters), "lstm_units": self.lstm_units, "glimpses": self.glimpses,
                "segmentation_filters": list(self.segmentation_filters), "score_hidden": self.score_hidden,
                "memory": self.memory, "box_network": self.box_network}


def attention_box(attention):
    """The box ``(y0, x0, y1, x1)`` an attention vector reads (centre ± half its size)."""
    centre, size = attention[:, 0:2] + 0.5, attention[:, 2:4]
    return tf.concat([centre - size / 2, centre + size / 2], axis=-1)


def box_attention(boxes, image_size, patch_size, padding=0.2):
    """Attention vectors ``(…, 6)`` that read true boxes ``(…, 4)`` (``y0, x0, y1, x1``, ends exclusive) padded by
    ``padding`` of their size on each side (the paper pads true boxes by 0.2), σ at the filter spacing, γ = 1."""
    boxes = tf.cast(boxes, tf.float32)
    size = (boxes[..., 2:4] - boxes[..., 0:2]) * (1.0 + 2.0 * padding)
    centre = (boxes[..., 0:2] + boxes[..., 2:4] - 1.0) / 2.0
    size = tf.minimum(size, tf.constant(image_size, tf.float32))
    spacing = (size + 1.0) / tf.constant(patch_size, tf.float32)
    log_variance = 2.0 * tf.math.log(tf.reduce_mean(spacing, axis=-1, keepdims=True))
    return tf.concat([centre, size, log_variance, tf.zeros_like(log_variance)], axis=-1)
