"""A session log for reading: decode it (``load``), and analyse it as the board coached it (``analyse``).

Thresholds come from the log header's config snapshot (the board's config during the run);
overrides (``hinge report --cfg KEY=VALUE``) replace them. Time in each fault is recomputed by
running the logged strides through the firmware's own coach and drift cue (``device/coach.py``,
``device/drift.py``, imported, not copied: :mod:`hinge.logs.coachreplay`): smoothing, hysteresis
and the hold time exactly as on the board, so with the logged thresholds it reproduces the buzzes
the runner felt (tests check that), and with overrides it says what would have happened.
``splits`` cuts the analysis per minute (per km once the log carries distance). Used by the
report (:mod:`hinge.report`) and the baseline (:mod:`hinge.logs.baseline`). Angles in degrees,
times in ms unless named ``_s``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hinge.common.devpath import import_device
from hinge.common.errors import HingeError

from .coachreplay import BASE_REASONS, CUE_SWITCH, OPTIONAL_REASONS, REASONS, kept_cadence_base, replay_coach, session_day

ACT_NAMES = import_device("events").ACTIVITY_NAMES
THRESHOLD_KEYS = ("lean_min_deg", "lean_back_deg", "lean_hyst_deg", "swivel_max_deg", "swivel_hyst_deg",
                  "alert_after_s", "alert_repeat_s", "coach_upright", "coach_backward", "coach_swivel", "run_min_spm")
# the optional coaching (device/coach.py, device/drift.py): each switch and the keys that go with it
OPTION_KEYS = {"coach_hip_drop": ("hip_drop_max_deg", "hip_drop_hyst_deg"),
               "coach_tilt": ("tilt_swing_max_deg", "tilt_swing_hyst_deg"),
               "coach_cadence": ("cadence_target_spm", "cadence_raise_pct", "cadence_baseline_min", "cadence_baseline_keep",
                                 "cadence_band_spm", "cadence_metronome"),
               "coach_drift": ("drift_baseline_min", "drift_after_s", "drift_repeat_s", "drift_lean_deg", "drift_rot_deg",
                               "drift_tilt_deg", "drift_drop_deg", "drift_baseline_from"),
               "fade_feedback": ("fade_sessions",)}


def shown_reasons(cfg: dict, alerts=None) -> tuple:
    """The reasons the report and the watch pages show for a session: the three base faults
    always; an optional cue when its switch is on in ``cfg`` or the log has an alert or clear of
    it (``alerts``: decoded ALERT_DTYPE rows), so a runner who never used a cue sees no row for it."""
    logged = set() if alerts is None or not len(alerts) else {str(r) for r in alerts["reason"]}
    return BASE_REASONS + tuple(r for r in OPTIONAL_REASONS if cfg.get(CUE_SWITCH[r]) or r in logged)


def reasons_of(analyses: list) -> tuple:
    """The faults any of the sessions shows (``Analysis.reasons``), in REASONS order: a comparison's rows."""
    return tuple(r for r in REASONS if any(r in a.reasons for a in analyses))


def shown_keys(cfg: dict) -> tuple:
    """The settings the report lists: the thresholds, and each optional cue that was on with its keys."""
    out = list(THRESHOLD_KEYS)
    for k, more in OPTION_KEYS.items():
        if cfg.get(k):
            out += [k, *more]
    return tuple(out)


# ---- loading --------------------------------------------------------------------------------
def load(path):
    """Decode a session log for the report; HingeError (one line) if there is nothing to report.

    A damaged log decodes what is intact (``Session.problems`` says what is not).
    """
    from hinge.logs import logdecode

    p = Path(path)
    if not p.exists():
        raise HingeError(f"{path}: no such file")
    if p.is_dir():
        raise HingeError(f"{path}: is a folder; give a session log file (Snnnn.hlg)")
    try:
        s = logdecode.decode_session(p)
    except ValueError as e:
        raise HingeError(str(e).splitlines()[0]) from None
    if s.blocks == 0 and len(s.strides) == 0:
        raise HingeError(f"{path}: {nothing_to_report(s)}")
    return s


def nothing_to_report(s) -> str:
    """One line for a log without one intact block: what it is and what to do."""
    name = s.header.get("name") or "SNNNN"
    if s.bad_blocks:  # and not one intact: every block is corrupt
        return (f"every block is corrupt ({s.bad_blocks} block{'s' if s.bad_blocks > 1 else ''} fail their CRC): "
                f"the file is damaged; pull it again (hinge logs pull {name})")
    if not s.problems and s.header.get("intact"):
        return ("no records yet: the session ended before the first stride (nothing was recorded; every restart, "
                "e.g. by `hinge config set`, starts such a log); use a session with a run in it (hinge logs list)")
    why = s.problems[0] if s.problems else "no data blocks"
    return f"nothing intact to report ({why}); pull it again (hinge logs pull {name})"


def config_of(header: dict, overrides: dict) -> tuple[dict, dict]:
    """Full validated config for the report, and where each threshold came from."""
    from hinge.common.devpath import import_device

    config = import_device("config")
    snap = header.get("config") if isinstance(header.get("config"), dict) else None
    base = {}
    if snap:
        for k, v in snap.items():
            if k in config.SCHEMA:
                try:
                    base[k] = config.check(k, v)
                except ValueError:
                    pass
    merged = {**base, **overrides}
    try:
        cfg = config.validate(merged)
    except ValueError as e:
        raise HingeError(f"--cfg: {str(e).splitlines()[0]}") from None
    src = {}
    for k in shown_keys(cfg):
        src[k] = "--cfg" if k in overrides else ("log" if k in base else "default")
    return cfg, src


# ---- analysis -------------------------------------------------------------------------------
@dataclass
class Episode:
    """A stretch of running the coach counted as one fault."""

    reason: str
    t0_ms: int
    t1_ms: int
    buzzes: int = 0

    @property
    def seconds(self) -> float:
        return (self.t1_ms - self.t0_ms) / 1000.0


@dataclass
class Analysis:
    path: Path
    name: str
    session: object  # logdecode.Session
    cfg: dict
    cfg_source: dict
    strides: np.ndarray
    running: np.ndarray  # bool per stride
    fault: dict  # reason -> bool per stride (the coach's episode state after the stride)
    episodes: list  # Episode
    alerts: np.ndarray  # logged alerts (kind == "alert") not withheld by faded feedback: the buzzes felt
    clears: np.ndarray
    replayed: list  # (t_ms, reason, severity) the coach gives with cfg
    duration_s: float
    time_s: dict  # activity -> seconds
    fault_s: dict  # reason -> seconds of running in that fault
    calib: dict
    device_faults: list  # (t_ms, name, detail)
    problems: list
    stats: dict = field(default_factory=dict)
    overridden: bool = False
    watch: object = None  # hinge.watch's WatchView (--with): has .html(a) and .text(a) for the report
    reasons: tuple = BASE_REASONS  # the faults to show (``shown_reasons``): the base three and the cues in use

    @property
    def start(self) -> str | None:
        return self.session.header.get("start")

    def t_min(self) -> np.ndarray:
        return self.strides["t_ms"] / 60000.0


def _episodes(strides, fault, alerts) -> list:
    out = []
    for r in REASONS:
        f = fault[r]
        i = 0
        n = len(f)
        while i < n:
            if not f[i]:
                i += 1
                continue
            j = i
            while j + 1 < n and f[j + 1]:
                j += 1
            t0 = int(strides["t_ms"][i] - strides["stride_ms"][i])
            t1 = int(strides["t_ms"][j])
            buzz = sum(1 for a in alerts if a["reason"] == r and t0 <= a["t_ms"] <= t1 + 1)
            out.append(Episode(r, t0, t1, buzz))
            i = j + 1
    out.sort(key=lambda e: e.t0_ms)
    return out


def pct(x, q):
    return float(np.percentile(x, q)) if len(x) else None


def med(x):
    return float(np.median(x)) if len(x) else None


def med_measured(x):
    """The median of the values measured (NaN: not measured, as a running-dynamics column's), or
    None when none were."""
    x = np.asarray(x, dtype=float)
    return med(x[np.isfinite(x)])


def analyse(session, path="", overrides: dict | None = None) -> Analysis:
    """Everything the report shows, computed once from a decoded session."""
    from hinge.common.devpath import import_device

    ev = import_device("events")
    overrides = dict(overrides or {})
    cfg, src = config_of(session.header, overrides)
    s = session.strides
    running = s["activity"] == ev.ACT_RUNNING
    coach_state: dict = {}
    day = session_day(session.header)
    kept = kept_cadence_base(session.events)   # a cadence baseline the board kept from an earlier run
    fault, replayed = replay_coach(s, cfg, session.events, coach_state, day, kept)
    # the buzzes felt: alerts that faded feedback did not hold back (those are in the log too)
    alerts = session.alerts[(session.alerts["kind"] == "alert") & ~session.alerts["withheld"]]
    clears = session.alerts[session.alerts["kind"] == "clear"]
    episodes = _episodes(s, fault, alerts)
    t_end = 0
    for arr in (s, session.alerts, session.events):
        if len(arr):
            t_end = max(t_end, int(arr["t_ms"].max()))
    walking = s["activity"] == ev.ACT_WALKING
    time_s = {"running": covered_s(s, running, 0, t_end), "walking": covered_s(s, walking, 0, t_end)}
    time_s["standing"] = max(0.0, t_end / 1000.0 - covered_s(s, running | walking, 0, t_end))
    fault_s = {r: covered_s(s, fault[r] & running, 0, t_end) for r in REASONS}
    calib = {"state": "none", "t_ms": None}
    device_faults = []
    for e in session.events:
        if e["name"] == "calib":
            state = {1: "ok", 2: "restored", 3: "earlier"}.get(int(e["a"]), "fallback")
            calib = {"state": state, "t_ms": int(e["t_ms"]), "pitch0_deg": e["b"] / 100.0,
                     "roll0_deg": e["c"] / 100.0, "still_ms": int(e["d"]),
                     "flipped": calib.get("flipped", False) or bool(e["e"])}
        elif int(e["type"]) == ev.EV_FAULT:
            device_faults.append((int(e["t_ms"]), str(e["name"]), int(e["b"])))
    calib["strides_calibrated"] = int(s["calibrated"].sum())
    r = s[running]
    stats = {
        "strides": int(len(s)),
        "running_strides": int(running.sum()),
        "cadence": med(r["cadence_spm"]), "cadence_p10": pct(r["cadence_spm"], 10), "cadence_p90": pct(r["cadence_spm"], 90),
        "lean": med(r["lean_deg"]), "lean_p10": pct(r["lean_deg"], 10), "lean_p90": pct(r["lean_deg"], 90),
        "rotation": med(r["rotation_deg"]), "rotation_p10": pct(r["rotation_deg"], 10),
        "rotation_p90": pct(r["rotation_deg"], 90),
        # the pelvis's roll (side-to-side tilt, peak to peak per stride) and the hip drop in each
        # foot's stance (the contralateral hip's drop, device/dynamics.py): two measures, the second
        # the one coaches and the optional cue mean by "hip drop"
        "roll": med(r["roll_deg"]), "roll_p90": pct(r["roll_deg"], 90),
        "hip_drop_left": med_measured(r["hip_drop_left_deg"]), "hip_drop_right": med_measured(r["hip_drop_right_deg"]),
        # the cadence cue's target as the coach set it (cadence_target_spm, or learned from this run's
        # baseline; 0 = none yet) and the baseline it learned (0 = not learned: too little running)
        "cadence_target": coach_state["cadence_target_spm"], "cadence_baseline": coach_state["cadence_baseline_spm"],
        "cadence_baseline_kept": bool(kept),   # the baseline was kept from an earlier run, not learned in this one
    }
    if len(r) >= 30:  # first vs last third of the running strides: fatigue shows here
        k = len(r) // 3
        stats["lean_trend"] = float(np.median(r["lean_deg"][-k:]) - np.median(r["lean_deg"][:k]))
        stats["rotation_trend"] = float(np.median(r["rotation_deg"][-k:]) - np.median(r["rotation_deg"][:k]))
        stats["roll_trend"] = float(np.median(r["roll_deg"][-k:]) - np.median(r["roll_deg"][:k]))
    name = session.header.get("name") or Path(path).stem or "session"
    return Analysis(Path(path), name, session, cfg, src, s, running, fault, episodes, alerts, clears, replayed,
                    t_end / 1000.0, time_s, fault_s, calib, device_faults, list(session.problems), stats,
                    overridden=bool(overrides), reasons=shown_reasons(cfg, session.alerts))


def covered_s(strides: np.ndarray, mask: np.ndarray, lo_ms: int, hi_ms: int) -> float:
    """Seconds of [lo_ms, hi_ms) covered by the strides in ``mask``, each from ``t_ms - stride_ms``
    to ``t_ms``; where strides overlap (a gap-bridging stride, a restart) the time counts once,
    so a share of a stretch of time never passes 100 %."""
    t1 = strides["t_ms"][mask].astype(np.int64)
    t0 = np.maximum(t1 - strides["stride_ms"][mask].astype(np.int64), lo_ms)
    t1 = np.minimum(t1, hi_ms)
    keep = t1 > t0
    t0, t1 = t0[keep], t1[keep]
    if not len(t0):
        return 0.0
    order = np.argsort(t0, kind="stable")
    t0, t1 = t0[order], t1[order]
    reach = np.maximum.accumulate(t1)  # the furthest end so far
    start = np.maximum(t0, np.concatenate((t0[:1], reach[:-1])))
    return float(np.clip(t1 - start, 0, None).sum()) / 1000.0


# ---- splits (per minute; per km once distance is logged) -------------------------------------
def has_distance(a: Analysis) -> bool:
    return "distance_m" in (a.strides.dtype.names or ())


def split_width(duration_s: float) -> int:
    """Seconds per row of the time table: 1 min up to 40 min, 5 min up to 3 h, then 10 min."""
    return 60 if duration_s <= 40 * 60 else 300 if duration_s <= 3 * 3600 else 600


def splits(a: Analysis, by: str = "time", width: float | None = None) -> list[dict]:
    """Rows of the split table: per ``width`` seconds (``by="time"``) or metres (``by="distance"``).

    Each stride counts (strides, medians) in the split holding its midpoint; running and fault
    seconds (``running_s``, and ``<reason>_s`` for every one of REASONS) are the time the strides
    cover inside the split (``covered_s``), so a row never shows more than 100 % running. ``by="distance"`` needs a
    ``distance_m`` column (cumulative metres at each stride's end) that the logs do not carry
    yet: it raises ValueError until then, and the report falls back to time.
    """
    s = a.strides
    if by == "distance":
        if not has_distance(a):
            raise ValueError("per-km splits need distance in the log; this firmware does not record it yet")
        width = width or 1000.0
        pos = s["distance_m"].astype(float)
        end = float(pos.max()) if len(pos) else 0.0
    elif by == "time":
        width = width or split_width(a.duration_s)
        pos = (s["t_ms"] - s["stride_ms"] / 2.0) / 1000.0
        end = a.duration_s
    else:
        raise ValueError(f"splits by {by!r}: 'time' or 'distance'")
    nbin = max(1, int(np.ceil(end / width))) if end > 0 else 1
    idx = np.clip((pos // width).astype(int), 0, nbin - 1) if len(s) else np.zeros(0, int)
    dur = s["stride_ms"].astype(float) / 1000.0
    rows = []
    for b in range(nbin):
        m = idx == b
        run = m & a.running
        rs = s[run]
        row = {
            "start": b * width, "end": min((b + 1) * width, end) if end else (b + 1) * width,
            "strides": int(m.sum()),
            "cadence": med(rs["cadence_spm"]), "lean": med(rs["lean_deg"]),
            "rotation": med(rs["rotation_deg"]), "roll": med(rs["roll_deg"]),
        }
        if by == "time":  # the time covered inside the row
            lo_ms, hi_ms = int(round(row["start"] * 1000)), int(round(row["end"] * 1000))
            row["running_s"] = covered_s(s, a.running, lo_ms, hi_ms)
            for r in REASONS:
                row[r + "_s"] = covered_s(s, a.running & a.fault[r], lo_ms, hi_ms)
        else:
            row["running_s"] = float(dur[run].sum())
            for r in REASONS:
                row[r + "_s"] = float(dur[run & a.fault[r]].sum())
        lo, hi = b * width, (b + 1) * width
        if by == "time":
            row["buzzes"] = int(((a.alerts["t_ms"] >= lo * 1000) & (a.alerts["t_ms"] < hi * 1000)).sum())
        else:
            row["buzzes"] = 0
        rows.append(row)
    return rows


def unique_names(analyses: list) -> None:
    """Make session names unique (the same number can come from two boards): add the file name."""
    names = [a.name for a in analyses]
    for a in analyses:
        if names.count(a.name) > 1:
            a.name = f"{a.name} ({a.path.name})"
    names = [a.name for a in analyses]
    for i, a in enumerate(analyses):
        if names.count(a.name) > 1:
            a.name = f"{a.name} #{i + 1}"
