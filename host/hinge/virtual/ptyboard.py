"""The virtual board's serial side: a pty that answers like an ESP32 running MicroPython.

``VirtualBoard`` opens a pty pair, symlinks the slave to ``link_path`` and supervises a
unix-port ``micropython`` child whose stdin/stdout/stderr are a second, inner pty. Bytes are
relayed between the two masters, so ``mpremote connect LINK ...`` and :mod:`hinge.board.transport`
talk to it exactly as to a USB serial port. The child's working directory is the board's flash
(``workdir``)::

    from hinge.virtual.ptyboard import VirtualBoard
    with VirtualBoard("/tmp/hinge-board", "/tmp/flash") as vb:
        ...  # mpremote connect /tmp/hinge-board resume exec "print(1)"

    python -m hinge.virtual.ptyboard --link /tmp/hinge-board --workdir /tmp/flash [--pythonpath DIR]

What the supervisor adds to the unix port, to look like a board:

* Soft reset. The unix port exits on Ctrl-D at an empty REPL line (a board soft-resets), and
  on ``sys.exit()``. The supervisor then prints ``MPY: soft reboot\\r\\n`` and starts a new
  interpreter in the REPL mode the old one was in (tracked from the prompts it printed): raw REPL
  after mpremote's Ctrl-D in the raw REPL, friendly REPL otherwise, as a board does.
* ``boot.py`` then ``main.py``. After power-up (start) and after a soft reset in the friendly
  REPL, the new interpreter runs ``boot.py`` and, if that did not raise, ``main.py``, in
  ``__main__``'s globals, then shows the REPL. After a soft reset in the raw REPL (what mpremote
  does when it is not given ``resume``) only ``boot.py`` runs, as on a board: main.py does NOT
  run, and stays stopped when mpremote leaves. Ctrl-D at the friendly REPL runs it again.
  ``sys.exit()`` in main.py soft-resets (so main.py runs again), as on a board.
* Ctrl-C. A board turns Ctrl-C into KeyboardInterrupt while code runs and reads it as a plain
  character at a prompt. The unix port catches SIGINT only while it executes code (and takes
  the default action, death, at a prompt), so the supervisor sends SIGINT for a 0x03 from the
  host when the child has a SIGINT handler (Linux: /proc/PID/status SigCgt), and passes 0x03 on
  as a character otherwise (at a prompt, or under ``micropython.kbd_intr(-1)``). The inner pty
  never makes signals itself (every signal character is disabled).
* Hard reset. A child exiting with status :data:`EXIT_HARD_RESET` (e.g. a simulated
  ``machine.reset()`` doing ``sys.exit(EXIT_HARD_RESET)``) restarts in the friendly REPL and
  runs boot.py and main.py, without the soft-reboot line.
* The watchdog (``state_path``: the virtual board's ``state`` file, see ``vboard/vwdt.py``). An
  armed watchdog outlives a soft reset; a Timer that fed it does not. The supervisor resets the
  board (as a hard reset) when the watchdog goes unfed for its timeout, also while the
  interpreter waits at a REPL (:attr:`VirtualBoard.wdt_resets` counts them); power-up and a hard
  reset disarm it.
* ``MICROPYPATH`` = the caller's extra paths, ``host/hinge/vboard`` (``vboot``: the start-up that
  installs the virtual ``machine``), ``.frozen``, ``WORKDIR/lib``; the unix port puts
  ``''`` (the flash root) first itself. A board has ``['', '.frozen', '/lib']``.
* ``speed`` (baud) paces both directions like a UART (10 bits a byte); None = as fast as the
  pty goes. Output is dropped when nobody has read the port for 2 s, as a USB-serial chip
  drops what no host collects; otherwise it waits (no loss while mpremote is attached).

Caveats (unix port, not board behaviour):

* Absolute paths reach the HOST filesystem: the flash root is the child's cwd. Device code and
  host tools must use paths relative to the root (``"log.bin"``, ``"lib/x.py"``);
  :mod:`hinge.board.transport` strips a leading ``/`` for that reason.
* ``print`` ends lines with ``\\n`` (a board sends ``\\r\\n``); mpremote does not care.
* ``os.ilistdir`` gives no size, so ``mpremote ls`` shows 0: use ``os.stat`` (transport does).
* A soft reset takes ~40 ms here (a new interpreter); tracebacks from boot.py/main.py show one
  extra frames (``vboot``, the start-up that runs them).
* Connecting while boot.py/main.py start interrupts them (mpremote's Ctrl-C), as on a board:
  wait for :meth:`VirtualBoard.wait_booted` first when main.py must have run.
* Ctrl-C races: if the child ends an execution between the supervisor's check of its SIGINT
  handler and the signal's arrival, the signal's default action ends the child, and the
  supervisor soft-reboots it (microsecond window; never seen in the tests).

Longer than 500 lines: one supervisor (the relay between the pty and the interpreter, and the
states it keeps: boot, raw and friendly REPL, Ctrl-C, soft and hard resets, pacing); its parts
share that state. What runs inside the interpreter is a file, ``hinge/vboard/vboot.py``.
"""
from __future__ import annotations

import argparse
import errno
import os
import select
import shutil
import signal
import subprocess
import sys
import termios
import threading
import time
import tty
from pathlib import Path

from hinge.vboard import vwdt

SOFT_REBOOT = b"MPY: soft reboot\r\n"
EXIT_HARD_RESET = 86  # child exit status (or SystemExit code in main.py) meaning hard reset

_START = b"\x00hinge-vboard:start\x00"
_READY = b"\x00hinge-vboard:ready:"  # + SystemExit code of boot.py/main.py, or nothing + b"\x00"
_RAW_MARKS = (b"CTRL-B to exit\r\n>", b"\x04>")  # raw REPL banner, raw prompt after an exec
_FRIENDLY_MARK = b"\n>>> "
_QUEUE_MAX = 1 << 16  # bytes buffered per direction before the reader is throttled
_STALL_DROP_S = 2.0  # output nobody reads for this long is dropped
_SIGINT_GRACE_S = 0.3  # no SIGINT into an interpreter younger than this (see _write_child)

# Runs in the child (MicroPython) as `micropython -i -c BOOT`; "-i" then starts the REPL.
# hinge/vboard/vboot.py installs the virtual machine and runs boot.py and main.py as a board does.
_BOOT = "__import__('vboot').boot(globals(), {main}, {start!r}, {ready!r})"
VBOOT_DIR = Path(__file__).resolve().parents[1] / "vboard"

# Supervisor states for the current child.
_STARTING = "starting"  # interpreter loading, before _START: host input is held
_BOOTING = "booting"  # boot.py / main.py running, before _READY
_PROMPT = "prompt"  # raw boot only: swallow the unix banner, then send Ctrl-A
_RUNNING = "running"  # plain relay
_DEAD = "dead"  # between a child's exit and the next start


def _mp_path(workdir: Path, pythonpath) -> str:
    extra = [str(Path(p).resolve()) for p in pythonpath]
    if str(VBOOT_DIR) not in extra:  # vboot, the board's start-up, and the machine it installs
        extra.append(str(VBOOT_DIR))
    return ":".join([*extra, ".frozen", str(workdir / "lib")])


def _partial_tail(buf: bytes, token: bytes) -> int:
    """Length of the longest end of ``buf`` that could be the start of ``token``."""
    for k in range(min(len(token) - 1, len(buf)), 0, -1):
        if buf.endswith(token[:k]):
            return k
    return 0


class _Pacer:
    """Token bucket: at most ``rate`` bytes/s with a 64-byte burst (a UART FIFO); None = free."""

    def __init__(self, rate):
        self.rate = rate
        self.tokens = 64.0
        self.t = time.monotonic()

    def _refill(self):
        now = time.monotonic()
        self.tokens = min(64.0, self.tokens + (now - self.t) * self.rate)
        self.t = now

    def allow(self, n: int) -> int:
        if self.rate is None:
            return n
        self._refill()
        return min(n, int(self.tokens))

    def spend(self, n: int):
        if self.rate is not None:
            self.tokens -= n

    def wait(self) -> float:
        """Seconds until a byte may go."""
        if self.rate is None:
            return 0.0
        self._refill()
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


def _sigint_caught(pid: int):
    """True/False: the process has a SIGINT handler (Linux /proc); None if unknown."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    except OSError:
        pass
    return None


# Makes the inner pty the child's controlling terminal, then becomes micropython: if the
# supervisor dies (even by SIGKILL) the kernel hangs the pty up and SIGHUP ends the child.
# A launcher instead of preexec_fn, which is unsafe in a threaded process; it costs ~10 ms.
_CTTY_EXEC = "import fcntl,os,sys,termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); os.execvp(sys.argv[1], sys.argv[1:])"


class VirtualBoard:
    """A unix-port micropython behind a pty at ``link_path``, with ``workdir`` as its flash.

    ``micropython_cmd``: the interpreter (default: the venv's, see
    :func:`hinge.common.devpath.micropython_cmd`); ``env``: the child's environment (default
    ``os.environ``; ``MICROPYPATH`` is always replaced); ``speed``: baud rate to emulate, None =
    unpaced; ``pythonpath``: extra module folders (e.g. the simulated ``machine``);
    ``heapsize``: ``-X heapsize=`` (e.g. "256K", about an ESP32's heap in GC blocks);
    ``state_path``: the virtual board's watchdog state file (its ``HINGE_VBOARD`` ``state``).
    """

    def __init__(self, link_path, workdir, micropython_cmd=None, env=None, speed=None,
                 pythonpath=(), heapsize=None, log=None, state_path=None):
        self.link_path = Path(link_path).absolute()
        self.workdir = Path(workdir).resolve()
        if micropython_cmd is None:
            from hinge.common.devpath import micropython_cmd as _default_cmd

            micropython_cmd = _default_cmd()
        found = shutil.which(str(micropython_cmd))
        if not found:
            raise FileNotFoundError(f"micropython (unix port) not found: {micropython_cmd}")
        self.micropython_cmd = found
        self.env = dict(os.environ if env is None else env)
        self.env["MICROPYPATH"] = _mp_path(self.workdir, pythonpath)
        self.speed = speed
        self.heapsize = heapsize
        self.log = log or (lambda msg: print(f"ptyboard: {msg}", file=sys.stderr, flush=True))
        self.port = None  # the /dev/pts/N behind link_path
        self.restarts = 0  # interpreters started after the first one (soft + hard resets)
        self.raw_repl = False  # REPL mode last seen in the child's output
        self.booted = 0  # interpreters that finished boot.py/main.py (reached their REPL)
        self.state_path = str(state_path) if state_path else None
        self.wdt_resets = 0  # hard resets by the watchdog seen from here (unfed at a REPL, or in code)
        self._wdt_check_t = 0.0
        self._proc = None
        self._cm = None  # inner pty master (the child's stdin/stdout/stderr)
        self._m = self._s = None  # outer pty master, and our own slave fd (keeps the pty up)
        self._state = _DEAD
        self._boot_raw = False
        self._carry = b""  # output held back while looking for a sentinel
        self._tail = b""  # the end of the output, for REPL-mode tracking
        self._exit_code = None  # SystemExit code reported by the boot sentinel
        self._to_host = bytearray()
        self._to_child = bytearray()
        self._held = bytearray()  # host input held while the child boots
        self._stall_t = None
        self._pace_out = self._pace_in = None
        self._child_t0 = 0.0
        self._sigint_t = 0.0  # when the last SIGINT went to the child
        self._crash_wait = 0.5  # backoff between restarts of a child that dies at once
        self._wake_r = self._wake_w = None
        self._stop = threading.Event()
        self._thread = None
        self._up = threading.Event()  # first interpreter started boot.py
        self._ready = threading.Event()  # first REPL prompt seen

    # ---- lifecycle --------------------------------------------------------------------------
    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self, timeout: float = 15.0):
        """Open the pty, create the link, boot the child and relay in a background thread.

        Returns at the first REPL prompt, or, when the flash has a main.py (which may never
        end), as soon as the interpreter runs boot.py. Raises TimeoutError after ``timeout``.
        """
        self._open()
        self._thread = threading.Thread(target=self._run, name="ptyboard", daemon=True)
        self._thread.start()
        ev = self._up if (self.workdir / "main.py").exists() else self._ready
        if not ev.wait(timeout):
            self.stop()
            raise TimeoutError(f"virtual board did not boot in {timeout} s")
        return self

    def serve_forever(self):
        """Run in the foreground until :meth:`stop` (e.g. called from a signal handler)."""
        self._open()
        try:
            self._loop()
        finally:
            self._close()

    def stop(self):
        """Kill the child, close the pty and remove the link. Safe to call more than once."""
        self._stop.set()
        if self._wake_w is not None:
            try:
                os.write(self._wake_w, b"x")
            except OSError:
                pass
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(5)
            self._thread = None
            self._close()

    def wait_ready(self, timeout: float = 15.0) -> bool:
        """Wait for the first REPL prompt since start."""
        return self._ready.wait(timeout)

    def wait_booted(self, count: int, timeout: float = 15.0) -> bool:
        """Wait until ``count`` interpreters have finished booting (1 = the first, ...)."""
        deadline = time.monotonic() + timeout
        while self.booted < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.booted >= count

    @property
    def child_pid(self):
        return self._proc.pid if self._proc else None

    def _run(self):
        try:
            self._loop()
        except Exception as e:  # keep the reason: a dead relay looks like a dead board
            self.log(f"relay stopped: {e!r}")
            raise

    def _open(self):
        if not self.workdir.is_dir():
            raise FileNotFoundError(f"flash folder {self.workdir} does not exist")
        if self.link_path.exists() and not self.link_path.is_symlink():
            raise FileExistsError(f"{self.link_path} exists and is not a symlink")
        self._m, self._s = os.openpty()
        tty.setraw(self._s)
        os.set_blocking(self._m, False)
        self.port = os.ttyname(self._s)
        tmp = self.link_path.with_name(f".{self.link_path.name}.{os.getpid()}.tmp")
        if tmp.is_symlink():
            tmp.unlink()
        os.symlink(self.port, tmp)
        os.replace(tmp, self.link_path)  # atomic; replaces a stale link left by a killed run
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        rate = self.speed / 10 if self.speed else None
        self._pace_out, self._pace_in = _Pacer(rate), _Pacer(rate)
        self._stop.clear()
        if self.state_path:
            vwdt.power_up(self.state_path)
        self._spawn(raw=False)

    def _close(self):
        self._kill_child()
        try:
            if self.link_path.is_symlink() and os.readlink(self.link_path) == self.port:
                self.link_path.unlink()
        except OSError:
            pass
        for fd in (self._m, self._s, self._wake_r, self._wake_w):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._m = self._s = self._wake_r = self._wake_w = None

    # ---- child ------------------------------------------------------------------------------
    def _spawn(self, raw: bool):
        """Start an interpreter: boot.py, main.py unless ``raw``, then that REPL."""
        cm, cs = os.openpty()
        attrs = termios.tcgetattr(cs)
        off = os.fpathconf(cs, "PC_VDISABLE")
        attrs[0] = 0  # iflag: no CR/NL mapping, no XON/XOFF
        attrs[1] = 0  # oflag: bytes go out as written
        attrs[2] = (attrs[2] & ~(termios.CSIZE | termios.PARENB)) | termios.CS8 | termios.CREAD
        attrs[3] = termios.ISIG  # lflag: the "executing" marker; every signal char is disabled
        attrs[6] = [bytes([off]) if isinstance(c, bytes) else off for c in attrs[6]]
        attrs[6][termios.VMIN], attrs[6][termios.VTIME] = 1, 0
        termios.tcsetattr(cs, termios.TCSANOW, attrs)
        args = [sys.executable, "-I", "-S", "-c", _CTTY_EXEC, self.micropython_cmd]
        if self.heapsize:
            args += ["-X", f"heapsize={self.heapsize}"]
        code = _BOOT.format(start=_START.decode(), ready=_READY.decode(), main=not raw)
        args += ["-i", "-c", code]
        try:
            self._proc = subprocess.Popen(args, stdin=cs, stdout=cs, stderr=cs, cwd=self.workdir,
                                          env=self.env, start_new_session=True)
        finally:
            os.close(cs)
        os.set_blocking(cm, False)
        self._cm = cm
        self._child_t0 = time.monotonic()
        self._state = _STARTING
        self._boot_raw = raw
        self.raw_repl = raw
        self._carry = b""
        self._exit_code = None

    def _kill_child(self):
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(1.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(2.0)
        if self._cm is not None:
            os.close(self._cm)
            self._cm = None
        self._state = _DEAD

    def _child_gone(self):
        """The child has exited (Ctrl-D, sys.exit, crash): come back as a board would."""
        self._drain_child()
        proc = self._proc
        if proc is not None:
            try:
                proc.wait(2.0)
            except subprocess.TimeoutExpired:  # a grandchild holds the pty: go on regardless
                pass
        status = proc.returncode if proc is not None else None
        code = self._exit_code if self._exit_code is not None else status
        lived = time.monotonic() - self._child_t0
        self._kill_child()
        if self._exit_code is None and status not in (0, EXIT_HARD_RESET) and lived < 1.0:
            self.log(f"micropython exited with status {status} after {lived:.2f} s; "
                     f"restarting in {self._crash_wait:g} s")
            if self._stop.wait(self._crash_wait):  # a crash loop must not spin
                return
            self._crash_wait = min(8.0, self._crash_wait * 2)
        elif lived > 5.0:
            self._crash_wait = 0.5
        if self._stop.is_set():
            return
        hard = code == EXIT_HARD_RESET
        if self.state_path:
            vwdt.interpreter_ended(self.state_path, hard)
        if not hard:
            self._to_host += SOFT_REBOOT
        self._held[:0] = self._to_child  # unread input waits for the next interpreter
        self._to_child.clear()
        self.restarts += 1
        self._spawn(raw=self.raw_repl and not hard)

    def _drain_child(self):
        while self._cm is not None:
            try:
                data = os.read(self._cm, 65536)
            except OSError:
                return
            if not data:
                return
            self._from_child(data)

    def _executing(self) -> bool:
        """The child runs code and would take SIGINT as Ctrl-C (it is not at a prompt).

        The unix port installs its SIGINT handler only while it executes, and resets SIGINT
        to the default at a prompt (where a signal would kill it). Where /proc cannot tell,
        the inner pty's ISIG marker does (the REPL clears it while reading a line; it misses
        raw-paste executions, during which the tty stays raw).
        """
        if self._cm is None or self._proc is None or self._state in (_STARTING, _DEAD):
            return False
        caught = _sigint_caught(self._proc.pid)
        if caught is not None:
            return caught
        try:
            return bool(termios.tcgetattr(self._cm)[3] & termios.ISIG)
        except termios.error:
            return False

    # ---- bytes ------------------------------------------------------------------------------
    def _from_host(self, data: bytes):
        st = self._state
        if st == _RUNNING or (st == _BOOTING and not self._boot_raw):
            self._to_child += data
        elif st == _BOOTING:  # raw boot (boot.py): hold input, but Ctrl-C interrupts
            if b"\x03" in data and self._executing():
                os.kill(self._proc.pid, signal.SIGINT)
            self._held += data.replace(b"\x03", b"")
        else:
            self._held += data

    def _from_child(self, data: bytes):
        while data:
            st = self._state
            if st == _RUNNING:
                self._emit(data)
                return
            if st == _DEAD:  # output of a child being replaced
                return
            buf = self._carry + data
            self._carry = b""
            if st == _PROMPT:  # swallow the unix banner, then enter the raw REPL
                if buf.endswith(b">>> "):
                    self._to_child[:0] = b"\x01" + self._held
                    self._held.clear()
                    self._state = _RUNNING
                else:
                    self._carry = buf[-64:]
                return
            token = _START if st == _STARTING else _READY
            i = buf.find(token)
            if i < 0:
                k = _partial_tail(buf, token)
                self._emit(buf[: len(buf) - k])
                self._carry = buf[len(buf) - k:]
                return
            self._emit(buf[:i])
            if st == _STARTING:
                data = buf[i + len(token):]
                self._state = _BOOTING
                self._up.set()
                if not self._boot_raw:
                    self._to_child += self._held
                    self._held.clear()
                continue
            j = buf.find(b"\x00", i + len(token))
            if j < 0:
                self._carry = buf[i:]
                return
            data = buf[j + 1:]
            code = buf[i + len(token):j]
            if code:  # SystemExit in boot.py/main.py: a board soft-resets (or hard-resets)
                self._exit_code = int(code)
                self._state = _DEAD
                self._proc.terminate()  # the loop sees it go and reboots
                return
            self._state = _PROMPT if self._boot_raw else _RUNNING
            self.booted += 1

    def _emit(self, data: bytes):
        if not data:
            return
        buf = self._tail + data
        r = max(buf.rfind(m) for m in _RAW_MARKS)
        f = buf.rfind(_FRIENDLY_MARK)
        if r >= 0 or f >= 0:
            self.raw_repl = r > f
            if self._state == _RUNNING:
                self._ready.set()
        self._tail = buf[-32:]
        self._to_host += data

    # ---- relay loop -------------------------------------------------------------------------
    def _loop(self):
        while not self._stop.is_set():
            rl = [self._wake_r]
            wl = []
            if len(self._to_child) + len(self._held) < _QUEUE_MAX:
                rl.append(self._m)
            if self._cm is not None and len(self._to_host) < _QUEUE_MAX:
                rl.append(self._cm)
            timeout = 0.2
            if self._to_host:
                t = self._pace_out.wait()
                if t:
                    timeout = min(timeout, t)
                else:
                    wl.append(self._m)
            if self._to_child and self._cm is not None:
                t = self._pace_in.wait()
                if t:
                    timeout = min(timeout, t)
                else:
                    wl.append(self._cm)
            r, w, _ = select.select(rl, wl, [], timeout)
            if self._wake_r in r:
                try:
                    os.read(self._wake_r, 64)
                except BlockingIOError:
                    pass
            if self._m in r:
                try:
                    data = os.read(self._m, 4096)
                except (BlockingIOError, InterruptedError):
                    data = b""
                if data:
                    self._from_host(data)
            if self._cm is not None and self._cm in r:
                try:
                    data = os.read(self._cm, 65536)
                except (BlockingIOError, InterruptedError):
                    data = None
                except OSError as e:  # EIO: every holder of the inner slave has gone
                    if e.errno != errno.EIO:
                        raise
                    data = b""
                if data:
                    self._from_child(data)
                elif data == b"":
                    self._child_gone()
            if self._m in w:
                self._write_host()
            if self._cm is not None and self._cm in w:
                self._write_child()
            stalled = self._stall_t is not None and time.monotonic() - self._stall_t > _STALL_DROP_S
            if stalled and self._to_host:
                self._to_host.clear()  # nobody is reading the port: a UART would drop it
                self._stall_t = None
            if self._proc is not None and self._proc.poll() is not None:
                self._child_gone()  # exited, but a grandchild still holds the pty
            if self.state_path:
                self._check_wdt()

    def _check_wdt(self):
        """Reset the board when its watchdog has gone unfed for its timeout (checked every 50 ms)."""
        now = time.monotonic()
        if now - self._wdt_check_t < 0.05 or self._proc is None or self._state == _DEAD:
            return
        self._wdt_check_t = now
        late = vwdt.overdue_ms(self.state_path)
        if late:
            self.wdt_resets += 1
            self.log(f"watchdog not fed for {late} ms: hard reset")
            self._exit_code = EXIT_HARD_RESET
            self._state = _DEAD
            self._proc.terminate()  # the loop sees it go and boots it as after a hard reset

    def _write_host(self):
        n = self._pace_out.allow(len(self._to_host))
        if n <= 0:
            return
        try:
            k = os.write(self._m, self._to_host[:n])
        except BlockingIOError:
            k = 0
        if k:
            self._pace_out.spend(k)
            del self._to_host[:k]
            self._stall_t = None
        elif self._stall_t is None:
            self._stall_t = time.monotonic()

    def _write_child(self):
        buf = self._to_child
        i = buf.find(b"\x03")
        if i == 0:
            now = time.monotonic()
            if now - self._child_t0 < _SIGINT_GRACE_S:
                # a SIGINT while a fresh interpreter is still importing its startup code can
                # wedge the unix port for good (seen ~1 in 10 connects right after a reset);
                # hold the Ctrl-C until the interpreter has settled
                return
            if now - self._sigint_t < _SIGINT_GRACE_S:
                # Ctrl-Cs that come in a burst (mpremote sends several) are one interrupt: a
                # second SIGINT would land in the code handling the first and end the
                # interpreter. Drop it; the first one does the job.
                del buf[0]
                return
            if self._executing():
                del buf[0]
                self._sigint_t = now
                os.kill(self._proc.pid, signal.SIGINT)
                return
            end = 1
        else:
            end = i if i > 0 else len(buf)
        n = self._pace_in.allow(end)
        if n <= 0:
            return
        try:
            k = os.write(self._cm, buf[:n])
        except BlockingIOError:
            k = 0
        except OSError:  # the child is going away; the loop handles its exit
            k = 0
        if k:
            self._pace_in.spend(k)
            del buf[:k]


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m hinge.virtual.ptyboard",
                                description="Run a virtual Hinge board (unix-port MicroPython) behind a pty.")
    p.add_argument("--link", required=True, help="path of the serial-port symlink to create")
    p.add_argument("--workdir", required=True, help="folder that is the board's flash")
    p.add_argument("--pythonpath", action="append", default=[],
                   help="extra module folder before the flash (repeatable)")
    p.add_argument("--speed", type=int, default=None, help="emulate this baud rate (default: unpaced)")
    p.add_argument("--heapsize", default=None, help="micropython -X heapsize (e.g. 256K)")
    p.add_argument("--micropython", default=None, help="unix-port micropython executable")
    a = p.parse_args(argv)
    try:
        Path(a.workdir).mkdir(parents=True, exist_ok=True)
        vb = VirtualBoard(a.link, a.workdir, a.micropython, speed=a.speed,
                          pythonpath=a.pythonpath, heapsize=a.heapsize)
    except OSError as e:
        print(f"ptyboard: {e}", file=sys.stderr)
        return 2

    def _bye(signum, frame):
        vb.stop()

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _bye)
    print(f"virtual board at {vb.link_path} (flash: {vb.workdir}); "
          f"try `mpremote connect {vb.link_path} resume repl` or HINGE_PORT={vb.link_path}; "
          f"Ctrl-C stops it", file=sys.stderr, flush=True)
    try:
        vb.serve_forever()
    except OSError as e:
        print(f"ptyboard: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
