"""config: defaults, validation messages, mount axes (CPython and micropython)."""
import config


def _err(d):
    try:
        config.validate(d)
    except ValueError as e:
        return str(e)
    return None


def test_defaults_validate_and_have_units():
    cfg = config.validate({})
    for k in config.SCHEMA:
        assert k in cfg
        assert config.describe(k).startswith(k)
    assert cfg["version"] == config.VERSION


def test_bad_values_name_key_and_value():
    m = _err({"lean_min_deg": 99})
    assert m is not None and "lean_min_deg" in m and "99" in m and "-10..30" in m
    m = _err({"nosuch": 1})
    assert m is not None and "nosuch" in m and "unknown" in m
    m = _err({"mount_up": "up"})
    assert m is not None and "mount_up" in m
    m = _err({"accel_range_g": 3})
    assert m is not None and "accel_range_g" in m and "4 8 16" in m
    m = _err({"rate_hz": 104.5})
    assert m is not None and "rate_hz" in m
    m = _err({"coach_swivel": "yes"})
    assert m is not None and "coach_swivel" in m
    assert _err({"lean_min_deg": 6, "lean_back_deg": 7}) is not None
    assert _err([1, 2]) is not None


def test_mount_pairs():
    assert _err({"mount_up": "+z", "mount_forward": "-z"}) is not None
    assert _err({"mount_up": "+y", "mount_forward": "+y"}) is not None
    axes = "xyz"
    for up in config.AXES:
        for fw in config.AXES:
            if up[1] == fw[1]:
                continue
            fi, fs, li, ls, ui, us = config.mount_axes(up, fw)
            # build unit vectors and check left = up x forward
            u = [0, 0, 0]
            f = [0, 0, 0]
            lv = [0, 0, 0]
            u[ui] = us
            f[fi] = fs
            lv[li] = ls
            cross = [u[1] * f[2] - u[2] * f[1], u[2] * f[0] - u[0] * f[2], u[0] * f[1] - u[1] * f[0]]
            assert cross == lv, (up, fw)
            assert axes[ui] == up[1] and axes[fi] == fw[1]


def test_parse_value_kinds():
    assert config.parse_value("lean_min_deg", "5") == 5.0
    assert config.parse_value("rate_hz", "200") == 200
    assert config.parse_value("coach_swivel", "off") is False
    assert config.parse_value("mount_up", "-y") == "-y"
    assert config.parse_value("accel_range_g", "16") == 16
    for k, v in (("rate_hz", "fast"), ("swivel_max_deg", "1000"), ("nosuch", "1")):
        try:
            config.parse_value(k, v)
            raise AssertionError("accepted %s=%s" % (k, v))
        except ValueError as e:
            assert k in str(e)


def test_cadence_target_is_a_running_cadence_or_zero():
    assert config.validate({"cadence_target_spm": 0})["cadence_target_spm"] == 0
    assert config.validate({"cadence_target_spm": 172})["cadence_target_spm"] == 172
    for bad in (5, 100, 139.9):
        try:
            config.validate({"cadence_target_spm": bad})
        except ValueError as e:
            assert "cadence_raise_pct" in str(e) and "140..220" in str(e), str(e)
        else:
            raise AssertionError(bad)
