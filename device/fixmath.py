"""Integer math for the detector: angles without floats (used once per stride, not per sample).

Every function takes and returns small ints (|v| < 2**30 on the ESP32) and allocates nothing.
The work is done over arrays of (y, x) pairs, so that a stride's dozen angles cost one call
(a call from viper or Python costs about as much as the CORDIC itself on the ESP32's port):

- ``atan2_pairs(v, i0, n)``: in place over n pairs from word i0: (v[i], v[i+1]) = (y, x) ->
  v[i] = atan2(y, x) in millidegrees (-180000..180000), CORDIC vectoring, accurate to ~0.005
  deg for inputs up to 2**27.
- ``asin_pairs(v, i0, n, c)``: in place: v[i] = s (Q14, |s| <= 2**14, clamped) -> v[i] =
  asin(s / c) in millidegrees (v[i+1] untouched; c = 2**14, or a cosine of 0-60 deg for a
  roll at that pitch), e.g. of a component of the up vector, from a table of sines every 0.5 deg.
- ``atan2_mdeg(y, x)``, ``asin_mdeg(s, c=2**14)``: one angle (through a preallocated scratch pair).
- ``isqrt(n)``: floor(sqrt(n)) for 0 <= n < 2**30.
- ``pitch_mdeg(f, l, u)``: forward pitch of a gravity-up vector given in the body frame
  (forward, left, up): ``atan2(-f, sqrt(l*l + u*u))``, any common scale, millidegrees.
- ``roll_mdeg(l, u)``: roll about the forward axis, ``atan2(l, u)``, millidegrees.
- ``asin_span_cdeg(hi, lo, c)``: asin(hi / c) - asin(lo / c) in centidegrees (a range of Q14
  components; c as asin_pairs').
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


# sin of 0, 0.5, 1, ..., 90 deg in Q24: round(sin(i * pi / 360) * 2**24), i = 0..180 (strictly
# increasing; a test checks every entry against math.sin), for asin_pairs
_SIN_Q24 = array("i", (
    0, 146407, 292803, 439176, 585516, 731812, 878052, 1024225, 1170319, 1316325, 1462231,
    1608025, 1753697, 1899235, 2044628, 2189866, 2334937, 2479830, 2624535, 2769039, 2913333,
    3057405, 3201244, 3344839, 3488179, 3631254, 3774052, 3916563, 4058776, 4200679, 4342263,
    4483516, 4624427, 4764987, 4905183, 5045006, 5184445, 5323489, 5462127, 5600350, 5738146,
    5875505, 6012416, 6148870, 6284856, 6420363, 6555381, 6689899, 6823909, 6957398, 7090358,
    7222778, 7354647, 7485957, 7616697, 7746856, 7876426, 8005396, 8133756, 8261496, 8388608,
    8515081, 8640905, 8766071, 8890570, 9014392, 9137527, 9259966, 9381700, 9502720, 9623016,
    9742579, 9861400, 9979470, 10096781, 10213322, 10329086, 10444063, 10558244, 10671622,
    10784187, 10895930, 11006844, 11116920, 11226149, 11334523, 11442034, 11548673, 11654434,
    11759306, 11863283, 11966357, 12068519, 12169763, 12270079, 12369461, 12467901, 12565392,
    12661926, 12757495, 12852093, 12945712, 13038346, 13129986, 13220627, 13310260, 13398880,
    13486480, 13573053, 13658592, 13743091, 13826543, 13908942, 13990283, 14070557, 14149760,
    14227886, 14304928, 14380881, 14455739, 14529495, 14602146, 14673684, 14744105, 14813402,
    14881572, 14948609, 15014507, 15079262, 15142868, 15205322, 15266617, 15326749, 15385715,
    15443509, 15500126, 15555564, 15609817, 15662880, 15714752, 15765426, 15814900, 15863169,
    15910231, 15956081, 16000715, 16044131, 16086326, 16127295, 16167036, 16205546, 16242822,
    16278861, 16313660, 16347217, 16379529, 16410594, 16440408, 16468971, 16496280, 16522332,
    16547127, 16570661, 16592933, 16613941, 16633685, 16652161, 16669370, 16685309, 16699977,
    16713374, 16725497, 16736348, 16745923, 16754223, 16761248, 16766996, 16771467, 16774661,
    16776577, 16777216))

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
def asin_pairs(vo, i0: int, n: int, c: int):
    """In place over ``n`` pairs from word ``i0`` of the array ``vo``: s (Q14, clamped to +-2**14)
    -> asin(s / c) in millidegrees, rounded; the pair's second word is left as it was. ``c``
    (Q14) is 2**14 for the plain arcsine, or the cosine of a pitch of 0-60 deg (8192..16383;
    any other value is taken as 2**14). (``vo`` is the array object, as the callers hold it: a
    pointer passed from viper is boxed.)

    Over a cosine, for a roll: the pelvis's roll (its frontal-plane angle, the hip drop) is the
    Cardan angle about its own forward axis, pitched forward by the lean, so the up vector in the
    body frame is (-sin p, cos p sin r, cos p cos r) and its left part h_L is cos(p) sin(r), not
    sin(r). Read as a sine as it is, a roll reads cos(p) of itself (1.5 % low at a lean of 10
    deg, 6 % at 20); asin(h_L / cos p) is the roll. s is first taken to s x 2**14 / c, rounded
    half away from zero, within 2**14 (|s| x 2**14 < 2**28).

    The angle whose sine is s, from a table of sines every 0.5 deg (_SIN_Q24): a binary search
    for the step that holds s, then the straight line between its two ends. Between table
    points the line misses the curve by at most (0.5 deg)^2 / 8 x tan(angle): within 1 mdeg of
    math.asin up to 45 deg, 3.3 up to 80 and 33 in the last degree before 90 (where the sine
    hardly moves), against the input's own step of 1/16384, 3.5 mdeg of angle at 0 and 20 at
    80 deg (a test checks every input). Eight halvings and one division, where atan2(s,
    sqrt(1 - s^2)) by CORDIC (6.6 mdeg) took a square root and 16 rotations: ~0.65k
    instructions an angle on the 32-bit port where that took ~2.3k, 13 angles a stride (the
    running dynamics' and the stride's roll), ~260 a sample (make bench: 5.14k -> 4.88k)."""
    v = ptr32(vo)
    tab = ptr32(_SIN_Q24)
    c30 = 1 << 29
    c30 = c30 << 1
    m31 = c30 | (c30 - 1)
    if c < 8192 or c > 16384:
        c = 16384
    k = i0
    e = i0 + 2 * n
    while k < e:
        s = ((v[k] + c30) & m31) - c30
        neg = 0
        if s < 0:
            s = 0 - s
            neg = 1
        if s > 16384:
            s = 16384
        if c < 16384:
            s = (s * 16384 + (c >> 1)) // c
            if s > 16384:
                s = 16384
        x = s << 10                  # Q24, <= 2**24 = _SIN_Q24[180]
        lo = 0                       # the last table point at or below x: 0..179
        hi = 180
        while hi - lo > 1:
            m = (lo + hi) >> 1
            if tab[m] <= x:
                lo = m
            else:
                hi = m
        a = tab[lo]
        dd = tab[lo + 1] - a         # 639..146407 (Q24 sine over 0.5 deg): > 0
        # (x - a) <= dd <= 146407, times 500 mdeg a step: < 2**27
        a = lo * 500 + ((x - a) * 500 + (dd >> 1)) // dd
        if neg:
            a = 0 - a
        v[k] = a
        k += 2


def atan2_mdeg(y, x):
    """atan2(y, x) in millidegrees; (0, 0) gives 0."""
    s = _SCR
    s[0] = y
    s[1] = x
    atan2_pairs(s, 0, 1)
    return s[0]


def asin_mdeg(s, c=16384):
    """asin(s / 2**14) in millidegrees for |s| <= 2**14 (clamped); with ``c`` (Q14), asin(s / c)
    (asin_pairs: a roll at a pitch whose cosine is c)."""
    v = _SCR
    v[0] = s
    asin_pairs(v, 0, 1, c)
    return v[0]


@micropython.viper
def asin_span_cdeg(hi: int, lo: int, c: int) -> int:
    """asin(hi / c) - asin(lo / c), centidegrees (cdeg's rounding), c Q14 (asin_pairs: a roll's
    span at a pitch whose cosine is c; 16384 for the plain arcsines): one call a stride."""
    v = ptr32(_SCR)
    v[0] = hi
    v[2] = lo
    asin_pairs(_SCR, 0, 2, c)
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
