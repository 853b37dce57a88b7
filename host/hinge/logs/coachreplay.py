"""The firmware's coach over a session log's strides (``replay_coach``): each fault's state per
stride and the alerts, as the board gave them, from the device's own ``coach.py`` and
``drift.py`` (imported, not copied), with what the board brought from earlier runs (a drift
baseline, a kept cadence baseline) taken from the log. Used by :mod:`hinge.logs.analysis`.
Angles in the log in degrees, handed to the device in centidegrees; times in ms.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from hinge.common.devpath import import_device

_EV = import_device("events")
# the coaching reasons by their device names, in the report's order: the two lean faults and swivel
# (always coached unless switched off), then the optional cues (off by default): hip drop, tilt
# swing and cadence (device/coach.py) and form drift (device/drift.py)
BASE_REASONS = tuple(_EV.REASON_NAMES[r] for r in (_EV.R_UPRIGHT, _EV.R_BACKWARD, _EV.R_SWIVEL))
OPTIONAL_REASONS = tuple(_EV.REASON_NAMES[r] for r in (_EV.R_HIP_DROP, _EV.R_TILT, _EV.R_CADENCE, _EV.R_DRIFT))
REASONS = BASE_REASONS + OPTIONAL_REASONS
# no step for this long = standing, so the coach resets: the detector's own constant (CPython keeps
# a const's module attribute; the host always imports device/ under CPython)
IDLE_MS = import_device("detector")._IDLE_MS
# the switch of each optional cue (OPTIONAL_REASONS order)
CUE_SWITCH = dict(zip(OPTIONAL_REASONS, ("coach_hip_drop", "coach_tilt", "coach_cadence", "coach_drift")))


class _Queue:
    """The coach's event queue (``push(8 ints)``): keeps every event."""

    def __init__(self):
        self.items = []

    def push(self, *e):
        self.items.append(e)


def _cdeg(x) -> int:
    """A decoded angle (deg; NaN = not measured) as the device's centidegrees (0 = not measured)."""
    x = float(x)
    return int(round(x * 100)) if x == x else 0


def replay_coach(strides: np.ndarray, cfg: dict, events: np.ndarray | None = None, state: dict | None = None,
                 day: int = 0, cadence_base: int = 0):
    """Run logged strides through the firmware's coach and drift cue; (fault dict of bool arrays,
    alerts).

    As the detector does (device/detector.py ``_stride_end``): a running stride goes to
    ``Coach.stride`` (lean, rotation; a ``grounded`` one, without a flight, is not coached), then,
    when an optional cue is on, ``Coach.form`` (the
    stride's cadence in 1/10 steps/min, its tilt swing and hip drop per side in cdeg from its
    running dynamics, 0 = not measured), then ``Drift.stride`` (lean, rotation, tilt swing, the
    mean hip drop of the two sides); a walking stride, or no step for IDLE_MS, resets the coach.
    So the cadence baseline (``cadence_target_spm`` 0) and the drift baseline are learned from the
    session as on the board. What the board brought from earlier runs, as app.py hands it over:
    ``events`` (decoded EVENT_DTYPE), a DRIFT_BASE record of an earlier session, is the drift
    baseline it read from its flash (``drift_baseline_from = "last"``, or the run's own after a
    restart; ``day``, YYYYMMDD, 0 = the board's clock was not set, is the session's date);
    ``cadence_base`` (1/10 steps/min, 0 = none) a cadence baseline kept from an earlier run
    (``kept_cadence_base``). Alerts are (t_ms, reason, severity). ``state`` (a dict, optional)
    receives the cadence target and baseline the coach ended with (steps/min; 0 = none).

    A stride's lean and rotation come from the detector in the log's own steps (0.1, 0.2 deg),
    and its tilt swing and hip drop go to the coach and drift cue in the short record's (0.5
    deg, ``logfmt.dyn_half_deg``; dynamics.py), so every cue replays exactly, whichever record
    the log used (a long one keeps the values whole: they are rounded here as on the board).
    """
    from hinge.common.devpath import import_device

    coach_mod = import_device("coach")
    ev = import_device("events")
    half = import_device("logfmt").dyn_half_deg
    q = _Queue()
    c = coach_mod.Coach(cfg, q)
    if cadence_base:
        c.keep_base(cadence_base)
    with tempfile.TemporaryDirectory() as tmp:
        d = _drift(cfg, q, c, events, tmp, day)
        n = len(strides)
        fault = {r: np.zeros(n, bool) for r in REASONS}
        es = c.es   # the optional cues' episodes: es[k] is 1 while cue k's fault holds (coach.py)
        slots = {"hip_drop": coach_mod._HD, "tilt_swing": coach_mod._TL, "cadence": coach_mod._CD}
        prev = None
        for i in range(n):
            s = strides[i]
            t, dur = int(s["t_ms"]), int(s["stride_ms"])
            if prev is not None and t - dur - prev > IDLE_MS:
                c.reset()
            if int(s["activity"]) != ev.ACT_RUNNING:
                c.reset()
            elif not s["grounded"]:
                lean, rot = _cdeg(s["lean_deg"]), _cdeg(s["rotation_deg"])
                # (in the log's steps, as the board's coach and drift judged them: a long record
                # holds them whole)
                tilt, dl, dr = (half(_cdeg(s[k])) for k in ("tilt_swing_deg", "hip_drop_left_deg", "hip_drop_right_deg"))
                c.stride(t, lean, rot, dur)
                if c.form_on:
                    c.form(t, int(round(float(s["cadence_spm"]) * 10)), dur, tilt, dl, dr)
                # the stride's mean hip drop as dynamics.py hands it to drift.py (0 unless both sides measured)
                d.stride(t, lean, rot, tilt, (dl + dr) >> 1 if dl and dr else 0, dur)
            fault["upright"][i] = bool(c.up_on)
            fault["backward"][i] = bool(c.back_on)
            fault["swivel"][i] = bool(c.sw_on)
            for r, k in slots.items():
                fault[r][i] = bool(es[k])
            fault["drift"][i] = bool(d.on)
            prev = t
    if state is not None:
        state["cadence_target_spm"] = c.target / 10.0
        state["cadence_baseline_spm"] = c.c_base / 10.0
    alerts = [(e[1], ev.REASON_NAMES[e[2]], e[3]) for e in q.items if e[0] == ev.EV_ALERT]
    return fault, alerts


def _drift(cfg, q, coach, events, tmp, day):
    """The device's drift cue for the replay. An earlier session's baseline in the log (its
    DRIFT_BASE record) goes in as the board read it at session start: through the drift
    module's own file (in ``tmp``) and ``attach``, which decides as there (``drift_baseline_from``,
    or a run restarted: the record's session is the one it went on from)."""
    drift = import_device("drift")
    d = drift.Drift(cfg, q, coach)
    if events is None or not len(events):
        return d
    base = events[(events["type"] == _EV.EV_DRIFT_BASE) & (events["e"] > 0)]
    if len(base):
        b = base[0]
        path = str(Path(tmp) / drift.FILE)
        Path(path).write_text(drift.dumps(tuple(int(b[f]) for f in "abcdef")))
        d.attach(path, 0, day, None, int(b["e"]))
    return d


def session_day(header: dict) -> int:
    """The session's date as the board's clock gave it to the firmware (YYYYMMDD; 0 when the
    clock was not set): the day drift.py compares a stored baseline's date with."""
    f = header.get("start_fields")
    return f[0] * 10000 + f[1] * 100 + f[2] if f and header.get("clock_set") else 0


def kept_cadence_base(events: np.ndarray | None) -> int:
    """The cadence baseline (1/10 steps/min) the board took from an earlier run
    (``cadence_baseline_keep``, device/coachstore.py; app.py hands it to ``Coach.keep_base``),
    from the log's CAD_BASE record (device/events.py; ``events`` decoded EVENT_DTYPE) when it
    says kept; 0 when the session learned its own or had none."""
    if events is None or not len(events):
        return 0
    rec = events[events["type"] == _EV.EV_CAD_BASE]
    return int(rec["a"][0]) if len(rec) and int(rec["c"][0]) else 0
