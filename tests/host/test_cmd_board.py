"""hinge flash / config / virtual against a virtual board over a pty, and esptool mocked.

The virtual board (``hinge.virtual.serve.start_virtual``: the unix-port micropython behind a pty,
with the simulated IMU) is shared by the module and stopped by its fixture, which also checks
that no micropython child outlived it. Deploy times are printed (pytest -s).

The board runs the 64-bit unix port; the tests marked ``mp32`` run on a 32-bit board too (a
representative subset: deploy compiles for the board's arch (x86 there) and main.py runs from
the .mpy files after a reset; the config round trip through the board's configstore).
"""
import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from boardutil import default_engine, wait_gone

from hinge.board import deploy, transport
from hinge.board.transport import connect
from hinge.cli import cli, cmd_board
from hinge.common import devpath
from hinge.common.errors import HingeError
from hinge.common.keyvalue import parse_pairs
from hinge.virtual.serve import start_virtual, wait_console

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="ptys and /proc as on Linux")

configstore = devpath.import_device("configstore")
config = devpath.import_device("config")
MODULES = sorted(p.stem for p in devpath.DEVICE_DIR.glob("*.py") if p.name != "main.py")






@pytest.fixture(scope="module")
def vb(tmp_path_factory, board_engine):
    work = tmp_path_factory.mktemp("virtual")
    with default_engine(board_engine):
        board = start_virtual(work / "ttyHINGE", work, scenario="mixed", seed=2, speed=1.0, minutes=1)
    board.bits = devpath.ENGINES[board_engine]
    yield board
    board.stop()
    assert not board.link_path.is_symlink(), "link left behind"
    assert not wait_gone(board.workdir), "a micropython child outlived its board"


@pytest.fixture(scope="module")
def deployed(vb):
    """The app deployed once (first and no-change deploy timed), then the firmware started."""
    link = str(vb.link_path)
    with connect(link) as b:
        first = deploy.deploy(b)
        again = deploy.deploy(b)
        status = deploy.restart(b)  # returns once main.py has started its session
    print(f"\ndeploy to the virtual board (unpaced pty): first {first['seconds']:.2f} s "
          f"({len(first['sent'])} files, {first['bytes']} bytes), no change {again['seconds']:.2f} s")
    return first, again, status


def flash_of(vb) -> Path:
    return vb.workdir


def run_cli(capsys, *argv):
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


# ---- deploy ---------------------------------------------------------------------------------
@pytest.mark.mp32
def test_deploy_puts_compiled_app_on_flash(vb, deployed):
    first, again, _ = deployed
    fl = flash_of(vb)
    want = {f"lib/{m}.mpy" for m in MODULES} | {"main.py", "pinmap.json"}
    assert set(first["sent"]) == want and first["skipped"] == []
    assert first["config_written"]
    arch = devpath.micropython_arch(vb.bits)  # x64, or x86 on the 32-bit build
    assert first["board"]["arch"] == arch and first["board"]["mpy_version"] == "6.3"
    for rel in want:
        assert (fl / rel).is_file(), rel
    assert not any((fl / "lib" / f"{m}.py").exists() for m in MODULES)
    # the rows' hashes are the files' hashes on the flash, the byte count their sum
    rows = {r["path"]: r for r in first["files"]}
    for rel in want:
        data = (fl / rel).read_bytes()
        assert rows["/" + rel]["sha256"] == hashlib.sha256(data).hexdigest(), rel
    assert first["bytes"] == sum((fl / rel).stat().st_size for rel in want)
    assert (fl / "main.py").read_bytes() == (devpath.DEVICE_DIR / "main.py").read_bytes()
    assert (fl / "pinmap.json").read_bytes() == (devpath.HARDWARE_DIR / "pinmap.json").read_bytes()
    # .mpy for the unix port: version 6, the viper kernel carries the board's arch and sub-version 3
    k = (fl / "lib" / "kernel.mpy").read_bytes()
    assert k[:2] == b"M\x06" and transport.MPY_ARCHS[k[2] >> 2] == arch and k[2] & 3 == 3
    # default config in the configstore format
    assert (fl / "config.json").read_text() == configstore.dumps({"version": config.VERSION})
    # second deploy: nothing sent
    assert again["sent"] == [] and again["bytes"] == 0 and set(again["skipped"]) == want
    assert not again["config_written"]


@pytest.mark.mp32
def test_main_runs_after_reset(vb, deployed):
    status = deployed[2]
    assert status[0] == "imu lsm6dso@0x6a 104Hz +-8g +-1000dps lpf52Hz", status
    assert status[-1].startswith("session S")
    assert (flash_of(vb) / "logs" / (status[-1].split()[1])).is_file()
    # plain run_main, then the console read from outside the REPL
    with connect(str(vb.link_path)) as b:
        b.run_main()
    out = wait_console(vb.link_path)
    assert "H # imu lsm6dso@0x6a" in out, out[-500:]


def test_restart_reports_a_firmware_that_stops(vb, deployed):
    fl = flash_of(vb)
    ev = fl / "lib" / "events.mpy"
    good = ev.read_bytes()
    ev.write_bytes(b"M\x05" + good[2:])  # an .mpy of another version: main.py's imports fail
    try:
        with connect(str(vb.link_path)) as b, pytest.raises(HingeError) as e:
            deploy.restart(b)
        assert str(e.value) == "main.py stopped after the reset: ValueError: incompatible .mpy file"
    finally:
        with connect(str(vb.link_path)) as b:
            res = deploy.deploy(b)
            assert res["sent"] == ["lib/events.mpy"]
            assert deploy.restart(b)[-1].startswith("session")


def test_changed_file_is_resent_and_shadows_removed(vb, deployed, tmp_path, monkeypatch):
    fl = flash_of(vb)
    # a file damaged on the board, a source copy that would shadow a module, a stale lib .py
    ev = fl / "lib" / "events.mpy"
    good = ev.read_bytes()
    ev.write_bytes(good[:-1] + bytes([good[-1] ^ 0xFF]))
    (fl / "haptic.py").write_text("raise ImportError('shadow')\n")
    (fl / "lib" / "coach.py").write_text("raise ImportError('shadow')\n")
    # and a changed source on the host
    dev = tmp_path / "device"
    dev.mkdir()
    for p in devpath.DEVICE_DIR.glob("*.py"):
        (dev / p.name).write_bytes(p.read_bytes())
    (dev / "sensors.py").write_text((dev / "sensors.py").read_text() + "\n_HINGE_TEST = 1\n")
    monkeypatch.setattr(devpath, "DEVICE_DIR", dev)
    with connect(str(vb.link_path)) as b:
        res = deploy.deploy(b)
    assert sorted(res["sent"]) == ["lib/events.mpy", "lib/sensors.mpy"]
    assert sorted(res["removed"]) == ["haptic.py", "lib/coach.py"]
    assert ev.read_bytes() == good
    assert not (fl / "haptic.py").exists() and not (fl / "lib" / "coach.py").exists()
    monkeypatch.undo()
    with connect(str(vb.link_path)) as b:
        res = deploy.deploy(b)
        assert res["sent"] == ["lib/sensors.mpy"]
        forced = deploy.deploy(b, force=True)
    assert len(forced["sent"]) == len(MODULES) + 2


def test_deploy_detects_a_copy_that_differs(vb, deployed, monkeypatch):
    real = transport.Board.fs_write

    def damaging(self, path, data, *args, **kw):  # the link flips a bit in one file
        if path == "lib/fixmath.mpy":
            data = data[:-1] + bytes([data[-1] ^ 1])
        return real(self, path, data, *args, **kw)

    monkeypatch.setattr(transport.Board, "fs_write", damaging)
    with connect(str(vb.link_path)) as b:
        with pytest.raises(HingeError, match=r"^/lib/fixmath\.mpy: sha256 on the board differs from what was sent"):
            deploy.deploy(b, force=True)
        monkeypatch.undo()
        assert deploy.deploy(b)["sent"] == ["lib/fixmath.mpy"]


def test_flash_cli_deploys_and_prints_table(vb, deployed, capsys):
    rc, out, err = run_cli(capsys, "--port", str(vb.link_path), "flash", "--no-reset")
    assert rc == 0, err
    assert "/lib/kernel.mpy" in out and "unchanged" in out
    assert "0 sent" in out and "verified by sha256" in out
    assert "soft reset" not in out
    # HINGE_PORT works in place of --port; with the reset, main.py runs again
    before = vb.restarts
    os.environ["HINGE_PORT"] = str(vb.link_path)
    try:
        rc, out, err = run_cli(capsys, "flash")
    finally:
        del os.environ["HINGE_PORT"]
    assert rc == 0, err
    assert "soft reset: main.py is running: imu lsm6dso@0x6a" in out and "; session S" in out
    assert vb.restarts > before


# ---- config ---------------------------------------------------------------------------------
def board_config(vb) -> str:
    return (flash_of(vb) / "config.json").read_text()


@pytest.mark.mp32
def test_config_api_round_trip(vb, deployed):
    link = str(vb.link_path)
    with connect(link) as b:
        deploy.config_write(b, {}, reset=False)
        full = deploy.config_set(b, {"lean_min_deg": 5.0, "coach_swivel": False}, reset=False)
        assert full["lean_min_deg"] == 5.0 and full["coach_swivel"] is False
        assert deploy.config_get(b) == full
        # only non-default keys + version, in configstore's text form
        assert board_config(vb) == configstore.dumps({"version": 1, "lean_min_deg": 5.0, "coach_swivel": False})
        # a key set back to its default leaves the file
        deploy.config_set(b, {"coach_swivel": True}, reset=False)
        assert json.loads(board_config(vb)) == {"version": 1, "lean_min_deg": 5.0}
        with pytest.raises(ValueError, match=r"out of range -10\.\.30"):
            deploy.config_set(b, {"lean_min_deg": 99}, reset=False)
        with pytest.raises(ValueError, match="unknown key"):
            deploy.config_set(b, {"nope": 1}, reset=False)
        assert json.loads(board_config(vb)) == {"version": 1, "lean_min_deg": 5.0}
        before = vb.restarts
        deploy.config_set(b, {"lean_min_deg": 4.0})  # reset=True: the firmware restarts
    assert vb.restarts > before
    assert json.loads(board_config(vb)) == {"version": 1}


def test_memory_show_and_forget(vb, deployed, capsys):
    """`hinge memory`: the coach state and the drift baseline as the firmware reads them; `forget`
    rewrites or removes just the part named."""
    port = ("--port", str(vb.link_path))
    cs, dr = devpath.import_device("coachstore"), devpath.import_device("drift")
    fl = flash_of(vb)
    (fl / cs.FILE).write_text(cs.dumps(5, 41, 1712))
    (fl / dr.FILE).write_text(dr.dumps((810, 1200, 620, 410, 12, 20261203)))
    (fl / cs.STAND_FILE).write_text(cs.dumps_stand((42, 12345, -512, 8300, 12, -30, 5, "+z+x")))
    assert run_cli(capsys, *port, "config", "set", "coach_cadence=true", "fade_feedback=true", "fade_sessions=2",
                   "drift_baseline_from=last", "--no-reset")[0] == 0
    try:
        rc, out, err = run_cli(capsys, *port, "memory")
        assert rc == 0, err
        assert "running sessions counted: 5, the last S0041" in out and "1 fault episode in 4" in out, out
        assert "cadence baseline: 171.2 steps/min, kept; target +5 % = 179.7 steps/min" in out, out
        assert "drift baseline from session S0012 on 2026-12-03: lean 8.1°, rotation 12.0°" in out, out
        assert "standing pose from session S0042: pitch 12.3°, roll -0.5°" in out, out
        rc, out, _ = run_cli(capsys, *port, "memory", "forget", "cadence", "--no-reset")
        assert rc == 0 and "cadence baseline forgotten (was 171.2 steps/min)" in out
        assert json.loads((fl / cs.FILE).read_text()) == {"version": 1, "sessions": 5, "last": 41}
        assert (fl / dr.FILE).exists()
        # a damaged drift line is reported as the firmware sees it, then forgotten with the rest
        (fl / dr.FILE).write_text(dr.dumps((810, 1200, 620, 410, 12, 20261203)).replace("810", "811"))
        assert "drift baseline: damaged (check sum)" in run_cli(capsys, *port, "memory")[1]
        rc, out, _ = run_cli(capsys, *port, "memory", "forget", "stand", "--no-reset")
        assert rc == 0 and "standing pose forgotten" in out and not (fl / cs.STAND_FILE).exists()
        assert json.loads((fl / cs.FILE).read_text()) == {"version": 1, "sessions": 5, "last": 41}
        (fl / cs.STAND_FILE).write_text('{"version": 1, "session": 4')
        assert "standing pose: stand.json unreadable" in run_cli(capsys, *port, "memory")[1]
        rc, out, _ = run_cli(capsys, *port, "memory", "forget", "all", "--no-reset")
        assert rc == 0 and "session count reset (was 5)" in out and "drift baseline forgotten" in out
        assert "standing pose forgotten" in out
        assert not (fl / cs.FILE).exists() and not (fl / dr.FILE).exists() and not (fl / cs.STAND_FILE).exists()
        out = run_cli(capsys, *port, "memory")[1]
        assert "running sessions counted: 0" in out and "cadence baseline: none kept" in out
        assert "drift baseline: none stored yet" in out and "standing pose: none kept yet" in out
    finally:
        assert run_cli(capsys, *port, "config", "reset", "--no-reset")[0] == 0


def test_config_cli(vb, deployed, capsys, tmp_path):
    port = ("--port", str(vb.link_path))
    assert run_cli(capsys, *port, "config", "reset", "--no-reset")[0] == 0
    rc, out, err = run_cli(capsys, *port, "config", "set", "lean_min_deg=5.5", "mount_up=+y",
                           "mount_forward=-x", "--no-reset")
    assert rc == 0, err
    assert "lean_min_deg=5.5" in out
    assert json.loads(board_config(vb)) == {"version": 1, "lean_min_deg": 5.5, "mount_up": "+y",
                                            "mount_forward": "-x"}

    rc, out, _ = run_cli(capsys, *port, "config", "show")
    assert rc == 0
    rows = {ln.split()[0]: ln for ln in out.splitlines() if ln.strip()}
    assert set(config.SCHEMA) <= set(rows)
    assert "5.5" in rows["lean_min_deg"] and "deg" in rows["lean_min_deg"] and "-10..30" in rows["lean_min_deg"]
    assert "* (default 4.0)" in rows["lean_min_deg"]
    assert "*" not in rows["swivel_max_deg"] and "3..90" in rows["swivel_max_deg"]
    assert f"3 of {len(config.SCHEMA)} keys changed" in out

    rc, out, _ = run_cli(capsys, *port, "config", "get", "mount_up")
    assert (rc, out) == (0, '"+y"\n')

    # invalid: rejected with the schema's range, and nothing written (file identical, no temp file)
    text = board_config(vb)
    for bad, why in (("lean_min_deg=99", "out of range -10..30 deg"), ("nope=1", "unknown key 'nope'"),
                     ("rate_hz=fast", "not a number"), ("accel_range_g=3", "must be one of 4 8 16"),
                     ("lean_back_deg=6", "must be below lean_min_deg"), ("lean_min_deg", "expected KEY=VALUE")):
        rc, out, err = run_cli(capsys, *port, "config", "set", bad, "--no-reset")
        assert rc == 2, bad
        assert why in err and len(err.strip().splitlines()) == 1, err
        assert board_config(vb) == text
    assert not (flash_of(vb) / "config.json.tmp").exists()
    rc, _, err = run_cli(capsys, *port, "config", "get", "nope")
    assert rc == 2 and "unknown key 'nope'" in err

    # pull / push
    pulled = tmp_path / "mine.json"
    assert run_cli(capsys, *port, "config", "pull", str(pulled))[0] == 0
    assert pulled.read_text() == text
    rc, out, _ = run_cli(capsys, *port, "config", "pull", "-")
    assert out == text
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1, "swivel_max_deg": 500}')
    rc, _, err = run_cli(capsys, *port, "config", "push", str(bad), "--no-reset")
    assert rc == 2 and "swivel_max_deg=500 out of range 3..90 deg" in err
    bad.write_text('{"swivel_max_deg": ')
    rc, _, err = run_cli(capsys, *port, "config", "push", str(bad), "--no-reset")
    assert rc == 2 and "not valid JSON (line 1, col 20: expected a value" in err
    bad.write_text('{"version": 1, "lean_min_deg" 5,,}')  # the board's reader refuses it: so does push
    rc, _, err = run_cli(capsys, *port, "config", "push", str(bad), "--no-reset")
    assert rc == 2 and "not valid JSON (line 1, col 31: expected ':' after \"lean_min_deg\")" in err
    assert board_config(vb) == text
    new = tmp_path / "new.json"
    new.write_text('{"swivel_max_deg": 25}')  # a push replaces the whole config
    rc, out, err = run_cli(capsys, *port, "config", "push", str(new), "--no-reset")
    assert rc == 0, err
    assert json.loads(board_config(vb)) == {"version": 1, "swivel_max_deg": 25.0}
    rc, out, _ = run_cli(capsys, *port, "config", "push", str(new))
    assert rc == 0 and "unchanged" in out

    # reset, with the firmware restarted
    before = vb.restarts
    rc, out, err = run_cli(capsys, *port, "config", "reset")
    assert rc == 0, err
    assert board_config(vb) == configstore.dumps({"version": 1})
    assert "soft reset: main.py is running" in out and vb.restarts > before


def test_config_show_names_a_fallback(vb, deployed, capsys):
    fl = flash_of(vb)
    good = board_config(vb)
    (fl / "config.json").write_text('{"lean_min_deg": 99}')
    (fl / "config.last_good.json").write_text(configstore.dumps({"version": 1, "lean_min_deg": 6.0}))
    try:
        rc, out, _ = run_cli(capsys, "--port", str(vb.link_path), "config", "show")
        assert rc == 0
        assert "fallback_last_good: config.json: lean_min_deg=99 out of range" in out
        assert any(ln.startswith("lean_min_deg") and "6.0" in ln for ln in out.splitlines())
        # lenient JSON: what the board's own configstore says on the board (micropython) ...
        (fl / "config.json").write_text('{"version": 1, "lean_min_deg" 5,,}')
        with connect(str(vb.link_path)) as b:
            on_board = b.exec_("import configstore\nprint(configstore.load('.')[1])", timeout=10).strip()
        assert on_board == ('fallback_last_good: config.json: not valid JSON (line 1, col 31: expected \':\' after '
                            '"lean_min_deg")'), on_board
        # ... is what `hinge config show` says, and it shows the last good value
        rc, out, _ = run_cli(capsys, "--port", str(vb.link_path), "config", "show")
        assert rc == 0 and f"note: the firmware falls back: {on_board}" in out
        assert any(ln.startswith("lean_min_deg") and "6.0" in ln for ln in out.splitlines())
        (fl / "config.json").write_text('{"lean_min_deg": 99}')
        # set repairs config.json on top of the config in use
        rc, _, err = run_cli(capsys, "--port", str(vb.link_path), "config", "set", "motor_duty=50", "--no-reset")
        assert rc == 0, err
        assert json.loads(board_config(vb)) == {"version": 1, "lean_min_deg": 6.0, "motor_duty": 50}
    finally:
        (fl / "config.json").write_text(good)
        (fl / "config.last_good.json").write_text(good)


# ---- bad inputs -------------------------------------------------------------------------------
def one_line_error(capsys, argv, *needles):
    rc, out, err = run_cli(capsys, *argv)
    assert rc == 2, (out, err)
    assert len(err.strip().splitlines()) == 1, err
    for n in needles:
        assert n in err, err
    return err


@pytest.mark.parametrize("pair, why", [
    ("lean_min_deg=1_0", "lean_min_deg=1_0 is not a number (digits 0-9"),
    ("lean_min_deg=\uff11\uff10", "lean_min_deg=\uff11\uff10 is not a number (digits 0-9"),
    ("lean_min_deg=1e308", "lean_min_deg=1e+308 out of range -10..30 deg"),
    ("rate_hz=1e308", "rate_hz=1e+308 out of range 50..210 Hz"),
    ("rate_hz=1e999", "rate_hz=inf out of range 50..210 Hz"),
    ("lean_min_deg=nan", "lean_min_deg=nan is not a number"),
    ("accel_range_g=8.5", "accel_range_g=8.5 must be one of 4 8 16 g"),
])
def test_config_set_refuses_bad_numbers_before_the_port(capsys, tmp_path, pair, why):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        err = one_line_error(capsys, ["--port", str(tmp_path / "ttyUSB9"), "config", "set", pair], why)
    assert "no board at" not in err and len(err) < 160


def test_config_set_accepts_a_whole_float_for_a_choice(capsys, tmp_path):
    assert parse_pairs(["accel_range_g=8.0", "gyro_range_dps=2000.0", "rate_hz=+100"]) == {
        "accel_range_g": 8, "gyro_range_dps": 2000, "rate_hz": 100}
    # valid: it gets as far as the port
    one_line_error(capsys, ["--port", str(tmp_path / "ttyUSB9"), "config", "set", "accel_range_g=8.0"], "no board at")


def test_missing_port(capsys, tmp_path):
    one_line_error(capsys, ["--port", str(tmp_path / "ttyUSB9"), "flash"], "no board at", "no such port")
    one_line_error(capsys, ["--port", str(tmp_path / "ttyUSB9"), "config", "show"], "no board at")


def test_port_auto_detected_when_one_board(vb, deployed, capsys, monkeypatch):
    monkeypatch.delenv("HINGE_PORT", raising=False)
    monkeypatch.setattr(transport, "list_ports", lambda: [str(vb.link_path)])
    rc, out, err = run_cli(capsys, "config", "get", "rate_hz")
    assert (rc, out) == (0, "104\n"), err
    monkeypatch.setattr(transport, "list_ports", lambda: [])
    one_line_error(capsys, ["config", "get", "rate_hz"], "no board found: plug in the USB cable or pass --port")
    monkeypatch.setattr(transport, "list_ports", lambda: ["/dev/ttyUSB0", "/dev/ttyUSB1"])
    one_line_error(capsys, ["flash"], "several boards: /dev/ttyUSB0, /dev/ttyUSB1: pass --port")


def test_port_that_is_not_a_repl(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(cmd_board, "CONNECT_TIMEOUT", 1.0)
    m, s = os.openpty()  # a serial-like port where nothing answers
    try:
        one_line_error(capsys, ["--port", os.ttyname(s), "flash"], "no MicroPython REPL")
    finally:
        os.close(m)
        os.close(s)
    f = tmp_path / "notaport"
    f.write_text("x")
    one_line_error(capsys, ["--port", str(f), "config", "get", "rate_hz"], "not a serial port")


def test_mpy_version_mismatch(vb, deployed, capsys, monkeypatch):
    fl = flash_of(vb)
    stamp = {p: p.stat().st_mtime_ns for p in fl.rglob("*") if p.is_file() and "logs" not in p.parts}
    real = transport.Board.board_info

    def old_firmware(self):
        info = real(self)
        return {**info, "version": "1.19.1", "version_info": (1, 19, 1), "mpy_version": "6.0"}

    monkeypatch.setattr(transport.Board, "board_info", old_firmware)
    err = one_line_error(capsys, ["--port", str(vb.link_path), "flash", "--force", "--no-reset"],
                         "board runs MicroPython 1.19.1 (mpy 6.0); mpy-cross makes mpy 6.3",
                         "hinge flash --firmware")
    assert err.startswith("hinge flash: ")

    def circuitpython(self):
        return {**real(self), "name": "circuitpython"}

    monkeypatch.setattr(transport.Board, "board_info", circuitpython)
    one_line_error(capsys, ["--port", str(vb.link_path), "flash", "--no-reset"], "not MicroPython")
    after = {p: p.stat().st_mtime_ns for p in fl.rglob("*") if p.is_file() and "logs" not in p.parts}
    assert after == stamp, "a refused deploy wrote to the board"


def test_erase_needs_firmware(capsys):
    one_line_error(capsys, ["--port", "/dev/null", "flash", "--erase"], "--erase needs --firmware")


# ---- esptool (mocked: no chip here) ----------------------------------------------------------------
class FakeESP:
    def __init__(self, chip, image_chip_id, calls):
        self.CHIP_NAME = chip
        self.IMAGE_CHIP_ID = image_chip_id
        self.calls = calls

    def change_baud(self, baud):
        self.calls.append(("change_baud", baud))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.calls.append(("close",))


class FakeEsptool:
    """Stands in for ``esptool.cmds``: records every call and its arguments."""

    def __init__(self, chip="ESP32", image_chip_id=0, fail=None):
        self.calls = []
        self.chip = chip
        self.image_chip_id = image_chip_id
        self.fail = fail or {}

    def _do(self, name, *args):
        self.calls.append((name, *args))
        if name in self.fail:
            raise self.fail[name]

    def detect_chip(self, port):
        self._do("detect_chip", port)
        return FakeESP(self.chip, self.image_chip_id, self.calls)

    def run_stub(self, esp):
        self._do("run_stub")
        return esp

    def attach_flash(self, esp):
        self._do("attach_flash")

    def erase_flash(self, esp):
        self._do("erase_flash")

    def write_flash(self, esp, addr_data):
        self._do("write_flash", addr_data)

    def reset_chip(self, esp, mode):
        self._do("reset_chip", mode)

    def names(self):
        return [c[0] for c in self.calls]


def firmware(tmp_path, chip_id=0, name="micropython.bin") -> Path:
    img = bytearray(4096)
    img[0] = 0xE9
    img[12:14] = chip_id.to_bytes(2, "little")
    p = tmp_path / name
    p.write_bytes(bytes(img))
    return p


@pytest.fixture
def port_file(tmp_path):
    p = tmp_path / "ttyUSB0"
    p.write_text("")
    return str(p)


@pytest.mark.parametrize("chip, chip_id, offset", [("ESP32", 0, 0x1000), ("ESP32-S3", 9, 0x0),
                                                    ("ESP32-C3", 5, 0x0), ("ESP32-S2", 2, 0x1000)])
def test_flash_firmware_offset_per_chip(tmp_path, monkeypatch, port_file, chip, chip_id, offset):
    fake = FakeEsptool(chip, chip_id)
    monkeypatch.setattr(deploy, "_esptool", lambda: fake)
    fw = firmware(tmp_path, chip_id)
    r = deploy.flash_firmware(port_file, fw)
    assert r["chip"] == chip and r["offset"] == offset and r["bytes"] == 4096 and not r["erased"]
    assert fake.names() == ["detect_chip", "run_stub", "change_baud", "attach_flash", "write_flash",
                            "reset_chip", "close"]
    assert fake.calls[0] == ("detect_chip", port_file)
    assert ("write_flash", [(offset, str(fw))]) in fake.calls
    assert ("reset_chip", "hard-reset") in fake.calls


def test_flash_firmware_erase_and_errors(tmp_path, monkeypatch, port_file):
    fake = FakeEsptool()
    monkeypatch.setattr(deploy, "_esptool", lambda: fake)
    fw = firmware(tmp_path)
    deploy.flash_firmware(port_file, fw, erase=True)
    n = fake.names()
    assert "erase_flash" in n and n.index("attach_flash") < n.index("erase_flash") < n.index("write_flash")

    with pytest.raises(HingeError, match=r"firmware file .* not found"):
        deploy.flash_firmware(port_file, tmp_path / "missing.bin")
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(HingeError, match="not an ESP32 firmware image"):
        deploy.flash_firmware(port_file, junk)
    with pytest.raises(HingeError, match=r"no board at .* no such port"):
        deploy.flash_firmware(str(tmp_path / "ttyUSB7"), fw)

    # an S3 image on an ESP32: refused before anything is erased or written
    fake = FakeEsptool("ESP32", 0)
    monkeypatch.setattr(deploy, "_esptool", lambda: fake)
    with pytest.raises(HingeError, match="not for this board's ESP32"):
        deploy.flash_firmware(port_file, firmware(tmp_path, 9, "s3.bin"), erase=True)
    assert "erase_flash" not in fake.names() and "write_flash" not in fake.names()
    assert fake.names()[-1] == "close"

    fake = FakeEsptool("ESP8266", None)
    monkeypatch.setattr(deploy, "_esptool", lambda: fake)
    with pytest.raises(HingeError, match="ESP8266 is not supported"):
        deploy.flash_firmware(port_file, fw)

    import esptool

    fake = FakeEsptool(fail={"detect_chip": esptool.FatalError(
        "Failed to connect to ESP32: No serial data received.\nFor troubleshooting steps visit: ...")})
    monkeypatch.setattr(deploy, "_esptool", lambda: fake)
    with pytest.raises(HingeError, match=r"no ESP chip answers on .*: Failed to connect to ESP32: No serial data received\.$"):
        deploy.flash_firmware(port_file, fw)

    fake = FakeEsptool(fail={"write_flash": esptool.FatalError("Packet content transfer stopped")})
    monkeypatch.setattr(deploy, "_esptool", lambda: fake)
    with pytest.raises(HingeError, match=r"esptool failed on .* \(ESP32\): Packet content transfer stopped"):
        deploy.flash_firmware(port_file, fw)
    assert fake.names()[-1] == "close"


def test_flash_cli_with_firmware_then_deploys(vb, deployed, tmp_path, monkeypatch, capsys):
    """`hinge flash --firmware` end to end: esptool (mocked) writes, then the app is deployed to
    the board that boots (the virtual one)."""
    fake = FakeEsptool()
    monkeypatch.setattr(deploy, "_esptool", lambda: fake)
    fw = firmware(tmp_path)
    rc, out, err = run_cli(capsys, "--port", str(vb.link_path), "flash", "--firmware", str(fw), "--erase",
                           "--no-reset")
    assert rc == 0, err
    assert ("detect_chip", str(vb.link_path)) in fake.calls and "erase_flash" in fake.names()
    assert "MicroPython written to the ESP32 at 0x1000" in out and "/lib/kernel.mpy" in out

    # errors through the CLI: one line, exit status 2, esptool never reached for a bad file
    fake.calls.clear()
    one_line_error(capsys, ["--port", str(vb.link_path), "flash", "--firmware", str(tmp_path / "nope.bin")],
                   "firmware file", "not found")
    assert fake.calls == []
    fake.fail["detect_chip"] = OSError(5, "Input/output error")
    one_line_error(capsys, ["--port", str(vb.link_path), "flash", "--firmware", str(fw)], "no ESP chip answers")


# ---- hinge virtual ----------------------------------------------------------------------------
def test_virtual_cli_serves_mpremote_and_stops_on_sigterm(tmp_path):
    link = tmp_path / "ttyV"
    work = tmp_path / "vw"
    p = subprocess.Popen([sys.executable, "-m", "hinge.cli", "virtual", "--link", str(link), "--workdir", str(work),
                          "--minutes", "1", "--speed", "2", "--imu", "mpu6050"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = p.stdout.readline()
        assert first.strip() == f"HINGE_PORT={link}", first + p.stderr.read() if p.poll() is not None else first
        hint = p.stdout.readline()
        assert "Ctrl-C stops it" in hint and "mount_up=" in hint
        assert (work / "imu_source.s7").is_file() and (work / "flash").is_dir()
        r = subprocess.run([sys.executable, "-m", "mpremote", "connect", str(link), "resume", "exec", "print(6*7)"],
                           capture_output=True, text=True, timeout=20)
        assert r.returncode == 0 and r.stdout.strip() == "42", r.stdout + r.stderr
        # the board's cwd is its flash; the virtual machine is importable; time runs at 2x
        r = subprocess.run([sys.executable, "-m", "mpremote", "connect", str(link), "resume", "exec",
                            "import os, vmachine; print(os.getcwd()); print(vmachine.current().clock.scale)"],
                           capture_output=True, text=True, timeout=20)
        assert r.stdout.split() == [str((work / "flash").resolve()), "2.0"], r.stdout + r.stderr
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=10)
        assert p.returncode == 0, err
        assert "virtual board stopped" in out
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert not link.is_symlink()
    assert not wait_gone((work / "flash").resolve()), "a micropython child outlived hinge virtual"


def test_start_virtual_rejects_bad_inputs(tmp_path):
    with pytest.raises(HingeError, match="unknown IMU model"):
        start_virtual(tmp_path / "l", tmp_path, imu="bmi270")
    with pytest.raises(HingeError, match="--speed"):
        start_virtual(tmp_path / "l", tmp_path, speed=0)
    with pytest.raises(HingeError, match="unknown scenario"):
        start_virtual(tmp_path / "l", tmp_path, scenario="moonwalk")
    assert not (tmp_path / "l").exists()
