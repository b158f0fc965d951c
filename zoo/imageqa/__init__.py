"""Exploring Models and Data for Image Question Answering (Ren, Kiros, Zemel, NIPS 2015, arXiv:1505.02074): the
COCO-QA question generator, WUPS, the VIS+LSTM / 2-VIS+BLSTM / IMG+BOW / FULL models and baselines, the frozen
image encoder, and the Fashion-MNIST-scenes QA set."""
from zoo.imageqa import encoder, models  # noqa: F401  (registers the model builders)
from zoo.imageqa.answering import ask
from zoo.imageqa.qgen import Question, QuestionGenerator

__all__ = ["Question", "QuestionGenerator", "ask"]
