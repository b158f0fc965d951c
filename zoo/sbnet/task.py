"""The task contract of SBNet's scene segmenters (``sbnet-segnet``, ``sbnet-segnet-dense``): a 256×256 RGB scene in,
a class per pixel (background + 10 Fashion-MNIST classes) out, judged by mean IoU over the 11 classes.

The export serves the pure-TensorFlow ops by default, so the SavedModel runs in a process with only TensorFlow:
:meth:`SceneSegmentationTask.serving` rebuilds the model with ``impl="tf"`` and copies the weights (``impl`` does
not change them). With ``native=True`` the sparse model's graph holds the compiled ``ZooSbnet*`` ops, and a server
must first ``import zoo.sbnet.ops`` (which loads them) or, without zoo, ``tf.load_op_library`` the library
``zoo/sbnet/_sbnet_ops*.so`` built with zoo (its path on the exporting machine is in the signature's ``checks``,
:func:`native_library`).
"""
import dataclasses
import pathlib

import numpy as np
import tensorflow as tf

from zoo import tasks
from zoo.data import images as images_lib
from zoo.data.fashion_mnist import CLASS_NAMES
from zoo.export import checked
from zoo.sbnet import evaluation, ops, plots, segmenter
from zoo.sbnet import native as native_lib

SEGMENT_CLASSES = ("background", *CLASS_NAMES)
"""Names of the per-pixel classes: 0 is background, ``c + 1`` is Fashion-MNIST class ``c``."""

SAMPLE_DATA = (f"{evaluation.SAMPLE_SCENES} 256×256 scenes (seed {evaluation.SAMPLE_SEED}, 1–4 articles) built from "
               "the 2,000 Fashion-MNIST test images embedded in the package (zoo/data/samples)")
GOLDEN_SCENES = 2
GOLDEN_PIXELS = 8


def native_library():
    """The path of the compiled SBNet op library (``zoo/sbnet/_sbnet_ops*.so``) that a server of a ``native=True``
    export without zoo must ``tf.load_op_library`` first, or None when it is not built."""
    return native_lib.library_path()


@dataclasses.dataclass(frozen=True)
class SegmentationPrediction(tasks.Prediction):
    """Per-pixel classes of each scene.

    Attributes:
        images: the uint8 scenes ``(N, H, W, 3)`` as read.
        classes: int32 ``(N, H, W)``, indices into ``class_names``.
        probabilities: float32 ``(N, H, W, classes)``.
        masks: the sparse model's computation masks ``(N, H, W)`` (0/1), or None for the dense twin.
        class_names: the name of each class.
        sources: where each scene came from.
    """

    images: np.ndarray
    classes: np.ndarray
    probabilities: np.ndarray
    masks: object
    class_names: list
    sources: list

    def lines(self):
        """Per scene: its size, the computation mask's density (sparse model), then every predicted class with its
        pixel count, share of the scene, mean probability and overlay colour (largest first)."""
        out = []
        for n, source in enumerate(self.sources):
            classes = self.classes[n]
            header = f"{source}: {classes.shape[1]}×{classes.shape[0]} pixels"
            if self.masks is not None:
                header += (f"; the computation mask covers {100 * float(np.mean(self.masks[n] > 0)):.2f}% of them "
                           "(SBNet computed only there; outside it every pixel is background)")
            out.append(header)
            counts = np.bincount(classes.ravel(), minlength=len(self.class_names))
            for k in np.argsort(-counts, kind="stable"):
                if counts[k]:
                    confidence = float(np.mean(self.probabilities[n][classes == k, k]))
                    colour = "not drawn" if k == 0 else f"drawn {plots.CLASS_COLOURS[k][0]}"
                    out.append(f"  {counts[k]:8,d} px  {100 * counts[k] / classes.size:6.2f}%  "
                               f"{self.class_names[k]} (mean probability {confidence:.3f}, {colour})")
        return out

    def save(self, directory):
        """One PNG per scene, ``STEM.classes.png``: the predicted classes over the scene in grey, and the
        computation mask's outline in white (sparse model)."""
        directory = pathlib.Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        stems = [pathlib.Path(s).stem or f"scene{n}" for n, s in enumerate(self.sources)]
        paths = []
        for n, stem in enumerate(stems):
            name = f"{stem}.classes.png" if stems.count(stem) == 1 else f"{stem}.{n}.classes.png"
            mask = None if self.masks is None else self.masks[n]
            paths.append(plots.save_overlay(directory / name, self.images[n], self.classes[n], mask))
        return paths


class SceneSegmentationTask(tasks.Task):
    """SBNet's scene segmenters: uint8 RGB scenes in, per-pixel classes (background + 10) out, mean IoU over the 11
    classes on generated Fashion-MNIST scenes."""

    family = "sbnet"
    inputs_help = "IMAGE [IMAGE ...] (256×256 RGB scenes; other sizes are resized)"
    full_data_hint = ("the SBNet test scenes are built from the full Fashion-MNIST test split, which is not "
                      "installed: apt-get install dataset-fashion-mnist, or set ZOO_DATA_DIR to a directory holding "
                      "its IDX files")

    def build(self, model):
        """Call the segmenter once on a blank scene, so that ``model.export`` knows its input."""
        size = model.input_multiple
        model(np.zeros((1, size, size, 3), np.uint8), training=False)

    def read_inputs(self, paths, weight, say=print):
        return images_lib.read_images(paths, weight.preprocessing["input_shape"], say, what="scene image")

    def predict(self, model, inputs, weight, top_k=3):
        """Classes, probabilities and (sparse model) computation mask of every pixel; ``top_k`` is unused (every
        predicted class is listed)."""
        del top_k
        outputs = self.serving(model, weight).function(images=tf.constant(inputs["images"]))
        masks = outputs["mask"].numpy() if "mask" in outputs else None
        return SegmentationPrediction(inputs["images"], outputs["classes"].numpy(),
                                      outputs["probabilities"].numpy(), masks, self.class_names(weight),
                                      inputs["sources"])

    def evaluate(self, model, weight, full=False, progress=None):
        if full:
            count = int(weight.metrics.get("test_examples", evaluation.TEST_SCENES))
            try:
                images, labels = evaluation.full_test_scenes(count, progress=progress)
            except FileNotFoundError as error:
                raise tasks.MissingDataError(self.full_data_hint) from error
            data = f"the recorded test scenes: {weight.split.get('test', 'test-split articles')}"
            batch = evaluation.EVAL_BATCH
        else:
            images, labels = evaluation.sample_scenes()
            data, batch = SAMPLE_DATA, evaluation.SAMPLE_SCENES // 2  # equal batches: one trace
        confusion, _ = evaluation.evaluate(model, images, labels, batch, progress=progress if full else False)
        return tasks.Measurement(evaluation.segmentation_metrics(confusion)["mean_iou"], len(images), data)

    def golden_inputs(self, weight):
        """The first two 256×256 sample scenes (uint8 (2, 256, 256, 3); seed 1, zoo.sbnet.segmenter.SCENES) built
        from the Fashion-MNIST test images embedded in the package (zoo/data/samples); the outputs are the 11 logits
        at 8 fixed foreground pixels of each (evenly spaced, in raster order, among its nonzero pixels; inside the
        sparse model's computation mask, so they depend on the mask network too)."""
        return evaluation.sample_scenes(GOLDEN_SCENES)[0]

    def golden_outputs(self, model, inputs, weight):
        logits = np.asarray(model(tf.constant(inputs), training=False)["logits"])
        return np.stack([logits[n][tasks.foreground_pixels(image, GOLDEN_PIXELS)].ravel()
                         for n, image in enumerate(inputs)])

    def signature(self, weight):
        height, width, channels = weight.preprocessing["input_shape"]
        classes = len(self.class_names(weight))
        outputs = {"classes": ("int32", (None, height, width)),
                   "probabilities": ("float32", (None, height, width, classes))}
        library = native_library()
        if _is_sparse(weight):
            outputs["mask"] = ("float32", (None, height, width))
            native = (f"an export made with native=True holds the compiled ZooSbnet* ops: the server must first "
                      f"import zoo.sbnet.ops or, without zoo, call tf.load_op_library({library!r}) "
                      "(zoo/sbnet/_sbnet_ops*.so, built with zoo for this TensorFlow)" if library else
                      "native=True needs the compiled zoo/sbnet/_sbnet_ops*.so, which is not built here")
        else:
            native = "the dense twin uses no SBNet op, with or without native=True"
        return tasks.Signature(
            inputs={"images": ("uint8", (None, height, width, channels))},
            outputs=outputs,
            checks=(f"rank 4, height {height}, width {width} and {channels} channels (the dtype by the signature); "
                    f"by default the graph uses only TensorFlow ops; {native}"))

    def serving(self, model, weight, native=False, **options):
        """Serve ``model``: the pure-TensorFlow ops by default (a copy of the model built with ``impl="tf"``), the
        compiled ops with ``native`` (the server then needs :func:`native_library` loaded first)."""
        if options:
            raise ValueError(f"export options {sorted(options)} do not apply to {self.family} weights")
        shape = (None, *weight.preprocessing["input_shape"])
        runner = with_impl(model, "native" if native else "tf", shape[1:])

        def serve(images):
            images = checked(images, "images", shape, "uint8 RGB scenes")
            outputs = runner(images, training=False)
            served = {"classes": tf.argmax(outputs["logits"], axis=-1, output_type=tf.int32),
                      "probabilities": tf.nn.softmax(outputs["logits"], axis=-1)}
            if runner.sparse:
                served["mask"] = outputs["mask"]
            return served

        return tasks.Serving(serve, [runner])

    def serving_example(self, weight):
        return {"images": evaluation.sample_scenes(GOLDEN_SCENES)[0]}

    def headline_spec(self, weight):
        """Mean IoU over the 11 classes; the sample is 32 scenes, so a re-measurement may move by about 0.005."""
        return {"metric": "mean_iou", "name": "mean IoU (11 classes)", "unit": "%", "tolerance": 0.005}

    def class_names(self, weight):
        return list(SEGMENT_CLASSES)


def with_impl(model, impl, input_shape=(segmenter.SCENES.height, segmenter.SCENES.width, 3)):
    """``model`` itself if it already uses SBNet op implementation ``impl``, else a copy built with ``impl`` for
    ``input_shape`` ``(H, W, 3)`` images, holding the same weights (``impl`` does not change them)."""
    if model.impl == impl:
        return model
    if impl == "native" and not ops.native_available():
        raise ValueError(f"native=True needs the compiled SBNet ops, which are not loaded: {native_lib.load_error}")
    copy = segmenter.SceneSegmenter.from_config({**model.get_config(), "impl": impl})
    copy.build((None, *input_shape))
    copy.set_weights(model.get_weights())
    return copy


def _is_sparse(weight):
    return not weight.architecture.endswith("-dense")


TASK = SceneSegmentationTask()
