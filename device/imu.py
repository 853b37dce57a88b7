"""Find the IMU on the bus (its drivers share ``imu_base.ImuBase``, which holds the chip table).

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
import imu_base
from imu_base import FAMILIES, hexb


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
    pinned = None if model == "auto" else imu_base.family_of(model)
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
                ok = who == imu_base.who_of(model)
                expect = hexb(imu_base.who_of(model)) + " (" + model + ")"
            else:
                name = imu_base.model_of(fam, who)
                ok = name is not None
                expect = imu_base.who_list(fam)
            if ok:
                return _driver(fam)(i2c, a, name, rate_hz, accel_range_g, gyro_range_dps, lpf_hz, clock, rate_cal)
            if fam == fams[-1]:
                problems.append("no IMU at %s: WHO_AM_I %s, expected %s" % (hexb(a), hexb(who), expect))
    raise OSError("; ".join(problems) + " - check wiring")
