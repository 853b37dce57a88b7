"""`hinge logs list | pull | erase` end to end against the virtual board (hinge.virtual.ptyboard).

Real session logs come from the firmware itself (vrun.run_firmware on a simulated run, with a
raw capture so there is a file big enough for many ranged reads); they are copied into the
virtual board's flash. Every board is stopped by its fixture and no micropython child may
outlive it. Pull speed is printed (pytest -s).

Firmware and boards run the 64-bit unix port; the tests marked ``mp32`` run on the 32-bit build
too, with logs the firmware wrote there (a representative subset: ranged reads, list, a verified
pull of every file and its decode).
"""
import hashlib
import io
import json
import sys
import time

import pytest
from boardutil import default_engine, procs_in

from hinge.board.transport import Board, BoardError, connect
from hinge.cli import cli, cmd_logs
from hinge.common import devpath
from hinge.common.errors import HingeError
from hinge.logs import logdecode
from hinge.sim import simulate
from hinge.virtual import vrun
from hinge.virtual.ptyboard import VirtualBoard

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="ptys and /proc as on Linux")


@pytest.fixture(scope="module")
def logs(tmp_path_factory, board_engine):
    """{name: bytes} of a real session: S0001.hlg (3 min, mixed form) and S0001.raw (40 s of samples)."""
    d = tmp_path_factory.mktemp("run")
    sim = simulate.simulate("mixed", seed=1, minutes=3)
    cap = sim.as_capture()
    cfg = {"version": 1, "mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"],
           "raw_capture_s": 40}
    with default_engine(board_engine):
        # the board's RTC set (as every hinge connection sets it): 2026-06-14 07:30:00 UTC
        vr = vrun.run_firmware(cap, d, config=cfg, extra={"rtc": 1781422200})
    assert vr.returncode == 0, vr.stdout[-2000:]
    files = {f.name: f.read_bytes() for f in (d / "flash" / "logs").glob("S*.*")}
    assert set(files) == {"S0001.hlg", "S0001.raw"}
    assert len(files["S0001.raw"]) > 40000
    return files




@pytest.fixture
def flash(tmp_path, logs):
    f = tmp_path / "flash"
    (f / "logs").mkdir(parents=True)
    for name, data in logs.items():
        (f / "logs" / name).write_bytes(data)
    (f / "logs" / "LAST").write_text("1")
    return f


@pytest.fixture
def boards(tmp_path, flash, board_engine):
    made = []

    def make(**kw):
        kw.setdefault("micropython_cmd", devpath.engine_cmd(board_engine))
        vb = VirtualBoard(tmp_path / "ttyHINGE", flash, **kw)
        made.append(vb)
        return vb.start(timeout=15)

    yield make
    for vb in made:
        vb.stop()
    deadline = time.monotonic() + 5
    while procs_in(flash.resolve()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not procs_in(flash.resolve()), "a micropython child outlived its board"


@pytest.fixture
def vb(boards):
    return boards()


@pytest.fixture
def dest(tmp_path):
    return tmp_path / "pulled"


def run_cli(*argv):
    return cli.main(list(argv))


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


# ---- names -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["../x", "/etc/x", "S0001.hlg\x00", "S0001.hlg/../../x", "..", "S0001.hlg\n",
                                  "C:\\x", "S0001.txt", "S01.hlg", "x/S0001.hlg", "~/S0001.hlg", "S00001.hlg",
                                  "S16777216.hlg", "S\uff11\uff12\uff13\uff14.hlg", "S0000.hlg"])
def test_bad_board_names_are_refused(name):
    with pytest.raises(HingeError) as e:
        cmd_logs.check_name(name)
    assert "refusing board file name" in str(e.value) and "\n" not in str(e.value)


def test_good_names_and_session_arguments():
    for name in ("S0001.hlg", "S0001.raw", "S12345.hlg", "S99999.hlg", "S100000.hlg", "S16777215.raw"):
        assert cmd_logs.check_name(name) == name
    assert [cmd_logs.session_number(x) for x in ("S0007", "s7", "7", "S0007.hlg", "0007")] == [7] * 5
    assert [cmd_logs.session_number(x) for x in ("S100000", "S100000.hlg", "100000")] == [100000] * 3
    for bad in ("../x", "/etc/passwd", "S0001.hlg/..", "S0001\x00", "S99999999", "S16777216", "S\uff17"):
        with pytest.raises(HingeError):
            cmd_logs.session_number(bad)


def test_sessions_past_99999_are_listed_and_pulled(boards, flash, dest, capsys):
    from array import array

    import config
    import flashlog

    (flash / "logs" / "LAST").write_text("99998")
    q = array("i", [1, 0, 850, 1300, 1714, 700, 6, 600])
    for _ in range(2):  # the firmware's own writer names them: S99999.hlg, S100000.hlg
        log = flashlog.SessionLog(str(flash), config.defaults(), "fw", "mpu6500", 4096, 32800, 104, clock_ms=lambda: 0)
        for i in range(50):
            q[1] = 700 * (i + 1)
            log.event(q, 0)
        log.close()
    vb = boards()
    with connect(str(vb.link_path)) as b:
        files = cmd_logs.list_logs(b)
    assert [(f.name, f.session) for f in files] == [("S0001.hlg", 1), ("S0001.raw", 1), ("S99999.hlg", 99999),
                                                    ("S100000.hlg", 100000)]
    assert run_cli("--port", str(vb.link_path), "logs", "list", "--dir", str(dest)) == 0
    out = capsys.readouterr().out
    assert "S99999 " in out and "S100000 " in out and "(3 sessions" in out
    assert run_cli("--port", str(vb.link_path), "logs", "pull", "--dir", str(dest), "--quiet") == 0
    assert (dest / "S100000.hlg").exists() and not (dest / "S99999.hlg").exists()  # the newest
    assert run_cli("--port", str(vb.link_path), "logs", "pull", "S99999", "--dir", str(dest), "--quiet") == 0
    for n in (99999, 100000):
        h = json.loads((dest / f"S{n}.json").read_text())["header"]
        assert h["session"] == n and h["name"] == f"S{n}"
        assert (dest / f"S{n}.hlg").read_bytes() == (flash / "logs" / f"S{n}.hlg").read_bytes()


# ---- transport's ranged read ------------------------------------------------------------------
@pytest.mark.mp32
def test_fs_read_range(vb, logs):
    data = logs["S0001.raw"]
    with connect(str(vb.link_path)) as b:
        assert b.fs_read_range("logs/S0001.raw", 0, 100) == data[:100]
        assert b.fs_read_range("logs/S0001.raw", 5000, 20000) == data[5000:25000]
        assert b.fs_read_range("logs/S0001.raw", len(data) - 10, 4096) == data[-10:]
        assert b.fs_read_range("logs/S0001.raw", len(data) + 5, 4096) == b""
        with pytest.raises(BoardError, match="no such file"):
            b.fs_read_range("logs/S0099.raw", 0, 10)


# ---- list ------------------------------------------------------------------------------------
@pytest.mark.mp32
def test_list(vb, logs, dest, capsys):
    with connect(str(vb.link_path)) as b:
        files = cmd_logs.list_logs(b)
    assert [(f.name, f.size, f.kind, f.session) for f in files] == [
        ("S0001.hlg", len(logs["S0001.hlg"]), "hlg", 1), ("S0001.raw", len(logs["S0001.raw"]), "raw", 1)]
    assert files[0].start and files[0].start[:13] == "2026-06-14 07"  # the board's clock was set
    assert run_cli("--port", str(vb.link_path), "logs", "list", "--dir", str(dest)) == 0
    out, err = capsys.readouterr()
    assert "S0001" in out and "KiB" in out and files[0].start in out and "LAST" not in out
    assert "stopped the coach" in err and "--resume" in err


# ---- pull ------------------------------------------------------------------------------------
@pytest.mark.mp32
def test_pull_all_verified_and_decoded(vb, logs, dest, monkeypatch):
    with connect(str(vb.link_path)) as b:
        written = cmd_logs.pull(b, dest, all_=True, progress=False)
        for name, data in logs.items():
            assert (dest / name).read_bytes() == data
        assert not list(dest.glob("*.part")) and not list(dest.glob("*.tmp"))
        names = sorted(p.name for p in written)
        assert names == sorted(["S0001.strides.csv", "S0001.alerts.csv", "S0001.events.csv", "S0001.json",
                                "S0001.capture.csv"])
        s = logdecode.decode_session(dest / "S0001.hlg")
        rows = [ln for ln in (dest / "S0001.strides.csv").read_text().splitlines() if ln and not ln.startswith("#")]
        assert len(rows) == len(s.strides) + 1 > 100
        assert json.loads((dest / "S0001.json").read_text())["header"]["name"] == "S0001"
        cap_lines = (dest / "S0001.capture.csv").read_text().splitlines()
        assert "t_ms,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps" in cap_lines
        # again: nothing is transferred (the board's checksum matches the local copy)
        reads = []
        real = Board.fs_read_range
        monkeypatch.setattr(Board, "fs_read_range", lambda self, *a, **k: reads.append(a) or real(self, *a, **k))
        again = cmd_logs.pull_files(b, dest, all_=True, progress=False)
        assert [p.status for p in again] == ["up to date", "up to date"] and reads == []


def test_pull_cli_default_is_newest_and_reports_speed(vb, logs, dest, capsys):
    assert run_cli("--port", str(vb.link_path), "logs", "pull", "--dir", str(dest)) == 0
    out, err = capsys.readouterr()
    assert "sha256 verified" in out and "KiB/s" in out and "hinge report" in out
    assert "pull" in err  # the tqdm bar
    assert (dest / "S0001.hlg").read_bytes() == logs["S0001.hlg"]
    assert (dest / "S0001.raw").read_bytes() == logs["S0001.raw"]


def test_pull_resumes_after_an_error_mid_transfer(vb, logs, dest, monkeypatch):
    monkeypatch.setattr(cmd_logs, "RANGE_BYTES", 4096)
    real = Board.fs_read_range
    calls = []

    def failing(self, path, offset, n, **kw):
        calls.append((path, offset))
        if len(calls) == 4:
            raise BoardError("lost the connection to the test: cable pulled")
        return real(self, path, offset, n, **kw)

    monkeypatch.setattr(Board, "fs_read_range", failing)
    with connect(str(vb.link_path)) as b, pytest.raises(BoardError, match="cable pulled") as e:
        cmd_logs.pull(b, dest, ["S0001.raw"], progress=False)
    assert f"12288 of {len(logs['S0001.raw'])} bytes kept in S0001.raw.part; pull again" in str(e.value)
    part = dest / "S0001.raw.part"
    assert not (dest / "S0001.raw").exists(), "an unverified file got its final name"
    assert part.stat().st_size == 3 * 4096
    assert part.read_bytes() == logs["S0001.raw"][:3 * 4096]

    offsets = []
    monkeypatch.setattr(Board, "fs_read_range",
                        lambda self, path, offset, n, **kw: offsets.append(offset) or real(self, path, offset, n, **kw))
    with connect(str(vb.link_path)) as b:
        res = cmd_logs.pull_files(b, dest, ["S0001.raw"], progress=False)
    assert offsets[0] == 3 * 4096, "did not continue from the .part size"
    assert [p.status for p in res] == ["resumed"] and res[0].bytes == len(logs["S0001.raw"]) - 3 * 4096
    assert (dest / "S0001.raw").read_bytes() == logs["S0001.raw"]
    assert not part.exists()


def test_pull_resumes_after_the_board_dies_mid_transfer(boards, logs, dest, monkeypatch):
    """The board vanishes (pty closed, like a cable pulled) during a read; a new board continues."""
    monkeypatch.setattr(cmd_logs, "RANGE_BYTES", 8192)
    vb = boards()
    real = Board.fs_read_range
    n = [0]

    def dying(self, path, offset, size, progress=None, **kw):
        n[0] += 1

        def prog(done, total):
            if n[0] == 3 and done > 1000:
                vb.stop()
            if progress:
                progress(done, total)

        return real(self, path, offset, size, progress=prog, **kw)

    monkeypatch.setattr(Board, "fs_read_range", dying)
    b = connect(str(vb.link_path))
    try:
        with pytest.raises(BoardError, match=r"lost the connection|no answer"):
            cmd_logs.pull(b, dest, ["S0001.raw"], progress=False)
    finally:
        b.close()
    part = dest / "S0001.raw.part"
    assert not (dest / "S0001.raw").exists()
    assert part.stat().st_size == 2 * 8192 and part.read_bytes() == logs["S0001.raw"][:2 * 8192]
    monkeypatch.setattr(Board, "fs_read_range", real)
    vb2 = boards()
    with connect(str(vb2.link_path)) as b:
        res = cmd_logs.pull_files(b, dest, ["S0001"], progress=False)
    assert {p.file.name: p.status for p in res} == {"S0001.hlg": "pulled", "S0001.raw": "resumed"}
    assert (dest / "S0001.raw").read_bytes() == logs["S0001.raw"]


def test_checksum_mismatch_is_caught(vb, logs, dest, monkeypatch, capsys):
    real = Board.fs_read_range

    def flip(self, path, offset, n, **kw):
        data = bytearray(real(self, path, offset, n, **kw))
        if offset == 0 and len(data) > 100:
            data[100] ^= 0x40  # a bit lost on the way
        return bytes(data)

    monkeypatch.setattr(Board, "fs_read_range", flip)
    assert run_cli("--port", str(vb.link_path), "logs", "pull", "S0001.hlg", "--dir", str(dest), "--quiet") == 2
    err = capsys.readouterr().err
    assert "sha256 of the download differs from the board's" in err
    assert not (dest / "S0001.hlg").exists() and not (dest / "S0001.hlg.part").exists()


def test_a_stale_part_that_does_not_match_is_downloaded_again(vb, logs, dest, capsys):
    dest.mkdir()
    (dest / "S0001.hlg.part").write_bytes(b"\x00" * 100)  # not the board file's first bytes
    with connect(str(vb.link_path)) as b:
        res = cmd_logs.pull_files(b, dest, ["S0001.hlg"], progress=False)
    assert res[0].status == "pulled" and (dest / "S0001.hlg").read_bytes() == logs["S0001.hlg"]
    assert "downloading it again" in capsys.readouterr().err


def test_a_different_local_file_is_not_overwritten(vb, logs, dest, capsys):
    dest.mkdir()
    (dest / "S0001.hlg").write_bytes(b"another board's session")
    with connect(str(vb.link_path)) as b, pytest.raises(HingeError, match="different file"):
        cmd_logs.pull(b, dest, ["S0001.hlg"], progress=False)
    assert (dest / "S0001.hlg").read_bytes() == b"another board's session"


def test_device_names_that_escape_are_refused(vb, logs, dest, tmp_path, monkeypatch, capsys):
    real = cmd_logs._scan

    def evil(board):
        rows, free = real(board)
        return rows + [("../x", 10, ""), ("/etc/x", 10, ""), ("S0002.hlg\x00", 10, ""),
                       ("S0003.hlg/../../x", 10, ""), ("notes.txt", 10, "")], free

    monkeypatch.setattr(cmd_logs, "_scan", evil)
    with connect(str(vb.link_path)) as b:
        refused = []
        files = cmd_logs.list_logs(b, refused)
        assert [f.name for f in files] == ["S0001.hlg", "S0001.raw"]
        assert refused == ["../x", "/etc/x", "S0002.hlg\x00", "S0003.hlg/../../x"]
        cmd_logs.pull(b, dest, all_=True, progress=False)
    err = capsys.readouterr().err
    assert err.count("refusing board file name") >= 4
    assert sorted(p.name for p in dest.iterdir() if p.suffix in (".hlg", ".raw")) == ["S0001.hlg", "S0001.raw"]
    assert not (tmp_path / "x").exists()
    # a user argument that is not a session name: one line, the board is not touched
    monkeypatch.setattr(cmd_logs, "_scan", lambda board: pytest.fail("the board was asked"))
    assert run_cli("--port", str(vb.link_path), "logs", "pull", "../x", "--dir", str(dest)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a session name" in err[0]


# ---- erase -----------------------------------------------------------------------------------
def test_erase(vb, flash, dest, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert run_cli("--port", str(vb.link_path), "logs", "erase", "S0001") == 2  # asks, but no terminal
    assert "--yes" in capsys.readouterr().err and (flash / "logs" / "S0001.hlg").exists()

    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdin", Tty("n\n"))
    assert run_cli("--port", str(vb.link_path), "logs", "erase", "S0001", "--dir", str(dest)) == 1
    out = capsys.readouterr().out
    assert "not pulled" in out and "Nothing deleted" in out and (flash / "logs" / "S0001.hlg").exists()
    monkeypatch.setattr(sys, "stdin", Tty("y\n"))
    assert run_cli("--port", str(vb.link_path), "logs", "erase", "S0001", "--dir", str(dest)) == 0
    assert not (flash / "logs" / "S0001.hlg").exists() and not (flash / "logs" / "S0001.raw").exists()
    assert (flash / "logs" / "LAST").exists()
    assert run_cli("--port", str(vb.link_path), "logs", "erase", "S0001", "--yes") == 2
    assert "no such session" in capsys.readouterr().err


# ---- a running board -------------------------------------------------------------------------
FIRMWARE = """\
import time
with open('starts.txt', 'a') as f:
    f.write('x')
try:
    while True:
        time.sleep(0.01)
except KeyboardInterrupt:
    with open('stopped.txt', 'a') as f:   # the real firmware closes its log here
        f.write('y')
"""


def test_reading_a_running_board_stops_it_and_resume_restarts_it(boards, flash, dest, capsys):
    (flash / "main.py").write_text(FIRMWARE)
    vb = boards()
    deadline = time.monotonic() + 10
    while not (flash / "starts.txt").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert run_cli("--port", str(vb.link_path), "logs", "pull", "--dir", str(dest), "--quiet", "--resume") == 0
    err = capsys.readouterr().err
    assert "stopped the coach" in err and "board restarted" in err
    assert (flash / "stopped.txt").read_text() == "y"
    deadline = time.monotonic() + 10
    while (flash / "starts.txt").read_text() != "xx" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (flash / "starts.txt").read_text() == "xx", "main.py did not run again"
    # without --resume it stays stopped
    assert run_cli("--port", str(vb.link_path), "logs", "list") == 0
    time.sleep(0.5)
    assert (flash / "starts.txt").read_text() == "xx" and (flash / "stopped.txt").read_text() == "yy"


# ---- speed -----------------------------------------------------------------------------------
@pytest.mark.parametrize("speed", [None, 115200])
def test_pull_speed(boards, logs, dest, speed):
    """KiB/s of the ranged, verified pull: unpaced pty, and paced like a 115200-baud UART bridge."""
    vb = boards(speed=speed)
    name = "S0001.raw" if speed is None else "S0001.hlg"
    with connect(str(vb.link_path)) as b:
        t0 = time.perf_counter()
        res = cmd_logs.pull_files(b, dest, [name], progress=False)
        total = time.perf_counter() - t0
    p = res[0]
    assert (dest / name).read_bytes() == logs[name]
    print(f"\npull {name} {p.file.size} B over {'an unpaced pty' if speed is None else f'{speed} baud'}: "
          f"transfer {p.kib_s:.1f} KiB/s, whole pull incl. listing, board sha256 and decode "
          f"{p.file.size / 1024 / total:.1f} KiB/s")
    assert p.kib_s > (1000 if speed is None else 4)
