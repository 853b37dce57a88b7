"""``hinge monitor`` and ``hinge capture`` against a virtual board over a pty.

Each board is :class:`hinge.virtual.ptyboard.VirtualBoard` with the device files on its flash and its
IMU (an LSM6DSO register model) fed from a one-minute simulated run (``good_form``, seed 1);
``on_end: "idle"`` makes it print ``H # virtual: capture played`` when the run is over. Every
board is stopped by its fixture, which also checks that no micropython child outlives it.
Timings and throughput are printed (pytest -s).

Boards run the 64-bit unix port; the tests marked ``mp32`` run the firmware on a 32-bit board
too (a representative subset: a capture that interrupts and restarts the firmware, a passive
monitor over a whole run with alerts, the follow API after a restart).
"""
import _thread
import json
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import serial
from boardutil import procs_in

from hinge.board import capture, live
from hinge.cli import cli
from hinge.common import devpath
from hinge.common.capture import read_capture
from hinge.sim.simulate import simulate
from hinge.virtual.ptyboard import VirtualBoard
from hinge.virtual.vrun import VBOARD_DIR, write_source

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="ptys and /proc as on Linux")

REPO = Path(__file__).resolve().parents[2]
RATE = 104
ALERT_CONFIG = {"lean_min_deg": 25.0, "alert_after_s": 2}  # every running stride is "too upright"




@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """The simulated run as the IMU model's source, and its samples (time in ms on the source's
    own timeline, as the IMU model plays it; g and deg/s as quantised)."""
    d = tmp_path_factory.mktemp("source")
    sim = simulate("good_form", seed=1, minutes=1)
    cap = sim.as_capture()
    spec = write_source(cap, d / "imu_source.s7")
    raw = np.fromfile(spec["path"], dtype="<i2").reshape(-1, 7)
    t16 = np.cumsum(raw[:, 0].view(np.uint16).astype(np.int64))  # dt: unsigned, 1/16 ms
    raw = raw.astype(np.int64)
    return {"spec": spec, "t_ms": t16 / 16.0, "acc_g": raw[:, 1:4] / spec["lsb_per_g"],
            "gyr_dps": raw[:, 4:7] * 1000.0 / spec["lsb_per_kdps"]}


@pytest.fixture
def make_board(tmp_path, source, board_engine):
    boards = []

    # scale: virtual time per real time. Not 0 ("as fast as the code runs"): once its capture has
    # been played, a scale-0 firmware spins through its idle loop, and a Ctrl-C there now and then
    # ends the unix-port interpreter (exit status 1; ptyboard restarts it) instead of raising
    # KeyboardInterrupt. At 20x the 1-minute run takes 3 s and the idle loop sleeps, like a board.
    # clock_error: the IMU model's clock is exact unless a test says otherwise (the capture is
    # matched sample by sample against the source's timeline)
    # state: the ESP32's watchdog outlives a soft reset (vboard/vwdt.py); usb: on USB power
    def make(config=None, scale=20, firmware=True, main=None, imu="lsm6dso", speed=None, name="b", clock_error=0.0,
             usb=True):
        flash = tmp_path / f"{name}-flash"
        flash.mkdir()
        if firmware:
            for f in (REPO / "device").glob("*.py"):
                shutil.copy(f, flash / f.name)
            shutil.copy(REPO / "hardware" / "pinmap.json", flash / "pinmap.json")
        if main is not None:
            (flash / "main.py").write_text(main)
        if config is not None:
            (flash / "config.json").write_text(json.dumps(config))
        spec = {"imu": imu, "source": source["spec"], "fs_root": ".", "on_end": "idle", "scale": scale,
                "clock_error": clock_error, "state": str(tmp_path / f"{name}-wdt.json"), "usb": usb}
        env = dict(os.environ, HINGE_VBOARD=json.dumps(spec))
        vb = VirtualBoard(tmp_path / f"{name}-tty", flash, env=env, pythonpath=[VBOARD_DIR], heapsize=devpath.VBOARD_HEAPSIZE,
                          speed=speed, micropython_cmd=devpath.engine_cmd(board_engine), state_path=spec["state"])
        boards.append(vb)
        return vb.start(timeout=15)

    yield make
    for vb in boards:
        vb.stop()
        assert not vb.link_path.is_symlink(), "link left behind"
    deadline = time.monotonic() + 5
    while any(procs_in(vb.workdir) for vb in boards) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(procs_in(vb.workdir) for vb in boards), "a micropython child outlived its board"


@pytest.fixture
def show(capsys, pytestconfig):
    """Print timings past the capsys capture, with ``pytest -s`` only."""
    def _show(text):
        if pytestconfig.getoption("capture") == "no":
            with capsys.disabled():
                print(text)
    return _show


def run(capsys, *argv):
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def one_line_error(err, *words):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    for w in words:
        assert w in lines[0], err
    return lines[0]


# ---- parse_line ----------------------------------------------------------------------------------
def test_parse_line_events():
    s = live.parse_line("H 1 9970 -66 728 1047 1146 6 803\r\n")
    assert s == {"type": "stride", "t_ms": 9970, "lean_deg": -0.66, "rotation_deg": 7.28, "cadence_spm": 104.7,
                 "roll_deg": 8.03, "stride_ms": 1146, "activity": "running", "calibrated": True,
                 "grounded": False}
    s = live.parse_line(b"H 1 100 5 6 1700 700 1 0")
    assert s["activity"] == "walking" and s["calibrated"] is False
    a = live.parse_line("H 2 23550 1 3 531 2500 0 0")
    assert a == {"type": "alert", "t_ms": 23550, "reason": "upright", "severity": 3, "value_deg": 5.31,
                 "limit_deg": 25.0}
    assert live.parse_line("H 2 5 2 1 2100 2000 0 0")["reason"] == "swivel"
    c = live.parse_line("H 3 40000 3 0 -150 -200 0 0")
    assert c["type"] == "clear" and c["reason"] == "backward" and c["limit_deg"] == -2.0
    assert live.parse_line("H 4 3096 1 866 182 3000 0 0")["type"] == "calibrated"
    assert live.parse_line("H 4 3096 0 0 0 0 0 0")["type"] == "calibration_fallback"
    # where the lean's reference came from: a standing start, a restart of the run, an earlier run
    lim0 = live.Limits()
    said = [live.format_event(live.parse_line(f"H 4 3096 {ok} 866 182 {3000 if ok == 1 else 0} 0 0"), lim0)
            for ok in (1, 2, 3)]
    assert "standing pose taken" in said[0] and "+8.7 deg" in said[0]
    # worn the other way up (the CALIB's e field: detector._flip), from a standing pose or none
    for ok, words in ((1, "from the standing pose"), (0, "against the mount axes")):
        flip = live.parse_line(f"H 4 6100 {ok} 866 182 {3000 * ok} 1 0")
        assert flip["mount_flipped"] is True
        text = live.format_event(flip, lim0)
        assert "worn the other way up" in text and words in text, text
    assert "mount_flipped" not in live.parse_line("H 4 3096 1 866 182 3000 0 0")
    assert "restarted mid-run" in said[1] and "this run's standing pose" in said[1]
    assert "no standing start" in said[2] and "an earlier run's standing pose" in said[2]
    assert live.parse_line("H 5 9970 2 1 0 0 0 0") == {"type": "activity", "t_ms": 9970, "activity": "running",
                                                       "previous": "walking"}
    f = live.parse_line("  H 6 100 4 3420 0 0 0 0  ")
    assert f == {"type": "fault", "t_ms": 100, "fault": "low_battery", "detail": 3420}
    # the IMU's rate, nominal at session start, then as measured against the board's clock
    r = live.parse_line("H 7 0 104000 0 0 0 0 0")
    assert r == {"type": "imu_rate", "t_ms": 0, "rate_hz": 104.0, "ppm": 0, "windows": 0}
    assert "104.000 Hz (nominal" in live.format_event(r, live.Limits())
    r = live.parse_line("H 7 31250 105560 15000 1 0 0 0")
    assert r["rate_hz"] == 105.56 and r["ppm"] == 15000
    assert live.format_event(r, live.Limits()).endswith("IMU rate 105.560 Hz measured (+1.50 % from nominal)")
    assert "-2.00 %" in live.format_event(live.parse_line("H 7 62000 101920 -20000 2 0 0 0"), live.Limits())


def test_parse_line_status_and_junk():
    assert live.parse_line("H # imu lsm6dso@0x6a 104Hz") == {"type": "status", "text": "imu lsm6dso@0x6a 104Hz"}
    assert live.parse_line("H # virtual: capture played\r")["text"] == live.PLAYED
    for junk in ("", "   ", "hello", "H", "H 1 2 3", "H 1 a b c d e f g", "H 1 2 3 4 5 6 7 8 9", ">>> H 1 2 3 4 5 6 7 8",
                 "MicroPython v1.29 on 2026-01-01; ESP32 module with ESP32", "H1 2 3 4 5 6 7 8", "\x00\xff garbage"):
        assert live.parse_line(junk) is None, junk
    assert live.parse_line(b"\xff\xfeH 1") is None
    # codes and fields this host does not know are shown, not dropped, and never raise
    for text in ("H 12 100 1 2 3 4 5 6", "H 1 100 5 6 1700 700 3 0", "H 2 100 99 1 0 0 0 0", "H 6 100 99 0 0 0 0 0",
                 "H 5 100 9 9 0 0 0 0"):
        ev = live.parse_line(text)
        assert ev is not None, text
        assert ev["type"] in ("unknown", "fault"), ev
        assert live.format_event(ev, live.Limits())


def test_dynamics_and_drift_lines_are_shown():
    # a stride's DYN (device/events.py): tilt 7.25, push-off 1.5, drop L 5.1 R 6.2 deg, bounce 76/78 mm, contact 240/250 ms
    ev = live.parse_line(f"H 8 1000 725 150 510 620 {76 * 1024 + 78} {240 * 2048 + 250}")
    assert ev["type"] == "dynamics" and ev["gct_left_ms"] == 240 and ev["vo_right_cm"] == 7.8
    line = live.format_event(ev, live.Limits())
    assert "tilt swing 7.2" in line and "contact L 240 R 250 ms" in line and "hip drop L 5.1 R 6.2" in line
    walk = live.parse_line("H 8 1000 500 0 0 0 0 0")
    assert "contact" not in live.format_event(walk, live.Limits())
    d = live.parse_line("H 9 60000 -250 30 0 -10 42 0")
    assert d["type"] == "drift" and "lean -2.5" in live.format_event(d, live.Limits())
    a = live.parse_line("H 2 61000 4 2 -250 200 0 0")
    assert "form drifted" in live.format_event(a, live.Limits())
    # which baseline: the last session's (session 41 of 2026-12-03), or learned on this run
    b = live.parse_line("H 10 0 850 1000 700 0 41 20261203")
    assert b["type"] == "drift_base" and b["from_date"] == "2026-12-03" and b["hip_drop_deg"] is None
    assert "drift baseline from session 41 (2026-12-03): lean +8.5" in live.format_event(b, live.Limits())
    b = live.parse_line("H 10 660000 850 1000 700 520 0 0")
    assert b["from_session"] is None and "baseline learned on this run" in live.format_event(b, live.Limits())


def test_limits_mark_strides_as_the_devices_coach_holds_them():
    lim = live.Limits()
    run_ = live.parse_line("H 1 100 300 2500 1700 700 6 500")
    assert lim.marks(run_) == ["upright", "swivel"]
    # smoothed over two strides (lean (3.0 - 3.0) / 2 = 0.0: still upright, not yet leaning back;
    # rotation (25 + 5) / 2 = 15 deg is inside the 2-deg hysteresis of 20: swivel holds)
    assert lim.marks(live.parse_line("H 1 800 -300 500 1700 700 6 500")) == ["upright"]
    assert lim.marks(live.parse_line("H 1 1500 -600 500 1700 700 6 500")) == ["leaning back"]
    assert lim.marks(live.parse_line("H 1 2200 -300 2500 1100 900 5 500")) == []  # walking: not coached
    assert lim.marks(live.parse_line("H 1 2900 600 500 1700 700 6 500")) == []  # a new episode starts clean
    # a stride inside the hysteresis band does not end an episode, nor does one good stride
    # (the coach takes the median of the last three: 4.2 deg); two good strides do
    lim = live.Limits()
    assert lim.marks(live.parse_line("H 1 100 300 500 1700 700 6 500")) == ["upright"]
    assert lim.marks(live.parse_line("H 1 800 420 500 1700 700 6 500")) == ["upright"]
    assert lim.marks(live.parse_line("H 1 1500 800 500 1700 700 6 500")) == ["upright"]
    assert lim.marks(live.parse_line("H 1 2200 800 500 1700 700 6 500")) == []
    lim = live.Limits()
    line = live.format_event(run_, lim)
    assert "running" in line and "+3.0" in line and "upright, swivel" in line
    assert live.format_event(live.parse_line("H 1 100 600 500 1700 700 2 500"), lim).endswith("uncalibrated")
    assert lim.learn(live.parse_line("H 2 23550 1 3 531 2500 0 0"))
    assert lim.lean_min == 25.0 and "alerts" in lim.source
    assert not lim.learn(live.parse_line("H 2 25550 1 3 531 2500 0 0"))
    assert lim.marks(live.parse_line("H 1 100 600 500 1700 700 6 500")) == ["upright"]
    alert = live.format_event(live.parse_line("H 2 83550 1 3 531 2500 0 0"), lim)
    assert alert.startswith("   1:23  >>> BUZZ: too upright, severity 3 of 3")
    assert live.mmss(3723000) == "1:02:03"


def test_capture_stream_decoder_rejects_damage():
    good = np.arange(14, dtype="<i2").reshape(2, 7).tobytes()
    import base64

    st = capture._Stream(5.0, None)
    st.feed(b"I ('lsm6dso', 106, 104, 4098, 28571, 8, 1000, 52, '+x', '-z', 'ok', 'linux')\nD")
    st.feed(base64.b64encode(good) + b"\nH # virtual: capture played\nZ 2 7 0 0 0\n")
    assert st.n == 2 and st.end == (2, 7, 0, 0, 0) and not st.garbled and st.info[0] == "lsm6dso"
    for bad in (b"D!!!!\n", b"D" + base64.b64encode(good[:13]) + b"\n"):
        st = capture._Stream(5.0, None)
        st.feed(bad)
        assert st.garbled and st.n == 0


# ---- capture -----------------------------------------------------------------------------------------
@pytest.mark.mp32
def test_capture_matches_the_source_and_replays(make_board, source, tmp_path, capsys, show):
    vb = make_board()  # main.py runs at power-up: the capture must interrupt it
    out = tmp_path / "cap.csv"
    seconds = 5
    t0 = time.monotonic()
    rc, text, err = run(capsys, "--port", vb.link_path, "capture", "--seconds", seconds, "--out", out)
    wall = time.monotonic() - t0
    assert rc == 0, err
    assert "520 samples" in text and "lsm6dso@0x6a" in text and "firmware restarted" in text, text
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".cap", "cap"))) == ["cap.csv"]
    cap = read_capture(out)
    n = len(cap.t_ms)
    assert abs(n - seconds * RATE) <= 3, n
    # t_ms: the firmware's dt (1/16 ms) summed, written with decimals (3: 1/16 ms rounds to 0.5 us)
    assert cap.t_ms[0] == 0 and np.all(np.abs(np.diff(cap.t_ms) - 1000 / RATE) < 0.07), np.diff(cap.t_ms)[:8]
    assert abs(cap.t_ms[-1] - (n - 1) * 1000 / RATE) <= 0.1
    head = "\n".join(cap.comments)
    for word in ("imu=lsm6dso", "rate_hz=104", "lsb_per_g=4098", "lsb_per_kdps=28571", "mount_up=+x",
                 "mount_forward=-z", f"samples={n}"):
        assert word in head, head
    # the same physical values as the source, within the chip's quantisation. The chip starts
    # sampling during find_imu (those samples are flushed), so the capture starts a little
    # into the source: find where. A timed source (vrun's default) is sampled at the chip's own
    # instants (interpolated between the source's samples); an untimed one gives one source
    # sample per chip sample.
    timed = bool(source["t_ms"][-1])

    def match(start):
        if timed:  # start in ms on the source's timeline
            x = cap.t_ms + start
            st = source["t_ms"]
            src_a = np.stack([np.interp(x, st, source["acc_g"][:, i]) for i in range(3)], axis=1)
            src_g = np.stack([np.interp(x, st, source["gyr_dps"][:, i]) for i in range(3)], axis=1)
        else:  # start in samples
            j = np.minimum(np.arange(n) + start, len(source["acc_g"]) - 1)
            src_a, src_g = source["acc_g"][j], source["gyr_dps"][j]
        ea = np.abs(cap.acc_g - src_a).max(axis=1)
        eg = np.abs(cap.gyr_dps - src_g).max(axis=1)
        # two roundings: the interpolation (in the source's counts) and the chip's scale
        ok = (ea <= 1.1 / 4098 + 1e-5) & (eg <= 1.1 * 1000 / 28571 + 1e-3)
        return ok.mean(), ea.max(), eg.max()

    # timed: the start in 1/16 ms steps (the chip's instants are on that grid), over 300 ms
    starts = [k / 16 for k in range(300 * 16)] if timed else list(range(30))
    scores = [match(k) for k in starts]
    best = int(np.argmax([sc[0] for sc in scores]))
    frac, da, dg = scores[best]
    show(f"\ncapture {n} samples in {wall:.2f} s, starts {starts[best]} {'ms' if timed else 'samples'} into the "
          f"source, max error {da:.2e} g, {dg:.4f} deg/s")
    assert frac == 1.0, (starts[best], frac, da, dg)
    far = 10 if timed else 1
    assert max(sc[0] for k, sc in zip(starts, scores) if abs(k - starts[best]) >= far) < 0.5  # not by chance
    # hinge replay reads it (and sees the standing calibration in the first seconds)
    rc, text, err = run(capsys, "replay", out, "--set", "imu_model=lsm6dso")
    assert rc == 0, err
    assert "calibrated at 0:0" in text, text
    # the firmware was started again afterwards: it opens a new session log
    logs = vb.workdir / "logs"
    deadline = time.monotonic() + 10
    while len(list(logs.glob("S*.hlg"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(list(logs.glob("S*.hlg"))) == 2, list(logs.iterdir())


def test_capture_follows_the_imus_measured_rate(make_board, tmp_path, capsys):
    # the IMU's clock runs 1.5 % fast: after 30 s the firmware has measured it and dt follows it
    vb = make_board(clock_error=0.015)
    out = tmp_path / "fast-clock.csv"
    rc, text, err = run(capsys, "--port", vb.link_path, "capture", "--seconds", 45, "--out", out, "--no-restart")
    assert rc == 0, err
    cap = read_capture(out)
    head = "\n".join(cap.comments)
    pct = float(head.split("imu rate ")[1].split("(")[1].split(" %")[0])
    assert abs(pct - 1.5) < 0.05 and "as measured against the board's clock" in head, head
    dt = np.diff(cap.t_ms)
    assert abs(dt[:2000].mean() - 1000 / 104) < 0.001  # nominal until measured
    # the chip's true period, within the rate estimate's own bound above (0.05 % of it: the
    # virtual board's ticks are the host's clock, which a loaded machine jitters; 0.003 ms, 0.032 %,
    # failed once at 0.00303 with the estimate's 1.5 % itself within bounds)
    true_ms = 1000 / (104 * 1.015)
    assert abs(dt[-1000:].mean() - true_ms) < 0.0005 * true_ms, dt[-1000:].mean()
    # a capture too short to measure says so
    out2 = tmp_path / "short.csv"
    assert run(capsys, "--port", vb.link_path, "capture", "--seconds", 2, "--out", out2, "--no-restart")[0] == 0
    assert "imu rate nominal: not measured yet" in "\n".join(read_capture(out2).comments)


def test_capture_keeps_up_at_uart_speed(make_board, tmp_path, capsys, show):
    # scale 0: the board's clock moves only as its code sleeps, so the link alone sets the pace
    # (at 20x, time would run on while a print waits for the slow link and the FIFO overflow)
    vb = make_board(speed=115200, config={"rate_hz": 208}, scale=0)
    out = tmp_path / "fast.csv"
    t0 = time.monotonic()
    rc, text, err = run(capsys, "--port", vb.link_path, "capture", "--seconds", 4, "--out", out,
                        "--rate", 208, "--no-restart")
    wall = time.monotonic() - t0
    assert rc == 0, err
    assert "at 208 Hz" in text and "left stopped" in text, text
    cap = read_capture(out)
    n = len(cap.t_ms)
    assert abs(n - 4 * 208) <= 3, n
    assert "fifo_overflows=0 lost_samples=0" in "\n".join(cap.comments)
    rate = n * 19 * 10 / 115200  # seconds the stream needs at 10 bits a byte, ~19 bytes a sample
    show(f"\n{n} samples at 208 Hz through a 115200-baud link in {wall:.2f} s "
          f"({n / wall:.0f} samples/s; {rate:.2f} s of pure transfer)")
    # (speed is a figure, shown with -s; tests check behaviour, not wall-clock time)


def test_capture_bad_cases(make_board, tmp_path, capsys):
    out = tmp_path / "x.csv"
    # no IMU on the bus
    vb = make_board(imu=None, name="noimu")
    rc, _, err = run(capsys, "--port", vb.link_path, "capture", "--seconds", 2, "--out", out)
    assert rc == 2
    one_line_error(err, "no IMU found on I2C", "check wiring")
    # MicroPython but no Hinge firmware on the flash
    vb = make_board(firmware=False, name="bare")
    rc, _, err = run(capsys, "--port", vb.link_path, "capture", "--seconds", 2, "--out", out)
    assert rc == 2
    one_line_error(err, "no Hinge firmware", "hinge flash")
    # the board runs another program (printing away): interrupted, captured, program restarted
    prog = "import time\nn = 0\nwhile True:\n    n += 1\n    print('tick', n)\n    time.sleep(0.01)\n"
    vb = make_board(main=prog, name="other")
    rc, text, err = run(capsys, "--port", vb.link_path, "capture", "--seconds", 1, "--out", out)
    assert rc == 0, err
    assert abs(len(read_capture(out).t_ms) - RATE) <= 3
    assert not list(tmp_path.glob(".*.part"))


def test_capture_broken_stream_leaves_no_file(make_board, tmp_path, capsys):
    vb = make_board(speed=115200)
    out = tmp_path / "broken.csv"
    threading.Timer(0.6, vb.stop).start()  # the cable is pulled mid-capture
    rc, _, err = run(capsys, "--port", vb.link_path, "capture", "--seconds", 30, "--out", out)
    assert rc == 2
    one_line_error(err, "capture broken off after", "nothing written")
    assert list(tmp_path.glob("*broken*")) == []


class _CtrlC:
    """Press Ctrl-C after ``first`` s, and again every 1.5 s until the command returns, as a
    person would if the first press landed while the tool was still connecting (on a loaded
    machine that handshake can outlast the first press, and mpremote's own Ctrl-C handling there
    takes it)."""

    def __init__(self, first):
        # a shell's background job starts with SIGINT ignored, and then Python neither raises
        # KeyboardInterrupt for a real Ctrl-C nor for interrupt_main(): give the test its own
        self.old = signal.signal(signal.SIGINT, signal.default_int_handler)
        self.done = threading.Event()
        threading.Thread(target=self._press, args=(first,), daemon=True).start()

    def _press(self, first):
        if self.done.wait(first):
            return
        while not self.done.is_set():
            _thread.interrupt_main()
            if self.done.wait(1.5):
                return

    def stop(self):
        self.done.set()
        try:
            time.sleep(0.05)  # a press already on its way lands here, not in the test
        except KeyboardInterrupt:
            pass
        signal.signal(signal.SIGINT, self.old)


def test_capture_ctrl_c_writes_nothing_and_frees_the_board(make_board, tmp_path, capsys):
    vb = make_board(scale=1, speed=115200)  # real time, as on a board: the program is still running
    out = tmp_path / "cc.csv"
    cc = _CtrlC(0.6)
    rc, _, err = run(capsys, "--port", vb.link_path, "capture", "--seconds", 30, "--out", out)
    cc.stop()
    assert rc == 130 and "interrupted" in err
    assert list(tmp_path.glob("*cc*")) == []
    rc, text, err = run(capsys, "--port", vb.link_path, "capture", "--seconds", 1, "--out", out)
    assert rc == 0, err


# ---- monitor --------------------------------------------------------------------------------------------
@pytest.mark.mp32
def test_monitor_passive_sees_strides_alert_and_end(make_board, capsys, show):
    # the firmware runs from power-up at 12x real time; the monitor attaches without a byte sent
    vb = make_board(config=ALERT_CONFIG, scale=12)
    t0 = time.monotonic()
    rc, text, err = run(capsys, "--port", vb.link_path, "monitor", "--seconds", 30)
    wall = time.monotonic() - t0
    assert rc == 0, err
    show(f"\npassive monitor: {wall:.1f} s\n" + "\n".join(text.splitlines()[:3] + text.splitlines()[-6:]))
    assert "attached without interrupting the firmware" in text
    strides = [ln for ln in text.splitlines() if "  running  " in ln]
    assert len(strides) >= 20, text
    assert any(ln.rstrip().endswith("upright") for ln in strides)  # marked: the board's limit was learned
    assert ">>> BUZZ: too upright, severity" in text and "limit +25.0" in text
    assert "board: virtual: capture played" in text
    assert "monitor ended (the virtual board's capture has been played)" in text
    assert vb.restarts == 0  # nothing was interrupted


def test_monitor_restart_reads_the_limits_and_sees_everything(make_board, capsys):
    vb = make_board(config=ALERT_CONFIG)
    rc, text, err = run(capsys, "--port", vb.link_path, "monitor", "--restart", "--seconds", 20)
    assert rc == 0, err
    assert "firmware restarted" in text
    assert "lean >= +25.0 deg" in text and "the board's config (ok)" in text, text
    assert "board: imu lsm6dso@0x6a" in text and "board: session" in text  # nothing lost at the start
    assert "calibrated: standing pose taken" in text and "now running (was walking)" in text
    assert text.count(">>> BUZZ") == 1 and "board: virtual: capture played" in text
    assert vb.restarts >= 1
    # --raw: the console lines themselves on stdout, the rest on stderr
    rc, text, err = run(capsys, "--port", vb.link_path, "monitor", "--restart", "--raw", "--seconds", 20)
    assert rc == 0, err
    lines = text.splitlines()
    assert "H # virtual: capture played" in lines and "H 2 " in text and "monitor ended" in err
    assert all(live.parse_line(ln) for ln in lines if ln.startswith("H"))


@pytest.mark.mp32
def test_follow_api(make_board):
    vb = make_board(config=ALERT_CONFIG)
    events = []
    raw = []

    def on_event(ev):
        events.append(ev)
        return ev.get("text") == live.PLAYED

    res = live.follow(str(vb.link_path), 20, on_event, restart=True, on_line=raw.append)
    assert res.mode == "restart" and res.stopped_by == "callback" and res.limits.lean_min == 25.0
    types = {e["type"] for e in events}
    assert {"status", "calibrated", "activity", "stride", "alert"} <= types, types
    assert res.counts["stride"] == sum(e["type"] == "stride" for e in events) > 30
    assert len(raw) == res.lines >= res.hinge_lines == len(events)


def test_monitor_passive_explains_silence_and_restart_needs_the_firmware(make_board, capsys, monkeypatch):
    vb = make_board(firmware=False, name="bare")  # MicroPython at its REPL: nothing is printed
    monkeypatch.setattr(live, "QUIET_HINT_S", 0.5)
    rc, text, err = run(capsys, "--port", vb.link_path, "monitor", "--seconds", 1.5)
    assert rc == 0, err
    assert "(nothing from the firmware for" in text and "use --restart" in text, text
    assert "0 strides" in text
    rc, _, err = run(capsys, "--port", vb.link_path, "monitor", "--restart", "--seconds", 1)
    assert rc == 2
    one_line_error(err, "no Hinge firmware on the board", "hinge flash")


def test_monitor_ctrl_c_ends_cleanly(make_board, capsys):
    vb = make_board(config=ALERT_CONFIG, scale=1)
    cc = _CtrlC(1.0)
    rc, text, err = run(capsys, "--port", vb.link_path, "monitor")
    cc.stop()
    assert rc == 0, err
    assert "monitor ended (Ctrl-C)" in text
    s = serial.Serial(str(vb.link_path), exclusive=True)  # the port was let go
    s.close()


# ---- bad input ------------------------------------------------------------------------------------------
def test_bad_seconds(capsys, tmp_path):
    for argv in (["capture", "--seconds", "0", "--out", tmp_path / "a.csv"],
                 ["capture", "--seconds", "-3", "--out", tmp_path / "a.csv"],
                 ["capture", "--seconds", "nan", "--out", tmp_path / "a.csv"],
                 ["capture", "--seconds", "inf", "--out", tmp_path / "a.csv"],
                 ["monitor", "--seconds", "0"], ["monitor", "--seconds", "-1", "--restart"]):
        rc, _, err = run(capsys, "--port", "/dev/null-nothing", *argv)
        assert rc == 2
        one_line_error(err, "--seconds", "must be a number above 0")
    assert not (tmp_path / "a.csv").exists()
    rc, _, err = run(capsys, "--port", "/dev/null-nothing", "capture", "--seconds", "1", "--out", tmp_path / "a.csv",
                     "--rate", "5000")
    assert rc == 2
    one_line_error(err, "rate_hz")


def test_missing_and_wrong_ports(capsys, tmp_path):
    plain = tmp_path / "file"
    plain.write_text("x")
    for argv in (["monitor", "--seconds", "1"], ["monitor", "--restart", "--seconds", "1"],
                 ["capture", "--seconds", "1", "--out", tmp_path / "a.csv"]):
        rc, _, err = run(capsys, "--port", tmp_path / "nope", *argv)
        assert rc == 2
        one_line_error(err, "no board at", "no such port")
        rc, _, err = run(capsys, "--port", plain, *argv)
        assert rc == 2
        one_line_error(err, "not a serial port")


def test_busy_port(make_board, capsys, tmp_path):
    vb = make_board()
    holder = serial.Serial(str(vb.link_path), exclusive=True)
    try:
        for argv in (["monitor", "--seconds", "1"], ["monitor", "--restart", "--seconds", "1"],
                     ["capture", "--seconds", "1", "--out", tmp_path / "a.csv"]):
            rc, _, err = run(capsys, "--port", vb.link_path, *argv)
            assert rc == 2
            one_line_error(err, "is busy")
    finally:
        holder.close()
    assert not (tmp_path / "a.csv").exists()


def test_not_micropython(capsys, tmp_path):
    # a serial port where nothing answers like MicroPython (a silent device)
    m, s = os.openpty()
    link = tmp_path / "tty-silent"
    os.symlink(os.ttyname(s), link)
    try:
        rc, _, err = run(capsys, "--port", link, "capture", "--seconds", "1", "--out", tmp_path / "a.csv")
        assert rc == 2
        one_line_error(err, "no MicroPython REPL")
    finally:
        os.close(m)
        os.close(s)
    assert not (tmp_path / "a.csv").exists()


def test_monitor_marks_agree_with_the_boards_alerts():
    """The monitor's marks come from the device's coach: replayed on a run's console lines, every
    alert and clear the detector made falls on a stride marked (alert) or unmarked (clear) for
    that reason, and a fault marked for alert_after_s of running has buzzed. (Upright and leaning
    back are one episode, coach.py: it may buzz as one and go on, or clear, as the other.)"""
    from hinge.coach import replay
    from hinge.sim import simulate

    sim = simulate.simulate("mixed", seed=1, minutes=4)
    o = {"mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"]}
    res = replay.replay(sim.as_capture(), o)
    lim = live.Limits(o, "--set")
    word = {"upright": "upright", "backward": "leaning back", "swivel": "swivel"}
    group = {"upright": "lean", "backward": "lean", "swivel": "swivel"}
    marked = {"lean": ("upright", "leaning back"), "swivel": ("swivel",)}
    marks_at = {}
    alerts = []
    during = []  # (t, reasons alerted and not yet cleared) per running stride
    buzzing = set()
    for e in res.events:
        ev = live.parse_line("H " + " ".join(str(v) for v in e))
        lim.learn(ev)
        if ev["type"] == "stride":
            marks_at[ev["t_ms"]] = lim.marks(ev)
            if ev["activity"] == "running":
                during.append((ev["t_ms"], set(buzzing)))
        elif ev["type"] in ("alert", "clear") and ev["reason"] in word:  # after the stride it ends on (same t)
            alerts.append(ev)
            (buzzing.add if ev["type"] == "alert" else buzzing.discard)(group[ev["reason"]])
        elif ev["type"] == "activity" and ev["activity"] != "running":
            buzzing.clear()
    assert sum(a["type"] == "alert" for a in alerts) >= 1, "the scenario should buzz"
    for a in alerts:
        assert (word[a["reason"]] in marks_at[a["t_ms"]]) == (a["type"] == "alert"), (a, marks_at[a["t_ms"]])
    clears = {(a["t_ms"], group[a["reason"]]) for a in alerts if a["type"] == "clear"}
    checked = 0
    for t, groups in during:  # between a buzz and its clear every running stride holds the fault
        for g in groups:
            checked += 1
            assert any(w in marks_at[t] for w in marked[g]) or (t, g) in clears, (t, g, marks_at[t])
    assert checked >= 10


def test_monitor_marks_the_optional_cues_as_the_board_alerts():
    """Hip drop, tilt swing and cadence (on): marked on each stride's dynamics line by the
    device's coach, which reads them there; every alert and clear the detector made for them
    falls on a line marked (alert) or unmarked (clear) for that cue."""
    from hinge.coach import replay
    from hinge.sim import simulate

    sim = simulate.simulate("hip_drop", seed=1, minutes=4.5)   # the cadence target: learned from 3:00 of running
    # (a tilt swing limit under this runner's median, 5.9 deg, so each optional cue comes)
    o = {"mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"], "coach_hip_drop": True,
         "coach_tilt": True, "tilt_swing_max_deg": 5.5, "coach_cadence": True, "cadence_baseline_min": 2,
         "alert_repeat_s": 20}
    res = replay.replay(sim.as_capture(), o)
    lim = live.Limits(o, "--set")
    assert "hip drop <= 9.0 deg a side" in lim.describe() and "+5 % over the run's baseline" in lim.describe()
    word = {"hip_drop": "hip drop", "tilt_swing": "tilt swing", "cadence": "cadence low"}
    marks_at = {}
    seen = []
    for e in res.events:
        ev = live.parse_line("H " + " ".join(str(v) for v in e))
        assert not lim.learn(ev)   # the board's limits are these
        if ev["type"] == "stride":
            lim.marks(ev)
        elif ev["type"] == "dynamics":
            marks_at[ev["t_ms"]] = lim.form_marks(ev)
        elif ev["type"] in ("alert", "clear") and ev["reason"] in word:
            seen.append(ev)
            assert (word[ev["reason"]] in marks_at[ev["t_ms"]]) == (ev["type"] == "alert"), (ev, marks_at[ev["t_ms"]])
    assert {e["reason"] for e in seen if e["type"] == "alert"} == set(word)
    assert any(e["type"] == "clear" for e in seen)
    # shown at the end of the dynamics line
    lim = live.Limits({"coach_tilt": True, "tilt_swing_max_deg": 6.0})
    assert lim.marks(live.parse_line("H 1 1000 700 1000 1760 682 6 500")) == []
    line = live.format_event(live.parse_line("H 8 1000 725 150 510 620 0 0"), lim)
    assert line.endswith("marks: tilt swing") and "tilt swing 7.2" in line
    # off (the defaults): no marks, and nothing is held for a dynamics line
    lim = live.Limits()
    lim.marks(live.parse_line("H 1 1000 700 1000 1760 682 6 500"))
    assert lim.form_marks(live.parse_line("H 8 1000 2500 150 2510 620 0 0")) == []


def test_monitor_learns_an_optional_cue_from_the_boards_alert():
    from hinge.common import devpath

    lim = live.Limits()
    assert not lim.cfg["coach_hip_drop"]
    # the board's hip-drop alert (reason 5, limit 11 deg, left side): the cue is on there, at 11 deg
    assert lim.learn(live.parse_line("H 2 30000 5 1 1180 1100 0 1"))
    assert lim.cfg["coach_hip_drop"] and lim.cfg["hip_drop_max_deg"] == 11.0 and "alerts" in lim.source
    assert not lim.learn(live.parse_line("H 2 60000 5 1 1180 1100 0 1"))
    # a cadence alert carries the target (1/10 spm in its extra field)
    assert lim.learn(live.parse_line("H 2 90000 7 2 17400 17870 0 1817"))
    assert lim.cfg["coach_cadence"] and lim.cfg["cadence_target_spm"] == 181.7
    # a running stride with no dynamics line after it still reaches the cadence cue (as on the
    # board, with nothing measured) before the next stride: 174 steps/min against 181.7 - 3
    coach = devpath.import_device("coach")
    for k in range(4):
        lim.marks(live.parse_line(f"H 1 {100000 + 690 * k} 700 1000 1740 690 6 500"))
    assert lim.coach().es[coach._CD] == 1


def test_capture_program_goes_on_past_a_fifo_overflow(capsys):
    """The board's capture program (device/tools/capture.py) under CPython with a fake IMU whose
    FIFO overflows once while the program is away for 4 s (a host slow to read the link blocks
    its writes): samples were lost, not absent; the capture goes on to its end, and the loss is
    in the ``Z`` line. (It ended with "the IMU gave no samples for 3 s" before.)"""
    import importlib.util

    spec = importlib.util.spec_from_file_location("hinge_capture_tool", REPO / "device" / "tools" / "capture.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)

    class Board:
        t = 0

        def fs_root(self):
            return "."

        def configure(self, cfg):
            pass

        def i2c(self):
            return None

        def ticks_ms(self):
            return self.t

        def ticks_diff(self, a, b):
            return a - b

        def sleep_ms(self, ms):
            self.t += ms

    class Imu:
        model, addr, rate_hz, lsb_per_g, lsb_per_kdps, accel_range_g, gyro_range_dps, lpf_hz = (
            "fake", 0x6A, 100, 4096, 32768, 8, 1000, 0)
        overflows = lost = 0
        rate_clock = None

        def __init__(self, board):
            self.b, self.last = board, 0

        def flush(self):
            self.last = self.b.t

        def read(self, buf, nb):
            if 5000 <= self.b.t < 9000:           # away: the FIFO fills and overflows
                self.b.t = 9000
                self.overflows += 1
                self.lost += 400
                self.last = self.b.t
                return 0
            n = min(nb, (self.b.t - self.last) // 10)
            for k in range(n):
                buf[7 * k] = 160                  # 10 ms in 1/16 ms
            self.last += 10 * n
            return n

    board = Board()

    class Cfg:
        @staticmethod
        def load(root):
            return {"rate_hz": 100, "imu_model": "fake", "imu_addr": 0, "accel_range_g": 8, "gyro_range_dps": 1000,
                    "lpf_hz": 0, "mount_up": "+z", "mount_forward": "+x"}, "ok"

    class ImuMod:
        @staticmethod
        def find_imu(*a, **kw):
            return Imu(board)

    tool._capture(board, Cfg, ImuMod, None, 12, 0, 32, 20, 3000)
    out = capsys.readouterr().out.splitlines()
    assert not any(line.startswith("E") for line in out), out[-3:]
    z = out[-1].split()
    assert z[0] == "Z" and int(z[3]) == 1 and int(z[4]) == 400, z   # one overflow, its loss counted
    assert int(z[2]) >= 12 * 16000 - 160                              # the capture ran to its end
