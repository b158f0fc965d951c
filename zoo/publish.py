"""Turn a training run's output into a pretrained weight: copy, verify, derive what the task contract records from
the weights themselves (golden outputs, the headline metric on the embedded sample, class names), and merge the
record into the packaged manifest. Never edit those fields by hand: :func:`refresh` recomputes them."""
import dataclasses
import json
import pathlib
import shutil

from zoo import registry, reporting, tasks, weights


def publish(record_path, mirror, manifest_path=None):
    """Publish the weight described by the training record at ``record_path``.

    The record (``ARCH.TAG.json`` written by a training tool) sits beside its weight file. The file is copied into
    ``mirror`` (the developers' local mirror of weight files, the checkout's ``pretrained/``) after its sha256 is
    checked; then :func:`complete` derives the contract fields and merges the record into the manifest.

    Returns:
        The published :class:`zoo.weights.WeightSpec`.
    """
    record_path = pathlib.Path(record_path)
    (name, record), = json.loads(record_path.read_text()).items()
    spec = weights.WeightSpec.from_record(name, record)
    source = record_path.with_name(spec.file)
    if weights.sha256_of(source) != spec.sha256:
        raise weights.ChecksumError(f"{source} does not match the sha256 in {record_path}")
    mirror = pathlib.Path(mirror)
    mirror.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, mirror / spec.file)
    return complete(spec, mirror / spec.file, manifest_path)


def complete(spec, weights_file, manifest_path=None):
    """``spec`` with its ``golden``, ``headline`` and ``class_names`` derived by its family's task from the weights
    in ``weights_file``, merged into the manifest at ``manifest_path`` (default: the packaged one)."""
    task = registry.get_task(registry.get_model_spec(spec.architecture).family)
    model = registry.build(spec.architecture, **spec.builder_kwargs)
    task.build(model)
    model.load_weights(weights_file)
    outputs = task.golden_record(model, spec, atol=0.0)["outputs"]
    atol = 1e-4 * max(1.0, max(abs(v) for row in outputs for v in row))
    measurement = task.evaluate(model, spec)
    published = dataclasses.replace(
        spec, golden=task.golden_record(model, spec, atol=round(atol, 8)), class_names=task.class_names(spec),
        headline={**task.headline_spec(spec), "sample": round(measurement.value, 6), "sample_data": measurement.data})
    tasks.Headline.of(published)  # a complete headline, or ValueError naming what is missing
    manifest = weights.load_manifest(manifest_path)
    manifest[spec.name] = published
    weights.write_manifest(manifest, manifest_path)
    return published


def refresh(names, mirror, manifest_path=None):
    """Recompute the contract fields of the manifest's weights ``names`` from their files in ``mirror``; returns the
    refreshed specs."""
    manifest = weights.load_manifest(manifest_path)
    unknown = sorted(set(names) - set(manifest))
    if unknown:
        raise ValueError(f"not in the manifest: {', '.join(unknown)}")
    return [complete(manifest[name], pathlib.Path(mirror) / manifest[name].file, manifest_path) for name in names]


def weights_table(manifest):
    """A :class:`zoo.reporting.Table` of every weight in ``manifest``: data, scale of the run, its headline and
    command."""
    rows = []
    for name, spec in sorted(manifest.items()):
        headline = tasks.Headline.of(spec)
        rows.append((f"`{name}`", registry.get_model_spec(name).paper, f"{spec.dataset} {spec.split.get('train')}",
                     f"{headline.name} {headline.format(headline.full)}", _run_scale(spec.training),
                     f"`{spec.command}`"))
    return reporting.Table(["weight", "paper", "trained on", "result (full test data)", "run", "command"],
                           [list(row) for row in rows])


def _run_scale(training):
    minutes = (f"{training['seconds'] / 60:.0f} min on {training.get('machine', '?')}" if "seconds" in training
               else "training time not recorded")
    if training.get("epochs"):
        steps = training.get("steps", 0) // max(training["epochs"], 1)
        return f"{training['epochs']} epochs × {steps} steps, batch {training.get('batch_size')}, {minutes}"
    return f"{training.get('steps', '?')} steps, {minutes}"
