"""Shared benchmark mechanics: median timing over repeats, fresh-process timing, and docs table writing."""
import datetime
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time


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


def machine_description():
    """One line naming the machine a figure was measured on."""
    return f"{os.cpu_count()} CPU cores, {platform.machine()}, Python {platform.python_version()}"


def write_section(path, title, body, command):
    """Replace (or append) the ``## title`` section of the markdown file at ``path``.

    The section records the command that produced it, the machine and the date before ``body``.
    """
    path = pathlib.Path(path)
    text = path.read_text() if path.exists() else f"# {path.stem.title()}\n"
    stamp = (f"Command: `{command}`  \nMachine: {machine_description()}  \n"
             f"Date: {datetime.date.today().isoformat()}\n\n")
    section = f"## {title}\n\n{stamp}{body.rstrip()}\n"
    start = text.find(f"## {title}\n")
    if start < 0:
        text = text.rstrip() + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + ("" if end < 0 else text[end:])
    path.write_text(text if text.endswith("\n") else text + "\n")


def markdown_table(header, rows):
    """A markdown table from a header tuple and row tuples."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def pyplot():
    """``matplotlib.pyplot`` on the file-only Agg backend (imported on first use: plotting is optional)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
