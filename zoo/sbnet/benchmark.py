"""Speed of sparse-block computation against dense convolution at the paper's stage sizes (SBNet Table 1–2).

Each measurement is a ratio in one process: the dense SAME computation and the sparse one (``reduce_mask`` on
the mask included — the paper excluded it) on the same input, batch 1, inference, timed in interleaved rounds
so that machine noise hits both alike; the median of each is kept. CPU execution is synchronous, so a call
returns when its output is computed. :func:`speed_benchmark` runs it all (``tools/sbnet/bench.py``);
:func:`forward_speedup` times a trained scene segmenter against its dense twin (``tools/sbnet/train.py``).
"""
import dataclasses
import statistics
import time

import numpy as np
import tensorflow as tf

from zoo import benchmark as timer
from zoo.sbnet import geometry, ops
from zoo.sbnet.layers import SparseConv2D, SparseResBlock


@dataclasses.dataclass(frozen=True)
class Stage:
    """One of the paper's benchmark stages: input size, channels of the single conv and of the residual units,
    number of units, and the block sizes to try."""

    name: str
    size: tuple
    conv_channels: int
    res_channels: int
    units: int
    block_sizes: tuple


PAPER_STAGES = (
    Stage("conv-2", (400, 704), 24, 96, 3, (15, 23, 31, 47)),
    Stage("conv-3", (200, 352), 48, 192, 6, (11, 15, 23, 31)),
    Stage("conv-4", (100, 176), 64, 256, 6, (7, 11, 15, 23)),
    Stage("conv-5", (50, 88), 96, 384, 3, (5, 7, 11, 15)),
)
# Paper Table 1 (GTX 1080Ti, 90% sparsity, reduce_mask excluded): SBNet speed-up of one conv and of the units.
PAPER_SPEEDUP_AT_10_PERCENT = {"conv-2": (3.39, 8.22), "conv-3": (2.47, 6.27), "conv-4": (1.34, 3.73),
                               "conv-5": (0.88, 1.64)}

KINDS = ("conv", "res")
"""What is timed at each stage: one 3×3 convolution, and the stage's stack of bottleneck units."""

FALLBACK = 0.75
"""The layers' default ``dense_fallback``, timed at 100% density beside the always-sparse layers."""


def top_left_mask(size, density):
    """The official benchmark's synthetic mask: a top-left rectangle covering ``density`` of the image."""
    mask = np.zeros((1, *size), np.float32)
    side = np.sqrt(density)
    mask[0, :int(round(size[0] * side)), :int(round(size[1] * side))] = 1.0
    return tf.constant(mask)


def interleaved_medians(functions, repeats, warmup=2):
    """Median seconds of each zero-argument function, timing them in turn ``repeats`` times."""
    for fn in functions.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, fn in functions.items():
            started = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def conv_functions(stage, density, dense_fallback=None, impl="auto", seed=0):
    """Dense 3×3 SAME conv and, per block size, :class:`SparseConv2D` with the same kernel on the mask
    (reduce_mask → gather → VALID conv → scatter onto zeros, or its dense fallback)."""
    rng = np.random.default_rng(seed)
    c = stage.conv_channels
    x = tf.constant(rng.standard_normal((1, *stage.size, c)), tf.float32)
    kernel = tf.constant(rng.standard_normal((3, 3, c, c)) * 0.1, tf.float32)
    mask = top_left_mask(stage.size, density)
    functions = {"dense": tf.function(lambda: tf.nn.conv2d(x, kernel, 1, "SAME"))}
    for block in stage.block_sizes:
        layer = SparseConv2D(c, 3, block, use_bias=False, impl=impl, dense_fallback=dense_fallback)
        layer((x, mask))
        layer.set_weights([kernel])
        functions[block] = tf.function(lambda layer=layer: layer((x, mask)))
    return functions


def res_functions(stage, density, dense_fallback=None, impl="auto", seed=0):
    """The stage's stack of bottleneck units run densely and, per block size, sparsely on one shared mask."""
    rng = np.random.default_rng(seed)
    x = tf.constant(rng.standard_normal((1, *stage.size, stage.res_channels)), tf.float32)
    mask = top_left_mask(stage.size, density)
    dense_units = [SparseResBlock(stage.res_channels, 5, sparse=False) for _ in range(stage.units)]
    for unit in dense_units:
        unit(x)
    weights = [unit.get_weights() for unit in dense_units]

    @tf.function
    def dense():
        y = x
        for unit in dense_units:
            y = unit(y, training=False)
        return y

    functions = {"dense": dense}
    for block in stage.block_sizes:
        units = [SparseResBlock(stage.res_channels, block, impl=impl, dense_fallback=dense_fallback)
                 for _ in range(stage.units)]
        for unit, w in zip(units, weights):
            unit((x, mask))
            unit.set_weights(w)

        @tf.function
        def sparse(units=units):
            indices = ops.reduce_mask(mask, units[0].block_params(stage.size), impl=impl).indices
            y = x
            for unit in units:
                y = unit((y, indices), training=False)
            return y

        functions[block] = sparse
    return functions


def best_speedup(medians):
    """(speed-up of the fastest sparse variant over dense, its block size, dense seconds, sparse seconds)."""
    block = min((k for k in medians if k != "dense"), key=lambda k: medians[k])
    return medians["dense"] / medians[block], block, medians["dense"], medians[block]


def op_functions(stage, density, seed=0):
    """gather and scatter of the conv-sized input with the native kernels and with pure-TF ops."""
    rng = np.random.default_rng(seed)
    x = tf.constant(rng.standard_normal((1, *stage.size, stage.conv_channels)), tf.float32)
    params = geometry.calc_block_params(stage.size, stage.block_sizes[1], 3)
    indices = ops.reduce_mask(top_left_mask(stage.size, density), params).indices
    blocks = ops.sparse_gather(x, indices, params.bsize, params.bstrides, params.boffset)[:, 1:-1, 1:-1]
    functions = {}
    for impl in ("native", "tf"):
        functions[f"gather/{impl}"] = tf.function(
            lambda impl=impl: ops.sparse_gather(x, indices, params.bsize, params.bstrides, params.boffset, impl=impl))
        functions[f"scatter/{impl}"] = tf.function(
            lambda impl=impl: ops.sparse_scatter(blocks, indices, x, params.bsize_out, impl=impl))
    return functions


def measure(kind, stage, density, repeats, dense_fallback=None, log=print):
    """:func:`best_speedup` of ``kind`` (``"conv"``: :func:`conv_functions`, ``"res"``: :func:`res_functions`) at
    ``stage`` and mask ``density``, over ``repeats`` interleaved rounds; ``log`` gets a line about it."""
    make = conv_functions if kind == "conv" else res_functions
    result = best_speedup(interleaved_medians(make(stage, density, dense_fallback=dense_fallback), repeats))
    log(f"{kind} {stage.name} density {density:.0%} fallback {dense_fallback}: {result[0]:.2f}× "
        f"(block {result[1]}, dense {result[2] * 1e3:.1f} ms, sparse {result[3] * 1e3:.1f} ms)")
    return result


def speed_benchmark(stages, densities, repeats, fallback=FALLBACK, log=print):
    """The whole speed benchmark as the data of the recorded result ``sbnet_speed``: for each kind and stage the best
    speed-up and its block size at each density, the speed-up with ``dense_fallback=fallback`` at 100% density and
    the paper's figure at 10%, and the native and pure-TF gather / scatter milliseconds at the first stage."""
    data = {"densities": list(densities), "stages": [dataclasses.asdict(stage) for stage in stages],
            "fallback": fallback}
    for k, kind in enumerate(KINDS):
        data[kind] = {}
        for stage in stages:
            results = [measure(kind, stage, density, repeats, log=log) for density in densities]
            data[kind][stage.name] = {
                "speedup": [r[0] for r in results], "block": [r[1] for r in results],
                "fallback_speedup": measure(kind, stage, 1.0, repeats, dense_fallback=fallback, log=log)[0],
                "paper_10_percent": PAPER_SPEEDUP_AT_10_PERCENT.get(stage.name, (None, None))[k]}
    medians = interleaved_medians(op_functions(stages[0], 0.1), repeats)
    data["ops_ms"] = {op: {impl: 1e3 * medians[f"{op}/{impl}"] for impl in ("native", "tf")}
                      for op in ("gather", "scatter")}
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
