"""Integer math for the detector: angles without floats (used once per stride, not per sample).

Every function takes and returns small ints (|v| < 2**30 on the ESP32) and allocates nothing.

- ``atan2_mdeg(y, x)``: angle of (x, y) in millidegrees (-180000..180000), CORDIC vectoring,
  accurate to ~0.005 deg for inputs up to 2**27.
- ``isqrt(n)``: floor(sqrt(n)) for 0 <= n < 2**30.
- ``pitch_mdeg(f, l, u)``: forward pitch of a gravity-up vector given in the body frame
  (forward, left, up): ``atan2(-f, sqrt(l*l + u*u))``, any common scale, millidegrees.
- ``roll_mdeg(l, u)``: roll about the forward axis, ``atan2(l, u)``, millidegrees.
"""
from micropython import const

# atan(2**-i) in millidegrees, i = 0..15
_ATAN = (45000, 26565, 14036, 7125, 3576, 1790, 895, 448, 224, 112, 56, 28, 14, 7, 3, 2)
_LIM = const(0x1000000)  # inputs are scaled below 2**24 so CORDIC growth (x1.65) stays < 2**26


def atan2_mdeg(y, x):
    """atan2(y, x) in millidegrees; (0, 0) gives 0."""
    if x == 0 and y == 0:
        return 0
    while x >= _LIM or x <= -_LIM or y >= _LIM or y <= -_LIM:
        x >>= 1
        y >>= 1
    # scale small vectors up for precision
    while -0x400000 < x < 0x400000 and -0x400000 < y < 0x400000:
        x <<= 1
        y <<= 1
    z = 0
    if x < 0:
        # rotate by 180 deg into the right half plane
        x = -x
        y = -y
        z = 180000
    i = 0
    for a in _ATAN:
        if y > 0:
            x, y = x + (y >> i), y - (x >> i)
            z += a
        else:
            x, y = x - (y >> i), y + (x >> i)
            z -= a
        i += 1
    if z > 180000:
        z -= 360000
    return z


def isqrt(n):
    """floor(sqrt(n)) for a non-negative small int."""
    if n <= 0:
        return 0
    x = n
    # (x + 1) >> 1, without x + 1: for n = 2**30 - 1 that is a heap big int on the ESP32
    y = (x >> 1) + (x & 1)
    while y < x:
        x = y
        y = (x + n // x) >> 1
    return x


def pitch_mdeg(f, l, u):
    """Forward pitch (millidegrees) of the gravity-up vector (f, l, u): atan2(-f, hypot(l, u))."""
    while f >= 0x4000 or f <= -0x4000 or l >= 0x4000 or l <= -0x4000 or u >= 0x4000 or u <= -0x4000:
        f >>= 1
        l >>= 1
        u >>= 1
    return atan2_mdeg(-f, isqrt(l * l + u * u))


def roll_mdeg(l, u):
    """Roll (millidegrees) of the gravity-up vector: atan2(l, u), the Euler roll about forward."""
    return atan2_mdeg(l, u)
