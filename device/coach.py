"""The coach: turns per-stride lean and rotation into buzz decisions (pure logic, no I/O).

A fault is one of ``upright`` (lean below ``lean_min_deg``), ``backward`` (lean below
``lean_back_deg``, e.g. leaning back on a descent; it takes precedence over upright) and
``swivel`` (rotation above ``swivel_max_deg``). Per running stride the coach smooths each
metric over ~2 strides (so one odd stride neither starts nor ends an episode), applies
hysteresis (a fault clears only once the metric is ``*_hyst_deg`` back on the good side),
and counts how long the fault has held *while running*. It alerts once a fault has held for
``alert_after_s``, repeats at most every ``alert_repeat_s`` while it holds, and reports a
clear when a fault it alerted on ends (the haptic layer may tick). Walking or standing ends
every episode silently: the coach never buzzes then.

Severity (1-3) grades how far past the limit the smoothed metric is (more than 2/4 deg for lean,
4/8 deg for rotation), so the haptic cue can grow with the error.

All values are centidegrees and milliseconds (ints); no allocation per stride.
"""
from micropython import const

from events import EV_ALERT, EV_CLEAR, R_BACKWARD, R_SWIVEL, R_UPRIGHT

_NONE = const(-0x3FFFFFFF)


class Coach:
    """Fault state machines for upright, backward and swivel. ``q`` has ``push(8 ints)``."""

    def __init__(self, cfg, q):
        self.q = q
        self.lean_min = int(cfg["lean_min_deg"] * 100)
        self.lean_back = int(cfg["lean_back_deg"] * 100)
        self.lean_hyst = int(cfg["lean_hyst_deg"] * 100)
        self.rot_max = int(cfg["swivel_max_deg"] * 100)
        self.rot_hyst = int(cfg["swivel_hyst_deg"] * 100)
        self.after_ms = int(cfg["alert_after_s"] * 1000)
        self.repeat_ms = int(cfg["alert_repeat_s"] * 1000)
        self.en_up = 1 if cfg["coach_upright"] else 0
        self.en_back = 1 if cfg["coach_backward"] else 0
        self.en_swivel = 1 if cfg["coach_swivel"] else 0
        self.alerts = 0
        self.reset()

    def reset(self):
        """End every episode (walking, standing, a gap in the data); no events."""
        self.lean_s = _NONE  # smoothed lean, cdeg
        self.rot_s = _NONE   # smoothed rotation, cdeg
        self.up_on = 0       # fault active (after hysteresis)
        self.up_held = 0     # ms of running with the fault active
        self.up_last = _NONE  # time of the last alert in this episode, ms
        self.back_on = 0
        self.back_held = 0
        self.back_last = _NONE
        self.sw_on = 0
        self.sw_held = 0
        self.sw_last = _NONE

    def stride(self, t, lean, rot, stride_ms):
        """One running stride ending at ``t`` (ms) with lean and rotation (cdeg)."""
        if self.lean_s == _NONE:
            self.lean_s = lean
            self.rot_s = rot
        else:
            self.lean_s = (self.lean_s + lean) >> 1
            self.rot_s = (self.rot_s + rot) >> 1
        ls = self.lean_s
        rs = self.rot_s
        # backward (takes precedence over upright)
        if self.back_on:
            on = ls < self.lean_back + self.lean_hyst
        else:
            on = self.en_back and ls < self.lean_back
        if on:
            if self.up_on:
                self._end(R_UPRIGHT, t, ls, self.lean_min, self.up_last)
                self.up_on = 0
                self.up_held = 0
                self.up_last = _NONE
            self.back_held += stride_ms
            self.back_on = 1
            self.back_last = self._maybe(R_BACKWARD, t, self.back_held, self.back_last,
                                         self.lean_back - ls, 200, 400, ls, self.lean_back)
        elif self.back_on:
            self._end(R_BACKWARD, t, ls, self.lean_back, self.back_last)
            self.back_on = 0
            self.back_held = 0
            self.back_last = _NONE
        # upright
        if not self.back_on:
            if self.up_on:
                on = ls < self.lean_min + self.lean_hyst
            else:
                on = self.en_up and ls < self.lean_min
            if on:
                self.up_held += stride_ms
                self.up_on = 1
                self.up_last = self._maybe(R_UPRIGHT, t, self.up_held, self.up_last,
                                           self.lean_min - ls, 200, 400, ls, self.lean_min)
            elif self.up_on:
                self._end(R_UPRIGHT, t, ls, self.lean_min, self.up_last)
                self.up_on = 0
                self.up_held = 0
                self.up_last = _NONE
        # swivel
        if self.sw_on:
            on = rs > self.rot_max - self.rot_hyst
        else:
            on = self.en_swivel and rs > self.rot_max
        if on:
            self.sw_held += stride_ms
            self.sw_on = 1
            self.sw_last = self._maybe(R_SWIVEL, t, self.sw_held, self.sw_last,
                                       rs - self.rot_max, 400, 800, rs, self.rot_max)
        elif self.sw_on:
            self._end(R_SWIVEL, t, rs, self.rot_max, self.sw_last)
            self.sw_on = 0
            self.sw_held = 0
            self.sw_last = _NONE

    def _maybe(self, reason, t, held, last, excess, s2, s3, value, limit):
        """Alert if the fault has held long enough and the repeat interval has passed."""
        return self.maybe(reason, t, held, last, excess, s2, s3, value, limit, self.after_ms)

    def maybe(self, reason, t, held, last, excess, s2, s3, value, limit, after_ms):
        """Alert if the fault has held ``after_ms`` and the repeat interval has passed (the rule
        every cue shares; drift.py gives its own hold time). Returns the last alert's time."""
        if held < after_ms:
            return last
        if last != _NONE and t - last < self.repeat_ms:
            return last
        sev = 1
        if excess > s3:
            sev = 3
        elif excess > s2:
            sev = 2
        self.alerts += 1
        self.q.push(EV_ALERT, t, reason, sev, value, limit, 0, 0)
        return t

    def _end(self, reason, t, value, limit, last):
        """A fault episode ended; report a clear only if it had buzzed."""
        if last != _NONE:
            self.q.push(EV_CLEAR, t, reason, 0, value, limit, 0, 0)
