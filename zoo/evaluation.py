"""A pretrained weight's headline metric measured now, through its family's task, beside what its record says."""
import dataclasses
import time

from zoo import registry, tasks


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """A weight measured now: its ``headline`` (the record's values), the ``measurement`` and the load time."""

    name: str
    headline: tasks.Headline
    measurement: tasks.Measurement
    full: bool
    load_seconds: float

    @property
    def reproduces(self):
        """Whether a measurement on the embedded sample reproduces the recorded value (None for the full data)."""
        return None if self.full else self.headline.agrees(self.measurement.value)

    def summary(self):
        """One line: the metric now, with its data, beside the recorded sample and full-test values."""
        h, m = self.headline, self.measurement
        recorded = (f"recorded {h.format(h.full)} on the full test data" if self.full else
                    f"recorded {h.format(h.sample)} here, {h.format(h.full)} on the full test data")
        return f"{self.name}: {h.name} {h.format(m.value)} on {m.data} ({m.examples} examples); {recorded}"


def evaluate_pretrained(name, full=False, progress=None):
    """Load pretrained weight ``name`` (``ARCH.TAG`` or ``ARCH`` for its default) and measure its headline metric on
    the embedded sample, or with ``full`` on the full test data (:class:`zoo.tasks.MissingDataError` when absent)."""
    weight = registry.get_weight_spec(name)
    headline = tasks.Headline.of(weight)
    task = registry.get_task(registry.get_model_spec(weight.name).family)
    started = time.perf_counter()
    model = registry.load(weight.name)
    load_seconds = time.perf_counter() - started
    measurement = task.evaluate(model, weight, full=full, progress=progress)
    return Evaluation(weight.name, headline, measurement, full, load_seconds)
