"""The coach: turns per-stride lean and rotation into buzz decisions (pure logic, no I/O).

A fault is one of ``upright`` (lean below ``lean_min_deg``), ``backward`` (lean below
``lean_back_deg``, e.g. leaning back on a descent; it takes precedence over upright) and
``swivel`` (rotation above ``swivel_max_deg``). Per running stride the coach smooths lean and
rotation to the median of their last 3 strides (so one odd stride, however far off, neither
starts nor ends an episode), applies hysteresis (a fault clears only once the metric is
``*_hyst_deg`` back on the good side),
and counts how long the fault has held *while running*: the strides past the limit itself (in
the hysteresis band the episode goes on, but the runner's form is within the limit: that time
does not count and nothing buzzes then, so a runner who dipped past the limit once and then
runs just inside it is not told of a fault). It alerts, on a stride past the limit, once the
fault has held for ``alert_after_s``, repeats at most every ``alert_repeat_s`` while it holds, and reports a
clear when a fault it alerted on ends (the haptic layer may tick). Walking or standing ends
every episode silently: the coach never buzzes then.

Severity (1-3) grades how far past the limit the smoothed metric is (more than 2/4 deg for lean,
4/8 deg for rotation), so the haptic cue can grow with the error.

Optional cues (off by default; ``form()``, after ``stride()``, same rules and grading):

- ``hip_drop`` (``coach_hip_drop``): the pelvis's drop during each foot's stance (the stride's
  DYN event, dynamics.py: left and right), each side smoothed as lean is (the median of its
  last three strides; every optional cue's metric so, cadence too); the worse side
  past ``hip_drop_max_deg`` is the fault (severity past 2/4 deg; the ALERT's extra field says the
  side: 1 left, 2 right);
- ``tilt_swing`` (``coach_tilt``): the pelvis's pitch peak-to-peak within the stride past
  ``tilt_swing_max_deg`` (severity past 2/4 deg);
- ``cadence`` (``coach_cadence``, retraining): the smoothed cadence more than
  ``cadence_band_spm`` below the target is the fault, cleared at half the band below it (severity
  past 3/6 steps/min). The target is ``cadence_target_spm``, or with 0 ``cadence_raise_pct`` over
  the runner's baseline: the mean cadence (steps over time) of ``cadence_baseline_min``
  minutes of running after the first (drift.py's rule: the first minute is warm-up); no cue
  until it is learned. With ``cadence_baseline_keep`` the main loop keeps the first baseline
  learned on flash (coachstore.py) and hands it to later sessions (``keep_base``), which then
  aim at the same target from their first stride instead of learning their own. Value and limit in the ALERT are 1/100 steps/min, extra the target in
  1/10 steps/min (the main loop plays the metronome at its step interval).

**Faded feedback** (``fade_feedback``): ``fade`` (1, 2 or 4, set by the main loop from the
sessions the runner has had, coachstore.py) gives one fault episode in ``fade`` its cues, counted
per reason in the session (the first, then every ``fade``-th); the other episodes' ALERTs and
CLEARs are still logged, with the withheld flag (events.py), and not played.

All values are centidegrees and milliseconds (ints); no allocation per stride.
"""
from array import array

from micropython import const

from events import (EV_ALERT, EV_CAD_BASE, EV_CLEAR, R_BACKWARD, R_CADENCE, R_HIP_DROP, R_SWIVEL,
                    R_TILT, R_UPRIGHT)

_NONE = const(-0x3FFFFFFF)
_MIN_MS = const(60000)
_SETTLE_MS = const(60000)   # the first running minute is warm-up, not baseline (as drift.py)
_HD = const(0)              # the optional cues' slots in Coach.es
_TL = const(3)
_CD = const(6)


class Coach:
    """Fault state machines for upright, backward and swivel, and the optional hip drop, tilt
    swing and cadence cues. ``q`` has ``push(8 ints)`` (and ``buf``, ``n`` for ``form()``)."""

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
        self.en_drop = 1 if cfg["coach_hip_drop"] else 0
        self.drop_max = int(cfg["hip_drop_max_deg"] * 100)
        self.drop_hyst = int(cfg["hip_drop_hyst_deg"] * 100)
        self.en_tilt = 1 if cfg["coach_tilt"] else 0
        self.tilt_max = int(cfg["tilt_swing_max_deg"] * 100)
        self.tilt_hyst = int(cfg["tilt_swing_hyst_deg"] * 100)
        self.en_cad = 1 if cfg["coach_cadence"] else 0
        # any optional cue on: only then has form() work to do (the detector skips the call)
        self.form_on = 1 if self.en_drop or self.en_tilt or self.en_cad else 0
        self.cad_fixed = int(cfg["cadence_target_spm"] * 10 + 0.5)   # 1/10 spm; 0 = from the baseline
        self.cad_raise = int(cfg["cadence_raise_pct"] * 10 + 0.5)    # permille over the baseline
        self.cad_base_ms = int(cfg["cadence_baseline_min"]) * _MIN_MS
        self.band = int(cfg["cadence_band_spm"] * 10 + 0.5)          # 1/10 spm
        self.fade = 1               # one episode in `fade` gets its cues (1, 2, 4: coachstore.period)
        self.ep = bytearray(8)      # per reason: fault episodes so far this session, mod 4
        self.wh = bytearray(8)      # per reason: 1 while the episode's cues are withheld
        self.es = array("i", bytes(36))   # hip drop, tilt swing, cadence: (on, held ms, last alert ms) each
        self.hs = array("i", bytes(32))   # hip drop left, right, tilt swing, cadence: the last two values each
        self.alerts = 0
        self.withheld = 0           # alerts logged but not played (faded feedback)
        self.start()

    def start(self):
        """A new session: the cadence baseline and the faded-feedback episode counts start again."""
        self.c_run = 0              # running ms this session
        self.c_n = 0                # strides and ms in the cadence baseline's minutes
        self.c_ms = 0
        self.c_base = 0             # the baseline cadence, 1/10 spm (0 = not learned yet)
        self.target = self.cad_fixed    # the cadence target, 1/10 spm (0 = none yet)
        k = 0
        while k < 8:
            self.ep[k] = 0
            self.wh[k] = 0
            k += 1
        self.reset()

    def keep_base(self, c):
        """Use ``c`` (1/10 steps/min, > 0), a baseline kept from an earlier run, as this session's
        cadence baseline: the target follows from it now, and none is learned."""
        if c > 0:
            self.c_base = c
            if self.cad_fixed == 0:
                self.target = c * (1000 + self.cad_raise) // 1000
            if self.en_cad:
                self.q.push(EV_CAD_BASE, 0, c, self.target, 1, 0, 0, 0)

    def reset(self):
        """End every episode (walking, standing, a gap in the data); no events."""
        self.l1 = _NONE      # the last two strides' lean and rotation, cdeg (l1 the last;
        self.l2 = _NONE      # the smoothed metric is their median with this stride's)
        self.r1 = _NONE
        self.r2 = _NONE
        self.te_run = -1     # where the last coached running stride ended (ms), -1: none
        self.up_on = 0       # fault active (after hysteresis)
        self.up_held = 0     # ms of running with the fault active
        self.up_last = _NONE  # time of the last alert in this episode, ms
        self.back_on = 0
        self.back_held = 0
        self.back_last = _NONE
        self.sw_on = 0
        self.sw_held = 0
        self.sw_last = _NONE
        self.dl_s = _NONE     # smoothed hip drop left and right, cdeg (the worse side decides)
        self.dr_s = _NONE
        k = 0
        while k < 9:          # the optional cues' episodes (see _cue): off, nothing held, no alert
            self.es[k] = _NONE if k % 3 == 2 else 0
            k += 1
        k = 0
        while k < 8:          # ... and their metrics' last values (see _smooth): none
            self.hs[k] = _NONE
            k += 1

    def stride(self, t, lean, rot, stride_ms):
        """One running stride ending at ``t`` (ms), ``stride_ms`` long, with lean and rotation
        (cdeg). A fault holds for the time from the last coached running stride to this one: a
        stride lost in a gap of the samples, or a grounded one the detector did not coach, was
        run all the same in the gait that goes on; up to two of them (a longer pause breaks the
        gait anyway, and reset() starts afresh)."""
        tr = self.te_run
        self.te_run = t
        # The smoothed metric is the median of the last three strides (the mean of two at an
        # episode's second stride, the stride itself at its first): form held over strides is
        # what a fault is, and one stride's value, however far off (the gravity estimate thrown
        # by a landing inside a gap of lost samples: 11 deg on one stride of a 50 Hz board),
        # moves the median no further than its neighbours, so it neither starts nor ends an
        # episode. A change of form shows from its second stride, as the mean of two did.
        # (inline: a call per stride would cost as much again, make bench)
        ls = lean
        rs = rot
        a = self.l1
        r = self.r1
        self.l1 = lean
        self.r1 = rot
        if a != _NONE:
            b = self.l2
            c = self.r2
            self.l2 = a
            self.r2 = r
            if b == _NONE:
                ls = (a + lean) >> 1
                rs = (r + rot) >> 1
            else:
                if a > b:
                    a, b = b, a
                if b > lean:
                    b = lean
                ls = a if a > b else b
                if r > c:
                    r, c = c, r
                if c > rot:
                    c = rot
                rs = r if r > c else c
        # Most strides: no episode on and none starting (lean_back lies below lean_min, config):
        # nothing below would change (~2.5k instructions a stride on the ESP32's port, make bench)
        if not (self.back_on or self.up_on or self.sw_on) and ls >= self.lean_min and rs <= self.rot_max:
            return
        held = stride_ms
        # (two strides lost and this one: under 3.5 of this one's time, the count rounded, as a
        # runner's strides differ by a few % and a stride lost to a gap takes its hidden step's
        # neighbour with it, detector.py, so such a span runs a little past 3 strides)
        if tr >= 0 and stride_ms < t - tr and 2 * (t - tr) < 7 * stride_ms:
            held = t - tr
        # backward (takes precedence over upright). Leaning back is running upright gone
        # further (lean_back < lean_min): one episode, whichever it reads now. Crossing between
        # the two carries the time held past lean_min, the last buzz (so the repeat interval
        # holds) and faded feedback's decision; no clear in between. (Before, a two-stride dip
        # past lean_back in an upright episode, e.g. the filter shaken by a burst of lost
        # samples, ended it, and the buzz came a hold time after the dip, not after the onset.)
        if self.back_on:
            on = ls < self.lean_back + self.lean_hyst
        else:
            on = self.en_back and ls < self.lean_back
        if on:
            if self.up_on:
                self.back_held = self.up_held
                self.back_last = self.up_last
                self.wh[R_BACKWARD] = self.wh[R_UPRIGHT]
                self.up_on = 0
                self.up_held = 0
                self.up_last = _NONE
            self.back_on = 1
            if ls < self.lean_back:
                self.back_held += held
                self.back_last = self._maybe(R_BACKWARD, t, self.back_held, self.back_last,
                                             self.lean_back - ls, 200, 400, ls, self.lean_back)
        elif self.back_on:
            if self.en_up and ls < self.lean_min + self.lean_hyst:
                self.up_on = 1          # still upright: the episode goes on as that
                self.up_held = self.back_held
                self.up_last = self.back_last
                self.wh[R_UPRIGHT] = self.wh[R_BACKWARD]
            else:
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
                self.up_on = 1
                if ls < self.lean_min:
                    self.up_held += held
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
            self.sw_on = 1
            if rs > self.rot_max:
                self.sw_held += held
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

    def maybe(self, reason, t, held, last, excess, s2, s3, value, limit, after_ms, extra=0, repeat_ms=0):
        """Alert if the fault has held ``after_ms`` and the repeat interval (``repeat_ms``, 0 = the
        form cues' ``alert_repeat_s``) has passed since ``last``, the episode's last alert (the
        rule every cue shares; drift.py gives its own hold and repeat). Returns the last alert's
        time. An episode's first alert decides, by faded feedback, whether its cues are withheld."""
        if held < after_ms:
            return last
        if last != _NONE and t - last < (repeat_ms or self.repeat_ms):
            return last
        sev = 1
        if excess > s3:
            sev = 3
        elif excess > s2:
            sev = 2
        if last == _NONE:   # a new episode: the first of every `fade` (per reason) is played
            k = self.ep[reason]
            self.ep[reason] = (k + 1) & 3   # 4 is a multiple of every period (1, 2, 4)
            self.wh[reason] = 1 if k % self.fade else 0
        w = self.wh[reason]
        self.alerts += 1
        self.withheld += w
        self.q.push(EV_ALERT, t, reason, sev, value, limit, w, extra)
        return t

    def _end(self, reason, t, value, limit, last):
        """A fault episode ended; report a clear only if it had buzzed (or had its buzz withheld)."""
        if last != _NONE:
            self.q.push(EV_CLEAR, t, reason, 0, value, limit, self.wh[reason], 0)

    # -- the optional cues (off by default) -------------------------------------------------
    def form(self, t, cad, stride_ms, tilt, dl, dr):
        """After ``stride()``, for the same running stride: its tilt swing and hip drop per side
        (cdeg, dynamics.py's; 0 = not measured) and its cadence (1/10 spm): the cadence
        baseline and the optional cues."""
        if self.en_drop:
            self._drop(t, dl, dr, stride_ms)
        if self.en_tilt:
            self._tilt(t, tilt, stride_ms)
        if self.c_base == 0:
            self._learn(t, stride_ms)
        if self.en_cad and self.target > 0:
            self._cadence(t, cad, stride_ms)

    def _smooth(self, k, v):
        # metric k's smoothed value with v, its newest: the median of its last three (the mean of
        # two at the second, v itself at the first), as stride() smooths lean and rotation, and
        # for the same reason: one stride's value, however far off (a contact misread, a stride
        # whose steps a gap in the samples hid), moves it no further than its neighbours
        hs = self.hs
        a = hs[k]
        b = hs[k + 1]
        hs[k + 1] = a
        hs[k] = v
        if a == _NONE:
            return v
        if b == _NONE:
            return (a + v) >> 1
        if a > b:
            a, b = b, a
        if b > v:
            b = v
        return a if a > b else b

    def _drop(self, t, dl, dr, ms):
        if dl > 0:
            self.dl_s = self._smooth(0, dl)
        if dr > 0:
            self.dr_s = self._smooth(2, dr)
        v = self.dl_s
        side = 1
        if self.dr_s > v:
            v = self.dr_s
            side = 2
        if v == _NONE:
            return
        lim = self.drop_max
        on = v > lim - self.drop_hyst if self.es[_HD] else v > lim
        # severity past 2 / 4 deg, as lean's: ~1-3x the measure's stride-to-stride scatter
        self._cue(_HD, R_HIP_DROP, t, on, ms, v - lim, 200, 400, v, lim, side)

    def _tilt(self, t, sw, ms):
        if sw <= 0:
            return
        v = self._smooth(4, sw)
        lim = self.tilt_max
        on = v > lim - self.tilt_hyst if self.es[_TL] else v > lim
        self._cue(_TL, R_TILT, t, on, ms, v - lim, 200, 400, v, lim, 0)

    def _learn(self, t, ms):
        # the cadence baseline: strides over running time in the minutes after the first
        self.c_run += ms
        if self.c_run <= _SETTLE_MS:
            return
        if self.c_run <= _SETTLE_MS + self.cad_base_ms:
            self.c_n += 1
            self.c_ms += ms
            return
        if self.c_ms < 100:
            return
        self.c_base = self.c_n * 12000 // (self.c_ms // 100)   # 2 steps x 60000 ms x 10 / ms
        if self.cad_fixed == 0:
            self.target = self.c_base * (1000 + self.cad_raise) // 1000
        if self.en_cad:
            self.q.push(EV_CAD_BASE, t, self.c_base, self.target, 0, 0, 0, 0)

    def _cadence(self, t, cad, ms):
        v = self._smooth(6, cad)
        lo = self.target - self.band
        on = v < lo + (self.band >> 1) if self.es[_CD] else v < lo
        # severity past 3 / 6 steps/min below the band: one and two default bands, about a third
        # and two thirds of a 5 % raise (8-9 steps/min at 170)
        self._cue(_CD, R_CADENCE, t, on, ms, lo - v, 30, 60, v * 10, lo * 10, self.target)

    def _cue(self, k, reason, t, on, ms, excess, s2, s3, value, limit, extra):
        # the episode of optional cue k (its on, held ms and last alert at es[k..k+2]): the rule of
        # stride() for the others, as one function
        es = self.es
        if on:
            es[k] = 1
            if excess > 0:
                es[k + 1] += ms
                es[k + 2] = self.maybe(reason, t, es[k + 1], es[k + 2], excess, s2, s3, value, limit, self.after_ms, extra)
        elif es[k]:
            self._end(reason, t, value, limit, es[k + 2])
            es[k] = 0
            es[k + 1] = 0
            es[k + 2] = _NONE
