"""Integer math for the detector: angles without floats (used once per stride, not per sample).

Every function takes and returns small ints (|v| < 2**30 on the ESP32) and allocates nothing.

- ``atan2_mdeg(y, x)``: angle of (x, y) in millidegrees (-180000..180000), CORDIC vectoring,
  accurate to ~0.005 deg for inputs up to 2**27.
- ``isqrt(n)``: floor(sqrt(n)) for 0 <= n < 2**30.
- ``pitch_mdeg(f, l, u)``: forward pitch of a gravity-up vector given in the body frame
  (forward, left, up): ``atan2(-f, sqrt(l*l + u*u))``, any common scale, millidegrees.
- ``roll_mdeg(l, u)``: roll about the forward axis, ``atan2(l, u)``, millidegrees.
- ``asin_mdeg(s)``: asin(s / 2**14) in millidegrees (|s| <= 2**14, clamped), e.g. of a Q14
  component of the up vector.
- ``cdeg(mdeg)``: millidegrees -> centidegrees, rounded half away from zero.
"""
from array import array

import micropython
from micropython import const

# atan(2**-i) in millidegrees, i = 0..15
_ATAN = array("i", (45000, 26565, 14036, 7125, 3576, 1790, 895, 448, 224, 112, 56, 28, 14, 7, 3, 2))
_LIM = const(0x1000000)  # inputs are scaled below 2**24 so CORDIC growth (x1.65) stays < 2**26
_LOW = const(0x400000)   # ... and above 2**22 for precision


@micropython.viper
def atan2_mdeg(y: int, x: int) -> int:
    """atan2(y, x) in millidegrees; (0, 0) gives 0. (viper: a stride's three angles in
    bytecode cost about as much as all its samples' filtering)"""
    if x == 0 and y == 0:
        return 0
    while x >= _LIM or x <= -_LIM or y >= _LIM or y <= -_LIM:
        x = x >> 1
        y = y >> 1
    # scale small vectors up for precision
    while x > -_LOW and x < _LOW and y > -_LOW and y < _LOW:
        x = x << 1
        y = y << 1
    z = 0
    if x < 0:
        # rotate by 180 deg into the right half plane
        x = -x
        y = -y
        z = 180000
    tab = ptr32(_ATAN)
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
    return z


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
    return int(atan2_mdeg(0 - f, int(isqrt(l * l + u * u))))


def roll_mdeg(l, u):
    """Roll (millidegrees) of the gravity-up vector: atan2(l, u), the Euler roll about forward."""
    return atan2_mdeg(l, u)


@micropython.viper
def asin_mdeg(s: int) -> int:
    """asin(s / 2**14) in millidegrees for |s| <= 2**14 (clamped). (viper: a stride takes a dozen)"""
    if s > 16384:
        s = 16384
    if s < -16384:
        s = -16384
    # floor(sqrt(2**28 - s*s)) as isqrt gives it: Newton from above, from 2**14 >= the root
    n = 268435456 - s * s
    x = 0
    if n > 0:
        x = 16384
        y = (x + n // x) >> 1
        while y < x:
            x = y
            y = (x + n // x) >> 1
    return int(atan2_mdeg(s, x))


@micropython.viper
def cdeg(mdeg: int) -> int:
    """Millidegrees -> centidegrees, rounded half away from zero."""
    if mdeg >= 0:
        return (mdeg + 5) // 10
    return 0 - ((5 - mdeg) // 10)
