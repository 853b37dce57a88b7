"""Form drift: the runner's own baseline, learned on the run, and the drift from it per minute.

Ultra runners' form decays over hours. Per running stride the detector hands this module the
stride's lean, rotation, tilt swing and hip drop (cdeg; the last two from dynamics.py, 0 = not
measured). Every minute of running it closes the minute's means:

- **baseline**: the means over ``drift_baseline_min`` minutes of running after the first minute
  (the first minute of a session is warm-up: the runner settles into a pace);
- **drift**: after that, each minute's means minus the baseline, one ``EV_DRIFT`` event per
  minute (events.py; logged, ~10 bytes a minute);
- **cue** (``coach_drift``, off by default): a drift past its margin (``drift_lean_deg``,
  ``drift_rot_deg``, ``drift_tilt_deg``, ``drift_drop_deg``) in either direction is a fault that
  must hold for ``drift_after_s`` of running before it buzzes (reason ``drift``, its own pattern,
  graded by how far past the margin), repeats at most every ``alert_repeat_s``, and clears once
  every metric is back within three quarters of its margin (the others' hysteresis idea, scaled
  to the margin). The coach's own alert/clear rules are used (coach.py).

Walking and standing neither count as running minutes nor end a drift episode: drift is a
matter of hours. Values in cdeg and ms (small ints); no allocation per stride.
"""
from micropython import const

from events import EV_DRIFT, R_DRIFT

_MIN_MS = const(60000)
_NONE = const(-0x3FFFFFFF)
_SETTLE_MIN = const(1)   # the first minute of running is not part of the baseline


class Drift:
    """Baseline, per-minute drift and the drift cue. ``coach`` gives the alert/clear rules."""

    def __init__(self, cfg, q, coach):
        self.q = q
        self.coach = coach
        self.base_min = int(cfg["drift_baseline_min"])
        self.margin = (int(cfg["drift_lean_deg"] * 100), int(cfg["drift_rot_deg"] * 100),
                       int(cfg["drift_tilt_deg"] * 100), int(cfg["drift_drop_deg"] * 100))
        self.after_ms = int(cfg["drift_after_s"] * 1000)
        self.en = 1 if cfg["coach_drift"] else 0
        self.reset()

    def reset(self):
        """A new session: no baseline, no minutes."""
        self.run_ms = 0           # running time this session, ms
        self.minute = 0           # running minutes closed
        self.n = 0                # strides in the minute, sums of its metrics (cdeg)
        self.s_lean = 0
        self.s_rot = 0
        self.s_tilt = 0
        self.n_tilt = 0
        self.s_drop = 0
        self.n_drop = 0
        self.b_n = 0              # minutes in the baseline, sums of their means
        self.b_lean = 0
        self.b_rot = 0
        self.b_tilt = 0
        self.b_drop = 0
        self.have = 0             # 1 once the baseline is learned
        self.base_lean = 0        # the baseline (cdeg)
        self.base_rot = 0
        self.base_tilt = 0
        self.base_drop = 0
        self.m_lean = self.m_rot = self.m_tilt = self.m_drop = 0   # the minute's means
        self.worst = -1           # the minute's largest drift as a share of its margin (x1000) ...
        self.w_val = 0            # ... the drift itself and its margin, cdeg
        self.w_lim = 0
        self.on = 0
        self.held = 0
        self.last = _NONE

    def stride(self, t, lean, rot, tilt, drop, stride_ms):
        """One running stride ending at ``t`` (ms): its metrics in cdeg (tilt, drop 0 = none)."""
        self.n += 1
        self.s_lean += lean
        self.s_rot += rot
        if tilt > 0:
            self.s_tilt += tilt
            self.n_tilt += 1
        if drop > 0:
            self.s_drop += drop
            self.n_drop += 1
        self.run_ms += stride_ms
        if self.run_ms >= (self.minute + 1) * _MIN_MS:
            self._close(t)

    def _close(self, t):
        # (few locals per function: a MicroPython frame past ~11 words comes from the heap)
        n = self.n
        self.minute += 1
        self.m_lean = self.s_lean // n
        self.m_rot = self.s_rot // n
        self.m_tilt = self.s_tilt // self.n_tilt if self.n_tilt else 0
        self.m_drop = self.s_drop // self.n_drop if self.n_drop else 0
        self.n = self.s_lean = self.s_rot = self.s_tilt = self.n_tilt = self.s_drop = self.n_drop = 0
        if not self.have:
            self._learn()
            return
        dl = self.m_lean - self.base_lean
        dr = self.m_rot - self.base_rot
        dt = self.m_tilt - self.base_tilt if self.m_tilt else 0
        dd = self.m_drop - self.base_drop if self.m_drop else 0
        self.q.push(EV_DRIFT, t, dl, dr, dt, dd, self.minute, 0)
        self.worst = -1
        self._worst(0, dl)
        self._worst(1, dr)
        self._worst(2, dt)
        self._worst(3, dd)
        self._cue(t)

    def _learn(self):
        if self.minute <= _SETTLE_MIN:
            return
        self.b_n += 1
        self.b_lean += self.m_lean
        self.b_rot += self.m_rot
        self.b_tilt += self.m_tilt
        self.b_drop += self.m_drop
        k = self.b_n
        if k >= self.base_min:
            self.base_lean = self.b_lean // k
            self.base_rot = self.b_rot // k
            self.base_tilt = self.b_tilt // k
            self.base_drop = self.b_drop // k
            self.have = 1

    def _worst(self, i, d):
        # keep the metric furthest past its margin, as a share of it (x1000)
        m = self.margin[i]
        a = d if d >= 0 else -d
        r = a * 1000 // m if m > 0 else 0
        if r > self.worst:
            self.worst = r
            self.w_val = d
            self.w_lim = m

    def _cue(self, t):
        lim = self.w_lim
        v = self.w_val
        if self.on:
            on = self.worst > 750
        else:
            on = self.en and self.worst > 1000
        if on:
            self.held += _MIN_MS
            self.on = 1
            a = v if v >= 0 else -v
            self.last = self.coach.maybe(R_DRIFT, t, self.held, self.last, a - lim, lim // 2, lim, v, lim,
                                         self.after_ms)
        elif self.on:
            self.coach._end(R_DRIFT, t, v, lim, self.last)
            self.on = 0
            self.held = 0
            self.last = _NONE
