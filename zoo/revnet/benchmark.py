"""RevNet measurements: reconstruction error of the inputs of reversible stacks, and peak memory and time of
one training step with reconstruction vs plain autodiff and ResNet, and their tables (the library side of
``tools/revnet/reconstruction.py`` and ``tools/revnet/bench.py``).

For memory, each configuration runs in a fresh process. Peak memory is
``tf.config.experimental.get_memory_info("CPU:0")`` peak above the level before the step, after a warm-up step
(which traces the step and creates the optimizer state); it is exact and repeatable on CPU
(reference/TF_FEASIBILITY.md §9). Graph mode runs with one
inter-op thread, so the executor cannot reorder the recomputation and the figure does not vary between runs.
"""
import dataclasses
import json
import os
import subprocess
import sys

from zoo import benchmark, reporting
from zoo.revnet.models import CONFIGS

MODES = ("graph", "eager")

MEMORY_STATS_ENV = {"TF_CPU_ALLOCATOR_USE_BFC": "true"}
"""Environment of the measuring processes: TensorFlow's default CPU allocator keeps the statistics the memory figures
read only where oneDNN is on by default (Intel CPUs, not e.g. AMD EPYC); its BFC allocator keeps them everywhere."""


@dataclasses.dataclass(frozen=True)
class StepConfig:
    """One measured configuration.

    Attributes:
        label: row label in the report.
        model: registered architecture name.
        overrides: builder keyword arguments (e.g. ``units``, ``reconstruct``).
    """

    label: str
    model: str
    overrides: dict = dataclasses.field(default_factory=dict)


def paper_configs(pairs=(("resnet-32", "revnet-38"), ("resnet-110", "revnet-110"), ("resnet-164", "revnet-164"))):
    """For each (ResNet, RevNet) pair of paper Table 2: the ResNet, the RevNet, and that RevNet without
    reconstruction."""
    configs = []
    for resnet, revnet in pairs:
        configs += [StepConfig(resnet, resnet), StepConfig(revnet, revnet),
                    StepConfig(f"{revnet} (reconstruct=False)", revnet, {"reconstruct": False})]
    return configs


def depth_series(units_per_stage=(9, 18, 36, 72), model="revnet-110"):
    """RevNets ``model`` with ``n`` units in every stage, with and without reconstruction, for each ``n``."""
    stages = len(CONFIGS[model]["units"])
    return [StepConfig(_series_label(model, n, reconstruct), model, {"units": [n] * stages, "reconstruct": reconstruct})
            for n in units_per_stage for reconstruct in (True, False)]


def reconstruction_errors(model, images, training=True):
    """How exactly each :class:`~zoo.revnet.layers.RevStack` of ``model`` reconstructs its input from its output.

    Runs ``model`` forward on ``images`` (moving averages untouched), then inverts every stack from its output,
    unit by unit, and compares with the stored input.

    Args:
        model: a functional Keras model containing ``RevStack`` layers (e.g. a registered RevNet).
        images: a batch of model inputs.
        training: the mode of the forward pass and the inversion (True: batch statistics, as in training).

    Returns:
        ``{stack name: {"max_abs": ..., "relative": ...}}`` where ``max_abs`` is the largest absolute error and
        ``relative`` is ``‖x̂ - x‖ / ‖x‖`` over the whole batch.
    """
    import keras
    import numpy as np

    from zoo.revnet.layers import RevStack

    stacks = [layer for layer in model.layers if isinstance(layer, RevStack)]
    if not stacks:
        raise ValueError(f"model {model.name!r} has no RevStack layers to invert")
    probe = keras.Model(model.input, [[stack.input, stack.output] for stack in stacks])
    errors = {}
    with keras.StatelessScope():
        activations = probe(images, training=training)
        for stack, (inputs, outputs) in zip(stacks, activations):
            x = np.asarray(inputs, dtype=np.float64)
            error = np.asarray(stack.inverse(outputs, training=training), dtype=np.float64) - x
            errors[stack.name] = {"max_abs": float(np.max(np.abs(error))),
                                  "relative": float(np.linalg.norm(error) / np.linalg.norm(x))}
    return errors


def reconstruction_table(model, images):
    """:func:`reconstruction_errors` of every stack of ``model`` on ``images`` in training and in inference mode, as a
    :class:`zoo.reporting.Table`."""
    rows = []
    for training in (True, False):
        for stack, error in reconstruction_errors(model, images, training=training).items():
            rows.append([stack, "training (batch statistics)" if training else "inference (moving averages)",
                         f"{error['max_abs']:.2e}", f"{error['relative']:.2e}"])
    return reporting.Table(["reversible stack", "batch norm mode", "max abs error", "relative error"], rows)


def measure_step(model, overrides=None, batch_size=128, image_size=32, channels=3, repeats=3, mode="graph"):
    """Peak memory and median time of a training step of ``model``, in this process.

    Call it in a fresh process (see :func:`measure_in_fresh_process`): TensorFlow's threading can be set
    only before it starts, and the peak counter covers the whole process.

    Args:
        model: registered architecture name.
        overrides: builder keyword arguments.
        batch_size: images per step.
        image_size: input height and width.
        channels: input channels.
        repeats: timed steps after the warm-up step (the median is reported; the peak covers all of them).
        mode: ``"graph"`` (``tf.function``, one inter-op thread) or ``"eager"``.

    Returns:
        ``{"peak_mb", "step_seconds", "params"}``: peak memory above the pre-step level in MiB, median
        seconds per step, trainable parameters.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    import keras
    import numpy as np
    import tensorflow as tf

    from zoo import registry

    if mode == "graph":
        tf.config.threading.set_inter_op_parallelism_threads(1)
    net = registry.build(model, input_shape=(image_size, image_size, channels), **(overrides or {}))
    optimizer = keras.optimizers.SGD(0.1, momentum=0.9)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal((batch_size, image_size, image_size, channels)), tf.float32)
    y = tf.constant(rng.integers(0, net.output_shape[-1], batch_size))

    def train_step(images, labels):
        with tf.GradientTape() as tape:
            logits = net(images, training=True)
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))
            loss += tf.add_n(net.losses)
        gradients = tape.gradient(loss, net.trainable_variables)
        optimizer.apply_gradients(zip(gradients, net.trainable_variables))
        return loss

    step = tf.function(train_step) if mode == "graph" else train_step
    step(x, y).numpy()
    try:
        tf.config.experimental.reset_memory_stats("CPU:0")
    except ValueError as error:
        raise RuntimeError(f"TensorFlow keeps no CPU memory statistics in this process ({error}); start it with "
                           f"the environment {MEMORY_STATS_ENV} (measure_in_fresh_process does)") from error
    base = tf.config.experimental.get_memory_info("CPU:0")["current"]
    seconds = benchmark.median_seconds(lambda: step(x, y).numpy(), repeats=repeats, warmup=0)
    peak = tf.config.experimental.get_memory_info("CPU:0")["peak"] - base
    params = sum(int(np.prod(w.shape)) for w in net.trainable_weights)
    return {"peak_mb": peak / 2**20, "step_seconds": seconds, "params": params}


def measure_in_fresh_process(config, timeout=3600, **kwargs):
    """:func:`measure_step` of a :class:`StepConfig` in a new Python process; ``kwargs`` go to it."""
    arguments = json.dumps({"model": config.model, "overrides": config.overrides, **kwargs})
    code = ("import json\nfrom zoo.revnet import benchmark\n"
            f"print(json.dumps(benchmark.measure_step(**json.loads({arguments!r}))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **MEMORY_STATS_ENV})
    if result.returncode != 0:
        raise RuntimeError(f"measuring {config.label} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(configs, log=print, **kwargs):
    """Measure every configuration in its own process; returns ``{label: measurement}`` in order."""
    results = {}
    for config in configs:
        results[config.label] = measure_in_fresh_process(config, **kwargs)
        log(f"{config.label}: {results[config.label]}")
    return results


def paper_table(results, pairs):
    """A :class:`zoo.reporting.Table` comparing each ResNet with its RevNet and with the RevNet without
    reconstruction."""
    rows = []
    for resnet, revnet in pairs:
        base = results[resnet]
        for label in (resnet, revnet, f"{revnet} (reconstruct=False)"):
            r = results[label]
            rows.append([label, f"{r['params'] / 1e6:.2f}", f"{r['peak_mb']:.0f}",
                         f"{base['peak_mb'] / r['peak_mb']:.2f}", f"{1000 * r['step_seconds']:.0f}",
                         f"{r['step_seconds'] / base['step_seconds']:.2f}"])
    header = ["model", "params (M)", "peak MiB", "ResNet peak / peak", "ms / step", "time / ResNet time"]
    return reporting.Table(header, rows)


def summary_table(results, pairs, units_per_stage, model="revnet-110"):
    """The headline ratios as a :class:`zoo.reporting.Table`: RevNet memory growth over the depth series, ResNet /
    RevNet peak memory and RevNet / ResNet step time for each pair."""
    ratios = {}
    if len(units_per_stage) > 1:
        low, high = units_per_stage[0], units_per_stage[-1]
        for reconstruct, name in ((True, "RevNet"), (False, "plain autodiff")):
            ratios[f"{name} peak memory growth, {low} -> {high} units per stage"] = (
                results[_series_label(model, high, reconstruct)]["peak_mb"]
                / results[_series_label(model, low, reconstruct)]["peak_mb"])
    for resnet, revnet in pairs:
        ratios[f"{resnet} / {revnet} peak memory"] = results[resnet]["peak_mb"] / results[revnet]["peak_mb"]
        ratios[f"{revnet} / {resnet} step time"] = results[revnet]["step_seconds"] / results[resnet]["step_seconds"]
    return reporting.Table(["ratio", "value"], [[name, f"{ratio:.2f}×"] for name, ratio in ratios.items()])


def series_table(results, units_per_stage, model="revnet-110"):
    """A :class:`zoo.reporting.Table` of the depth series: peak memory with and without reconstruction, and their
    growth."""
    config = CONFIGS[model]
    convs_per_unit = 6 if config["bottleneck"] else 4
    first = {r: results[_series_label(model, units_per_stage[0], r)]["peak_mb"] for r in (True, False)}
    rows = []
    for n in units_per_stage:
        rev, plain = (results[_series_label(model, n, r)] for r in (True, False))
        depth = n * len(config["units"]) * convs_per_unit + 2
        rows.append([n, depth, f"{rev['peak_mb']:.0f}", f"{rev['peak_mb'] / first[True]:.2f}",
                     f"{plain['peak_mb']:.0f}", f"{plain['peak_mb'] / first[False]:.2f}",
                     f"{plain['peak_mb'] / rev['peak_mb']:.2f}", f"{rev['step_seconds'] / plain['step_seconds']:.2f}"])
    header = ["units / stage", "depth", "RevNet peak MiB", "growth", "plain peak MiB", "growth", "plain / RevNet",
              "time RevNet / plain"]
    return reporting.Table(header, rows, f"Depth series ({model} widths, n units in each of {len(config['units'])} "
                                         "stages; plain = the same network with `reconstruct=False`):")


def memory_series(results, units_per_stage, model="revnet-110"):
    """The numbers of the memory-vs-depth figure (:func:`zoo.revnet.plots.memory_vs_depth`):
    ``{"units_per_stage": [n, ...], "peak_mb": {curve name: [MiB per n]}}``."""
    return {"units_per_stage": list(units_per_stage),
            "peak_mb": {name: [results[_series_label(model, n, reconstruct)]["peak_mb"] for n in units_per_stage]
                        for reconstruct, name in ((True, "RevNet (reconstruction)"), (False, "plain autodiff"))}}


def _series_label(model, units, reconstruct):
    return f"{model} n={units} reconstruct={reconstruct}"
