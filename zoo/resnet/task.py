"""The task contract of the resnet classifiers (:class:`zoo.classification.ImageClassificationTask`)."""
from zoo.classification import ImageClassificationTask

TASK = ImageClassificationTask("resnet")
