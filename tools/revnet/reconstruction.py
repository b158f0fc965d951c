"""Measure how exactly a RevNet reconstructs activations from the outputs of its reversible stacks (float32);
records result ``revnet_reconstruction``.

    python tools/revnet/reconstruction.py --model=revnet-164 --batch_size=100
"""
from absl import app, flags
import keras
import numpy as np

from zoo import benchmark, registry, reporting
from zoo.revnet import benchmark as revnet_benchmark

MODEL = flags.DEFINE_string("model", "revnet-164", "registered RevNet architecture")
BATCH_SIZE = flags.DEFINE_integer("batch_size", 100, "images in the batch (paper CIFAR batch: 100)")
IMAGE_SIZE = flags.DEFINE_integer("image_size", 32, "input height and width")
SEED = flags.DEFINE_integer("seed", 0, "seed of the weights and the random images")
OUTPUT = flags.DEFINE_string("output", str(reporting.RESULTS_DIR), "directory of recorded results ('' to only print)")


def main(argv):
    del argv
    keras.utils.set_random_seed(SEED.value)
    model = registry.build(MODEL.value, input_shape=(IMAGE_SIZE.value, IMAGE_SIZE.value, 3))
    images = np.random.default_rng(SEED.value).standard_normal(
        (BATCH_SIZE.value, IMAGE_SIZE.value, IMAGE_SIZE.value, 3)).astype("float32")
    table = revnet_benchmark.reconstruction_table(model, images)
    size = f"{IMAGE_SIZE.value}×{IMAGE_SIZE.value}×3"
    benchmark.record("revnet_reconstruction", OUTPUT.value, tables=[table], notes=[
        f"Inputs of every reversible stack of a randomly initialised `{MODEL.value}` reconstructed from the stack's "
        f"output, unit by unit (float32, batch {BATCH_SIZE.value} of {size} standard-normal images). Relative error "
        "is ‖x̂ − x‖ / ‖x‖. Training mode is the one the reconstructing gradient uses; in inference mode the untrained "
        "moving averages let activations grow with depth, so the absolute error is larger."])


if __name__ == "__main__":
    app.run(main)
