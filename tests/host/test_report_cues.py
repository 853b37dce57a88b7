"""report/cues.py: faded feedback's episodes (first alert to clear), given against withheld."""
import numpy as np

from hinge.logs.logdecode import ALERT_DTYPE
from hinge.report import cues


def _alerts(rows):
    """rows: (t_s, kind, reason, withheld)."""
    a = np.zeros(len(rows), ALERT_DTYPE)
    for i, (t, kind, reason, w) in enumerate(rows):
        a[i] = (int(t * 1000), kind, reason, 1 if kind == "alert" else 0, 3.0, 4.0, w, "", 0.0)
    return a


def test_episodes_run_from_the_first_alert_to_the_clear():
    a = _alerts([(10, "alert", "upright", 0), (100, "alert", "upright", 0), (130, "clear", "upright", 0),
                 (200, "alert", "upright", 1), (215, "clear", "upright", 1),
                 (300, "alert", "swivel", 1), (400, "alert", "upright", 0)])
    eps = cues.episodes(a)
    assert [(e["reason"], e["t_ms"], e["withheld"], e["fixed_s"]) for e in eps] == [
        ("upright", 10000, False, 120.0), ("upright", 200000, True, 15.0), ("swivel", 300000, True, None),
        ("upright", 400000, False, None)]
    s = cues.summary(a)
    assert s["given"] == {"episodes": 2, "fixed": 1, "within": 0, "median_s": 120.0}
    assert s["withheld"] == {"episodes": 2, "fixed": 1, "within": 1, "median_s": 15.0}
    assert "about as well without the cue" in cues.verdict(s)
    assert "with the cue: 2 episodes" in cues.text(a) and "<h2>Faded feedback</h2>" in cues.html_panel(a)


def test_no_panel_without_withheld_cues():
    a = _alerts([(10, "alert", "upright", 0), (30, "clear", "upright", 0)])
    assert cues.summary(a) is None and cues.text(a) == "" and cues.html_panel(a) == ""


def test_verdict_when_form_does_not_hold_without_the_cue():
    rows = []
    for k in range(4):
        rows += [(k * 100, "alert", "swivel", 0), (k * 100 + 20, "clear", "swivel", 0)]
    for k in range(4, 8):
        rows += [(k * 100, "alert", "swivel", 1)]
    rows.append((900, "clear", "swivel", 1))
    assert "less often without the cue" in cues.verdict(cues.summary(_alerts(rows)))


def test_the_report_lists_the_options_that_were_on():
    from hinge.common.devpath import import_device
    from hinge.logs import analysis

    config = import_device("config")
    off = analysis.shown_keys(config.validate({}))
    assert off == analysis.THRESHOLD_KEYS
    on = analysis.shown_keys(config.validate({"coach_cadence": True, "fade_feedback": True}))
    assert "cadence_target_spm" in on and "fade_sessions" in on and "hip_drop_max_deg" not in on
    assert all(k in config.SCHEMA for k in on)
