import types

from zoo.training import benchmark


def test_step_seconds_times_a_compiled_step_of_a_registered_model():
    assert benchmark.step_seconds("mlp-100-100", batch_size=4, steps=1, repeats=1, input_shape=(28, 28, 1)) > 0


def test_measured_epochs_lists_the_weights_whose_runs_were_timed():
    timed = types.SimpleNamespace(training={"seconds": 600.0, "epochs": 2, "steps": 1200, "batch_size": 100,
                                            "machine": "2 CPU cores"})
    untimed = types.SimpleNamespace(training={"epochs": 2})
    assert benchmark.measured_epochs({"b.x": timed, "a.x": untimed}) == [
        ("`b.x`", "5.0", "2 epochs of 600 steps, batch 100, 2 CPU cores")]
