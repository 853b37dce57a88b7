"""Register-level model of the InvenSense MPU-6050, MPU-6500 and MPU-9250 (accel + gyro part).

Modelled from the register maps (RM-MPU-6000A-00 rev 4.2, RM-MPU-6500A-00 rev 2.1,
RM-MPU-9250A-00 rev 1.4):

* WHO_AM_I (0x75): 0x68 (6050), 0x70 (6500), 0x71 (9250).
* PWR_MGMT_1 (0x6B): DEVICE_RESET bit 7 restores every register to its reset value (the bit reads
  back set once, then clears); SLEEP bit 6 (set at power-on on the 6050) stops sampling.
* Sample rate = gyro output rate / (1 + SMPLRT_DIV); gyro output rate is 1 kHz with the DLPF on
  (CONFIG.DLPF_CFG 1..6, and on the 6500/9250 GYRO_CONFIG.FCHOICE_B = 0), else 8 kHz.
* FIFO: FIFO_EN (0x23) selects TEMP(7) XG(6) YG(5) ZG(4) ACCEL(3); each sample appends the enabled
  registers in register order, big-endian (ACCEL_X..Z, TEMP, GYRO_X..Z), while USER_CTRL.FIFO_EN
  (bit 6) is set. USER_CTRL.FIFO_RESET (bit 2) empties it when FIFO_EN is 0. FIFO_COUNTH/L
  (0x72/0x73) count bytes (reading H latches L); burst reads of FIFO_R_W (0x74) pop bytes; an
  empty FIFO returns the last byte read again.
* Size 1024 bytes (6050) or 512 (6500/9250). When full the oldest byte is overwritten (so frames
  lose alignment), except on the 6500/9250 with CONFIG.FIFO_MODE (bit 6) = 1, where further
  writes are dropped. Either way INT_STATUS.FIFO_OFLOW_INT (bit 4) sets if INT_ENABLE bit 4 is
  set; INT_STATUS clears when read. DATA_RDY_INT (bit 0) sets on each sample if enabled.
* Simplification: on the 6500/9250 at power-on (DLPF off, FIFO off) the model does not run its
  8 kHz sample clock; it starts once the DLPF or FIFO is configured.
"""
from regmodel_base import ChipModel, const

_SMPLRT_DIV = const(0x19)
_CONFIG = const(0x1A)
_GYRO_CONFIG = const(0x1B)
_ACCEL_CONFIG = const(0x1C)
_ACCEL_CONFIG2 = const(0x1D)
_FIFO_EN = const(0x23)
_INT_ENABLE = const(0x38)
_INT_STATUS = const(0x3A)
_ACCEL_XOUT_H = const(0x3B)
_TEMP_OUT_H = const(0x41)
_GYRO_XOUT_H = const(0x43)
_USER_CTRL = const(0x6A)
_PWR_MGMT_1 = const(0x6B)
_FIFO_COUNTH = const(0x72)
_FIFO_COUNTL = const(0x73)
_FIFO_R_W = const(0x74)
_WHO_AM_I = const(0x75)

_ACC_LSB = (16384, 8192, 4096, 2048)  # AFS_SEL 0..3
_GYR_LSB = (131000, 65500, 32800, 16400)  # FS_SEL 0..3, counts per 1000 dps

CHIPS = {
    # name: (WHO_AM_I, FIFO bytes, has CONFIG.FIFO_MODE/ACCEL_CONFIG2, PWR_MGMT_1 reset value)
    "mpu6050": (0x68, 1024, False, 0x40),
    "mpu6500": (0x70, 512, True, 0x01),
    "mpu9250": (0x71, 512, True, 0x01),
}


class MPU6xxx(ChipModel):
    WHO_REG = _WHO_AM_I

    def __init__(self, addr=0x68, source=None, model="mpu6050", temp_raw=0):
        who, size, newer, pwr = CHIPS[model]
        self.WHO = who
        self.fifo_size = size
        self.newer = newer
        self._pwr_reset = pwr
        self.temp_raw = temp_raw
        self.fifo = bytearray(size)
        self._head = 0
        self._count = 0
        self._last = 0
        self._count_latch = 0
        self._reset_busy = False
        ChipModel.__init__(self, addr, source, model)

    # -- state -------------------------------------------------------------------------
    def power_on(self):
        self.regs = bytearray(256)
        self.regs[_PWR_MGMT_1] = self._pwr_reset
        self.regs[_WHO_AM_I] = self.WHO
        self._head = 0
        self._count = 0
        self._running = False

    def fifo_count(self):
        return self._count

    def rate(self):
        r = self.regs
        if r[_PWR_MGMT_1] & 0x40:  # SLEEP
            return None
        dlpf = r[_CONFIG] & 7
        on = 1 <= dlpf <= 6 and not (self.newer and (r[_GYRO_CONFIG] & 3))
        if not on and self.newer and not (r[_USER_CTRL] & 0x40) and dlpf == 0:
            return None  # see the module notes: 8 kHz idle clock not modelled
        div = r[_SMPLRT_DIV] + 1
        # period in ms = div * (1 or 1/8): num/den with den = 8
        return (div * 8, 8) if on else (div, 8)

    def sensitivity(self):
        r = self.regs
        return _ACC_LSB[(r[_ACCEL_CONFIG] >> 3) & 3], _GYR_LSB[(r[_GYRO_CONFIG] >> 3) & 3]

    # -- sampling ----------------------------------------------------------------------
    def emit(self, v):
        r = self.regs
        for i in range(3):
            _be(r, _ACCEL_XOUT_H + 2 * i, v[i])
            _be(r, _GYRO_XOUT_H + 2 * i, v[3 + i])
        _be(r, _TEMP_OUT_H, self.temp_raw)
        if r[_INT_ENABLE] & 0x01:
            r[_INT_STATUS] |= 0x01
        en = r[_FIFO_EN]
        if not (r[_USER_CTRL] & 0x40) or not (en & 0xF8):
            return
        for reg in range(_ACCEL_XOUT_H, _GYRO_XOUT_H + 6):
            if reg < _TEMP_OUT_H:
                on = en & 0x08
            elif reg < _GYRO_XOUT_H:
                on = en & 0x80
            else:
                on = en & (0x40 >> ((reg - _GYRO_XOUT_H) >> 1))
            if on:
                self._push(r[reg])

    def _push(self, b):
        size = self.fifo_size
        if self._count >= size:
            self._overflow()
            if self.newer and (self.regs[_CONFIG] & 0x40):
                return  # FIFO_MODE = 1: drop new data
            self._head = (self._head + 1) % size  # overwrite the oldest byte
            self._count -= 1
        self.fifo[(self._head + self._count) % size] = b
        self._count += 1

    def _overflow(self):
        self.fifo_overflows += 1
        if self.regs[_INT_ENABLE] & 0x10:
            self.regs[_INT_STATUS] |= 0x10

    def _pop(self):
        if self._count == 0:
            return self._last
        b = self.fifo[self._head]
        self._head = (self._head + 1) % self.fifo_size
        self._count -= 1
        self._last = b
        return b

    # -- bus ---------------------------------------------------------------------------
    def read_into(self, reg, buf):
        self.sync(self.now())
        r = self.regs
        for i in range(len(buf)):
            if reg == _FIFO_R_W:
                buf[i] = self._pop()
                continue
            if reg == _FIFO_COUNTH:
                self._count_latch = self._count
                v = self._count_latch >> 8
            elif reg == _FIFO_COUNTL:
                v = self._count_latch & 0xFF
            elif reg == _WHO_AM_I:
                v = self.who()
            elif reg == _INT_STATUS:
                v = r[reg]
                r[reg] = 0
            elif reg == _PWR_MGMT_1:
                v = r[reg]
                if self._reset_busy and not self.stuck_reset:
                    self._reset_busy = False
                    r[reg] &= 0x7F
            else:
                v = r[reg]
            buf[i] = v
            reg = (reg + 1) & 0xFF

    def write(self, reg, buf):
        self.sync(self.now())
        r = self.regs
        for i in range(len(buf)):
            v = buf[i]
            if reg == _PWR_MGMT_1 and v & 0x80:
                self.power_on()
                r = self.regs
                r[_PWR_MGMT_1] |= 0x80  # reads back set once (reset in progress)
                self._reset_busy = True
            elif reg == _USER_CTRL:
                if v & 0x04 and not (v & 0x40):
                    self._head = 0
                    self._count = 0
                r[reg] = v & ~0x05  # FIFO_RESET / SIG_COND_RESET clear themselves
            elif reg == _FIFO_R_W:
                self._push(v)
            elif reg in (_WHO_AM_I, _INT_STATUS, _FIFO_COUNTH, _FIFO_COUNTL):
                pass  # read-only
            else:
                r[reg] = v
            reg = (reg + 1) & 0xFF
        self.retime()


def _be(r, reg, v):
    v &= 0xFFFF
    r[reg] = v >> 8
    r[reg + 1] = v & 0xFF
