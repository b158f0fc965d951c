"""The task contract of the semi-supervised few-shot classifiers: a support set, queries and unlabeled images in,
each query's class out.

``zoo predict NAME SUPPORT_DIR QUERY_DIR [UNLABELED_DIR]``: SUPPORT_DIR holds one subfolder of images per class (the
folder's name is the class name), QUERY_DIR the images to classify and UNLABELED_DIR unlabeled images, which the
refinement models (soft k-means, + cluster, masked) need and the Prototypical Network ignores. Images become 28×28×1
uint8 with ink bright on a dark background, as Glyphs draws them (every conversion is reported).

The export serves one episode per call: ``support`` uint8 ``(S, 28, 28, 1)``, ``support_labels`` int32 ``(S,)`` in
``0..N−1`` (every class at least once), ``query`` uint8 ``(Q, 28, 28, 1)`` and ``unlabeled`` uint8
``(U, 28, 28, 1)`` (U ≥ 1 for the refinement models; any U, even 0, for the Prototypical Network) →
``probabilities`` float32 ``(Q, N)`` and ``labels`` int32 ``(Q,)``. For the distractor-cluster model the softmax runs
over the N classes and the distractor cluster, and the cluster's column is left out: a row sums to one minus the
probability that the query belongs to none of the classes, and its label is −1 where that cluster is the most
probable (the record's accuracy counts such a query as wrong).
"""
import dataclasses
import pathlib
import re

import numpy as np
import tensorflow as tf

from zoo import tasks
from zoo.data import images as images_lib
from zoo.export import checked
from zoo.fewshot import sources
from zoo.progress import progress_bar

INPUTS = ("support", "support_labels", "query", "unlabeled")
"""The served inputs, in signature order."""
SAMPLE_CLASSES = 30
"""Glyphs test classes the embedded-sample episodes are drawn from (rendered once, then cached)."""
SAMPLE_EPISODES = 40
"""Episodes of the sample measurement."""
DISTRACTOR = "(none of the classes: the distractor cluster)"
_SETTING = re.compile(r"^(\d+)way_(\d+)shot(_distractors)?_accuracy$")


@dataclasses.dataclass(frozen=True)
class EpisodePrediction(tasks.Prediction):
    """Each query's class: ``probabilities`` ``(Q, N)`` and ``labels`` ``(Q,)`` (−1: the distractor cluster) over
    ``class_names``; ``distractor`` when the model has a distractor cluster (its probability is what a row lacks
    of one). ``notes`` are printed first."""

    probabilities: np.ndarray
    labels: np.ndarray
    class_names: list
    sources: list
    top_k: int
    distractor: bool = False
    notes: tuple = ()

    def lines(self):
        out = list(self.notes)
        names = list(self.class_names) + ([DISTRACTOR] if self.distractor else [])
        for source, row, label in zip(self.sources, self.probabilities, self.labels):
            values = np.append(row, 1.0 - row.sum()) if self.distractor else row
            out.append(f"{source}: {names[label]}")
            out += [f"  {values[i]:.4f}  {names[i]}" for i in np.argsort(-values, kind="stable")[:self.top_k]]
        return out


class FewShotTask(tasks.Task):
    """A few-shot classifier judged by its mean query accuracy over the record's test episodes on Glyphs test
    classes, and served one episode per call."""

    family = "fewshot"
    inputs_help = "SUPPORT_DIR QUERY_DIR [UNLABELED_DIR]"
    full_data_hint = ("the weight's episode source is not on this machine: Glyphs is rendered on the spot; a tfds "
                      "source needs its data in the tfds directory (tfds.load(NAME, download=True))")

    def build(self, model):
        """Record the episode shapes (for ``model.export``) and call the model once on a tiny episode."""
        shapes = model.episode_shapes()
        model.build(shapes)
        rng = np.random.default_rng(0)
        tiny = {key: rng.integers(0, 256, (2, *shape[1:]), dtype=np.uint8) for key, shape in shapes.items()}
        tiny["support_labels"] = np.array([0, 1], np.int32)
        model(tiny, training=False)

    def read_inputs(self, paths, weight, say=print):
        if len(paths) not in (2, 3):
            raise ValueError(f"give SUPPORT_DIR QUERY_DIR [UNLABELED_DIR] ({self.inputs_help}), got {len(paths)} "
                             "arguments")
        shape = tuple(weight.preprocessing["input_shape"])
        support_dir = _directory(paths[0], "SUPPORT_DIR")
        classes = sorted(p for p in support_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
        stray = [p for p in _visible(support_dir) if not p.is_dir()]
        if stray:
            raise ValueError(f"SUPPORT_DIR {support_dir} must hold only class subfolders (named after their class), "
                             f"found the file {stray[0].name}")
        if len(classes) < 2:
            raise ValueError(f"SUPPORT_DIR {support_dir} must hold one subfolder of images per class, at least 2; "
                             f"found {len(classes)}")
        support, labels = [], []
        for label, folder in enumerate(classes):
            images = _read_folder(folder, f"class folder {folder.name!r} of SUPPORT_DIR", shape, say)
            support += images
            labels += [label] * len(images)
        query_files = _image_files(_directory(paths[1], "QUERY_DIR"), "QUERY_DIR")
        unlabeled = None
        if len(paths) == 3:
            unlabeled = np.stack(_read_folder(_directory(paths[2], "UNLABELED_DIR"), "UNLABELED_DIR", shape, say))
        return {"support": np.stack(support), "support_labels": np.array(labels, np.int32),
                "query": np.stack([_read(p, shape, say) for p in query_files]), "unlabeled": unlabeled,
                "class_names": [folder.name for folder in classes], "sources": [str(p) for p in query_files]}

    def predict(self, model, inputs, weight, top_k=3):
        notes = ()
        unlabeled = inputs.get("unlabeled")
        if unlabeled is None:
            if model.refinement != "none":
                raise ValueError(f"{weight.name} refines its prototypes with unlabeled images: give UNLABELED_DIR, a "
                                 f"folder of unlabeled images, after QUERY_DIR ({self.inputs_help})")
            unlabeled = np.zeros((0, *weight.preprocessing["input_shape"]), np.uint8)
        elif model.refinement == "none":
            notes = (f"{weight.name} (a Prototypical Network) does not use the unlabeled images",)
        serve = self.serving(model, weight).function
        outputs = serve(**{key: tf.constant(value) for key, value in
                           {**{k: inputs[k] for k in INPUTS[:3]}, "unlabeled": unlabeled}.items()})
        return EpisodePrediction(outputs["probabilities"].numpy(), outputs["labels"].numpy(), inputs["class_names"],
                                 inputs["sources"], top_k, model.refinement == "soft_kmeans_cluster", notes)

    def evaluate(self, model, weight, full=False, progress=None):
        """Mean query accuracy over test episodes of the record's setting (e.g. 5-way 1-shot with distractors, M = 20
        unlabeled images per class): :data:`SAMPLE_EPISODES` episodes over the first :data:`SAMPLE_CLASSES` Glyphs
        test classes, or with ``full`` the record's 600 episodes over the whole test split. A query predicted as the
        distractor cluster counts as wrong, as in :func:`zoo.fewshot.training.evaluate`."""
        shots, distractors = _setting(weight)
        episodes = int(weight.metrics["test_episodes"]) if full else SAMPLE_EPISODES
        try:
            sampler = sources.paper_sampler(
                weight.dataset, "test", shots, distractors, examples_per_class=weight.training["examples_per_class"],
                label_ratio=weight.training["label_ratio"], seed=weight.training["seed"],
                num_classes=None if full else SAMPLE_CLASSES, progress=progress)
        except FileNotFoundError as error:
            raise tasks.MissingDataError(self.full_data_hint) from error
        serve = tf.function(self.serving(model, weight).function, reduce_retracing=True)
        accuracies = []
        with progress_bar(episodes, "few-shot test episodes", unit="episode", show=progress) as bar:
            for i in range(episodes):
                episode = sampler.episode(i)
                labels = serve(**{key: tf.constant(episode[key]) for key in INPUTS})["labels"].numpy()
                accuracies.append(np.mean(labels == episode["query_labels"]))
                bar.update(1)
        classes = "the" if full else f"the first {SAMPLE_CLASSES}"
        data = (f"{episodes} test episodes (5-way {shots}-shot{', 5 distractor classes' if distractors else ''}, "
                f"M = {sources.PAPER_UNLABELED['test']}) over {classes} {weight.dataset} test classes")
        return tasks.Measurement(float(np.mean(accuracies)), episodes * len(episode["query_labels"]), data)

    def headline_spec(self, weight):
        """The record's few-shot accuracy (e.g. ``5way_1shot_distractors_accuracy``); a sample of 1,000 queries
        moves by 0.001 per query, so re-measurements agree within 0.005."""
        metric = next(key for key in weight.metrics if key.startswith("5way_"))
        shots = metric.split("_")[1].replace("shot", "-shot")
        distractors = " with distractors" if "distractors" in metric else ""
        return {"metric": metric, "name": f"5-way {shots} accuracy{distractors}", "unit": "%", "tolerance": 0.005}

    def golden_inputs(self, weight):
        """The fixed Glyphs episode zoo.fewshot.sources.golden_episode(): 5 test classes with 1 support image and 2
        queries each, 3 unlabeled images of each class and of 2 distractor classes. One row per class: the raw
        logits of its two queries, concatenated (N = 5 logits per query, N + 1 for the distractor-cluster model,
        whose last logit is the cluster's)."""
        episode = sources.golden_episode()
        return {key: episode[key] for key in (*INPUTS, "query_labels")}

    def golden_outputs(self, model, inputs, weight):
        logits = np.asarray(model({key: inputs[key] for key in INPUTS}, training=False))
        order = np.argsort(inputs["query_labels"], kind="stable")  # queries grouped by class
        return logits[order].reshape(len(np.unique(inputs["query_labels"])), -1)

    def signature(self, weight):
        image = (weight.preprocessing["input_dtype"], (None, *weight.preprocessing["input_shape"]))
        return tasks.Signature(
            inputs={"support": image, "support_labels": ("int32", (None,)), "query": image, "unlabeled": image},
            outputs={"probabilities": ("float32", (None, None)), "labels": ("int32", (None,))},
            checks="rank, height, width and channels of support, query and unlabeled; one support label per support "
                   "image, labels 0..N-1 with every class present; at least one unlabeled image for the refinement "
                   "models (dtypes by the signature)")

    def serving(self, model, weight, native=False, **options):
        if options:
            raise ValueError(f"export options {sorted(options)} do not apply to {self.family} weights")
        shape = tuple(weight.preprocessing["input_shape"])
        dtype = weight.preprocessing["input_dtype"]
        refines = model.refinement != "none"

        def serve(support, support_labels, query, unlabeled):
            support = checked(support, "support", (None, *shape), f"{dtype} support images")
            query = checked(query, "query", (None, *shape), f"{dtype} query images")
            unlabeled = checked(unlabeled, "unlabeled", (None, *shape), f"{dtype} unlabeled images")
            labels = _checked_labels(checked(support_labels, "support_labels", (None,), "int32 class indices"),
                                     support)
            if refines:
                unlabeled = _nonempty(unlabeled)
            logits = model({"support": support, "support_labels": labels, "query": query, "unlabeled": unlabeled},
                           training=False)
            probabilities = tf.nn.softmax(logits, axis=-1)
            classes = tf.reduce_max(labels) + 1
            predicted = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
            return {"probabilities": probabilities[:, :classes],
                    "labels": tf.where(predicted < classes, predicted, -1)}  # -1: the distractor cluster

        return tasks.Serving(serve, [model])

    def serving_example(self, weight):
        episode = sources.golden_episode()
        return {key: episode[key] for key in INPUTS}


def _setting(weight):
    """``(shots, distractors)`` of the weight's headline metric ``{N}way_{K}shot[_distractors]_accuracy``."""
    keys = [weight.headline["metric"]] if weight.headline else list(weight.metrics)
    for key in keys:
        match = _SETTING.match(key)
        if match and match.group(1) == "5":
            return int(match.group(2)), bool(match.group(3))
    raise ValueError(f"{weight.name} records no 5way_Kshot[_distractors]_accuracy metric to evaluate, got "
                     f"{sorted(weight.metrics)}")


def _checked_labels(labels, support):
    """``labels`` behind in-graph checks: one per support image, and class indices 0..N−1 with every class present."""
    count, images = tf.shape(labels)[0], tf.shape(support)[0]
    classes = tf.reduce_max(tf.concat([labels, [-1]], 0)) + 1
    present = tf.size(tf.unique(labels).y)
    valid = (count > 0) & tf.reduce_all(labels >= 0) & tf.equal(present, classes)
    with tf.control_dependencies([
            tf.debugging.Assert(tf.equal(count, images), ["support_labels must hold one label per support image; "
                                                          "got this many labels and support images:", count, images]),
            tf.debugging.Assert(valid, ["support_labels must be class indices 0..N-1 with every class present at "
                                        "least once; got", labels], summarize=32)]):
        return tf.identity(labels)


def _nonempty(unlabeled):
    with tf.control_dependencies([tf.debugging.Assert(
            tf.shape(unlabeled)[0] > 0, ["unlabeled must hold at least one image for a refinement model; got shape",
                                         tf.shape(unlabeled)])]):
        return tf.identity(unlabeled)


def _directory(path, what):
    path = pathlib.Path(path)
    if not path.is_dir():
        raise ValueError(f"{what} {path} is not a directory" + ("" if path.exists() else " (it does not exist)"))
    return path


def _visible(directory):
    return sorted(p for p in directory.iterdir() if not p.name.startswith("."))


def _image_files(directory, what):
    entries = _visible(directory)
    folders = [p for p in entries if p.is_dir()]
    if folders:
        raise ValueError(f"{what} {directory} must hold image files only, found the subfolder {folders[0].name}")
    if not entries:
        raise ValueError(f"{what} {directory} holds no images")
    return entries


def _read_folder(directory, what, shape, say):
    return [_read(p, shape, say) for p in _image_files(directory, what)]


def _read(path, shape, say):
    """One image as uint8 ``shape``, inverted to bright ink on a dark background when its border is light."""
    image = images_lib.read_image(path, shape, say)
    border = np.concatenate([image[0].ravel(), image[-1].ravel(), image[:, 0].ravel(), image[:, -1].ravel()])
    if border.mean() > 127:
        say(f"{pathlib.Path(path).name}: inverted dark strokes on a light background (the model takes bright ink on "
            "black, as Glyphs draws it)")
        image = 255 - image
    return image


TASK = FewShotTask()
