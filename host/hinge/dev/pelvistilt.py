"""What the crosscheck runs' rotation error is made of: the truth's pelvis frame against Hinge's.

The crosscheck's truth reads its yaw about its pelvis's own up axis, which stands pitched forward
of the vertical by the truth's ``hidden.p0_deg`` (0-3.5 deg on the four runs), with the clip's
misalignment on top (``hidden.misalign_deg``, its direction not given). The detector reads yaw
about the standing pose's vertical, the only up a sensor on the pelvis can see. A hip roll of
~15 deg a stride about a forward axis tipped by 3-6 deg reads tan(3-6 deg) x 15 = 0.8-1.6 deg of
yaw. Each run is replayed as is, with the detector's heading axis turned forward by p0, and by
p0 plus the misalignment (``heading_tilt``: a probe around the device's own
``Detector._set_up``, nothing copied), and its rotation median |error| printed: what is left
once the frames agree is the detector's::

    python -m hinge.dev.pelvistilt [--runs x2_swivel_200]

Not a detector change: no sensor sees that tilt, and a fixed guess would fit one simulator's
draws (README, the crosscheck's figures).
"""
from __future__ import annotations

import argparse
import math
import sys
from contextlib import contextmanager

from hinge.coach import replay
from hinge.common import devpath
from hinge.dev import crosscheck


@contextmanager
def heading_tilt(deg: float):
    """Replays under CPython inside this read the heading about the standing up axis turned
    forward by ``deg`` (the device's ``Detector._set_up`` wrapped: its (forward, up) turned about
    the body's left axis before it is stored)."""
    det = devpath.import_device("detector")
    orig = det.Detector._set_up
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))

    def tilted(self, f, u):
        orig(self, round(f * c + u * s), round(u * c - f * s))

    det.Detector._set_up = tilted
    try:
        yield
    finally:
        det.Detector._set_up = orig


def score_tilt(name: str) -> dict:
    """Run ``name``'s rotation median |error| (deg) with the heading axis as the detector has it,
    turned forward by the truth's pelvis tilt p0, and by p0 plus the clip's misalignment."""
    cfg = crosscheck.config(name)
    tr = crosscheck.truth(name)
    cap = crosscheck.capture(name)
    p0 = float(tr["hidden"]["p0_deg"])
    mis = float(tr["hidden"]["misalign_deg"])
    out = {"run": name, "p0_deg": p0, "misalign_deg": mis}
    for key, deg in (("as_is", 0.0), ("p0", p0), ("p0_misalign", p0 + mis)):
        with heading_tilt(deg):
            sc = crosscheck.score(tr, replay.replay(cap, cfg).dicts(), cfg, name)
        out[key] = round(sc.rot_med, 2)
    out["truth_med"] = round(sc.rot_truth_med, 1)
    return out


def line(t: dict) -> str:
    return (f"{t['run']:<18} p0 {t['p0_deg']:4.1f} misalign {t['misalign_deg']:3.1f}  rot {t['as_is']:.2f} / "
            f"{t['p0']:.2f} / {t['p0_misalign']:.2f}  (truth {t['truth_med']:.1f})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hinge.dev.pelvistilt", description=__doc__.splitlines()[0])
    ap.add_argument("--runs", help="comma-separated crosscheck runs (default: all four)")
    a = ap.parse_args(argv)
    runs = crosscheck.pick_runs("pelvistilt", a.runs)
    if runs is None:
        return 2
    print("rotation median |error| (deg), the heading axis as is / turned forward by the truth's pelvis tilt p0 /"
          " by p0 + the clip's misalignment")
    for r in runs:
        print(line(score_tilt(r)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
