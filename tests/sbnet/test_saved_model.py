"""SavedModels of sparse models: native-op exports reload in a process that ran ``import zoo.sbnet.ops`` (the documented
way: it loads the compiled library) or loaded the library file itself, and fail with an error naming the op in one
that did neither; pure-TF exports reload with stock TensorFlow alone."""
import os
import re
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.layers import SparseConv2D, SparseResBlock
from zoo.sbnet import native

SERVE_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import tensorflow as tf
    how = sys.argv[4]
    if how == "import zoo.sbnet.ops":
        import zoo.sbnet.ops  # noqa: F401  (loads the compiled library, registering the ZooSbnet* ops)
    elif how == "import zoo":
        import zoo  # noqa: F401  (lazy: loads no op)
    elif how.startswith("tf.load_op_library "):
        tf.load_op_library(how.split(" ", 1)[1])
    data = np.load(sys.argv[2])
    loaded = tf.saved_model.load(sys.argv[1])  # keep a reference: the function needs its variables alive
    served = loaded.serve(data["x"], data["mask"])
    np.save(sys.argv[3], served.numpy())
    print(sorted(name for name in sys.modules if name == "zoo" or name.startswith("zoo.")))
""")


class Serving(tf.Module):
    """A sparse model behind one traced signature."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    @tf.function(input_signature=[tf.TensorSpec([None, 20, 20, 3], tf.float32), tf.TensorSpec([None, 20, 20])])
    def serve(self, x, mask):
        return self.model([x, mask], training=False)


def sparse_model(impl):
    image, mask = keras.Input((20, 20, 3)), keras.Input((20, 20))
    y = SparseConv2D(16, 3, 7, impl=impl)((image, mask))
    y = SparseResBlock(16, 9, impl=impl)((y, mask))
    return keras.Model([image, mask], y)


def serve_in_fresh_process(directory, x, mask, tmp_path, how):
    """Serves the export in a new Python process that first does ``how`` ("import zoo.sbnet.ops", "import zoo",
    "tf.load_op_library PATH" or nothing); returns the finished process and its outputs (None if it failed)."""
    inputs, outputs = tmp_path / "inputs.npz", tmp_path / "outputs.npy"
    np.savez(inputs, x=x, mask=mask)
    result = subprocess.run([sys.executable, "-c", SERVE_SCRIPT, str(directory), str(inputs), str(outputs), how],
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, cwd=tmp_path)
    return result, (np.load(outputs) if result.returncode == 0 else None)


def export(impl, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 20, 20, 3)).astype(np.float32)
    mask = (rng.random((2, 20, 20)) < 0.1).astype(np.float32)
    model = sparse_model(impl)
    expected = model([x, mask], training=False).numpy()
    directory = tmp_path / f"sparse_{impl}"
    tf.saved_model.save(Serving(model), str(directory))
    return directory, x, mask, expected


@pytest.mark.slow
def test_native_export_reloads_after_importing_zoo_sbnet_ops(tmp_path):
    if native.library is None:
        pytest.skip(native.load_error)
    directory, x, mask, expected = export("native", tmp_path)
    result, served = serve_in_fresh_process(directory, x, mask, tmp_path, "import zoo.sbnet.ops")
    assert result.returncode == 0, result.stderr[-3000:]
    np.testing.assert_allclose(served, expected, atol=1e-5)
    # `import zoo` alone is lazy and loads no op: the reload fails, naming the op that is missing
    result, _ = serve_in_fresh_process(directory, x, mask, tmp_path, "import zoo")
    assert result.returncode != 0
    assert re.search(r"Op type not registered 'ZooSbnet\w+'", result.stderr), result.stderr[-3000:]


@pytest.mark.slow
def test_native_export_reloads_with_only_the_library_file(tmp_path):
    """A server without zoo loads the file that the SBNet task's export signature names (native_library())."""
    if native.library is None:
        pytest.skip(native.load_error)
    directory, x, mask, expected = export("native", tmp_path)
    result, served = serve_in_fresh_process(directory, x, mask, tmp_path,
                                            f"tf.load_op_library {native.library_path()}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"  # zoo was never imported
    np.testing.assert_allclose(served, expected, atol=1e-5)


@pytest.mark.slow
def test_pure_tf_export_reloads_with_stock_tensorflow(tmp_path):
    directory, x, mask, expected = export("tf", tmp_path)
    result, served = serve_in_fresh_process(directory, x, mask, tmp_path, "nothing")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"  # zoo was never imported
    np.testing.assert_allclose(served, expected, atol=1e-5)
