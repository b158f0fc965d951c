"""The ``zoo`` command: list, info, fetch, eval, predict, export, demo.

Every command goes through the task contract (:mod:`zoo.tasks`), so it works the same for every family. ``--help``,
``list`` and ``info`` never import TensorFlow; the other commands import it when they run. An error is one line on
stderr and exit status 2 (``--debug`` shows the traceback); a pattern that matches nothing is exit status 1.
"""
import argparse
import json
import pathlib
import sys
import time


def _cmd_list(args):
    from zoo import registry, tasks, weights

    names = registry.list_models(args.pattern, pretrained=args.pretrained)
    if not names:
        kind = "pretrained weights" if args.pretrained else "architectures"
        print(f"no {kind} match {args.pattern!r} (zoo list{' --pretrained' if not args.pretrained else ''} "
              "shows the others)", file=sys.stderr)
        return 1
    manifest = weights.load_manifest() if args.pretrained else {}
    for name in names:
        spec = registry.get_model_spec(name)
        if args.pretrained:
            headline = tasks.Headline.of(manifest[name])
            print(f"{name:48s} {spec.family:10s} {headline.name} {headline.format(headline.full)}")
        else:
            print(f"{name:28s} {spec.family:10s} {spec.paper:18s} {spec.description}")
    return 0


def _cmd_info(args):
    from zoo import registry, tasks

    info = registry.model_info(args.name)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"{info['architecture']}: {info['description']}")
    print(f"  family {info['family']}, paper {info['paper']}, builder {info['builder']}")
    print(f"  weights: {', '.join(info['weights']) or 'none'}"
          + (f" (default {info['default_weight']})" if info["default_weight"] else ""))
    weight = info.get("weight")
    if weight:
        spec = registry.get_weight_spec(args.name)
        headline = tasks.Headline.of(spec)
        print(f"  {headline.name}: {headline.format(headline.full)} on the full test data, "
              f"{headline.format(headline.sample)} on {headline.sample_data}")
        print(f"  trained on {weight['dataset']} ({weight['split'].get('train')}) by: {weight['command']}")
        if weight["class_names"]:
            print(f"  classes: {', '.join(weight['class_names'])}")
        print(f"  file {weight['file']} ({weight['size_bytes']:,} bytes, sha256 {weight['sha256'][:16]}…), "
              f"license {weight['license']}")
        print("  (zoo info NAME --json prints the whole record)")
    return 0


def _cmd_fetch(args):
    from zoo import registry, weights

    print(weights.resolve(registry.get_weight_spec(args.name), progress=True))
    return 0


def _cmd_eval(args):
    from zoo import evaluation

    result = evaluation.evaluate_pretrained(args.name, full=args.full)
    print(result.summary())
    if result.reproduces is False:
        print(f"zoo eval: error: {result.name} does not reproduce its recorded value within "
              f"{result.headline.format(result.headline.tolerance)}", file=sys.stderr)
        return 2
    return 0


def _cmd_predict(args):
    from zoo import registry

    if args.top_k < 1:
        raise ValueError(f"--top_k must be a positive integer, got {args.top_k}")
    weight = registry.get_weight_spec(args.name)
    task = registry.get_task(registry.get_model_spec(weight.name).family)
    inputs = task.read_inputs(args.inputs, weight, say=lambda note: print(f"note: {note}", file=sys.stderr))
    prediction = task.predict(registry.load(weight.name), inputs, weight, top_k=args.top_k)
    for line in prediction.lines():
        print(line)
    for path in prediction.save(pathlib.Path(args.output)):
        print(f"wrote {path}")
    return 0


def _cmd_export(args):
    from zoo import export

    options = {"architecture": args.architecture} if args.architecture else {}
    directory, signature = export.export_weight(args.name, args.directory, native=args.native, **options)
    described = lambda specs: ", ".join(f"{n} {d} {list(s)}" for n, (d, s) in specs.items())  # noqa: E731
    print(f"exported {args.name} to {directory}: serving_default takes {described(signature.inputs)} and returns "
          f"{described(signature.outputs)}; it checks {signature.checks}")
    return 0


def _cmd_demo(args):
    from zoo import evaluation, registry

    names = registry.list_models(args.pattern, pretrained=True)
    if not names:
        print(f"no pretrained weights match {args.pattern!r}", file=sys.stderr)
        return 1
    header = ("weight", "headline metric", "now (sample)", "recorded (sample)", "full test data", "load s")
    rows, failures = [], []
    for name in names:
        started = time.perf_counter()
        result = evaluation.evaluate_pretrained(name)
        h = result.headline
        rows.append((name, h.name, h.format(result.measurement.value), h.format(h.sample), h.format(h.full),
                     f"{result.load_seconds:.2f}"))
        print(f"{name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
        if not result.reproduces:
            failures.append(name)
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)))
    print("\n'now' is measured on the embedded sample each weight names (zoo info NAME); 'full test data' is the "
          "value recorded when it was trained (zoo eval NAME --full re-measures it).")
    if failures:
        print(f"zoo demo: error: not reproduced within tolerance: {', '.join(failures)}", file=sys.stderr)
        return 2
    return 0


def build_parser():
    """The argument parser of the ``zoo`` command."""
    parser = argparse.ArgumentParser(prog="zoo", description="Pretrained models of nine papers, by name.")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("list", help="list architectures, or pretrained weights with --pretrained")
    p.add_argument("pattern", nargs="?", default="*", help="fnmatch pattern (default: *)")
    p.add_argument("--pretrained", action="store_true", help="list weights (ARCH.TAG) instead of architectures")
    p.set_defaults(run=_cmd_list)
    p = commands.add_parser("info", help="an architecture or weight in a few lines")
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help="print everything, the whole weight record included")
    p.set_defaults(run=_cmd_info)
    p = commands.add_parser("fetch", help="resolve (download if needed) and verify a weight file")
    p.add_argument("name")
    p.set_defaults(run=_cmd_fetch)
    p = commands.add_parser("eval", help="the weight's headline metric measured now, beside the recorded values")
    p.add_argument("name")
    p.add_argument("--full", action="store_true", help="on the full test data (default: the embedded sample)")
    p.set_defaults(run=_cmd_eval)
    p = commands.add_parser("predict", help="run a weight on its natural input (see the docs for each family)",
                            description="INPUT: classifiers, segmenters and the image-QA encoder take IMAGE files; "
                            "image-QA models IMAGE QUESTION; few-shot models SUPPORT_DIR QUERY_DIR [UNLABELED_DIR]; "
                            "the GHN an architecture JSON file.")
    p.add_argument("name")
    p.add_argument("inputs", nargs="+", metavar="INPUT")
    p.add_argument("--top_k", type=int, default=3, help="how many classes or answers to show (default 3)")
    p.add_argument("--output", default=".", help="directory for the files a prediction writes (default: .)")
    p.set_defaults(run=_cmd_predict)
    p = commands.add_parser("export", help="write a SavedModel with a serving_default signature on raw inputs")
    p.add_argument("name")
    p.add_argument("directory")
    p.add_argument("--native", action="store_true", help="SBNet: use the compiled ops (the server must load them)")
    p.add_argument("--architecture", help="GHN: JSON file of the architecture whose generated network to serve")
    p.set_defaults(run=_cmd_export)
    p = commands.add_parser("demo", help="load every pretrained weight and measure its headline metric")
    p.add_argument("pattern", nargs="?", default="*", help="fnmatch pattern of weights (default: *)")
    p.set_defaults(run=_cmd_demo)
    return parser


def main(argv=None):
    """Entry point of the ``zoo`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print(f"zoo {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001  (every error is one line unless --debug)
        if args.debug:
            raise
        print(f"zoo {args.command}: error: {_one_line(error)}", file=sys.stderr)
        return 2


def _one_line(error):
    """The error's message on one line; of TensorFlow's errors, whose message carries a graph trace, the failed
    assertion (or the first line)."""
    lines = [line.strip() for line in (str(error) or type(error).__name__).splitlines() if line.strip()]
    if type(error).__module__.startswith("tensorflow"):
        lines = [line for line in lines if "assertion failed" in line][:1] or lines[:1]
    return " ".join(lines)


if __name__ == "__main__":
    sys.exit(main())
