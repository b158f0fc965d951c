"""SBNet ops: native kernels vs pure-TF ops vs numpy loops, gradients, and bad input (never a crash)."""
import re
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from tests.sbnet.test_ops_fuzz import run_in_child
from zoo.sbnet import native, ops
from zoo.sbnet.geometry import BlockParams, calc_block_params

HEADER = Path(__file__).resolve().parents[2] / "custom_ops" / "sbnet" / "sbnet_op_common.h"

IMPLS = ["native", "tf"]
needs_native = pytest.mark.skipif(native.library is None, reason=f"SBNet library not built: {native.load_error}")


def numpy_reduce_mask(mask, params, tol, avgpool):
    """Loop over every block: pool the zero-padded window, keep it when above tol (row-major order)."""
    (bh, bw), (sh, sw), (oh, ow) = params.bsize, params.bstrides, params.boffset
    n, h, w = mask.shape
    pad_h, pad_w = bh + abs(oh), bw + abs(ow)
    padded = np.zeros((n, h + 2 * pad_h + sh * params.bcount[0], w + 2 * pad_w + sw * params.bcount[1]))
    padded[:, pad_h:pad_h + h, pad_w:pad_w + w] = mask
    found = []
    for b in range(n):
        for i in range(params.bcount[0]):
            for j in range(params.bcount[1]):
                top, left = pad_h + oh + i * sh, pad_w + ow + j * sw
                window = padded[b, top:top + bh, left:left + bw]
                if (window.mean() if avgpool else window.max()) > tol:
                    found.append((b, i, j))
    return np.array(found, np.int32).reshape(-1, 3)


def numpy_gather(x, indices, bsize, bstride, boffset):
    out = np.zeros((len(indices), *bsize, x.shape[3]), x.dtype)
    for k, (n, i, j) in enumerate(indices):
        for dy in range(bsize[0]):
            for dx in range(bsize[1]):
                y, xx = boffset[0] + i * bstride[0] + dy, boffset[1] + j * bstride[1] + dx
                if 0 <= y < x.shape[1] and 0 <= xx < x.shape[2]:
                    out[k, dy, dx] = x[n, y, xx]
    return out


def random_case(seed, density, channels=5, dtype=np.float32):
    rng = np.random.default_rng(seed)
    n, h, w = rng.integers(1, 3), rng.integers(5, 30), rng.integers(5, 30)
    ksize = int(rng.choice([1, 3, 5]))
    stride = int(rng.choice([1, 2])) if ksize > 1 else 1
    bsize = ksize + stride * int(rng.integers(0, 6))
    params = calc_block_params((int(h), int(w)), bsize, ksize, stride)
    mask = (rng.random((n, h, w)) < density).astype(np.float32)
    x = rng.standard_normal((n, h, w, channels)).astype(dtype)
    return params, mask, x


@needs_native
@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("avgpool", [False, True])
def test_reduce_mask_native_tf_and_numpy_agree(seed, avgpool):
    density = [0.0, 0.02, 0.1, 0.5, 1.0, 0.3][seed % 6]
    params, mask, _ = random_case(seed, density)
    tol = 0.05 if avgpool else 0.0
    expected = numpy_reduce_mask(mask, params, tol, avgpool)
    for impl in IMPLS:
        got = ops.reduce_mask(mask, params, tol=tol, avgpool=avgpool, impl=impl)
        assert int(got.count) == len(expected)
        # Order is unspecified by the paper's ops; compare as sets (both of ours are row-major anyway).
        assert set(map(tuple, got.indices.numpy())) == set(map(tuple, expected))


def test_reduce_mask_of_an_all_zero_mask_is_empty_and_of_an_all_ones_mask_is_every_block():
    params = calc_block_params((9, 11), 5, 3)
    for impl in ["auto", "tf"]:
        empty = ops.reduce_mask(np.zeros((2, 9, 11)), params, impl=impl)
        assert int(empty.count) == 0 and empty.indices.shape == (0, 3)
        full = ops.reduce_mask(np.ones((2, 9, 11, 1)), params, impl=impl)
        assert int(full.count) == 2 * params.bcount[0] * params.bcount[1]


@needs_native
@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, tf.bfloat16.as_numpy_dtype])
def test_gather_and_scatter_native_equal_tf_exactly(seed, dtype):
    params, mask, x = random_case(seed, [0.05, 0.3, 1.0][seed % 3], dtype=dtype)
    indices = ops.reduce_mask(mask, params, impl="tf").indices
    geometry = (params.bsize, params.bstrides, params.boffset)
    blocks = {impl: ops.sparse_gather(x, indices, *geometry, impl=impl).numpy() for impl in IMPLS}
    np.testing.assert_array_equal(blocks["native"], blocks["tf"])
    np.testing.assert_array_equal(blocks["native"].astype(np.float64),
                                  numpy_gather(x.astype(np.float64), indices.numpy(), *geometry))
    transposed = ops.sparse_gather(x, indices, *geometry, transpose=True, impl="native").numpy()
    np.testing.assert_array_equal(transposed, blocks["native"].transpose(0, 3, 1, 2))

    (oh, ow) = params.bsize_out
    outputs = blocks["native"][:, :oh, :ow]
    for add in (False, True):
        scattered = {impl: ops.sparse_scatter(outputs, indices, x, params.bsize_out, add=add, impl=impl).numpy()
                     for impl in IMPLS}
        np.testing.assert_array_equal(scattered["native"], scattered["tf"])
        via_transpose = ops.sparse_scatter(outputs.transpose(0, 3, 1, 2), indices, x, params.bsize_out, add=add,
                                           transpose=True, impl="native").numpy()
        np.testing.assert_array_equal(via_transpose, scattered["native"])
    zeros = {impl: ops.sparse_scatter_zeros(outputs, indices, x.shape[:3], params.bsize_out, impl=impl).numpy()
             for impl in IMPLS}
    np.testing.assert_array_equal(zeros["native"], zeros["tf"])
    np.testing.assert_array_equal(zeros["native"], ops.sparse_scatter(outputs, indices, np.zeros_like(x),
                                                                      params.bsize_out).numpy())


@needs_native
@pytest.mark.parametrize("seed", range(4))
def test_overlapping_scatter_add_sums_every_window(seed):
    params, mask, x = random_case(seed, 0.4, dtype=np.float64)
    indices = ops.reduce_mask(mask, params, impl="tf").indices
    blocks = ops.sparse_gather(x, indices, params.bsize, params.bstrides, params.boffset).numpy()
    expected = x.copy()
    for k, (n, i, j) in enumerate(indices.numpy()):
        for dy in range(params.bsize[0]):
            for dx in range(params.bsize[1]):
                y = params.boffset[0] + i * params.bstrides[0] + dy
                xx = params.boffset[1] + j * params.bstrides[1] + dx
                if 0 <= y < x.shape[1] and 0 <= xx < x.shape[2]:
                    expected[n, y, xx] += blocks[k, dy, dx]
    for impl in IMPLS:
        got = ops.sparse_scatter(blocks, indices, x, params.bstrides, params.boffset, add=True, impl=impl)
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("transpose", [False, True])
def test_gradients_match_finite_differences(impl, transpose):
    if impl == "native" and native.library is None:
        pytest.skip(native.load_error)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 7, 9, 3))
    params = calc_block_params((7, 9), 5, 3)  # overlapping input windows: the gather gradient accumulates
    indices = tf.constant([[0, 0, 0], [0, 1, 2], [1, 1, 1], [1, 0, 2], [1, 1, 2]], tf.int32)
    geometry = (params.bsize, params.bstrides, params.boffset)
    (oh, ow) = params.bsize_out
    blocks = rng.standard_normal((5, 3, oh, ow) if transpose else (5, oh, ow, 3))

    def gather(t):
        return ops.sparse_gather(t, indices, *geometry, transpose=transpose, impl=impl)

    def scatter(add):
        return lambda b, base: ops.sparse_scatter(b, indices, base, params.bsize_out, add=add, transpose=transpose,
                                                  impl=impl)

    def scatter_zeros(b):
        return ops.sparse_scatter_zeros(b, indices, x.shape[:3], params.bsize_out, transpose=transpose, impl=impl)

    for function, args in ((gather, [x]), (scatter(False), [blocks, x]), (scatter(True), [blocks, x]),
                           (scatter_zeros, [blocks])):
        analytic, numeric = tf.test.compute_gradient(tf.function(function), args)
        for a, n in zip(analytic, numeric):
            np.testing.assert_allclose(a, n, atol=1e-7)

    def overlapping_add(b, base):
        return ops.sparse_scatter(b, indices, base, params.bstrides, params.boffset, add=True, transpose=transpose,
                                  impl=impl)

    wide = rng.standard_normal((5, 3, 5, 5) if transpose else (5, 5, 5, 3))
    for a, n in zip(*tf.test.compute_gradient(tf.function(overlapping_add), [wide, x])):
        np.testing.assert_allclose(a, n, atol=1e-7)


@needs_native
def test_native_and_tf_gradients_agree_in_float32():
    rng = np.random.default_rng(2)
    params, mask, x = random_case(3, 0.3)
    indices = ops.reduce_mask(mask, params).indices
    weights = rng.standard_normal((int(indices.shape[0]), *params.bsize, x.shape[3])).astype(np.float32)
    grads = {}
    for impl in IMPLS:
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            blocks = ops.sparse_gather(xt, indices, params.bsize, params.bstrides, params.boffset, impl=impl)
            out = ops.sparse_scatter(blocks[:, :params.bsize_out[0], :params.bsize_out[1]] * 2, indices, xt,
                                     params.bsize_out, add=False, impl=impl)
            loss = tf.reduce_sum(blocks * weights) + tf.reduce_sum(out ** 2)
        grads[impl] = tape.gradient(loss, xt).numpy()
    np.testing.assert_allclose(grads["native"], grads["tf"], rtol=1e-5, atol=1e-5)


BAD_CALLS = {
    "mask of rank 2": lambda impl: ops.reduce_mask(np.ones((4, 4)), calc_block_params((4, 4), 3, 3), impl=impl),
    "empty mask": lambda impl: ops.reduce_mask(np.ones((1, 0, 4)), calc_block_params((4, 4), 3, 3), impl=impl),
    "string mask": lambda impl: ops.reduce_mask(np.array([[["a"]]]), calc_block_params((1, 1), 1, 1), impl=impl),
    "x of rank 3": lambda impl: ops.sparse_gather(np.ones((4, 4, 1), np.float32), [[0, 0, 0]], 2, 2, impl=impl),
    "integer x": lambda impl: ops.sparse_gather(np.ones((1, 4, 4, 1), np.int32), [[0, 0, 0]], 2, 2, impl=impl),
    "zero block size": lambda impl: ops.sparse_gather(np.ones((1, 4, 4, 1), np.float32), [[0, 0, 0]], 0, 2,
                                                      impl=impl),
    "negative stride": lambda impl: ops.sparse_gather(np.ones((1, 4, 4, 1), np.float32), [[0, 0, 0]], 2, -1,
                                                      impl=impl),
    "indices of width 2": lambda impl: ops.sparse_gather(np.ones((1, 4, 4, 1), np.float32), [[0, 0]], 2, 2,
                                                         impl=impl),
    "float indices": lambda impl: ops.sparse_gather(np.ones((1, 4, 4, 1), np.float32), [[0.0, 0, 0]], 2, 2,
                                                    impl=impl),
    "output_size of length 2": lambda impl: ops.sparse_scatter_zeros(np.ones((1, 2, 2, 1), np.float32), [[0, 0, 0]],
                                                                     [4, 4], 2, impl=impl),
    "overlapping write": lambda impl: ops.sparse_scatter(np.ones((1, 3, 3, 1), np.float32), [[0, 0, 0]],
                                                         np.ones((1, 4, 4, 1), np.float32), 2, impl=impl),
}
OUT_OF_RANGE = {
    "batch index past the batch": ([[1, 0, 0]], (1, 4, 4, 1)),
    "negative batch index": ([[-1, 0, 0]], (1, 4, 4, 1)),
    "block row past the image": ([[0, 2, 0]], (1, 4, 4, 1)),
    "negative block column": ([[0, 0, -1]], (1, 4, 4, 1)),
}


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("case", sorted(BAD_CALLS))
def test_bad_arguments_raise_value_error(impl, case):
    if impl == "native" and native.library is None:
        pytest.skip(native.load_error)
    with pytest.raises(ValueError):
        BAD_CALLS[case](impl)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("case", sorted(OUT_OF_RANGE))
def test_indices_out_of_range_raise_invalid_argument(impl, case):
    if impl == "native" and native.library is None:
        pytest.skip(native.load_error)
    indices, shape = OUT_OF_RANGE[case]
    x = np.ones(shape, np.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
        ops.sparse_gather(x, indices, 2, 2, impl=impl)
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
        ops.sparse_scatter(np.ones((1, 2, 2, 1), np.float32), indices, x, 2, impl=impl)
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
        ops.sparse_scatter_zeros(np.ones((1, 2, 2, 1), np.float32), indices, shape[:3], 2, impl=impl)


@pytest.mark.parametrize("impl", IMPLS)
def test_writing_repeated_blocks_raises_invalid_argument(impl):
    if impl == "native" and native.library is None:
        pytest.skip(native.load_error)
    with pytest.raises(tf.errors.InvalidArgumentError, match="distinct"):
        ops.sparse_scatter(np.ones((2, 2, 2, 1), np.float32), [[0, 1, 0], [0, 1, 0]], np.ones((1, 4, 4, 1), "f4"), 2,
                           impl=impl)


@pytest.mark.parametrize("impl", IMPLS)
def test_mismatched_blocks_and_base_raise_invalid_argument(impl):
    if impl == "native" and native.library is None:
        pytest.skip(native.load_error)
    base = np.ones((2, 4, 4, 3), np.float32)
    with pytest.raises(tf.errors.InvalidArgumentError):  # two blocks, one index
        ops.sparse_scatter(np.ones((2, 2, 2, 3), np.float32), [[0, 0, 0]], base, 2, impl=impl)
    with pytest.raises(tf.errors.InvalidArgumentError):  # channel mismatch
        ops.sparse_scatter(np.ones((1, 2, 2, 5), np.float32), [[0, 0, 0]], base, 2, impl=impl)


@needs_native
def test_fuzzed_raw_op_calls_either_run_or_raise_invalid_argument():
    """Drive the compiled ops directly (no Python checks) with random shapes, attributes and indices."""
    rng = np.random.default_rng(0)
    lib = native.library
    outcomes = {"ok": 0, "error": 0}

    def attempt(call):
        try:
            call()
            outcomes["ok"] += 1
        except (tf.errors.InvalidArgumentError, ValueError, TypeError):
            outcomes["error"] += 1

    def pair(low, high):
        return [int(v) for v in rng.integers(low, high, int(rng.choice([2, 2, 2, 1, 3])))]

    for _ in range(300):
        shape = [int(v) for v in rng.integers(0, 6, int(rng.choice([4, 4, 4, 3, 5])))]
        x = tf.zeros(shape, tf.float32)
        indices = tf.constant(rng.integers(-3, 6, (int(rng.integers(0, 4)), int(rng.choice([3, 3, 2])))), tf.int32)
        geometry = dict(bsize=pair(-1, 5), bstride=pair(-1, 5), boffset=pair(-4, 3))
        attempt(lambda: lib.zoo_sbnet_reduce_mask(x[..., :1] if x.shape.rank == 4 else x, bcount=pair(-1, 4),
                                                  tol=0.0, avgpool=bool(rng.integers(2)), **geometry))
        attempt(lambda: lib.zoo_sbnet_sparse_gather(x, indices, transpose=bool(rng.integers(2)), **geometry))
        blocks = tf.zeros([int(indices.shape[0])] + [int(v) for v in rng.integers(0, 5, 3)], tf.float32)
        attempt(lambda: lib.zoo_sbnet_sparse_scatter(blocks, indices, x, bstride=geometry["bstride"],
                                                     boffset=geometry["boffset"], add=bool(rng.integers(2)),
                                                     transpose=bool(rng.integers(2))))
        attempt(lambda: lib.zoo_sbnet_sparse_scatter_zeros(blocks, indices, rng.integers(-1, 6, 3).astype(np.int32),
                                                           bstride=geometry["bstride"], boffset=geometry["boffset"],
                                                           transpose=bool(rng.integers(2))))
    assert outcomes["ok"] > 0 and outcomes["error"] > 0


def test_unknown_impl_and_missing_native_library_are_clear_errors(monkeypatch):
    params = calc_block_params((4, 4), 3, 3)
    with pytest.raises(ValueError, match="impl must be one of"):
        ops.reduce_mask(np.ones((1, 4, 4)), params, impl="cuda")
    monkeypatch.setattr(native, "library", None)
    monkeypatch.setattr(native, "load_error", "not built in this test")
    with pytest.raises(RuntimeError, match="not built in this test"):
        ops.reduce_mask(np.ones((1, 4, 4)), params, impl="native")
    assert int(ops.reduce_mask(np.ones((1, 4, 4)), params, impl="auto").count) == 16  # falls back to pure TF


def test_the_element_limit_is_one_number_in_the_header_and_in_python():
    found = re.findall(r"constexpr int64_t kMaxElements = (\d+);", HEADER.read_text())
    assert found == [str(ops.MAX_ELEMENTS)], f"kMaxElements in {HEADER} is {found}, ops.MAX_ELEMENTS is " \
                                             f"{ops.MAX_ELEMENTS}: change both together"
    assert ops.MAX_ELEMENTS == np.iinfo(np.int32).max  # what the GPU kernels' int indexing assumes


# issue 33: each of these killed the process before any check (SIGSEGV: reduce_mask allocated n x blocks bytes;
# SIGABRT: TensorShape's CHECK on an element count past int64, or, in the pure-TF reduce_mask, MaxPool's ksize
# attribute past int32 in the oneDNN layout pass). They run in a child process, so that a crash fails these
# tests (naming the signal) instead of killing pytest.
_HUGE = 2**31 - 1
_TOO_MANY = "InvalidArgumentError: ", "would have more than 2147483647 elements"
EXPECTED = {"native": _TOO_MANY, "tf": _TOO_MANY, "raw": _TOO_MANY}
KILLERS = {
    "reduce_mask, bsize beyond int32": dict(
        wrapper=lambda impl: ops.reduce_mask(np.ones((1, 4, 4)),
                                             BlockParams((2**31, 2), (1, 1), (0, 0), (2, 2), (2, 2)), impl=impl),
        raw=lambda lib: lib.zoo_sbnet_reduce_mask(np.ones((1, 4, 4), np.float32), bsize=[2**31, 2], bstride=[2, 2],
                                                  boffset=[0, 0], bcount=[2, 2]),
        expected={"native": ("ValueError: ", "bsize must be positive (height, width) values in [1, 2147483647]"),
                  "tf": ("ValueError: ", "bsize must be positive (height, width) values in [1, 2147483647]"),
                  "raw": ("InvalidArgumentError: ", "out of range for an int32")}),
    "reduce_mask, bcount of a 10^6 x 10^6 input": dict(
        wrapper=lambda impl: ops.reduce_mask(np.ones((1, 8, 8)), calc_block_params((10**6, 10**6), 11, 3), impl=impl),
        raw=lambda lib: lib.zoo_sbnet_reduce_mask(np.ones((1, 8, 8), np.float32), bsize=[11, 11], bstride=[9, 9],
                                                  boffset=[-1, -1], bcount=[111112, 111112])),
    "sparse_gather, bsize whose element count overflows": dict(
        wrapper=lambda impl: ops.sparse_gather(np.ones((1, 4, 4, 4), np.float32), [[0, 0, 0], [0, 0, 0]],
                                               (_HUGE, _HUGE), 1, impl=impl),
        raw=lambda lib: lib.zoo_sbnet_sparse_gather(np.ones((1, 4, 4, 4), np.float32), [[0, 0, 0], [0, 0, 0]],
                                                    bsize=[_HUGE, _HUGE], bstride=[1, 1], boffset=[0, 0])),
    "sparse_scatter_zeros, output_size whose element count overflows": dict(
        wrapper=lambda impl: ops.sparse_scatter_zeros(np.ones((1, 2, 2, 3), np.float32), [[0, 0, 0]],
                                                      [_HUGE, _HUGE, _HUGE], 2, impl=impl),
        raw=lambda lib: lib.zoo_sbnet_sparse_scatter_zeros(np.ones((1, 2, 2, 3), np.float32), [[0, 0, 0]],
                                                           [_HUGE, _HUGE, _HUGE], bstride=[2, 2], boffset=[0, 0])),
}


def killer_outcomes():
    """In the child: ``"ErrorType: message"`` (or ``"no error"``) of each KILLERS case, by implementation."""
    outcomes = {}
    for name, calls in KILLERS.items():
        for how in ("native", "tf", "raw"):
            try:
                calls["wrapper"](how) if how != "raw" else calls["raw"](native.library)
                outcomes[f"{name} / {how}"] = "no error"
            except Exception as error:  # noqa: BLE001 - the test checks the type
                outcomes[f"{name} / {how}"] = f"{type(error).__name__}: {error}"
    return outcomes


@pytest.fixture(scope="module")
def killers_in_a_child():
    return run_in_child("killer_outcomes", module=__name__)


@needs_native
@pytest.mark.parametrize("how", ["native", "tf", "raw"])
@pytest.mark.parametrize("case", sorted(KILLERS))
def test_sizes_that_used_to_kill_the_process_raise_invalid_argument(killers_in_a_child, case, how):
    child = killers_in_a_child
    assert child["signal"] is None, f"the child died of {child['signal']}:\n{child['output_tail']}"
    outcome = child["result"][f"{case} / {how}"]
    error, gist = KILLERS[case].get("expected", EXPECTED)[how]
    assert outcome.startswith(error) and gist in outcome, outcome


@pytest.mark.parametrize("impl", IMPLS)
def test_writing_distinct_blocks_far_apart_is_not_mistaken_for_a_repeat(impl):
    """The pure-TF path packed (n, row, column) into one int64 with 21 bits per field: column 2**21 of row 0
    collided with column 0 of row 1, and a valid write raised "needs distinct indices"."""
    if impl == "native" and native.library is None:
        pytest.skip(native.load_error)
    x = np.zeros((1, 2, 2**21 + 1, 1), np.float32)
    blocks = np.array([1.0, 2.0], np.float32).reshape(2, 1, 1, 1)
    y = ops.sparse_scatter(blocks, [[0, 0, 2**21], [0, 1, 0]], x, 1, impl=impl).numpy()
    assert y[0, 0, 2**21, 0] == 1.0 and y[0, 1, 0, 0] == 2.0 and y.sum() == 3.0


@pytest.mark.parametrize("impl", IMPLS)
def test_int64_indices_and_sizes_beyond_int32_raise_instead_of_wrapping(impl):
    if impl == "native" and native.library is None:
        pytest.skip(native.load_error)
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    blocks = np.ones((1, 2, 2, 1), np.float32)
    for bad in ([0, 2**32, 0], [2**32, 0, 0], [0, 0, -2**32], [0, 2**31, 0]):  # 2**32 used to read row 0
        indices = np.array([bad], np.int64)
        with pytest.raises(tf.errors.InvalidArgumentError, match="indices must fit in int32"):
            ops.sparse_gather(x, indices, 2, 2, impl=impl)
        with pytest.raises(tf.errors.InvalidArgumentError, match="indices must fit in int32"):
            ops.sparse_scatter(blocks, indices, x, 2, impl=impl)
        with pytest.raises(tf.errors.InvalidArgumentError, match="indices must fit in int32"):
            ops.sparse_scatter_zeros(blocks, indices, [1, 4, 4], 2, impl=impl)
    with pytest.raises(tf.errors.InvalidArgumentError, match="output_size must fit in int32"):
        ops.sparse_scatter_zeros(blocks, [[0, 0, 0]], np.array([1, 2**32 + 4, 4], np.int64), 2, impl=impl)
    # int64 values that fit are fine, in eager mode and in a graph
    expected = ops.sparse_gather(x, [[0, 1, 1]], 2, 2, impl=impl)
    np.testing.assert_array_equal(ops.sparse_gather(x, np.array([[0, 1, 1]], np.int64), 2, 2, impl=impl), expected)
    graph = tf.function(lambda i: ops.sparse_gather(x, i, 2, 2, impl=impl),
                        input_signature=[tf.TensorSpec([None, 3], tf.int64)])
    np.testing.assert_array_equal(graph(tf.constant([[0, 1, 1]], tf.int64)), expected)
    with pytest.raises(tf.errors.InvalidArgumentError, match="indices must fit in int32"):
        graph(tf.constant([[0, 2**32, 0]], tf.int64))


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("bcount", [(0, 3), (-2, 3), (3, -1), (2**31, 1)])
def test_block_counts_outside_one_to_int32_are_rejected_by_both_implementations(impl, bcount):
    if impl == "native" and native.library is None:
        pytest.skip(native.load_error)
    params = BlockParams(bsize=(3, 3), bsize_out=(1, 1), boffset=(0, 0), bcount=bcount, bstrides=(3, 3))
    with pytest.raises(ValueError, match="bcount must be positive"):  # a negative count acted like a slice
        ops.reduce_mask(np.ones((1, 8, 8)), params, impl=impl)


@pytest.mark.parametrize("impl", IMPLS)
def test_block_origins_are_computed_in_64_bits(impl):
    if impl == "native" and native.library is None:
        pytest.skip(native.load_error)
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    # origin = 2**20 * 2**12 = 2**32 rows down: it wrapped to row 0 in the pure-TF path's int32 arithmetic
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
        ops.sparse_gather(x, [[0, 2**20, 0]], 2, (2**12, 1), impl=impl)
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
        ops.sparse_scatter(np.ones((1, 2, 2, 1), np.float32), [[0, 2**20, 0]], x, (2**12, 2), impl=impl)


@pytest.mark.parametrize("impl", IMPLS)
def test_reduce_mask_with_windows_and_strides_far_beyond_the_mask(impl):
    """Valid geometries whose padded extent is huge: the pure-TF path padded to it (out of memory, or an abort
    for sizes past int32); it now clips each window to the image like the kernels."""
    if impl == "native" and native.library is None:
        pytest.skip(native.load_error)
    mask = np.zeros((2, 4, 5), np.float32)
    mask[1, 3, 4] = 1.0
    huge_window = BlockParams((10**6, 10**6), (1, 1), (-500_000, -500_000), (2, 2), (1, 1))  # every window covers
    np.testing.assert_array_equal(ops.reduce_mask(mask, huge_window, impl=impl).indices,
                                  [[1, 0, 0], [1, 0, 1], [1, 1, 0], [1, 1, 1]])
    huge_stride = BlockParams((3, 3), (1, 1), (2, 3), (3, 1), (10**9, 1))  # only block row 0 meets the image
    np.testing.assert_array_equal(ops.reduce_mask(mask, huge_stride, impl=impl).indices, [[1, 0, 0]])
    # outside pixels are zeros: with tol < 0 a clipped window is active, and the average divides by the full area
    assert int(ops.reduce_mask(-np.ones((1, 4, 5)), huge_stride, tol=-0.5, impl=impl).count) == 3
    assert int(ops.reduce_mask(np.ones((1, 4, 5)), huge_window, tol=1e-12, avgpool=True, impl=impl).count) == 4


@pytest.mark.parametrize("impl", IMPLS)
def test_average_pooling_compares_like_the_kernels_at_the_threshold(impl):
    """The pure-TF path averaged in float32 (7 of 10 pixels at tol 0.7 was inactive, nine 0.1s at tol 0.1 active);
    it now sums in float64 and divides by the block area, as the kernels do in double."""
    if impl == "native" and native.library is None:
        pytest.skip(native.load_error)
    seven = np.zeros((1, 1, 10), np.float32)
    seven[0, 0, :7] = 1.0
    row = BlockParams((1, 10), (1, 1), (0, 0), (1, 1), (1, 10))
    assert int(ops.reduce_mask(seven, row, tol=0.7, avgpool=True, impl=impl).count) == 1  # 0.7 > float32(0.7)
    square = BlockParams((3, 3), (1, 1), (0, 0), (1, 1), (3, 3))
    assert int(ops.reduce_mask(np.full((1, 3, 3), 0.1, np.float32), square, tol=0.1, avgpool=True, impl=impl).count) \
        == 0  # float32(0.1) is not above itself
    # NaN pixels make their window's average NaN (inactive) and never count as above tol for max pooling, and they
    # do not leak into other windows (the pure-TF path sums prefix tables)
    mask = np.array([[[np.nan, 5.0, 1.0, 1.0, np.inf, -np.inf, 2.0, 2.0]]], np.float32)
    pairs = BlockParams((1, 2), (1, 1), (0, 0), (1, 4), (1, 2))
    np.testing.assert_array_equal(ops.reduce_mask(mask, pairs, tol=0.5, impl=impl).indices,
                                  [[0, 0, 0], [0, 0, 1], [0, 0, 2], [0, 0, 3]])
    np.testing.assert_array_equal(ops.reduce_mask(mask, pairs, tol=0.5, avgpool=True, impl=impl).indices,
                                  [[0, 0, 1], [0, 0, 3]])
