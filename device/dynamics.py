"""Running dynamics of the pelvis, per step and per stride: contact time, vertical oscillation,
hip drop per side, pelvic tilt swing and the pitch at push-off.

The kernel (``kernel.run``) only stores, per sample, what it has anyway into a ring of ``RING``
samples after the heading buffer (``yb[S_BUFN + 3 * (i & S_RMSK)]``): ``(dt << 16) | (pv &
0xFFFF)`` (dt in 1/16 ms, clamped to the kernel's S_DTMAX; pv the vertical specific force, Q12 g),
then h_F and h_L (Q14: the forward and left components of the up vector in the body frame,
sin(pitch) and cos(pitch) sin(roll)). This module reads the ring once per step and once per
stride (viper, no allocation, every intermediate within +-2**30):

- **contact and toe-off** (per step): while running the body is airborne between steps (pv < 0.25
  g for >= 20 ms). In the air the sensor does not read 0 g: it sits on a lever behind the point
  the pelvis turns about, and the pelvis's rocking adds -0.5..+0.5 g there. So a contact is where
  the force's rise leaves the flight's own level b (its mean): the chord through the two samples
  around the rise's 0.5 g crossing (a level clear of the flight's wobble), followed back to b; a
  toe-off is the mirror image, the chord at the last falling 0.5 g crossing before the flight,
  followed on to b (each at most 60 ms). The rise must go on to 1 g (a bump in the flight is no
  landing). These are unbiased for a force that rises and falls linearly near its ends (the
  stance pulse's ends are: half-sine-like, steepest there, least curved), and the crossing times
  interpolate between samples, so the estimate does not snap to the sample grid (a chord at 0.5
  g, not a line through 0.5 g and 1 g: late in stance the force may linger near 1 g). An IMU
  sample is the chip's average over its period, centred half a period before its stamp: that
  delays contact and toe-off alike and cancels in their difference. Contact time = toe-off -
  contact of the same step (ms).
- **vertical oscillation** (per step): the pelvis's vertical travel within one step, from pv
  over the step (trigger to trigger: one period, any phase). By construction the step's mean
  vertical acceleration is zero (the body neither rises nor sinks from step to step: the step's
  mean specific force is 1 g) and its vertical velocity is periodic (zero mean: it returns to its
  height), so: a = pv - mean(pv); v = integral of a, minus its mean; z = integral of v; VO =
  max(z) - min(z). Time-weighted by each sample's dt (gaps and clock error included).
- **hip drop** (per step, so per side): the frontal-plane drop of the pelvis during the
  stance, from its roll at the contact to its most-dropped roll before the toe-off (the
  contralateral hip drops; the detector's stride runs right step then left, see detector.py).
- **tilt swing** (per stride): peak-to-peak pelvis pitch within the stride; **push-off pitch**:
  the pitch at the stride's two toe-offs (interpolated in time) minus the stride's mean pitch.
  Running too upright is compensated by arching the lower back at push-off (positive: tilted
  further forward than the stride mean).

Walking has no flight: contact time, hip drop and push-off pitch are then 0 (not measured);
vertical oscillation and tilt swing are measured for every stride.

Output: one ``EV_DYN`` event per stride, right after its STRIDE (events.py), in cdeg, mm, ms.
"""
import micropython
from micropython import const

import fixmath
from events import EV_DYN

RING = const(512)            # samples in the ring: a whole stride up to 2.5 s at 200 Hz
RING_WORDS = const(1536)     # 3 words per sample
# the belt clip sits on the sacrum, 8-15 cm behind the hip joint centres the pelvis turns about
# (Harrington et al. 2007): 11.5 cm, in z units (g/1.024e9 m) per h_F unit (1/16384):
# 0.115 / 16384 / 9.5768e-9 = 733; + because the sensor behind the axis rises as the pelvis
# tilts forward (h_F falls)
_LEVER = const(733)

_AIR = const(1024)           # 0.25 g (Q12): below it the runner is in the air (kernel.py)
_C05 = const(2048)           # 0.5 g (Q12): the crossing that sets a contact's and a toe-off's chord
_C10 = const(4096)           # 1 g: a rise that reaches it is a landing
_EXT_MAX = const(960)        # the line is extended at most 60 ms (1/16 ms) to the flight's level
_PACE_MAX = const(1920)      # a pace (1/16 ms per 0.5 g) that extends past _EXT_MAX from 1.5 g: clamp
_FLY = const(320)            # a flight counts after >= 20 ms below 0.25 g (1/16 ms, as kernel.py)
_BACK = const(6400)          # a step's contact lies within 400 ms before its trigger (1/16 ms)
_T_MAX = const(24000)        # windows up to 1.5 s (1/16 ms): keeps pv * time sums below 2**30
_V_MAX = const(32767)        # |v| clamp (units g/64000 m/s: 5 m/s, beyond any pelvis)
_Z_MM10 = const(6427)        # (z >> 10) * 6427 >> 16 = 0.1 mm: z unit g/1.024e9 m, g = 9.80665

# state slots (array('i'))
D_C29 = const(0)       # 2**29 (doubled into a viper word, as in kernel.py)
D_PREV = const(1)      # ring index of the previous step's trigger sample; -1 = none
D_SIDE = const(2)      # steps since the stride started (1 = right, 2 = left)
D_S0 = const(3)        # ring index of the stride's first trigger sample; -1 = none
# the last step (dynamics.step -> _scan): 1/16 ms, Q14, 0.1 mm
D_GCT = const(4)       # contact time, 1/16 ms (0 = no contact/toe-off found: walking)
D_RC = const(5)        # h_L at the contact, min and max of h_L over the stance (Q14)
D_RMIN = const(6)
D_RMAX = const(7)
D_PTO = const(8)       # h_F at the toe-off (Q14, interpolated)
D_VO = const(9)        # vertical oscillation, 0.1 mm
# the stride: right step at +0, left at +6 (GCT, RC, RMIN, RMAX, PTO, VO)
D_R = const(10)
D_L = const(16)
D_PMIN = const(22)     # stride: min, max and mean of h_F (Q14)
D_PMAX = const(23)
D_PMEAN = const(24)
D_JA = const(25)       # ring samples of the step's contact and the next one's (their 0.5 g crossings)
D_JB = const(26)
D_LEV = const(27)      # the sensor's lever behind the pelvis's turning point, z units per h_F unit
D_HM = const(28)       # _vo: the step's mean h_F (Q14), and the height's end (z units)
D_ZE = const(29)
D_PM = const(30)       # _vo: the step's mean pv (Q12 g)
D_SIZE = const(31)


@micropython.viper
def _scan(yb: ptr32, base: int, msk: int, i0: int, i1: int, ip: int, d: ptr32):
    """The step that ends at ring sample ``i1`` (its trigger; the previous trigger was ``ip``):
    its contact, toe-off, contact time, stance roll and toe-off pitch, from samples i0..i1."""
    c30 = d[D_C29] << 1
    m31 = c30 | (c30 - 1)
    d[D_GCT] = 0
    d[D_JA] = i0
    d[D_JB] = i0
    st = 0            # 0 before a flight, 1 flight, 2 rising (0.5 g seen), 3 stance
    tau = 0           # time of sample j from sample i0, 1/16 ms
    pvp = 0
    fly = 0           # time below _AIR in the current flight
    t05 = 0
    rf05 = 0
    tf05 = 0
    tc = -1           # the last contact (1/16 ms) and its first stance sample
    jc = 0
    ca = -1           # the step found: contact ca (sample ja) ... toe-off to (sample jt) ... cb
    ja = 0
    to = 0
    jt = 0
    tto = -1          # a toe-off waiting for the flight to prove itself
    jto = 0
    j05 = 0
    r05 = 0
    fs = 0            # sum of pv * dt over the flight (its level: the sensor's lever arm turning
    j = i0            # with the pelvis reads -0.5..+0.1 g there, and shifts both crossings alike)
    while j <= i1:
        w = yb[base + (j & msk) * 3]
        pv = ((w & 0xFFFF) ^ 0x8000) - 0x8000
        dt = (w >> 16) & 0xFFF
        if j > i0:
            tau += dt
        if st == 3:
            if pvp >= _C05 and pv < _C05:
                tf05 = tau - dt + ((pvp - _C05) * dt) // (pvp - pv)
                rf05 = (dt << 11) // (pvp - pv)      # the fall's pace there: 1/16 ms per 0.5 g
                if rf05 > _PACE_MAX:
                    rf05 = _PACE_MAX
                jto = j
            if pv < _AIR:
                tto = tf05       # finished once the flight's level is known (at the next contact)
                st = 1
                fly = 0
                fs = 0
        elif st == 0:
            if pv < _AIR:
                st = 1
                fly = 0
                fs = 0
        if st == 1:
            if pv < _AIR:
                fly += dt
                fs += pv * dt                # |pv| < 2**15, flight < 2**13 (1/16 ms): < 2**30
            elif pv >= _C05 and j > i0:
                if fly >= _FLY:
                    t05 = tau - dt + ((_C05 - pvp) * dt) // (pv - pvp)
                    r05 = (dt << 11) // (pv - pvp)   # the rise's pace: 1/16 ms per 0.5 g
                    if r05 > _PACE_MAX:
                        r05 = _PACE_MAX
                    j05 = j
                    st = 2
                elif tto >= 0:
                    st = 3          # a dip, not a flight: the stance goes on
                    tto = -1
        if st == 2:
            if pv >= _C10:
                # the flight's level b (Q12 g): the rise and the fall are extended along their
                # lines (0.5 g to 1 g) down to b, where the ground force is zero
                b = fs // fly
                if b > _AIR:
                    b = _AIR
                if b < -8192:
                    b = -8192                # (-2 g: far beyond any lever; keeps products < 2**30)
                x = (r05 * (_C05 - b)) >> 11
                if x > _EXT_MAX:
                    x = _EXT_MAX
                t = t05 - x
                if tc >= 0 and tto > tc:
                    x = (rf05 * (_C05 - b)) >> 11
                    if x < 0:
                        x = 0
                    if x > _EXT_MAX:
                        x = _EXT_MAX
                    if j > ip:
                        ca = tc
                        ja = jc
                        to = tto + x
                        jt = jto
                        d[D_JB] = j05
                tc = t
                jc = j05
                tto = -1
                rf05 = -1
                tf05 = tau
                st = 3
            elif pv < _C05:
                st = 1          # a bump in the flight (the lever arm's swing), not a landing
        pvp = pv
        j += 1
    if ca < 0 or to <= ca or jt <= ja:
        return
    d[D_GCT] = to - ca
    d[D_JA] = ja
    # roll at the contact (the last sample at or before it: the pelvis starts to drop as the
    # foot lands, faster than the force rises) and its range over the stance; pitch at the
    # toe-off, interpolated between the samples around it
    tau = 0
    rc = 0
    lo = 0
    hi = 0
    p0 = 0
    inside = 0
    j = i0
    while j <= i1:
        o = base + (j & msk) * 3
        dt = (yb[o] >> 16) & 0xFFF
        if j > i0:
            tau += dt
        r = ((yb[o + 2] + c30) & m31) - c30
        p1 = ((yb[o + 1] + c30) & m31) - c30
        if not inside and tau > ca and j > i0:
            inside = 1
            rc = ((yb[base + ((j - 1) & msk) * 3 + 2] + c30) & m31) - c30
            lo = rc
            hi = rc
        if inside:
            if r < lo:
                lo = r
            if r > hi:
                hi = r
            if tau >= to:
                x = to - (tau - dt)      # 1/16 ms from sample j-1 to the toe-off
                if dt > 0:
                    d[D_PTO] = p0 + ((p1 - p0) * x) // dt
                else:
                    d[D_PTO] = p1
                break
        p0 = p1
        j += 1
    if j > i1:
        d[D_PTO] = p0
    d[D_RC] = rc
    d[D_RMIN] = lo
    d[D_RMAX] = hi


@micropython.viper
def _mean(yb: ptr32, base: int, msk: int, i0: int, i1: int, d: ptr32) -> int:
    """Over ring samples i0+1..i1 (one step): the time-weighted mean of pv (Q12 g) into d[D_PM],
    the mean h_F (Q14) into d[D_HM]; returns the step's time (1/16 ms; 0 = none, or past 1.5 s)."""
    c30 = d[D_C29] << 1
    m31 = c30 | (c30 - 1)
    tt = 0
    s = 0
    sh = 0
    j = i0 + 1
    while j <= i1:
        w = yb[base + (j & msk) * 3]
        dt = (w >> 16) & 0xFFF
        if tt + dt > _T_MAX:
            return 0
        tt += dt
        s += (((w & 0xFFFF) ^ 0x8000) - 0x8000) * dt     # |pv| < 2**15, T < 24000: < 2**30
        sh += ((yb[base + (j & msk) * 3 + 1] + c30) & m31) - c30
        j += 1
    if tt <= 0:
        return 0
    d[D_PM] = (s + (tt >> 1)) // tt
    d[D_HM] = sh // (i1 - i0)
    return tt


def _vo(yb, base, i0, i1, d):
    """Vertical oscillation (0.1 mm) over ring samples i0+1..i1 (one step): the detrended double
    integral of pv (see the module docstring): the velocity's time-weighted mean is the height's
    end with no mean removed; then the height with it removed. (Viper calls viper through here:
    a viper function handing its ptr32 on would box the address, a big int on the ESP32.)"""
    tt = _mean(yb, base, RING - 1, i0, i1, d)
    if tt <= 0:
        return 0
    _height(yb, base, RING - 1, i0, i1, 0, d)
    return (_height(yb, base, RING - 1, i0, i1, d[D_ZE] // tt, d) * _Z_MM10) >> 16


@micropython.viper
def _height(yb: ptr32, base: int, msk: int, i0: int, i1: int, vm: int, d: ptr32) -> int:
    """The pelvis's height over ring samples i0+1..i1 from pv less its mean (d[D_PM], Q12 g), the
    velocity less ``vm``: returns (max - min) >> 10 and leaves its end value in d[D_ZE].

    Velocity in units g/64000 m/s (Q12 g x 1/16 ms >> 10), height in g/1.024e9 m."""
    c30 = d[D_C29] << 1
    m31 = c30 | (c30 - 1)
    lev = d[D_LEV]
    hm = ((d[D_HM] + c30) & m31) - c30
    m = ((d[D_PM] + c30) & m31) - c30
    v = 0
    z = 0
    lo = 0
    hi = 0
    j = i0 + 1
    while j <= i1:
        w = yb[base + (j & msk) * 3]
        dt = (w >> 16) & 0xFFF
        v += ((((w & 0xFFFF) ^ 0x8000) - 0x8000) - m) * dt
        x = v >> 10
        if x > _V_MAX:
            x = _V_MAX
        if x < -_V_MAX:
            x = -_V_MAX
        z += (x - vm) * dt                               # |x - vm| < 2**16, T < 24000: < 2**30
        # the sensor sits behind the point the pelvis turns about: its pitch rocking moves it
        # up and down by lever * sin(pitch) on top of the pelvis's own travel
        y = z + lev * ((((yb[base + (j & msk) * 3 + 1] + c30) & m31) - c30) - hm)
        if y < lo:
            lo = y
        if y > hi:
            hi = y
        j += 1
    d[D_ZE] = z
    z = (hi - lo) >> 10
    if z > 131071 or z < 0:
        z = 131071          # (13 m: no pelvis; keeps z * _Z_MM10 below 2**30)
    return z


@micropython.viper
def _pitch(yb: ptr32, base: int, msk: int, i0: int, i1: int, d: ptr32):
    """Min, max and mean of h_F over ring samples i0+1..i1 (one stride), Q14."""
    c30 = d[D_C29] << 1
    m31 = c30 | (c30 - 1)
    lo = 16384
    hi = -16384
    s = 0
    n = 0
    j = i0 + 1
    while j <= i1:
        p = ((yb[base + (j & msk) * 3 + 1] + c30) & m31) - c30
        if p < lo:
            lo = p
        if p > hi:
            hi = p
        s += p                                            # |p| <= 2**14, n <= 512: < 2**30
        n += 1
        j += 1
    if n <= 0:
        lo = 0
        hi = 0
        n = 1
    d[D_PMIN] = lo
    d[D_PMAX] = hi
    d[D_PMEAN] = s // n


class Dynamics:
    """Per-step and per-stride running dynamics from the kernel's ring (see the module docstring)."""

    def __init__(self, ring_base):
        self.base = ring_base
        self.d = array_i(D_SIZE)
        self.d[D_C29] = 1 << 29
        self.d[D_LEV] = _LEVER
        self.swing = 0            # the last stride's tilt swing and mean hip drop, cdeg (0 = none)
        self.drop = 0
        self.reset()

    def reset(self):
        """A new session or a break in the gait: no previous step."""
        d = self.d
        d[D_PREV] = -1
        d[D_S0] = -1
        d[D_SIDE] = 0

    def step(self, yb, ri):
        """A step's trigger at ring sample ``ri``: measure the step that ended there."""
        d = self.d
        ip = d[D_PREV]
        d[D_PREV] = ri
        d[D_SIDE] += 1
        k = d[D_SIDE]
        if ip < 0 or k > 2 or ri - ip <= 1 or ri - ip >= RING:
            return
        # the window starts 400 ms before the previous trigger (its contact lies there)
        i0 = _back(yb, self.base, RING - 1, ip, ri - RING + 1, d)
        _scan(yb, self.base, RING - 1, i0, ri, ip, d)
        # the step's bounce over one period: contact to contact while running (the same phase
        # on both feet), trigger to trigger when walking
        if d[D_GCT]:
            d[D_VO] = _vo(yb, self.base, d[D_JA] - 1, d[D_JB] - 1, d)
        else:
            d[D_VO] = _vo(yb, self.base, ip, ri, d)
        o = D_R if k == 1 else D_L
        i = 0
        while i < 6:
            d[o + i] = d[D_GCT + i]
            i += 1
        if not d[D_GCT]:
            d[o + 1] = 0
            d[o + 2] = 0
            d[o + 3] = 0

    def stride_start(self, ri):
        """A stride begins at ring sample ``ri`` (its first trigger)."""
        d = self.d
        d[D_S0] = ri
        d[D_SIDE] = 0
        i = 0
        while i < 6:
            d[D_R + i] = 0
            d[D_L + i] = 0
            i += 1

    def stride_end(self, q, t, yb, ri):
        """The stride ends at ring sample ``ri`` (time ``t``): push its EV_DYN (events.py)."""
        d = self.d
        s0 = d[D_S0]
        self.swing = 0
        self.drop = 0
        if s0 < 0 or ri - s0 >= RING or ri - s0 < 2:
            return
        _pitch(yb, self.base, RING - 1, s0, ri, d)
        swing = _cdeg(fixmath.asin_mdeg(d[D_PMAX]) - fixmath.asin_mdeg(d[D_PMIN]))
        push = 0
        if d[D_R] and d[D_L]:
            # pitch forward = -asin(h_F) (fixmath.pitch_mdeg)
            m = fixmath.asin_mdeg(d[D_PMEAN])
            push = _cdeg(m - (fixmath.asin_mdeg(d[D_R + 4]) + fixmath.asin_mdeg(d[D_L + 4])) // 2)
        dl = _drop(d, D_L)
        dr = _drop(d, D_R)
        self.swing = swing
        self.drop = (dl + dr) >> 1 if dl and dr else 0
        q.push(EV_DYN, t, swing, push, dl, dr, _mm(d[D_L + 5]) * 1024 + _mm(d[D_R + 5]), _ms(d[D_L]) * 2048 + _ms(d[D_R]))


def _drop(d, o):
    """Hip drop of the step at slot ``o``, cdeg: how far the pelvis rolled from its roll at the
    contact during the stance (the contralateral hip drops: a right stance rolls the pelvis to
    the left, h_L falls; a left stance the mirror). The larger excursion either way, so the value
    holds whichever foot the detector names (its naming, detector.py, only labels it)."""
    if not d[o]:
        return 0
    rc = fixmath.asin_mdeg(d[o + 1])
    x = rc - fixmath.asin_mdeg(d[o + 2])
    y = fixmath.asin_mdeg(d[o + 3]) - rc
    return _cdeg(x if x > y else y)


def _mm(v10):
    """0.1 mm -> mm (0..1023)."""
    v = (v10 + 5) // 10
    return 1023 if v > 1023 else v


def _ms(q16):
    """1/16 ms -> ms (0..2047)."""
    v = (q16 + 8) >> 4
    return 2047 if v > 2047 else v


_cdeg = fixmath.cdeg


@micropython.viper
def _back(yb: ptr32, base: int, msk: int, ip: int, lim: int, d: ptr32) -> int:
    """The ring sample _BACK (1/16 ms) before sample ``ip``, not before ``lim``."""
    t = 0
    j = ip
    while j > lim and t < _BACK:
        t += (yb[base + (j & msk) * 3] >> 16) & 0xFFF
        j -= 1
    return j


def array_i(n):
    """A zeroed array('i') of ``n`` slots (once, at start-up)."""
    from array import array
    return array("i", bytes(4 * n))
