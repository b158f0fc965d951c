"""Exploring Models and Data for Image Question Answering (Ren, Kiros, Zemel, NIPS 2015, arXiv:1505.02074): the
COCO-QA question generator, WUPS, the VIS+LSTM / 2-VIS+BLSTM / IMG+BOW / FULL models and baselines, the frozen
image encoder, and the Fashion-MNIST-scenes QA set."""
from zoo.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "ask": "zoo.imageqa.answering",
    "Question": "zoo.imageqa.qgen",
    "QuestionGenerator": "zoo.imageqa.qgen",
})
