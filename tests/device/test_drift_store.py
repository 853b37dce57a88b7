"""device/drift.py's stored baseline and drift repeat: the tests of ``test_drift_store_mp.py``
(pytest runs them under CPython) again under the unix-port ``micropython`` (64- and 32-bit
builds), with ``heap_lock()`` real around the strides."""
from pathlib import Path

from mputil import run_suite

HERE = Path(__file__).resolve().parent


def test_micropython_runs_every_test(tmp_path, micropython):
    run_suite(micropython, HERE / "test_drift_store_mp.py", tmp_dir=tmp_path)
