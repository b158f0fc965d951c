"""The NQM's exact dynamics against Monte-Carlo simulation, and its greedy and long-horizon schedules."""
import numpy as np
import pytest
import scipy.optimize

from zoo.metaopt import nqm

SAMPLES = 20_000


def small_problem(dim=4):
    return nqm.NoisyQuadratic(curvatures=np.geomspace(1.0, 0.05, dim), noise_variances=np.linspace(0.5, 2.0, dim),
                              initial_mean=np.linspace(1.0, -2.0, dim), initial_variance=np.full(dim, 0.3))


def simulate(problem, lrs, momenta=None, seed=0):
    """Sample SGD / heavy-ball trajectories of the stochastic recursion itself (numpy)."""
    rng = np.random.default_rng(seed)
    h, sigma = problem.curvatures, np.sqrt(problem.noise_variances)
    theta = problem.initial_mean + np.sqrt(problem.initial_variance) * rng.standard_normal((SAMPLES, problem.dim))
    velocity = np.zeros_like(theta)
    for step, lr in enumerate(lrs):
        gradient = h * (theta - sigma * rng.standard_normal(theta.shape))
        velocity = (0.0 if momenta is None else momenta[step]) * velocity - lr * gradient
        theta = theta + velocity
    return theta, velocity


def assert_within_standard_errors(samples, mean, variance):
    """Sample mean and variance agree with the analytic ones to 3 standard errors (Gaussian samples)."""
    n = len(samples)
    np.testing.assert_array_less(np.abs(samples.mean(0) - mean), 3 * np.sqrt(variance / n))
    np.testing.assert_array_less(np.abs(samples.var(0, ddof=1) - variance), 3 * variance * np.sqrt(2 / (n - 1)))


def test_sgd_mean_and_variance_match_monte_carlo():
    problem, lrs = small_problem(), np.array([0.5, 1.2, 0.3, 0.8, 0.1, 1.9])
    state = nqm.initial_sgd_state(problem)
    for lr in lrs:
        state = nqm.sgd_step(problem, state, lr)
    theta, _ = simulate(problem, lrs)
    assert_within_standard_errors(theta, state[0].numpy(), state[1].numpy())
    sampled_loss = 0.5 * np.sum(problem.curvatures * (theta - np.sqrt(problem.noise_variances)
                                                      * np.random.default_rng(1).standard_normal(theta.shape)) ** 2, 1)
    assert nqm.sgd_losses(problem, lrs)[-1].numpy() == pytest.approx(sampled_loss.mean(),
                                                                     abs=3 * sampled_loss.std() / np.sqrt(SAMPLES))


def test_momentum_mean_and_covariance_match_monte_carlo():
    problem = small_problem()
    lrs, momenta = np.array([0.4, 0.9, 0.2, 0.6, 0.5]), np.array([0.9, 0.5, 0.7, 0.95, 0.3])
    state = nqm.initial_momentum_state(problem)
    for lr, mu in zip(lrs, momenta):
        state = nqm.momentum_step(problem, state, lr, mu)
    mean_theta, mean_v, cov_tt, cov_tv, cov_vv = (s.numpy() for s in state)
    theta, velocity = simulate(problem, lrs, momenta)
    assert_within_standard_errors(theta, mean_theta, cov_tt)
    assert_within_standard_errors(velocity, mean_v, cov_vv)
    sample_cov = ((theta - theta.mean(0)) * (velocity - velocity.mean(0))).sum(0) / (SAMPLES - 1)
    # Standard error of a Gaussian sample covariance: sqrt((Σ_tt Σ_vv + Σ_tv²) / n).
    np.testing.assert_array_less(np.abs(sample_cov - cov_tv), 3 * np.sqrt((cov_tt * cov_vv + cov_tv ** 2) / SAMPLES))


def test_momentum_zero_is_sgd():
    problem, lrs = small_problem(), np.array([0.5, 1.0, 0.2])
    np.testing.assert_allclose(nqm.momentum_losses(problem, lrs, np.zeros(3)), nqm.sgd_losses(problem, lrs),
                               rtol=1e-12)


def test_greedy_lr_is_the_numeric_minimiser_of_the_one_step_expected_loss():
    problem = small_problem(dim=6)
    state = nqm.sgd_step(problem, nqm.initial_sgd_state(problem), 0.7)
    closed_form = float(nqm.greedy_lr(problem, *state))
    numeric = scipy.optimize.minimize_scalar(
        lambda lr: float(nqm.expected_loss(problem, *nqm.sgd_step(problem, state, lr))), bounds=(0, 50),
        method="bounded", options={"xatol": 1e-10})
    assert closed_form == pytest.approx(numeric.x, rel=1e-6)


def test_long_horizon_schedule_beats_greedy_on_an_ill_conditioned_noisy_problem():
    problem = nqm.NoisyQuadratic.ill_conditioned(dim=50, gradient_noise=1.0)
    horizon = 40
    greedy = nqm.greedy_schedule(problem, horizon)
    greedy_loss = float(nqm.sgd_losses(problem, greedy, excess=True)[-1])
    optimized = nqm.optimal_schedule(problem, horizon, steps=300)
    optimized_loss = optimized.final_loss - problem.irreducible_loss
    assert optimized_loss < 0.9 * greedy_loss
    # Greedy decays sooner: the long-horizon schedule keeps larger steps for most of the run, then anneals.
    assert np.median(optimized.lrs[: horizon * 3 // 4] / greedy[: horizon * 3 // 4]) > 1


def test_long_horizon_schedule_matches_greedy_in_one_dimension():
    problem = nqm.NoisyQuadratic(curvatures=[0.5], noise_variances=[0.2], initial_mean=[3.0], initial_variance=[0.0])
    horizon = 15
    greedy = nqm.greedy_schedule(problem, horizon)
    optimized = nqm.optimal_schedule(problem, horizon, initial_lrs=np.full(horizon, 0.3), steps=1500, meta_lr=0.05)
    assert optimized.final_loss == pytest.approx(float(nqm.sgd_losses(problem, greedy)[-1]), rel=1e-4)
    assert optimized.final_loss >= float(nqm.sgd_losses(problem, greedy)[-1]) * (1 - 1e-9)


def test_optimal_momentum_schedule_improves_on_its_start():
    problem = nqm.NoisyQuadratic.ill_conditioned(dim=20)
    result = nqm.optimal_schedule(problem, 20, momentum=True, steps=100)
    assert result.momenta.shape == (20,) and np.all((result.momenta > 0) & (result.momenta < 1))
    assert result.history[-1] < result.history[0]


def test_clear_errors():
    with pytest.raises(ValueError, match="same length"):
        nqm.NoisyQuadratic([1.0, 2.0], [1.0], [0.0, 0.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="curvatures must be positive"):
        nqm.NoisyQuadratic([0.0], [1.0], [0.0], [0.0])
    with pytest.raises(ValueError, match="lrs must be a non-empty 1-D"):
        nqm.sgd_losses(small_problem(), [[0.1]])
    with pytest.raises(ValueError, match="horizon must be a positive integer"):
        nqm.greedy_schedule(small_problem(), 0)
    with pytest.raises(ValueError, match="lrs and momenta must have the same length"):
        nqm.momentum_losses(small_problem(), [0.1, 0.2], [0.5])
