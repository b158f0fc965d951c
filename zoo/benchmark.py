"""Shared benchmark mechanics: median timing over repeats, fresh-process timing, the zoo's import and load times,
and recording a tool's result (:mod:`zoo.reporting`) with its figures."""
import os
import shlex
import statistics
import subprocess
import sys
import time

from zoo import reporting
from zoo.reporting import markdown_table

DOCS = "docs"
"""The docs directory, relative to the checkout (tools run from its root); recorded figure paths are relative to it."""


def median_seconds(fn, repeats=5, warmup=1):
    """Median wall time of ``fn()`` over ``repeats`` calls after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def fresh_process_seconds(code, repeats=5):
    """Median over ``repeats`` new Python processes of the float that ``code`` prints last."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    values = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        values.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(values)


_IMPORT = "import time; t = time.perf_counter(); import zoo; print(time.perf_counter() - t)"
_LOAD = ("import time, zoo; t = time.perf_counter(); zoo.load({name!r}, pretrained={pretrained}); "
         "print(time.perf_counter() - t)")


def load_times(architectures, pretrained_weights, repeats=5):
    """``(what, median seconds)`` of ``import zoo``, then of ``zoo.load`` of each architecture in fresh processes:
    its first weight in ``pretrained_weights`` (names ``ARCH.TAG``), or random weights where it has none."""
    rows = [("`import zoo`", fresh_process_seconds(_IMPORT, repeats))]
    for name in architectures:
        tags = sorted(w for w in pretrained_weights if w.startswith(name + "."))
        target, pretrained = (tags[0], True) if tags else (name, False)
        label = f"`zoo.load({target!r})`" + ("" if pretrained else " (random weights: no pretrained file)")
        rows.append((label, fresh_process_seconds(_LOAD.format(name=target, pretrained=pretrained), repeats)))
    return rows


def record(name, directory, tables=(), figures=(), notes=(), data=None, command=None):
    """Record a tool's result ``name`` (:func:`zoo.reporting.write_result`) in ``directory``, or print its notes and
    tables as markdown when ``directory`` is empty (a run that only shows its numbers).

    Args:
        name: the result's name, e.g. ``"sbnet_speed"``.
        directory: where results are kept (``docs/data/results`` in the checkout), or ``""``.
        tables, notes, data: as for :func:`zoo.reporting.write_result`.
        figures: paths of the images the run wrote (e.g. ``docs/images/x.png``), recorded relative to ``docs/``.
        command: the command line (default: this process's, ``python`` and ``sys.argv``).

    Returns:
        The path written, or ``None`` when only printed.
    """
    if not directory:
        print("\n\n".join([*notes, *(markdown_table(table.header, table.rows) for table in tables)]))
        return None
    command = command or shlex.join(["python", *sys.argv])
    figures = [os.path.relpath(figure, DOCS) for figure in figures]
    path = reporting.write_result(name, command, tables, figures, notes, data, directory=directory)
    print(f"recorded {path}")
    return path


def pyplot():
    """``matplotlib.pyplot`` on the file-only Agg backend (imported on first use: plotting is optional)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure, path, dpi=120):
    """Write ``figure`` to ``path`` (its directory created), close it, and return the path."""
    plt = pyplot()
    os.makedirs(os.path.dirname(str(path)) or ".", exist_ok=True)
    figure.savefig(path, dpi=dpi)
    plt.close(figure)
    return path
