"""Build the COCO-QA-style Fashion-MNIST set, train the frozen image encoder and the image-QA models, and save
each model's test-set answer probabilities for tools/imageqa_eval.py.

    python tools/imageqa_train.py                                   # everything -> runs/imageqa
    python tools/imageqa_train.py --models=vis-lstm,bow             # some models (the rest stay as they are)
    python tools/imageqa_train.py --publish                         # also write manifest-ready weight records

Stages are cached in --output (data set, encoder, features, each model), so a rerun continues where it stopped.
Models: Adam (the paper: SGD with momentum and per-layer rates), batch 100, early stopping (patience 5) on 10% of
the training questions held out, best epoch kept. FULL averages the trained VIS+LSTM, 2-VIS+BLSTM and IMG+BOW.
"""
import json
import pathlib
import sys
import time

import numpy as np
from absl import app, flags

FLAGS = flags.FLAGS
flags.DEFINE_string("output", "runs/imageqa", "directory of the cached stages and results")
flags.DEFINE_list("models", ["bow", "lstm", "img-bow", "vis-lstm", "2vis-blstm"], "trained models (FULL and GUESS "
                  "are always formed from what exists)")
flags.DEFINE_integer("train_scenes", 10_000, "training scenes (train-split articles)")
flags.DEFINE_integer("test_scenes", 4_000, "test scenes (test-split articles)")
flags.DEFINE_integer("encoder_epochs", 10, "epochs of the encoder on tinted Fashion-MNIST")
flags.DEFINE_integer("epochs", 40, "most epochs per model")
flags.DEFINE_integer("patience", 5, "early-stopping patience (epochs)")
flags.DEFINE_integer("batch_size", 100, "questions per step (paper: 100)")
flags.DEFINE_float("lr", 1e-3, "Adam learning rate")
flags.DEFINE_integer("embedding_dim", 200, "word-embedding size (paper: 500; the vocabulary here is ~60 words)")
flags.DEFINE_integer("hidden", 150, "LSTM units per direction (paper: 300)")
flags.DEFINE_integer("seed", 0, "scenes, splits and initialisation")
flags.DEFINE_bool("publish", False, "write manifest-ready weight records for the encoder and every model")

TAG = "fmnist_qa"
MEMBERS = ("vis-lstm", "2vis-blstm", "img-bow")


def _dataset(out):
    from zoo.imageqa import data
    if not (out / "dataset.npz").exists():
        print(f"generating questions from {FLAGS.train_scenes} + {FLAGS.test_scenes} scenes", flush=True)
        data.save(out, *data.build(FLAGS.train_scenes, FLAGS.test_scenes, FLAGS.seed))
    return data.load(out)


def _encoder(out, dataset):
    from zoo.imageqa import encoder as encoder_lib
    path = out / "encoder.weights.h5"
    model = encoder_lib.build_encoder()
    if path.exists():
        model.load_weights(path)
        accuracy = json.loads((out / "encoder.json").read_text())["tinted_test_accuracy"]
    else:
        print("training the image encoder on tinted Fashion-MNIST", flush=True)
        started = time.time()
        model, accuracy = encoder_lib.train_encoder(FLAGS.encoder_epochs, FLAGS.seed)
        encoder_lib.set_feature_statistics(model, dataset["train"]["images"])
        model.save_weights(path)
        (out / "encoder.json").write_text(json.dumps({"tinted_test_accuracy": accuracy, "epochs": FLAGS.encoder_epochs,
                                                      "seconds": time.time() - started}))
    print(f"encoder: {accuracy:.4f} test accuracy on tinted Fashion-MNIST", flush=True)
    features = {split: encoder_lib.scene_features(model, arrays["images"]) for split, arrays in dataset.items()}
    return model, accuracy, features


def _inputs(arrays, features):
    return {"image": features[arrays["scene"]], "question": arrays["questions"]}


RECURRENT = ("lstm", "vis-lstm", "2vis-blstm", "full")


def _builder_kwargs(name, vocabulary, features, max_len):
    kwargs = {"vocab_size": len(vocabulary.words), "num_answers": len(vocabulary.answers),
              "image_dim": int(features["train"].shape[1]), "max_len": int(max_len),
              "embedding_dim": FLAGS.embedding_dim}
    return kwargs | ({"hidden": FLAGS.hidden} if name in RECURRENT else {})


def _train(name, kwargs, dataset, features, out):
    import keras
    from zoo import registry
    path = out / f"{name}.weights.h5"
    model = registry.build(f"imageqa-{name}", **kwargs)
    if path.exists():
        model.load_weights(path)
        return model, json.loads((out / f"{name}.json").read_text())
    keras.utils.set_random_seed(FLAGS.seed)
    train = dataset["train"]
    held_out = np.random.default_rng(FLAGS.seed).permutation(len(train["answers"])) < len(train["answers"]) // 10
    x = _inputs(train, features["train"])
    model.compile(optimizer=keras.optimizers.Adam(FLAGS.lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=FLAGS.patience, restore_best_weights=True)
    started = time.time()
    print(f"training {name}", flush=True)
    history = model.fit({k: v[~held_out] for k, v in x.items()}, train["answers"][~held_out],
                        validation_data=({k: v[held_out] for k, v in x.items()}, train["answers"][held_out]),
                        batch_size=FLAGS.batch_size, epochs=FLAGS.epochs, callbacks=[stop], verbose=2)
    best = int(np.argmax(history.history["val_accuracy"]))
    record = {"epochs_run": len(history.history["loss"]), "best_epoch": best + 1,
              "val_accuracy": float(history.history["val_accuracy"][best]), "seconds": time.time() - started,
              "history": {k: [float(v) for v in vs] for k, vs in history.history.items()}}
    model.save_weights(path)
    (out / f"{name}.json").write_text(json.dumps(record))
    return model, record


def _publish(out, name, model, architecture, kwargs, metrics, training, preprocessing):
    from zoo import registry
    from zoo.training import records
    clean = registry.build(architecture, **kwargs)  # a model never compiled: its file holds no optimizer state
    clean.set_weights(model.get_weights())
    records.write_weight_record(
        clean, out, name, architecture=architecture, builder_kwargs=kwargs, dataset="fashion_mnist_scenes_qa",
        split={"train": f"questions generated from {FLAGS.train_scenes} 64×64 scenes of train-split articles "
                        f"(seed {FLAGS.seed}), 10% held out for early stopping",
               "test": f"questions from {FLAGS.test_scenes} scenes of test-split articles (seed {FLAGS.seed + 1})"},
        preprocessing=preprocessing, metrics=metrics, command=" ".join(["python"] + sys.argv), training=training)


def main(argv):
    del argv
    from zoo.imageqa import evaluation, networks
    out = pathlib.Path(FLAGS.output)
    out.mkdir(parents=True, exist_ok=True)
    dataset, vocabulary = _dataset(out)
    encoder, encoder_accuracy, features = _encoder(out, dataset)
    max_len = dataset["train"]["questions"].shape[1]
    kwargs = {name: _builder_kwargs(name, vocabulary, features, max_len) for name in FLAGS.models + list(MEMBERS)}
    kwargs["full"] = _builder_kwargs("full", vocabulary, features, max_len)
    test = dataset["test"]
    trained = {}
    for name in FLAGS.models:
        model, record = _train(name, kwargs[name], dataset, features, out)
        trained[name] = (model, record)
        np.save(out / f"{name}.probs.npy", model.predict(_inputs(test, features["test"]), batch_size=500, verbose=0))
    if all((out / f"{m}.weights.h5").exists() for m in MEMBERS):
        members = [trained[m][0] if m in trained else _train(m, kwargs[m], dataset, features, out)[0]
                   for m in MEMBERS]
        full = networks.full_from_members(*members)
        trained["full"] = (full, {})
        np.save(out / "full.probs.npy", full.predict(_inputs(test, features["test"]), batch_size=500, verbose=0))
    guess = networks.GuessBaseline().fit(dataset["train"]["types"], dataset["train"]["answers"])
    np.save(out / "guess.answers.npy", guess.predict(test["types"]))
    if not FLAGS.publish:
        return
    encoder_record = json.loads((out / "encoder.json").read_text())
    _publish(out, f"imageqa-encoder.{TAG}", encoder, "imageqa-encoder", {},
             {"tinted_test_accuracy": round(encoder_accuracy, 4)},
             {"epochs": encoder_record["epochs"], "steps": encoder_record["epochs"] * 469, "batch_size": 128,
              "optimizer": "adam", "lr": 1e-3, "seed": FLAGS.seed}
             | ({"seconds": round(encoder_record["seconds"])} if "seconds" in encoder_record else {}),
             {"input_dtype": "uint8", "input_shape": [64, 64, 3], "scenes": "zoo.imageqa.data.SCENES"})
    members_seconds = round(sum(json.loads((out / f"{m}.json").read_text())["seconds"] for m in MEMBERS))
    for name, (model, record) in trained.items():
        result = evaluation.evaluate(np.argmax(np.load(out / f"{name}.probs.npy"), axis=1), test, vocabulary)
        steps_per_epoch = -(-(len(dataset["train"]["answers"]) - len(dataset["train"]["answers"]) // 10)
                            // FLAGS.batch_size)
        training = {"optimizer": "adam", "lr": FLAGS.lr, "batch_size": FLAGS.batch_size, "seed": FLAGS.seed,
                    "epochs": record.get("epochs_run"), "best_epoch": record.get("best_epoch"),
                    "steps": (record.get("epochs_run") or 0) * steps_per_epoch,
                    "seconds": round(record.get("seconds", 0))}
        _publish(out, f"imageqa-{name}.{TAG}", model, f"imageqa-{name}", kwargs[name],
                 {k: round(v, 4) for k, v in result["overall"].items()},
                 training if name != "full" else {"members": [f"imageqa-{m}.{TAG}" for m in MEMBERS],
                                                  "seconds": members_seconds},
                 {"image_features": f"imageqa-encoder.{TAG}", "vocabulary": json.loads(vocabulary.to_json()),
                  "question": "lower-case words, zoo.imageqa.data.Vocabulary.encode, padded with 0 at the end"})


if __name__ == "__main__":
    app.run(main)
