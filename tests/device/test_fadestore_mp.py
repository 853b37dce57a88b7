"""device/fadestore.py: faded feedback's session count on flash; the same tests under both
interpreters.

Plain ``test_*`` functions with asserts, MicroPython-compatible (no pathlib), each given a fresh
folder ``root``: pytest runs them under CPython, ``tests/device/test_fadestore.py`` runs them all
again under micropython (64- and 32-bit builds) through the one runner.
"""
import sys

import config
import fadestore as fs

NEEDS_DIR = True  # every test gets a fresh folder (tests/device/mp_run.py; pytest: the root fixture below)
if sys.implementation.name != "micropython":
    import pytest

    @pytest.fixture
    def root(tmp_path):
        return str(tmp_path)


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def _p(root, name=fs.FILE):
    return root + "/" + name


def test_schedule_every_then_one_in_two_then_one_in_four(root):
    cfg = config.validate({"fade_feedback": True, "fade_sessions": 2})
    assert [fs.period(cfg, n) for n in range(8)] == [1, 1, 2, 2, 4, 4, 4, 4]
    assert fs.period(config.validate({}), 50) == 1          # fading off: every episode
    cfg = config.validate({"fade_feedback": True})
    assert fs.period(cfg, cfg["fade_sessions"] - 1) == 1 and fs.period(cfg, cfg["fade_sessions"]) == 2


def test_missing_file_is_the_first_step(root):
    assert fs.load(root) == (0, "ok")


def test_count_survives_a_restart(root):
    for n in (1, 2, 3):
        assert fs.save(root, n)
        assert fs.load(root) == (n, "ok")            # a fresh load: what a power cycle reads


def test_power_cut_while_saving_keeps_the_old_count(root):
    fs.save(root, 4)
    # the cut came while the temp file was being written: half a file there, the old one intact
    _write(_p(root, fs.FILE + ".tmp"), b'{"version": 1, "sess')
    assert fs.load(root) == (4, "ok")
    assert fs.save(root, 5) and fs.load(root) == (5, "ok")   # the next save goes through


def test_cut_between_remove_and_rename_uses_the_whole_temp_copy(root):
    # FAT: the old file removed, the whole new one still under its temp name
    _write(_p(root, fs.FILE + ".tmp"), b'{"version": 1, "sessions": 6}\n')
    n, st = fs.load(root)
    assert n == 6 and "temp copy" in st, st


def test_torn_or_garbled_file_counts_from_zero_and_says_so(root):
    for data in (b"", b'{"version": 1, "sessions": 1', b'\xff\xfe\x00', b'{"version": 2, "sessions": 3}',
                 b'{"version": 1, "sessions": -1}', b'{"version": 1, "sessions": true}',
                 b'{"version": 1, "sessions": 1.5}', b'[1, 2]'):
        _write(_p(root), data)
        n, st = fs.load(root)
        assert n == 0 and st.startswith(fs.FILE) and "from 0" in st, (data, st)


def test_save_on_a_failing_flash_returns_false(root):
    assert not fs.save(root + "/no/such/folder", 3)
