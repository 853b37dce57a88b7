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

mpremote does the raw REPL, raw-paste and soft reset; this module only reads the output of an
execution itself, in bulk (mpremote's ``follow`` reads a byte at a time and sleeps 10 ms when
the line is quiet), and moves file data as base64 (binary would collide with the raw REPL's
0x04 framing). Reads stream a whole file in one execution; writes send one chunk per execution
so that raw-paste flow control protects a board's small receive buffer.
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
import time
from collections import namedtuple

import serial
import serial.tools.list_ports
from mpremote.transport import TransportError
from mpremote.transport_serial import SerialTransport

BAUDRATE = 115200
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


def _why_unopenable(port: str, err) -> str:
    try:
        s = serial.Serial(port, BAUDRATE, exclusive=True, timeout=0)
    except serial.SerialException as e:
        text = str(e)
        if "lock" in text.lower():
            return (f"{port} is busy: another program (mpremote, a serial monitor, "
                    f"another hinge command) has it open")
        if getattr(e, "errno", None) == 13 or "ermission" in text:
            return f"no permission to open {port}: add yourself to the dialout (or uucp) group"
        return f"cannot open {port}: {text}"
    s.close()
    return f"cannot open {port}: {err}"


def connect(port: str | None = None, *, soft_reset: bool = False, timeout: float = 5.0) -> Board:
    """Open ``port`` (default: ``$HINGE_PORT``, else the one USB board) and enter its raw REPL.

    Ctrl-C interrupts whatever the board runs (e.g. main.py). ``soft_reset`` then also resets
    the interpreter (a clean heap; boot.py runs, main.py does not), as ``mpremote`` without
    ``resume`` does. ``timeout``: seconds to wait for the REPL.
    """
    port = port or os.environ.get("HINGE_PORT") or find_port()
    if "://" not in port:  # pyserial URLs (rfc2217://, socket://) are not files
        try:
            st = os.stat(port)
        except FileNotFoundError:
            raise BoardError(f"no board at {port}: no such port (plug in the USB cable or check --port)") from None
        except OSError as e:
            raise BoardError(f"cannot open {port}: {e.strerror}") from None
        if not _stat.S_ISCHR(st.st_mode):
            raise BoardError(f"no MicroPython REPL on {port}: it is not a serial port")
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            tr = _Transport(port, baudrate=BAUDRATE)
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


# machine.RTC from the laptop's clock, in UTC (the virtual board's machine is ``vmachine``)
_SET_RTC = ("try:\n from machine import RTC\nexcept ImportError:\n from vmachine import RTC\n"
            "RTC().datetime(%r)\nprint(RTC().datetime())")


class _Transport(SerialTransport):
    """mpremote's SerialTransport, waiting for input with select() instead of 10 ms sleeps.

    Same protocol and semantics; only ``read_until``'s idle wait differs, which takes an
    execution's round trip from ~11 ms to ~1 ms (every raw-paste acknowledgement waited).
    """

    def read_until(self, min_num_bytes, ending, timeout=10, data_consumer=None,
                   timeout_overall=None):
        fd = getattr(self.serial, "fd", None)
        if fd is None:
            return super().read_until(min_num_bytes, ending, timeout, data_consumer, timeout_overall)
        data = bytearray()
        t0 = t_char = time.monotonic()
        while not data.endswith(ending):
            if self.serial.in_waiting:
                c = self.serial.read(1)
                if data_consumer:
                    data_consumer(c)
                    data[:] = c
                else:
                    data += c
                t_char = time.monotonic()
                continue
            now = time.monotonic()
            waits = [0.05]
            if timeout is not None:
                waits.append(t_char + timeout - now)
            if timeout_overall is not None:
                waits.append(t0 + timeout_overall - now)
            w = min(waits)
            if w <= 0:
                break
            select.select([fd], [], [], w)
        return bytes(data)


# Board-side code. Names are prefixed _h and deleted again: the REPL's globals are the user's.
_LISTDIR = """\
import os
def _hl(p):
    r = []
    for e in (os.ilistdir(p) if p else os.ilistdir()):
        d = e[1] == 0x4000
        s = e[3] if len(e) > 3 else 0
        if not d and not s:
            s = os.stat((p + '/' if p else '') + e[0])[6]
        r.append((e[0], d, s))
    return r
try:
    print(repr(_hl(%r)))
finally:
    del _hl
"""

_READ = """\
import os, binascii
def _hr(p, n):
    print(os.stat(p)[6])
    with open(p, 'rb') as f:
        while 1:
            b = f.read(n)
            if not b:
                break
            print(binascii.b2a_base64(b).decode(), end='')
try:
    _hr(%r, %d)
finally:
    del _hr
"""

_READ_RANGE = """\
import os, binascii
def _hq(p, o, n, c):
    print(os.stat(p)[6])
    with open(p, 'rb') as f:
        f.seek(o)
        while n > 0:
            b = f.read(c if c < n else n)
            if not b:
                break
            n -= len(b)
            print(binascii.b2a_base64(b).decode(), end='')
try:
    _hq(%r, %d, %d, %d)
finally:
    del _hq
"""

_WRITE_OPEN = """\
import os, binascii
_hf = open(%r, 'wb')
def _hw(s):
    _hf.write(binascii.a2b_base64(s))
"""

_WRITE_CLOSE = """\
def _hc(t, p, n):
    _hf.close()
    s = os.stat(t)[6]
    if s != n:
        raise OSError('wrote %%d bytes, expected %%d' %% (s, n))
    try:
        os.rename(t, p)
    except OSError:  # FAT will not rename over a file
        os.remove(p)
        os.rename(t, p)
try:
    _hc(%r, %r, %d)
finally:
    del _hc, _hw, _hf
"""

_WRITE_ABORT = """\
try:
    _hf.close()
except Exception:
    pass
try:
    import os
    os.remove(%r)
except OSError:
    pass
for _n in ('_hf', '_hw', '_hc'):
    if _n in globals():
        del globals()[_n]
"""

_CHECKSUM = """\
import binascii
def _hs(p):
    try:
        import hashlib
        h = hashlib.sha256()
        a = 'sha256'
    except (ImportError, AttributeError):
        h = None
        a = 'crc32'
    c = 0
    b = bytearray(1024)
    m = memoryview(b)
    with open(p, 'rb') as f:
        while 1:
            n = f.readinto(b)
            if not n:
                break
            if h:
                h.update(m[:n])
            else:
                c = binascii.crc32(m[:n], c)
    print(a, binascii.hexlify(h.digest()).decode() if h else '%%08x' %% (c & 0xffffffff))
try:
    _hs(%r)
finally:
    del _hs
"""

_CHECKSUMS = """\
import binascii
def _hm(ps):
    try:
        import hashlib
        hashlib.sha256
        a = 'sha256'
    except (ImportError, AttributeError):
        a = 'crc32'
    b = bytearray(1024)
    m = memoryview(b)
    for p in ps:
        try:
            f = open(p, 'rb')
        except OSError:
            print(repr((p, None, None)))
            continue
        h = hashlib.sha256() if a == 'sha256' else None
        c = 0
        with f:
            while 1:
                n = f.readinto(b)
                if not n:
                    break
                if h:
                    h.update(m[:n])
                else:
                    c = binascii.crc32(m[:n], c)
        print(repr((p, a, binascii.hexlify(h.digest()).decode() if h else '%%08x' %% (c & 0xffffffff))))
try:
    _hm(%r)
finally:
    del _hm
"""

_INFO = """\
import sys
_hi = sys.implementation
print(repr((_hi.name, tuple(_hi.version), getattr(_hi, '_mpy', None), sys.platform,
            getattr(_hi, '_machine', ''), getattr(_hi, '_build', ''))))
del _hi
"""


def local_checksum(data: bytes, algo: str) -> str:
    """The host-side value of :meth:`Board.checksum` for ``data``."""
    if algo == "sha256":
        return hashlib.sha256(data).hexdigest()
    if algo == "crc32":
        return "%08x" % (binascii.crc32(data) & 0xFFFFFFFF)
    raise ValueError(f"unknown checksum {algo}")


class Board:
    """A board in its raw REPL, over mpremote's SerialTransport. Use :func:`connect`."""

    def __init__(self, port: str, transport: SerialTransport):
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
            out = self.exec_(_SET_RTC % (dt,), 5.0)
            return tuple(ast.literal_eval(out.strip().splitlines()[-1]))
        except (BoardError, ValueError, SyntaxError, IndexError):
            return None

    def soft_reset(self, timeout: float = 10.0):
        """Soft-reset the interpreter and come back to the raw REPL (boot.py runs, main.py not)."""
        self._live()
        self._enter(True, timeout)

    def run_main(self, timeout: float = 10.0):
        """Restart the firmware and let go of the board: leave the raw REPL and soft-reset from
        the friendly REPL, so boot.py and then main.py run (as after power-up), then close the
        port. (:meth:`soft_reset` stays in the raw REPL, where main.py does not run.)
        """
        tr = self._live()
        try:
            if tr.in_raw_repl:
                tr.exit_raw_repl()
            tr.read_until(1, b">>> ", timeout=1.0)  # the friendly REPL's banner and prompt
            tr.serial.write(b"\x04")  # Ctrl-D at an empty line: soft reboot
            got = tr.read_until(1, b"soft reboot", timeout=timeout)
        except (OSError, serial.SerialException) as e:
            self.close(leave_raw=False)
            raise BoardError(f"lost the connection to {self.port}: {e}") from None
        self.close(leave_raw=False)
        if not got.endswith(b"soft reboot"):
            raise BoardError(f"{self.port}: the board did not restart (press its reset button)")

    def run_main_watch(self, markers=(b"\n",), wait: float = 5.0, timeout: float = 10.0) -> str:
        """:meth:`run_main`, but first read what the firmware prints after the reset: until a
        line holding one of ``markers`` is complete, the friendly prompt shows (main.py ended or
        crashed), or ``wait`` seconds pass. Returns that text; closes the port."""
        tr = self._live()
        got = bytearray()
        try:
            if tr.in_raw_repl:
                tr.exit_raw_repl()
            tr.read_until(1, b">>> ", timeout=1.0)
            tr.serial.write(b"\x04")
            if not tr.read_until(1, b"soft reboot", timeout=timeout).endswith(b"soft reboot"):
                raise BoardError(f"{self.port}: the board did not restart (press its reset button)")
            ser = tr.serial
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

    def _live(self) -> SerialTransport:
        if self.transport is None:
            raise BoardError(f"{self.port} is closed")
        return self.transport

    def _run(self, code: str, timeout: float, on_data=None) -> tuple[bytes, bytes]:
        tr = self._live()
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                tr.exec_raw_no_follow(code)
            return self._follow(timeout, on_data)
        except TransportError as e:
            raise BoardError(f"{self.port}: {e}") from None
        except (OSError, serial.SerialException) as e:
            raise BoardError(f"lost the connection to {self.port}: {e}") from None

    def _follow(self, timeout: float, on_data) -> tuple[bytes, bytes]:
        """Read ``stdout 0x04 stderr 0x04`` in bulk, leaving the raw REPL's '>' prompt unread.

        The prompt is the last byte the board sends, so keeping the last two arrived bytes
        back until they are read one at a time never consumes it (mpremote reads it next).
        """
        ser = self.transport.serial
        fd = getattr(ser, "fd", None)
        parts = (bytearray(), bytearray())
        which = 0
        quiet_until = time.monotonic() + timeout
        while True:
            n = ser.in_waiting
            if not n:
                left = quiet_until - time.monotonic()
                if left <= 0:
                    raise BoardError(f"{self.port}: no answer for {timeout:g} s (is the board busy?)")
                if fd is not None:
                    select.select([fd], [], [], min(left, 0.2))
                else:
                    time.sleep(0.002)
                continue
            data = ser.read(n - 2 if n > 2 else 1)
            quiet_until = time.monotonic() + timeout
            while data:
                i = data.find(b"\x04")
                part = data if i < 0 else data[:i]
                parts[which].extend(part)
                if which == 0 and on_data and part:
                    on_data(part)
                if i < 0:
                    break
                data = data[i + 1:]
                which += 1
                if which == 2:
                    return bytes(parts[0]), bytes(parts[1])

    def exec_(self, code: str, timeout: float = 10.0, on_data=None) -> str:
        """Run ``code`` on the board; its printed output. ``timeout``: longest silence allowed."""
        out, err = self._run(code, timeout, on_data)
        if err:
            text = err.decode("utf-8", "replace")
            raise BoardError(f"on the board: {_one_line(text)}", detail=text, errno=_errno_of(text))
        return out.decode("utf-8", "replace")

    def eval_(self, expr: str, timeout: float = 10.0):
        """The value of a Python literal expression evaluated on the board."""
        out = self.exec_(f"print(repr(({expr})))", timeout)
        try:
            return ast.literal_eval(out.strip())
        except (ValueError, SyntaxError):
            raise BoardError(f"not a literal from the board: {out.strip()[:80]!r}") from None

    # ---- files --------------------------------------------------------------------------
    def _fs(self, code: str, path: str, timeout: float = 10.0, on_data=None) -> str:
        try:
            return self.exec_(code, timeout, on_data)
        except BoardError as e:
            if e.errno == 2:
                raise BoardError(f"{path}: no such file or folder on the board", e.detail, 2) from None
            if e.errno is not None:
                raise BoardError(f"{path}: {_one_line(e.detail)}", e.detail, e.errno) from None
            raise

    def fs_stat(self, path: str) -> os.stat_result:
        """``os.stat`` on the board (mode, size, mtime ...)."""
        p = _norm(path) or "."
        out = self._fs(f"import os\nprint(repr(tuple(os.stat({p!r}))))", path)
        return os.stat_result(ast.literal_eval(out.strip()))

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
        out = self._fs(_LISTDIR % _norm(path), path)
        return [Entry(*e) for e in ast.literal_eval(out.strip())]

    def fs_remove(self, path: str):
        self._fs(f"import os\nos.remove({_norm(path)!r})", path)

    def fs_rmdir(self, path: str):
        self._fs(f"import os\nos.rmdir({_norm(path)!r})", path)

    def fs_mkdir(self, path: str, exist_ok: bool = True):
        """Make a folder and its parents on the board."""
        parts = _norm(path).split("/")
        for k in range(1, len(parts) + 1):
            sub = "/".join(parts[:k])
            last = k == len(parts)
            code = (f"import os\ntry:\n os.mkdir({sub!r})\nexcept OSError as e:\n"
                    f" if e.errno != 17 or {not exist_ok and last}:\n  raise")
            self._fs(code, path)

    def fs_read(self, path: str, progress=None, chunk: int = 1024, timeout: float = 10.0) -> bytes:
        """A board file's bytes. ``progress(done, total)`` is called as data arrives.

        One execution streams the file as base64 lines of ``chunk`` bytes each; ``timeout`` is
        the longest silence allowed.
        """
        p = _norm(path)
        size = None
        got = bytearray()

        def on_data(part):
            nonlocal size
            got.extend(part)
            if progress is None:
                return
            if size is None:
                nl = got.find(b"\n")
                if nl < 0:
                    return
                size = int(got[:nl])
            done = min(size, (len(got) - len(str(size)) - 1) * 3 // 4)
            progress(done, size)

        out = self._fs(_READ % (p, chunk), path, timeout, on_data)
        head, _, body = out.partition("\n")
        data = b"".join(binascii.a2b_base64(line) for line in body.splitlines() if line)
        if len(data) != int(head):
            raise BoardError(f"{path}: read {len(data)} bytes, the board says {int(head)}")
        if progress is not None:
            progress(len(data), len(data))
        return data

    def fs_read_range(self, path: str, offset: int, n: int, progress=None, chunk: int = 1024,
                      timeout: float = 10.0) -> bytes:
        """Up to ``n`` bytes of a board file from byte ``offset`` (fewer at its end; b"" past it).

        For resumable downloads: one execution seeks and streams the range as base64 lines of
        ``chunk`` bytes. ``progress(done, expected)`` is called as data arrives.
        """
        p = _norm(path)
        if offset < 0 or n < 0:
            raise ValueError("fs_read_range: offset and n must be >= 0")
        expected = None
        got = bytearray()

        def on_data(part):
            nonlocal expected
            got.extend(part)
            if progress is None:
                return
            if expected is None:
                nl = got.find(b"\n")
                if nl < 0:
                    return
                expected = max(0, min(n, int(got[:nl]) - offset))
            done = min(expected, (len(got) - got.find(b"\n") - 1) * 3 // 4)
            progress(done, expected)

        out = self._fs(_READ_RANGE % (p, offset, n, chunk), path, timeout, on_data)
        head, _, body = out.partition("\n")
        data = b"".join(binascii.a2b_base64(line) for line in body.splitlines() if line)
        want = max(0, min(n, int(head) - offset))
        if len(data) != want:
            raise BoardError(f"{path}: read {len(data)} bytes at {offset}, expected {want}")
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
            self._fs(_WRITE_OPEN % tmp, path, timeout)
            for i in range(0, total, chunk):
                b64 = base64.b64encode(data[i:i + chunk]).decode()
                self._fs(f"_hw('{b64}')", path, timeout)
                if progress is not None:
                    progress(min(i + chunk, total), total)
            self._fs(_WRITE_CLOSE % (tmp, p, total), path, timeout)
        except BoardError:
            with contextlib.suppress(BoardError):
                self.exec_(_WRITE_ABORT % tmp, timeout)
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
        out = self._fs(_CHECKSUM % _norm(path), path, timeout)
        algo, value = out.split()
        return algo, value

    def checksums(self, paths, timeout: float = 30.0) -> dict:
        """``{path: (algorithm, hex)}`` for many board files in one execution, as
        :meth:`checksum` gives them; ``None`` for a path that cannot be opened (missing)."""
        ps = [_norm(p) for p in paths]
        out = self.exec_(_CHECKSUMS % (ps,), timeout)
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
        name, ver, mpy, platform, machine, build = ast.literal_eval(self.exec_(_INFO).strip())
        version = ".".join(str(v) for v in ver[:3]) + (f"-{ver[3]}" if len(ver) > 3 and ver[3] else "")
        arch = mpy_version = None
        if mpy is not None:
            k = mpy >> 10
            arch = MPY_ARCHS[k] if k < len(MPY_ARCHS) else f"arch{k}"
            mpy_version = f"{mpy & 0xFF}.{(mpy >> 8) & 3}"
        return {"name": name, "version": version, "version_info": tuple(ver), "mpy": mpy,
                "arch": arch, "mpy_version": mpy_version, "platform": platform,
                "machine": machine, "build": build}
