"""device/coachstore.py under micropython: the tests of ``test_coachstore_mp.py`` (pytest runs them
under CPython) once more on the 64- and 32-bit unix-port builds."""
from pathlib import Path

from mputil import run_suite

HERE = Path(__file__).resolve().parent


def test_micropython_runs_every_test(tmp_path, micropython):
    run_suite(micropython, HERE / "test_coachstore_mp.py", tmp_dir=tmp_path)
