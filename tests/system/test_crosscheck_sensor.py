"""The crosscheck runs with more sensor error than they were made with: the truth does not change
(it is the pelvis's), so the detector must still meet the targets, and where the error is one the
standing pose shows, give the same lean as on the run as made.

- **a noisy rate sensor** (white noise on every gyro axis, 0.7 deg/s rms on top of the run's own
  0.2-0.4: a wide-band filter setting): standing still must still read as still, or the run is
  never calibrated and every lean is off by the pelvis's standing pitch (x2: 3.4 deg);
- **a zero-g offset along the vertical** (+-60 mg on the mount's up axis, a MEMS part's data-sheet
  limit): read against 1.06 g, a 10 deg lean would be 0.6 deg short;
- **a clip pitched 15 deg on the belt**: the standing pose is the lean's reference;
- **a short standing start** (the run's first seconds cut so 2.5 s of its standing are left, of
  which ~1.5 s still before the start's ramp): the still stretch that ended is the reference,
  not the mount's axes (x2's pelvis stands pitched 3.4 deg: every lean that far off);
- **a noisy, offset accelerometer** (60 mg on the up axis, 40 mg across, 20 mg rms white noise
  on every axis): standing reads ~1.06 g and single samples pass the stillness band's 1.12 g;
  the run must still be calibrated (x1 fell back to the mount's axes: lean 3.7 deg off).
"""
from __future__ import annotations

import functools
import json

import numpy as np
import pytest

from hinge.coach import replay
from hinge.common.capture import Capture
from hinge.dev import crosscheck as xc

RUNS = ("x1_road_lever", "x2_swivel_200")
LEAN_SAME_DEG = 0.1    # lean median with a standing-visible error vs without (the runs' own: 0.1-0.2)


def _axis(cfg, key):
    s = cfg[key]
    return "xyz".index(s[1]), (1.0 if s[0] == "+" else -1.0)


def _variant(cap: Capture, cfg: dict, kind: str, name: str, d) -> Capture:
    acc, gyr = cap.acc_g.copy(), cap.gyr_dps.copy()
    if kind == "gyro_noise":
        gyr += np.random.default_rng(5).normal(0.0, 0.7, gyr.shape)
    elif kind in ("up_offset+", "up_offset-"):
        i, sign = _axis(cfg, "mount_up")
        acc[:, i] += sign * (0.06 if kind.endswith("+") else -0.06)
    elif kind == "clip_pitch":
        up, _ = _axis(cfg, "mount_up")
        fw, _ = _axis(cfg, "mount_forward")
        lat = 3 - up - fw
        a = np.radians(15.0)
        rot = np.eye(3)
        i, j = [(1, 2), (2, 0), (0, 1)][lat]
        rot[i, i] = rot[j, j] = np.cos(a)
        rot[i, j], rot[j, i] = -np.sin(a), np.sin(a)
        acc, gyr = acc @ rot.T, gyr @ rot.T
    elif kind == "noisy_offset_acc":
        i, sign = _axis(cfg, "mount_up")
        off = np.full(3, 0.04)
        off[i] = sign * 0.06
        acc += off + np.random.default_rng(6).normal(0.0, 0.02, acc.shape)
    elif kind == "short_standing":
        tr = xc.truth(name, d)
        stand_end = next(s["t1"] for s in tr["segments"] if s["label"] == "stand")
        keep = cap.t_ms >= (stand_end - 2.5) * 1000.0
        return Capture(cap.t_ms[keep], acc[keep], gyr[keep], list(cap.comments))
    else:
        raise ValueError(kind)
    return Capture(cap.t_ms, acc, gyr, list(cap.comments))


@functools.cache
def _score(name, kind, d):
    cap, cfg = xc.capture(name, d), xc.config(name, d)
    if kind != "as_made":
        cap = _variant(cap, cfg, kind, name, d)
    res = replay.replay(cap, cfg, engine="cpython")
    return xc.score(xc.truth(name, d), res.dicts(), cfg, f"{name}:{kind}")


@pytest.mark.parametrize("kind", ["gyro_noise", "up_offset+", "up_offset-", "clip_pitch", "short_standing",
                                  "noisy_offset_acc"])
@pytest.mark.parametrize("name", RUNS)
def test_more_sensor_error_still_meets_the_targets(xc_dir, name, kind):
    sc = _score(name, kind, xc_dir)
    row = sc.row()
    print("\n" + json.dumps(row))
    missed = sc.misses()
    if kind == "clip_pitch":
        # the heading takes the pelvis's roll about the mount's forward axis: a clip pitched on
        # the belt lets a share of the hip drop into the rotation (README, The detector, 3.)
        missed = [m for m in missed if not m.startswith("rotation")]
    assert not missed, f"{name} {kind}: {missed}\n{json.dumps(row)}"


@pytest.mark.parametrize("kind", ["gyro_noise", "up_offset+", "up_offset-", "clip_pitch", "short_standing",
                                  "noisy_offset_acc"])
@pytest.mark.parametrize("name", RUNS)
def test_errors_the_standing_pose_shows_leave_the_lean_as_it_was(xc_dir, name, kind):
    made, varied = _score(name, "as_made", xc_dir), _score(name, kind, xc_dir)
    assert abs(varied.lean_med - made.lean_med) <= LEAN_SAME_DEG, (name, kind, made.lean_med, varied.lean_med)
