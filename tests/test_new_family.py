"""A tenth family touches only its own code: a throw-away family defined in this file (an architecture, a task and
a published weight) goes through list, info, eval, predict, export and demo without any change to the zoo."""
import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo import cli, export, publish, registry, tasks, weights
from zoo.data import images as images_lib
from zoo.data import samples
from zoo.training import records

SHAPE = (8, 8, 1)


def brightness_net():
    """Eight rescaled copies of an image's mean brightness (a stand-in architecture)."""
    inputs = keras.Input(SHAPE, name="images")
    mean = keras.layers.GlobalAveragePooling2D()(keras.layers.Rescaling(1 / 255)(inputs))
    return keras.Model(inputs, keras.layers.Dense(8, name="copies")(mean), name="brightness")


def sample_images(count=50):
    return tf.cast(tf.image.resize(samples.load_sample()[0][:count, ..., None], SHAPE[:2]), tf.uint8).numpy()


@dataclasses.dataclass(frozen=True)
class Brightness(tasks.Prediction):
    values: np.ndarray

    def lines(self):
        return [f"brightness {v:.3f}" for v in self.values]


class BrightnessTask(tasks.Task):
    """Mean brightness of 8×8 grey images, judged by its mean absolute error."""

    family = "brightness"
    inputs_help = "IMAGE"

    def read_inputs(self, paths, weight, say=print):
        return np.stack([images_lib.read_image(p, SHAPE, say) for p in paths])

    def predict(self, model, inputs, weight, top_k=3):
        return Brightness(self.serving(model, weight).function(images=tf.constant(inputs))["brightness"].numpy())

    def evaluate(self, model, weight, full=False, progress=None):
        if full:
            raise tasks.MissingDataError("there is no full data for this test family")
        images = sample_images()
        error = np.abs(model(images.astype("float32"))[:, 0] - images.mean(axis=(1, 2, 3)) / 255).mean()
        return tasks.Measurement(float(error), len(images), "50 embedded test images at 8×8")

    def golden_inputs(self, weight):
        """The first two embedded test images at 8×8."""
        return sample_images(2)

    def golden_outputs(self, model, inputs, weight):
        return np.asarray(model(inputs.astype("float32")))

    def headline_spec(self, weight):
        return {"metric": "mean_absolute_error", "name": "mean absolute error", "unit": "", "tolerance": 1e-4}

    def signature(self, weight):
        return tasks.Signature({"images": ("uint8", (None, *SHAPE))}, {"brightness": ("float32", (None,))},
                               "rank, height, width and channels")

    def serving(self, model, weight, native=False, **options):
        def serve(images):
            images = export.checked(images, "images", (None, *SHAPE), "uint8 images")
            return {"brightness": model(tf.cast(images, tf.float32))[:, 0]}

        return tasks.Serving(serve, [model])

    def serving_example(self, weight):
        return {"images": sample_images(3)}


@pytest.fixture
def brightness_family(tmp_path, monkeypatch):
    """The family registered, its weight trained (set, in fact) and published into a temporary manifest."""
    registry.register_model("brightness-net", family="brightness", paper="none (a test family)")(brightness_net)
    registry.register_task("brightness", BrightnessTask())
    manifest = tmp_path / "manifest.json"
    weights.write_manifest({}, manifest)
    monkeypatch.setattr(weights, "MANIFEST_PATH", manifest)
    monkeypatch.setenv("ZOO_WEIGHTS_DIR", str(tmp_path / "mirror"))
    model = brightness_net()
    model.get_layer("copies").set_weights([np.ones((1, 8), np.float32), np.zeros(8, np.float32)])
    run = tmp_path / "run"
    run.mkdir()
    records.write_weight_record(model, run, "brightness-net.test", architecture="brightness-net", builder_kwargs={},
                                dataset="fashion_mnist", split={"test": "embedded"}, preprocessing={},
                                metrics={"mean_absolute_error": 0.0}, command="set by hand in a test", training={})
    yield publish.publish(run / "brightness-net.test.json", tmp_path / "mirror")
    registry.unregister("brightness")
    weights.clear_manifest_cache()


def test_a_new_family_goes_through_every_command(brightness_family, capsys, tmp_path):
    def run(*argv):
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        assert code == 0, err
        return out

    assert "brightness-net" in run("list") and "brightness-net.test" in run("list", "--pretrained")
    assert "mean absolute error" in run("info", "brightness-net.test")
    evaluated = run("eval", "brightness-net.test")
    assert "mean absolute error" in evaluated and "on 50 embedded test images" in evaluated
    assert "recorded 0" in evaluated
    image = tmp_path / "grey.png"
    tf.io.write_file(str(image), tf.io.encode_png(np.full((8, 8, 1), 51, np.uint8)))
    assert run("predict", "brightness-net.test", str(image)).strip() == "brightness 0.200"
    run("export", "brightness-net.test", str(tmp_path / "served"))
    served, = export.serve_in_fresh_process([(tmp_path / "served", {"images": np.full((1, *SHAPE), 51, np.uint8)})])
    np.testing.assert_allclose(served["brightness"], [0.2], atol=1e-6)
    assert "brightness-net.test" in run("demo")
