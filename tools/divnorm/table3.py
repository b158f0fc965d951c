"""Reproduce the divisive-normalization paper's Table 3 comparison on Fashion-MNIST.

Trains CIFAR-quick with each normaliser for every seed (same schedule for all), skipping runs whose record
already exists, so an interrupted sweep resumes where it stopped. After every run it records result
``divnorm_table3`` (mean ± std of test accuracy over the seeds finished so far, beside the paper's CIFAR-10 column)
and draws docs/images/divnorm_table3.png.

    python tools/divnorm/table3.py                 # 10 variants x 3 seeds, 3 epochs each (about 90 min, 2 cores)
    python tools/divnorm/table3.py --results_only  # record the result from the finished runs
    python tools/divnorm/table3.py --replot        # redraw the figure from the recorded result
"""
from absl import app, flags

from zoo import benchmark, reporting
from zoo.divnorm import plots, table3
from zoo.divnorm.models import NORMALIZERS
from zoo.training import TrainConfig, train_classifier

FLAGS = flags.FLAGS
flags.DEFINE_list("variants", list(NORMALIZERS), "cifar-quick suffixes ('' is the baseline)")
flags.DEFINE_list("seeds", ["0", "1", "2"], "seeds; each variant is trained once per seed")
flags.DEFINE_integer("epochs", 3, "epochs per run")
flags.DEFINE_integer("batch_size", 100, "batch size")
flags.DEFINE_float("lr", 0.01, "initial learning rate (SGD, momentum 0.9)")
flags.DEFINE_string("lr_schedule", "piecewise", "learning-rate schedule (see zoo.training.schedules)")
flags.DEFINE_string("output", "runs/divnorm", "directory of the runs")
flags.DEFINE_string("results", str(reporting.RESULTS_DIR), "directory of recorded results ('' to only print)")
flags.DEFINE_string("plot", "docs/images/divnorm_table3.png", "the figure of the table")
flags.DEFINE_bool("results_only", False, "do not train; record the result from finished runs")
flags.DEFINE_bool("replot", False, "only redraw --plot from the recorded result in --results")


def record_results():
    """Record the result (and draw the figure) from the runs finished so far."""
    summary = table3.summarize(FLAGS.output, FLAGS.variants, FLAGS.seeds)
    if not summary:
        return
    plots.table3(summary, FLAGS.plot)
    benchmark.record("divnorm_table3", FLAGS.results, tables=[table3.table(summary)], figures=[FLAGS.plot],
                     data={"variants": summary}, notes=[
        f"CIFAR-quick (paper §5.1) with each normaliser before every convolutional ReLU, trained on the full "
        f"Fashion-MNIST training split (60,000 images, padded to 32×32, random crop + flip) for {FLAGS.epochs} "
        f"epochs at batch {FLAGS.batch_size}, SGD momentum 0.9, learning rate {FLAGS.lr} divided by 10 at 50% and "
        f"75% of the run, the same for every variant; test accuracy on the full test split (10,000), mean ± std over "
        f"seeds. Scale: {FLAGS.epochs} epochs instead of the paper's ~100k+ iterations at lr 1e-3, He-normal "
        "initialisation instead of Caffe's fixed stds (which assume 0–255 pixels). The last column is the paper's "
        "CIFAR-10 test accuracy (Table 3).", table3.claims(summary)])


def main(argv):
    del argv
    unknown = [v for v in FLAGS.variants if v not in NORMALIZERS]
    if unknown:
        raise app.UsageError(f"--variants has unknown entries {unknown}; choose from {list(NORMALIZERS)}")
    if FLAGS.replot:
        plots.table3(reporting.read_result("divnorm_table3", FLAGS.results)["data"]["variants"], FLAGS.plot)
        return
    if not FLAGS.results_only:
        for seed in FLAGS.seeds:  # seed-major, so a partial sweep has every variant at least once
            for variant in FLAGS.variants:
                if table3.record_path(FLAGS.output, variant, seed).exists():
                    continue
                print(f"== {table3.model_name(variant)} seed {seed}", flush=True)
                train_classifier(TrainConfig(
                    model=table3.model_name(variant), epochs=FLAGS.epochs, batch_size=FLAGS.batch_size, lr=FLAGS.lr,
                    lr_schedule=FLAGS.lr_schedule, seed=int(seed),
                    output=str(table3.run_dir(FLAGS.output, variant, seed)), verbose=2,
                    command=table3.train_command(FLAGS.output, variant, seed, FLAGS.epochs, FLAGS.batch_size,
                                                 FLAGS.lr, FLAGS.lr_schedule)))
                record_results()
    record_results()


if __name__ == "__main__":
    app.run(main)
