"""The virtual board (hinge.virtual.ptyboard) against plain mpremote, and hinge.board.transport against it.

Every board runs in a temp folder on a temp link and is stopped (child killed, link removed)
by its fixture, whatever the test did. Throughput and latency are printed (pytest -s).

Boards run the 64-bit unix port; the tests marked ``mp32`` run on the 32-bit build too (a
representative subset: soft reset by the supervisor, Ctrl-C into main.py and into a raw-REPL
execution, a 200 KiB transfer with on-board sha256, and board_info's arch).
"""
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import serial
from boardutil import procs_in

from hinge.board import transport
from hinge.board.transport import BoardError, connect
from hinge.common import devpath
from hinge.virtual import ptyboard
from hinge.virtual.ptyboard import VirtualBoard

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="ptys and /proc as on Linux")

MPREMOTE = [sys.executable, "-m", "mpremote"]
TIMEOUT = 20


def mpremote(link, *args, cwd=None, check=True):
    r = subprocess.run([*MPREMOTE, "connect", str(link), *args], capture_output=True, text=True,
                       timeout=TIMEOUT, cwd=cwd)
    if check and r.returncode:
        raise AssertionError(f"mpremote {' '.join(args)} failed ({r.returncode}): {r.stdout}{r.stderr}")
    return r




@pytest.fixture
def flash(tmp_path):
    d = tmp_path / "flash"
    d.mkdir()
    return d


@pytest.fixture
def board_factory(tmp_path, flash, board_engine):
    boards = []

    def make(**kw):
        kw.setdefault("micropython_cmd", devpath.engine_cmd(board_engine))
        vb = VirtualBoard(tmp_path / "ttyHINGE", flash, **kw)
        boards.append(vb)
        return vb.start(timeout=15)

    yield make
    for vb in boards:
        vb.stop()
        assert not vb.link_path.is_symlink(), "link left behind"
    deadline = time.monotonic() + 5
    while procs_in(flash.resolve()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not procs_in(flash.resolve()), "a micropython child outlived its board"


@pytest.fixture
def vb(board_factory):
    return board_factory()


# ---- plain mpremote ----------------------------------------------------------------------
def test_mpremote_exec_resume(vb):
    assert mpremote(vb.link_path, "resume", "exec", "print(1+1)").stdout.strip() == "2"
    assert vb.restarts == 0


def test_mpremote_fs_both_ways(vb, tmp_path, flash):
    src = tmp_path / "a.bin"
    src.write_bytes(os.urandom(5000))
    mpremote(vb.link_path, "resume", "fs", "cp", str(src), ":a.bin")
    assert (flash / "a.bin").read_bytes() == src.read_bytes()
    mpremote(vb.link_path, "resume", "fs", "mkdir", ":lib")
    mpremote(vb.link_path, "resume", "fs", "cp", str(src), ":lib/b.bin")
    listing = mpremote(vb.link_path, "resume", "fs", "ls").stdout
    assert "a.bin" in listing and "lib/" in listing
    back = tmp_path / "back.bin"
    mpremote(vb.link_path, "resume", "fs", "cp", ":lib/b.bin", str(back))
    assert back.read_bytes() == src.read_bytes()
    (tmp_path / "t.txt").write_text("hello board\n")
    mpremote(vb.link_path, "resume", "fs", "cp", str(tmp_path / "t.txt"), ":t.txt")
    assert mpremote(vb.link_path, "resume", "fs", "cat", ":t.txt").stdout == "hello board\n"
    mpremote(vb.link_path, "resume", "fs", "rm", ":a.bin")
    assert "a.bin" not in mpremote(vb.link_path, "resume", "fs", "ls").stdout
    assert not (flash / "a.bin").exists()
    r = mpremote(vb.link_path, "resume", "fs", "cat", ":a.bin", check=False)
    assert r.returncode != 0 and "No such file" in r.stderr


@pytest.mark.mp32
def test_mpremote_soft_reset_path(vb, tmp_path):
    mpremote(vb.link_path, "resume", "exec", "marker = 42")
    assert mpremote(vb.link_path, "resume", "eval", "marker").stdout.strip() == "42"
    # Without resume mpremote soft-resets: Ctrl-D in the raw REPL, waits for "soft reboot".
    r = mpremote(vb.link_path, "exec", "print('marker' in globals())")
    assert r.stdout.strip() == "False"
    assert vb.restarts == 1
    script = tmp_path / "s.py"
    script.write_text("import sys\nprint('ran', sys.platform)\n")
    assert mpremote(vb.link_path, "run", str(script)).stdout.strip() == "ran linux"
    assert mpremote(vb.link_path, "soft-reset", "eval", "6*7").stdout.strip() == "42"
    assert mpremote(vb.link_path, "resume", "exec", "print(1+1)").stdout.strip() == "2"
    assert vb.restarts >= 3


def test_mpremote_import_from_flash_lib_and_extra_path(board_factory, flash, tmp_path):
    extra = tmp_path / "sim"
    extra.mkdir()
    (extra / "simhw.py").write_text("KIND = 'simulated'\n")
    (flash / "lib").mkdir()
    (flash / "lib" / "libmod.py").write_text("X = 7\n")
    (flash / "rootmod.py").write_text("Y = 8\n")
    vb = board_factory(pythonpath=[extra])
    out = mpremote(vb.link_path, "exec", "import simhw, libmod, rootmod; print(simhw.KIND, libmod.X, rootmod.Y)")
    assert out.stdout.strip() == "simulated 7 8"


def test_mpremote_mount_passes_ctrl_c_bytes_as_data(vb, tmp_path):
    # mount streams file bytes to the board under micropython.kbd_intr(-1): a 0x03 is data.
    d = tmp_path / "hostdir"
    d.mkdir()
    (d / "hm.py").write_text("X = b'\\x03\\x04 in a file'\n")
    (d / "blob.bin").write_bytes(bytes(range(256)) * 4)
    code = "import hm; print(hm.X); print(open('blob.bin', 'rb').read() == bytes(range(256)) * 4)"
    out = mpremote(vb.link_path, "mount", str(d), "exec", code).stdout.splitlines()
    assert out[-2:] == ["b'\\x03\\x04 in a file'", "True"]
    assert vb.restarts == 1  # the soft reset of the connection, no crash


# ---- main.py, boot.py, Ctrl-C --------------------------------------------------------------
MAIN_LOOP = """\
import time
with open('starts.txt', 'a') as f:
    f.write('x')
n = 0
while True:
    n += 1
    time.sleep(0.005)
"""


def starts(flash):
    p = flash / "starts.txt"
    return len(p.read_text()) if p.exists() else 0


@pytest.mark.mp32
def test_running_main_py_is_interrupted(board_factory, flash):
    (flash / "boot.py").write_text("booted = True\n")
    (flash / "main.py").write_text(MAIN_LOOP)
    vb = board_factory()
    deadline = time.monotonic() + 10
    while starts(flash) < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)
    # resume: Ctrl-C stops main.py's loop; its globals (and boot.py's) are still there.
    r = mpremote(vb.link_path, "resume", "exec", "print(n > 0, booted)")
    assert r.stdout.strip() == "True True"
    # A soft reset from the raw REPL runs boot.py but not main.py, as on a board.
    assert mpremote(vb.link_path, "exec", "print('n' in globals(), booted)").stdout.strip() == "False True"
    assert starts(flash) == 1
    # Ctrl-D at the friendly REPL soft-resets and runs main.py again.
    with serial.Serial(str(vb.link_path), timeout=0.1) as s:
        s.write(b"\r\x03\x02")  # stop anything, friendly REPL
        time.sleep(0.2)
        s.reset_input_buffer()
        s.write(b"\x04")
        got = b""
        deadline = time.monotonic() + 10
        while starts(flash) < 2 and time.monotonic() < deadline:
            got += s.read(256)
        assert b"MPY: soft reboot\r\n" in got
    assert starts(flash) == 2
    # ... and transport's connect interrupts it too.
    with connect(str(vb.link_path)) as b:
        assert b.eval_("n > 0") is True


@pytest.mark.mp32
def test_ctrl_c_interrupts_a_raw_repl_execution(vb):
    with connect(str(vb.link_path)) as b:
        b.transport.exec_raw_no_follow("while True:\n    pass\n")
        time.sleep(0.3)
        b.transport.serial.write(b"\x03")
        out, err = b._follow(5.0, None)
        assert b"KeyboardInterrupt" in err
        assert b.eval_("1+2") == 3  # same interpreter, still in the raw REPL
    assert vb.restarts == 0


def test_ctrl_c_at_a_prompt_is_just_a_character(vb):
    with serial.Serial(str(vb.link_path), timeout=0.2) as s:
        s.write(b"\x02")
        time.sleep(0.2)
        s.write(b"\x03\x03abc\x03")
        time.sleep(0.3)
        s.write(b"6*7\r")
        got = b""
        deadline = time.monotonic() + 5
        while b"42" not in got and time.monotonic() < deadline:
            got += s.read(256)
    assert b"42" in got
    assert vb.restarts == 0


def test_sys_exit_hard_reset_runs_main_py(board_factory, flash):
    (flash / "main.py").write_text("started = True\n")
    vb = board_factory()
    assert vb.wait_booted(1, 10)
    with connect(str(vb.link_path)) as b:
        assert b.eval_("started") is True
        b.exec_("marker = 1")
        b.transport.exec_raw_no_follow(f"import sys\nsys.exit({ptyboard.EXIT_HARD_RESET})")
        b.transport.close()
        b.transport = None
    assert vb.wait_booted(2, 10)  # connecting earlier would Ctrl-C main.py, as on a board
    assert vb.restarts == 1
    with connect(str(vb.link_path)) as b:
        assert b.eval_("'started' in globals(), 'marker' in globals()") == (True, False)


# ---- hinge.board.transport -----------------------------------------------------------------------
@pytest.mark.mp32
def test_transport_200k_round_trip(vb, flash):
    data = os.urandom(200 * 1024)
    with connect(str(vb.link_path)) as b:
        seen = []
        t = time.perf_counter()
        b.fs_write("/blob.bin", data, progress=lambda d, n: seen.append((d, n)))
        t_write = time.perf_counter() - t
        assert seen[-1] == (len(data), len(data))
        assert [d for d, _ in seen] == sorted(d for d, _ in seen)
        assert (flash / "blob.bin").read_bytes() == data
        assert [e.name for e in b.fs_listdir("/")] == ["blob.bin"]  # no temp file left
        assert b.fs_listdir("")[0].size == len(data)  # from os.stat: ilistdir has no size here
        assert b.fs_stat("/blob.bin").st_size == len(data)

        seen.clear()
        t = time.perf_counter()
        back = b.fs_read("/blob.bin", progress=lambda d, n: seen.append((d, n)))
        t_read = time.perf_counter() - t
        assert back == data
        assert len(seen) > 5, "progress should be reported while data arrives"
        assert all(n == len(data) for _, n in seen) and seen[-1][0] == len(data)
        assert [d for d, _ in seen] == sorted(d for d, _ in seen)

        assert b.sha256("blob.bin") == hashlib.sha256(data).hexdigest()
        assert b.checksum("blob.bin") == ("sha256", hashlib.sha256(data).hexdigest())

        b.fs_write("blob.bin", b"short", verify=True)  # replaces the old file
        assert (flash / "blob.bin").read_bytes() == b"short"
        assert sorted(p.name for p in flash.iterdir()) == ["blob.bin"]

        n = 200
        t = time.perf_counter()
        for _ in range(n):
            b.exec_("pass")
        t_exec = (time.perf_counter() - t) / n
    kib = len(data) / 1024
    print(f"\nvirtual board: exec round trip {t_exec * 1e3:.2f} ms, "
          f"fs_write {kib / t_write:.0f} KiB/s, fs_read {kib / t_read:.0f} KiB/s (200 KiB)")


def test_transport_fs_helpers(vb, flash):
    with connect(str(vb.link_path)) as b:
        b.fs_mkdir("lib/deep")
        assert (flash / "lib" / "deep").is_dir()
        b.fs_mkdir("lib")  # exists: fine
        with pytest.raises(BoardError, match="lib"):
            b.fs_mkdir("lib", exist_ok=False)
        b.fs_write("lib/deep/m.py", b"V = 3\n")
        assert b.exec_("import sys\nsys.path.append('lib/deep')\nimport m\nprint(m.V)").strip() == "3"
        assert b.fs_exists("lib/deep/m.py") and not b.fs_exists("nope.py")
        assert {e.name: e.is_dir for e in b.fs_listdir("lib")} == {"deep": True}
        b.fs_remove("lib/deep/m.py")
        b.fs_rmdir("lib/deep")
        assert not (flash / "lib" / "deep").exists()
        with pytest.raises(BoardError, match="no such file") as ei:
            b.fs_read("missing.bin")
        assert ei.value.errno == 2
        with pytest.raises(BoardError, match="ZeroDivisionError") as ei:
            b.exec_("1/0")
        assert "Traceback" in ei.value.detail and "\n" not in str(ei.value)
        b.soft_reset()
        assert b.eval_("[1, 'a', None]") == [1, "a", None]


@pytest.mark.mp32
def test_board_info_reports_unix_port(vb, board_engine):
    raw = subprocess.run([devpath.engine_cmd(board_engine), "-c", "import sys; print(sys.implementation._mpy)"],
                         capture_output=True, text=True, timeout=TIMEOUT).stdout
    mpy = int(raw)
    with connect(str(vb.link_path)) as b:
        info = b.board_info()
    assert info["name"] == "micropython" and info["platform"] == "linux"
    assert info["mpy"] == mpy
    assert info["mpy_version"] == f"{mpy & 0xFF}.{(mpy >> 8) & 3}"
    assert info["arch"] == transport.MPY_ARCHS[mpy >> 10]
    if os.uname().machine == "x86_64":
        assert info["arch"] == devpath.micropython_arch(devpath.ENGINES[board_engine])  # x64 or x86
    assert info["version"].startswith("1.")


# ---- errors ----------------------------------------------------------------------------------
def test_error_missing_port(tmp_path):
    with pytest.raises(BoardError, match=r"no board at .*no such port"):
        connect(str(tmp_path / "ttyNONE"))


def test_error_plain_file_is_not_a_repl(tmp_path):
    f = tmp_path / "notaport"
    f.write_text("hello")
    with pytest.raises(BoardError, match=r"no MicroPython REPL on .*notaport"):
        connect(str(f))


def test_error_silent_serial_port(tmp_path):
    m, s = os.openpty()  # a tty with nothing behind it: like a board without MicroPython
    try:
        t = time.monotonic()
        with pytest.raises(BoardError, match=r"no MicroPython REPL on .*is MicroPython flashed"):
            connect(os.ttyname(s), timeout=0.5)
        assert time.monotonic() - t < 5
    finally:
        os.close(m)
        os.close(s)


def test_error_busy_port(vb):
    with serial.Serial(str(vb.link_path), exclusive=True), pytest.raises(BoardError, match="busy"):
        connect(str(vb.link_path))
    with connect(str(vb.link_path)) as b:  # free again
        assert b.eval_("1") == 1


def test_error_no_or_several_boards(monkeypatch):
    class P:
        def __init__(self, dev):
            self.device, self.vid = dev, 0x10C4

    monkeypatch.delenv("HINGE_PORT", raising=False)
    monkeypatch.setattr(serial.tools.list_ports, "comports", lambda: [])
    with pytest.raises(BoardError, match="no board found: plug in the USB cable or pass --port"):
        connect()
    monkeypatch.setattr(serial.tools.list_ports, "comports", lambda: [P("/dev/ttyUSB1"), P("/dev/ttyUSB0")])
    with pytest.raises(BoardError, match="several boards: /dev/ttyUSB0, /dev/ttyUSB1"):
        connect()


# ---- the command line ----------------------------------------------------------------------
def test_cli_foreground_and_clean_shutdown(tmp_path, flash):
    link = tmp_path / "ttyCLI"
    host = Path(transport.__file__).resolve().parents[2]
    p = subprocess.Popen([sys.executable, "-m", "hinge.virtual.ptyboard", "--link", str(link),
                          "--workdir", str(flash)], cwd=host, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while not link.is_symlink() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert link.is_symlink()
        assert mpremote(link, "exec", "print('cli ok')").stdout.strip() == "cli ok"
        assert procs_in(flash.resolve())
        p.send_signal(signal.SIGTERM)
        assert p.wait(10) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(5)
    assert not link.exists() and not link.is_symlink()
    deadline = time.monotonic() + 5
    while procs_in(flash.resolve()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not procs_in(flash.resolve())


def test_paced_board_is_slower(board_factory):
    vb = board_factory(speed=115200)
    with connect(str(vb.link_path)) as b:
        data = os.urandom(8 * 1024)
        t = time.perf_counter()
        b.fs_write("x.bin", data)
        dt = time.perf_counter() - t
        assert b.fs_read("x.bin") == data
    # 8 KiB as base64 at 11.5 kB/s takes ~0.95 s; unpaced it is ~20 ms.
    assert 0.5 < dt < 5, dt

