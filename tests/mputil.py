"""Run a both-interpreters test module under micropython through the one runner (tests/device/mp_run.py).

Such a module is plain functions named ``test_*`` with asserts, MicroPython-compatible; pytest
runs them under CPython like any test, and :func:`run_suite` runs them all again under a
micropython build (the 64-bit unix port, and the 32-bit one with the ESP32's int widths), where
``heap_lock`` is real. It checks that every ``test_`` function of the file passed.
"""
import os
import re
import subprocess
from pathlib import Path

from hinge.common import devpath

TESTS = Path(__file__).resolve().parent
RUNNER = TESTS / "device" / "mp_run.py"


def run_suite(micropython, module: Path, heap: str = "256K", path=(), tmp_dir=None, cwd=None) -> str:
    """Run every ``test_*`` of the file ``module`` under ``micropython`` (the command); return its
    output. ``path``: folders for MICROPYPATH after device/ and the module's own; ``tmp_dir``: a
    folder for modules with ``NEEDS_DIR = True``."""
    module = Path(module)
    env = dict(os.environ)
    env["MICROPYPATH"] = ":".join([str(devpath.DEVICE_DIR), str(module.parent), *map(str, path), ".frozen"])
    cmd = [micropython, "-X", f"heapsize={heap}", str(RUNNER), module.stem] + ([str(tmp_dir)] if tmp_dir else [])
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(cwd or tmp_dir or TESTS), timeout=300)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert not [ln for ln in out.splitlines() if ln.startswith("FAIL")], out
    names = set(re.findall(r"^def (test_\w+)", module.read_text(), re.M))
    passed = {ln.split()[1] for ln in out.splitlines() if ln.startswith("PASS ")}
    assert passed == names, sorted(names ^ passed)
    summary = [ln.split() for ln in out.splitlines() if ln.startswith("SUMMARY")]
    assert summary and summary[-1][1:] == [str(len(names)), "0"], out
    return out
