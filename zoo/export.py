"""SavedModel export for serving, input checks inside the served graph, and serving in a TensorFlow-only process.

Every export has one ``serving_default`` signature taking raw inputs as the data set stores them (uint8 images,
question strings, ...) with the preprocessing inside, so a server needs nothing but TensorFlow (SBNet's native ops
only when asked for). The served graph checks its inputs: a wrong height, width, channel count or rank is an
``InvalidArgumentError`` naming the input and the expected shape (TensorFlow does not enforce a signature's shapes);
a wrong dtype is refused by the signature itself.
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


def checked(tensor, name, shape, what=None):
    """``tensor`` behind an in-graph check that its shape is ``shape`` (None matches any size), failing with
    ``InvalidArgumentError: <name> must be <what> (<shape>) ...`` and the actual shape."""
    dims = tf.shape(tensor)
    padded = tf.concat([dims, tf.zeros([len(shape)], tf.int32)], 0)[:len(shape)]  # indexable whatever the rank
    ok = tf.reduce_all([tf.equal(tf.rank(tensor), len(shape))]
                       + [tf.equal(padded[i], d) for i, d in enumerate(shape) if d is not None])
    expected = ", ".join("N" if i == 0 and d is None else ("any" if d is None else str(d)) for i, d in enumerate(shape))
    message = f"{name} must be {what or tensor.dtype.name} of shape ({expected}); got shape"
    with tf.control_dependencies([tf.debugging.Assert(ok, [message, dims], summarize=8)]):
        return tf.ensure_shape(tf.identity(tensor), shape)  # the static shape the model's code may need


def input_spec(name, dtype, shape):
    """A signature input. TensorFlow does not enforce a signature's shape when it is called (only its dtype), so
    the served graph checks the shape itself (:func:`checked`); the declared shape documents it for clients
    (``saved_model_cli show``)."""
    return tf.TensorSpec(shape, tf.as_dtype(dtype), name=name)


def write_endpoint(directory, function, specs, models):
    """Write a SavedModel to ``directory`` whose ``serving_default`` is ``function(**inputs)`` over ``specs``
    (``{name: TensorSpec}``), tracking the variables of ``models``. Returns the directory."""
    directory = _fresh_directory(directory)
    archive = keras.export.ExportArchive()
    for model in models:
        archive.track(model)
    names = list(specs)

    def serve(*inputs):
        return function(**dict(zip(names, inputs)))

    archive.add_endpoint(SIGNATURE, serve, input_signature=[specs[n] for n in names])
    try:
        archive.write_out(str(directory), verbose=False)
    except (OSError, tf.errors.OpError) as error:
        raise ValueError(f"cannot write the SavedModel to {directory}: {getattr(error, 'message', error)}") from error
    return directory


def _fresh_directory(directory):
    directory = pathlib.Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"export directory {directory} is a file; choose a new or empty directory")
    if (directory / "saved_model.pb").exists():
        raise ValueError(f"directory {directory} already holds a SavedModel; choose an empty directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        raise ValueError(f"cannot write to export directory {directory} ({error.strerror or error})") from error
    return directory


def export_weight(name, directory, native=False, **options):
    """Export pretrained weight ``name`` as its family's task serves it (see :meth:`zoo.tasks.Task.signature`);
    returns ``(directory, signature)``."""
    from zoo import registry

    weight = registry.get_weight_spec(name)
    task = registry.get_task(registry.get_model_spec(name).family)
    model = registry.load(weight.name)
    serving = task.serving(model, weight, native=native, **options)
    signature = task.signature(weight)
    specs = {n: input_spec(n, dtype, shape) for n, (dtype, shape) in signature.inputs.items()}
    directory = write_endpoint(directory, serving.function, specs, serving.models)
    task.export_assets(weight, directory)
    return directory, signature


def export_saved_model(model, directory, preprocessing=None):
    """Write a Keras classifier as a SavedModel whose ``serving_default`` returns class probabilities.

    Args:
        model: a built Keras classifier producing logits.
        directory: output directory (created; must not already hold a SavedModel).
        preprocessing: a preprocessing record (:mod:`zoo.data.preprocessing`, stored with every pretrained
            weight). With a record, the signature takes raw stored images (``record["input_dtype"]``,
            shape ``(N, *record["input_shape"])``) and preprocesses them; without one it takes float32
            model inputs of the model's input shape.

    Returns:
        The export directory as a ``pathlib.Path``.
    """
    if not model.built or not getattr(model, "inputs", None):
        raise ValueError("model must be a built Keras model with known input shapes (a functional model, or one "
                         "zoo.load returned)")
    if preprocessing is None:
        shape, dtype, prepare = tuple(model.inputs[0].shape[1:]), "float32", tf.identity
    else:
        shape, dtype = tuple(preprocessing["input_shape"]), preprocessing["input_dtype"]
        prepare = lambda images: preprocessing_lib.preprocess(images, preprocessing)  # noqa: E731

    def serve(images):
        images = checked(images, INPUT_NAME, (None, *shape), f"{dtype} images")
        return {OUTPUT_NAME: tf.nn.softmax(model(prepare(images), training=False), axis=-1)}

    return write_endpoint(directory, serve, {INPUT_NAME: input_spec(INPUT_NAME, dtype, (None, *shape))}, [model])


_FRESH_PROCESS_SCRIPT = """
import json, sys
import numpy as np
import tensorflow as tf
results = []
for directory, inputs_path, outputs_path in json.loads(sys.argv[1]):
    loaded = tf.saved_model.load(directory)
    inputs = dict(np.load(inputs_path))
    outputs = loaded.signatures["serving_default"](**{k: tf.constant(v) for k, v in inputs.items()})
    np.savez(outputs_path, **{k: v.numpy().astype(bytes) if v.dtype == tf.string else v.numpy()
                               for k, v in outputs.items()})
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] == "zoo")))
"""


def serve_in_fresh_process(jobs, timeout=600):
    """Serve each ``(directory, {input name: array})`` of ``jobs`` from one new Python process that imports only
    TensorFlow and numpy (never zoo); returns one ``{output name: array}`` per job.

    Raises:
        RuntimeError: the process failed, or it imported zoo (an export would not be standalone).
    """
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, (directory, inputs) in enumerate(jobs):
            inputs_path, outputs_path = os.path.join(tmp, f"in{i}.npz"), os.path.join(tmp, f"out{i}.npz")
            np.savez(inputs_path, **inputs)
            paths.append((str(directory), inputs_path, outputs_path))
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
        result = subprocess.run([sys.executable, "-c", _FRESH_PROCESS_SCRIPT, json.dumps(paths)],
                                capture_output=True, text=True, timeout=timeout, env=env, cwd=tmp)
        if result.returncode != 0:
            raise RuntimeError(f"serving in a fresh process failed:\n{result.stderr[-3000:]}")
        imported = json.loads(result.stdout.strip().splitlines()[-1])
        if imported:
            raise RuntimeError(f"the fresh process imported {imported[:5]}: the SavedModel is not standalone")
        return [dict(np.load(outputs_path)) for _, _, outputs_path in paths]


def run_in_fresh_process(directory, inputs, timeout=300):
    """The probabilities a fresh TensorFlow-only process serves for ``inputs`` (images) from a classifier export
    (:func:`export_saved_model`)."""
    return serve_in_fresh_process([(directory, {INPUT_NAME: np.asarray(inputs)})], timeout)[0][OUTPUT_NAME]


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
