# The firmware's GC heap on a board-sized heap (run by hinge.dev.bench_heap under the 32-bit
# micropython with -X heapsize=...; the device modules and the virtual board's as .mpy on
# MICROPYPATH, main.py as source as on the board). Prints one JSON line.
#   micropython -X heapsize=128K heap_run.py MAIN_PY
import gc
import json
import sys

gc.collect()
a0 = gc.mem_alloc()
import vmachine  # noqa: E402

vmachine.install(None)  # `import machine` gives the virtual board (as vboot does at start-up)
vmachine.current()  # the virtual board from HINGE_VBOARD: its modules and register models
gc.collect()
a1 = gc.mem_alloc()
stage = "imports"
out = {"heap_total": gc.mem_alloc() + gc.mem_free(), "vboard_bytes": a1 - a0}
try:
    import board  # noqa: F401 - every device module main.py imports, as .mpy
    import configstore  # noqa: F401
    import detector  # noqa: F401
    import events  # noqa: F401
    import flashlog  # noqa: F401
    import haptic  # noqa: F401
    import imu  # noqa: F401

    gc.collect()
    a2 = gc.mem_alloc()
    out["modules_bytes"] = a2 - a1  # the device modules' bytecode and objects (freezing keeps the bytecode out)
    stage = "main.py"
    g = {"__name__": "hinge_main"}
    with open(sys.argv[1]) as f:
        exec(compile(f.read(), "main.py", "exec"), g)
    gc.collect()
    out["main_bytes"] = gc.mem_alloc() - a2  # main.py compiled from source, as the board does
    stage = "boot"

    class Probe(g["App"]):
        def start_session(self):
            global stage
            super().start_session()
            gc.collect()
            out["free_after_start"] = gc.mem_free()
            out["alloc_after_start"] = gc.mem_alloc()
            stage = "run"

    app = Probe(quiet=True)
    try:
        app.run()  # until the virtual capture has been played
    except vmachine.EndOfCapture:
        pass
    gc.collect()
    out["heap_peak"] = app.heap_peak
    out["free_after_run"] = gc.mem_free()
    out["strides"] = app.det.strides if app.det else 0
    out["ok"] = True
except MemoryError as e:
    out["ok"] = False
    out["error"] = "MemoryError at %s: %s" % (stage, e)
except Exception as e:
    sys.print_exception(e)
    out["ok"] = False
    out["error"] = "%s at %s: %s" % (type(e).__name__, stage, e)
print(json.dumps(out))
