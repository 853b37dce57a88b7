"""RateClock (device/rateclock.py): the same checks under CPython and the unix-port micropython.

Collected by pytest under CPython; ``tests/vboard/test_imu_drivers.py`` runs this file again under
``micropython`` (where ``heap_lock`` is real) through the one runner (``tests/mputil.py``). The chip here is
arithmetic: sample k is made at ``phase + k * period`` (ns, integers), a read at ``t`` delivers
every sample made up to ``t`` (the FIFO is emptied), and the board's ``ticks_us`` wraps at
2**30 like the ESP32's (the runs start just before the wrap).
"""
import sys

MP = sys.implementation.name == "micropython"

import gc  # noqa: E402

import micropython  # noqa: E402
import rateclock  # noqa: E402

_PERIOD = 1 << 30
_HALF = 1 << 29
NOM_104 = 16384000 // 104  # 104 Hz in 2**-14 ms (157538)


class Ticks:
    """ticks_diff of the ESP32 (2**30 period)."""

    @staticmethod
    def ticks_diff(a, b):
        # a, b < 2**30: a - b is a small int even on a 31-bit port (2**30 itself is not: the
        # half period is added or taken away twice, as the ESP32's C code needs no such care)
        d = a - b
        if d >= _HALF:
            d -= _HALF
            d -= _HALF
        elif d < -_HALF:
            d += _HALF
            d += _HALF
        return d


class Chip:
    """An IMU whose clock runs ``ppm`` fast (negative: slow) at nominal ``rate_hz``."""

    def __init__(self, rate_hz=104, ppm=0, phase_ns=3000000):
        self.rate = rate_hz
        self.p_ns = 10 ** 15 // (rate_hz * (10 ** 6 + ppm))  # 1e9 ns/s * 1e6 / (rate * (1e6 + ppm))
        self.phase = phase_ns  # when sample `base` is made, ns
        self.base = 0

    def count(self, t_us):
        """Samples made up to ``t_us``."""
        t = t_us * 1000
        return self.base + (0 if t < self.phase else (t - self.phase) // self.p_ns + 1)

    def retune(self, t_us, ppm):
        """From ``t_us`` on, the clock runs ``ppm`` fast (the oscillator drifted)."""
        self.base = self.count(t_us)
        self.p_ns = 10 ** 15 // (self.rate * (10 ** 6 + ppm))
        self.phase = t_us * 1000 + self.p_ns

    def true_per(self):
        """The chip's true period in 2**-14 ms."""
        return (self.p_ns * 16384 + 500000) // 1000000


class Run:
    """Reads every ``step_ms`` (with a deterministic jitter, and a late read now and then) and
    feeds the RateClock as the driver would; ``t_us`` is absolute, the clock sees it wrapped."""

    def __init__(self, chip, rc, t0_us=_PERIOD - 5000000, step_ms=200):
        self.chip = chip
        self.rc = rc
        self.t = t0_us
        self.step = step_ms
        self.seed = 12345
        self.last = chip.count(t0_us)
        rc.restart(t0_us & (_PERIOD - 1))

    def _jitter_us(self):
        self.seed = (self.seed * 1103515245 + 12345) & 0x7FFFFFFF
        j = (self.seed >> 8) % 60000 - 30000  # +-30 ms
        if (self.seed >> 4) % 97 == 0:
            j += 1500000  # a late read (a slow flash write): the FIFO holds the samples
        return j

    def read(self):
        self.t += self.step * 1000 + self._jitter_us()
        c = self.chip.count(self.t)
        n = c - self.last
        self.last = c
        return self.rc.sync(self.t & (_PERIOD - 1), n)

    def lose(self, ms):
        """An outage or overflow: ``ms`` of samples never delivered; the driver restarts the
        window once the FIFO is empty again."""
        self.t += ms * 1000
        self.last = self.chip.count(self.t)
        self.rc.restart(self.t & (_PERIOD - 1))

    def seconds(self, s):
        end = self.t + s * 1000000
        changed = 0
        while self.t < end:
            changed += 1 if self.read() else 0
        return changed


def clock(nominal=NOM_104):
    rc = rateclock.RateClock(Ticks())
    rc.set_nominal(nominal)
    return rc


def rel_err(per, truth):
    """|per - truth| / truth, in ppm."""
    d = per - truth
    return (d if d > 0 else -d) * 1000000 // truth


# -- arithmetic ----------------------------------------------------------------------------
def test_period_is_exact_rounding_at_the_extremes():
    cases = [(30000000, 3120), (30123456, 3121), (60000000, 1), (60000000, 16000), (59999999, 2857),
             (30000000, 6240), (1, 1), (45000000, 2137)]
    for el, n in cases:
        d = 125 * n
        want = (el * 2048 * 2 + d) // (2 * d)  # round(el * 2048 / d)
        got = rateclock._period(el, n)
        assert got == want, (el, n, got, want)
        assert got < (1 << 30)
    # 104 Hz exactly: 3120 samples in 30 s
    assert rateclock._period(30000000, 3120) == NOM_104 or abs(rateclock._period(30000000, 3120) - 157538) <= 1


def test_rate_and_ppm_for_the_log():
    rc = clock()
    assert rc.per == NOM_104 and rc.rate_mhz() == 104000 and rc.ppm() == 0
    rc.per = 157538 * 1000000 // 1015000  # 1.5 % fast
    assert abs(rc.rate_mhz() - 105560) <= 1, rc.rate_mhz()
    assert abs(rc.ppm() - 15000) <= 10, rc.ppm()
    rc.per = 157538 * 1000000 // 980000  # 2 % slow
    assert abs(rc.ppm() + 20000) <= 10, rc.ppm()


# -- estimation --------------------------------------------------------------------------------
def test_converges_in_one_window_for_fast_and_slow_chips():
    for rate, ppm in ((104, 20000), (104, -20000), (104, 13000), (100, -7000), (208, 15000), (52, -19000)):
        nom = 16384000 // rate
        chip = Chip(rate, ppm)
        rc = clock(nom)
        run = Run(chip, rc)
        assert run.seconds(29) == 0 and rc.per == nom and rc.windows == 0  # nominal until 30 s
        run.seconds(3)
        assert rc.windows == 1, (rate, ppm, rc.windows)
        assert rel_err(rc.per, chip.true_per()) < 400, (rate, ppm, rc.per, chip.true_per())  # 0.04 %
        run.seconds(300)  # and it stays there, smoothed
        assert rc.windows >= 10 and rc.rejected == 0, (rc.windows, rc.rejected)
        assert rel_err(rc.per, chip.true_per()) < 200, (rate, ppm, rc.per, chip.true_per())
        assert abs(rc.ppm() - ppm) < 300, (rate, ppm, rc.ppm())


def test_an_overflow_or_outage_window_is_ignored():
    chip = Chip(104, 15000)
    rc = clock()
    run = Run(chip, rc)
    run.seconds(65)
    assert rc.windows == 2
    good = rc.per
    # 2 s of samples lost mid-window, the driver restarts the window afterwards: nothing of
    # that window counts (had it counted, the estimate would be 7 % slow)
    run.seconds(10)
    run.lose(2000)
    run.seconds(25)
    assert rc.windows == 2, rc.windows  # the broken window was dropped; the new one needs 30 s
    run.seconds(10)
    assert rc.windows == 3 and rel_err(rc.per, good) < 400, (rc.windows, rc.per, good)
    # a loss flagged by brk() (an I2C error): the next sync point starts a fresh window
    run.seconds(10)
    rc.brk()
    run.t += 700000
    run.last = chip.count(run.t)  # those samples are gone
    run.seconds(35)
    assert rel_err(rc.per, chip.true_per()) < 400 and rc.rejected == 0, (rc.per, rc.rejected)


def test_bounds_and_glitches():
    # a "chip" 8 % fast is a counting or clock fault, never taken
    chip = Chip(104, 80000)
    rc = clock()
    run = Run(chip, rc)
    run.seconds(200)
    assert rc.windows == 0 and rc.per == NOM_104 and rc.rejected >= 5
    # after two good windows, one window 1 % off (20 samples that were never made, say) is a glitch
    chip = Chip(104, 10000)
    rc = clock()
    run = Run(chip, rc)
    run.seconds(61)
    assert rc.windows == 2
    good = rc.per
    run.last -= 31  # 31 extra samples counted in the next window: 1 %
    run.seconds(31)
    assert rc.windows == 2 and rc.rejected == 1 and rc.per == good
    # a real change (the oscillator drifts 1 %, e.g. warming up) is followed after three windows
    chip.retune(run.t, 0)
    run.seconds(95)
    assert rel_err(rc.per, chip.true_per()) < 600, (rc.per, chip.true_per(), rc.windows, rc.rejected)


def test_window_too_long_or_clock_backwards_is_dropped():
    chip = Chip(104, 5000)
    rc = clock()
    run = Run(chip, rc)
    run.step = 70000  # one read every 70 s: sync points too rare to trust
    run._jitter_us = lambda: 0
    run.seconds(300)
    assert rc.windows == 0 and rc.rejected >= 3
    rc = clock()
    rc.restart(1000)
    assert not rc.sync(500, 3)  # backwards: restarts quietly
    assert rc.windows == 0 and rc.rejected == 0


def test_news_says_the_rate_at_start_and_on_changes_over_a_tenth_percent():
    rc = clock()
    assert rc.news()  # session start: nominal
    assert not rc.news()
    rc.per = NOM_104 - 100  # 0.06 %: not news
    assert not rc.news()
    rc.per = NOM_104 - 200  # 0.13 %: news
    assert rc.news() and not rc.news()
    rc.set_nominal(16384000 // 208)  # another rate: forgotten, news again
    assert rc.per == 78769 and rc.news()
    rc.set_nominal(16384000 // 208)  # the same rate (sensor reconfigured): the estimate is kept
    rc.per = 78000
    rc.set_nominal(16384000 // 208)
    assert rc.per == 78000


def test_sync_allocates_nothing():
    chip = Chip(104, -12000)
    rc = clock()
    run = Run(chip, rc)
    run.seconds(25)
    # the next 20 s of reads worked out first: the test's chip counts in ns (big ints on a 31-bit
    # port); only the RateClock's own calls run under the lock
    calls = []
    end = run.t + 20 * 1000000
    while run.t < end:
        run.t += run.step * 1000 + run._jitter_us()
        c = chip.count(run.t)
        calls.append((run.t & (_PERIOD - 1), c - run.last))
        run.last = c
    got = 0
    gc.collect()
    micropython.heap_lock()
    try:
        for t_us, n in calls:  # includes a window's completion, a smoothing step
            if rc.sync(t_us, n):
                got += 1
    finally:
        micropython.heap_unlock()
    assert got == 1 and rc.windows == 1
    if MP:
        print("HEAPLOCK rateclock ok")
