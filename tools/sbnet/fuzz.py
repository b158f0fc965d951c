"""Long fuzz run of the SBNet ops: the properties of tests/sbnet/test_ops_fuzz.py with many random examples.

    python tools/sbnet/fuzz.py --examples=5000 --valid_examples=250 --seed=0 --children=4

Invalid arguments (bad attributes, sizes past MAX_ELEMENTS, values past int32, out-of-range indices, bad shapes,
colliding writes) must raise InvalidArgumentError or ValueError through the wrapper (native and pure TF) and the
raw op (eager and tf.function); valid geometries must give bit-identical values and gradients in both
implementations. Every batch runs in its own child process under an address-space limit, so a crash is counted
(and named) rather than ending the run. Prints the cases run per kind and whether any child ended by a signal;
exits with status 1 when one did or a property failed.
"""
import collections
import sys
import time
from pathlib import Path

from absl import app, flags

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests.sbnet.test_ops_fuzz holds the properties

from tests.sbnet import test_ops_fuzz as fuzz  # noqa: E402

EXAMPLES = flags.DEFINE_integer("examples", 5000, "invalid-argument cases in all (split over --children)")
VALID_EXAMPLES = flags.DEFINE_integer("valid_examples", 250, "valid-geometry cases per op (four ops), 0 for none")
SEED = flags.DEFINE_integer("seed", 0, "seed of the first child; child i uses seed + i")
CHILDREN = flags.DEFINE_integer("children", 4, "child processes for the invalid cases (one more for valid ones)")
DERANDOMIZE = flags.DEFINE_bool("derandomize", False, "use Hypothesis's fixed CI sequence instead of --seed")
HEADROOM_GIB = flags.DEFINE_float("headroom_gib", fuzz.ADDRESS_SPACE_HEADROOM / 2**30,
                                  "address space a child may map beyond what it holds after warming up, GiB")


def run_batches():
    """(label, child report) for every child: the invalid batches, then the valid one."""
    per_child = -(-EXAMPLES.value // CHILDREN.value)
    batches = [("invalid", "run_invalid", min(per_child, EXAMPLES.value - i * per_child), SEED.value + i)
               for i in range(CHILDREN.value) if EXAMPLES.value - i * per_child > 0]
    if VALID_EXAMPLES.value:
        batches.append(("valid", "run_valid", VALID_EXAMPLES.value, SEED.value))
    for label, function, examples, seed in batches:
        start = time.perf_counter()
        report = fuzz.run_in_child(function, examples, DERANDOMIZE.value, seed,
                                   headroom=int(HEADROOM_GIB.value * 2**30), timeout=24 * 3600)
        result = report["result"] or {"cases": report["cases_started"]}
        print(f"{label} child (seed {seed}): {result['cases']} cases in {time.perf_counter() - start:.0f} s, "
              f"ended by signal: {report['signal'] or 'no'}, exit status {report['returncode']}, "
              f"address-space limit {report.get('address_space_limit', 0) / 2**30:.1f} GiB", flush=True)
        yield label, report


def main(argv):
    del argv
    start = time.perf_counter()
    cases, kinds, outcomes = collections.Counter(), collections.Counter(), collections.Counter()
    signals, failures = [], []
    for label, report in run_batches():
        result = report["result"] or {}
        cases[label] += result.get("cases", report["cases_started"])
        kinds.update({f"{label}: {kind}": n for kind, n in result.get("kinds", {}).items()})
        outcomes.update(result.get("outcomes", {}))
        if report["signal"]:
            signals.append(f"{label}: {report['signal']} on {report['last_case']}\n{report['output_tail']}")
        elif report["returncode"] or not report["result"]:
            failures.append(f"{label}: exit status {report['returncode']}\n{report['output_tail']}")
        elif result.get("failure"):
            failures.append(f"{label}:\n{result['failure']}")
    print("\ncases per kind:")
    for kind, n in sorted(kinds.items()):
        print(f"  {n:6d}  {kind}")
    print("rejections per call path:")
    for how, n in sorted(outcomes.items()):
        print(f"  {n:6d}  {how}")
    print(f"\ncases run: {cases['invalid']} invalid, {cases['valid']} valid ({sum(cases.values())} in all) in "
          f"{time.perf_counter() - start:.0f} s")
    print(f"children ended by a signal: {len(signals) or 'none'}")
    for problem in signals + failures:
        print(f"\n{problem}")
    print(f"property failures: {len(failures) or 'none'}")
    return 1 if signals or failures else 0


if __name__ == "__main__":
    app.run(main)
