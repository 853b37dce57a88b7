"""The ESP32's watchdog, timers and light sleep as the virtual board models them.

What the MicroPython ESP32 port does, and the virtual board (``vmachine``) now does too:

* ``machine.WDT`` cannot be stopped, and a soft reset (Ctrl-D, ``mpremote`` without ``resume``,
  ``sys.exit()`` in main.py) does not stop it: only a hard reset does. A ``machine.Timer`` is
  freed by a soft reset. So a timer that fed the watchdog at the REPL stops feeding it at the
  soft reset, and the board resets itself one timeout later unless the new program feeds it.
  Each interpreter of the pty board (``hinge.ptyboard``) is a new process, so the armed watchdog
  lives in a small JSON ``State`` file outside the flash: ``{"wdt_ms", "fed_s", "scale",
  "keepalive"}`` (``fed_s``: host wall time of the last feed, written at most every quarter
  timeout; ``keepalive``: a running Timer feeds it). The supervisor watches it and resets the
  board when the watchdog goes unfed for its timeout (also while the interpreter waits at its
  REPL, where the virtual clock stands still), and drops ``keepalive`` when the interpreter ends.
* A Timer's callback runs as the virtual clock passes its period (``run_timers``). A periodic
  Timer whose callback feeds the armed watchdog (tried once when it is started, as the board's
  scheduler would soon run it) marks the watchdog ``keepalive`` for as long as the Timer runs.
* ``machine.lightsleep`` wakes on its timer (and GPIO/touch sources, none set up here), not on
  the UART: bytes that arrive while the ESP32 light-sleeps are lost, a Ctrl-C among them. With
  ``scale > 0`` (real time passes) a SIGINT landing in a light sleep is swallowed
  (``sleep_deaf``) and counted in ``VBoard.ctrl_c_lost``.
"""
import json
import time

try:
    import os
except ImportError:  # pragma: no cover
    os = None

SLACK_DIV = 4  # fed_s is written at most every timeout/4: the supervisor waits timeout + timeout/4
# ... and at least this long in real time: the supervisor cannot tell a board that stopped feeding
# from an interpreter the host did not run for a moment (a loaded CI box stalls a process for
# 0.1-0.5 s; at --speed 40 the 8 s watchdog is 0.2 s real, and such a stall reset the demo's
# board mid-run). A real board runs at scale 1, where the timeout is far above this floor.
REAL_FLOOR_S = 1.0


def _wall_s():
    return time.time()


class State:
    """The board's watchdog as it outlives an interpreter: a JSON file (see the module doc)."""

    def __init__(self, path, clock):
        self.path = path
        self.clock = clock
        self.data = {}
        self._written = None  # virtual ms of the last write

    def read(self):
        try:
            with open(self.path) as f:
                return json.loads(f.read())
        except (OSError, ValueError):
            return {}

    def write(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write(json.dumps(self.data))
        os.rename(tmp, self.path)
        if self.clock is not None:
            self._written = self.clock.now()

    def restore(self, board):
        """A watchdog armed before this interpreter started is armed in it too (already fed
        ``now - fed_s`` ago, in virtual time)."""
        d = self.read()
        if not d.get("wdt_ms"):
            return
        import vmachine

        self.data = d
        ago = int((_wall_s() - d.get("fed_s", _wall_s())) * 1000 * self.clock.scale) if self.clock.scale else 0
        vmachine.WDT(timeout=d["wdt_ms"], _board=board, _fed=self.clock.now() - max(0, ago))

    def armed(self, w):
        self.data = {"wdt_ms": w.timeout, "fed_s": _wall_s(), "scale": self.clock.scale,
                     "keepalive": self.data.get("keepalive", False)}
        self.write()

    def fed(self, w):
        # only where real time matters (scale > 0: the supervisor watches it), a quarter timeout apart
        if self.clock.scale and (self._written is None or self.clock.now() - self._written >= w.timeout // SLACK_DIV):
            self.data["fed_s"] = _wall_s()
            self.write()

    def keepalive(self, on):
        if self.data.get("wdt_ms") and bool(self.data.get("keepalive")) != on:
            self.data["keepalive"] = on
            self.data["fed_s"] = _wall_s()
            self.write()


class Timer:
    """``machine.Timer``: ``init(mode=, period=|freq=, callback=)``, ``deinit()``. The callback
    runs as virtual time passes; the Timer dies with its interpreter (a soft reset frees it)."""

    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id=-1, **kw):
        import vmachine

        self.id = id
        self._board = vmachine.current()
        self._cb = None
        self.period = 0
        self.mode = Timer.PERIODIC
        self._next = 0
        self.feeds_wdt = False
        if kw:
            self.init(**kw)

    def init(self, mode=1, period=-1, freq=-1, callback=None, tick_hz=1000):
        b = self._board
        if freq > 0:
            period = max(1, 1000 // freq)
        if period <= 0:
            raise ValueError("period or freq needed")
        for t in b.timers:  # Timer(0) twice is one hardware timer
            if t is not self and t.id == self.id and self.id >= 0:
                t.deinit()
        self.period, self.mode, self._cb = period, mode, callback
        self._next = b.clock.now() + period
        if self not in b.timers:
            b.timers.append(self)
        w = b.wdt
        self.feeds_wdt = False
        if w is not None and callback is not None and mode == Timer.PERIODIC and period < w.timeout:
            n = w.feeds
            callback(self)  # as the board's scheduler soon would
            self.feeds_wdt = w.feeds != n
        _keepalive_changed(b)

    def deinit(self):
        b = self._board
        if self in b.timers:
            b.timers.remove(self)
        self.feeds_wdt = False
        _keepalive_changed(b)


def _keepalive_changed(b):
    if b.state is not None:
        b.state.keepalive(any(t.feeds_wdt for t in b.timers))


def run_timers(b, now):
    """Call every Timer whose time has come (periodic ones once per period passed)."""
    for t in list(b.timers):
        while t in b.timers and now >= t._next:
            if t.mode == Timer.PERIODIC:
                t._next += t.period
            else:
                b.timers.remove(t)
            if t._cb is not None:
                t._cb(t)


def sleep_deaf(b, ms):
    """``ms`` of light sleep on board ``b``: virtual time moves as in ``sleep_ms``; with real time
    in play (``scale > 0``) a KeyboardInterrupt landing in it is lost (the UART was asleep)."""
    c = b.clock
    if not c.scale:
        c.advance(ms)
        return
    end = _wall_s() + ms / 1000 / c.scale
    while True:
        left = end - _wall_s()
        if left <= 0:
            break
        try:
            time.sleep(left)
        except KeyboardInterrupt:
            b.ctrl_c_lost += 1
    c.advance(ms, slept=True)


# ---- the pty board's supervisor side (host CPython; see hinge.ptyboard) ----------------------
def overdue_ms(path):
    """Virtual ms by which the watchdog in the state file at ``path`` is overdue (its timeout
    plus the quarter-timeout write slack passed since ``fed_s``, and at least REAL_FLOOR_S of real
    time, with no Timer feeding it); 0 if it is not armed, is kept alive, or the board's clock is
    not tied to real time (scale 0)."""
    s = State(path, None).read()
    if not s.get("wdt_ms") or s.get("keepalive") or not s.get("scale"):
        return 0
    unfed_s = _wall_s() - s.get("fed_s", 0)
    unfed = unfed_s * 1000 * s["scale"]
    late = unfed - s["wdt_ms"] * (SLACK_DIV + 1) // SLACK_DIV
    return int(unfed) if late > 0 and unfed_s >= REAL_FLOOR_S else 0


def interpreter_ended(path, hard):
    """The interpreter has gone: a hard reset disarms the watchdog (the file goes); a soft reset
    frees its Timers, so a watchdog they kept alive is fed for the last time now."""
    if hard:
        power_up(path)
        return
    st = State(path, None)
    d = st.read()
    if d.get("keepalive"):
        d["keepalive"] = False
        d["fed_s"] = _wall_s()
        st.data = d
        st.write()


def power_up(path):
    """No watchdog runs after power-up or a hard reset."""
    try:
        os.remove(path)
    except OSError:
        pass
