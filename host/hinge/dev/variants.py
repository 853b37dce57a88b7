"""The crosscheck runs as other runners and other boards would give them, scored as the
independent evaluation scores them.

The four crosscheck captures (``../shared/data/crosscheck/``) are the one world here that Hinge did
not draw, and there are only four. Their truth (lean against the standing pose, rotation, cadence,
fault stretches; the host's time base) does not change under these transforms, so each variant is
scored against the same truth:

- exact: ``mirror`` (the runner's left-right twin: the sensor's left axis reflected; the gyro, an
  axial vector, as -M w), ``turned`` (the sensor turned by a right angle three ways, the
  config's mount axes turned with it), ``gyro bias`` (+1.5, -1.5, +1.0 deg/s on x, y, z: a warm gyro),
  ``clip pitched`` (the sensor pitched 20 deg either way about the body's left axis, the config
  left as it was: a clip on the lumbar curve; the standing pose takes it out), ``sensor 5 cm
  higher`` / ``8 cm further back`` (the clip elsewhere on the belt: on a rigid body a point ``r``
  away feels dw/dt x r + w x (w x r) more, from the gyro's own rate and its derivative);
- a cheaper board: ``drops`` (bursts of 2-6 samples lost, ~2 % of them by default: the issue's
  cheap board), ``dropouts`` (three of 0.5 s, at 30, 55 and 80 % of the run; the truth's gaps
  gain them, so the strides across them are not scored, as the evaluation does with its own),
  ``half rate`` (the mean of each two samples, as an IMU at half the output rate gives them:
  ``capture.block_mean``; only for runs at 90 Hz and up);
- ``started mid-run``: the board restarted (a brown-out, the button) on a landing, with no
  standing pose to go on from (replay keeps none; the board would take the one it kept): the
  capture starts at the first sample of >= 2.5 g from 40 % of the run on. The truth loses what
  came before, the restart counts as a change of activity (no stride within two of it is
  scored), and lean, then read against the mount's axes, is scored against the truth's
  ``lean_mount`` and printed, not judged: the accelerometer's zero-g offset along forward
  (0.02-0.04 g in these runs) is a lean no running stride can tell from the runner's, and only
  standing takes it out (README, "With no standing start"). Everything else is judged.

One line per run and variant: the figures, and the issue's targets it misses::

    python -m hinge.dev.variants [--runs x1_road_lever,x3_dropouts_50] [--drop-every 200] [--jobs 2]

``--cuts N`` instead starts each run N times at a random sample (seeded: ``score_cut``), 10-85 %
into it, whatever the runner is doing there (a turn, a walk, a stand), as a restart with nothing
calibrated would; scored as ``started mid-run``.

``--first K`` starts either at the K-th (``--random 50 --first 25``: boards 25-74, the ones after
the 25 that ``make bench`` and the README give).

``--harmonics`` instead gives each run a real pelvis's pitch: the crosscheck's pitch is a sine at
the step frequency (its 2nd and 3rd step harmonics 0.003-0.011 of its 1st), a real jogger's tips
twice a step (SisFall's jogs 0.07-2.49, tests/host/test_simulator.py). The pelvis, rigid, is
turned about the hip axis by its 2nd and 3rd step harmonics (``pitch_harmonics``) at the real
median or 90th percentile of their size (``HARMONIC_LEVELS``): the gyro gains the rate about the
body's left axis, the accelerometer the tilt and the lever's force, dw/dt x r + w x (w x r),
on the run's own lever. The stride's mean pitch (lean), its cadence and its fault stretches do
not change; its rotation does a little (a turn about the pelvis's own left axis, rolled by the
hip drop, moves its Cardan yaw by about the added pitch x the roll), so rotation is printed and
not judged there (``rot_claim``).

``--random N`` instead replays N random boards and wearers per run (seeded: ``random_variant``),
each with several of these at once: a clip off its nominal axes (pitched up to 25 deg either way,
rolled and turned up to 8), and each with its odds the clip elsewhere on the belt (3 cm lower to 5
higher, 4 cm nearer to 6 further back), a warm gyro (up to 2.5 deg/s an axis), gain
errors (up to 3 % an axis, both sensors), more noise (15 mg, 0.7 deg/s rms), an 8 g range, half
the rate, ~1.6 % of samples lost in bursts.
"""
from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from hinge.coach import replay
from hinge.common.capture import Capture, block_mean
from hinge.dev import crosscheck
from hinge.sim.body import G
from hinge.sim.geometry import mount_matrix
from hinge.sim.sensor import rigid_point_accel

# proper rotations (det +1) of the sensor frame: new = R @ old
TURNS = {"turned zxy": ((0, 0, 1), (1, 0, 0), (0, 1, 0)),
         "turned yaw 90": ((0, -1, 0), (1, 0, 0), (0, 0, 1)),
         "turned roll 90": ((1, 0, 0), (0, 0, -1), (0, 1, 0))}
GYRO_BIAS_DPS = (1.5, -1.5, 1.0)
# a clip on the lumbar curve sits pitched 10-30 deg off the mount's nominal axes
CLIP_PITCH = {"clip pitched +20": 20.0, "clip pitched -20": -20.0}
# The sensor elsewhere on the belt, (up, back) in m from where the run had it: a clip sits 8-15
# cm behind the hip joints' axis (Harrington et al. 2007) and anywhere from the sacrum to the top
# of the waistband above it (the crosscheck's runs: 10-13 cm behind, 4-6 cm above). 5 cm higher
# and 8 cm further back (its extremes: 9-11 cm above, 18-21 cm behind) are within a belt's reach.
LEVERS = {"sensor 5 cm higher": (0.05, 0.0), "sensor 8 cm further back": (0.0, 0.08)}
# A real pelvis's pitch harmonics (deg: the 2nd and 3rd step harmonics' amplitudes), running
# steps and walking steps apart: SisFall's quick jogs (D04, 36 people) and quick walks (D02, 38),
# median and 90th percentile, the gyro's rate about the body's left axis over each harmonic's
# angular frequency (stop 46). A walker's are a third of a jogger's: a jogger's on a walk would
# be no walk. The gyro at a waist also reads the belt's own rocking, which no lever carries, so
# as the rigid pelvis's pitch on the run's lever these are sizes at most (x1 at the 90th
# percentile: up to 1.4 g more along its up axis).
HARMONIC_LEVELS = {"median": {"run": (0.56, 0.31), "walk": (0.23, 0.13)},
                   "p90": {"run": (1.56, 1.62), "walk": (0.49, 0.34)}}
HARMONIC_RAMP_S = 0.5       # the harmonics come and go over a few steps, as a gait's pitch does
# a cheap board's dropouts (the issue: 0.3-0.5 s): three of 0.5 s, at these shares of the run
DROPOUT_S = 0.5
DROPOUT_AT = (0.3, 0.55, 0.8)
# a restart mid-run: from this share of the capture on, at the first landing this hard (a
# running landing reads 2-4 g at the waist; x4's brisk walk peaks at 1.65 g, its jog's top
# percent of samples past 2.4 g)
MIDRUN_AT = 0.4
MIDRUN_G = 2.5
VARIANTS = ("as is", "mirror", *TURNS, *CLIP_PITCH, *LEVERS, "gyro bias", "drops", "dropouts",
            "half rate", "started mid-run")


def axis_turn(axis, deg: float) -> np.ndarray:
    """The rotation matrix that turns vectors by ``deg`` about the unit vector ``axis``."""
    k = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    a = np.radians(deg)
    return np.eye(3) + np.sin(a) * k + (1.0 - np.cos(a)) * (k @ k)


def _axis_name(v) -> str:
    """A sensor axis's config name from its unit vector, e.g. (0, 0, -1) -> '-z'."""
    i = int(np.argmax(np.abs(v)))
    return ("+" if v[i] > 0 else "-") + "xyz"[i]


def lever_accel_g(t_ms, gyr_dps, r_m) -> np.ndarray:
    """What a sensor ``r_m`` (m, sensor axes) away on the same rigid body feels more, in g per
    sample: dw/dt x r + w x (w x r), with w the gyro's rate (rad/s) and dw/dt its time derivative
    over the capture's own timestamps (central differences, gaps included)."""
    w = np.radians(np.asarray(gyr_dps, float))
    dw = np.gradient(w, np.asarray(t_ms, float) / 1000.0, axis=0)
    return rigid_point_accel(dw, w, np.asarray(r_m, float)) / G


def dropouts(c: Capture) -> list[tuple[float, float]]:
    """The ``dropouts`` variant's lost stretches, (start, end) s in the capture's time."""
    t0, t1 = float(c.t_ms[0]) / 1000.0, float(c.t_ms[-1]) / 1000.0
    return [(t0 + f * (t1 - t0), t0 + f * (t1 - t0) + DROPOUT_S) for f in DROPOUT_AT]


def midrun_start(c: Capture) -> int:
    """The ``started mid-run`` variant's first sample: the first of >= MIDRUN_G from MIDRUN_AT
    of the capture on (that share's own sample if none is)."""
    t = np.asarray(c.t_ms, float)
    i = int(np.searchsorted(t, t[0] + MIDRUN_AT * (t[-1] - t[0])))
    hard = np.flatnonzero(np.linalg.norm(np.asarray(c.acc_g, float)[i:], axis=1) >= MIDRUN_G)
    return i + int(hard[0]) if len(hard) else i


def midrun_truth(tr: dict, t_start: float) -> dict:
    """The truth of a run restarted at ``t_start`` (s) with no standing pose: its strides from
    there on, lean against the mount's axes (``lean_mount``), the restart a change of activity
    (the scorer keeps two strides from it), the segments from there on."""
    st = [dict(s, lean=s["lean_mount"]) for s in tr["strides"] if s["t0"] >= t_start]
    segs = [dict(g, t0=max(g["t0"], t_start)) for g in tr["segments"] if g["t1"] > t_start]
    bounds = [{"t": t_start, "ramp": 0.0}] + [b for b in tr.get("boundaries", []) if b["t"] > t_start]
    return dict(tr, strides=st, segments=segs, boundaries=bounds)


def _capture(c: Capture, t, a, g) -> Capture:
    return Capture(t_ms=np.asarray(t, float), acc_g=np.asarray(a, float), gyr_dps=np.asarray(g, float),
                   comments=list(c.comments))


def drop_bursts(n: int, mean_every: float, first: int, seed: int = 7) -> np.ndarray:
    """Which of ``n`` samples a cheap board keeps: bursts of 2-6 lost, their starts a mean of
    ``mean_every`` samples apart (exponential), none before sample ``first``."""
    rng = np.random.default_rng(seed)
    keep = np.ones(n, bool)
    i = first
    while i < n:
        i += int(rng.exponential(mean_every))
        k = int(rng.integers(2, 7))
        keep[i:i + k] = False
        i += k
    return keep


def variant(c: Capture, cfg: dict, which: str, drop_every: float = 200.0) -> tuple[Capture, dict] | None:
    """Capture ``c`` (with config ``cfg``) as variant ``which``; None where it does not apply."""
    fw, left, up = mount_matrix(cfg["mount_up"], cfg["mount_forward"])   # the body axes in sensor coords
    t, a, g = c.t_ms, np.asarray(c.acc_g, float), np.asarray(c.gyr_dps, float)
    if which == "as is":
        return c, cfg
    if which == "mirror":
        m = np.eye(3) - 2 * np.outer(left, left)
        return _capture(c, t, a @ m.T, -(g @ m.T)), cfg
    if which in TURNS:
        r = np.array(TURNS[which], float)
        turned = dict(cfg, mount_up=_axis_name(r @ up), mount_forward=_axis_name(r @ fw))
        return _capture(c, t, a @ r.T, g @ r.T), turned
    if which in CLIP_PITCH:
        r = axis_turn(left, CLIP_PITCH[which])
        return _capture(c, t, a @ r.T, g @ r.T), cfg
    if which in LEVERS:
        dup, dback = LEVERS[which]
        return _capture(c, t, a + lever_accel_g(t, g, dup * up - dback * fw), g), cfg
    if which == "gyro bias":
        return _capture(c, t, a, g + np.array(GYRO_BIAS_DPS)), cfg
    if which == "drops":
        keep = drop_bursts(len(t), drop_every, int(10 * c.rate_hz))
        return _capture(c, t[keep], a[keep], g[keep]), cfg
    if which == "dropouts":
        keep = np.ones(len(t), bool)
        for a0, a1 in dropouts(c):
            keep &= ~((t >= a0 * 1000.0) & (t < a1 * 1000.0))
        return _capture(c, t[keep], a[keep], g[keep]), cfg
    if which == "half rate":
        return (block_mean(c, 2), cfg) if c.rate_hz >= 90 else None
    if which == "started mid-run":
        i = midrun_start(c)
        return _capture(c, t[i:], a[i:], g[i:]), cfg
    raise ValueError(f"unknown variant {which!r}")


def pitch_harmonics(c: Capture, cfg: dict, tr: dict, level: str, seed: int = 3) -> Capture:
    """Capture ``c`` of a crosscheck run (config ``cfg``, truth ``tr``) with the pelvis's pitch given
    its 2nd and 3rd step harmonics at ``level`` (HARMONIC_LEVELS), phases drawn from ``seed``: each
    sample's phase in its step from the truth's contacts, a walker's or a jogger's size by the
    truth's segment, nothing while standing. The pelvis turns about the hip axis, so the sensor at
    the run's lever ``r`` (truth hidden ``lever``: forward, left, up, m) feels the turn's tilt
    (the specific force turned back by it, to first order) and its lever's force."""
    fw, left, up = mount_matrix(cfg["mount_up"], cfg["mount_forward"])
    t = np.asarray(c.t_ms, float)
    ts = t / 1000.0
    ic = np.array(sorted({float(s["t0"]) for s in tr["strides"] if s["label"] in ("run", "walk")}))
    if len(ic) < 2:
        return c                             # no steps: no pitch of a step to add
    k = np.clip(np.searchsorted(ic, ts, side="right") - 1, 0, len(ic) - 2)
    span = ic[k + 1] - ic[k]
    # in gait: between two contacts of one bout (a step lasts 0.25-0.6 s; standing has none)
    gait = (ts >= ic[k]) & (ts < ic[k + 1]) & (span > 0.2) & (span < 0.7)
    frac = np.where(gait, (ts - ic[k]) / span, 0.0)
    run = np.zeros_like(ts, bool)
    for sg in tr["segments"]:
        if sg["label"] == "run":
            run |= (ts >= sg["t0"]) & (ts < sg["t1"])
    lv = HARMONIC_LEVELS[level]
    a2 = np.where(run, lv["run"][0], lv["walk"][0]) * gait
    a3 = np.where(run, lv["run"][1], lv["walk"][1]) * gait
    n = max(1, int(round(HARMONIC_RAMP_S * c.rate_hz)))
    ker = np.ones(n) / n
    a2, a3 = np.convolve(a2, ker, mode="same"), np.convolve(a3, ker, mode="same")
    p2, p3 = np.random.default_rng(seed).uniform(0, 2 * np.pi, 2)
    dth = np.radians(a2 * np.cos(4 * np.pi * frac + p2) + a3 * np.cos(6 * np.pi * frac + p3))
    w = np.gradient(dth, ts)                 # rad/s about the body's left axis
    dw = np.gradient(w, ts)
    lev = np.asarray(tr["hidden"]["lever"], float)
    r = lev[0] * fw + lev[1] * left + lev[2] * up          # sensor axes, m
    a = np.asarray(c.acc_g, float)
    a = a - dth[:, None] * np.cross(left, a)              # the force turned back by the pitch
    # the lever's force with the rate w about left added to the pelvis's own (the gyro's), less
    # what the run's sensor already felt from its own: dw x r + (W x (W x r) - w0 x (w0 x r))
    w0 = np.radians(np.asarray(c.gyr_dps, float))
    w1 = w0 + w[:, None] * left
    a = a + (rigid_point_accel(dw[:, None] * left, w1, r) - rigid_point_accel(np.zeros_like(w0), w0, r)) / G
    g = np.asarray(c.gyr_dps, float) + np.degrees(w)[:, None] * left
    return _capture(c, t, a, g)


def score_harmonics(name: str, level: str) -> dict:
    """Replay crosscheck run ``name`` with a real pelvis's pitch harmonics at ``level`` and score
    it (rotation printed, not judged: see the module docstring)."""
    cfg = crosscheck.config(name)
    tr = crosscheck.truth(name)
    cap = pitch_harmonics(crosscheck.capture(name), cfg, tr, level)
    sc = crosscheck.score(tr, replay.replay(cap, cfg).dicts(), cfg, name)
    misses = [m for m in sc.misses() if not m.startswith("rotation")]
    return {"run": name, "variant": f"pitch harm {level}", "row": sc.row(), "misses": misses, "lost": 0.0,
            "rot_claim": False}


def _harm_args(a):
    return score_harmonics(*a)


def random_variant(c: Capture, cfg: dict, k: int) -> tuple[Capture, str]:
    """Capture ``c`` as the ``k``-th random board and wearer (see the module's docstring), and
    what was done to it in words. The config stays as it was: the wearer did not say.

    Every draw is made first, in the order the earlier versions made them (a board drawn before
    the lever was added is the same board now), then applied in the order the world applies
    them: the wearer's (where the clip sits, how it is turned), then the sensor's errors, then the
    board's rate and losses."""
    rng = np.random.default_rng(1000 + k)
    fw, left, up = mount_matrix(cfg["mount_up"], cfg["mount_forward"])
    t, a, g = c.t_ms, np.asarray(c.acc_g, float), np.asarray(c.gyr_dps, float)
    p, r, y = rng.uniform(-25, 25), rng.uniform(-8, 8), rng.uniform(-8, 8)
    warm = rng.uniform(-2.5, 2.5, 3) if rng.random() < 0.5 else None
    gains = (rng.uniform(-0.03, 0.03, 3), rng.uniform(-0.03, 0.03, 3)) if rng.random() < 0.4 else None
    noise = (rng.normal(0, 0.015, a.shape), rng.normal(0, 0.7, g.shape)) if rng.random() < 0.4 else None
    clip8 = rng.random() < 0.4
    half = c.rate_hz >= 90 and rng.random() < 0.4
    drops = rng.random() < 0.5
    # the clip 3 cm lower to 5 cm higher and 4 cm nearer to 6 cm further back on the belt (LEVERS)
    lever = (rng.uniform(-0.03, 0.05), rng.uniform(-0.04, 0.06)) if rng.random() < 0.5 else None
    turn = axis_turn(up, y) @ axis_turn(fw, r) @ axis_turn(left, p)
    said = [f"clip pitch {p:+.0f} roll {r:+.0f} yaw {y:+.0f}"]
    if lever is not None:
        # the body's up and back in the sensor's axes before the clip turned, so turned with it
        a = a + lever_accel_g(t, g, lever[0] * up - lever[1] * fw)
        said.append(f"lever {round(100 * lever[0]):+d} up {round(100 * lever[1]):+d} back cm")
    a, g = a @ turn.T, g @ turn.T
    if warm is not None:
        g = g + warm
        said.append("warm gyro")
    if gains is not None:
        g = g * (1 + gains[0])
        a = a * (1 + gains[1])
        said.append("gains")
    if noise is not None:
        a = a + noise[0]
        g = g + noise[1]
        said.append("noise")
    if clip8:
        a = np.clip(a, -8, 8)
        said.append("8 g")
    out = _capture(c, t, a, g)
    if half:
        out = block_mean(out, 2)
        said.append("half rate")
    if drops:
        keep = drop_bursts(len(out.t_ms), 250, int(10 * out.rate_hz), seed=k)
        out = _capture(out, out.t_ms[keep], np.asarray(out.acc_g)[keep], np.asarray(out.gyr_dps)[keep])
        said.append("drops")
    return out, ", ".join(said)


def score_random(name: str, k: int) -> dict:
    """Replay crosscheck run ``name`` as the ``k``-th random board and wearer and score it."""
    cfg = crosscheck.config(name)
    cap, said = random_variant(crosscheck.capture(name), cfg, k)
    sc = crosscheck.score(crosscheck.truth(name), replay.replay(cap, cfg).dicts(), cfg, name)
    return {"run": name, "variant": f"random {k}", "said": said, "row": sc.row(), "misses": sc.misses(), "lost": 0.0}


def _random_args(a):
    return score_random(*a)


def score_variant(name: str, which: str, drop_every: float = 200.0) -> dict | None:
    """Replay crosscheck run ``name`` as variant ``which`` and score it (None: not applicable)."""
    src = crosscheck.capture(name)
    got = variant(src, crosscheck.config(name), which, drop_every)
    if got is None:
        return None
    cap, cfg = got
    tr = crosscheck.truth(name)
    if which == "dropouts":
        # the truth knows its gaps (strides overlapping one are not scored): these too
        tr = dict(tr, gaps=list(tr.get("gaps", [])) + [list(d) for d in dropouts(src)])
    if which == "started mid-run":
        tr = midrun_truth(tr, float(cap.t_ms[0]) / 1000.0)
    sc = crosscheck.score(tr, replay.replay(cap, cfg).dicts(), cfg, name)
    sc.lean_claim = which != "started mid-run"
    lost = 1.0 - len(cap.t_ms) / len(src.t_ms) if which == "drops" else 0.0
    return {"run": name, "variant": which, "row": sc.row(), "misses": sc.misses(), "lost": lost,
            "lean_claim": sc.lean_claim}


def score_cut(name: str, k: int) -> dict:
    """Crosscheck run ``name`` started at its ``k``-th random sample (10-85 % into it, seeded),
    nothing calibrated, scored as the ``started mid-run`` variant (lean against the mount's
    axes, printed, not judged)."""
    src = crosscheck.capture(name)
    cfg = crosscheck.config(name)
    t = np.asarray(src.t_ms, float)
    f = np.random.default_rng(500 + k).uniform(0.10, 0.85)
    i = int(np.searchsorted(t, t[0] + f * (t[-1] - t[0])))
    cap = _capture(src, t[i:], np.asarray(src.acc_g)[i:], np.asarray(src.gyr_dps)[i:])
    tr = midrun_truth(crosscheck.truth(name), t[i] / 1000.0)
    sc = crosscheck.score(tr, replay.replay(cap, cfg).dicts(), cfg, name)
    sc.lean_claim = False
    return {"run": name, "variant": f"cut {k} at {t[i] / 1000.0:.0f} s", "row": sc.row(), "misses": sc.misses(),
            "lost": 0.0, "lean_claim": False}


def _cut_args(a):
    return score_cut(*a)


def _args(a):
    return score_variant(*a)


def line(r: dict) -> str:
    w = r["row"]
    which = r["variant"] + (f" {100 * r['lost']:.1f} %" if r["variant"] == "drops" else "")
    lean = "lean" if r.get("lean_claim", True) else "lean vs mount axes (not judged)"
    rot = "rot" if r.get("rot_claim", True) else "rot (not judged)"
    figs = (f"cover {w['coverage_pct']:5.1f} {lean} {w['lean_med_abs_deg']:.2f}/{w['lean_p90_abs_deg']:.2f} "
            f"{rot} {w['rot_med_abs_deg']:.2f} cad {w['cad_med_abs_spm']:.2f}/{w['cad_p90_abs_spm']:.2f} "
            f"episodes {w['episodes_alerted']} false {w['false_alerts']} "
            f"walk/stand alerts {w['walk_stand_alerts']} walk->run {w['walk_called_running']}")
    said = f"  ({r['said']})" if r.get("said") else ""
    return f"{r['run']:<18} {which:<16} {figs}  " + ("ok" if not r["misses"] else "; ".join(r["misses"])) + said


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hinge.dev.variants", description=__doc__.splitlines()[0])
    ap.add_argument("--runs", help="comma-separated crosscheck runs (default: all four)")
    ap.add_argument("--drop-every", type=float, default=200.0,
                    help="mean samples between dropped bursts (default 200: ~2 %% lost)")
    ap.add_argument("--jobs", type=int, default=1, help="variants replayed in parallel")
    ap.add_argument("--random", type=int, default=0, metavar="N",
                    help="N random boards and wearers per run instead (several effects at once)")
    ap.add_argument("--cuts", type=int, default=0, metavar="N",
                    help="N random starts mid-run per run instead (nothing calibrated)")
    ap.add_argument("--harmonics", action="store_true",
                    help="instead: each run with a real pelvis's pitch harmonics (median and 90th percentile)")
    ap.add_argument("--first", type=int, default=0, metavar="K",
                    help="with --random or --cuts: start at the K-th (default 0)")
    a = ap.parse_args(argv)
    runs = crosscheck.pick_runs("variants", a.runs)
    if runs is None:
        return 2
    if a.drop_every < 10:
        print(f"variants: --drop-every {a.drop_every:g}: give at least 10 samples between bursts", file=sys.stderr)
        return 2
    if a.random < 0:
        print(f"variants: --random {a.random}: give a count of 0 or more", file=sys.stderr)
        return 2
    if a.cuts < 0:
        print(f"variants: --cuts {a.cuts}: give a count of 0 or more", file=sys.stderr)
        return 2
    if a.first < 0 or (a.first and not (a.random or a.cuts)):
        print(f"variants: --first {a.first}: give 0 or more, with --random or --cuts", file=sys.stderr)
        return 2
    if a.harmonics and (a.random or a.cuts):
        print("variants: --harmonics: give it alone, not with --random or --cuts", file=sys.stderr)
        return 2
    if a.harmonics:
        todo, fn = [(r, lv) for r in runs for lv in HARMONIC_LEVELS], _harm_args
    elif a.cuts:
        todo, fn = [(r, k) for r in runs for k in range(a.first, a.first + a.cuts)], _cut_args
    elif a.random:
        todo, fn = [(r, k) for r in runs for k in range(a.first, a.first + a.random)], _random_args
    else:
        todo, fn = [(r, v, a.drop_every) for r in runs for v in VARIANTS], _args
    if a.jobs > 1:
        with ProcessPoolExecutor(a.jobs) as ex:
            rows = [r for r in ex.map(fn, todo) if r]
    else:
        rows = [r for r in map(fn, todo) if r]
    for r in rows:
        print(line(r))
    bad = sum(1 for r in rows if r["misses"])
    print(f"\n{bad} of {len(rows)} variants miss a target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
