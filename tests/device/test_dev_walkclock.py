"""device/walkclock.py: a walking stride's time from the shape of its steps, on the dynamics ring.

A walk's vertical force repeats every stride; the triggers that end its steps do not fall on the
same point of it. The ring below holds a walker's force (a stride of ``T_MS``, its two steps
alike but for a small left-right difference), sampled at 100 Hz with jittered stamps, and the
function must find the stride's time from triggers that miss it by tens of ms, across lost
samples, and say nothing (0) where it cannot know.

Plain functions with asserts: pytest runs them under CPython, tests/device/test_device_micropython.py
runs the same file under the unix-port micropython (64- and 32-bit).
"""
import math
from array import array

import walkclock

T_MS = 1100.0        # the stride's true time, ms (109 steps/min)
RING = 512
MSK = RING - 1


def _force(t_ms):
    """A walker's vertical force, g: two humps a stride (double support), its trough between
    (single support), the feet a little apart (the stride's own harmonic)."""
    p = 2 * math.pi * t_ms / T_MS
    return 1.0 + 0.28 * math.sin(2 * p) + 0.09 * math.sin(4 * p + 1.0) + 0.04 * math.sin(6 * p + 0.3) \
        + 0.03 * math.sin(p + 0.5)


def _ring(n=450, rate=100.0, lost=(), offset_g=0.0):
    """The ring after ``n`` samples (indices 0..n-1 kept, those in ``lost`` not taken: the next
    sample's dt spans them), each stamped within +-0.4 ms of its period (a fixed pseudo-random
    jitter). Returns (the ring, each index's time in ms: None where lost, the next index)."""
    yb = array("i", bytes(4 * 3 * RING))
    times = []
    per = 1000.0 / rate
    prev = None
    ri = 0
    s = 7
    for i in range(n):
        s = (s * 1103515245 + 12345) & 0x7FFFFFFF
        t = i * per + ((s >> 8) % 801 - 400) / 1000.0
        if i in lost:
            times.append(None)
            continue
        dt16 = int(round((t - prev) * 16)) if prev is not None else int(per * 16)
        pv = int(round(4096 * (_force(t) + offset_g)))
        yb[(ri & MSK) * 3] = (dt16 << 16) | (pv & 0xFFFF)
        times.append((t, ri))
        prev = t
        ri += 1
    return yb, times, ri


def _index_near(times, t_ms):
    best = None
    for x in times:
        if x is not None and (best is None or abs(x[0] - t_ms) < abs(best[0] - t_ms)):
            best = x
    return best


def _time(yb, times, inow, t0, t1):
    """The function's stride time (ms) between the samples nearest ``t0`` and ``t1``, and the
    samples' own time apart (what the triggers alone would say)."""
    a, b = _index_near(times, t0), _index_near(times, t1)
    w = array("i", bytes(4 * walkclock.SCRATCH))
    tq = walkclock.stride_time(yb, 0, MSK, a[1], b[1], inow, w)
    return tq / 16.0, b[0] - a[0]


def test_a_stride_is_timed_by_its_shape_not_its_triggers():
    yb, times, inow = _ring()
    # triggers that miss the stride by -90..+90 ms: the match finds it within a millisecond
    for miss in (-90.0, -45.0, 0.0, 30.0, 75.0, 90.0):
        got, trig = _time(yb, times, inow, 1200.0, 1200.0 + T_MS + miss)
        assert abs(trig - (T_MS + miss)) < 6, (miss, trig)
        assert abs(got - T_MS) < 1.0, (miss, got)


def test_no_bias_of_its_own_arithmetic():
    # strides started at 40 points 2.5 ms apart (every phase of the samples): their mean error
    # is the parabola's and the interpolation's (-0.24 ms, 0.02 % of the stride); the vertex
    # and the shift floored, not rounded, shortened every stride by half a sixteenth of a
    # sample period more (0.4 ms at 100 Hz: a mean of -0.63)
    yb, times, inow = _ring()
    errs = []
    for k in range(40):
        t0 = 1150.0 + 2.5 * k
        got, _ = _time(yb, times, inow, t0, t0 + T_MS + 20.0)
        errs.append(got - T_MS)
    mean = sum(errs) / len(errs)
    assert abs(mean) < 0.4, mean


def test_lost_samples_and_a_steady_offset_do_not_move_it():
    # samples lost in both windows (up to three in a row: 40 ms holes), read on the ring's own clock
    lost = {95, 118, 119, 120, 132, 203, 204, 226, 230}
    yb, times, inow = _ring(lost=lost)
    got, _ = _time(yb, times, inow, 1200.0, 1200.0 + T_MS + 40.0)
    assert abs(got - T_MS) < 1.0, got
    # a force read 0.1 g high throughout (an accelerometer's offset): the same shape, the same time
    yb, times, inow = _ring(offset_g=0.1)
    got, _ = _time(yb, times, inow, 1200.0, 1200.0 + T_MS - 60.0)
    assert abs(got - T_MS) < 1.0, got


def test_it_says_nothing_where_it_cannot_know():
    yb, times, inow = _ring()
    w = array("i", bytes(4 * walkclock.SCRATCH))
    a = _index_near(times, 1200.0)[1]
    b = _index_near(times, 1200.0 + T_MS)[1]
    assert walkclock.stride_time(yb, 0, MSK, a, b, inow, w) > 0
    # the samples after the last step are not all in yet (LOOK_MS: 200 ms, 20 samples)
    assert walkclock.stride_time(yb, 0, MSK, a, b, b + 15, w) == 0
    assert walkclock.stride_time(yb, 0, MSK, a, b, b + 21, w) > 0
    # the first step's window has left the ring
    assert walkclock.stride_time(yb, 0, MSK, a, b, a + RING, w) == 0
    # triggers 150 ms off the stride: its shape lies outside the search (+-100 ms)
    c = _index_near(times, 1200.0 + T_MS + 150.0)[1]
    assert walkclock.stride_time(yb, 0, MSK, a, c, inow, w) == 0
    # a hole of 60 ms (five samples lost) in a window: not read across
    yb, times, inow = _ring(lost={112, 113, 114, 115, 116})
    a = _index_near(times, 1200.0)[1]
    b = _index_near(times, 1200.0 + T_MS)[1]
    assert walkclock.stride_time(yb, 0, MSK, a, b, inow, w) == 0
    # too short to be a stride
    assert walkclock.stride_time(yb, 0, MSK, a, a + 3, inow, w) == 0
    # a window reaching back before the ring's first sample (a session's first seconds: words of
    # dt 0 there): nothing
    yb, times, inow = _ring(n=150)
    a = _index_near(times, 150.0)[1]
    b = _index_near(times, 150.0 + T_MS)[1]
    assert walkclock.stride_time(yb, 0, MSK, a, b, inow, w) == 0
