"""The short-horizon-bias paper's MNIST network as a registered architecture (built by
:mod:`zoo.metaopt.network`, which the builder imports only when called)."""
from zoo.registry import register_model

PAPER = "arXiv:1803.02021"


@register_model("mlp-100-100", family="metaopt", paper=PAPER)
def mlp_100_100(num_classes=10, input_shape=(28, 28, 1), dtype=None):
    """The paper's MNIST MLP 784-100-100-10 with ReLU (inputs are flattened; logits out).

    ``dtype`` (e.g. ``"float64"``) sets every layer's dtype, for hypergradient checks.
    """
    from zoo.metaopt.network import build_mlp

    return build_mlp(num_classes, input_shape, dtype)
