"""The short-horizon-bias experiments (``tools/metaopt/short_horizon.py``): (a) greedy against long-horizon optimal
schedules on the noisy quadratic model, (b) offline meta-optimisation of a decaying learning rate for several
horizons against a grid search of full runs, (c) online meta-optimisation against a hand-tuned schedule, and the
tables and settings their recorded results hold. Finished pieces of (b) and (c) are cached as JSON and reused."""
import dataclasses
import json
import pathlib
import time

import keras
import numpy as np
import tensorflow as tf

from zoo import registry, reporting
from zoo.data import datasets, load_fashion_mnist, preprocessing
from zoo.metaopt import data_parallel, hypergrad, nqm

DECAY_STEPS = 5000.0
"""K of the offline schedule ``α_t = α₀ (1 + t / K)^(−β)`` (the paper's code)."""

MOMENTUM = 0.9
"""Momentum of the offline schedule."""

HAND_TUNED_FINAL_LR = 1e-4
"""The learning rate the hand-tuned schedule drops to at the midpoint (the paper's MNIST baseline)."""

ONLINE_NAME, HAND_TUNED_NAME = "online meta-optimisation", "hand-tuned"

RECORD = {**preprocessing.FASHION_MNIST, "pad_to": None}
"""Preprocessing of the MLP's inputs: the 28×28 images, standardised."""


@dataclasses.dataclass
class Config:
    """Every setting of the three experiments (the tool's flags)."""

    nqm_dim: int = 1000
    nqm_curvature_power: float = 1.0
    nqm_gradient_noise: float = 1.0
    nqm_horizon: int = 1000
    nqm_meta_steps: int = 1000
    horizons: tuple = (100, 1000, 5000)
    meta_steps: tuple = (200, 60, 20)
    offline_meta_lr: float = 0.05
    offline_initial_lr: float = 0.1
    offline_initial_decay: float = 1.0
    meta_batch_size: int = 1000
    full_run_steps: int = 20_000
    grid_lrs: tuple = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
    grid_decays: tuple = (0.1, 1.0, 3.0)
    online_steps: int = 10_000
    online_initial_lr: float = 0.1
    online_initial_momentum: float = 0.9
    batch_size: int = 100
    seed: int = 0
    output: str = "runs/short_horizon"


# --- (a) the noisy quadratic model --------------------------------------------------------------------------------

def nqm_curves(config, verbose=True):
    """``{schedule name: (learning rates, expected excess losses)}`` of the greedy schedule and the schedules
    optimal for the horizon (SGD, and momentum as the effective rate ``α / (1 − μ)``) on the ill-conditioned NQM."""
    problem = nqm.NoisyQuadratic.ill_conditioned(config.nqm_dim, config.nqm_curvature_power, config.nqm_gradient_noise)
    horizon = config.nqm_horizon
    greedy = nqm.greedy_schedule(problem, horizon)
    sgd = nqm.optimal_schedule(problem, horizon, steps=config.nqm_meta_steps, verbose=verbose)
    heavy_ball = nqm.optimal_schedule(problem, horizon, momentum=True, steps=config.nqm_meta_steps, verbose=verbose)
    return {"greedy (SGD)": (greedy, nqm.sgd_losses(problem, greedy, excess=True).numpy()),
            f"optimal for T = {horizon} (SGD)": (sgd.lrs, nqm.sgd_losses(problem, sgd.lrs, excess=True).numpy()),
            f"optimal for T = {horizon} (momentum, α/(1−μ))": (
                heavy_ball.lrs / (1 - heavy_ball.momenta),
                nqm.momentum_losses(problem, heavy_ball.lrs, heavy_ball.momenta, excess=True).numpy())}


def nqm_table(curves, horizon):
    """Each schedule's learning rate at four steps and its excess loss at the horizon."""
    marks = [horizon // 10, horizon // 2, 9 * horizon // 10, horizon - 1]
    return reporting.Table(["Schedule", *[f"α at t = {t + 1}" for t in marks], f"excess loss at T = {horizon}"],
                           [[name, *[f"{lrs[t]:.3g}" for t in marks], f"{losses[-1]:.3g}"]
                            for name, (lrs, losses) in curves.items()])


def nqm_note(config, curves):
    """The NQM setting and how far the greedy schedule ends from the optimal ones."""
    (greedy, greedy_losses), (sgd, sgd_losses), (_, momentum_losses) = curves.values()
    half = config.nqm_horizon // 2
    return (f"Noisy quadratic model: d = {config.nqm_dim}, curvatures h_i = i^(−{config.nqm_curvature_power:g}), "
            f"gradient-noise variance {config.nqm_gradient_noise:g}·h_i (σ_i² = s / h_i), every coordinate starting "
            "at excess loss 1 (E[θ_i]² h_i / 2 = 1, V = 0). Exact expected-loss dynamics (`zoo.metaopt.nqm`); "
            "learning rates restricted to the stable range α·h_max < 2(1 + μ) for every schedule; long-horizon "
            f"schedules by {config.nqm_meta_steps} Adam steps on log E[L_T] starting from the greedy schedule. At T "
            f"the greedy schedule's excess loss is {greedy_losses[-1] / sgd_losses[-1]:.1f}× that of the optimal SGD "
            f"schedule ({greedy_losses[-1] / momentum_losses[-1]:.1f}× the optimal momentum schedule's); its learning "
            f"rate at T/2 is {sgd[half] / greedy[half]:.1f}× smaller than the optimal one.")


# --- training the MLP on Fashion-MNIST -----------------------------------------------------------------------------

def load_split(split, dataset="fashion_mnist", data_dir=None, download=False):
    """A split of ``dataset`` (Fashion-MNIST, or the paper's ``mnist`` from tfds) as the MLP's standardised 28×28
    inputs and int64 labels."""
    if dataset == "fashion_mnist":
        images, labels = load_fashion_mnist(split)
        record = RECORD
    else:
        images, labels = datasets.source(dataset, split, data_dir, download).arrays()
        record = {**datasets.preprocessing_record(dataset), "pad_to": None}
    return preprocessing.preprocess(images, record), tf.constant(labels, tf.int64)


def mlp_trainer(schedule, seed):
    """The paper's MLP 784-100-100-10 with the seed's initialisation, wrapped for unrolled training."""
    keras.utils.set_random_seed(seed)
    return hypergrad.UnrolledTraining(registry.build("mlp-100-100"), schedule)


def batch_indices(steps, count, batch_size, seed):
    """``(steps, batch_size)`` example indices of a run's batches."""
    return np.random.default_rng(seed).integers(0, count, (steps, batch_size))


def evaluate(trainer, parameters, train, test, train_examples=10_000, chunk=5000):
    """Training loss on the first ``train_examples`` training examples and accuracy on the whole test split."""
    def logits(x):
        return tf.concat([trainer.model.stateless_call(parameters, [], x[i:i + chunk])[0]
                          for i in range(0, len(x), chunk)], 0)

    train_loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        train[1][:train_examples], logits(train[0][:train_examples])))
    accuracy = tf.reduce_mean(tf.cast(tf.argmax(logits(test[0]), -1) == test[1], tf.float32))
    return {"train_loss": float(train_loss), "test_accuracy": float(accuracy)}


def cached(directory, name, compute):
    """``directory/name.json`` if it exists, else ``compute()`` (with its seconds) saved there."""
    path = pathlib.Path(directory) / f"{name}.json"
    if path.exists():
        return json.loads(path.read_text())
    started = time.time()
    result = compute()
    result["seconds"] = round(time.time() - started, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1))
    return result


def full_run(trainer, hyper, train, test, config, strategy=None):
    """Train for ``config.full_run_steps`` from the seed's initialisation with schedule parameters ``hyper`` (under
    ``strategy``, through the shared loop: :func:`zoo.metaopt.data_parallel.train`); a diverged run scores infinite
    loss and chance accuracy."""
    parameters = trainer.initial_parameters()
    indices = batch_indices(config.full_run_steps, len(train[1]), config.batch_size, config.seed)
    parameters, _, losses = data_parallel.train(trainer, parameters, hypergrad.zero_accumulators(parameters), hyper,
                                                train, indices, strategy=strategy, verbose=True)
    if not np.isfinite(losses[-1]):
        return {"train_loss": float("inf"), "test_accuracy": 0.1}
    return evaluate(trainer, parameters, train, test)


# --- (b) offline meta-optimisation -----------------------------------------------------------------------------

def offline(trainer, train, test, config, strategy=None):
    """The full-run grid ``{(α₀, β): evaluation}`` and, per horizon, the offline meta-optimisation's path, final
    ``(α₀, β)`` and full run with it (``trainer`` uses :class:`~zoo.metaopt.hypergrad.InverseTimeDecay`). The full
    runs train under ``strategy`` (default: one device); the meta-optimisation runs on one device."""
    grid = {}
    for lr in config.grid_lrs:
        for decay in config.grid_decays:
            print(f"full run: α₀ = {lr:g}, β = {decay:g}")
            grid[(lr, decay)] = cached(config.output, f"grid/T{config.full_run_steps}_lr{lr}_decay{decay}",
                                       lambda: full_run(trainer, hypergrad.InverseTimeDecay.hyper(lr, decay), train,
                                                        test, config, strategy))
    meta = {}
    for horizon, meta_steps in zip(config.horizons, config.meta_steps):
        def optimise():
            print(f"offline meta-optimisation, horizon {horizon}, {meta_steps} meta-steps")
            trace = hypergrad.meta_optimize_offline(
                trainer, hypergrad.InverseTimeDecay.hyper(config.offline_initial_lr, config.offline_initial_decay),
                train, horizon, meta_steps, batch_size=config.batch_size, meta_batch_size=config.meta_batch_size,
                meta_lr=config.offline_meta_lr, seed=config.seed, verbose=True)
            lr, decay = np.exp(trace.hyper[-1])
            print(f"full run with the schedule learned for horizon {horizon}")
            return {"path": np.exp(trace.hyper).tolist(), "meta_losses": trace.meta_losses, "lr": lr, "decay": decay,
                    "full_run": full_run(trainer, tf.constant(trace.hyper[-1]), train, test, config, strategy)}
        meta[horizon] = cached(config.output, f"offline/T{horizon}_steps{meta_steps}", optimise)
    return grid, meta


def mean_lr(lr, decay, steps):
    """Learning rate of the schedule (α₀, β) averaged over ``steps`` steps."""
    return float(np.mean(lr * (1 + np.arange(steps) / DECAY_STEPS) ** -decay))


def offline_table(grid, meta, config):
    """The grid search's best schedule and each horizon's meta-learned one: (α₀, β), mean rate, ratios to the best
    and the full run's loss and accuracy."""
    best = min(grid, key=lambda key: grid[key]["train_loss"])
    best_mean = mean_lr(*best, config.full_run_steps)
    rows = [[f"grid search, full run ({config.full_run_steps:,} steps)", "–", f"{best[0]:.3g}", f"{best[1]:.3g}",
             f"{best_mean:.3g}", "1", "1", f"{grid[best]['train_loss']:.4f}",
             f"{100 * grid[best]['test_accuracy']:.2f}"]]
    for horizon, result in meta.items():
        mean = mean_lr(result["lr"], result["decay"], config.full_run_steps)
        rows.append([f"meta-optimised, horizon {horizon:,}", str(len(result["meta_losses"])), f"{result['lr']:.3g}",
                     f"{result['decay']:.3g}", f"{mean:.3g}", f"{best[0] / result['lr']:.3g}",
                     f"{best_mean / mean:.3g}", f"{result['full_run']['train_loss']:.4f}",
                     f"{100 * result['full_run']['test_accuracy']:.2f}"])
    return reporting.Table(["Schedule", "meta-steps", "α₀", "β", "mean α over a full run", "best α₀ / α₀",
                            "best mean α / mean α", "full-run train loss", "test accuracy %"], rows)


def offline_note(config):
    """The setting of (b)."""
    return (f"MLP 784-100-100-10 (`mlp-100-100`) on Fashion-MNIST, momentum {MOMENTUM} with α_t = α₀(1 + t/"
            f"{DECAY_STEPS:g})^(−β), batch {config.batch_size}, seed {config.seed}. Offline meta-optimisation "
            f"(`hypergrad.meta_optimize_offline`): Adam (step {config.offline_meta_lr:g}) on (log α₀, log β) with "
            "hypergradients clipped to ±10, reverse mode for T ≤ 100 and forward mode above, every meta-step from a "
            f"fresh initialisation on fresh batches, starting at α₀ = {config.offline_initial_lr:g}, β = "
            f"{config.offline_initial_decay:g}; meta-objective: training loss on {config.meta_batch_size:,} training "
            f"images after T steps. Grid search: full runs of {config.full_run_steps:,} steps over α₀ ∈ "
            f"{{{', '.join(f'{x:g}' for x in config.grid_lrs)}}} × β ∈ "
            f"{{{', '.join(f'{x:g}' for x in config.grid_decays)}}}, ranked by the final training loss (first 10,000 "
            "training images). Each meta-learned schedule is then used for a full run too; \"mean α\" is the "
            "schedule's learning rate averaged over the full run, which accounts for both α₀ and the decay β. The "
            "paper ran 5,000 meta-steps; the counts here are scaled to this machine.")


# --- (c) online meta-optimisation ---------------------------------------------------------------------------------

def online(trainer, train, test, config, strategy=None):
    """``{name: run}`` of online meta-optimisation of (lr, momentum) and of the hand-tuned schedule (the initial
    rate, dropped to :data:`HAND_TUNED_FINAL_LR` at the midpoint) on the same batches; each run holds its batch
    losses and evaluation, the online one also the (lr, momentum) after every meta phase (``trainer`` uses
    :class:`~zoo.metaopt.hypergrad.EffectiveLearningRate`). The hand-tuned run trains under ``strategy`` (default: one
    device); the online meta-optimisation runs on one device."""
    steps = config.online_steps
    indices = batch_indices(steps, len(train[1]), config.batch_size, config.seed)

    def meta_optimised():
        print(f"online meta-optimisation, {steps} steps")
        start = hypergrad.EffectiveLearningRate.hyper(config.online_initial_lr, config.online_initial_momentum)
        parameters, trace = hypergrad.meta_optimize_online(trainer, start, train, indices, verbose=True)
        schedules = [trainer.schedule(0, tf.constant(h)) for h in trace.hyper]
        return {"losses": trace.training_losses, "lrs": [float(lr) for lr, _ in schedules],
                "momenta": [float(momentum) for _, momentum in schedules], **evaluate(trainer, parameters, train, test)}

    def hand_tuned():
        print(f"hand-tuned: lr {config.online_initial_lr:g}, then {HAND_TUNED_FINAL_LR:g} from step {steps // 2}")
        parameters = trainer.initial_parameters()
        accumulators = hypergrad.zero_accumulators(parameters)
        losses = []
        for begin, end, lr in ((0, steps // 2, config.online_initial_lr), (steps // 2, steps, HAND_TUNED_FINAL_LR)):
            hyper = hypergrad.EffectiveLearningRate.hyper(lr, config.online_initial_momentum)
            parameters, accumulators, part = data_parallel.train(trainer, parameters, accumulators, hyper, train,
                                                                 indices[begin:end], start_step=begin,
                                                                 strategy=strategy, verbose=True)
            losses.extend(part)
        return {"losses": losses, **evaluate(trainer, parameters, train, test)}

    return {ONLINE_NAME: cached(config.output, f"online/steps{steps}", meta_optimised),
            HAND_TUNED_NAME: cached(config.output, f"hand_tuned/steps{steps}", hand_tuned)}


def online_table(runs, last=500):
    """Each run's mean batch loss over its ``last`` steps, training loss and test accuracy."""
    return reporting.Table(["Schedule", f"mean batch loss, last {last} steps", "train loss (10k images)",
                            "test accuracy %"],
                           [[name, f"{np.mean(run['losses'][-last:]):.4f}", f"{run['train_loss']:.4f}",
                             f"{100 * run['test_accuracy']:.2f}"] for name, run in runs.items()])


def online_note(config, runs):
    """The setting of (c) and where the online meta-optimisation ended."""
    meta = runs[ONLINE_NAME]
    return (f"MLP 784-100-100-10 on Fashion-MNIST, {config.online_steps:,} steps of batch {config.batch_size} (the "
            "paper: 50,000). Online meta-optimisation (`hypergrad.meta_optimize_online`, the paper code's defaults): "
            "every 100 steps of the first half, 10 Adam updates (step 0.01) of (log effective lr, log(1 − μ)), each by "
            "the hypergradient of the next batch's loss after a 5-step look-ahead, lr clipped to [1e-4, 10]; start "
            f"lr {config.online_initial_lr:g}, μ {config.online_initial_momentum:g}. It ends the meta phase at lr "
            f"{meta['lrs'][-1]:.3g}, μ {meta['momenta'][-1]:.3g}. Hand-tuned: lr {config.online_initial_lr:g}, μ "
            f"{config.online_initial_momentum:g}, dropped to {HAND_TUNED_FINAL_LR:g} at the midpoint (the paper's "
            "MNIST baseline).")
