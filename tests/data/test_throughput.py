import numpy as np

from zoo.data import pipeline, synthetic, throughput


def test_the_upper_bound_does_the_same_work_reading_the_same_images_from_memory(tmp_path):
    source = synthetic.write_images(tmp_path, "zoo_test_throughput", 24, ((20, 40), (20, 40)), num_shards=2)
    memory = source.in_memory()
    assert memory.encoded and memory.num_examples == 24 and memory.image_shape == (None, None, 3)
    from_files = list(pipeline.make_dataset(source, 8, False, "imagenet_eval"))
    from_memory = list(pipeline.make_dataset(memory, 8, False, "imagenet_eval"))
    for (x, y), (u, v) in zip(from_files, from_memory, strict=True):
        np.testing.assert_array_equal(x, u)
        np.testing.assert_array_equal(y, v)
    rates = throughput.compare(source, 4, "imagenet_train", batches=2, repeats=1, warmup=1)
    assert set(rates) == {"files", "memory", "fraction"} and min(rates.values()) > 0

