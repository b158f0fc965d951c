"""The few-shot paper's four models as registered architectures: one
:class:`~zoo.fewshot.classifier.FewShotClassifier` per refinement (imported only when a builder is called)."""
from zoo.registry import register_model

PAPER = "arXiv:1803.00676"


def _builder(refinement_name):
    def build(input_shape=(28, 28, 1), filters=64, **kwargs):
        from zoo.fewshot.classifier import FewShotClassifier

        return FewShotClassifier(refinement_name, input_shape=input_shape, filters=filters, **kwargs)

    return build


for _name, _refinement, _what in (
        ("protonet-conv4", "none", "Prototypical Network on a Conv-4 embedding (supervised baseline)"),
        ("soft-kmeans-conv4", "soft_kmeans", "prototypes refined by one soft k-means step over unlabeled data"),
        ("soft-kmeans-cluster-conv4", "soft_kmeans_cluster", "soft k-means with a learned distractor cluster"),
        ("masked-soft-kmeans-conv4", "masked_soft_kmeans", "soft k-means with an MLP-predicted soft mask")):
    _build = _builder(_refinement)
    _build.__doc__ = f"{_what} (arXiv:1803.00676); Conv-4 with 64 filters on 28×28×1 images by default."
    register_model(_name, family="fewshot", paper=PAPER)(_build)
