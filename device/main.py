"""Hinge firmware's entry point, the one file the board runs from source after every reset.

Compiling source takes heap while it runs (the parser holds the whole module: the firmware's
24 KB of source needed more than a 160 KB heap had left), so this file only imports the
firmware (``app.py``), which `hinge flash` installs precompiled (/lib/app.mpy) like every other
device module, and starts it. Out of memory while loading it: one console line saying so, then
the REPL, so `hinge` can still reach the board.
"""
import gc

import board

try:
    from app import App, main  # noqa: F401 - App: tests and tools that start the firmware themselves
except MemoryError as _e:
    _x = board.exec_ram()
    print("H # out of memory loading the firmware (%s): heap %d bytes free%s" % (
        _e, gc.mem_free(), "" if _x is None else ", executable RAM for the viper code %d bytes free (largest block %d)" % _x))
    raise

if __name__ == "__main__":
    main()
