"""The reweighting paper's MNIST network as a registered architecture (its CIFAR networks are ``resnet-32`` and a
wide ResNet; ``resnet-32`` is registered by the foundation)."""
import keras
from keras import layers

from zoo.registry import register_model

PAPER = "arXiv:1803.09050"


@register_model("reweight-lenet", family="reweight", paper=PAPER)
def reweight_lenet(num_classes=2, input_shape=(32, 32, 1)):
    """The paper's MNIST "LeNet": three conv5×5 (16, 32, 64), each with 3×3/2 max-pool and ReLU, then FC 100.

    The paper's binary model ends in one sigmoid unit; here the head is ``num_classes`` logits (a two-way
    softmax is the same model family) so every method and the metrics treat all tasks alike. On 32×32 inputs
    the last feature map is 4×4×64, the paper's 1024 inputs to the first FC layer.
    """
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
