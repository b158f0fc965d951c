"""The task contract of the recurrent attention instance segmenter (``recattend``): a 64×64 RGB scene in, one
instance per step (mask and stop score) out, judged by symmetric best Dice (SBD), the paper's main CVPPP metric."""
import dataclasses
import inspect
import pathlib

import numpy as np
import tensorflow as tf

from zoo import tasks
from zoo.data import cache, samples
from zoo.data import images as images_lib
from zoo.data import scenes as scenes_lib
from zoo.export import checked, input_spec
from zoo.progress import progress_bar
from zoo.recattend import models, plots, training

SAMPLE_SEED = 1
"""Seed of the sample scenes built from the embedded test images."""
SAMPLE_SCENES = 64
"""Scenes in the embedded sample."""
TEST_SEED = 1
"""Seed of the recorded test scenes (``tools/recattend/train.py`` tests on its seed + 1)."""
SAMPLE_DATA = (f"{SAMPLE_SCENES} 64×64 scenes (seed {SAMPLE_SEED}, 1–4 articles) built from the 2,000 Fashion-MNIST "
               "test images embedded in the package (zoo/data/samples)")
GOLDEN_SCENES = 2
GOLDEN_PIXELS = 8
DEFAULT_STEPS = inspect.signature(models.recattend).parameters["max_steps"].default


@dataclasses.dataclass(frozen=True)
class Instance:
    """One segmented object: its step's stop ``score``, ``mask`` (bool ``(H, W)``), ``area`` in pixels and tight
    ``box`` ``(y0, x0, y1, x1)`` (ends exclusive)."""

    score: float
    mask: np.ndarray
    area: int
    box: tuple


@dataclasses.dataclass(frozen=True)
class InstancePrediction(tasks.Prediction):
    """The instances found in each image: ``instances[n]`` lists those of ``images[n]`` (from ``sources[n]``) in
    the order the model segmented them; ``scores[n]`` are the stop scores of all its steps."""

    images: np.ndarray
    instances: list
    scores: np.ndarray
    sources: list

    def lines(self):
        """Per image: the number of instances and the stop score of every step, then each instance's score, area,
        box and overlay colour."""
        out = []
        for source, found, scores in zip(self.sources, self.instances, self.scores):
            out.append(f"{source}: {len(found)} instance{'' if len(found) == 1 else 's'} (stop scores by step "
                       f"{' '.join(f'{s:.3f}' for s in scores)}; segmenting stops at the first below "
                       f"{training.SCORE_THRESHOLD})")
            for k, instance in enumerate(found):
                out.append(f"  {k + 1}. score {instance.score:.3f}  area {instance.area:5d} px  box (y0, x0, y1, x1) = "
                           f"{instance.box}  drawn {plots.instance_colour(k)[0]}")
        return out

    def save(self, directory):
        """One PNG per image, ``STEM.instances.png``: the instance masks and boxes over the image in grey, enlarged
        4 times."""
        directory = pathlib.Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        stems = [pathlib.Path(s).stem or f"scene{n}" for n, s in enumerate(self.sources)]
        paths = []
        for n, (image, found) in enumerate(zip(self.images, self.instances)):
            name = f"{stems[n]}.instances.png" if stems.count(stems[n]) == 1 else f"{stems[n]}.{n}.instances.png"
            masks = np.array([i.mask for i in found], bool).reshape(len(found), *image.shape[:2])
            paths.append(plots.save_overlay(directory / name, image, masks, [i.box for i in found]))
        return paths


class InstanceSegmentationTask(tasks.Task):
    """The recurrent attention segmenter: uint8 RGB scenes in, instance masks and stop scores out, SBD on
    generated 64×64 Fashion-MNIST scenes."""

    family = "recattend"
    inputs_help = "IMAGE [IMAGE ...] (64×64 RGB scenes; other sizes are resized)"
    full_data_hint = ("the recurrent attention test scenes are built from the full Fashion-MNIST test split, which "
                      "is not installed: apt-get install dataset-fashion-mnist, or set ZOO_DATA_DIR to a directory "
                      "holding its IDX files")

    def build(self, model):
        """Record the model's input and call it once on a blank image, so that ``model.export`` works."""
        import warnings

        shape = (None, *model.image_size, model.image_channels)
        with warnings.catch_warnings():  # every layer is built already; Keras warns as the model has no build()
            warnings.simplefilter("ignore", UserWarning)
            model.build(shape)
        model(np.zeros((1, *shape[1:]), np.uint8))

    def read_inputs(self, paths, weight, say=print):
        return images_lib.read_images(paths, weight.preprocessing["input_shape"], say, what="scene image")

    def predict(self, model, inputs, weight, top_k=3):
        """The instances of each image (:func:`zoo.recattend.training.segment` on the served outputs); ``top_k``
        is unused (every instance is listed)."""
        del top_k
        outputs = self.serving(model, weight).function(images=tf.constant(inputs["images"]))
        scores = outputs["scores"].numpy()
        found = []
        for label_map, image_scores in zip(outputs["instances"].numpy(), scores):
            masks, kept = training.instances_of(label_map, image_scores)
            found.append([Instance(float(s), m, int(m.sum()), _box(m)) for m, s in zip(masks, kept)])
        return InstancePrediction(inputs["images"], found, scores, inputs["sources"])

    def evaluate(self, model, weight, full=False, progress=None):
        if full:
            try:
                arrays = full_test_scenes(int(weight.metrics.get("test_scenes", 1000)), progress=progress)
            except FileNotFoundError as error:
                raise tasks.MissingDataError(self.full_data_hint) from error
            data = f"the recorded test scenes: {weight.split.get('test', 'test-split articles')}"
        else:
            arrays = sample_scenes()
            data = SAMPLE_DATA
        result = training.evaluate(model, arrays, progress=progress if full else False)
        return tasks.Measurement(result["sbd"], result["scenes"], data)

    def golden_inputs(self, weight):
        """The first two 64×64 sample scenes (uint8 (2, 64, 64, 3); seed 1, zoo.recattend.training.SCENES) built
        from the Fashion-MNIST test images embedded in the package (zoo/data/samples); the outputs are, for each,
        the stop scores of the 5 steps, their attention vectors (6 each) and every step's mask at 8 fixed
        foreground pixels (evenly spaced, in raster order, among the image's nonzero pixels)."""
        return sample_scenes(GOLDEN_SCENES)["images"]

    def golden_outputs(self, model, inputs, weight):
        outputs = model(tf.constant(inputs))
        rows = []
        for n, image in enumerate(inputs):
            rows_, cols = tasks.foreground_pixels(image, GOLDEN_PIXELS)
            rows.append(np.concatenate([np.asarray(outputs["scores"][n]), np.ravel(outputs["attention"][n]),
                                        np.asarray(outputs["masks"][n])[:, rows_, cols].ravel()]))
        return np.stack(rows)

    def signature(self, weight):
        height, width, channels = weight.preprocessing["input_shape"]
        steps = weight.builder_kwargs.get("max_steps", DEFAULT_STEPS)
        return tasks.Signature(
            inputs={"images": ("uint8", (None, height, width, channels))},
            outputs={"masks": ("float32", (None, steps, height, width)),
                     "scores": ("float32", (None, steps)),
                     "instances": ("int32", (None, height, width))},
            checks=(f"rank 4, height {height}, width {width} and {channels} channels (the dtype by the signature). "
                    f"masks: each step's segment in [0, 1]; scores: each step's stop score; instances: 0 for "
                    f"background, t + 1 where step t owns the pixel (steps up to the first score below "
                    f"{training.SCORE_THRESHOLD}, the largest mask above {training.MASK_THRESHOLD})"))

    def serving(self, model, weight, native=False, **options):
        """Serve ``model`` as a ``tf.function`` of any-shaped uint8 images (checked inside), so that in-process
        outputs are those of the exported graph (eager convolutions round differently, by up to 1e-4 in the
        masks)."""
        if options:
            raise ValueError(f"export options {sorted(options)} do not apply to {self.family} weights")
        shape = (None, *weight.preprocessing["input_shape"])

        @tf.function(input_signature=[input_spec("images", "uint8", None)], autograph=False)
        def serve(images):
            images = checked(images, "images", shape, "uint8 RGB scenes")
            outputs = model(images)
            return {"masks": outputs["masks"], "scores": outputs["scores"],
                    "instances": training.instance_map(outputs["masks"], outputs["scores"])}

        return tasks.Serving(serve, [model])

    def serving_example(self, weight):
        return {"images": sample_scenes(GOLDEN_SCENES)["images"]}

    def headline_spec(self, weight):
        """SBD; the sample is 64 scenes, so a re-measurement may move by about 0.005."""
        return {"metric": "sbd", "name": "symmetric best Dice (SBD)", "unit": "%", "tolerance": 0.005}


def sample_scenes(count=SAMPLE_SCENES, seed=SAMPLE_SEED):
    """The embedded sample: ``count`` scenes (:data:`zoo.recattend.training.SCENES`) of ``seed`` built from the
    Fashion-MNIST test images embedded in the package, as :func:`zoo.data.scenes.scenes_to_arrays` arrays."""
    images, labels, _ = samples.load_sample()
    scenes = scenes_lib.make_scenes(count, seed=seed, config=training.SCENES, source=(images, labels))
    return scenes_lib.scenes_to_arrays(scenes, training.SCENES.max_objects)


def full_test_scenes(count=1000, seed=TEST_SEED, progress=None):
    """The recorded test scenes ``0 … count − 1`` of ``seed`` (full Fashion-MNIST test split): ``images``, ``masks``
    and ``num_objects``, built once with a progress bar and cached (:func:`zoo.data.cache.cached_arrays`).

    Raises ``FileNotFoundError`` when they are not cached and the test split is not on this machine.
    """
    def build():
        source = scenes_lib.load_source("test")
        scenes = []
        with progress_bar(count, "generating the recattend test scenes", unit="scene", show=progress) as bar:
            for i in range(count):
                scenes.append(scenes_lib.generate_scene(scenes_lib.scene_rng(seed, i), source, training.SCENES))
                bar.update(1)
        arrays = scenes_lib.scenes_to_arrays(scenes, training.SCENES.max_objects)
        return {key: arrays[key] for key in ("images", "masks", "num_objects")}

    key = ("recattend test scenes", count, seed, dataclasses.asdict(training.SCENES))
    return cache.cached_arrays("recattend-test-scenes", key, build)


def _box(mask):
    """Tight ``(y0, x0, y1, x1)`` of a non-empty boolean mask, ends exclusive."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


TASK = InstanceSegmentationTask()
