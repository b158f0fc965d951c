"""A tfds ``as_dataset_fn`` for ``tfds.testing.mock_data``: coco_captions images whose captions the COCO-QA question
generator turns into questions with answers shared by both splits (for the image-QA recipe's test)."""
import numpy as np
import tensorflow as tf

CAPTIONS = ["a dog is sitting on the grass", "two dogs are playing with a ball", "a red car parked in the street",
            "a cat sitting on a table"] * 3


def as_dataset(self, split, decoders=None, read_config=None, shuffle_files=False):
    """Every split: one 32×32 image per caption of :data:`CAPTIONS`."""
    del self, decoders, read_config, shuffle_files

    def examples():
        for k, caption in enumerate(CAPTIONS):
            yield {"image": tf.io.encode_jpeg(np.full((32, 32, 3), 20 * k, np.uint8)).numpy(), "image/id": k,
                   "captions": {"text": np.array([caption], object)},
                   "tfds_id": f"coco_captions-{split}.tfrecord-00000-of-00001__{k}"}

    signature = {"image": tf.TensorSpec((), tf.string), "image/id": tf.TensorSpec((), tf.int64),
                 "captions": {"text": tf.TensorSpec((None,), tf.string)}, "tfds_id": tf.TensorSpec((), tf.string)}
    return tf.data.Dataset.from_generator(examples, output_signature=signature)
