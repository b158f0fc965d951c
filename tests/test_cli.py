"""The zoo command: every subcommand on a tiny published classifier, and its error paths (one line, exit 2)."""
import json
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from zoo import classification, cli, registry, tasks
from zoo.data import CLASS_NAMES, load_sample


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write_png(path, image):
    tf.io.write_file(str(path), tf.io.encode_png(image))
    return path


def assert_one_line_error(code, err, *fragments):
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def test_help_and_list_import_no_tensorflow():
    script = ("import sys\nfrom zoo import cli\ncli.main(['list'])\ncli.main(['list', '--pretrained'])\n"
              "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
              "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_list_and_info(tiny_zoo, capsys):
    code, out, _ = run(capsys, "list", "resnet-*")
    assert code == 0 and "resnet-164" in out and "arXiv:1707.04585" in out
    code, out, _ = run(capsys, "list", "--pretrained")
    assert code == 0 and out.split()[0] == "resnet-32.tiny" and "top-1 accuracy" in out
    code, out, _ = run(capsys, "info", "resnet-32.tiny")
    assert code == 0 and len(out.splitlines()) <= 10 and "top-1 accuracy" in out and "--json" in out
    code, out, _ = run(capsys, "info", "resnet-32.tiny", "--json")
    assert code == 0 and json.loads(out)["weight"]["sha256"] == tiny_zoo.sha256


def test_a_pattern_that_matches_nothing_says_so(capsys):
    code, out, err = run(capsys, "list", "nothing*")
    assert code == 1 and out == "" and "no architectures match 'nothing*'" in err


def test_unknown_name_is_a_clean_error(tiny_zoo, capsys):
    code, _, err = run(capsys, "info", "resnet-33")
    assert_one_line_error(code, err, "resnet-32")


def test_debug_shows_the_traceback(tiny_zoo):
    with pytest.raises(ValueError, match="unknown model"):
        cli.main(["--debug", "info", "resnet-33"])


def test_fetch_without_a_file_names_the_directory_and_the_variable(tiny_zoo, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("ZOO_WEIGHTS_DIR", str(tmp_path / "empty"))
    monkeypatch.delenv("ZOO_WEIGHTS_URL", raising=False)
    code, _, err = run(capsys, "fetch", "resnet-32.tiny")
    assert_one_line_error(code, err, tiny_zoo.file, str(tmp_path / "home"), "ZOO_WEIGHTS_URL")


def test_eval_prints_the_headline_beside_the_recorded_values(tiny_zoo, capsys):
    code, out, _ = run(capsys, "eval", "resnet-32.tiny")
    sample = f"{100 * tiny_zoo.headline['sample']:.2f}%"
    assert code == 0 and "top-1 accuracy" in out and out.count(sample) >= 2
    assert f"{100 * tiny_zoo.metrics['top1_accuracy']:.2f}%" in out


def test_eval_full_without_the_data_says_how_to_get_it(tiny_zoo, capsys, monkeypatch):
    from zoo.data import datasets

    def missing(*args, **kwargs):
        raise FileNotFoundError("Fashion-MNIST not found")

    monkeypatch.setattr(datasets, "load_classification_data", missing)
    code, _, err = run(capsys, "eval", "resnet-32.tiny", "--full")
    assert_one_line_error(code, err, "apt-get install dataset-fashion-mnist")


def test_predict_prints_class_names(tiny_zoo, capsys, tmp_path):
    image = load_sample()[0][0]
    code, out, err = run(capsys, "predict", "resnet-32.tiny", str(write_png(tmp_path / "a.png", image[..., None])),
                         "--top_k", "2")
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == 2 and err == ""
    logits = classification.predict_logits(registry.load("resnet-32.tiny"), image[None], tiny_zoo.preprocessing)[0]
    assert lines[0].split(None, 1)[1] == CLASS_NAMES[int(np.argmax(logits))]


def test_predict_says_when_it_converts_colour_and_size(tiny_zoo, capsys, tmp_path):
    colour = np.random.default_rng(0).integers(0, 255, (50, 40, 3), dtype=np.uint8)
    code, out, err = run(capsys, "predict", "resnet-32.tiny", str(write_png(tmp_path / "photo.png", colour)))
    assert code == 0 and len(out.strip().splitlines()) == 3
    assert "converted the colour image to grey" in err and "resized 40×50 to 28×28" in err


@pytest.mark.parametrize("top_k", ["0", "-1"])
def test_predict_top_k_must_be_positive(tiny_zoo, capsys, tmp_path, top_k):
    path = write_png(tmp_path / "a.png", load_sample()[0][0][..., None])
    code, _, err = run(capsys, "predict", "resnet-32.tiny", str(path), "--top_k", top_k)
    assert_one_line_error(code, err, "--top_k must be a positive integer")


@pytest.mark.parametrize("content, message", [(None, "cannot read image"), (b"", "is empty"),
                                              (b"not an image at all", "is not a PNG, JPEG, GIF or BMP image")])
def test_predict_bad_files_are_one_line_errors(tiny_zoo, capsys, tmp_path, content, message):
    path = tmp_path / "input.png"
    if content is not None:
        path.write_bytes(content)
    code, _, err = run(capsys, "predict", "resnet-32.tiny", str(path))
    assert_one_line_error(code, err, message, str(path))


def test_export_writes_a_servable_model_that_checks_its_inputs(tiny_zoo, capsys, tmp_path):
    code, out, _ = run(capsys, "export", "resnet-32.tiny", str(tmp_path / "served"))
    assert code == 0 and "images uint8 [None, 28, 28, 1]" in out
    served = tf.saved_model.load(str(tmp_path / "served")).signatures["serving_default"]
    assert served(images=tf.zeros((2, 28, 28, 1), tf.uint8))["probabilities"].shape == (2, 10)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"images must be uint8 images of shape \(N, 28, 28, 1\)"):
        served(images=tf.zeros((1, 100, 100, 1), tf.uint8))
    assert json.loads((tmp_path / "served" / "class_names.json").read_text()) == list(CLASS_NAMES)


def test_export_into_a_bad_directory_is_a_one_line_error(tiny_zoo, capsys, tmp_path):
    (tmp_path / "a_file").write_text("x")
    code, _, err = run(capsys, "export", "resnet-32.tiny", str(tmp_path / "a_file"))
    assert_one_line_error(code, err, "is a file")
    run(capsys, "export", "resnet-32.tiny", str(tmp_path / "served"))
    code, _, err = run(capsys, "export", "resnet-32.tiny", str(tmp_path / "served"))
    assert_one_line_error(code, err, "already holds a SavedModel")


def test_export_under_a_file_is_a_one_line_error(tiny_zoo, capsys, tmp_path):
    (tmp_path / "a_file").write_text("x")
    code, _, err = run(capsys, "export", "resnet-32.tiny", str(tmp_path / "a_file" / "served"))
    assert_one_line_error(code, err, "cannot write to export directory")


def test_tensorflow_errors_become_one_line():
    error = tf.errors.InvalidArgumentError(None, None, "Graph execution error:\n\nDetected at node x\n"
                                           "assertion failed: [images must be uint8] [1 2]\n\t [[{{node x}}]]")
    assert cli._one_line(error) == "assertion failed: [images must be uint8] [1 2]"


def test_demo_prints_one_row_per_weight(tiny_zoo, capsys):
    code, out, _ = run(capsys, "demo")
    rows = [line for line in out.splitlines() if line.startswith("resnet-32.tiny")]
    assert code == 0 and len(rows) == 1 and "top-1 accuracy" in rows[0]
    headline = tasks.Headline.of(tiny_zoo)
    assert rows[0].count(headline.format(headline.sample)) >= 2 and headline.format(headline.full) in rows[0]
