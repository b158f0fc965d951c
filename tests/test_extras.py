"""Optional dependencies: a feature whose extra is missing names the ``pip install "zoo[...]"`` that provides it."""
import sys

import pytest

from zoo import extras


def _hide(monkeypatch, module):
    """Make ``import module`` fail as it does when the package is not installed."""
    monkeypatch.setitem(sys.modules, module, None)


@pytest.mark.parametrize("extra", sorted(extras.EXTRAS))
def test_missing_extra_names_the_install_command(extra, monkeypatch):
    module = extras.EXTRAS[extra][0]
    _hide(monkeypatch, module)
    with pytest.raises(extras.MissingExtraError, match=rf'pip install "zoo\[{extra}\]"') as caught:
        extras.require(module, extra, "the feature")
    assert "the feature needs" in str(caught.value)


def test_installed_module_is_returned():
    assert extras.require("numpy", "tfds", "anything").__name__ == "numpy"


def test_a_module_outside_the_extra_is_not_blamed_on_it(monkeypatch):
    _hide(monkeypatch, "not_an_extra_module")
    with pytest.raises(ModuleNotFoundError) as caught:
        extras.require("not_an_extra_module", "train", "x")
    assert not isinstance(caught.value, extras.MissingExtraError)


def test_unknown_extra_is_rejected():
    with pytest.raises(ValueError, match="extra must be one of"):
        extras.require("numpy", "gpu", "x")


def test_training_logs_need_the_train_extra(monkeypatch, tmp_path):
    import keras
    import tensorflow as tf

    from zoo.training import distributed

    _hide(monkeypatch, "tensorboard")
    variables = [tf.Variable(1.0)]
    with pytest.raises(extras.MissingExtraError, match=r"zoo\[train\]"):
        distributed.Loop(tf.distribute.get_strategy(), keras.optimizers.SGD(0.1), variables,
                         summary_dir=tmp_path / "logs")


def test_tfds_sources_need_the_tfds_extra(monkeypatch):
    from zoo.data import sources

    _hide(monkeypatch, "tensorflow_datasets")
    with pytest.raises(extras.MissingExtraError, match=r"zoo\[tfds\]"):
        _ = sources.TfdsSource("cifar10", "train").builder
