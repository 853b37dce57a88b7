"""Form drift: the runner's own baseline, learned on the run (or the last session's), and the
drift from it per minute.

Ultra runners' form decays over hours. Per running stride the detector hands this module the
stride's lean, rotation, tilt swing and hip drop (cdeg; the last two from dynamics.py, 0 = not
measured). Every minute of running it closes the minute's means:

- **baseline**: the means over ``drift_baseline_min`` minutes of running after the first minute
  (the first minute of a session is warm-up: the runner settles into a pace). Once learned it
  is kept on the board's flash (``attach``; file ``FILE``, written whole then renamed over the
  old one, with a check sum), so with ``drift_baseline_from = "last"`` the next session
  compares with it from its second running minute on, instead of learning its own first;
  each session still learns and keeps its own for the one after. No usable stored baseline
  (none yet, torn, damaged): the session learns it on the run and says why in one line.
  **The same run, restarted** (app.py: the board's clock set and the session starting within
  an hour of the last log's last write: a power cut, a battery swap, a reset), in either mode, a
  session whose stored baseline is that last session's goes on with it and learns none: its
  first minutes are the tired runner's, not a baseline (a 20-hour drift would vanish, and with
  "last" the next race would compare with hour 20). It stores it again as its own, so a second
  restart goes on too;
- **which baseline**: an ``EV_DRIFT_BASE`` event (events.py) when the session's baseline is
  set: at ``attach`` for the last session's (with that session's number and date), when
  learned for the run's own;
- **drift**: after that, each minute's means minus the baseline, one ``EV_DRIFT`` event per
  minute (events.py; logged, ~10 bytes a minute);
- **cue** (``coach_drift``, off by default): a drift past its margin (``drift_lean_deg``,
  ``drift_rot_deg``, ``drift_tilt_deg``, ``drift_drop_deg``) in either direction is a fault that
  must hold for ``drift_after_s`` of running before it buzzes (reason ``drift``, its own pattern,
  graded by how far past the margin), repeats at most every ``drift_repeat_s`` (its own interval:
  checked at each running minute's close, so rounded up to the next one), and clears once
  every metric is back within three quarters of its margin (the others' hysteresis idea, scaled
  to the margin). The coach's own alert/clear rules are used (coach.py).

Walking and standing neither count as running minutes nor end a drift episode: drift is a
matter of hours. Values in cdeg and ms (small ints); no allocation per stride (the file is
read once at session start and written once when the baseline is learned).
"""
from array import array

import micropython
from micropython import const

from events import EV_DRIFT, EV_DRIFT_BASE, R_DRIFT

_MIN_MS = const(60000)
_NONE = const(-0x3FFFFFFF)
# the minute's sums (Drift.acc, array('i'); _add): strides, lean, rotation, tilt swing and its
# strides, hip drop and its strides (cdeg: each sum within 200 strides x 18000 < 2**22), the
# session's running time and where its minute ends (ms: < 2**30 for 298 h)
_A_N = const(0)
_A_LEAN = const(1)
_A_ROT = const(2)
_A_TILT = const(3)
_A_NTILT = const(4)
_A_DROP = const(5)
_A_NDROP = const(6)
_A_RUN = const(7)
_A_END = const(8)
_SETTLE_MIN = const(1)   # the first minute of running is not part of the baseline

FILE = "drift_base.txt"  # the stored baseline, in the flash's root (board.fs_root())
# One line: TAG, the baseline's lean, rotation, tilt swing, hip drop (cdeg), the session it was
# learned in and that session's date (YYYYMMDD, 0 = the board's clock was not set), then a
# check sum of everything before it (``_sum``): a damaged digit is refused, not used.
_TAG = "hinge-drift-base 1"
_FIELDS = const(9)        # the two words of TAG, six numbers, the sum
_MAX_CDEG = const(9000)   # a stored metric past 90 deg is no baseline (a damaged file)
_MAX_BYTES = const(128)   # the line is ~60 bytes; read no more than this
_MOD = const(32749)       # the sum's modulus: a prime under 2**15, so hi * 2**15 + lo < 2**30


def _sum(text):
    """Fletcher-style check sum of ``text`` (ASCII): a small int (< 2**30)."""
    lo = 1
    hi = 0
    for c in text:
        lo = (lo + ord(c)) % _MOD
        hi = (hi + lo) % _MOD
    return hi * 32768 + lo


def _int(w):
    """An int from an ASCII word ``-?[0-9]{1,10}`` (the sum has up to 10 digits); None for
    anything else (one rule on every engine: CPython's int() also takes '1_0' and other
    scripts' digits)."""
    i = 1 if w[:1] == "-" else 0
    if len(w) <= i or len(w) > i + 10:
        return None
    for c in w[i:]:
        if c < "0" or c > "9":
            return None
    return int(w)


def dumps(vals):
    """The stored line for ``vals`` = (lean, rot, tilt, drop, session, date) ints."""
    text = "%s %d %d %d %d %d %d" % ((_TAG,) + tuple(vals))
    return "%s %d\n" % (text, _sum(text))


def loads(text):
    """``(vals, None)`` from a stored line (``dumps``), or ``(None, why)``: why it is no baseline."""
    w = text.split()
    if len(w) != _FIELDS or w[0] + " " + w[1] != _TAG:
        return None, "not a baseline line (torn or damaged)"
    vals = []
    for x in w[2:]:
        v = _int(x)
        if v is None:
            return None, "damaged (not a number: %s)" % x[:12]
        vals.append(v)
    if vals[6] != _sum(text[:text.rstrip().rfind(" ")]):
        return None, "damaged (check sum)"
    for v in vals[:4]:
        if v < -_MAX_CDEG or v > _MAX_CDEG:
            return None, "damaged (a value past 90 deg)"
    if vals[4] < 0 or vals[5] < 0:
        return None, "damaged (session or date)"
    return tuple(vals[:6]), None


def load(path):
    """``(vals, None)`` from the file at ``path``, or ``(None, why)``; never raises."""
    try:
        with open(path, "rb") as f:
            data = f.read(_MAX_BYTES + 1)
    except OSError:
        return None, "none stored yet"
    except Exception:  # noqa: BLE001 - a bad file must not stop a session
        return None, "unreadable"
    if len(data) > _MAX_BYTES:
        return None, "too long (damaged)"
    for b in data:  # ASCII text only (bytes, so every engine decodes alike)
        if b > 126 or (b < 32 and b != 10 and b != 13):
            return None, "damaged (not text)"
    try:
        return loads(data.decode())
    except Exception:  # noqa: BLE001 - likewise
        return None, "unreadable"


class Drift:
    """Baseline, per-minute drift and the drift cue. ``coach`` gives the alert/clear rules."""

    def __init__(self, cfg, q, coach):
        self.q = q
        self.coach = coach
        self.base_min = int(cfg["drift_baseline_min"])
        self.margin = (int(cfg["drift_lean_deg"] * 100), int(cfg["drift_rot_deg"] * 100),
                       int(cfg["drift_tilt_deg"] * 100), int(cfg["drift_drop_deg"] * 100))
        self.after_ms = int(cfg["drift_after_s"] * 1000)
        self.repeat_ms = int(cfg["drift_repeat_s"] * 1000)
        self.en = 1 if cfg["coach_drift"] else 0
        self.last_mode = 1 if cfg["drift_baseline_from"] == "last" else 0
        self.path = None          # where the baseline is kept (attach); None: not kept
        self.session = 0          # this session's number and date (YYYYMMDD, 0 = unknown), for the file
        self.date = 0
        self.say = None
        # a baseline learned in the hot path, to be written by flush() (the heap is locked there):
        # lean, rotation, tilt, drop, then 1 while not yet written (one attribute: each one more on
        # a Drift makes every attribute read of a stride dearer on the ESP32's port)
        self.sv = array("i", bytes(20))
        self.acc = array("i", bytes(36))
        self.reset()

    def reset(self):
        """A new session: no baseline, no minutes."""
        self.minute = 0           # running minutes closed
        a = self.acc              # the minute's sums, the running time (_A_*)
        i = 0
        while i < _A_END:
            a[i] = 0
            i += 1
        a[_A_END] = _MIN_MS
        self.b_n = 0              # minutes in the run's own baseline, sums of their means
        self.b_lean = 0
        self.b_rot = 0
        self.b_tilt = 0
        self.b_drop = 0
        self.learned = 0          # 1 once the run's own baseline is learned
        self.have = 0             # 1 once there is a baseline to compare with (learned or loaded)
        self.base_lean = 0        # the baseline compared with (cdeg)
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

    def attach(self, path, session=0, date=0, say=None, prev=0):
        """Keep the learned baseline in the file at ``path`` (flash), for session number
        ``session`` of date ``date`` (YYYYMMDD, 0 = unknown); with ``drift_baseline_from = "last"``,
        or when this session goes on with the run of session ``prev`` (> 0: restarted) whose
        baseline is the stored one, take the stored one as this session's baseline now (an
        EV_DRIFT_BASE event). Call after the detector's ``start``. ``say(text)``: where a line
        about the baseline goes (a store that cannot be used or written). Returns the line said,
        or None; never raises."""
        self.path = path
        self.session = session
        self.date = date
        self.say = say
        vals, why = load(path)
        same = vals is not None and prev > 0 and vals[4] == prev
        if not self.last_mode and not same:
            return None
        if vals is None:
            return self._say("drift baseline: %s %s: learning it on this run" % (FILE, why))
        self.base_lean, self.base_rot, self.base_tilt, self.base_drop = vals[0], vals[1], vals[2], vals[3]
        self.have = 1
        self.q.push(EV_DRIFT_BASE, 0, vals[0], vals[1], vals[2], vals[3], vals[4], vals[5])
        if same:
            self.learned = 1      # the run's baseline stays, kept now as this session's
            self._save(vals[0], vals[1], vals[2], vals[3])
            return self._say("drift baseline from session %d, the same run before the restart: going on with it"
                             % vals[4])
        return self._say("drift baseline from session %d (%s)" % (vals[4], _date_text(vals[5])))

    def _say(self, text):
        if self.say is not None:
            self.say(text)
        return text

    def stride(self, t, lean, rot, tilt, drop, stride_ms):
        """One running stride ending at ``t`` (ms): its metrics in cdeg (tilt, drop 0 = none).
        (Summed in viper, _add: as attributes, the sums cost ~5000 instructions a stride on the
        ESP32's port, 1.3 % of the detector's work while running.)"""
        if _add(self.acc, lean, rot, tilt, drop, stride_ms):
            self._close(t)

    def _close(self, t):
        # (few locals per function: a MicroPython frame past ~11 words comes from the heap)
        a = self.acc
        n = a[_A_N]
        self.minute += 1
        self.m_lean = a[_A_LEAN] // n
        self.m_rot = a[_A_ROT] // n
        self.m_tilt = a[_A_TILT] // a[_A_NTILT] if a[_A_NTILT] else 0
        self.m_drop = a[_A_DROP] // a[_A_NDROP] if a[_A_NDROP] else 0
        i = 0
        while i < _A_RUN:         # (no range(): this runs inside the detector's heap lock)
            a[i] = 0
            i += 1
        a[_A_END] = (self.minute + 1) * _MIN_MS
        if not self.learned and self._learn(t):
            return  # the minute that completed the baseline is part of it
        if not self.have or self.minute <= _SETTLE_MIN:
            return
        dl = self.m_lean - self.base_lean
        dr = self.m_rot - self.base_rot
        dt = self.m_tilt - self.base_tilt if self.m_tilt and self.base_tilt else 0   # 0: not measured
        dd = self.m_drop - self.base_drop if self.m_drop and self.base_drop else 0
        self.q.push(EV_DRIFT, t, dl, dr, dt, dd, self.minute, 0)
        self.worst = -1
        self._worst(0, dl)
        self._worst(1, dr)
        self._worst(2, dt)
        self._worst(3, dd)
        self._cue(t)

    def _learn(self, t):
        """Add the minute to the run's own baseline; once complete, keep it (file) and, with no
        baseline yet, compare with it from now on. Returns 1 when it became the baseline."""
        if self.minute <= _SETTLE_MIN:
            return 0
        self.b_n += 1
        self.b_lean += self.m_lean
        self.b_rot += self.m_rot
        self.b_tilt += self.m_tilt
        self.b_drop += self.m_drop
        k = self.b_n
        if k < self.base_min:
            return 0
        self.learned = 1
        lean = self.b_lean // k
        rot = self.b_rot // k
        tilt = self.b_tilt // k
        drop = self.b_drop // k
        if self.path is not None:
            # kept by flush(): the app's feed runs with the heap locked, and a file write allocates
            sv = self.sv
            sv[0] = lean
            sv[1] = rot
            sv[2] = tilt
            sv[3] = drop
            sv[4] = 1
        if self.have:
            return 0  # comparing with the last session's baseline: this one is for the next
        self.base_lean = lean
        self.base_rot = rot
        self.base_tilt = tilt
        self.base_drop = drop
        self.have = 1
        self.q.push(EV_DRIFT_BASE, t, lean, rot, tilt, drop, 0, 0)
        return 1

    def flush(self):
        """Write the baseline learned since the last call, if any (``stride`` learns it inside the
        detector's feed, where the app locks the heap: the app calls this after each feed)."""
        sv = self.sv
        if sv[4]:
            sv[4] = 0
            self._save(sv[0], sv[1], sv[2], sv[3])

    def _save(self, lean, rot, tilt, drop):
        # once a session: the line, written whole and renamed over the old one (configstore)
        try:
            from configstore import write_atomic

            write_atomic(self.path, dumps((lean, rot, tilt, drop, self.session, self.date)))
        except Exception as e:  # noqa: BLE001 - a full or failing flash must not stop the coach
            self._say("drift baseline not kept (%s: %s): the next session learns its own" % (FILE, e))

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
            # the coach's rule with drift's own hold and repeat; the episode's last alert goes with
            # it, so its repeats are one episode (faded feedback decides once per episode)
            a = v if v >= 0 else -v
            self.last = self.coach.maybe(R_DRIFT, t, self.held, self.last, a - lim, lim // 2, lim, v, lim,
                                         self.after_ms, 0, self.repeat_ms)
        elif self.on:
            self.coach._end(R_DRIFT, t, v, lim, self.last)
            self.on = 0
            self.held = 0
            self.last = _NONE


def _date_text(d):
    """YYYYMMDD as 'YYYY-MM-DD' ('date unknown' for 0)."""
    if d <= 0:
        return "date unknown"
    return "%04d-%02d-%02d" % (d // 10000, d // 100 % 100, d % 100)


@micropython.viper
def _add(a: ptr32, lean: int, rot: int, tilt: int, drop: int, stride_ms: int) -> int:
    """A stride into the minute's sums ``a`` (Drift.acc, _A_*); 1 when the minute is over."""
    a[_A_N] += 1
    a[_A_LEAN] += lean
    a[_A_ROT] += rot
    if tilt > 0:
        a[_A_TILT] += tilt
        a[_A_NTILT] += 1
    if drop > 0:
        a[_A_DROP] += drop
        a[_A_NDROP] += 1
    a[_A_RUN] += stride_ms
    if a[_A_RUN] >= a[_A_END]:
        return 1
    return 0
