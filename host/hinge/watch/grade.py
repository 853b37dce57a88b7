"""Grade from the watch's altitude, and Hinge's form against grade, heart rate and distance.

Grade is the slope of the altitude over distance after smoothing both over ``SMOOTH_M``
metres (a barometric watch's altitude moves by ~1 m between fixes and GPS distance by a few
metres, so a per-second slope would be noise); it is a fraction (0.05 = 5 % = 5 m up per
100 m). Stretches are classed by ``CLASSES``: flat within +-2 % (road camber and the altitude's
noise over 100 m), steep beyond +-6 % (where runners change their stride and the seed coaching,
keep the hinge even on descents, matters most).
"""
from __future__ import annotations

import numpy as np

from hinge.logs import analysis

from .activity import Activity

SMOOTH_M = 100.0  # metres of course over which altitude is averaged before the slope is taken
STEP_M = 5.0  # metres between points of the distance grid the slope is taken on
CLASSES = (("steep descent", -np.inf, -0.06), ("descent", -0.06, -0.02), ("flat", -0.02, 0.02),
           ("climb", 0.02, 0.06), ("steep climb", 0.06, np.inf))
HR_BAND = 10  # bpm per heart-rate band


def grade_per_second(act: Activity) -> np.ndarray:
    """Grade (fraction) at each of the activity's seconds; NaN without altitude or distance."""
    d, z = act.distance_m, act.altitude_m
    ok = np.isfinite(d) & np.isfinite(z)
    out = np.full(len(act.t), np.nan)
    if ok.sum() < 2 or np.ptp(d[ok]) < 2 * SMOOTH_M:
        return out
    dd, first = np.unique(d[ok], return_index=True)  # standing still: one altitude per distance
    zz = z[ok][first]
    grid = np.arange(dd[0], dd[-1] + STEP_M, STEP_M)
    zg = np.interp(grid, dd, zz)
    k = max(1, int(round(SMOOTH_M / STEP_M)))
    pad = np.concatenate((np.full(k, zg[0]), zg, np.full(k, zg[-1])))
    zs = np.convolve(pad, np.ones(2 * k + 1) / (2 * k + 1), mode="same")[k:-k]
    g = np.gradient(zs, STEP_M)
    out[ok] = np.interp(d[ok], grid, g)
    return out


def grade_class(g) -> np.ndarray:
    """Index into CLASSES for each grade (-1 for NaN)."""
    g = np.asarray(g, dtype=float)
    out = np.full(g.shape, -1)
    for i, (_, lo, hi) in enumerate(CLASSES):
        out[(g >= lo) & (g < hi)] = i
    return out


def _form_rows(a, groups, labels, buzz_group) -> list[dict]:

    s = a.strides
    dur = s["stride_ms"].astype(float) / 1000.0
    rows = []
    for i, label in enumerate(labels):
        m = (groups == i) & a.running
        run_s = float(dur[m].sum())
        if not m.any():
            continue
        row = {"label": label, "strides": int(m.sum()), "running_s": run_s,
               "lean": analysis.med(s["lean_deg"][m]), "rotation": analysis.med(s["rotation_deg"][m]),
               "cadence": analysis.med(s["cadence_spm"][m]), "buzzes": int((buzz_group == i).sum())}
        for r in analysis.REASONS:
            row[r + "_s"] = float(dur[m & a.fault[r]].sum())
        rows.append(row)
    return rows


def by_grade(a, grade_stride: np.ndarray, grade_alert: np.ndarray) -> list[dict]:
    """Form on each class of grade: running strides and time, median lean, rotation, cadence,
    seconds in each fault (``<reason>_s``), buzzes (``grade_stride``/``grade_alert``: grade at each stride and
    buzz). Classes with no running are left out."""
    return _form_rows(a, grade_class(grade_stride), [c[0] for c in CLASSES], grade_class(grade_alert))


def by_heart_rate(a, hr_stride: np.ndarray, hr_alert: np.ndarray) -> list[dict]:
    """Form in heart-rate bands of HR_BAND bpm (labels like "140-149 bpm")."""
    ok = np.isfinite(hr_stride) & a.running
    if not ok.any():
        return []
    lo = int(np.nanmin(hr_stride[ok]) // HR_BAND * HR_BAND)
    hi = int(np.nanmax(hr_stride[ok]) // HR_BAND * HR_BAND)
    edges = list(range(lo, hi + 1, HR_BAND))

    def band(h):
        h = np.asarray(h, dtype=float)
        return np.where(np.isfinite(h), np.clip(((np.nan_to_num(h) - lo) // HR_BAND).astype(int), 0, len(edges) - 1), -1)

    return _form_rows(a, band(hr_stride), [f"{e}-{e + HR_BAND - 1} bpm" for e in edges], band(hr_alert))
