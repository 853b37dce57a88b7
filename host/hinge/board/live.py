"""Live link to a running board: follow the firmware's console (``hinge monitor``).

    from hinge.board import live
    live.parse_line("H 1 9970 -66 728 1047 1146 5 803")   # -> {"type": "stride", ...}
    live.follow(port, 60, on_event)                      # passive: the firmware is not disturbed

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
  the config the firmware will coach with (``device/tools/console.py``: the board's own
  ``configstore.load``), leaves the raw REPL and sends
  Ctrl-D at the friendly REPL: a soft reset that runs boot.py and then main.py (a board runs
  main.py after a friendly soft reset, never after a raw one), and it reads on over the same open
  handle, so nothing the fresh firmware prints is lost. Costs a new session (and a new standing
  calibration). On the virtual board the reset also starts the simulated run again.

Strides are marked with the faults the device's own coach (``device/coach.py``) holds after
them, run here on the strides received (:class:`~hinge.board.marks.Limits`), so the marks follow
the board's smoothing and hysteresis rather than a copy of its threshold rule; the optional cues
(hip drop, tilt swing, cadence, when on) are marked on the stride's dynamics line, which carries
what they read.

Raw IMU capture (``hinge capture``) is :mod:`hinge.board.capture`.
"""
from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field

from hinge.common.errors import HingeError

from .marks import Limits

PLAYED = "virtual: capture played"  # the virtual board's status line when its capture has run out
QUIET_HINT_S = 15.0  # passive follow: say once why nothing shows after this long


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


# ---- readable view -----------------------------------------------------------------------------
def mmss(t_ms) -> str:
    """Session time as m:ss (h:mm:ss past an hour), floored: hinge.common.timefmt, shared with the report."""
    from hinge.common.timefmt import clock_ms

    return clock_ms(t_ms)


STRIDE_HEAD = f"{'time':>7}  {'activity':<8}  {'cadence':>7}  {'lean':>6}  {'rotation':>8}  {'roll':>8}  marks"
_REASON_WORDS = {"upright": "too upright", "backward": "leaning back", "swivel": "swivel (pelvis rotation)",
                 "drift": "form drifted from your baseline", "hip_drop": "hip drop",
                 "tilt_swing": "tilt swing (pelvis rocking)", "cadence": "cadence below your target"}
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
    """One readable line for a parsed console event (None: nothing to show). A stride runs
    ``limits``' coach (:meth:`Limits.marks`), its dynamics line the optional cues
    (:meth:`Limits.form_marks`): give the lines in order, each once."""
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
    if ty == "dynamics":   # and the optional cues' marks: the coach's form() needs these values
        marks = limits.form_marks(ev)
        text = dynamics_text(ev)
        if not text and not marks:
            return None
        tail = st.warn("marks: " + ", ".join(marks)) if marks else ""
        return (st.dim("         " + text) + "  " + tail).rstrip() if text else "         " + tail
    if ty == "drift":
        return st.dim(f"{t}  drift from the baseline (minute {ev['minute']}): lean {ev['lean_deg']:+.1f}, "
                      f"rotation {ev['rotation_deg']:+.1f}, tilt swing {_f1(ev['tilt_swing_deg'])}, "
                      f"hip drop {_f1(ev['hip_drop_deg'])} deg")
    if ty == "drift_base":
        src = ("learned on this run" if not ev["from_session"] else
               f"from session {ev['from_session']} ({ev['from_date'] or 'date unknown'})")
        return st.dim(f"{t}  drift baseline {src}: lean {ev['lean_deg']:+.1f}, rotation {ev['rotation_deg']:.1f}, "
                      f"tilt swing {_f1(ev['tilt_swing_deg'])}, hip drop {_f1(ev['hip_drop_deg'])} deg")
    if ty == "cadence_base":
        src = "kept from an earlier run" if ev["kept"] else "learned on this run"
        return st.dim(f"{t}  cadence baseline {ev['baseline_spm']:.1f} steps/min ({src}): "
                      f"target {ev['target_spm']:.1f}")
    if ty in ("alert", "clear"):
        from hinge.coach.replay import cue_text
    if ty == "alert":
        what = _REASON_WORDS.get(ev["reason"], ev["reason"])
        return st.alert(f"{t}  >>> {'(no buzz) ' if ev.get('withheld') else 'BUZZ: '}{what}, severity "
                        f"{ev['severity']} of 3 ({cue_text(ev)})")
    if ty == "clear":
        what = _REASON_WORDS.get(ev["reason"], ev["reason"])
        return st.good(f"{t}  fixed: {what} ({cue_text(ev)})")
    if ty in ("calibrated", "calibration_fallback") and ev.get("mount_flipped"):
        return st.warn(f"{t}  worn the other way up from the config: read so (turned about forward); "
                       + ("lean is measured from the standing pose before the run"
                          if ty == "calibrated" else "lean is measured against the mount axes"))
    if ty == "calibrated":
        if ev.get("earlier"):
            return st.warn(f"{t}  no standing start: lean is measured from an earlier run's standing pose "
                           f"(pelvis pitch {ev['stand_pitch_deg']:+.1f} deg; stand still for 3 s to take today's)")
        if ev.get("restored"):
            return (f"{t}  restarted mid-run: lean is measured from this run's standing pose "
                    f"(pelvis pitch {ev['stand_pitch_deg']:+.1f} deg)")
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
    """transport.check_port, as a HingeError."""
    from .transport import BoardError, check_port

    try:
        check_port(port)
    except BoardError as e:
        raise HingeError(str(e)) from None


def open_console(port: str, timeout: float = 0.2):
    """Open the board's serial port for reading only (exclusive; nothing is sent)."""
    import serial

    from .transport import BAUDRATE, port_problem

    _check_port(port)
    try:
        ser = serial.serial_for_url(port, do_not_open=True, baudrate=BAUDRATE, timeout=timeout,
                                    exclusive=True)
        ser.open()
    except (serial.SerialException, OSError, ValueError) as e:
        raise HingeError(port_problem(port, e)) from None
    return ser


def close_console(ser):
    """Close as mpremote does: RTS low, then DTR low (no EN pulse on ESP32 boards)."""
    with contextlib.suppress(Exception):
        ser.rts = False
        ser.dtr = False
    with contextlib.suppress(Exception):
        ser.close()


def connect_board(port: str, soft_reset: bool = False, timeout: float = 5.0, retry_timeout: float = 3.0):
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


def _restart_firmware(port: str, timeout: float = 10.0):
    """Stop main.py, read the board's limits, soft-reset from the friendly REPL so main.py runs
    again, and hand over the open serial handle (nothing printed after the reset is lost)."""
    from .transport import BoardError

    board = connect_board(port)
    try:
        kind, *rest = board.value("console", "config")
        if kind != "ok":
            raise HingeError(f"no Hinge firmware on the board ({rest[0]}): run `hinge flash`")
        cfg, status, has_main = rest
        if not has_main:
            raise HingeError("the board has no main.py, so nothing would start: run `hinge flash`")
        ser = board.release_after_reboot(timeout)
    except BoardError as e:
        raise HingeError(str(e)) from None
    except (ValueError, TypeError) as e:
        raise HingeError(f"unexpected answer from the board on {port}: {e}") from None
    finally:
        board.close()
    return ser, Limits.from_config(cfg, f"the board's config ({status})")


def check_seconds(seconds):
    if seconds is None or not 0 < seconds < float("inf"):
        shown = "" if seconds is None else f" {seconds:g}"
        raise HingeError(f"--seconds{shown}: must be a number above 0")


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
        check_seconds(seconds)
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
