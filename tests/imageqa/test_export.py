"""SavedModel export of a shipped image-QA model with its encoder: the served probabilities equal the Keras
models' own, in a process that imports only TensorFlow and numpy."""
import json
import subprocess
import sys

import numpy as np
import pytest

from zoo import registry
from zoo.imageqa import data, export

SERVE = """
import sys
import numpy as np
import tensorflow as tf
serve = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
out = serve(images=tf.constant(np.load(sys.argv[2])), questions=tf.constant(np.load(sys.argv[3])))
np.save(sys.argv[4], out["probabilities"].numpy())
assert not [m for m in sys.modules if m.split(".")[0] == "zoo"]
"""


def test_exported_model_serves_the_same_probabilities_without_zoo(tmp_path):
    directory = export.export_saved_model("imageqa-img-bow.fmnist_qa", tmp_path / "served")
    vocabulary = data.Vocabulary(**json.loads((directory / "vocabulary.json").read_text()))
    images = np.stack([s.image for s in data.make_scenes(3, "test", 1)])
    questions = np.stack([vocabulary.encode(q, 16) for q in ("what is the color of the background",
                                                             "how many objects are on the grey background",
                                                             "what is the color of the coat")])
    np.save(tmp_path / "images.npy", images)
    np.save(tmp_path / "questions.npy", questions)
    subprocess.run([sys.executable, "-c", SERVE, str(directory), str(tmp_path / "images.npy"),
                    str(tmp_path / "questions.npy"), str(tmp_path / "out.npy")], check=True, timeout=300)
    features = registry.load("imageqa-encoder.fmnist_qa")(images)["features"].numpy()
    expected = registry.load("imageqa-img-bow.fmnist_qa")({"image": features, "question": questions}).numpy()
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), expected, atol=1e-5)


def test_export_rejects_weights_that_are_not_image_qa_models(tmp_path):
    with pytest.raises(ValueError, match="weight"):
        export.export_saved_model("imageqa-encoder.fmnist_qa", tmp_path)
