"""SavedModel export for serving, and checks that an export works in a fresh process.

The exported ``serving_default`` signature takes raw images exactly as the data set stores them
(e.g. uint8 ``(N, 28, 28, 1)`` for Fashion-MNIST models); the model's preprocessing is inside the
exported function, so a server needs nothing but TensorFlow.
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import keras
import numpy as np
import tensorflow as tf

from zoo.data import preprocessing as preprocessing_lib

SIGNATURE = "serving_default"
INPUT_NAME = "images"
OUTPUT_NAME = "probabilities"


def export_saved_model(model, directory, preprocessing=None):
    """Write ``model`` as a SavedModel whose ``serving_default`` signature returns class probabilities.

    Args:
        model: a built Keras classifier producing logits.
        directory: output directory (created; must not already hold a SavedModel).
        preprocessing: a preprocessing record (:mod:`zoo.data.preprocessing`, stored with every pretrained
            weight). With a record, the signature takes raw stored images (``record["input_dtype"]``,
            shape ``(N, *record["input_shape"])``) and preprocesses them; without one it takes float32
            model inputs as they are.

    Returns:
        The export directory as a ``pathlib.Path``.
    """
    directory = pathlib.Path(directory)
    if (directory / "saved_model.pb").exists():
        raise ValueError(f"directory {directory} already holds a SavedModel; choose an empty directory")
    if not model.built or not getattr(model, "inputs", None):
        raise ValueError("model must be a built functional Keras model with known input shapes")
    if preprocessing is None:
        spec = tf.TensorSpec([None, *model.inputs[0].shape[1:]], tf.float32, name=INPUT_NAME)
        prepare = tf.identity
    else:
        spec = tf.TensorSpec([None, *preprocessing["input_shape"]], tf.as_dtype(preprocessing["input_dtype"]),
                             name=INPUT_NAME)
        prepare = lambda images: preprocessing_lib.preprocess(images, preprocessing)  # noqa: E731

    def serve(images):
        return {OUTPUT_NAME: tf.nn.softmax(model(prepare(images), training=False), axis=-1)}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(SIGNATURE, serve, input_signature=[spec])
    archive.write_out(str(directory), verbose=False)
    return directory


_FRESH_PROCESS_SCRIPT = """
import sys
import numpy as np
import tensorflow as tf
directory, inputs_path, outputs_path = sys.argv[1:4]
serve = tf.saved_model.load(directory).signatures[{signature!r}]
outputs = serve(**{{{input_name!r}: tf.constant(np.load(inputs_path))}})
np.save(outputs_path, outputs[{output_name!r}].numpy())
print(sorted(name for name in sys.modules if name.split(".")[0] == "zoo"))
"""


def run_in_fresh_process(directory, inputs, timeout=300):
    """Serve ``inputs`` with the SavedModel in ``directory`` from a new Python process that imports only
    TensorFlow and numpy (never zoo); returns the probabilities it computed.

    Raises:
        RuntimeError: the process failed, or it imported zoo (the export would not be standalone).
    """
    with tempfile.TemporaryDirectory() as tmp:
        inputs_path, outputs_path = os.path.join(tmp, "inputs.npy"), os.path.join(tmp, "outputs.npy")
        np.save(inputs_path, np.asarray(inputs))
        script = _FRESH_PROCESS_SCRIPT.format(signature=SIGNATURE, input_name=INPUT_NAME, output_name=OUTPUT_NAME)
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
        result = subprocess.run([sys.executable, "-c", script, str(directory), inputs_path, outputs_path],
                                capture_output=True, text=True, timeout=timeout, env=env, cwd=tmp)
        if result.returncode != 0:
            raise RuntimeError(f"serving in a fresh process failed:\n{result.stderr[-3000:]}")
        imported = json.loads(result.stdout.strip().splitlines()[-1].replace("'", '"'))
        if imported:
            raise RuntimeError(f"the fresh process imported {imported[:5]}: the SavedModel is not standalone")
        return np.load(outputs_path)


def saved_model_cli_show(directory, timeout=120):
    """The text of ``saved_model_cli show`` for the serving signature of the SavedModel in ``directory``."""
    cli = pathlib.Path(sys.executable).with_name("saved_model_cli")
    command = [str(cli)] if cli.exists() else [sys.executable, "-m", "tensorflow.python.tools.saved_model_cli"]
    result = subprocess.run([*command, "show", "--dir", str(directory), "--tag_set", "serve",
                             "--signature_def", SIGNATURE], capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if result.returncode != 0:
        raise RuntimeError(f"saved_model_cli failed:\n{result.stderr[-3000:]}")
    return result.stdout
