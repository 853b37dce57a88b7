"""Shared pytest setup: device/ importable under CPython (with the MicroPython shim); the micropython builds."""
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "host"))
from hinge.common import devpath, mpshim  # noqa: E402

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


# Every test that runs device code under MicroPython runs it under both unix-port builds: the
# 64-bit one from PyPI (63-bit small ints) and the 32-bit one of tools/build_mp32.py (31-bit small
# ints and 32-bit viper words, as on the ESP32), where an overflow shows. Tests take `micropython`
# (the command), `mp_bits` or `mp_engine` (the replay engine name) and get one run per build.
@pytest.fixture(params=devpath.MP_ENGINES)
def mp_engine(request):
    return request.param


@pytest.fixture
def mp_bits(mp_engine):
    return devpath.ENGINES[mp_engine]


@pytest.fixture
def micropython(mp_engine):
    return devpath.engine_cmd(mp_engine)


# Virtual boards and firmware runs (ptyboard, cmd_board, cmd_live, cmd_logs, firmware, demo) are
# slow: their fixtures take `board_engine`, which is the 64-bit build for every test and also the
# 32-bit build for the tests marked `mp32` (a representative subset, listed in each module).
# Module-scoped, so a module's boards of one build run together (cmd_board deploys once per build).
MP32_MARK = "mp32"


def pytest_configure(config):
    config.addinivalue_line("markers", f"{MP32_MARK}: also run this virtual-board test on the 32-bit micropython")


def pytest_generate_tests(metafunc):
    if "board_engine" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker(MP32_MARK) is not None
        engines = devpath.MP_ENGINES if both else devpath.MP_ENGINES[:1]
        metafunc.parametrize("board_engine", engines, indirect=True, scope="module")


@pytest.fixture(scope="module")
def board_engine(request):
    """The engine name of the micropython build this test's boards run (see pytest_generate_tests)."""
    return request.param
