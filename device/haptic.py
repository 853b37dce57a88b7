"""Non-blocking vibration cues for a coin ERM motor on a PWM pin (through an N-MOSFET).

Usage::

    import board, haptic
    h = haptic.Haptic.from_config(board.motor_pwm(), cfg)   # or Haptic(pwm, duty_pct, ...)
    h.play(haptic.P_UPRIGHT, 2)        # pattern ids 1-3 equal events.R_* reasons
    while True:
        now = board.ticks_ms()
        h.step(now)                    # never blocks, never allocates
        ms = h.next_ms(now)            # -1 idle, else call step() again within ms

``play()`` only queues. ``step(now_ms)`` advances the pattern and writes ``pwm.duty_u16()``
only when the level changes. Call both from the same context (the main loop): a soft
``machine.Timer`` callback may run between any two bytecodes of ``play()``. While
``is_busy()``, don't light-sleep: the ESP32's LEDC PWM, clocked from APB as MicroPython sets
it up, doesn't keep running in light sleep; wait at most ``next_ms()`` with
``board.sleep_ms`` instead (the motor is on for at most ~50 s an hour, see hardware/power.md).

What the runner feels
---------------------
Every on-pulse starts with a 25 ms kick at full duty (an ERM needs it to spin up), then runs
at the configured ``motor_duty``. Pulses are at least 60 ms (shorter is lost through
clothing). Patterns are at most 1500 ms; 400 ms of quiet separate two cues. Coaching cues
grow longer with severity (runners learn best from a cue whose length grows with the error).
Pulse words: tick <= 60 ms, short <= 150 ms, long <= 800 ms, drone > 800 ms; "-" joins
pulses of one burst, "..." marks a gap of 300 ms or more.

====  ===  ====  ========================================================================  =====  ========
id    sev  prio  describe(id, sev)                                                         on ms  total ms
====  ===  ====  ========================================================================  =====  ========
1     1    2     upright: long (1 x 400 ms)                                                  400       400
1     2    2     upright: long-long (2 x 400 ms)                                             800      1000
1     3    2     upright: long-long-long (3 x 400 ms)                                       1200      1500
2     1    2     swivel: short-short-short (3 x 100 ms)                                      300       500
2     2    2     swivel: 5 shorts (5 x 100 ms)                                               500       900
2     3    2     swivel: 7 shorts (7 x 100 ms)                                               700      1300
3     1    2     backward: short-long (100/400 ms)                                           500       650
3     2    2     backward: short-short-long (100/100/600 ms)                                 800      1050
3     3    2     backward: short-short-short-long (100/100/100/800 ms)                      1100      1450
4     -    1     clear: tick (1 x 60 ms)                                                      60        60
5     -    1     calibrated: tick-tick (2 x 60 ms)                                           120       240
6     -    3     sensor_fault: drone (1 x 1000 ms)                                          1000      1000
7     -    3     config_fallback: long-short-long (400/100/400 ms)                           900      1200
8     -    2     low_battery: tick...tick...tick (3 x 60 ms)                                 180       980
9     1    2     drift: long...long (2 x 250 ms)                                             500       800
9     2    2     drift: long...long...long (3 x 250 ms)                                      750      1350
9     3    2     drift: long...long...long (3 x 300 ms)                                      900      1500
10    1    2     hip_drop: short-tick (120/60 ms)                                            180       280
10    2    2     hip_drop: short-tick...short-tick (120/60/120/60 ms)                        360       860
10    3    2     hip_drop: short-tick...short-tick...short-tick (120/60/120/60/120/60 ms)    540      1440
11    1    2     tilt_swing: long-tick (300/60 ms)                                           360       460
11    2    2     tilt_swing: long-tick...long-tick (300/60/300/60 ms)                        720      1220
11    3    2     tilt_swing: long-tick...long-tick (400/60/400/60 ms)                        920      1420
12    1    2     cadence: 4 ticks (4 x 60 ms)                                                240       540
12    2    2     cadence: 6 ticks (6 x 60 ms)                                                360       860
12    3    2     cadence: 8 ticks (8 x 60 ms)                                                480      1180
13    -    2     metronome: 4 shorts (4 x 100 ms)                                            400      1159
====  ===  ====  ========================================================================  =====  ========

Gaps inside a cue: upright 200 ms (sev 2) / 150 ms (sev 3); swivel 100 ms; backward 100 ms
between shorts and 150 ms before the long pulse; calibrated 120 ms; config_fallback 150 ms;
low_battery 400 ms; drift 300 ms; hip_drop and tilt_swing 100 ms inside a motif, 300 ms between
motifs; cadence 100 ms; metronome the target's step interval less the 100 ms pulse (shown at 170
steps/min, 353 ms a step; ``metronome()`` sets it, 250-466 ms). ``tests/device/test_haptic.py`` checks every row against ``describe()`` and the
tables below. In words: *upright* = "lean into it", calm long pulses; *swivel* = a fast
rattle, like the twist itself; *backward* (leaning back on a descent) = short pulses, then a
long push forward; *drift* (form drifted from this run's baseline, coach_drift) = slow longs
with wide gaps; *hip_drop* = a lopsided "DA-dit" like a limp; *tilt_swing* = a long rock and a
tick back; *cadence* = a quick patter of ticks ("quicker feet"), then, with cadence_metronome, the
*metronome*: 4 pulses at the target step rate to fall in with. Faults and status cues never use
the coaching rhythms.

Priority and queue: a cue of higher priority (faults 3 > coaching and low battery 2 > tick
and calibrated 1) preempts a lower one that is playing; the cut cue goes back to the front
of the queue and replays whole after the higher one. The queue holds 4 cues; a second cue
for a reason already queued upgrades it to the larger severity. When full, a new cue evicts
the oldest queued cue of the lowest priority below its own, or is refused when there is
none; ``play()`` returns False when refused and ``dropped`` counts refused and evicted cues
(nothing is lost silently; the main loop can log the count). A cue disabled by config
(``tick_on_clear``, ``buzz_on_calibrated``) returns False and is not counted.

Timing: a segment ends at the first ``step()`` at or after its end, and the next one starts
then, so late steps stretch a pattern but never skip a pulse. Step every <= 10 ms while busy.
Cost: ``step()`` ~0.7 us on the unix port (x86-64), so roughly 45-85 us on an ESP32 by the
65-120x factor in micropython-notes; zero allocation (checked under ``heap_lock()``).
"""
from array import array

from micropython import const

# pattern ids (1-3 are the coaching reasons, equal to events.R_UPRIGHT/R_SWIVEL/R_BACKWARD)
P_UPRIGHT = const(1)
P_SWIVEL = const(2)
P_BACKWARD = const(3)
P_CLEAR = const(4)
P_CALIBRATED = const(5)
P_SENSOR_FAULT = const(6)
P_CONFIG_FALLBACK = const(7)
P_LOW_BATTERY = const(8)
P_DRIFT = const(9)
P_HIP_DROP = const(10)
P_TILT = const(11)
P_CADENCE = const(12)
P_METRONOME = const(13)
NAMES = ("", "upright", "swivel", "backward", "clear", "calibrated", "sensor_fault",
         "config_fallback", "low_battery", "drift", "hip_drop", "tilt_swing", "cadence", "metronome")
# the pattern of each coaching reason (events.R_*): 1-3 their own ids, drift (4), hip_drop (5),
# tilt_swing (6) and cadence (7) their own patterns
REASON_PATTERN = b"\x00\x01\x02\x03\x09\x0a\x0b\x0c"

KICK_MS = const(25)  # full-duty start of every pulse
GAP_MS = const(400)  # quiet between two cues
MAX_PATTERN_MS = const(1500)
QUEUE_LEN = const(4)
_QCAP = const(5)  # QUEUE_LEN + 1 slot for a preempted cue going back to the front
_FULL = const(65535)
_TMASK = const(0x3FFFFFFF)  # ticks differences mod 2**30: the ESP32's and the virtual board's
_THALF = const(0x20000000)  # period (and any multiple, e.g. the unix port's 2**62)

# Segments in ms, alternating on, off, on, ... (always an odd count: starts and ends "on").
_UPRIGHT = ((400,), (400, 200, 400), (400, 150, 400, 150, 400))
_SWIVEL = ((100, 100, 100, 100, 100),
           (100, 100, 100, 100, 100, 100, 100, 100, 100),
           (100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100))
_BACKWARD = ((100, 150, 400), (100, 100, 100, 150, 600), (100, 100, 100, 100, 100, 150, 800))
_CLEAR = (60,)
_CALIBRATED = (60, 120, 60)
_SENSOR_FAULT = (1000,)
_CONFIG_FALLBACK = (400, 150, 100, 150, 400)
_LOW_BATTERY = (60, 400, 60, 400, 60)
# drift: slow longs with wide gaps ("long...long"), unlike the form cues' bursts (a matter of hours)
_DRIFT = ((250, 300, 250), (250, 300, 250, 300, 250), (300, 300, 300, 300, 300))
# hip drop: a lopsided "DA-dit", like a limp, once per grade; tilt swing: a long rock and a tick
# back ("long-tick"); cadence: a quick patter of ticks ("quicker feet"), 4 / 6 / 8 of them
_HIP_DROP = ((120, 100, 60), (120, 100, 60, 300, 120, 100, 60),
             (120, 100, 60, 300, 120, 100, 60, 300, 120, 100, 60))
_TILT = ((300, 100, 60), (300, 100, 60, 300, 300, 100, 60), (400, 100, 60, 300, 400, 100, 60))
_CADENCE = ((60, 100, 60, 100, 60, 100, 60), (60, 100, 60, 100, 60, 100, 60, 100, 60, 100, 60),
            (60, 100, 60, 100, 60, 100, 60, 100, 60, 100, 60, 100, 60, 100, 60))
# metronome: METRO_TICKS pulses of METRO_ON ms, one per step at the target rate; played from a
# buffer that ``metronome()`` fills (no allocation). This tuple is its shape at 170 steps/min.
METRO_TICKS = const(4)
METRO_ON = const(100)
METRO_MIN_MS = const(250)   # step interval limits: 240 .. 129 steps/min; the slowest keeps the
METRO_MAX_MS = const(466)   # burst within MAX_PATTERN_MS: 3 * 466 + 100 = 1498 ms
_METRONOME = (100, 253, 100, 253, 100, 253, 100)

# PATTERNS[id][severity - 1]: the segments; ungraded cues repeat one tuple.
PATTERNS = (
    None,
    _UPRIGHT,
    _SWIVEL,
    _BACKWARD,
    (_CLEAR, _CLEAR, _CLEAR),
    (_CALIBRATED, _CALIBRATED, _CALIBRATED),
    (_SENSOR_FAULT, _SENSOR_FAULT, _SENSOR_FAULT),
    (_CONFIG_FALLBACK, _CONFIG_FALLBACK, _CONFIG_FALLBACK),
    (_LOW_BATTERY, _LOW_BATTERY, _LOW_BATTERY),
    _DRIFT,
    _HIP_DROP,
    _TILT,
    _CADENCE,
    (_METRONOME, _METRONOME, _METRONOME),
)
PRIORITY = b"\x00\x02\x02\x02\x01\x01\x03\x03\x02\x02\x02\x02\x02\x02"
GRADED = (P_UPRIGHT, P_SWIVEL, P_BACKWARD, P_DRIFT, P_HIP_DROP, P_TILT, P_CADENCE)
_N = const(14)  # len(PATTERNS)


def pattern(pattern_id, severity=1):
    """The segment tuple (on, off, on, ... ms) for a cue; severity clamped to 1..3."""
    if severity < 1:
        severity = 1
    elif severity > 3:
        severity = 3
    return PATTERNS[pattern_id][severity - 1]


def on_ms(pattern_id, severity=1):
    """Total motor-on time of a cue in ms."""
    s = pattern(pattern_id, severity)
    return sum(s[k] for k in range(0, len(s), 2))


def length_ms(pattern_id, severity=1):
    """First on-edge to last off-edge in ms (the gap after a cue is not counted)."""
    return sum(pattern(pattern_id, severity))


def _elapsed(now_ms, t0):
    """``now_ms - t0`` for tick values that wrap at 2**30 (or a multiple of it).

    Not ``time.ticks_diff``: on the unix port that wraps at 2**62 while the virtual board's
    clock wraps at 2**30. Every intermediate stays a small int on the ESP32 (31-bit), and no
    constant is 2**30 itself (which would be a heap int there).
    """
    d = (now_ms - t0) & _TMASK
    if d >= _THALF:
        d -= _THALF
        d -= _THALF
    return d


def _word(ms):
    if ms <= 60:
        return "tick"
    if ms <= 150:
        return "short"
    if ms <= 800:
        return "long"
    return "drone"


def describe(pattern_id, severity=1):
    """Short text for the demo printout, e.g. ``"upright: long-long (2 x 400 ms)"``."""
    segs = pattern(pattern_id, severity)
    ons = [segs[k] for k in range(0, len(segs), 2)]
    if len(ons) > 3 and len(set(ons)) == 1:
        shape = "%d %ss" % (len(ons), _word(ons[0]))
    else:
        shape = _word(ons[0])
        for k in range(1, len(ons)):
            # "-" joins pulses in one burst, "..." marks a slow rhythm (gap >= 300 ms)
            shape += ("..." if segs[2 * k - 1] >= 300 else "-") + _word(ons[k])
    if len(set(ons)) == 1:
        detail = "%d x %d ms" % (len(ons), ons[0])
    else:
        detail = "/".join(str(x) for x in ons) + " ms"
    return "%s: %s (%s)" % (NAMES[pattern_id], shape, detail)


class Haptic:
    """Plays cues on ``pwm`` (anything with ``duty_u16(v)``); see the module docstring."""

    def __init__(self, pwm, duty_pct=80, tick_on_clear=True, buzz_on_calibrated=True):
        self._pwm = pwm
        self._duty = 0
        self.set_duty(duty_pct)
        self.tick_on_clear = bool(tick_on_clear)
        self.buzz_on_calibrated = bool(buzz_on_calibrated)
        self._q = bytearray(_QCAP)  # queued cues as id << 2 | severity, oldest first
        self._n = 0
        self._pat = None  # segments now playing, or None
        self._code = 0  # its id << 2 | severity
        self._prio = 0
        self._i = 0  # segment index (even = on)
        self._t0 = 0  # ms when this segment (or the gap) started
        self._gap = False
        self._urgent = False  # a queued cue outranks the one playing
        self._level = 0
        self.dropped = 0  # cues refused or evicted because the queue was full
        self._metro = array("H", _METRONOME)  # the metronome's segments, set by metronome()
        self.preempted = 0  # cues cut by a higher-priority cue (they replay later)
        pwm.duty_u16(0)

    @classmethod
    def from_config(cls, pwm, cfg):
        """A Haptic set up from a validated config dict."""
        return cls(pwm, cfg["motor_duty"], cfg["tick_on_clear"], cfg["buzz_on_calibrated"])

    def set_duty(self, duty_pct):
        """Vibration strength in percent (config ``motor_duty``), clamped to 0..100."""
        p = int(duty_pct)
        if p < 0:
            p = 0
        elif p > 100:
            p = 100
        self._duty = p * _FULL // 100

    def play(self, pattern_id, severity=1):
        """Queue a cue. Returns True if queued (or merged), False if disabled or refused."""
        if pattern_id < 1 or pattern_id >= _N:
            return False
        if (pattern_id == P_CLEAR and not self.tick_on_clear) or (
            pattern_id == P_CALIBRATED and not self.buzz_on_calibrated
        ):
            return False
        if severity < 1:
            severity = 1
        elif severity > 3:
            severity = 3
        q = self._q
        n = self._n
        prio = PRIORITY[pattern_id]
        i = 0
        while i < n:  # same cue already waiting: keep one, at the larger severity
            if q[i] >> 2 == pattern_id:
                if q[i] & 3 < severity:
                    q[i] = pattern_id << 2 | severity
                return True
            i += 1
        if n >= QUEUE_LEN:
            # evict the oldest cue of the lowest priority, if lower than this one
            j = -1
            low = prio
            i = 0
            while i < n:
                p = PRIORITY[q[i] >> 2]
                if p < low:
                    low = p
                    j = i
                i += 1
            self.dropped += 1
            if j < 0:
                return False
            self._remove(j)
            n = self._n
        q[n] = pattern_id << 2 | severity
        self._n = n + 1
        if self._pat is not None and prio > self._prio:
            self._urgent = True
        return True

    def metronome(self, step_ms):
        """Queue the metronome: METRO_TICKS pulses ``step_ms`` apart (one per step at the target
        cadence: ``60000 // spm``), clamped to METRO_MIN_MS..METRO_MAX_MS. Returns ``play()``'s
        answer. No allocation: the segments go into a buffer made once."""
        if step_ms < METRO_MIN_MS:
            step_ms = METRO_MIN_MS
        elif step_ms > METRO_MAX_MS:
            step_ms = METRO_MAX_MS
        m = self._metro
        k = 1
        while k < len(m):
            m[k] = step_ms - METRO_ON
            k += 2
        return self.play(P_METRONOME, 1)

    def step(self, now_ms):
        """Advance the cue now playing to ``now_ms`` (a ``time.ticks_ms()`` value)."""
        pat = self._pat
        if pat is None:
            if self._gap:
                if _elapsed(now_ms, self._t0) < GAP_MS:
                    return
                self._gap = False
            if self._n:
                self._start(now_ms)
            return
        if self._urgent:
            self._preempt(now_ms)
            return
        i = self._i
        el = _elapsed(now_ms, self._t0)
        if el >= pat[i]:
            i += 1
            if i >= len(pat):
                self._stop(now_ms)
                return
            self._i = i
            self._t0 = now_ms
            el = 0
        if i & 1:
            lvl = 0
        elif el < KICK_MS:
            lvl = _FULL
        else:
            lvl = self._duty
        if lvl != self._level:
            self._level = lvl
            self._pwm.duty_u16(lvl)

    def next_ms(self, now_ms):
        """Ms until ``step()`` has something to do: -1 when idle, 0 when due now."""
        pat = self._pat
        if pat is None:
            if not self._n:
                return -1
            if self._gap:
                d = GAP_MS - _elapsed(now_ms, self._t0)
                return d if d > 0 else 0
            return 0
        if self._urgent:
            return 0
        el = _elapsed(now_ms, self._t0)
        d = pat[self._i] - el
        if not self._i & 1 and el < KICK_MS:
            d = KICK_MS - el
        return d if d > 0 else 0

    def is_busy(self):
        """True while a cue plays or waits in the queue."""
        return self._pat is not None or self._n > 0

    def stop(self):
        """Motor off now and forget every queued cue (e.g. before deep sleep)."""
        self._n = 0
        self._pat = None
        self._gap = False
        self._urgent = False
        self._level = 0
        self._pwm.duty_u16(0)

    # -- internals (no allocation) --------------------------------------------------------
    def _remove(self, j):
        q = self._q
        n = self._n - 1
        while j < n:
            q[j] = q[j + 1]
            j += 1
        self._n = n

    def _start(self, now_ms):
        q = self._q
        n = self._n
        j = 0
        best = 0
        i = 0
        while i < n:  # highest priority first, oldest first among equals
            p = PRIORITY[q[i] >> 2]
            if p > best:
                best = p
                j = i
            i += 1
        code = q[j]
        self._remove(j)
        self._code = code
        self._prio = best
        self._pat = self._metro if code >> 2 == P_METRONOME else PATTERNS[code >> 2][(code & 3) - 1]
        self._i = 0
        self._t0 = now_ms
        self._urgent = False
        self._level = _FULL
        self._pwm.duty_u16(_FULL)

    def _preempt(self, now_ms):
        q = self._q
        i = self._n
        while i > 0:  # the cut cue goes back to the front, to replay whole
            q[i] = q[i - 1]
            i -= 1
        q[0] = self._code
        self._n += 1
        self.preempted += 1
        self._stop(now_ms)

    def _stop(self, now_ms):
        self._pat = None
        self._urgent = False
        self._gap = True
        self._t0 = now_ms
        if self._level:
            self._level = 0
            self._pwm.duty_u16(0)
