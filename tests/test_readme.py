"""Every ```python block of README.md runs: in order, in one namespace (a later block uses the names an earlier one
made), on the data embedded in the package. A failing block fails the test with the block's first line."""
import pathlib
import re
import traceback

import pytest

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def python_blocks(text):
    """The ``(line number, code)`` of every python block of ``text``, in order."""
    return [(text[:m.start()].count("\n") + 2, m.group(1)) for m in BLOCK.finditer(text)]


def test_the_readme_has_python_blocks():
    assert len(python_blocks(README.read_text())) >= 5


def test_every_readme_python_block_runs(capsys):
    namespace = {"__name__": "readme"}
    for line, code in python_blocks(README.read_text()):
        first = code.splitlines()[0]
        try:
            exec(compile(code, f"README.md:{line}", "exec"), namespace)
        except Exception:  # noqa: BLE001 - any error of a block fails the test, naming the block
            pytest.fail(f"the README block at line {line} ({first!r}) fails:\n{traceback.format_exc()}")
    output = capsys.readouterr().out
    assert "revnet-38.fashion_mnist:" in output  # the blocks printed their results


def test_python_blocks_are_found_with_their_line_numbers():
    text = "intro\n```python\nx = 1\n```\ntext\n```bash\nls\n```\n```python\ny = x\n```\n"
    assert python_blocks(text) == [(3, "x = 1\n"), (10, "y = x\n")]
