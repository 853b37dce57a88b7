"""Hinge session log format, version 4: defined once, here (encoder side; pure, no file I/O).

``flashlog.py`` writes it on the board; ``host/hinge/logs/logdecode.py`` reads it back with numpy and
takes every constant from this module. All multi-byte integers are little-endian.

File header (session ``Snnnn.hlg`` and raw capture ``Snnnn.raw``, same layout)::

    off  size  field
    0    4     magic            b"HNGS" session log, b"HNGR" raw capture
    4    1     format version   (VERSION)
    5    1     session number, bits 16-23 (version 1: 0, reserved)
    6    2     header length H  (whole header, CRC included)
    8    2     session number, bits 0-15
    10   2     BLOCK_MAX        (largest block in this file)
    12   4     lsb_per_g        accelerometer counts per g
    16   4     lsb_per_kdps     gyro counts per 1000 deg/s
    20   4     rate             IMU output rate, milli-Hz
    24   2+5   wall clock at session start, UTC (the host sets the board's RTC from the
               laptop's clock on every connection): year (bits 0-14), clock-set flag (bit 15),
               month, day, hour, minute, second. Year 0 = unknown. The flag is 1 when the
               RTC had been set since power-up (a cold boot starts it at 2000-01-01, so a
               year past CLOCK_SET_YEAR can only come from a set); headers written before
               the flag existed have 0 there and decode the same way otherwise
    31   1+n   firmware version (UTF-8)
    .    1+n   IMU model (UTF-8)
    .    2+n   meta JSON: the validated config (session log); mount and ranges (raw)
    H-2  2     CRC-16 of bytes 0..H-3

Then append-only blocks, each self-contained (a lost block costs only its own records)::

    0    2     sync b"\\xb1\\x0c"
    2    2     block sequence number (0, 1, 2 ... wraps at 65536)
    4    1     payload length P (0..PAY_MAX)
    5    4     t_base: time of the previous STRIDE, ms (session log); raw: ms at block start
    9    1     fl_base: flags of the previous STRIDE (raw: 0)
    10   P     records
    10+P 2     CRC-16 of bytes 0..9+P

CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection; check("123456789") = 0x29B1): the
host's ``binascii.crc_hqx(data, 0xFFFF)``. MicroPython's binascii has ``crc32`` only on some
ports and a 32-bit CRC is a big int on the ESP32, so the board computes it with the viper
function below (~0.1 ms per block on an ESP32, by the unix-port measure).

Session records (event fields and units as in ``events.py``; t = the event's t_ms):

* Short STRIDE, 9 bytes (version 3), top bit 0, 72 bits MSB first: ``0 | dt:11 | lean:10 |
  rot:8 | roll:8 | tilt:5 | push:4 | drop_l:5 | drop_r:5 | vo:5 | gct_r:5 | gct_l:5``
  dt = stride_ms = t - t_prev (1..2047 ms); lean signed, 0.1 deg steps (-51.2..51.1);
  rotation unsigned, 0.2 deg (0..51.0); roll unsigned, 0.1 deg (0..25.5) (the detector's
  rotation and roll are peak-to-peak, so >= 0). The running dynamics of the stride (its DYN
  event, events.py, which follows the STRIDE and fills these bits in place while the record is
  still in the block being written; else it goes as a long record): tilt swing and hip drop
  per side in 0.5 deg steps (1..31 = 0.5..15.5 deg), push-off pitch signed in 0.5 deg
  (-4.0..3.5), vertical oscillation (mean of the two steps) in 0.5 cm (1..31 = 0.5..15.5 cm),
  contact time per side as 96 + 8 * code ms (1..31 = 104..344 ms); code 0 = not measured
  (push-off: when neither hip drop is; its bits then hold FLEW on a running stride that flew,
  else 0), values past the ends are clamped.
  Version 2 files: 5 bytes, ``0 | dt:11 | lean:10 | rot:9 | roll:9`` (rotation to 102.2 deg,
  roll to 51.1 deg), no dynamics. Cadence is not stored: the decoder takes the
  stride's own cadence (1200000 + dt//2) // dt (1/10 spm), the detector's formula, when the
  event's is within CAD_TOL of it; flags are those of the previous stride; the stride starts
  where the previous one ended (t_prev). A stride that starts where the last one ended (as the
  detector gave that end) has its end moved, where need be, by up to MOVE_MAX ms to where its
  duration implies its cadence (_put_short): a stride timed by its steps' shape (walkclock.py)
  or with its ends on two clocks, and the strides after a moved one, each back toward its own
  end as far as its cadence allows (SisFall's 150 walks and jogs: 83-88 % of the strides' ends
  moved, 90 % of them by 62-76 ms or less, none past 250). Resolution lost: roll +-0.05 deg; lean and rotation
  none with today's detector, which reports them in these steps (else +-0.05 and +-0.1 deg,
  rounded half up); tilt swing and hip drop +-0.25 deg, which is what the coach's optional
  cues and drift.py judge in any case (dyn_half_deg); cadence 0.1-0.3 spm (a whole ms of a
  0.7 s stride is 0.25 spm; up to CAD_TOL/10 spm on a stride that does not start where the
  last ended); a stride's end up to MOVE_MAX (events at its time, after it, go with it), its
  stride_ms with it;
  other times, flags exact (the flags a log keeps: activity and calibrated; not the
  grounded bit, which the decoder infers: see _FL_LOGGED).
* ADJ record (version 4), just before a short STRIDE whose start, flags or cadence the short
  form cannot say: tag ``1 | REC_ADJ:4 | n:3`` (as a long record's), then zigzag LEB128
  varints: the skip (the stride starts at t_prev + skip: a gap in the samples, a gait's first
  stride, a moved end past MOVE_MAX), and n (0..2) fields: the new flags + 1 (0 = unchanged),
  the cadence's difference from the implied one (1/10 spm, exact: a stride that does not start
  where the last ended, or whose end would move past MOVE_MAX). Always in the same block as its
  STRIDE. Typically 2-5 bytes: a stride after a dropout takes 11-14 bytes with its dynamics
  filled in, where a long STRIDE and a long DYN took ~30 (versions 2-3). (Until the moved ends,
  every stride timed by its steps' shape or across two clocks carried one: SisFall's walks 11.0-
  11.2 bytes a stride, its jogs 10.2-10.4; now 9.7 and 9.7-9.8.)
* Long record, any event type 1..14 (a STRIDE that does not fit the short form even with an
  ADJ - a stride over 2047 ms, a lean past +-51.2 deg -, ALERT, CLEAR, CALIB, ACTIVITY, FAULT,
  future codes): tag byte ``1 | type:4 | n:3``, then zigzag LEB128
  varints: t - t_prev, then fields a.. (n of them; the trailing zero fields are left out).
  Exact. A STRIDE (short or long) sets t_prev = t and the flags; other events leave them.

Raw capture records: whole samples of 7 int16 ``dt, ax, ay, az, gx, gy, gz`` (dt in 1/16 ms unsigned; raw counts),
RAW_SAMPLE bytes each, never split across blocks; t_base = capture time before the block.

Block of 256 bytes: 27 short strides (~19 s of running) per block, 9.5 bytes per stride with
framing (a 30-hour race, ~160k strides: 1.5 MB).

Session numbers and file names (the one rule, for the firmware and the host): sessions are
numbered 1..SESSION_MAX (24 bits); session n is ``"S%04d.hlg" % n`` (and ``.raw``): at least
four digits, no other leading zeros, so ``S0007``, ``S99999``, ``S100000``. ``session_of``
reads a name back (-1 for anything else). Version 1 headers held 16 bits (S65536 and later
read back wrong); version 2 adds the high byte in byte 5, which version 1 wrote as 0, so a
version-1 log decodes the same either way. Past SESSION_MAX (a session a minute for 30 years)
the firmware's counter starts again at 1, skipping numbers still on flash.
"""
import micropython
from micropython import const

VERSION = const(4)
SESSION_MAX = const(0xFFFFFF)
MAGIC_SESSION = b"HNGS"
MAGIC_RAW = b"HNGR"
SYNC = b"\xb1\x0c"
BLOCK_MAX = const(256)
BLK_HDR = const(10)  # sync 2, seq 2, len 1, t_base 4, fl_base 1
BLK_CRC = const(2)
PAY_END = const(254)  # BLOCK_MAX - BLK_CRC: records end before this offset
PAY_MAX = const(244)  # PAY_END - BLK_HDR
FIXED_HDR = const(31)  # file header bytes before the strings
HDR_WALL = const(24)  # header offset of the wall-clock start (layout above)
WALL_SET = const(0x8000)  # header year field: the clock-set flag (bit 15; years < 32768)
CLOCK_SET_YEAR = const(2021)  # an RTC that reads this year or later was set (power-up: 2000-01-01)
SHORT_LEN = const(9)
SHORT_LEN_V2 = const(5)
REC_ADJ = const(15)  # the log's own record type (no event has it, events.py): see the docstring
LONG_MAX = const(36)  # tag + 7 varints of at most 5 bytes
RAW_SAMPLE = const(14)  # 7 int16
RAW_PER_BLOCK = const(17)  # PAY_MAX // RAW_SAMPLE

# short STRIDE quantisation, centidegrees per step, and the cadence tolerance (1/10 spm)
LEAN_Q = const(10)
ROT_Q = const(20)
ROLL_Q = const(10)
CAD_TOL = const(10)
# How far a short STRIDE's logged end may lie from the detector's (ms) so that its duration
# implies its cadence (_put_short: no ADJ record for that). A quarter of a second: under the
# second a watch's records and the report's time axes resolve, and within half of the shortest
# stride (~0.5 s), so a moved end stays nearer its own stride's end than any other's.
MOVE_MAX = const(250)

# mirrors of events.py (a test checks they agree): consts inline, imported names do not
_EV_LEN = const(8)
_EV_STRIDE = const(1)
_EV_DYN = const(8)
# the STRIDE flags a log keeps: activity and calibrated (FLAG_GROUNDED - 1). The grounded bit is
# left out: each change of flags costs an ADJ record (3 bytes), two per grounded stride (+0.7
# bytes a stride for a slow jogger with 12 % of grounded strides, SisFall D03_SE08); the decoder
# infers it from what the record holds: a running stride with no contact time on either step
# (every grounded one has none) that is not marked FLEW
_FL_LOGGED = const(7)
_FL_RUN_MASK = const(11)   # activity and grounded bits (events.py): == ACT_RUNNING: it flew
_ACT_RUNNING = const(2)
# A short STRIDE of a running stride that flew carries this code in its push-off field (bits
# 43-46) while neither hip drop is measured, where the field says nothing (dyncols.short reads
# a push-off only beside a hip drop, as every decoder of this version has). It tells the ~3 % of
# flying strides whose contacts were not found (SisFall's jogs: 300 of ~9600, every one without
# a hip drop) from the grounded ones, which the decoder infers from no contact time: without it
# they read as grounded, and a coach replayed over the log leaves them uncoached. No byte more,
# no version change: a decoder that knows no mark reads such a stride as before, and a log
# written before the mark has none (its flying strides without contacts read as grounded).
FLEW = const(8)
_SYNC0 = const(0xB1)
_SYNC1 = const(0x0C)


@micropython.viper
def crc16(buf, start: int, end: int, crc: int) -> int:
    """CRC-16/CCITT-FALSE of ``buf[start:end]`` continuing from ``crc`` (0xFFFF to begin)."""
    p = ptr8(buf)
    i = start
    while i < end:
        crc ^= p[i] << 8
        j = 0
        while j < 8:
            if crc & 0x8000:
                crc = ((crc << 1) ^ 0x1021) & 0xFFFF
            else:
                crc = (crc << 1) & 0xFFFF
            j += 1
        i += 1
    return crc


def block_start(blk, st):
    """Begin a block in ``blk`` from the stride state ``st`` = array('i', [t_prev, flags, last]);
    ``last`` (optional third slot) is where this block's last short STRIDE starts (-1: none), so
    its DYN can fill it in.

    Returns the write position of the first record.
    """
    if len(st) > 2:
        st[2] = -1
    t = st[0]
    blk[5] = t & 0xFF
    blk[6] = (t >> 8) & 0xFF
    blk[7] = (t >> 16) & 0xFF
    blk[8] = (t >> 24) & 0xFF
    blk[9] = st[1] & 0xFF
    return BLK_HDR


def block_end(blk, pos, seq):
    """Close the block whose records end at ``pos``: sync, seq, length, CRC. Returns its size."""
    blk[0] = _SYNC0
    blk[1] = _SYNC1
    blk[2] = seq & 0xFF
    blk[3] = (seq >> 8) & 0xFF
    blk[4] = pos - BLK_HDR
    c = crc16(blk, 0, pos, 0xFFFF)
    blk[pos] = c & 0xFF
    blk[pos + 1] = c >> 8
    return pos + BLK_CRC


def put_event(blk, pos, st, evq, k):
    """Append event ``k`` of ``evq`` (array('i'), events.py layout) at ``pos``.

    Returns the new position, or -1 when it does not fit (block and state untouched: write the
    block, start a new one and call again). Small ints only: nothing is allocated.
    """
    b = k * _EV_LEN
    if evq[b] == _EV_STRIDE:
        r = _put_short(blk, pos, st, evq, b)
        if r != 0:
            return r
    elif evq[b] == _EV_DYN and len(st) > 2 and st[2] >= 0 and evq[b + 1] == st[0] - (st[3] if len(st) > 3 else 0):
        _put_dyn(blk, st[2], evq, b)
        st[2] = -1
        return pos
    return _put_long(blk, pos, st, evq, b)


def _put_dyn(blk, p, evq, b):
    # fill in the dynamics bits (38..71) of the short STRIDE at p from the DYN event at b
    dl = _q(evq[b + 4], 50, 31)
    dr = _q(evq[b + 5], 50, 31)
    if dl or dr:
        push = (evq[b + 3] + 25) // 50               # round(cdeg / 50) (// floors, negatives too)
        push = -8 if push < -8 else (7 if push > 7 else push)
        blk[p + 5] &= 0xE1                          # (bits 43-46: a FLEW mark gives way to it)
        _bits(blk, p, 43, push & 15, 4)
    v = evq[b + 6]
    vl = v >> 10
    vr = v & 1023
    vo = vl + vr if vl and vr else (vl or vr) * 2   # mm, sum of the two steps
    g = evq[b + 7]
    _bits(blk, p, 38, _q(evq[b + 2], 50, 31), 5)
    _bits(blk, p, 47, dl, 5)
    _bits(blk, p, 52, dr, 5)
    _bits(blk, p, 57, _q(vo, 10, 31), 5)            # (sum of two steps in mm) / 10 = mean in 0.5 cm
    # (a contact time measured at 96 ms or less is the form's 104, its lower end, as a long one
    # is its 344: it was code 0, not measured, so a decoded stride lost it, and a stride with
    # two such read as grounded, one a coach replayed over the log does not coach: SisFall's
    # quick jogs have a tail of 76-105 ms contacts)
    v = g & 2047
    _bits(blk, p, 62, _q(v - 96 if v > 96 else (1 if v else 0), 8, 31), 5)
    v = g >> 11
    _bits(blk, p, 67, _q(v - 96 if v > 96 else (1 if v else 0), 8, 31), 5)


def dyn_half_deg(v):
    """A stride's tilt swing or hip drop (cdeg; <= 0: not measured) as the short STRIDE keeps it,
    in cdeg: 0.5 deg steps, 0.5..15.5 deg, 0 = not measured. The coach's optional cues and
    drift.py judge these values (dynamics.py rounds them so, by this rule: a test checks) and the
    host's replay of a log rounds what it reads so too, short record or long: the two agree."""
    return _q(v, 50, 31) * 50


def _q(v, step, top):
    # a measured value (> 0) in steps, rounded and clamped to 1..top; 0 stays 0 (not measured)
    if v <= 0:
        return 0
    c = (v + (step >> 1)) // step
    return 1 if c < 1 else (top if c > top else c)


def _bits(blk, p, off, v, n):
    # OR the n-bit value v into the record at p, starting at bit off (MSB first)
    while n > 0:
        i = p + (off >> 3)
        room = 8 - (off & 7)
        k = n if n < room else room
        blk[i] |= ((v >> (n - k)) & ((1 << k) - 1)) << (room - k)
        off += k
        n -= k


def _implied(d):
    # the cadence (1/10 spm) a stride of d ms implies: the decoder's, and the detector's formula
    return (1200000 + (d >> 1)) // d


def _nearest(cad, d):
    # The duration nearest d ms whose implied cadence is cad's (1/10 spm) to the log's own
    # resolution: within 0.1 spm (its unit) of the best any whole ms gives (at a 0.7 s stride one
    # ms moves the cadence by 0.25 spm). The durations that do lie side by side around the one cad
    # implies (the implied cadence falls as the duration grows), a few at most: a short walk.
    # (A wider band, 0.3 or 0.5 spm, moves the ends back toward the detector's only a little
    # faster: SisFall's jogs, 90 % of the moved ends within 53 ms at 0.5 spm against 62.)
    if cad <= 0:
        return 0
    x = (1200000 + (cad >> 1)) // cad
    if x <= 0:
        return 0
    e = _implied(x) - cad
    if e < 0:
        e = -e
    e += 1
    k = 1 if d > x else -1
    while x != d and x + k > 0:
        y = _implied(x + k) - cad
        if y > e or y < -e:
            break
        x += k
    return x


def _put_short(blk, pos, st, evq, b):
    # 0 = not representable (use the long form), -1 = no room, else the new position
    t = evq[b + 1]
    dt = evq[b + 5]
    # A stride that starts where the last one ended, as the detector gave that end, starts where
    # the log put it (st[0]). Its end is moved, if need be, to the nearest time at which its
    # duration implies its cadence (_nearest): a stride whose cadence is not the one its ends
    # give (timed by its steps' shape, walkclock.py; or its ends on two clocks,
    # kernel.stride_time), and the strides after a moved one, each back toward its own end as far
    # as its cadence allows. So no ADJ record says its cadence (3-4 bytes: SisFall's walks 11.2
    # -> 9.7 bytes a stride, its jogs 10.2-10.4 -> 9.7-9.8), the logged cadence is the detector's
    # to the log's resolution (_nearest), and the logged ends stay within tens of ms of the
    # detector's (SisFall's 150 trials: 90 % of the moved ends within 62-76 ms). Past MOVE_MAX
    # the end is not moved (an ADJ says the cadence, as before) and the next stride starts
    # afresh from its own end. Events at the stride's time are logged at its logged end
    # (_put_long), so a cue and its stride keep one time.
    if len(st) > 3 and t - dt == st[0] - st[3] and dt > st[3]:
        # (st[3]: how far the last end was moved, ms; too far a move keeps the detector's end,
        # and a skip from where the log put the last one)
        x = _nearest(evq[b + 4], dt - st[3])
        if x > 0 and st[0] + x - t <= MOVE_MAX and t - st[0] - x <= MOVE_MAX:
            t = st[0] + x
            dt = x
    mv = t - evq[b + 1]
    if dt <= 0 or dt > 2047:
        return 0
    lq = (evq[b + 2] + 5) // 10  # LEAN_Q
    rq = (evq[b + 3] + 10) // 20  # ROT_Q
    pq = (evq[b + 7] + 5) // 10  # ROLL_Q
    if lq < -512 or lq > 511 or rq < 0 or rq > 255 or pq < 0 or pq > 255:
        return 0
    # what the short form cannot say goes in an ADJ record just before it (version 4): a stride
    # that does not start where the last ended (a gap, a gait's first stride), new flags, or a
    # cadence off the one its duration implies (a stride whose ends lie on different clocks)
    skip = t - dt - st[0]
    fl = evq[b + 6] & _FL_LOGGED
    c = evq[b + 4] - (1200000 + (dt >> 1)) // dt
    n = 0
    if c > CAD_TOL or c < -CAD_TOL:
        n = 2
    elif fl != st[1]:
        n = 1
    a = 0
    if n or skip:
        a = 1 + _vlen(skip) + (1 if n else 0)      # (flags + 1 <= 8: one byte)
        if n == 2:
            a += _vlen(c)
    if pos + a + SHORT_LEN > PAY_END:
        return -1
    if a:
        blk[pos] = 0x80 | (REC_ADJ << 3) | n
        p = _varint(blk, pos + 1, skip)
        if n:
            p = _varint(blk, p, fl + 1 if fl != st[1] else 0)
        if n == 2:
            p = _varint(blk, p, c)
        pos = p
        st[1] = fl
    lq &= 0x3FF
    blk[pos] = dt >> 4
    blk[pos + 1] = ((dt & 0xF) << 4) | (lq >> 6)
    blk[pos + 2] = ((lq & 0x3F) << 2) | (rq >> 6)
    blk[pos + 3] = ((rq & 0x3F) << 2) | (pq >> 6)
    blk[pos + 4] = (pq & 0x3F) << 2
    i = 5
    while i < SHORT_LEN:
        blk[pos + i] = 0
        i += 1
    if evq[b + 6] & _FL_RUN_MASK == _ACT_RUNNING:
        _bits(blk, pos, 43, FLEW, 4)              # (see FLEW; _put_dyn keeps it or a push-off)
    st[0] = t
    if len(st) > 2:
        st[2] = pos
    if len(st) > 3:
        st[3] = mv
    return pos + SHORT_LEN


def _vlen(v):
    # bytes of v as a zigzag LEB128 varint (_varint)
    u = v + v if v >= 0 else -v - v - 1
    n = 1
    while u >= 0x80:
        u >>= 7
        n += 1
    return n


def _put_long(blk, pos, st, evq, b):
    typ = evq[b]
    if typ < 1 or typ >= REC_ADJ:
        return pos  # not a loggable code: dropped
    n = 6
    while n and evq[b + 1 + n] == 0:
        n -= 1
    if pos >= PAY_END:
        return -1
    blk[pos] = 0x80 | (typ << 3) | n
    d = evq[b + 1] - st[0]
    if len(st) > 3 and d == 0 - st[3]:
        d = 0                 # at the last stride's time: at its logged end (_put_short)
    p = _varint(blk, pos + 1, d)
    i = 0
    while i < n and p > 0:
        v = evq[b + 2 + i]
        if i == 4 and typ == _EV_STRIDE:
            v &= _FL_LOGGED       # (see _FL_LOGGED)
        p = _varint(blk, p, v)
        i += 1
    if p > 0 and typ == _EV_STRIDE:
        st[0] = evq[b + 1]
        st[1] = evq[b + 6] & _FL_LOGGED
        if len(st) > 2:
            st[2] = -1
        if len(st) > 3:
            st[3] = 0
    return p


def _varint(blk, pos, v):
    # zigzag LEB128 of v at pos; -1 when it runs past the payload
    if v >= 0:
        u = v + v
    else:
        u = -v - v - 1
    while pos < PAY_END:
        if u < 0x80:
            blk[pos] = u
            return pos + 1
        blk[pos] = (u & 0x7F) | 0x80
        u >>= 7
        pos += 1
    return -1


@micropython.viper
def put_raw(blk, pos: int, src, soff: int, nval: int) -> int:
    """Copy ``nval`` int16 values of ``src`` (array('h')) from index ``soff`` to ``blk[pos:]``."""
    d = ptr8(blk)
    s = ptr16(src)
    i = soff
    e = soff + nval
    while i < e:
        v = s[i]
        d[pos] = v & 0xFF
        d[pos + 1] = (v >> 8) & 0xFF
        pos += 2
        i += 1
    return pos


@micropython.viper
def raw_dt(src, soff: int, nsamp: int) -> int:
    """Sum of the dt fields (1/16 ms, unsigned 16-bit) of ``nsamp`` raw samples of ``src`` from
    index ``soff``. A raw capture's block times are in the same unit (format version 2)."""
    s = ptr16(src)
    t = 0
    i = 0
    while i < nsamp:
        t += int(s[soff + i * 7]) & 0xFFFF
        i += 1
    return t


_DAY_2000 = const(730426)  # wall_minutes' day count for 2000-01-01


def wall_minutes(y, mo, d, h, mi):
    """Minutes since 2000-01-01 00:00 (UTC, as the header's wall clock) of a date and time; a
    small int (< 2**30) for two thousand years. Proleptic Gregorian days with the year starting
    in March, so a leap day is the year's last."""
    if mo <= 2:
        y -= 1
        mo += 12
    days = 365 * y + y // 4 - y // 100 + y // 400 + (153 * (mo - 3) + 2) // 5 + d - _DAY_2000
    return days * 1440 + h * 60 + mi


def header_minute(h):
    """The wall-clock start of a session header ``h`` (its first FIXED_HDR bytes) in
    ``wall_minutes``, or -1 when the clock had not been set (or ``h`` is no session header)."""
    if len(h) < FIXED_HDR or h[0:4] != MAGIC_SESSION:
        return -1
    yw = h[HDR_WALL] | (h[HDR_WALL + 1] << 8)
    if not yw & WALL_SET:
        return -1
    return wall_minutes(yw & (WALL_SET - 1), h[HDR_WALL + 2], h[HDR_WALL + 3], h[HDR_WALL + 4], h[HDR_WALL + 5])


def last_block_t(buf):
    """t_base (ms) of the last whole block in ``buf`` (a bytearray from a log's tail: sync, a
    length that fits, its CRC), or -1 when it holds none."""
    i = len(buf) - BLK_HDR - BLK_CRC
    while i >= 0:
        e = i + BLK_HDR + buf[i + 4]
        if buf[i] == _SYNC0 and buf[i + 1] == _SYNC1 and e + BLK_CRC <= len(buf):
            c = crc16(buf, i, e, 0xFFFF)
            if buf[e] == c & 0xFF and buf[e + 1] == c >> 8:
                # (the top byte masked: t_base < 2**30 ms, and no big int on the board)
                return buf[i + 5] | (buf[i + 6] << 8) | (buf[i + 7] << 16) | ((buf[i + 8] & 0x3F) << 24)
        i -= 1
    return -1


def session_name(n, ext):
    """File name of session ``n`` (1..SESSION_MAX): ``session_name(7, "hlg")`` = ``"S0007.hlg"``."""
    return "S%04d.%s" % (n, ext)


def session_of(name):
    """Session number of a log file name (``"S0007.hlg"`` -> 7), or -1 if ``name`` is not one.

    Only the names ``session_name`` makes: ``S``, ASCII digits (at least 4, no other leading
    zeros), 1..SESSION_MAX, ``.hlg`` or ``.raw``.
    """
    if not isinstance(name, str) or len(name) < 9 or len(name) > 13 or name[0] != "S":
        return -1
    if name[-4:] != ".hlg" and name[-4:] != ".raw":
        return -1
    d = name[1:-4]
    for c in d:
        if c < "0" or c > "9":
            return -1
    n = int(d)
    if n < 1 or n > SESSION_MAX or "%04d" % n != d:
        return -1
    return n


def header(magic, session, lsb_per_g, lsb_per_kdps, rate_hz, wall, fw, imu, meta):
    """The file header as bytes (allocates; once per file).

    ``wall``: (year, month, day, hour, minute, second, clock_set) in UTC or None (unknown);
    ``clock_set`` is 1 when the RTC had been set since power-up; ``meta``: JSON text.
    """
    fw = fw.encode()[:255]
    imu = imu.encode()[:255]
    meta = meta.encode()[:65535]
    n = FIXED_HDR + 1 + len(fw) + 1 + len(imu) + 2 + len(meta) + 2
    h = bytearray(n)
    h[0:4] = magic
    h[4] = VERSION
    h[5] = (session >> 16) & 0xFF
    _u(h, 6, n, 2)
    _u(h, 8, session & 0xFFFF, 2)
    _u(h, 10, BLOCK_MAX, 2)
    _u(h, 12, lsb_per_g, 4)
    _u(h, 16, lsb_per_kdps, 4)
    _u(h, 20, int(rate_hz * 1000 + 0.5), 4)
    if wall:
        _u(h, HDR_WALL, (wall[0] & 0x7FFF) | (WALL_SET if len(wall) > 6 and wall[6] else 0), 2)
        for i in range(1, 6):
            h[HDR_WALL + 1 + i] = wall[i]
    p = FIXED_HDR
    for s, w in ((fw, 1), (imu, 1), (meta, 2)):
        _u(h, p, len(s), w)
        p += w
        h[p : p + len(s)] = s
        p += len(s)
    _u(h, p, crc16(h, 0, p, 0xFFFF), 2)
    return bytes(h)


def _u(h, p, v, w):
    for i in range(w):
        h[p + i] = (v >> (8 * i)) & 0xFF
