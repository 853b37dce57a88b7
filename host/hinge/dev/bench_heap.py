"""`make bench` rows ``heap``: the GC heap the firmware leaves on an ESP32-sized heap.

The firmware (device/main.py, which starts device/app.py; unchanged) starts and coaches a simulated minute on the virtual
board under the 32-bit micropython (the ESP32's word size, so objects take the board's bytes)
with ``-X heapsize`` set to what an ESP32 has free for MicroPython: 110-160 KB with WiFi off
(about 110 KB on a WROOM-32 build with the IDF's own heap needs; more on a board with PSRAM).
Modules as on a deployed board: device modules (app.py among them) as .mpy (``hinge flash``),
main.py, the entry point, as source.
The virtual board's own modules and register models share the heap (on the ESP32 they are
silicon): ``vboard_bytes`` is their share, measured first on a roomy heap, and each run gets
``board heap + vboard_bytes``, so the firmware sees the board's heap; ``live_peak_esp32`` leaves
the share out.

Per heap size: ``modules_bytes`` (the device modules' bytecode and module objects: a frozen
image, device/frozen/manifest.py, keeps the bytecode part in flash), ``main_bytes`` (main.py
compiled from source), free heap after the session started, the live heap peak while coaching,
or the MemoryError and where it struck.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from hinge.board.deploy import compile_modules
from hinge.common import devpath
from hinge.common.capture import Capture
from hinge.sim import simulate
from hinge.virtual import vrun

HEAPS = ("110K", "128K", "160K")
RUNNER = Path(__file__).parent / "heap_run.py"


def _kib(s: str) -> int:
    return int(s.rstrip("K")) * 1024


def measure(heaps=HEAPS, seconds: float = 60.0) -> list[dict]:
    sim = simulate.simulate("good_form", seed=1, minutes=seconds / 60)
    cap = Capture(sim.t_ms, sim.acc_g, sim.gyr_dps, [])
    rows = []
    with tempfile.TemporaryDirectory(prefix="hinge-heap-") as td:
        td = Path(td)
        lib = td / "lib"
        lib.mkdir()
        arch = devpath.micropython_arch(32)
        dev = sorted(p for p in devpath.DEVICE_DIR.glob("*.py") if p.name != "main.py")
        vb = sorted(p for p in vrun.VBOARD_DIR.glob("*.py") if p.name != "__init__.py")
        for name, data in compile_modules(arch, dev + vb).items():
            (lib / f"{name}.mpy").write_bytes(data)
        shutil.copy(devpath.DEVICE_DIR / "main.py", td / "main.py")
        fs = td / "flash"
        fs.mkdir()
        (fs / "config.json").write_text(json.dumps({"version": 1, "mount_up": sim.truth["mount_up"],
                                                     "mount_forward": sim.truth["mount_forward"]}))
        src = vrun.write_source(cap, td / "imu_source.s7")
        spec = {"imu": "lsm6dso", "source": src, "fs_root": str(fs), "end_grace_ms": 500, "clock_error": 0.0,
                "pinmap": str(devpath.HARDWARE_DIR / "pinmap.json")}
        env = dict(os.environ, MICROPYPATH=f"{lib}:.frozen", HINGE_VBOARD=json.dumps(spec))

        def run(heap_bytes):
            for old in (fs / "logs").glob("*") if (fs / "logs").exists() else ():
                old.unlink()
            p = subprocess.run([devpath.micropython_cmd(32), "-X", f"heapsize={heap_bytes}", str(RUNNER),
                                str(td / "main.py")], capture_output=True, text=True, env=env, timeout=300, cwd=str(td))
            line = next((x for x in p.stdout.splitlines() if x.startswith("{")), None)
            if line is None:
                return {"ok": False, "error": (p.stderr.strip().splitlines() or p.stdout.strip().splitlines()
                                               or ["no output"])[-1]}
            return json.loads(line)

        # the virtual board's own share first (a roomy heap), then each board heap plus that share
        vb_bytes = run(1 << 20).get("vboard_bytes", 0)
        for heap in heaps:
            r = run(_kib(heap) + vb_bytes)
            row = {"bench": "heap", "engine": "micropython32", "board_heap": heap, "ok": r.get("ok", False),
                   "heapsize_run": _kib(heap) + vb_bytes, "vboard_bytes": r.get("vboard_bytes", vb_bytes)}
            for k in ("modules_bytes", "main_bytes", "free_after_start", "heap_peak", "free_after_run", "strides", "error"):
                if k in r:
                    row[k] = r[k]
            if "heap_peak" in r:
                row["live_peak_esp32"] = r["heap_peak"] - row["vboard_bytes"]
            rows.append(row)
    return rows


def rows() -> list[dict]:
    out = measure()
    ok = [r for r in out if r.get("ok")]
    if ok:
        r = ok[0]
        out.append({"bench": "heap_summary", "engine": "micropython32",
                    "smallest_heap_ok": r["board_heap"],
                    "firmware_live_peak_bytes": r["live_peak_esp32"],
                    "device_module_bytes_in_heap": r["modules_bytes"],
                    "frozen_saves_up_to_bytes": r["modules_bytes"],
                    "note": "modules as .mpy on the 32-bit engine; a frozen image (device/frozen/manifest.py) keeps "
                            "module bytecode in flash"})
    return out


if __name__ == "__main__":
    for row in rows():
        print(json.dumps(row, separators=(",", ":")))
