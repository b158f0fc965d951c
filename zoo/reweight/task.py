"""The task contract of the reweight classifiers (:class:`zoo.classification.ImageClassificationTask`)."""
from zoo.classification import ImageClassificationTask

TASK = ImageClassificationTask("reweight")
