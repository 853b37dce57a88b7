"""Read a FIT activity with Garmin's official decoder (``garmin-fit-sdk``).

``read(path)`` checks the file before it believes it: a FIT header, the whole-file CRC
(``Decoder.check_integrity``), a decode without errors, an on-foot sport, timed records. Each
problem is one :class:`~hinge.watch.activity.WatchFileError` line naming the file. Units as in
:mod:`hinge.watch.activity`: positions come as semicircles (2**31 = 180 deg) and are turned
into degrees; a running cadence counts one foot (strides per minute, plus ``fractional_cadence``
in 1/128) and is doubled to steps per minute. Running dynamics, step length, vertical ratio,
power and temperature are read where the watch logged them (NaN where not).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .activity import ON_FOOT, Activity, WatchFileError, build

SEMICIRCLE_DEG = 180.0 / 2**31  # degrees per semicircle (FIT position unit)


def decode(data: bytes, name: str = "FIT file") -> dict:
    """Every message of a FIT file, as the SDK gives them (``{"record_mesgs": [...], ...}``),
    after the header and CRC checks. Raises WatchFileError."""
    from garmin_fit_sdk import Decoder, Stream

    if not Decoder(Stream.from_byte_array(bytearray(data))).is_fit():
        raise WatchFileError(f"{name}: not a FIT file (no .FIT header)")
    if not Decoder(Stream.from_byte_array(bytearray(data))).check_integrity():
        raise WatchFileError(f"{name}: damaged FIT file (truncated, or its CRC does not match)")
    msgs, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    if errors:
        raise WatchFileError(f"{name}: damaged FIT file ({str(errors[0]).splitlines()[0][:120]})")
    return msgs


def sport_of(msgs: dict) -> str | None:
    """The activity's sport (``"running"``, ``"cycling"``, ...) from its session or sport message."""
    for key in ("session_mesgs", "sport_mesgs"):
        for m in msgs.get(key, []):
            s = m.get("sport")
            if s is not None:
                return str(s)
    return None


def read(path) -> Activity:
    """The activity in FIT file ``path`` as a per-second :class:`Activity`."""
    path = Path(path)
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as e:
        raise WatchFileError(f"{name}: cannot read it ({e.strerror})") from None
    return from_messages(decode(data, name), name)


def from_messages(msgs: dict, name: str) -> Activity:
    """An :class:`Activity` from decoded FIT messages (see :func:`decode`)."""
    sport = sport_of(msgs)
    if sport is not None and sport not in ON_FOOT:
        raise WatchFileError(f"{name}: a {sport} activity, not a run: Hinge lines up with runs, walks and hikes")
    recs = [r for r in msgs.get("record_mesgs", []) if r.get("timestamp") is not None]
    if len(recs) < 2:
        raise WatchFileError(f"{name}: no timed records (a FIT activity keeps one a second or so): nothing to line up with")

    def col(*keys, scale=1.0):
        out = np.full(len(recs), np.nan)
        for i, r in enumerate(recs):
            for k in keys:
                v = r.get(k)
                if isinstance(v, (int, float)):
                    out[i] = v * scale
                    break
        return out

    t = np.array([r["timestamp"].timestamp() for r in recs])
    strides = col("cadence")
    frac = np.nan_to_num(col("fractional_cadence"))
    cadence = (strides + frac) * 2.0  # one foot -> both feet
    lat = col("position_lat", scale=SEMICIRCLE_DEG)
    lon = col("position_long", scale=SEMICIRCLE_DEG)
    return build(name, t, sport=sport or "running", lat=lat, lon=lon, distance_m=col("distance"),
                 altitude_m=col("enhanced_altitude", "altitude"), cadence_spm=cadence, hr_bpm=col("heart_rate"),
                 speed_mps=col("enhanced_speed", "speed"), gct_ms=col("stance_time"),
                 vo_mm=col("vertical_oscillation"), gct_balance=col("stance_time_balance"),
                 step_mm=col("step_length"), vratio_pct=col("vertical_ratio"), power_w=col("power"),
                 temperature_c=col("temperature"))
