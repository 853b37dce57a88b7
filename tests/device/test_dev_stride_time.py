"""Stride timing: the landing-shape regression, the choice of the steadier clock, a flight's bump,
a step lost in a gap of the samples.

Plain functions with asserts: pytest runs them under CPython, tests/device/test_device_micropython.py
runs the same file under the unix-port micropython (64- and 32-bit).
"""
from array import array

import config
import detector
import kernel
import synth
from events import EV_STRIDE

T_MS = 700          # the true stride time of the strides below


class _Rand:
    """A small LCG (the same numbers on every engine)."""

    def __init__(self, seed):
        self.s = seed

    def next(self, n):
        self.s = (self.s * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.s >> 8) % n


def _state():
    st = array("i", bytes(4 * kernel.S_SIZE))
    st[kernel.S_C29] = 1 << 29
    st[kernel.S_X0] = -1
    st[kernel.S_RISE] = -1
    return st


def _clocks(n, onset_err, trig_err, rise, seed=1, report_rise=True, kink_err=None, st=None):
    """Run ``n`` strides through stride_mark/stride_time. Each step: true contact ``tc`` (ms), its
    contact onset ``tc + onset_err(r, x)`` and trigger crossing ``tc + 40 + trig_err(r)`` (ms, r a
    _Rand), the rise time ``x = rise(r)`` (ms; < 0: none; told to the kernel if ``report_rise``),
    and where ``kink_err`` is given its contact's kink at ``tc + kink_err(r, x)``. Returns the
    stride times (ms) the kernel gives, one per stride (``st``: the kernel state, for a look)."""
    r = _Rand(seed)
    if st is None:
        st = _state()
    out = []
    tc = 1000

    def step(tc):
        x = rise(r)
        on = tc + onset_err(r, x)
        tr = tc + 40 + trig_err(r)
        t = tr + 1                          # the step event comes a little after its trigger
        st[kernel.S_TFRAC] = 16             # the trigger crossing lies 1 ms before t
        st[kernel.S_FID] = 1
        st[kernel.S_RISE] = x * 16 if x >= 0 and report_rise else -1
        if kink_err is not None:
            st[kernel.S_KF] = (t - tc - kink_err(r, x)) * 16
            st[kernel.S_KOK] = 1
        return t, (t - on) * 16

    t, frac = step(tc)
    kernel.stride_mark(st, t, frac)
    for _ in range(n):
        tc += T_MS + r.next(7) - 3          # the runner's own stride-to-stride variation, +-3 ms
        t, frac = step(tc)
        out.append(kernel.stride_time(st, t, frac, 0) / 16)
        kernel.stride_mark(st, t, frac)
    return out


def _errs(out, skip):
    return sorted(abs(d - T_MS) for d in out[skip:])


def test_landing_shape_bias_is_learned_and_removed():
    # heel strikes on some steps (rise 2 ms), soft landings on others (rise 12 ms); the contact
    # onset lands 1.5 rise times late (a rise that starts slowly): 15 ms between the two kinds.
    # The triggers scatter by +-15 ms, so neither clock is good as it stands.
    args = (400, lambda r, x: (3 * x) // 2, lambda r: r.next(31) - 15, lambda r: 2 if r.next(2) else 12)
    blind = _errs(_clocks(*args, report_rise=False), 200)
    late = _errs(_clocks(*args), 200)
    assert blind[len(blind) * 9 // 10] >= 12, blind[len(blind) * 9 // 10]   # the bias, unlearned
    assert late[len(late) // 2] <= 3, late[len(late) // 2]
    assert late[len(late) * 9 // 10] <= 6, late[len(late) * 9 // 10]
    # and it is learned within the first minute (~80 strides)
    soon = _errs(_clocks(*args)[20:80], 0)
    assert soon[len(soon) * 9 // 10] <= 6, soon[len(soon) * 9 // 10]


def test_the_kinks_landing_shape_bias_is_learned_and_removed():
    # the kink leads (the onsets scatter by +-20 ms, the triggers by +-15); heel strikes on some
    # steps (rise 2 ms), soft landings on others (12 ms), and the corner lies later on the soft
    # ones by 0.8 of the rise time (a rise that starts slowly spreads its slope increases over
    # later samples): 8 ms between the two kinds, which its own regression learns and takes out
    args = (400, lambda r, x: r.next(41) - 20, lambda r: r.next(31) - 15, lambda r: 2 if r.next(2) else 12)
    kink = lambda r, x: (4 * x) // 5      # noqa: E731
    st = _state()
    blind = _errs(_clocks(*args, report_rise=False, kink_err=kink), 200)
    late = _errs(_clocks(*args, kink_err=kink, st=st), 200)
    assert st[kernel.S_CLK] == 2                                             # the kink's clock
    assert blind[len(blind) * 9 // 10] >= 8, blind[len(blind) * 9 // 10]   # the bias, unlearned
    assert late[len(late) // 2] <= 3, late[len(late) // 2]
    assert late[len(late) * 9 // 10] <= 5, late[len(late) * 9 // 10]
    # its slope: 0.8, Q8
    assert abs(st[kernel.S_KRB] - 205) <= 20, st[kernel.S_KRB]


def test_no_correction_without_a_shape_bias():
    # onsets right whatever the landing: the slope stays near zero, nothing gets worse
    out = _clocks(300, lambda r, x: 0, lambda r: r.next(31) - 15, lambda r: 2 + r.next(20))
    e = _errs(out, 50)
    assert e[len(e) // 2] <= 3 and e[len(e) * 9 // 10] <= 5, (e[len(e) // 2], e[len(e) * 9 // 10])


def test_the_steadier_clock_is_used():
    # contact onsets scattered by +-20 ms (no rise measured: nothing to learn), triggers steady
    noisy_onsets = _clocks(200, lambda r, x: r.next(41) - 20, lambda r: r.next(3) - 1, lambda r: -1)
    e = _errs(noisy_onsets, 30)
    assert e[len(e) * 9 // 10] <= 6, e[len(e) * 9 // 10]
    # and the other way round
    noisy_triggers = _clocks(200, lambda r, x: r.next(3) - 1, lambda r: r.next(41) - 20, lambda r: -1)
    e = _errs(noisy_triggers, 30)
    assert e[len(e) * 9 // 10] <= 6, e[len(e) * 9 // 10]


def _run(buf):
    cfg = config.validate({"mount_up": "+z", "mount_forward": "+x"})
    det = detector.Detector(cfg, synth.LSB_G, synth.LSB_KDPS)
    det.start(0)
    return [e for e in synth.events(det, buf) if e[0] == EV_STRIDE and e[6] & 3 == 2]


def _bumped(buf, rate, step_s, t_start):
    """Add a bump to the flight before every third landing: 0.6 g for two samples, then back to
    0.35 g (a belt rocking on the pelvis; never below 0.25 g, so still in the air by the flight's
    own test), then the landing as before."""
    for k in range(len(buf) // 7):
        t = t_start + k / rate
        j = int((step_s - t % step_s) * rate + 0.5) % int(step_s * rate + 0.5)   # samples to the next landing
        if j <= 3 and int(t / step_s + 0.5) % 3 == 0:
            buf[7 * k + 3] = max(buf[7 * k + 3], int((0.35, 0.35, 0.6, 0.6)[j] * synth.LSB_G))
    return buf


def test_a_flight_bump_is_no_landing():
    # 100 Hz, 34 samples a step (176.5 steps/min: the synthetic runner's landings fall on whole
    # samples), a bump before every third landing. Each step's contact onset lies at its landing,
    # not 80 ms early at the bump, and the stride times stay true.
    step_s = 0.34
    buf = synth.concat(synth.samples(4, still=True),
                       _bumped(synth.samples(30, cadence=60 / step_s, t_start=4), 100, step_s, 4))
    cfg = config.validate({"mount_up": "+z", "mount_forward": "+x"})
    det = detector.Detector(cfg, synth.LSB_G, synth.LSB_KDPS)
    det.start(0)
    st = det.st
    onsets = []
    strides = []
    for k in range(len(buf) // 7):
        ne = det.feed(array("h", buf[7 * k:7 * k + 7]), 1)
        if st[kernel.S_EVT] & kernel.EVT_STEP and st[kernel.S_FID] == 1 and st[kernel.S_T] > 10000:
            onsets.append(st[kernel.S_TC] - st[kernel.S_TCB] // 16)
        q = det.q.buf
        for j in range(ne):
            if q[j * 8] == EV_STRIDE and q[j * 8 + 1] > 10000 and q[j * 8 + 6] & 3 == 2:
                strides.append(q[j * 8 + 4])
        det.q.clear()
    assert len(onsets) >= 50 and len(strides) >= 25, (len(onsets), len(strides))
    for t in onsets:
        off = (t - 10) % 340                # (sample k is stamped (k + 1) x 10 ms)
        off = min(off, 340 - off)
        assert off <= 12, ("contact onset ms from the nearest landing", t, off)
    for c in strides:
        assert abs(c - 1765) <= 15, ("cadence dspm", c)


def _strides_after(st, t):
    return [e for e in st if e[1] >= t]


def test_a_step_lost_in_a_dropout_is_not_measured():
    # 0.4 s of samples lost (a bus hang): a step's whole stance falls in it. No stride reports
    # two steps' time for three.
    buf = synth.concat(synth.samples(4, still=True), synth.samples(30, cadence=170, t_start=4))
    n = len(buf) // 7
    cut = 20 * 100                      # 20 s in, 40 samples
    dt = sum(buf[7 * k] for k in range(cut, cut + 41))
    keep = array("h", buf[:7 * cut])
    last = array("h", buf[7 * (cut + 40):7 * (cut + 41)])
    last[0] = dt
    rest = array("h", buf[7 * (cut + 41):7 * n])
    st = _strides_after(_run(synth.concat(keep, last, rest)), 8000)
    assert len(st) >= 30
    for e in st:
        assert abs(e[4] - 1700) <= 40, ("cadence dspm", e[1], e[4])
    # the strides around the gap: one is missing, none is a stride and a half
    assert all(e[5] < 1000 for e in st), [e[5] for e in st]


def _lost_at_landings(buf, rate, step_s, t_start, every, t_from, before_s, after_s):
    """Lose the samples from ``before_s`` before to ``after_s`` after every ``every``-th landing
    from ``t_from`` on (a cheap board's burst, right where a fiducial is), their time added to the
    next sample's dt as a board's clock would give it."""
    out = array("h")
    carry = 0
    n = len(buf) // 7
    for k in range(n):
        t = t_start + k / rate
        m = int(t / step_s + 0.5)            # the nearest landing (synth: at whole steps of t)
        tc = m * step_s
        if t >= t_from and m % every == 0 and tc - before_s <= t <= tc + after_s:
            carry += buf[7 * k]
            continue
        s = array("h", buf[7 * k:7 * k + 7])
        s[0] += carry
        carry = 0
        out.extend(s)
    return out


def test_a_landing_lost_in_a_burst_keeps_the_last_stride_time():
    # 50 Hz, 170 steps/min (1700 dspm); every 7th landing from 10 s on falls in a burst of lost
    # samples (60-80 ms: from 30 ms before it to 50 ms after). Its step's time is unknown by
    # that much, so the stride that ends there keeps the last stride's time and the next runs
    # from where that puts it: every stride within 1 spm (without: 3.6-7.8 spm either way).
    step_s = 60 / 170
    run = synth.samples(40, rate=50, cadence=170, t_start=4)
    buf = synth.concat(synth.samples(4, rate=50, still=True),
                       _lost_at_landings(run, 50, step_s, 4, 7, 10, 0.03, 0.05))
    st = _strides_after(_run(buf), 12000)
    assert len(st) >= 40, len(st)
    lost = len(run) // 7 + 200 - len(buf) // 7
    assert lost >= 4 * (30 // (7 * step_s)), lost       # the bursts are there
    worst = max(abs(e[4] - 1700) for e in st)
    assert worst <= 10, ("cadence dspm", [e[4] for e in st])
