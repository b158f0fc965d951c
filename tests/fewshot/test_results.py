"""The few-shot table from finished runs (with ProtoNet's weights scored by soft k-means inference), and the weight
record a training run writes."""
import json

import numpy as np

import zoo
from zoo.fewshot import results, training
from zoo.fewshot.episodes import EpisodeConfig, EpisodeSampler


def tiny_sampler(shots, distractors):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (12 * 10, 28, 28), dtype=np.uint8)
    config = EpisodeConfig(n_way=3, k_shot=shots, n_query=2, n_unlabeled=2, n_distractor=2 if distractors else 0)
    return EpisodeSampler(images, np.repeat(np.arange(12), 10), config, label_ratio=0.5)


def finish(output, model, shots, distractors, accuracy, weights=None):
    run = output / training.run_name(model, shots, distractors)
    run.mkdir(parents=True)
    if weights is not None:
        weights.save_weights(run / "checkpoint.weights.h5")
    (run / "result.json").write_text(json.dumps({"model": model, "shots": shots, "distractors": distractors,
                                                 "steps": 20, "accuracy": accuracy, "interval": 0.01}))
    return run


def test_collect_table_and_notes(tmp_path):
    protonet = zoo.load("protonet-conv4", pretrained=False, filters=8)
    run = finish(tmp_path, "protonet-conv4", 1, True, 0.9, weights=protonet)
    finish(tmp_path, "masked-soft-kmeans-conv4", 5, False, 0.95)
    found = results.collect(tmp_path, episodes=2, sampler_for=tiny_sampler, filters=8)
    assert set(found) == {("protonet-conv4", 1, True), ("protonet+inference", 1, True),
                          ("masked-soft-kmeans-conv4", 5, False)}
    assert 0 <= found["protonet+inference", 1, True]["accuracy"] <= 1 and (run / "inference_result.json").exists()
    rows = {row[0]: row[1:] for row in results.table(found).rows}
    assert rows["Supervised ProtoNet"][:4] == ["not run", "not run", "90.00 ± 1.00", "not run"]
    assert rows["Masked soft k-means"][1] == "95.00 ± 1.00" and rows["Masked soft k-means"][4].startswith("50.41")
    assert "20 training episodes per model" in results.notes(found)[0]
    assert results.setting_name(5, True) == "5-shot w/ distractors"


def test_write_weight_record_names_the_setting_metric(tmp_path):
    model = zoo.load("protonet-conv4", pretrained=False, filters=8)
    training.write_weight_record(model, tmp_path, "protonet-conv4.glyphs", source="glyphs", shots=1, distractors=True,
                                 examples_per_class=40, label_ratio=0.4, test_episodes=600, accuracy=0.97251,
                                 interval=0.00331, command="python tools/fewshot/train.py", training={"steps": 2})
    (name, record), = json.loads((tmp_path / "protonet-conv4.glyphs.json").read_text()).items()
    assert name == "protonet-conv4.glyphs" and record["architecture"] == "protonet-conv4"
    assert record["metrics"] == {"5way_1shot_distractors_accuracy": 0.9725, "interval_95": 0.0033,
                                 "test_episodes": 600}
    assert record["split"]["train"] == "glyphs train classes, 40 renderings each, 40% labeled"
