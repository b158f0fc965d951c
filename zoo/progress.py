"""Progress bars for anything a user waits on: downloads, building procedural data sets, long evaluations."""
import sys

from tqdm.auto import tqdm


def progress_bar(total, description, unit="it", show=None):
    """A ``tqdm`` bar on stderr of ``total`` steps (a context manager with ``update(n)``).

    Args:
        total: number of steps (or bytes, with ``unit="B"``, shown scaled: kB, MB).
        description: what is being done, shown before the bar.
        unit: the unit of a step.
        show: True or False forces the bar on or off; None shows it on a terminal or in a notebook, so logs and
            captured output stay clean.
    """
    if show is None:
        show = sys.stderr.isatty() or "ipykernel" in sys.modules
    return tqdm(total=total, desc=description, unit=unit, unit_scale=unit == "B",
                unit_divisor=1024 if unit == "B" else 1000, disable=not show, leave=False, dynamic_ncols=True)
