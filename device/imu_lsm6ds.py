"""ST LSM6DS3 / LSM6DSO / LSM6DSOX / ISM330DHCX driver (accel + gyro through the FIFO, I2C).

Usage (normally through ``imu.find_imu``)::

    from imu_lsm6ds import LSM6DS
    drv = LSM6DS(i2c, 0x6A, "lsm6dso", rate_hz=104, accel_range_g=8, gyro_range_dps=1000, lpf_hz=42)
    n = drv.read(buf, max_n)   # buf: array('h'), 7 int16 per sample [dt ax ay az gx gy gz]

From the datasheets (LSM6DS3 DocID026899, LSM6DSO DS12140, LSM6DSOX DS12814, ISM330DHCX DS13012):
WHO_AM_I (0x0F) 0x69 (DS3), 0x6C (DSO and DSOX: one ID, told apart only by the pinned model),
0x6B (ISM330DHCX). Rates 52/104/208 Hz (ODR codes 3/4/5, nearest to the request); full scales
FS_XL 00/10/11/01 = 2/4/8/16 g, FS_G 00/01/10/11 = 250/500/1000/2000 dps; CTRL3_C = BDU | IF_INC.

* LSM6DS3: untagged FIFO. FIFO_CTRL3 = gyro and accel every sample, FIFO_CTRL5 = ODR_FIFO |
  continuous (110). Words come as Gx Gy Gz Ax Ay Az (16-bit LE); FIFO_STATUS1..4 give the
  unread word count (DIFF_FIFO), OVER_RUN and FIFO_PATTERN (next word's place in that pattern),
  which this driver checks before every read and uses to skip to a sample boundary.
  Accel anti-alias filter BW_XL 400/200/100/50 Hz (CTRL1_XL[1:0] with CTRL4_C.XL_BW_SCAL_ODR).
* LSM6DSO/DSOX/ISM330DHCX: tagged FIFO. FIFO_CTRL3 = BDR_GY | BDR_XL at the ODR, FIFO_CTRL4 =
  continuous; each 7-byte word is TAG (sensor[7:3]: 1 gyro, 2 accel; TAG_CNT[2:1] time slot) +
  X Y Z LE, read as a burst from FIFO_DATA_OUT_TAG (0x78). Gyro and accel words are paired by
  TAG_CNT in whatever order they come; an unpaired word (its partner lost to an overrun) is
  dropped. Accel LPF2 (CTRL1_XL.LPF2_XL_EN, CTRL8_XL.HPCF_XL) only when the request is far
  below ODR/2; the default 42 Hz at 104 Hz keeps LPF2 off (ODR/2 = 52 Hz).
On overrun (OVER_RUN / FIFO_OVR_IA) the FIFO is emptied (bypass, then continuous again).
"""
from array import array

import micropython
from micropython import const

import sensors
from imu import ImuBase, nearest

_FIFO_CTRL3_DS3 = const(0x08)
_FIFO_CTRL5 = const(0x0A)  # LSM6DS3: ODR_FIFO[6:3] FIFO_MODE[2:0]
_FIFO_CTRL3 = const(0x09)  # LSM6DSO: BDR_GY[7:4] BDR_XL[3:0]
_FIFO_CTRL4 = const(0x0A)  # LSM6DSO: FIFO_MODE[2:0]
_CTRL1_XL = const(0x10)
_CTRL2_G = const(0x11)
_CTRL3_C = const(0x12)
_CTRL4_C = const(0x13)
_CTRL8_XL = const(0x17)
_FIFO_STATUS1 = const(0x3A)
_FIFO_DATA_OUT_L = const(0x3E)
_FIFO_DATA_OUT_TAG = const(0x78)

_SW_RESET = const(0x01)
_BDU_IF_INC = const(0x44)
_XL_BW_SCAL_ODR = const(0x80)
_LPF2_XL_EN = const(0x02)
_MODE_BYPASS = const(0)
_MODE_CONTINUOUS = const(6)
_DS3_OVER_RUN = const(0x40)
_DSO_OVR = const(0x48)  # FIFO_OVR_IA | FIFO_OVR_LATCHED

_BURST = const(8)  # samples per I2C read: 96 bytes (DS3) / 16 words = 112 bytes (tagged)

_ODRS = (52, 104, 208)
_ODR_CODE = {52: 3, 104: 4, 208: 5}
_FS_XL = {2: 0, 4: 2, 8: 3, 16: 1}
_FS_G = {250: 0, 500: 1, 1000: 2, 2000: 3}
_BW_XL_DS3 = (400, 200, 100, 50)  # BW_XL code 0..3
_LPF2_DIV = (4, 10, 20, 45, 100, 200, 400, 800)  # DSO HPCF_XL 0..7 with LPF2: ODR/div



@micropython.viper
def _unpack_ds3(src: ptr8, dst: ptr16, di: int, n: int, st: ptr32):
    # 12-byte LE patterns [gx gy gz ax ay az] -> [dt ax ay az gx gy gz] at dst[di]
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
            v = int(src[s]) | (int(src[s + 1]) << 8)
            # words 0..2 gyro -> dst 4..6, words 3..5 accel -> dst 1..3
            j = k + 4 if k < 3 else k - 2
            dst[d + j] = (v ^ 0x8000) - 0x8000
            s += 2
        d += 7
    st[0] = acc
    st[3] = extra


@micropython.viper
def _unpack_tagged(src: ptr8, nw: int, dst: ptr16, st: ptr32, pv: ptr16) -> int:
    # 7-byte tagged words; pairs gyro (tag 1) and accel (tag 2) words of one TAG_CNT slot.
    # st[4] = next output index in dst, st[5] = pending kind (0 none), st[6] = its TAG_CNT,
    # st[7] = dropped (unpaired) words; pv[0..2] = pending word's X Y Z.
    acc = int(st[0])
    num = int(st[1])
    den = int(st[2])
    extra = int(st[3])
    d = int(st[4])
    pk = int(st[5])
    pc = int(st[6])
    drop = int(st[7])
    made = 0
    s = 0
    for _ in range(nw):
        tag = int(src[s])
        kind = tag >> 3
        cnt = (tag >> 1) & 3
        if kind == 1 or kind == 2:
            if pk != 0 and pk != kind and pc == cnt:
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
                # this word's axes go to 1..3 (accel) or 4..6 (gyro); the pending one to the other
                mine = 1 if kind == 2 else 4
                other = 5 - mine
                for k in range(3):
                    v = int(src[s + 1 + 2 * k]) | (int(src[s + 2 + 2 * k]) << 8)
                    dst[d + mine + k] = (v ^ 0x8000) - 0x8000
                    dst[d + other + k] = pv[k]
                d += 7
                made += 1
                pk = 0
            else:
                if pk != 0:
                    drop += 1
                for k in range(3):
                    v = int(src[s + 1 + 2 * k]) | (int(src[s + 2 + 2 * k]) << 8)
                    pv[k] = (v ^ 0x8000) - 0x8000
                pk = kind
                pc = cnt
        s += 7
    st[0] = acc
    st[3] = extra
    st[4] = d
    st[5] = pk
    st[6] = pc
    st[7] = drop
    return made


class LSM6DS(ImuBase):
    FAMILY = "st"

    def __init__(self, i2c, addr=0x6A, model="lsm6dso", rate_hz=104, accel_range_g=8, gyro_range_dps=1000,
                 lpf_hz=42, clock=None, rate_cal=True):
        self.tagged = model != "lsm6ds3"
        self.fifo_words = 512 if self.tagged else 4095
        # tagged: a gyro and an accel word per sample; DS3: 6 16-bit words (gyro xyz, accel xyz)
        self.fifo_samples = self.fifo_words // 2 if self.tagged else self.fifo_words // 6
        wb = 14 if self.tagged else 12  # bytes per sample in the FIFO
        self._wb = wb
        self._raw = bytearray(_BURST * wb)
        mv = memoryview(self._raw)
        if self.tagged:
            self._views = [mv[: k * 7] for k in range(2 * _BURST + 1)]  # by word count
        else:
            self._views = [mv[: k * 12] for k in range(_BURST + 1)]  # by sample count
            self._skip = [mv[: k * 2] for k in range(6)]  # by word count, to realign
        self._b4 = bytearray(4)
        self._b2 = bytearray(2)
        self._pv = array("h", [0, 0, 0])
        self.dropped = 0
        ImuBase.__init__(self, i2c, addr, model, rate_hz, accel_range_g, gyro_range_dps, lpf_hz, clock,
                         rate_cal)

    def _setup(self):
        self._check_who()
        self._w(_CTRL3_C, _SW_RESET)
        self._poll_clear(_CTRL3_C, _SW_RESET, "software reset")
        self._w(_CTRL3_C, _BDU_IF_INC)
        odr = nearest(self.req_rate_hz, _ODRS)
        code = _ODR_CODE[odr]
        self.rate_hz = odr
        self._odr_code = code
        self._set_period(1000, odr)
        g = nearest(self.accel_range_g, (2, 4, 8, 16))
        dps = nearest(self.gyro_range_dps, (250, 500, 1000, 2000))
        self.accel_range_g, self.gyro_range_dps = g, dps
        self.lsb_per_g, self.lsb_per_kdps = sensors.sensitivity(self.model, g, dps)
        ctrl1 = (code << 4) | (_FS_XL[g] << 2)
        if self.tagged:
            # ODR/2 without LPF2, else ODR/div with LPF2 (HPCF_XL index)
            bws = [odr // 2] + [odr // dv for dv in _LPF2_DIV]
            bw = nearest(self.req_lpf_hz, bws)
            i = bws.index(bw)
            self.lpf_hz = bw
            self._w(_CTRL8_XL, (i - 1) << 5 if i else 0)
            if i:
                ctrl1 |= _LPF2_XL_EN
        else:
            bw = nearest(self.req_lpf_hz, _BW_XL_DS3)
            self.lpf_hz = bw
            ctrl1 |= _BW_XL_DS3.index(bw)
            self._w(_CTRL4_C, _XL_BW_SCAL_ODR)
        self._w(_CTRL1_XL, ctrl1)
        self._w(_CTRL2_G, (code << 4) | (_FS_G[dps] << 2))
        if self.tagged:
            self._w(_FIFO_CTRL3, (code << 4) | code)
        else:
            self._w(_FIFO_CTRL3_DS3, 0x09)  # DEC_FIFO_GYRO = DEC_FIFO_XL = 001: every sample
        self._flush()
        if self._r(_CTRL1_XL) != ctrl1:
            self._fail("configuration did not stick (read back differs)")

    def _flush(self):
        if self.tagged:
            self._w(_FIFO_CTRL4, _MODE_BYPASS)
            self._w(_FIFO_CTRL4, _MODE_CONTINUOUS)
            self._st[5] = 0  # no pending half sample
        else:
            c = self._odr_code << 3
            self._w(_FIFO_CTRL5, c | _MODE_BYPASS)
            self._w(_FIFO_CTRL5, c | _MODE_CONTINUOUS)

    def _drain(self, buf, max_n):
        if self.tagged:
            return self._drain_tagged(buf, max_n)
        rd = self._rd
        a = self.addr
        b = self._b4
        rd(a, _FIFO_STATUS1, b)  # FIFO_STATUS1..4
        self._stamp()
        words = b[0] | ((b[1] & 0x0F) << 8)
        if b[1] & _DS3_OVER_RUN:
            self._overflowed()
            return 0
        pat = b[2] | ((b[3] & 3) << 8)
        if pat and words:
            skip = 6 - pat  # words up to the next Gx
            if skip > words:
                skip = words
            rd(a, _FIFO_DATA_OUT_L, self._skip[skip])
            self.dropped += skip
            words -= skip
            if self.rate_clock is not None:
                self.rate_clock.brk()  # a partial sample was thrown away
        avail = words // 6
        nfr = avail if avail < max_n else max_n
        views = self._views
        raw = self._raw
        st = self._st
        n = 0
        while n < nfr:
            k = nfr - n
            if k > _BURST:
                k = _BURST
            rd(a, _FIFO_DATA_OUT_L, views[k])
            _unpack_ds3(raw, buf, n * 7, k, st)
            n += k
            self._part = n
        if n == avail:
            self._mark_sync(n)
        else:
            self._n_sync += n
        return n

    def _drain_tagged(self, buf, max_n):
        rd = self._rd
        a = self.addr
        b = self._b2
        rd(a, _FIFO_STATUS1, b)  # FIFO_STATUS1..2
        self._stamp()
        words = b[0] | ((b[1] & 0x03) << 8)
        if b[1] & _DSO_OVR:
            self._overflowed()
            return 0
        st = self._st
        pend = 1 if st[5] else 0
        room = 2 * max_n - pend  # each sample after the first pending one takes two words
        left = words if words < room else room
        views = self._views
        raw = self._raw
        pv = self._pv
        n = 0
        while left > 0:
            k = left if left < 2 * _BURST else 2 * _BURST
            rd(a, _FIFO_DATA_OUT_TAG, views[k])
            st[4] = n * 7
            n += _unpack_tagged(raw, k, buf, st, pv)
            left -= k
            self._part = n
        if st[7] != self.dropped:
            self.dropped = st[7]
            if self.rate_clock is not None:
                self.rate_clock.brk()  # an unpaired word (half a sample) was thrown away
        if words <= room:
            self._mark_sync(n)
        else:
            self._n_sync += n
        return n
