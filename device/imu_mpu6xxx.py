"""InvenSense MPU-6050 / MPU-6500 / MPU-9250 driver (accel + gyro through the FIFO, I2C).

Usage (normally through ``imu.find_imu``)::

    from imu_mpu6xxx import MPU6xxx
    drv = MPU6xxx(i2c, 0x68, "mpu6050", rate_hz=104, accel_range_g=8, gyro_range_dps=1000, lpf_hz=42)
    n = drv.read(buf, max_n)   # buf: array('h'), 7 int16 per sample [dt ax ay az gx gy gz]

From the register maps (RM-MPU-6000A-00 rev 4.2, RM-MPU-6500A-00 rev 2.1, RM-MPU-9250A-00 rev 1.4):
WHO_AM_I 0x68 / 0x70 / 0x71. Sample rate = 1 kHz / (1 + SMPLRT_DIV) with the DLPF on
(DLPF_CFG 1..6), so 104 Hz asks become 100 Hz (div 9) and 208 Hz become 200 Hz (div 4); the
sample period is then a whole number of ms. FIFO frames are ACCEL_X/Y/Z then GYRO_X/Y/Z, 12 bytes
big-endian, in register order. FIFO 1024 bytes (6050; 85 frames = 0.85 s at 100 Hz) or 512
(6500/9250; 42 frames = 0.42 s at 100 Hz, 0.21 s at 200 Hz: read at least that often).
The 6050 overwrites the oldest byte when full, which breaks frame alignment, so on overflow the
FIFO is emptied; the 6500/9250 run with CONFIG.FIFO_MODE = 1 (keep the oldest), so the whole
frames already stored are read first and then the FIFO is emptied.
Cost (unix port, x86-64): see ``tests/vboard/test_imu_drivers.py``; the unpack is viper.
"""
import micropython
from micropython import const

import sensors
from imu import ImuBase, nearest

_SMPLRT_DIV = const(0x19)
_CONFIG = const(0x1A)
_GYRO_CONFIG = const(0x1B)
_ACCEL_CONFIG = const(0x1C)
_ACCEL_CONFIG2 = const(0x1D)
_FIFO_EN = const(0x23)
_INT_ENABLE = const(0x38)
_INT_STATUS = const(0x3A)
_USER_CTRL = const(0x6A)
_PWR_MGMT_1 = const(0x6B)
_FIFO_COUNTH = const(0x72)
_FIFO_R_W = const(0x74)
_WHO_AM_I = const(0x75)

# bits
_DEVICE_RESET = const(0x80)
_CLKSEL_PLL = const(0x01)
_FIFO_MODE_KEEP = const(0x40)  # CONFIG bit 6 (6500/9250): FIFO full -> drop new data
_FIFO_OFLOW = const(0x10)  # INT_ENABLE / INT_STATUS bit 4
_USER_FIFO_EN = const(0x40)
_USER_FIFO_RESET = const(0x04)
_FIFO_EN_ACCEL_GYRO = const(0x78)  # XG YG ZG ACCEL

_FRAME = const(12)
_BURST = const(10)  # frames per I2C read: 120 bytes

# DLPF_CFG 1..6 bandwidths in Hz (gyro; accel on the 6500/9250 via A_DLPF_CFG)
_GYRO_BW_6050 = (188, 98, 42, 20, 10, 5)
_GYRO_BW_6500 = (184, 92, 41, 20, 10, 5)
_ACCEL_BW_6500 = (218, 99, 45, 21, 10, 5)
_FS_G = (2, 4, 8, 16)
_FS_DPS = (250, 500, 1000, 2000)

WHO = {"mpu6050": 0x68, "mpu6500": 0x70, "mpu9250": 0x71}


@micropython.viper
def _unpack_be(src: ptr8, dst: ptr16, di: int, n: int, st: ptr32):
    # 12-byte big-endian frames [ax ay az gx gy gz] -> [dt ax ay az gx gy gz] at dst[di]
    acc = int(st[0])
    num = int(st[1])
    den = int(st[2])
    extra = int(st[3])
    s = 0
    d = di
    for _ in range(n):
        acc += num
        dt = acc // den
        acc -= dt * den
        if extra > 60000:  # lost time beyond one 16-bit dt goes on into the next samples
            dt += 60000
            extra -= 60000
        else:
            dt += extra
            extra = 0
        dst[d] = (dt ^ 0x8000) - 0x8000  # unsigned dt as its int16 bit pattern
        for k in range(6):
            v = (int(src[s]) << 8) | int(src[s + 1])
            dst[d + 1 + k] = (v ^ 0x8000) - 0x8000
            s += 2
        d += 7
    st[0] = acc
    st[3] = extra


class MPU6xxx(ImuBase):
    FAMILY = "mpu"
    WHO_REG = _WHO_AM_I

    def __init__(self, i2c, addr=0x68, model="mpu6050", rate_hz=104, accel_range_g=8, gyro_range_dps=1000,
                 lpf_hz=42, clock=None, rate_cal=True):
        if model not in WHO:
            raise ValueError("mpu6xxx: unknown model '%s'" % model)
        self._newer = model != "mpu6050"
        self.fifo_size = 512 if self._newer else 1024
        self._raw = bytearray(_BURST * _FRAME)
        mv = memoryview(self._raw)
        self._views = [mv[: k * _FRAME] for k in range(_BURST + 1)]
        self._b2 = bytearray(2)
        ImuBase.__init__(self, i2c, addr, model, rate_hz, accel_range_g, gyro_range_dps, lpf_hz, clock,
                         rate_cal)

    def _setup(self):
        self._check_who(WHO[self.model])
        self._w(_PWR_MGMT_1, _DEVICE_RESET)
        self._poll_clear(_PWR_MGMT_1, _DEVICE_RESET, "reset")
        self._w(_PWR_MGMT_1, _CLKSEL_PLL)  # awake, PLL on the X gyro
        # rate: 1 kHz / (1 + div), nearest to the request
        r = self.req_rate_hz
        div = 0  # error of 1 kHz/p vs r is |1000 - r*p| / p: compare by cross-multiplying
        for p in range(1, 257):
            if abs(1000 - r * p) * (div + 1) < abs(1000 - r * (div + 1)) * p:
                div = p - 1
        self._div = div
        self.rate_hz = (1000 + (1 + div) // 2) // (1 + div)
        self._set_period(1 + div, 1)
        gbw = _GYRO_BW_6500 if self._newer else _GYRO_BW_6050
        bw = nearest(self.req_lpf_hz, gbw)
        dlpf = gbw.index(bw) + 1
        self.lpf_hz = bw
        g = nearest(self.accel_range_g, _FS_G)
        dps = nearest(self.gyro_range_dps, _FS_DPS)
        self.accel_range_g, self.gyro_range_dps = g, dps
        self.lsb_per_g, self.lsb_per_kdps = sensors.sensitivity(self.model, g, dps)
        self._w(_SMPLRT_DIV, div)
        self._w(_CONFIG, dlpf | (_FIFO_MODE_KEEP if self._newer else 0))
        self._w(_GYRO_CONFIG, _FS_DPS.index(dps) << 3)  # FCHOICE_B = 00: DLPF used
        self._w(_ACCEL_CONFIG, _FS_G.index(g) << 3)
        if self._newer:
            abw = nearest(self.req_lpf_hz, _ACCEL_BW_6500)
            self._w(_ACCEL_CONFIG2, _ACCEL_BW_6500.index(abw) + 1)  # ACCEL_FCHOICE_B = 0
        self._w(_INT_ENABLE, _FIFO_OFLOW)
        self._w(_FIFO_EN, _FIFO_EN_ACCEL_GYRO)
        self._flush()
        if self._r(_SMPLRT_DIV) != div or self._r(_FIFO_EN) != _FIFO_EN_ACCEL_GYRO:
            self._fail("configuration did not stick (read back differs)")

    def _flush(self):
        self._w(_USER_CTRL, 0)  # FIFO off, then reset it (FIFO_RESET needs FIFO_EN = 0)
        self._w(_USER_CTRL, _USER_FIFO_RESET)
        self._w(_USER_CTRL, _USER_FIFO_EN)
        self._r(_INT_STATUS)  # clears FIFO_OFLOW_INT

    def _drain(self, buf, max_n):
        rd = self._rd
        a = self.addr
        b = self._b2
        rd(a, _INT_STATUS, self._b1)
        ovf = self._b1[0] & _FIFO_OFLOW
        rd(a, _FIFO_COUNTH, b)
        self._stamp()
        cnt = (b[0] << 8) | b[1]
        if cnt >= self.fifo_size:
            ovf = 1
        if ovf and not self._newer:
            self._overflowed()  # 6050: oldest bytes overwritten, frames misaligned
            return 0
        avail = cnt // _FRAME
        nfr = avail if avail < max_n else max_n
        n = self._read_frames(buf, nfr)
        if ovf:
            self._n_sync += n
            self._overflowed()  # 6500/9250: the stored frames were whole; now empty it
        elif n == avail:
            self._mark_sync(n)
        else:
            self._n_sync += n
        return n

    def _read_frames(self, buf, nfr):
        rd = self._rd
        a = self.addr
        views = self._views
        raw = self._raw
        st = self._st
        n = 0
        while n < nfr:
            k = nfr - n
            if k > _BURST:
                k = _BURST
            rd(a, _FIFO_R_W, views[k])
            _unpack_be(raw, buf, n * 7, k, st)
            n += k
            self._part = n
        return n
