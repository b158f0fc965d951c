import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from zoo.data import sources, synthetic


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A 4-file tfds data set of 64 synthetic 16×16 PNG images."""
    return synthetic.write_images(tmp_path_factory.mktemp("tfds"), "zoo_test_images", 64, (16, 16),
                                  encoding="png", num_shards=4)


def _indices(ds):
    return [int(ex["index"]) for ex in ds]


def _context(pipeline_id, pipelines=2):
    return tf.distribute.InputContext(num_input_pipelines=pipelines, input_pipeline_id=pipeline_id,
                                      num_replicas_in_sync=pipelines)


def _arrays(n=10):
    return sources.ArraySource(np.arange(n * 4, dtype=np.uint8).reshape(n, 2, 2), np.arange(n) % 3)


def test_an_array_source_reads_in_order_or_as_a_fresh_permutation_every_pass():
    source = _arrays()
    assert source.image_shape == (2, 2, 1) and source.num_classes == 3
    assert _indices(source.examples()) == list(range(10))
    passes = _indices(source.examples(shuffle_seed=1, repeat=True).take(30))
    assert all(sorted(passes[i:i + 10]) == list(range(10)) for i in (0, 10, 20))
    assert passes[:10] != passes[10:20]
    assert passes == _indices(source.examples(shuffle_seed=1, repeat=True).take(30)), "replayed for the seed"
    example = next(iter(source.examples(shuffle_seed=1)))
    np.testing.assert_array_equal(example["image"], source.images[int(example["index"])])


def test_input_pipelines_read_disjoint_shares():
    source = _arrays()
    shares = [set(_indices(source.examples(shuffle_seed=1, input_context=_context(i)))) for i in range(2)]
    assert not shares[0] & shares[1] and shares[0] | shares[1] == set(range(10))


def test_select_relabel_and_hold_out_work_by_index():
    source = _arrays()
    rest, held = source.hold_out(3, seed=0)
    assert rest.num_examples == 7 and held.num_examples == 3
    assert set(_indices(rest.examples())) | set(_indices(held.examples())) == set(range(10))
    relabelled = rest.relabel(9 - np.arange(10))
    for example in relabelled.examples():
        assert int(example["label"]) == 9 - int(example["index"])
    np.testing.assert_array_equal(relabelled.labels(), 9 - rest.indices())
    images, labels = relabelled.arrays()
    np.testing.assert_array_equal(images, source.images[rest.indices()])
    assert relabelled.select([0, 1, 2]).num_examples == len({0, 1, 2} & set(rest.indices()))
    with pytest.raises(ValueError, match="one entry per example"):
        source.relabel([1, 2])


def test_a_tfds_source_indexes_examples_by_their_place_in_the_files_whatever_the_file_order(files):
    assert files.split_size == 64 and files.encoded and files.image_shape == (16, 16, 3)
    in_order = {int(ex["index"]): int(ex["label"]) for ex in files.examples()}
    assert sorted(in_order) == list(range(64))
    assert all(files.labels()[i] == label for i, label in in_order.items())
    shuffled = _indices(files.examples(shuffle_seed=5))
    assert sorted(shuffled) == list(range(64)) and shuffled != list(range(64))
    assert shuffled == _indices(files.examples(shuffle_seed=5))
    decoded = files.decode(next(iter(files.examples()))["image"])
    assert decoded.dtype == tf.uint8 and tuple(decoded.shape) == (16, 16, 3)


def test_a_tfds_source_shards_by_files_and_slices_by_index(files):
    shares = [set(_indices(files.examples(shuffle_seed=1, input_context=_context(i)))) for i in range(2)]
    assert not shares[0] & shares[1] and shares[0] | shares[1] == set(range(64))
    sliced = sources.TfdsSource(files.name, "train[10:30]", data_dir=files.data_dir)
    assert sliced.num_examples == 20 and list(sliced.indices()) == list(range(10, 30))
    assert sorted(_indices(sliced.examples())) == list(range(10, 30))
    np.testing.assert_array_equal(sliced.labels(), files.labels()[10:30])
    rest, held = sliced.hold_out(5, seed=0)
    assert sorted(_indices(held.examples()) + _indices(rest.examples())) == list(range(10, 30))


def test_a_mocked_tfds_split_is_counted_and_labelled_without_metadata():
    with tfds.testing.mock_data(num_examples=12):
        source = sources.TfdsSource("cifar10", "test")
        assert source.split_size == 12 and source.labels().shape == (12,)
        images, labels = source.arrays()
    assert images.shape == (12, 32, 32, 3) and images.dtype == np.uint8
    np.testing.assert_array_equal(labels, source.labels())
