"""The optional coaching cues on simulated runs (device/coach.py through the replay): hip drop on the
``hip_drop`` run at the time its truth says, none on good-form runs at the default limits, and the
same events byte for byte on CPython and both micropython builds with every option on. Off, every
cue is what it was: ``tools/replay_golden.py`` (the digests of every scenario, crosscheck run and
real recording) did not move (README).
"""
import pytest

from hinge.coach import replay
from hinge.common import devpath
from hinge.sim.simulate import simulate


def _truth_first(truth, cfg):
    """When the truth's hip drop, taken with the device's definitions (in the log's 0.5-deg steps,
    each side smoothed as the median of its last three strides, the mean of two at the second;
    the worse side, on past the limit and on while above limit - hysteresis; the time held is
    that of the strides past the limit itself, coach.py), has held for alert_after_s of
    running."""
    half = devpath.import_device("logfmt").dyn_half_deg
    lim, hyst = cfg["hip_drop_max_deg"], cfg["hip_drop_hyst_deg"]
    held, on, sm, last = 0.0, False, [None, None], [[], []]
    for s in truth["strides"]:
        if s["activity"] != "running":
            held, on, sm, last = 0.0, False, [None, None], [[], []]
            continue
        for k, key in enumerate(("hip_drop_left_deg", "hip_drop_right_deg")):
            v = half(round((s[key] or 0) * 100)) / 100
            if v:
                last[k] = (last[k] + [v])[-3:]
                sm[k] = sorted(last[k])[1] if len(last[k]) == 3 else sum(last[k]) / len(last[k])
        worst = max(x for x in sm + [0.0] if x is not None)
        on = worst > (lim - hyst if on else lim)
        if not on:
            held = 0.0
        elif worst > lim:
            held += s["t1_ms"] - s["t0_ms"]
        if held >= cfg["alert_after_s"] * 1000:
            return s["t1_ms"]
    return None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hip_drop_cue_when_the_truth_says(seed):
    sim = simulate("hip_drop", seed=seed)
    res = replay.replay(sim.as_capture(), {"coach_hip_drop": True}, engine="micropython")
    t_truth = _truth_first(sim.truth, res.cfg)
    al = [d for d in res.dicts("alert") if d["reason"] == "hip_drop"]
    assert t_truth is not None and al
    # the detector's running starts 2 strides into the run and its values are smoothed: a few s
    assert abs(al[0]["t_ms"] - t_truth) <= 3000, (al[0]["t_ms"], t_truth)
    assert al[0]["side"] in ("left", "right") and al[0]["value_deg"] > res.cfg["hip_drop_max_deg"]
    # nothing else changed: the same events as with the cue off, but the hip-drop cues
    off = replay.replay(sim.as_capture(), {}, engine="micropython")
    assert [e for e in res.events if not (e[0] in (2, 3) and e[2] == 5)] == off.events


def test_hip_drop_cue_unmoved_by_the_lean_cues_of_the_same_strides():
    # upright buzzes every 10 s from the start (a lean limit no runner meets) queue ALERTs on the
    # very strides whose hip drop the optional cue reads: it must still read every stride's
    sim = simulate("hip_drop", seed=1, minutes=3.0)
    cap = sim.as_capture()
    o = {"coach_hip_drop": True, "hip_drop_max_deg": 10, "alert_repeat_s": 10}
    alone = replay.replay(cap, {**o, "coach_upright": False})
    both = replay.replay(cap, {**o, "lean_min_deg": 30})
    assert [d for d in both.dicts("alert") if d["reason"] == "upright"]

    def cues(r):
        return [(d["t_ms"], d["side"]) for d in r.dicts("alert") if d["reason"] == "hip_drop"]

    assert cues(alone) and cues(both) == cues(alone)


@pytest.mark.parametrize("name", ["good_form", "mixed", "trail"])
def test_no_hip_drop_or_tilt_cue_on_good_form_at_the_default_limits(name):
    sim = simulate(name, seed=2)
    res = replay.replay(sim.as_capture(), {"coach_hip_drop": True, "coach_tilt": True}, engine="micropython")
    assert not [d for d in res.dicts("alert") if d["reason"] in ("hip_drop", "tilt_swing")]


def test_every_option_on_same_events_on_every_engine():
    sim = simulate("hip_drop", seed=1, minutes=2.0)
    cap = sim.as_capture()
    over = {"coach_hip_drop": True, "coach_tilt": True, "tilt_swing_max_deg": 5.5, "coach_cadence": True,
            "cadence_target_spm": 185, "alert_repeat_s": 20}
    runs = {eng: replay.replay(cap, over, engine=eng).jsonl() for eng in ("cpython", *devpath.MP_ENGINES)}
    first = runs["cpython"]
    assert all(r == first for r in runs.values())
    reasons = {d["reason"] for d in replay.replay(cap, over, engine="micropython").dicts("alert")}
    assert {"hip_drop", "tilt_swing", "cadence"} <= reasons, reasons
