"""The experiment tasks are built as the paper defines them, and every method trains end to end."""
import numpy as np
import pytest

from zoo.reweight import experiments

RNG = np.random.default_rng(0)
TRAIN = (RNG.integers(0, 255, (3000, 28, 28), dtype=np.uint8), np.repeat(np.arange(10), 300))
TEST = (RNG.integers(0, 255, (200, 28, 28), dtype=np.uint8), np.repeat(np.arange(10), 20))


def test_imbalance_task_has_the_ratio_a_balanced_clean_set_and_a_balanced_test_set():
    task = experiments.make_task("imbalance", (np.zeros((60_000, 28, 28), np.uint8), np.repeat(np.arange(10), 6000)),
                                 TEST, seed=0, ratio=0.98)
    assert np.bincount(task.train[1]).tolist() == [100, 4900]
    assert np.bincount(task.clean[1]).tolist() == [5, 5]
    assert np.bincount(task.test[1]).tolist() == [20, 20] and task.num_classes == 2


@pytest.mark.parametrize("setup,clean,flipped", [("uniform", 1000, 0.4), ("background", 100, 0.4)])
def test_noisy_tasks_remove_the_clean_set_and_corrupt_the_rest(setup, clean, flipped):
    task = experiments.make_task(setup, TRAIN, TEST, seed=1)
    assert len(task.clean[1]) == clean and len(task.train[1]) == 3000 - clean
    assert np.bincount(task.clean[1]).tolist() == [clean // 10] * 10
    assert not any((task.train[0] == c).all(axis=(1, 2)).any() for c in task.clean[0][:5])  # disjoint images


def test_train_size_keeps_a_random_subset_of_the_corrupted_training_set_with_the_exact_noise_rate():
    task = experiments.make_task("uniform", TRAIN, TEST, seed=2, train_size=500)
    assert len(task.train[1]) == 500 and len(task.clean[1]) == 1000
    originals = {image.tobytes(): label for image, label in zip(*TRAIN)}
    flipped = [task_label != originals[image.tobytes()] for image, task_label in zip(*task.train)]
    assert sum(flipped) == 200 and "500 training images" in task.description
    with pytest.raises(ValueError, match="train_size must be in"):
        experiments.make_task("uniform", TRAIN, TEST, seed=2, train_size=2001)


def test_every_method_trains_and_reports_test_accuracy():
    task = experiments.make_task("background", TRAIN, TEST, seed=0)
    recipe = experiments.Recipe(steps=2, batch_size=20, clean_batch_size=10, fine_tune_steps=1)
    for method in experiments.METHODS:
        model, accuracy = experiments.train_method(task, method, recipe, seed=0)
        assert 0.0 <= accuracy <= 1.0 and model.output_shape == (None, 10)
    with pytest.raises(ValueError, match="method must be one of"):
        experiments.train_method(task, "mentornet", recipe, seed=0)
    with pytest.raises(ValueError, match="setup must be one of"):
        experiments.make_task("pairflip", TRAIN, TEST, seed=0)


def test_step_time_table_of_a_timed_step():
    from zoo.reweight import benchmark

    seconds = benchmark.time_steps(["reweight-lenet"], batch_size=4, clean_batch_size=4, rounds=1)
    assert set(seconds["reweight-lenet"]) == {"plain", "reweight"}
    assert benchmark.step_time_table({"m": {"plain": 0.02, "reweight": 0.05}}).rows == [["m", "20", "50", "2.50×"]]
