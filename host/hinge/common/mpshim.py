"""Make MicroPython-only names importable under CPython, so ``device/`` runs unchanged.

Provides a ``micropython`` module (``const``, ``native``, ``viper``, ``heap_lock`` ...) and the
viper cast builtins ``ptr8/ptr16/ptr32`` (identity under CPython: device code indexes arrays,
and keeps every value within +-2**30 so CPython ints and ESP32 small ints agree).
Nothing here is device logic.
"""
import builtins
import gc
import sys
import time
import types


def install():
    """Install the shim once; harmless when called again or under a real micropython."""
    if "micropython" in sys.modules:
        return
    mp = types.ModuleType("micropython")
    mp.const = lambda x: x
    mp.native = lambda f: f
    mp.viper = lambda f: f
    mp.heap_lock = lambda: 0
    mp.heap_unlock = lambda: 0
    mp.mem_info = lambda *a: None
    mp.opt_level = lambda *a: 0
    mp.alloc_emergency_exception_buf = lambda n: None
    mp.schedule = lambda f, a: f(a)
    sys.modules["micropython"] = mp
    for name in ("ptr8", "ptr16", "ptr32", "uint"):
        if not hasattr(builtins, name):
            setattr(builtins, name, (lambda x: x) if name != "uint" else int)
    if not hasattr(gc, "mem_alloc"):
        # MicroPython's heap figures; CPython has no fixed heap, so report nothing
        gc.mem_alloc = lambda: 0
        gc.mem_free = lambda: 0
    if not hasattr(time, "ticks_ms"):
        # MicroPython's time extensions, for device modules that read the clock.
        time.ticks_ms = lambda: int(time.monotonic() * 1000) & 0x3FFFFFFF
        time.ticks_us = lambda: int(time.monotonic() * 1_000_000) & 0x3FFFFFFF
        time.ticks_diff = lambda a, b: ((a - b + 0x20000000) & 0x3FFFFFFF) - 0x20000000
        time.ticks_add = lambda a, b: (a + b) & 0x3FFFFFFF
        time.sleep_ms = lambda ms: time.sleep(ms / 1000)
        time.sleep_us = lambda us: time.sleep(us / 1_000_000)
