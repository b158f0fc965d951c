"""Image classification: logits and accuracy on raw stored images, and the task contract of every classifier family
(ResNet, RevNet, the divisive-normalization CNNs, the reweighting LeNet)."""
import dataclasses
import json

import numpy as np
import tensorflow as tf

from zoo import tasks
from zoo.data import datasets, preprocessing, samples
from zoo.data import images as images_lib
from zoo.data.fashion_mnist import CLASS_NAMES
from zoo.export import checked

SAMPLE_DATA = "the 2,000 Fashion-MNIST test images embedded in the package (zoo/data/samples)"
GOLDEN_EXAMPLES = 4


def predict_logits(model, images, record, batch_size=500):
    """Logits of ``model`` on raw ``images`` preprocessed as ``record`` says, in inference mode."""
    outputs = []
    for start in range(0, len(images), batch_size):
        x = preprocessing.preprocess(images[start:start + batch_size], record)
        outputs.append(np.asarray(model(x, training=False)))
    return np.concatenate(outputs) if outputs else np.zeros((0, model.output_shape[-1]), np.float32)


def accuracy(model, images, labels, record, batch_size=500):
    """Top-1 accuracy (in [0, 1]) of ``model`` on raw ``images`` with integer ``labels``."""
    if len(images) == 0:
        raise ValueError("images is empty")
    logits = predict_logits(model, images, record, batch_size)
    return float(np.mean(np.argmax(logits, axis=-1) == np.asarray(labels)))


@dataclasses.dataclass(frozen=True)
class ClassPrediction(tasks.Prediction):
    """The ``top_k`` most probable classes of each image: ``probabilities`` ``(N, classes)`` and ``class_names``."""

    probabilities: np.ndarray
    class_names: list
    top_k: int
    sources: list

    def lines(self):
        out = []
        for source, row in zip(self.sources, self.probabilities):
            if len(self.sources) > 1:
                out.append(f"{source}:")
            out += [f"{row[i]:.4f}  {self.class_names[i]}" for i in np.argsort(-row, kind="stable")[:self.top_k]]
        return out


class ImageClassificationTask(tasks.Task):
    """A classifier of single images: raw stored images in, class probabilities out (the record's preprocessing
    inside), judged by top-1 accuracy on the embedded Fashion-MNIST test images or the full test split."""

    inputs_help = "IMAGE [IMAGE ...]"
    full_data_hint = ("the full Fashion-MNIST test split is not installed: apt-get install dataset-fashion-mnist, "
                      "or set ZOO_DATA_DIR to a directory holding its IDX files")

    def __init__(self, family):
        self.family = family

    def read_inputs(self, paths, weight, say=print):
        return images_lib.read_images(paths, weight.preprocessing["input_shape"], say)

    def predict(self, model, inputs, weight, top_k=3):
        serve = self.serving(model, weight).function
        probabilities = serve(images=tf.constant(inputs["images"]))["probabilities"].numpy()
        return ClassPrediction(probabilities, _class_names(weight, probabilities.shape[-1]), top_k, inputs["sources"])

    def evaluate(self, model, weight, full=False, progress=None):
        if full:
            images, labels = _full_test_split(weight, self.full_data_hint)
            data = f"{weight.dataset} test split"
        else:
            if weight.dataset != "fashion_mnist":
                raise tasks.MissingDataError(f"{weight.name} was trained on {weight.dataset}, which has no embedded "
                                             "sample: evaluate it with --full")
            images, labels, _ = samples.load_sample()
            data = SAMPLE_DATA
        return tasks.Measurement(accuracy(model, images, labels, weight.preprocessing), len(labels), data)

    def golden_inputs(self, weight):
        """The first four Fashion-MNIST test images embedded in the package (zoo/data/samples)."""
        return samples.load_sample()[0][:GOLDEN_EXAMPLES]

    def golden_outputs(self, model, inputs, weight):
        return predict_logits(model, inputs, weight.preprocessing)

    def signature(self, weight):
        record = weight.preprocessing
        return tasks.Signature(
            inputs={"images": (record["input_dtype"], (None, *record["input_shape"]))},
            outputs={"probabilities": ("float32", (None, len(weight.class_names) or None))},
            checks="rank 4, height, width and channels (the dtype by the signature)")

    def serving(self, model, weight, native=False, **options):
        _no_options(options, self.family)
        record = weight.preprocessing

        def serve(images):
            images = checked(images, "images", (None, *record["input_shape"]), f"{record['input_dtype']} images")
            logits = model(preprocessing.preprocess(images, record), training=False)
            return {"probabilities": tf.nn.softmax(logits, axis=-1)}

        return tasks.Serving(serve, [model])

    def serving_example(self, weight):
        return {"images": samples.load_sample()[0][:3, ..., None].astype(weight.preprocessing["input_dtype"])}

    def headline_spec(self, weight):
        return {"metric": "top1_accuracy", "name": "top-1 accuracy", "unit": "%", "tolerance": 0.002}

    def class_names(self, weight):
        return list(CLASS_NAMES) if weight.dataset == "fashion_mnist" else []

    def export_assets(self, weight, directory):
        (directory / "class_names.json").write_text(json.dumps(weight.class_names))


def _class_names(weight, count):
    return list(weight.class_names) if len(weight.class_names) == count else [str(i) for i in range(count)]


def _full_test_split(weight, hint):
    try:
        images, labels = datasets.load_classification_data(weight.dataset, "test")
    except FileNotFoundError as error:
        raise tasks.MissingDataError(hint) from error
    return images, labels


def _no_options(options, family):
    if options:
        raise ValueError(f"export options {sorted(options)} do not apply to {family} weights")
