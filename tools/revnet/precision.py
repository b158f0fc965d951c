"""RevNet under mixed precision: reconstruction and gradient errors of a reversible stack under float32,
mixed_float16 and mixed_bfloat16; records result ``revnet_mixed_precision``.

    python tools/revnet/precision.py
"""
from absl import app, flags

from zoo import benchmark, reporting
from zoo.revnet import precision

BLOCKS = flags.DEFINE_integer("blocks", 8, "reversible units in the stack")
FILTERS = flags.DEFINE_integer("filters", 16, "channels of the stack")
SEEDS = flags.DEFINE_integer("seeds", 4, "seeds (weights and inputs); the table shows the largest error")
OUTPUT = flags.DEFINE_string("output", str(reporting.RESULTS_DIR), "directory of recorded results ('' to only print)")


def main(argv):
    del argv
    table, raw = precision.precision_table(range(SEEDS.value), num_blocks=BLOCKS.value, filters=FILTERS.value)
    benchmark.record("revnet_mixed_precision", OUTPUT.value, tables=[table], data=raw, notes=[
        f"A RevStack of {BLOCKS.value} basic units, {FILTERS.value} channels, batch 8 of 16×16 standard-normal "
        f"inputs, training mode, largest error over {SEEDS.value} seeds. The channel halves and their additions stay "
        "in float32 under both mixed policies (F and G compute in the low-precision dtype). Errors are relative to "
        "the largest magnitude: of the inputs (reconstruction) or of each weight's gradient (the others)."])


if __name__ == "__main__":
    app.run(main)
