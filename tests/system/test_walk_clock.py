"""Walking strides, and running strides without a flight (grounded), timed by their steps' shape
(device/walkclock.py), as the detector reports them: held until the samples the match needs
are in, and not lost at the end of the samples."""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from hinge.coach import replay
from hinge.common import capture, devpath
from hinge.common.capture import Capture
from hinge.dev import realscore as rs
from hinge.sim.simulate import simulate


def _cut(cap: Capture, t_end_ms: float) -> Capture:
    keep = cap.t_ms <= t_end_ms
    return Capture(cap.t_ms[keep], cap.acc_g[keep], cap.gyr_dps[keep], cap.comments)


@contextmanager
def _triggers_only():
    """Replays (CPython) inside this time walking strides by their triggers alone: the device's
    walkclock.stride_time finding nothing, as where its samples never come."""
    wc = devpath.import_device("detector").walkclock
    orig = wc.stride_time
    wc.stride_time = lambda *a: 0
    try:
        yield
    finally:
        wc.stride_time = orig


def test_walking_strides_are_timed_by_shape_held_and_flushed():
    sim = simulate("deep_walk", seed=1, minutes=1)
    o = {"mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"]}
    cap = sim.as_capture()
    full = replay.replay(cap, o).dicts("stride")
    with _triggers_only():
        trig = replay.replay(cap, o).dicts("stride")
    walks = [s for s in full if s["activity"] == "walking"]
    assert len(walks) >= 20
    # the same strides, at the same times, in their order, each once; only walking cadence differs
    t = [s["t_ms"] for s in full]
    assert t == sorted(t) and len(set(t)) == len(t) and t == [s["t_ms"] for s in trig]
    moved = [a["cadence_spm"] != b["cadence_spm"] for a, b in zip(full, trig)]
    assert all(not m for m, s in zip(moved, full) if s["activity"] != "walking" and not s["grounded"])
    assert np.mean([m for m, s in zip(moved, full) if s["activity"] == "walking"]) > 0.5
    for a, b in zip(full, trig):
        a, b = dict(a), dict(b)
        a.pop("cadence_spm")
        b.pop("cadence_spm")
        assert a == b
    # the capture cut 100 ms after a walking stride ends: that stride is still reported (the end
    # of the samples releases it), with the triggers' time (the match's samples never came)
    k = full.index(walks[len(walks) // 2])
    last = full[k]
    cut = replay.replay(_cut(cap, last["t_ms"] + 100.0), o).dicts("stride")
    assert cut[-1]["t_ms"] == last["t_ms"] and cut[-1]["cadence_spm"] == trig[k]["cadence_spm"]
    assert cut[:-1] == full[:k]
    # cut 600 ms after it: the match had its samples (200 ms) and replay's sample clock its
    # stamps (capture.sample_clock averages CLOCK_HALF = 32 either side, so a capture's last 32
    # samples, ~310 ms at this run's 104 Hz, are timed from fewer: cut at 400 ms, the match's last
    # samples were timed so and the stride read 0.1 spm apart), the stride reads as in the
    # whole run
    assert capture.CLOCK_HALF * 1000.0 / sim.truth["rate_hz"] + 200.0 < 600.0
    cut = replay.replay(_cut(cap, last["t_ms"] + 600.0), o).dicts("stride")
    assert cut[:k + 1] == full[:k + 1]


def test_running_strides_timed_trigger_to_trigger_are_timed_by_shape(real_dir):
    """A real slow jog (SisFall D03 SA06) that stays on the ground for some strides and on
    others finds a contact at one end only (a shallow flight on one side): those strides ran
    trigger to trigger, and take their steps' shape as a walk's do (held, same times); every
    other running stride keeps its contacts' cadence; the ones that flew are coached at their
    release, each cue at its stride's own time, after it."""
    cap = rs.sisfall_capture(real_dir, "D03", "SA06")
    full = replay.replay(cap, rs.SISFALL_MOUNT).dicts("stride")
    with _triggers_only():
        trig = replay.replay(cap, rs.SISFALL_MOUNT).dicts("stride")
    assert [s["t_ms"] for s in full] == [s["t_ms"] for s in trig]
    grounded = [k for k, s in enumerate(full) if s["activity"] == "running" and s["grounded"]]
    flew = [k for k, s in enumerate(full) if s["activity"] == "running" and not s["grounded"]]
    assert len(grounded) >= 5 and len(flew) >= 100
    assert np.mean([full[k]["cadence_spm"] != trig[k]["cadence_spm"] for k in grounded]) > 0.5
    moved = [k for k in flew if full[k]["cadence_spm"] != trig[k]["cadence_spm"]]
    assert 10 <= len(moved) <= len(flew) // 2, len(moved)
    for k in grounded + flew:
        a, b = dict(full[k]), dict(trig[k])
        a.pop("cadence_spm")
        b.pop("cadence_spm")
        assert a == b
    # the alert-prone config cues on this jog: each cue at a stride's time, right after it
    ev = replay.replay(cap, rs.alert_prone_config(rs.SISFALL_MOUNT)).dicts()
    cues = 0
    last = None
    for d in ev:
        if d["type"] == "stride":
            last = d
        elif d["type"] in ("alert", "clear"):
            cues += 1
            assert last is not None and d["t_ms"] == last["t_ms"], (d, last)
    assert cues >= 2
