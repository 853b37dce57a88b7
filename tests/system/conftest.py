"""Fixtures shared by the system tests."""
import pytest

from hinge.dev import crosscheck as xc


@pytest.fixture(scope="module")
def xc_dir():
    """The crosscheck runs' folder (``hinge.dev.crosscheck.data_dir``); skip when they are absent."""
    d = xc.data_dir()
    if not xc.available(d):
        pytest.skip(f"crosscheck runs not found at {d} (set ${xc.DATA_ENV})")
    return d
