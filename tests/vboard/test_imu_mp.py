"""IMU drivers against the register models: the same checks under CPython and the unix port.

Run by pytest (CPython, collected like any test file) and by ``tests/vboard/test_imu_drivers.py``,
which runs this file under ``micropython`` through the one runner (``tests/mputil.py``; with
host/hinge/vboard on MICROPYPATH). Plain functions with asserts; ``after_all`` prints the
``BENCH`` lines.
"""
import sys

MP = sys.implementation.name == "micropython"
if not MP:
    import hinge.vboard  # noqa: F401  (puts vmachine & co on sys.path)

import gc  # noqa: E402
from array import array  # noqa: E402

import imu  # noqa: E402
import micropython  # noqa: E402
import sensors  # noqa: E402
import vmachine  # noqa: E402
import vsources  # noqa: E402

MODELS = ("mpu6050", "mpu6500", "mpu9250", "lsm6ds3", "lsm6dso", "lsm6dsox", "ism330dhcx")
ADDRS = {"m": (0x68, 0x69), "l": (0x6A, 0x6B), "i": (0x6A, 0x6B)}
AUTO_NAME = {"lsm6dsox": "lsm6dso"}  # same WHO_AM_I: auto-detect reports the DSO
N_BUF = 64


def coded(i):
    """Sample i with every axis derived from i, so order and pairing can be checked."""
    return (i, -i, i + 1000, 2 * i, -2 * i, 3 * i - 7)


def index_of(buf, k):
    """The source index a sample came from; asserts its axes belong together."""
    o = 7 * k
    i = buf[o + 1]
    got = tuple(buf[o + 1:o + 7])
    assert got == coded(i), "sample %d axes out of order: %r" % (k, got)
    return i


def board(model, addr=None, n=20000, source=None, **kw):
    src = source if source is not None else vsources.FuncSource(coded, n=n)
    return vmachine.install(vmachine.VBoard(imu=model, addr=addr, source=src, on_end="idle", **kw))


def driver(vb, **kw):
    return imu.find_imu(vmachine.I2C(0), clock=vb.clock, **kw)


def period(drv):
    """The driver's sample period: num/den in 1/16 ms (the sample buffer's dt unit)."""
    return drv._st[1], drv._st[2]


def dt_of(buf, k):
    """Sample k's dt in 1/16 ms: an unsigned 16-bit value stored in an int16 array."""
    return buf[7 * k] & 0xFFFF


def read_all(vb, drv, step_ms, steps, max_n=N_BUF):
    """Advance ``step_ms`` and drain, ``steps`` times; return (samples as lists, n per read)."""
    buf = array("h", [0] * (7 * max_n))
    out = []
    ns = []
    for _ in range(steps):
        vb.clock.advance(step_ms)
        while True:
            n = drv.read(buf, max_n)
            ns.append(n)
            for k in range(n):
                out.append([dt_of(buf, k)] + list(buf[7 * k + 1:7 * k + 7]))
            if n < max_n:
                break
    return out, ns


def raises(fn, *a, **kw):
    try:
        fn(*a, **kw)
    except OSError as e:
        return str(e)
    raise AssertionError("no OSError")


# -- probing ----------------------------------------------------------------------------
def test_probe_each_model_at_each_address():
    for m in MODELS:
        for a in ADDRS[m[0]]:
            vb = board(m, a)
            d = driver(vb)
            assert d.model == AUTO_NAME.get(m, m), (m, d.model)
            assert d.addr == a
            d = driver(vb, model=m)
            assert d.model == m
            d = driver(vb, model=m, addr=a)
            assert d.model == m and d.addr == a
            assert d.lsb_per_g, d.lsb_per_kdps == sensors.sensitivity(m, 8, 1000)


def test_wrong_who_am_i_names_address_and_expected():
    vb = board("mpu6050")
    vb.imu.who_am_i = 0x00
    msg = raises(driver, vb)
    assert "no IMU at 0x68: WHO_AM_I 0x00, expected 0x68/0x70/0x71" in msg, msg
    assert msg.endswith("check wiring"), msg
    vb = board("lsm6dso", 0x6B)
    vb.imu.who_am_i = 0x12
    msg = raises(driver, vb)
    assert "no IMU at 0x6b: WHO_AM_I 0x12, expected 0x69/0x6b/0x6c" in msg, msg
    # a pinned model that is not the chip on the bus
    vb = board("mpu6500")
    msg = raises(driver, vb, model="mpu6050")
    assert "WHO_AM_I 0x70, expected 0x68 (mpu6050)" in msg, msg


def test_absent_device_errors():
    vb = vmachine.install(vmachine.VBoard(imu=None))
    msg = raises(driver, vb)
    assert msg.startswith("no IMU found on I2C (scanned: none) - check wiring"), msg
    msg = raises(driver, vb, addr=0x69)
    assert msg == "no IMU at 0x69: no answer on I2C - check wiring", msg
    vb = board("lsm6ds3", 0x6B)
    msg = raises(driver, vb, model="mpu6050")  # scan finds 0x6b only
    assert "scanned: 0x6b" in msg, msg


class _FlakyI2C:
    """A bus that NACKs writes to one register (a connector that fails mid-setup)."""

    def __init__(self, bad_reg):
        self.bus = vmachine.I2C(0)
        self.bad = bad_reg

    def scan(self):
        return self.bus.scan()

    def readfrom_mem_into(self, addr, reg, buf, addrsize=8):
        self.bus.readfrom_mem_into(addr, reg, buf)

    def writeto_mem(self, addr, reg, buf, addrsize=8):
        if reg == self.bad:
            raise OSError(19)
        self.bus.writeto_mem(addr, reg, buf)


def test_bus_error_during_setup_names_the_address():
    board("mpu6050", 0x69)
    msg = raises(imu.find_imu, _FlakyI2C(0x19))
    assert msg == "mpu6050 at 0x69: I2C error during setup (19) - check wiring", msg
    board("lsm6ds3")
    msg = raises(imu.find_imu, _FlakyI2C(0x11))
    assert msg == "lsm6ds3 at 0x6a: I2C error during setup (19) - check wiring", msg


def test_stuck_reset_is_bounded():
    for m in ("mpu6050", "lsm6dso"):
        vb = board(m)
        vb.imu.stuck_reset = True
        msg = raises(driver, vb)
        assert "reset did not complete" in msg and "0x6" in msg, msg


# -- registers as the datasheets say ------------------------------------------------------
def test_mpu_registers():
    for m, rate, div in (("mpu6050", 104, 9), ("mpu6050", 208, 4), ("mpu6500", 104, 9), ("mpu9250", 50, 19)):
        vb = board(m)
        d = driver(vb, rate_hz=rate)
        r = vb.imu.regs
        assert r[0x19] == div, (m, rate, r[0x19])  # SMPLRT_DIV
        assert d.rate_hz == 1000 // (1 + div) and period(d) == (16 * (1 + div), 1)
        assert r[0x6B] == 0x01  # PWR_MGMT_1: awake, PLL
        assert r[0x1B] == 0x10 and r[0x1C] == 0x10  # FS_SEL = AFS_SEL = 2: 1000 dps, 8 g
        assert r[0x23] == 0x78 and r[0x6A] & 0x40  # FIFO_EN accel+gyro, USER_CTRL.FIFO_EN
        assert r[0x38] == 0x10  # FIFO_OFLOW_EN
        if m == "mpu6050":
            assert r[0x1A] == 0x03 and d.lpf_hz == 42  # DLPF_CFG 3: 42 Hz gyro
        else:
            assert r[0x1A] == 0x43 and r[0x1D] == 0x03 and d.lpf_hz == 41  # FIFO_MODE, A_DLPF 3
    vb = board("mpu6050")
    d = driver(vb, accel_range_g=2, gyro_range_dps=250, lpf_hz=5)
    r = vb.imu.regs
    assert r[0x1B] == 0 and r[0x1C] == 0 and r[0x1A] == 6
    assert (d.lsb_per_g, d.lsb_per_kdps) == (16384, 131000)
    d = driver(vb, accel_range_g=16, gyro_range_dps=2000)
    assert vb.imu.regs[0x1B] == 0x18 and vb.imu.regs[0x1C] == 0x18
    assert (d.lsb_per_g, d.lsb_per_kdps) == (2048, 16400)


def test_st_registers():
    for m in ("lsm6ds3", "lsm6dso", "ism330dhcx"):
        for rate, code in ((104, 4), (100, 4), (208, 5), (50, 3)):
            vb = board(m)
            d = driver(vb, rate_hz=rate)
            r = vb.imu.regs
            assert d.rate_hz == (52, 104, 208)[code - 3] and period(d) == (16000, d.rate_hz)
            assert r[0x12] == 0x44  # CTRL3_C: BDU | IF_INC
            assert r[0x11] == (code << 4) | 0x08  # CTRL2_G: ODR, FS_G = 10 (1000 dps)
            if m == "lsm6ds3":
                assert r[0x10] == (code << 4) | 0x0C | 3  # CTRL1_XL: ODR, FS_XL 11 (8 g), BW_XL 50 Hz
                assert r[0x13] == 0x80  # XL_BW_SCAL_ODR
                assert r[0x08] == 0x09 and r[0x0A] == (code << 3) | 6  # no decimation; continuous
            elif rate == 208:
                assert r[0x10] == (code << 4) | 0x0C | 0x02 and r[0x17] == 0  # LPF2 at ODR/4 = 52 Hz
                assert r[0x09] == (code << 4) | code and r[0x0A] == 6
                assert d.lpf_hz == 52
            else:
                assert r[0x10] == (code << 4) | 0x0C  # LPF2 off: ODR/2
                assert r[0x09] == (code << 4) | code and r[0x0A] == 6  # BDR_GY | BDR_XL; continuous
    vb = board("lsm6dso")
    d = driver(vb, accel_range_g=16, gyro_range_dps=250)
    assert vb.imu.regs[0x10] == 0x44 and vb.imu.regs[0x11] == 0x40
    assert (d.lsb_per_g, d.lsb_per_kdps) == sensors.sensitivity("lsm6dso", 16, 250)
    d = driver(vb, accel_range_g=2, gyro_range_dps=500)
    assert vb.imu.regs[0x10] == 0x40 and vb.imu.regs[0x11] == 0x44


# -- data ---------------------------------------------------------------------------------
def _check_round_trip(m, rate, step_ms, max_n, n_src):
    vb = board(m, n=n_src)
    d = driver(vb, rate_hz=rate)
    out, _ = read_all(vb, d, step_ms, n_src * 1000 // (d.rate_hz * step_ms) + 3, max_n)
    assert len(out) == n_src, (m, len(out), n_src)
    num, den = period(d)
    t = 0
    for k, s in enumerate(out):
        assert s[1:] == list(coded(k)), (m, k, s)
        assert s[0] in (num // den, (num + den - 1) // den), (m, k, s[0])
        t += s[0]
        assert t == (k + 1) * num // den, (m, k, t)
    assert d.overflows == 0 and d.lost == 0


def test_round_trip_every_model():
    for m in MODELS:
        _check_round_trip(m, 104, 200, N_BUF, 250)


def test_round_trip_small_buffer_and_208hz():
    _check_round_trip("mpu9250", 208, 100, 7, 150)
    _check_round_trip("lsm6ds3", 208, 100, 7, 150)
    _check_round_trip("lsm6dso", 208, 100, 5, 150)


def test_timed_source_at_the_chip_rate_is_one_to_one():
    for m in ("lsm6ds3", "lsm6dso", "mpu6050"):
        rate = 100 if m[0] == "m" else 104
        vb = board(m, source=vsources.FuncSource(coded, n=333, rate_hz=rate))
        d = driver(vb)
        out, _ = read_all(vb, d, 200, 20)
        assert [s[1:] for s in out] == [list(coded(i)) for i in range(333)], m


def test_max_n_is_clamped_to_the_buffer():
    for m in ("mpu6050", "lsm6ds3", "lsm6dso"):
        vb = board(m)
        d = driver(vb)
        buf = array("h", [0] * (7 * 5 + 3))
        guard = array("h", [0] * 8)
        vb.clock.advance(500)
        assert d.read(buf, 100) == 5, m
        assert index_of(buf, 4) == 4 and list(guard) == [0] * 8


def test_tagged_fifo_either_word_order():
    vb = board("lsm6dso", n=120, order="ag")
    d = driver(vb)
    out, _ = read_all(vb, d, 250, 6, 9)
    assert [s[1:] for s in out] == [list(coded(i)) for i in range(120)]


def test_file_sources_6_and_7_fields():
    import os

    path = "/tmp/hinge_imu_test_%d.s6" % os.getpid() if hasattr(os, "getpid") else "/tmp/hinge_imu_test.s6"
    rows = [coded(i) for i in range(200)]
    vsources.write_samples(path, rows, 6)
    vb = board("lsm6ds3", source=vsources.FileSource(path, fields=6))
    d = driver(vb)
    out, _ = read_all(vb, d, 200, 12)
    assert [s[1:] for s in out] == [list(r) for r in rows]
    # 7 fields: a 104 Hz capture (dt in 1/16 ms from the same accumulator) replayed into a 100 Hz
    # MPU: each output is the capture's motion at the chip's sampling instant, interpolated
    # between the two capture samples around it. coded(i) is affine in i, so the first axis says
    # where on the capture's timeline (in capture samples) the chip took each sample.
    acc = 0
    rows7 = []
    cap_t = []
    t = 0
    for r in rows:
        acc += 16000
        dt = acc // 104
        acc -= dt * 104
        rows7.append((dt,) + r)
        t += dt
        cap_t.append(t)
    vsources.write_samples(path, rows7, 7)
    vb = board("mpu6050", source=vsources.FileSource(path, fields=7))
    d = driver(vb)
    out, _ = read_all(vb, d, 200, 12)
    assert 190 <= len(out) <= 193, len(out)  # 200 samples at 104 Hz = 1.92 s -> ~192 at 100 Hz
    t = 0
    for k, s in enumerate(out):
        t += s[0]
        x = s[1]  # the interpolated capture index
        j = min(max(x, 0), len(cap_t) - 2)
        # the capture's time at index x (linear between samples) is the chip's sample time
        tx = cap_t[j] + (cap_t[j + 1] - cap_t[j]) * (x - j)
        assert abs(tx - t) <= 80, (k, x, t, tx)  # within half a capture sample (x is rounded)
        assert abs(s[6] - (3 * x - 7)) <= 3, (k, s)  # the other axes interpolated alike
    assert all(b[1] - a[1] in (1, 2) for a, b in zip(out, out[1:]))
    # a 7-field dt above 32767 (an unsigned 16-bit value) round-trips through the file
    vsources.write_samples(path, [(40000, 1, 2, 3, 4, 5, 6)], 7)
    got = array("h", [0] * 7)
    assert vsources.FileSource(path, fields=7).read(got) and got[0] & 0xFFFF == 40000
    try:
        os.remove(path)
    except (AttributeError, OSError):
        pass


def test_rescaled_source():
    # a source declared in ST scale played into an MPU: counts converted to the MPU's scale
    src = vsources.FuncSource(lambda i: (4098, 0, -4098, 14286, 0, -14286), n=10,
                              lsb_per_g=4098, lsb_per_kdps=28571)
    vb = board("mpu6050", source=src)
    d = driver(vb)
    out, _ = read_all(vb, d, 200, 1)
    assert out[0][1:] == [4096, 0, -4096, 16401, 0, -16401], out[0]  # 14286*32800/28571 rounded


# -- faults -------------------------------------------------------------------------------
def _check_overflow(m, stall_ms):
    vb = board(m)
    d = driver(vb)
    buf = array("h", [0] * (7 * N_BUF))
    num, den = period(d)
    got = []  # (index, t)
    t = 0

    def drain():
        nonlocal t
        while True:
            n = d.read(buf, N_BUF)
            for k in range(n):
                t += dt_of(buf, k)
                got.append((index_of(buf, k), t))
            if n < N_BUF:
                return

    for _ in range(5):
        vb.clock.advance(200)
        drain()
    before = len(got)
    vb.clock.advance(stall_ms)  # reader far too slow: the chip's FIFO overflows
    drain()
    assert vb.imu.fifo_overflows > 0, m
    assert d.overflows == 1, (m, d.overflows)
    assert d.lost > 0
    for _ in range(5):
        vb.clock.advance(200)
        drain()
    assert d.overflows == 1, (m, d.overflows)
    assert len(got) > before + 80
    gaps = []
    for k in range(1, len(got)):
        i0, i1 = got[k - 1][0], got[k][0]
        assert i1 > i0, (m, i0, i1)
        if i1 != i0 + 1:
            gaps.append(k)
    assert len(gaps) == 1, (m, gaps)
    # dt across the gap carries the lost samples' time; one dt holds at most 3.75 s (16 bits), so
    # a longer gap goes on in the next samples' dt (each at most 60000 + a period)
    k = gaps[0]
    lost16 = (got[k][0] - got[k - 1][0]) * num // den
    carriers = lost16 // 60000 + 1
    assert stall_ms * 16 <= 60000 or carriers > 1, (m, carriers)
    for j in range(k, k + carriers):
        assert got[j][1] - got[j - 1][1] <= 60000 + num // den + 1, (m, j, got[j][1] - got[j - 1][1])
    # time stays true: sample time vs its index, over the whole run (the carriers are behind
    # until the last of them, never ahead)
    for j, (i, tt) in enumerate(got):
        if k <= j < k + carriers - 1:
            assert tt * den <= (i + 1) * num + 2 * num, (m, i, tt)
        else:
            assert abs(tt * den - (i + 1) * num) <= 2 * num, (m, i, tt)


def test_fifo_overflow_detected_and_resynced_every_model():
    for m in MODELS:
        stall = 3000 if m[0] == "m" else (9000 if m == "lsm6ds3" else 8000)
        _check_overflow(m, stall)


def _check_outage(m, power_loss):
    vb = board(m)
    d = driver(vb)
    buf = array("h", [0] * (7 * N_BUF))
    num, den = period(d)
    got = []
    t = 0
    errors = 0
    for step in range(25):
        if step == 8:
            vb.imu.unplug(700, power_loss=power_loss)
        vb.clock.advance(100)
        try:
            n = d.read(buf, N_BUF)
        except OSError as e:
            errors += 1
            assert "0x6" in str(e), str(e)
            continue
        for k in range(n):
            t += dt_of(buf, k)
            got.append((index_of(buf, k), t))
    assert 6 <= errors <= 8, (m, errors)
    assert d.recoveries == 1, (m, d.recoveries)
    assert vb.imu.nacks > 0
    jumps = [(a, b) for a, b in zip(got, got[1:]) if b[0] != a[0] + 1]
    assert len(jumps) == 1, (m, jumps)
    for i, tt in got:
        assert abs(tt * den - (i + 1) * num) <= 2 * num, (m, power_loss, i, tt)


def test_nack_mid_run_then_recovery():
    for m in ("mpu6050", "mpu6500", "lsm6ds3", "lsm6dso"):
        _check_outage(m, True)
        _check_outage(m, False)


def test_dt_sums_to_true_time_over_long_run():
    vb = board("lsm6dso", n=100000)
    d = driver(vb)
    out, _ = read_all(vb, d, 200, 150)  # 30 s
    assert sum(s[0] for s in out) == len(out) * 16000 // 104
    assert abs(len(out) - 30 * 104) <= 21


# -- the chip's true rate ----------------------------------------------------------------------
def _dt_sum(vb, drv, step_ms, steps):
    """Advance and drain like read_all; return the sum of dt (1/16 ms), keeping no samples."""
    buf = array("h", [0] * (7 * N_BUF))
    t = 0
    for _ in range(steps):
        vb.clock.advance(step_ms)
        while True:
            n = drv.read(buf, N_BUF)
            for k in range(n):
                t += dt_of(buf, k)
            if n < N_BUF:
                break
    return t


def _long_source():
    return vsources.FuncSource(lambda i: coded(i % 10000))  # values stay within int16


def test_rate_calibration_makes_dt_follow_the_chips_clock():
    # the virtual chip's clock runs 2 % fast or slow; virtual time is the truth (ticks_us)
    for m, ppm in (("lsm6dso", 20000), ("mpu6500", -20000), ("lsm6ds3", 13000), ("mpu6050", -7000)):
        vb = board(m, source=_long_source(), clock_error=ppm / 1000000)
        d = driver(vb)
        nom_num, nom_den = period(d)
        got = _dt_sum(vb, d, 200, 145)  # 29 s: nominal period, so dt runs off by the clock error
        assert period(d) == (nom_num, nom_den) and d.rate_clock.windows == 0
        t16 = 29000 * 16
        err = (got - t16) * 1000000 // t16
        assert abs(err - ppm) < 1500, (m, ppm, err)  # uncorrected: a fast chip makes time run fast
        _dt_sum(vb, d, 200, 10)  # the first 30-s window completes
        assert d.rate_clock.windows == 1 and period(d)[1] == 1024, (m, period(d))
        got = _dt_sum(vb, d, 200, 150)  # 30 s more: dt follows the chip's true rate
        err = (got - 30000 * 16) * 1000000 // (30000 * 16)
        assert abs(err) < 600, (m, ppm, err)  # within 0.06 % (one 10-ms sample in 30 s, per end)
        assert abs(d.rate_clock.ppm() - ppm) < 600, (m, ppm, d.rate_clock.ppm())
        assert d.rate_hz in (100, 104)  # the nominal rate is still what the chip was asked for


def test_rate_calibration_off_and_robust_to_an_overflow():
    vb = board("lsm6dso", source=_long_source(), clock_error=0.02)
    d = driver(vb, rate_cal=False)
    assert d.rate_clock is None
    err = (_dt_sum(vb, d, 200, 300) - 60000 * 16) * 1000000 // (60000 * 16)
    assert abs(err - 20000) < 1000, err
    # an overflow mid-window (a 4-s stall) does not spoil the estimate
    vb = board("lsm6dso", source=_long_source(), clock_error=-0.015)
    d = driver(vb)
    _dt_sum(vb, d, 200, 200)  # 40 s: one window
    assert d.rate_clock.windows == 1
    vb.clock.advance(4000)
    _dt_sum(vb, d, 200, 1)
    assert d.overflows == 1
    _dt_sum(vb, d, 200, 200)
    rc = d.rate_clock
    assert rc.windows == 2 and rc.rejected == 0, (rc.windows, rc.rejected)
    assert abs(rc.ppm() + 15000) < 600, rc.ppm()
    # a sensor outage: the window under way is dropped, the estimate kept through the reconfiguration
    per = rc.per
    vb.imu.unplug(1500)
    for _ in range(30):
        vb.clock.advance(200)
        try:
            d.read(array("h", [0] * (7 * N_BUF)), N_BUF)
        except OSError:
            pass
    assert d.recoveries == 1 and rc.per == per and period(d) == (per, 1024)
    _dt_sum(vb, d, 200, 160)
    assert rc.windows == 3 and abs(rc.ppm() + 15000) < 600, (rc.windows, rc.ppm())


# -- zero allocation and cost ---------------------------------------------------------------
class _FastBus:
    """Answers FIFO count/status reads with 'n samples waiting' and leaves FIFO data as is: the
    driver's own cost, without the register model's."""

    def __init__(self, family, n):
        self.family = family
        self.n = n

    def readfrom_mem_into(self, addr, reg, buf, addrsize=8):
        f = self.family
        if f == "m":
            if reg == 0x72:
                c = self.n * 12
                buf[0] = c >> 8
                buf[1] = c & 0xFF
            elif reg == 0x3A:
                buf[0] = 0
        elif reg == 0x3A:
            w = self.n * (6 if f == "d" else 2)
            buf[0] = w & 0xFF
            buf[1] = w >> 8
            if len(buf) > 2:
                buf[2] = 0
                buf[3] = 0
        elif reg == 0x78 and f == "t":
            for j in range(0, len(buf), 14):  # gyro word, accel word, same TAG_CNT
                buf[j] = 0x08
                buf[j + 7] = 0x10


def test_read_allocates_nothing_in_steady_state():
    for m in ("mpu6050", "mpu6500", "lsm6ds3", "lsm6dso"):
        vb = board(m)
        d = driver(vb)
        buf = array("h", [0] * (7 * N_BUF))
        vb.clock.advance(200)
        d.read(buf, N_BUF)
        for _ in range(3):
            vb.clock.advance(200)
            gc.collect()
            micropython.heap_lock()
            try:
                n = d.read(buf, N_BUF)
            finally:
                micropython.heap_unlock()
            assert n >= 19, (m, n)
        # the read that completes a rate-clock window and puts the measured period in force
        _dt_sum(vb, d, 200, 144)  # 29.6 s since the driver started
        assert d.rate_clock.windows == 0
        for _ in range(6):
            vb.clock.advance(200)
            gc.collect()
            micropython.heap_lock()
            try:
                d.read(buf, N_BUF)
            finally:
                micropython.heap_unlock()
        assert d.rate_clock.windows == 1, m
        if MP:
            print("HEAPLOCK %s ok" % m)


def bench():
    """Driver cost per sample (no bus) and with the virtual chip; printed as BENCH lines."""
    import time

    for m, fam in (("mpu6050", "m"), ("lsm6ds3", "d"), ("lsm6dso", "t")):
        vb = board(m)
        d = driver(vb)
        n = 20
        fb = _FastBus(fam, n)
        d._rd = fb.readfrom_mem_into
        buf = array("h", [0] * (7 * n))
        reps = 500
        gc.collect()
        a0 = gc.mem_alloc() if hasattr(gc, "mem_alloc") else 0
        t0 = time.ticks_us() if MP else time.perf_counter_ns() // 1000
        for _ in range(reps):
            d.read(buf, n)
        t1 = time.ticks_us() if MP else time.perf_counter_ns() // 1000
        a1 = gc.mem_alloc() if hasattr(gc, "mem_alloc") else 0
        us = (t1 - t0) / (reps * n)
        # with the register model behind the bus (the virtual board's cost, not the board's)
        vb = board(m)
        d = driver(vb)
        buf = array("h", [0] * (7 * N_BUF))
        tot = 0
        t0 = time.ticks_us() if MP else time.perf_counter_ns() // 1000
        for _ in range(50):
            vb.clock.advance(200)
            tot += d.read(buf, N_BUF)
        t1 = time.ticks_us() if MP else time.perf_counter_ns() // 1000
        print("BENCH %s driver_us_per_sample=%.2f alloc_bytes_per_read=%d vboard_us_per_sample=%.1f i2c_bytes_per_sample=%.1f"
              % (m, us, (a1 - a0) // reps, (t1 - t0) / tot, vb.i2c_bytes / tot))


# -- the board layer ------------------------------------------------------------------------
def test_board_layer_on_the_virtual_board():
    import board

    vb = board_vb = vmachine.install(vmachine.VBoard(imu="lsm6dso", source=vsources.FuncSource(coded, n=300),
                                                     clock=vmachine.Clock(start_ms=(1 << 30) - 500)))
    board.configure({"pin_motor": -1, "pin_sda": 21})
    assert board.pinmap()["motor"]["pin"] == 27
    i2c = board.i2c()
    assert i2c.sda.id == 21 and i2c.scl.id == 22 and i2c.freq == 400000
    d = imu.find_imu(i2c, clock=board)
    assert d.model == "lsm6dso"
    # ticks wrap like the ESP32's (started 500 ms before the wrap)
    t0 = board.ticks_ms()
    board.lightsleep(800)
    t1 = board.ticks_ms()
    assert t1 < t0 and board.ticks_diff(t1, t0) == 800
    assert board_vb.lightsleep_ms == 800
    buf = array("h", [0] * (7 * N_BUF))
    n = d.read(buf, N_BUF)
    n += d.read(buf, N_BUF)
    assert n == 83, n  # 800 ms at 104 Hz
    # motor PWM: every change logged with its virtual time
    pwm = board.motor_pwm()
    start = vb.clock.now()
    pwm.duty_u16(40000)
    board.sleep_ms(120)
    pwm.duty_u16(0)
    assert vb.pwm_log[-2:] == [(start, 27, 40000), (start + 120, 27, 0)], vb.pwm_log
    # button: pull-up, active low, pressed on a schedule
    b = board.button()
    assert b.value() == 1
    vb.press(vb.clock.now() + 10, 50)
    board.sleep_ms(20)
    assert b.value() == board.button_active() == 0
    board.sleep_ms(50)
    assert b.value() == 1
    assert 3800 <= board.battery_mv() <= 4000
    # watchdog: fed in time is fine; starved raises
    w = board.wdt(1000)
    for _ in range(5):
        board.sleep_ms(600)
        w.feed()
    try:
        board.sleep_ms(1500)
        raise AssertionError("WDT did not fire")
    except vmachine.WDTReset:
        pass
    assert vb.wdt_expired == 1
    vb.wdt = None
    board.configure(None)


def test_button_irq_pwm_log_file_and_scaled_clock():
    import board

    path = "/tmp/hinge_pwm_test.csv"
    vb = vmachine.install(vmachine.VBoard(imu=None, pwm_log=path))
    seen = []
    b = board.button()
    b.irq(lambda p: seen.append(vb.clock.now()), trigger=vmachine.Pin.IRQ_FALLING)
    vb.press(50, 30)
    board.sleep_ms(40)
    board.sleep_ms(20)
    assert seen == [60], seen  # the edge is seen when time next moves past it
    m = board.motor_pwm()
    m.duty_u16(1000)
    board.sleep_ms(5)
    m.duty_u16(0)
    vb.close()
    with open(path) as f:
        assert f.read() == "60,27,1000\n65,27,0\n"
    # scale=k: virtual time also follows real time, k times faster
    c = vmachine.Clock(scale=1000)
    c.advance(200)  # sleeps 0.2 ms of real time
    assert c.now() >= 200
    t = c.now()
    c.advance(0)
    assert c.now() >= t


def test_end_of_capture_stops_the_run():
    vb = vmachine.install(vmachine.VBoard(imu="mpu6050", source=vsources.FuncSource(coded, n=50)))
    d = driver(vb)
    buf = array("h", [0] * (7 * N_BUF))
    got = 0
    try:
        for _ in range(100):
            vmachine.lightsleep(200)
            got += d.read(buf, N_BUF)
        raise AssertionError("no EndOfCapture")
    except vmachine.EndOfCapture:
        pass
    assert got == 50 and vb.capture_done()


def after_all():
    """Under the runner (tests/device/mp_run.py): the BENCH lines."""
    bench()
