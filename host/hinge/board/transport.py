"""Thin helpers over mpremote's ``SerialTransport``: what every host command needs from a board.

    from hinge.board.transport import connect, BoardError
    with connect() as board:                 # auto-detects the one USB board, or HINGE_PORT
        print(board.board_info())
        data = board.fs_read("log.bin", progress=lambda done, total: ...)
        board.fs_write("config.json", b"{}")  # atomic: temp name, then os.rename on the board
        assert board.sha256("config.json") == hashlib.sha256(b"{}").hexdigest()

Every failure is a :class:`BoardError` with a one-line message (``.detail`` holds a board
traceback, ``.errno`` an OSError number when there is one).

Board paths are relative to the board's root: a leading ``/`` is stripped, so ``/lib/x.py``
and ``lib/x.py`` are the same file on an ESP32 (cwd ``/``) and on the virtual board (whose flash
root is the interpreter's cwd; an absolute path there would reach the host's filesystem).

mpremote does the raw REPL, raw-paste and soft reset; :mod:`hinge.board.programs` extends its
``SerialTransport`` (bulk reads, a friendly soft reboot) and runs what Hinge needs on the board as
files of ``device/tools/`` (compiled, type-checked and linted like the firmware by ``make lint``):
a file's text is sent once per connection, then each operation is one line calling one of its
functions with literal arguments (``board.call("fsops", "read", path, 1024)``). File data moves
as base64 (binary would collide with the raw REPL's 0x04 framing). Reads stream a whole file in
one execution; writes send one chunk per execution so that raw-paste flow control protects a
board's small receive buffer.

Longer than 500 lines: the one class the commands use for a board (connection, REPL, files,
checksums, facts, each with its one-line errors); the transport beneath is in ``programs.py``.
"""
from __future__ import annotations

import ast
import base64
import binascii
import contextlib
import hashlib
import io
import os
import re
import select
import stat as _stat
import struct
import time
from collections import namedtuple

import serial
import serial.tools.list_ports
from mpremote.transport import TransportError

from .programs import ProgramTransport

BAUDRATE = 115200
# the longest one serial read may wait: mpremote's raw-paste handshake reads without a timeout of
# its own, so a board that stops answering mid-paste (a Ctrl-C on the host at that moment) would
# otherwise hang the command; a long transfer is unaffected (every read waits for bytes at hand)
READ_TIMEOUT_S = 10.0
NO_BOARD = "no board found: plug in the USB cable or pass --port"
FLASH_HINT = "is MicroPython flashed? try `hinge flash --firmware ...`"

# sys.implementation._mpy >> 10: the native-code architecture (MicroPython's MP_NATIVE_ARCH_*).
MPY_ARCHS = (None, "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp",
             "armv7emdp", "xtensa", "xtensawin", "rv32imc", "rv64imc")

Entry = namedtuple("Entry", "name is_dir size")


class BoardError(Exception):
    """Anything that went wrong talking to a board, as one line."""

    def __init__(self, msg, detail=None, errno=None):
        super().__init__(msg)
        self.detail = detail
        self.errno = errno


def _one_line(err: str) -> str:
    lines = [ln.strip() for ln in err.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "error"


def _errno_of(err: str):
    m = re.search(r"OSError: \[Errno (\d+)\]|OSError: (\d+)\s*$", err)
    if m:
        return int(m.group(1) or m.group(2))
    return None


def _norm(path: str) -> str:
    """A board path relative to the board's root ('' is the root)."""
    p = str(path).replace("\\", "/").lstrip("/")
    while p.startswith("./"):
        p = p[2:]
    return "" if p in ("", ".") else p.rstrip("/")


# ---- finding and opening a board ---------------------------------------------------------
def list_ports() -> list[str]:
    """USB serial ports (those with a USB vendor id), as mpremote's ``connect auto`` sees them."""
    return sorted(p.device for p in serial.tools.list_ports.comports() if p.vid is not None)


def find_port() -> str:
    """The one attached USB serial port, else BoardError (none or several)."""
    ports = list_ports()
    if not ports:
        raise BoardError(NO_BOARD)
    if len(ports) > 1:
        raise BoardError(f"several boards: {', '.join(ports)}: pass --port")
    return ports[0]


def port_problem(port: str, err) -> str:
    """One line saying why ``port`` could not be opened (``err``: the exception, or its text)."""
    text = str(err)
    if "lock" in text.lower():
        return (f"{port} is busy: another program (mpremote, a serial monitor, "
                f"another hinge command) has it open")
    if getattr(err, "errno", None) == 13 or "ermission" in text:
        return f"no permission to open {port}: add yourself to the dialout (or uucp) group"
    return f"cannot open {port}: {text.splitlines()[0] if text else type(err).__name__}"


def check_port(port: str):
    """BoardError (one line) unless ``port`` is a serial device (or a pyserial URL)."""
    if "://" in port:  # pyserial URLs (rfc2217://, socket://) are not files
        return
    try:
        st = os.stat(port)
    except FileNotFoundError:
        raise BoardError(f"no board at {port}: no such port (plug in the USB cable or check --port)") from None
    except OSError as e:
        raise BoardError(f"cannot open {port}: {e.strerror}") from None
    if not _stat.S_ISCHR(st.st_mode):
        raise BoardError(f"no MicroPython REPL on {port}: it is not a serial port")


def _why_unopenable(port: str, err) -> str:
    """mpremote could not open ``port``: try once more with pyserial to learn why."""
    try:
        s = serial.Serial(port, BAUDRATE, exclusive=True, timeout=0)
    except serial.SerialException as e:
        return port_problem(port, e)
    s.close()
    return f"cannot open {port}: {err}"


def connect(port: str | None = None, *, soft_reset: bool = False, timeout: float = 5.0) -> Board:
    """Open ``port`` (default: ``$HINGE_PORT``, else the one USB board) and enter its raw REPL.

    Ctrl-C interrupts whatever the board runs (e.g. main.py). ``soft_reset`` then also resets
    the interpreter (a clean heap; boot.py runs, main.py does not), as ``mpremote`` without
    ``resume`` does. ``timeout``: seconds to wait for the REPL.
    """
    port = port or os.environ.get("HINGE_PORT") or find_port()
    check_port(port)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            tr = ProgramTransport(port, baudrate=BAUDRATE, timeout=READ_TIMEOUT_S)
    except TransportError as e:
        raise BoardError(_why_unopenable(port, e)) from None
    board = Board(port, tr)
    try:
        board._enter(soft_reset, timeout)
    except BoardError:
        board.close(leave_raw=False)
        raise
    board.set_clock()
    return board


def local_checksum(data: bytes, algo: str) -> str:
    """The host-side value of :meth:`Board.checksum` for ``data``."""
    if algo == "sha256":
        return hashlib.sha256(data).hexdigest()
    if algo == "crc32":
        return "%08x" % (binascii.crc32(data) & 0xFFFFFFFF)
    raise ValueError(f"unknown checksum {algo}")


class Board:
    """A board in its raw REPL, over mpremote's SerialTransport. Use :func:`connect`."""

    def __init__(self, port: str, transport: ProgramTransport):
        self.port = port
        self.transport = transport

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self, leave_raw: bool = True):
        """Leave the raw REPL (back to the friendly one, as mpremote does) and close the port."""
        tr, self.transport = self.transport, None
        if tr is None:
            return
        try:
            if leave_raw and tr.in_raw_repl:
                tr.exit_raw_repl()
        except (OSError, serial.SerialException):
            pass
        with contextlib.suppress(OSError, serial.SerialException):
            tr.close()

    # ---- REPL ---------------------------------------------------------------------------
    def _enter(self, soft_reset: bool, timeout: float):
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                self.transport.enter_raw_repl(soft_reset=soft_reset, timeout_overall=timeout)
        except TransportError:
            raise BoardError(f"no MicroPython REPL on {self.port}: {FLASH_HINT}") from None
        except (OSError, serial.SerialException) as e:
            raise BoardError(f"lost the connection to {self.port}: {e}") from None

    def set_clock(self, now=None) -> tuple | None:
        """Set the board's RTC to the laptop's clock in UTC (``now``: a timezone-aware datetime,
        default the present), so the session logs the board starts next carry their wall-clock
        start. Every :func:`connect` does it. Returns the RTC's datetime tuple read back, or
        None when the firmware has no ``machine.RTC`` (nothing is lost: the log header then
        says the clock was not set, and ``hinge report --with`` aligns by cadence)."""
        import datetime as _dt

        t = now or _dt.datetime.now(_dt.timezone.utc)
        t = t.astimezone(_dt.timezone.utc)
        dt = (t.year, t.month, t.day, t.weekday(), t.hour, t.minute, t.second, t.microsecond)
        try:
            got = self.value("rtc", "set_utc", dt, timeout=5.0)  # device/tools/rtc.py
        except BoardError:
            return None
        return tuple(got) if isinstance(got, (tuple, list)) else None

    def soft_reset(self, timeout: float = 10.0):
        """Soft-reset the interpreter and come back to the raw REPL (boot.py runs, main.py not)."""
        self._live()
        self._enter(True, timeout)

    def run_main(self, timeout: float = 10.0):
        """Restart the firmware and let go of the board: leave the raw REPL and soft-reset from
        the friendly REPL, so boot.py and then main.py run (as after power-up), then close the
        port. (:meth:`soft_reset` stays in the raw REPL, where main.py does not run.)
        """
        try:
            self._soft_reboot(timeout)
        finally:
            self.close(leave_raw=False)

    def _soft_reboot(self, timeout: float):
        """The transport's friendly soft reboot, as BoardError when the board did not restart."""
        tr = self._live()
        try:
            rebooted = tr.soft_reboot(timeout)
        except (OSError, serial.SerialException) as e:
            raise BoardError(f"lost the connection to {self.port}: {e}") from None
        if not rebooted:
            raise BoardError(f"{self.port}: the board did not restart (press its reset button)")
        return tr

    def release_after_reboot(self, timeout: float = 10.0):
        """:meth:`run_main`, but hand over the open serial handle instead of closing it (nothing
        the fresh firmware prints is lost); the Board is closed without touching the port."""
        tr = self._soft_reboot(timeout)
        self.transport = None
        return tr.serial

    def run_main_watch(self, markers=(b"\n",), wait: float = 5.0, timeout: float = 10.0) -> str:
        """:meth:`run_main`, but first read what the firmware prints after the reset: until a
        line holding one of ``markers`` is complete, the friendly prompt shows (main.py ended or
        crashed), or ``wait`` seconds pass. Returns that text; closes the port."""
        got = bytearray()
        try:
            ser = self._soft_reboot(timeout).serial
            fd = getattr(ser, "fd", None)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                n = ser.in_waiting
                if n:
                    got += ser.read(n)
                    if b"\n>>> " in got or any(got.find(b"\n", got.find(m)) >= 0 for m in markers if m in got):
                        break
                elif fd is not None:
                    select.select([fd], [], [], min(0.2, max(0.0, deadline - time.monotonic())))
                else:
                    time.sleep(0.01)
        except (OSError, serial.SerialException) as e:
            raise BoardError(f"lost the connection to {self.port}: {e}") from None
        finally:
            self.close(leave_raw=False)
        return got.decode("utf-8", "replace").replace("\r\n", "\n")

    def _live(self) -> ProgramTransport:
        if self.transport is None:
            raise BoardError(f"{self.port} is closed")
        return self.transport

    def _run(self, code: str | None, timeout: float, on_data=None, tool=None) -> tuple[bytes, bytes]:
        """(stdout, stderr) of ``code``, or with ``tool = (name, func, args, show)`` of a board
        program's function (see :meth:`ProgramTransport.call`)."""
        tr = self._live()
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                if tool is None:
                    return tr.exec_raw(code, timeout, on_data)
                name, func, args, show = tool
                return tr.call(name, func, *args, timeout=timeout, data_consumer=on_data, show=show)
        except FileNotFoundError as e:  # a board program missing from device/tools (an install problem)
            raise BoardError(str(e)) from None
        except struct.error:  # mpremote's raw-paste handshake cut short (READ_TIMEOUT_S passed)
            raise BoardError(f"{self.port}: no answer for {READ_TIMEOUT_S:g} s (is the board busy?)") from None
        except TransportError as e:
            raise BoardError(f"{self.port}: {_one_line(str(e))}") from None
        except (OSError, serial.SerialException) as e:
            raise BoardError(f"lost the connection to {self.port}: {e}") from None

    @staticmethod
    def _result(out: bytes, err: bytes) -> str:
        if err:
            text = err.decode("utf-8", "replace")
            raise BoardError(f"on the board: {_one_line(text)}", detail=text, errno=_errno_of(text))
        return out.decode("utf-8", "replace")

    def exec_(self, code: str, timeout: float = 10.0, on_data=None) -> str:
        """Run ``code`` on the board; its printed output. ``timeout``: longest silence allowed."""
        return self._result(*self._run(code, timeout, on_data))

    def eval_(self, expr: str, timeout: float = 10.0):
        """The value of a Python literal expression evaluated on the board."""
        return self._literal(self.exec_(f"print(repr(({expr})))", timeout))

    @staticmethod
    def _literal(out: str):
        try:
            return ast.literal_eval(out.strip())
        except (ValueError, SyntaxError):
            raise BoardError(f"not a literal from the board: {out.strip()[:80]!r}") from None

    def call(self, tool: str, func: str, *args, timeout: float = 10.0, on_data=None) -> str:
        """Run ``func(*args)`` of the board program ``device/tools/<tool>.py`` (sent to the board
        once per connection); what it printed. ``timeout``: longest silence allowed."""
        return self._result(*self._run(None, timeout, on_data, (tool, func, args, False)))

    def value(self, tool: str, func: str, *args, timeout: float = 10.0):
        """The value (a Python literal) of ``func(*args)`` of a board program."""
        return self._literal(self._result(*self._run(None, timeout, None, (tool, func, args, True))))

    # ---- files --------------------------------------------------------------------------
    def _fs(self, func: str, path: str, *args, timeout: float = 10.0, on_data=None, show=False):
        """``fsops.func(*args)`` (printed output, or with ``show`` its value) with an OSError
        named after ``path``."""
        try:
            return self._result(*self._run(None, timeout, on_data, ("fsops", func, args, show)))
        except BoardError as e:
            if e.errno == 2:
                raise BoardError(f"{path}: no such file or folder on the board", e.detail, 2) from None
            if e.errno is not None:
                raise BoardError(f"{path}: {_one_line(e.detail)}", e.detail, e.errno) from None
            raise

    def fs_stat(self, path: str) -> os.stat_result:
        """``os.stat`` on the board (mode, size, mtime ...)."""
        return os.stat_result(self._literal(self._fs("stat", path, _norm(path) or ".", show=True)))

    def fs_exists(self, path: str) -> bool:
        try:
            self.fs_stat(path)
            return True
        except BoardError as e:
            if e.errno == 2:
                return False
            raise

    def fs_listdir(self, path: str = "") -> list[Entry]:
        """Entries of a board folder with their sizes (from os.stat where ilistdir has none)."""
        return [Entry(*e) for e in self._literal(self._fs("listdir", path, _norm(path), show=True))]

    def fs_remove(self, path: str):
        self._fs("remove", path, _norm(path))

    def fs_rmdir(self, path: str):
        self._fs("rmdir", path, _norm(path))

    def fs_mkdir(self, path: str, exist_ok: bool = True):
        """Make a folder and its parents on the board."""
        self._fs("mkdir", path, _norm(path), bool(exist_ok))

    def fs_read(self, path: str, progress=None, chunk: int = 1024, timeout: float = 10.0) -> bytes:
        """A board file's bytes. ``progress(done, total)`` is called as data arrives.

        One execution streams the file as base64 lines of ``chunk`` bytes each; ``timeout`` is
        the longest silence allowed.
        """
        return self._read(path, 0, None, progress, chunk, timeout)

    def fs_read_range(self, path: str, offset: int, n: int, progress=None, chunk: int = 1024,
                      timeout: float = 10.0) -> bytes:
        """Up to ``n`` bytes of a board file from byte ``offset`` (fewer at its end; b"" past it).

        For resumable downloads: one execution seeks and streams the range as base64 lines of
        ``chunk`` bytes. ``progress(done, expected)`` is called as data arrives.
        """
        if offset < 0 or n < 0:
            raise ValueError("fs_read_range: offset and n must be >= 0")
        return self._read(path, offset, n, progress, chunk, timeout)

    def _read(self, path, offset, n, progress, chunk, timeout) -> bytes:
        """Stream ``n`` bytes of ``path`` from ``offset`` (None: the whole file) with the board's
        ``read``/``read_range`` (both print the file's size, then base64 lines) and check the
        count against what the size says there is."""

        def want(size):
            return size if n is None else max(0, min(n, size - offset))

        got = bytearray()
        expected = None

        def on_data(part):
            nonlocal expected
            got.extend(part)
            if progress is None:
                return
            nl = got.find(b"\n")
            if expected is None:
                if nl < 0:
                    return
                expected = want(int(got[:nl]))
            progress(min(expected, (len(got) - nl - 1) * 3 // 4), expected)

        if n is None:
            out = self._fs("read", path, _norm(path), chunk, timeout=timeout, on_data=on_data)
        else:
            out = self._fs("read_range", path, _norm(path), int(offset), int(n), chunk, timeout=timeout,
                           on_data=on_data)
        head, _, body = out.partition("\n")
        data = b"".join(binascii.a2b_base64(line) for line in body.splitlines() if line)
        size = int(head)
        if len(data) != want(size):
            if n is None:
                raise BoardError(f"{path}: read {len(data)} bytes, the board says {size}")
            raise BoardError(f"{path}: read {len(data)} bytes at {offset}, expected {want(size)}")
        if progress is not None:
            progress(len(data), len(data))
        return data

    def fs_write(self, path: str, data: bytes, progress=None, chunk: int = 2048,
                 verify: bool = False, timeout: float = 10.0):
        """Write ``data`` to a board file atomically: into ``path + '.tmp'``, checked for size,
        then renamed over ``path`` (an old file stays whole if the transfer breaks off).
        ``verify`` also compares checksums. ``progress(done, total)`` after each chunk.
        """
        p = _norm(path)
        if not p:
            raise BoardError("fs_write needs a file name")
        tmp = p + ".tmp"
        data = bytes(data)
        total = len(data)
        try:
            self._fs("write_open", path, tmp, timeout=timeout)
            for i in range(0, total, chunk):
                self._fs("write_chunk", path, base64.b64encode(data[i:i + chunk]).decode(), timeout=timeout)
                if progress is not None:
                    progress(min(i + chunk, total), total)
            self._fs("write_close", path, tmp, p, total, timeout=timeout)
        except BoardError:
            with contextlib.suppress(BoardError):
                self._fs("write_abort", path, tmp, timeout=timeout)
            raise
        if progress is not None and total == 0:
            progress(0, 0)
        if verify:
            algo, value = self.checksum(p)
            if value != local_checksum(data, algo):
                raise BoardError(f"{path}: {algo} on the board differs from what was sent")

    # ---- checks and facts ---------------------------------------------------------------
    def checksum(self, path: str, timeout: float = 30.0) -> tuple[str, str]:
        """(algorithm, hex) of a board file, computed on the board: sha256, or crc32 on a
        firmware without hashlib.sha256. Compare with :func:`local_checksum`."""
        algo, value = self._literal(self._fs("checksum", path, _norm(path), timeout=timeout, show=True))
        return algo, value

    def checksums(self, paths, timeout: float = 30.0) -> dict:
        """``{path: (algorithm, hex)}`` for many board files in one execution, as
        :meth:`checksum` gives them; ``None`` for a path that cannot be opened (missing)."""
        ps = [_norm(p) for p in paths]
        out = self.call("fsops", "checksums", ps, timeout=timeout)
        got = {}
        for line in out.splitlines():
            if line.strip():
                p, algo, value = ast.literal_eval(line.strip())
                got[p] = (algo, value) if algo else None
        return {p: got.get(q) for p, q in zip(paths, ps)}

    def sha256(self, path: str, timeout: float = 30.0) -> str:
        """Hex SHA-256 of a board file, computed on the board."""
        algo, value = self.checksum(path, timeout)
        if algo != "sha256":
            raise BoardError(f"{self.port}: this firmware has no hashlib.sha256 (use checksum())")
        return value

    def board_info(self) -> dict:
        """What the firmware says about itself: name, version, .mpy arch and version, platform."""
        name, ver, mpy, platform, machine, build = self.value("fsops", "info")
        version = ".".join(str(v) for v in ver[:3]) + (f"-{ver[3]}" if len(ver) > 3 and ver[3] else "")
        arch = mpy_version = None
        if mpy is not None:
            k = mpy >> 10
            arch = MPY_ARCHS[k] if k < len(MPY_ARCHS) else f"arch{k}"
            mpy_version = f"{mpy & 0xFF}.{(mpy >> 8) & 3}"
        return {"name": name, "version": version, "version_info": tuple(ver), "mpy": mpy,
                "arch": arch, "mpy_version": mpy_version, "platform": platform,
                "machine": machine, "build": build}
