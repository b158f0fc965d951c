"""COCO-QA from coco_captions through a mocked tfds data set: the questions of each split's captions, the
vocabulary of the training questions, and image features from a Keras application built with weights=None."""
import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from zoo.imageqa import coco, qgen

CAPTIONS = {  # tfds split string -> captions of its images (stored order)
    "train": [["a dog on grass", "the dog runs"], ["a cat sleeps"], ["a bird"], ["nothing here"]],
    "val+test+restval": [["a cat in a box"], ["an owl flies"], ["a dog barks"]],
}


def _as_dataset(self, split, decoders=None, read_config=None, shuffle_files=False):
    def examples():
        for k, captions in enumerate(CAPTIONS[str(split)]):
            image = np.full((20 + k, 24, 3), 40 * k, np.uint8)
            yield {"image": tf.io.encode_jpeg(image).numpy(), "image/id": 1000 + k,
                   "captions": {"text": np.array(captions, object)},
                   "tfds_id": f"coco_captions-{split}.tfrecord-00000-of-00001__{k}"}

    signature = {"image": tf.TensorSpec((), tf.string), "image/id": tf.TensorSpec((), tf.int64),
                 "captions": {"text": tf.TensorSpec((None,), tf.string)}, "tfds_id": tf.TensorSpec((), tf.string)}
    return tf.data.Dataset.from_generator(examples, output_signature=signature)


def _generator(caption):
    """One "what" question per caption naming an animal: its second word."""
    word = caption.split()[1]
    return [qgen.Question(f"what is {caption.split()[-1]}", word, qgen.OBJECT)] if word in ("dog", "cat", "bird",
                                                                                           "owl") else []


def test_questions_of_each_split_with_the_training_vocabulary():
    with tfds.testing.mock_data(as_dataset_fn=_as_dataset):
        dataset, vocabulary, texts, images = coco.build(_generator, max_len=4, min_count=1)
    assert vocabulary.answers == ["bird", "cat", "dog"]
    assert texts["train"] == ["what is grass", "what is runs", "what is sleeps", "what is bird"]
    np.testing.assert_array_equal(images["train"], [0, 1, 2])
    np.testing.assert_array_equal(dataset["train"]["scene"], [0, 0, 1, 2])
    assert dataset["train"]["questions"].shape == (4, 4)
    # the owl is not a training answer: its question is dropped and its image gets no features
    assert texts["test"] == ["what is box", "what is barks"]
    np.testing.assert_array_equal(images["test"], [0, 2])
    np.testing.assert_array_equal(dataset["test"]["scene"], [0, 1])
    np.testing.assert_array_equal(dataset["test"]["answers"], [1, 2])


def test_image_features_come_from_a_keras_application_in_image_order():
    with tfds.testing.mock_data(as_dataset_fn=_as_dataset):
        keras.utils.set_random_seed(0)
        features = coco.image_features("train", [0, 2, 3], network="MobileNetV2", weights=None, size=32,
                                       batch_size=2)
        keras.utils.set_random_seed(0)
        again = coco.image_features("train", [2], network="MobileNetV2", weights=None, size=32)
    assert features.shape == (3, 1280) and features.dtype == np.float32
    assert not np.allclose(features[0], features[1], rtol=1e-2, atol=0)
    np.testing.assert_allclose(again[0], features[1], rtol=1e-4, atol=0)


def test_unknown_networks_and_splits_are_refused():
    with pytest.raises(ValueError, match="VGG19"):
        coco.feature_network("ViT")
    with pytest.raises(ValueError, match="train"):
        coco.captioned_images("validation")
