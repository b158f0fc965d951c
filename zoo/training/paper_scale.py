"""What a recipe (:mod:`zoo.training.recipes`) costs at the paper's scale: floating-point operations per optimiser
step × steps ÷ the sustained throughput of a named GPU, in accelerator hours, with the arithmetic shown.

FLOPs are counted by TensorFlow's profiler (``float_ops``: a multiply-add is 2) on the frozen inference graph of
one example through the recipe's model, times the recipe's forward-pass equivalents per example and examples per
step (:class:`zoo.training.recipes.Cost`). The GPU's sustained rate is derived the same way from a published
training benchmark (:data:`GPU`): its images per second × 3 × the counted forward FLOPs of that benchmark's network.
Small networks (the CIFAR ones, a 28×28 Conv-4) keep a GPU far below that rate, so their hours are a floor.
"""
import dataclasses

from zoo import reporting


@dataclasses.dataclass(frozen=True)
class Accelerator:
    """A GPU's sustained training throughput as a published benchmark measured it."""

    name: str
    benchmark: str
    images_per_second: float
    network: str
    input_shape: tuple


GPU = Accelerator(
    name="NVIDIA A100 40GB (TF32)",
    benchmark="NVIDIA DeepLearningExamples, TensorFlow ResNet-50 v1.5 README, training performance on 1× A100 40GB "
              "(DGX A100), batch 256, TF32 + XLA: 909 images/s (mixed precision + XLA: 2,375)",
    images_per_second=909.0, network="ResNet50", input_shape=(224, 224, 3))
"""The GPU every page's hours refer to, at the precision the tools train in: float32, which an A100 computes as
TF32."""


def forward_flops(model, input_shape):
    """Floating-point operations of ``model`` (a Keras model) on one input of ``input_shape``, inference mode."""
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    function = tf.function(lambda x: model(x, training=False)).get_concrete_function(
        tf.TensorSpec((1, *input_shape), tf.float32))
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    graph = convert_variables_to_constants_v2(function).graph
    return float(tf.compat.v1.profiler.profile(graph, options=options).total_float_ops)


def sustained_flops(accelerator=GPU):
    """FLOP/s the accelerator sustains in training: its benchmark's images per second × 3 forward passes × the
    counted forward FLOPs of the benchmark's network."""
    import keras

    network = getattr(keras.applications, accelerator.network)(weights=None, input_shape=accelerator.input_shape)
    return accelerator.images_per_second * 3 * forward_flops(network, accelerator.input_shape)


def step_flops(cost):
    """FLOPs of one optimiser step of a :class:`~zoo.training.recipes.Cost`."""
    import importlib

    from zoo import registry

    if ":" in cost.model:
        module, function = cost.model.split(":")
        model = getattr(importlib.import_module(module), function)(**cost.kwargs)
    else:
        model = registry.build(cost.model, input_shape=tuple(cost.input_shape), **cost.kwargs)
    if cost.part:
        model = getattr(model, cost.part)()
    return cost.passes * cost.examples * forward_flops(model, cost.input_shape)


def estimate(recipe, rate):
    """``{"step_flops", "total_flops", "hours"}`` of ``recipe`` (every one of its runs) on an accelerator sustaining
    ``rate`` FLOP/s."""
    flops = step_flops(recipe.cost)
    total = flops * recipe.steps * recipe.runs
    return {"step_flops": flops, "total_flops": total, "hours": total / rate / 3600}


def table(recipes, rate, accelerator=GPU):
    """The paper-scale table of ``recipes`` (those with a cost): each one's command, the arithmetic of its hours on
    ``accelerator`` (sustaining ``rate`` FLOP/s), and the paper's result."""
    rows = []
    for recipe in recipes:
        if recipe.cost is None:
            continue
        cost, numbers = recipe.cost, estimate(recipe, rate)
        per_example = numbers["step_flops"] / cost.examples / cost.passes
        rows.append([f"`{recipe.command()}`",
                     f"{cost.passes:g} × {cost.examples:,} × {per_example / 1e9:.3g} GFLOP = "
                     f"{numbers['step_flops'] / 1e12:.3g} TFLOP",
                     f"{recipe.steps:,}" + (f" × {recipe.runs} runs" if recipe.runs > 1 else ""),
                     f"{numbers['total_flops']:.3g} ÷ {rate / 1e12:.3g} TFLOP/s",
                     _hours(numbers["hours"]), f"{recipe.paper_value:g} ({recipe.metric}; {recipe.paper_source})"])
    return reporting.Table(["command", "FLOPs per step (passes × examples × forward)", "steps", "FLOPs ÷ rate",
                            f"{accelerator.name.split(' (')[0]} hours", "the paper's result"], rows)


def rate_note(rate, accelerator=GPU):
    """How the sustained rate was obtained, with its arithmetic."""
    network = rate / accelerator.images_per_second / 3
    return (f"Sustained rate: {accelerator.name}, {rate / 1e12:.1f} TFLOP/s = {accelerator.images_per_second:,.0f} "
            f"images/s × 3 passes × {network / 1e9:.2f} GFLOP (keras.applications.{accelerator.network} forward, "
            f"counted the same way) — from {accelerator.benchmark}. FLOPs are TensorFlow profiler float_ops of one "
            "example's forward pass (a multiply-add is 2) × forward-pass equivalents per example (3 for a training "
            "step, 4 for a RevNet's, whose backward pass reconstructs) × examples per step. The tools train in float32 "
            "without XLA, a little below the benchmark's setting; mixed precision (the benchmark's other column) is "
            "2.6× faster. Networks much smaller than ResNet-50 keep a GPU far below this rate, so their hours are a "
            "floor; several GPUs divide the hours by their number at best.")


def _hours(hours):
    return f"{hours:.2g}" if hours < 10 else f"{hours:,.0f}"
