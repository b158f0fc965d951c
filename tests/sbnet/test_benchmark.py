"""The speed benchmark's building blocks on a tiny stage: every timed function runs, and the sparse variants
compute the dense result on a full mask."""
import numpy as np
import pytest

from zoo.sbnet import benchmark, native

TINY = benchmark.Stage("tiny", (24, 40), 8, 16, 2, (5, 9))


def test_top_left_mask_has_the_requested_density():
    mask = benchmark.top_left_mask((100, 200), 0.25).numpy()
    assert mask.shape == (1, 100, 200) and abs(mask.mean() - 0.25) < 0.01


def test_conv_and_res_functions_run_and_agree_with_dense_on_a_full_mask():
    for make in (benchmark.conv_functions, benchmark.res_functions):
        functions = make(TINY, 1.0)
        assert set(functions) == {"dense", 5, 9}
        dense = functions["dense"]().numpy()
        for block in (5, 9):
            np.testing.assert_allclose(functions[block]().numpy(), dense, rtol=1e-4, atol=1e-4)
    medians = benchmark.interleaved_medians(benchmark.conv_functions(TINY, 0.1), repeats=2, warmup=1)
    speedup, block, dense_seconds, sparse_seconds = benchmark.best_speedup(medians)
    assert block in (5, 9) and speedup == dense_seconds / sparse_seconds > 0


@pytest.mark.skipif(native.library is None, reason="the native library is not built")
def test_op_functions_time_both_implementations():
    assert set(benchmark.op_functions(TINY, 0.5)) == {"gather/native", "scatter/native", "gather/tf", "scatter/tf"}


@pytest.mark.skipif(native.library is None, reason="the native library is not built")
def test_speed_benchmark_records_every_stage_density_and_op():
    data = benchmark.speed_benchmark([TINY], [0.5, 1.0], repeats=1, log=lambda line: None)
    assert data["densities"] == [0.5, 1.0] and data["stages"][0]["name"] == "tiny"
    for kind in benchmark.KINDS:
        cell = data[kind]["tiny"]
        assert len(cell["speedup"]) == 2 and set(cell["block"]) <= {5, 9} and cell["fallback_speedup"] > 0
        assert cell["paper_10_percent"] is None
    assert set(data["ops_ms"]) == {"gather", "scatter"} and data["ops_ms"]["gather"]["native"] > 0


def test_forward_speedup_times_both_segmenters_at_batch_one():
    from zoo.sbnet import segmenter

    tiny = dict(input_shape=(32, 32, 3), stem_width=8, mask_widths=(4, 4, 4),
                stages=(dict(width=8, units=1, block_size=5),))
    sparse, dense = (segmenter.build_segnet(sparse=mode, **tiny) for mode in (True, False))
    medians = benchmark.forward_speedup(sparse, dense, np.zeros((2, 32, 32, 3), np.uint8), repeats=1)
    assert set(medians) == {"sparse", "dense"} and min(medians.values()) > 0
