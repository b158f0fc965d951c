"""The noisy quadratic model (NQM) of the short-horizon-bias paper, with exact dynamics and optimal schedules.

The per-step loss is ``L(θ) = ½ Σ_i h_i (θ_i − c_i)²`` with ``c_i ~ N(0, σ_i²)`` drawn afresh every step, so a
stochastic gradient is ``h_i (θ_i − c_i)``: the true gradient plus noise of variance ``h_i² σ_i²``. Starting from a
Gaussian ``θ``, SGD and momentum keep it Gaussian with a diagonal (per-coordinate) covariance, so the mean and
variance evolve deterministically and the expected loss ``E[L] = ½ Σ_i h_i (E[θ_i]² + V[θ_i] + σ_i²)`` is an exact,
differentiable function of the learning-rate (and momentum) schedule. That makes both the greedy (one-step)
optimal learning rate and the optimal schedule for a horizon of ``T`` steps computable without sampling.

Everything runs in float64 TensorFlow; schedules are 1-D arrays, one entry per step.
"""
import dataclasses

import keras
import numpy as np
import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class NoisyQuadratic:
    """A noisy quadratic problem: curvatures ``h``, target variances ``σ²`` and the initial Gaussian ``θ``.

    Attributes:
        curvatures: ``h_i > 0``, shape ``(d,)``.
        noise_variances: ``σ_i² ≥ 0`` of the moving optimum ``c_i``, shape ``(d,)``.
        initial_mean: ``E[θ_i]`` at step 0, shape ``(d,)``.
        initial_variance: ``V[θ_i]`` at step 0, shape ``(d,)``.
    """

    curvatures: np.ndarray
    noise_variances: np.ndarray
    initial_mean: np.ndarray
    initial_variance: np.ndarray

    def __post_init__(self):
        arrays = {}
        for field in dataclasses.fields(self):
            value = np.atleast_1d(np.asarray(getattr(self, field.name), dtype=np.float64))
            if value.ndim != 1:
                raise ValueError(f"{field.name} must be a 1-D array (one entry per coordinate), got shape "
                                 f"{value.shape}")
            arrays[field.name] = value
        dims = {name: value.shape[0] for name, value in arrays.items()}
        if len(set(dims.values())) != 1:
            raise ValueError(f"curvatures, noise_variances, initial_mean and initial_variance must have the same "
                             f"length, got {dims}")
        if not np.all(arrays["curvatures"] > 0):
            raise ValueError("curvatures must be positive")
        for name in ("noise_variances", "initial_variance"):
            if not np.all(arrays[name] >= 0):
                raise ValueError(f"{name} must be non-negative")
        for name, value in arrays.items():
            object.__setattr__(self, name, value)

    @classmethod
    def ill_conditioned(cls, dim=1000, curvature_power=1.0, gradient_noise=1.0, initial_loss=1.0):
        """The default problem: ``h_i = i^(−p)`` and gradient-noise variance ``h_i² σ_i²`` proportional to ``h_i``.

        Args:
            dim: number of coordinates ``d``.
            curvature_power: ``p`` (condition number ``d^p``).
            gradient_noise: ``s`` in gradient-noise variance ``s · h_i``, i.e. ``σ_i² = s / h_i``.
            initial_loss: each coordinate starts with excess loss ``½ h_i E[θ_i]²`` equal to this value
                (``E[θ_i] = sqrt(2 · initial_loss / h_i)``, ``V[θ_i] = 0``), so that low-curvature
                directions matter as much as high-curvature ones at the start.
        """
        for name, value in (("dim", dim), ("curvature_power", curvature_power), ("gradient_noise", gradient_noise),
                            ("initial_loss", initial_loss)):
            if value < 0 or (name == "dim" and (value < 1 or int(value) != value)):
                raise ValueError(f"{name} must be {'a positive integer' if name == 'dim' else 'non-negative'}, "
                                 f"got {value}")
        curvatures = np.arange(1, dim + 1, dtype=np.float64) ** -curvature_power
        return cls(curvatures, gradient_noise / curvatures, np.sqrt(2 * initial_loss / curvatures), np.zeros(dim))

    @property
    def dim(self):
        """Number of coordinates."""
        return self.curvatures.shape[0]

    @property
    def irreducible_loss(self):
        """``½ Σ h_i σ_i²``: the expected loss at the optimum (the part no schedule can remove)."""
        return 0.5 * float(np.sum(self.curvatures * self.noise_variances))


# ---------------------------------------------------------------------------------------------------------------
# Exact one-step dynamics. States are tuples of float64 tensors of shape (d,).


def sgd_step(problem, state, lr):
    """Mean and variance of ``θ`` after one SGD step ``θ ← θ − α h (θ − c)``; ``state = (mean, variance)``."""
    mean, variance = state
    h, noise = _constants(problem)
    contraction = 1.0 - lr * h
    return contraction * mean, contraction ** 2 * variance + (lr * h) ** 2 * noise


def momentum_step(problem, state, lr, momentum):
    """One heavy-ball step ``v ← μ v − α g``, ``θ ← θ + v`` on the per-coordinate 2×2 Gaussian of ``(θ, v)``.

    ``state = (mean_θ, mean_v, cov_θθ, cov_θv, cov_vv)``. Per coordinate the state moves by
    ``A = [[1 − αh, μ], [−αh, μ]]`` plus noise ``αh c`` entering both entries, so
    ``m ← A m`` and ``Σ ← A Σ Aᵀ + α² h² σ² 11ᵀ``.
    """
    mean_theta, mean_v, cov_tt, cov_tv, cov_vv = state
    h, noise = _constants(problem)
    a, b = 1.0 - lr * h, -lr * h
    mu = momentum
    injected = (lr * h) ** 2 * noise
    return (a * mean_theta + mu * mean_v,
            b * mean_theta + mu * mean_v,
            a * a * cov_tt + 2 * a * mu * cov_tv + mu * mu * cov_vv + injected,
            a * b * cov_tt + (a + b) * mu * cov_tv + mu * mu * cov_vv + injected,
            b * b * cov_tt + 2 * b * mu * cov_tv + mu * mu * cov_vv + injected)


def initial_sgd_state(problem):
    """``(mean, variance)`` of ``θ`` at step 0."""
    return tf.constant(problem.initial_mean), tf.constant(problem.initial_variance)


def initial_momentum_state(problem):
    """``(mean_θ, mean_v, cov_θθ, cov_θv, cov_vv)`` at step 0 (velocity zero)."""
    zeros = tf.zeros([problem.dim], tf.float64)
    return tf.constant(problem.initial_mean), zeros, tf.constant(problem.initial_variance), zeros, zeros


def expected_loss(problem, mean, variance, excess=False):
    """``E[L] = ½ Σ h (E[θ]² + V[θ] + σ²)``; with ``excess=True`` the irreducible ``½ Σ h σ²`` is left out."""
    h, noise = _constants(problem)
    total = mean ** 2 + variance + (0.0 if excess else noise)
    return 0.5 * tf.reduce_sum(h * total, axis=-1)


# ---------------------------------------------------------------------------------------------------------------
# Whole schedules.


def sgd_losses(problem, lrs, excess=False):
    """Expected loss after each of the steps of the SGD schedule ``lrs`` (shape ``(T,)``), step 0 included:
    a ``(T + 1,)`` tensor. Differentiable with respect to ``lrs``."""
    lrs = _schedule("lrs", lrs)
    mean0, variance0 = initial_sgd_state(problem)
    means, variances = tf.scan(lambda state, lr: sgd_step(problem, state, lr), lrs, (mean0, variance0))
    losses = expected_loss(problem, means, variances, excess)
    return tf.concat([expected_loss(problem, mean0, variance0, excess)[None], losses], 0)


def momentum_losses(problem, lrs, momenta, excess=False):
    """Expected loss after each step of the momentum schedule ``(lrs, momenta)``, step 0 included."""
    lrs, momenta = _schedule("lrs", lrs), _schedule("momenta", momenta)
    if lrs.shape != momenta.shape:
        raise ValueError(f"lrs and momenta must have the same length, got {lrs.shape[0]} and {momenta.shape[0]}")
    state0 = initial_momentum_state(problem)
    states = tf.scan(lambda state, hyper: momentum_step(problem, state, hyper[0], hyper[1]), (lrs, momenta), state0)
    losses = expected_loss(problem, states[0], states[2], excess)
    return tf.concat([expected_loss(problem, state0[0], state0[2], excess)[None], losses], 0)


def greedy_lr(problem, mean, variance):
    """The learning rate that minimises the expected loss one SGD step ahead (closed form):

    ``α* = Σ h² (E[θ]² + V[θ]) / Σ h³ (E[θ]² + V[θ] + σ²)``.
    """
    h, noise = _constants(problem)
    second_moment = mean ** 2 + variance
    return tf.reduce_sum(h ** 2 * second_moment) / tf.reduce_sum(h ** 3 * (second_moment + noise))


def greedy_schedule(problem, horizon, stable=True):
    """The greedy SGD schedule: at every step the one-step-optimal learning rate of the current state.

    With ``stable`` the rate is clipped to :func:`stable_lr_limit` (the one-step loss is a convex quadratic in
    ``α``, so the clipped rate is the best stable one), the range :func:`optimal_schedule` searches.
    """
    _check_horizon(horizon)
    state = initial_sgd_state(problem)
    limit = stable_lr_limit(problem) if stable else np.inf
    lrs = []
    for _ in range(horizon):
        lr = tf.minimum(greedy_lr(problem, *state), limit)
        lrs.append(lr)
        state = sgd_step(problem, state, lr)
    return tf.stack(lrs).numpy()


@dataclasses.dataclass
class OptimizedSchedule:
    """Result of :func:`optimal_schedule`: the schedules and the optimisation history of ``log E[L_T]``."""

    lrs: np.ndarray
    momenta: np.ndarray | None
    final_loss: float
    history: np.ndarray


def stable_lr_limit(problem, momentum=0.0):
    """The largest learning rate at which no coordinate's mean grows: ``α h_max < 2 (1 + μ)``."""
    return 2.0 * (1.0 + momentum) / float(np.max(problem.curvatures))


def optimal_schedule(problem, horizon, momentum=False, initial_lrs=None, initial_momentum=0.5, steps=2000,
                     meta_lr=0.03, verbose=False):
    """The schedule that minimises the expected loss after ``horizon`` steps, by Adam on the unrolled loss.

    The learning rates are searched inside the stable range, ``α_t = 2 (1 + μ_t) / h_max · sigmoid(a_t)``
    (``μ_t = sigmoid(b_t)`` with momentum), and Adam descends ``log E[L_T]``, which is scale-free. The range
    matters: the exact expected loss otherwise rewards schedules that first blow up the stiff coordinates by
    orders of magnitude and later cancel them exactly (a polynomial that vanishes at the curvatures), which
    overflows and which no real optimiser could use.

    Args:
        problem: a :class:`NoisyQuadratic`.
        horizon: ``T``, the number of steps.
        momentum: also optimise a momentum schedule ``μ_t`` (heavy ball).
        initial_lrs: starting learning rates (default: the greedy schedule, clipped to the stable range, scaled
            by ``1 − μ₀`` with momentum so the effective learning rate starts the same).
        initial_momentum: ``μ₀`` of every step when ``momentum`` is set.
        steps: Adam steps.
        meta_lr: Adam step size on the unconstrained parameters.
        verbose: show a progress bar.
    """
    _check_horizon(horizon)
    if not 0 < initial_momentum < 1:
        raise ValueError(f"initial_momentum must be in (0, 1), got {initial_momentum}")
    mu0 = initial_momentum if momentum else 0.0
    limit0 = stable_lr_limit(problem, mu0)
    if initial_lrs is None:
        initial_lrs = greedy_schedule(problem, horizon) * (1 - mu0)
    initial_lrs = np.asarray(initial_lrs, np.float64)
    if initial_lrs.shape != (horizon,) or not np.all(initial_lrs > 0):
        raise ValueError(f"initial_lrs must be {horizon} positive learning rates, got shape {initial_lrs.shape}")
    fraction = np.clip(initial_lrs / limit0, 1e-12, 0.999)
    lr_logits = tf.Variable(np.log(fraction / (1 - fraction)))
    momentum_logits = tf.Variable(np.full(horizon, np.log(mu0 / (1 - mu0)))) if momentum else None
    variables = [lr_logits] + ([momentum_logits] if momentum else [])
    max_curvature = float(np.max(problem.curvatures))

    def schedules():
        momenta = tf.sigmoid(momentum_logits) if momentum else tf.zeros([horizon], tf.float64)
        return 2.0 * (1.0 + momenta) / max_curvature * tf.sigmoid(lr_logits), momenta

    def final_log_loss():
        lrs, momenta = schedules()
        losses = momentum_losses(problem, lrs, momenta) if momentum else sgd_losses(problem, lrs)
        return tf.math.log(losses[-1])

    optimizer = keras.optimizers.Adam(meta_lr)

    @tf.function
    def meta_step():
        with tf.GradientTape() as tape:
            loss = final_log_loss()
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    progress = keras.utils.Progbar(steps, stateful_metrics=["log_loss"]) if verbose else None
    history = []
    for step in range(steps):
        history.append(float(meta_step()))
        if progress is not None:
            progress.update(step + 1, [("log_loss", history[-1])])
    lrs, momenta = schedules()
    return OptimizedSchedule(lrs.numpy(), momenta.numpy() if momentum else None, float(tf.exp(final_log_loss())),
                             np.array(history))


def _constants(problem):
    return tf.constant(problem.curvatures), tf.constant(problem.noise_variances)


def _schedule(name, values):
    values = tf.convert_to_tensor(values, tf.float64)
    if values.shape.rank != 1 or values.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty 1-D schedule (one value per step), got shape {values.shape}")
    return values


def _check_horizon(horizon):
    if int(horizon) != horizon or horizon < 1:
        raise ValueError(f"horizon must be a positive integer number of steps, got {horizon}")
