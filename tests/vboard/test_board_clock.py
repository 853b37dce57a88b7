"""Board time: the log header's wall-clock start and clock-set flag, the virtual board's
machine.RTC, and every connection setting the RTC from the laptop (issue 11)."""
import datetime as dt
import json
import os
import sys
import time

import logfmt
import pytest

from hinge.board import transport
from hinge.common import devpath
from hinge.logs import logdecode
from hinge.vboard import vmachine
from hinge.virtual import vrun
from hinge.virtual.ptyboard import VirtualBoard

UTC = dt.timezone.utc


def _header(wall):
    hdr = logfmt.header(logfmt.MAGIC_SESSION, 7, 4096, 32800, 104, wall, "fw", "mpu6500", "{}")
    return logdecode.decode_session(hdr).header


def test_header_keeps_the_start_in_utc_seconds_and_the_clock_set_flag():
    h = _header((2026, 12, 4, 7, 15, 30, 1))
    assert h["start"] == "2026-12-04T07:15:30" and h["clock_set"] is True
    assert h["start_utc"] == dt.datetime(2026, 12, 4, 7, 15, 30, tzinfo=UTC).timestamp()
    # never set since power-up: 2000-01-01 plus the time since, no start, flag clear
    h = _header((2000, 1, 1, 3, 0, 0, 0))
    assert h["start"] is None and h["start_utc"] is None and h["clock_set"] is False
    # a log written before the flag existed (a 6-field wall clock): decodes as before
    h = _header((2026, 12, 4, 7, 15, 30))
    assert h["start"] == "2026-12-04T07:15:30" and h["clock_set"] is False
    assert _header(None)["start"] is None


def test_virtual_rtc_powers_up_in_2000_runs_on_the_virtual_clock_and_drifts():
    vb = vmachine.VBoard(imu=None, rtc_drift=0.02)
    old = vmachine._BOARD
    vmachine.install(vb)
    try:
        rtc = vmachine.RTC()
        assert rtc.datetime()[:3] == (2000, 1, 1)
        rtc.datetime((2026, 2, 28, 0, 23, 59, 50, 0))  # weekday given wrong: recomputed
        assert rtc.datetime()[:7] == (2026, 2, 28, 5, 23, 59, 50)
        vb.clock.advance(500000)  # 500 s of board time: the RTC runs 2 % fast
        assert rtc.datetime()[:7] == (2026, 3, 1, 6, 0, 8, 20)
        assert vmachine.RTC().datetime()[:7] == rtc.datetime()[:7]  # one clock per board
    finally:
        vmachine.install(old)


def test_board_wall_and_the_firmware_log_header(tmp_path):
    """The firmware (unix-port micropython, unchanged main.py) writes the RTC's time and the
    flag into its session log: set -> flag 1, power-up value -> flag 0."""
    from hinge.sim import simulate

    sim = simulate.simulate("good_form", seed=3, minutes=0.3)
    cap = sim.as_capture()
    t0 = int(dt.datetime(2026, 12, 4, 6, 30, 0, tzinfo=UTC).timestamp())
    for extra, want in (({"rtc": t0}, ("2026-12-04T06:30:00", True)), ({}, (None, False))):
        run = vrun.run_firmware(cap, tmp_path / str(len(extra)), config={"mount_up": sim.truth["mount_up"],
                                "mount_forward": sim.truth["mount_forward"]}, extra=extra, timeout=120)
        assert run.session_files, run.stdout[-2000:]
        h = logdecode.decode_session(run.session_files[0]).header
        # the session starts within the first seconds of board time (boot, IMU probe)
        got = (h["start"][:-2] + "00" if h["start"] else None, h["clock_set"])
        assert got == want, h


@pytest.mark.skipif(sys.platform != "linux", reason="ptys as on Linux")
def test_every_connection_sets_the_rtc_and_it_survives_a_soft_reset(tmp_path):
    flash = tmp_path / "flash"
    flash.mkdir()
    rtc_file = tmp_path / "rtc.json"
    env = dict(os.environ)
    env["HINGE_VBOARD"] = json.dumps({"imu": None, "fs_root": ".", "rtc_file": str(rtc_file)})
    vb = VirtualBoard(tmp_path / "tty", flash, env=env, pythonpath=[vrun.VBOARD_DIR],
                      micropython_cmd=devpath.engine_cmd("micropython")).start(timeout=15)
    try:
        before = time.time()
        with transport.connect(str(vb.link_path)) as board:
            back = board.exec_("import vmachine\nprint(vmachine.RTC().datetime())")
            board.soft_reset()  # a new interpreter: the RTC goes on from rtc.json
            after = board.exec_("import vmachine\nprint(vmachine.RTC().datetime())")
        for out in (back, after):
            y, mo, d, _wd, hh, mi, ss, _us = eval(out.strip())
            t = dt.datetime(y, mo, d, hh, mi, ss, tzinfo=UTC).timestamp()
            assert before - 2 <= t <= time.time() + 1, out
    finally:
        vb.stop()
