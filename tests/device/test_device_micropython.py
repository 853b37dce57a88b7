"""The device unit tests (tests/device/test_dev_*.py) again, under the unix-port micropython.

Each module's plain test functions run in a fresh ``micropython -X heapsize=4M`` (the one
runner, ``tests/mputil.py``) (test data
needs room; the detector itself is checked at 256K in the replay engine), importing device/, on
the 64-bit build and on the 32-bit one (which must have the ESP32's int widths: checked here).
"""
import subprocess
from pathlib import Path

import pytest
from mputil import run_suite

HERE = Path(__file__).parent
MODULES = sorted(p.stem for p in HERE.glob("test_dev_*.py"))


@pytest.mark.parametrize("module", MODULES)
def test_device_module_under_micropython(module, micropython):
    run_suite(micropython, HERE / f"{module}.py", "4M")


WIDTHS = """
import sys, micropython
print(sys.maxsize)
x = 1073741823  # 2**30 - 1: the largest small int on the ESP32
micropython.heap_lock()
try:
    x = x + 1  # 2**30: a heap-allocated big int on a 31-bit port
    print("small")
except MemoryError:
    print("big")
micropython.heap_unlock()

@micropython.viper
def mul(a: int, b: int) -> int:
    return a * b

print(mul(65536, 40000))
"""


def test_build_has_its_word_size(micropython, mp_bits):
    """Small ints of 31 (63) bits and viper words of 32 (64) bits on the 32 (64)-bit build: on
    the 32-bit one, 2**30 allocates and a viper product past 2**31 wraps, as on the ESP32."""
    p = subprocess.run([micropython, "-c", WIDTHS], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr
    maxsize, past, product = p.stdout.split()
    assert int(maxsize) == 2 ** (mp_bits - 1) - 1
    assert past == ("big" if mp_bits == 32 else "small")
    assert int(product) == (-1673527296 if mp_bits == 32 else 65536 * 40000)
