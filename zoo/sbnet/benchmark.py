"""Speed of sparse-block computation against dense convolution at the paper's stage sizes (SBNet Table 1–2).

Each measurement is a ratio in one process: the dense SAME computation and the sparse one (``reduce_mask`` on
the mask included — the paper excluded it) on the same input, batch 1, inference, timed in interleaved rounds
so that machine noise hits both alike; the median of each is kept. CPU execution is synchronous, so a call
returns when its output is computed. Beside each speed-up, the sparse time is split into its ops by TensorFlow's
profiler, tracing one more sparse call in each round (:func:`profiled_seconds`, :func:`breakdown`). The block size
of each stage is the layers' own choice (:func:`zoo.sbnet.geometry.default_block_size`), not the best of a sweep;
:func:`block_sweep` times the sizes around it and :func:`fallback_crossover` the density at which the dense
computation catches up, the measurements behind the heuristic and behind :data:`zoo.sbnet.layers.DENSE_FALLBACK`.
:func:`speed_benchmark` runs it all (``tools/sbnet/bench.py``); :func:`forward_speedup` times a trained scene
segmenter against its dense twin (``tools/sbnet/train.py``).
"""
import dataclasses
import glob
import os
import shutil
import statistics
import tempfile
import time

import numpy as np
import tensorflow as tf

from zoo import benchmark as timer
from zoo.sbnet import geometry, ops
from zoo.sbnet.layers import DENSE_FALLBACK, SparseConv2D, SparseResBlock


@dataclasses.dataclass(frozen=True)
class Stage:
    """One of the paper's benchmark stages: input size, channels of the single conv and of the residual units,
    and number of units."""

    name: str
    size: tuple
    conv_channels: int
    res_channels: int
    units: int

    @property
    def block_size(self):
        """The block size the layers choose at this stage (3×3 convolution; a bottleneck unit's receptive field is
        3 too)."""
        return geometry.default_block_size(self.size, 3)


PAPER_STAGES = (
    Stage("conv-2", (400, 704), 24, 96, 3),
    Stage("conv-3", (200, 352), 48, 192, 6),
    Stage("conv-4", (100, 176), 64, 256, 6),
    Stage("conv-5", (50, 88), 96, 384, 3),
)
# Paper Table 1 (GTX 1080Ti, 90% sparsity, reduce_mask excluded): SBNet speed-up of one conv and of the units.
PAPER_SPEEDUP_AT_10_PERCENT = {"conv-2": (3.39, 8.22), "conv-3": (2.47, 6.27), "conv-4": (1.34, 3.73),
                               "conv-5": (0.88, 1.64)}

KINDS = ("conv", "res")
"""What is timed at each stage: one 3×3 convolution, and the stage's stack of bottleneck units."""

OPS = ("reduce_mask", "gather", "convolution", "scatter")
"""The parts of the sparse path's time given beside each speed-up (:func:`breakdown`)."""

OP_TYPES = {"ZooSbnetReduceMask": "reduce_mask", "ZooSbnetSparseGather": "gather",
            "ZooSbnetSparseScatter": "scatter", "ZooSbnetSparseScatterZeros": "scatter"}
"""The TensorFlow op types of :data:`OPS` other than ``"convolution"``, which is every other op: the computation on
the gathered blocks (a residual unit's batch norms, ReLUs and three convolutions)."""
_CALL_OPS = {"If", "StatelessIf", "While", "StatelessWhile", "PartitionedCall", "StatefulPartitionedCall"}
# ops that run other ops (their events would count those twice); tf.function lowers conditionals, so rarely seen

SWEEP_FACTORS = (0.5, 0.7, 1.0, 1.4, 2.0)
"""Output block sizes of :func:`block_sweep`, as multiples of the heuristic's."""

CROSSOVER_DENSITIES = (0.4, 0.55, 0.7, 0.85, 1.0)
"""Mask densities of :func:`fallback_crossover`."""


def top_left_mask(size, density):
    """The official benchmark's synthetic mask: a top-left rectangle covering ``density`` of the image."""
    mask = np.zeros((1, *size), np.float32)
    side = np.sqrt(density)
    mask[0, :int(round(size[0] * side)), :int(round(size[1] * side))] = 1.0
    return tf.constant(mask)


def interleaved_medians(functions, repeats, warmup=2, each_round=None):
    """Median seconds of each zero-argument function, timing them in turn ``repeats`` times; ``each_round()``, if
    given, runs after the timed calls of every round (untimed)."""
    for fn in functions.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, fn in functions.items():
            started = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - started)
        if each_round is not None:
            each_round()
    return {name: statistics.median(values) for name, values in times.items()}


def conv_functions(stage, density, block_size=None, dense_fallback=None, impl="auto", seed=0):
    """``"dense"``: a 3×3 SAME conv; ``"sparse"``: :class:`SparseConv2D` with the same kernel on the mask
    (reduce_mask → gather → VALID conv → scatter onto zeros, or its dense fallback), blocks of ``block_size`` (None:
    the layer's choice)."""
    rng = np.random.default_rng(seed)
    c = stage.conv_channels
    x = tf.constant(rng.standard_normal((1, *stage.size, c)), tf.float32)
    kernel = tf.constant(rng.standard_normal((3, 3, c, c)) * 0.1, tf.float32)
    mask = top_left_mask(stage.size, density)
    layer = SparseConv2D(c, 3, block_size, use_bias=False, impl=impl, dense_fallback=dense_fallback)
    layer((x, mask))
    layer.set_weights([kernel])
    return {"dense": tf.function(lambda: tf.nn.conv2d(x, kernel, 1, "SAME")),
            "sparse": tf.function(lambda: layer((x, mask)))}


def res_functions(stage, density, block_size=None, dense_fallback=None, impl="auto", seed=0):
    """The stage's stack of bottleneck units run densely (``"dense"``) and sparsely (``"sparse"``: one shared
    ``reduce_mask``, blocks of ``block_size``, None: the units' choice) on the same weights."""
    rng = np.random.default_rng(seed)
    x = tf.constant(rng.standard_normal((1, *stage.size, stage.res_channels)), tf.float32)
    mask = top_left_mask(stage.size, density)
    dense_units = [SparseResBlock(stage.res_channels, sparse=False) for _ in range(stage.units)]
    for unit in dense_units:
        unit(x)
    units = [SparseResBlock(stage.res_channels, block_size, impl=impl, dense_fallback=dense_fallback)
             for _ in range(stage.units)]
    for unit, dense_unit in zip(units, dense_units):
        unit((x, mask))
        unit.set_weights(dense_unit.get_weights())
    params = units[0].block_params(stage.size)

    @tf.function
    def dense():
        y = x
        for unit in dense_units:
            y = unit(y, training=False)
        return y

    @tf.function
    def sparse():
        indices = ops.reduce_mask(mask, params, impl=impl).indices
        y = x
        for unit in units:
            y = unit((y, indices), training=False)
        return y

    return {"dense": dense, "sparse": sparse}


def profiled_seconds(function):
    """The seconds of each part of :data:`OPS` in one call of ``function`` (a ``tf.function`` of the sparse path),
    traced by TensorFlow's profiler: its host trace has an event per op execution, named ``node:OpType``, which
    :data:`OP_TYPES` sorts into the parts. The ops' own durations, not shares of the traced call's wall time: tracing
    slows the call itself down (its Python side by ~0.5 ms on the benchmark's machine), not the ops' kernels."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    logdir = tempfile.mkdtemp(prefix="sbnet_profile_")
    try:
        tf.profiler.experimental.start(logdir)
        try:
            function()
        finally:
            tf.profiler.experimental.stop()
        space = xplane_pb2.XSpace()
        with open(glob.glob(os.path.join(logdir, "plugins", "profile", "*", "*.xplane.pb"))[0], "rb") as f:
            space.ParseFromString(f.read())
    finally:
        shutil.rmtree(logdir, ignore_errors=True)
    seconds = dict.fromkeys(OPS, 0.0)
    for plane in space.planes:
        for line in plane.lines:
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                if ":" not in name or "::" in name or " " in name:
                    continue  # not an op execution
                op_type = name.rsplit(":", 1)[1].split("#")[0]
                if op_type not in _CALL_OPS:
                    seconds[OP_TYPES.get(op_type, "convolution")] += event.duration_ps * 1e-12
    if not any(seconds.values()):
        raise RuntimeError("TensorFlow's profiler recorded no op executions; it cannot break the time down")
    return seconds


def breakdown(seconds, sparse_ms):
    """Milliseconds of each part of :data:`OPS` — the median over ``seconds`` (:func:`profiled_seconds` of several
    calls) — and ``"other"``: the rest of ``sparse_ms``, the measured sparse time (calling the ``tf.function`` and
    TensorFlow's executor between the ops; never negative)."""
    parts = {op: 1e3 * statistics.median(call[op] for call in seconds) for op in OPS}
    return {**parts, "other": max(sparse_ms - sum(parts.values()), 0.0)}


def block_fraction(stage, density, block_size):
    """The fraction of the blocks of ``block_size`` that the top-left mask of ``density`` activates."""
    params = geometry.calc_block_params(stage.size, block_size, 3)
    count = int(ops.reduce_mask(top_left_mask(stage.size, density), params).count)
    return count / (params.bcount[0] * params.bcount[1])


def measure(kind, stage, density, repeats, block_size=None, dense_fallback=None, ops_too=True, log=print):
    """Dense against sparse ``kind`` (``"conv"``: :func:`conv_functions`, ``"res"``: :func:`res_functions`) at
    ``stage`` and mask ``density``, over ``repeats`` interleaved rounds: ``{"speedup", "dense_ms", "sparse_ms",
    "block", "block_fraction"}`` and with ``ops_too`` ``"ops_ms"`` (:func:`breakdown` of one more sparse call per
    round, profiled). ``log`` gets a line."""
    make = conv_functions if kind == "conv" else res_functions
    block = stage.block_size if block_size is None else block_size
    functions = make(stage, density, block, dense_fallback=dense_fallback)
    seconds = []
    profile = (lambda: seconds.append(profiled_seconds(functions["sparse"]))) if ops_too else None
    medians = interleaved_medians(functions, repeats, each_round=profile)
    result = {"speedup": medians["dense"] / medians["sparse"], "dense_ms": 1e3 * medians["dense"],
              "sparse_ms": 1e3 * medians["sparse"], "block": block,
              "block_fraction": block_fraction(stage, density, block)}
    line = (f"{kind} {stage.name} density {density:.0%} block {block} fallback {dense_fallback}: "
            f"{result['speedup']:.2f}× (dense {result['dense_ms']:.1f} ms, sparse {result['sparse_ms']:.2f} ms")
    if ops_too:
        result["ops_ms"] = breakdown(seconds, result["sparse_ms"])
        line += " = " + " + ".join(f"{op} {ms:.2f}" for op, ms in result["ops_ms"].items())
    log(line + ")")
    return result


def block_sweep(kind, stage, densities, repeats, factors=SWEEP_FACTORS, log=print):
    """Speed-ups of ``kind`` at ``stage`` for output blocks of ``factors`` × the heuristic's (the blocks a sweep
    would try), at each of ``densities``: ``{"blocks": [...], "speedup": [[per block] per density]}``."""
    chosen = geometry.calc_block_params(stage.size, stage.block_size, 3).bsize_out[0]
    blocks = sorted({max(1, round(chosen * f)) + 2 for f in factors})
    speedups = [[measure(kind, stage, density, repeats, block, ops_too=False, log=log)["speedup"] for block in blocks]
                for density in densities]
    return {"blocks": blocks, "chosen": stage.block_size, "speedup": speedups}


def fallback_crossover(kind, stage, repeats, densities=CROSSOVER_DENSITIES, log=print):
    """The always-sparse path against the dense fallback path (``dense_fallback=0``: the dense computation masked to
    the active blocks) at high mask densities: ``{"block_fraction": [...], "sparse_over_fallback": [...],
    "crossover": the block fraction where the two take equal time, linearly interpolated, or None if the sparse
    path is faster throughout}``."""
    make = conv_functions if kind == "conv" else res_functions
    fractions, ratios = [], []
    for density in densities:
        sparse = make(stage, density, dense_fallback=None)["sparse"]
        fallback = make(stage, density, dense_fallback=0.0)["sparse"]
        medians = interleaved_medians({"sparse": sparse, "fallback": fallback}, repeats)
        fractions.append(block_fraction(stage, density, stage.block_size))
        ratios.append(medians["sparse"] / medians["fallback"])
        log(f"{kind} {stage.name} density {density:.0%} (blocks {fractions[-1]:.0%}): sparse / dense fallback "
            f"{ratios[-1]:.2f}")
    return {"block_fraction": fractions, "sparse_over_fallback": ratios, "crossover": crossing(fractions, ratios)}


def crossing(fractions, ratios):
    """The block fraction at which ``ratios`` (sparse time / dense fallback time, by block fraction) first reaches 1,
    linearly interpolated from the point before; None if it never does."""
    previous = None
    for fraction, ratio in sorted(zip(fractions, ratios)):
        if ratio >= 1.0:
            if previous is None:
                return fraction
            return previous[0] + (1.0 - previous[1]) * (fraction - previous[0]) / (ratio - previous[1])
        previous = (fraction, ratio)
    return None


def op_functions(stage, density, seed=0):
    """gather and scatter of the conv-sized input with the native kernels and with pure-TF ops."""
    rng = np.random.default_rng(seed)
    x = tf.constant(rng.standard_normal((1, *stage.size, stage.conv_channels)), tf.float32)
    params = geometry.calc_block_params(stage.size, stage.block_size, 3)
    indices = ops.reduce_mask(top_left_mask(stage.size, density), params).indices
    blocks = ops.sparse_gather(x, indices, params.bsize, params.bstrides, params.boffset)[:, 1:-1, 1:-1]
    functions = {}
    for impl in ("native", "tf"):
        functions[f"gather/{impl}"] = tf.function(
            lambda impl=impl: ops.sparse_gather(x, indices, params.bsize, params.bstrides, params.boffset, impl=impl))
        functions[f"scatter/{impl}"] = tf.function(
            lambda impl=impl: ops.sparse_scatter(blocks, indices, x, params.bsize_out, impl=impl))
    return functions


def speed_benchmark(stages, densities, repeats, fallback=DENSE_FALLBACK, sweep_densities=(), crossover=False,
                    log=print):
    """The whole speed benchmark as the data of the recorded result ``sbnet_speed``: for each kind and stage, at each
    density, the speed-up with the layers' block size and the op breakdown (:func:`measure`), the speed-up with
    ``dense_fallback=fallback`` at 100% density and the paper's figure at 10%; the native and pure-TF gather /
    scatter milliseconds at the first stage; with ``sweep_densities`` the :func:`block_sweep` at them, with
    ``crossover`` the :func:`fallback_crossover` of each kind and stage, and the machine's 1-minute load average at
    the start and the end (other processes share it)."""
    data = {"densities": list(densities), "fallback": fallback, "load_average": {"start": os.getloadavg()[0]},
            "stages": [{**dataclasses.asdict(stage), "block_size": stage.block_size} for stage in stages]}
    for k, kind in enumerate(KINDS):
        data[kind] = {}
        for stage in stages:
            cells = [measure(kind, stage, density, repeats, log=log) for density in densities]
            data[kind][stage.name] = {
                "speedup": [c["speedup"] for c in cells], "dense_ms": [c["dense_ms"] for c in cells],
                "sparse_ms": [c["sparse_ms"] for c in cells], "ops_ms": [c["ops_ms"] for c in cells],
                "block_fraction": [c["block_fraction"] for c in cells],
                "fallback_speedup": measure(kind, stage, 1.0, repeats, dense_fallback=fallback, ops_too=False,
                                            log=log)["speedup"],
                "paper_10_percent": PAPER_SPEEDUP_AT_10_PERCENT.get(stage.name, (None, None))[k]}
    medians = interleaved_medians(op_functions(stages[0], 0.1), repeats)
    data["ops_ms"] = {op: {impl: 1e3 * medians[f"{op}/{impl}"] for impl in ("native", "tf")}
                      for op in ("gather", "scatter")}
    if sweep_densities:
        data["sweep"] = {"densities": list(sweep_densities),
                         **{kind: {stage.name: block_sweep(kind, stage, sweep_densities, repeats, log=log)
                                   for stage in stages} for kind in KINDS}}
    if crossover:
        data["crossover"] = {kind: {stage.name: fallback_crossover(kind, stage, repeats, log=log) for stage in stages}
                             for kind in KINDS}
    data["load_average"]["end"] = os.getloadavg()[0]
    return data


def forward_speedup(sparse, dense, images, repeats):
    """Median batch-1 forward seconds ``{"sparse", "dense"}`` of two scene segmenters over ``images`` × ``repeats``,
    interleaved scene by scene (the sparse time includes the mask network and ``reduce_mask``)."""
    signature = [tf.TensorSpec((1, *images.shape[1:]), tf.uint8)]
    forwards = {name: tf.function(lambda x, model=model: model(x, training=False)["logits"],
                                  input_signature=signature, autograph=False)
                for name, model in (("sparse", sparse), ("dense", dense))}
    times = {name: [] for name in forwards}
    for image in images:
        x = tf.constant(image[None])
        for name, forward in forwards.items():
            forward(x).numpy()
            times[name].append(timer.median_seconds(lambda: forward(x).numpy(), repeats, warmup=0))
    return {name: statistics.median(values) for name, values in times.items()}
