"""Report panels for the running dynamics and form drift of a session log (hooked into
``report.py``): each metric's typical value and spread hour by hour, the left/right balance, and
the drift from the baseline in plain words ("from 3:10 on, lean 2.5 deg lower than your first
10 minutes of running") and over time (``drift_series``: the chart's data, drawn by
``figures.fig_drift``).

Input: a decoded session (``hinge.logs.logdecode.Session``): its strides carry the dynamics
(NaN = not measured), its events the per-minute DRIFT records (device/drift.py: lean, rotation,
tilt swing, hip drop minus the baseline, cdeg; field e = the running minute) and the
DRIFT_BASE record that says which baseline (this run's first minutes, or the last session's).
"""
from __future__ import annotations

import html

import numpy as np

from hinge.common.devpath import import_device
from hinge.common.timefmt import day_text

ev = import_device("events")
_config = import_device("config")
_logfmt = import_device("logfmt")

# (column, label, unit, format)
METRICS = (
    ("tilt_swing_deg", "Pelvic tilt swing", "deg", "{:.1f}"),
    ("pushoff_pitch_deg", "Pitch at push-off vs stride mean", "deg", "{:+.1f}"),
    ("hip_drop_left_deg", "Hip drop, left stance", "deg", "{:.1f}"),
    ("hip_drop_right_deg", "Hip drop, right stance", "deg", "{:.1f}"),
    ("vo_cm", "Vertical oscillation", "cm", "{:.1f}"),
    ("gct_left_ms", "Contact time, left", "ms", "{:.0f}"),
    ("gct_right_ms", "Contact time, right", "ms", "{:.0f}"),
)
# (DRIFT field, words, below / above the baseline)
DRIFT_NAMES = (("a", "lean", "lower", "higher"), ("b", "rotation", "less", "more"),
               ("c", "tilt swing", "less", "more"), ("d", "hip drop", "less", "more"))
DRIFT_MARGINS = ("drift_lean_deg", "drift_rot_deg", "drift_tilt_deg", "drift_drop_deg")  # per DRIFT_NAMES
DRIFT_WORDS_DEG = 1.0     # a drift this large (deg) ...
DRIFT_HOLD_MIN = 15       # ... held this many minutes (11-minute centred median) is worth a sentence


def _hms(ms: float) -> str:
    s = int(ms // 1000)
    return f"{s // 3600}:{(s // 60) % 60:02d}"


def _running(session) -> np.ndarray:
    s = session.strides
    return s[s["activity"] == ev.ACT_RUNNING] if len(s) else s


def summary(session) -> list[dict]:
    """Per metric: median, p10, p90 over running strides and the median per hour of the run."""
    s = _running(session)
    out = []
    for col, label, unit, fmt in METRICS:
        v = s[col] if len(s) else np.zeros(0)
        ok = np.isfinite(v)
        if not ok.any():
            continue
        t = s["t_ms"][ok]
        x = v[ok]
        hours = (t - session.strides["t_ms"][0]) // 3600000
        per_hour = [float(np.median(x[hours == h])) for h in np.unique(hours)]
        out.append({"metric": col, "label": label, "unit": unit, "fmt": fmt, "n": int(ok.sum()),
                    "median": float(np.median(x)), "p10": float(np.percentile(x, 10)),
                    "p90": float(np.percentile(x, 90)), "per_hour": per_hour})
    return out


def balance(session) -> dict:
    """Left/right: contact time and hip drop medians per side, and the left share (%) of the two."""
    s = _running(session)
    out = {}
    for name, lc, rc in (("contact time", "gct_left_ms", "gct_right_ms"),
                         ("hip drop", "hip_drop_left_deg", "hip_drop_right_deg")):
        if not len(s):
            continue
        lv, rv = s[lc][np.isfinite(s[lc])], s[rc][np.isfinite(s[rc])]
        if len(lv) and len(rv):
            lm, rm = float(np.median(lv)), float(np.median(rv))
            out[name] = {"left": lm, "right": rm, "left_pct": 100.0 * lm / (lm + rm) if lm + rm else None}
    return out


def drift_rows(session) -> np.ndarray:
    """The session's DRIFT records (EVENT_DTYPE rows), in time order."""
    e = session.events
    return e[e["type"] == ev.EV_DRIFT] if len(e) else e


def drift_base(session) -> dict | None:
    """The session's drift baseline from its DRIFT_BASE record: each metric (deg; None = not
    measured), ``session`` (the earlier session it was learned in; None = learned on this run)
    and ``date`` ("YYYY-MM-DD", None = unknown). None for a log without one."""
    e = session.events
    b = e[e["type"] == ev.EV_DRIFT_BASE] if len(e) else e
    if not len(b):
        return None
    r = b[0]
    out = {label: (int(r[f]) / 100.0 if int(r[f]) or f in "ab" else None) for f, label, _d, _u in DRIFT_NAMES}
    n, d = int(r["e"]), int(r["f"])
    out["session"] = _logfmt.session_name(n, "hlg")[:-4] if n > 0 else None
    out["date"] = day_text(d) if n > 0 else None
    return out


def baseline_text(session) -> str:
    """What the drift is measured from, in words: "your first 10 minutes of running" or "your
    baseline from your last session (S0041, 2026-12-03)"."""
    b = drift_base(session)
    if b is not None and b["session"]:
        h = session.header
        y, mo, d = (h.get("start_fields") or [0, 0, 0])[:3]
        if b["date"] and h.get("clock_set") and b["date"] == f"{y:04d}-{mo:02d}-{d:02d}":
            # the board goes on with the day's baseline after a restart (device/drift.py)
            return f"your baseline from earlier today ({b['session']})"
        return f"your baseline from your last session ({b['session']}, {b['date'] or 'date unknown'})"
    base = session.header.get("config", {}).get("drift_baseline_min")
    return f"your first {base} minutes of running" if base else "your first minutes of running"


def _t0(session, t0_ms):
    if t0_ms is not None:
        return t0_ms
    return int(session.strides["t_ms"][0]) if len(session.strides) else 0


def drift_series(session, cfg: dict | None = None, t0_ms: int | None = None) -> dict | None:
    """The drift chart's data, all from the log (None without DRIFT records): ``t_min``, each
    record's time in minutes since the first stride (``t0_ms``); per metric (DRIFT_NAMES order)
    its label, the drift in deg per record (NaN: tilt swing or hip drop not measured that
    minute) and its margin (``cfg``, default the log's own config: the band the cue allows);
    ``cues_min``: the drift buzzes (logged alerts of reason drift); ``baseline``: ``drift_base``."""
    d = drift_rows(session)
    if not len(d):
        return None
    t0 = _t0(session, t0_ms)
    c = _config.defaults()
    c.update(cfg if cfg is not None else session.header.get("config", {}))
    series = []
    for (field, label, _down, _up), key in zip(DRIFT_NAMES, DRIFT_MARGINS):
        y = d[field] / 100.0
        if field in "cd":   # 0 = not measured that minute (no running dynamics)
            y = np.where(d[field] == 0, np.nan, y)
        series.append({"label": label, "deg": y, "margin": float(c[key])})
    al = session.alerts
    cues = al["t_ms"][(al["kind"] == "alert") & (al["reason"] == "drift")] if len(al) else np.zeros(0)
    return {"t_min": (d["t_ms"] - t0) / 60000.0, "series": series, "cues_min": (cues - t0) / 60000.0,
            "baseline": drift_base(session), "baseline_text": baseline_text(session)}


def drift_words(session, t0_ms: int | None = None) -> list[str]:
    """Plain sentences for each metric whose drift (an 11-minute centred median of the per-minute
    drift) reached DRIFT_WORDS_DEG and held DRIFT_HOLD_MIN minutes: when it began (where that
    median first left half of it) and by how much (the median drift from then to the end)."""
    d = drift_rows(session)
    if len(d) < DRIFT_HOLD_MIN:
        return []
    t0 = _t0(session, t0_ms)
    first = baseline_text(session)
    out = []
    for field, label, down, up in DRIFT_NAMES:
        x = d[field] / 100.0
        med = np.array([np.median(x[max(0, i - 5):i + 6]) for i in range(len(x))])   # centred, 11 min
        big = np.abs(med) >= DRIFT_WORDS_DEG
        for i in range(len(x) - DRIFT_HOLD_MIN + 1):
            if big[i:i + DRIFT_HOLD_MIN].all() and np.all(np.sign(med[i:i + DRIFT_HOLD_MIN]) == np.sign(med[i])):
                # the drift began where the running median first left the baseline's band
                j = i
                while j > 0 and np.sign(med[j - 1]) == np.sign(med[i]) and abs(med[j - 1]) >= DRIFT_WORDS_DEG / 2:
                    j -= 1
                size = float(np.median(x[j:]))
                word = down if size < 0 else up
                out.append(f"from {_hms(d['t_ms'][j] - t0)} on, {label} {abs(size):.1f} deg {word} than {first}")
                break
    return out


def text(session) -> str:
    """The panels as terminal text ("" when the log has no dynamics)."""
    rows = summary(session)
    if not rows:
        return ""
    out = ["Running dynamics (running strides: median, p10-p90, then per hour)"]
    for r in rows:
        f = r["fmt"]
        hours = " ".join(f.format(v) for v in r["per_hour"])
        out.append(f"  {r['label']:<34} {f.format(r['median']):>6} {r['unit']:<3} "
                   f"({f.format(r['p10'])}-{f.format(r['p90'])})   by hour: {hours}")
    for name, b in balance(session).items():
        out.append(f"  left/right {name}: {b['left']:.1f} / {b['right']:.1f} (left {b['left_pct']:.1f} %)")
    words = drift_words(session)
    if len(drift_rows(session)):
        out.append(f"Form drift from {baseline_text(session)}: " + ("; ".join(words) if words else
                                                                     "none worth a word"))
    return "\n".join(out)


def html_panel(session, drift_figure: str = "") -> str:
    """The panels as an HTML section ("" when the log has no dynamics); ``drift_figure``: the
    drift chart's HTML (``<figure>``), shown under the drift in words."""
    rows = summary(session)
    if not rows:
        return ""
    nh = max(len(r["per_hour"]) for r in rows)
    head = "".join(f"<th>hour {h + 1}</th>" for h in range(nh))
    body = []
    for r in rows:
        f = r["fmt"]
        cells = "".join(f"<td>{f.format(v)}</td>" for v in r["per_hour"]) + "<td></td>" * (nh - len(r["per_hour"]))
        body.append(f"<tr><td>{html.escape(r['label'])} ({r['unit']})</td><td>{f.format(r['median'])}</td>"
                    f"<td>{f.format(r['p10'])}-{f.format(r['p90'])}</td>{cells}</tr>")
    bal = "".join(f"<li>{html.escape(n)}: left {b['left']:.1f}, right {b['right']:.1f} (left {b['left_pct']:.1f} %)</li>"
                  for n, b in balance(session).items())
    words = drift_words(session)
    drift = ""
    if len(drift_rows(session)):
        drift = ("<h3>Form drift</h3><p>" + (html.escape("; ".join(words)).capitalize() + "." if words else
                 f"Your form held: no metric drifted from {html.escape(baseline_text(session))} by more than "
                 f"{DRIFT_WORDS_DEG:.0f} deg for {DRIFT_HOLD_MIN} minutes.") + "</p>" + drift_figure)
    return ("<section><h2>Running dynamics</h2><p class='explain'>Per running stride, from the board's log: "
            "the pelvis's tilt swing and its pitch at push-off, the hip drop during each foot's stance, the bounce "
            "(vertical oscillation) and each foot's ground contact time. Median, the middle 80 %, and the median "
            f"hour by hour.</p><div class='scroll'><table><tr><th></th><th>median</th><th>p10-p90</th>{head}</tr>"
            f"{''.join(body)}</table></div><h3>Left and right</h3><ul>{bal}</ul>{drift}</section>")
