"""The image-QA paper's models and its frozen image encoder as registered architectures (built by
:mod:`zoo.imageqa.networks` and :mod:`zoo.imageqa.encoder`, imported only when a builder is called)."""
from zoo.registry import register_model

PAPER = "arXiv:1505.02074"


def _variant(arch, **kwargs):
    from zoo.imageqa.networks import variant

    return variant(arch, **kwargs)


@register_model("imageqa-vis-lstm", family="imageqa", paper=PAPER)
def vis_lstm(**kwargs):
    """VIS+LSTM: the image (bias-free linear map) as the first word, dropout 0.2, LSTM 300, softmax at the last word.

    Keyword arguments are those of :func:`~zoo.imageqa.networks.build_recurrent` (``vocab_size``, ``num_answers``,
    ``image_dim``, ``max_len``, ``embedding_dim=500``, ``hidden=300``, ``dropout=0.2``, ``name``).
    """
    return _variant("imageqa-vis-lstm", **kwargs)


@register_model("imageqa-2vis-blstm", family="imageqa", paper=PAPER)
def two_vis_blstm(**kwargs):
    """2-VIS+BLSTM: distinct image tokens at both ends, dropout 0.4, forward + backward LSTM 300, softmax.

    Keyword arguments are those of :func:`~zoo.imageqa.networks.build_recurrent` (``dropout`` defaults to 0.4).
    """
    return _variant("imageqa-2vis-blstm", **kwargs)


@register_model("imageqa-lstm", family="imageqa", paper=PAPER)
def lstm(**kwargs):
    """LSTM: question-only baseline, the word embeddings through dropout 0.2 and an LSTM 300 (image ignored).

    Keyword arguments are those of :func:`~zoo.imageqa.networks.build_recurrent`.
    """
    return _variant("imageqa-lstm", **kwargs)


@register_model("imageqa-img-bow", family="imageqa", paper=PAPER)
def img_bow(**kwargs):
    """IMG+BOW: softmax regression on [sum of word embeddings; image feature].

    Keyword arguments are those of :func:`~zoo.imageqa.networks.build_bag_of_words`.
    """
    return _variant("imageqa-img-bow", **kwargs)


@register_model("imageqa-bow", family="imageqa", paper=PAPER)
def bow(**kwargs):
    """BOW: question-only baseline, softmax regression on the sum of word embeddings (image ignored).

    Keyword arguments are those of :func:`~zoo.imageqa.networks.build_bag_of_words`.
    """
    return _variant("imageqa-bow", **kwargs)


@register_model("imageqa-full", family="imageqa", paper=PAPER)
def full(**kwargs):
    """FULL: the average of the VIS+LSTM, 2-VIS+BLSTM and IMG+BOW answer probabilities (one Keras model).

    Keyword arguments are those of :func:`~zoo.imageqa.networks.full`.
    """
    from zoo.imageqa import networks

    return networks.full(**kwargs)


@register_model("imageqa-encoder", family="imageqa", paper=PAPER)
def imageqa_encoder(**kwargs):
    """Frozen image encoder (stand-in for VGG fc7): a CNN 32-64-128 trained on tinted Fashion-MNIST articles; its
    first and last maps pooled to 4×4 and z-normalised are the image features.

    Keyword arguments are those of :func:`~zoo.imageqa.encoder.build_encoder`.
    """
    from zoo.imageqa.encoder import build_encoder

    return build_encoder(**kwargs)
