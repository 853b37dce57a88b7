"""device/haptic.py: patterns, grading, priority queue, non-blocking zero-allocation stepping.

The tests both interpreters run live in ``test_haptic_mp.py`` (pytest runs them under CPython);
here they run again under the unix-port ``micropython`` (64- and 32-bit builds) with
``heap_lock()`` around every ``step()``, and the CPython-only checks follow.
"""
import re
import subprocess
from pathlib import Path

import pytest

from mputil import run_suite

from hinge.common.devpath import DEVICE_DIR, import_device, micropython_arch, micropython_env, mpy_cross_cmd

HERE = Path(__file__).resolve().parent

hp = import_device("haptic")


def test_micropython_runs_every_test_with_heap_locked(micropython):
    run_suite(micropython, HERE / "test_haptic_mp.py")


ROW = re.compile(r"^(\d+)\s+([-\d])\s+(\d)\s+(\S.*?\S)\s{2,}(\d+)\s+(\d+)\s*$")


def _doc_rows():
    return [m.groups() for m in map(ROW.match, hp.__doc__.splitlines()) if m]


def test_docstring_table_matches_the_patterns():
    rows = _doc_rows()
    want = []
    for pid in range(1, len(hp.PATTERNS)):
        for sev in (1, 2, 3) if pid in hp.GRADED else (1,):
            want.append((
                str(pid), str(sev) if pid in hp.GRADED else "-", str(hp.PRIORITY[pid]),
                hp.describe(pid, sev), str(hp.on_ms(pid, sev)), str(hp.length_ms(pid, sev)),
            ))
    assert rows == want


def test_docstring_states_the_timing_constants():
    doc = hp.__doc__
    assert f"{hp.KICK_MS} ms kick" in doc
    assert f"{hp.GAP_MS} ms of quiet" in doc
    assert f"at most {hp.MAX_PATTERN_MS} ms" in doc
    assert f"queue holds {hp.QUEUE_LEN} cues" in doc


def test_step_is_small_enough_for_a_stack_frame():
    # micropython-notes: > ~11 words of locals + stack puts a bytecode frame on the heap on
    # every call. MicroPython's own frame size isn't visible from here; CPython's code object
    # is a close proxy (same locals; a similar stack depth) that fails if step() grows.
    code = hp.Haptic.step.__code__
    assert code.co_nlocals + code.co_stacksize <= 11, (code.co_nlocals, code.co_stacksize)


@pytest.mark.parametrize("arch", ["xtensawin", "x64", "x86"])
def test_compiles_with_mpy_cross(tmp_path, arch):
    exe = Path(mpy_cross_cmd())
    if not exe.exists():
        pytest.skip("mpy-cross not installed")
    out = tmp_path / "haptic.mpy"
    proc = subprocess.run(
        [str(exe), f"-march={arch}", "-o", str(out), str(DEVICE_DIR / "haptic.py")],
        check=False, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 0


def test_precompiled_module_runs_with_heap_locked(tmp_path, micropython, mp_bits):
    """The .mpy the board would import (x64 / x86 stand-in) steps a cue with the heap locked."""
    exe = Path(micropython)
    cross = Path(mpy_cross_cmd())
    if not cross.exists():
        pytest.skip("mpy-cross not installed")
    subprocess.run([str(cross), f"-march={micropython_arch(mp_bits)}", "-o", str(tmp_path / "haptic.mpy"),
                    str(DEVICE_DIR / "haptic.py")], check=True)
    script = tmp_path / "run.py"
    script.write_text(
        "import micropython, haptic\n"
        "class P:\n"
        "    n = 0\n"
        "    def duty_u16(self, v):\n"
        "        self.n += 1\n"
        "p = P()\n"
        "h = haptic.Haptic(p, 80)\n"
        "h.play(haptic.P_BACKWARD, 3)\n"
        "micropython.heap_lock()\n"
        "for t in range(3000):\n"
        "    h.step(t)\n"
        "micropython.heap_unlock()\n"
        "print('writes', p.n, 'busy', h.is_busy())\n"
    )
    env = micropython_env()
    env["MICROPYPATH"] = f"{tmp_path}:.frozen"
    proc = subprocess.run([str(exe), str(script)], check=False, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # init off + 4 pulses x (kick, duty, off)
    assert proc.stdout.strip() == "writes 13 busy False"
