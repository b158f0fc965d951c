"""Every named recipe (zoo.training.recipes) runs: 2 optimiser steps of its configuration on tfds mock data (or, for
the tools that take their own data, a tiny stand-in), eagerly so that no deep network is traced; and a recipe on the
command line sets what the command line does not."""
import contextlib
import json
import os
import subprocess
import sys

import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from zoo.training import TrainConfig, recipes, train_classifier

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLASSIFIER = "tools/zoo/train.py"
TWO_STEPS = {"epochs": 1, "steps_per_epoch": 2, "batch_size": 2, "test_subset": 2, "verbose": 0}


@contextlib.contextmanager
def eagerly():
    """``tf.function``s run eagerly within (tracing a 164-layer network takes half a minute)."""
    tf.config.run_functions_eagerly(True)
    try:
        yield
    finally:
        tf.config.run_functions_eagerly(False)


def test_every_recipe_names_its_paper_number_and_its_cost():
    for recipe in recipes.RECIPES.values():
        assert recipe.tool.startswith("tools/") and os.path.exists(os.path.join(REPO, recipe.tool)), recipe.name
        assert recipe.paper_source and recipe.metric and recipe.steps > 0, recipe.name
        assert recipe.command().endswith(f"--recipe={recipe.name}")
    with pytest.raises(ValueError, match="no recipe 'revnet-39-cifar10'"):
        recipes.get("revnet-39-cifar10")


@pytest.mark.parametrize("name", sorted(recipes.for_tool(CLASSIFIER)))
def test_classifier_recipe_takes_two_steps_on_mock_data(name, tmp_path):
    recipe = recipes.get(name)
    flags = {**recipe.flags, **TWO_STEPS}
    config = TrainConfig(**{**flags, "lr_boundaries": tuple(flags.get("lr_boundaries", ()))}, output=str(tmp_path),
                         command="test")
    with tfds.testing.mock_data(num_examples=4), eagerly():
        record = train_classifier(config)
    assert record["architecture"] == recipe.flags["model"] and record["dataset"] == recipe.flags["dataset"]
    assert record["training"]["steps"] == 2 and record["metrics"]["test_examples"] == 2
    assert record["builder_kwargs"]["num_classes"] == {"cifar10": 10, "cifar100": 100,
                                                       "imagenet2012": 1000}[recipe.flags["dataset"]]


TOOLS = {
    # tool: (mock examples per tfds split, or an as_dataset_fn giving them; flags that shrink a recipe to 2 steps)
    "tools/reweight/experiments.py": (300, ["--noisy_steps=2", "--imbalance_steps=2", "--seeds=0", "--ratios=0.9",
                                            "--fine_tune_steps=1", "--imbalance_size=10", "--clean_per_class=1",
                                            "--hyper_validation=20"]),
    "tools/metaopt/short_horizon.py": (300, ["--horizons=2", "--meta_steps=1", "--full_run_steps=2", "--grid_lrs=0.1",
                                             "--grid_decays=1", "--online_steps=4", "--meta_batch_size=50",
                                             "--results="]),
    # the episode source becomes Glyphs: mock Omniglot and ImageNet have a handful of random images per class
    "tools/fewshot/train.py": (10, ["--source=glyphs", "--num_classes=12", "--examples_per_class=40", "--steps=2",
                                    "--test_episodes=2"]),
    "tools/ghn/train.py": (300, ["--steps=2", "--validation=50", "--eval_architectures=1"]),
    "tools/recattend/train.py": ("tests.recattend.test_sources:_as_dataset",
                                 ["--box_steps=1", "--full_steps=1", "--batch_size=2"]),
    "tools/imageqa/train.py": ("tests.training.mock_coco_captions:as_dataset",
                               ["--min_answer_count=1", "--feature_weights=", "--epochs=1", "--patience=1",
                                "--batch_size=2"]),
    "tools/sbnet/train.py": (4, ["--steps=2", "--batch_size=2", "--test_scenes=2", "--timing_scenes=1",
                                 "--timing_repeats=1", "--checkpoint_every=1"]),
}
"""The tools that take recipes besides the classifier trainer, and how their recipes are shrunk for the test."""


def _run_recipes(tool, names, tmp_path):
    examples, shrink = TOOLS[tool]
    return subprocess.run(
        [sys.executable, os.path.join(REPO, "tests", "training", "run_recipes.py"), os.path.join(REPO, tool),
         str(examples), *names, "--", *shrink, f"--output={tmp_path}"],
        capture_output=True, text=True, timeout=900, cwd=REPO,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": os.pathsep.join([REPO, os.environ.get(
            "PYTHONPATH", "")])})


@pytest.mark.slow
@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_every_recipe_of_a_tool_takes_two_steps_on_mock_data(tool, tmp_path):
    """Each recipe through the tool's own main (one process per tool: the flags are parsed again per recipe)."""
    names = sorted(recipes.for_tool(tool))
    out = _run_recipes(tool, names, tmp_path)
    assert out.returncode == 0, out.stderr[-4000:]
    assert [line.removeprefix("ran ") for line in out.stdout.splitlines() if line.startswith("ran ")] == names


def test_a_recipe_sets_the_flags_the_command_line_leaves(tmp_path):
    """The DN* recipe on Fashion-MNIST: the data set, length and batch from the command line, the rest (model,
    learning rate, its decay steps, no augmentation) from the recipe."""
    out = subprocess.run(
        [sys.executable, os.path.join(REPO, CLASSIFIER), "--recipe=cifar-quick-dn-star-cifar10",
         "--dataset=fashion_mnist", "--epochs=1", "--steps_per_epoch=2", "--batch_size=4", "--train_subset=40",
         "--test_subset=20", "--verbose=0", f"--output={tmp_path}"],
        capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    (name, record), = json.loads((tmp_path / "cifar-quick-dn-star.fashion_mnist.json").read_text()).items()
    assert record["dataset"] == "fashion_mnist" and record["training"]["batch_size"] == 4
    assert record["training"]["lr"] == 1e-3 and record["training"]["lr_boundaries"] == [30_000, 50_000, 80_000]
