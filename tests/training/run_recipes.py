"""Run recipes of one tool in this process, on tfds mock data, eagerly:
``python tests/training/run_recipes.py TOOL MOCK RECIPE... -- FLAG...`` runs the tool's ``main`` once per recipe
with ``--recipe=RECIPE`` and the flags after ``--`` (which shrink the run to a couple of steps), every tfds split
holding MOCK random examples (a number) or the examples of ``as_dataset_fn`` MODULE:FUNCTION, and prints
``ran RECIPE`` after each."""
import importlib
import runpy
import sys

import tensorflow as tf
import tensorflow_datasets as tfds
from absl import flags


def main(argv):
    tool, mock = argv[0], argv[1]
    if ":" in mock:
        module, function = mock.split(":")
        mock = {"as_dataset_fn": getattr(importlib.import_module(module), function)}
    else:
        mock = {"num_examples": int(mock)}
    names, overrides = argv[2:argv.index("--")], argv[argv.index("--") + 1:]
    module = runpy.run_path(tool, run_name="recipe_test")  # defines the tool's flags
    tf.config.run_functions_eagerly(True)
    for name in names:
        flags.FLAGS.unparse_flags()
        flags.FLAGS([tool, f"--recipe={name}", *overrides])
        with tfds.testing.mock_data(**mock):
            module["main"]([])
        print(f"ran {name}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
