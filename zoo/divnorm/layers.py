"""Divisive normalization (Ren, Liao, Urtasun, Sinz, Zemel; ICLR 2017): one layer that is batch norm, layer
norm or divisive normalization depending on its summation and suppression fields, plus the paper's L1
activation penalty."""
import numbers

import keras
import tensorflow as tf

from zoo.divnorm import fields

PRESETS = {
    # The paper's Table 1/3 rows. sigma and alpha are the official CIFAR-10 configs; "plain" BN/LN use
    # sigma = 1e-2 (sigma^2 = 1e-4) there, which the paper writes as sigma = 0.
    "bn": dict(window="all", channels="same", over_batch=True, sigma=1e-2, center=True, scale=True),
    "bn_s": dict(window="all", channels="same", over_batch=True, sigma=1.0, center=True, scale=True),
    "bn_star": dict(window="all", channels="same", over_batch=True, sigma=1.0, center=True, scale=True,
                    l1_alpha=5e-3),
    "ln": dict(window="all", channels="all", sigma=1e-2, center=True, scale=True),
    "ln_s": dict(window="all", channels="all", sigma=0.5, center=False, scale=False),
    "ln_star": dict(window="all", channels="all", sigma=0.5, center=False, scale=False, l1_alpha=5e-3),
    "dn": dict(window=5, channels="all", sigma=0.5, center=True, scale=True),
    "dn_star": dict(window=5, channels="all", sigma=0.5, center=False, scale=False, l1_alpha=5e-3),
}


def _statistics_dtype(compute_dtype):
    """Box filters and variances run in float32 under mixed precision, else in the compute dtype."""
    return "float32" if compute_dtype in ("float16", "bfloat16") else compute_dtype


@keras.saving.register_keras_serializable(package="zoo")
class DivisiveNormalization(keras.layers.Layer):
    """Divisive normalization of pre-activations ``z`` (paper Eqs. 1–3)::

        v = z − E_A[z]                    (mean over the summation field A of each unit)
        z̃ = v / sqrt(σ² + ε + E_B[v²])    (mean over the suppression field B of each unit)
        y = γ ⊙ z̃ + β                     (optional, per channel)

    A field is the product of a spatial window and a channel window around each unit, optionally widened to
    the whole batch. Windows are centred; at borders they average over the **valid** positions only (no zero
    padding), and their cost does not depend on their size (cumulative-sum box filters). Special cases:

    * batch norm: ``window="all", channels="same", over_batch=True`` (moving statistics at inference);
    * layer norm: ``window="all", channels="all"``;
    * DN (CNN): ``window=5, channels="all"`` — a 5×5 neighbourhood across all channels;
    * DN (fully connected / RNN, Eqs. 6–11): rank-2 input with ``channels=2R + 1`` — a 1-D slice of units.

    LN and DN use no batch statistics, so they compute the same thing in training and inference.

    Args:
        window: spatial extent of A: an odd int, a tuple of odd ints (one per spatial axis), or ``"all"``.
        suppression_window: spatial extent of B; None means the same as ``window``.
        channels: channel extent of A: ``"all"``, ``"same"`` (one channel), or an odd int width.
        suppression_channels: channel extent of B; None means the same as ``channels``.
        over_batch: fields also span the batch (batch norm); requires ``window="all"`` and ``channels="same"``.
        sigma: the smoothing σ (enters as σ²). ``learn_sigma`` makes it one trainable scalar.
        learn_sigma: train σ (initialised at ``sigma``).
        epsilon: numerical floor added to σ².
        center: learn a per-channel offset β.
        scale: learn a per-channel gain γ.
        l1_alpha: weight α of the L1 penalty α·mean|v| on the centred pre-normalisation activations, added to
            the layer's ``losses`` (0 disables it).
        momentum: moving-average decay of the batch statistics (``over_batch`` only).

    Input shape: ``(batch, ..., channels)`` of rank ≥ 2. Output shape: the same.

    Example::

        x = keras.layers.Conv2D(32, 5, padding="same")(inputs)
        x = zoo.layers.DivisiveNormalization.from_preset("dn_star", window=5)(x)   # DN* before the ReLU
        x = keras.layers.ReLU()(x)
        zoo.layers.DivisiveNormalization(window=(5, 5), suppression_window=(7, 7), sigma=1.0, learn_sigma=True)

    Reference: Ren, Liao, Urtasun, Sinz, Zemel. Normalizing the Normalizers: Comparing and Extending Network
    Normalization Schemes. ICLR 2017, arXiv:1611.04520.
    """

    def __init__(self, window="all", suppression_window=None, channels="all", suppression_channels=None,
                 over_batch=False, sigma=0.0, learn_sigma=False, epsilon=1e-6, center=True, scale=True,
                 l1_alpha=0.0, momentum=0.99, **kwargs):
        super().__init__(**kwargs)
        self.window = fields.check_window(window, "window")
        self.suppression_window = fields.check_window(
            window if suppression_window is None else suppression_window, "suppression_window")
        self.channels = fields.check_channels(channels, "channels")
        self.suppression_channels = fields.check_channels(
            channels if suppression_channels is None else suppression_channels, "suppression_channels")
        if over_batch and (self.window != "all" or self.suppression_window != "all"
                           or self.channels != "same" or self.suppression_channels != "same"):
            raise ValueError("over_batch=True is batch norm: it needs window='all' and channels='same' for both "
                             f"fields, got window={self.window!r}, suppression_window={self.suppression_window!r}, "
                             f"channels={self.channels!r}, suppression_channels={self.suppression_channels!r}")
        for arg, value in (("sigma", sigma), ("epsilon", epsilon), ("l1_alpha", l1_alpha)):
            if not isinstance(value, numbers.Real) or value < 0:
                raise ValueError(f"{arg} must be a number >= 0, got {value!r}")
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.over_batch = bool(over_batch)
        self.sigma = float(sigma)
        self.learn_sigma = bool(learn_sigma)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.l1_alpha = float(l1_alpha)
        self.momentum = float(momentum)

    @classmethod
    def from_preset(cls, preset, **overrides):
        """A layer configured as the paper's ``preset`` (one of :data:`PRESETS`), with ``overrides`` applied."""
        if preset not in PRESETS:
            raise ValueError(f"preset must be one of {', '.join(PRESETS)}, got {preset!r}")
        return cls(**{**PRESETS[preset], **overrides})

    def build(self, input_shape):
        rank = len(input_shape)
        if rank < 2:
            raise ValueError(f"DivisiveNormalization needs inputs of rank >= 2 (batch, ..., channels), "
                             f"got shape {tuple(input_shape)}")
        num_channels = input_shape[-1]
        if num_channels is None:
            raise ValueError(f"the channel (last) axis must be known, got shape {tuple(input_shape)}")
        for arg in ("window", "suppression_window"):
            fields.check_window_rank(getattr(self, arg), rank - 2, arg)
        self.sigma_variable = self.add_weight(
            name="sigma", shape=(), initializer=keras.initializers.Constant(self.sigma), trainable=self.learn_sigma)
        self.gamma = self.add_weight(name="gamma", shape=(num_channels,), initializer="ones") if self.scale else None
        self.beta = self.add_weight(name="beta", shape=(num_channels,), initializer="zeros") if self.center else None
        if self.over_batch:
            self.moving_mean = self.add_weight(name="moving_mean", shape=(num_channels,), initializer="zeros",
                                               trainable=False)
            self.moving_variance = self.add_weight(name="moving_variance", shape=(num_channels,),
                                                   initializer="ones", trainable=False)

    def call(self, inputs, training=None):
        dtype = _statistics_dtype(self.compute_dtype)
        x = tf.cast(inputs, dtype)
        floor = tf.square(tf.cast(self.sigma_variable, dtype)) + self.epsilon
        if self.over_batch:
            mean, variance = self._batch_statistics(x, training)
            v = x - mean
            y = v * tf.math.rsqrt(variance + floor)
        else:
            v, y = fields.divisive_normalize(x, self.window, self.channels, self.suppression_window,
                                             self.suppression_channels, floor)
        if self.l1_alpha:
            self.add_loss(self.l1_alpha * tf.reduce_mean(tf.abs(v)))
        if self.gamma is not None:
            y = y * tf.cast(self.gamma, dtype)
        if self.beta is not None:
            y = y + tf.cast(self.beta, dtype)
        return tf.cast(y, self.compute_dtype)

    def _batch_statistics(self, x, training):
        axes = list(range(len(x.shape) - 1))
        if not training:
            return tf.cast(self.moving_mean, x.dtype), tf.cast(self.moving_variance, x.dtype)
        mean, variance = tf.nn.moments(x, axes)
        decay = self.momentum
        self.moving_mean.assign(self.moving_mean * decay + tf.cast(mean, self.moving_mean.dtype) * (1 - decay))
        self.moving_variance.assign(
            self.moving_variance * decay + tf.cast(variance, self.moving_variance.dtype) * (1 - decay))
        return mean, variance

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "window": self.window, "suppression_window": self.suppression_window,
                "channels": self.channels, "suppression_channels": self.suppression_channels,
                "over_batch": self.over_batch, "sigma": self.sigma, "learn_sigma": self.learn_sigma,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale, "l1_alpha": self.l1_alpha,
                "momentum": self.momentum}


@keras.saving.register_keras_serializable(package="zoo")
class ActivationL1(keras.layers.Layer):
    """The identity, adding the paper's sparse penalty α·mean|z| to the layer's losses ("Baseline + L1").

    Without a normaliser there is no field mean to centre by, so the penalty is on the raw pre-activations.

    Args:
        alpha: penalty weight (> 0).

    Input shape: any. Output shape: the same.

    Example::

        x = zoo.layers.ActivationL1(5e-3)(keras.layers.Conv2D(32, 5)(inputs))  # the penalty joins model.losses

    Reference: Ren et al., ICLR 2017, arXiv:1611.04520, §3.3.
    """

    def __init__(self, alpha, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(alpha, numbers.Real) or alpha <= 0:
            raise ValueError(f"alpha must be a number > 0, got {alpha!r}")
        self.alpha = float(alpha)

    def call(self, inputs):
        magnitude = tf.abs(tf.cast(inputs, _statistics_dtype(self.compute_dtype)))
        self.add_loss(self.alpha * tf.reduce_mean(magnitude))
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}
