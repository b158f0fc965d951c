"""MkDocs hook: a line ``{{ result NAME }}`` in a page becomes the recorded result NAME (docs/data/results/NAME.json,
written by a tools/ script through zoo.reporting), rendered as markdown. A missing result fails the build."""
import pathlib
import re

from zoo import reporting

PLACEHOLDER = re.compile(r"^\{\{ result ([A-Za-z0-9_]+) \}\}$", re.MULTILINE)


def on_page_markdown(markdown, page, config, files):
    """Replace every result placeholder of ``page`` by the rendered result."""
    results = pathlib.Path(config["docs_dir"]) / "data" / "results"
    prefix = "../" * page.file.src_uri.count("/")

    def render(match):
        return reporting.render(reporting.read_result(match.group(1), results), figure_prefix=prefix)

    return PLACEHOLDER.sub(render, markdown)
