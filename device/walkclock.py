"""A walking (or grounded running) stride's time from the shape of its steps, matched on the ring.

A running stride is timed by the contacts that end its flights (kernel.py); a walk has no
flight, and its steps are timed by the step trigger: the vertical force low-passed at ~4 Hz
crossing a level on the rise into double support. Where that crossing falls moves with each
step's force shape (a softer heel strike, a longer double support) by tens of ms, and a stride's
time is the difference of two such crossings (IPOL's 19 walkers, 1288 strides timed against
their foot sensors' heel strikes: 0.86 spm median, 4.37 spm at the 90th percentile).

A stride is one step of each foot, so the force around its last step repeats the force around
its first, a stride's time later. :func:`stride_time` finds that time as the shift that matches
the two best: the sum of squared differences of the ring's vertical force (pv, kernel.py) over a
window around the first step's trigger against the same window a stride on, for each shift
within +-``DM_MS`` of the triggers' own stride time, its minimum refined to a sixteenth of a
sample period (a parabola through it and its neighbours). Both windows are read on a grid of the
stride's mean sample period from the ring's own clock (each sample's dt), between the samples
around each point, so lost samples and jittered stamps do not move the shift. The window holds
the step's shape: from late single support, where the force is lowest as the body vaults over
the stance leg (``W0_MS`` before the trigger), through the heel strike and the loading, to the
peak of double support (``W1_MS`` after it). What the match reads is where the whole shape lies,
not where one level is crossed: the same 1288 strides read 0.61 / 2.45 spm (README, "Walking
strides", for every world's figures).

The window and the search are physical, not fitted: a walking step lasts 430-750 ms (80-140
steps/min), its single support's low lies about half a step (215-375 ms) before the
double-support rise that fires the trigger, and the loading ends within ~100 ms of it. The
trigger's stride time misses the heel strikes' by up to 70-90 ms on some walkers (IPOL person
12: 72 ms), so the search reaches 100 ms either way; the other foot's step, which a match
could also find, lies 430 ms or more away. Moved (250-350 ms before, 100-150 after, a search of
80-150 ms) IPOL's figures stay within 0.61-0.64 / 2.26-2.95 spm; a window that stops 50 ms
after the trigger misses the loading's peak (p90 2.99-3.39).

Walking strides use it (detector.py), and running strides with no flight (grounded: a slow
jog, a shuffle) or with a contact at one end only, timed by the same trigger for want of
contacts at both ends, the window holding their step as it holds a walker's (the force's low,
the flight or where a flight would be, half a step of 360-430 ms before the rise that fires
the trigger). It needs ``LOOK_MS`` of samples after the stride's last trigger, so such a
stride is reported that much later (and coached then); a running stride with contacts at both
ends is timed by them, which need none. No float, no allocation (the
caller's scratch, ``SCRATCH`` words); every product below 2**30 (each squared difference
< 2**22, at most ``_NMAX`` of them summed); the same bits on every engine (a scratch word is
kept >= 0: a ptr32 load zero-extends on a 64-bit port).
"""
import micropython
from micropython import const

W0_MS = const(300)      # the window starts this long before a step's trigger (late single support)
W1_MS = const(100)      # ... and ends this long after it (the end of the loading)
DM_MS = const(100)      # the shifts searched, either side of the triggers' stride time
LOOK_MS = const(200)    # W1_MS + DM_MS: the samples needed after the stride's last trigger
_NMAX = const(128)      # grid points a window may hold (300 + 100 ms at the board's top rate, 208 Hz: 84)
SCRATCH = const(320)    # words of scratch the caller gives: a window and the other with its shifts
_PMAX = const(1000)     # sample periods past 62.5 ms (16 Hz, 1/16 ms) hold no step's shape
_HOLE = const(800)      # a hole in the samples past 50 ms (1/16 ms) in a window: not read across
_DMAX = const(8191)     # the force difference is clamped to +-2 g (Q12) before it is squared


@micropython.viper
def _grid(yb: ptr32, bufn: int, rmsk: int, i: int, back: int, m: int, per: int, out: ptr32, o: int,
          inow: int) -> int:
    """The ring's vertical force (Q12 g, + 2**15) at ``m`` points ``per`` apart (1/16 ms) from
    ``back`` before ring sample ``i``'s time, read between the samples around each point
    (linear), into ``out[o..o+m-1]``. 1 if done; 0 where a point lies outside the ring's samples
    or across a hole past ``_HOLE`` (lost samples)."""
    c = i
    u = 0 - back                    # the point's time less sample c's
    while u < 0:
        # back sample by sample, within the ring's samples: a ring not yet filled (the session's
        # first seconds) holds words of dt 0 before its first sample, which the walk would
        # otherwise cross, round the whole ring, before the check below said no
        if ((inow - c) & 0x3FFFFFFF) > rmsk:
            return 0
        dt = yb[bufn + (c & rmsk) * 3] >> 16
        if dt > _HOLE or dt <= 0:
            return 0
        u += dt
        c = (c - 1) & 0x3FFFFFFF
    if ((inow - c) & 0x3FFFFFFF) > rmsk:
        return 0
    k = 0
    while k < m:
        n1 = (c + 1) & 0x3FFFFFFF
        if n1 == (inow & 0x3FFFFFFF):
            return 0
        dt = yb[bufn + (n1 & rmsk) * 3] >> 16
        if dt > _HOLE or dt <= 0:
            return 0
        if u >= dt:
            u -= dt
            c = n1
            continue
        x0 = ((yb[bufn + (c & rmsk) * 3] & 0xFFFF) ^ 0x8000) - 0x8000
        x1 = ((yb[bufn + (n1 & rmsk) * 3] & 0xFFFF) ^ 0x8000) - 0x8000
        e = x1 - x0
        if e > _DMAX:
            e = _DMAX
        if e < -_DMAX:
            e = -_DMAX
        x0 += (e * u) // dt             # |e| < 2**13, u < dt <= _HOLE < 2**10: < 2**23
        if x0 > 32767:
            x0 = 32767
        if x0 < -32767:
            x0 = -32767
        out[o + k] = x0 + 32768         # kept >= 0: a ptr32 word reads back zero-extended on a 64-bit port
        u += per
        k += 1
    return 1


@micropython.viper
def stride_time(ybo, bufn: int, rmsk: int, i0: int, i1: int, inow: int, wo) -> int:
    """The stride from ring sample ``i0`` (its first step's trigger) to ``i1`` (its last
    step's), its time in 1/16 ms as the shift that best matches the force around the two steps;
    0 where it cannot be found: fewer than ``LOOK_MS`` of samples after ``i1`` (``inow``: the
    ring index of the next sample) or a window's samples gone from the ring, a hole in the
    samples past 50 ms in a window, a window past ``_NMAX`` points, or no minimum inside the
    search (the shape did not repeat within +-``DM_MS``: a turn, a stumble). Each window is read
    on a grid of the stride's mean sample period from the ring's own clock (lost samples,
    jittered stamps: the shift is in time, not in samples). Ring indices are the kernel's
    free-running ones (S_RI, wrapping at 2**30); ``rmsk`` the ring's size - 1
    (dynamics.RING); ``wo`` ``SCRATCH`` words of the caller's (array('i'); the ring ``ybo`` too:
    objects, passed on as they came to _grid)."""
    yb = ptr32(ybo)
    w = ptr32(wo)
    n = (i1 - i0) & 0x3FFFFFFF
    if n < 4 or n > rmsk:
        return 0
    # the stride's time on the ring's own clock: each sample's dt (1/16 ms) is the time since
    # the one before it
    tq = 0
    j = i0 + 1
    while j != ((i1 + 1) & 0x3FFFFFFF):
        tq += yb[bufn + (j & rmsk) * 3] >> 16
        j = (j + 1) & 0x3FFFFFFF
    per = tq // n                       # the mean sample period, 1/16 ms
    if per < 16 or per > _PMAX:
        return 0
    a = (W0_MS * 16) // per
    b = (W1_MS * 16) // per
    dm = (DM_MS * 16) // per
    if dm < 1:
        dm = 1
    m = a + b + 1
    if m > _NMAX:
        return 0
    # the first step's window at w[0..m-1], the last step's with its shifts after it
    if int(_grid(ybo, bufn, rmsk, i0, a * per, m, per, wo, 0, inow)) == 0:
        return 0
    if int(_grid(ybo, bufn, rmsk, i1, (a + dm) * per, m + 2 * dm, per, wo, m, inow)) == 0:
        return 0
    best = -1
    bk = 0
    bp = 0
    br = 0
    prev = 0
    want = 0
    d = 0
    while d <= 2 * dm:
        s = 0
        k = 0
        while k < m:
            e = w[k] - w[m + d + k]
            if e > _DMAX:
                e = _DMAX
            if e < -_DMAX:
                e = -_DMAX
            e = e >> 2                  # Q10 g, |e| < 2**11: e * e < 2**22, _NMAX of them < 2**29
            s += e * e
            k += 1
        if want:
            br = s
            want = 0
        if best < 0 or s < best:
            best = s
            bk = d
            bp = prev
            want = 1
        prev = s
        d += 1
    if bk == 0 or bk == 2 * dm:
        return 0                        # no minimum inside the search
    # the parabola through the minimum and its neighbours: its vertex, 1/16 of a period
    p = bp >> 4
    q = best >> 4
    r = br >> 4
    den = p - 2 * q + r
    f = 0
    if den > 0:
        # rounded to the nearest sixteenth (a floor would shorten every stride by half a
        # sixteenth of a period on average): |p - r| < 2**25, x 16 < 2**29; within +-8
        f = ((p - r) * 16 + den) // (2 * den)
    return tq + (bk - dm) * per + ((f * per + 8) >> 4)
