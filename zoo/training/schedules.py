"""Learning-rate schedules by name, scaled to the length of a run."""
import keras

SCHEDULES = ("piecewise", "cosine", "constant")


def make_lr_schedule(name, base_lr, total_steps):
    """A learning-rate schedule over ``total_steps`` optimiser steps.

    Args:
        name: ``"piecewise"`` (the RevNet paper's CIFAR schedule — ÷10 at 40k and 60k of 80k steps — scaled
            to 50% and 75% of the run), ``"cosine"`` (cosine decay to 0), or ``"constant"``.
        base_lr: initial learning rate.
        total_steps: number of optimiser steps in the run.
    """
    if total_steps <= 0:
        raise ValueError(f"total_steps must be positive, got {total_steps}")
    if name == "piecewise":
        return keras.optimizers.schedules.PiecewiseConstantDecay(
            [total_steps // 2, (3 * total_steps) // 4], [base_lr, base_lr * 0.1, base_lr * 0.01])
    if name == "cosine":
        return keras.optimizers.schedules.CosineDecay(base_lr, total_steps)
    if name == "constant":
        return base_lr
    raise ValueError(f"lr_schedule must be one of {', '.join(SCHEDULES)}, got {name!r}")
