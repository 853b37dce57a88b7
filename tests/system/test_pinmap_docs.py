"""The hardware docs agree with the firmware: pins, bus settings, mount axes, cues, power table.

``hardware/pinmap.json`` and ``device/config.py`` are the sources of truth; this fails when a
doc in ``hardware/`` drifts from them.
"""
import json
import re

import pytest

from hinge.common.devpath import HARDWARE_DIR, REPO, import_device

config = import_device("config")
haptic = import_device("haptic")

PINMAP = json.loads((HARDWARE_DIR / "pinmap.json").read_text())
WIRING = (HARDWARE_DIR / "wiring.md").read_text()
MOUNTING = (HARDWARE_DIR / "mounting.md").read_text()
README = (HARDWARE_DIR / "README.md").read_text()
POWER = (HARDWARE_DIR / "power.md").read_text()
BOM = (HARDWARE_DIR / "bom.md").read_text()

PIN_FIELDS = ("pin", "sda", "scl")


def pinmap_pins():
    """{"i2c.sda": 23, "motor.pin": 27, ...} for every GPIO number in the pin map."""
    out = {}
    for group, v in PINMAP.items():
        if isinstance(v, dict):
            for field in PIN_FIELDS:
                if field in v:
                    out[f"{group}.{field}"] = v[field]
    return out


def md_table_rows(text, header_start):
    """Cells of the markdown table whose header row starts with ``header_start``."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("| " + header_start):
            rows = []
            for row in lines[i + 2:]:
                if not row.startswith("|"):
                    break
                rows.append([c.strip() for c in row.strip().strip("|").split("|")])
            return rows
    raise AssertionError(f"no table starting with {header_start!r}")


def code_blocks(text):
    return re.findall(r"```.*?\n(.*?)```", text, re.S)


# -- pins --------------------------------------------------------------------------------
def test_pinmap_has_the_pins_the_docs_describe():
    assert set(pinmap_pins()) == {"i2c.sda", "i2c.scl", "motor.pin", "button.pin", "vbat.pin",
                                  "led.pin", "usb_sense.pin"}


def test_every_pin_in_the_wiring_table_with_the_same_number():
    table = {}
    for cells in md_table_rows(WIRING, "Signal"):
        key = cells[1].strip("`")
        assert key not in table, f"{key} listed twice"
        table[key] = int(cells[2])
    assert table == pinmap_pins()


def test_wiring_diagram_uses_only_pinmap_pins_and_shows_them_all():
    pins = set(pinmap_pins().values())
    drawn = {int(n) for block in code_blocks(WIRING) for n in re.findall(r"GPIO(\d+)", block)}
    assert drawn, "no GPIOnn in the diagram"
    assert drawn <= pins, f"diagram names pins not in pinmap.json: {sorted(drawn - pins)}"
    assert drawn == pins, f"pins missing from the diagram: {sorted(pins - drawn)}"


def test_bus_and_pwm_settings_match():
    i2c = PINMAP["i2c"]
    assert i2c["freq"] == config.SCHEMA["i2c_freq"][0]
    assert f"I2C bus {i2c['id']} at {i2c['freq'] // 1000} kHz" in WIRING
    assert f"defaults to the same {i2c['freq']}" in WIRING
    assert f"motor PWM at {PINMAP['motor']['pwm_freq']} Hz" in WIRING
    for addr in PINMAP["imu_addrs"]:
        assert f"0x{addr:02X}" in WIRING, hex(addr)
    assert "pull up" in WIRING and PINMAP["button"]["pull"] == "up"
    assert PINMAP["button"]["active"] == 0 and "pressed = 0" in WIRING
    assert f"VBAT / {PINMAP['vbat']['divider']}" in WIRING


def test_config_pin_keys_default_to_the_pinmap():
    for key in ("pin_sda", "pin_scl", "pin_motor", "pin_button"):
        assert config.SCHEMA[key][0] == -1, key
        assert f"`{key}`" in WIRING


def test_bom_names_the_pinmap_board():
    assert "HUZZAH32" in PINMAP["board"]
    assert "Adafruit HUZZAH32 - ESP32 Feather" in BOM
    assert "ESP32-WROOM-32E" in PINMAP["board"] and "ESP32-WROOM-32E" in BOM


# -- mount axes ------------------------------------------------------------------------------
DEFAULT_LINE = re.compile(
    r'default mount:\s*`?mount_up\s*=\s*"([+-][xyz])"`?,\s*`?mount_forward\s*=\s*"([+-][xyz])"',
    re.I,
)


def _default_statements(text):
    flat = " ".join(text.split())  # a statement may wrap lines
    return [m.groups() for m in DEFAULT_LINE.finditer(flat.replace("**", ""))]


@pytest.mark.parametrize("name,text", [("README.md", README), ("mounting.md", MOUNTING)])
def test_docs_state_the_config_default_mount(name, text):
    want = (config.SCHEMA["mount_up"][0], config.SCHEMA["mount_forward"][0])
    found = _default_statements(text)
    assert found, f"hardware/{name} states no default mount"
    assert all(f == want for f in found), (name, found, want)


def test_repo_readme_default_mount_if_stated():
    readme = REPO / "README.md"
    if not readme.exists():
        pytest.skip("no top-level README yet")
    want = (config.SCHEMA["mount_up"][0], config.SCHEMA["mount_forward"][0])
    for f in _default_statements(readme.read_text()):
        assert f == want, f


def test_default_mount_description_matches_the_body_frame():
    fi, fs, li, ls, ui, us = config.mount_axes(config.SCHEMA["mount_up"][0],
                                               config.SCHEMA["mount_forward"][0])
    assert (ui, us) == (0, 1) and (fi, fs) == (2, -1)  # +x up, -z forward = +z backward
    assert (li, ls) == (1, 1)  # +y to the runner's left
    assert "+Y then points to the runner's left" in MOUNTING


def test_every_orientation_row_is_valid_and_its_left_axis_is_right():
    rows = md_table_rows(MOUNTING, "How the IMU breakout sits")
    assert len(rows) >= 6
    seen = set()
    for cells in rows:
        up, fwd, left = (c.strip("`") for c in cells[1:4])
        li, ls = config.mount_axes(up, fwd)[2:4]
        assert left == ("+" if ls > 0 else "-") + "xyz"[li], cells
        config.validate({"mount_up": up, "mount_forward": fwd})
        assert (up, fwd) not in seen
        seen.add((up, fwd))
    assert rows[0][1:3] == ['`+x`', '`-z`'] and rows[0][0].startswith("Default")


# -- cues in the README ----------------------------------------------------------------------
def test_readme_cue_table_matches_haptic_describe():
    rows = md_table_rows(README, "Cue")
    want = []
    for pid in range(1, len(haptic.PATTERNS)):
        for sev in (1, 2, 3) if pid in haptic.GRADED else (1,):
            want.append([haptic.NAMES[pid], str(sev) if pid in haptic.GRADED else "-",
                         haptic.describe(pid, sev)])
    assert rows == want


# -- power table -----------------------------------------------------------------------------
def test_power_table_follows_the_stated_formula():
    assert "hours = 500 mAh / (I_awake*share + I_sleep*(1-share) + I_imu + I_motor_avg)" in POWER
    assert "PLACEHOLDER" not in POWER
    i_awake, i_sleep, i_motor = 44.0, 2.0, 1.0
    imu = {"LSM6DSOX": 0.55, "MPU-6500": 3.65}
    assert f"I_awake = {i_awake:g} mA, I_sleep = {i_sleep:.1f} mA, I_motor_avg = {i_motor:.1f} mA" \
        in POWER
    rows = md_table_rows(POWER, "IMU | share")
    assert len(rows) == 7
    for name, share, cur, h500, h425 in rows:
        s = float(share.split()[0]) / 100
        i = i_awake * s + i_sleep * (1 - s) + imu[name] + i_motor
        assert float(cur.split()[0]) == pytest.approx(i, abs=0.005), (name, share)
        assert float(h500.split()[0]) == pytest.approx(500 / i, abs=0.05), (name, share)
        assert float(h425.split()[0]) == pytest.approx(425 / i, abs=0.05), (name, share)


def test_power_measured_hours_follow_from_the_measured_share():
    # "With the measured shares (typical cues, 500 mAh): **LSM6DSO 89 h, MPU-6500 60 h**"
    shares = {name: float(v) / 100 for name, v in re.findall(r"(LSM6DSO|MPU-6500) at 10[04] Hz \| [^|]+\|[^|]+\|[^|]+\|"
                                                               r"[^|]+\| [^|]+\| \*\*([\d.]+) %\*\*", POWER)}
    assert set(shares) == {"LSM6DSO", "MPU-6500"}, shares
    typical_motor = 75 * 8 / 3600
    stated = dict(re.findall(r"(LSM6DSO|MPU-6500) (\d+) h", POWER.split("With the measured shares")[1][:200]))
    for name, imu_ma in (("LSM6DSO", 0.55), ("MPU-6500", 3.65)):
        s = shares[name]
        h = 500 / (44.0 * s + 2.0 * (1 - s) + imu_ma + typical_motor)
        assert abs(h - float(stated[name])) <= 1.0, (name, h, stated)
        assert h >= 30


def test_power_motor_worst_case_uses_the_longest_coaching_cue():
    longest = max(haptic.on_ms(p, 3) for p in haptic.GRADED)
    per_hour = 3600 // config.SCHEMA["alert_repeat_s"][0]
    assert f"{per_hour} cues/h x {longest / 1000:g} s" in POWER
