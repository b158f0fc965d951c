"""Short-horizon bias experiments: figures (docs/images/short_horizon_*.png) and tables in docs/RESULTS.md.

    python tools/short_horizon.py --parts=nqm        # (a) greedy vs long-horizon optimal schedules on the NQM
    python tools/short_horizon.py --parts=offline    # (b) offline meta-optimisation per horizon vs a grid search
    python tools/short_horizon.py --parts=online     # (c) online meta-optimisation vs a hand-tuned schedule

(b) and (c) train the paper's MLP 784-100-100-10 on Fashion-MNIST with momentum SGD; finished pieces are saved
as JSON under --output and reused on a rerun.
"""
import json
import pathlib
import shlex
import sys
import time

import keras
import numpy as np
import tensorflow as tf
from absl import app, flags

from zoo import benchmark, registry
from zoo.data import load_fashion_mnist, preprocessing
from zoo.metaopt import hypergrad, nqm

FLAGS = flags.FLAGS
PARTS = ("nqm", "offline", "online")
flags.DEFINE_list("parts", list(PARTS), f"experiments to run, from {PARTS}")
flags.DEFINE_integer("nqm_dim", 1000, "NQM dimensions d")
flags.DEFINE_float("nqm_curvature_power", 1.0, "NQM curvatures h_i = i^(-p)")
flags.DEFINE_float("nqm_gradient_noise", 1.0, "NQM gradient-noise variance s * h_i")
flags.DEFINE_integer("nqm_horizon", 1000, "NQM horizon T")
flags.DEFINE_integer("nqm_meta_steps", 1000, "Adam steps of the long-horizon schedule search")
flags.DEFINE_list("horizons", ["100", "1000", "5000"], "offline meta-optimisation horizons T")
flags.DEFINE_list("meta_steps", ["200", "60", "20"], "offline meta-steps for each horizon")
flags.DEFINE_float("offline_meta_lr", 0.05, "Adam step size of the offline meta-optimisation (log space)")
flags.DEFINE_float("offline_initial_lr", 0.1, "α₀ where the offline meta-optimisation starts")
flags.DEFINE_float("offline_initial_decay", 1.0, "β where the offline meta-optimisation starts")
flags.DEFINE_integer("full_run_steps", 20_000, "steps of a full training run (grid search and evaluation)")
flags.DEFINE_list("grid_lrs", ["0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1.0"], "α₀ of the grid search")
flags.DEFINE_list("grid_decays", ["0.1", "1.0", "3.0"], "β of the grid search")
flags.DEFINE_integer("online_steps", 10_000, "training steps of the online experiment (paper: 50,000)")
flags.DEFINE_float("online_initial_lr", 0.1, "learning rate where online meta-optimisation starts")
flags.DEFINE_float("online_initial_momentum", 0.9, "momentum where online meta-optimisation starts")
flags.DEFINE_integer("batch_size", 100, "training batch size")
flags.DEFINE_integer("seed", 0, "seed of batches and initialisation")
flags.DEFINE_string("output", "runs/short_horizon", "directory of finished pieces")
flags.DEFINE_string("results", "docs/RESULTS.md", "markdown file to update ('' to only print)")
flags.DEFINE_string("images", "docs/images", "directory of the figures")


def nqm_experiment():
    """(a) Greedy vs horizon-T optimal SGD and momentum schedules on the noisy quadratic model."""
    problem = nqm.NoisyQuadratic.ill_conditioned(FLAGS.nqm_dim, FLAGS.nqm_curvature_power, FLAGS.nqm_gradient_noise)
    horizon = FLAGS.nqm_horizon
    greedy = nqm.greedy_schedule(problem, horizon)
    print(f"optimal SGD schedule for T = {horizon}")
    sgd = nqm.optimal_schedule(problem, horizon, steps=FLAGS.nqm_meta_steps, verbose=True)
    print(f"optimal momentum schedule for T = {horizon}")
    heavy_ball = nqm.optimal_schedule(problem, horizon, momentum=True, steps=FLAGS.nqm_meta_steps, verbose=True)
    curves = {"greedy (SGD)": (greedy, nqm.sgd_losses(problem, greedy, excess=True).numpy()),
              f"optimal for T = {horizon} (SGD)": (sgd.lrs, nqm.sgd_losses(problem, sgd.lrs, excess=True).numpy()),
              f"optimal for T = {horizon} (momentum, α/(1−μ))": (
                  heavy_ball.lrs / (1 - heavy_ball.momenta),
                  nqm.momentum_losses(problem, heavy_ball.lrs, heavy_ball.momenta, excess=True).numpy())}
    greedy_loss, sgd_loss, momentum_loss = (losses[-1] for _, losses in curves.values())
    image = pathlib.Path(FLAGS.images) / "short_horizon_nqm.png"
    plot_nqm(curves, image)
    marks = [horizon // 10, horizon // 2, 9 * horizon // 10, horizon - 1]
    rows = [(name, *[f"{lrs[t]:.3g}" for t in marks], f"{losses[-1]:.3g}") for name, (lrs, losses) in curves.items()]
    body = (f"Noisy quadratic model: d = {problem.dim}, curvatures h_i = i^(−{FLAGS.nqm_curvature_power:g}), "
            f"gradient-noise variance {FLAGS.nqm_gradient_noise:g}·h_i (σ_i² = s / h_i), every coordinate starting "
            f"at excess loss 1 (E[θ_i]² h_i / 2 = 1, V = 0). Exact expected-loss dynamics "
            "(`zoo.metaopt.nqm`); learning rates restricted to the stable range α·h_max < 2(1 + μ) for every "
            f"schedule; long-horizon schedules by {FLAGS.nqm_meta_steps} Adam steps on log E[L_T] starting from "
            f"the greedy schedule. At T the greedy schedule's excess loss is {greedy_loss / sgd_loss:.1f}× that of the "
            f"optimal SGD schedule ({greedy_loss / momentum_loss:.1f}× the optimal momentum schedule's); its learning "
            f"rate at T/2 is {sgd.lrs[horizon // 2] / greedy[horizon // 2]:.1f}× smaller than the optimal one.\n\n"
            + benchmark.markdown_table(("Schedule", *[f"α at t = {t + 1}" for t in marks],
                                        f"excess loss at T = {horizon}"), rows)
            + f"\n\n![NQM schedules and losses](images/{image.name})\n")
    write("Short-horizon bias (a): greedy vs long-horizon schedules on the noisy quadratic model", body)


def plot_nqm(curves, path):
    plt = benchmark.pyplot()

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for name, (lrs, losses) in curves.items():
        left.plot(np.arange(1, len(lrs) + 1), lrs, label=name)
        right.plot(np.arange(len(losses)), losses, label=name)
    left.set(xlabel="step t", ylabel="(effective) learning rate", yscale="log", title="Schedules")
    right.set(xlabel="step t", ylabel="expected excess loss", yscale="log", title="Expected loss")
    left.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


RECORD = {**preprocessing.FASHION_MNIST, "pad_to": None}  # the MLP sees the 28×28 images, standardised
DECAY_STEPS = 5000.0  # K of the paper's code
MOMENTUM = 0.9


def load_split(split):
    images, labels = load_fashion_mnist(split)
    return preprocessing.preprocess(images, RECORD), tf.constant(labels, tf.int64)


def fresh_trainer(schedule):
    """The MLP with the seed's initialisation, wrapped for unrolled training."""
    keras.utils.set_random_seed(FLAGS.seed)
    return hypergrad.UnrolledTraining(registry.build("mlp-100-100"), schedule)


def batch_indices(steps, count):
    return np.random.default_rng(FLAGS.seed).integers(0, count, (steps, FLAGS.batch_size))


def evaluate(trainer, parameters, train, test):
    """Training loss on the first 10,000 training images and accuracy on the whole test split."""
    def logits(x):
        return tf.concat([trainer.model.stateless_call(parameters, [], x[i:i + 5000])[0]
                          for i in range(0, len(x), 5000)], 0)
    train_loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(train[1][:10_000],
                                                                               logits(train[0][:10_000])))
    accuracy = tf.reduce_mean(tf.cast(tf.argmax(logits(test[0]), -1) == test[1], tf.float32))
    return {"train_loss": float(train_loss), "test_accuracy": float(accuracy)}


def cached(name, compute):
    """Load ``name`` from --output, or compute and save it (pieces are reused on a rerun)."""
    path = pathlib.Path(FLAGS.output) / f"{name}.json"
    if path.exists():
        return json.loads(path.read_text())
    started = time.time()
    result = compute()
    result["seconds"] = round(time.time() - started, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1))
    return result


def full_run(trainer, hyper, train, test):
    """Train for --full_run_steps from the seed's initialisation with schedule parameters ``hyper``."""
    parameters = trainer.initial_parameters()
    indices = batch_indices(FLAGS.full_run_steps, len(train[1]))
    parameters, _, losses = trainer.train(parameters, hypergrad.zero_accumulators(parameters), hyper, train,
                                          indices, verbose=True)
    if not np.isfinite(losses[-1]):
        return {"train_loss": float("inf"), "test_accuracy": 0.1}
    return evaluate(trainer, parameters, train, test)


def offline_experiment():
    """(b) The (α₀, β) that offline meta-optimisation picks for each horizon, against a full-run grid search."""
    train, test = load_split("train"), load_split("test")
    trainer = fresh_trainer(hypergrad.InverseTimeDecay(DECAY_STEPS, MOMENTUM))
    grid = {}
    for lr in FLAGS.grid_lrs:
        for decay in FLAGS.grid_decays:
            print(f"full run: α₀ = {lr}, β = {decay}")
            grid[(float(lr), float(decay))] = cached(
                f"grid/T{FLAGS.full_run_steps}_lr{lr}_decay{decay}",
                lambda: full_run(trainer, hypergrad.InverseTimeDecay.hyper(float(lr), float(decay)), train, test))
    best = min(grid, key=lambda key: grid[key]["train_loss"])
    meta = {}
    for horizon, meta_steps in zip(map(int, FLAGS.horizons), map(int, FLAGS.meta_steps)):
        def optimise():
            print(f"offline meta-optimisation, horizon {horizon}, {meta_steps} meta-steps")
            trace = hypergrad.meta_optimize_offline(
                trainer, hypergrad.InverseTimeDecay.hyper(FLAGS.offline_initial_lr, FLAGS.offline_initial_decay),
                train, horizon, meta_steps, batch_size=FLAGS.batch_size, meta_lr=FLAGS.offline_meta_lr,
                seed=FLAGS.seed, verbose=True)
            lr, decay = np.exp(trace.hyper[-1])
            print(f"full run with the schedule learned for horizon {horizon}")
            return {"path": np.exp(trace.hyper).tolist(), "meta_losses": trace.meta_losses, "lr": lr,
                    "decay": decay, "full_run": full_run(trainer, tf.constant(trace.hyper[-1]), train, test)}
        meta[horizon] = cached(f"offline/T{horizon}_steps{meta_steps}", optimise)
    image = pathlib.Path(FLAGS.images) / "short_horizon_offline.png"
    plot_offline(grid, meta, image)
    best_lr, best_decay = best
    best_mean = mean_lr(best_lr, best_decay)
    rows = [(f"grid search, full run ({FLAGS.full_run_steps:,} steps)", "–", f"{best_lr:.3g}", f"{best_decay:.3g}",
             f"{best_mean:.3g}", "1", "1", f"{grid[best]['train_loss']:.4f}",
             f"{100 * grid[best]['test_accuracy']:.2f}")]
    for horizon, result in meta.items():
        rows.append((f"meta-optimised, horizon {horizon:,}", str(len(result["meta_losses"])), f"{result['lr']:.3g}",
                     f"{result['decay']:.3g}", f"{mean_lr(result['lr'], result['decay']):.3g}",
                     f"{best_lr / result['lr']:.3g}", f"{best_mean / mean_lr(result['lr'], result['decay']):.3g}",
                     f"{result['full_run']['train_loss']:.4f}", f"{100 * result['full_run']['test_accuracy']:.2f}"))
    body = (f"MLP 784-100-100-10 (`mlp-100-100`) on Fashion-MNIST, momentum {MOMENTUM} with α_t = α₀(1 + t/"
            f"{DECAY_STEPS:g})^(−β), batch {FLAGS.batch_size}, seed {FLAGS.seed}. Offline meta-optimisation "
            "(`hypergrad.meta_optimize_offline`): Adam (step "
            f"{FLAGS.offline_meta_lr:g}) on (log α₀, log β) with hypergradients clipped to ±10, reverse mode for "
            "T ≤ 100 and forward mode above, every meta-step from a fresh initialisation on fresh batches, "
            f"starting at α₀ = {FLAGS.offline_initial_lr:g}, β = {FLAGS.offline_initial_decay:g}; meta-objective: "
            "training loss on 1,000 training images after T steps. Grid search: full runs of "
            f"{FLAGS.full_run_steps:,} steps over α₀ ∈ {{{', '.join(FLAGS.grid_lrs)}}} × β ∈ "
            f"{{{', '.join(FLAGS.grid_decays)}}}, ranked by the final training loss (first 10,000 training images). "
            "Each meta-learned schedule is then used for a full run too; \"mean α\" is the schedule's learning rate "
            "averaged over the full run, which accounts for both α₀ and the decay β. The paper ran 5,000 meta-steps; "
            "the counts here are scaled to this machine.\n\n"
            + benchmark.markdown_table(("Schedule", "meta-steps", "α₀", "β", "mean α over a full run",
                                        "best α₀ / α₀", "best mean α / mean α", "full-run train loss",
                                        "test accuracy %"), rows)
            + f"\n\n![offline meta-optimisation paths](images/{image.name})\n")
    write("Short-horizon bias (b): offline meta-optimisation of the learning rate on Fashion-MNIST", body)


def mean_lr(lr, decay):
    """Learning rate of the schedule (α₀, β) averaged over the steps of a full run."""
    steps = np.arange(FLAGS.full_run_steps)
    return float(np.mean(lr * (1 + steps / DECAY_STEPS) ** -decay))


def plot_offline(grid, meta, path):
    plt = benchmark.pyplot()

    lrs, decays = sorted({k[0] for k in grid}), sorted({k[1] for k in grid})
    surface = np.array([[min(grid[(lr, d)]["train_loss"], 3.0) for lr in lrs] for d in decays])
    fig, ax = plt.subplots(figsize=(7, 4.5))
    mesh = ax.pcolormesh(np.log10(lrs), np.log10(decays), surface, shading="nearest", cmap="viridis",
                         norm="log")  # log scale: diverged runs would swamp the rest
    fig.colorbar(mesh, label=f"full-run training loss ({FLAGS.full_run_steps:,} steps, clipped at 3)")
    best_lr, best_decay = min(grid, key=lambda key: grid[key]["train_loss"])
    ax.plot(np.log10(best_lr), np.log10(best_decay), "r*", markersize=14, label="grid-search best")
    for horizon, result in meta.items():
        path_points = np.log10(np.array(result["path"]))
        ax.plot(path_points[:, 0], path_points[:, 1], marker=".", markersize=3, label=f"meta-optimised, T = {horizon}")
    ax.set(xlabel="log10 α₀", ylabel="log10 β", title="Offline meta-optimisation paths over the full-run loss")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def online_experiment():
    """(c) Online meta-optimisation of (lr, momentum) against the paper's hand-tuned schedule."""
    train, test = load_split("train"), load_split("test")
    trainer = fresh_trainer(hypergrad.EffectiveLearningRate())
    steps = FLAGS.online_steps
    indices = batch_indices(steps, len(train[1]))
    start = hypergrad.EffectiveLearningRate.hyper(FLAGS.online_initial_lr, FLAGS.online_initial_momentum)

    def online():
        print(f"online meta-optimisation, {steps} steps")
        parameters, trace = hypergrad.meta_optimize_online(trainer, start, train, indices, verbose=True)
        lrs = [float(trainer.schedule(0, tf.constant(h))[0]) for h in trace.hyper]
        momenta = [float(trainer.schedule(0, tf.constant(h))[1]) for h in trace.hyper]
        return {"losses": trace.training_losses, "lrs": lrs, "momenta": momenta,
                **evaluate(trainer, parameters, train, test)}

    def hand_tuned():
        print(f"hand-tuned: lr {FLAGS.online_initial_lr:g}, then 1e-4 from step {steps // 2}")
        parameters = trainer.initial_parameters()
        accumulators = hypergrad.zero_accumulators(parameters)
        losses = []
        for begin, end, lr in ((0, steps // 2, FLAGS.online_initial_lr), (steps // 2, steps, 1e-4)):
            hyper = hypergrad.EffectiveLearningRate.hyper(lr, FLAGS.online_initial_momentum)
            parameters, accumulators, part = trainer.train(parameters, accumulators, hyper, train,
                                                           indices[begin:end], start_step=begin, verbose=True)
            losses.extend(part)
        return {"losses": losses, **evaluate(trainer, parameters, train, test)}

    runs = {"online meta-optimisation": cached(f"online/steps{steps}", online),
            "hand-tuned": cached(f"hand_tuned/steps{steps}", hand_tuned)}
    image = pathlib.Path(FLAGS.images) / "short_horizon_online.png"
    plot_online(runs, steps, image)
    online_run = runs["online meta-optimisation"]
    rows = [(name, f"{np.mean(run['losses'][-500:]):.4f}", f"{run['train_loss']:.4f}",
             f"{100 * run['test_accuracy']:.2f}") for name, run in runs.items()]
    body = (f"MLP 784-100-100-10 on Fashion-MNIST, {steps:,} steps of batch {FLAGS.batch_size} (the paper: 50,000). "
            "Online meta-optimisation (`hypergrad.meta_optimize_online`, the paper code's defaults): every 100 "
            "steps of the first half, 10 Adam updates (step 0.01) of (log effective lr, log(1 − μ)), each by the "
            "hypergradient of the next batch's loss after a 5-step look-ahead, lr clipped to [1e-4, 10]; start "
            f"lr {FLAGS.online_initial_lr:g}, μ {FLAGS.online_initial_momentum:g}. It ends the meta phase at lr "
            f"{online_run['lrs'][-1]:.3g}, μ {online_run['momenta'][-1]:.3g}. Hand-tuned: lr "
            f"{FLAGS.online_initial_lr:g}, μ {FLAGS.online_initial_momentum:g}, dropped to 1e-4 at the midpoint "
            "(the paper's MNIST baseline).\n\n"
            + benchmark.markdown_table(("Schedule", "mean batch loss, last 500 steps", "train loss (10k images)",
                                        "test accuracy %"), rows)
            + f"\n\n![online vs hand-tuned](images/{image.name})\n")
    write("Short-horizon bias (c): online meta-optimisation vs a hand-tuned schedule on Fashion-MNIST", body)


def plot_online(runs, steps, path):
    plt = benchmark.pyplot()

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    window = 100
    for name, run in runs.items():
        smoothed = np.convolve(run["losses"], np.ones(window) / window, mode="valid")
        left.plot(np.arange(window, len(run["losses"]) + 1), smoothed, label=name)
    online = runs["online meta-optimisation"]
    updates = [0] + [100 * i for i in range(len(online["lrs"]) - 1)]  # the start, then after each meta phase
    right.step(updates + [steps], online["lrs"] + online["lrs"][-1:], where="post", label="online meta-optimisation")
    right.step([0, steps // 2, steps], [FLAGS.online_initial_lr, 1e-4, 1e-4], where="post", label="hand-tuned")
    left.set(xlabel="step", ylabel=f"training loss (mean of {window} batches)", yscale="log", title="Training loss")
    right.set(xlabel="step", ylabel="learning rate", yscale="log", title="Learning rate")
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write(title, body):
    if FLAGS.results:
        benchmark.write_section(FLAGS.results, title, body, shlex.join(["python", *sys.argv]))
    print(body)


def main(argv):
    del argv
    unknown = [p for p in FLAGS.parts if p not in PARTS]
    if unknown:
        raise app.UsageError(f"--parts has unknown entries {unknown}; choose from {list(PARTS)}")
    if len(FLAGS.meta_steps) != len(FLAGS.horizons):
        raise app.UsageError(f"--meta_steps needs one count per horizon ({len(FLAGS.horizons)}), got "
                             f"{len(FLAGS.meta_steps)}")
    for part, run in (("nqm", nqm_experiment), ("offline", offline_experiment), ("online", online_experiment)):
        if part in FLAGS.parts:
            run()


if __name__ == "__main__":
    app.run(main)
