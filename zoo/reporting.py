"""Results as data: what a ``tools/`` run measured, with the command, machine and date, kept as JSON under
``docs/data/results/`` and rendered into the docs pages (``make docs`` only renders; it never runs an experiment).

A tool calls :func:`write_result`; a page names the result with a line ``{{ result NAME }}`` (see
``docs/hooks/results.py``), which :func:`render` turns into markdown: the tables, the figures and a provenance line.
"""
import dataclasses
import datetime
import json
import os
import pathlib
import platform

RESULTS_DIR = pathlib.Path("docs/data/results")
"""Where :func:`write_result` keeps results, relative to the checkout (tools run from its root)."""


@dataclasses.dataclass(frozen=True)
class Table:
    """A table of a result: ``header`` (column names), ``rows`` (cell values, numbers already formatted as text)
    and an optional ``caption`` shown above it."""

    header: list
    rows: list
    caption: str = ""

    def __post_init__(self):
        widths = {len(row) for row in self.rows}
        if widths - {len(self.header)}:
            raise ValueError(f"every row must have {len(self.header)} cells like the header, got rows of {widths}")


def machine_description():
    """One line naming the machine a figure was measured on."""
    return f"{os.cpu_count()} CPU cores, {platform.machine()}, Python {platform.python_version()}"


def write_result(name, command, tables=(), figures=(), notes=(), data=None, directory=None):
    """Record a result as ``DIRECTORY/NAME.json`` (default :data:`RESULTS_DIR`), replacing an earlier one.

    Args:
        name: a file-name-safe identifier that pages refer to, e.g. ``"sbnet_segmentation"``.
        command: the command line that produced it.
        tables: :class:`Table` objects.
        figures: paths of images it wrote, relative to ``docs/`` (e.g. ``"images/sbnet_speedup.png"``).
        notes: short sentences stating the scale or setting of the numbers (not findings: those are on the page).
        data: the raw numbers behind the tables and figures (JSON-ready), so a figure can be redrawn from the record.

    Returns:
        The path written.
    """
    path = pathlib.Path(directory or RESULTS_DIR) / f"{name}.json"
    data = {"command": command, "machine": machine_description(), "date": datetime.date.today().isoformat(),
            "tables": [dataclasses.asdict(t) for t in tables], "figures": list(figures), "notes": list(notes),
            "data": data or {}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    return path


def read_result(name, directory=None):
    """The data :func:`write_result` recorded as ``NAME``; ``FileNotFoundError`` naming it if there is none."""
    path = pathlib.Path(directory or RESULTS_DIR) / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no recorded result {name!r} ({path}); run the tool that writes it")
    return json.loads(path.read_text())


def markdown_table(header, rows):
    """A markdown table from a header and rows of cells."""
    lines = ["| " + " | ".join(str(cell) for cell in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def render(data, figure_prefix=""):
    """Markdown of a recorded result: notes, each table with its caption, figures, and the provenance line.
    ``figure_prefix`` is prepended to figure paths (the relative path from the page to ``docs/``)."""
    parts = [" ".join(data["notes"])] if data["notes"] else []
    for table in data["tables"]:
        parts += ([f"*{table['caption']}*"] if table["caption"] else []) + [markdown_table(table["header"],
                                                                                          table["rows"])]
    parts += [f"![]({figure_prefix}{figure})" for figure in data["figures"]]
    parts.append(f"<small>Measured by `{data['command']}` on {data['machine']}, {data['date']}.</small>")
    return "\n\n".join(parts)
