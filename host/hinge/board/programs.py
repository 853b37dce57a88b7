"""mpremote's ``SerialTransport``, extended with what Hinge needs from a board, and the board
programs it runs (``device/tools/*.py``).

``ProgramTransport`` (used by :mod:`hinge.board.transport`, which wraps it for the commands):

* ``read_until`` waits for input with select() instead of 10 ms sleeps, and ``follow`` reads an
  execution's output in bulk (mpremote's reads a byte at a time): the protocol is unchanged; an
  execution's round trip drops from ~11 ms to ~1 ms.
* ``tool(name)`` sends ``device/tools/<name>.py`` once per connection (docstrings, comments and
  blank lines left out) into a namespace of its own, kept as the REPL global ``_hinge_<name>``;
  ``call(name, func, *args)`` then runs one line, ``_hinge_<name>.func(args...)``, the arguments
  as Python literals: no program text is built on the host.
* ``soft_reboot()`` leaves the raw REPL and soft-resets from the friendly one, so that boot.py and
  then main.py run (as after power-up; main.py never runs after a raw soft reset).
"""
from __future__ import annotations

import ast
import functools
import io
import select
import time
import tokenize

from mpremote.transport import TransportError
from mpremote.transport_serial import SerialTransport

from hinge.common import devpath

TOOLS_DIR = devpath.DEVICE_DIR / "tools"


# ---- board programs: device/tools/*.py, sent once per connection, then called ----------------
@functools.cache
def tool_source(name: str) -> str:
    """The text of ``device/tools/<name>.py`` as the host sends it: docstrings, comment lines
    and blank lines left out (they cost transfer time and board RAM, nothing else)."""
    path = TOOLS_DIR / f"{name}.py"
    try:
        src = path.read_text()
    except OSError:
        raise FileNotFoundError(f"no board program {path.name} in {TOOLS_DIR}") from None
    lines = src.splitlines()
    inside = set()  # lines inside a multi-line string: kept as they are
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type == tokenize.COMMENT:  # cut the line where its comment starts
            row, col = tok.start
            lines[row - 1] = lines[row - 1][:col].rstrip()
        elif tok.type == tokenize.STRING:
            inside.update(range(tok.start[0] + 1, tok.end[0] + 1))
    drop = set()
    for node in ast.walk(ast.parse(src)):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and len(body) > 1 and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            drop.update(range(body[0].lineno, body[0].end_lineno + 1))
    return "\n".join(ln for i, ln in enumerate(lines, 1) if i not in drop and (ln.strip() or i in inside)) + "\n"


def tool_load_code(name: str) -> str:
    """Board code that runs ``device/tools/<name>.py`` in a namespace of its own and keeps it as
    the REPL global ``_hinge_<name>`` (the user's globals are otherwise left alone)."""
    return (f"_h = {{'__name__': {name!r}}}\nexec({tool_source(name)!r}, _h)\n"
            f"_hinge_{name} = type({name!r}, (), _h)\ndel _h")


def tool_call_code(name: str, func: str, *args, show: bool = False) -> str:
    """One line calling ``func(*args)`` of a loaded board program; ``show``: print its value's repr.

    Arguments pass as Python literals (ints, floats, str, bytes, lists, tuples, dicts, None).
    """
    call = f"_hinge_{name}.{func}({', '.join(repr(a) for a in args)})"
    return f"print(repr({call}))" if show else call


class ProgramTransport(SerialTransport):
    """mpremote's SerialTransport, extended with what Hinge needs from a board.

    * ``read_until`` waits for input with select() instead of 10 ms sleeps, and ``follow``
      reads an execution's output in bulk (mpremote's reads a byte at a time): the protocol
      is unchanged; an execution's round trip drops from ~11 ms to ~1 ms.
    * ``tool`` / ``call``: the board programs of ``device/tools/`` (sent once per connection).
    * ``soft_reboot``: leave the raw REPL and soft-reset from the friendly one, so that boot.py
      and then main.py run (as after power-up; main.py never runs after a raw soft reset).
    """

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.tools = set()  # board programs loaded in the board's interpreter

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

    def enter_raw_repl(self, soft_reset=True, timeout_overall=10):
        if soft_reset:
            self.tools.clear()  # a fresh interpreter
        super().enter_raw_repl(soft_reset, timeout_overall)

    def follow(self, timeout, data_consumer=None):
        """``stdout 0x04 stderr 0x04`` of an execution, read in bulk, as mpremote's ``follow``
        returns it (``data_consumer(bytes)`` gets stdout as it arrives); TransportError after
        ``timeout`` seconds of silence. The raw REPL's '>' prompt is left unread: it is the last
        byte the board sends, so the last two arrived bytes are kept back until they are read one
        at a time, and it is never consumed (``exec_raw_no_follow`` reads it next)."""
        ser = self.serial
        fd = getattr(ser, "fd", None)
        parts = (bytearray(), bytearray())
        which = 0
        quiet_until = time.monotonic() + timeout
        while True:
            n = ser.in_waiting
            if not n:
                left = quiet_until - time.monotonic()
                if left <= 0:
                    raise TransportError(f"no answer for {timeout:g} s (is the board busy?)")
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
                if which == 0 and data_consumer and part:
                    data_consumer(part)
                if i < 0:
                    break
                data = data[i + 1:]
                which += 1
                if which == 2:
                    return bytes(parts[0]), bytes(parts[1])

    def soft_reboot(self, timeout=10.0) -> bool:
        """Leave the raw REPL, wait for the friendly prompt and press Ctrl-D there: a soft reboot
        after which boot.py and main.py run. True once the board said ``soft reboot`` (the port
        stays open: what the fresh firmware prints can be read next)."""
        self.tools.clear()
        if self.in_raw_repl:
            self.exit_raw_repl()
        self.read_until(1, b">>> ", timeout=1.0)  # the friendly REPL's banner and prompt
        self.serial.write(b"\x04")  # Ctrl-D at an empty line: soft reboot
        return self.read_until(1, b"soft reboot\r\n", timeout=timeout).endswith(b"soft reboot\r\n")

    def tool(self, name: str):
        """Load ``device/tools/<name>.py`` into the board's interpreter (once per connection)."""
        if name not in self.tools:
            self.exec(tool_load_code(name))
            self.tools.add(name)

    def call(self, name: str, func: str, *args, timeout=10, data_consumer=None, show=False):
        """``(stdout, stderr)`` of ``func(*args)`` from board program ``name`` (loaded first if
        needed; loaded again if the board's interpreter lost it). ``show``: print the value."""
        self.tool(name)
        code = tool_call_code(name, func, *args, show=show)
        out, err = self.exec_raw(code, timeout, data_consumer)
        if err and f"_hinge_{name}" in err.decode("utf-8", "replace") and b"NameError" in err:
            self.tools.discard(name)  # the interpreter was restarted under us: load it again
            self.tool(name)
            out, err = self.exec_raw(code, timeout, data_consumer)
        return out, err
