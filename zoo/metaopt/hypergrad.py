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
import numpy as np
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

    def fresh_parameters(self):
        """A new draw of the model's initial parameters (from its initialisers and Keras' global seed)."""
        return [tf.convert_to_tensor(v.value) for v in keras.models.clone_model(self.model).trainable_variables]

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
        # Hyper-parameters are float64; the model may be float32.
        accumulators = [tf.cast(momentum, a.dtype) * a + tf.cast(g, a.dtype) for a, g in zip(accumulators, gradients)]
        parameters = [p - tf.cast(lr, p.dtype) * a for p, a in zip(parameters, accumulators)]
        return parameters, accumulators, loss

    def train(self, parameters, accumulators, hyper, data, indices, start_step=0, verbose=False):
        """Plain (non-differentiated) training, step ``t`` on the examples ``indices[t]`` of ``data``;
        returns ``(parameters, accumulators, losses)``."""
        data, indices = check_batches(data, indices)
        losses = []
        progress = keras.utils.Progbar(len(indices)) if verbose else None
        for t in range(len(indices)):
            parameters, accumulators, loss = _train_step(self, parameters, accumulators, hyper,
                                                         tf.constant(start_step + t), *_batch(data, indices[t]))
            losses.append(float(loss))
            if progress is not None:
                progress.update(t + 1, [("loss", losses[-1])])
        return parameters, accumulators, losses


def zero_accumulators(parameters):
    """Momentum accumulators at the start of training."""
    return [tf.zeros_like(p) for p in parameters]


def reverse_hypergradient(trainer, hyper, parameters, accumulators, data, indices, meta_indices, start_step=0):
    """``(L_meta(θ_T), dL_meta/dλ)`` by back-propagation through ``T`` unrolled steps.

    Args:
        trainer: an :class:`UnrolledTraining`.
        hyper: ``λ``, a float tensor of the schedule's hyper-parameters.
        parameters, accumulators: training state at ``start_step``.
        data: ``(x, y)``, the examples the batches are drawn from.
        indices: ``(T, batch)`` integer indices into ``data``: the batch of each unrolled step.
        meta_indices: the examples on which the loss after the unroll is measured.
        start_step: global step of the first unrolled step (the schedule depends on it).
    """
    data, indices = check_batches(data, indices)
    hyper = tf.convert_to_tensor(hyper)
    return _reverse(trainer, hyper, parameters, accumulators, data, indices, _batch(data, meta_indices),
                    tf.constant(start_step))


@tf.function(reduce_retracing=True)
def _reverse(trainer, hyper, parameters, accumulators, data, indices, meta_batch, start_step):
    with tf.GradientTape() as tape:
        tape.watch(hyper)
        for t in tf.range(tf.shape(indices)[0]):
            parameters, accumulators, _ = trainer.step(parameters, accumulators, hyper, start_step + t,
                                                       *_batch(data, indices[t]))
        meta_loss = trainer.loss(parameters, *meta_batch)
    return meta_loss, tape.gradient(meta_loss, hyper)


def forward_hypergradient(trainer, hyper, parameters, accumulators, data, indices, meta_indices, start_step=0,
                          verbose=False):
    """``(L_meta(θ_T), dL_meta/dλ)`` by forward-mode differentiation of the unroll (memory independent of ``T``).

    Arguments as :func:`reverse_hypergradient`; ``verbose`` shows a progress bar over the ``T`` steps.
    Also returns the trained state: ``(meta_loss, hypergradient, parameters, accumulators)``.
    """
    data, indices = check_batches(data, indices)
    hyper = tf.convert_to_tensor(hyper)
    count = int(hyper.shape[0])
    directions = tf.eye(count, dtype=hyper.dtype)
    tangents = [(zero_accumulators(parameters), zero_accumulators(accumulators)) for _ in range(count)]
    progress = keras.utils.Progbar(len(indices)) if verbose else None
    for t in range(len(indices)):
        parameters, accumulators, tangents = _forward_step(trainer, hyper, directions, parameters, accumulators,
                                                           tangents, tf.constant(start_step + t),
                                                           *_batch(data, indices[t]))
        if progress is not None:
            progress.update(t + 1)
    with tf.GradientTape() as tape:
        tape.watch(parameters)
        meta_loss = trainer.loss(parameters, *_batch(data, meta_indices))
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


@tf.function(reduce_retracing=True)
def _train_step(trainer, parameters, accumulators, hyper, step, x, y):
    return trainer.step(parameters, accumulators, hyper, step, x, y)


def check_batches(data, indices):
    """Validate ``data = (x, y)`` and the per-step batch ``indices`` ``(T, batch)``; returns them as tensors."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError("data must be a pair (x, y) of examples and labels")
    x, y = (tf.convert_to_tensor(d) for d in data)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"data must hold as many labels as examples, got {x.shape[0]} and {y.shape[0]}")
    indices = tf.convert_to_tensor(indices)
    if indices.shape.rank != 2 or indices.shape[0] == 0 or not indices.dtype.is_integer:
        raise ValueError(f"indices must be integer (steps, batch) indices with at least one step, got shape "
                         f"{indices.shape} and dtype {indices.dtype.name}")
    if int(tf.reduce_min(indices)) < 0 or int(tf.reduce_max(indices)) >= x.shape[0]:
        raise ValueError(f"indices must lie in [0, {x.shape[0]}) (the number of examples in data)")
    return (x, y), indices


def _batch(data, indices):
    return tf.gather(data[0], indices), tf.gather(data[1], indices)


@dataclasses.dataclass
class MetaTrace:
    """History of a meta-optimisation: ``hyper`` after every meta-update and the meta losses."""

    hyper: list
    meta_losses: list
    training_losses: list = dataclasses.field(default_factory=list)


def meta_optimize_offline(trainer, hyper, data, horizon, meta_steps, batch_size=100, meta_batch_size=1000,
                          meta_lr=0.01, gradient_clip=10.0, mode="auto", reverse_max_horizon=100, seed=0,
                          verbose=False):
    """Offline stochastic meta-descent: tune ``λ`` so that training for ``horizon`` steps ends at a low loss.

    Every meta-step starts training from a fresh initialisation of the model (seeded by ``seed`` and the meta-step),
    draws ``horizon`` random batches and a meta batch of ``data``, computes the hypergradient of the meta-batch loss
    after the unroll, clips it to ±``gradient_clip`` and takes an Adam step on ``λ`` (the paper's offline
    meta-optimiser; its code's Momentum was a deviation).

    Args:
        trainer: an :class:`UnrolledTraining` (e.g. with :class:`InverseTimeDecay`).
        hyper: initial ``λ`` (log space).
        data: ``(x, y)`` training examples.
        horizon: unrolled steps ``T`` per meta-step.
        meta_steps: number of meta-updates.
        mode: ``"reverse"``, ``"forward"`` or ``"auto"`` (reverse up to ``reverse_max_horizon`` steps).
    """
    if mode not in ("auto", "reverse", "forward"):
        raise ValueError(f"mode must be 'auto', 'reverse' or 'forward', got {mode!r}")
    reverse = mode == "reverse" or (mode == "auto" and horizon <= reverse_max_horizon)
    count = int(tf.convert_to_tensor(data[0]).shape[0])
    hyper = tf.Variable(tf.convert_to_tensor(hyper, tf.float64))
    optimizer = keras.optimizers.Adam(meta_lr)
    trace = MetaTrace([hyper.numpy().copy()], [])
    progress = keras.utils.Progbar(meta_steps, stateful_metrics=["meta_loss", *trainer.schedule.names]) \
        if verbose else None
    for meta_step in range(meta_steps):
        rng = np.random.default_rng([seed, meta_step])
        keras.utils.set_random_seed(int(rng.integers(2 ** 31)))
        parameters = trainer.fresh_parameters()
        indices = rng.integers(0, count, (horizon, batch_size))
        meta_indices = rng.choice(count, min(meta_batch_size, count), replace=False)
        arguments = (trainer, hyper.value(), parameters, zero_accumulators(parameters), data, indices, meta_indices)
        if reverse:
            meta_loss, gradient = reverse_hypergradient(*arguments)
        else:
            meta_loss, gradient, _, _ = forward_hypergradient(*arguments)
        _meta_update(optimizer, hyper, gradient, gradient_clip)
        trace.hyper.append(hyper.numpy().copy())
        trace.meta_losses.append(float(meta_loss))
        if progress is not None:
            progress.update(meta_step + 1, [("meta_loss", float(meta_loss)),
                                            *zip(trainer.schedule.names, hyper.numpy())])
    return trace


def meta_optimize_online(trainer, hyper, data, indices, update_every=100, look_ahead=5, meta_updates=10,
                         meta_until=None, meta_lr=0.01, gradient_clip=10.0, lr_bounds=(1e-4, 10.0), verbose=False):
    """Online meta-optimisation of the learning rate and momentum while training on the batches ``indices``.

    Every ``update_every`` steps (until step ``meta_until``, default half of training, as the paper), take
    ``meta_updates`` Adam steps on ``λ``, each with the hypergradient of the loss on the next batch after a
    ``look_ahead``-step unroll from the current state (reverse mode), clipped to ±``gradient_clip``; the learning
    rate is then clipped to ``lr_bounds`` and the momentum to ``[0, 1)``. Training itself continues from the
    current state with the updated ``λ``.

    Args:
        trainer: an :class:`UnrolledTraining` with :class:`EffectiveLearningRate`.
        hyper: initial ``λ`` (e.g. ``EffectiveLearningRate.hyper(lr, momentum)``).
        data: ``(x, y)`` training examples; ``indices``: ``(steps, batch)`` batches of the whole run.

    Returns:
        ``(parameters, trace)``; the trace holds ``λ`` after every meta-update phase and the training losses.
    """
    if not isinstance(trainer.schedule, EffectiveLearningRate):
        raise ValueError("online meta-optimisation tunes a constant (lr, momentum): the trainer's schedule must be "
                         "EffectiveLearningRate")
    data, indices = check_batches(data, indices)
    steps = int(indices.shape[0])
    meta_until = steps // 2 if meta_until is None else meta_until
    hyper = tf.Variable(tf.convert_to_tensor(hyper, tf.float64))
    optimizer = keras.optimizers.Adam(meta_lr)
    parameters = trainer.initial_parameters()
    accumulators = zero_accumulators(parameters)
    trace = MetaTrace([hyper.numpy().copy()], [])
    progress = keras.utils.Progbar(steps, stateful_metrics=["loss", "lr", "momentum"]) if verbose else None
    for start in range(0, steps, update_every):
        if start < meta_until and start + look_ahead < steps:
            for _ in range(meta_updates):
                meta_loss, gradient = reverse_hypergradient(
                    trainer, hyper.value(), parameters, accumulators, data, indices[start:start + look_ahead],
                    indices[start + look_ahead], start_step=start)
                if _meta_update(optimizer, hyper, gradient, gradient_clip):
                    hyper.assign(_clip_effective(hyper.value(), lr_bounds))
                trace.meta_losses.append(float(meta_loss))
            trace.hyper.append(hyper.numpy().copy())
        end = min(start + update_every, steps)
        parameters, accumulators, losses = trainer.train(parameters, accumulators, hyper.value(), data,
                                                         indices[start:end], start_step=start)
        trace.training_losses.extend(losses)
        if progress is not None:
            lr, momentum = trainer.schedule(0, hyper.value())
            progress.update(end, [("loss", losses[-1]), ("lr", float(lr)), ("momentum", float(momentum))])
    return parameters, trace


def _meta_update(optimizer, hyper, gradient, gradient_clip):
    """One optimizer step on ``hyper`` with the gradient clipped to ±``gradient_clip``; a non-finite
    hypergradient (a diverged unroll) is skipped. Returns whether the step was taken."""
    if not bool(tf.reduce_all(tf.math.is_finite(gradient))):
        return False
    optimizer.apply_gradients([(tf.clip_by_value(gradient, -gradient_clip, gradient_clip), hyper)])
    return True


def _clip_effective(hyper, lr_bounds):
    """Clip ``λ = (log(α/(1−μ)), log(1−μ))`` so that ``μ ∈ [0, 1)`` and ``α`` lies in ``lr_bounds``."""
    log_one_minus_momentum = tf.minimum(hyper[1], 0.0)
    log_lr = tf.clip_by_value(hyper[0] + log_one_minus_momentum, *np.log(lr_bounds))
    return tf.stack([log_lr - log_one_minus_momentum, log_one_minus_momentum])
