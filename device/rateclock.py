"""RateClock: the IMU's true sample period, measured against the board's own clock.

Why. An IMU's output data rate comes from its own oscillator, not from the ESP32's crystal. The
MPU-60X0 product specification (PS-MPU-6000A-00 rev 3.4, section 7.15) gives its gyro-derived
clock (the PLL our driver selects) a variation of +-1 % over temperature, its internal
relaxation oscillator more; ST trims each LSM6DSO/DSOX/ISM330DHCX part and reports what is left
in INTERNAL_FREQ_FINE (0x63: "difference in percentage of the effective ODR with respect to the
typical", signed, 0.15 % per step). So a sample counted at the nominal 104 Hz is 1-2 % off in
time, and so is every cadence computed from it (2-4 steps/min at 170). The ESP32's 40 MHz crystal
is good to ~20 ppm: its ``ticks_us`` is the truth to measure against (ArduPilot learns its FIFO
IMUs' rates the same way, for the same reason).

How: the count between two FIFO-empty points. The driver calls :meth:`sync` each time a read
has emptied the chip's FIFO (every sample the chip made up to the moment its FIFO count was read
has been delivered) with that moment's ``ticks_us`` and the samples delivered since the previous
sync point. Between two sync points at least 30 s apart the chip made exactly that many samples,
so period = elapsed / count, good to one sample period per window (the chip's sampling phase
is unknown at either end): 1/3120 (0.03 %) at 104 Hz over 30 s, whatever the read timing. Late
reads and stalls do not matter (the FIFO holds the samples). What loses samples uncounted
breaks the window in progress: the driver calls :meth:`restart` after a FIFO overflow, a flush,
a recovery or reconfiguration (the FIFO is empty then: a fresh window starts there) and
:meth:`brk` on an I2C error or a realignment (the next sync point starts a fresh window).

Estimate: the first window is taken as it is (converged 30 s after the session starts); later
ones are smoothed with weight 1/4 (time constant ~2 min: temperature drift is slow). A window
more than 5 % off nominal is thrown away (no oscillator is that far off: a bus, clock or
counting fault); after two windows, one more than 0.5 % off the estimate is thrown away as a
glitch, unless three in a row are: then it is a real change and the estimate starts again from
it. A window longer than 60 s (sync points that rare mean a stalled loop) is thrown away too.

Units and scales (no float; every intermediate within +-2**30, the ESP32's small-int range):

==========  ==============================================================================
per         sample period in 2**-14 ms (1/1024 of the sample buffer's 1/16 ms): 100 Hz =
            163840, 104 Hz = 157538, 208 Hz = 78769; at most 344926 (50 Hz, 5 % slow)
nominal     the chip's configured period, same unit
t_us        the board's ``ticks_us`` (wraps at 2**30 us, ~17.9 min; differences through
            ``clock.ticks_diff``, valid up to 2**29 us: windows are at most 60 s)
windows     windows accepted; ``rejected``: windows thrown away
==========  ==============================================================================

Usage (the IMU driver owns one; see ``imu.ImuBase``)::

    rc = RateClock(board)             # anything with ticks_diff(a, b)
    rc.set_nominal(163840)            # 100 Hz
    rc.restart(board.ticks_us())      # FIFO just emptied
    if rc.sync(t_us, n):              # after each read that emptied the FIFO
        use(rc.per)                   # the estimate changed
    if rc.news(): log(rc.rate_mhz(), rc.ppm())   # moved > 0.1 % since last said
"""
from micropython import const

Q = const(1024)  # per is in 1/Q of the sample buffer's 1/16 ms
_WINDOW_US = const(30000000)  # 30 s: one sample of phase uncertainty per end is 0.03 % at 104 Hz
_WINDOW_MAX_US = const(60000000)  # 60 s: sync points rarer than this mean a stalled loop; also
#                                   keeps el_us * 2048 / (125 * n) within 2**30 in _period
_N_MAX = const(16000)  # samples in a window: 125 * n < 2**21 (60 s at 208 Hz + 5 % is 13104)
_BOUND = const(20)  # a window more than 1/20 (5 %) off nominal is not an oscillator: rejected
_GATE = const(200)  # after two windows, one more than 1/200 (0.5 %) off the estimate is a glitch...
_GLITCHES = const(3)  # ...unless it is the third in a row: then the rate really changed
_NEWS = const(1000)  # news(): the estimate moved more than 1/1000 (0.1 %) since last said


def _period(el_us, n):
    """Period of ``n`` samples over ``el_us`` microseconds, in 2**-14 ms, rounded:
    el_us * 16384 / (1000 * n) = el_us * 2048 / (125 * n), by long division in 6 + 5 bits so
    that nothing passes 2**30 (el_us <= 6e7, 1 <= n <= 16000: d < 2**21, r << 6 < 2**27)."""
    d = 125 * n
    q = el_us // d
    r = el_us - q * d
    r <<= 6
    x = r // d
    q = (q << 6) + x
    r -= x * d
    r <<= 5
    x = r // d
    q = (q << 5) + x
    r -= x * d
    if r + r >= d:
        q += 1
    return q


class RateClock:
    """The IMU's measured sample period (see the module notes for units and method)."""

    def __init__(self, clock):
        self._diff = clock.ticks_diff
        self.nominal = 0  # configured period, 2**-14 ms
        self.per = 0  # estimate (nominal until the first window), 2**-14 ms
        self.windows = 0  # windows accepted
        self.rejected = 0  # windows thrown away
        self._glitch = 0  # glitches in a row
        self._on = False  # a window is under way from (_t0, _n)
        self._t0 = 0  # its start, ticks_us
        self._n = 0  # samples delivered since its start
        self._said = 0  # per when news() last returned True (0: never)

    def set_nominal(self, per):
        """The chip's configured period (2**-14 ms). A different one forgets the estimate (a new
        rate, another chip); the same one (the sensor reconfigured after an outage) keeps it."""
        if per != self.nominal:
            self.nominal = per
            self.per = per
            self.windows = 0
            self._glitch = 0
            self._said = 0
        self._on = False

    def brk(self):
        """Samples may have been lost uncounted: drop the window under way; the next sync point
        starts a fresh one."""
        self._on = False

    def restart(self, t_us):
        """The FIFO was emptied at ``t_us`` after a loss (overflow, flush, reconfiguration): a
        fresh window starts here."""
        self._on = True
        self._t0 = t_us
        self._n = 0

    def sync(self, t_us, n):
        """The FIFO was empty at ``t_us`` (ticks_us when its count was read) and ``n`` samples
        were delivered since the previous sync point. True when the estimate changed.
        No allocation, no float: called once per FIFO read."""
        if not self._on:
            self.restart(t_us)
            return False
        self._n += n
        el = self._diff(t_us, self._t0)
        if el < _WINDOW_US:
            if el < 0:  # the clock went backwards: start again
                self.restart(t_us)
            return False
        cnt = self._n
        self._t0 = t_us
        self._n = 0
        if el > _WINDOW_MAX_US or cnt <= 0 or cnt > _N_MAX:
            self.rejected += 1
            return False
        return self._take(_period(el, cnt))

    def _take(self, w):
        nom = self.nominal
        d = w - nom
        if d > nom or d < -nom or (d if d > 0 else -d) * _BOUND > nom:
            self.rejected += 1
            return False
        d = w - self.per
        if self.windows >= 2 and (d if d > 0 else -d) * _GATE > self.per:
            self._glitch += 1
            if self._glitch < _GLITCHES:
                self.rejected += 1
                return False
            self.windows = 0  # three in a row: the rate changed; start again from this window
        self._glitch = 0
        if self.windows == 0:
            self.per = w
        else:
            self.per += d // 4
        self.windows += 1
        return True

    def news(self):
        """True at the first call and whenever the estimate has moved more than 0.1 % since
        the last True (for the log: say the rate at session start and when it changes)."""
        s = self._said
        d = self.per - s
        if s and (d if d > 0 else -d) * _NEWS <= s:
            return False
        self._said = self.per
        return True

    def rate_mhz(self):
        """The estimate as a rate in milli-Hz (104 Hz = 104000)."""
        p = self.per
        if p <= 0:
            return 0
        q = 16384000 // p  # 2**14 * 1000: ms -> s
        r = 16384000 - q * p
        return q * 1000 + (r * 1000) // p

    def ppm(self):
        """How far the measured rate is from nominal, parts per million (+ = the chip is fast)."""
        p = self.per
        if p <= 0:
            return 0
        d = (self.nominal - p) * 1000  # |nominal - per| <= 5 % of per: |d| < 2**25
        q = d // p
        r = d - q * p
        return q * 1000 + (r * 1000) // p
