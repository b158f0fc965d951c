"""The ``zoo`` command: list, info, fetch, eval, predict, export, demo."""
import argparse
import json
import sys
import time


def _cmd_list(args):
    import zoo

    names = zoo.list_models(args.pattern, pretrained=args.pretrained)
    from zoo import registry

    for name in names:
        spec = registry.get_model_spec(name)
        print(f"{name:32s} {spec.family:10s} {spec.paper:18s} {spec.description}")


def _cmd_info(args):
    import zoo

    print(json.dumps(zoo.model_info(args.name), indent=2))


def _cmd_fetch(args):
    from zoo import registry, weights

    print(weights.resolve(registry.get_weight_spec(args.name), progress=True))


def _cmd_eval(args):
    from zoo import evaluation

    result = evaluation.evaluate_pretrained(args.name, full=args.full)
    recorded = result["manifest_top1_accuracy"]
    recorded_text = "n/a" if recorded is None else f"{100 * recorded:.2f}%"
    print(f"{result['name']}: top-1 accuracy on {result['split']} ({result['examples']} images) = "
          f"{100 * result['top1_accuracy']:.2f}% (manifest: {recorded_text})")


def _cmd_predict(args):
    import numpy as np
    import tensorflow as tf

    from zoo import evaluation, registry
    from zoo.data import CLASS_NAMES

    spec = registry.get_weight_spec(args.name)
    height, width, channels = spec.preprocessing["input_shape"]
    image = tf.io.decode_image(tf.io.read_file(args.image), channels=channels, expand_animations=False)
    if tuple(image.shape[:2]) != (height, width):
        image = tf.cast(tf.round(tf.image.resize(image, (height, width))), tf.uint8)
    logits = evaluation.predict_logits(registry.load(spec.name), image.numpy()[None], spec.preprocessing)
    probabilities = tf.nn.softmax(logits[0]).numpy()
    names = CLASS_NAMES if spec.dataset == "fashion_mnist" else [str(i) for i in range(len(probabilities))]
    for index in np.argsort(-probabilities)[:args.top_k]:
        print(f"{probabilities[index]:.4f}  {names[index]}")


def _cmd_export(args):
    from zoo import export, registry

    spec = registry.get_weight_spec(args.name)
    if "image_features" in spec.preprocessing:  # an image-QA model: served with its encoder, two inputs
        from zoo.imageqa import export as imageqa_export
        directory = imageqa_export.export_saved_model(spec.name, args.directory)
        print(f"exported {spec.name} with {spec.preprocessing['image_features']} to {directory} (signature "
              f"{imageqa_export.SIGNATURE!r}: uint8 images + int32 question ids -> probabilities; vocabulary.json)")
        return
    if "input_shape" not in spec.preprocessing:
        raise SystemExit(f"zoo export serves image classifiers and image-QA models; {spec.name} "
                         f"(family {registry.get_model_spec(spec.name).family}) has no single-image input to "
                         "serve: build it with zoo.load and export it with keras.export")
    directory = export.export_saved_model(registry.load(spec.name), args.directory, preprocessing=spec.preprocessing)
    print(f"exported {spec.name} to {directory} (signature {export.SIGNATURE!r}: "
          f"{spec.preprocessing['input_dtype']} {[None, *spec.preprocessing['input_shape']]} -> probabilities)")


def _cmd_demo(args):
    from zoo import evaluation, registry

    names = registry.list_models(pretrained=True)
    if not names:
        print("no pretrained weights are registered in pretrained/manifest.json")
        return
    header = ("model", "paper", "dataset", "metric", "now (sample)", "manifest (sample)", "manifest (full test)",
              "load s")
    rows = []
    for name in names:
        spec = registry.get_weight_spec(name)
        if not evaluation.is_sample_classifier(spec):
            # other families (segmenter, few-shot, GHN) are loaded and verified here; their own tests reproduce
            # their golden outputs
            started = time.perf_counter()
            registry.load(spec.name)
            metric, value = next(iter(spec.metrics.items()))
            rows.append((name, registry.get_model_spec(name).paper, spec.dataset, metric, "n/a", "n/a", value,
                         f"{time.perf_counter() - started:.2f}"))
            continue
        result = evaluation.evaluate_pretrained(name)
        recorded = result["manifest_top1_accuracy"]
        rows.append((name, registry.get_model_spec(name).paper, spec.dataset, "top-1 acc",
                     f"{100 * result['top1_accuracy']:.2f}%", "n/a" if recorded is None else f"{100 * recorded:.2f}%",
                     f"{100 * spec.metrics['top1_accuracy']:.2f}%", f"{result['load_seconds']:.2f}"))
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)))
    print("\n'now (sample)' is measured on the test images embedded in zoo/data/samples; weights of other families "
          "show their recorded headline metric.")


def build_parser():
    """The argument parser of the ``zoo`` command."""
    parser = argparse.ArgumentParser(prog="zoo", description="Pretrained models of nine papers, by name.")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("list", help="list architectures, or pretrained weights with --pretrained")
    p.add_argument("pattern", nargs="?", default="*", help="fnmatch pattern (default: *)")
    p.add_argument("--pretrained", action="store_true", help="list weights (ARCH.TAG) instead of architectures")
    p.set_defaults(run=_cmd_list)
    p = commands.add_parser("info", help="architecture and weight record as JSON")
    p.add_argument("name")
    p.set_defaults(run=_cmd_info)
    p = commands.add_parser("fetch", help="resolve (download if needed) and verify a weight file")
    p.add_argument("name")
    p.set_defaults(run=_cmd_fetch)
    p = commands.add_parser("eval", help="accuracy now beside the manifest's")
    p.add_argument("name")
    p.add_argument("--full", action="store_true", help="evaluate on the full test split (default: embedded slice)")
    p.set_defaults(run=_cmd_eval)
    p = commands.add_parser("predict", help="top-k labels for an image file")
    p.add_argument("name")
    p.add_argument("image", help="PNG/JPEG/GIF/BMP file")
    p.add_argument("--top_k", type=int, default=3)
    p.set_defaults(run=_cmd_predict)
    p = commands.add_parser("export", help="write a SavedModel with a serving_default signature")
    p.add_argument("name")
    p.add_argument("directory")
    p.set_defaults(run=_cmd_export)
    p = commands.add_parser("demo", help="load every pretrained model and evaluate it on the embedded data")
    p.set_defaults(run=_cmd_demo)
    return parser


def main(argv=None):
    """Entry point of the ``zoo`` console script."""
    args = build_parser().parse_args(argv)
    from zoo import weights

    try:
        args.run(args)
    except (ValueError, weights.WeightsError, FileNotFoundError) as err:
        print(f"zoo {args.command}: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
