"""Shared core of the register-level IMU models: power, presence, sample timing, sample feeding.

A chip model is what the virtual I2C bus talks to: ``read_into(reg, buf)`` and
``write(reg, buf)``. The chip subclass (``regmodel_mpu``, ``regmodel_lsm6ds``) owns its register
map and FIFO format; this base owns what every chip has in common:

* presence: ``unplug(ms, power_loss=True)`` makes the chip NACK every transfer for ``ms`` virtual
  milliseconds (``None``: until ``plug()``); with ``power_loss`` it comes back at power-on
  defaults with an empty FIFO, as a chip that lost its supply would.
* timing, in 1/16 ms (the sample buffer's dt unit): while the chip samples, sample ``k`` after
  the (re)start at virtual time ``t0`` is due at ``t0 + floor((k + 1) * P)`` with ``P`` its period
  (an integer phase accumulator, as the drivers use for ``dt``); ``sync(now)`` produces every
  sample due up to virtual ``now`` ms.
* clock error: ``clock_ppm`` (parts per million, + = fast) makes the chip sample at
  ``rate * (1 + clock_ppm / 1e6)`` of virtual time, as a real IMU whose oscillator is 1-2 % off
  its nominal rate; virtual time (the board's ``ticks_ms``/``ticks_us``) is the truth clock. Set
  it before the chip is configured (it applies from the next (re)start of sampling).
* feeding: each sample takes the source's value at its instant on the source's own timeline,
  linearly interpolated between the two source samples around it (the chip samples the motion
  at its own clock: a source at the chip's rate comes out one-to-one, within the 1/16-ms rounding
  of the two timelines, and a 104 Hz capture played into a 100 Hz chip is resampled, not
  stretched). A
  source with ``lsb_per_g``/``lsb_per_kdps`` is rescaled to the chip's configured full scale;
  without, its counts pass through unchanged.
* faults: ``who_am_i`` overrides the ID register; ``stuck_reset`` keeps the reset bit set.

MicroPython-compatible (runs in the unix port as the virtual board): no numpy, no dataclasses.
"""
from array import array

try:
    from micropython import const
except ImportError:  # CPython without the shim
    def const(x):
        return x


class ChipModel:
    NAME = "chip"
    WHO_REG = 0x0F
    WHO = 0x00

    def __init__(self, addr, source=None, name=None):
        self.addr = addr
        if name:
            self.NAME = name
        self.source = source
        self.clock = None  # set by the board when attached
        self.regs = bytearray(256)
        self.who_am_i = None  # fault: override the WHO_AM_I value
        self.stuck_reset = False  # fault: the reset bit never clears
        self.clock_ppm = 0  # the chip's oscillator error, parts per million (+ = samples fast)
        self.samples_made = 0  # samples produced by the sensor (FIFO or not)
        self.fifo_overflows = 0  # times the chip's FIFO overflowed (model side truth)
        self.exhausted = False  # the source has run out
        self.nacks = 0  # transfers refused while unplugged
        self._absent = False
        self._absent_until = None  # virtual ms, or None = until plug()
        self._power_loss = False
        self._t = 0  # virtual time the model is synced to
        self._running = False
        self._t0 = 0  # (re)start of sampling, 1/16 ms
        self._acc = 0
        self._num = 1  # rate(): nominal period num/den ms
        self._den = 1
        self._pn = 16  # the chip's actual period pn/pd in 1/16 ms
        self._pd = 1
        self._next_t = 0  # due time of the next sample, 1/16 ms
        self._slot = 0
        # source timeline, 1/16 ms (relative to the first time the chip started sampling)
        self._src_t0 = None
        self._cur = array("h", [0] * 7)
        self._nxt = array("h", [0] * 7)
        self._mix = array("h", [0] * 7)  # an interpolated sample
        self._cur_ok = False
        self._cur_t = 0
        self._nxt_ok = False
        self._nxt_t = 0
        self._end_t = None
        self._src_timed = True
        self._src_acc = 0
        self._src_num = 1
        self._src_den = 1
        self._val = array("h", [0] * 6)
        self.power_on()

    # -- to be provided by the chip ----------------------------------------------------
    def power_on(self):
        """Registers to power-on defaults, FIFO empty, not sampling."""
        self.regs = bytearray(256)
        self._running = False

    def rate(self):
        """(num, den): sample period num/den ms while sampling, or None when not sampling."""
        return None

    def sensitivity(self):
        """(counts per g, counts per 1000 dps) at the configured full scales."""
        return 1, 1

    def emit(self, vals):
        """Latch one sample (6 int16 counts: ax ay az gx gy gz) into output regs and FIFO."""

    # -- presence ----------------------------------------------------------------------
    def now(self):
        return self.clock.now() if self.clock is not None else self._t

    def unplug(self, ms=None, power_loss=True):
        """NACK every transfer for ``ms`` virtual ms (None: until ``plug()``)."""
        now = self.now()
        self.sync(now)
        self._absent = True
        self._absent_until = None if ms is None else now + ms
        self._power_loss = power_loss
        if power_loss:
            self._running = False

    def plug(self):
        """Answer again; after a power loss the chip is at power-on defaults."""
        if not self._absent:
            return
        self._absent = False
        self._absent_until = None
        if self._power_loss:
            self.power_on()

    def present(self, now):
        if self._absent and self._absent_until is not None and now >= self._absent_until:
            self.sync(now)
            self.plug()
        if self._absent:
            self.nacks += 1
            return False
        return True

    def who(self):
        return self.WHO if self.who_am_i is None else self.who_am_i

    # -- timing ------------------------------------------------------------------------
    def retime(self):
        """Call after any config write: (re)start or stop sampling at the current time."""
        now = self.now()
        self.sync(now)
        r = None if (self._absent and self._power_loss) else self.rate()
        if r is None:
            self._running = False
            return
        if self._running and r[0] == self._num and r[1] == self._den:
            return
        self._num, self._den = r
        self._pn, self._pd = self.period_q()
        self._t0 = now * 16
        self._acc = 0
        self._running = True
        if self._src_t0 is None:
            self._src_t0 = self._t0
        self._next_t = self._t0 + self._step()

    def period_q(self):
        """The chip's actual sample period while sampling: (pn, pd), pn/pd in 1/16 ms: the
        nominal period divided by (1 + clock_ppm / 1e6)."""
        ppm = self.clock_ppm
        if not ppm:
            return self._num * 16, self._den
        return self._num * 16 * 1000000, self._den * (1000000 + ppm)

    def _step(self):
        self._acc += self._pn
        d = self._acc // self._pd
        self._acc -= d * self._pd
        return d

    def sync(self, now):
        """Produce every sample due up to virtual time ``now`` (cheap when nothing is due)."""
        if now <= self._t:
            return
        self._t = now
        if self._absent and self._absent_until is not None and now >= self._absent_until:
            # came back: produce nothing for the time it was away (power loss) and answer again
            self.plug()
            self.retime()
        lim = now * 16
        while self._running and self._next_t <= lim:
            t = self._next_t
            if self._absent and self._power_loss:
                self._running = False
                break
            if not self._value_at(t):
                self._running = False
                self.exhausted = True
                break
            self.samples_made += 1
            self.emit(self._val)
            self._slot += 1
            self._next_t = t + self._step()

    # -- source ------------------------------------------------------------------------
    def _src_load(self):
        src = self.source
        nx = self._nxt
        nx[0] = 0
        if not src.read(nx):
            self._nxt_ok = False
            return False
        dt = nx[0] & 0xFFFF  # unsigned, 1/16 ms
        if dt == 0:  # untimed source: one sample per period of the chip's rate at feed start
            self._src_timed = False
            self._src_acc += self._src_num
            dt = self._src_acc // self._src_den
            self._src_acc -= dt * self._src_den
        self._nxt_t += dt
        self._nxt_ok = True
        return True

    def _value_at(self, t):
        src = self.source
        out = self._val
        if src is None:
            for i in range(6):
                out[i] = 0
            return True
        rel = t - self._src_t0
        if not self._cur_ok and not self._nxt_ok and self._end_t is None:
            # first use: adopt the chip's current period for an untimed source
            self._src_num, self._src_den = self._pn, self._pd
            self._src_acc = 0
            self._nxt_t = 0
            if not self._src_load():
                self._end_t = 0
                return False
        while self._nxt_ok and self._nxt_t <= rel:
            c, n = self._cur, self._nxt
            for i in range(7):
                c[i] = n[i]
            cur_t = self._nxt_t
            self._cur_t = cur_t
            self._cur_ok = True
            if not self._src_load():
                # the last sample covers half a period past its time: a chip at the source's
                # rate ends exactly with it, and a slower or faster chip neither repeats it
                # for long nor cuts the capture short
                if self._src_timed and c[0]:
                    half = ((c[0] & 0xFFFF) + 1) // 2
                else:
                    half = (self._src_num // self._src_den + 1) // 2
                self._end_t = cur_t + (half if half > 0 else 1)
                self._nxt_t = cur_t
        if not self._nxt_ok and self._end_t is not None and rel >= self._end_t:
            return False
        c = self._cur if self._cur_ok else self._nxt
        if self._cur_ok and self._nxt_ok:
            a = rel - self._cur_t  # 1/16 ms since the source sample before this instant
            b = self._nxt_t - rel  # and to the one after (> 0)
            if b <= 1:
                c = self._nxt
            elif a > 1:
                # between two source samples: the motion there, linearly interpolated (a chip
                # samples continuous motion; the nearest sample would be up to half a period
                # off in time, noise a gyro integral does not forgive)
                m = self._mix
                cc, nn = self._cur, self._nxt
                w = a + b
                for i in range(1, 7):
                    m[i] = cc[i] + ((nn[i] - cc[i]) * a + (w >> 1)) // w
                c = m
            # else: on a source sample (within 1/16 ms: the two timelines' rounding)
        sg = getattr(src, "lsb_per_g", None)
        sk = getattr(src, "lsb_per_kdps", None)
        if sg or sk:
            cg, ck = self.sensitivity()
            for i in range(3):
                out[i] = _rescale(c[1 + i], cg, sg) if sg else c[1 + i]
                out[3 + i] = _rescale(c[4 + i], ck, sk) if sk else c[4 + i]
        else:
            for i in range(6):
                out[i] = c[1 + i]
        return True


def _rescale(v, to_lsb, from_lsb):
    x = v * to_lsb
    x = (x + from_lsb // 2) // from_lsb if x >= 0 else -((-x + from_lsb // 2) // from_lsb)
    if x > 32767:
        return 32767
    if x < -32768:
        return -32768
    return x


def parity_odd(b):
    """1 if ``b`` has an odd number of set bits."""
    b ^= b >> 4
    b ^= b >> 2
    b ^= b >> 1
    return b & 1
