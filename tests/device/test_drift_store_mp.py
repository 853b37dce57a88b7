"""device/drift.py: the baseline kept on flash (``drift_baseline_from``), its damage handling,
and the drift cue's own repeat interval; the same tests under both interpreters.

Plain ``test_*`` functions with asserts, MicroPython-compatible (no pathlib), each given a fresh
folder ``root``: pytest runs them under CPython, ``tests/device/test_drift_store.py`` runs them
again under micropython (64- and 32-bit builds), where ``heap_lock`` is real.
"""
import os
import sys

import config
import drift
import micropython
from coach import Coach
from detector import EventQueue
from events import EV_ALERT, EV_DRIFT, EV_DRIFT_BASE, R_DRIFT

NEEDS_DIR = True  # every test gets a fresh folder (tests/device/mp_run.py; pytest: the root fixture below)
MP = sys.implementation.name == "micropython"
if not MP:
    import pytest

    @pytest.fixture
    def root(tmp_path):
        return str(tmp_path)


STRIDE_MS = 700   # a running stride (86 a minute)
GOOD = (800, 1000, 700, 500)   # lean, rotation, tilt swing, hip drop (cdeg)


class Run:
    """A Drift with its queue and coach, fed strides of constant metrics; events kept as tuples."""

    def __init__(self, overrides, path=None, session=0, date=0, prev=0):
        self.cfg = config.validate(overrides)
        self.q = EventQueue(16)
        self.coach = Coach(self.cfg, self.q)
        self.d = drift.Drift(self.cfg, self.q, self.coach)
        self.said = []
        self.line = None
        self.t = 0
        self.events = []
        if path is not None:
            self.line = self.d.attach(path, session, date, self.said.append, prev)
            self.drain()

    def drain(self):
        b = self.q.buf
        for k in range(self.q.n):
            self.events.append(tuple(b[k * 8:k * 8 + 8]))
        self.q.clear()

    def strides(self, minutes, lean=GOOD[0], rot=GOOD[1], tilt=GOOD[2], drop=GOOD[3], locked=False):
        """``minutes`` of running strides (heap locked around each stride on MicroPython if
        ``locked``; the queue is drained unlocked)."""
        n = minutes * 60000 // STRIDE_MS
        d = self.d
        for _ in range(n):
            self.t += STRIDE_MS
            if locked:
                micropython.heap_lock()
            try:
                d.stride(self.t, lean, rot, tilt, drop, STRIDE_MS)
            finally:
                if locked:
                    micropython.heap_unlock()
            d.flush()               # as the app after each feed, unlocked
            if self.q.n:
                self.drain()

    def of(self, ty):
        return [e for e in self.events if e[0] == ty]


def _path(root):
    return root + "/" + drift.FILE


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def test_learned_baseline_is_kept_on_flash(root):
    p = _path(root)
    r = Run({}, p, 42, 20261203)
    assert r.line is None and r.said == []          # "run" (the default): nothing to say at start
    r.strides(10)
    assert not _exists(p) and not r.of(EV_DRIFT_BASE)
    r.strides(3)
    # minutes 2-11 are the baseline: at the close of minute 11 it is kept and announced
    base = r.of(EV_DRIFT_BASE)
    assert len(base) == 1 and base[0][2:6] == GOOD and base[0][6:8] == (0, 0), base
    assert 11 * 60000 <= base[0][1] < 11 * 60000 + 2 * STRIDE_MS
    assert drift.load(p) == (GOOD + (42, 20261203), None)
    # drift from minute 12 on, against it
    dr = r.of(EV_DRIFT)
    assert dr and dr[0][6] == 12 and all(e[2:6] == (0, 0, 0, 0) for e in dr)


def test_the_last_sessions_baseline_is_used_from_the_second_minute(root):
    p = _path(root)
    _write(p, drift.dumps((1000, 1200, 600, 400, 41, 20261203)).encode())
    r = Run({"drift_baseline_from": "last"}, p, 42, 20261204)
    assert r.line == "drift baseline from session 41 (2026-12-03)" and r.said == [r.line]
    assert r.events == [(EV_DRIFT_BASE, 0, 1000, 1200, 600, 400, 41, 20261203)]
    r.strides(14)
    dr = r.of(EV_DRIFT)
    assert [e[6] for e in dr] == list(range(2, 15))              # the warm-up minute is skipped
    assert all(e[2:6] == (-200, -200, 100, 100) for e in dr), dr[:3]
    assert len(r.of(EV_DRIFT_BASE)) == 1                          # still the last session's
    # this session's own baseline (minutes 2-11) is kept for the next one
    assert drift.load(p) == (GOOD + (42, 20261204), None)


def test_a_metric_the_baseline_did_not_measure_has_no_drift(root):
    p = _path(root)
    _write(p, drift.dumps((1000, 1200, 0, 400, 41, 0)).encode())   # tilt swing not measured then
    r = Run({"drift_baseline_from": "last"}, p, 42, 0)
    r.strides(5)                       # minutes 1-4 close: drift for 2-4
    assert [e[2:6] for e in r.of(EV_DRIFT)] == [(-200, -200, 0, 100)] * 3


def test_run_mode_ignores_a_stored_baseline(root):
    p = _path(root)
    _write(p, drift.dumps((1000, 1200, 600, 400, 41, 20261203)).encode())
    r = Run({"drift_baseline_from": "run"}, p, 42, 20261204)
    assert r.line is None and r.events == []
    r.strides(13)
    assert r.of(EV_DRIFT)[0][6] == 12 and r.of(EV_DRIFT)[0][2:6] == (0, 0, 0, 0)


def test_a_restarted_run_goes_on_with_its_baseline_in_either_mode(root):
    # a power cut mid-run: the new session's first minutes are the tired runner's, no baseline;
    # the run's stored one (session 41's) goes on, kept again as this session's for a next restart
    p = _path(root)
    line = drift.dumps((1000, 1200, 600, 400, 41, 20261204)).encode()
    for mode in ("run", "last"):
        _write(p, line)
        r = Run({"drift_baseline_from": mode}, p, 42, 20261205, prev=41)
        assert r.said == ["drift baseline from session 41, the same run before the restart: going on with it"], r.said
        assert r.events == [(EV_DRIFT_BASE, 0, 1000, 1200, 600, 400, 41, 20261204)]
        r.strides(14)
        dr = r.of(EV_DRIFT)
        assert [e[6] for e in dr] == list(range(2, 15)) and dr[0][2:6] == (-200, -200, 100, 100), (mode, dr[:2])
        assert len(r.of(EV_DRIFT_BASE)) == 1, mode
        assert drift.load(p) == ((1000, 1200, 600, 400, 42, 20261205), None), mode
    # a new run (prev 0), or a restart whose run's baseline is not the stored one: "run" learns its own
    for prev in (0, 40):
        _write(p, line)
        r = Run({}, p, 43, 20261205, prev=prev)
        assert r.said == [] and r.events == [], prev


def test_last_without_a_stored_baseline_learns_on_the_run(root):
    r = Run({"drift_baseline_from": "last"}, _path(root), 7, 0)
    assert r.said == ["drift baseline: drift_base.txt none stored yet: learning it on this run"], r.said
    r.strides(13)
    base = r.of(EV_DRIFT_BASE)
    assert len(base) == 1 and base[0][6] == 0 and r.of(EV_DRIFT)[0][6] == 12
    assert drift.load(_path(root)) == (GOOD + (7, 0), None)


def _damaged(good):
    """Ways a stored line goes bad: torn at every length, a changed or extra character, garbage."""
    out = [good[:n] for n in range(len(good) - 1)]              # torn (the whole line minus "\n" is fine)
    for i in range(len(good) - 1):
        c = good[i]
        out.append(good[:i] + (b"7" if c != 55 else b"3") + good[i + 1:])   # one character changed
    out += [b"", b"\n", b"\x00" * 40, b"\xff\xfe" + good, good + good, good.replace(b" ", b"  ", 1) + b"x",
            good[:-1] + b"\xe9\n", b"9" * 200, good.replace(b"1", b"\xef\xbc\x91")]
    return out


def test_a_damaged_store_is_learned_on_the_run(root):
    p = _path(root)
    good = drift.dumps((1000, 1200, 600, 400, 41, 20261203)).encode()
    assert drift.load(p)[0] is None
    _write(p, good)
    assert drift.load(p)[0] is not None
    _write(p, good[:-1])
    assert drift.load(p)[0] is not None
    whys = {}
    for bad in _damaged(good):
        _write(p, bad)
        vals, why = drift.load(p)
        assert vals is None and why, bad
        whys[why.split(" (")[0]] = 1
    assert sorted(whys) == ["damaged", "not a baseline line", "too long"], sorted(whys)
    # a value out of range with a right check sum (written by a bug, not by damage) is refused too
    _write(p, drift.dumps((99999, 1200, 600, 400, 41, 20261203)).encode())
    assert drift.load(p) == (None, "damaged (a value past 90 deg)")
    # in a session: one line, learned on the run, never an exception
    _write(p, good[:30])
    r = Run({"drift_baseline_from": "last"}, p, 42, 0)
    assert r.said == ["drift baseline: drift_base.txt not a baseline line (torn or damaged): learning it on "
                      "this run"], r.said
    r.strides(13)
    assert r.of(EV_DRIFT)[0][6] == 12 and r.of(EV_DRIFT_BASE)[0][6] == 0
    assert drift.load(p)[0] == GOOD + (42, 0)                    # and the good one replaces it


def test_a_failed_write_is_said_and_coaching_goes_on(root):
    p = root + "/no such folder/" + drift.FILE
    r = Run({"coach_drift": True}, p, 3, 0)
    r.strides(13)
    assert len(r.said) == 1 and r.said[0].startswith("drift baseline not kept (drift_base.txt: "), r.said
    r.strides(30, lean=GOOD[0] - 400)
    assert r.of(EV_DRIFT)[-1][2] == -400 and r.of(EV_ALERT)


def _drift_alert_times(overrides, minutes):
    r = Run(dict(overrides, coach_drift=True))
    r.strides(13)
    r.strides(minutes, lean=GOOD[0] - 400)   # twice the 2 deg margin
    return [e[1] for e in r.of(EV_ALERT) if e[2] == R_DRIFT]


def test_drift_cue_repeats_at_its_own_interval(root):
    t = _drift_alert_times({"drift_repeat_s": 900, "alert_repeat_s": 90, "drift_after_s": 300}, 70)
    gaps = [b - a for a, b in zip(t, t[1:])]
    # the first after the 5 min hold; then every 15 min, at the first minute close past it
    assert len(t) == 5 and all(900000 <= g < 960000 for g in gaps), gaps
    # the form cues' repeat neither shortens nor holds it back
    t = _drift_alert_times({"drift_repeat_s": 300, "alert_repeat_s": 3600, "drift_after_s": 300}, 40)
    gaps = [b - a for a, b in zip(t, t[1:])]
    assert len(gaps) >= 5 and all(300000 <= g < 360000 for g in gaps), gaps


def test_a_drift_episodes_repeats_are_one_episode_for_faded_feedback(root):
    # fading at 1 in 2: the first drift episode is played, and every repeat of it too (a repeat
    # counted as a new episode was withheld every other time)
    r = Run({"coach_drift": True, "fade_feedback": True, "drift_repeat_s": 300, "drift_after_s": 300})
    r.coach.fade = 2
    r.strides(13)
    r.strides(40, lean=GOOD[0] - 400)
    al = [e for e in r.of(EV_ALERT) if e[2] == R_DRIFT]
    assert len(al) >= 5 and all(e[6] == 0 for e in al), [(e[1], e[6]) for e in al]


def test_new_keys_validate(root):
    cfg = config.validate({})
    assert cfg["drift_baseline_from"] == "run" and cfg["drift_repeat_s"] >= 600
    for bad in ({"drift_baseline_from": "first"}, {"drift_repeat_s": 30}, {"drift_baseline_from": 1}):
        try:
            config.validate(bad)
        except ValueError:
            continue
        raise AssertionError(bad)


def test_no_allocation_per_stride_with_a_store(root):
    """Strides (minute closes, drift events and cues included, and the minute that completes the
    baseline) allocate nothing with the heap locked, as the app feeds the detector; the baseline
    is written by flush() after the stride, unlocked."""
    p = _path(root)
    _write(p, drift.dumps((1300, 1200, 600, 400, 41, 20261203)).encode())   # lean 3 deg past the margin
    r = Run({"drift_baseline_from": "last", "coach_drift": True, "drift_repeat_s": 60, "drift_after_s": 60}, p, 42, 0)
    r.strides(32, locked=True)                # minute 11 closes: the baseline is learned, then written
    assert len(r.of(EV_DRIFT)) == r.d.minute - 1 > 25 and len(r.of(EV_ALERT)) >= 15
    assert drift.load(p)[0] == GOOD + (42, 0)
