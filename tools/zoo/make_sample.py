"""Write the data embedded in the package: the Fashion-MNIST test slice (the first N test images of each class) and,
with --imageqa, the questions the image-QA question generator makes of the sample's scenes.

    python tools/zoo/make_sample.py            # zoo/data/samples/fashion_mnist_test_slice.npz
    python tools/zoo/make_sample.py --imageqa  # zoo/data/samples/imageqa_questions.json (needs zoo[imageqa], WordNet)
"""
from absl import app, flags

from zoo.data import fashion_mnist, samples

PER_CLASS = flags.DEFINE_integer("per_class", 100, "test images per class")
IMAGEQA = flags.DEFINE_bool("imageqa", False, "write the image-QA sample questions instead")


def main(_):
    if IMAGEQA.value:
        from zoo.imageqa import data, task

        count = data.write_sample_questions(task.embedded_scenes(task.SAMPLE_SCENES))
        print(f"wrote {count} questions of {task.SAMPLE_SCENES} scenes to {data.SAMPLE_QUESTIONS}")
    else:
        indices = samples.write_sample(*fashion_mnist.load_fashion_mnist("test"), PER_CLASS.value)
        print(f"wrote {len(indices)} images to {samples.SAMPLE_PATH}")


if __name__ == "__main__":
    app.run(main)
