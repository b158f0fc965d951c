"""Named recipes: each paper's own training configuration, as data, for ``--recipe=NAME`` of the tool that runs it.

A :class:`Recipe` holds the flags of one tool (schedule, steps or epochs, batch size, weight decay, augmentation,
data set) as the paper states them, the paper's result for that configuration beside it, and how to count the
floating-point work of one step (:class:`Cost`, used by :mod:`zoo.training.paper_scale` for the accelerator hours
on each paper's page). Where the paper leaves a setting out or the zoo lacks a part, ``notes`` says what the recipe
does instead. Flags given on the command line override the recipe's::

    python tools/zoo/train.py --recipe=revnet-38-cifar10 --strategy=mirrored
"""
import dataclasses
import json


@dataclasses.dataclass(frozen=True)
class Cost:
    """The floating-point work of one optimiser step: ``passes`` forward-pass equivalents of the registered
    architecture ``model`` (built with ``kwargs``) on each of ``examples`` inputs of ``input_shape``.

    ``passes`` is 3 for ordinary training (the backward pass costs about twice the forward), 4 for a RevNet (the
    paper's count: the backward pass also reconstructs the activations).
    """

    model: str
    input_shape: tuple
    examples: int
    passes: float = 3.0
    kwargs: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Recipe:
    """One paper configuration for one tool.

    Attributes:
        name: ``--recipe`` value.
        family: the zoo family (its docs page).
        tool: the script that runs it, e.g. ``"tools/zoo/train.py"``.
        flags: the tool's flag values.
        metric: what the paper's number measures.
        paper_value: the paper's number, in the unit of ``metric``.
        paper_source: where the paper reports it.
        steps: optimiser steps of the run.
        cost: the work of one step (None where it is not a forward pass of a registered model).
        notes: where the recipe fills a gap of the paper or departs from it.
    """

    name: str
    family: str
    tool: str
    flags: dict
    metric: str
    paper_value: float
    paper_source: str
    steps: int
    cost: Cost | None = None
    notes: str = ""

    def command(self, *extra):
        """The command line that runs the recipe."""
        return " ".join(["python", self.tool, f"--recipe={self.name}", *extra])


def _cifar_classifier(model, dataset, error, table, passes, weight_decay=2e-4):
    """A CIFAR recipe of the RevNet paper (§7.1): batch 100, SGD momentum 0.9, lr 0.1 ÷10 at 40k and 60k of 80k
    steps (160 epochs of 500 steps), weight decay ``weight_decay``, 4-pixel pad + random crop + flip."""
    return Recipe(
        f"{model}-{dataset}", "revnet", "tools/zoo/train.py",
        {"model": model, "dataset": dataset, "epochs": 160, "steps_per_epoch": 500, "batch_size": 100, "lr": 0.1,
         "momentum": 0.9, "lr_schedule": "piecewise", "lr_boundaries": [40_000, 60_000],
         "model_overrides": {"weight_decay": weight_decay}},
        f"{dataset.upper().replace('CIFAR', 'CIFAR-')} top-1 accuracy (%)", round(100 - error, 2),
        f"RevNet paper, {table} ({error}% error)", 80_000, Cost(model, (32, 32, 3), 100, passes,
                                                                 {"num_classes": 10 if dataset == "cifar10" else 100}))


def _cifar_quick(model, accuracy, boundaries):
    """A CIFAR-10 recipe of the divisive-normalization paper (§5.1): SGD momentum 0.9, lr 1e-3 ÷10 at
    ``boundaries``."""
    steps = boundaries[-1] + 10_000
    return Recipe(
        f"{model}-cifar10", "divnorm", "tools/zoo/train.py",
        {"model": model, "dataset": "cifar10", "epochs": steps // 500, "steps_per_epoch": 500, "batch_size": 100,
         "lr": 1e-3, "momentum": 0.9, "lr_schedule": "piecewise", "lr_boundaries": list(boundaries),
         "transform": "none"},
        "CIFAR-10 top-1 accuracy (%)", accuracy, "divisive-normalization paper, Table 3", steps,
        Cost(model, (32, 32, 3), 100),
        notes=f"The paper gives the decay steps ({', '.join(f'{b // 1000}k' for b in boundaries)}), not the batch "
              "size, the run's length or any augmentation: the recipe takes Caffe's CIFAR-quick batch of 100, ends "
              "10k steps after the last decay and does not augment.")


RECIPES = {recipe.name: recipe for recipe in [
    *[_cifar_classifier(model, dataset, error, table, 4 if model.startswith("revnet") else 3)
      for model, dataset, error, table in [
          ("revnet-38", "cifar10", 7.24, "Table 3"), ("revnet-110", "cifar10", 5.76, "Table 3"),
          ("revnet-164", "cifar10", 5.17, "Table 3"), ("revnet-38", "cifar100", 28.96, "Table 3"),
          ("revnet-110", "cifar100", 25.40, "Table 3"), ("revnet-164", "cifar100", 23.69, "Table 3"),
          ("resnet-32", "cifar10", 7.14, "Table 3 (the ResNet baseline)"),
          ("resnet-32", "cifar100", 29.95, "Table 3 (the ResNet baseline)")]],
    Recipe("revnet-104-imagenet", "revnet", "tools/zoo/train.py",
           {"model": "revnet-104", "dataset": "imagenet2012", "epochs": 120, "steps_per_epoch": 5000,
            "batch_size": 256, "lr": 0.1, "momentum": 0.9, "lr_schedule": "piecewise",
            "lr_boundaries": [160_000, 320_000, 480_000], "model_overrides": {"weight_decay": 1e-4}},
           "ImageNet top-1 accuracy (%, single 224 crop)", 76.90, "RevNet paper, Table 4 (23.10% error)", 600_000,
           Cost("revnet-104", (224, 224, 3), 256, 4.0),
           notes="Batch 256 (the paper: over 4 GPUs, synchronous SGD); Inception-style preprocessing is the "
                 "imagenet_train transform (random-resized crop 224 + flip), evaluation resize 256 + centre crop "
                 "224. 600k steps are 120 \"epochs\" of 5,000 steps (about 120 passes over the 1.28M images)."),
    *[_cifar_quick(model, accuracy, boundaries) for model, accuracy, boundaries in [
        ("cifar-quick", 75.65, (5_000, 30_000, 50_000)), ("cifar-quick-bn", 78.07, (30_000, 50_000, 80_000)),
        ("cifar-quick-bn-star", 81.79, (30_000, 50_000, 80_000)),
        ("cifar-quick-ln-star", 80.91, (30_000, 50_000, 80_000)),
        ("cifar-quick-dn", 80.58, (30_000, 50_000, 80_000)),
        ("cifar-quick-dn-star", 81.22, (30_000, 50_000, 80_000))]],
]}
"""Every recipe by name."""


def get(name):
    """The recipe ``name``; ``ValueError`` listing the names when there is none."""
    if name not in RECIPES:
        raise ValueError(f"no recipe {name!r}; recipes: {', '.join(sorted(RECIPES))}")
    return RECIPES[name]


def for_tool(tool):
    """The recipes ``tool`` runs, by name."""
    return {name: recipe for name, recipe in RECIPES.items() if recipe.tool == tool}


def for_family(family):
    """The recipes of ``family``'s page, in table order."""
    return [recipe for recipe in RECIPES.values() if recipe.family == family]


def define_flag(tool):
    """Define ``--recipe`` (an absl flag) for ``tool``: the names of its recipes."""
    from absl import flags

    flags.DEFINE_enum("recipe", None, sorted(for_tool(tool)), "a paper's configuration (zoo.training.recipes): "
                      "sets every flag it names that the command line does not")


def apply_flags(tool):
    """Set the flags the ``--recipe`` names, except those given on the command line; returns the recipe (None
    without ``--recipe``). Dicts become JSON for string flags."""
    from absl import flags

    if not flags.FLAGS.recipe:
        return None
    recipe = get(flags.FLAGS.recipe)
    if recipe.tool != tool:
        raise ValueError(f"recipe {recipe.name!r} is for {recipe.tool}, not {tool}")
    for name, value in recipe.flags.items():
        flag = flags.FLAGS[name]
        if not flag.present:
            flag.value = json.dumps(value) if isinstance(flag.default, str) and isinstance(value, dict) else value
    return recipe
