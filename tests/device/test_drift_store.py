"""device/drift.py's stored baseline and drift repeat: the tests of ``test_drift_store_mp.py``
(pytest runs them under CPython) again under the unix-port ``micropython`` (64- and 32-bit
builds), with ``heap_lock()`` real around the strides."""
from pathlib import Path

from mputil import run_suite

HERE = Path(__file__).resolve().parent


# The modules are compiled from their source here, which needs heap at import that a board's
# precompiled .mpy does not (tests/system/test_heap.py holds the firmware to a board's 160 KB):
# config, drift, coach and the detector's modules, compiled in that order, took 256 KB to the
# last block, and 288 KB since device/walkclock.py (1.2 KB more kept; the rest is where the big
# modules' parse nodes then find room); 320 KB failed on the 64-bit build once the detector
# coached a held stride at its release (stop 48: Detector._coach).
HEAP = "336K"


def test_micropython_runs_every_test(tmp_path, micropython):
    run_suite(micropython, HERE / "test_drift_store_mp.py", heap=HEAP, tmp_dir=tmp_path)
