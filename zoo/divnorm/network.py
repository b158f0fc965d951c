"""The divisive-normalization paper's CNNs built from their configuration: CIFAR-quick with a normaliser before
each convolutional ReLU, and ResNet-32 with DN in place of batch norm."""
import keras
from keras import layers

from zoo.divnorm.layers import ActivationL1, DivisiveNormalization
from zoo.divnorm.models import CIFAR_QUICK_DN_WINDOWS, L1_ALPHA, NORMALIZERS, RESNET_32_DN_WINDOWS
from zoo.resnet.models import CONFIGS as RESNET_CONFIGS
from zoo.resnet.network import build_resnet


def _normalizer(preset, name, **overrides):
    if preset == "l1":
        return ActivationL1(L1_ALPHA, name=name)
    return DivisiveNormalization.from_preset(preset, name=name, **overrides)


def build_cifar_quick(normalizer=None, num_classes=10, input_shape=(32, 32, 3), windows=CIFAR_QUICK_DN_WINDOWS,
                      name="cifar_quick"):
    """Caffe's "CIFAR-quick" CNN with a normaliser before each convolutional ReLU (paper §5.1).

    conv5×5×32 → [norm] → ReLU → max-pool 3/2 → conv5×5×32 → [norm] → ReLU → avg-pool 3/2 →
    conv5×5×64 → [norm] → ReLU → avg-pool 3/2 → FC 64 → ReLU → FC ``num_classes`` (logits).
    Convolutions and pooling use "same" padding, so a 32×32 input ends at 4×4×64. Initial weights are He-normal
    (fan-in): the Caffe model's fixed standard deviations (1e-4, 1e-2, 1e-2 for the convolutions, 1e-1 for the
    fully connected layers) were tuned to raw 0–255 pixels, not to the zoo's unit-scale inputs.

    Args:
        normalizer: None (baseline), ``"l1"`` (baseline + L1), or a :data:`~zoo.divnorm.layers.PRESETS` name.
        num_classes: number of logits.
        input_shape: ``(H, W, C)`` of the preprocessed input.
        windows: DN window of each convolution's normaliser (presets ``dn`` / ``dn_star`` only).
        name: Keras model name.
    """
    if normalizer is not None and normalizer not in set(NORMALIZERS.values()):
        raise ValueError(f"normalizer must be None or one of {', '.join(sorted(filter(None, NORMALIZERS.values())))}"
                         f", got {normalizer!r}")
    if len(windows) != 3:
        raise ValueError(f"windows must give one DN window per convolution (3), got {windows!r}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be positive, got {num_classes}")
    inputs = keras.Input(tuple(input_shape), name="images")
    x = inputs
    for i, (filters, pool, window) in enumerate(zip((32, 32, 64), ("max", "avg", "avg"), windows), start=1):
        x = layers.Conv2D(filters, 5, padding="same", name=f"conv{i}", kernel_initializer="he_normal")(x)
        if normalizer is not None:
            overrides = {"window": window} if normalizer.startswith("dn") else {}
            x = _normalizer(normalizer, f"norm{i}", **overrides)(x)
        x = layers.ReLU(name=f"relu{i}")(x)
        pooling = layers.MaxPooling2D if pool == "max" else layers.AveragePooling2D
        x = pooling(3, strides=2, padding="same", name=f"pool{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(64, activation="relu", name="fc1", kernel_initializer="he_normal")(x)
    outputs = layers.Dense(num_classes, name="logits", kernel_initializer="glorot_uniform")(x)
    return keras.Model(inputs, outputs, name=name)


def dn_normalization(windows=RESNET_32_DN_WINDOWS, sigma=0.5, learn_sigma=True):
    """A ``normalization(name, stage)`` factory for :func:`~zoo.resnet.models.build_resnet`: DN with the
    window of ``stage`` (0 = stem), learnable σ initialised at ``sigma`` and a per-channel affine."""

    def make(name, stage):
        return DivisiveNormalization.from_preset("dn", window=windows[stage], sigma=sigma, learn_sigma=learn_sigma,
                                                 name=name)

    return make


def build_resnet_32_dn(windows=RESNET_32_DN_WINDOWS, sigma=0.5, **kwargs):
    """ResNet-32 with DN (``windows`` of the stem and each stage; learnable σ from ``sigma``) in place of every
    batch norm (paper §5.1)."""
    if len(windows) != 4:
        raise ValueError(f"windows must give the stem's and each stage's DN window (4), got {windows!r}")
    config = {**RESNET_CONFIGS["resnet-32"], **kwargs}
    return build_resnet(name="resnet_32_dn", normalization=dn_normalization(tuple(windows), sigma), **config)
