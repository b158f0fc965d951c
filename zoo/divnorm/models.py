"""The divisive-normalization paper's CNNs as registered architectures: Caffe's "CIFAR-quick" with each normaliser
of Table 3, and ResNet-32 with DN in place of batch norm.

Builders import Keras only when called (:mod:`zoo.divnorm.network`), so listing the registry stays instant.
"""
from zoo.registry import register_model

PAPER = "arXiv:1611.04520"

# Model-name suffix -> preset of DivisiveNormalization (None: no normaliser; "l1": only the L1 penalty).
NORMALIZERS = {
    "": None, "l1": "l1",
    "bn": "bn", "bn-s": "bn_s", "bn-star": "bn_star",
    "ln": "ln", "ln-s": "ln_s", "ln-star": "ln_star",
    "dn": "dn", "dn-star": "dn_star",
}
L1_ALPHA = 5e-3  # the official CIFAR-10 configs' alpha for the "+L1" / "*" variants
CIFAR_QUICK_DN_WINDOWS = (5, 3, 3)  # official CIFAR configs: one DN window per convolution
RESNET_32_DN_WINDOWS = (7, 5, 5, 5)  # stem, stage 1, 2, 3 (official ResNet-32-DN config)


def _register_cifar_quick(suffix, preset):
    model_name = "cifar-quick" + (f"-{suffix}" if suffix else "")
    label = {None: "no normaliser (baseline)", "l1": "the L1 activation penalty only"}.get(preset, f"{preset}")

    def builder(**kwargs):
        from zoo.divnorm.network import build_cifar_quick

        return build_cifar_quick(preset, name=model_name.replace("-", "_"), **kwargs)

    builder.__doc__ = f"CIFAR-quick CNN with {label} before each convolutional ReLU (paper Table 3)."
    register_model(model_name, family="divnorm", paper=PAPER)(builder)


for _suffix, _preset in NORMALIZERS.items():
    _register_cifar_quick(_suffix, _preset)


@register_model("resnet-32-dn", family="divnorm", paper=PAPER)
def resnet_32_dn(windows=RESNET_32_DN_WINDOWS, sigma=0.5, **kwargs):
    """ResNet-32 with DN (windows 7, 5, 5, 5; learnable σ from 0.5) in place of every batch norm (paper §5.1)."""
    from zoo.divnorm.network import build_resnet_32_dn

    return build_resnet_32_dn(windows, sigma, **kwargs)
