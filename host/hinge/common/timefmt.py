"""Session times for the runner: one formatter, one rounding rule, for every host view.

``m:ss`` (``h:mm:ss`` from an hour on), **floored** to the whole second, as a stopwatch shows
it: a buzz at 111.9 s is ``1:51`` in ``hinge report`` and in ``hinge monitor`` alike. Times are
ms on the session clock (``clock_ms``) or seconds (``clock``; first rounded to the ms, so a
float sum like 59.99999999 s of whole-ms strides is ``1:00``, not ``0:59``).
"""
from __future__ import annotations

import math


def clock_ms(t_ms) -> str:
    """``t_ms`` (ms, int-like) as m:ss or h:mm:ss, floored to the second; negative reads 0:00."""
    s = max(0, int(t_ms)) // 1000
    if s >= 3600:
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


def clock(seconds) -> str:
    """``seconds`` (float) as m:ss or h:mm:ss, floored to the second (see the module docstring)."""
    x = float(seconds)
    if not math.isfinite(x):
        return "-:--"
    return clock_ms(math.floor(x * 1000 + 0.5))


def day_text(d: int) -> str | None:
    """A device date stamp (YYYYMMDD as an int; 0 = the board's clock was not set) as
    "YYYY-MM-DD", or None for 0."""
    return f"{d // 10000:04d}-{d // 100 % 100:02d}-{d % 100:02d}" if d > 0 else None
