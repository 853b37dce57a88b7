"""On-board clock setting for every connection (``Board.set_clock``): the board's RTC from the
laptop's clock, in UTC, so the session logs the firmware starts next carry their wall-clock start.
"""


def set_utc(dt):
    """Set ``machine.RTC`` to ``dt`` = (year, month, day, weekday, hour, minute, second,
    microsecond) and return its datetime read back; None on a firmware without an RTC."""
    try:
        from machine import RTC
    except ImportError:
        return None
    r = RTC()
    r.datetime(dt)
    return tuple(r.datetime())
