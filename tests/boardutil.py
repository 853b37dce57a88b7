"""Helpers shared by the tests that run virtual boards (processes and their clean-up)."""
import contextlib
import os
import time
from pathlib import Path

import pytest

from hinge.common import devpath


def procs_in(folder: Path):
    """Pids of live (not zombie) processes whose cwd is ``folder`` (a board's interpreters)."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            if os.readlink(d / "cwd") == str(folder) and (d / "stat").read_text().split(") ")[1][0] != "Z":
                out.append(int(d.name))
        except OSError:
            pass
    return out


def wait_gone(folder: Path, timeout=5.0):
    """Wait until no process runs in ``folder``; return the pids still there."""
    deadline = time.monotonic() + timeout
    while procs_in(folder) and time.monotonic() < deadline:
        time.sleep(0.05)
    return procs_in(folder)


@contextlib.contextmanager
def default_engine(engine):
    """Within: host code that starts its own micropython (vrun, virtual.start_virtual, a `hinge`
    child) uses the build of ``engine`` (``devpath.MP_ENGINES``), through $HINGE_MP_BITS."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(devpath.MP_BITS_ENV, str(devpath.ENGINES[engine]))
        yield
