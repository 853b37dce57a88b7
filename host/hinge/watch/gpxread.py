"""Read a GPX track with ``gpxpy``: fixes, elevation, and Garmin's TrackPointExtension
(``hr``, ``cad``, ``atemp``: the air temperature) and a ``power`` extension (as Strava and
Garmin Connect write it in their GPX exports) where present.

GPX has no sport field worth trusting and no CRC; what Hinge needs is a time on every fix
(a planned route has none: refused in one line). ``cad`` in Garmin's and Strava's GPX is one
foot's strides per minute, as in FIT: doubled to steps per minute.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .activity import Activity, WatchFileError, build


def _ext(point, tag: str) -> float:
    # Garmin TrackPointExtension: <extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>...
    for e in point.extensions:
        for el in e.iter():
            if el.tag.rsplit("}", 1)[-1].lower() == tag and el.text:
                try:
                    return float(el.text)
                except ValueError:
                    return np.nan
    return np.nan


def read(path) -> Activity:
    """The track in GPX file ``path`` as a per-second :class:`Activity`."""
    import gpxpy
    import gpxpy.gpx

    path = Path(path)
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise WatchFileError(f"{name}: cannot read it ({e.strerror})") from None
    except UnicodeDecodeError:
        raise WatchFileError(f"{name}: not a GPX file (not UTF-8 text)") from None
    try:
        gpx = gpxpy.parse(text)
    except (gpxpy.gpx.GPXException, ValueError) as e:
        raise WatchFileError(f"{name}: damaged GPX file ({str(e).splitlines()[0][:120]})") from None
    pts = [p for trk in gpx.tracks for seg in trk.segments for p in seg.points]
    if not pts:
        raise WatchFileError(f"{name}: no track points (a route or waypoints only?): nothing to line up with")
    timed = [p for p in pts if p.time is not None]
    if len(timed) < 2:
        raise WatchFileError(f"{name}: GPX without timestamps (a planned route?): Hinge needs the time of each "
                             "point to line it up with the log")
    for p in timed:
        if p.time.tzinfo is None:  # GPX times are UTC by the schema; a bare time is read as UTC
            import datetime as _dt

            p.time = p.time.replace(tzinfo=_dt.timezone.utc)
    t = np.array([p.time.timestamp() for p in timed])
    f = np.array
    return build(name, t, sport="running",
                 lat=f([p.latitude for p in timed], float), lon=f([p.longitude for p in timed], float),
                 altitude_m=f([np.nan if p.elevation is None else p.elevation for p in timed], float),
                 hr_bpm=f([_ext(p, "hr") for p in timed]), cadence_spm=f([_ext(p, "cad") for p in timed]) * 2.0,
                 temperature_c=f([_ext(p, "atemp") for p in timed]), power_w=f([_ext(p, "power") for p in timed]))
