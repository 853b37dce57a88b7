"""``hinge report``: a run report a runner wants to look at, from one or more session logs.

    hinge report hinge-logs/S0003.hlg                    # terminal summary
    hinge report hinge-logs/S0003.hlg --html run.html    # one self-contained HTML file
    hinge report S0002.hlg S0003.hlg --html cmp.html     # two (or more) sessions compared
    hinge report S0003.hlg --cfg lean_min_deg=5          # "what if": faults recomputed

What is in it: duration, strides, cadence; lean, rotation (swivel), cadence and hip drop over
time with the thresholds drawn in and the stretches the coach counted as a fault shaded; the
buzzes on the timeline; time spent in each fault; a per-minute table (per-km once the log
carries distance: :func:`splits` has the hook); the thresholds used and where they came from;
calibration status and any log problems, in plain language.

Thresholds come from the log header's config snapshot (the board's config during the run);
``--cfg KEY=VALUE`` overrides them. Time in each fault is recomputed by running the logged
strides through the firmware's own coach (``device/coach.py``, imported, not copied): smoothing,
hysteresis and the hold time exactly as on the board, so with the logged thresholds it
reproduces the buzzes the runner felt (a test checks that), and with ``--cfg`` it says what
would have happened.

The HTML is one file: figures are PNG (matplotlib, Agg, no pyplot state) embedded as base64,
CSS inline, no scripts and no external links, laid out for a phone first. Python API::

    a = report.analyse(report.load("S0003.hlg"), "S0003.hlg")
    figs = report.figures([a])          # {"timeline": Figure, "distributions": Figure, ...}
    html = report.render_html([a])      # str
    print(report.render_text([a]))
"""
from __future__ import annotations

import base64
import datetime as _dt
import html as _html
import io
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hinge.common import timefmt
from hinge.common.devpath import import_device
from hinge.common.errors import HingeError

REASONS = ("upright", "backward", "swivel")
LABEL = {"upright": "Too upright", "backward": "Leaning back", "swivel": "Swivel"}
COLOR = {"upright": "#E69F00", "backward": "#D55E00", "swivel": "#CC79A7"}  # Okabe-Ito
METRIC_COLOR = {"lean": "#0072B2", "rotation": "#009E73", "cadence": "#3F3F8F", "roll": "#8C564B"}
ACT_COLOR = ("#D9D9D9", "#B9DDB0", "#7DB8E0")  # standing, walking, running
ACT_NAMES = import_device("events").ACTIVITY_NAMES
SESSION_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
IDLE_MS = 2000  # no step for this long = standing (the detector's rule): the coach resets
SMOOTH = 9  # strides in the running median drawn over the dots
THRESHOLD_KEYS = ("lean_min_deg", "lean_back_deg", "lean_hyst_deg", "swivel_max_deg", "swivel_hyst_deg",
                  "alert_after_s", "alert_repeat_s", "coach_upright", "coach_backward", "coach_swivel", "run_min_spm")

EXPLAIN = {
    "lean": "Lean: how far your pelvis tilts forward from your standing pose, averaged over each stride. "
            "Good running hinges forward at the hips. Below the dashed line ({lean_min_deg:g}°) counts as "
            "'too upright'; below the dotted line ({lean_back_deg:g}°) as 'leaning back', the worst case "
            "(watch it on descents).",
    "rotation": "Rotation: how far your pelvis twists about the vertical in each stride, peak to peak (turns "
                "and switchbacks removed). A good arm swing gives a little; above the dashed line "
                "({swivel_max_deg:g}°) counts as 'swivel', a twist that loads the lower back on every stride.",
    "cadence": "Cadence: steps per minute, both feet. Strides at or above {run_min_spm} steps/min with a flight "
               "phase count as running; the coach only works (and only buzzes) while you run.",
    "roll": "Hip drop: how far your pelvis tips side to side in each stride, peak to peak. Not coached; "
            "worth watching if it grows late in a run.",
    "faults": "Shaded: stretches the coach counted as a fault, using the same rules as the board: each value "
              "smoothed over about two strides, and a fault ends only once you are back past the limit by "
              "{lean_hyst_deg:g}° (lean) or {swivel_hyst_deg:g}° (rotation). It buzzes once a fault has held "
              "for {alert_after_s:g} s of running, and again every {alert_repeat_s:g} s while it holds.",
}


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


def parse_overrides(items) -> dict:
    """``["lean_min_deg=5", ...]`` -> {key: value}, each checked by ``device/config.py``."""

    config = import_device("config")
    out = {}
    for it in items or ():
        if "=" not in it:
            raise HingeError(f"--cfg {it}: expected KEY=VALUE")
        k, v = (x.strip() for x in it.split("=", 1))
        out[k] = config.parse_value(k, v)
    return out


def _config(header: dict, overrides: dict) -> tuple[dict, dict]:
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
    for k in THRESHOLD_KEYS:
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
    alerts: np.ndarray  # logged alerts (kind == "alert"): the buzzes felt
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

    @property
    def start(self) -> str | None:
        return self.session.header.get("start")

    def t_min(self) -> np.ndarray:
        return self.strides["t_ms"] / 60000.0


class _Queue:
    def __init__(self):
        self.items = []

    def push(self, *e):
        self.items.append(e)


def replay_coach(strides: np.ndarray, cfg: dict):
    """Run logged strides through the firmware's coach; (fault dict of bool arrays, alerts).

    Running strides go to ``Coach.stride``; a walking stride, or no step for IDLE_MS, resets it
    (as the detector does). Alerts are (t_ms, reason, severity).
    """
    from hinge.common.devpath import import_device

    coach_mod = import_device("coach")
    ev = import_device("events")
    q = _Queue()
    c = coach_mod.Coach(cfg, q)
    n = len(strides)
    fault = {r: np.zeros(n, bool) for r in REASONS}
    prev = None
    for i in range(n):
        s = strides[i]
        t, dur = int(s["t_ms"]), int(s["stride_ms"])
        if prev is not None and t - dur - prev > IDLE_MS:
            c.reset()
        if int(s["activity"]) == ev.ACT_RUNNING:
            c.stride(t, int(round(float(s["lean_deg"]) * 100)), int(round(float(s["rotation_deg"]) * 100)), dur)
        else:
            c.reset()
        fault["upright"][i] = bool(c.up_on)
        fault["backward"][i] = bool(c.back_on)
        fault["swivel"][i] = bool(c.sw_on)
        prev = t
    alerts = [(e[1], ev.REASON_NAMES[e[2]], e[3]) for e in q.items if e[0] == ev.EV_ALERT]
    return fault, alerts


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


def _pct(x, q):
    return float(np.percentile(x, q)) if len(x) else None


def _med(x):
    return float(np.median(x)) if len(x) else None


def analyse(session, path="", overrides: dict | None = None) -> Analysis:
    """Everything the report shows, computed once from a decoded session."""
    from hinge.common.devpath import import_device

    ev = import_device("events")
    overrides = dict(overrides or {})
    cfg, src = _config(session.header, overrides)
    s = session.strides
    running = s["activity"] == ev.ACT_RUNNING
    fault, replayed = replay_coach(s, cfg)
    alerts = session.alerts[session.alerts["kind"] == "alert"]
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
            ok = int(e["a"]) == 1
            calib = {"state": "ok" if ok else "fallback", "t_ms": int(e["t_ms"]), "pitch0_deg": e["b"] / 100.0,
                     "roll0_deg": e["c"] / 100.0, "still_ms": int(e["d"])}
        elif int(e["type"]) == ev.EV_FAULT:
            device_faults.append((int(e["t_ms"]), str(e["name"]), int(e["b"])))
    calib["strides_calibrated"] = int(s["calibrated"].sum())
    r = s[running]
    stats = {
        "strides": int(len(s)),
        "running_strides": int(running.sum()),
        "cadence": _med(r["cadence_spm"]), "cadence_p10": _pct(r["cadence_spm"], 10), "cadence_p90": _pct(r["cadence_spm"], 90),
        "lean": _med(r["lean_deg"]), "lean_p10": _pct(r["lean_deg"], 10), "lean_p90": _pct(r["lean_deg"], 90),
        "rotation": _med(r["rotation_deg"]), "rotation_p10": _pct(r["rotation_deg"], 10),
        "rotation_p90": _pct(r["rotation_deg"], 90),
        "roll": _med(r["roll_deg"]), "roll_p90": _pct(r["roll_deg"], 90),
    }
    if len(r) >= 30:  # first vs last third of the running strides: fatigue shows here
        k = len(r) // 3
        stats["lean_trend"] = float(np.median(r["lean_deg"][-k:]) - np.median(r["lean_deg"][:k]))
        stats["rotation_trend"] = float(np.median(r["rotation_deg"][-k:]) - np.median(r["rotation_deg"][:k]))
        stats["roll_trend"] = float(np.median(r["roll_deg"][-k:]) - np.median(r["roll_deg"][:k]))
    name = session.header.get("name") or Path(path).stem or "session"
    return Analysis(Path(path), name, session, cfg, src, s, running, fault, episodes, alerts, clears, replayed,
                    t_end / 1000.0, time_s, fault_s, calib, device_faults, list(session.problems), stats,
                    overridden=bool(overrides))


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
    seconds are the time the strides cover inside the split (``covered_s``), so a row never
    shows more than 100 % running. ``by="distance"`` needs a
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
            "cadence": _med(rs["cadence_spm"]), "lean": _med(rs["lean_deg"]),
            "rotation": _med(rs["rotation_deg"]), "roll": _med(rs["roll_deg"]),
        }
        if by == "time":  # the time covered inside the row
            lo_ms, hi_ms = int(round(row["start"] * 1000)), int(round(row["end"] * 1000))
            row["running_s"] = covered_s(s, a.running, lo_ms, hi_ms)
            for r in REASONS:
                row[r] = covered_s(s, a.running & a.fault[r], lo_ms, hi_ms)
        else:
            row["running_s"] = float(dur[run].sum())
            for r in REASONS:
                row[r] = float(dur[run & a.fault[r]].sum())
        lo, hi = b * width, (b + 1) * width
        if by == "time":
            row["buzzes"] = int(((a.alerts["t_ms"] >= lo * 1000) & (a.alerts["t_ms"] < hi * 1000)).sum())
        else:
            row["buzzes"] = 0
        rows.append(row)
    return rows


# ---- formatting helpers ----------------------------------------------------------------------
clock = timefmt.clock  # m:ss or h:mm:ss, floored to the second: the same as `hinge monitor`


def _f(v, fmt="{:.1f}", none="–"):
    return none if v is None else fmt.format(v)


def _date(a: Analysis) -> str:
    st = a.start
    if not st:
        return "date unknown (the board's clock was not set)"
    try:
        d = _dt.datetime.fromisoformat(st)
    except ValueError:
        return st
    return d.strftime("%a %d %b %Y, %H:%M")


def _share(x, total):
    return 100.0 * x / total if total > 0 else 0.0


def highlights(a: Analysis) -> list[tuple[str, str]]:
    """Plain-language findings: (kind, text); kind is "good", "note" or "warn"."""
    c, st = a.cfg, a.stats
    out = []
    run = a.time_s["running"]
    out.append(("note", f"{clock(a.duration_s)} recorded: {clock(run)} running, {clock(a.time_s['walking'])} walking, "
                        f"{clock(a.time_s['standing'])} standing or stopped."))
    if st["running_strides"] == 0:
        out.append(("warn", "No running strides: the coach only works while you run (cadence at or above "
                            f"{c['run_min_spm']} steps/min with a flight phase)."))
        return out
    out.append(("note", f"Cadence: {st['cadence']:.0f} steps/min typical ({st['cadence_p10']:.0f}–{st['cadence_p90']:.0f} "
                        f"for most strides)."))
    up, back, sw = (a.fault_s[r] for r in REASONS)
    lean_txt = f"Lean: {st['lean']:.1f}° forward typical."
    if up + back < 0.02 * run:
        out.append(("good", lean_txt + f" You stayed hinged forward: under 2 % of running time below your "
                                       f"{c['lean_min_deg']:g}° limit."))
    else:
        parts = []
        if up:
            parts.append(f"too upright for {clock(up)} ({_share(up, run):.0f} % of running)")
        if back:
            parts.append(f"leaning back for {clock(back)} ({_share(back, run):.0f} %)")
        out.append(("warn", lean_txt + " " + "; ".join(parts).capitalize() + "."))
    rot_txt = f"Rotation: {st['rotation']:.1f}° per stride typical."
    if sw < 0.02 * run:
        out.append(("good", rot_txt + f" No real swivel: under 2 % of running time above {c['swivel_max_deg']:g}°."))
    else:
        out.append(("warn", rot_txt + f" Swivelling for {clock(sw)} ({_share(sw, run):.0f} % of running)."))
    tr = st.get("lean_trend")
    if tr is not None and abs(tr) >= 1.0:
        if tr < 0:
            out.append(("warn", f"Your lean dropped {-tr:.1f}° from the first to the last third of your running: "
                                "tiring often shows as running more upright."))
        else:
            out.append(("note", f"Your lean grew {tr:.1f}° from the first to the last third of your running."))
    tr = st.get("rotation_trend")
    if tr is not None and tr >= 2.0:
        out.append(("warn", f"Rotation grew {tr:.1f}° from the first to the last third of your running."))
    tr = st.get("roll_trend")
    if tr is not None and tr >= 1.5:
        out.append(("note", f"Hip drop grew {tr:.1f}° from the first to the last third of your running."))
    n = len(a.alerts)
    if n == 0:
        out.append(("good", "No buzzes: no fault held long enough to be coached."))
    else:
        items = ", ".join(f"{clock(x['t_ms'] / 1000)} {LABEL.get(str(x['reason']), str(x['reason'])).lower()}"
                          for x in a.alerts[:6])
        more = f" and {n - 6} more" if n > 6 else ""
        out.append(("warn", f"{n} buzz{'es' if n > 1 else ''}: {items}{more}."))
    if a.overridden:
        out.append(("note", f"With the --cfg thresholds the coach would have buzzed {len(a.replayed)} time"
                            f"{'s' if len(a.replayed) != 1 else ''} (the shading uses them too)."))
    if a.calib["state"] != "ok":
        out.append(("warn", "No standing calibration: lean is measured against the sensor's mount, not your standing "
                            "pose, so its zero may be off. Stand still for 3 s after switching on."))
    if a.problems:
        out.append(("warn", f"The log is damaged in {len(a.problems)} place{'s' if len(a.problems) > 1 else ''}: "
                            "what was intact is shown (details at the end)."))
    return out


def _calib_text(a: Analysis) -> str:
    c = a.calib
    if c["state"] == "ok":
        return (f"Calibrated at {clock(c['t_ms'] / 1000)} from {c['still_ms'] / 1000:.1f} s of standing still "
                f"(sensor at rest: pitch {c['pitch0_deg']:.1f}°, roll {c['roll0_deg']:.1f}°); lean is measured from "
                f"that pose. {c['strides_calibrated']} of {len(a.strides)} strides calibrated.")
    if c["state"] == "fallback":
        return ("Not calibrated: the run started without 3 s of standing still, so lean is measured against the "
                "sensor's mount axes (its zero may be off by the clip's tilt). Thresholds still apply as set.")
    return "No calibration event in the log (it may have been in a damaged part)."


FAULT_TEXT = {
    "sensor_fault": "the sensor stopped answering",
    "sensor_back": "the sensor answered again",
    "config_fallback": "the board's config.json was unreadable: it ran on its last good config or the defaults",
    "low_battery": "battery low",
    "fifo_overflow": "the sensor's buffer overflowed (samples lost)",
    "log_rotated": "an old session was deleted to make room (session number in detail)",
    "log_full": "the flash was full and no old session was left to delete: logging paused here, coaching went on",
    "log_resumed": "logging resumed (records lost while the flash was full in detail)",
}


# ---- figures --------------------------------------------------------------------------------
# Phone first: the HTML shows one panel per image, PANEL_W inches wide with RC's font sizes, so
# text stays ~11 CSS px on a 375 px wide phone (font size / figure width is what survives the
# scaling); on a desktop the images show at their natural size, never blown up. The combined
# overview figures (fig_timeline, fig_distributions, fig_compare, fig_compare_timeline) draw the
# same panels on one canvas for a big screen, --png and the preview.
PANEL_W = 5.0
PANEL_DPI = 150
RC = {"font.size": 11.5, "axes.titlesize": 12, "axes.labelsize": 11.5, "xtick.labelsize": 11,
      "ytick.labelsize": 11, "legend.fontsize": 10.5, "axes.titleweight": "bold", "figure.titlesize": 14,
      "figure.titleweight": "bold", "legend.handlelength": 1.6, "legend.columnspacing": 1.2}
METRICS = {  # key: (stride column, y label, title)
    "lean": ("lean_deg", "lean (°, forward +)", "Lean: forward tilt of your pelvis"),
    "rotation": ("rotation_deg", "rotation per stride (°)", "Rotation (swivel): pelvis twist per stride"),
    "cadence": ("cadence_spm", "cadence (steps/min)", "Cadence"),
    "roll": ("roll_deg", "hip drop (°)", "Hip drop: side-to-side tilt per stride"),
}
TIME_LABEL = "time since the board started (min:s)"


def _new_figure(w, h, dpi=110):
    from matplotlib.figure import Figure

    return Figure(figsize=(w, h), dpi=dpi, layout="constrained")


def _panel_figure(h):
    return _new_figure(PANEL_W, h, PANEL_DPI)


def _style(ax):
    ax.grid(True, color="#E6E6E6", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _time_axis(ax, duration_s, nbins=8):
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: clock(x * 60) if x >= 0 else ""))
    ax.set_xlim(0, max(duration_s / 60.0, 0.1))


def _legend(ax, handles, where):
    """``where``: "right" of the axes (overview), "below" the figure (panels), or "inside"."""
    if not handles:
        return
    if where == "right":
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, borderaxespad=0)
    elif where == "below":
        ax.figure.legend(handles=handles, loc="outside lower center", ncol=min(2, len(handles)), frameon=False)
    else:
        ax.legend(handles=handles, loc="best", frameon=False)


def _running_median(t_ms, y, running, window=SMOOTH):
    """(t in minutes, running median of y) over the running strides, with NaN points inserted
    where running stops or the strides have a gap of more than 5 s, so the line breaks there."""
    idx = np.flatnonzero(running)
    if len(idx) == 0:
        return np.zeros(0), np.zeros(0)
    vals = y[idx].astype(float)
    h = window // 2
    sm = np.array([np.median(vals[max(0, k - h):k + h + 1]) for k in range(len(vals))])
    tt = t_ms[idx].astype(float) / 60000.0
    brk = np.flatnonzero((np.diff(idx) > 1) | (np.diff(t_ms[idx]) > 5000)) + 1
    return np.insert(tt, brk, np.nan), np.insert(sm, brk, np.nan)


def _limits(a: Analysis, key):
    """Threshold lines of a metric: (value, line style, legend text, colour)."""
    c = a.cfg
    if key == "lean":
        return [(c["lean_min_deg"], "--", f"too upright below {c['lean_min_deg']:g}°", COLOR["upright"]),
                (c["lean_back_deg"], ":", f"leaning back below {c['lean_back_deg']:g}°", COLOR["backward"])]
    if key == "rotation":
        return [(c["swivel_max_deg"], "--", f"swivel above {c['swivel_max_deg']:g}°", COLOR["swivel"])]
    if key == "cadence":
        return [(c["run_min_spm"], "--", f"running from {c['run_min_spm']} steps/min", "#555555")]
    return []


_FAULTS_OF = {"lean": ("upright", "backward"), "rotation": ("swivel",)}


def draw_metric(ax, a: Analysis, key, legend="below", xlabel=True):
    """One metric over time: strides as dots, the smoothed line, thresholds, fault shading, buzzes."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    col, ylabel, title = METRICS[key]
    limits = _limits(a, key)
    reasons = _FAULTS_OF.get(key, ())
    s = a.strides
    t = a.t_min()
    y = s[col].astype(float)
    run = a.running
    for e in a.episodes:
        if e.reason in reasons:
            ax.axvspan(e.t0_ms / 60000.0, e.t1_ms / 60000.0, color=COLOR[e.reason], alpha=0.18, linewidth=0)
    ax.scatter(t[~run], y[~run], s=6, color="#B0B0B0", linewidths=0, label="walking stride", zorder=2)
    ax.scatter(t[run], y[run], s=7, color=METRIC_COLOR[key], alpha=0.35, linewidths=0, label="running stride", zorder=2)
    ts, sm = _running_median(s["t_ms"], y, run)
    ax.plot(ts, sm, color=METRIC_COLOR[key], linewidth=1.8, label=f"smoothed ({SMOOTH} strides)", zorder=3)
    handles, _ = ax.get_legend_handles_labels()
    for value, style, text, color in limits:
        ax.axhline(value, color=color, linestyle=style, linewidth=1.6, zorder=4)
        handles.append(Line2D([], [], color=color, linestyle=style, linewidth=1.6, label=text))
    for r in reasons:
        if any(e.reason == r for e in a.episodes):
            handles.append(Patch(color=COLOR[r], alpha=0.35, label=f"{LABEL[r].lower()} (coach's fault)"))
    bz = [x for x in a.alerts if str(x["reason"]) in reasons]
    if bz:
        finite = y[np.isfinite(y)]
        ymax = float(np.percentile(finite, 99.5)) if len(finite) else 1.0
        ax.scatter([x["t_ms"] / 60000.0 for x in bz], [ymax] * len(bz), marker="v", s=70,
                   color=[COLOR.get(str(x["reason"]), "k") for x in bz], edgecolors="black", linewidths=0.8, zorder=5)
        handles.append(Line2D([], [], marker="v", color="w", markerfacecolor="#777", markeredgecolor="black",
                              markersize=8, label="buzz"))
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left")
    _style(ax)
    finite = y[np.isfinite(y)]
    if len(finite):
        lo, hi = np.percentile(finite, 0.5), np.percentile(finite, 99.5)
        for value, *_ in limits:
            lo, hi = min(lo, value), max(hi, value)
        pad = max(1.0, 0.1 * (hi - lo))
        ax.set_ylim(lo - pad, hi + pad * 1.6)
    _time_axis(ax, a.duration_s)
    if xlabel:
        ax.set_xlabel(TIME_LABEL)
    _legend(ax, handles, legend)


def draw_events(ax, a: Analysis, legend="below", xlabel=True):
    """What happened: activity band, the coach's fault stretches as bars, buzzes as triangles."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    s = a.strides
    rows = ["Activity"] + [LABEL[r] for r in REASONS]
    ypos = {name: len(rows) - 1 - i for i, name in enumerate(rows)}
    spans: dict = {0: [], 1: [], 2: []}  # activity -> [(t0, width)] in minutes, touching strides merged
    for i in range(len(s)):
        t1 = s["t_ms"][i] / 60000.0
        t0 = (s["t_ms"][i] - s["stride_ms"][i]) / 60000.0
        act = int(s["activity"][i]) % 3
        last = spans[act][-1] if spans[act] else None
        if last and abs(last[0] + last[1] - t0) < 1e-6:
            spans[act][-1] = (last[0], t1 - last[0])
        else:
            spans[act].append((t0, t1 - t0))
    for act, sp in spans.items():
        if sp:
            ax.broken_barh(sp, (ypos["Activity"] - 0.35, 0.7), color=ACT_COLOR[act], linewidth=0)
    for e in a.episodes:
        ax.broken_barh([(e.t0_ms / 60000.0, (e.t1_ms - e.t0_ms) / 60000.0)], (ypos[LABEL[e.reason]] - 0.3, 0.6),
                       color=COLOR[e.reason], linewidth=0)
    for x in a.alerts:
        r = str(x["reason"])
        if r in COLOR:
            ax.plot(x["t_ms"] / 60000.0, ypos[LABEL[r]] + 0.42, marker="v", markersize=9, color=COLOR[r],
                    markeredgecolor="black", linestyle="none", zorder=5)
    ax.set_yticks([ypos[n] for n in rows], rows)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_title("What happened", loc="left")
    ax.grid(True, axis="x", color="#E6E6E6")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    _time_axis(ax, a.duration_s)
    if xlabel:
        ax.set_xlabel(TIME_LABEL)
    handles = [Patch(color=ACT_COLOR[2], label="running"), Patch(color=ACT_COLOR[1], label="walking"),
               Patch(facecolor="white", edgecolor="#999", label="blank: standing")]
    handles += [Patch(color="#999", label="fault held (bar)"),
                Line2D([], [], marker="v", color="w", markerfacecolor="#999", markeredgecolor="black", markersize=8,
                       label="buzz")]
    _legend(ax, handles, legend)


def _hist(ax, x, bins, color, label=None, density=False, step=False):
    if len(x) == 0:
        ax.text(0.5, 0.5, "no running strides", transform=ax.transAxes, ha="center", va="center", color="#777")
        return
    if step:
        ax.hist(x, bins=bins, histtype="step", linewidth=2, color=color, label=label, density=density)
    else:
        ax.hist(x, bins=bins, color=color, alpha=0.8, label=label, density=density, edgecolor="white", linewidth=0.5)


def _bins(values, width=None, pad=0.0):
    """Histogram edges over all ``values`` at a round ``width`` (None: about 30 bins over the data)."""
    vals = np.concatenate([np.asarray(v, float) for v in values if len(v)] or [np.zeros(1)])
    if width is None:
        data = np.asarray(values[0], float) if len(values[0]) else vals
        span = float(np.percentile(data, 99) - np.percentile(data, 1)) if len(data) else 1.0
        width = next((w for w in (0.2, 0.25, 0.5, 1, 2, 5, 10) if span / w <= 30), 20)
    lo = np.floor((vals.min() - pad) / width) * width
    hi = np.ceil((vals.max() + pad) / width) * width + width
    return np.arange(lo, hi + width / 2, width)


HIST_TITLE = {"lean": "Lean while running", "rotation": "Rotation while running", "cadence": "Cadence while running"}


def draw_hist(ax, a: Analysis, key):
    """Where the running strides fall, with the limits and the zones past them tinted."""
    c = a.cfg
    col, unit, _ = METRICS[key]
    x = a.strides[a.running][col].astype(float)
    limits = _limits(a, key) if key != "cadence" else []
    if key == "lean":
        ax.axvspan(-90, c["lean_back_deg"], color=COLOR["backward"], alpha=0.12, linewidth=0)
        ax.axvspan(c["lean_back_deg"], c["lean_min_deg"], color=COLOR["upright"], alpha=0.12, linewidth=0)
    elif key == "rotation":
        ax.axvspan(c["swivel_max_deg"], 200, color=COLOR["swivel"], alpha=0.12, linewidth=0)
    _hist(ax, x, _bins([x, [v for v, *_ in limits]], None, 1 if key != "cadence" else 2), METRIC_COLOR[key],
          "running strides")
    for value, style, text, color in limits:
        ax.axvline(value, color=color, linestyle=style, linewidth=1.6, label=text)
    if key == "cadence" and len(x):
        ax.axvline(float(np.median(x)), color="black", linewidth=1.2, label=f"typical {np.median(x):.0f} steps/min")
    vals = np.concatenate([x, [v for v, *_ in limits]]) if len(x) or limits else np.zeros(1)
    pad = 2.0 if key == "cadence" else 1.5
    ax.set_xlim((max(0, vals.min() - pad) if key == "rotation" else vals.min() - pad), vals.max() + pad)
    ax.set(xlabel=unit, ylabel="strides", title=HIST_TITLE[key])
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, loc="best")
    _style(ax)


def draw_fault_time(ax, a: Analysis):
    """Minutes of running in each fault, with the share of running time."""
    run = a.time_s["running"]
    names = [LABEL[x] for x in REASONS]
    secs = [a.fault_s[x] for x in REASONS]
    bars = ax.barh(names[::-1], [v / 60 for v in secs[::-1]], color=[COLOR[x] for x in REASONS[::-1]])
    for b, v in zip(bars, secs[::-1]):
        ax.text(b.get_width(), b.get_y() + b.get_height() / 2, f"  {clock(v)}  ({_share(v, run):.0f} %)",
                va="center")
    top = max([v / 60 for v in secs] + [0.1])
    ax.set_xlim(0, top * 1.7)
    ax.set(xlabel="minutes of running in the fault", title=f"Time in each fault (of {clock(run)} running)")
    _style(ax)


def _session_colors(analyses):
    return {id(a): SESSION_COLORS[i % len(SESSION_COLORS)] for i, a in enumerate(analyses)}


def draw_compare_hist(ax, analyses: list, key):
    """The sessions' running strides overlaid (each normalised, so lengths do not matter)."""
    cols = _session_colors(analyses)
    col, unit, _ = METRICS[key]
    data = [a.strides[a.running][col].astype(float) for a in analyses]
    bins = _bins(data, None, 1.0)
    for a, x in zip(analyses, data):
        _hist(ax, x, bins, cols[id(a)], a.name, density=True, step=True)
        if len(x):
            ax.axvline(float(np.median(x)), color=cols[id(a)], linewidth=1, alpha=0.8)
    lim_key = {"lean": "lean_min_deg", "rotation": "swivel_max_deg"}.get(key)
    if lim_key:
        seen = set()
        for a in analyses:
            v = a.cfg[lim_key]
            if v in seen:
                continue
            seen.add(v)
            same = all(b.cfg[lim_key] == v for b in analyses)
            ax.axvline(v, color="black" if same else cols[id(a)], linestyle="--", linewidth=1.5,
                       label=f"{'limit' if same else a.name + ' limit'} {v:g}°")
    ax.set(xlabel=unit, ylabel="share of strides", title=HIST_TITLE[key])
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, loc="best")
    _style(ax)


def draw_compare_faults(ax, analyses: list):
    cols = _session_colors(analyses)
    n = len(analyses)
    w = 0.8 / n
    y = np.arange(len(REASONS))
    for i, a in enumerate(analyses):
        run = a.time_s["running"]
        ax.barh(y + (i - (n - 1) / 2) * w, [_share(a.fault_s[r], run) for r in REASONS], height=w,
                color=cols[id(a)], label=a.name)
    ax.set_yticks(y, [LABEL[r] for r in REASONS])
    ax.invert_yaxis()
    ax.set(xlabel="% of running time in the fault", title="Time in each fault")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, loc="best")
    _style(ax)


def draw_compare_time(ax, analyses: list, key, legend="below", xlabel=True):
    """Each session's smoothed metric on one time axis, with its limit."""
    from matplotlib.lines import Line2D

    cols = _session_colors(analyses)
    col, unit, _ = METRICS[key]
    lim = {"lean": "lean_min_deg", "rotation": "swivel_max_deg"}[key]
    handles = []
    for i, a in enumerate(analyses):
        ax.plot(*_running_median(a.strides["t_ms"], a.strides[col].astype(float), a.running), color=cols[id(a)],
                linewidth=1.8)
        handles.append(Line2D([], [], color=cols[id(a)], linewidth=1.8, label=a.name))
        same = all(b.cfg[lim] == a.cfg[lim] for b in analyses)
        if not same or i == 0:
            c = "black" if same else cols[id(a)]
            ax.axhline(a.cfg[lim], color=c, linestyle="--", linewidth=1.2)
            handles.append(Line2D([], [], color=c, linestyle="--", label=f"{'' if same else a.name + ' '}limit {a.cfg[lim]:g}°"))
    what = "too-upright" if key == "lean" else "swivel"
    ax.set(ylabel=unit, title=f"{'Lean' if key == 'lean' else 'Rotation'} over time (smoothed; dashed: {what} limit)")
    _time_axis(ax, max(a.duration_s for a in analyses))
    if xlabel:
        ax.set_xlabel(TIME_LABEL)
    _style(ax)
    _legend(ax, handles, legend)


# -- figures: one panel each (the HTML) ------------------------------------------------------------
def fig_panel(a: Analysis, key: str):
    """One phone-sized figure: "events", a metric ("lean", "rotation", "cadence", "roll"),
    a histogram ("lean_hist", ...) or "fault_time"."""
    if key == "events":
        fig = _panel_figure(3.3)
        draw_events(fig.add_subplot(), a)
    elif key in METRICS:
        fig = _panel_figure(4.2)
        draw_metric(fig.add_subplot(), a, key)
    elif key.endswith("_hist"):
        fig = _panel_figure(3.6)
        draw_hist(fig.add_subplot(), a, key[:-5])
    elif key == "fault_time":
        fig = _panel_figure(2.8)
        draw_fault_time(fig.add_subplot(), a)
    else:
        raise ValueError(f"no panel {key!r}")
    return fig


def fig_compare_panel(analyses: list, key: str):
    """One phone-sized comparison figure: "lean_hist", "rotation_hist", "cadence_hist", "faults",
    "lean_time", "rotation_time"."""
    if key.endswith("_hist"):
        fig = _panel_figure(3.6)
        draw_compare_hist(fig.add_subplot(), analyses, key[:-5])
    elif key == "faults":
        fig = _panel_figure(2.8)
        draw_compare_faults(fig.add_subplot(), analyses)
    elif key.endswith("_time"):
        fig = _panel_figure(3.8)
        draw_compare_time(fig.add_subplot(), analyses, key[:-5])
    else:
        raise ValueError(f"no comparison panel {key!r}")
    return fig


SESSION_PANELS = ("events", "lean", "rotation", "cadence", "roll", "lean_hist", "rotation_hist", "cadence_hist",
                  "fault_time")
COMPARE_PANELS = ("lean_hist", "rotation_hist", "cadence_hist", "faults", "lean_time", "rotation_time")


# -- figures: overviews on one canvas (big screens, --png, the preview) ----------------------------
def fig_timeline(a: Analysis):
    """The whole run on one canvas: what happened, then lean, rotation, cadence and hip drop."""
    fig = _new_figure(11, 12.5)
    gs = fig.add_gridspec(5, 1, height_ratios=[1.05, 2.2, 2.2, 1.6, 1.5])
    ax0 = fig.add_subplot(gs[0])
    axes = [ax0] + [fig.add_subplot(gs[i], sharex=ax0) for i in range(1, 5)]
    draw_events(ax0, a, legend="right", xlabel=False)
    for ax, key in zip(axes[1:], ("lean", "rotation", "cadence", "roll")):
        draw_metric(ax, a, key, legend="right", xlabel=ax is axes[-1])
    for ax in axes[:-1]:
        ax.tick_params(labelbottom=False)
    when = "" if not a.start else f"  ·  {_date(a)}"
    fig.suptitle(f"{a.name}: {clock(a.duration_s)} recorded, {clock(a.time_s['running'])} running{when}")
    return fig


def fig_distributions(a: Analysis):
    """Where the running strides fall against the limits, and time in each fault (2 x 2)."""
    fig = _new_figure(11, 7.5)
    axs = fig.subplots(2, 2)
    draw_hist(axs[0, 0], a, "lean")
    draw_hist(axs[0, 1], a, "rotation")
    draw_hist(axs[1, 0], a, "cadence")
    draw_fault_time(axs[1, 1], a)
    fig.suptitle(f"{a.name}: your running strides against your limits")
    return fig


def fig_compare(analyses: list):
    """Sessions overlaid: lean/rotation/cadence distributions and time in each fault (2 x 2)."""
    fig = _new_figure(11, 7.5)
    axs = fig.subplots(2, 2)
    draw_compare_hist(axs[0, 0], analyses, "lean")
    draw_compare_hist(axs[0, 1], analyses, "rotation")
    draw_compare_hist(axs[1, 0], analyses, "cadence")
    draw_compare_faults(axs[1, 1], analyses)
    fig.suptitle("Sessions compared: " + " vs ".join(a.name for a in analyses))
    return fig


def fig_compare_timeline(analyses: list):
    """Smoothed lean and rotation of each session on one time axis."""
    fig = _new_figure(11, 6.5)
    axs = fig.subplots(2, 1, sharex=True)
    draw_compare_time(axs[0], analyses, "lean", legend="right", xlabel=False)
    draw_compare_time(axs[1], analyses, "rotation", legend="right")
    axs[0].tick_params(labelbottom=False)
    fig.suptitle("Over time: " + " vs ".join(a.name for a in analyses))
    return fig


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


def figures(analyses: list) -> dict:
    """The HTML report's figures, one panel each (phone-sized).

    One session: {"events", "lean", "rotation", "cadence", "roll", "lean_hist", "rotation_hist",
    "cadence_hist", "fault_time"}. Several: {"compare.lean_hist", ..., "compare.rotation_time"}
    and "<name>.<panel>" for every session.
    """
    import matplotlib

    unique_names(analyses)
    with matplotlib.rc_context(RC):
        out = {}
        if len(analyses) > 1:
            for k in COMPARE_PANELS:
                out[f"compare.{k}"] = fig_compare_panel(analyses, k)
        for a in analyses:
            prefix = f"{a.name}." if len(analyses) > 1 else ""
            for k in SESSION_PANELS:
                out[prefix + k] = fig_panel(a, k)
        return out


def overview_figures(analyses: list) -> dict:
    """The overviews on one canvas each: {"overview", "distributions"} (per session when several,
    prefixed with its name) and {"compare", "compare_timeline"} for several sessions."""
    import matplotlib

    unique_names(analyses)
    with matplotlib.rc_context(RC):
        out = {}
        if len(analyses) > 1:
            out["compare"] = fig_compare(analyses)
            out["compare_timeline"] = fig_compare_timeline(analyses)
        for a in analyses:
            prefix = f"{a.name}." if len(analyses) > 1 else ""
            out[prefix + "overview"] = fig_timeline(a)
            out[prefix + "distributions"] = fig_distributions(a)
        return out


def png_bytes(fig) -> bytes:
    """The figure rendered as PNG (Agg), with the report's font sizes."""
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buf, format="png", facecolor="white")
    return buf.getvalue()


# ---- HTML -----------------------------------------------------------------------------------
CSS = """
:root{--ink:#1d2330;--mute:#5b6577;--line:#e3e7ee;--bg:#f6f7f9;--card:#fff;--good:#1b7f4b;--warn:#b3541e;--note:#33518c}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:16px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif;-webkit-text-size-adjust:100%}
main{max-width:1100px;margin:0 auto;padding:12px}
header{padding:18px 4px 6px}
h1{font-size:1.6rem;margin:0 0 4px}
h2{font-size:1.2rem;margin:0 0 10px}
h3{font-size:1.05rem;margin:14px 0 6px}
.sub{color:var(--mute);margin:0}
section{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:14px 14px 10px;margin:12px 0}
.tiles{display:flex;flex-wrap:wrap;gap:10px;background:none;border:0;padding:0}
.tile{flex:1 1 22%;min-width:130px;background:var(--card);border:1px solid var(--line);border-radius:12px;padding:10px 12px}
.tile b{display:block;font-size:1.45rem;line-height:1.2}
.tile span{color:var(--mute);font-size:.85rem}
ul.hl{list-style:none;padding:0;margin:0}
ul.hl li{padding:7px 10px 7px 34px;margin:6px 0;border-radius:8px;position:relative;background:#f3f5f9}
ul.hl li:before{position:absolute;left:10px;top:7px;font-weight:bold}
ul.hl li.good{background:#eaf6ef}ul.hl li.good:before{content:"✓";color:var(--good)}
ul.hl li.warn{background:#fbefe6}ul.hl li.warn:before{content:"!";color:var(--warn)}
ul.hl li.note:before{content:"•";color:var(--note)}
figure{margin:12px 0}
figcaption{margin-top:4px}
img{max-width:100%;width:auto;height:auto;display:block;margin:0 auto;border-radius:6px}
.explain{color:var(--mute);font-size:.93rem}
.explain p{margin:6px 0}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.92rem;font-variant-numeric:tabular-nums}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
th{color:var(--mute);font-weight:600;font-size:.82rem}
td.f{border-radius:4px}
td.t,th.t{white-space:normal;text-align:left;min-width:11em}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(460px,100%),1fr));gap:4px 16px}
.sw{display:inline-block;width:.9em;height:.9em;border-radius:3px;vertical-align:-1px;margin-right:4px}
.warnbox{background:#fbefe6;border-left:4px solid var(--warn);padding:8px 10px;border-radius:6px}
details>summary{cursor:pointer;font-weight:600;margin:4px 0}
footer{color:var(--mute);font-size:.8rem;text-align:center;padding:10px}
"""


def _e(x) -> str:
    return _html.escape(str(x))


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _tiles(a: Analysis) -> str:
    st = a.stats
    items = [
        (clock(a.duration_s), "recorded"),
        (clock(a.time_s["running"]), "running"),
        (f"{st['strides']}", "strides"),
        (_f(st["cadence"], "{:.0f}"), "steps/min (typical)"),
        (_f(st["lean"], "{:.1f}°"), "lean (typical)"),
        (_f(st["rotation"], "{:.1f}°"), "rotation (typical)"),
        (_f(st["roll"], "{:.1f}°"), "hip drop (typical)"),
        (f"{len(a.alerts)}", "buzzes"),
    ]
    return '<section class="tiles">' + "".join(f'<div class="tile"><b>{_e(v)}</b><span>{_e(k)}</span></div>'
                                               for v, k in items) + "</section>"


def _highlights_html(a: Analysis) -> str:
    return '<ul class="hl">' + "".join(f'<li class="{k}">{_e(t)}</li>' for k, t in highlights(a)) + "</ul>"


def _explain(a: Analysis, keys) -> str:
    return '<div class="explain">' + "".join(f"<p>{_e(EXPLAIN[k].format(**a.cfg))}</p>" for k in keys) + "</div>"


def _fault_cell(sec, width, reason):
    if not sec:
        return "<td>–</td>"
    alpha = min(1.0, sec / max(width, 1)) * 0.75 + 0.1
    r, g, b = (int(COLOR[reason][i:i + 2], 16) for i in (1, 3, 5))
    return f'<td class="f" style="background:rgba({r},{g},{b},{alpha:.2f})">{sec:.0f} s</td>'


def _splits_html(a: Analysis) -> str:
    by = "distance" if has_distance(a) else "time"
    rows = splits(a, by)
    width = rows[0]["end"] - rows[0]["start"] if rows else 60
    unit = "km" if by == "distance" else ("minute" if width == 60 else f"{width // 60:.0f} minutes")
    head = ("<tr><th>" + ("km" if by == "distance" else "time") + "</th><th>running</th><th>strides</th>"
            "<th>cadence<br>steps/min</th><th>lean<br>°</th><th>rotation<br>°</th><th>hip drop<br>°</th>"
            + "".join(f"<th><span class='sw' style='background:{COLOR[r]}'></span>{_e(LABEL[r].lower())}</th>" for r in REASONS)
            + "<th>buzzes</th></tr>")
    body = []
    for r in rows:
        w = r["end"] - r["start"]
        label = (f"{r['start'] / 1000:.0f}–{r['end'] / 1000:.0f} km" if by == "distance"
                 else f"{clock(r['start'])}–{clock(r['end'])}")
        body.append(
            f"<tr><td>{label}</td><td>{_share(r['running_s'], w):.0f} %</td><td>{r['strides']}</td>"
            f"<td>{_f(r['cadence'], '{:.0f}')}</td><td>{_f(r['lean'])}</td><td>{_f(r['rotation'])}</td>"
            f"<td>{_f(r['roll'])}</td>" + "".join(_fault_cell(r[x], w, x) for x in REASONS)
            + f"<td>{r['buzzes'] or '–'}</td></tr>")
    note = ("" if by == "distance" else
            '<p class="explain">Per kilometre once the board records distance (it does not yet). Values are medians '
            'of the running strides in each row; fault columns are seconds of running the coach counted as that fault.</p>')
    return (f"<h2>{'Kilometre' if by == 'distance' else _e(unit.capitalize())} by {_e(unit)}</h2>{note}"
            f'<div class="scroll"><table>{head}{"".join(body)}</table></div>')


def _buzzes_html(a: Analysis) -> str:
    if not len(a.alerts):
        return "<h2>Buzzes</h2><p>None: no fault held long enough to be coached.</p>"
    sev = {1: "mild", 2: "moderate", 3: "strong"}
    rows = []
    for x in a.alerts:
        r = str(x["reason"])
        cl = [c for c in a.clears if c["reason"] == r and c["t_ms"] >= x["t_ms"]]
        fixed = f"fixed after {clock((cl[0]['t_ms'] - x['t_ms']) / 1000)}" if cl else "held to the end or until you stopped"
        rows.append(f"<tr><td>{clock(x['t_ms'] / 1000)}</td><td><span class='sw' style='background:{COLOR.get(r, '#777')}'>"
                    f"</span>{_e(LABEL.get(r, r))}</td><td>{sev.get(int(x['severity']), x['severity'])}</td>"
                    f"<td>{x['value_deg']:.1f}° (limit {x['limit_deg']:g}°)</td><td class='t'>{fixed}</td></tr>")
    return ("<h2>Buzzes</h2><p class='explain'>What the board told you, from its log. Severity grows with how far past "
            "the limit you were.</p><div class='scroll'><table><tr><th>time</th><th>fault</th><th>severity</th>"
            "<th>smoothed value</th><th class='t'>then</th></tr>" + "".join(rows) + "</table></div>")


def _thresholds_html(a: Analysis) -> str:
    from hinge.common.devpath import import_device

    config = import_device("config")
    src_text = {"log": "the log", "--cfg": "your --cfg", "default": "default"}
    rows = []
    for k in THRESHOLD_KEYS:
        _d, _kind, _lo, _hi, unit, text = config.SCHEMA[k]
        v = a.cfg[k]
        shown = ("on" if v else "off") if isinstance(v, bool) else f"{v:g} {unit}".strip()
        rows.append(f"<tr><td class='t'><code>{_e(k)}</code><br><span class='explain'>{_e(text)}</span></td>"
                    f"<td>{_e(shown)}</td><td>{_e(src_text[a.cfg_source[k]])}</td></tr>")
    return ("<h2>Thresholds used</h2><p class='explain'>From the log: the board's config during this run. Limits are "
            "personal: good runners lean anywhere from a little to a lot, and rotation grows with speed. "
            "<code>hinge baseline</code> suggests yours from a good-form run.</p>"
            "<div class='scroll'><table><tr><th class='t'>setting</th><th>value</th><th>from</th></tr>"
            + "".join(rows) + "</table></div>")


def _quality_html(a: Analysis) -> str:
    h = a.session.header
    parts = [f"<p><b>Calibration.</b> {_e(_calib_text(a))}</p>"]
    if a.device_faults:
        items = "".join(f"<li>{clock(t / 1000)}: {_e(FAULT_TEXT.get(n, n))}{f' ({d})' if d else ''}</li>"
                        for t, n, d in a.device_faults)
        parts.append(f"<p><b>Board notes.</b></p><ul>{items}</ul>")
    if a.problems:
        items = "".join(f"<li>{_e(p)}</li>" for p in a.problems)
        parts.append(f"<div class='warnbox'><b>Log problems.</b> What was intact is shown; these parts were not:"
                     f"<ul>{items}</ul></div>")
    else:
        parts.append(f"<p><b>Log.</b> Intact: {a.session.blocks} blocks, {a.session.size} bytes, every checksum good.</p>")
    parts.append(f"<p class='explain'>File {_e(a.path.name or '?')} · session {_e(h.get('name', '?'))} · firmware "
                 f"{_e(h.get('fw_version', '?'))} · IMU {_e(h.get('imu_model', '?'))} at {h.get('rate_hz', 0):g} Hz</p>")
    return "<h2>Calibration and data quality</h2>" + "".join(parts)


def _fig(pngs: dict, key: str, alt: str, caption: str = "") -> str:
    cap = f"<figcaption class='explain'>{caption}</figcaption>" if caption else ""
    return f"<figure>{_img(pngs[key], alt)}{cap}</figure>"


def _session_html(a: Analysis, pngs: dict, key: str, heading: bool) -> str:
    """One session's sections; ``key`` prefixes its figure names ("" or "<name>.")."""
    out = []
    if heading:
        out.append(f"<header><h1>{_e(a.name)}</h1><p class='sub'>{_e(_date(a))}</p></header>")
    out.append(_tiles(a))
    out.append(f"<section><h2>In short</h2>{_highlights_html(a)}</section>")

    def say(k):
        return _e(EXPLAIN[k].format(**a.cfg))

    out.append("<section><h2>Your run over time</h2><div class='grid'>"
               + _fig(pngs, key + "events", f"{a.name}: activity, faults and buzzes",
                      "Top row: running, walking, or blank while you stood. Below: each bar is a stretch the coach "
                      "counted as a fault; ▼ marks a buzz. " + say("faults"))
               + _fig(pngs, key + "lean", f"{a.name}: lean over time", say("lean"))
               + _fig(pngs, key + "rotation", f"{a.name}: rotation over time", say("rotation"))
               + _fig(pngs, key + "cadence", f"{a.name}: cadence over time", say("cadence"))
               + _fig(pngs, key + "roll", f"{a.name}: hip drop over time", say("roll"))
               + "</div></section>")
    run = a.time_s["running"]
    rows = "".join(f"<tr><td><span class='sw' style='background:{COLOR[r]}'></span>{_e(LABEL[r])}</td>"
                   f"<td>{clock(a.fault_s[r])}</td><td>{_share(a.fault_s[r], run):.0f} %</td>"
                   f"<td>{sum(1 for x in a.alerts if str(x['reason']) == r)}</td></tr>" for r in REASONS)
    grid = "".join(_fig(pngs, key + k, f"{a.name}: {k.replace('_', ' ')}")
                   for k in ("lean_hist", "rotation_hist", "cadence_hist", "fault_time"))
    out.append(f"<section><h2>Time in each fault</h2><div class='scroll'><table><tr><th>fault</th><th>time</th>"
               f"<th>of running</th><th>buzzes</th></tr>{rows}</table></div>"
               f"<p class='explain'>Running time the coach counted as each fault, from the first stride the smoothed "
               f"value crossed the limit to the stride it was back past the hysteresis. The histograms show every "
               f"running stride; the tinted zones are past your limits.</p><div class='grid'>{grid}</div></section>")
    out.append(f"<section>{_buzzes_html(a)}</section>")
    out.append(f"<section>{_splits_html(a)}</section>")
    if a.watch is not None:  # --with RUN.fit: per-km splits, form vs grade and heart rate, elevation
        out.append(a.watch.html(a))
    out.append(f"<section>{_thresholds_html(a)}</section>")
    out.append(f"<section>{_quality_html(a)}</section>")
    return "".join(out)


def _compare_table(analyses: list) -> str:
    def row(label, fn, better=None, fmt="{:.1f}", unit=""):
        vals = [fn(a) for a in analyses]
        cells = "".join(f"<td>{_f(v, fmt)}{unit if v is not None else ''}</td>" for v in vals)
        ch = ""
        if len(vals) == 2 and None not in vals and all(isinstance(v, (int, float)) for v in vals):
            d = vals[1] - vals[0]
            good = None if better is None or abs(d) < 1e-9 else (d > 0) == (better == "up")
            colr = "" if good is None else f" style='color:{'var(--good)' if good else 'var(--warn)'}'"
            ch = f"<td{colr}>{d:+.1f}{unit}</td>"
        return f"<tr><td>{_e(label)}</td>{cells}{ch}</tr>"

    heads = "".join(f"<th><span class='sw' style='background:{SESSION_COLORS[i % 6]}'></span>{_e(a.name)}<br>"
                    f"<span style='font-weight:400'>{_e(_date(a) if a.start else '')}</span></th>"
                    for i, a in enumerate(analyses))
    change = "<th>change</th>" if len(analyses) == 2 else ""
    run = lambda a: a.time_s["running"]  # noqa: E731
    rows = [
        row("recorded (min)", lambda a: a.duration_s / 60),
        row("running (min)", lambda a: run(a) / 60),
        row("strides", lambda a: a.stats["strides"], fmt="{:.0f}"),
        row("cadence, typical (steps/min)", lambda a: a.stats["cadence"], fmt="{:.0f}"),
        row("lean, typical (°)", lambda a: a.stats["lean"]),
        row("rotation, typical (°)", lambda a: a.stats["rotation"], better="down"),
        row("hip drop, typical (°)", lambda a: a.stats["roll"], better="down"),
        row("too upright (% of running)", lambda a: _share(a.fault_s["upright"], run(a)), better="down", fmt="{:.0f}"),
        row("leaning back (% of running)", lambda a: _share(a.fault_s["backward"], run(a)), better="down", fmt="{:.0f}"),
        row("swivel (% of running)", lambda a: _share(a.fault_s["swivel"], run(a)), better="down", fmt="{:.0f}"),
        row("buzzes", lambda a: len(a.alerts), better="down", fmt="{:.0f}"),
        row("too-upright limit (°)", lambda a: a.cfg["lean_min_deg"], fmt="{:g}"),
        row("swivel limit (°)", lambda a: a.cfg["swivel_max_deg"], fmt="{:g}"),
    ]
    return (f"<div class='scroll'><table><tr><th></th>{heads}{change}</tr>{''.join(rows)}</table></div>"
            "<p class='explain'>Typical = median of the running strides. In the change column green is the "
            "direction that usually means better form; whether more lean is better depends on you.</p>")


def render_html(analyses: list, figs: dict | None = None, pngs: dict | None = None) -> str:
    """The whole report as one self-contained HTML page (images inside as base64 PNG).

    ``figs`` (from :func:`figures`) or their rendered ``pngs`` may be passed in to reuse them.
    """
    unique_names(analyses)
    if pngs is None:
        figs = figs if figs is not None else figures(analyses)
        pngs = {k: png_bytes(f) for k, f in figs.items()}
    multi = len(analyses) > 1
    title = ("Hinge: " + " vs ".join(a.name for a in analyses)) if multi else f"Hinge run report: {analyses[0].name}"
    body = []
    if multi:
        body.append(f"<header><h1>{_e(' vs '.join(a.name for a in analyses))}</h1>"
                    f"<p class='sub'>Hinge: {len(analyses)} sessions compared</p></header>")
        body.append(f"<section><h2>Side by side</h2>{_compare_table(analyses)}</section>")
        grid = "".join(_fig(pngs, f"compare.{k}", k.replace("_", " ")) for k in ("lean_hist", "rotation_hist",
                                                                                  "cadence_hist", "faults"))
        body.append(f"<section><h2>Distributions</h2><div class='grid'>{grid}</div>"
                    "<p class='explain'>Each line is one session's running strides (area 1 each, so sessions of "
                    "different length compare); the thin vertical lines are their typical values.</p></section>")
        body.append("<section><h2>Over time</h2><div class='grid'>" + _fig(pngs, "compare.lean_time", "lean over time")
                    + _fig(pngs, "compare.rotation_time", "rotation over time") + "</div></section>")
        for a in analyses:
            body.append(f"<details open><summary>{_e(a.name)}: {_e(_date(a))}</summary>"
                        f"{_session_html(a, pngs, a.name + '.', False)}</details>")
    else:
        a = analyses[0]
        body.append(f"<header><h1>Your run: {_e(a.name)}</h1><p class='sub'>{_e(_date(a))} · "
                    f"{clock(a.duration_s)} recorded · Hinge running-form coach</p></header>")
        body.append(_session_html(a, pngs, "", False))
    made = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>{''.join(body)}"
            f"<footer>Made by <code>hinge report</code> on {made}. Everything is in this one file; "
            "it works offline.</footer></main></body></html>")


# ---- terminal -------------------------------------------------------------------------------
def render_text(analyses: list) -> str:
    """A readable terminal summary (one session, or a comparison table first for several)."""
    unique_names(analyses)
    out = []
    if len(analyses) > 1:
        names = [a.name for a in analyses]
        w = max(10, *(len(n) for n in names))
        out.append("Sessions compared")
        out.append(f"  {'':<30}" + "".join(f"{n:>{w + 2}}" for n in names))

        def line(label, fn, fmt="{:.1f}"):
            out.append(f"  {label:<30}" + "".join(f"{_f(fn(a), fmt):>{w + 2}}" for a in analyses))

        line("recorded (min)", lambda a: a.duration_s / 60)
        line("running (min)", lambda a: a.time_s["running"] / 60)
        line("cadence (steps/min)", lambda a: a.stats["cadence"], "{:.0f}")
        line("lean, typical (deg)", lambda a: a.stats["lean"])
        line("rotation, typical (deg)", lambda a: a.stats["rotation"])
        line("hip drop, typical (deg)", lambda a: a.stats["roll"])
        for r in REASONS:
            line(f"{LABEL[r].lower()} (% running)", lambda a, r=r: _share(a.fault_s[r], a.time_s["running"]), "{:.0f}")
        line("buzzes", lambda a: len(a.alerts), "{:.0f}")
        out.append("")
    for a in analyses:
        out.append(_text_one(a))
    return "\n".join(out)


def _text_one(a: Analysis) -> str:
    st, c = a.stats, a.cfg
    o = [f"{a.name}  ·  {_date(a)}", "=" * 60]
    o.append(f"  recorded {clock(a.duration_s)}   running {clock(a.time_s['running'])}   walking "
             f"{clock(a.time_s['walking'])}   strides {st['strides']}")
    o.append(f"  cadence {_f(st['cadence'], '{:.0f}')} steps/min   lean {_f(st['lean'])}°   rotation "
             f"{_f(st['rotation'])}°   hip drop {_f(st['roll'])}°   (typical, running)")
    o.append("")
    mark = {"good": "  ✓ ", "warn": "  ! ", "note": "  · "}
    for k, t in highlights(a):
        o.append(mark[k] + t)
    o.append("")
    run = a.time_s["running"]
    o.append(f"  Time in each fault (limits: too upright < {c['lean_min_deg']:g}°, leaning back < {c['lean_back_deg']:g}°, "
             f"swivel > {c['swivel_max_deg']:g}°):")
    for r in REASONS:
        o.append(f"    {LABEL[r]:<14} {clock(a.fault_s[r]):>7}  {_share(a.fault_s[r], run):3.0f} % of running   "
                 f"buzzes {sum(1 for x in a.alerts if str(x['reason']) == r)}")
    if len(a.alerts):
        o.append("")
        o.append("  Buzzes:")
        for x in a.alerts:
            o.append(f"    {clock(x['t_ms'] / 1000):>7}  {LABEL.get(str(x['reason']), str(x['reason'])):<13} "
                     f"severity {int(x['severity'])}  ({x['value_deg']:.1f}° vs limit {x['limit_deg']:g}°)")
    rows = splits(a)
    if rows:
        width = rows[0]["end"] - rows[0]["start"]
        o.append("")
        o.append(f"  {'time':<13} {'run':>4} {'cad':>5} {'lean':>5} {'rot':>5} {'drop':>5}  "
                 f"{'upright':>7} {'back':>5} {'swivel':>6} {'buzz':>4}   (per {'minute' if width == 60 else clock(width)})")
        for r in rows:
            w = r["end"] - r["start"]
            o.append(f"  {clock(r['start']) + '-' + clock(r['end']):<13} {_share(r['running_s'], w):3.0f}% "
                     f"{_f(r['cadence'], '{:.0f}'):>5} {_f(r['lean']):>5} {_f(r['rotation']):>5} {_f(r['roll']):>5}  "
                     f"{_f(r['upright'] or None, '{:.0f}s'):>7} {_f(r['backward'] or None, '{:.0f}s'):>5} "
                     f"{_f(r['swivel'] or None, '{:.0f}s'):>6} {r['buzzes'] or '–':>4}")
    if a.watch is not None:
        o += ["", a.watch.text(a)]
    o.append("")
    o.append("  Calibration: " + _calib_text(a))
    srcs = sorted({v for v in a.cfg_source.values()})
    o.append("  Thresholds: " + ", ".join(srcs).replace("log", "from the log").replace("--cfg", "--cfg overrides"))
    for t, n, d in a.device_faults:
        o.append(f"  Board note at {clock(t / 1000)}: {FAULT_TEXT.get(n, n)}{f' ({d})' if d else ''}")
    for p in a.problems:
        o.append(f"  Log problem: {p}")
    return "\n".join(o)


# ---- CLI ------------------------------------------------------------------------------------
def main(a, extend=None) -> int:
    overrides = parse_overrides(a.cfg)
    sessions = [(p, load(p)) for p in a.logs]
    analyses = [analyse(s, p, overrides) for p, s in sessions]
    unique_names(analyses)
    if extend is not None:  # e.g. cli's --with: the watch file lined up (hinge.watch)
        extend(analyses)
    for x in analyses:
        if x.problems:
            print(f"hinge report: warning: {x.path}: damaged in {len(x.problems)} place(s); reporting what is intact "
                  f"({x.problems[0]})", file=sys.stderr)
    if a.html or a.png:
        if a.png:
            d = Path(a.png)
            d.mkdir(parents=True, exist_ok=True)
            saved = []
            for k, fig in overview_figures(analyses).items():
                saved.append(d / (re.sub(r"[^\w.-]+", "_", k).strip("_") + ".png"))
                saved[-1].write_bytes(png_bytes(fig))
            print(f"figures: {', '.join(str(x) for x in saved)}")
        if a.html:
            html = render_html(analyses)
            out = Path(a.html)
            if out.parent and not out.parent.exists():
                out.parent.mkdir(parents=True)
            tmp = out.with_name(out.name + ".tmp")
            tmp.write_text(html, encoding="utf-8")
            tmp.replace(out)
            print(f"report: {out} ({len(html.encode()) / 1024:.0f} KiB, self-contained: open it in any browser)")
    else:
        print(render_text(analyses))
    return 0
