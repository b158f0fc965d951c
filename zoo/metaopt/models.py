"""The short-horizon-bias paper's MNIST network as a registered architecture."""
import keras
from keras import layers

from zoo.registry import register_model

PAPER = "arXiv:1803.02021"


@register_model("mlp-100-100", family="metaopt", paper=PAPER)
def mlp_100_100(num_classes=10, input_shape=(28, 28, 1), dtype=None):
    """The paper's MNIST MLP 784-100-100-10 with ReLU (inputs are flattened; logits out).

    ``dtype`` (e.g. ``"float64"``) sets every layer's dtype, for hypergradient checks.
    """
    if num_classes < 2:
        raise ValueError(f"num_classes must be >= 2, got {num_classes}")
    inputs = keras.Input(tuple(input_shape), name="images", dtype=dtype)
    x = layers.Flatten(name="flatten", dtype=dtype)(inputs)
    for i in (1, 2):
        x = layers.Dense(100, activation="relu", name=f"fc{i}", dtype=dtype)(x)
    return keras.Model(inputs, layers.Dense(num_classes, name="logits", dtype=dtype)(x), name="mlp_100_100")
