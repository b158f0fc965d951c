"""Hypergradients of learning-rate hyper-parameters through unrolled training of a Keras model.

Training is momentum SGD in the form of TF1's ``MomentumOptimizer`` that the paper's code meta-optimises
(``a ← μ a + g``, ``θ ← θ − α_t a``), written as a pure function of the parameters so that the loss after ``T``
steps can be differentiated with respect to the hyper-parameters ``λ`` that set ``α_t`` and ``μ``:

* reverse mode (:func:`reverse_hypergradient`) back-propagates through the whole unroll: exact and cheap for
  short horizons, but its memory grows with ``T``;
* forward mode (:func:`forward_hypergradient`) carries ``dθ/dλ`` and ``da/dλ`` along with training, one
  ``tf.autodiff.ForwardAccumulator`` per hyper-parameter (forward-over-reverse through the gradient), so its
  memory does not depend on ``T``.

Hyper-parameters live in log space; :class:`InverseTimeDecay` (offline: ``α_t = α₀ (1 + t/K)^(−β)``) and
:class:`EffectiveLearningRate` (online: effective rate ``α / (1 − μ)`` and ``1 − μ``) map ``λ`` to ``(α_t, μ)``.
"""
import dataclasses

import keras
import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class InverseTimeDecay:
    """``α_t = α₀ (1 + t / K)^(−β)`` with fixed momentum; ``λ = (log α₀, log β)`` (the paper's offline search)."""

    decay_steps: float = 5000.0
    momentum: float = 0.9
    names = ("log_lr", "log_decay")

    def __call__(self, step, hyper):
        """``(α_t, μ)`` at ``step`` for hyper-parameters ``hyper``."""
        step = tf.cast(step, hyper.dtype)
        return tf.exp(hyper[0]) * (1.0 + step / self.decay_steps) ** (-tf.exp(hyper[1])), \
            tf.constant(self.momentum, hyper.dtype)

    @staticmethod
    def hyper(lr, decay):
        """``λ`` for initial learning rate ``lr`` and decay exponent ``decay``."""
        return tf.math.log(tf.constant([lr, decay], tf.float64))


@dataclasses.dataclass(frozen=True)
class EffectiveLearningRate:
    """Constant ``(α, μ)`` parameterised as ``λ = (log(α / (1 − μ)), log(1 − μ))`` (the paper's online runs)."""

    names = ("log_effective_lr", "log_one_minus_momentum")

    def __call__(self, step, hyper):
        """``(α, μ)`` (independent of ``step``)."""
        del step
        one_minus_momentum = tf.exp(hyper[1])
        return tf.exp(hyper[0]) * one_minus_momentum, 1.0 - one_minus_momentum

    @staticmethod
    def hyper(lr, momentum):
        """``λ`` for learning rate ``lr`` and momentum ``momentum``."""
        return tf.math.log(tf.constant([lr / (1.0 - momentum), 1.0 - momentum], tf.float64))


class UnrolledTraining:
    """Momentum SGD on a Keras classifier (inputs → logits) as a pure function of its parameters.

    Args:
        model: a built Keras model without non-trainable state (no batch norm): the unroll passes parameters
            explicitly through ``model.stateless_call``.
        schedule: maps ``(step, λ)`` to ``(α_t, μ)``, e.g. :class:`InverseTimeDecay`.
    """

    def __init__(self, model, schedule):
        if not model.built:
            raise ValueError("model must be built (call it on an input or give it an Input layer)")
        if model.non_trainable_variables:
            raise ValueError(f"model has non-trainable state ({[v.path for v in model.non_trainable_variables]}); "
                             "unrolled training needs a model whose forward pass depends only on its trainable "
                             "parameters (e.g. no batch norm)")
        self.model = model
        self.schedule = schedule

    def initial_parameters(self):
        """The model's current parameter values as a list of tensors."""
        return [tf.convert_to_tensor(v.value) for v in self.model.trainable_variables]

    def loss(self, parameters, x, y):
        """Mean softmax cross-entropy of the model with ``parameters`` on ``(x, y)``."""
        logits, _ = self.model.stateless_call(parameters, [], x, training=True)
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(y, tf.int32),
                                                                             logits=logits))

    def step(self, parameters, accumulators, hyper, step, x, y):
        """One training step; returns ``(parameters, accumulators, batch loss)``."""
        with tf.GradientTape() as tape:
            tape.watch(parameters)
            loss = self.loss(parameters, x, y)
        gradients = tape.gradient(loss, parameters)
        lr, momentum = self.schedule(step, hyper)
        accumulators = [momentum * a + tf.cast(g, a.dtype) for a, g in zip(accumulators, gradients)]
        parameters = [p - tf.cast(lr, p.dtype) * a for p, a in zip(parameters, accumulators)]
        return parameters, accumulators, loss

    def train(self, parameters, accumulators, hyper, batches, start_step=0, verbose=False):
        """Plain (non-differentiated) training on ``batches = (xs, ys)`` of shape ``(T, batch, ...)``;
        returns ``(parameters, accumulators, losses)``."""
        xs, ys = _check_batches(batches)
        step_fn = tf.function(self.step)
        losses = []
        progress = keras.utils.Progbar(len(xs)) if verbose else None
        for t in range(len(xs)):
            parameters, accumulators, loss = step_fn(parameters, accumulators, hyper, start_step + t, xs[t], ys[t])
            losses.append(float(loss))
            if progress is not None:
                progress.update(t + 1, [("loss", losses[-1])])
        return parameters, accumulators, losses


def zero_accumulators(parameters):
    """Momentum accumulators at the start of training."""
    return [tf.zeros_like(p) for p in parameters]


def reverse_hypergradient(trainer, hyper, parameters, accumulators, batches, meta_batch, start_step=0):
    """``(L_meta(θ_T), dL_meta/dλ)`` by back-propagation through ``T`` unrolled steps.

    Args:
        trainer: an :class:`UnrolledTraining`.
        hyper: ``λ``, a float tensor of the schedule's hyper-parameters.
        parameters, accumulators: training state at ``start_step``.
        batches: ``(xs, ys)`` with leading dimension ``T`` (one batch per step).
        meta_batch: ``(x, y)`` on which the loss after the unroll is measured.
        start_step: global step of the first unrolled step (the schedule depends on it).
    """
    xs, ys = _check_batches(batches)
    hyper = tf.convert_to_tensor(hyper)
    return _reverse(trainer, hyper, parameters, accumulators, xs, ys, meta_batch, tf.constant(start_step))


@tf.function(reduce_retracing=True)
def _reverse(trainer, hyper, parameters, accumulators, xs, ys, meta_batch, start_step):
    with tf.GradientTape() as tape:
        tape.watch(hyper)
        for t in tf.range(tf.shape(xs)[0]):
            parameters, accumulators, _ = trainer.step(parameters, accumulators, hyper, start_step + t, xs[t], ys[t])
        meta_loss = trainer.loss(parameters, *meta_batch)
    return meta_loss, tape.gradient(meta_loss, hyper)


def forward_hypergradient(trainer, hyper, parameters, accumulators, batches, meta_batch, start_step=0,
                          verbose=False):
    """``(L_meta(θ_T), dL_meta/dλ)`` by forward-mode differentiation of the unroll (memory independent of ``T``).

    Arguments as :func:`reverse_hypergradient`; ``verbose`` shows a progress bar over the ``T`` steps.
    Also returns the trained state: ``(meta_loss, hypergradient, parameters, accumulators)``.
    """
    xs, ys = _check_batches(batches)
    hyper = tf.convert_to_tensor(hyper)
    count = int(hyper.shape[0])
    directions = tf.eye(count, dtype=hyper.dtype)
    tangents = [(zero_accumulators(parameters), zero_accumulators(accumulators)) for _ in range(count)]
    progress = keras.utils.Progbar(len(xs)) if verbose else None
    for t in range(len(xs)):
        parameters, accumulators, tangents = _forward_step(trainer, hyper, directions, parameters, accumulators,
                                                           tangents, tf.constant(start_step + t), xs[t], ys[t])
        if progress is not None:
            progress.update(t + 1)
    with tf.GradientTape() as tape:
        tape.watch(parameters)
        meta_loss = trainer.loss(parameters, *meta_batch)
    meta_gradient = tape.gradient(meta_loss, parameters)
    hypergradient = tf.stack([tf.add_n([tf.reduce_sum(tf.cast(g, d.dtype) * d) for g, d in zip(meta_gradient, dp)])
                              for dp, _ in tangents])
    return meta_loss, hypergradient, parameters, accumulators


@tf.function(reduce_retracing=True)
def _forward_step(trainer, hyper, directions, parameters, accumulators, tangents, step, x, y):
    """One step of training and of the tangents ``(dθ/dλ_j, da/dλ_j)`` for every hyper-parameter ``j``."""
    new_tangents = []
    for j, (d_parameters, d_accumulators) in enumerate(tangents):
        with tf.autodiff.ForwardAccumulator(primals=[parameters, accumulators, hyper],
                                            tangents=[d_parameters, d_accumulators, directions[j]]) as accumulator:
            new_parameters, new_accumulators, _ = trainer.step(parameters, accumulators, hyper, step, x, y)
        zero = tf.UnconnectedGradients.ZERO
        new_tangents.append(([accumulator.jvp(p, unconnected_gradients=zero) for p in new_parameters],
                             [accumulator.jvp(a, unconnected_gradients=zero) for a in new_accumulators]))
    return new_parameters, new_accumulators, new_tangents


def _check_batches(batches):
    if not isinstance(batches, (tuple, list)) or len(batches) != 2:
        raise ValueError("batches must be a pair (xs, ys) with one batch per step along the first axis")
    xs, ys = (tf.convert_to_tensor(b) for b in batches)
    if xs.shape[0] != ys.shape[0] or xs.shape[0] in (None, 0):
        raise ValueError(f"batches must hold the same positive number of steps in xs and ys, got {xs.shape[0]} "
                         f"and {ys.shape[0]}")
    return xs, ys
