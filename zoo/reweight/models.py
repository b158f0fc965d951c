"""The reweighting paper's MNIST network as a registered architecture (its CIFAR networks are ``resnet-32`` and a
wide ResNet; ``resnet-32`` is registered by the foundation). The builder imports Keras only when called."""
from zoo.registry import register_model

PAPER = "arXiv:1803.09050"


@register_model("reweight-lenet", family="reweight", paper=PAPER, default_weight="fashion_mnist_uniform40_reweight")
def reweight_lenet(num_classes=2, input_shape=(32, 32, 1)):
    """The paper's MNIST "LeNet": three conv5×5 (16, 32, 64), each with 3×3/2 max-pool and ReLU, then FC 100.

    The paper's binary model ends in one sigmoid unit; here the head is ``num_classes`` logits (a two-way
    softmax is the same model family) so every method and the metrics treat all tasks alike. On 32×32 inputs
    the last feature map is 4×4×64, the paper's 1024 inputs to the first FC layer. The default weight is the
    paper's model, trained by learning to reweight (the plain baseline is ``...uniform40_plain``).
    """
    from zoo.reweight.network import build_lenet

    return build_lenet(num_classes, input_shape)
