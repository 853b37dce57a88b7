"""device/configstore.py: fallbacks, atomic save, migration; the same tests under both interpreters.

Plain ``test_*`` functions with asserts, MicroPython-compatible (no pathlib), each given a fresh
folder ``root``: pytest runs them under CPython, ``tests/device/test_configstore.py`` runs them
all again under micropython through the one runner (``tests/mputil.py``).
"""
import errno
import json
import os
import sys

import config
import configstore as cs

NEEDS_DIR = True  # every test gets a fresh folder (tests/device/mp_run.py; pytest: the root fixture below)
if sys.implementation.name != "micropython":
    import pytest

    @pytest.fixture
    def root(tmp_path):
        return str(tmp_path)


class PowerLoss(Exception):
    """Stands for the board losing power at the point where it is raised."""


class FakeOS:
    """The parts of ``os`` that configstore uses, with a hook on ``rename``."""

    def __init__(self, rename=None, remove=None):
        self.renames = 0
        self.removes = 0
        self._rename = rename
        self._remove = remove

    def rename(self, a, b):
        self.renames += 1
        if self._rename is not None:
            return self._rename(a, b)
        return os.rename(a, b)

    def remove(self, p):
        self.removes += 1
        if self._remove is not None:
            return self._remove(p)
        return os.remove(p)


def _with_os(fake, fn, *args):
    cs.os = fake
    try:
        return fn(*args)
    finally:
        cs.os = os


def _w(root, name, text):
    with open(cs.path(root, name), "w") as f:
        f.write(text)


def _r(root, name):
    with open(cs.path(root, name)) as f:
        return f.read()


def _exists(root, name):
    try:
        os.stat(cs.path(root, name))
        return True
    except OSError:
        return False


def _boot_good(root, overrides):
    """Save ``overrides`` and boot once, so the last good config holds them."""
    cs.save(root, overrides)
    cfg, st = cs.load(root)
    assert st == "ok", st
    assert _exists(root, cs.LAST_GOOD)
    return cfg


def _expect_fallback(root, want_lean, why_part):
    cfg, st = cs.load(root)
    assert st.startswith("fallback_last_good: config.json: "), st
    assert why_part in st, st
    assert "\n" not in st
    assert cfg["lean_min_deg"] == want_lean, cfg["lean_min_deg"]
    assert cfg == config.validate(cfg)
    return st


# -- fresh board, save, last good ------------------------------------------------------------
def test_fresh_board_runs_defaults_without_fault(root):
    cfg, st = cs.load(root)
    assert st == "ok", st
    assert cfg == config.defaults()
    assert not _exists(root, cs.LAST_GOOD)


def test_save_stores_only_differences_from_defaults(root):
    cfg = cs.save(root, {"lean_min_deg": 5.5, "motor_duty": 80, "mount_up": "+x"})
    assert cfg["lean_min_deg"] == 5.5 and cfg["motor_duty"] == 80
    data = json.loads(_r(root, cs.FILE))
    assert data == {"version": config.VERSION, "lean_min_deg": 5.5}, data
    assert _r(root, cs.FILE).startswith('{\n  "version": 1,\n')
    cfg2, st = cs.load(root)
    assert st == "ok", st
    assert cfg2 == cfg


def test_save_accepts_full_config(root):
    full = config.defaults()
    full["coach_swivel"] = False
    full["mount_up"] = "-x"
    cs.save(root, full)
    data = json.loads(_r(root, cs.FILE))
    assert data == {"version": 1, "coach_swivel": False, "mount_up": "-x"}, data
    cfg, st = cs.load(root)
    assert st == "ok" and cfg == config.validate(full)


def test_save_with_no_overrides_resets_to_defaults(root):
    _boot_good(root, {"lean_min_deg": 6})
    cs.save(root, {})
    assert json.loads(_r(root, cs.FILE)) == {"version": 1}
    cfg, st = cs.load(root)
    assert st == "ok" and cfg == config.defaults()


def test_load_remembers_last_good(root):
    cs.save(root, {"swivel_max_deg": 25})
    assert not _exists(root, cs.LAST_GOOD)  # saved is not yet booted
    cs.load(root)
    assert json.loads(_r(root, cs.LAST_GOOD)) == {"version": 1, "swivel_max_deg": 25}
    assert _r(root, cs.LAST_GOOD) == _r(root, cs.FILE)


def test_last_good_not_rewritten_when_unchanged(root):
    _boot_good(root, {"lean_min_deg": 6})
    fake = FakeOS()
    _, st = _with_os(fake, cs.load, root)
    assert st == "ok" and fake.renames == 0, (st, fake.renames)
    cs.save(root, {"lean_min_deg": 7})
    _with_os(fake, cs.load, root)
    assert fake.renames == 1, fake.renames


def test_last_good_write_failure_still_boots_ok(root):
    cs.save(root, {"lean_min_deg": 6})

    def full(a, b):
        raise OSError(28)  # ENOSPC

    cfg, st = _with_os(FakeOS(rename=full), cs.load, root)
    assert st == "ok" and cfg["lean_min_deg"] == 6


def test_root_with_trailing_slash(root):
    cs.save(root + "/", {"lean_min_deg": 6})
    cfg, st = cs.load(root + "/")
    assert st == "ok" and cfg["lean_min_deg"] == 6
    assert cs.path("", "a.json") == "a.json" and cs.path("/", "a.json") == "/a.json"
    assert cs.path("/flash", "a.json") == "/flash/a.json"


# -- fallbacks ------------------------------------------------------------------------------
def test_corrupt_json_falls_back_to_last_good(root):
    _boot_good(root, {"lean_min_deg": 6})
    lg = _r(root, cs.LAST_GOOD)
    # (MicroPython's json is lenient with commas and colons, so corrupt a quote: both reject it)
    _w(root, cs.FILE, '{"lean_min_deg: 7}')
    _expect_fallback(root, 6, "not valid JSON")
    assert _r(root, cs.LAST_GOOD) == lg  # a bad file never replaces the last good one


def test_erased_or_zeroed_flash_falls_back(root):
    _boot_good(root, {"lean_min_deg": 6})
    for fill in (b"\xff", b"\x00"):
        with open(cs.path(root, cs.FILE), "wb") as f:
            f.write(fill * 64)
        cfg, st = cs.load(root)
        assert st.startswith("fallback_last_good: config.json: "), st
        assert cfg["lean_min_deg"] == 6


def test_invalid_value_falls_back_naming_key(root):
    _boot_good(root, {"lean_min_deg": 6})
    _w(root, cs.FILE, '{"version": 1, "lean_min_deg": 99}')
    st = _expect_fallback(root, 6, "lean_min_deg=99 out of range")
    assert st == "fallback_last_good: config.json: lean_min_deg=99 out of range -10..30 deg", st


def test_unknown_key_falls_back(root):
    _boot_good(root, {"lean_min_deg": 6})
    _w(root, cs.FILE, '{"version": 1, "lean_minimum": 5}')
    _expect_fallback(root, 6, "unknown key 'lean_minimum'")


def test_inconsistent_pair_falls_back(root):
    _boot_good(root, {"lean_min_deg": 6})
    _w(root, cs.FILE, '{"mount_up": "+x", "mount_forward": "-x"}')
    _expect_fallback(root, 6, "perpendicular")


def test_not_an_object_falls_back(root):
    _boot_good(root, {"lean_min_deg": 6})
    _w(root, cs.FILE, "[1, 2, 3]")
    _expect_fallback(root, 6, "expected a JSON object")


def test_unreadable_file_falls_back(root):
    _boot_good(root, {"lean_min_deg": 6})
    os.remove(cs.path(root, cs.FILE))
    os.mkdir(cs.path(root, cs.FILE))  # a directory where the file should be: open/read fails
    _expect_fallback(root, 6, "unreadable")


def test_missing_file_falls_back(root):
    _boot_good(root, {"lean_min_deg": 6})
    os.remove(cs.path(root, cs.FILE))
    st = _expect_fallback(root, 6, "missing")
    assert st == "fallback_last_good: config.json: missing", st


def test_empty_file_falls_back(root):
    _boot_good(root, {"lean_min_deg": 6})
    _w(root, cs.FILE, "")
    _expect_fallback(root, 6, "empty")


def test_torn_write_at_every_length_falls_back(root):
    _boot_good(root, {"lean_min_deg": 6})
    new = cs.dumps({"version": 1, "lean_min_deg": 7, "swivel_max_deg": 30})
    for n in range(len(new) + 1):
        _w(root, cs.FILE, new[:n])
        cfg, st = cs.load(root)
        if st == "ok":  # only the complete object may load (the final newline is optional)
            assert n >= len(new) - 1, (n, st)
            assert cfg["lean_min_deg"] == 7 and cfg["swivel_max_deg"] == 30
        else:
            assert st.startswith("fallback_last_good: "), (n, st)
            assert cfg["lean_min_deg"] == 6, (n, cfg["lean_min_deg"])
        # restore the last good config the ok boot just recorded
        if st == "ok":
            _w(root, cs.LAST_GOOD, cs.dumps({"version": 1, "lean_min_deg": 6}))


# One reader on the board and the host (MicroPython's json would read the first one as 5).
LENIENT = (
    ('{"version": 1, "lean_min_deg" 5,,}', "line 1, col 31: expected ':' after \"lean_min_deg\""),
    ('{"lean_min_deg": 5,}', "expected a key in double quotes"),
    ('{"lean_min_deg": 5]', "expected ',' or '}'"),
    ("{'lean_min_deg': 5}", "expected a key in double quotes"),
    ('{"lean_min_deg": NaN}', "expected a value for \"lean_min_deg\""),
    ('{"lean_min_deg": 1_0}', "expected ',' or '}'"),
    ('{"lean_min_deg": \uff11\uff10}', "expected a value for \"lean_min_deg\""),
    ('{"lean_min_deg": 05}', "expected ',' or '}'"),
    ('{"lean_min_deg": 5, "lean_min_deg": 6}', "\"lean_min_deg\" given twice"),
    ('{"lean_min_deg": [5]}', "a list or object for \"lean_min_deg\""),
    ('{"lean_min_deg": 5} {}', "text after the closing '}'"),
)


def test_lenient_json_is_refused_naming_where(root):
    _boot_good(root, {"lean_min_deg": 7})
    for text, why in LENIENT:
        _w(root, cs.FILE, text)
        cfg, st = cs.load(root)
        assert st.startswith("fallback_last_good: config.json: not valid JSON ("), (text, st)
        assert why in st, (text, st)
        assert cfg["lean_min_deg"] == 7, (text, cfg["lean_min_deg"])


def test_strict_json_reads_every_valid_form(root):
    _w(root, cs.FILE, ' \t\r\n{ "version" : 1 ,\n "lean_back_deg":-0.5e1, "mount_up": "\\u002bx",'
                      '"coach_swivel":false, "swivel_max_deg": 2.5E+1, "imu_model": "lsm6ds\\u006F"} \n')
    cfg, st = cs.load(root)
    assert st == "ok", st
    assert cfg["lean_back_deg"] == -5.0 and cfg["mount_up"] == "+x" and cfg["coach_swivel"] is False
    assert cfg["swivel_max_deg"] == 25.0 and cfg["imu_model"] == "lsm6dso"
    assert cs.loads('{"a": "\\u00e9\\ud83d\\ude00\\"\\\\\\/\\n"}') == {"a": "\u00e9\U0001f600\"\\/\n"}
    assert cs.loads(cs.dumps({"version": 1, "lean_min_deg": 5.5, "mount_up": "+y"})) == {
        "version": 1, "lean_min_deg": 5.5, "mount_up": "+y"}


def test_whole_float_for_a_number_choice(root):
    _w(root, cs.FILE, '{"accel_range_g": 8.0, "gyro_range_dps": 2000.0, "rate_hz": 100.0}')
    cfg, st = cs.load(root)
    assert st == "ok", st
    assert cfg["accel_range_g"] == 8 and type(cfg["accel_range_g"]) is int
    assert cfg["gyro_range_dps"] == 2000 and cfg["rate_hz"] == 100 and type(cfg["rate_hz"]) is int
    _w(root, cs.FILE, '{"accel_range_g": 8.5}')
    assert "accel_range_g=8.5 must be one of 4 8 16" in cs.load(root)[1]
    _w(root, cs.FILE, '{"accel_range_g": 2}')        # (clips every landing: config.py)
    assert "accel_range_g=2 must be one of 4 8 16" in cs.load(root)[1]


def test_huge_numbers_are_refused_in_one_short_line(root):
    _boot_good(root, {"lean_min_deg": 7})
    for text, why in (('{"lean_min_deg": 1e308}', "lean_min_deg=1e+308 out of range -10..30 deg"),
                      ('{"lean_min_deg": 1e999}', "lean_min_deg=inf out of range -10..30 deg"),
                      ('{"rate_hz": 1' + "0" * 400 + '}', "rate_hz=1" + "0" * 19 + "... out of range 50..210")):
        _w(root, cs.FILE, text)
        cfg, st = cs.load(root)
        assert why in st and len(st) < 130 and cfg["lean_min_deg"] == 7, (text, st)


def test_newer_version_falls_back(root):
    _boot_good(root, {"lean_min_deg": 6})
    _w(root, cs.FILE, '{"version": 2, "lean_min_deg": 7}')
    _expect_fallback(root, 6, "newer than this firmware")


def test_missing_version_reads_as_version_1(root):
    _w(root, cs.FILE, '{"lean_min_deg": 7}')
    cfg, st = cs.load(root)
    assert st == "ok" and cfg["lean_min_deg"] == 7 and cfg["version"] == 1


def test_too_large_falls_back(root):
    _boot_good(root, {"lean_min_deg": 6})
    _w(root, cs.FILE, "{" + " " * (cs.MAX_BYTES + 10) + "}")
    _expect_fallback(root, 6, "too large")


def test_bad_last_good_gives_defaults(root):
    _boot_good(root, {"lean_min_deg": 6})
    _w(root, cs.FILE, "{oops")
    _w(root, cs.LAST_GOOD, '{"lean_min_deg": 50}')
    cfg, st = cs.load(root)
    assert cfg == config.defaults()
    assert st.startswith("defaults: config.json: not valid JSON"), st
    assert "config.last_good.json: lean_min_deg=50 out of range" in st, st
    assert "\n" not in st


def test_invalid_without_last_good_gives_defaults(root):
    _w(root, cs.FILE, '{"motor_duty": 5}')
    cfg, st = cs.load(root)
    assert cfg == config.defaults()
    assert st == "defaults: config.json: motor_duty=5 out of range 10..100 %; config.last_good.json: missing", st


def test_last_good_alone_is_a_fallback_not_ok(root):
    _w(root, cs.LAST_GOOD, cs.dumps({"version": 1, "lean_min_deg": 6}))
    cfg, st = cs.load(root)
    assert st == "fallback_last_good: config.json: missing" and cfg["lean_min_deg"] == 6


def test_status_reason_is_one_short_line(root):
    _w(root, cs.FILE, '{"' + "x" * 300 + '\\n": 1}')
    _, st = cs.load(root)
    assert st.startswith("defaults: config.json: unknown key"), st
    assert "\n" not in st and len(st) < 200, (len(st), st)


def test_load_never_raises_for_a_missing_root(root):
    cfg, st = cs.load(root + "/no/such/dir")
    assert st == "ok" and cfg == config.defaults()


# -- atomic save ----------------------------------------------------------------------------
def test_save_validates_before_writing(root):
    _boot_good(root, {"lean_min_deg": 6})
    before = _r(root, cs.FILE)
    for bad in ({"lean_min_deg": 99}, {"mount_up": "+x", "mount_forward": "+x"}, {"nope": 1},
                {"version": 9}, {"lean_min_deg": 3, "lean_back_deg": 3}):
        try:
            cs.save(root, bad)
        except ValueError:
            pass
        else:
            raise AssertionError(f"saved {bad!r}")
        assert _r(root, cs.FILE) == before
    assert not _exists(root, cs.FILE + cs.TMP_SUFFIX)


def test_power_loss_between_temp_write_and_rename_keeps_old(root):
    _boot_good(root, {"lean_min_deg": 6})
    before = _r(root, cs.FILE)

    def die(a, b):
        raise PowerLoss()

    try:
        _with_os(FakeOS(rename=die), cs.save, root, {"lean_min_deg": 8})
    except PowerLoss:
        pass
    else:
        raise AssertionError("rename was not reached")
    assert _r(root, cs.FILE) == before
    assert json.loads(_r(root, cs.FILE + cs.TMP_SUFFIX))["lean_min_deg"] == 8  # temp was complete
    cfg, st = cs.load(root)  # the reboot
    assert st == "ok" and cfg["lean_min_deg"] == 6, st
    cs.save(root, {"lean_min_deg": 9})  # a leftover temp file does not get in the way
    assert cs.load(root)[0]["lean_min_deg"] == 9


def test_power_loss_while_writing_temp_keeps_old(root):
    _boot_good(root, {"lean_min_deg": 6})
    before = _r(root, cs.FILE)
    _w(root, cs.FILE + cs.TMP_SUFFIX, '{"version": 1, "lean_m')  # torn temp from a reset
    assert _r(root, cs.FILE) == before
    cfg, st = cs.load(root)
    assert st == "ok" and cfg["lean_min_deg"] == 6


def test_rename_error_raises_and_keeps_old(root):
    _boot_good(root, {"lean_min_deg": 6})
    before = _r(root, cs.FILE)

    def eio(a, b):
        raise OSError(errno.EIO)

    fake = FakeOS(rename=eio)
    try:
        _with_os(fake, cs.save, root, {"lean_min_deg": 8})
    except OSError:
        pass
    else:
        raise AssertionError("no OSError")
    assert fake.removes == 0
    assert _r(root, cs.FILE) == before
    cfg, st = cs.load(root)
    assert st == "ok" and cfg["lean_min_deg"] == 6, st


def _fat_rename(die_second=False):
    calls = []

    def rename(a, b):
        calls.append(b)
        if _exists("", b):
            raise OSError(errno.EEXIST)  # FAT: no rename over an existing file
        if die_second:
            raise PowerLoss()
        return os.rename(a, b)

    return rename


def test_fat_style_rename_replaces_via_remove(root):
    _boot_good(root, {"lean_min_deg": 6})
    fake = FakeOS(rename=_fat_rename())
    _with_os(fake, cs.save, root, {"lean_min_deg": 8})
    assert fake.removes == 1 and fake.renames == 2
    cfg, st = cs.load(root)
    assert st == "ok" and cfg["lean_min_deg"] == 8


def test_power_loss_in_fat_window_uses_last_good(root):
    _boot_good(root, {"lean_min_deg": 6})
    try:
        _with_os(FakeOS(rename=_fat_rename(die_second=True)), cs.save, root, {"lean_min_deg": 8})
    except PowerLoss:
        pass
    else:
        raise AssertionError("no power loss")
    assert not _exists(root, cs.FILE)
    _expect_fallback(root, 6, "missing")


# -- migration hook -------------------------------------------------------------------------
def test_migration_hook(root):
    d = cs.migrate({"version": 1, "lean_min_deg": 5})
    assert d == {"version": 1, "lean_min_deg": 5}
    assert cs.migrate({})["version"] == config.VERSION
    for bad in ({"version": 2}, {"version": 0}, {"version": "1"}, {"version": True},
                {"version": 1.5}, [1], "x"):
        try:
            cs.migrate(bad)
        except ValueError:
            pass
        else:
            raise AssertionError(f"migrated {bad!r}")
    # a registered step runs: pretend the firmware were at version 2
    saved = config.VERSION
    try:
        config.VERSION = 2
        cs._MIGRATIONS[1] = lambda d: {"renamed": d["old"]}
        assert cs.migrate({"version": 1, "old": 3}) == {"renamed": 3, "version": 2}
    finally:
        config.VERSION = saved
        cs._MIGRATIONS.clear()
