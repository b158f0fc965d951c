"""The speed benchmark's building blocks on a tiny stage: every timed function runs, and the sparse variants
compute the dense result on a full mask."""
import numpy as np
import pytest

from zoo import ops as compiled
from zoo.sbnet import benchmark

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


@pytest.mark.skipif(compiled.sbnet is None, reason="the native library is not built")
def test_op_functions_time_both_implementations():
    assert set(benchmark.op_functions(TINY, 0.5)) == {"gather/native", "scatter/native", "gather/tf", "scatter/tf"}
