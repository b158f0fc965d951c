"""The speed benchmark's building blocks on a tiny stage: every timed function runs, the sparse variants compute
the dense result on a full mask, and the op breakdown, the block sweep and the fallback crossover are recorded."""
import time

import numpy as np
import pytest

from zoo.sbnet import benchmark, geometry, native

TINY = benchmark.Stage("tiny", (24, 40), 8, 16, 2)


def test_top_left_mask_has_the_requested_density():
    mask = benchmark.top_left_mask((100, 200), 0.25).numpy()
    assert mask.shape == (1, 100, 200) and abs(mask.mean() - 0.25) < 0.01


def test_a_stage_uses_the_layers_block_size():
    assert TINY.block_size == geometry.default_block_size((24, 40), 3)
    assert benchmark.PAPER_STAGES[0].block_size == geometry.default_block_size((400, 704), 3)


@pytest.mark.parametrize("make", [benchmark.conv_functions, benchmark.res_functions])
def test_conv_and_res_functions_run_and_agree_with_dense_on_a_full_mask(make):
    for block in (None, 5, 9):
        functions = make(TINY, 1.0, block)
        assert set(functions) == {"dense", "sparse"}
        np.testing.assert_allclose(functions["sparse"]().numpy(), functions["dense"]().numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.skipif(native.library is None, reason="the native library is not built")
@pytest.mark.parametrize("make", [benchmark.conv_functions, benchmark.res_functions])
def test_the_profiler_splits_a_sparse_call_into_its_ops(make):
    function = make(TINY, 0.3)["sparse"]
    started = time.perf_counter()
    function()
    wall = time.perf_counter() - started
    seconds = benchmark.profiled_seconds(function)
    assert set(seconds) == set(benchmark.OPS) and all(value > 0 for value in seconds.values())
    assert sum(seconds.values()) < 10 * wall  # the ops' own durations, in seconds (not shares of the call)


def test_breakdown_takes_the_median_op_times_and_keeps_the_rest_of_the_sparse_time_as_other():
    seconds = [{"reduce_mask": 5e-4, "gather": 1e-3, "convolution": 4e-3, "scatter": 1e-3},
               {"reduce_mask": 5e-4, "gather": 1e-3, "convolution": 5e-3, "scatter": 2e-3},
               {"reduce_mask": 5e-4, "gather": 3e-3, "convolution": 6e-3, "scatter": 1e-3}]
    parts = benchmark.breakdown(seconds, 10.0)
    assert parts == pytest.approx({"reduce_mask": 0.5, "gather": 1.0, "convolution": 5.0, "scatter": 1.0,
                                   "other": 2.5})
    assert benchmark.breakdown([{**seconds[0], "convolution": 9e-3}], 10.0)["other"] == 0.0  # never negative


def test_interleaved_medians_runs_the_round_hook_once_per_round():
    calls = []
    medians = benchmark.interleaved_medians({"a": lambda: None}, repeats=3, warmup=1,
                                            each_round=lambda: calls.append(1))
    assert set(medians) == {"a"} and len(calls) == 3


def test_crossing_interpolates_where_sparse_takes_as_long_as_the_fallback():
    assert benchmark.crossing([0.5, 0.8, 1.0], [0.6, 0.9, 1.1]) == pytest.approx(0.9)
    assert benchmark.crossing([1.0, 0.5], [1.2, 1.05]) == 0.5
    assert benchmark.crossing([0.5, 1.0], [0.5, 0.95]) is None


@pytest.mark.skipif(native.library is None, reason="the native library is not built")
def test_op_functions_time_both_implementations():
    assert set(benchmark.op_functions(TINY, 0.5)) == {"gather/native", "scatter/native", "gather/tf", "scatter/tf"}


@pytest.mark.skipif(native.library is None, reason="the native library is not built")
def test_speed_benchmark_records_every_stage_density_op_sweep_and_crossover():
    data = benchmark.speed_benchmark([TINY], [0.5, 1.0], repeats=1, sweep_densities=[0.5], crossover=True,
                                     log=lambda line: None)
    assert data["densities"] == [0.5, 1.0] and data["stages"][0]["name"] == "tiny"
    assert data["stages"][0]["block_size"] == TINY.block_size
    assert set(data["load_average"]) == {"start", "end"}
    for kind in benchmark.KINDS:
        cell = data[kind]["tiny"]
        for key in ("speedup", "dense_ms", "sparse_ms", "ops_ms", "block_fraction"):
            assert len(cell[key]) == 2, key
        assert cell["block_fraction"][1] == 1.0 and set(cell["ops_ms"][0]) == {*benchmark.OPS, "other"}
        assert cell["fallback_speedup"] > 0 and cell["paper_10_percent"] is None
        sweep = data["sweep"][kind]["tiny"]
        assert sweep["chosen"] in sweep["blocks"] and len(sweep["speedup"]) == 1
        assert len(sweep["speedup"][0]) == len(sweep["blocks"])
        crossover = data["crossover"][kind]["tiny"]
        assert len(crossover["block_fraction"]) == len(benchmark.CROSSOVER_DENSITIES)
    assert set(data["ops_ms"]) == {"gather", "scatter"} and data["ops_ms"]["gather"]["native"] > 0


def test_forward_speedup_times_both_segmenters_at_batch_one():
    from zoo.sbnet import segmenter

    tiny = dict(input_shape=(32, 32, 3), stem_width=8, mask_widths=(4, 4, 4),
                stages=(dict(width=8, units=1, block_size=5),))
    sparse, dense = (segmenter.build_segnet(sparse=mode, **tiny) for mode in (True, False))
    medians = benchmark.forward_speedup(sparse, dense, np.zeros((2, 32, 32, 3), np.uint8), repeats=1)
    assert set(medians) == {"sparse", "dense"} and min(medians.values()) > 0
