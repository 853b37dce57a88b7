"""The watch's activity as one per-second series, whatever file it came from (FIT or GPX).

Every reader (``fitread``, ``gpxread``) and the simulator's watch (``synth``) returns an
:class:`Activity`; alignment, splits and grade work on it alone. Units: time ``t`` in Unix
seconds (UTC, float64); ``lat``/``lon`` degrees (WGS84); ``distance_m`` metres from the start,
never decreasing; ``altitude_m`` metres above sea level; ``cadence_spm`` steps per minute, both
feet (a FIT running cadence counts one foot: the readers double it); ``hr_bpm`` beats per
minute; ``speed_mps`` metres per second; and where the watch logs running dynamics (a
running-dynamics pod's, or its own from the wrist): ``gct_ms`` ground contact time (ms),
``vo_mm`` vertical oscillation (mm), ``gct_balance`` the left foot's share of the contact time
(percent), ``step_mm`` step length (mm) and ``vratio_pct`` vertical ratio (percent); and what
else a runner's watch logs that Hinge measures nothing of but must not lose in a merged file
(``fitexport``): ``power_w`` running power (W, a power meter's: Stryd, or the watch's own) and
``temperature_c`` the air temperature at the watch (deg C). A missing value is NaN.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hinge.common.errors import HingeError

EARTH_R_M = 6371008.8  # mean Earth radius (IUGG), metres: haversine distances between fixes
ON_FOOT = ("running", "walking", "hiking", "generic")  # sports whose cadence counts steps
FIELDS = ("lat", "lon", "distance_m", "altitude_m", "cadence_spm", "hr_bpm", "speed_mps", "gct_ms", "vo_mm",
          "gct_balance", "step_mm", "vratio_pct", "power_w", "temperature_c")
DYNAMICS = ("gct_ms", "vo_mm", "gct_balance")   # the running dynamics among them (NaN when the watch has none)
STEPS = ("step_mm", "vratio_pct")               # a pod's step length and vertical ratio (NaN when none)
CARRIED = ("power_w", "temperature_c")          # the watch's own, carried into a merged file (NaN when none)
OPTIONAL = DYNAMICS + STEPS + CARRIED           # series a watch may not log at all


class WatchFileError(HingeError):
    """A watch file Hinge cannot use, said in one line (it names the file and the problem)."""


@dataclass
class Activity:
    t: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    distance_m: np.ndarray
    altitude_m: np.ndarray
    cadence_spm: np.ndarray
    hr_bpm: np.ndarray
    speed_mps: np.ndarray
    sport: str = "running"
    source: str = ""
    meta: dict = field(default_factory=dict)
    gct_ms: np.ndarray | None = None
    vo_mm: np.ndarray | None = None
    gct_balance: np.ndarray | None = None
    step_mm: np.ndarray | None = None
    vratio_pct: np.ndarray | None = None
    power_w: np.ndarray | None = None
    temperature_c: np.ndarray | None = None

    def __post_init__(self):
        for k in OPTIONAL:        # a watch without running dynamics (or power, ...): none measured
            if getattr(self, k) is None:
                setattr(self, k, np.full(len(self.t), np.nan))

    @property
    def start(self) -> float:
        return float(self.t[0])

    @property
    def end(self) -> float:
        return float(self.t[-1])

    def has(self, name: str) -> bool:
        """True when the series ``name`` has at least one value."""
        return bool(np.isfinite(getattr(self, name)).any())


def haversine_m(lat0, lon0, lat1, lon1):
    """Great-circle distance in metres between arrays of fixes (degrees)."""
    p0, p1 = np.radians(lat0), np.radians(lat1)
    dp, dl = p1 - p0, np.radians(np.asarray(lon1) - np.asarray(lon0))
    a = np.sin(dp / 2) ** 2 + np.cos(p0) * np.cos(p1) * np.sin(dl / 2) ** 2
    return 2 * EARTH_R_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def build(name: str, t, sport: str = "running", **series) -> Activity:
    """An :class:`Activity` from point series (any spacing, sorted here): distance from the fixes
    when the file has none, speed from distance when it has none, every series resampled onto a
    1-s grid from the first to the last point (linear; gaps over 10 s stay NaN for cadence,
    heart rate, speed and the OPTIONAL series: a paused watch measured nothing). Raises :class:`WatchFileError`."""
    t = np.asarray(t, dtype=np.float64)
    if len(t) < 2:
        raise WatchFileError(f"{name}: fewer than two timed points: nothing to line up with")
    order = np.argsort(t, kind="stable")
    t = t[order]
    keep = np.concatenate(([True], np.diff(t) > 0))  # repeated timestamps: the first one
    t = t[keep]
    cols = {}
    for k in FIELDS:
        v = series.get(k)
        v = np.full(len(order), np.nan) if v is None else np.asarray(v, dtype=np.float64)[order]
        cols[k] = v[keep]
    if len(t) < 2:
        raise WatchFileError(f"{name}: fewer than two distinct timestamps: nothing to line up with")
    if not np.isfinite(cols["distance_m"]).any() and np.isfinite(cols["lat"]).sum() >= 2:
        ok = np.isfinite(cols["lat"]) & np.isfinite(cols["lon"])
        la, lo = cols["lat"][ok], cols["lon"][ok]
        d = np.concatenate(([0.0], np.cumsum(haversine_m(la[:-1], lo[:-1], la[1:], lo[1:]))))
        cols["distance_m"] = np.interp(t, t[ok], d)
    dist = cols["distance_m"]
    if np.isfinite(dist).any():  # never decreasing: a watch's distance only grows
        ok = np.isfinite(dist)
        dist = np.interp(t, t[ok], np.maximum.accumulate(dist[ok]))
        cols["distance_m"] = dist
    grid = np.arange(np.floor(t[0]), np.floor(t[-1]) + 1.0)
    gap = np.concatenate((np.diff(t), [0.0]))
    out = {}
    for k, v in cols.items():
        ok = np.isfinite(v)
        if ok.sum() < 2:
            out[k] = np.full(len(grid), np.nan)
            continue
        g = np.interp(grid, t[ok], v[ok], left=np.nan, right=np.nan)
        if k in ("cadence_spm", "hr_bpm", "speed_mps") + OPTIONAL:
            i = np.clip(np.searchsorted(t, grid, side="right") - 1, 0, len(t) - 1)
            g[gap[i] > 10.0] = np.nan
        out[k] = g
    if not np.isfinite(out["speed_mps"]).any() and np.isfinite(out["distance_m"]).any():
        d = out["distance_m"]
        sp = np.gradient(d)  # m per 1-s step
        out["speed_mps"] = np.convolve(np.nan_to_num(sp), np.ones(5) / 5, mode="same")  # GPS steps: 5-s mean
    return Activity(grid, sport=sport, source=name, **out)


def at(act: Activity, u) -> dict:
    """The activity's series at UTC seconds ``u`` (array), linearly interpolated; NaN outside
    the record. Keys: FIELDS."""
    u = np.asarray(u, dtype=float)
    out = {}
    for k in FIELDS:
        v = getattr(act, k)
        ok = np.isfinite(v)
        out[k] = (np.interp(u, act.t[ok], v[ok], left=np.nan, right=np.nan) if ok.sum() >= 2
                  else np.full(u.shape, np.nan))
    return out
