"""Digest of the replay output of every simulator scenario and every recorded capture the tests use.

A refactoring of host/ or device/ that must not change a bit runs this before and after:

    .venv/bin/python tools/replay_golden.py > before.txt
    ... change ...
    .venv/bin/python tools/replay_golden.py > after.txt && diff before.txt after.txt

One line per input: its name, the sha256 of its ``hinge replay --jsonl`` output (CPython engine;
the tests hold the micropython builds to the same output) and the number of lines. The simulated
scenarios go through the CLI exactly as a user types them (``hinge simulate NAME --seed 1
--minutes 2``, then ``hinge replay FILE --jsonl``), so the digests of the capture's samples (not its comment lines, which name the
tool) and of its truth file are printed too;
the crosscheck runs and the real recordings go through their loaders. ``--quick`` leaves out
the real recordings; ``--without-dynamics`` digests the records with the running dynamics'
fields taken out (for a change to device/dynamics.py that must leave everything else alone).
"""
from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "host"))

SEED = 1
# the running dynamics' fields of a stride record (device/dynamics.py, hinge replay --jsonl)
DYNAMICS = ("tilt_swing_deg", "pushoff_pitch_deg", "hip_drop_left_deg", "hip_drop_right_deg", "vo_left_cm",
            "vo_right_cm", "gct_left_ms", "gct_right_ms")
WITHOUT_DYNAMICS = False
MINUTES = 2   # long enough for calibration, strides and at least the early alerts of every scenario


def _module(*names):
    """The first of ``names`` that imports (the module's place before and after a move)."""
    for n in names:
        try:
            return importlib.import_module(n)
        except ModuleNotFoundError as e:
            if not n.startswith(e.name or "\0"):
                raise
    raise ModuleNotFoundError(names[0])


def _hinge():
    """``hinge`` of this tree (not whichever one is installed)."""
    return [sys.executable, "-m", "hinge.cli"]


def _env():
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "host"), os.environ.get("PYTHONPATH", "")])}


def _digest(lines) -> str:
    if WITHOUT_DYNAMICS:
        lines = [_strip(ln) for ln in lines]
    text = "".join(line + "\n" for line in lines)
    return f"{hashlib.sha256(text.encode()).hexdigest()[:20]} {len(lines)}"


def _strip(line: str) -> str:
    try:
        rec = json.loads(line)
    except ValueError:
        return line
    if not isinstance(rec, dict):
        return line
    return json.dumps({k: v for k, v in rec.items() if k not in DYNAMICS}, separators=(",", ":"))


def simulated(out):
    hinge = _hinge()
    names = [ln.split()[0] for ln in subprocess.run(hinge + ["simulate", "--list"], capture_output=True, text=True,
                                                     check=True, env=_env()).stdout.splitlines() if ln.strip()]
    with tempfile.TemporaryDirectory(prefix="hinge-golden-") as td:
        for name in names:
            csv = Path(td) / f"{name}.csv"
            subprocess.run(hinge + ["simulate", name, "--out", str(csv), "--seed", str(SEED), "--minutes", str(MINUTES)],
                           capture_output=True, check=True, env=_env())
            data = [ln for ln in csv.read_text().splitlines() if not ln.startswith("#")]
            truth = hashlib.sha256(csv.with_suffix(".truth.json").read_bytes()).hexdigest()[:20]
            r = subprocess.run(hinge + ["replay", str(csv), "--jsonl"], capture_output=True, text=True, check=True,
                               env=_env())
            out(f"sim {name} capture={_digest(data)} truth={truth} replay={_digest(r.stdout.splitlines())}")


def crosscheck(out):
    xc = _module("hinge.dev.crosscheck", "hinge.crosscheck")
    if not xc.available():
        out("crosscheck: data not found")
        return
    for name in sorted(xc.sets()):
        out(f"crosscheck {name} replay={_digest(xc.run(name).jsonl())}")


def real(out):
    rd = _module("hinge.dev.realdata", "hinge.realdata")
    rs = _module("hinge.dev.realscore", "hinge.dev.realdata", "hinge.realdata")
    replay = _module("hinge.coach.replay", "hinge.replay")
    d = rd.data_dir()
    if not d.exists():
        out("real: data not found")
        return
    for act in rd.SISFALL_ACTIVITIES:
        for subj in rd.SISFALL_SUBJECTS:
            for prone in (False, True):
                res = rs.sisfall_replay(d, act, subj, prone=prone)
                out(f"real sisfall {act}_{subj}{' prone' if prone else ''} replay={_digest(res.jsonl())}")
    for trial in rd.mobgap_trials(d):
        cap = rd.mobgap(d, *trial)
        res = replay.replay(cap, rd.MOBGAP_MOUNT)
        out(f"real mobgap {'_'.join(trial)} replay={_digest(res.jsonl())}")
    cap, _ = rd.xio(d)
    out(f"real xio replay={_digest(replay.replay(cap).jsonl())}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="leave out the real recordings")
    ap.add_argument("--without-dynamics", action="store_true", help="digest the records without the running dynamics")
    a = ap.parse_args(argv)
    global WITHOUT_DYNAMICS
    WITHOUT_DYNAMICS = a.without_dynamics

    def out(line):
        print(line, flush=True)

    simulated(out)
    crosscheck(out)
    if not a.quick:
        real(out)


if __name__ == "__main__":
    main()
