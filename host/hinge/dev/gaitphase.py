"""The energy phase of every step, as the detector measures it: do the steps bounce or trade?

``dynamics.step`` sums the forward acceleration times the vertical velocity over each step it
measures (``D_EP``): above zero the step bounces (running: slowest at mid-stance, where the force
peaks), below zero it trades forward speed for height (walking: a pendulum, fastest in double
support). A step the kernel counted as a flight (below 0.25 g for >= 20 ms) that trades is taken
back. A step that did not fly but bounces and sinks below 0.5 g (``dynamics._DIP``: a walk's
lowest force stays above it) is a grounded running step: a stride with two of them keeps a runner
running (``D_BN``, detector.py). This tool replays captures under CPython with a probe around
``dynamics.step`` and ``dynamics.stride_start`` (the device code itself, not a copy) and prints,
per group, how many steps flew and how many of those bounced, how many of all measured steps
bounced, how many were grounded bounces below 0.5 g, and how many strides had two::

    python -m hinge.dev.gaitphase                       # shared SisFall, crosscheck, simulator
    python -m hinge.dev.gaitphase --sisfall PATH/SisFall_dataset --jobs 2   # all 38 subjects

The whole SisFall dataset is not in the repository (see ``hinge.dev.sisfall_all`` for the mirror).
"""
from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from hinge.coach import replay
from hinge.common import devpath
from hinge.dev.bench import overrides_for

SIM_SCENARIOS = ("walk_breaks", "walk_jog", "deep_walk")


@contextmanager
def probe():
    """Record (t_ms, flew, ep, lowest force) of every step dynamics.step measures (ep 0: not
    measured), and (t_ms of its last step, D_BN) of every stride as the next one starts."""
    dyn = devpath.import_device("dynamics")
    kernel = devpath.import_device("kernel")
    orig, orig_start = dyn.step, dyn.stride_start
    rec: list[tuple[int, int, int, int]] = []
    strides: list[tuple[int, int]] = []

    def step(yb, d, ri, ks):
        flew = ks[kernel.S_FLEW]
        orig(yb, d, ri, ks)
        rec.append((ks[kernel.S_T], flew, d[dyn.D_EP], d[dyn.D_FLO]))

    def stride_start(d, ri):
        if rec:
            strides.append((rec[-1][0], d[dyn.D_BN]))
        orig_start(d, ri)

    dyn.step, dyn.stride_start = step, stride_start
    try:
        yield rec, strides
    finally:
        dyn.step, dyn.stride_start = orig, orig_start


def step_phases(cap, overrides) -> tuple[list[tuple[int, int, int, int]], list[tuple[int, int]]]:
    """(t_ms, flew 0/1, energy phase, lowest force Q12 g) of each measured step of ``cap``
    replayed with ``overrides``, and (t_ms, grounded bouncing steps) of each stride."""
    with probe() as (rec, strides):
        replay.replay(cap, overrides)
    return [r for r in rec if r[2] != 0], strides


def tally(steps, strides) -> list[int]:
    """[steps that flew, of them bouncing, measured steps, of them bouncing, steps that bounced
    below 0.5 g without a flight, strides, of them with two such steps]."""
    dyn = devpath.import_device("dynamics")
    return [sum(1 for _, f, _, _ in steps if f), sum(1 for _, f, e, _ in steps if f and e > 0),
            len(steps), sum(1 for _, _, e, _ in steps if e > 0),
            sum(1 for _, f, e, lo in steps if not f and e > 0 and lo < dyn._DIP),
            len(strides), sum(1 for _, b in strides if b >= 2)]


def _sisfall(args) -> tuple[str, list[int]]:
    from hinge.dev import realdata

    root, act, subj = args
    cap = realdata.sisfall(root, act, subj)
    who = "young" if subj.startswith("SA") else "older"
    what = "walks" if act in ("D01", "D02") else "jogs"
    return f"SisFall {who} {what}", tally(*step_phases(cap, realdata.SISFALL_MOUNT))


def _labelled(steps, t_ms_label) -> dict[str, list]:
    out: dict[str, list] = {}
    for s in steps:
        lab = t_ms_label(s[0])
        if lab:
            out.setdefault(lab, []).append(s)
    return out


def crosscheck_groups() -> dict[str, list[int]]:
    from hinge.dev import crosscheck as xc

    out = {}
    for name in xc.RUNS:
        cap = xc.capture(name)
        cfg = xc.config(name)
        tr = xc.truth(name)
        t0 = float(cap.t_ms[0])
        spans = [(t0 + 1000 * s["t0"], t0 + 1000 * s["t1"], s["label"]) for s in tr["strides"]]

        def label(t, spans=spans):
            return next((lab for a, b, lab in spans if a <= t < b and lab in ("walk", "run")), None)

        steps, strides = step_phases(cap, cfg)
        sl = _labelled(strides, label)
        for lab, st in _labelled(steps, label).items():
            out[f"crosscheck {name} {lab}"] = tally(st, sl.get(lab, []))
    return out


def simulator_groups(seed: int = 1) -> dict[str, list[int]]:
    from hinge.sim import simulate

    out = {}
    for name in SIM_SCENARIOS:
        sim = simulate.simulate(name, seed=seed)
        o = overrides_for(sim.truth)
        segs = sim.truth["segments"]

        def label(t, segs=segs):
            return next((s["activity"] for s in segs if s["t0_ms"] <= t < s["t1_ms"] and s["activity"] != "standing"), None)

        steps, strides = step_phases(sim.as_capture(), o)
        sl = _labelled(strides, label)
        for lab, st in _labelled(steps, label).items():
            out[f"simulator {name} {lab}"] = tally(st, sl.get(lab, []))
    return out


def sisfall_groups(root, jobs: int = 1) -> dict[str, list[int]]:
    from hinge.dev import sisfall_all

    if root is None:
        from hinge.dev import realdata

        root = str(realdata.data_dir())
        todo = [(root, a, s) for s in realdata.SISFALL_SUBJECTS for a in realdata.SISFALL_ACTIVITIES]
    else:
        todo = [(str(root), a, s) for a, s in sisfall_all.trials(root)]
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as ex:
            rows = list(ex.map(_sisfall, todo))
    else:
        rows = [_sisfall(t) for t in todo]
    out: dict[str, list[int]] = {}
    for key, t in rows:
        acc = out.setdefault(key, [0] * len(t))
        for k in range(len(t)):
            acc[k] += t[k]
    return out


def line(name: str, t: list[int]) -> str:
    def pct(a, b):
        return f"{100.0 * a / b:5.1f} %" if b else "    - "

    return (f"{name:<42} flew {t[0]:>6}  bounce {pct(t[1], t[0])}   measured {t[2]:>6}  bounce {pct(t[3], t[2])}"
            f"   grounded < 0.5 g bounce {t[4]:>5}   strides {t[5]:>5}  with two {t[6]:>4}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hinge.dev.gaitphase", description=__doc__.splitlines()[0])
    ap.add_argument("--sisfall", help="the whole dataset's SisFall_dataset folder (default: the four shared subjects)")
    ap.add_argument("--jobs", type=int, default=1, help="SisFall trials replayed in parallel")
    a = ap.parse_args(argv)
    if a.sisfall and not Path(a.sisfall).is_dir():
        print(f"gaitphase: {a.sisfall}: no such folder", file=sys.stderr)
        return 2
    groups = {**sisfall_groups(a.sisfall, a.jobs), **crosscheck_groups(), **simulator_groups()}
    for name, t in groups.items():
        print(line(name, t))
    return 0


if __name__ == "__main__":
    sys.exit(main())
