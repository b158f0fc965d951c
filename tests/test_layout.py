"""The package's layering: lower-level modules never import higher-level ones (checked on every import statement,
function-level ones included)."""
import ast
import pathlib

import pytest

ZOO = pathlib.Path(__file__).resolve().parent.parent / "zoo"
FAMILIES = ("resnet", "revnet", "divnorm", "reweight", "metaopt", "sbnet", "fewshot", "recattend", "ghn", "imageqa")
LOWER = ("zoo.data", "zoo.weights", "zoo.evaluation", "zoo.progress", "zoo.extras", "zoo.lazy", "zoo.registry",
         "zoo.tasks", "zoo.reporting", "zoo.benchmark", "zoo.layers.blocks")
HIGHER = ("zoo.training", "zoo.cli", *(f"zoo.{family}" for family in FAMILIES))


def module_name(path):
    parts = path.relative_to(ZOO.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path):
    """Every zoo module ``path`` imports (``from zoo import x`` counts as ``zoo.x``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name.startswith("zoo.")}


def within(name, prefixes):
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("path", sorted(ZOO.rglob("*.py")), ids=lambda p: module_name(p))
def test_lower_modules_do_not_import_higher_ones(path):
    name = module_name(path)
    if within(name, LOWER):
        upward = sorted(n for n in imported(path) if within(n, HIGHER))
        assert not upward, f"{name} imports {upward}"


def test_the_weights_module_needs_only_the_standard_library_and_the_progress_bar():
    assert imported(ZOO / "weights.py") <= {"zoo.progress.progress_bar"}
