"""The SBNet training loop on tiny scenes of the embedded sample: it trains, checkpoints and resumes, and the weight
records it writes are manifest-ready."""
import json

import numpy as np

from tests.sbnet.test_evaluation import TINY
from zoo.data import samples
from zoo.data.scenes import SceneConfig
from zoo.sbnet import segmenter, training

SCENES = SceneConfig(height=32, width=32, min_objects=1, max_objects=2, min_scale=0.6, max_scale=0.8)


def test_train_checkpoints_and_resumes(tmp_path, capsys):
    model = segmenter.build_segnet(sparse=True, **TINY)
    source = samples.load_sample()[:2]
    config = training.TrainConfig(steps=2, batch_size=2, checkpoint_every=1)
    before = [np.array(w) for w in model.trainable_weights]
    assert training.train(model, config, tmp_path / "checkpoints", source=source, scenes=SCENES, verbose=0) > 0
    assert any(not np.array_equal(a, np.asarray(b)) for a, b in zip(before, model.trainable_weights))
    again = segmenter.build_segnet(sparse=True, **TINY)
    longer = training.TrainConfig(steps=3, batch_size=2, checkpoint_every=1)
    training.train(again, longer, tmp_path / "checkpoints", source=source, scenes=SCENES, verbose=0)
    assert "at step 2" in capsys.readouterr().out


def test_write_record_is_manifest_ready_with_its_licence(tmp_path):
    model = segmenter.build_segnet(sparse=False, name="sbnet_segnet_dense", **TINY)
    metrics = {"pixel_accuracy": 0.9, "mean_iou": 0.5}
    path = training.write_record(model, tmp_path, "sbnet-segnet-dense", training.TrainConfig(steps=4, batch_size=2),
                                 impl="tf", test_scenes=8, test_seed=1, metrics=metrics, seconds=12.34,
                                 mode="run densely", command="python tools/sbnet/train.py --steps=4")
    (name, record), = json.loads(path.read_text()).items()
    assert name == "sbnet-segnet-dense.fashion_mnist_scenes" and (tmp_path / record["file"]).exists()
    assert record["license"] == training.LICENSE and record["builder_kwargs"] == {"impl": "tf"}
    assert record["metrics"] == {**metrics, "top1_accuracy": 0.9, "test_examples": 8}
    assert record["split"]["train"].startswith("8 generated scenes") and record["training"]["seconds"] == 12.3
