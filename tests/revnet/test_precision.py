"""RevNet reconstruction and gradient errors under each dtype policy: float32 near its epsilon, the mixed policies
finite and bounded (the halves stay in float32)."""
import pytest

from zoo.revnet import precision


def test_float32_errors_are_near_float32_precision():
    errors = precision.precision_errors("float32", num_blocks=2, filters=8, batch=2, size=8)
    assert errors["reconstruction"] < 1e-5 and errors["gradient"] < 1e-4 and errors["autodiff_vs_float32"] == 0


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_policies_reconstruct_within_their_precision(policy):
    errors = precision.precision_errors(policy, num_blocks=2, filters=8, batch=2, size=8)
    assert 0 < errors["reconstruction"] < 0.05
    assert all(0 <= value < 1 for value in errors.values())


def test_an_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="policy must be one of"):
        precision.precision_errors("float8")
