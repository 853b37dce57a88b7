"""Where the device sources are, and how the host imports them (the same files as the board)."""
import importlib
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEVICE_DIR = REPO / "device"
HARDWARE_DIR = REPO / "hardware"


def import_device(name):
    """Import a device module (e.g. ``"detector"``) from ``device/`` under CPython."""
    from . import mpshim

    mpshim.install()
    d = str(DEVICE_DIR)
    if d not in sys.path:
        sys.path.insert(0, d)
    return importlib.import_module(name)


def micropython_cmd():
    """The unix-port ``micropython`` executable installed beside this Python (in .venv/bin)."""
    cand = Path(sys.executable).with_name("micropython")
    if cand.exists():
        return str(cand)
    from shutil import which

    found = which("micropython")
    if not found:
        raise FileNotFoundError("micropython (unix port) not found: run `make setup`")
    return found


def micropython_env():
    """Environment for a micropython child: MICROPYPATH = device/ first, then the frozen libs."""
    env = dict(os.environ)
    env["MICROPYPATH"] = str(DEVICE_DIR) + ":.frozen"
    return env
