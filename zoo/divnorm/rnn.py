"""Recurrent cells with divisive normalization of the summed inputs (paper §3, Eqs. 6–11), for
``keras.layers.RNN``."""
import numbers

import keras
import tensorflow as tf

from zoo.divnorm import fields

EPSILON = 1e-6  # numerical floor added to σ², as in DivisiveNormalization


def _check_cell_arguments(units, radius, sigma):
    if not isinstance(units, numbers.Integral) or isinstance(units, bool) or units <= 0:
        raise ValueError(f"units must be a positive int, got {units!r}")
    if radius is not None and (not isinstance(radius, numbers.Integral) or isinstance(radius, bool) or radius < 0):
        raise ValueError(f"radius must be None (all units, i.e. layer norm) or an int >= 0, got {radius!r}")
    if not isinstance(sigma, numbers.Real) or sigma < 0:
        raise ValueError(f"sigma must be a number >= 0, got {sigma!r}")


class _DNCell(keras.layers.Layer):
    """Shared arguments, normalisers and config of the DN recurrent cells."""

    def __init__(self, units, radius=None, sigma=1.0, center=True, scale=True, **kwargs):
        super().__init__(**kwargs)
        _check_cell_arguments(units, radius, sigma)
        self.units = int(units)
        self.radius = None if radius is None else int(radius)
        self.sigma = float(sigma)
        self.center = bool(center)
        self.scale = bool(scale)

    def _affine_weights(self, name, shape, beta_initializer="zeros"):
        gamma = self.add_weight(name=f"{name}_gamma", shape=shape, initializer="ones") if self.scale else None
        beta = self.add_weight(name=f"{name}_beta", shape=shape, initializer=beta_initializer) if self.center else None
        return gamma, beta

    def _normalize(self, z, gamma, beta):
        """DN of ``z`` over a 1-D window of units along the last axis (separately for each leading index),
        then the affine ``gamma``/``beta``."""
        width = "all" if self.radius is None else 2 * self.radius + 1
        _, y = fields.divisive_normalize(z, 1, width, 1, width, self.sigma ** 2 + EPSILON)
        if gamma is not None:
            y = y * gamma
        return y if beta is None else y + beta

    def get_config(self):
        return {**super().get_config(), "units": self.units, "radius": self.radius, "sigma": self.sigma,
                "center": self.center, "scale": self.scale}


@keras.saving.register_keras_serializable(package="zoo")
class DNSimpleRNNCell(_DNCell):
    """A vanilla RNN cell ``h_t = f(N(W_x x_t + W_h h_{t−1} + b))`` with DN ``N`` over a 1-D window of units.

    ``N`` centres each unit ``j`` by the mean of units ``j−R..j+R`` and divides by the root of σ² plus the mean
    of the centred squares over the same window (paper Eqs. 6–7); windows at the ends of the hidden vector
    average over the valid units only. ``radius=None`` normalises over all units (layer norm).

    Args:
        units: hidden size.
        radius: window radius R (window width 2R + 1), or None for all units.
        sigma: smoothing σ (the paper uses 1 for the "-s" and "*" variants).
        activation: the non-linearity ``f`` (``"tanh"`` or ``"relu"`` in the paper).
        center, scale: per-unit affine β / γ after normalisation.

    Input shape per step: ``(batch, input_dim)``; state and output: ``(batch, units)``.

    Example::

        outputs = keras.layers.RNN(zoo.layers.DNSimpleRNNCell(400, radius=30, activation="relu"),
                                   return_sequences=True)(embedded)

    Reference: Ren et al. Normalizing the Normalizers. ICLR 2017, arXiv:1611.04520, Eqs. 6–8.
    """

    def __init__(self, units, radius=None, sigma=1.0, activation="tanh", center=True, scale=True, **kwargs):
        super().__init__(units, radius, sigma, center, scale, **kwargs)
        self.activation = keras.activations.get(activation)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform")
        self.recurrent_kernel = self.add_weight(name="recurrent_kernel", shape=(self.units, self.units),
                                                initializer="orthogonal")
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
        self.gamma, self.beta = self._affine_weights("norm", (self.units,))

    def call(self, inputs, states, training=None):
        previous = states[0] if isinstance(states, (list, tuple)) else states
        summed = tf.matmul(inputs, self.kernel) + tf.matmul(previous, self.recurrent_kernel) + self.bias
        hidden = self.activation(self._normalize(summed, self.gamma, self.beta))
        return hidden, [hidden]

    def get_config(self):
        return {**super().get_config(), "activation": keras.activations.serialize(self.activation)}


@keras.saving.register_keras_serializable(package="zoo")
class DNLSTMCell(_DNCell):
    """An LSTM cell with DN applied separately before each non-linearity (paper Eqs. 9–11)::

        i, f, o = sigmoid(N_i(z_i)), sigmoid(N_f(z_f)), sigmoid(N_o(z_o)),  g = tanh(N_g(z_g))
        c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(N_c(c_t))

    where ``z = W_x x_t + W_h h_{t−1} + b`` and each ``N`` is a 1-D DN over a window of radius R within its
    own gate, with its own per-unit affine γ/β. The four gates are normalised in one batched computation.
    The forget gate's β starts at 1 (the usual forget bias; a bias added before the normaliser would be removed
    by its centring, so with ``center=False`` there is none).

    Args:
        units: hidden size.
        radius: window radius R (width 2R + 1), or None for all units of a gate (layer-norm LSTM).
        sigma: smoothing σ.
        center, scale: per-unit affine β / γ after each normalisation.

    Input shape per step: ``(batch, input_dim)``; states ``[h, c]``, each ``(batch, units)``; output ``h``.

    Example::

        outputs = keras.layers.RNN(zoo.layers.DNLSTMCell(200, radius=15), return_sequences=True)(embedded)

    Reference: Ren et al. Normalizing the Normalizers. ICLR 2017, arXiv:1611.04520, §3 (RNN form).
    """

    def __init__(self, units, radius=None, sigma=1.0, center=True, scale=True, **kwargs):
        super().__init__(units, radius, sigma, center, scale, **kwargs)
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], 4 * self.units),
                                      initializer="glorot_uniform")
        self.recurrent_kernel = self.add_weight(name="recurrent_kernel", shape=(self.units, 4 * self.units),
                                                initializer="orthogonal")
        self.bias = self.add_weight(name="bias", shape=(4 * self.units,), initializer="zeros")
        # Rows i, f, g, o. The forget-gate bias of 1 lives in β: a bias before the normaliser is centred away.
        forget_bias = keras.initializers.Constant([[0.0] * self.units, [1.0] * self.units, [0.0] * self.units,
                                                   [0.0] * self.units])
        self.gate_gamma, self.gate_beta = self._affine_weights("gate_norm", (4, self.units), forget_bias)
        self.state_gamma, self.state_beta = self._affine_weights("state_norm", (self.units,))

    def call(self, inputs, states, training=None):
        hidden, cell = states
        summed = tf.matmul(inputs, self.kernel) + tf.matmul(hidden, self.recurrent_kernel) + self.bias
        gates = self._normalize(tf.reshape(summed, (-1, 4, self.units)), self.gate_gamma, self.gate_beta)
        input_gate, forget_gate, candidate, output_gate = tf.unstack(gates, axis=1)
        cell = tf.sigmoid(forget_gate) * cell + tf.sigmoid(input_gate) * tf.tanh(candidate)
        hidden = tf.sigmoid(output_gate) * tf.tanh(self._normalize(cell, self.state_gamma, self.state_beta))
        return hidden, [hidden, cell]
