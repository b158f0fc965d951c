"""Write the embedded Fashion-MNIST test slice: the first N test images of each class."""
from absl import app, flags
import numpy as np

from zoo.data import fashion_mnist, samples

PER_CLASS = flags.DEFINE_integer("per_class", 100, "test images per class")


def make_sample(per_class):
    images, labels = fashion_mnist.load_fashion_mnist("test")
    indices = np.sort(np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(10)]))
    np.savez_compressed(samples.SAMPLE_PATH, images=images[indices], labels=labels[indices].astype(np.uint8),
                        indices=indices.astype(np.int32))
    return indices


def main(_):
    indices = make_sample(PER_CLASS.value)
    print(f"wrote {len(indices)} images to {samples.SAMPLE_PATH}")


if __name__ == "__main__":
    app.run(main)
