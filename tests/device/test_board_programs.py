"""The board programs of ``device/tools/`` and the virtual board's start-up, under the unix-port
micropython (64- and 32-bit builds).

Each test runs the exact code the host sends (``programs.tool_load_code`` once, then one
``tool_call_code`` line per call) in a micropython process whose cwd plays the board's flash
root, and reads the output with the host's own parsers (``local_checksum``, ``capture._Stream``).
"""
import ast
import base64
import binascii
import hashlib
import json
import subprocess

import pytest

from hinge.board import capture
from hinge.board.programs import tool_call_code, tool_load_code, tool_source
from hinge.board.transport import local_checksum
from hinge.common import devpath
from hinge.vboard import vsources
from hinge.virtual.ptyboard import VBOOT_DIR

SEP = "-----"


def _run(micropython, cwd, calls, env=None, prelude=""):
    """Load the board programs ``calls`` use, make each call (printing SEP after each), and
    return the output split per call (stderr joined to the last)."""
    names = dict.fromkeys(c[0] for c in calls)
    lines = [prelude] if prelude else []
    lines += [tool_load_code(n) for n in names]
    for name, func, args, show in calls:
        lines.append("try:\n    " + tool_call_code(name, func, *args, show=show)
                     + "\nexcept OSError as e:\n    print('OSError', e.errno if isinstance(e.errno, int) else e)")
        lines.append(f"print({SEP!r})")
    p = subprocess.run([micropython, "-c", "\n".join(lines)], capture_output=True, text=True, cwd=str(cwd),
                       env=env or devpath.micropython_env(), timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    parts = p.stdout.split(SEP + "\n")
    assert len(parts) == len(calls) + 1, p.stdout + p.stderr
    return parts[:-1]


def _b64_lines(text):
    head, _, body = text.partition("\n")
    return int(head), b"".join(binascii.a2b_base64(ln) for ln in body.splitlines() if ln)


def test_the_host_sends_the_program_without_its_comments():
    src = tool_source("fsops")
    compile(src, "fsops", "exec")
    assert "def read_range(" in src and '"""' not in src and "#" not in src


def test_fsops_write_read_list_hash(micropython, tmp_path):
    data = bytes(range(256)) * 9 + b"\x04end"  # 0x04 is the raw REPL's framing byte
    half = len(data) // 2
    b64 = [base64.b64encode(data[:half]).decode(), base64.b64encode(data[half:]).decode()]
    (tmp_path / "keep.bin").write_bytes(b"old")
    out = _run(micropython, tmp_path, [
        ("fsops", "mkdir", ("a/b", True), False),
        ("fsops", "mkdir", ("a/b", True), False),  # exists: fine
        ("fsops", "mkdir", ("a/b", False), False),  # exists: EEXIST
        ("fsops", "write_open", ("a/b/f.tmp",), False),
        ("fsops", "write_chunk", (b64[0],), False),
        ("fsops", "write_chunk", (b64[1],), False),
        ("fsops", "write_close", ("a/b/f.tmp", "a/b/f", len(data)), False),
        ("fsops", "listdir", ("a/b",), True),
        ("fsops", "read", ("a/b/f", 100), False),
        ("fsops", "read_range", ("a/b/f", 1000, 700, 256), False),
        ("fsops", "read_range", ("a/b/f", len(data) + 5, 10, 256), False),
        ("fsops", "checksum", ("a/b/f",), True),
        ("fsops", "checksums", (["a/b/f", "nope", "keep.bin"],), False),
        ("fsops", "write_open", ("keep.bin.tmp",), False),
        ("fsops", "write_chunk", (base64.b64encode(b"new!").decode(),), False),
        ("fsops", "write_close", ("keep.bin.tmp", "keep.bin", 99), False),  # size mismatch
        ("fsops", "write_abort", ("keep.bin.tmp",), False),
        ("fsops", "stat", ("nope",), True),
        ("fsops", "info", (), True),
    ])
    assert out[0] == "" and out[1] == "" and out[2].startswith("OSError 17")
    assert ast.literal_eval(out[7]) == [("f", False, len(data))]
    assert _b64_lines(out[8]) == (len(data), data)
    assert _b64_lines(out[9]) == (len(data), data[1000:1700])
    assert _b64_lines(out[10]) == (len(data), b"")
    algo, value = ast.literal_eval(out[11])
    assert value == local_checksum(data, algo)
    sums = [ast.literal_eval(ln) for ln in out[12].splitlines()]
    assert sums == [("a/b/f", algo, value), ("nope", None, None), ("keep.bin", algo, local_checksum(b"old", algo))]
    assert out[15].startswith("OSError") and "expected 99" in out[15]
    assert (tmp_path / "keep.bin").read_bytes() == b"old", "a failed write replaced the file"
    assert not (tmp_path / "keep.bin.tmp").exists()
    assert out[17].startswith("OSError 2")
    name, version, *_ = ast.literal_eval(out[18])
    assert name == "micropython" and len(version) >= 3
    assert (tmp_path / "a" / "b" / "f").read_bytes() == data
    if algo == "sha256":
        assert value == hashlib.sha256(data).hexdigest()


def test_logscan_lists_sizes_headers_and_free_space(micropython, tmp_path):
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "S0001.hlg").write_bytes(b"HNGS" + bytes(range(40)))
    (tmp_path / "logs" / "S0002.raw").write_bytes(b"HNGR")
    (tmp_path / "logs" / "sub").mkdir()
    out = _run(micropython, tmp_path, [("logscan", "scan", ("logs", 31), True),
                                       ("logscan", "scan", ("nothing", 31), True)])
    rows, free = ast.literal_eval(out[0])
    assert sorted(rows) == [("S0001.hlg", 44, (b"HNGS" + bytes(range(27))).hex()), ("S0002.raw", 4, b"HNGR".hex())]
    assert free > 0
    assert ast.literal_eval(out[1])[0] == []


def _vboard_env(tmp_path, n=600, rate=104, imu="lsm6dso"):
    cap = tmp_path / "cap.s6"
    vsources.write_samples(str(cap), [(i % 100, -(i % 50), 4096, i % 7, 0, -3) for i in range(n)], 6)
    env = devpath.micropython_env(VBOOT_DIR)
    env["HINGE_VBOARD"] = json.dumps({"imu": imu, "fs_root": str(tmp_path / "flash"), "clock_error": 0,
                                      "source": {"path": str(cap), "rate_hz": rate}, "on_end": "idle"})
    return env


@pytest.mark.parametrize("wdt_ms", [0, 300])
def test_capture_streams_the_firmwares_imu_samples(micropython, tmp_path, wdt_ms):
    """wdt_ms: a firmware whose watchdog (300 ms here, virtual time) outlives the soft reset gets it fed."""
    env = _vboard_env(tmp_path)
    prelude = "__import__('vboot').install()" + (f"\nimport board\nboard.WDT_MS = {wdt_ms}" if wdt_ms else "")
    out = _run(micropython, tmp_path, [("capture", "run", (2.0, 0, 32, 50, 3000), False)], env=env, prelude=prelude)
    st = capture._Stream(2.0, None)
    st.feed(out[0].encode())
    assert st.error is None and st.garbled is None, out[0]
    model, addr, rate, *_ = st.info
    assert (model, addr) == ("lsm6dso", 0x6A)
    assert st.end[0] == st.n  # every sample the board counted arrived
    assert abs(st.n - 2.0 * rate) <= 2  # sample time, not the board's clock, sets the count
    assert 2000 - 1000 / rate <= st.t16 / 16 < 2000


def test_capture_says_no_imu(micropython, tmp_path):
    env = _vboard_env(tmp_path)
    spec = json.loads(env["HINGE_VBOARD"])
    spec["imu"] = None
    env["HINGE_VBOARD"] = json.dumps(spec)
    out = _run(micropython, tmp_path, [("capture", "run", (1.0, 0, 32, 50, 3000), False)], env=env,
               prelude="__import__('vboot').install()")
    st = capture._Stream(1.0, None)
    st.feed(out[0].encode())
    assert st.n == 0 and st.error and st.error.lower().startswith("no imu"), out[0]


def test_console_config_is_the_firmwares(micropython, tmp_path):
    env = _vboard_env(tmp_path)
    flash = tmp_path / "flash"
    flash.mkdir()
    (flash / "config.json").write_text(json.dumps({"version": 1, "lean_min_deg": 6.5}))
    (tmp_path / "main.py").write_text("")
    out = _run(micropython, tmp_path, [("console", "config", (), True)], env=env,
               prelude="__import__('vboot').install()")
    kind, cfg, status, has_main = ast.literal_eval(out[0])
    defaults = devpath.import_device("config").defaults()
    assert kind == "ok" and has_main and cfg["lean_min_deg"] == 6.5, out[0]
    assert set(cfg) == set(defaults) and cfg["swivel_max_deg"] == defaults["swivel_max_deg"]
    # a board without the firmware on its path
    out = _run(micropython, tmp_path, [("console", "config", (), True)], env={"MICROPYPATH": ".frozen"})
    assert ast.literal_eval(out[0])[0] == "nofw"


@pytest.mark.parametrize("main, code", [("import sys\nsys.exit(3)\n", "3"), ("x = (\n", ""), ("print('ran')\n", "")])
def test_vboot_runs_boot_then_main_and_reports_the_exit(micropython, tmp_path, main, code):
    (tmp_path / "boot.py").write_text("import machine\nprint('boot', machine.__name__)\n")
    (tmp_path / "main.py").write_text(main)
    env = devpath.micropython_env(VBOOT_DIR)
    p = subprocess.run([micropython, "-c", "__import__('vboot').boot(globals(), True, '<S>', '<R:')"],
                       capture_output=True, text=True, cwd=str(tmp_path), env=env, timeout=60)
    assert p.stdout.startswith("<S>boot vmachine\n"), p.stdout + p.stderr
    assert p.stdout.endswith("<R:" + code + "\x00"), p.stdout
    assert ("SyntaxError" in p.stdout) == (main == "x = (\n")
    assert ("ran" in p.stdout) == main.startswith("print")


def test_rtc_sets_the_boards_clock(micropython, tmp_path):
    env = _vboard_env(tmp_path)
    dt = (2026, 12, 4, 4, 7, 30, 5, 0)
    out = _run(micropython, tmp_path, [("rtc", "set_utc", (dt,), True)], env=env,
               prelude="__import__('vboot').install()")
    got = ast.literal_eval(out[0])
    assert tuple(got[:3]) == dt[:3] and tuple(got[4:7]) == dt[4:7], got
    # a MicroPython without machine.RTC: nothing set, no error
    out = _run(micropython, tmp_path, [("rtc", "set_utc", (dt,), True)], env=env,
               prelude="import sys\nsys.modules['machine'] = type(sys)")
    assert ast.literal_eval(out[0]) is None
