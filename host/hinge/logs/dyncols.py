"""The running-dynamics columns of a decoded stride (device/logfmt.py formats 3-4, device/events.py
DYN): their names, and the two record forms read into them (units: deg, cm, ms; NaN = not
measured)."""
from __future__ import annotations

NAMES = ("tilt_swing_deg", "pushoff_pitch_deg", "hip_drop_left_deg", "hip_drop_right_deg", "vo_cm",
         "gct_left_ms", "gct_right_ms")
NONE = (float("nan"),) * 7
# their units (the CSV export's ``# units:`` line; nan where not measured: walking)
UNITS = {"tilt_swing_deg": "deg (forward-backward pitch, peak to peak)",
         "pushoff_pitch_deg": "deg (at the toe-offs against the stride's mean, + forward)",
         "hip_drop_left_deg": "deg (left stance)", "hip_drop_right_deg": "deg (right stance)",
         "vo_cm": "cm (vertical oscillation, the stride's steps)",
         "gct_left_ms": "ms (contact time, left)", "gct_right_ms": "ms (contact time, right)"}
assert set(UNITS) == set(NAMES)


def _field(u: int, off: int, n: int) -> int:
    # the n bits of a short STRIDE (u: its 72 bits, MSB first) from bit off (device/logfmt.py's layout)
    return (u >> (72 - off - n)) & ((1 << n) - 1)


def short(u: int) -> tuple:
    """The dynamics bits (38..71) of a version-3 short STRIDE (``u``: its 72 bits) in units."""
    def f(off, n):
        return _field(u, off, n)

    nan = float("nan")
    tilt, push, dl, dr, vo, gr, gl = f(38, 5), f(43, 4), f(47, 5), f(52, 5), f(57, 5), f(62, 5), f(67, 5)
    push = push - 16 if push >= 8 else push
    return (tilt * 0.5 if tilt else nan, push * 0.5 if dl or dr else nan, dl * 0.5 if dl else nan,
            dr * 0.5 if dr else nan, vo * 0.5 if vo else nan, 96.0 + 8 * gl if gl else nan,
            96.0 + 8 * gr if gr else nan)


def flew(u: int, mark: int) -> bool:
    """Whether a short STRIDE (``u``: its 72 bits) carries the FLEW mark (``mark``, logfmt.FLEW):
    that code in the push-off bits with neither hip drop measured, where no push-off is."""
    return _field(u, 43, 4) == mark and not _field(u, 47, 10)      # (push-off; both hip drops)


def long_record(f: list) -> tuple:
    """A long DYN record's fields (events.py) in units."""
    nan = float("nan")
    vl, vr = f[4] >> 10, f[4] & 1023
    vo = (vl + vr) / 20.0 if vl and vr else ((vl or vr) / 10.0 or nan)
    gl, gr = f[5] >> 11, f[5] & 2047
    return (f[0] / 100.0 if f[0] else nan, f[1] / 100.0 if f[2] or f[3] else nan, f[2] / 100.0 if f[2] else nan,
            f[3] / 100.0 if f[3] else nan, vo, float(gl) if gl else nan, float(gr) if gr else nan)
