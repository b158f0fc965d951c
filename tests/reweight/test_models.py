"""The reweighting paper's MNIST CNN."""
import pytest

import zoo


def test_lenet_matches_the_papers_layout():
    model = zoo.load("reweight-lenet", pretrained=False)
    # conv 416 + 12,832 + 51,264; FC 1024x100 + 100; head 100x2 + 2
    assert model.count_params() == 416 + 12_832 + 51_264 + 102_500 + 202
    assert model.get_layer("flatten").output.shape[-1] == 1024
    with pytest.raises(ValueError, match="num_classes must be >= 2"):
        zoo.load("reweight-lenet", pretrained=False, num_classes=1)
