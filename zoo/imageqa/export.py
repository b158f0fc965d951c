"""SavedModel export of a shipped image-QA model together with its frozen image encoder, for serving."""
import json
import pathlib

import keras
import tensorflow as tf

from zoo import registry, weights

SIGNATURE = "serving_default"


def export_saved_model(weight, directory):
    """Write ``weight`` (e.g. ``"imageqa-full.fmnist_qa"``) and its encoder as one SavedModel.

    The ``serving_default`` signature takes ``images`` uint8 ``(N, 64, 64, 3)`` scenes and ``questions`` int32
    ``(N, max_len)`` word ids (``zoo.imageqa.data.Vocabulary.encode``) and returns ``probabilities`` over the
    answers; ``vocabulary.json`` (words and answers, in id order) is written beside it. Returns the directory.
    """
    spec = weights.load_manifest().get(weight)
    if spec is None or "image_features" not in spec.preprocessing:
        raise ValueError(f"weight must be a shipped image-QA model weight (imageqa-*.TAG but not the encoder), "
                         f"got {weight!r}")
    directory = pathlib.Path(directory)
    if (directory / "saved_model.pb").exists():
        raise ValueError(f"directory {directory} already holds a SavedModel; choose an empty directory")
    encoder = registry.load(spec.preprocessing["image_features"])
    model = registry.load(weight)
    image_shape = weights.load_manifest()[spec.preprocessing["image_features"]].preprocessing["input_shape"]
    signature = [tf.TensorSpec([None, *image_shape], tf.uint8, name="images"),
                 tf.TensorSpec([None, spec.builder_kwargs["max_len"]], tf.int32, name="questions")]

    def serve(images, questions):
        features = encoder(images, training=False)["features"]
        return {"probabilities": model({"image": features, "question": questions}, training=False)}

    archive = keras.export.ExportArchive()
    archive.track(encoder)
    archive.track(model)
    archive.add_endpoint(SIGNATURE, serve, input_signature=signature)
    archive.write_out(str(directory), verbose=False)
    (directory / "vocabulary.json").write_text(json.dumps(spec.preprocessing["vocabulary"]))
    return directory
