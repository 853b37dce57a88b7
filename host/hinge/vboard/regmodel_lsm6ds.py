"""Register-level model of the ST LSM6DS3, LSM6DSO/LSM6DSOX and ISM330DHCX (accel + gyro part).

Modelled from the datasheets (LSM6DS3 DocID026899, LSM6DSO DS12140, LSM6DSOX DS12814,
ISM330DHCX DS13012) and ST's application notes on the FIFO:

* WHO_AM_I (0x0F): 0x69 (LSM6DS3), 0x6C (LSM6DSO and LSM6DSOX), 0x6B (ISM330DHCX).
* CTRL1_XL (0x10) ODR_XL[7:4] FS_XL[3:2]; CTRL2_G (0x11) ODR_G[7:4] FS_G[3:2] FS_125[1]
  (ISM330DHCX also FS_4000[0]); ODR codes 1..10 = 12.5, 26, 52, 104, 208, 416, 833, 1660, 3330,
  6660 Hz; FS_XL 00/10/11/01 = 2/4/8/16 g; FS_G 00/01/10/11 = 250/500/1000/2000 dps.
* CTRL3_C (0x12, reset 0x04): BOOT[7] BDU[6] IF_INC[2] SW_RESET[0]. SW_RESET restores the
  control registers and empties the FIFO (the bit reads back set once, then clears). With
  IF_INC = 0 a burst read repeats the same register.
* Output registers: gyro OUTX_L_G 0x22..0x27, accel 0x28..0x2D, little-endian; STATUS_REG
  (0x1E) XLDA[0] GDA[1] set on each sample, cleared when the data are read.
* LSM6DS3 FIFO (untagged, 8 KB): FIFO_CTRL3 (0x08) DEC_FIFO_GYRO[5:3] DEC_FIFO_XL[2:0]
  (001 = every sample, 000 = not stored); FIFO_CTRL5 (0x0A) ODR_FIFO[6:3] FIFO_MODE[2:0]
  (000 bypass = empty, 001 FIFO = stop when full, 110 continuous = overwrite the oldest). Data are
  stored in 6-byte data sets, gyro set first then accel: pattern Gx Gy Gz Ax Ay Az, 16-bit words.
  FIFO_STATUS1/2 (0x3A/0x3B): DIFF_FIFO[11:0] unread words, WaterM[7] OVER_RUN[6] FIFO_FULL[5]
  FIFO_EMPTY[4]; FIFO_STATUS3/4 (0x3C/0x3D): FIFO_PATTERN[9:0] = the next word's position in
  the pattern. FIFO_DATA_OUT_L/H (0x3E/0x3F); reading H pops a word; a burst wraps 0x3F -> 0x3E.
  Capacity 1365 data sets; on overrun the oldest whole data set is overwritten, so the word at
  the head may be an accel word (FIFO_PATTERN tells).
* LSM6DSO/DSOX/ISM330DHCX FIFO (tagged): FIFO_CTRL3 (0x09) BDR_GY[7:4] BDR_XL[3:0] (ODR codes,
  0 = not batched); FIFO_CTRL4 (0x0A) FIFO_MODE[2:0] as above. Each word is 7 bytes at
  FIFO_DATA_OUT_TAG (0x78) .. Z_H (0x7E): tag = TAG_SENSOR[7:3] (0x01 gyro, 0x02 accel)
  TAG_CNT[2:1] (time slot, mod 4) TAG_PARITY[0], then X, Y, Z little-endian; reading 0x7E pops the
  word and a burst wraps to 0x78. FIFO_STATUS1/2 (0x3A/0x3B): DIFF_FIFO[9:0] words, FIFO_WTM_IA[7]
  FIFO_OVR_IA[6] FIFO_FULL_IA[5] FIFO_OVR_LATCHED[3] (cleared when FIFO_STATUS2 is read).
  Capacity modelled as 512 words; on overrun the oldest word is overwritten.
* Simplifications: accel, gyro, FIFO and batch rates must be equal when more than one is on
  (the model raises ValueError otherwise); no decimation, no timestamp/temperature batching.
"""
from regmodel_base import ChipModel, const, parity_odd

_FIFO_CTRL1_DS3 = const(0x06)
_FIFO_CTRL3_DS3 = const(0x08)
_FIFO_CTRL5 = const(0x0A)  # LSM6DS3
_FIFO_CTRL3 = const(0x09)  # LSM6DSO: BDR
_FIFO_CTRL4 = const(0x0A)  # LSM6DSO: mode
_WHO_AM_I = const(0x0F)
_CTRL1_XL = const(0x10)
_CTRL2_G = const(0x11)
_CTRL3_C = const(0x12)
_STATUS_REG = const(0x1E)
_OUTX_L_G = const(0x22)
_OUTX_L_XL = const(0x28)
_FIFO_STATUS1 = const(0x3A)
_FIFO_STATUS2 = const(0x3B)
_FIFO_STATUS3 = const(0x3C)
_FIFO_STATUS4 = const(0x3D)
_FIFO_DATA_OUT_L = const(0x3E)
_FIFO_DATA_OUT_H = const(0x3F)
_FIFO_DATA_OUT_TAG = const(0x78)
_FIFO_DATA_OUT_Z_H = const(0x7E)

ODR_MHZ = (0, 12500, 26000, 52000, 104000, 208000, 416000, 833000, 1660000, 3330000, 6660000)
_ACC_LSB = (16393, 2049, 8197, 4098)  # FS_XL code 0..3 (00 2 g, 01 16 g, 10 4 g, 11 8 g)
_GYR_LSB = (114286, 57143, 28571, 14286)  # FS_G code 0..3, counts per 1000 dps

CHIPS = {
    # name: (WHO_AM_I, tagged FIFO, capacity: data sets (DS3) or words (tagged))
    "lsm6ds3": (0x69, False, 1365),
    "lsm6dso": (0x6C, True, 512),
    "lsm6dsox": (0x6C, True, 512),
    "ism330dhcx": (0x6B, True, 512),
}


class LSM6DS(ChipModel):
    WHO_REG = _WHO_AM_I

    def __init__(self, addr=0x6A, source=None, model="lsm6dso", order="ga"):
        who, tagged, cap = CHIPS[model]
        self.WHO = who
        self.tagged = tagged
        self.cap = cap
        self.order = order  # tagged FIFO: gyro word before accel word in a slot ("ga") or after
        wsize = 7 if tagged else 6
        self.fifo = bytearray(cap * wsize)
        self.kinds = bytearray(cap)  # untagged: 0 = gyro set, 1 = accel set
        self._wsize = wsize
        self._head = 0
        self._n = 0  # entries (data sets or tagged words)
        self._rdw = 0  # words already read from the head data set (untagged)
        self._reset_busy = False
        self._ovr = False
        self._ovr_latched = False
        self.ism = model == "ism330dhcx"
        ChipModel.__init__(self, addr, source, model)

    # -- state -------------------------------------------------------------------------
    def power_on(self):
        self.regs = bytearray(256)
        self.regs[_WHO_AM_I] = self.WHO
        self.regs[_CTRL3_C] = 0x04
        self._flush()
        self._running = False

    def _flush(self):
        self._head = 0
        self._n = 0
        self._rdw = 0
        self._ovr = False

    def fifo_mode(self):
        return self.regs[_FIFO_CTRL4 if self.tagged else _FIFO_CTRL5] & 7

    def fifo_words(self):
        return self._n if self.tagged else self._n * 3 - self._rdw

    def rate(self):
        r = self.regs
        xl = r[_CTRL1_XL] >> 4
        g = r[_CTRL2_G] >> 4
        codes = [c for c in (xl, g) if c]
        if self.fifo_mode():
            if self.tagged:
                codes += [c for c in (r[_FIFO_CTRL3] >> 4, r[_FIFO_CTRL3] & 15) if c]
            else:
                codes.append((r[_FIFO_CTRL5] >> 3) & 15)
                dec = r[_FIFO_CTRL3_DS3]
                if (dec & 7) > 1 or ((dec >> 3) & 7) > 1:
                    raise ValueError("LSM6DS3 model: FIFO decimation not modelled (FIFO_CTRL3=0x%02x)" % dec)
        if not codes:
            return None
        for c in codes:
            if c != codes[0]:
                raise ValueError("%s model: accel/gyro/FIFO rates must be equal (codes %s)" % (self.NAME, codes))
            if c >= len(ODR_MHZ):
                raise ValueError("%s model: ODR code %d not modelled" % (self.NAME, c))
        if not xl and not g:
            return None
        return 1000000, ODR_MHZ[codes[0]]

    def sensitivity(self):
        r = self.regs
        c2 = r[_CTRL2_G]
        if self.ism and c2 & 1:
            gy = 7143
        elif c2 & 2:
            gy = 228571
        else:
            gy = _GYR_LSB[(c2 >> 2) & 3]
        return _ACC_LSB[(r[_CTRL1_XL] >> 2) & 3], gy

    # -- sampling ----------------------------------------------------------------------
    def emit(self, v):
        r = self.regs
        xl_on = r[_CTRL1_XL] >> 4
        g_on = r[_CTRL2_G] >> 4
        for i in range(3):
            if xl_on:
                _le(r, _OUTX_L_XL + 2 * i, v[i])
            if g_on:
                _le(r, _OUTX_L_G + 2 * i, v[3 + i])
        r[_STATUS_REG] |= (1 if xl_on else 0) | (2 if g_on else 0)
        mode = self.fifo_mode()
        if not mode:
            return
        if self.tagged:
            bdr = r[_FIFO_CTRL3]
            cnt = self._slot & 3
            first, second = (1, 2) if self.order == "ga" else (2, 1)
            for kind in (first, second):
                if kind == 1 and g_on and bdr >> 4:
                    self._push_word(mode, kind, cnt, v, 3)
                elif kind == 2 and xl_on and bdr & 15:
                    self._push_word(mode, kind, cnt, v, 0)
        else:
            dec = r[_FIFO_CTRL3_DS3]
            if g_on and (dec >> 3) & 7:
                self._push_set(mode, 0, v, 3)
            if xl_on and dec & 7:
                self._push_set(mode, 1, v, 0)

    def _make_room(self, mode):
        """True if an entry may be appended (overwriting the oldest in continuous mode)."""
        if self._n < self.cap:
            return True
        self.fifo_overflows += 1
        self._ovr = True
        self._ovr_latched = True
        if mode != 6:  # FIFO mode: stop collecting
            return False
        self._head = (self._head + 1) % self.cap
        self._n -= 1
        self._rdw = 0
        return True

    def _push_word(self, mode, kind, cnt, v, off):
        if not self._make_room(mode):
            return
        p = ((self._head + self._n) % self.cap) * 7
        f = self.fifo
        tag = (kind << 3) | (cnt << 1)
        f[p] = tag | parity_odd(tag)
        for i in range(3):
            x = v[off + i] & 0xFFFF
            f[p + 1 + 2 * i] = x & 0xFF
            f[p + 2 + 2 * i] = x >> 8
        self._n += 1

    def _push_set(self, mode, kind, v, off):
        if not self._make_room(mode):
            return
        e = (self._head + self._n) % self.cap
        self.kinds[e] = kind
        p = e * 6
        f = self.fifo
        for i in range(3):
            x = v[off + i] & 0xFFFF
            f[p + 2 * i] = x & 0xFF
            f[p + 1 + 2 * i] = x >> 8
        self._n += 1

    def _pattern(self):
        if self._n == 0:
            return 0
        dec = self.regs[_FIFO_CTRL3_DS3]
        both = ((dec >> 3) & 7) and (dec & 7)
        k = self.kinds[self._head] if both else 0
        return k * 3 + self._rdw

    def _pop_byte(self, reg):
        """One byte of the FIFO output registers; the last byte of a word pops it."""
        if self._n == 0:
            return 0
        if self.tagged:
            b = self.fifo[self._head * 7 + (reg - _FIFO_DATA_OUT_TAG)]
            if reg == _FIFO_DATA_OUT_Z_H:
                self._head = (self._head + 1) % self.cap
                self._n -= 1
                self._ovr = False
            return b
        b = self.fifo[self._head * 6 + 2 * self._rdw + (reg - _FIFO_DATA_OUT_L)]
        if reg == _FIFO_DATA_OUT_H:
            self._rdw += 1
            self._ovr = False
            if self._rdw == 3:
                self._rdw = 0
                self._head = (self._head + 1) % self.cap
                self._n -= 1
        return b

    # -- bus ---------------------------------------------------------------------------
    def read_into(self, reg, buf):
        self.sync(self.now())
        r = self.regs
        inc = r[_CTRL3_C] & 0x04
        tagged = self.tagged
        for i in range(len(buf)):
            if tagged and _FIFO_DATA_OUT_TAG <= reg <= _FIFO_DATA_OUT_Z_H:
                buf[i] = self._pop_byte(reg)
                if inc:
                    reg = _FIFO_DATA_OUT_TAG if reg == _FIFO_DATA_OUT_Z_H else reg + 1
                continue
            if not tagged and reg in (_FIFO_DATA_OUT_L, _FIFO_DATA_OUT_H):
                buf[i] = self._pop_byte(reg)
                if inc:
                    reg = _FIFO_DATA_OUT_L if reg == _FIFO_DATA_OUT_H else reg + 1
                continue
            if reg == _WHO_AM_I:
                v = self.who()
            elif reg == _FIFO_STATUS1:
                v = self.fifo_words() & 0xFF
            elif reg == _FIFO_STATUS2:
                w = self.fifo_words()
                if tagged:
                    full = self._n >= self.cap
                    v = (w >> 8) & 3
                    v |= (0x40 if self._ovr else 0) | (0x20 if full else 0)
                    v |= 0x08 if self._ovr_latched else 0
                    self._ovr_latched = False
                    wtm = r[0x07] | ((r[0x08] & 1) << 8)
                else:
                    full = self._n + 2 > self.cap  # "full at the next ODR"
                    v = (w >> 8) & 15
                    v |= (0x40 if self._ovr else 0) | (0x20 if full else 0) | (0x10 if w == 0 else 0)
                    wtm = r[_FIFO_CTRL1_DS3] | ((r[_FIFO_CTRL1_DS3 + 1] & 15) << 8)
                if wtm and w >= wtm:
                    v |= 0x80
            elif reg == _FIFO_STATUS3 and not tagged:
                v = self._pattern() & 0xFF
            elif reg == _FIFO_STATUS4 and not tagged:
                v = self._pattern() >> 8
            elif reg == _CTRL3_C:
                v = r[reg]
                if self._reset_busy and not self.stuck_reset:
                    self._reset_busy = False
                    r[reg] &= 0x7E
            else:
                v = r[reg]
                if _OUTX_L_G <= reg < _OUTX_L_G + 6:
                    r[_STATUS_REG] &= ~2
                elif _OUTX_L_XL <= reg < _OUTX_L_XL + 6:
                    r[_STATUS_REG] &= ~1
            buf[i] = v
            if inc:
                reg = (reg + 1) & 0x7F

    def write(self, reg, buf):
        self.sync(self.now())
        r = self.regs
        inc = r[_CTRL3_C] & 0x04
        for i in range(len(buf)):
            v = buf[i]
            if reg == _CTRL3_C and v & 0x01:
                self.power_on()
                r = self.regs
                r[_CTRL3_C] = 0x05  # reads back set once (reset in progress)
                self._reset_busy = True
            elif reg == _CTRL3_C and v & 0x80:
                r[reg] = v  # BOOT: reads back set once
                self._reset_busy = True
            elif reg == _WHO_AM_I or _FIFO_STATUS1 <= reg <= _FIFO_DATA_OUT_H or reg >= _FIFO_DATA_OUT_TAG:
                pass  # read-only
            else:
                if reg == (_FIFO_CTRL4 if self.tagged else _FIFO_CTRL5) and not (v & 7):
                    self._flush()  # bypass mode empties the FIFO
                r[reg] = v
            if inc:
                reg = (reg + 1) & 0x7F
        self.retime()


def _le(r, reg, v):
    v &= 0xFFFF
    r[reg] = v & 0xFF
    r[reg + 1] = v >> 8
