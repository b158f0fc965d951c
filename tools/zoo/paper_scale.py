"""Record each paper's paper-scale table: every recipe's command, its accelerator hours (FLOPs per step × steps ÷
a named GPU's sustained throughput, the arithmetic shown) and the paper's result, as result paper_scale_FAMILY
(shown in the "Paper scale" section of docs/papers/FAMILY.md).

    python tools/zoo/paper_scale.py                       # every family with recipes
    python tools/zoo/paper_scale.py --families=revnet --results=   # print only
"""
from absl import app, flags

from zoo import benchmark, reporting
from zoo.training import paper_scale, recipes

FLAGS = flags.FLAGS
flags.DEFINE_list("families", sorted({r.family for r in recipes.RECIPES.values()}), "families to record")
flags.DEFINE_string("results", str(reporting.RESULTS_DIR), "directory of recorded results ('' to only print)")


def main(argv):
    del argv
    rate = paper_scale.sustained_flops()
    for family in FLAGS.families:
        family_recipes = recipes.for_family(family)
        notes = [paper_scale.rate_note(rate)]
        notes += [f"`{r.name}`: {r.notes}" for r in family_recipes if r.notes]
        benchmark.record(f"paper_scale_{family}", FLAGS.results, tables=[paper_scale.table(family_recipes, rate)],
                         notes=notes)


if __name__ == "__main__":
    app.run(main)
