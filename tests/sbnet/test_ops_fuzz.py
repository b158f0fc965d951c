"""Property-based fuzz of the four SBNet ops (reduce_mask, sparse_gather, sparse_scatter, sparse_scatter_zeros).

* Valid geometries (random image, block size, stride, offset, count, in-range indices, dtypes, transpose, add):
  the native kernels and the pure-TF ops give equal values and equal gradients. Data are small integers, so
  every sum is exact and "equal" means bit for bit.
* Invalid arguments (bad attributes, sizes past ``MAX_ELEMENTS``, values past int32, out-of-range indices, bad
  shapes, colliding writes): the Python wrapper (both implementations) and the raw compiled op (eagerly and in a
  ``tf.function``) raise ``tf.errors.InvalidArgumentError`` or ``ValueError``. These run in ONE child process
  under an address-space limit, so a crash shows up as a failed test naming the signal instead of killing pytest.

CI runs a derandomized sample (``VALID_EXAMPLES``, ``INVALID_EXAMPLES``); ``tools/sbnet/fuzz.py`` runs the same
properties with many random examples (:func:`run_valid`, :func:`run_invalid`, :func:`run_in_child`).
"""
import collections
import json
import os
import signal
import subprocess
import sys
import traceback
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from zoo.sbnet import native, ops
from zoo.sbnet.geometry import BlockParams

VALID_EXAMPLES = 60
"""Derandomized examples per op in CI (four ops)."""
INVALID_EXAMPLES = 400
"""Derandomized invalid cases in CI, each tried four ways (native, tf, raw op eager, raw op in a tf.function)."""
ADDRESS_SPACE_HEADROOM = 4 << 30
"""Bytes of address space the child may map beyond what it holds after loading TensorFlow and warming the ops."""
ROOT = Path(__file__).resolve().parents[2]
MAX = ops.MAX_ELEMENTS
INT32_MAX = 2**31 - 1
RESULT_MARKER = "ZOO_SBNET_FUZZ_RESULT "
CASE_MARKER = "ZOO_SBNET_FUZZ_CASE "
_announce_cases = False  # set in the child: print each invalid case before trying it, to name a crash's cause

needs_native = pytest.mark.skipif(native.library is None, reason=f"SBNet library not built: {native.load_error}")


def hypothesis_test(strategy, function, examples, derandomize=True, random_seed=None):
    """``function(case)`` as a Hypothesis test over ``strategy``: no deadline (TensorFlow's first calls are slow),
    no example database; derandomized (CI) or seeded with ``random_seed``."""
    test = given(case=strategy)(function)
    test = settings(max_examples=examples, deadline=None, derandomize=derandomize, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])(test)
    return test if derandomize or random_seed is None else seed(random_seed)(test)


# --- valid geometries --------------------------------------------------------------------------------------------
DTYPES = [np.float32, np.float64, np.float16]
MASK_VALUES = np.array([0.0, 0.0, 0.0, 0.0, 0.25, 1.0, -1.0, np.inf, -np.inf, np.nan], np.float32)


def overlapping_blocks(offset, stride, size, length):
    """Block rows (or columns) whose window overlaps ``[0, length)``."""
    return [i for i in range(64) if offset + i * stride < length and offset + i * stride + size > 0]


@st.composite
def geometries(draw, write=False):
    """Image shape, block size, stride (≥ the block size when blocks are written) and offset."""
    g = dict(n=draw(st.integers(1, 3)), h=draw(st.integers(1, 10)), w=draw(st.integers(1, 10)),
             c=draw(st.integers(1, 4)))
    g["bsize"] = [draw(st.integers(1, 6)), draw(st.integers(1, 6))]
    g["bstride"] = [b + draw(st.integers(0, 3)) if write else draw(st.integers(1, 7)) for b in g["bsize"]]
    g["boffset"] = [draw(st.integers(-7, 7)), draw(st.integers(-7, 7))]
    return g


@st.composite
def block_indices(draw, g, distinct=False):
    """Up to 6 in-range indices (n, block row, block column) for geometry ``g``; distinct when ``distinct``."""
    rows = overlapping_blocks(g["boffset"][0], g["bstride"][0], g["bsize"][0], g["h"])
    cols = overlapping_blocks(g["boffset"][1], g["bstride"][1], g["bsize"][1], g["w"])
    if not rows or not cols:
        return np.zeros((0, 3), np.int32)
    index = st.tuples(st.integers(0, g["n"] - 1), st.sampled_from(rows), st.sampled_from(cols))
    found = draw(st.lists(index, max_size=6, unique=distinct))
    return np.array(found, np.int32).reshape(-1, 3)


def small_integers(rng, shape, dtype):
    return rng.integers(-4, 5, shape).astype(dtype)


@st.composite
def reduce_mask_cases(draw):
    g = draw(geometries())
    g["bcount"] = [draw(st.integers(1, 6)), draw(st.integers(1, 6))]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    density = draw(st.sampled_from([0.0, 0.1, 0.5, 1.0]))
    mask = np.where(rng.random((g["n"], g["h"], g["w"])) < density, rng.choice(MASK_VALUES, (g["n"], g["h"], g["w"])),
                    0.0).astype(np.float32)
    if draw(st.booleans()):
        mask = mask[..., None]
    return dict(g, mask=mask, tol=draw(st.sampled_from([0.0, 0.0, 0.25, 0.5, -0.5])), avgpool=draw(st.booleans()))


@st.composite
def gather_cases(draw):
    g = draw(geometries())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dtype = draw(st.sampled_from(DTYPES))
    indices = draw(block_indices(g))
    weights_shape = (len(indices), *g["bsize"], g["c"])
    return dict(g, x=small_integers(rng, (g["n"], g["h"], g["w"], g["c"]), dtype), indices=indices,
                transpose=draw(st.booleans()), weights=small_integers(rng, weights_shape, dtype))


@st.composite
def scatter_cases(draw, zeros=False):
    add = False if zeros else draw(st.booleans())
    g = draw(geometries(write=not add))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dtype = draw(st.sampled_from(DTYPES))
    indices = draw(block_indices(g, distinct=not add))
    transpose = draw(st.booleans())
    block_shape = (g["c"], *g["bsize"]) if transpose else (*g["bsize"], g["c"])
    image = (g["n"], g["h"], g["w"], g["c"])
    return dict(g, blocks=small_integers(rng, (len(indices), *block_shape), dtype), indices=indices, add=add,
                base=small_integers(rng, image, dtype), transpose=transpose, weights=small_integers(rng, image, dtype))


def _params(case):
    return BlockParams(bsize=tuple(case["bsize"]), bsize_out=(1, 1), boffset=tuple(case["boffset"]),
                       bcount=tuple(case["bcount"]), bstrides=tuple(case["bstride"]))


def check_reduce_mask(case):
    """Native and pure-TF reduce_mask find the same blocks in the same order; neither has a gradient."""
    got = {}
    for impl in ("native", "tf"):
        mask = tf.constant(case["mask"])
        with tf.GradientTape() as tape:
            tape.watch(mask)
            reduced = ops.reduce_mask(mask, _params(case), tol=case["tol"], avgpool=case["avgpool"], impl=impl)
        assert tape.gradient(tf.cast(reduced.count, tf.float32), mask) is None
        assert int(reduced.count) == len(reduced.indices)
        got[impl] = reduced.indices.numpy()
    np.testing.assert_array_equal(got["native"], got["tf"])


def _values_and_gradients(function, inputs, weights):
    """``function(*inputs)`` and the gradients of ``sum(weights · output)`` with respect to each input."""
    tensors = [tf.constant(t) for t in inputs]
    with tf.GradientTape() as tape:
        for t in tensors:
            tape.watch(t)
        out = function(*tensors)
        loss = tf.reduce_sum(out * tf.constant(weights, out.dtype))
    grads = tape.gradient(loss, tensors)
    return [out.numpy()] + [np.zeros(t.shape, t.dtype.as_numpy_dtype) if g is None else tf.convert_to_tensor(g).numpy()
                            for t, g in zip(tensors, grads)]


def _assert_same(results):
    for name, a, b in zip(["values"] + [f"gradient {i}" for i in range(len(results["native"]) - 1)],
                          results["native"], results["tf"]):
        assert a.shape == b.shape and a.dtype == b.dtype, (name, a.shape, b.shape, a.dtype, b.dtype)
        np.testing.assert_array_equal(a, b, err_msg=name)


def check_gather(case):
    """Native and pure-TF sparse_gather: equal blocks and equal gradients with respect to x."""
    geometry = (case["bsize"], case["bstride"], case["boffset"])
    weights = np.moveaxis(case["weights"], 3, 1) if case["transpose"] else case["weights"]
    _assert_same({impl: _values_and_gradients(
        lambda x, impl=impl: ops.sparse_gather(x, case["indices"], *geometry, transpose=case["transpose"], impl=impl),
        [case["x"]], weights) for impl in ("native", "tf")})


def check_scatter(case):
    """Native and pure-TF sparse_scatter (write or add): equal images, equal gradients for blocks and base."""
    _assert_same({impl: _values_and_gradients(
        lambda blocks, base, impl=impl: ops.sparse_scatter(blocks, case["indices"], base, case["bstride"],
                                                           case["boffset"], add=case["add"],
                                                           transpose=case["transpose"], impl=impl),
        [case["blocks"], case["base"]], case["weights"]) for impl in ("native", "tf")})


def check_scatter_zeros(case):
    """Native and pure-TF sparse_scatter_zeros: equal images, equal gradients for the blocks."""
    size = np.array([case["n"], case["h"], case["w"]], np.int32)
    _assert_same({impl: _values_and_gradients(
        lambda blocks, impl=impl: ops.sparse_scatter_zeros(blocks, case["indices"], size, case["bstride"],
                                                           case["boffset"], transpose=case["transpose"], impl=impl),
        [case["blocks"]], case["weights"]) for impl in ("native", "tf")})


VALID_PROPERTIES = {"reduce_mask": (reduce_mask_cases(), check_reduce_mask),
                    "sparse_gather": (gather_cases(), check_gather),
                    "sparse_scatter": (scatter_cases(), check_scatter),
                    "sparse_scatter_zeros": (scatter_cases(zeros=True), check_scatter_zeros)}


@needs_native
@pytest.mark.parametrize("op", sorted(VALID_PROPERTIES))
def test_native_and_pure_tf_agree_on_random_valid_geometries(op):
    strategy, check = VALID_PROPERTIES[op]
    hypothesis_test(strategy, check, VALID_EXAMPLES)()


# --- invalid arguments ---------------------------------------------------------------------------------------------
def _case(kind, op, inputs, **attrs):
    """An invalid call: ``inputs`` are arrays (or lists), ``attrs`` the op's attributes."""
    defaults = {"reduce_mask": dict(tol=0.0, avgpool=False), "sparse_gather": dict(transpose=False),
                "sparse_scatter": dict(add=False, transpose=False), "sparse_scatter_zeros": dict(transpose=False)}
    return {"kind": kind, "op": op, "inputs": inputs, "attrs": {**defaults[op], **attrs}}


def _small(draw, n=None, c=None):
    n = n or draw(st.integers(1, 2))
    c = c or draw(st.integers(1, 3))
    return n, draw(st.integers(1, 6)), draw(st.integers(1, 6)), c


def _base_case(draw, op):
    """A small valid call of ``op`` (one block at the image's origin), to be broken by the caller."""
    n, h, w, c = _small(draw)
    geometry = dict(bstride=[2, 2], boffset=[0, 0])
    indices = np.zeros((1, 3), np.int32)
    if op == "reduce_mask":
        return {"mask": np.ones((n, h, w), np.float32)}, dict(geometry, bsize=[2, 2], bcount=[2, 2])
    if op == "sparse_gather":
        return {"x": np.ones((n, h, w, c), np.float32), "indices": indices}, dict(geometry, bsize=[2, 2])
    blocks = np.ones((1, 2, 2, c), np.float32)
    if op == "sparse_scatter":
        return {"blocks": blocks, "indices": indices, "base": np.ones((n, h, w, c), np.float32)}, geometry
    return {"blocks": blocks, "indices": indices, "output_size": np.array([n, h, w], np.int32)}, geometry


OPS = ["reduce_mask", "sparse_gather", "sparse_scatter", "sparse_scatter_zeros"]
ATTRS = {"reduce_mask": ["bsize", "bstride", "boffset", "bcount"], "sparse_gather": ["bsize", "bstride", "boffset"],
         "sparse_scatter": ["bstride", "boffset"], "sparse_scatter_zeros": ["bstride", "boffset"]}


@st.composite
def bad_attributes(draw):
    """One attribute non-positive (where it must be positive), outside int32, or not a pair."""
    op = draw(st.sampled_from(OPS))
    inputs, attrs = _base_case(draw, op)
    name = draw(st.sampled_from(ATTRS[op]))
    beyond = st.one_of(st.integers(INT32_MAX + 1, 2**62), st.integers(-2**62, -INT32_MAX - 2))
    bad_value = st.one_of(beyond, st.integers(-INT32_MAX - 1, 0)) if name != "boffset" else beyond
    how = draw(st.sampled_from(["value", "value", "length"]))
    if how == "value":
        attrs[name] = [attrs[name][0], draw(bad_value)] if draw(st.booleans()) else [draw(bad_value), attrs[name][1]]
    else:
        attrs[name] = draw(st.lists(st.integers(1, 3), max_size=4).filter(lambda v: len(v) != 2))
    return _case(f"attribute {name}: {how}", op, inputs, **attrs)


@st.composite
def too_many_candidate_blocks(draw):
    """reduce_mask with batch × bcount past MAX_ELEMENTS (e.g. block params computed for a 10⁶ × 10⁶ input)."""
    inputs, attrs = _base_case(draw, "reduce_mask")
    n = len(inputs["mask"])
    rows = draw(st.integers(2, INT32_MAX))
    attrs["bcount"] = [rows, draw(st.integers(MAX // (n * rows) + 1, INT32_MAX))]
    if draw(st.booleans()):
        attrs["bcount"].reverse()
    return _case("reduce_mask: batch x bcount > MAX_ELEMENTS", "reduce_mask", inputs, **attrs)


@st.composite
def too_large_gather(draw):
    """sparse_gather whose output (blocks × bsize × channels) is past MAX_ELEMENTS, up to int64 overflow."""
    inputs, attrs = _base_case(draw, "sparse_gather")
    k, c = draw(st.integers(1, 3)), inputs["x"].shape[3]
    inputs["indices"] = np.zeros((k, 3), np.int32)
    rows = draw(st.integers(2, INT32_MAX))  # >= 2, so that a second size past MAX_ELEMENTS / (k·rows·c) exists
    attrs["bsize"] = [rows, draw(st.integers(MAX // (k * rows * c) + 1, INT32_MAX))]
    if draw(st.booleans()):
        attrs["bsize"].reverse()
    return _case("sparse_gather: output > MAX_ELEMENTS", "sparse_gather", inputs, transpose=draw(st.booleans()),
                 **attrs)


@st.composite
def too_large_zeros(draw):
    """sparse_scatter_zeros whose output (output_size × channels) is past MAX_ELEMENTS, up to int64 overflow."""
    inputs, attrs = _base_case(draw, "sparse_scatter_zeros")
    c = inputs["blocks"].shape[3]
    n, h = draw(st.integers(2, INT32_MAX)), draw(st.integers(1, INT32_MAX))
    size = [n, h, draw(st.integers(MAX // (n * h * c) + 1, INT32_MAX))]
    order = draw(st.permutations(range(3)))
    dtype = draw(st.sampled_from([np.int32, np.int64]))
    inputs["output_size"] = np.array([size[i] for i in order], dtype)
    return _case("sparse_scatter_zeros: output > MAX_ELEMENTS", "sparse_scatter_zeros", inputs, **attrs)


@st.composite
def values_beyond_int32(draw):
    """int64 indices or output sizes outside int32 (they used to be cast and wrap: index 2³² read row 0)."""
    op = draw(st.sampled_from(OPS[1:]))
    inputs, attrs = _base_case(draw, op)
    big = draw(st.one_of(st.integers(INT32_MAX + 1, 2**62), st.integers(-2**62, -INT32_MAX - 2),
                         st.sampled_from([2**32, 2**32 + 1, 2**31, -2**31 - 1, 2**33 + 2])))
    if op == "sparse_scatter_zeros" and draw(st.booleans()):
        size = inputs["output_size"].astype(np.int64)
        size[draw(st.integers(0, 2))] = big
        inputs["output_size"] = size
        return _case("output_size outside int32", op, inputs, **attrs)
    indices = inputs["indices"].astype(np.int64)
    indices[0, draw(st.integers(0, 2))] = big
    inputs["indices"] = indices
    return _case("indices outside int32", op, inputs, **attrs)


@st.composite
def indices_out_of_range(draw):
    """int32 indices whose batch is outside the batch or whose window misses the image."""
    op = draw(st.sampled_from(OPS[1:]))
    inputs, attrs = _base_case(draw, op)
    image = inputs["x" if op == "sparse_gather" else "base"].shape if op != "sparse_scatter_zeros" else \
        tuple(inputs["output_size"])
    n, h, w = image[:3]
    which = draw(st.sampled_from(["batch", "negative", "row", "column", "offset"]))
    index = [0, 0, 0]
    if which == "batch":
        index[0] = draw(st.integers(n, INT32_MAX))
    elif which == "negative":
        index[draw(st.integers(0, 2))] = draw(st.integers(-INT32_MAX - 1, -1))
    elif which == "row":
        index[1] = draw(st.integers(-(-h // 2), INT32_MAX))  # origin 2·row ≥ h (stride 2)
    elif which == "column":
        index[2] = draw(st.integers(-(-w // 2), INT32_MAX))
    else:  # the window ends before the image starts
        attrs["boffset"] = [draw(st.integers(-INT32_MAX - 1, -2)), 0]
    inputs["indices"] = np.array([index], np.int32)
    return _case(f"indices out of range: {which}", op, inputs, **attrs)


@st.composite
def bad_shapes(draw):
    """Wrong ranks, empty tensors, mismatched blocks / indices / channels, output_size of the wrong length."""
    op = draw(st.sampled_from(OPS))
    inputs, attrs = _base_case(draw, op)
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    if op == "reduce_mask":
        shape = draw(st.sampled_from([(4, 4), (n, 4, 4, 2), (n, 4, 4, 1, 1), (0, 4, 4), (n, 0, 4), (n, 4, 4, 0)]))
        inputs["mask"] = np.ones(shape, np.float32)
        return _case("shape: mask", op, inputs, **attrs)
    choices = ["indices"]
    choices += {"sparse_gather": ["x"], "sparse_scatter": ["base", "blocks", "channels", "count"],
                "sparse_scatter_zeros": ["blocks", "count", "output_size"]}[op]
    which = draw(st.sampled_from(choices))
    if which == "indices":
        inputs["indices"] = np.zeros(draw(st.sampled_from([(1, 2), (1, 4), (3,), (1, 3, 1)])), np.int32)
    elif which in ("x", "base"):
        inputs[which] = np.ones(draw(st.sampled_from([(4, 4, c), (n, 4, 4, c, 1), (0, 4, 4, c), (n, 4, 0, c),
                                                      (n, 4, 4, 0)])), np.float32)
    elif which == "blocks":
        inputs["blocks"] = np.ones(draw(st.sampled_from([(1, 2, 2), (1, 0, 2, c), (1, 2, 0, c), (1, 2, 2, c, 1)])),
                                   np.float32)
    elif which == "channels":
        inputs["blocks"] = np.ones((1, 2, 2, inputs["base"].shape[3] + draw(st.integers(1, 3))), np.float32)
    elif which == "count":
        inputs["blocks"] = np.ones((draw(st.sampled_from([0, 2, 3])), 2, 2, inputs["blocks"].shape[3]), np.float32)
    else:
        inputs["output_size"] = np.ones(draw(st.sampled_from([(2,), (4,), (1, 3), ()])), np.int32)
    return _case(f"shape: {which}", op, inputs, **attrs)


@st.composite
def bad_output_sizes(draw):
    """sparse_scatter_zeros onto an empty or negative output size."""
    inputs, attrs = _base_case(draw, "sparse_scatter_zeros")
    size = inputs["output_size"].copy()
    size[draw(st.integers(0, 2))] = draw(st.integers(-INT32_MAX - 1, 0))
    inputs["output_size"] = size
    return _case("output_size not positive", "sparse_scatter_zeros", inputs, **attrs)


@st.composite
def colliding_writes(draw):
    """Writing (add=False) repeated indices or windows that overlap (stride < block size)."""
    op = draw(st.sampled_from(["sparse_scatter", "sparse_scatter_zeros"]))
    inputs, attrs = _base_case(draw, op)
    c = inputs["blocks"].shape[3]
    if draw(st.booleans()):
        inputs["indices"] = np.zeros((2, 3), np.int32)
        inputs["blocks"] = np.ones((2, 2, 2, c), np.float32)
        return _case("write: repeated indices", op, inputs, **attrs)
    attrs["bstride"] = [draw(st.integers(1, 2)), 1] if draw(st.booleans()) else [1, draw(st.integers(1, 2))]
    inputs["blocks"] = np.ones((1, 3, 3, c), np.float32)
    return _case("write: overlapping windows", op, inputs, **attrs)


def invalid_cases():
    return st.one_of(bad_attributes(), too_many_candidate_blocks(), too_large_gather(), too_large_zeros(),
                     values_beyond_int32(), indices_out_of_range(), bad_shapes(), bad_output_sizes(),
                     colliding_writes())


def call_wrapper(case, impl):
    """The case through zoo.sbnet.ops (the Python wrapper) with ``impl``."""
    op, i, a = case["op"], case["inputs"], case["attrs"]
    if op == "reduce_mask":
        params = BlockParams(bsize=a["bsize"], bsize_out=(1, 1), boffset=a["boffset"], bcount=a["bcount"],
                             bstrides=a["bstride"])
        return ops.reduce_mask(i["mask"], params, tol=a["tol"], avgpool=a["avgpool"], impl=impl)
    if op == "sparse_gather":
        return ops.sparse_gather(i["x"], i["indices"], a["bsize"], a["bstride"], a["boffset"],
                                 transpose=a["transpose"], impl=impl)
    if op == "sparse_scatter":
        return ops.sparse_scatter(i["blocks"], i["indices"], i["base"], a["bstride"], a["boffset"], add=a["add"],
                                  transpose=a["transpose"], impl=impl)
    return ops.sparse_scatter_zeros(i["blocks"], i["indices"], i["output_size"], a["bstride"], a["boffset"],
                                    transpose=a["transpose"], impl=impl)


def call_raw(case):
    """The case straight into the compiled op, no Python checks (None when its inputs cannot reach the kernel:
    int64 indices or sizes do not match the op's int32 inputs)."""
    op, i, a = case["op"], case["inputs"], dict(case["attrs"])
    if any(np.asarray(v).dtype == np.int64 for v in i.values()):
        return None
    lib = native.library
    return {"reduce_mask": lambda: lib.zoo_sbnet_reduce_mask(i["mask"], **a),
            "sparse_gather": lambda: lib.zoo_sbnet_sparse_gather(i["x"], i["indices"], **a),
            "sparse_scatter": lambda: lib.zoo_sbnet_sparse_scatter(i["blocks"], i["indices"], i["base"], **a),
            "sparse_scatter_zeros": lambda: lib.zoo_sbnet_sparse_scatter_zeros(i["blocks"], i["indices"],
                                                                               i["output_size"], **a)}[op]


REJECTIONS = (tf.errors.InvalidArgumentError, ValueError)


def check_rejected(case, outcomes):
    """Every way of calling ``case`` raises InvalidArgumentError or ValueError; counts them in ``outcomes``."""
    calls = {"native": lambda: call_wrapper(case, "native"), "tf": lambda: call_wrapper(case, "tf")}
    raw = call_raw(case)
    if raw is not None:
        calls["raw"] = raw
        calls["raw tf.function"] = lambda: tf.function(raw, autograph=False)()
    for how, call in calls.items():
        try:
            call()
        except REJECTIONS as error:
            outcomes[f"{how}: {type(error).__name__}"] += 1
            continue
        raise AssertionError(f"{how} accepted an invalid call: {case['kind']} {_describe(case)}")


def _describe(case):
    inputs = {k: (np.asarray(v).shape, np.asarray(v).dtype.name, np.asarray(v).ravel()[:6].tolist())
              for k, v in case["inputs"].items()}
    return f"op={case['op']} attrs={case['attrs']} inputs={inputs}"


# --- running the properties (CI and tools/sbnet/fuzz.py) ---------------------------------------------------------
def run_invalid(examples, derandomize=True, random_seed=None):
    """Runs the invalid-argument property on ``examples`` cases; returns counts (and the failure, if any)."""
    kinds, outcomes = collections.Counter(), collections.Counter()

    def property_(case):
        kinds[case["kind"]] += 1
        if _announce_cases:
            print(CASE_MARKER + f"{case['kind']}: {_describe(case)}", flush=True)
        check_rejected(case, outcomes)

    failure = None
    try:
        hypothesis_test(invalid_cases(), property_, examples, derandomize, random_seed)()
    except Exception:  # noqa: BLE001 - reported to the parent process, which fails the test with it
        failure = traceback.format_exc()
    return {"cases": sum(kinds.values()), "kinds": dict(kinds), "outcomes": dict(outcomes), "failure": failure}


def run_valid(examples, derandomize=True, random_seed=None):
    """Runs the four valid-geometry properties on ``examples`` cases each; returns counts and the first failure."""
    counts, failure = collections.Counter(), None
    for op, (strategy, check) in VALID_PROPERTIES.items():
        counted = _counting(counts, op, check)
        try:
            hypothesis_test(strategy, counted, examples, derandomize, random_seed)()
        except Exception:  # noqa: BLE001
            failure = failure or f"{op}:\n{traceback.format_exc()}"
    return {"cases": sum(counts.values()), "kinds": dict(counts), "failure": failure}


def _counting(counts, op, check):
    """``check`` counting its calls in ``counts[op]``."""
    def counted(case):
        counts[op] += 1
        check(case)
    return counted


def _warm_up():
    """Loads every kernel once (both implementations), so the address-space limit applies to the cases alone."""
    x = np.ones((1, 4, 4, 1), np.float32)
    params = BlockParams((2, 2), (1, 1), (0, 0), (2, 2), (2, 2))
    for impl in ("native", "tf") if native.library is not None else ("tf",):
        indices = ops.reduce_mask(x[..., 0], params, impl=impl).indices
        blocks = ops.sparse_gather(x, indices, 2, 2, impl=impl)
        ops.sparse_scatter(blocks, indices, x, 2, impl=impl)
        ops.sparse_scatter_zeros(blocks, indices, [1, 4, 4], 2, impl=impl)
        with tf.GradientTape() as tape:
            tape.watch(blocks)
            loss = tf.reduce_sum(ops.sparse_scatter(blocks, indices, x, 2, add=True, impl=impl))
        tape.gradient(loss, blocks)


def _vm_bytes():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))


def child_main(module, function, args_json, headroom):
    """Entry point of the child process: warm up, limit the address space, run ``module.function(*args)`` and
    print its JSON result."""
    import importlib
    import resource
    global _announce_cases
    _announce_cases = True
    _warm_up()
    limit = _vm_bytes() + int(headroom)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    result = getattr(importlib.import_module(module), function)(*json.loads(args_json))
    print(RESULT_MARKER + json.dumps({"result": result, "address_space_limit": limit}), flush=True)


def run_in_child(function, *args, module=__name__, headroom=ADDRESS_SPACE_HEADROOM, timeout=1800):
    """Runs ``module.function(*args)`` (JSON in, JSON out) in a fresh Python whose address space is limited to
    what it holds after warming up the ops plus ``headroom``, so a crash ends the child, not the caller.

    Returns a dict: ``result`` (None when the child printed none), ``signal`` (the name of the signal that
    killed the child, else None), ``returncode``, ``address_space_limit``, ``cases_started`` and ``last_case``
    (invalid cases; the last one is the culprit when the child crashed) and the tail of the child's output."""
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
            "from tests.sbnet.test_ops_fuzz import child_main; child_main(*sys.argv[1:])")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    done = subprocess.run([sys.executable, "-c", code, module, function, json.dumps(args), str(headroom)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARKER)]
    report = json.loads(lines[-1][len(RESULT_MARKER):]) if lines else {"result": None}
    report["returncode"] = done.returncode
    report["signal"] = signal.Signals(-done.returncode).name if done.returncode < 0 else None
    cases = [line for line in done.stdout.splitlines() if line.startswith(CASE_MARKER)]
    report["cases_started"] = len(cases)
    report["last_case"] = cases[-1][len(CASE_MARKER):] if cases else None
    output = "\n".join(line for line in done.stdout.splitlines() if not line.startswith(CASE_MARKER))
    report["output_tail"] = (output + done.stderr)[-4000:]
    return report


@needs_native
def test_invalid_arguments_raise_clear_errors_and_never_kill_the_process():
    child = run_in_child("run_invalid", INVALID_EXAMPLES)
    assert child["signal"] is None, \
        f"the child died of {child['signal']} on {child['last_case']}:\n{child['output_tail']}"
    result = child["result"]
    assert child["returncode"] == 0 and result is not None, child["output_tail"]
    assert result["failure"] is None, result["failure"]
    assert result["cases"] >= INVALID_EXAMPLES
    assert len(result["kinds"]) >= 20, result["kinds"]  # most kinds of invalid argument came up
