"""Shared pytest setup: device/ importable under CPython (with the MicroPython shim)."""
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "host"))
from hinge import devpath, mpshim  # noqa: E402

mpshim.install()
sys.path.insert(0, str(REPO / "device"))
sys.path.insert(0, str(REPO / "tests" / "device"))

REAL = REPO.parent / "shared" / "data" / "real"
if not REAL.exists():
    REAL = Path(os.environ.get("HINGE_REAL_DATA", "/work/shared/data/real"))


@pytest.fixture(scope="session")
def real_dir():
    if not REAL.exists():
        pytest.skip(f"real recordings not found at {REAL}")
    return REAL


@pytest.fixture(scope="session")
def micropython():
    return devpath.micropython_cmd()
