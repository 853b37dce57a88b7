"""Watch files from the simulator's runs: the same run the virtual board plays, as the runner's
watch would have recorded it, so the truth of an alignment is known.

``watch_activity(sim, start_utc)`` turns a simulated capture (:func:`hinge.simulate.simulate`)
into a per-second :class:`~hinge.watch.activity.Activity`:

* **time**: the watch's clock is the truth: record k is at ``start_utc + k`` s (UTC), where
  the capture's sample time 0 is ``start_utc`` (the virtual board's stride times count from the
  same instant on the IMU's clock).
* **GPS**: the simulator's course heading and speed integrated from ``origin`` (flat-earth
  east/north to degrees), plus a slow random walk of ``gps_noise_m`` (consumer GPS wanders by
  metres); distance is the integrated speed, as a watch with a foot-pod-like filter reports it.
* **altitude**: the simulator has no hills, so the course gets a synthetic profile over
  distance: rolling +-``hill_grade`` (a 1.5 km period), and a steep ``descent_grade`` wherever
  the scenario has its "leaning back" episodes (the scenario calls them descents), so form vs
  grade has a known answer.
* **cadence**: 60 / the mean interval of the simulated foot contacts in a centred 4-s window
  (steps/min, both feet; a watch times steps over a few seconds); 0 while standing.
* **heart rate**: first-order (time constant 30 s) towards a target of 80 bpm standing,
  100 walking, 145 running, +2.5 bpm per % of climb, with a cardiac drift of 6 bpm/hour.
* **running dynamics** (``pod=True``: a running-dynamics pod on the watch): each second the
  last running stride of the simulator's truth that ended in it, its contact time (the mean of
  its two feet, ms), the left foot's share of them (%) and its vertical oscillation (the mean of
  its two steps, mm): a pod that measures the truth.

Everything is drawn from ``seed`` (numpy's default_rng): the same inputs give the same file.
"""
from __future__ import annotations

import numpy as np

from .activity import DYNAMICS, EARTH_R_M, Activity

HILL_PERIOD_M = 1500.0  # rolling hills: one up and one down every 1.5 km
CADENCE_WINDOW_S = 4.0  # a watch reports cadence averaged over a few seconds
HR_TAU_S = 30.0  # heart rate settles to a new effort with a ~30 s time constant
HR_TARGET = {"standing": 80.0, "walking": 100.0, "running": 145.0}  # bpm, an easy-running runner
HR_PER_GRADE = 2.5  # bpm per % of grade while moving (a climb costs more)
HR_DRIFT_PER_H = 6.0  # cardiac drift, bpm per hour of running


def _activity_at(truth: dict, t: np.ndarray) -> list:
    segs = truth["segments"]
    t0 = np.array([s["t0_ms"] / 1000.0 for s in segs])
    i = np.clip(np.searchsorted(t0, t, side="right") - 1, 0, len(segs) - 1)
    return [segs[k]["activity"] for k in i]


def _descents(truth: dict, t: np.ndarray) -> np.ndarray:
    m = np.zeros(len(t), bool)
    for e in truth.get("episodes", []):
        if e["reason"] == "backward":
            m |= (t >= e["t0_ms"] / 1000.0) & (t < e["t1_ms"] / 1000.0)
    return m


def watch_activity(sim, start_utc: float, seed: int = 0, origin=(47.3769, 8.5417), alt0_m: float = 410.0,
                   hill_grade: float = 0.03, descent_grade: float = -0.08, gps_noise_m: float = 1.5,
                   sport: str = "running", pod: bool = False) -> Activity:
    """The watch's per-second record of simulated run ``sim`` (see the module docstring);
    ``start_utc``: Unix seconds of the capture's time 0 (a whole second: FIT keeps seconds);
    ``pod``: with a running-dynamics pod's contact time, balance and vertical oscillation."""
    rng = np.random.default_rng(seed)
    ts = sim.series["t_s"]
    dur = float(sim.truth["duration_s"])
    t = np.arange(0.0, np.floor(dur) + 1.0)
    speed = np.interp(t, ts, sim.series["speed_mps"])
    course = np.radians(np.interp(t, ts, np.unwrap(np.radians(sim.series["course_deg"])) * 180 / np.pi))
    dist = np.concatenate(([0.0], np.cumsum((speed[1:] + speed[:-1]) / 2)))
    north = np.concatenate(([0.0], np.cumsum(speed[1:] * np.cos(course[1:]))))
    east = np.concatenate(([0.0], np.cumsum(speed[1:] * np.sin(course[1:]))))
    walk = np.cumsum(rng.normal(0.0, gps_noise_m * 0.1, (2, len(t))), axis=1)
    walk = np.clip(walk, -3 * gps_noise_m, 3 * gps_noise_m)
    lat = origin[0] + np.degrees((north + walk[0]) / EARTH_R_M)
    lon = origin[1] + np.degrees((east + walk[1]) / (EARTH_R_M * np.cos(np.radians(origin[0]))))
    grade = hill_grade * np.sin(2 * np.pi * dist / HILL_PERIOD_M)
    grade[_descents(sim.truth, t)] = descent_grade
    alt = alt0_m + np.concatenate(([0.0], np.cumsum(grade[1:] * np.diff(dist))))
    steps = np.sort(np.asarray(sim.steps["t_s"], dtype=float))
    lo = np.searchsorted(steps, t - CADENCE_WINDOW_S / 2)
    hi = np.searchsorted(steps, t + CADENCE_WINDOW_S / 2) - 1
    n = hi - lo  # step intervals inside the window: cadence from their mean period, as a watch times steps
    span = steps[np.clip(hi, 0, len(steps) - 1)] - steps[np.clip(lo, 0, len(steps) - 1)]
    with np.errstate(invalid="ignore", divide="ignore"):
        cadence = np.where(n >= 2, 60.0 * n / np.where(span > 0, span, 1.0), 0.0)
    acts = _activity_at(sim.truth, t)
    target = np.array([HR_TARGET.get(a, 100.0) for a in acts])
    moving = np.array([a != "standing" for a in acts])
    target = target + moving * HR_PER_GRADE * grade * 100 + HR_DRIFT_PER_H * t / 3600.0
    hr = np.empty(len(t))
    h = HR_TARGET["standing"]
    k = 1.0 - np.exp(-1.0 / HR_TAU_S)
    for i, g in enumerate(target):
        h += (g - h) * k
        hr[i] = h
    hr = np.round(hr + rng.normal(0.0, 1.0, len(t)))
    dyn = _pod(sim.truth, t) if pod else {}
    return Activity(t + float(start_utc), lat, lon, dist, alt, cadence, hr, speed, sport=sport,
                    source=f"simulated watch ({sim.truth.get('scenario', 'run')}, seed {sim.truth.get('seed', 0)})",
                    meta={"grade": grade}, **dyn)


def _pod(truth: dict, t: np.ndarray) -> dict:
    """The truth's running dynamics on the watch's seconds ``t`` (capture time, s): each second
    the last running stride that ended in it (NaN where none did)."""
    out = {k: np.full(len(t), np.nan) for k in DYNAMICS}
    for r in truth["strides"]:
        gl, gr, vl, vr = r.get("gct_left_ms"), r.get("gct_right_ms"), r.get("vo_left_cm"), r.get("vo_right_cm")
        if r["activity"] != "running" or None in (gl, gr, vl, vr):
            continue
        k = int(np.floor(r["t1_ms"] / 1000.0))
        if 0 <= k < len(t):
            out["gct_ms"][k] = (gl + gr) / 2.0
            out["gct_balance"][k] = 100.0 * gl / (gl + gr)
            out["vo_mm"][k] = 5.0 * (vl + vr)
    return out


def write_gpx(act: Activity, path, timestamps: bool = True) -> None:
    """``act`` as a GPX 1.1 track (``gpxpy``) with Garmin TrackPointExtension atemp, hr and cad
    (one foot, as Garmin writes it) and a ``power`` extension where it has them;
    ``timestamps=False`` leaves the times out (a planned route)."""
    import datetime as _dt
    import xml.etree.ElementTree as ET

    import gpxpy.gpx

    ns = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"
    g = gpxpy.gpx.GPX()
    g.nsmap["gpxtpx"] = ns
    trk = gpxpy.gpx.GPXTrack(name=act.source)
    seg = gpxpy.gpx.GPXTrackSegment()
    trk.segments.append(seg)
    g.tracks.append(trk)
    for i in range(len(act.t)):
        if not (np.isfinite(act.lat[i]) and np.isfinite(act.lon[i])):
            continue
        when = _dt.datetime.fromtimestamp(float(act.t[i]), _dt.timezone.utc) if timestamps else None
        alt = float(act.altitude_m[i]) if np.isfinite(act.altitude_m[i]) else None
        p = gpxpy.gpx.GPXTrackPoint(float(act.lat[i]), float(act.lon[i]), elevation=alt, time=when)
        ext = ET.Element(f"{{{ns}}}TrackPointExtension")
        for tag, v in (("atemp", act.temperature_c[i]), ("hr", act.hr_bpm[i]), ("cad", act.cadence_spm[i] / 2)):
            if np.isfinite(v):
                ET.SubElement(ext, f"{{{ns}}}{tag}").text = str(int(round(v)))
        if np.isfinite(act.power_w[i]):     # as Strava's and Garmin Connect's GPX exports put it
            pw = ET.Element("power")
            pw.text = str(int(round(act.power_w[i])))
            p.extensions.append(pw)
        p.extensions.append(ext)
        seg.points.append(p)
    from .fitexport import atomic_write

    atomic_write(path, g.to_xml(version="1.1").encode())
