"""The task contract of the divnorm classifiers (:class:`zoo.classification.ImageClassificationTask`)."""
from zoo.classification import ImageClassificationTask

TASK = ImageClassificationTask("divnorm")
