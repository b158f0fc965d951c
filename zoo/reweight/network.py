"""The reweighting paper's MNIST CNN built with Keras."""
import keras
from keras import layers


def build_lenet(num_classes=2, input_shape=(32, 32, 1)):
    """Three conv5×5 (16, 32, 64), each with 3×3/2 max-pool and ReLU, then FC 100 and ``num_classes`` logits."""
    if num_classes < 2:
        raise ValueError(f"num_classes must be >= 2, got {num_classes}")
    inputs = keras.Input(tuple(input_shape), name="images")
    x = inputs
    for i, filters in enumerate((16, 32, 64), start=1):
        x = layers.Conv2D(filters, 5, padding="same", name=f"conv{i}")(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"pool{i}")(x)
        x = layers.ReLU(name=f"relu{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(100, activation="relu", name="fc1")(x)
    return keras.Model(inputs, layers.Dense(num_classes, name="logits")(x), name="reweight_lenet")
