"""The virtual board's start-up: its ``machine`` installed before any firmware code runs.

Run by the unix-port micropython (with ``host/hinge/vboard`` on ``MICROPYPATH``), never by a
real board; the firmware itself only ever does ``import machine``:

* ``micropython -c "__import__('vboot').run('main.py')"``: the firmware once, as
  ``micropython main.py`` would run it (``hinge.virtual.vrun``);
* ``micropython -i -c "__import__('vboot').boot(globals(), True, START, READY)"``: a board's
  start as MicroPython's ``pyexec_file`` does it (boot.py, then main.py unless the host asked
  for the raw REPL, both in ``__main__``'s globals; a traceback is printed and the REPL starts),
  framed by the supervisor's markers ``START`` and ``READY`` + the SystemExit code of
  boot.py/main.py + NUL (``hinge.virtual.ptyboard``).
"""
import builtins
import sys

import vmachine


def install():
    """From now on ``import machine`` gives the virtual board (configured by ``HINGE_VBOARD``)."""
    vmachine.install(None)


def run(path):
    """Run the file ``path`` as ``__main__``, with the virtual ``machine`` installed."""
    install()
    _exec_file(path, {"__name__": "__main__", "__file__": path})


def _exec_file(path, g):
    """Run file ``path`` in the globals ``g`` with its source streamed by the lexer, as the unix
    port runs ``micropython FILE`` and a board its main.py (reading the text whole first would
    hold its size in RAM while it compiles: main.py is ~15 KB, and the heap fragments)."""
    run_file = getattr(builtins, "execfile", None)
    if run_file is not None:
        run_file(path, g)
        return
    with open(path) as f:
        code = compile(f.read(), path, "exec")
    exec(code, g)


def boot(g, main, start, ready):
    """Run boot.py and (if ``main``) main.py in the globals ``g``, as a board starts."""
    install()
    sys.stdout.write(start)
    code = None
    try:
        code = _run_file("boot.py", g)
        if code is None and main:
            code = _run_file("main.py", g)
    finally:
        sys.stdout.write(ready + ("" if code is None else str(code)) + "\x00")


def _run_file(name, g):
    """None when ``name`` ran to its end (or is missing); else the SystemExit code as an int
    (1 for a non-int code), or "" after another exception (its traceback printed)."""
    try:
        open(name).close()
    except OSError:
        return None
    try:
        _exec_file(name, g)
        return None
    except SystemExit as e:
        c = e.args[0] if e.args else 0
        return c if isinstance(c, int) else 1
    except BaseException as e:  # a board prints any traceback and goes on
        sys.print_exception(e)
    return ""
