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


def speedup_table(data, kind):
    """The speed-up of ``kind`` (``"conv"`` or ``"res"``) per stage and density from the ``sbnet_speed`` data
    (:func:`zoo.sbnet.benchmark.speed_benchmark`), with the block size of each cell, the dense fallback at 100% and
    the paper's figure at 10%."""
    caption = ("One 3×3 convolution (C → C):" if kind == "conv" else
               "Residual units (bottleneck 1×1 C→C/4, 3×3, 1×1 C/4→C, BN-ReLU before each):")
    rows = []
    for stage in data["stages"]:
        cell = data[kind][stage["name"]]
        channels = (str(stage["conv_channels"]) if kind == "conv" else
                    f"{stage['res_channels']} × {stage['units']} units")
        paper = cell["paper_10_percent"]
        rows.append([stage["name"], "×".join(map(str, stage["size"])), channels,
                     *(f"{s:.2f}× (b{b})" for s, b in zip(cell["speedup"], cell["block"])),
                     f"{cell['fallback_speedup']:.2f}×", "–" if paper is None else f"{paper}×"])
    return reporting.Table(["stage", "size", "channels", *(f"{d:.0%}" for d in data["densities"]),
                            "100%, dense fallback", "paper 10% (1080Ti)"], rows, caption)


def ops_table(data):
    """Native kernels against the pure-TF ops (gather and scatter) from the ``sbnet_speed`` data."""
    stage = data["stages"][0]
    rows = [[op, f"{ms['native']:.2f} ms", f"{ms['tf']:.2f} ms", f"{ms['tf'] / ms['native']:.2f}×"]
            for op, ms in data["ops_ms"].items()]
    return reporting.Table(["op", "native", "pure TF", "native speed-up"], rows,
                           f"Native kernels vs the pure-TF ops (`impl=\"tf\"`), {stage['name']} input "
                           f"({stage['conv_channels']} channels), 10% density, block {stage['block_sizes'][1]}:")


def speed_notes(repeats, fallback):
    """The setting of the speed benchmark."""
    return ["Speed-up = dense time / sparse time, batch 1, inference, float32 NHWC, native kernels, synthetic "
            "top-left mask (the official benchmark's), best block size per cell (bN = N×N input blocks), "
            "**reduce_mask included** (the paper excluded it). Dense: `tf.nn.conv2d` SAME / the same units with "
            "`sparse=False`. Sparse: `SparseConv2D` / `SparseResBlock` stacks sharing one `reduce_mask`, "
            "`dense_fallback=None` (always sparse); the next-to-last column is the layers' default "
            f"`dense_fallback={fallback}` at 100% density. Interleaved rounds in one process, median of {repeats}; the "
            "machine is shared, so single cells vary between runs (up to about ±25%)."]
