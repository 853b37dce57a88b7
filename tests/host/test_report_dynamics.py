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
