"""Find the IMU on the bus; the chip table and the core every Hinge IMU driver shares.

A chip driver is a small subclass of :class:`ImuBase` (``imu_mpu6xxx.MPU6xxx``,
``imu_lsm6ds.LSM6DS``): it names its ``FAMILY`` (a key of ``FAMILIES``) and provides the chip's
set-up and FIFO reading; the base owns the WHO_AM_I table and check, the phase accumulator that
turns the sample period into each sample's ``dt`` (1/16 ms), gap accounting after an overflow or
outage, the chip's measured rate (``rateclock``) and recovery. :func:`find_imu` probes the bus
with the same table and imports only the driver it needs (the drivers import this module; this
module imports a driver only inside ``find_imu``).

Usage::

    import board, imu
    drv = imu.find_imu(board.i2c(), model=cfg["imu_model"], addr=cfg["imu_addr"],
                       rate_hz=cfg["rate_hz"], accel_range_g=cfg["accel_range_g"],
                       gyro_range_dps=cfg["gyro_range_dps"], lpf_hz=cfg["lpf_hz"], clock=board)
    buf = array("h", bytes(2 * 7 * 64))        # 64 samples of [dt ax ay az gx gy gz]
    n = drv.read(buf, 64)                      # drains the chip FIFO, no allocation
    if drv.overflows != seen: ...              # log events.FAULT_FIFO_OVERFLOW

Sample layout: 7 int16 per sample, ``[dt, ax, ay, az, gx, gy, gz]``, raw counts in the chip's
own axes at the configured full scales (``drv.lsb_per_g`` counts per g, ``drv.lsb_per_kdps``
counts per 1000 deg/s). ``dt`` is in 1/16 ms, unsigned 16-bit (the contract in ``kernel.py``);
it comes from the sample period through an integer phase accumulator (104 Hz gives
153,154,154,...: integers whose running sum is the time, never off by more than 1/16 ms), not
from Python timing. The period is the chip's nominal one until ``drv.rate_clock`` (a
``rateclock.RateClock``, on unless ``rate_cal=False``) has measured the chip's true period
against ``clock.ticks_us`` (after 30 s; an IMU's own oscillator is 1-2 % off nominal), then the
measured one: so ``dt`` follows the chip's true rate and cadence is not 1-2 % off. After a FIFO overflow or a sensor outage the first sample's ``dt`` also
carries the estimated time of the samples that were lost (whole sample periods, estimated from
``clock.ticks_ms``; up to 60 s). One dt holds at most 3.75 s of it (the field is 16-bit): the rest
goes into the next samples' dt, so the sum of dt stays the session's true time.

Errors: ``OSError`` whose message names the address and what was expected. ``read`` raises
``OSError`` while the sensor does not answer; once it answers again ``read`` re-probes it,
reconfigures it and carries on (``drv.recoveries`` counts that), so the caller only logs
FAULT_SENSOR / FAULT_SENSOR_BACK.

``clock``: anything with ``ticks_ms()``, ``ticks_us()``, ``ticks_diff(a, b)`` and
``sleep_ms(ms)`` (``board``, the ``time`` module); it is used to wait during reset, to size gaps
and, once per read that empties the FIFO, to time the chip's rate; never per sample.
"""
import time
from array import array

from micropython import const

import rateclock

# The chip families: (WHO_AM_I register, I2C addresses, ((model, WHO_AM_I answer), ...) in
# auto-detect order, bytes per sample in the FIFO). WHO_AM_I values from the register maps and
# datasheets named in each driver (LSM6DSO and LSM6DSOX share 0x6C: auto-detect says lsm6dso).
FAMILIES = {
    "mpu": (0x75, (0x68, 0x69), (("mpu6050", 0x68), ("mpu6500", 0x70), ("mpu9250", 0x71))),
    "st": (0x0F, (0x6A, 0x6B), (("lsm6ds3", 0x69), ("lsm6dso", 0x6C), ("lsm6dsox", 0x6C), ("ism330dhcx", 0x6B))),
}


def family_of(model):
    """The family key of ``model`` ("mpu", "st"), or None for a model no driver knows."""
    for fam in FAMILIES:
        for m, _who in FAMILIES[fam][2]:
            if m == model:
                return fam
    return None


def who_of(model):
    """The WHO_AM_I answer of ``model`` (0 for an unknown model)."""
    fam = family_of(model)
    if fam is None:
        return 0
    for m, who in FAMILIES[fam][2]:
        if m == model:
            return who
    return 0


def model_of(fam, who):
    """The first model of family ``fam`` answering ``who`` (None: none does)."""
    for m, w in FAMILIES[fam][2]:
        if w == who:
            return m
    return None


def who_list(fam):
    """The WHO_AM_I answers of a family as text, e.g. ``0x68/0x70/0x71``."""
    seen = []
    for _m, w in FAMILIES[fam][2]:
        if w not in seen:
            seen.append(w)
    return "/".join(hexb(w) for w in sorted(seen))


def hexb(a):
    return "0x%02x" % a


def _no_us():
    return 0


def nearest(value, choices):
    """The element of ``choices`` closest to ``value`` (first one on a tie)."""
    best = choices[0]
    for c in choices:
        if abs(c - value) < abs(best - value):
            best = c
    return best


_GAP_MAX_MS = const(60000)  # longest gap measured, ms: keeps el * 16 * den within 2**30 (den <= 1024)
_EXTRA_MAX = const(960000)  # lost time carried, 1/16 ms (60 s): the unpackers put at most 60000
#                             (3.75 s, within the unsigned 16-bit dt) into one sample and the rest
#                             into the next ones, so the session clock stays true after an outage

# phase/gap state in ImuBase._st (array('i'); shared with the viper unpackers)
_ST_ACC = const(0)  # phase accumulator, in 1/den of 1/16 ms
_ST_NUM = const(1)  # sample period = num/den in 1/16 ms (den <= 1024: nominal, or rateclock.Q)
_ST_DEN = const(2)
_ST_EXTRA = const(3)  # 1/16 ms to add to the next sample's dt (time of lost samples)


class ImuBase:
    """What every driver shares: the bus, phase accumulator, gap accounting and recovery.

    A chip driver provides ``_setup()`` (check WHO_AM_I, reset, configure, empty the FIFO and set
    ``rate_hz``, ``lsb_per_g``, ``lsb_per_kdps``, ``lpf_hz`` and the nominal period with
    ``_set_period``), ``_flush()`` (empty the FIFO) and ``_drain(buf, max_n)`` (read whole
    samples, return n; ``_stamp()`` right after reading the FIFO count, ``_mark_sync(n)`` when
    the read emptied the FIFO, ``self.rate_clock.brk()`` when samples were dropped).
    """

    FAMILY = ""  # a key of FAMILIES
    fifo_samples = 0  # whole samples the chip's FIFO holds (the firmware's read period keeps below it)

    def __init__(self, i2c, addr, model, rate_hz=104, accel_range_g=8, gyro_range_dps=1000, lpf_hz=42,
                 clock=None, rate_cal=True):
        if family_of(model) != self.FAMILY:
            raise ValueError("%s: unknown model '%s'" % (self.__class__.__name__.lower(), model))
        self._i2c = i2c
        self._rd = i2c.readfrom_mem_into  # bound once: no allocation per call later
        self.addr = addr
        self.model = model
        self.req_rate_hz = rate_hz
        self.accel_range_g = accel_range_g
        self.gyro_range_dps = gyro_range_dps
        self.req_lpf_hz = lpf_hz
        self._clk = clock if clock is not None else time
        us = getattr(self._clk, "ticks_us", None)
        self._us = us if us is not None else _no_us
        # the chip's true period, measured against ticks_us (None: trust the nominal period)
        self.rate_clock = rateclock.RateClock(self._clk) if rate_cal and us is not None else None
        self._t_us = 0  # ticks_us when the FIFO count was last read
        self._nom = 0  # nominal period: _nom / _nom_den in 1/16 ms
        self._nom_den = 1
        self._b1 = bytearray(1)
        self._st = array("i", [0] * 12)
        self.rate_hz = 0
        self.lpf_hz = 0
        self.lsb_per_g = 0
        self.lsb_per_kdps = 0
        self.overflows = 0  # FIFO overflows seen (caller logs FAULT_FIFO_OVERFLOW)
        self.errors = 0  # I2C errors seen by read()
        self.recoveries = 0  # times the sensor came back and was reconfigured
        self.lost = 0  # samples estimated lost to overflows and outages
        self._need_setup = False
        self._n_sync = 0
        self._t_sync = 0
        self._part = 0
        self._configure()
        self._restart_sync()

    # -- provided by the chip driver ----------------------------------------------------------
    def _setup(self):
        raise NotImplementedError

    def _flush(self):
        raise NotImplementedError

    def _drain(self, buf, max_n):
        raise NotImplementedError

    def _configure(self):
        """``_setup`` with every bus error turned into a message naming the address."""
        try:
            self._setup()
        except OSError as e:
            msg = str(e)
            if " at 0x" in msg:
                raise
            self._fail("I2C error during setup (%s) - check wiring" % (e.args[0] if e.args else msg))

    # -- small register helpers (not for the hot path) -----------------------------------
    def _r(self, reg):
        self._rd(self.addr, reg, self._b1)
        return self._b1[0]

    def _w(self, reg, val):
        self._b1[0] = val
        self._i2c.writeto_mem(self.addr, reg, self._b1)

    def _fail(self, what):
        raise OSError("%s at %s: %s" % (self.model, hexb(self.addr), what))

    def _check_who(self):
        """OSError naming the address unless the chip answers its model's WHO_AM_I."""
        expect = who_of(self.model)
        try:
            who = self._r(FAMILIES[self.FAMILY][0])
        except OSError as e:
            self._fail("no answer on I2C (%s) - check wiring" % (e.args[0] if e.args else e))
        if who != expect:
            self._fail("WHO_AM_I %s, expected %s - check wiring and imu_model" % (hexb(who), hexb(expect)))

    def _poll_clear(self, reg, mask, what):
        """Wait (bounded) for ``mask`` bits of ``reg`` to clear, as after a soft reset."""
        for _ in range(20):
            self._clk.sleep_ms(5)
            if not (self._r(reg) & mask):
                return
        self._fail(what + " did not complete")

    def _set_period(self, num, den):
        """The chip's nominal sample period is num/den ms (den <= 1024). Used as it is until the
        rate clock has measured the true one."""
        self._nom = num * 16  # in 1/16 ms: the sample buffer's dt unit
        self._nom_den = den
        rc = self.rate_clock
        if rc is not None:
            rc.set_nominal((num * 16384 + den // 2) // den)  # 2**-14 ms
        self._use_period()

    def _use_period(self):
        """Put the period in force: the measured one once there is one, else the nominal one."""
        rc = self.rate_clock
        if rc is not None and rc.windows:
            self._period(rc.per, rateclock.Q)
        else:
            self._period(self._nom, self._nom_den)

    def _period(self, num, den):
        st = self._st
        old = st[_ST_DEN]
        if st[_ST_NUM] != num or old != den:
            # keep the phase (the fraction of 1/16 ms carried): acc < old <= 1024
            st[_ST_ACC] = st[_ST_ACC] * den // old if old else 0
        st[_ST_NUM] = num
        st[_ST_DEN] = den

    # -- timing of gaps and of the chip's rate ---------------------------------------------
    def _stamp(self):
        """Note the time the FIFO count was read (a read that empties the FIFO is a sync point)."""
        self._t_us = self._us()

    def _mark_sync(self, n):
        """The FIFO was empty when its count was read: every sample the chip made up to then has
        been delivered, the last ``n`` of them by this read. Samples due from here on will all be
        read or counted lost. The rate clock gets the count since the previous sync point."""
        self._t_sync = self._clk.ticks_ms()
        cnt = self._n_sync + n
        self._n_sync = 0
        rc = self.rate_clock
        if rc is not None and rc.sync(self._t_us, cnt):
            self._use_period()

    def _restart_sync(self):
        """The FIFO was emptied just now after a loss (or at start): a fresh sync point."""
        self._t_sync = self._clk.ticks_ms()
        self._n_sync = 0
        rc = self.rate_clock
        if rc is not None:
            rc.restart(self._us())

    def _account_gap(self):
        """Samples the chip made since the last sync point but we never delivered are lost:
        add their time (whole periods) to the next sample's dt."""
        now = self._clk.ticks_ms()
        el = self._clk.ticks_diff(now, self._t_sync)
        if el > _GAP_MAX_MS:
            el = _GAP_MAX_MS
        st = self._st
        num = st[_ST_NUM]
        den = st[_ST_DEN]
        # samples due in el ms (el * 16 <= 960000, den <= 1024: within 2**30)
        lost = (el * 16 * den + num // 2) // num - self._n_sync
        if lost > 0:
            self.lost += lost
            # their time, lost * num / den in 1/16 ms, without forming lost * num (2**32 at worst):
            # lost <= 13300 (60 s at 208 Hz + 5 %) times r < den <= 1024 stays small
            q = num // den
            acc = st[_ST_ACC] + lost * (num - q * den)
            ex = acc // den
            st[_ST_ACC] = acc - ex * den
            ex += lost * q + st[_ST_EXTRA]
            st[_ST_EXTRA] = ex if ex < _EXTRA_MAX else _EXTRA_MAX
        self._t_sync = now
        self._n_sync = 0
        rc = self.rate_clock
        if rc is not None:  # the FIFO is empty now; what went before cannot be counted
            rc.restart(self._us())

    def _overflowed(self):
        """Count an overflow, empty the FIFO and account for the samples lost."""
        self.overflows += 1
        self._flush()
        self._account_gap()

    # -- public --------------------------------------------------------------------------
    def read(self, buf, max_n):
        """Drain up to ``max_n`` samples into ``buf`` (7 int16 each); return how many.

        No allocation in steady state. Raises OSError while the sensor does not answer.
        """
        if 7 * max_n > len(buf):  # the viper unpack does not bounds-check
            max_n = len(buf) // 7
        if self._need_setup:
            self._recover()
        self._part = 0
        try:
            n = self._drain(buf, max_n)
        except OSError as e:
            self.errors += 1
            self._need_setup = True
            if self.rate_clock is not None:
                self.rate_clock.brk()  # a sample may be lost uncounted
            if self._part:
                return self._part  # what was read before the error is valid
            raise OSError("%s at %s: I2C error reading the FIFO (%s)" % (
                self.model, hexb(self.addr), e.args[0] if e.args else e))
        return n

    def recover(self):
        """Re-probe and reconfigure the sensor now; raises OSError while it is still away.
        (``read`` does this by itself on its next call after an error.)"""
        self._recover()

    def _recover(self):
        self._configure()  # raises OSError naming the address while it is still away
        self._need_setup = False
        self.recoveries += 1
        self._account_gap()

    def flush(self):
        """Discard what is in the FIFO now (counted as lost time in the next dt)."""
        self._flush()
        self._account_gap()

    def describe(self):
        return "%s@%s %dHz +-%dg +-%ddps lpf%dHz" % (
            self.model, hexb(self.addr), self.rate_hz, self.accel_range_g, self.gyro_range_dps, self.lpf_hz)


def _probe(i2c, addr, reg):
    b = bytearray(1)
    i2c.readfrom_mem_into(addr, reg, b)
    return b[0]


def _driver(fam):
    """The driver class of a family (only its module is imported: RAM)."""
    if fam == "st":
        import imu_lsm6ds

        return imu_lsm6ds.LSM6DS
    import imu_mpu6xxx

    return imu_mpu6xxx.MPU6xxx


_ORDER = ("mpu", "st")  # auto-detect order: addresses and WHO_AM_I registers


def find_imu(i2c, model="auto", addr=0, rate_hz=104, accel_range_g=8, gyro_range_dps=1000, lpf_hz=42,
             clock=None, rate_cal=True):
    """Probe the bus (scan + WHO_AM_I), honour a pinned ``model``/``addr``, return a driver.

    ``model``: "auto" or one of ``config.IMU_MODELS``; ``addr``: 0 = try 0x68/0x69 (MPU) and
    0x6A/0x6B (ST), else only that address; ``rate_cal``: measure the chip's true rate (config
    ``imu_rate_cal``). Raises OSError naming what was found and expected.
    """
    pinned = None if model == "auto" else family_of(model)
    if model != "auto" and pinned is None:
        raise ValueError("imu: unknown model '%s'" % model)
    if addr:
        cands = [addr]
    else:
        try:
            found = i2c.scan()
        except OSError:
            found = []
        want = FAMILIES[pinned][1] if pinned else FAMILIES[_ORDER[0]][1] + FAMILIES[_ORDER[1]][1]
        cands = [a for a in want if a in found]
        if not cands:
            seen = " ".join(hexb(a) for a in found) or "none"
            raise OSError("no IMU found on I2C (scanned: %s) - check wiring; looked for %s" % (
                seen, " ".join(hexb(a) for a in want)))
    problems = []
    for a in cands:
        # which families to ask: the pinned model's, else by the address range (both if unknown)
        if pinned:
            fams = (pinned,)
        else:
            fams = tuple(f for f in _ORDER if a in FAMILIES[f][1]) or _ORDER
        for fam in fams:
            try:
                who = _probe(i2c, a, FAMILIES[fam][0])
            except OSError:
                problems.append("no IMU at %s: no answer on I2C" % hexb(a))
                break
            if pinned:
                name = model
                ok = who == who_of(model)
                expect = hexb(who_of(model)) + " (" + model + ")"
            else:
                name = model_of(fam, who)
                ok = name is not None
                expect = who_list(fam)
            if ok:
                return _driver(fam)(i2c, a, name, rate_hz, accel_range_g, gyro_range_dps, lpf_hz, clock, rate_cal)
            if fam == fams[-1]:
                problems.append("no IMU at %s: WHO_AM_I %s, expected %s" % (hexb(a), hexb(who), expect))
    raise OSError("; ".join(problems) + " - check wiring")
