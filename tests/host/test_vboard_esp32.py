"""ESP32 behaviours the virtual board models (``host/hinge/vboard/vwdt.py``), and what Hinge does
about them:

* the watchdog cannot be stopped and outlives a soft reset; a ``machine.Timer`` does not. A
  board left at the REPL after a soft reset with nobody feeding its watchdog resets itself; the
  firmware's keepalive timer (Ctrl-C) keeps it up; ``hinge capture`` (which connects with a soft
  reset) feeds it, and leaves a keepalive behind;
* ``machine.lightsleep`` does not wake on the UART: a host's Ctrl-C that arrives while the board
  light-sleeps is lost (a program that only light-sleeps cannot be interrupted). On USB power
  (the pin map's ``usb_sense``) the firmware stays awake and ``hinge`` connects.

Boards: the ``make_board`` fixture of test_cmd_live (the firmware on a pty, 20x real time).
"""
import json
import sys
import time
from pathlib import Path

import pytest
import test_cmd_live

from hinge.board import transport
from hinge.common.capture import Capture, read_capture
from hinge.vboard import vmachine, vwdt
from hinge.virtual.serve import wait_console

source = test_cmd_live.source  # the fixtures of test_cmd_live's boards
make_board = test_cmd_live.make_board
run = test_cmd_live.run

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="ptys and /proc as on Linux")

SCALE = 20  # make_board's virtual time per real time
WDT_REAL_S = 8.0 / SCALE  # the firmware's 8 s watchdog in real seconds at that scale


def _state(vb):
    return json.loads(Path(vb.state_path).read_text())


def _eval(vb, expr, soft_reset=False):
    with transport.connect(str(vb.link_path), soft_reset=soft_reset, timeout=5) as b:
        return b.eval_(expr)


# ---- the watchdog across a soft reset ------------------------------------------------------------
def test_watchdog_outlives_a_soft_reset_and_bites_at_the_repl(make_board):
    vb = make_board()
    wait_console(vb.link_path)
    # Ctrl-C: main.py stops, its keepalive timer feeds the armed watchdog at the REPL
    assert _eval(vb, "len(__import__('vmachine').current().timers)") == 1
    assert _state(vb)["wdt_ms"] == 8000 and _state(vb)["keepalive"]
    time.sleep(3 * WDT_REAL_S)
    assert vb.wdt_resets == 0 and vb.restarts == 0
    # a soft reset frees the timer; the watchdog stays armed and nobody feeds it
    with transport.connect(str(vb.link_path), soft_reset=True, timeout=5) as b:
        assert b.eval_("len(__import__('vmachine').current().timers)") == 0
        assert b.eval_("__import__('vmachine').current().wdt.timeout") == 8000
        st = _state(vb)
        assert st["wdt_ms"] == 8000 and not st["keepalive"]
        deadline = time.monotonic() + 6 * WDT_REAL_S
        while vb.wdt_resets == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert vb.wdt_resets == 1  # a hard reset: main.py runs again and arms it afresh
    wait_console(vb.link_path)  # main.py runs again


def test_a_program_that_feeds_the_watchdog_after_a_soft_reset_is_not_reset(make_board):
    vb = make_board()
    wait_console(vb.link_path)
    with transport.connect(str(vb.link_path), soft_reset=True, timeout=5) as b:
        # 4 watchdog timeouts of virtual time, fed every second: no reset
        b.exec_("import board\nw = board.wdt()\nfor i in range(32):\n    w.feed()\n    board.sleep_ms(1000)",
                timeout=10)
        assert vb.wdt_resets == 0
        # and wdt_keepalive leaves it fed at the REPL
        b.exec_("board.wdt_keepalive(w)")
        time.sleep(3 * WDT_REAL_S)
    assert vb.wdt_resets == 0 and _state(vb)["keepalive"]


def test_capture_longer_than_the_watchdog_timeout(make_board, tmp_path, capsys):
    # hinge capture connects with a soft reset: its program must feed the firmware's watchdog
    # (it reset the board ~8 s into the capture before), and leave it fed afterwards
    # (at a quarter of the usual scale: at 20x a 0.35-s stall of the test machine is 7 s of the
    # board's time, past the IMU's FIFO, and a capture that loses samples fails the count below)
    vb = make_board(scale=SCALE // 4)
    wait_console(vb.link_path)
    out = tmp_path / "long.csv"
    rc, text, err = run(capsys, "--port", vb.link_path, "capture", "--seconds", 20, "--out", out, "--no-restart")
    assert rc == 0, err
    assert abs(len(read_capture(out).t_ms) - 20 * 104) <= 3
    time.sleep(12 * WDT_REAL_S)  # left at the REPL: the keepalive feeds it (3 timeouts at this scale)
    assert vb.wdt_resets == 0 and vb.restarts == 1  # the capture's soft reset only


# ---- light sleep and the UART --------------------------------------------------------------------
SLEEPER = "import board\nwhile True:\n    board.{}(1000)\n"  # a program that sleeps all the time


def test_ctrl_c_is_lost_while_the_board_light_sleeps(make_board):
    # light sleep: the UART sleeps too, the Ctrl-C is lost and the host cannot get in
    vb = make_board(main=SLEEPER.format("lightsleep"), scale=1, name="light")
    time.sleep(0.5)
    with pytest.raises(transport.BoardError, match="no MicroPython REPL"):
        transport.connect(str(vb.link_path), timeout=1.5)
    # sleep_ms (the CPU idles, the UART is awake): the Ctrl-C lands
    vb = make_board(main=SLEEPER.format("sleep_ms"), scale=1, name="idle")
    time.sleep(0.5)
    with transport.connect(str(vb.link_path), timeout=5) as b:
        assert b.eval_("__import__('vmachine').current().ctrl_c_lost") == 0


@pytest.mark.mp32
def test_hinge_connects_to_a_board_on_usb_power(make_board):
    # light sleep would swallow the Ctrl-C (as above): on USB the firmware stays awake
    vb = make_board(usb=True)
    wait_console(vb.link_path)
    for _ in range(3):
        got = _eval(vb, "(__import__('vmachine').current().lightsleeps, __import__('vmachine').current().ctrl_c_lost)")
        assert got == (0, 0), got
        time.sleep(0.3)
        with transport.connect(str(vb.link_path), timeout=5) as b:
            b.run_main()
        time.sleep(0.3)


# ---- the model itself (in-process, CPython) ------------------------------------------------------
def test_timer_runs_on_virtual_time_and_marks_a_feeding_timer_as_keepalive(tmp_path):
    path = str(tmp_path / "wdt.json")
    vb = vmachine.install(vmachine.VBoard(imu=None, state=path, clock=vmachine.Clock(scale=0)))
    try:
        w = vmachine.WDT(timeout=1000)
        assert json.loads(Path(path).read_text())["wdt_ms"] == 1000
        calls = []
        t = vmachine.Timer(1, mode=vmachine.Timer.PERIODIC, period=300, callback=lambda _t: calls.append(1))
        assert not t.feeds_wdt and len(calls) == 1  # tried once: it does not feed the watchdog
        k = vmachine.Timer(0, mode=vmachine.Timer.PERIODIC, period=500, callback=lambda _t: w.feed())
        assert k.feeds_wdt and json.loads(Path(path).read_text())["keepalive"]
        vb.clock.advance(5000)  # fed by the timer: no reset
        assert len(calls) == 1 + 5000 // 300
        k.deinit()
        assert not json.loads(Path(path).read_text())["keepalive"]
        with pytest.raises(vmachine.WDTReset):
            vb.clock.advance(1500)
        # a new interpreter (soft reset) finds the watchdog armed, and no timers
        vb2 = vmachine.VBoard(imu=None, state=path, clock=vmachine.Clock(scale=0))
        assert vb2.wdt is not None and vb2.wdt.timeout == 1000 and vb2.timers == []
        vwdt.power_up(path)  # a hard reset disarms it
        assert vmachine.VBoard(imu=None, state=path).wdt is None
    finally:
        vmachine.install(None)


@pytest.mark.parametrize("usb", [False, True])
def test_firmware_light_sleeps_on_battery_only(tmp_path, usb):
    from hinge.sim.simulate import simulate
    from hinge.virtual import vrun

    sim = simulate("good_form", seed=1, minutes=0.5)
    cap = Capture(sim.t_ms, sim.acc_g, sim.gyr_dps, [])
    vr = vrun.run_firmware(cap, tmp_path, config={"version": 1}, extra={"usb": usb})
    assert vr.returncode == 0, vr.stdout[-2000:]
    end = next(m for m in vr.messages if m.startswith("virtual: end"))
    slept = int(end.split("lightsleep_ms=")[1].split()[0])
    now = int(end.split("now_ms=")[1].split()[0])
    if usb:
        assert slept == 0  # awake for the host's Ctrl-C
    else:
        assert slept > now // 2  # the battery's budget: asleep between FIFO reads
