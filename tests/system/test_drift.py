"""Form drift (device/drift.py) on a 6-hour simulated ultra whose lean decays by 4 deg from 3:30
to 5:30 (``hinge simulate ultra_decay``): with the drift cue on, the first drift buzz comes when
the truth's own per-minute drift has held past the margin for ``drift_after_s``, and repeats at
``drift_repeat_s``; with it off (the default), none, and every other event is the same. The
report's drift chart draws the log's drift records; and the firmware keeps a learned baseline
on flash for the next session (``drift_baseline_from = "last"``).

The run takes ~1 min to simulate and ~20 s per replay on the unix-port micropython (the
detector's viper code is native there; under CPython it would take minutes).
"""
from array import array

import numpy as np
import pytest

from hinge.coach import replay
from hinge.common.capture import Capture
from hinge.common.devpath import import_device
from hinge.logs import analysis, logdecode
from hinge.report import driftchart, dynamics, figures
from hinge.report import html as rhtml
from hinge.sim.simulate import simulate
from hinge.virtual import vrun

ENGINE = "micropython"


@pytest.fixture(scope="module")
def ultra():
    sim = simulate("ultra_decay", seed=1)
    cap = Capture(sim.t_ms, sim.acc_g, sim.gyr_dps, [])
    return sim.truth, cap


@pytest.fixture(scope="module")
def cue_on(ultra):
    """The ultra replayed with the drift cue on (once for the module)."""
    return replay.replay(ultra[1], {"coach_drift": True}, engine=ENGINE)


def _truth_crossing(truth, cfg):
    """Time (ms) of the first running minute whose truth mean lean is past the margin from the
    truth's baseline, with the device's definitions (drift.py): minutes of running time, the
    first one skipped, the next ``drift_baseline_min`` the baseline."""
    run = [s for s in truth["strides"] if s["activity"] == "running"]
    t_run = np.cumsum([s["t1_ms"] - s["t0_ms"] for s in run])
    minute = (t_run // 60000).astype(int)
    lean = np.array([s["lean_deg"] for s in run])
    means = {m: (lean[minute == m].mean(), run[int(np.nonzero(minute == m)[0][-1])]["t1_ms"])
             for m in range(1, int(minute.max()))}
    base = np.mean([means[m][0] for m in range(1, 1 + cfg["drift_baseline_min"])])
    for m in range(1 + cfg["drift_baseline_min"], int(minute.max())):
        if abs(means[m][0] - base) > cfg["drift_lean_deg"]:
            return means[m][1]
    return None


def test_drift_cue_on_a_six_hour_decay(ultra, cue_on):
    truth, cap = ultra
    on = cue_on
    cfg = on.cfg
    t_cross = _truth_crossing(truth, cfg)
    assert t_cross is not None and 4 * 3600e3 < t_cross < 5 * 3600e3
    alerts = [d for d in on.dicts("alert") if d["reason"] == "drift"]
    assert alerts, "no drift cue"
    t_first = alerts[0]["t_ms"]
    hold = cfg["drift_after_s"] * 1000
    # the device's minute means scatter ~0.2 deg about the truth's: on a 3 deg/h decay that is
    # ~4 min either way; the cue then waits for the hold and the next minute's end
    assert t_cross + hold - 5 * 60e3 <= t_first <= t_cross + hold + 6 * 60e3, (t_cross, t_first)
    assert all(a["limit_deg"] == cfg["drift_lean_deg"] and a["value_deg"] < 0 for a in alerts)
    # it repeats at its own interval (not the form cues' alert_repeat_s: every 2 min) while it holds
    gaps = np.diff([a["t_ms"] for a in alerts])
    assert len(alerts) >= 2 and gaps.min() >= cfg["drift_repeat_s"] * 1000 > cfg["alert_repeat_s"] * 1000, gaps
    # drift is logged per running minute once the baseline is learned
    drifts = on.dicts("drift")
    assert len(drifts) > 300 and all(abs(d["lean_deg"]) < 1.0 for d in drifts if d["t_ms"] < 3.5 * 3600e3)

    off = replay.replay(cap, {}, engine=ENGINE)
    assert not [d for d in off.dicts("alert") if d["reason"] == "drift"]
    # off, every other event is what it was with the cue on
    def others(res):
        return [e for e in res.events if not (e[0] in (2, 3) and e[2] == 4)]
    assert others(off) == others(on)


def _write_log(res, root) -> str:
    """The replay's events through the firmware's own log writer (device/flashlog.py): the
    session log a board would have written."""
    flashlog = import_device("flashlog")
    lsb_g, lsb_k = replay.scales(res.cfg)
    log = flashlog.SessionLog(str(root), res.cfg, "test", "lsm6dso", lsb_g, lsb_k, 104, clock_ms=lambda: 0)
    buf = array("i", [0] * 8)
    for e in res.events:
        buf[:] = array("i", e)
        log.event(buf, 0)
    log.close()
    assert log.name and log.error is None, log.error
    return str(root / "logs" / log.name)


def test_report_charts_the_drift_from_the_log(cue_on, tmp_path):
    path = _write_log(cue_on, tmp_path)
    sess = logdecode.decode_session(path)
    a = analysis.analyse(sess, path)
    figs = figures.figures([a]) | driftchart.drift_figures([a])
    assert "drift" in figs
    axes = figs["drift"].axes
    assert [ax.get_ylabel() for ax in axes] == ["lean (°)", "rotation (°)", "tilt swing (°)", "hip drop (°)"]
    # the chart's points are the replay's per-minute drift records, through the log
    drift = [e for e in cue_on.events if e[0] == dynamics.ev.EV_DRIFT]
    t0 = int(sess.strides["t_ms"][0])
    for ax, k in zip(axes, (2, 3, 4, 5)):
        line = next(ln for ln in ax.lines if ln.get_marker() == ".")
        want = np.array([e[k] / 100.0 if e[k] or k < 4 else np.nan for e in drift])
        # (a record at its stride's time is logged at that stride's logged end: within
        # logfmt.MOVE_MAX of the detector's, where the log moved it to imply its cadence)
        x = np.array([(e[1] - t0) / 60000.0 for e in drift])
        assert np.abs(line.get_xdata() - x).max() <= import_device("logfmt").MOVE_MAX / 60000.0
        assert np.allclose(line.get_ydata(), want, equal_nan=True)
    # the margin band, and a dashed line at each drift buzz, on every panel
    band = axes[0].patches[0]
    assert band.get_y() == -cue_on.cfg["drift_lean_deg"] and band.get_height() == 2 * cue_on.cfg["drift_lean_deg"]
    buzzes = [(e[1] - t0) / 60000.0 for e in cue_on.events if e[0] == 2 and e[2] == 4]
    for ax in axes:     # (a cue too at its stride's logged end, within MOVE_MAX of the detector's)
        got = [ln.get_xdata()[0] for ln in ax.lines if ln.get_linestyle() == "--"]
        assert got == pytest.approx(buzzes, abs=import_device("logfmt").MOVE_MAX / 60000.0)
    # in the HTML, under the words ("from 3:58 on, lean 3.4 deg lower than your first 10 minutes"):
    # the decay ramps from 3:30 and is half done at 4:30
    words = dynamics.drift_words(sess)
    assert words and "lean" in words[0] and "lower than your first 10 minutes" in words[0], words
    h, m = words[0].split("from ")[1].split(" on")[0].split(":")
    assert 210 <= int(h) * 60 + int(m) <= 270, words
    page = rhtml.render_html([a], figs)
    assert page.index("form drift over time") > page.index(words[0].capitalize()[:12])


def test_firmware_keeps_the_baseline_for_the_next_session(tmp_path):
    """Two sessions on one virtual board with drift_baseline_from = "last": the first has none
    stored (one line, learns its own, keeps it with its date), the second starts from it."""
    sim = simulate("good_form", seed=2, minutes=5)
    cfg = {"version": 1, "mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"],
           "drift_baseline_min": 2, "drift_baseline_from": "last"}
    drift = import_device("drift")
    store = tmp_path / "flash" / drift.FILE
    day1 = 1796256000  # 2026-12-03 00:00 UTC (the RTC, set as every hinge connection sets it)
    vr1 = vrun.run_firmware(sim.as_capture(), tmp_path, config=cfg, extra={"rtc": day1 + 9 * 3600})
    assert vr1.returncode == 0, vr1.stdout[-2000:]
    assert "drift baseline: drift_base.txt none stored yet: learning it on this run" in vr1.messages
    vals, why = drift.load(str(store))
    assert why is None and vals[4:] == (1, 20261203), (vals, why)
    s1 = logdecode.decode_session(vr1.session_files[-1])
    base1 = dynamics.drift_base(s1)
    assert base1["session"] is None and abs(base1["lean"] - vals[0] / 100) < 1e-9   # learned on this run

    vr2 = vrun.run_firmware(sim.as_capture(), tmp_path, config=cfg, extra={"rtc": day1 + 86400 + 9 * 3600})
    assert vr2.returncode == 0, vr2.stdout[-2000:]
    assert "drift baseline from session 1 (2026-12-03)" in vr2.messages
    s2 = logdecode.decode_session(vr2.session_files[-1])
    base2 = dynamics.drift_base(s2)
    assert (base2["session"], base2["date"], base2["lean"]) == ("S0001", "2026-12-03", vals[0] / 100)
    rows = dynamics.drift_rows(s2)
    assert len(rows) and rows["e"][0] == 2          # drift from the second running minute
    assert dynamics.baseline_text(s2) == "your baseline from your last session (S0001, 2026-12-03)"
    assert drift.load(str(store))[0][4:] == (2, 20261204)   # and the second's own, for the third
    # the run restarted (a power cut after it, the board back on 10 minutes later): it goes on
    # with the run's baseline, in the default mode too, and keeps it as its own for a next restart
    kept = drift.load(str(store))[0]
    vr3 = vrun.run_firmware(sim.as_capture(), tmp_path, config=dict(cfg, drift_baseline_from="run"),
                            extra={"rtc": day1 + 86400 + 9 * 3600 + 15 * 60})
    assert vr3.returncode == 0, vr3.stdout[-2000:]
    assert "drift baseline from session 2, the same run before the restart: going on with it" in vr3.messages
    s3 = logdecode.decode_session(vr3.session_files[-1])
    assert dynamics.baseline_text(s3) == "your baseline from earlier today (S0002)"
    assert dynamics.drift_rows(s3)["e"][0] == 2
    assert drift.load(str(store))[0] == kept[:4] + (3, 20261204)
    # hours later, a new run: "run" learns its own
    vr4 = vrun.run_firmware(sim.as_capture(), tmp_path, config=dict(cfg, drift_baseline_from="run"),
                            extra={"rtc": day1 + 86400 + 17 * 3600})
    assert vr4.returncode == 0 and not any("going on with it" in m for m in vr4.messages), vr4.messages
