"""Integer math for the detector: angles without floats (used once per stride, not per sample).

Every function takes and returns small ints (|v| < 2**30 on the ESP32) and allocates nothing.
The work is done over arrays of (y, x) pairs, so that a stride's dozen angles cost one call
(a call from viper or Python costs about as much as the CORDIC itself on the ESP32's port):

- ``atan2_pairs(v, i0, n)``: in place over n pairs from word i0: (v[i], v[i+1]) = (y, x) ->
  v[i] = atan2(y, x) in millidegrees (-180000..180000), CORDIC vectoring, accurate to ~0.005
  deg for inputs up to 2**27.
- ``asin_pairs(v, i0, n)``: in place: v[i] = s (Q14, |s| <= 2**14, clamped) -> v[i] =
  asin(s / 2**14) in millidegrees (v[i+1] is scratch), e.g. of a component of the up vector.
- ``atan2_mdeg(y, x)``, ``asin_mdeg(s)``: one angle (through a preallocated scratch pair).
- ``isqrt(n)``: floor(sqrt(n)) for 0 <= n < 2**30.
- ``pitch_mdeg(f, l, u)``: forward pitch of a gravity-up vector given in the body frame
  (forward, left, up): ``atan2(-f, sqrt(l*l + u*u))``, any common scale, millidegrees.
- ``roll_mdeg(l, u)``: roll about the forward axis, ``atan2(l, u)``, millidegrees.
- ``asin_span_cdeg(hi, lo)``: asin(hi) - asin(lo) in centidegrees (a range of Q14 components).
- ``cdeg(mdeg)``: millidegrees -> centidegrees, rounded half away from zero.
- ``sin_q14(mdeg)``: sin of an angle in millidegrees, Q14 (for a pose kept as angles).
"""
from array import array

import micropython
from micropython import const

# atan(2**-i) in millidegrees, i = 0..15
_ATAN = array("i", (45000, 26565, 14036, 7125, 3576, 1790, 895, 448, 224, 112, 56, 28, 14, 7, 3, 2))
_LIM = const(0x1000000)  # inputs are scaled below 2**24 so CORDIC growth (x1.65) stays < 2**26
_LOW = const(0x400000)   # ... and above 2**22 for precision


_SCR = array("i", bytes(4 * 4))   # two scratch pairs for the one-angle forms (no allocation per call)


@micropython.viper
def atan2_pairs(v: ptr32, i0: int, n: int):
    """In place over ``n`` pairs from word ``i0``: (y, x) -> atan2(y, x) in millidegrees into the
    pair's first word; (0, 0) gives 0."""
    c30 = 1 << 29
    c30 = c30 << 1        # 2**30 (as a literal the compiler would make it a heap int on 32-bit ports)
    m31 = c30 | (c30 - 1)
    tab = ptr32(_ATAN)
    k = i0
    e = i0 + 2 * n
    while k < e:
        y = ((v[k] + c30) & m31) - c30      # ptr32 loads zero-extend on 64-bit ports: sign-extend
        x = ((v[k + 1] + c30) & m31) - c30
        z = 0
        if x != 0 or y != 0:
            while x >= _LIM or x <= -_LIM or y >= _LIM or y <= -_LIM:
                x = x >> 1
                y = y >> 1
            # scale small vectors up for precision
            while x > -_LOW and x < _LOW and y > -_LOW and y < _LOW:
                x = x << 1
                y = y << 1
            if x < 0:
                # rotate by 180 deg into the right half plane
                x = -x
                y = -y
                z = 180000
            i = 0
            while i < 16:
                a = tab[i]
                if y > 0:
                    t = x + (y >> i)
                    y = y - (x >> i)
                    x = t
                    z += a
                else:
                    t = x - (y >> i)
                    y = y + (x >> i)
                    x = t
                    z -= a
                i += 1
            if z > 180000:
                z -= 360000
        v[k] = z
        k += 2


@micropython.viper
def asin_pairs(vo, i0: int, n: int):
    """In place over ``n`` pairs from word ``i0`` of the array ``vo``: s (Q14, clamped to +-2**14)
    -> asin(s / 2**14) in millidegrees; the pair's second word is scratch. (``vo`` is the array
    object, handed on to atan2_pairs as it is: a pointer passed from viper would be boxed.)"""
    v = ptr32(vo)
    c30 = 1 << 29
    c30 = c30 << 1
    m31 = c30 | (c30 - 1)
    k = i0
    e = i0 + 2 * n
    while k < e:
        s = ((v[k] + c30) & m31) - c30
        if s > 16384:
            s = 16384
        if s < -16384:
            s = -16384
        v[k] = s
        # floor(sqrt(2**28 - s*s)) as isqrt gives it: Newton from above, from 2**14 >= the root
        m = 268435456 - s * s
        x = 0
        if m > 0:
            x = 16384
            y = (x + m // x) >> 1
            while y < x:
                x = y
                y = (x + m // x) >> 1
        v[k + 1] = x
        k += 2
    atan2_pairs(vo, i0, n)


def atan2_mdeg(y, x):
    """atan2(y, x) in millidegrees; (0, 0) gives 0."""
    s = _SCR
    s[0] = y
    s[1] = x
    atan2_pairs(s, 0, 1)
    return s[0]


def asin_mdeg(s):
    """asin(s / 2**14) in millidegrees for |s| <= 2**14 (clamped)."""
    v = _SCR
    v[0] = s
    asin_pairs(v, 0, 1)
    return v[0]


@micropython.viper
def asin_span_cdeg(hi: int, lo: int) -> int:
    """asin(hi / 2**14) - asin(lo / 2**14), centidegrees (cdeg's rounding): one call a stride."""
    v = ptr32(_SCR)
    v[0] = hi
    v[2] = lo
    asin_pairs(_SCR, 0, 2)
    c30 = 1 << 29
    c30 = c30 << 1
    m31 = c30 | (c30 - 1)
    m = (((v[0] + c30) & m31) - c30) - (((v[2] + c30) & m31) - c30)
    if m >= 0:
        return (m + 5) // 10
    return 0 - ((5 - m) // 10)


@micropython.viper
def isqrt(n: int) -> int:
    """floor(sqrt(n)) for 0 <= n < 2**30 (Newton from above; no value passes n + 1)."""
    if n <= 0:
        return 0
    x = n
    y = (x >> 1) + (x & 1)
    while y < x:
        x = y
        y = (x + n // x) >> 1
    return x


@micropython.viper
def pitch_mdeg(f: int, l: int, u: int) -> int:
    """Forward pitch (millidegrees) of the gravity-up vector (f, l, u): atan2(-f, hypot(l, u))."""
    while f >= 0x4000 or f <= -0x4000 or l >= 0x4000 or l <= -0x4000 or u >= 0x4000 or u <= -0x4000:
        f = f >> 1
        l = l >> 1
        u = u >> 1
    v = ptr32(_SCR)
    v[0] = 0 - f
    v[1] = int(isqrt(l * l + u * u))
    atan2_pairs(_SCR, 0, 1)
    c30 = 1 << 29
    c30 = c30 << 1
    m31 = c30 | (c30 - 1)
    return ((v[0] + c30) & m31) - c30


def roll_mdeg(l, u):
    """Roll (millidegrees) of the gravity-up vector: atan2(l, u), the Euler roll about forward."""
    return atan2_mdeg(l, u)


@micropython.viper
def cdeg(mdeg: int) -> int:
    """Millidegrees -> centidegrees, rounded half away from zero."""
    if mdeg >= 0:
        return (mdeg + 5) // 10
    return 0 - ((5 - mdeg) // 10)


def sin_q14(mdeg):
    """sin(mdeg / 1000 deg), Q14 (2**14 = 1), for |mdeg| <= 180000: folded into +-90 deg, then
    the Taylor series to x**9 (its remainder at 90 deg is 1.6e-4, under 3 LSB; within 2 LSB at
    the angles a pose has). Not for the per-sample path."""
    if mdeg > 90000:
        mdeg = 180000 - mdeg
    elif mdeg < -90000:
        mdeg = -180000 - mdeg
    x = (mdeg * 4685 + 8192) >> 14            # Q14 rad: pi / 180000 * 2**14 = 0.28596 ~ 4685 / 2**14
    x2 = (x * x) >> 14                        # <= 40426
    t = 16384 - x2 // 72                      # 1 - x^2 / (8 * 9) ...
    t = 16384 - ((x2 * t) >> 14) // 42
    t = 16384 - ((x2 * t) >> 14) // 20
    t = 16384 - ((x2 * t) >> 14) // 6
    return (x * t) >> 14
