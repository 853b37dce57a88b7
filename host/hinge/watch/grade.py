"""Grade from the watch's altitude, and Hinge's form against grade, heart rate, running power and distance.

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
# W per running-power band: about a tenth of a runner's critical power (200-350 W), half the span
# of a power zone (Stryd's run at ~10-15 % of it), and well over a foot pod's +-2-5 W noise
POWER_BAND = 25


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


def _by_band(a, x_stride: np.ndarray, x_alert: np.ndarray, width: int, unit: str) -> list[dict]:
    """Form in bands of ``width`` of a watch series at each stride and buzz (labels like
    "140-149 bpm"); [] when no running stride has a value."""
    x_stride = np.asarray(x_stride, dtype=float)
    ok = np.isfinite(x_stride) & a.running
    if not ok.any():
        return []
    lo = int(np.nanmin(x_stride[ok]) // width * width)
    hi = int(np.nanmax(x_stride[ok]) // width * width)
    edges = list(range(lo, hi + 1, width))

    def band(h):
        h = np.asarray(h, dtype=float)
        return np.where(np.isfinite(h), np.clip(((np.nan_to_num(h) - lo) // width).astype(int), 0, len(edges) - 1), -1)

    return _form_rows(a, band(x_stride), [f"{e}-{e + width - 1} {unit}" for e in edges], band(x_alert))


def by_heart_rate(a, hr_stride: np.ndarray, hr_alert: np.ndarray) -> list[dict]:
    """Form in heart-rate bands of HR_BAND bpm (labels like "140-149 bpm")."""
    return _by_band(a, hr_stride, hr_alert, HR_BAND, "bpm")


def by_power(a, w_stride: np.ndarray, w_alert: np.ndarray) -> list[dict]:
    """Form in running-power bands of POWER_BAND W (labels like "250-274 W"): how the hinge and
    the swivel hold as the effort goes up, which heart rate shows only a minute late. [] for a
    watch with no power."""
    return _by_band(a, w_stride, w_alert, POWER_BAND, "W")
