"""The device unit tests (tests/device/test_dev_*.py) again, under the unix-port micropython.

Each module's plain test functions run in a fresh ``micropython -X heapsize=4M`` (test data
needs room; the detector itself is checked at 256K in the replay engine), importing device/.
"""
import os
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent
REPO = HERE.parent
MODULES = sorted(p.stem for p in (HERE / "device").glob("test_dev_*.py"))


@pytest.mark.parametrize("module", MODULES)
def test_device_module_under_micropython(module, micropython):
    env = dict(os.environ)
    env["MICROPYPATH"] = f"{REPO / 'device'}:{HERE / 'device'}:.frozen"
    p = subprocess.run([micropython, "-X", "heapsize=4M", str(HERE / "device" / "mp_run.py"), module],
                       capture_output=True, text=True, env=env, timeout=300)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    summary = [ln for ln in out.splitlines() if ln.startswith("SUMMARY")]
    assert summary, out
    _, passed, failed = summary[0].split()
    assert int(failed) == 0, out
    # every test function in the module ran
    import ast
    tree = ast.parse((HERE / "device" / f"{module}.py").read_text())
    n_tests = sum(1 for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_"))
    assert int(passed) == n_tests, out
