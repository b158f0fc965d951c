"""Training the image-QA models the way ``tools/imageqa/train.py`` does: the COCO-QA-style data set, the frozen
image encoder and its scene features, each model with early stopping, FULL from its trained members, GUESS, and the
manifest-ready weight records. Every stage is cached in one directory, so a rerun continues where it stopped."""
import dataclasses
import functools
import json
import time

import keras
import numpy as np
import tensorflow as tf

from zoo import registry
from zoo.imageqa import data, evaluation, networks
from zoo.imageqa import encoder as encoder_lib
from zoo.training import distributed, records, steps

TAG = "fmnist_qa"
"""Weight tag of the shipped image-QA weights."""

MEMBERS = ("vis-lstm", "2vis-blstm", "img-bow")
"""The models FULL averages."""

RECURRENT = ("lstm", "vis-lstm", "2vis-blstm", "full")
"""Models with an LSTM (they take ``hidden``)."""


@dataclasses.dataclass
class TrainConfig:
    """The data set's size and seed, the encoder's epochs, and every model's recipe (Adam, early stopping on 10% of
    the training questions held out, the best epoch kept). ``dataset`` is ``"fmnist_scenes"`` (generated scenes,
    the zoo's encoder) or ``"coco"`` (COCO-QA from tfds coco_captions, :mod:`zoo.imageqa.coco`, with the image
    features of ``keras.applications.FEATURE_NETWORK`` at ``feature_weights``, z-normalised as the paper does;
    answers seen fewer than ``min_answer_count`` times are dropped, the paper's 25)."""

    train_scenes: int = data.TRAIN_SCENES
    test_scenes: int = data.TEST_SCENES
    encoder_epochs: int = 10
    epochs: int = 40
    patience: int = 5
    batch_size: int = 100
    lr: float = 1e-3
    embedding_dim: int = 200
    hidden: int = 150
    seed: int = 0
    dataset: str = "fmnist_scenes"
    feature_network: str = "VGG19"
    feature_weights: str | None = "imagenet"
    min_answer_count: int = 25


def load_dataset(out, config):
    """``(dataset, vocabulary)`` (:func:`zoo.imageqa.data.build`) from ``out``, built and saved there first."""
    if not (out / "dataset.npz").exists():
        print(f"generating questions from {config.train_scenes} + {config.test_scenes} scenes", flush=True)
        data.save(out, *data.build(config.train_scenes, config.test_scenes, config.seed))
    return data.load(out)


def load_encoder(out, dataset, config):
    """``(encoder, tinted test accuracy, {split: scene features})``: the encoder in ``out``, trained on tinted
    Fashion-MNIST and its feature statistics set on the training scenes first."""
    path = out / "encoder.weights.h5"
    encoder = encoder_lib.build_encoder()
    if path.exists():
        encoder.load_weights(path)
        accuracy = json.loads((out / "encoder.json").read_text())["tinted_test_accuracy"]
    else:
        print("training the image encoder on tinted Fashion-MNIST", flush=True)
        started = time.time()
        encoder, accuracy = encoder_lib.train_encoder(config.encoder_epochs, config.seed)
        encoder_lib.set_feature_statistics(encoder, dataset["train"]["images"])
        encoder.save_weights(path)
        (out / "encoder.json").write_text(json.dumps({"tinted_test_accuracy": accuracy,
                                                      "epochs": config.encoder_epochs,
                                                      "seconds": time.time() - started}))
    print(f"encoder: {accuracy:.4f} test accuracy on tinted Fashion-MNIST", flush=True)
    features = {split: encoder_lib.scene_features(encoder, arrays["images"]) for split, arrays in dataset.items()}
    return encoder, accuracy, features


def load_coco(out, config, data_dir=None, download=False):
    """``(dataset, vocabulary, {split: z-normalised image features})`` of COCO-QA, built (questions from the
    captions, then each image's features) and saved in ``out`` first."""
    from zoo.imageqa import coco

    if not (out / "features.npz").exists():
        print("generating COCO-QA questions from the captions of tfds coco_captions", flush=True)
        dataset, vocabulary, texts, images = coco.build(data_dir=data_dir, download=download,
                                                        min_count=config.min_answer_count)
        empty = [split for split, rows in images.items() if not len(rows)]
        if empty:
            raise ValueError(f"COCO-QA's {' and '.join(empty)} split has no question left after the pruning")
        data.save(out, dataset, vocabulary, texts)
        print(f"image features: keras.applications.{config.feature_network}", flush=True)
        np.savez(out / "features.npz", **{split: coco.image_features(
            split, images[split], config.feature_network, config.feature_weights, data_dir=data_dir,
            download=download) for split in images})
    dataset, vocabulary = data.load(out, images=False)
    features = dict(np.load(out / "features.npz"))
    mean, std = features["train"].mean(axis=0), features["train"].std(axis=0) + 1e-6
    return dataset, vocabulary, {split: (values - mean) / std for split, values in features.items()}


def model_inputs(arrays, features):
    """A model's inputs for a split's ``arrays``: each question with its scene's features."""
    return {"image": features[arrays["scene"]], "question": arrays["questions"]}


def builder_kwargs(name, vocabulary, features, max_len, config):
    """The registry arguments of ``imageqa-NAME`` for this data set and ``config``."""
    kwargs = {"vocab_size": len(vocabulary.words), "num_answers": len(vocabulary.answers),
              "image_dim": int(features["train"].shape[1]), "max_len": int(max_len),
              "embedding_dim": config.embedding_dim}
    return kwargs | ({"hidden": config.hidden} if name in RECURRENT else {})


def load_model(name, kwargs, dataset, features, out, config, verbose=2, strategy=None):
    """``(model, record)`` of ``imageqa-NAME`` from ``out``, trained there first (:func:`fit_with_early_stopping`);
    the record holds the epochs run, the best epoch, its validation accuracy, the seconds and the history."""
    path = out / f"{name}.weights.h5"
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        model = registry.build(f"imageqa-{name}", **kwargs)
    if path.exists():
        model.load_weights(path)
        return model, json.loads((out / f"{name}.json").read_text())
    keras.utils.set_random_seed(config.seed)
    train = dataset["train"]
    held_out = np.random.default_rng(config.seed).permutation(len(train["answers"])) < len(train["answers"]) // 10
    x = model_inputs(train, features["train"])
    print(f"training {name}", flush=True)
    record = fit_with_early_stopping(model, ({k: v[~held_out] for k, v in x.items()}, train["answers"][~held_out]),
                                     ({k: v[held_out] for k, v in x.items()}, train["answers"][held_out]), config,
                                     strategy, verbose)
    model.save_weights(path)
    (out / f"{name}.json").write_text(json.dumps(record))
    return model, record


def fit_with_early_stopping(model, train, validation, config, strategy, verbose=2):
    """Train ``model`` (built under ``strategy``'s scope; softmax outputs) on ``train`` ``(inputs, answers)`` through
    the shared loop (:class:`zoo.training.distributed.Loop`): Adam, batches of ``config.batch_size`` in a new seeded
    order every epoch (the last partial batch dropped), at most ``config.epochs`` epochs, stopped after
    ``config.patience`` epochs without a better accuracy on ``validation``, the best epoch's weights kept. Under a
    strategy of N replicas each takes ``batch_size / N`` of every batch.

    Returns:
        ``{"epochs_run", "best_epoch", "val_accuracy", "seconds", "history": {"loss", "accuracy",
        "val_accuracy"}}``.
    """
    inputs, answers = train
    steps_per_epoch = len(answers) // config.batch_size
    if steps_per_epoch < 1:
        raise ValueError(f"batch_size ({config.batch_size}) exceeds the {len(answers)} training questions")
    with strategy.scope():
        optimizer = keras.optimizers.Adam(config.lr)
    loop = distributed.Loop(strategy, optimizer, model.trainable_variables)

    @functools.lru_cache(maxsize=1)
    def epoch_order(epoch):
        return np.random.default_rng([config.seed, epoch]).permutation(len(answers))

    def batches(k):
        epoch, position = divmod(k, steps_per_epoch)
        index = epoch_order(epoch)[position * config.batch_size:(position + 1) * config.batch_size]
        return {key: value[index] for key, value in inputs.items()}, answers[index]

    history = {"loss": [], "accuracy": [], "val_accuracy": []}
    best = {"accuracy": -1.0, "weights": None, "epoch": 0}
    epoch = []  # the metrics of the current epoch's steps

    def after_step(step, metrics):
        epoch.append(metrics)
        if step % steps_per_epoch:
            return False
        history["loss"].append(float(np.mean([m["loss"] for m in epoch])))
        history["accuracy"].append(float(np.mean([m["accuracy"] for m in epoch])))
        history["val_accuracy"].append(accuracy(model, *validation))
        epoch.clear()
        if verbose:
            print(f"epoch {len(history['loss'])}: loss {history['loss'][-1]:.4f}, accuracy "
                  f"{history['accuracy'][-1]:.4f}, validation accuracy {history['val_accuracy'][-1]:.4f}", flush=True)
        if history["val_accuracy"][-1] > best["accuracy"]:
            best.update(accuracy=history["val_accuracy"][-1], weights=model.get_weights(), epoch=len(history["loss"]))
        return len(history["loss"]) - best["epoch"] >= config.patience

    loop.run(steps.classification_step(model, config.batch_size, from_logits=False), batches,
             config.epochs * steps_per_epoch, callback=after_step, verbose=0)
    model.set_weights(best["weights"])
    return {"epochs_run": len(history["loss"]), "best_epoch": best["epoch"], "val_accuracy": best["accuracy"],
            "seconds": float(loop.seconds.numpy()), "history": history}


def accuracy(model, inputs, answers, batch_size=500):
    """The fraction of ``answers`` that ``model`` (softmax outputs) ranks first on ``inputs``."""
    return float(np.mean(np.argmax(probabilities(model, inputs, batch_size), axis=1) == answers))


def probabilities(model, inputs, batch_size=500):
    """``model``'s outputs on the dict of arrays ``inputs``, ``batch_size`` questions at a time (under any
    strategy: ``model.predict`` fails under ``MultiWorkerMirroredStrategy``)."""
    count = len(next(iter(inputs.values())))
    return np.concatenate([np.asarray(model({k: v[i:i + batch_size] for k, v in inputs.items()}, training=False))
                           for i in range(0, count, batch_size)])


def train_all(out, names, config, verbose=2, strategy=None, data_dir=None, download=False):
    """Train (or load) every model of ``names`` and, when all its members exist, FULL; save each one's test answer
    probabilities (``NAME.probs.npy``) and GUESS's answers (``guess.answers.npy``) for evaluation. ``strategy``
    (default: one device) trains every model (:func:`fit_with_early_stopping`); ``data_dir`` and ``download``
    are tfds's, for COCO-QA (``config.dataset``; it has no encoder of ours: ``encoder`` is None).

    Returns:
        ``{"dataset", "vocabulary", "encoder", "encoder_accuracy", "kwargs": {name: builder kwargs},
        "trained": {name: (model, record)}}``.
    """
    out.mkdir(parents=True, exist_ok=True)
    if config.dataset == "coco":
        dataset, vocabulary, features = load_coco(out, config, data_dir, download)
        encoder = encoder_accuracy = None
    else:
        dataset, vocabulary = load_dataset(out, config)
        encoder, encoder_accuracy, features = load_encoder(out, dataset, config)
    max_len = dataset["train"]["questions"].shape[1]
    kwargs = {name: builder_kwargs(name, vocabulary, features, max_len, config)
              for name in [*names, *MEMBERS, "full"]}
    test_inputs = model_inputs(dataset["test"], features["test"])
    trained = {}
    for name in names:
        trained[name] = load_model(name, kwargs[name], dataset, features, out, config, verbose, strategy)
        np.save(out / f"{name}.probs.npy", probabilities(trained[name][0], test_inputs))
    if all((out / f"{m}.weights.h5").exists() for m in MEMBERS):
        members = [trained[m][0] if m in trained else
                   load_model(m, kwargs[m], dataset, features, out, config, strategy=strategy)[0] for m in MEMBERS]
        trained["full"] = (networks.full_from_members(*members), {})
        np.save(out / "full.probs.npy", probabilities(trained["full"][0], test_inputs))
    guess = networks.GuessBaseline().fit(dataset["train"]["types"], dataset["train"]["answers"])
    np.save(out / "guess.answers.npy", guess.predict(dataset["test"]["types"]))
    return {"dataset": dataset, "vocabulary": vocabulary, "encoder": encoder, "encoder_accuracy": encoder_accuracy,
            "kwargs": kwargs, "trained": trained}


def write_records(out, state, config, command):
    """Manifest-ready weight records of the encoder and of every trained model in ``state`` (:func:`train_all`),
    with their test scores, in ``out`` (publish them with ``tools/zoo/publish.py``)."""
    dataset, vocabulary = state["dataset"], state["vocabulary"]
    encoder_record = json.loads((out / "encoder.json").read_text())
    _record(out, f"imageqa-encoder.{TAG}", state["encoder"], "imageqa-encoder", {},
            {"tinted_test_accuracy": round(state["encoder_accuracy"], 4)},
            {"epochs": encoder_record["epochs"], "steps": encoder_record["epochs"] * 469, "batch_size": 128,
             "optimizer": "adam", "lr": 1e-3, "seed": config.seed}
            | ({"seconds": round(encoder_record["seconds"])} if "seconds" in encoder_record else {}),
            {"input_dtype": "uint8", "input_shape": [64, 64, 3], "scenes": "zoo.imageqa.data.SCENES"}, config, command)
    members_seconds = round(sum(json.loads((out / f"{m}.json").read_text())["seconds"] for m in MEMBERS
                                if (out / f"{m}.json").exists()))
    questions = len(dataset["train"]["answers"])
    steps_per_epoch = -(-(questions - questions // 10) // config.batch_size)
    for name, (model, record) in state["trained"].items():
        result = evaluation.evaluate(np.argmax(np.load(out / f"{name}.probs.npy"), axis=1), dataset["test"],
                                     vocabulary)
        training = ({"members": [f"imageqa-{m}.{TAG}" for m in MEMBERS], "seconds": members_seconds}
                    if name == "full" else
                    {"optimizer": "adam", "lr": config.lr, "batch_size": config.batch_size, "seed": config.seed,
                     "epochs": record.get("epochs_run"), "best_epoch": record.get("best_epoch"),
                     "steps": (record.get("epochs_run") or 0) * steps_per_epoch,
                     "seconds": round(record.get("seconds", 0))})
        _record(out, f"imageqa-{name}.{TAG}", model, f"imageqa-{name}", state["kwargs"][name],
                {k: round(v, 4) for k, v in result["overall"].items()}, training,
                {"image_features": f"imageqa-encoder.{TAG}", "vocabulary": json.loads(vocabulary.to_json()),
                 "question": "lower-case words, zoo.imageqa.data.Vocabulary.encode, padded with 0 at the end"},
                config, command)


def _record(out, name, model, architecture, kwargs, metrics, training, preprocessing, config, command):
    clean = registry.build(architecture, **kwargs)  # a model never compiled: its file holds no optimizer state
    clean.set_weights(model.get_weights())
    records.write_weight_record(
        clean, out, name, architecture=architecture, builder_kwargs=kwargs, dataset="fashion_mnist_scenes_qa",
        split={"train": f"questions generated from {config.train_scenes} 64×64 scenes of train-split articles "
                        f"(seed {config.seed}), 10% held out for early stopping",
               "test": f"questions from {config.test_scenes} scenes of test-split articles (seed {config.seed + 1})"},
        preprocessing=preprocessing, metrics=metrics, command=command, training=training)
