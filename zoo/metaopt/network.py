"""The short-horizon-bias paper's MNIST MLP built with Keras."""
import keras
from keras import layers


def build_mlp(num_classes=10, input_shape=(28, 28, 1), dtype=None):
    """Flatten, two Dense 100 + ReLU, ``num_classes`` logits; ``dtype`` sets every layer's dtype."""
    if num_classes < 2:
        raise ValueError(f"num_classes must be >= 2, got {num_classes}")
    inputs = keras.Input(tuple(input_shape), name="images", dtype=dtype)
    x = layers.Flatten(name="flatten", dtype=dtype)(inputs)
    for i in (1, 2):
        x = layers.Dense(100, activation="relu", name=f"fc{i}", dtype=dtype)(x)
    return keras.Model(inputs, layers.Dense(num_classes, name="logits", dtype=dtype)(x), name="mlp_100_100")
