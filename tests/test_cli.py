import json

import numpy as np
import tensorflow as tf

from zoo import cli, evaluation, registry
from zoo.data import CLASS_NAMES, load_sample


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_and_info(tiny_zoo, capsys):
    code, out, _ = run(capsys, "list", "resnet-*")
    assert code == 0 and "resnet-164" in out and "arXiv:1707.04585" in out
    code, out, _ = run(capsys, "list", "--pretrained")
    assert code == 0 and out.split()[0] == "resnet-32.tiny"
    code, out, _ = run(capsys, "info", "resnet-32.tiny")
    assert code == 0 and json.loads(out)["weight"]["sha256"] == tiny_zoo.sha256


def test_unknown_name_is_a_clean_error(tiny_zoo, capsys):
    code, _, err = run(capsys, "info", "resnet-33")
    assert code == 2 and "resnet-32" in err and "Traceback" not in err


def test_fetch_offline_without_a_file_names_the_directory(tiny_zoo, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("ZOO_WEIGHTS_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    code, _, err = run(capsys, "fetch", "resnet-32.tiny")
    assert code == 2 and tiny_zoo.file in err and str(tmp_path / "home") in err


def test_eval_prints_accuracy_beside_the_manifest(tiny_zoo, capsys):
    code, out, _ = run(capsys, "eval", "resnet-32.tiny")
    expected = f"{100 * tiny_zoo.metrics['sample_top1_accuracy']:.2f}%"
    assert code == 0 and "embedded sample" in out and out.count(expected) == 2


def test_predict_png(tiny_zoo, capsys, tmp_path):
    images, _, _ = load_sample()
    path = tmp_path / "image.png"
    tf.io.write_file(str(path), tf.io.encode_png(images[0][..., None]))
    code, out, _ = run(capsys, "predict", "resnet-32.tiny", str(path), "--top_k", "2")
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == 2
    logits = evaluation.predict_logits(registry.load("resnet-32.tiny"), images[:1], tiny_zoo.preprocessing)[0]
    assert lines[0].split(None, 1)[1] == CLASS_NAMES[int(np.argmax(logits))]


def test_export_writes_a_servable_model(tiny_zoo, capsys, tmp_path):
    code, out, _ = run(capsys, "export", "resnet-32.tiny", str(tmp_path / "served"))
    assert code == 0 and (tmp_path / "served" / "saved_model.pb").exists()


def test_demo_prints_one_row_per_weight(tiny_zoo, capsys):
    code, out, _ = run(capsys, "demo")
    rows = [line for line in out.splitlines() if line.startswith("resnet-32.tiny")]
    assert code == 0 and len(rows) == 1 and "arXiv:1707.04585" in rows[0]
    assert "manifest (full test)" in out


def test_demo_shows_every_shipped_family(capsys, monkeypatch):
    from zoo import weights
    monkeypatch.setattr(registry, "load", lambda name: None)  # loading each file is covered by the family tests
    monkeypatch.setattr(evaluation, "evaluate_pretrained", lambda name: {
        "top1_accuracy": 0.5, "manifest_top1_accuracy": 0.5, "load_seconds": 0.0, "examples": 1})
    code, out, _ = run(capsys, "demo")
    names = weights.load_manifest(weights.MANIFEST_PATH)
    assert code == 0
    for name, spec in names.items():
        rows = [line for line in out.splitlines() if line.startswith(name + " ")]
        assert len(rows) == 1, name
        if not evaluation.is_sample_classifier(spec):
            assert next(iter(spec.metrics)) in rows[0]


def test_export_names_what_it_cannot_serve(capsys, tmp_path):
    code, _, err = run(capsys, "export", "recattend.fmnist_scenes", str(tmp_path / "served"))
    assert code != 0 and "functional Keras model" in err


def test_export_serves_an_image_qa_model_with_its_encoder(capsys, tmp_path):
    code, out, _ = run(capsys, "export", "imageqa-bow.fmnist_qa", str(tmp_path / "served"))
    assert code == 0 and "imageqa-encoder.fmnist_qa" in out
    assert (tmp_path / "served" / "saved_model.pb").exists() and (tmp_path / "served" / "vocabulary.json").exists()
