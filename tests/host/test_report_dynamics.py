"""Report panels for running dynamics and form drift (host/hinge/report/dynamics.py)."""
import numpy as np

from hinge.common.devpath import import_device
from hinge.logs import logdecode
from hinge.report import dynamics

ev = import_device("events")


def _session(drift_from_min=190, drift_deg=-2.5, hours=4.0):
    """A run of 700 ms strides; DRIFT records each minute from minute 12, lean drifting by
    ``drift_deg`` from ``drift_from_min`` on (a ramp over 5 minutes), noise 0.2 deg."""
    rng = np.random.default_rng(3)
    n = int(hours * 3600 / 0.7)
    s = np.zeros(n, logdecode.STRIDE_DTYPE)
    s["t_ms"] = 60000 + np.arange(n) * 700
    s["activity"] = ev.ACT_RUNNING
    s["stride_ms"] = 700
    s["tilt_swing_deg"] = 7 + rng.normal(0, 0.5, n)
    s["pushoff_pitch_deg"] = 1.5
    s["hip_drop_left_deg"] = 5.0
    s["hip_drop_right_deg"] = 6.0
    s["vo_cm"] = 7.5
    s["gct_left_ms"] = 240.0
    s["gct_right_ms"] = 250.0
    mins = np.arange(12, int(hours * 60))
    lean = drift_deg * np.clip((mins - drift_from_min) / 5.0, 0, 1) + rng.normal(0, 0.2, len(mins))
    e = np.zeros(len(mins), logdecode.EVENT_DTYPE)
    e["t_ms"] = 60000 + mins * 60000
    e["type"] = ev.EV_DRIFT
    e["name"] = "drift"
    e["a"] = np.round(lean * 100)
    e["e"] = mins
    return logdecode.Session({"config": {"drift_baseline_min": 10}}, s, np.zeros(0, logdecode.ALERT_DTYPE), e)


def test_drift_in_plain_words():
    words = dynamics.drift_words(_session())
    assert len(words) == 1 and "lean" in words[0] and "lower" in words[0], words
    # from when: the minute the drift began (minute 190 after the log's first stride: 3:10)
    h, m = words[0].split("from ")[1].split(" on")[0].split(":")
    assert abs((int(h) * 60 + int(m)) - 190) <= 3, words
    size = float(words[0].split("lean ")[1].split(" deg")[0])
    assert abs(size - 2.5) <= 0.3, words
    assert "first 10 minutes" in words[0]


def test_no_words_when_form_held():
    assert dynamics.drift_words(_session(drift_deg=-0.4)) == []
    html = dynamics.html_panel(_session(drift_deg=-0.4))
    assert "Your form held" in html


def test_panels_per_metric_and_balance():
    sess = _session()
    rows = {r["metric"]: r for r in dynamics.summary(sess)}
    assert set(rows) == {m[0] for m in dynamics.METRICS}
    assert len(rows["vo_cm"]["per_hour"]) == 4 and abs(rows["tilt_swing_deg"]["median"] - 7) < 0.1
    b = dynamics.balance(sess)
    assert abs(b["contact time"]["left_pct"] - 100 * 240 / 490) < 0.01
    text = dynamics.text(sess)
    assert "Running dynamics" in text and "left/right contact time: 240.0 / 250.0" in text
    html = dynamics.html_panel(sess)
    assert "<h2>Running dynamics</h2>" in html and "From " in html and "hour 4" in html


def test_a_log_without_dynamics_has_no_panel():
    sess = _session()
    for col, *_ in dynamics.METRICS:
        sess.strides[col] = np.nan
    assert dynamics.text(sess) == "" and dynamics.html_panel(sess) == ""


def _with_base(sess, session_no, date):
    """``sess`` with a DRIFT_BASE record at t 0: the last session's baseline (device/drift.py)."""
    b = np.zeros(1, logdecode.EVENT_DTYPE)
    b[0] = (0, ev.EV_DRIFT_BASE, "drift_base", 850, 1000, 700, 500, session_no, date)
    return logdecode.Session(sess.header, sess.strides, sess.alerts, np.concatenate([b, sess.events]))


def test_words_name_the_last_sessions_baseline():
    sess = _with_base(_session(), 41, 20261203)
    base = dynamics.drift_base(sess)
    assert base["session"] == "S0041" and base["date"] == "2026-12-03" and base["lean"] == 8.5
    words = dynamics.drift_words(sess)
    assert len(words) == 1 and words[0].endswith("than your baseline from your last session (S0041, 2026-12-03)")
    assert "drift_base" not in [str(n) for n in dynamics.drift_rows(sess)["name"]]
    # learned on this run (session 0): the first minutes, as before
    assert dynamics.drift_words(_with_base(_session(), 0, 0))[0].endswith("than your first 10 minutes of running")


def test_drift_chart_data_come_from_the_drift_records():
    sess = _session()
    al = np.zeros(2, logdecode.ALERT_DTYPE)
    for k, (t, reason, sev, v, lim) in enumerate(((60000 + 200 * 60000, "drift", 2, -2.4, 2.0),
                                                  (60000 + 201 * 60000, "upright", 1, 3.0, 4.0))):
        al[k]["t_ms"], al[k]["kind"], al[k]["reason"], al[k]["severity"] = t, "alert", reason, sev
        al[k]["value_deg"], al[k]["limit_deg"] = v, lim
    sess = logdecode.Session({"config": {"drift_baseline_min": 10, "drift_lean_deg": 1.5}}, sess.strides, al,
                             sess.events)
    d = dynamics.drift_series(sess)
    rows = dynamics.drift_rows(sess)
    assert np.array_equal(d["t_min"], (rows["t_ms"] - 60000) / 60000.0)   # since the first stride
    assert [s["label"] for s in d["series"]] == ["lean", "rotation", "tilt swing", "hip drop"]
    assert np.array_equal(d["series"][0]["deg"], rows["a"] / 100.0)
    assert np.isnan(d["series"][2]["deg"]).all()                    # tilt 0 = not measured
    assert [s["margin"] for s in d["series"]] == [1.5, 5.0, 3.0, 3.0]  # the log's config, defaults for the rest
    assert list(d["cues_min"]) == [200.0]                           # drift buzzes only
    # and the figure draws exactly that: band, line, buzz
    from hinge.report import driftchart, figures

    fig = figures._panel_figure(6.8)
    axes = [fig.add_subplot(4, 1, i) for i in range(1, 5)]
    driftchart.draw_drift(axes, d, 240)
    lean = next(ln for ln in axes[0].lines if ln.get_label() == "lean")
    assert np.array_equal(lean.get_xdata(), d["t_min"]) and np.array_equal(lean.get_ydata(), d["series"][0]["deg"])
    band = axes[0].patches[0]
    assert (band.get_y(), band.get_height()) == (-1.5, 3.0)
    assert [ln.get_xdata()[0] for ln in axes[1].lines if ln.get_linestyle() == "--"] == [200.0]
    html = dynamics.html_panel(sess, "<figure>DRIFT CHART</figure>")
    assert html.index("Form drift") < html.index("DRIFT CHART")


def test_no_drift_chart_without_drift_records():
    sess = _session()
    sess = logdecode.Session(sess.header, sess.strides, sess.alerts, sess.events[:0])
    assert dynamics.drift_series(sess) is None
