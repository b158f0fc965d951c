"""Turn a training run's output into a pretrained weight: copy, verify, add golden outputs, update the manifest."""
import json
import pathlib
import shutil

from zoo import benchmark, evaluation, registry, weights
from zoo.data import samples

GOLDEN_EXAMPLES = 4
GOLDEN_ATOL = 1e-4


def publish(record_path, pretrained_dir=None, manifest_path=None):
    """Publish the weight described by the training record at ``record_path``.

    The record (``MODEL.TAG.json`` written by :func:`zoo.training.train_classifier`) sits beside its weight
    file. The file is copied into ``pretrained_dir`` (default ``pretrained/``) after its sha256 is checked;
    the model is rebuilt from code and loaded from the copy; golden logits on the first
    :data:`GOLDEN_EXAMPLES` images of the embedded sample and the accuracy on the whole sample are added to
    the record (Fashion-MNIST classifiers only; other weights bring their own golden outputs); and the record is
    merged into the manifest.

    Returns:
        The published :class:`zoo.weights.WeightSpec`.
    """
    record_path = pathlib.Path(record_path)
    (name, record), = json.loads(record_path.read_text()).items()
    spec = weights.WeightSpec.from_record(name, record)
    source = record_path.with_name(spec.file)
    if weights.sha256_of(source) != spec.sha256:
        raise weights.ChecksumError(f"{source} does not match the sha256 in {record_path}")
    pretrained_dir = pathlib.Path(pretrained_dir or weights.PRETRAINED_DIR)
    pretrained_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, pretrained_dir / spec.file)

    model = registry.build(spec.architecture, **spec.builder_kwargs)
    model.load_weights(pretrained_dir / spec.file)
    if evaluation.is_sample_classifier(spec):
        images, labels, indices = samples.load_sample()
        record["golden"] = {
            "sample_indices": list(range(GOLDEN_EXAMPLES)),
            "test_split_indices": [int(i) for i in indices[:GOLDEN_EXAMPLES]],
            "logits": evaluation.predict_logits(model, images[:GOLDEN_EXAMPLES], spec.preprocessing).round(6).tolist(),
            "atol": GOLDEN_ATOL,
        }
        record["metrics"]["sample_top1_accuracy"] = round(
            evaluation.accuracy(model, images, labels, spec.preprocessing), 6)
        record["metrics"]["sample_examples"] = int(len(labels))
    published = weights.WeightSpec.from_record(name, record)
    manifest = dict(weights.load_manifest(manifest_path))
    manifest[name] = published
    weights.write_manifest(manifest, manifest_path)
    return published


def weights_table(manifest):
    """A markdown table of every weight in ``manifest``: data, scale of the run, its metrics and command."""
    rows = []
    for name, spec in sorted(manifest.items()):
        rows.append((f"`{name}`", registry.get_model_spec(name).paper, f"{spec.dataset} {spec.split.get('train')}",
                     _metric_summary(spec.metrics), _run_scale(spec.training), f"`{spec.command}`"))
    return benchmark.markdown_table(("weight", "paper", "trained on", "result", "run", "command"), rows)


def _metric_summary(metrics):
    """Top-1 accuracy of a classifier; otherwise every recorded metric."""
    if "top1_accuracy" in metrics:
        return f"{100 * metrics['top1_accuracy']:.2f}% top-1 ({metrics['test_examples']} test images)"
    return ", ".join(f"{key} {value}" for key, value in metrics.items())


def _run_scale(training):
    minutes = (f"{training['seconds'] / 60:.0f} min on {training.get('machine', '?')}" if "seconds" in training
               else "training time not recorded")
    if training.get("epochs"):
        steps = training.get("steps", 0) // max(training["epochs"], 1)
        return f"{training['epochs']} epochs × {steps} steps, batch {training.get('batch_size')}, {minutes}"
    return f"{training.get('steps', '?')} steps, {minutes}"
