"""Learning-rate schedules by name, scaled to the length of a run."""
import keras

SCHEDULES = ("piecewise", "cosine", "constant")


def make_lr_schedule(name, base_lr, total_steps, boundaries=(), factor=0.1):
    """A learning-rate schedule over ``total_steps`` optimiser steps.

    Args:
        name: ``"piecewise"`` (× ``factor`` at each of ``boundaries``, optimiser steps; without them, the RevNet
            paper's CIFAR schedule — ÷10 at 40k and 60k of 80k steps — scaled to 50% and 75% of the run),
            ``"cosine"`` (cosine decay to 0), or ``"constant"``.
        base_lr: initial learning rate.
        total_steps: number of optimiser steps in the run.
        boundaries: the steps of a ``"piecewise"`` schedule's decays, increasing.
        factor: what each decay multiplies the rate by.
    """
    if total_steps <= 0:
        raise ValueError(f"total_steps must be positive, got {total_steps}")
    if name == "piecewise":
        if any(b <= a for a, b in zip(boundaries, boundaries[1:])) or any(b <= 0 for b in boundaries):
            raise ValueError(f"boundaries must be positive and increasing, got {list(boundaries)}")
        boundaries = list(boundaries) or [total_steps // 2, (3 * total_steps) // 4]
        return keras.optimizers.schedules.PiecewiseConstantDecay(
            boundaries, [base_lr * factor ** i for i in range(len(boundaries) + 1)])
    if boundaries:
        raise ValueError(f"boundaries are for the piecewise schedule, not {name!r}")
    if name == "cosine":
        return keras.optimizers.schedules.CosineDecay(base_lr, total_steps)
    if name == "constant":
        return base_lr
    raise ValueError(f"lr_schedule must be one of {', '.join(SCHEDULES)}, got {name!r}")
