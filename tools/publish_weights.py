"""Publish a training run's weights into pretrained/ and pretrained/manifest.json (adds golden outputs).

    python tools/publish_weights.py --record=runs/resnet-32.fashion_mnist/resnet-32.fashion_mnist.json
"""
from absl import app, flags

from zoo import publish

RECORD = flags.DEFINE_string("record", None, "MODEL.TAG.json written by tools/train.py", required=True)
PRETRAINED_DIR = flags.DEFINE_string("pretrained_dir", None, "destination (default: the source tree's pretrained/)")


def main(argv):
    del argv
    spec = publish.publish(RECORD.value, PRETRAINED_DIR.value)
    print(f"published {spec.name}: {spec.file} ({spec.size_bytes} bytes), metrics {spec.metrics}")


if __name__ == "__main__":
    app.run(main)
