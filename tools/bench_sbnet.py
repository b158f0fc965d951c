"""Sparse-block speed-ups against dense convolution at the SBNet paper's stage sizes, into docs/BENCHMARKS.md.

    python tools/bench_sbnet.py            # 4 stages × densities 5–100%, conv and residual units (~15 min)
    python tools/bench_sbnet.py --quick --output= --plot=   # conv-2 at 10% and 100% only, printed

Batch 1, inference, float32, synthetic top-left mask as in the official benchmark; reduce_mask is timed (the
paper excluded it); every sparse/dense pair is timed in interleaved rounds in one process (median).
"""
import os
import shlex
import sys

from absl import app, flags

from zoo import benchmark
from zoo.sbnet import benchmark as sbnet_benchmark

DENSITIES = flags.DEFINE_list("densities", ["0.05", "0.1", "0.25", "0.5", "1.0"], "mask densities")
REPEATS = flags.DEFINE_integer("repeats", 7, "interleaved timing rounds (median reported)")
QUICK = flags.DEFINE_bool("quick", False, "conv-2 only, densities 10% and 100%, 3 rounds")
OUTPUT = flags.DEFINE_string("output", "docs/BENCHMARKS.md", "markdown file to update ('' to only print)")
PLOT = flags.DEFINE_string("plot", "docs/images/sbnet_speedup.png", "speed-up vs density plot ('' for none)")
FALLBACK = 0.75  # the layers' default dense_fallback


def measure(kind, stage, density, repeats, dense_fallback=None):
    make = sbnet_benchmark.conv_functions if kind == "conv" else sbnet_benchmark.res_functions
    medians = sbnet_benchmark.interleaved_medians(make(stage, density, dense_fallback=dense_fallback), repeats)
    result = sbnet_benchmark.best_speedup(medians)
    print(f"{kind} {stage.name} density {density:.0%} fallback {dense_fallback}: {result[0]:.2f}× "
          f"(block {result[1]}, dense {result[2] * 1e3:.1f} ms, sparse {result[3] * 1e3:.1f} ms)", flush=True)
    return result


def speedup_table(kind, stages, densities, results, fallback):
    channels = (lambda s: s.conv_channels) if kind == "conv" else (lambda s: f"{s.res_channels} × {s.units} units")
    header = ("stage", "size", "channels", *(f"{d:.0%}" for d in densities), "100%, dense fallback",
              "paper 10% (1080Ti)")
    rows = []
    for stage in stages:
        cells = [f"{results[kind, stage.name, d][0]:.2f}× (b{results[kind, stage.name, d][1]})" for d in densities]
        fb = fallback.get((kind, stage.name))
        paper = sbnet_benchmark.PAPER_SPEEDUP_AT_10_PERCENT[stage.name][0 if kind == "conv" else 1]
        rows.append((stage.name, "×".join(map(str, stage.size)), channels(stage), *cells,
                     f"{fb[0]:.2f}×" if fb else "–", f"{paper}×"))
    return benchmark.markdown_table(header, rows)


def ops_table(stage, repeats):
    medians = sbnet_benchmark.interleaved_medians(sbnet_benchmark.op_functions(stage, 0.1), repeats)
    rows = [(op, f"{medians[f'{op}/native'] * 1e3:.2f} ms", f"{medians[f'{op}/tf'] * 1e3:.2f} ms",
             f"{medians[f'{op}/tf'] / medians[f'{op}/native']:.2f}×") for op in ("gather", "scatter")]
    print(rows, flush=True)
    return benchmark.markdown_table(("op", "native", "pure TF", "native speed-up"), rows)


def plot(stages, densities, results, path):
    plt = benchmark.pyplot()
    figure, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for axis, kind, title in zip(axes, ("conv", "res"), ("one 3×3 conv", "stack of bottleneck units")):
        for stage in stages:
            axis.plot([100 * d for d in densities], [results[kind, stage.name, d][0] for d in densities], "o-",
                      label=stage.name)
        axis.axhline(1.0, color="gray", lw=0.8)
        axis.plot([100 / d for d in (1, 2, 4, 10, 20)], [1, 2, 4, 10, 20], ":", color="black", lw=0.8,
                  label="1 / density")
        axis.set(xscale="log", yscale="log", xlabel="mask density (%)", title=title)
        axis.grid(alpha=0.3)
    axes[0].set_ylabel("speed-up over dense (incl. reduce_mask)")
    axes[0].legend()
    figure.tight_layout()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    figure.savefig(path, dpi=110)


def main(argv):
    del argv
    stages = sbnet_benchmark.PAPER_STAGES[:1] if QUICK.value else sbnet_benchmark.PAPER_STAGES
    densities = [0.1, 1.0] if QUICK.value else [float(d) for d in DENSITIES.value]
    repeats = 3 if QUICK.value else REPEATS.value
    results, fallback = {}, {}
    for kind in ("conv", "res"):
        for stage in stages:
            for density in densities:
                results[kind, stage.name, density] = measure(kind, stage, density, repeats)
            fallback[kind, stage.name] = measure(kind, stage, 1.0, repeats, dense_fallback=FALLBACK)
    body = "\n\n".join([
        "Speed-up = dense time / sparse time, batch 1, inference, float32 NHWC, native kernels, synthetic "
        "top-left mask (the official benchmark's), best block size per cell (bN = N×N input blocks), "
        "**reduce_mask included** (the paper excluded it). Dense: `tf.nn.conv2d` SAME / the same units with "
        "`sparse=False`. Sparse: `SparseConv2D` / `SparseResBlock` stacks sharing one `reduce_mask`, "
        "`dense_fallback=None` (always sparse); the next-to-last column is the layers' default "
        f"`dense_fallback={FALLBACK}` at 100% density. Interleaved rounds in one process, median of "
        f"{repeats}; the machine is shared, so single cells vary between runs (up to about ±25%).",
        "One 3×3 convolution (C → C):",
        speedup_table("conv", stages, densities, results, fallback),
        "Residual units (bottleneck 1×1 C→C/4, 3×3, 1×1 C/4→C, BN-ReLU before each):",
        speedup_table("res", stages, densities, results, fallback),
        f"Native kernels vs the pure-TF ops (`impl=\"tf\"`), {stages[0].name} input "
        f"({stages[0].conv_channels} channels), 10% density, block {stages[0].block_sizes[1]}:",
        ops_table(stages[0], repeats),
    ])
    print(body)
    if PLOT.value and not QUICK.value:
        plot(stages, densities, results, PLOT.value)
        body += f"\n\n![SBNet speed-up vs density]({os.path.relpath(PLOT.value, os.path.dirname(OUTPUT.value) or '.')})"
    if OUTPUT.value:
        benchmark.write_section(OUTPUT.value, "SBNet sparse blocks vs dense convolution", body,
                                shlex.join(["python", *sys.argv]))


if __name__ == "__main__":
    app.run(main)
