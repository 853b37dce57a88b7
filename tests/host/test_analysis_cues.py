"""The optional cues on the host (device/coach.py: hip drop, tilt swing, cadence; device/drift.py:
form drift): the analysis replays them through the device's own coach and drift cue, and the
report, the FIT export and the watch pages show a cue when it was on (or fired), never otherwise.

Two kinds of input: the detector's own events (values whole, as a log's long records keep them),
and session logs the unchanged firmware wrote on the virtual board (short records: hip drop and
tilt swing in 0.5 deg, logfmt.py). Either way the replay gives the board's alerts one for one:
the board's coach and drift cue judge those two in the short record's steps.
"""
import datetime as dt
import re

import numpy as np
import pytest
from cliutil import run_cli

from hinge.coach import replay
from hinge.common.devpath import import_device
from hinge.logs import analysis, dyncols, logdecode
from hinge.report import figures, words
from hinge.report import html as rhtml
from hinge.report import text as rtext
from hinge.sim.simulate import simulate
from hinge.virtual import vrun
from hinge.watch import fitexport, fitread

ev = import_device("events")
T0 = int(dt.datetime(2026, 6, 14, 7, 30, 0, tzinfo=dt.timezone.utc).timestamp())  # the board's RTC at the start


def _mount(sim):
    return {"mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"]}


def _strides_of(events) -> np.ndarray:
    """The detector's STRIDE and DYN events as a decoded log's stride array, at full resolution
    (the log's long records: values in cdeg)."""
    rows = []
    for e in events:
        if e[0] == ev.EV_STRIDE:
            rows.append(tuple(e[1:8]))
        elif e[0] == ev.EV_DYN and rows and rows[-1][0] == e[1]:
            rows[-1] = rows[-1][:7] + dyncols.long_record(list(e[2:8]))
    return logdecode._stride_array(rows)


def _cues(events, kind=ev.EV_ALERT):
    return [(e[1], ev.REASON_NAMES[e[2]], e[3]) for e in events if e[0] == kind]


# ---- the replay is the board's coach -----------------------------------------------------------
@pytest.mark.parametrize("scenario, minutes, over, expect", [
    ("hip_drop", 3.0, {"coach_hip_drop": True, "coach_tilt": True, "tilt_swing_max_deg": 5.5, "coach_cadence": True,
                       "cadence_target_spm": 185, "alert_repeat_s": 20}, {"hip_drop", "tilt_swing", "cadence"}),
    # the cadence target from the run's own baseline (+5 %), the drift cue from its own baseline
    ("mixed", 8.0, {"coach_cadence": True, "cadence_baseline_min": 2, "coach_drift": True, "drift_baseline_min": 2,
                    "drift_after_s": 60, "drift_repeat_s": 60, "drift_lean_deg": 1.0}, {"cadence", "drift"}),
])
def test_replay_gives_the_detectors_optional_cues(scenario, minutes, over, expect):
    sim = simulate(scenario, seed=1, minutes=minutes)
    res = replay.replay(sim.as_capture(), {**_mount(sim), **over})
    s = _strides_of(res.events)
    state = {}
    fault, replayed = analysis.replay_coach(s, res.cfg, state=state)
    board = _cues(res.events)
    assert expect <= {r for _, r, _ in board}, board
    assert replayed == board
    # the state per stride: on at the stride of each of the board's alerts, off at each clear's
    at = {int(t): i for i, t in enumerate(s["t_ms"])}
    for kind, on in ((ev.EV_ALERT, True), (ev.EV_CLEAR, False)):
        for t, r, _ in _cues(res.events, kind):
            assert fault[r][at[t]] == on, (t, r, kind)
    targets = {e[7] / 10 for e in res.events if e[0] == ev.EV_ALERT and e[2] == ev.R_CADENCE}
    assert targets == {state["cadence_target_spm"]}


def test_replay_without_the_cues_has_no_such_fault():
    sim = simulate("hip_drop", seed=1, minutes=2.0)
    res = replay.replay(sim.as_capture(), _mount(sim))
    fault, replayed = analysis.replay_coach(_strides_of(res.events), res.cfg)
    assert replayed == _cues(res.events)
    assert not any(fault[r].any() for r in analysis.OPTIONAL_REASONS)


def test_replay_leaves_out_grounded_strides_as_the_board_does():
    """A real slow jog (SisFall D03_SA06: a flight on ~78 % of the steps) has running strides
    without a flight; the board does not coach them (the first strides of a walk look so) and
    flags them in the log. The replay reads the flag: its alerts are the board's, and without
    it they are not (an alert-prone config: a repeat falls due in such a stride)."""
    from hinge.dev import realdata, realscore

    cap = realdata.sisfall(realdata.data_dir(), "D03", "SA06")
    cfg = {**realscore.SISFALL_MOUNT, "lean_min_deg": 12, "swivel_max_deg": 5, "alert_after_s": 3,
           "alert_repeat_s": 10}
    res = replay.replay(cap, cfg)
    s = _strides_of(res.events)
    grounded = s["grounded"]
    assert grounded.sum() >= 3 and (s["activity"][grounded] == ev.ACT_RUNNING).all()
    board = _cues(res.events)
    assert len(board) >= 5
    assert analysis.replay_coach(s, res.cfg)[1] == board
    blind = s.copy()
    blind["grounded"] = False
    assert analysis.replay_coach(blind, res.cfg)[1] != board


def test_a_strides_lean_and_rotation_come_in_the_logs_steps():
    """The detector reports a stride's lean and rotation in the steps the log's short STRIDE keeps
    (0.1 and 0.2 deg): the log loses nothing of them, and the coach judged the values a replay
    of the log reads."""
    fmt = import_device("logfmt")
    sim = simulate("too_upright", seed=2, minutes=1.5)
    res = replay.replay(sim.as_capture(), _mount(sim))
    st = [d for d in res.dicts() if d["type"] == "stride"]
    assert len(st) > 50
    lean = np.array([round(d["lean_deg"] * 100) for d in st])
    rot = np.array([round(d["rotation_deg"] * 100) for d in st])
    assert (lean % fmt.LEAN_Q == 0).all() and (rot % fmt.ROT_Q == 0).all()
    assert len(set(lean.tolist())) > 10 and len(set(rot.tolist())) > 10


def test_the_coach_judges_tilt_swing_and_hip_drop_in_the_logs_steps():
    """dynamics.py hands the coach and drift.py a stride's tilt swing and hip drop per side (and
    their mean) by logfmt.dyn_half_deg's rule (the short STRIDE's 0.5 deg steps, computed again
    in viper there), and its DYN event keeps them whole."""
    fmt = import_device("logfmt")
    dyn = import_device("dynamics")
    seen = {}
    orig = dyn.Dynamics.stride_end

    def hook(self, q, t, yb, ri):
        orig(self, q, t, yb, ri)
        seen[t] = tuple(self.d[k] for k in (dyn.D_QSW, dyn.D_QDL, dyn.D_QDR, dyn.D_QDM))

    sim = simulate("hip_drop", seed=3, minutes=1.5)
    dyn.Dynamics.stride_end = hook
    try:
        res = replay.replay(sim.as_capture(), _mount(sim))
    finally:
        dyn.Dynamics.stride_end = orig
    whole = {e[1]: (e[2], e[4], e[5]) for e in res.events if e[0] == ev.EV_DYN}
    assert len(whole) > 50 and set(whole) <= set(seen)
    for t, (sw, dl, dr, drop) in seen.items():
        if t in whole:
            assert (sw, dl, dr) == tuple(fmt.dyn_half_deg(v) for v in whole[t]), (t, whole[t])
            assert drop == ((dl + dr) >> 1 if dl and dr else 0)
        else:
            assert (sw, dl, dr, drop) == (0, 0, 0, 0)   # a stride without running dynamics
    vals = [v for w in whole.values() for v in w]
    assert any(v % 50 for v in vals)                     # the event's values are whole
    assert fmt.dyn_half_deg(0) == 0 and fmt.dyn_half_deg(-30) == 0
    assert [fmt.dyn_half_deg(v) for v in (1, 24, 25, 74, 75, 1549, 1550, 9000)] == [50, 50, 50, 50, 100, 1550, 1550, 1550]


# ---- a session log of the firmware with the hip drop cue on, and the same run with it off -----
@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    d = tmp_path_factory.mktemp("cues")
    sim = simulate("hip_drop", seed=1, minutes=4.0)
    out = {}
    for name, over in (("on", {"coach_hip_drop": True}), ("off", {})):
        vr = vrun.run_firmware(sim.as_capture(), d / name, config={"version": 1, **_mount(sim), **over},
                               extra={"rtc": T0})
        assert vr.returncode == 0 and vr.session_files, vr.stdout[-2000:]
        out[name] = vr.session_files[-1]
    return out


def _analyse(path, **over):
    return analysis.analyse(analysis.load(path), path, over)


def test_hip_drop_session_analysed_as_the_board_coached(logs):
    a = _analyse(logs["on"])
    assert a.reasons == analysis.BASE_REASONS + ("hip_drop",)
    assert a.fault_s["hip_drop"] > 0.5 * a.time_s["running"]   # the run's hip drop is past 9 deg throughout
    felt = [(int(x["t_ms"]), str(x["reason"]), int(x["severity"])) for x in a.alerts]
    rep = [(int(t), r, int(s)) for t, r, s in a.replayed]
    # one for one: the board's coach judged the hip drop in the log's 0.5-deg steps
    assert rep == felt
    f_hd = [t for t, r, _ in felt if r == "hip_drop"]
    assert len(f_hd) >= 2
    eps = [e for e in a.episodes if e.reason == "hip_drop"]
    assert eps and sum(e.buzzes for e in eps) == len(f_hd)
    rows = analysis.splits(a)
    assert abs(sum(r["hip_drop_s"] for r in rows) - a.fault_s["hip_drop"]) < 0.01
    assert all(r["cadence"] is None or r["cadence"] > 100 for r in rows)   # the cadence column is still cadence


def test_cues_at_the_limit_replay_from_the_log_one_for_one(tmp_path):
    """Limits set where the runner's smoothed hip drop and tilt swing hover (hip_drop seed 1: ~10-11
    deg of drop, ~6 deg of swing), so values at a limit decide alert after alert: the log (0.5
    deg) replays the board's every one. (Judged on the values whole, the board's and the
    replay's differed by 12-35 alerts of 11-31 at limits of 9.5-11.5 deg.)"""
    sim = simulate("hip_drop", seed=1, minutes=4.0)
    over = {"coach_hip_drop": True, "hip_drop_max_deg": 10.5, "hip_drop_hyst_deg": 0.5, "coach_tilt": True,
            "tilt_swing_max_deg": 6.0, "tilt_swing_hyst_deg": 0.5, "alert_after_s": 3, "alert_repeat_s": 10}
    vr = vrun.run_firmware(sim.as_capture(), tmp_path, config={"version": 1, **_mount(sim), **over}, extra={"rtc": T0})
    assert vr.returncode == 0 and vr.session_files, vr.stdout[-2000:]
    a = _analyse(vr.session_files[-1])
    felt = [(int(x["t_ms"]), str(x["reason"]), int(x["severity"])) for x in a.alerts]
    assert len(felt) >= 10 and {r for _t, r, _s in felt} >= {"hip_drop", "tilt_swing"}, felt
    assert [(int(t), r, int(s)) for t, r, s in a.replayed] == felt


def test_report_shows_the_hip_drop_cue_only_when_it_was_on(logs):
    on, off = _analyse(logs["on"]), _analyse(logs["off"])
    n = sum(1 for x in on.alerts if str(x["reason"]) == "hip_drop")
    text = rtext.render_text([on])
    m = re.search(r"^\s+Hip drop\s+(\d+:\d\d)\s+(\d+) % of running\s+buzzes (\d+)$", text, re.M)
    assert m and int(m.group(3)) == n and m.group(1) != "0:00", text
    found = [t for _k, t in words.highlights(on) if t.startswith("Hip drop cue:")]
    assert found and re.search(r"\d+ episodes?, (left|right) side", found[0]) and f"{n} buzzes" in found[0], found
    assert "hip drop > 9° on a side" in text and " hipdrop " in text
    html = rhtml.render_html([on], pngs={k: b"" for k in _panel_keys(on)})
    assert figures.COLOR["hip_drop"] in html and ">Hip drop</td>" in html
    events = figures.fig_panel(on, "events")
    assert "Hip drop" in [t.get_text() for t in events.axes[0].get_yticklabels()]
    # the same run without the cue: no row, column, finding or bar for it, though its hip drop is as large
    assert off.reasons == analysis.BASE_REASONS and off.fault_s["hip_drop"] == 0
    text = rtext.render_text([off])
    assert "Hip drop cue" not in text and not re.search(r"^\s+Hip drop\s+\d", text, re.M) and "hipdrop" not in text
    html = rhtml.render_html([off], pngs={k: b"" for k in _panel_keys(off)})
    assert figures.COLOR["hip_drop"] not in html and ">Hip drop</td>" not in html
    assert "Hip drop" not in [t.get_text() for t in figures.fig_panel(off, "events").axes[0].get_yticklabels()]
    # compared: the rows of a cue any of the sessions used
    both = rtext.render_text([on, off])
    assert re.search(r"^  hip drop \(% running\)\s+\d+\s+0$", both, re.M), both


def _panel_keys(a):
    return set(figures.SESSION_PANELS) | {"drift"}


def test_cfg_override_turns_the_cue_on_for_a_log_that_had_it_off(logs):
    a = _analyse(logs["off"], coach_hip_drop=True)
    assert "hip_drop" in a.reasons and a.fault_s["hip_drop"] > 0
    assert any(r == "hip_drop" for _t, r, _s in a.replayed) and not len(a.alerts[a.alerts["reason"] == "hip_drop"])
    assert any("With the --cfg thresholds" in t for _k, t in words.highlights(a))


def test_fit_export_carries_the_new_fault_bit_and_buzz_code(logs, tmp_path):
    # the first three keep their meaning (files exported before read the same); every bit and code is its own
    assert {r: fitexport.FAULT_BITS[r] for r in analysis.BASE_REASONS} == {"upright": 1, "backward": 2, "swivel": 4}
    assert {r: fitexport.BUZZ_CODE[r] for r in analysis.BASE_REASONS} == {"upright": 1, "backward": 2, "swivel": 3}
    bits = list(fitexport.FAULT_BITS.values())
    assert set(fitexport.FAULT_BITS) == set(analysis.REASONS) == set(fitexport.BUZZ_CODE)
    assert all(b & (b - 1) == 0 for b in bits) and len(set(bits)) == len(bits) and sum(bits) < 256   # uint8 flags
    assert len(set(fitexport.BUZZ_CODE.values())) == len(fitexport.BUZZ_CODE) and 0 not in fitexport.BUZZ_CODE.values()
    out = tmp_path / "cue.fit"
    assert run_cli("export", logs["on"], "--fit", out) == 0
    msgs = fitread.decode(out.read_bytes(), out.name)
    names = {d["key"]: d["field_name"] for d in msgs["field_description_mesgs"]}
    got = {"hinge_fault": {}, "hinge_buzz": {}}
    for rec in msgs["record_mesgs"]:
        for k, v in rec.get("developer_fields", {}).items():
            if names[k] in got:
                got[names[k]][int(rec["timestamp"].timestamp())] = v
    a = _analyse(logs["on"])
    start = a.session.header["start_utc"]
    last = {}  # second -> the last stride that ended in it
    for i, t in enumerate(a.strides["t_ms"]):
        last[int(np.floor(start + t / 1000.0))] = i
    held = [sec for sec, i in last.items() if a.fault["hip_drop"][i] and a.running[i]]
    assert held and all(got["hinge_fault"][sec] & fitexport.FAULT_BITS["hip_drop"] for sec in held)
    assert not any(v & fitexport.FAULT_BITS["hip_drop"] for sec, v in got["hinge_fault"].items() if sec not in held)
    buzz = [v for _sec, v in sorted(got["hinge_buzz"].items()) if v]
    assert buzz == [fitexport.BUZZ_CODE[str(r)] for r in a.alerts["reason"]]
    assert fitexport.BUZZ_CODE["hip_drop"] in buzz


# ---- drift from the last session's baseline ------------------------------------------------------
@pytest.mark.parametrize("mode, starts", [("last", (0, 86400)), ("run", (0, 600))])
def test_drift_from_an_earlier_sessions_baseline_replays_as_the_board_coached(tmp_path, mode, starts):
    """Two sessions on one board: with drift_baseline_from = "last" (a day apart), or in either
    mode the same run restarted (10 minutes after the first began, 6 after its end), the second
    compares with the first's baseline from its second running minute; the replay takes that
    baseline from the log (its DRIFT_BASE record) and gives the board's drift alerts."""
    day1, day2 = simulate("good_form", seed=2, minutes=4.0), simulate("too_upright", seed=1, minutes=5.0)
    cfg = {"version": 1, "drift_baseline_min": 2, "drift_baseline_from": mode, "coach_drift": True,
           "drift_after_s": 60, "drift_repeat_s": 60, "drift_lean_deg": 0.5}
    for sim, start in zip((day1, day2), starts):
        vr = vrun.run_firmware(sim.as_capture(), tmp_path, config={**cfg, **_mount(sim)},
                               extra={"rtc": T0 + start})
        assert vr.returncode == 0, vr.stdout[-2000:]
    a = _analyse(vr.session_files[-1])
    base = a.session.events[a.session.events["type"] == ev.EV_DRIFT_BASE]
    assert len(base) == 1 and base["e"][0] == 1   # the first session's
    felt = [(int(x["t_ms"]), str(x["reason"]), int(x["severity"])) for x in a.alerts]
    assert [r for _t, r, _s in felt].count("drift") >= 1
    assert [(int(t), r, int(s)) for t, r, s in a.replayed] == felt
    assert "drift" in a.reasons and a.fault_s["drift"] > 0
    found = [t for _k, t in words.highlights(a) if t.startswith("Form drift cue:")]
    assert found and "episode" in found[0]


def test_cadence_target_from_a_baseline_kept_from_an_earlier_run(tmp_path):
    """cadence_baseline_keep (the default): the first run learns the baseline and the board keeps
    it; the second aims at its target from the first stride. Its log says so (a CAD_BASE record,
    kept): the replay takes that baseline and gives the board's alerts, which a replay learning
    its own (3 minutes in) would not."""
    sim = simulate("good_form", seed=2, minutes=4.0)
    cfg = {"version": 1, **_mount(sim), "coach_cadence": True, "cadence_baseline_min": 2}
    first = vrun.run_firmware(sim.as_capture(), tmp_path, config=cfg)
    second = vrun.run_firmware(simulate("good_form", seed=2, minutes=3.0).as_capture(), tmp_path, config=cfg)
    assert any("over the baseline kept from an earlier run" in m for m in second.messages), second.messages
    a1, a2 = _analyse(first.session_files[-1]), _analyse(second.session_files[-1])
    assert not a1.stats["cadence_baseline_kept"] and a2.stats["cadence_baseline_kept"]
    assert a2.stats["cadence_baseline"] == a1.stats["cadence_baseline"] > 0
    for a in (a1, a2):
        felt = [(int(x["t_ms"]), str(x["reason"]), int(x["severity"])) for x in a.alerts]
        assert "cadence" in {r for _t, r, _s in felt}
        assert [(int(t), r, int(s)) for t, r, s in a.replayed] == felt
    # learning its own baseline the second run would have had no target before 3:00 of running
    own = analysis.replay_coach(a2.strides, a2.cfg, state={})[1]
    assert own != [(int(t), r, int(s)) for t, r, s in a2.replayed]
    assert any("kept from an earlier run" in t for _k, t in words.highlights(a2))
