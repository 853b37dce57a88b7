"""device/haptic.py: the same tests under both interpreters.

Plain ``test_*`` functions with asserts: pytest runs them under CPython, ``tests/device/test_haptic.py``
runs them all again under micropython through the one runner (``tests/mputil.py``). Under
MicroPython every ``step()`` (and ``play()``) runs inside ``micropython.heap_lock()``: any
allocation raises MemoryError. The fake PWM records (time, duty) into preallocated arrays so it
doesn't allocate either.
"""
import sys
import time
from array import array

import haptic as hp
import micropython

MP = sys.implementation.name == "micropython"
FULL = 65535


class FakePWM:
    """Records every duty change with the time the test set in ``now``."""

    def __init__(self, cap=512):
        self.t = array("i", [0] * cap)
        self.d = array("i", [0] * cap)
        self.n = 0
        self.now = 0

    def duty_u16(self, v):
        self.t[self.n] = self.now
        self.d[self.n] = v
        self.n += 1

    def changes(self):
        return [(self.t[i], self.d[i]) for i in range(self.n)]

    def clear(self):
        self.n = 0


def _run(h, pwm, t0, t1, dt=1):
    """Step from t0 to t1 (exclusive) every dt ms with the heap locked."""
    micropython.heap_lock()
    try:
        t = t0
        while t < t1:
            pwm.now = t
            h.step(t)
            t += dt
    finally:
        micropython.heap_unlock()


def _pulses(pwm):
    """[(start, end, first_duty, later_duty)] of on-pulses from the recorded changes."""
    out = []
    start = -1
    first = later = 0
    for t, d in pwm.changes():
        if d > 0 and start < 0:
            start, first, later = t, d, d
        elif d > 0:
            later = d
        elif d == 0 and start >= 0:
            out.append((start, t, first, later))
            start = -1
    return out


def _expected(segs, t0=0):
    out = []
    t = t0
    for k in range(len(segs)):
        if k % 2 == 0:
            out.append((t, t + segs[k]))
        t += segs[k]
    return out


def _ons(segs):
    return [segs[k] for k in range(0, len(segs), 2)]


def _all_cues():
    for pid in range(1, len(hp.PATTERNS)):
        for sev in (1, 2, 3) if pid in hp.GRADED else (1,):
            yield pid, sev


# -- the pattern tables ---------------------------------------------------------------------
def test_ids_match_event_reasons():
    import events

    assert hp.P_UPRIGHT == events.R_UPRIGHT
    assert hp.P_SWIVEL == events.R_SWIVEL
    assert hp.P_BACKWARD == events.R_BACKWARD
    for r in (events.R_UPRIGHT, events.R_SWIVEL, events.R_BACKWARD):
        assert hp.NAMES[r] == events.REASON_NAMES[r]
    # every coaching reason has its own graded pattern, named as the reason
    assert len(hp.REASON_PATTERN) == len(events.REASON_NAMES)
    pats = [hp.REASON_PATTERN[r] for r in range(1, len(events.REASON_NAMES))]
    assert len(set(pats)) == len(pats)
    for r in range(1, len(events.REASON_NAMES)):
        p = hp.REASON_PATTERN[r]
        assert p in hp.GRADED and hp.NAMES[p] == events.REASON_NAMES[r], (r, p)


def test_every_cue_at_most_1500_ms_with_felt_pulses():
    for pid, sev in _all_cues():
        segs = hp.pattern(pid, sev)
        assert len(segs) % 2 == 1, (pid, sev)  # starts and ends with a pulse
        assert hp.length_ms(pid, sev) <= hp.MAX_PATTERN_MS == 1500, (pid, sev)
        for k in range(0, len(segs), 2):
            assert segs[k] >= 60 and segs[k] > hp.KICK_MS, (pid, sev, segs)
        for k in range(1, len(segs), 2):
            assert segs[k] >= 100, (pid, sev, segs)  # a gap the skin resolves


def test_coaching_cues_graded_by_severity():
    for pid in hp.GRADED:
        on = [hp.on_ms(pid, s) for s in (1, 2, 3)]
        ln = [hp.length_ms(pid, s) for s in (1, 2, 3)]
        assert on[0] < on[1] < on[2], (pid, on)
        assert ln[0] < ln[1] < ln[2], (pid, ln)
    # out-of-range severities clamp rather than fail
    assert hp.pattern(hp.P_UPRIGHT, 0) == hp.pattern(hp.P_UPRIGHT, 1)
    assert hp.pattern(hp.P_UPRIGHT, 9) == hp.pattern(hp.P_UPRIGHT, 3)


def _shape(pid, sev):
    return hp.describe(pid, sev).split(": ", 1)[1].split(" (")[0]


def test_every_cue_is_distinct():
    seen = {}
    for pid, sev in _all_cues():
        segs = hp.pattern(pid, sev)
        assert segs not in seen, (pid, sev, seen.get(segs))
        seen[segs] = (pid, sev)
        shape = _shape(pid, sev)
        for (p2, s2) in _all_cues():
            if p2 != pid:
                assert _shape(p2, s2) != shape, (pid, sev, p2, s2, shape)


def test_reasons_have_distinct_rhythms():
    # upright only longs, swivel only shorts, backward shorts then one long
    for s in (1, 2, 3):
        up = _ons(hp.pattern(hp.P_UPRIGHT, s))
        sw = _ons(hp.pattern(hp.P_SWIVEL, s))
        bk = _ons(hp.pattern(hp.P_BACKWARD, s))
        assert min(up) >= 300 and max(sw) <= 150
        assert max(bk[:-1]) <= 150 and bk[-1] >= 300 and len(bk) == s + 1


def test_describe_text():
    assert hp.describe(hp.P_UPRIGHT, 2) == "upright: long-long (2 x 400 ms)"
    assert hp.describe(hp.P_SWIVEL, 3) == "swivel: 7 shorts (7 x 100 ms)"
    assert hp.describe(hp.P_BACKWARD, 1) == "backward: short-long (100/400 ms)"
    assert hp.describe(hp.P_LOW_BATTERY) == "low_battery: tick...tick...tick (3 x 60 ms)"
    for pid, sev in _all_cues():
        assert hp.describe(pid, sev).startswith(hp.NAMES[pid] + ": ")


# -- playing -----------------------------------------------------------------------------
def test_heap_lock_is_effective():
    if not MP:
        return  # the CPython shim's heap_lock is a no-op
    micropython.heap_lock()
    try:
        _ = [1, 2, 3]
        raised = False
    except MemoryError:
        raised = True
    finally:
        micropython.heap_unlock()
    assert raised


def test_every_cue_plays_exactly_with_kick():
    for pid, sev in _all_cues():
        pwm = FakePWM()
        h = hp.Haptic(pwm, 60)
        assert pwm.changes() == [(0, 0)]
        pwm.clear()
        micropython.heap_lock()
        try:
            ok = h.play(pid, sev)
        finally:
            micropython.heap_unlock()
        assert ok and h.is_busy()
        _run(h, pwm, 0, 2000)
        want = _expected(hp.pattern(pid, sev))
        got = _pulses(pwm)
        assert [(a, b) for a, b, _, _ in got] == want, (pid, sev, got, want)
        steady = 60 * FULL // 100
        for _, _, first, later in got:
            assert first == FULL and later == steady, (pid, sev, first, later)
        # the kick lasts KICK_MS, then the configured duty
        ch = pwm.changes()
        for i in range(len(ch) - 1):
            if ch[i][1] == FULL:
                assert ch[i + 1] == (ch[i][0] + hp.KICK_MS, steady), ch[i:i + 2]
        assert ch[-1][1] == 0 and not h.is_busy()


def test_duty_is_written_only_on_change():
    pwm = FakePWM()
    h = hp.Haptic(pwm, 80)
    pwm.clear()
    h.play(hp.P_UPRIGHT, 1)
    _run(h, pwm, 0, 1000)
    assert [d for _, d in pwm.changes()] == [FULL, 80 * FULL // 100, 0]


def test_duty_setting_and_full_strength():
    pwm = FakePWM()
    h = hp.Haptic(pwm, 100)
    pwm.clear()
    h.play(hp.P_CLEAR)
    _run(h, pwm, 0, 200)
    assert pwm.changes() == [(0, FULL), (60, 0)]  # kick and duty equal: one write
    h.set_duty(50)
    pwm.clear()
    h.play(hp.P_CLEAR)
    _run(h, pwm, 200, 1000)
    assert pwm.changes() == [(460, FULL), (485, 50 * FULL // 100), (520, 0)]  # after the gap
    h.set_duty(150)
    assert h._duty == FULL
    h.set_duty(-3)
    assert h._duty == 0


def test_next_cue_waits_for_the_gap():
    pwm = FakePWM()
    h = hp.Haptic(pwm)
    pwm.clear()
    h.play(hp.P_UPRIGHT, 1)
    h.play(hp.P_SWIVEL, 1)
    _run(h, pwm, 0, 3000)
    got = [(a, b) for a, b, _, _ in _pulses(pwm)]
    end = 400
    want = [(0, 400)] + _expected(hp.pattern(hp.P_SWIVEL, 1), end + hp.GAP_MS)
    assert got == want, got
    assert h.preempted == 0 and h.dropped == 0


def test_higher_priority_preempts_and_cut_cue_replays():
    pwm = FakePWM()
    h = hp.Haptic(pwm)
    pwm.clear()
    h.play(hp.P_SWIVEL, 3)
    _run(h, pwm, 0, 150)
    micropython.heap_lock()
    try:
        h.play(hp.P_SENSOR_FAULT)
    finally:
        micropython.heap_unlock()
    _run(h, pwm, 150, 5000)
    got = [(a, b) for a, b, _, _ in _pulses(pwm)]
    cut = 150
    fault = cut + hp.GAP_MS
    replay = fault + 1000 + hp.GAP_MS
    # cut at 150, in the gap after the swivel's first pulse; it replays whole afterwards
    want = [(0, 100), (fault, fault + 1000)] + _expected(hp.pattern(hp.P_SWIVEL, 3), replay)
    assert got == want, got
    assert h.preempted == 1 and h.dropped == 0
    assert not h.is_busy()


def test_preempt_cuts_a_pulse_midway():
    pwm = FakePWM()
    h = hp.Haptic(pwm)
    pwm.clear()
    h.play(hp.P_UPRIGHT, 3)
    _run(h, pwm, 0, 250)
    h.play(hp.P_CONFIG_FALLBACK)
    _run(h, pwm, 250, 6000)
    got = [(a, b) for a, b, _, _ in _pulses(pwm)]
    assert got[0] == (0, 250), got  # cut at once, not at the end of the pulse
    fb = 250 + hp.GAP_MS
    assert got[1:4] == _expected(hp.pattern(hp.P_CONFIG_FALLBACK), fb), got
    again = fb + hp.length_ms(hp.P_CONFIG_FALLBACK) + hp.GAP_MS
    assert got[4:] == _expected(hp.pattern(hp.P_UPRIGHT, 3), again), got


def test_equal_priority_does_not_preempt():
    pwm = FakePWM()
    h = hp.Haptic(pwm)
    pwm.clear()
    h.play(hp.P_UPRIGHT, 1)
    _run(h, pwm, 0, 100)
    h.play(hp.P_LOW_BATTERY)
    h.play(hp.P_CLEAR)  # lower: waits too
    _run(h, pwm, 100, 5000)
    got = [(a, b) for a, b, _, _ in _pulses(pwm)]
    assert got[0] == (0, 400) and h.preempted == 0
    lb = 400 + hp.GAP_MS
    assert got[1:4] == _expected(hp.pattern(hp.P_LOW_BATTERY), lb)
    tick = lb + hp.length_ms(hp.P_LOW_BATTERY) + hp.GAP_MS
    assert got[4:] == [(tick, tick + 60)], got


def test_same_reason_merges_to_larger_severity():
    pwm = FakePWM()
    h = hp.Haptic(pwm)
    pwm.clear()
    assert h.play(hp.P_UPRIGHT, 1) and h.play(hp.P_UPRIGHT, 3) and h.play(hp.P_UPRIGHT, 2)
    _run(h, pwm, 0, 4000)
    got = [(a, b) for a, b, _, _ in _pulses(pwm)]
    assert got == _expected(hp.pattern(hp.P_UPRIGHT, 3)), got
    assert h.dropped == 0


def test_full_queue_never_drops_silently():
    pwm = FakePWM(1024)
    h = hp.Haptic(pwm)
    pwm.clear()
    micropython.heap_lock()
    try:
        r1 = h.play(hp.P_UPRIGHT)
        r2 = h.play(hp.P_SWIVEL)
        r3 = h.play(hp.P_BACKWARD)
        r4 = h.play(hp.P_LOW_BATTERY)
        r_clear = h.play(hp.P_CLEAR)  # lower than everything queued: refused
        r_fault = h.play(hp.P_SENSOR_FAULT)  # higher: evicts the oldest lowest (upright)
    finally:
        micropython.heap_unlock()
    assert r1 and r2 and r3 and r4
    assert r_clear is False and r_fault is True
    assert h.dropped == 2
    _run(h, pwm, 0, 10000)
    got = [a for a, _, _, _ in _pulses(pwm)]
    # sensor fault first (priority), then swivel, backward, low battery in arrival order
    t = 0
    want = []
    for pid in (hp.P_SENSOR_FAULT, hp.P_SWIVEL, hp.P_BACKWARD, hp.P_LOW_BATTERY):
        want += [a for a, _ in _expected(hp.pattern(pid, 1), t)]
        t += hp.length_ms(pid, 1) + hp.GAP_MS
    assert got == want, (got, want)


def test_queue_full_with_preempted_cue():
    pwm = FakePWM(1024)
    h = hp.Haptic(pwm)
    h.play(hp.P_CLEAR)
    _run(h, pwm, 0, 10)  # clear plays
    for pid in (hp.P_UPRIGHT, hp.P_SWIVEL, hp.P_BACKWARD, hp.P_SENSOR_FAULT):
        assert h.play(pid)
    _run(h, pwm, 10, 12000)  # the cut tick goes back in the spare slot and plays last
    assert h.preempted == 1 and h.dropped == 0 and not h.is_busy()
    assert len(_pulses(pwm)) == 1 + 1 + 1 + 3 + 2 + 1  # tick(cut), fault, up, sw, bk, tick


def test_disabled_cues_are_not_played_nor_counted():
    pwm = FakePWM()
    h = hp.Haptic(pwm, 80, tick_on_clear=False, buzz_on_calibrated=False)
    assert h.play(hp.P_CLEAR) is False and h.play(hp.P_CALIBRATED) is False
    assert not h.is_busy() and h.dropped == 0
    assert h.play(hp.P_SENSOR_FAULT)
    h2 = hp.Haptic.from_config(pwm, {"motor_duty": 40, "tick_on_clear": True,
                                     "buzz_on_calibrated": False})
    assert h2.play(hp.P_CLEAR) and not h2.play(hp.P_CALIBRATED)
    assert h2._duty == 40 * FULL // 100


def test_unknown_id_is_refused():
    h = hp.Haptic(FakePWM())
    assert h.play(0) is False and h.play(99) is False and h.play(-1) is False
    assert not h.is_busy()


def test_late_steps_stretch_but_never_skip():
    for dt in (7, 33, 45, 120):
        pwm = FakePWM()
        h = hp.Haptic(pwm)
        pwm.clear()
        h.play(hp.P_SWIVEL, 3)
        _run(h, pwm, 0, 20000, dt)
        got = _pulses(pwm)
        assert len(got) == 7, (dt, got)
        for a, b, _, _ in got:
            assert 100 <= b - a < 100 + dt, (dt, a, b)


def test_next_ms_drives_a_sleeping_loop_exactly():
    pwm = FakePWM()
    h = hp.Haptic(pwm, 70)
    pwm.clear()
    assert h.next_ms(0) == -1
    h.play(hp.P_BACKWARD, 3)
    h.play(hp.P_CALIBRATED)
    assert h.next_ms(0) == 0
    t = 0
    wakes = 0
    micropython.heap_lock()
    try:
        while True:
            pwm.now = t
            h.step(t)
            d = h.next_ms(t)
            if d < 0:
                break
            t += d if d > 0 else 1
            wakes += 1
    finally:
        micropython.heap_unlock()
    got = [(a, b) for a, b, _, _ in _pulses(pwm)]
    want = _expected(hp.pattern(hp.P_BACKWARD, 3))
    t2 = hp.length_ms(hp.P_BACKWARD, 3) + hp.GAP_MS
    want += _expected(hp.pattern(hp.P_CALIBRATED), t2)
    assert got == want, got
    assert wakes < 40, wakes  # a wake per edge, not per ms


def test_ticks_wraparound():
    pwm = FakePWM()
    h = hp.Haptic(pwm)
    pwm.clear()
    t0 = time.ticks_add(0, -150)  # 150 ms before the tick counter wraps
    h.play(hp.P_UPRIGHT, 2)
    micropython.heap_lock()
    try:
        k = 0
        while k < 1500:
            t = time.ticks_add(t0, k)
            pwm.now = k
            h.step(t)
            k += 1
    finally:
        micropython.heap_unlock()
    got = [(a, b) for a, b, _, _ in _pulses(pwm)]
    assert got == _expected(hp.pattern(hp.P_UPRIGHT, 2)), got


def test_wraparound_at_2_to_30_on_any_port():
    # the ESP32's and the virtual board's ticks wrap at 2**30 (the unix port's at 2**62)
    pwm = FakePWM()
    h = hp.Haptic(pwm)
    pwm.clear()
    mask = 0x3FFFFFFF
    t = mask - 149  # 150 ms before the wrap
    h.play(hp.P_SWIVEL, 2)
    assert hp._elapsed(5, mask - 4) == 10 and hp._elapsed(mask - 4, 5) == -10
    micropython.heap_lock()
    try:
        k = 0
        while k < 1500:
            pwm.now = k
            h.step(t)
            # (t + 1) & mask, wrap-safe: t + 1 == 2**30 would be a big int (an allocation) on a
            # 31-bit port (the ESP32, the 32-bit unix build)
            t = t + 1 if t < mask else 0
            k += 1
    finally:
        micropython.heap_unlock()
    got = [(a, b) for a, b, _, _ in _pulses(pwm)]
    assert got == _expected(hp.pattern(hp.P_SWIVEL, 2)), got


def test_stop_silences_and_clears():
    pwm = FakePWM()
    h = hp.Haptic(pwm)
    h.play(hp.P_UPRIGHT, 3)
    h.play(hp.P_SWIVEL, 1)
    _run(h, pwm, 0, 100)
    pwm.now = 100
    h.stop()
    assert pwm.changes()[-1] == (100, 0) and not h.is_busy()
    n = pwm.n
    _run(h, pwm, 100, 3000)
    assert pwm.n == n  # nothing more
    assert h.play(hp.P_CLEAR)  # and it still works afterwards
    _run(h, pwm, 3000, 3100)
    assert pwm.n == n + 3  # kick, duty, off


# -- the metronome (cadence retraining) -----------------------------------------------------
def test_metronome_pulses_at_the_step_interval_without_allocating():
    for spm, step in ((170, 352), (180, 333), (150, 400), (200, 300)):
        pwm = FakePWM()
        h = hp.Haptic(pwm, 80)
        pwm.clear()
        micropython.heap_lock()
        try:
            ok = h.metronome(60000 // spm)
        finally:
            micropython.heap_unlock()
        assert ok and h.is_busy()
        _run(h, pwm, 0, 2000)
        got = [(a, b) for a, b, _, _ in _pulses(pwm)]
        assert len(got) == hp.METRO_TICKS, got
        assert [b - a for a, b in got] == [hp.METRO_ON] * hp.METRO_TICKS
        assert [got[k + 1][0] - got[k][0] for k in range(len(got) - 1)] == [step] * (hp.METRO_TICKS - 1), (spm, got)
        assert got[-1][1] <= hp.MAX_PATTERN_MS and not h.is_busy()


def test_metronome_interval_clamped_to_the_cue_length():
    for ms, want in ((100, hp.METRO_MIN_MS), (2000, hp.METRO_MAX_MS)):
        pwm = FakePWM()
        h = hp.Haptic(pwm, 80)
        h.metronome(ms)
        _run(h, pwm, 0, 2500)
        got = _pulses(pwm)
        assert got[1][0] - got[0][0] == want
        assert got[-1][1] - got[0][0] <= hp.MAX_PATTERN_MS


def test_cadence_cue_then_metronome_in_turn():
    # the main loop queues the cadence cue, then the metronome: both play whole, the cue first
    pwm = FakePWM()
    h = hp.Haptic(pwm, 80)
    h.play(hp.P_CADENCE, 2)
    h.metronome(343)   # 175 steps/min
    _run(h, pwm, 0, 4000)
    got = [(a, b) for a, b, _, _ in _pulses(pwm)]
    cue = _expected(hp.pattern(hp.P_CADENCE, 2))
    assert got[:len(cue)] == cue
    met = got[len(cue):]
    assert len(met) == hp.METRO_TICKS and met[0][0] >= cue[-1][1] + hp.GAP_MS
    assert [met[k + 1][0] - met[k][0] for k in range(len(met) - 1)] == [343] * (hp.METRO_TICKS - 1)
