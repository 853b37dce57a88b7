"""Per-km (or per-mile) splits: the report's split table (``analysis.splits``, by distance) with
the watch's distance at each stride, plus what only the watch knows: pace, heart rate, climb.

Row fields (besides ``analysis.splits``' strides, medians and fault seconds): ``pace_s`` seconds
per unit (km or mile) from the watch's clock over the split; ``hr`` median bpm; ``power`` median
W where the watch logs running power (a Stryd's, or its own; None where not); ``climb_m`` and
``descent_m`` metres up and down (smoothed altitude); ``buzzes`` buzzes felt in the split.
"""
from __future__ import annotations

import dataclasses

import numpy as np
from numpy.lib import recfunctions as rfn

from hinge.logs import analysis

from .activity import Activity

UNITS = {"km": 1000.0, "mi": 1609.344}  # metres per split


def per_distance(a, dist_stride: np.ndarray, dist_alert: np.ndarray, act: Activity, unit: str = "km") -> list[dict]:
    """Split rows for analysis ``a`` (``hinge.logs.analysis.Analysis``) whose strides are at watch distances
    ``dist_stride`` (m; NaN outside the watch's record) and buzzes at ``dist_alert``."""

    width = UNITS[unit]
    keep = np.isfinite(dist_stride)
    if not keep.any():
        return []
    s = rfn.append_fields(a.strides[keep], "distance_m", dist_stride[keep], usemask=False)
    sub = dataclasses.replace(a, strides=s, running=a.running[keep], fault={r: f[keep] for r, f in a.fault.items()})
    rows = analysis.splits(sub, by="distance", width=width)
    ok = np.isfinite(act.distance_m)
    d, t = act.distance_m[ok], act.t[ok]
    z = act.altitude_m[ok]
    for row in rows:
        lo, hi = row["start"], row["end"]
        t0, t1 = np.interp(lo, d, t), np.interp(hi, d, t)
        row["pace_s"] = (t1 - t0) * width / (hi - lo) if hi > lo else None
        m = (act.t >= t0) & (act.t <= t1) & np.isfinite(act.hr_bpm)
        row["hr"] = float(np.median(act.hr_bpm[m])) if m.any() else None
        m = (act.t >= t0) & (act.t <= t1) & np.isfinite(act.power_w)
        row["power"] = float(np.median(act.power_w[m])) if m.any() else None
        seg = z[(d >= lo) & (d <= hi) & np.isfinite(z)]
        if len(seg) > 1:
            step = np.diff(np.convolve(seg, np.ones(5) / 5, mode="valid")) if len(seg) > 5 else np.diff(seg)
            row["climb_m"], row["descent_m"] = float(step[step > 0].sum()), float(-step[step < 0].sum())
        else:
            row["climb_m"] = row["descent_m"] = None
        row["buzzes"] = int(((dist_alert >= lo) & (dist_alert < hi)).sum())
    if rows:  # the last split's buzzes include one at its very end
        rows[-1]["buzzes"] += int((dist_alert == rows[-1]["end"]).sum())
    return rows


def pace_text(sec) -> str:
    """m:ss of a pace in seconds per unit."""
    if sec is None or not np.isfinite(sec):
        return "–"
    sec = int(round(sec))
    return f"{sec // 60}:{sec % 60:02d}"
