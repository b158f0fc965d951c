"""Publish a training run's weights into the developers' mirror (pretrained/) and the packaged manifest, deriving
the golden outputs, the headline metric on the embedded sample and the class names from the weights; or recompute
those fields for weights already published. Then record the table of pretrained weights (result
``pretrained_weights``).

    python tools/zoo/publish.py --record=runs/resnet-32.fashion_mnist/resnet-32.fashion_mnist.json
    python tools/zoo/publish.py --refresh='*'          # every shipped weight, from pretrained/
"""
import fnmatch
import pathlib

from absl import app, flags

from zoo import benchmark, publish, reporting, weights

MIRROR = pathlib.Path(__file__).resolve().parents[2] / "pretrained"

RECORD = flags.DEFINE_string("record", None, "ARCH.TAG.json written by a training tool")
REFRESH = flags.DEFINE_string("refresh", None, "fnmatch pattern of published weights whose derived fields to recompute")
PRETRAINED_DIR = flags.DEFINE_string("pretrained_dir", str(MIRROR), "the mirror of weight files")
RESULTS = flags.DEFINE_string("results", str(reporting.RESULTS_DIR),
                              "directory of recorded results ('' = do not record the weights table)")


def main(argv):
    del argv
    if (RECORD.value is None) == (REFRESH.value is None):
        raise app.UsageError("give exactly one of --record and --refresh")
    if RECORD.value:
        specs = [publish.publish(RECORD.value, PRETRAINED_DIR.value)]
    else:
        names = fnmatch.filter(sorted(weights.load_manifest()), REFRESH.value)
        if not names:
            raise app.UsageError(f"--refresh={REFRESH.value!r} matches no published weight")
        specs = publish.refresh(names, PRETRAINED_DIR.value)
    for spec in specs:
        print(f"{spec.name}: {spec.headline['name']} {spec.headline['sample']} on the sample, golden "
              f"{len(spec.golden['outputs'])}×{len(spec.golden['outputs'][0])} values")
    if RESULTS.value:
        benchmark.record("pretrained_weights", RESULTS.value, tables=[publish.weights_table(weights.load_manifest())],
                         notes=[
            "Every shipped weight, from the packaged manifest: its headline metric on the full test data "
            "(`zoo eval NAME --full` re-measures it), measured by the training command at the end of its run."])


if __name__ == "__main__":
    app.run(main)
