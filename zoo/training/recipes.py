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
    """The floating-point work of one optimiser step: ``passes`` forward-pass equivalents of the network ``model``
    on each of ``examples`` inputs of ``input_shape``.

    ``model`` is a registered architecture (built with ``input_shape`` and ``kwargs``) or ``"module:function"``
    returning a Keras model (called with ``kwargs``); ``part`` names a method of it that returns the network to
    count (e.g. the few-shot classifier's ``feature_extractor``). ``passes`` is 3 for ordinary training (the
    backward pass costs about twice the forward), 4 for a RevNet (the paper's count: the backward pass also
    reconstructs the activations).
    """

    model: str
    input_shape: tuple
    examples: int
    passes: float = 3.0
    kwargs: dict = dataclasses.field(default_factory=dict)
    part: str = ""


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
        steps: optimiser steps of one training run.
        cost: the work of one step (None where it is not a forward pass of a registered model).
        runs: training runs the recipe makes (seeds × settings).
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
    runs: int = 1
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


def _fewshot(source, model, shots, distractors, accuracy, table):
    """A recipe of the semi-supervised few-shot paper (§4): 5-way episodes (5 queries; M = 5 unlabeled per class in
    training, 20 at test; 5 distractor classes), Adam lr 1e-3 halved on a step grid, weight decay 5e-5, the paper's
    labeled fraction (Omniglot 10%, mini-ImageNet 40%), 600 test episodes."""
    omniglot = source == "omniglot"
    images = 5 * shots + 5 * 5 + (10 if distractors else 5) * 5
    short = {"protonet-conv4": "protonet", "soft-kmeans-conv4": "soft-kmeans",
             "soft-kmeans-cluster-conv4": "soft-kmeans-cluster", "masked-soft-kmeans-conv4": "masked"}[model]
    return Recipe(
        f"fewshot-{'omniglot' if omniglot else 'mini'}-{short}-{shots}shot{'-distractors' if distractors else ''}",
        "fewshot", "tools/fewshot/train.py",
        {"model": model, "source": source, "shots": shots, "distractors": distractors,
         "steps": 20_000 if omniglot else 200_000, "lr": 1e-3, "halvings": 4 if omniglot else 7,
         "weight_decay": 5e-5, "test_episodes": 600},
        f"5-way {shots}-shot test accuracy (%){' with distractors' if distractors else ''}", accuracy,
        f"semi-supervised few-shot paper, {table}", 20_000 if omniglot else 200_000,
        Cost(model, (28, 28, 1) if omniglot else (84, 84, 3), images, part="feature_extractor"),
        notes="Omniglot's learning rate is halved every 4,000 of 20,000 steps (the paper's grid starts at 4k but "
              "its later boundaries are not all given)." if omniglot else
              "mini-ImageNet is a 64/16/20-class split of imagenet2012 (600 images per class at 84×84, "
              "zoo.fewshot.sources.mini_imagenet), the learning rate halved every 25,000 of 200,000 steps.")


def _reweight_cifar(setup, dataset, accuracy, steps, boundaries, table):
    """A CIFAR recipe of the learning-to-reweight paper (§5.2): the method ("Ours") on 5 random splits, batch 100
    (clean batch 100), SGD momentum 0.9, lr 0.1 ÷10 at ``boundaries``, ResNet-32 with weight decay 2e-4, crop +
    flip."""
    classes = 10 if dataset == "cifar10" else 100
    return Recipe(
        f"reweight-{setup}-{dataset}", "reweight", "tools/reweight/experiments.py",
        {"setups": [setup], "dataset": dataset, "methods": "reweight", "seeds": ["0", "1", "2", "3", "4"],
         "noise": 0.4, "noisy_architecture": "resnet-32", "noisy_steps": steps, "noisy_lr": 0.1,
         "noisy_lr_schedule": "piecewise", "noisy_lr_boundaries": [str(b) for b in boundaries],
         "noisy_train_size": 0, "noisy_augment": True, "fine_tune_steps": 5000},
        f"{dataset.upper().replace('CIFAR', 'CIFAR-')} test accuracy (%), mean of 5 splits", accuracy,
        f"learning-to-reweight paper, {table}", steps,
        Cost("resnet-32", (32, 32, 3), 100, 9.0, {"num_classes": classes}), runs=5,
        notes=("The paper's backbone is WRN-28-10 (dropout 0.3), which the zoo does not have: the recipe trains "
               "ResNet-32. " if setup == "uniform" else "") + "A reweighted step costs about 3 ordinary ones (the "
              "paper's §3.4): 9 forward passes per example. `--methods=plain,plain+ft,random,clean_only` add the "
              "baselines (+FT: 5,000 steps on the clean set).")


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
    _reweight_cifar("uniform", "cifar10", 86.92, 60_000, (40_000, 50_000), "Table 1 (UniformFlip 40%)"),
    _reweight_cifar("uniform", "cifar100", 61.34, 60_000, (40_000, 50_000), "Table 1 (UniformFlip 40%)"),
    _reweight_cifar("background", "cifar10", 86.73, 80_000, (40_000, 60_000), "Table 2 (BackgroundFlip 40%)"),
    _reweight_cifar("background", "cifar100", 59.30, 80_000, (40_000, 60_000), "Table 2 (BackgroundFlip 40%)"),
    Recipe("reweight-imbalance-mnist", "reweight", "tools/reweight/experiments.py",
           {"setups": ["imbalance"], "dataset": "mnist", "methods": "reweight",
            "ratios": ["0.9", "0.95", "0.98", "0.99", "0.995"], "seeds": [str(s) for s in range(10)],
            "imbalance_steps": 8000, "imbalance_lr": 1e-3},
           "rise of the test error from the balanced set to 200:1 (0.995), percentage points (about)", 2.0,
           "learning-to-reweight paper, §5.1 and Fig. 2 (MNIST 4 vs 9, 10 random splits)", 8000,
           Cost("reweight-lenet", (32, 32, 1), 100, 9.0, {"num_classes": 2}), runs=50,
           notes="Batch 100, 8,000 steps at lr 1e-3 with momentum 0.9 (the official code's optimiser; the paper "
                 "says SGD), a balanced clean batch of 10. The network is the zoo's reweight-lenet (the paper's "
                 "LeNet: three 5×5 convolutions 16-32-64 and a 100-unit layer) with a 2-way softmax in place of the "
                 "paper's sigmoid output; MNIST is padded to 32×32."),
    Recipe("short-horizon-offline-mnist", "metaopt", "tools/metaopt/short_horizon.py",
           {"parts": ["offline"], "dataset": "mnist", "horizons": ["100", "1000", "5000", "20000"],
            "meta_steps": ["5000", "5000", "5000", "5000"], "offline_meta_lr": 0.01, "offline_initial_decay": 0.1,
            "full_run_steps": 20_000, "batch_size": 100},
           "orders of magnitude (log10) by which the learning rate meta-learned for a 100-step horizon falls short of "
           "the best full run's, at least", 2.0,
           "short-horizon-bias paper, abstract (\"too small a learning rate by multiple orders of magnitude, even "
           "with a moderately long time horizon (100 steps)\"); its figures give no table", 5000 * 26_100,
           Cost("mlp-100-100", (28, 28, 1), 100, 9.0), runs=1,
           notes="The MLP 784-100-100-10 with momentum 0.9 and α_t = α₀(1 + t/5000)^(−β) on MNIST, batch 100; 5,000 "
                 "Adam meta-steps (meta-lr 1e-2) of (log α₀, log β) from β = 0.1 for each horizon (the official "
                 "code's settings). Steps count every unrolled training step of the meta-optimisation (5,000 × "
                 "(100 + 1,000 + 5,000 + 20,000)); a forward-mode step with two hyper-parameters is taken as 9 "
                 "forward passes. The grid's full runs (21 × 20,000 steps) add about 0.3%. The paper's random search "
                 "of 2,500 schedules is the grid here."),
    _fewshot("omniglot", "protonet-conv4", 1, False, 94.62, "supervised ProtoNet baseline (as quoted by TPN)"),
    _fewshot("omniglot", "masked-soft-kmeans-conv4", 1, True, 97.30, "best Omniglot result with distractors"),
    _fewshot("mini_imagenet", "soft-kmeans-conv4", 1, False, 50.09, "miniImageNet table (TPN Table 9)"),
    _fewshot("mini_imagenet", "masked-soft-kmeans-conv4", 1, False, 50.41, "miniImageNet table (TPN Table 9)"),
    _fewshot("mini_imagenet", "masked-soft-kmeans-conv4", 5, False, 64.39, "miniImageNet table (TPN Table 9)"),
    _fewshot("mini_imagenet", "soft-kmeans-cluster-conv4", 1, True, 48.86, "miniImageNet table (TPN Table 9)"),
    _fewshot("mini_imagenet", "masked-soft-kmeans-conv4", 1, True, 49.04, "miniImageNet table (TPN Table 9)"),
    Recipe("ghn-cifar10", "ghn", "tools/ghn/train.py",
           {"dataset": "cifar10", "model": "ghn", "num_nodes": 7, "sweeps": 5, "hidden": 32, "cells_per_stage": 6,
            "channels": 32, "meta_batch": 1, "batch_size": 64, "steps": 210_000, "lr": 1e-3,
            "eval_architectures": 100},
           "Pearson's R between the accuracies of GHN-predicted weights and of trained networks, 100 unseen random "
           "architectures", 0.68, "GHN paper, Table 4 (Random-100)", 210_000,
           Cost("zoo.ghn.training:sample_network", (32, 32, 3), 64,
                kwargs={"num_nodes": 7, "stages": [6, 6, 6], "channels": 32, "image_channels": 3}),
           notes="GHN-1 as the paper trains it: a random architecture of 7-node cells every step (T = 5 sweeps, "
                 "hidden 32) in the 18-cell, F = 32 CIFAR-10 networks, Adam, 5,000 training images held out. The "
                 "paper gives no step count or batch size: the recipe takes GHN-2's 64 images a step and its 300 "
                 "epochs of the 45,000 training images (210k steps), with GHN-2's cosine schedule, weight decay and "
                 "clipping. The correlation needs the 100 architectures trained for the ground truth "
                 "(tools/ghn/ground_truth.py) and tools/ghn/search.py; this recipe trains the GHN and scores them. "
                 "The cost counts the sampled network's forward and backward passes (the GHN's own are small)."),
    Recipe("recattend-coco-zebra", "recattend", "tools/recattend/train.py",
           {"dataset": "coco", "category": "zebra", "image_size": 224, "max_instances": 10, "train_scenes": 0,
            "test_scenes": 0, "box_steps": 60_000, "full_steps": 30_000, "batch_size": 8, "lr": 1e-3,
            "lr_decay": 0.85, "decay_steps": 5000, "glimpses": 5,
            "model_overrides": {"box_filters": [8, 8, 16, 16, 32, 32, 64, 64], "lstm_units": 256,
                                "patch_size": [48, 48]}},
           "MWCov (%) on MS-COCO zebra images", 69.2, "recurrent-attention supplement, Table 1", 90_000,
           Cost("recattend", (224, 224, 3), 8, kwargs={"image_size": (224, 224), "max_steps": 11,
                                                      "box_filters": (8, 8, 16, 16, 32, 32, 64, 64),
                                                      "lstm_units": 256, "patch_size": (48, 48)}),
           notes="MS-COCO 2017 images with 1 to 10 zebras (tfds coco/2017_panoptic, zoo.recattend.sources) at "
                 "224×224, tested on the validation split's. The supplement gives Adam at 1e-3 × 0.85 every 5k "
                 "steps, batch 8, 5 glimpses, 48×48 patches and the box CNN 8-8-16-16-32-32-64-64 with an LSTM of "
                 "256; not the number of steps on COCO: the recipe pre-trains the box network for the official "
                 "code's 60k steps and trains the full model for 30k, the length the supplement's scheduled-"
                 "sampling constants (S = 10,000, S₂ = 2,885) are scaled from. The segmentation network keeps the "
                 "zoo's widths (16-32-64)."),
    Recipe("imageqa-cocoqa", "imageqa", "tools/imageqa/train.py",
           {"dataset": "coco", "feature_network": "VGG19", "feature_weights": "imagenet", "min_answer_count": 25,
            "models": ["bow", "lstm", "img-bow", "vis-lstm", "2vis-blstm"], "embedding_dim": 500, "hidden": 300,
            "batch_size": 100, "epochs": 100, "patience": 10, "lr": 1e-3},
           "FULL's answer accuracy (%) on COCO-QA's test questions", 57.84,
           "image-QA paper, COCO-QA results table (poster; FULL 0.5784)", 1,
           Cost("keras.applications:VGG19", (224, 224, 3), 123_287, 1.0, {"weights": None}),
           notes="COCO-QA generated from tfds coco_captions by the zoo's question generator (zoo.imageqa.coco: "
                 "objects, numbers, colours, locations; answers seen fewer than 25 times dropped, common ones "
                 "thinned), VGG-19's 4,096 fc7 features of every image, z-normalised; 500-d embeddings, 300 LSTM "
                 "units, batch 100, early stopping with patience 10, the best epoch kept. The paper trains with SGD "
                 "and per-layer rates; the recipe with Adam. The cost is the features' one pass over COCO's 123,287 "
                 "captioned images (the run's \"step\"): training the question models on the 4,096-d features "
                 "adds a few percent."),
    Recipe("sbnet-cityscapes", "sbnet", "tools/sbnet/train.py",
           {"dataset": "cityscapes", "steps": 20_000, "batch_size": 8, "lr": 1e-3, "test_scenes": 500,
            "timing_scenes": 100, "publish": False, "results": ""},
           "speed-up of the sparse network over its dense twin, batch 1 (×)", 2.03,
           "SBNet paper, Table 5 (SBNet + road mask, 75% sparse, LiDAR detection)", 20_000,
           Cost("sbnet-segnet-dense", (256, 512, 3), 8, kwargs={"num_classes": 19}),
           notes="The paper's own data (TOR4D LiDAR bird's-eye views) is not public; Cityscapes' street scenes "
                 "(tfds cityscapes/semantic_segmentation, manual download, zoo.sbnet.sources) are the nearest set "
                 "with a road and a foreground to compute on. The segmenter trains end to end in sparse mode on "
                 "the 19 classes at 256×512 with its mask network fitted to the foreground; the paper trains a "
                 "detector and gives no segmentation schedule, so the recipe keeps the zoo's (Adam, cosine decay "
                 "from 1e-3) for about 54 passes over the 2,975 training images. Evaluation: the 500 validation "
                 "images (mean IoU) and the batch-1 speed-up on 100 of them. The cost counts the dense twin: the "
                 "sparse network computes only where its mask is, so its hours are lower."),
    Recipe("short-horizon-online-mnist", "metaopt", "tools/metaopt/short_horizon.py",
           {"parts": ["online"], "dataset": "mnist", "online_steps": 50_000, "online_initial_lr": 0.1,
            "online_initial_momentum": 0.9, "batch_size": 100},
           "the same claim, online: meta-optimisation of (lr, momentum) ends below the hand-tuned schedule's rate "
           "(log10 orders, at least)", 2.0, "short-horizon-bias paper, abstract and online experiment", 50_000,
           Cost("mlp-100-100", (28, 28, 1), 100, 4.5), runs=2,
           notes="50,000 steps of batch 100; every 100 steps of the first half, 10 Adam meta-updates (step 0.01) "
                 "of (log effective lr, log(1 − μ)) through a 5-step look-ahead (the official code's); the "
                 "hand-tuned run: lr 0.1, momentum 0.9, 1e-4 from the midpoint. The look-ahead's forward-mode "
                 "steps add about half the training steps' work: 4.5 forward passes per example."),
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
