"""A virtual Hinge board on a serial-like port: every ``hinge`` command and plain ``mpremote``
work against it as against a USB-attached ESP32.

    from hinge.virtual.serve import start_virtual
    vb = start_virtual("/tmp/hinge-board", "hinge-virtual", scenario="mixed", seed=1, speed=10)
    ...   # HINGE_PORT=/tmp/hinge-board hinge flash; hinge config set ...; mpremote connect ...
    vb.stop()

Layout of ``workdir``::

    flash/            the board's flash: the interpreter's cwd (main.py, lib/, config.json, logs/)
    imu_source.s7     the simulated capture as the IMU model's sample source (outside the flash)
    pwm.csv           the motor's PWM changes, ``t_ms,pin,duty_u16`` (virtual time)
    wdt.json          the armed watchdog, which outlives a soft reset (``vboard/vwdt.py``)
    rtc.json          the RTC's time (``machine.RTC``) kept through soft resets, as the ESP32's
                      RTC keeps it; removed at each start (power-up: 2000-01-01 until a host sets it)

The board is :class:`hinge.virtual.ptyboard.VirtualBoard` (the unix-port ``micropython`` behind a pty,
with soft reset, boot.py/main.py and Ctrl-C as on a board), with ``host/hinge/vboard`` on its
path so ``device/board.py`` finds the virtual ``machine``, configured by ``HINGE_VBOARD``: a
register-level IMU model (``imu``) fed from the simulator's capture of ``scenario``, its clock
``clock_error`` off (as a real IMU's oscillator is 1-2 % off; default: drawn from ``seed`` in
+-1.5 %, so the firmware has a rate to measure), the flash root ``"."``, the PWM log,
``scale = speed`` (virtual time runs ``speed`` times real time) and ``on_end = "idle"`` (after
the capture the IMU gives no more samples; the firmware keeps running).

Every interpreter start reads ``HINGE_VBOARD`` afresh, so **each soft reset starts the simulated
run again from its beginning** (and rewrites pwm.csv): power-up, ``hinge flash``/``hinge config
set`` (they reset the board so main.py starts) and Ctrl-D at the REPL all do. That is how a demo
starts a run: deploy, configure, and the final reset is the start signal. A connection by
``mpremote`` or ``hinge`` interrupts main.py (Ctrl-C), as on a board; the clock keeps running.

After a reset, let the firmware get going (~50 ms here: it prints ``H # session``) before
connecting again; :func:`wait_console` waits for that line. A Ctrl-C that lands while the unix
port is still importing the firmware can deadlock that interpreter (its Ctrl-C jumps out of
whatever it was doing, possibly with its heap lock held; an ESP32 only acts on Ctrl-C between
bytecodes), and the board then stops answering until ``hinge virtual`` is restarted.

The simulated sensor is mounted as the scenario says (``vb.sim.truth["mount_up"]``,
``["mount_forward"]``); the firmware needs those in its config to measure lean and rotation.
"""
from __future__ import annotations

import json
import os
import select
import signal
import sys
import threading
import time
from pathlib import Path

from hinge.common import devpath
from hinge.common.errors import HingeError

VBOARD_DIR = Path(__file__).parents[1] / "vboard"
IMU_MODELS = tuple(m for m in devpath.import_device("config").IMU_MODELS if m != "auto")  # chips it can play
HEAPSIZE = devpath.VBOARD_HEAPSIZE  # see devpath
DEFAULT_WORKDIR = "hinge-virtual"


def board_spec(source: dict, workdir: Path, imu: str, speed: float, clock_error: float = 0.0) -> dict:
    """The ``HINGE_VBOARD`` settings for a board in ``workdir`` whose IMU plays ``source``: on USB
    power (it is attached to a host), its watchdog kept in ``workdir/wdt.json`` across soft resets."""
    return {"imu": imu, "source": source, "fs_root": ".", "on_end": "idle", "scale": speed,
            "pwm_log": str(workdir / "pwm.csv"), "clock_error": clock_error,
            "rtc_file": str(workdir / "rtc.json"), "state": str(workdir / "wdt.json"), "usb": True}


def start_virtual(link, workdir, scenario: str = "mixed", seed: int = 1, speed: float = 1.0,
                  imu: str = "lsm6dso", minutes: float | None = None, clock_error: float | None = None):
    """Start a virtual board with its serial port at ``link`` and return the running
    :class:`hinge.virtual.ptyboard.VirtualBoard` (the caller stops it: ``vb.stop()``).

    ``workdir`` holds the flash (``workdir/flash``, kept between runs like a real board's) and
    the IMU's source; ``scenario``/``seed``/``minutes``: the simulated run (``hinge simulate``);
    ``speed``: virtual time per real time (1 = real time); ``imu``: the register model;
    ``clock_error``: its clock error as a fraction (+ = fast; None: drawn from ``seed``).
    The result also carries ``vb.sim`` (the simulator's output with ``.truth``) and
    ``vb.spec`` (the ``HINGE_VBOARD`` settings). If ``flash/main.py`` exists the firmware
    starts at once, as on power-up. See the module docstring for resets.
    """
    from hinge.sim import simulate

    from . import vrun
    from .ptyboard import VirtualBoard

    if imu not in IMU_MODELS:
        raise HingeError(f"unknown IMU model '{imu}': one of {' '.join(IMU_MODELS)}")
    if not (speed > 0 and speed <= 1000):
        raise HingeError(f"--speed {speed:g}: must be above 0 and at most 1000 (times real time)")
    if minutes is not None and minutes <= 0:
        raise HingeError(f"--minutes {minutes:g}: must be positive")
    if clock_error is not None and not -0.1 <= clock_error <= 0.1:
        raise HingeError(f"--imu-clock-error {100 * clock_error:g}: must be within +-10 (%)")
    if clock_error is None:
        from hinge.vboard import vmachine

        clock_error = vmachine.default_clock_error(seed)
    workdir = Path(workdir).resolve()
    flash = workdir / "flash"
    flash.mkdir(parents=True, exist_ok=True)
    try:
        sim = simulate.simulate(scenario, seed=seed, minutes=minutes)
    except ValueError as e:
        raise HingeError(str(e)) from None
    cap = sim.as_capture()
    source = vrun.write_source(cap, workdir / "imu_source.s7")
    spec = board_spec(source, workdir, imu, float(speed), float(clock_error))
    (workdir / "rtc.json").unlink(missing_ok=True)  # power-up: the RTC starts at 2000-01-01
    env = dict(os.environ)
    env["HINGE_VBOARD"] = json.dumps(spec)
    vb = VirtualBoard(link, flash, env=env, pythonpath=[VBOARD_DIR], heapsize=HEAPSIZE, state_path=spec["state"])
    vb.sim = sim
    vb.spec = spec
    vb.scenario = scenario
    return vb.start()


def wait_console(link, marker: str = "H # session", timeout: float = 10.0) -> str:
    """Read the board's console (not its REPL: what the firmware prints) until a line with
    ``marker`` has arrived; the text read. Use it after a reset (``hinge flash``,
    ``config_set``, ``board.run_main()``) to know main.py has started its session. Raises
    HingeError after ``timeout`` seconds."""
    import serial

    got = bytearray()
    want = marker.encode()
    deadline = time.monotonic() + timeout
    with serial.Serial(str(link), 115200, timeout=0) as s:
        while True:
            i = got.find(want)
            if i >= 0 and got.find(b"\n", i) >= 0:
                return got.decode("utf-8", "replace")
            left = deadline - time.monotonic()
            if left <= 0:
                tail = got.decode("utf-8", "replace").strip().splitlines()[-1:] or ["nothing"]
                raise HingeError(f"{link}: no '{marker}' from the firmware in {timeout:g} s (last: {tail[0]!r})")
            select.select([s.fd], [], [], min(left, 0.2))
            got += s.read(4096)


def serve(link, workdir=DEFAULT_WORKDIR, out=None, **kw) -> int:
    """``hinge virtual``: run a board in the foreground until Ctrl-C, SIGTERM or SIGHUP."""
    out = out or sys.stdout
    stop = threading.Event()

    def _bye(signum, frame):
        stop.set()

    old = {s: signal.signal(s, _bye) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    vb = None
    try:
        vb = start_virtual(link, workdir, **kw)
        t = vb.sim.truth
        dur = (int(vb.sim.t_ms[-1]) - int(vb.sim.t_ms[0])) / 60000.0
        speed = vb.spec["scale"]
        print(f"HINGE_PORT={vb.link_path}", file=out)
        print(f"virtual board: flash {vb.workdir}, {vb.spec['imu']} playing '{vb.scenario}' "
              f"({dur:.1f} min at {speed:g}x; it restarts with every reset), its clock "
              f"{100 * vb.spec['clock_error']:+.2f} % off, sensor mounted "
              f"{t['mount_up']} up / {t['mount_forward']} forward: try `export HINGE_PORT={vb.link_path}; "
              f"hinge flash; hinge config set mount_up={t['mount_up']} mount_forward={t['mount_forward']}`; "
              f"Ctrl-C stops it", file=out, flush=True)
        while not stop.wait(0.5):
            if vb._thread is not None and not vb._thread.is_alive():
                raise HingeError("the virtual board's relay stopped (see above)")
    finally:
        if vb is not None:
            vb.stop()
        for s, h in old.items():
            signal.signal(s, h)
    print("virtual board stopped", file=out, flush=True)
    return 0
