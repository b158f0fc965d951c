"""The tables of the recorded SBNet results: the scene segmenter against its dense twin (``sbnet_segmentation``)
and the speed benchmark at the paper's stage sizes (``sbnet_speed``), from the numbers the tools measure."""
from zoo import reporting
from zoo.sbnet import segmenter

MODELS = (("sparse", "`sbnet-segnet` (SBNet, predicted mask)"),
          ("dense", "`sbnet-segnet-dense` (same weights, every pixel)"))

PAPER_SEGMENTATION = ("Paper (Table 5, LiDAR car detector, Titan XP): SBNet with a PSPNet mask (90% sparse) ran 3.08× "
                      "faster than the dense detector at 73.8 vs 74.1 mAP (both trained for their own mode).")


def segmentation_table(results):
    """Both models' metrics (%), the sparse model's mask and first-stage block densities and the speed-up, from
    ``results`` ``{"sparse": metrics, "dense": metrics, "speedup": dense / sparse seconds}``."""
    rows = []
    for name, label in MODELS:
        m = results[name]
        rows.append([label, *(f"{100 * m[key]:.2f}" for key in ("pixel_accuracy", "mean_iou", "foreground_iou",
                                                                 "foreground_pixel_accuracy")),
                     f"{100 * m['mask_density']:.1f}% / {100 * m['block_density']:.1f}%" if name == "sparse"
                     else "100%",
                     f"{results['speedup']:.2f}×" if name == "sparse" else "1.00×"])
    return reporting.Table(["model", "pixel acc. %", "mIoU %", "foreground IoU %", "foreground pixel acc. %",
                            "mask / first-stage blocks", "speed-up"], rows)


def segmentation_notes(results, scenes=segmenter.SCENES):
    """The setting of the segmentation result (scenes, training, how the speed-up was timed) and the paper's
    figure, from ``results`` (the run's numbers and recipe)."""
    return [
        f"Per-pixel 11-way segmentation (background + 10 classes) of {scenes.height}×{scenes.width} scenes with "
        f"{scenes.min_objects}–{scenes.max_objects} Fashion-MNIST articles, on all {results['test_scenes']} test "
        f"scenes (test-split articles). Trained end-to-end in sparse mode: {results['steps']} steps × "
        f"{results['batch_size']} new scenes (one pass over {results['steps'] * results['batch_size']:,} train "
        f"scenes), Adam {results['lr']:g} with cosine decay, {results['train_minutes']:.0f} min on this machine "
        f"(shared with other jobs). The mask network's computation mask covers "
        f"{100 * results['sparse']['foreground_covered']:.4f}% of the foreground pixels; the dense twin is the same "
        "weights run on every pixel (its batch norm uses the statistics gathered on sparse blocks). Speed-up: median "
        "batch-1 forward time of the dense twin over that of the sparse model (mask network and `reduce_mask` "
        f"included), {results['timing_scenes']} test scenes × {results['timing_repeats']} runs, interleaved, same "
        f"process, `impl={results['impl']}`.", PAPER_SEGMENTATION]


KIND_CAPTIONS = {"conv": "One 3×3 convolution (C → C)",
                 "res": "Residual units (bottleneck 1×1 C→C/4, 3×3, 1×1 C/4→C, BN-ReLU before each)"}
OP_COLUMNS = ("reduce_mask", "gather", "convolution", "scatter", "other")
"""The breakdown's keys (:data:`zoo.sbnet.benchmark.OPS` and the rest), in column order; each names its column."""


def _channels(stage, kind):
    return str(stage["conv_channels"]) if kind == "conv" else f"{stage['res_channels']} × {stage['units']} units"


def speedup_table(data, kind):
    """The speed-up of ``kind`` (``"conv"`` or ``"res"``) per stage and density from the ``sbnet_speed`` data
    (:func:`zoo.sbnet.benchmark.speed_benchmark`), with each stage's block size, the dense fallback at 100% and the
    paper's figure at 10%."""
    rows = []
    for stage in data["stages"]:
        cell = data[kind][stage["name"]]
        paper = cell["paper_10_percent"]
        rows.append([stage["name"], "×".join(map(str, stage["size"])), _channels(stage, kind),
                     str(stage["block_size"]), *(f"{s:.2f}×" for s in cell["speedup"]),
                     f"{cell['fallback_speedup']:.2f}×", "–" if paper is None else f"{paper}×"])
    return reporting.Table(["stage", "size", "channels", "block", *(f"{d:.0%}" for d in data["densities"]),
                            "100%, dense fallback", "paper 10% (1080Ti)"], rows, KIND_CAPTIONS[kind] + ":")


def breakdown_table(data, kind, densities=(0.1, 1.0)):
    """Where the sparse time of ``kind`` goes at each of ``densities`` (those measured), per stage: the dense time (the
    reference), the sparse time and the speed-up, and each op's milliseconds with its share of the sparse time."""
    rows = []
    for stage in data["stages"]:
        cell = data[kind][stage["name"]]
        for density in densities:
            if density not in data["densities"]:
                continue
            i = data["densities"].index(density)
            sparse, parts = cell["sparse_ms"][i], cell["ops_ms"][i]
            rows.append([stage["name"], f"{density:.0%}", f"{cell['block_fraction'][i]:.0%}",
                         f"{cell['dense_ms'][i]:.2f}", f"{sparse:.2f}", f"{cell['speedup'][i]:.2f}×",
                         *(f"{parts[key]:.2f} ({parts[key] / sparse:.0%})" for key in OP_COLUMNS)])
    return reporting.Table(["stage", "density", "blocks active", "dense ms", "sparse ms", "speed-up",
                            *(f"{key} ms" for key in OP_COLUMNS)], rows,
                           f"Where the time goes — {KIND_CAPTIONS[kind][0].lower()}{KIND_CAPTIONS[kind][1:]}, "
                           "always sparse; each op's own time in a profiled call of the same rounds (ms and share "
                           "of the sparse time; the layers' small ops count as convolution; other = the rest: "
                           "calling the tf.function and the executor between the ops):")


def sweep_table(data, kind):
    """The speed-up of ``kind`` for the block sizes around each stage's choice (``data["sweep"]``,
    :func:`zoo.sbnet.benchmark.block_sweep`), the chosen size in bold."""
    sweep = data["sweep"]
    rows = []
    for stage in data["stages"]:
        cell = sweep[kind][stage["name"]]
        for density, speedups in zip(sweep["densities"], cell["speedup"]):
            rows.append([stage["name"], f"{density:.0%}", ", ".join(
                (f"**b{b} {s:.2f}×**" if b == cell["chosen"] else f"b{b} {s:.2f}×")
                for b, s in zip(cell["blocks"], speedups))])
    return reporting.Table(["stage", "density", "speed-up by block size (chosen in bold)"], rows,
                           f"Block sizes around the heuristic's — {KIND_CAPTIONS[kind][0].lower()}"
                           f"{KIND_CAPTIONS[kind][1:]}:")


def crossover_table(data):
    """The always-sparse time over the dense fallback's time as more blocks are active (``data["crossover"]``,
    :func:`zoo.sbnet.benchmark.fallback_crossover`), and the block fraction where they are equal."""
    rows = []
    for kind, name in (("conv", "conv"), ("res", "res units")):
        for stage in data["stages"]:
            cell = data["crossover"][kind][stage["name"]]
            crossover = cell["crossover"]
            rows.append([stage["name"], name, ", ".join(f"{f:.0%}: {r:.2f}" for f, r in
                                                        zip(cell["block_fraction"], cell["sparse_over_fallback"])),
                         "never" if crossover is None else f"{crossover:.0%}"])
    return reporting.Table(["stage", "kind", "blocks active: sparse time / dense fallback time", "equal at"], rows,
                           "Always sparse against the dense fallback (dense computation kept on the active blocks):")


def ops_table(data):
    """Native kernels against the pure-TF ops (gather and scatter) from the ``sbnet_speed`` data."""
    stage = data["stages"][0]
    rows = [[op, f"{ms['native']:.2f} ms", f"{ms['tf']:.2f} ms", f"{ms['tf'] / ms['native']:.2f}×"]
            for op, ms in data["ops_ms"].items()]
    return reporting.Table(["op", "native", "pure TF", "native speed-up"], rows,
                           f"Native kernels vs the pure-TF ops (`impl=\"tf\"`), {stage['name']} input "
                           f"({stage['conv_channels']} channels), 10% density, block {stage['block_size']}:")


def speed_tables(data):
    """Every table of the ``sbnet_speed`` data, in page order."""
    tables = [speedup_table(data, "conv"), speedup_table(data, "res"), breakdown_table(data, "conv"),
              breakdown_table(data, "res")]
    if "sweep" in data:
        tables += [sweep_table(data, "conv"), sweep_table(data, "res")]
    if "crossover" in data:
        tables.append(crossover_table(data))
    return tables + [ops_table(data)]


def speed_notes(repeats, fallback, load_average=None):
    """The setting of the speed benchmark; ``load_average`` (``{"start", "end"}``) is the machine's while it ran."""
    notes = ["Speed-up = dense time / sparse time, batch 1, inference, float32 NHWC, native kernels, synthetic "
             "top-left mask (the official benchmark's), **reduce_mask included** (the paper excluded it). Dense: "
             "`tf.nn.conv2d` SAME / the same units with `sparse=False`. Sparse: `SparseConv2D` / `SparseResBlock` "
             "stacks sharing one `reduce_mask`, `dense_fallback=None` (always sparse), blocks of the layers' own "
             "choice (`block_size=None`: `zoo.sbnet.geometry.default_block_size`, bN = N×N input blocks); the "
             f"\"dense fallback\" column is the layers' default `dense_fallback={fallback}` at 100% density. "
             f"Interleaved rounds in one process, median of {repeats}; the op breakdown gives each op's own time in "
             "one more sparse call per round, traced by TensorFlow's profiler (median), and the rest of the sparse "
             "time as other."]
    if load_average:
        notes.append(f"The machine is shared: its 1-minute load average was {load_average['start']:.1f} when the "
                     f"run started and {load_average['end']:.1f} when it ended.")
    return notes
