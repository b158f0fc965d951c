"""Publish a training run's weights into pretrained/ and pretrained/manifest.json (adds golden outputs), and
rewrite the table of pretrained weights in docs/RESULTS.md from the manifest.

    python tools/publish_weights.py --record=runs/resnet-32.fashion_mnist/resnet-32.fashion_mnist.json
"""
import shlex
import sys

from absl import app, flags

from zoo import benchmark, publish, weights

RECORD = flags.DEFINE_string("record", None, "MODEL.TAG.json written by tools/train.py", required=True)
PRETRAINED_DIR = flags.DEFINE_string("pretrained_dir", None, "destination (default: the source tree's pretrained/)")
RESULTS = flags.DEFINE_string("results", "docs/RESULTS.md", "markdown file whose weights table is rewritten")


def main(argv):
    del argv
    spec = publish.publish(RECORD.value, PRETRAINED_DIR.value)
    print(f"published {spec.name}: {spec.file} ({spec.size_bytes} bytes), metrics {spec.metrics}")
    body = ("Every shipped weight, from `pretrained/manifest.json`: its result on the full test split (classifiers: "
            "top-1 accuracy; `zoo eval NAME --full` re-measures it) or test set named in its section, measured by "
            "the training command at the end of its run.\n\n"
            + publish.weights_table(weights.load_manifest()))
    benchmark.write_section(RESULTS.value, "Pretrained weights", body, shlex.join(["python", *sys.argv]))


if __name__ == "__main__":
    app.run(main)
