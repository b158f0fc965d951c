"""Write the data embedded in the package: the Fashion-MNIST test slice (the first N test images of each class) and,
with --imageqa, the questions the image-QA question generator makes of the sample's scenes.

    python tools/make_sample.py            # zoo/data/samples/fashion_mnist_test_slice.npz
    python tools/make_sample.py --imageqa  # zoo/data/samples/imageqa_questions.json (needs zoo[imageqa], WordNet)
"""
import numpy as np
from absl import app, flags

from zoo.data import fashion_mnist, samples

PER_CLASS = flags.DEFINE_integer("per_class", 100, "test images per class")
IMAGEQA = flags.DEFINE_bool("imageqa", False, "write the image-QA sample questions instead")


def make_sample(per_class):
    """Write the first ``per_class`` test images of each class to the package; returns their indices."""
    images, labels = fashion_mnist.load_fashion_mnist("test")
    indices = np.sort(np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(10)]))
    np.savez_compressed(samples.SAMPLE_PATH, images=images[indices], labels=labels[indices].astype(np.uint8),
                        indices=indices.astype(np.int32))
    return indices


def main(_):
    if IMAGEQA.value:
        from zoo.imageqa import data, task

        count = data.write_sample_questions(task.embedded_scenes(task.SAMPLE_SCENES))
        print(f"wrote {count} questions of {task.SAMPLE_SCENES} scenes to {data.SAMPLE_QUESTIONS}")
    else:
        indices = make_sample(PER_CLASS.value)
        print(f"wrote {len(indices)} images to {samples.SAMPLE_PATH}")


if __name__ == "__main__":
    app.run(main)
