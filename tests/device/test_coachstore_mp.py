"""device/coachstore.py: the coach's memory on flash (faded feedback's session count and the last
session counted, the kept cadence baseline); the same tests under both interpreters.

Plain ``test_*`` functions with asserts, MicroPython-compatible (no pathlib), each given a fresh
folder ``root``: pytest runs them under CPython, ``tests/device/test_coachstore.py`` runs them all
again under micropython (64- and 32-bit builds) through the one runner.
"""
import sys

import config
import coachstore as fs

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
    assert fs.load(root) == (0, 0, 0, "ok")


def test_count_survives_a_restart(root):
    for n in (1, 2, 3):
        assert fs.save(root, n)
        assert fs.load(root) == (n, 0, 0, "ok")      # a fresh load: what a power cycle reads


def test_power_cut_while_saving_keeps_the_old_count(root):
    fs.save(root, 4)
    # the cut came while the temp file was being written: half a file there, the old one intact
    _write(_p(root, fs.FILE + ".tmp"), b'{"version": 1, "sess')
    assert fs.load(root) == (4, 0, 0, "ok")
    assert fs.save(root, 5) and fs.load(root) == (5, 0, 0, "ok")   # the next save goes through


def test_cut_between_remove_and_rename_uses_the_whole_temp_copy(root):
    # FAT: the old file removed, the whole new one still under its temp name
    _write(_p(root, fs.FILE + ".tmp"), b'{"version": 1, "sessions": 6}\n')
    n, day, cad, st = fs.load(root)
    assert n == 6 and day == 0 and cad == 0 and "temp copy" in st, st


def test_torn_or_garbled_file_counts_from_zero_and_says_so(root):
    for data in (b"", b'{"version": 1, "sessions": 1', b'\xff\xfe\x00', b'{"version": 2, "sessions": 3}',
                 b'{"version": 1, "sessions": -1}', b'{"version": 1, "sessions": true}',
                 b'{"version": 1, "sessions": 1.5}', b'[1, 2]'):
        _write(_p(root), data)
        n, day, cad, st = fs.load(root)
        assert (n, day, cad) == (0, 0, 0) and st.startswith(fs.FILE) and "from 0" in st, (data, st)


def test_save_on_a_failing_flash_returns_false(root):
    assert not fs.save(root + "/no/such/folder", 3)


def test_last_session_and_cadence_baseline_survive_a_restart(root):
    assert fs.save(root, 3, 41, 1712)
    assert fs.load(root) == (3, 41, 1712, "ok")
    # the fields that are 0 are left out of the file, and read back as 0
    assert fs.save(root, 4, 0, 1712) and fs.load(root) == (4, 0, 1712, "ok")
    assert fs.save(root, 4, 42, 0) and fs.load(root) == (4, 42, 0, "ok")
    with open(_p(root), "rb") as f:
        assert b"cadence_base" not in f.read()


def test_an_older_file_with_the_count_only_reads_as_no_day_no_baseline(root):
    _write(_p(root), b'{"version": 1, "sessions": 9}\n')
    assert fs.load(root) == (9, 0, 0, "ok")


def test_damaged_last_session_or_baseline_is_no_state(root):
    # a baseline is a running cadence (100-240 steps/min), the last session a log session number
    # (1..2**24-1): anything else is a damaged file, and nothing of it is used
    for extra in (b'"cadence_base": 50', b'"cadence_base": 99999', b'"cadence_base": -1', b'"cadence_base": 171.2',
                  b'"cadence_base": true', b'"last": -3', b'"last": 16777216', b'"last": "41"'):
        _write(_p(root), b'{"version": 1, "sessions": 2, ' + extra + b'}')
        n, day, cad, st = fs.load(root)
        assert (n, day, cad) == (0, 0, 0) and "unreadable" in st, (extra, st)



POSE = (124, 12345, -512, 8300, 12, -30, 5, "+z+x")


def test_standing_pose_survives_a_restart(root):
    assert fs.load_stand(root) == (None, "missing")
    assert fs.save_stand(root, POSE)
    assert fs.load_stand(root) == (POSE, "ok")
    # its own file: the coach state is not touched
    assert fs.load(root) == (0, 0, 0, "ok")
    assert fs.save_stand(root, (125,) + POSE[1:]) and fs.load_stand(root)[0][0] == 125


def test_standing_pose_torn_or_damaged_is_none_and_says_why(root):
    p = _p(root, fs.STAND_FILE)
    for data in (b"", b'{"version": 1, "session": 12', b'{"version": 2, "session": 1}',
                 fs.dumps_stand(POSE).replace('"roll": -512', '"roll": -95000').encode(),
                 fs.dumps_stand(POSE).replace('"amu": 8300', '"amu": 0').encode(),
                 fs.dumps_stand(POSE).replace('"bf": 12', '"bf": 1.5').encode(),
                 fs.dumps_stand(POSE).replace(', "bu": 5', '').encode(),
                 fs.dumps_stand(POSE).replace('"+z+x"', '"+z+q"').encode(),
                 fs.dumps_stand(POSE).replace('"+z+x"', '5').encode()):
        _write(p, data)
        pose, why = fs.load_stand(root)
        assert pose is None and why.startswith(fs.STAND_FILE + " unreadable"), (data, why)
    # a cut between the old file's removal and the rename (FAT): the whole temp copy
    _write(p, b"")
    _write(p + ".tmp", fs.dumps_stand(POSE).encode())
    pose, why = fs.load_stand(root)
    assert pose == POSE and "temp copy" in why, why
    assert not fs.save_stand(root + "/no/such/folder", POSE)
