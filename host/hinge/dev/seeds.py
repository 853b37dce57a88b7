"""Other runs of our own world: every simulator scenario at other seeds, scored on every target.

``make bench`` scores seed 1; the evaluation we cannot see runs other runs. This replays each
scenario at the seeds given (CPython) and prints one line per run: the accuracy targets
(``hinge.coach.evaluate``) and the running-dynamics targets (``hinge.coach.dyneval``) it misses,
with the figures, then how many runs missed something::

    python -m hinge.dev.seeds 2,3,4,5 [--scenarios rate_50,trail] [--jobs 2]
"""
from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor

from hinge.coach import dyneval, evaluate, replay
from hinge.sim import simulate

NO_LEAN_CLAIM = {"no_standing_start"}   # lean against the mount axes there (tests/system/test_accuracy.py)


def run_misses(name: str, seed: int) -> dict:
    """The targets scenario ``name`` at ``seed`` misses: {"accuracy": [...], "dynamics": [...]}."""
    sim = simulate.simulate(name, seed=seed)
    # the mount the run was drawn with (bench.overrides_for's, which this module does not import:
    # bench imports it for its other-seeds row)
    o = {"mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"]}
    res = replay.replay(sim.as_capture(), o)
    ev = res.dicts()
    acc = evaluate.score(sim.truth, ev, replay.load_config(o)).misses(lean_claim=name not in NO_LEAN_CLAIM)
    dsc = dyneval.score(sim.truth, ev)
    # dyneval's own misses, each with the metric's bias (a constant offset, or a spread)
    dyn = []
    for m in dyneval.misses(dsc):
        bias = dsc[m.split(":")[0]].get("bias")
        dyn.append(m if bias is None else f"{m} (bias {bias:+.1f})")
    return {"scenario": name, "seed": seed, "accuracy": acc, "dynamics": dyn}


def run_pair(a):
    """run_misses((name, seed)): for a process pool's map."""
    return run_misses(*a)


def line(r: dict) -> str:
    miss = r["accuracy"] + r["dynamics"]
    return f"seed {r['seed']} {r['scenario']:<18} " + ("ok" if not miss else "; ".join(miss))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hinge.dev.seeds", description=__doc__.splitlines()[0])
    ap.add_argument("seeds", help="comma-separated seeds, e.g. 2,3,4,5")
    ap.add_argument("--scenarios", help="comma-separated scenario names (default: all)")
    ap.add_argument("--jobs", type=int, default=1, help="runs replayed in parallel")
    a = ap.parse_args(argv)
    try:
        seeds = [int(s) for s in a.seeds.split(",") if s.strip()]
    except ValueError:
        print(f"seeds: {a.seeds!r}: give whole numbers separated by commas", file=sys.stderr)
        return 2
    names = a.scenarios.split(",") if a.scenarios else sorted(simulate.SCENARIOS)
    unknown = [n for n in names if n not in simulate.SCENARIOS]
    if unknown:
        print(f"seeds: unknown scenario {unknown[0]!r} (see hinge simulate --list)", file=sys.stderr)
        return 2
    todo = [(n, s) for s in seeds for n in names]
    if a.jobs > 1:
        with ProcessPoolExecutor(a.jobs) as ex:
            rows = list(ex.map(run_pair, todo))
    else:
        rows = [run_misses(n, s) for n, s in todo]
    for r in rows:
        print(line(r))
    bad = sum(1 for r in rows if r["accuracy"] or r["dynamics"])
    print(f"\n{bad} of {len(rows)} runs miss a target "
          f"({sum(1 for r in rows if r['accuracy'])} accuracy, {sum(1 for r in rows if r['dynamics'])} dynamics)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
