"""Image-QA training and results on a tiny data set: the cached stages, FULL and GUESS, the weight records, the
evaluation tables and the accuracy figure."""
import json

import numpy as np
import pytest

from zoo.imageqa import data, encoder as encoder_lib, plots, results, training

CONFIG = training.TrainConfig(train_scenes=60, test_scenes=30, epochs=1, patience=1, batch_size=32, embedding_dim=8,
                              hidden=4, seed=3)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A run directory with a tiny data set, an untrained encoder (so no Fashion-MNIST is needed), BOW, IMG+BOW
    and the FULL members."""
    out = tmp_path_factory.mktemp("imageqa")
    dataset, vocabulary, texts = data.build(CONFIG.train_scenes, CONFIG.test_scenes, CONFIG.seed, min_count=2)
    data.save(out, dataset, vocabulary, texts)
    encoder = encoder_lib.build_encoder()
    encoder_lib.set_feature_statistics(encoder, dataset["train"]["images"])
    encoder.save_weights(out / "encoder.weights.h5")
    (out / "encoder.json").write_text(json.dumps({"tinted_test_accuracy": 0.5, "epochs": 0}))
    state = training.train_all(out, ["bow", *training.MEMBERS], CONFIG, verbose=0)
    return out, state


def test_train_all_trains_each_model_once_and_forms_full_and_guess(trained):
    out, state = trained
    assert set(state["trained"]) == {"bow", "vis-lstm", "2vis-blstm", "img-bow", "full"}
    test_questions = len(state["dataset"]["test"]["answers"])
    assert np.load(out / "full.probs.npy").shape == (test_questions, len(state["vocabulary"].answers))
    assert np.load(out / "guess.answers.npy").shape == (test_questions,)
    record = json.loads((out / "bow.json").read_text())
    assert record["epochs_run"] == 1 and record["best_epoch"] == 1
    again = training.train_all(out, ["bow"], CONFIG, verbose=0)  # loaded, not trained again
    assert json.loads((out / "bow.json").read_text())["seconds"] == record["seconds"]
    assert again["kwargs"]["bow"] == state["kwargs"]["bow"] and "hidden" in again["kwargs"]["vis-lstm"]


def test_write_records_of_the_encoder_and_every_model(trained):
    out, state = trained
    training.write_records(out, state, CONFIG, "python tools/imageqa/train.py --publish")
    (name, record), = json.loads((out / "imageqa-bow.fmnist_qa.json").read_text()).items()
    assert set(record["metrics"]) == {"accuracy", "wups_0.9", "wups_0.0"} and record["training"]["epochs"] == 1
    (_, full), = json.loads((out / "imageqa-full.fmnist_qa.json").read_text()).items()
    assert full["training"]["members"] == [f"imageqa-{m}.fmnist_qa" for m in training.MEMBERS]
    (_, encoder), = json.loads((out / "imageqa-encoder.fmnist_qa.json").read_text()).items()
    assert encoder["metrics"] == {"tinted_test_accuracy": 0.5}


def test_results_tables_note_and_figure(trained, tmp_path):
    out, state = trained
    dataset, vocabulary = data.load(out, images=False)
    scores = results.evaluate_runs(out, dataset["test"], vocabulary)
    assert list(scores) == ["GUESS", "BOW", "IMG+BOW", "VIS+LSTM", "2-VIS+BLSTM", "FULL"]
    texts = json.loads((out / "questions.json").read_text())["test"]
    statistics, examples, overall, per_type, wups = results.tables(scores, dataset, vocabulary, texts)
    assert statistics.rows[-1][0] == "total" and statistics.rows[-1][5:] == ["78,736", "100.00", "38,948", "100.00"]
    assert all(row[1].startswith("“") for row in examples.rows)
    assert [row[0] for row in overall.rows] == list(scores) and per_type.header == wups.header
    assert "Best / run epochs per model: bow 1/1" in results.scale_note(out, dataset)
    accuracy = results.accuracy_data(scores)
    assert accuracy["FULL"]["overall"] == scores["FULL"]["overall"]["accuracy"]
    figure = plots.accuracy_per_type(accuracy, tmp_path / "accuracy.png")
    assert len(figure.axes[0].get_legend().get_texts()) == 6 and figure.axes[0].get_ylim() == (0, 1)
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()][-1] == "overall"
