"""The task contract: what a family provides so that every pretrained weight installs, loads, predicts, evaluates
and exports the same way.

A family registers one :class:`Task` beside its models (``zoo/<family>/task.py`` defines ``TASK``; code outside the
package calls :func:`zoo.registry.register_task`). The CLI, :mod:`zoo.evaluation`, publishing, export and the demo
call only these methods; none of them looks at a data set name or a record key, so a tenth family touches only its
own package.

A weight record carries two things the contract defines:

- ``golden``: ``{"inputs": description, "outputs": [[value, ...], ...], "atol": tolerance}`` — at least
  :data:`GOLDEN_VALUES` raw output values (logits, predicted parameters, features; never sums, means or maxima) per
  fixed embedded input (:meth:`Task.golden_inputs`), which every load must reproduce (:func:`check_golden`).
- ``headline``: ``{"metric", "name", "unit", "sample", "sample_data", "tolerance"}`` — the one metric the weight
  is judged by: ``metrics[metric]`` is its value on the full test data, ``sample`` its value on the embedded sample
  (:meth:`Task.evaluate`), which a re-measurement must reproduce within ``tolerance`` (:class:`Headline`).
"""
import abc
import dataclasses

import numpy as np

GOLDEN_VALUES = 8
"""The fewest raw output values a golden record holds per input."""


class GoldenMismatchError(ValueError):
    """A loaded model does not reproduce its weight's golden outputs."""


class MissingDataError(FileNotFoundError):
    """The data an evaluation needs is not on this machine; the message says in one line how to get it."""


@dataclasses.dataclass(frozen=True)
class Headline:
    """A weight's headline metric, from its record.

    Attributes:
        metric: the key of ``weight.metrics`` holding the value on the full test data.
        name: what it measures, e.g. ``"top-1 accuracy"``.
        unit: ``"%"`` (values are stored as fractions and shown ×100) or a unit shown after the value.
        sample: the value recorded on the embedded sample.
        sample_data: what the embedded sample is.
        tolerance: how far (in stored units) a re-measurement on the sample may differ.
        full: ``weight.metrics[metric]``, the value on the full test data.
    """

    metric: str
    name: str
    unit: str
    sample: float
    sample_data: str
    tolerance: float
    full: float

    @classmethod
    def of(cls, weight):
        """The headline of ``weight`` (a :class:`zoo.weights.WeightSpec`); ``ValueError`` if it has none."""
        record = weight.headline
        keys = {"metric", "name", "unit", "sample", "sample_data", "tolerance"}
        if set(record) != keys or record["metric"] not in weight.metrics:
            raise ValueError(f"weight {weight.name!r} has no complete headline record (fields {sorted(keys)}, "
                             f"metric among {sorted(weight.metrics)}), got {record!r}")
        return cls(full=float(weight.metrics[record["metric"]]), **record)

    def format(self, value):
        """``value`` (stored units) as text with the unit, e.g. ``"93.27%"``."""
        if self.unit == "%":
            return f"{100 * value:.2f}%"
        return f"{value:.4g}{' ' + self.unit if self.unit else ''}"

    def agrees(self, value):
        """Whether ``value`` measured on the sample reproduces the recorded one."""
        return abs(value - self.sample) <= self.tolerance


@dataclasses.dataclass(frozen=True)
class Measurement:
    """A headline metric measured now: ``value`` (stored units) on ``examples`` examples of ``data``."""

    value: float
    examples: int
    data: str


class Prediction(abc.ABC):
    """A typed result of :meth:`Task.predict`: what the CLI prints and the files it writes."""

    @abc.abstractmethod
    def lines(self):
        """The result as lines of text."""

    def save(self, directory):
        """Write the result's files (an overlay, a feature vector, a network) into ``directory``; returns their
        paths (none by default)."""
        del directory
        return []


@dataclasses.dataclass(frozen=True)
class Signature:
    """A ``serving_default`` signature: ``inputs`` and ``outputs`` as ``{name: (dtype, shape)}``, shapes with None
    for any size, and ``checks``, what the served model validates, in words."""

    inputs: dict
    outputs: dict
    checks: str


@dataclasses.dataclass(frozen=True)
class Serving:
    """What an export serves: ``function(**inputs) -> {name: tensor}`` and the ``models`` whose variables it
    uses (tracked into the SavedModel)."""

    function: object
    models: list


class Task(abc.ABC):
    """How a family's weights are fed, evaluated, checked and served.

    Subclasses set :attr:`family`, :attr:`inputs_help` and :attr:`full_data_hint` and implement the abstract
    methods. Weights are :class:`zoo.weights.WeightSpec` records; models come from :func:`zoo.registry.load`.
    """

    family = ""
    """The family (``ModelSpec.family``) this task serves."""

    inputs_help = ""
    """What ``zoo predict NAME INPUT…`` takes, e.g. ``"IMAGE"``."""

    full_data_hint = ""
    """One line on how to get the full test data when it is missing."""

    def build(self, model):
        """Build ``model`` on its natural input if it is not built yet (subclassed models), so it can load weights
        and ``model.export`` knows its input signature. Functional models need nothing."""
        del model

    @abc.abstractmethod
    def read_inputs(self, paths, weight, say=print):
        """Read the natural input of ``zoo predict`` from the files ``paths``; ``say`` reports any conversion
        (colour to grey, resizing) in one line each. Raises ``ValueError`` naming a bad file."""

    @abc.abstractmethod
    def predict(self, model, inputs, weight, top_k=3):
        """A :class:`Prediction` of ``model`` on ``inputs`` (from :meth:`read_inputs`): the same computation the
        export serves."""

    @abc.abstractmethod
    def evaluate(self, model, weight, full=False, progress=None):
        """A :class:`Measurement` of the weight's headline metric: on the embedded sample, or with ``full`` on the
        full test data (raises :class:`MissingDataError` when that is not on this machine)."""

    @abc.abstractmethod
    def golden_inputs(self, weight):
        """The fixed embedded inputs whose outputs the weight's golden record holds."""

    @abc.abstractmethod
    def golden_outputs(self, model, inputs, weight):
        """Raw output values ``(len(inputs), >= GOLDEN_VALUES)`` of ``model`` on ``golden_inputs``."""

    @abc.abstractmethod
    def signature(self, weight):
        """The :class:`Signature` of the weight's export."""

    @abc.abstractmethod
    def serving(self, model, weight, native=False, **options):
        """The :class:`Serving` of ``model``: a function of the signature's inputs (tensors, by name) returning its
        outputs (a dict of tensors), which checks its inputs with clear errors (:func:`zoo.export.checked`).
        ``native`` lets it use compiled ops (only SBNet has any); ``options`` are the family's own export options
        (``zoo export --architecture`` for the GHN)."""

    @abc.abstractmethod
    def serving_example(self, weight):
        """Raw inputs ``{name: numpy array}`` for the signature, from embedded data (the contract test serves them)."""

    def headline_spec(self, weight):
        """The headline metric of ``weight``: ``{"metric": key in weight.metrics, "name", "unit", "tolerance"}``
        (publishing adds the value measured on the sample, see :mod:`zoo.publish`)."""
        raise NotImplementedError(f"the {self.family} task names no headline metric for {weight.name}")

    def class_names(self, weight):
        """The names of the weight's output classes, in output order; none by default."""
        del weight
        return []

    def export_assets(self, weight, directory):
        """Write files the served model needs beside it (e.g. a vocabulary) into ``directory``; none by default."""
        del weight, directory

    def golden_record(self, model, weight, atol):
        """The ``golden`` record of ``model``: its outputs on :meth:`golden_inputs` with tolerance ``atol``."""
        outputs = np.asarray(self.golden_outputs(model, self.golden_inputs(weight), weight), np.float64)
        _check_golden_shape(outputs, self.family)
        return {"inputs": self.golden_description(weight), "outputs": np.round(outputs, 6).tolist(), "atol": atol}

    def golden_description(self, weight):
        """What :meth:`golden_inputs` are, in words (stored in the golden record)."""
        del weight
        return type(self).golden_inputs.__doc__ or ""


def check_golden(task, model, weight):
    """Raise :class:`GoldenMismatchError` unless ``model`` reproduces ``weight``'s golden outputs."""
    golden = weight.golden
    if set(golden) != {"inputs", "outputs", "atol"}:
        raise GoldenMismatchError(f"weight {weight.name!r} has no golden record of the form "
                                  f"{{'inputs', 'outputs', 'atol'}}, got keys {sorted(golden)}")
    outputs = np.asarray(task.golden_outputs(model, task.golden_inputs(weight), weight), np.float64)
    expected = np.asarray(golden["outputs"], np.float64)
    if outputs.shape != expected.shape:
        raise GoldenMismatchError(f"{weight.name}: golden outputs have shape {expected.shape}, the model gives "
                                  f"{outputs.shape}")
    error = float(np.max(np.abs(outputs - expected)))
    if not error <= golden["atol"]:
        raise GoldenMismatchError(f"{weight.name} does not reproduce its golden outputs: largest difference "
                                  f"{error:.3g} > atol {golden['atol']:.3g}")
    return error


def foreground_pixels(image, count=GOLDEN_VALUES):
    """``(rows, cols)`` of ``count`` foreground pixels of ``image`` ``(H, W, C)`` for golden values: evenly spaced, in
    raster order, among its nonzero pixels (a scene's background is black)."""
    foreground = np.flatnonzero(np.asarray(image).max(axis=-1) > 0)
    if len(foreground) == 0:
        raise ValueError("a golden scene needs foreground pixels")
    picked = foreground[np.linspace(0, len(foreground) - 1, count).round().astype(int)]
    return np.unravel_index(picked, np.shape(image)[:2])


def _check_golden_shape(outputs, family):
    if outputs.ndim != 2 or outputs.shape[1] < GOLDEN_VALUES or not np.all(np.isfinite(outputs)):
        raise ValueError(f"the {family} task's golden outputs must be finite, (inputs, >= {GOLDEN_VALUES}) values, "
                         f"got shape {outputs.shape}")


