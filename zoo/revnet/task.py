"""The task contract of the revnet classifiers (:class:`zoo.classification.ImageClassificationTask`)."""
from zoo.classification import ImageClassificationTask

TASK = ImageClassificationTask("revnet")
