"""Live links to a running board: follow the firmware's console, and capture raw IMU samples.

    from hinge.board import live
    live.parse_line("H 1 9970 -66 728 1047 1146 5 803")   # -> {"type": "stride", ...}
    live.follow(port, 60, on_event)                      # passive: the firmware is not disturbed
    live.capture(port, 30, "run.csv")                    # interrupts the firmware, then restarts it

**Following the console** (``hinge monitor``). The firmware (``device/main.py``) prints one line
per detector event, ``H <type> <t_ms> <a> <b> <c> <d> <e> <f>`` (the 8 ints of
``device/events.py``), and ``H # <text>`` status lines. :func:`follow` attaches in one of two ways:

* passive (default): it opens the serial port and only reads; it sends no byte, so the running
  firmware, its session and its log carry on untouched. Opening the port is what ``mpremote``
  does too (pyserial's default DTR/RTS on Linux and macOS), which does not reset an ESP32 board
  (the auto-reset circuit fires only on the esptool sequence); closing drops RTS, then DTR, as
  ``mpremote`` does, so that USB-serial chips and the ESP32-S3's USB-Serial-JTAG do not pulse EN.
  What it cannot do: see lines printed before it attached, nor tell a quiet board (standing
  still prints nothing) from one sitting at the REPL; it says so after a while.
* ``restart=True``: it enters the raw REPL (Ctrl-C stops main.py, which closes its log), reads
  the coaching limits with the board's own ``configstore.load``, leaves the raw REPL and sends
  Ctrl-D at the friendly REPL: a soft reset that runs boot.py and then main.py (a board runs
  main.py after a friendly soft reset, never after a raw one), and it reads on over the same open
  handle, so nothing the fresh firmware prints is lost. Costs a new session (and a new standing
  calibration). On the virtual board the reset also starts the simulated run again.

**Capturing** (``hinge capture``). :func:`capture` enters the raw REPL with a soft reset (a clean
heap; the firmware is stopped), runs a small program that finds the IMU with the board's own
config (``configstore.load`` + ``board.configure`` + ``imu.find_imu``), reads its FIFO every
50 ms and prints each read as one line ``D<base64 of the int16 samples>`` (7 int16 per sample:
dt in 1/16 ms, unsigned, and raw counts; ~19 bytes a sample, 2 KB/s at 104 Hz against ~11 KB/s
of a 115200-baud UART); the host decodes the lines as they arrive, converts counts to g and
deg/s with the driver's scales and writes the capture CSV through a temp name renamed at the
end, so a broken capture leaves no file that looks complete. ``t_ms`` is the sum of the
firmware's dt (with decimals: what the firmware knows of each sample's time, including its
measured IMU rate once it has one). The number of samples is set by sample time (the firmware's
dt), not by the host's clock: N seconds at R Hz gives about N*R samples (fewer only if the FIFO
overflowed, which the file notes). Afterwards the firmware is restarted (friendly soft
reset) when the board has a main.py.
"""
from __future__ import annotations

import ast
import base64
import binascii
import contextlib
import datetime
import io
import os
import stat as _stat
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hinge.common.errors import HingeError

BAUDRATE = 115200
PLAYED = "virtual: capture played"  # the virtual board's status line when its capture has run out
QUIET_HINT_S = 15.0  # passive follow: say once why nothing shows after this long
COACHED = ("lean_min_deg", "lean_back_deg", "swivel_max_deg", "coach_upright", "coach_backward",
           "coach_swivel", "run_min_spm", "mount_up", "mount_forward", "imu_model")


# ---- console lines --------------------------------------------------------------------------
def parse_line(text) -> dict | None:
    """One console line as a dict, or None when it is not a Hinge line.

    ``H <type> <t_ms> <a> .. <f>`` (8 ints) -> the event as ``hinge replay --jsonl`` names it
    (``{"type": "stride", "t_ms": .., "lean_deg": .., ...}``, ``alert``, ``clear``,
    ``calibrated``, ``calibration_fallback``, ``activity``, ``fault``), or the firmware's own
    ``{"type": "imu_rate", "t_ms": .., "rate_hz": .., "ppm": .., "windows": ..}``; an event code or
    field this host does not know -> ``{"type": "unknown", "code": .., "t_ms": .., "values": [..]}``.
    ``H # <text>`` -> ``{"type": "status", "text": text}``. Bytes are decoded leniently;
    surrounding whitespace and a trailing CR are ignored.
    """
    from hinge.coach.replay import event_dict

    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", "replace")
    s = text.strip()
    if s == "H #" or s.startswith("H # "):
        return {"type": "status", "text": s[4:].strip()}
    if not s.startswith("H "):
        return None
    parts = s.split()[1:]
    if len(parts) != 8:
        return None
    try:
        ints = tuple(int(p) for p in parts)
    except ValueError:
        return None
    if ints[0] == _events().EV_IMU_RATE:  # the firmware's own: the IMU's rate as measured
        return {"type": "imu_rate", "t_ms": ints[1], "rate_hz": ints[2] / 1000, "ppm": ints[3], "windows": ints[4]}
    if ints[0] == _events().EV_DYN:  # the running dynamics of the stride just shown
        from hinge.coach.replay import dyn_fields

        return {"type": "dynamics", "t_ms": ints[1], **dyn_fields(ints)}
    try:
        d = event_dict(ints)
    except (IndexError, KeyError):
        d = None
    if d is None:
        return {"type": "unknown", "code": ints[0], "t_ms": ints[1], "values": list(ints[2:])}
    return d


def _events():
    from hinge.common import devpath

    return devpath.import_device("events")


# ---- coaching limits, for marking strides ----------------------------------------------------
@dataclass
class Limits:
    """The coach's thresholds (degrees) and where they came from."""
    lean_min: float = 4.0
    lean_back: float = -2.0
    swivel_max: float = 20.0
    coach_upright: bool = True
    coach_backward: bool = True
    coach_swivel: bool = True
    source: str = "defaults"

    @classmethod
    def from_config(cls, cfg: dict, source: str) -> Limits:
        lim = cls(source=source)
        lim.update(cfg)
        return lim

    def update(self, cfg: dict):
        self.lean_min = float(cfg.get("lean_min_deg", self.lean_min))
        self.lean_back = float(cfg.get("lean_back_deg", self.lean_back))
        self.swivel_max = float(cfg.get("swivel_max_deg", self.swivel_max))
        self.coach_upright = bool(cfg.get("coach_upright", self.coach_upright))
        self.coach_backward = bool(cfg.get("coach_backward", self.coach_backward))
        self.coach_swivel = bool(cfg.get("coach_swivel", self.coach_swivel))

    def learn(self, ev: dict) -> bool:
        """Take the limit an alert or clear reports (the board's own); True if it changed."""
        if ev.get("type") not in ("alert", "clear") or "limit_deg" not in ev:
            return False
        attr = {"upright": "lean_min", "backward": "lean_back", "swivel": "swivel_max"}.get(ev.get("reason"))
        if attr is None or getattr(self, attr) == ev["limit_deg"]:
            return False
        setattr(self, attr, ev["limit_deg"])
        if "board" not in self.source:
            self.source += " + the board's alerts"
        return True

    def marks(self, stride: dict) -> list[str]:
        """What the coach would object to in this stride (running strides only, as the coach)."""
        if stride.get("activity") != "running":
            return []
        out = []
        lean = stride["lean_deg"]
        if self.coach_backward and lean < self.lean_back:
            out.append("leaning back")
        elif self.coach_upright and lean < self.lean_min:
            out.append("upright")
        if self.coach_swivel and stride["rotation_deg"] > self.swivel_max:
            out.append("swivel")
        return out

    def describe(self) -> str:
        parts = []
        parts.append(f"lean >= {self.lean_min:+.1f} deg" + ("" if self.coach_upright else " (not coached)"))
        parts.append(f"not below {self.lean_back:+.1f}" + ("" if self.coach_backward else " (not coached)"))
        parts.append(f"rotation <= {self.swivel_max:.1f} deg" + ("" if self.coach_swivel else " (not coached)"))
        return ", ".join(parts) + f" [{self.source}]"


# ---- readable view -----------------------------------------------------------------------------
def mmss(t_ms) -> str:
    """Session time as m:ss (h:mm:ss past an hour), floored: hinge.common.timefmt, shared with the report."""
    from hinge.common.timefmt import clock_ms

    return clock_ms(t_ms)


STRIDE_HEAD = f"{'time':>7}  {'activity':<8}  {'cadence':>7}  {'lean':>6}  {'rotation':>8}  {'hip drop':>8}  marks"
_REASON_WORDS = {"upright": "too upright", "backward": "leaning back", "swivel": "swivel (pelvis rotation)",
                 "drift": "form drifted from this run's baseline"}
_FAULT_WORDS = {
    "sensor_fault": "the IMU stopped answering (error {d}): coaching paused until it is back",
    "sensor_back": "the IMU is back ({d} sensor errors so far): coaching again",
    "low_battery": "battery low: {v} V",
    "fifo_overflow": "the IMU FIFO overflowed ({d} times so far): some samples were lost",
    "log_rotated": "flash nearly full: the oldest session log was removed",
}


class Style:
    """ANSI emphasis when writing to a terminal (and NO_COLOR is unset), else plain text."""

    def __init__(self, enabled: bool):
        self.on = enabled

    def _w(self, code, s):
        return f"\x1b[{code}m{s}\x1b[0m" if self.on else s

    def alert(self, s):
        return self._w("1;31", s)

    def warn(self, s):
        return self._w("33", s)

    def good(self, s):
        return self._w("32", s)

    def dim(self, s):
        return self._w("2", s)


def _f1(v) -> str:
    return "-" if v is None else f"{v:+.1f}"


def dynamics_text(ev: dict) -> str:
    """The running dynamics of a stride in one line ("" when nothing was measured)."""
    parts = []
    if ev.get("tilt_swing_deg") is not None:
        parts.append(f"tilt swing {ev['tilt_swing_deg']:.1f}")
    if ev.get("pushoff_pitch_deg") is not None:
        parts.append(f"push-off {ev['pushoff_pitch_deg']:+.1f}")
    if ev.get("hip_drop_left_deg") is not None or ev.get("hip_drop_right_deg") is not None:
        parts.append(f"hip drop L {_f1(ev.get('hip_drop_left_deg'))[1:]} R {_f1(ev.get('hip_drop_right_deg'))[1:]} deg")
    if ev.get("vo_left_cm") is not None or ev.get("vo_right_cm") is not None:
        parts.append(f"bounce {ev.get('vo_left_cm') or '-'}/{ev.get('vo_right_cm') or '-'} cm")
    if ev.get("gct_left_ms") is not None or ev.get("gct_right_ms") is not None:
        parts.append(f"contact L {ev.get('gct_left_ms') or '-'} R {ev.get('gct_right_ms') or '-'} ms")
    return ", ".join(parts)


def format_event(ev: dict, limits: Limits, style: Style | None = None) -> str | None:
    """One readable line for a parsed console event (None: nothing to show)."""
    st = style or Style(False)
    ty = ev.get("type")
    t = f"{mmss(ev['t_ms']):>7}" if "t_ms" in ev else " " * 7
    if ty == "stride":
        marks = limits.marks(ev)
        if not ev.get("calibrated", True):
            marks.append("uncalibrated")
        lean = f"{ev['lean_deg']:+6.1f}"
        rot = f"{ev['rotation_deg']:8.1f}"
        if "upright" in marks or "leaning back" in marks:
            lean = st.warn(lean)
        if "swivel" in marks:
            rot = st.warn(rot)
        return (f"{t}  {ev['activity']:<8}  {ev['cadence_spm']:7.1f}  {lean}  {rot}  "
                f"{ev['roll_deg']:8.1f}  {st.warn(', '.join(marks)) if marks else ''}").rstrip()
    if ty == "dynamics":
        return st.dim("         " + dynamics_text(ev)) if dynamics_text(ev) else None
    if ty == "drift":
        return st.dim(f"{t}  drift from this run's baseline (minute {ev['minute']}): lean {ev['lean_deg']:+.1f}, "
                      f"rotation {ev['rotation_deg']:+.1f}, tilt swing {_f1(ev['tilt_swing_deg'])}, "
                      f"hip drop {_f1(ev['hip_drop_deg'])} deg")
    if ty == "alert":
        what = _REASON_WORDS.get(ev["reason"], ev["reason"])
        metric = "rotation" if ev["reason"] == "swivel" else "lean"
        return st.alert(f"{t}  >>> BUZZ: {what}, severity {ev['severity']} of 3 "
                        f"({metric} {ev['value_deg']:+.1f} deg, limit {ev['limit_deg']:+.1f})")
    if ty == "clear":
        what = _REASON_WORDS.get(ev["reason"], ev["reason"])
        metric = "rotation" if ev["reason"] == "swivel" else "lean"
        return st.good(f"{t}  fixed: {what} ({metric} {ev['value_deg']:+.1f} deg, limit {ev['limit_deg']:+.1f})")
    if ty == "calibrated":
        return (f"{t}  calibrated: standing pose taken (pelvis pitch {ev['stand_pitch_deg']:+.1f} deg, "
                f"roll {ev['stand_roll_deg']:+.1f}); lean is measured from it")
    if ty == "calibration_fallback":
        return st.warn(f"{t}  no standing start: lean is measured against the mount axes "
                       f"(stand still for 3 s to calibrate)")
    if ty == "activity":
        return st.dim(f"{t}  now {ev['activity']} (was {ev['previous']})")
    if ty == "fault":
        f, d = ev["fault"], ev["detail"]
        if f == "config_fallback":
            text = ("config.json was rejected: running on the "
                    + ("last good config" if d == 1 else "defaults") + " (see `hinge config`)")
        else:
            text = _FAULT_WORDS.get(f, f"fault {f} ({d})").format(d=d, v=f"{d / 1000:.2f}")
        return st.warn(f"{t}  {text}")
    if ty == "imu_rate":
        if not ev["windows"]:
            return st.dim(f"{t}  IMU rate {ev['rate_hz']:.3f} Hz (nominal, until measured against the board's clock)")
        return st.dim(f"{t}  IMU rate {ev['rate_hz']:.3f} Hz measured ({ev['ppm'] / 10000:+.2f} % from nominal)")
    if ty == "status":
        return st.dim(f"{t}  board: {ev['text']}")
    if ty == "unknown":
        return st.dim(f"{t}  event {ev['code']} {' '.join(str(v) for v in ev['values'])} (unknown to this host)")
    if ty == "quiet":
        return st.dim(f"{t}  (nothing from the firmware for {ev['seconds']:.0f} s: it prints only while you walk "
                      f"or run; if the board sits at its REPL, use --restart)")
    return None


# ---- opening a port ----------------------------------------------------------------------------
def resolve_port(port: str | None) -> str:
    """``port``, else ``$HINGE_PORT``, else the one attached USB board (BoardError otherwise)."""
    from .transport import find_port

    return port or os.environ.get("HINGE_PORT") or find_port()


def _check_port(port: str):
    if "://" in port:
        return
    try:
        st = os.stat(port)
    except FileNotFoundError:
        raise HingeError(f"no board at {port}: no such port (plug in the USB cable or check --port)") from None
    except OSError as e:
        raise HingeError(f"cannot open {port}: {e.strerror}") from None
    if not _stat.S_ISCHR(st.st_mode):
        raise HingeError(f"no MicroPython board on {port}: it is not a serial port")


def open_console(port: str, timeout: float = 0.2):
    """Open the board's serial port for reading only (exclusive; nothing is sent)."""
    import serial

    _check_port(port)
    try:
        ser = serial.serial_for_url(port, do_not_open=True, baudrate=BAUDRATE, timeout=timeout,
                                    exclusive=True)
        ser.open()
    except (serial.SerialException, OSError, ValueError) as e:
        text = str(e)
        if "lock" in text.lower():
            raise HingeError(f"{port} is busy: another program (mpremote, a serial monitor, "
                             f"another hinge command) has it open") from None
        if getattr(e, "errno", None) == 13 or "ermission" in text:
            raise HingeError(f"no permission to open {port}: add yourself to the dialout (or uucp) group") from None
        raise HingeError(f"cannot open {port}: {text.splitlines()[0] if text else type(e).__name__}") from None
    return ser


def close_console(ser):
    """Close as mpremote does: RTS low, then DTR low (no EN pulse on ESP32 boards)."""
    with contextlib.suppress(Exception):
        ser.rts = False
        ser.dtr = False
    with contextlib.suppress(Exception):
        ser.close()


def _connect(port: str, soft_reset: bool = False, timeout: float = 5.0, retry_timeout: float = 3.0):
    """transport.connect, tried a second time when no REPL answered: a Ctrl-C that meets a
    board while it boots (or the virtual board's interpreter in a bad moment, which it then
    restarts) can be lost; a second one is not. One line with a hint if both fail."""
    from .transport import BoardError, connect

    _check_port(port)
    for attempt, t in enumerate((timeout, retry_timeout)):
        try:
            return connect(port, soft_reset=soft_reset, timeout=t)
        except BoardError as e:
            msg = str(e)
            if not msg.startswith("no MicroPython REPL") or attempt:
                if msg.startswith("no MicroPython REPL"):
                    msg += " (or a program on it ignores Ctrl-C: press its reset button and retry)"
                raise HingeError(msg) from None
    raise AssertionError("unreachable")


_BOARD_LIMITS = """\
def _hlim():
    try:
        import board, configstore
    except ImportError as e:
        print(repr(('nofw', str(e))))
        return
    try:
        import os
        os.stat('main.py')
        m = True
    except OSError:
        m = False
    c, s = configstore.load(board.fs_root())
    print(repr(('ok', {k: c[k] for k in %r if k in c}, s, m)))
try:
    _hlim()
finally:
    del _hlim
"""


def _restart_firmware(port: str, timeout: float = 10.0):
    """Stop main.py, read the board's limits, soft-reset from the friendly REPL so main.py runs
    again, and hand over the open serial handle (nothing printed after the reset is lost)."""
    from .transport import BoardError

    board = _connect(port)
    try:
        kind, *rest = ast.literal_eval(board.exec_(_BOARD_LIMITS % (COACHED,)).strip())
        if kind != "ok":
            raise HingeError(f"no Hinge firmware on the board ({rest[0]}): run `hinge flash`")
        cfg, status, has_main = rest
        if not has_main:
            raise HingeError("the board has no main.py, so nothing would start: run `hinge flash`")
        tr = board.transport
        tr.exit_raw_repl()
        tr.read_until(1, b">>> ", timeout=1.0)
        tr.serial.write(b"\x04")  # Ctrl-D at the friendly REPL's empty line: soft reboot
        got = tr.read_until(1, b"soft reboot\r\n", timeout=timeout)
        if not got.endswith(b"soft reboot\r\n"):
            raise HingeError(f"{port}: the board did not restart (press its reset button)")
        ser = tr.serial
        board.transport = None  # the handle is ours now
    except BoardError as e:
        raise HingeError(str(e)) from None
    except (OSError, ValueError, SyntaxError) as e:
        raise HingeError(f"lost the connection to {port}: {e}") from None
    finally:
        board.close()
    return ser, Limits.from_config(cfg, f"the board's config ({status})")


# ---- following the console -------------------------------------------------------------------
@dataclass
class FollowResult:
    port: str
    mode: str  # "passive" or "restart"
    limits: Limits
    seconds: float = 0.0
    lines: int = 0  # complete lines received
    hinge_lines: int = 0  # of them, Hinge console lines
    stopped_by: str = "time"  # "time", "callback" (on_event returned True), "interrupt"
    counts: dict = field(default_factory=dict)  # events by type


def follow(port, seconds, on_event, *, restart: bool = False, on_line=None, limits: Limits | None = None,
           on_attach=None) -> FollowResult:
    """Follow the firmware's console for ``seconds`` (None: until stopped), calling
    ``on_event(event_dict)`` for every Hinge line (see :func:`parse_line`).

    ``on_event`` returning True stops following. ``restart``: soft-reset the firmware first
    (see the module docstring); ``on_line(text)``: every received line, raw; ``limits``:
    thresholds for a passive follow (the board's own config is read with ``restart``);
    ``on_attach(result)``: called once attached, before any line. A passive follow that has seen
    no Hinge line for ``QUIET_HINT_S`` gets one synthetic ``{"type": "quiet", "seconds": s}``.
    Ctrl-C (KeyboardInterrupt) closes the port and propagates.
    """
    if seconds is not None:
        _check_seconds(seconds)
    port = resolve_port(port)
    if restart:
        ser, lim = _restart_firmware(port)
        mode = "restart"
    else:
        ser = open_console(port)
        lim = limits or Limits()
        mode = "passive"
    res = FollowResult(port, mode, lim)
    t0 = time.monotonic()
    end = None if seconds is None else t0 + seconds
    last_hinge = t0
    hinted = restart
    buf = bytearray()
    try:
        if on_attach is not None:
            on_attach(res)
        while True:
            now = time.monotonic()
            if end is not None and now >= end:
                break
            if not hinted and now - last_hinge >= QUIET_HINT_S:
                hinted = True
                if on_event({"type": "quiet", "seconds": now - last_hinge}):
                    res.stopped_by = "callback"
                    break
            ser.timeout = 0.2 if end is None else max(0.0, min(0.2, end - now))
            try:
                n = ser.in_waiting
                data = ser.read(n if n else 1)
            except Exception as e:  # serial.SerialException, OSError: unplugged, reset
                raise HingeError(f"lost the connection to {port}: {str(e).splitlines()[0] if str(e) else e!r}") from None
            if not data:
                continue
            buf += data
            stop = False
            while not stop:
                i = buf.find(b"\n")
                if i < 0:
                    break
                line = bytes(buf[:i]).decode("utf-8", "replace").rstrip("\r")
                del buf[:i + 1]
                res.lines += 1
                if on_line is not None:
                    on_line(line)
                ev = parse_line(line)
                if ev is None:
                    continue
                res.hinge_lines += 1
                last_hinge = time.monotonic()
                res.counts[ev["type"]] = res.counts.get(ev["type"], 0) + 1
                lim.learn(ev)
                if on_event(ev):
                    res.stopped_by = "callback"
                    stop = True
            if stop:
                break
            if len(buf) > 4096:  # no newline for 4 KiB: not a console line; keep the tail
                del buf[:-256]
    except KeyboardInterrupt:
        res.stopped_by = "interrupt"
        raise
    finally:
        res.seconds = time.monotonic() - t0
        close_console(ser)
    return res


# ---- raw capture --------------------------------------------------------------------------------
CAPTURE_READ_MS = 50  # FIFO read period on the board during a capture
CAPTURE_QUIET_MS = 3000  # board-side: no sample for this long ends the capture with an error

_CAPTURE = """\
def _hcap(secs, rate, nb, per, quiet_ms):
    import sys, binascii
    from array import array
    try:
        import board, configstore, imu
    except ImportError as e:
        print('E no Hinge firmware on the board (%%s): run `hinge flash`' %% e)
        return
    # the firmware's watchdog outlives the soft reset that started this program (its keepalive
    # timer does not): feed it, and leave it fed by a timer for the REPL afterwards
    w = board.wdt(board.WDT_MS) if hasattr(board, 'WDT_MS') else None
    try:
        _hcap2(sys, binascii, array, board, configstore, imu, w, secs, rate, nb, per, quiet_ms)
    finally:
        board.wdt_keepalive(w)
def _hcap2(sys, binascii, array, board, configstore, imu, w, secs, rate, nb, per, quiet_ms):
    cfg, st = configstore.load(board.fs_root())
    if rate:
        cfg['rate_hz'] = rate
    board.configure(cfg)
    kw = {} if cfg.get('imu_rate_cal', True) else {'rate_cal': False}
    try:
        d = imu.find_imu(board.i2c(), cfg['imu_model'], cfg['imu_addr'], cfg['rate_hz'], cfg['accel_range_g'],
                         cfg['gyro_range_dps'], cfg['lpf_hz'], clock=board, **kw)
    except OSError as e:
        print('N', e)
        return
    print('I', repr((d.model, d.addr, d.rate_hz, d.lsb_per_g, d.lsb_per_kdps, d.accel_range_g, d.gyro_range_dps,
                     d.lpf_hz, cfg['mount_up'], cfg['mount_forward'], st, sys.platform)))
    buf = array('h', bytes(14 * nb))
    mv = memoryview(buf)
    goal = int(secs * 16000)
    t = -1
    total = 0
    err = 0
    d.flush()
    seen = board.ticks_ms()
    while True:
        if w:
            w.feed()
        try:
            n = d.read(buf, nb)
        except OSError as e:
            n = 0
            err += 1
            if err == 1:
                print('W', e)
        k = 0
        while k < n:
            t = 0 if t < 0 else t + (buf[7 * k] & 0xFFFF)
            if t >= goal:
                break
            k += 1
        if k:
            sys.stdout.write('D' + binascii.b2a_base64(mv[:7 * k]).decode())
            total += k
            seen = board.ticks_ms()
        if k < n:
            break
        if n == nb:
            continue
        if board.ticks_diff(board.ticks_ms(), seen) > quiet_ms:
            print('E the IMU gave no samples for %%d s (after %%d samples)' %% (quiet_ms // 1000, total))
            return
        board.sleep_ms(per)
    rc = getattr(d, 'rate_clock', None)
    print('Z', total, t, d.overflows, d.lost, err, rc.windows if rc else -1, rc.rate_mhz() if rc else 0,
          rc.ppm() if rc else 0)
try:
    _hcap(%r, %r, %d, %d, %d)
finally:
    del _hcap, _hcap2
"""


@dataclass
class CaptureResult:
    path: Path
    samples: int
    duration_s: float  # sample time covered (last t_ms - first)
    rate_hz: int  # the IMU's configured output rate
    model: str
    addr: int
    lsb_per_g: int
    lsb_per_kdps: int
    accel_range_g: int
    gyro_range_dps: int
    mount_up: str
    mount_forward: str
    config_status: str
    overflows: int = 0
    lost: int = 0
    sensor_errors: int = 0
    wall_s: float = 0.0  # the board program's run, host side
    stream_bytes: int = 0  # console bytes received during it
    restarted: bool = False  # the firmware was started again afterwards
    comments: list = field(default_factory=list)


class _Stream:
    """Decodes the capture program's output as it arrives, line by line: ``I`` the IMU and config
    (a Python literal), ``D`` base64 of whole samples, ``W`` a sensor read error (the first),
    ``N`` no IMU, ``E`` another error, ``Z`` the end (samples, last t, overflows, lost, errors and
    the IMU's rate: windows measured (-1: not measured), mHz, ppm from nominal)."""

    def __init__(self, seconds, progress):
        self.seconds = seconds
        self.progress = progress
        self.buf = bytearray()
        self.info = None
        self.chunks = []
        self.n = 0
        self.t16 = 0  # sample time of the newest sample, 1/16 ms (first = 0)
        self.error = None
        self.warning = None
        self.end = None
        self.garbled = None
        self.nbytes = 0

    def feed(self, part: bytes):
        self.nbytes += len(part)
        self.buf += part
        while True:
            i = self.buf.find(b"\n")
            if i < 0:
                return
            line = bytes(self.buf[:i]).rstrip(b"\r")
            del self.buf[:i + 1]
            self._line(line)

    def _line(self, line: bytes):
        if not line or self.garbled:
            return
        tag = line[:1]
        if tag == b"D":
            try:
                raw = base64.b64decode(line[1:], validate=True)
            except (binascii.Error, ValueError):
                raw = None
            if raw is None or len(raw) % 14:
                self.garbled = f"garbled sample data after {self.n} samples"
                return
            a = np.frombuffer(raw, dtype="<i2").reshape(-1, 7)
            self.chunks.append(a)
            dt = a[:, 0].view(np.uint16).astype(np.int64)  # unsigned 1/16 ms
            if self.n == 0:
                dt = dt[1:]
            self.t16 += int(dt.sum())
            self.n += len(a)
            if self.progress is not None:
                self.progress(min(self.t16 / 16000.0, self.seconds), self.seconds)
        elif tag == b"I":
            self.info = ast.literal_eval(line[2:].decode())
        elif tag == b"E":
            self.error = line[2:].decode("utf-8", "replace")
        elif tag == b"N":  # find_imu's OSError: "no IMU found on I2C (...)", "no IMU at 0x68: ..."
            msg = line[2:].decode("utf-8", "replace")
            self.error = msg if msg.lower().startswith("no imu") else f"IMU problem: {msg}"
        elif tag == b"W":
            self.warning = line[2:].decode("utf-8", "replace")
        elif tag == b"Z":
            self.end = tuple(int(x) for x in line[2:].split())
        # anything else (e.g. a virtual board's status line) is not part of the stream


def _check_seconds(seconds):
    if seconds is None or not 0 < seconds < float("inf"):
        shown = "" if seconds is None else f" {seconds:g}"
        raise HingeError(f"--seconds{shown}: must be a number above 0")


def capture(port, seconds: float, out, rate_hz: int | None = None, progress=None, restart: bool = True,
            command: str = "") -> CaptureResult:
    """Capture ``seconds`` of raw IMU samples from the board into the capture CSV ``out``.

    ``rate_hz``: IMU output rate for this capture (default: the board's config; the chip's
    nearest rate is used); ``progress(done_s, total_s)`` as samples arrive; ``restart``: start
    the firmware again afterwards (when the board has a main.py). Raises HingeError (one line)
    for a missing/busy port, no MicroPython, no Hinge firmware, no IMU or a broken stream; ``out``
    is then not touched (the CSV is written to a temp name and renamed when complete).
    """
    from hinge.common.capture import read_capture, write_capture

    from .transport import BoardError

    _check_seconds(seconds)
    if rate_hz is not None:
        from hinge.common import devpath

        devpath.import_device("config").validate({"rate_hz": rate_hz})  # ValueError: one line
    out = Path(out)
    if out.parent and not out.parent.is_dir():
        raise HingeError(f"{out.parent}: no such folder")
    port = resolve_port(port)
    board = _connect(port, soft_reset=True)
    st = _Stream(float(seconds), progress)
    t0 = time.monotonic()
    restarted = False
    try:
        code = _CAPTURE % (float(seconds), int(rate_hz or 0), 32, CAPTURE_READ_MS, CAPTURE_QUIET_MS)
        try:
            board.exec_(code, timeout=10.0, on_data=st.feed)
        except KeyboardInterrupt:
            _interrupt(board)
            if restart:
                _restart_after(board)
            raise
        except BoardError as e:
            raise HingeError(f"capture broken off after {st.n} samples ({e}); nothing written") from None
        wall = time.monotonic() - t0
        if restart:
            restarted = _restart_after(board)
    finally:
        board.close()
    if st.error:
        raise HingeError(st.error if st.n == 0 else f"{st.error}; nothing written")
    if st.garbled:
        raise HingeError(f"{st.garbled}; nothing written (try again; a cable or hub problem?)")
    if st.info is None or st.end is None:
        raise HingeError(f"capture broken off after {st.n} samples (no end mark); nothing written")
    total, _t_last, overflows, lost, errors, *meas = st.end
    if len(meas) == 3 and meas[0] > 0:  # windows, mHz, ppm (a firmware that measures the IMU's rate)
        rate_note = (f"imu rate {meas[1] / 1000:.3f} Hz as measured against the board's clock "
                     f"({meas[2] / 10000:+.2f} % from nominal): t_ms follows it")
    elif len(meas) == 3 and meas[0] == 0:
        rate_note = "imu rate nominal: not measured yet (it takes 30 s of samples)"
    else:
        rate_note = "imu rate nominal (imu_rate_cal off)" if meas else "imu rate nominal"
    if total != st.n:
        raise HingeError(f"capture incomplete: the board sent {total} samples, {st.n} arrived; nothing written")
    if st.n < 2:
        raise HingeError(f"the IMU gave only {st.n} samples in {seconds:g} s; nothing written")
    model, addr, rate, lsb_g, lsb_k, rng_g, rng_dps, lpf, up, fwd, status, platform = st.info
    raw = np.concatenate(st.chunks)
    dt = raw[:, 0].view(np.uint16).astype(np.int64)  # 1/16 ms, unsigned (device/kernel.py)
    dt[0] = 0
    t_ms = np.cumsum(dt) / 16.0
    acc_g = raw[:, 1:4] / float(lsb_g)
    gyr_dps = raw[:, 4:7] * (1000.0 / float(lsb_k))
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    comments = [
        f"hinge capture: raw IMU samples from the board on {port} ({platform}) at {stamp}"
        + (f" ({command})" if command else ""),
        f"imu={model} addr=0x{addr:02x} rate_hz={rate} accel_range_g={rng_g} gyro_range_dps={rng_dps} lpf_hz={lpf}",
        f"scales: lsb_per_g={lsb_g} lsb_per_kdps={lsb_k} (g = counts / lsb_per_g; deg/s = counts * 1000 / lsb_per_kdps)",
        f"mount_up={up} mount_forward={fwd} (board config: {status})",
        f"samples={st.n} duration_s={t_ms[-1] / 1000:.3f} fifo_overflows={overflows} lost_samples={lost} "
        f"sensor_errors={errors}",
        rate_note,
        f"replay with the board's own scales: hinge replay FILE --set imu_model={model}"
        + (f" --set mount_up={up} --set mount_forward={fwd}" if (up, fwd) != ("+x", "-z") else ""),
    ]
    tmp = out.with_name(f".{out.name}.part")
    try:
        write_capture(tmp, t_ms, acc_g, gyr_dps, comments)
        read_capture(tmp)  # what `hinge replay` will read: the same checks, before the final name
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return CaptureResult(out, st.n, float(t_ms[-1]) / 1000.0, rate, model, addr, lsb_g, lsb_k, rng_g, rng_dps, up, fwd, status,
                         overflows, lost, errors, wall, st.nbytes, restarted, comments)


def _interrupt(board, timeout: float = 3.0):
    """Ctrl-C the running capture program, let its output drain, and come back to a fresh raw
    REPL prompt (also when the program had just ended and the Ctrl-C met the prompt)."""
    tr = board.transport
    if tr is None:
        return
    with contextlib.suppress(Exception):
        tr.serial.write(b"\x03")
        tr.read_until(1, b"\x04>", timeout=timeout)  # the end of the execution, or silence
        with contextlib.redirect_stdout(io.StringIO()):
            tr.enter_raw_repl(soft_reset=False, timeout_overall=timeout)


def _restart_after(board) -> bool:
    """Start the firmware again (friendly soft reset) if the board has a main.py."""
    from .transport import BoardError

    try:
        if not board.fs_exists("main.py"):
            return False
        board.run_main()
        return True
    except BoardError:
        return False
