"""Hinge configuration: every key, its default, unit and allowed range, defined once.

The board keeps overrides in ``config.json`` (see ``configstore.py``); the host validates with
this same table before writing anything (``hinge config set``). Usage::

    import config
    cfg = config.validate({"lean_min_deg": 5})   # full dict, defaults filled in
    config.validate({"lean_min_deg": 99})        # ValueError: config: lean_min_deg=99 out of range -10..30 deg

Thresholds are personal: research finds both more and less trunk lean in good runners, so the
defaults below are a starting point; ``hinge baseline`` suggests values from the runner's own
good-form session.
"""

VERSION = 1

AXES = ("+x", "-x", "+y", "-y", "+z", "-z")
IMU_MODELS = ("auto", "mpu6050", "mpu6500", "mpu9250", "lsm6ds3", "lsm6dso", "lsm6dsox", "ism330dhcx")

# key: (default, kind, lo, hi, unit, help)
# kind: "f" number, "i" integer, "b" bool, "c" choice (lo = tuple of choices), "s" string
SCHEMA: dict = {
    "version": (VERSION, "i", 1, VERSION, "", "config format version"),
    # -- mounting and sensor --------------------------------------------------------------
    "mount_up": ("+x", "c", AXES, None, "", "IMU axis that points up when standing"),
    "mount_forward": ("-z", "c", AXES, None, "", "IMU axis that points forward (runner's front)"),
    "imu_model": ("auto", "c", IMU_MODELS, None, "", "IMU chip; auto = probe the bus"),
    "imu_addr": (0, "i", 0, 127, "", "I2C address of the IMU; 0 = probe 0x68/0x69/0x6A/0x6B"),
    "rate_hz": (104, "i", 50, 210, "Hz", "IMU output rate (chip's nearest is used)"),
    # no 2 g: a runner's pelvis feels 2-3 g at every landing (heel transients 4-7 g), which 2 g
    # clips; the clipped part of the force then reads as tilt (lean 0.55-1.21 deg median off on
    # our simulator's runs, 0.59-0.68 on the crosscheck's x1 and x2; 4 g clips only the rare
    # transient and reads as 8 and 16 do)
    "accel_range_g": (8, "c", (4, 8, 16), None, "g", "accelerometer full scale"),
    "gyro_range_dps": (1000, "c", (250, 500, 1000, 2000), None, "deg/s", "gyroscope full scale"),
    "lpf_hz": (42, "i", 5, 200, "Hz", "on-chip low-pass filter bandwidth (nearest)"),
    "imu_rate_cal": (True, "b", None, None, "", "measure the IMU's true sample rate against the board's clock"),
    # -- coaching thresholds -------------------------------------------------------------
    "lean_min_deg": (4.0, "f", -10, 30, "deg", "'upright' when forward lean stays below this"),
    "lean_back_deg": (-2.0, "f", -30, 10, "deg", "'backward' when lean stays below this (descents)"),
    "lean_hyst_deg": (1.0, "f", 0, 10, "deg", "lean must recover this far past the limit to clear"),
    "swivel_max_deg": (20.0, "f", 3, 90, "deg", "'swivel' when rotation per stride stays above this"),
    "swivel_hyst_deg": (2.0, "f", 0, 20, "deg", "rotation must drop this far below the limit to clear"),
    "alert_after_s": (10, "f", 2, 600, "s", "a fault must hold this long while running to buzz"),
    "alert_repeat_s": (90, "f", 10, 3600, "s", "repeat a held fault's buzz at most this often"),
    "coach_upright": (True, "b", None, None, "", "coach 'too upright'"),
    "coach_backward": (True, "b", None, None, "", "coach 'leaning back' (descents)"),
    "coach_swivel": (True, "b", None, None, "", "coach 'swivel' (trunk rotation)"),
    "run_min_spm": (130, "i", 100, 200, "steps/min", "slowest cadence counted as running"),
    # -- form drift (drift.py): the session's own baseline, learned on the run -----------
    "coach_drift": (False, "b", None, None, "", "coach 'drift': form drifted from this run's baseline"),
    "drift_baseline_min": (10, "i", 2, 120, "min", "running minutes (after the first) that set the baseline"),
    "drift_after_s": (300, "f", 60, 7200, "s", "a drift must hold this long while running to buzz"),
    "drift_lean_deg": (2.0, "f", 0.5, 20, "deg", "lean drift margin (either way)"),
    "drift_rot_deg": (5.0, "f", 1, 45, "deg", "rotation drift margin"),
    "drift_tilt_deg": (3.0, "f", 0.5, 20, "deg", "tilt swing drift margin"),
    "drift_drop_deg": (3.0, "f", 0.5, 20, "deg", "hip drop drift margin"),
    # Drift is a matter of hours and is checked once per running minute: a runner corrects a
    # fatigue drift over minutes, and the form cues' 90 s repeat (rounded up to the next minute
    # close: every 2 min) is ~30 buzzes an hour in an ultra's last hours, a drone that gets
    # ignored. 15 min is ~4 reminders an hour while the drift holds.
    "drift_repeat_s": (900, "f", 60, 7200, "s", "repeat a held drift's buzz at most this often"),
    "drift_baseline_from": ("run", "c", ("run", "last"), None, "",
                            "baseline learned on this run, or the last session's (none stored: this run's)"),
    # -- more cues (coach.py; off by default; the same hold, repeat and severity rules) ----
    # hip drop: the pelvis's frontal-plane drop during each foot's stance (dynamics.py), the worse
    # side. Healthy runners' pelvic obliquity is 10-15 deg peak-to-peak a stride (Schache et al.
    # 1999), so ~5-7 deg of drop a stance; injured runners run with more contralateral pelvic
    # drop, each degree raising the odds of being injured by ~80 % (Bramah et al. 2018). 9 deg is
    # past that range by more than the measure's stride-to-stride scatter (~1.5 deg).
    "coach_hip_drop": (False, "b", None, None, "", "coach 'hip drop' (the pelvis dropping over either stance leg)"),
    "hip_drop_max_deg": (9.0, "f", 3, 30, "deg", "'hip_drop' when a side's drop in stance stays above this"),
    "hip_drop_hyst_deg": (1.0, "f", 0, 10, "deg", "hip drop must fall this far below the limit to clear"),
    # tilt swing: the pelvis's pitch peak-to-peak within a stride. Anterior tilt moves 4-10 deg in
    # a running stride (Novacheck 1998, Schache et al. 1999); more is the lower back arching at
    # every push-off, the repeated extension *motion* the low back objects to (domain notes).
    "coach_tilt": (False, "b", None, None, "", "coach 'tilt swing' (pelvis rocking forward and back)"),
    "tilt_swing_max_deg": (12.0, "f", 3, 30, "deg", "'tilt_swing' when the pelvis's pitch range per stride stays above this"),
    "tilt_swing_hyst_deg": (1.0, "f", 0, 10, "deg", "tilt swing must fall this far below the limit to clear"),
    # -- cadence retraining (coach.py; off by default) ---------------------------------------
    # a 5-10 % higher step rate lowers hip and knee load (Heiderscheit et al. 2011); runners with
    # low-back pain ran at 166 against 171 steps/min (Drozda et al. 2024). The target is a number,
    # or +N % over the runner's baseline (the running cadence of a first run, learned like
    # drift.py's, and kept on the board for the runs after it: coachstore.py).
    "coach_cadence": (False, "b", None, None, "", "coach 'cadence': steps/min below the target"),
    "cadence_target_spm": (0.0, "f", 0, 220, "steps/min",
                           "cadence target; 0 = cadence_raise_pct over your baseline cadence"),
    "cadence_raise_pct": (5.0, "f", 1, 15, "%", "target over the baseline when cadence_target_spm is 0"),
    "cadence_baseline_min": (5, "i", 2, 60, "min", "running minutes (after the first) that set the cadence baseline"),
    # learned afresh each run, a followed +5 % target would climb 5 % a run (10 % after two)
    "cadence_baseline_keep": (True, "b", None, None, "",
                              "keep the first run's baseline for later runs (`hinge memory forget cadence`: learn anew)"),
    # per-stride cadence scatters 1-3 steps/min (README: p90 <= 3): a band of 3 keeps a runner on
    # target from being cued by that scatter; it clears at half the band
    "cadence_band_spm": (3.0, "f", 1, 20, "steps/min", "cue when cadence stays more than this below the target"),
    "cadence_metronome": (True, "b", None, None, "", "after a cadence cue, 4 pulses at the target step rate"),
    # -- faded feedback (off by default) ------------------------------------------------------
    # motor learning: a cue on every error helps while a new pattern is learned, then hinders
    # keeping it without the cue; gait retraining fades it over the sessions (Willy et al. 2012,
    # after Crowell & Davis 2011: full feedback in the first 4 of 8 sessions, then faded out).
    # Withheld cues are still logged, so the report shows whether form held without them.
    "fade_feedback": (False, "b", None, None, "",
                      "thin cues out as sessions go by: every fault episode, then 1 in 2, then 1 in 4"),
    "fade_sessions": (4, "i", 1, 50, "sessions",
                      "running sessions (a restarted run counts once) at each step of the fading"),
    # -- haptics -------------------------------------------------------------------------
    "motor_duty": (80, "i", 10, 100, "%", "vibration strength (PWM duty)"),
    "tick_on_clear": (True, "b", None, None, "", "short tick when a fault clears"),
    "buzz_on_calibrated": (True, "b", None, None, "", "pattern when standing calibration completes"),
    # -- log and power -------------------------------------------------------------------
    "log_enabled": (True, "b", None, None, "", "write per-stride records to flash"),
    "log_keep_free_kib": (64, "i", 8, 4096, "KiB", "rotate out old sessions below this free space"),
    "raw_capture_s": (0, "i", 0, 3600, "s", "record raw samples for this long at session start (0 = off)"),
    "fifo_read_ms": (200, "i", 20, 1000, "ms", "read the IMU FIFO this often; sleep in between"),
    "lightsleep": (True, "b", None, None, "", "light-sleep between FIFO reads where the port allows"),
    # -- pins (-1 = the board's pin map in hardware/pinmap.json) --------------------------
    "pin_sda": (-1, "i", -1, 48, "", "I2C SDA pin"),
    "pin_scl": (-1, "i", -1, 48, "", "I2C SCL pin"),
    "pin_motor": (-1, "i", -1, 48, "", "motor MOSFET gate pin (PWM)"),
    "pin_button": (-1, "i", -1, 48, "", "session button pin"),
    "i2c_freq": (400000, "i", 100000, 1000000, "Hz", "I2C clock"),
}


def defaults():
    """A fresh dict of every key at its default."""
    d = {}
    for k in SCHEMA:
        d[k] = SCHEMA[k][0]
    return d


def describe(key):
    """One line: default, unit, allowed values and help for ``key`` (for the host CLI)."""
    default, kind, lo, hi, unit, text = SCHEMA[key]
    if kind == "c":
        allowed = "one of " + " ".join(str(c) for c in lo)
    elif kind == "b":
        allowed = "true/false"
    elif kind == "s":
        allowed = "text"
    else:
        allowed = "%s..%s" % (lo, hi)
    return "%s = %s %s (%s): %s" % (key, default, unit, allowed, text)


def _cut(s):
    # a value for a message, cut short (a 400-digit number must not fill the screen)
    return s if len(s) <= 24 else s[:20] + "..."


def _show(value):
    return _cut(repr(value))


def check(key, value):
    """Return ``value`` converted to the key's kind, or raise ValueError naming key and value.

    A number choice (``accel_range_g``) or whole number (``rate_hz``) may come as a float with
    no fraction (8.0); a value out of range is refused before anything is converted.
    """
    if key not in SCHEMA:
        raise ValueError("config: unknown key '%s'" % key)
    default, kind, lo, hi, unit, _ = SCHEMA[key]
    u = (" " + unit) if unit else ""
    v = _show(value)
    if kind == "b":
        if value is True or value is False:
            return value
        if not isinstance(value, str) and value in (0, 1):
            return bool(value)
        raise ValueError("config: %s=%s must be true or false" % (key, v))
    if kind == "s":
        if isinstance(value, str):
            return value
        raise ValueError("config: %s=%s must be text" % (key, v))
    if kind == "c":
        for c in lo:
            if value == c and (type(value) is type(c) or (type(c) is int and type(value) is float)):
                return c
        raise ValueError("config: %s=%s must be one of %s%s" % (key, v, " ".join(str(c) for c in lo), u))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("config: %s=%s must be a number%s" % (key, v, u))
    if value != value or value < lo or value > hi:
        raise ValueError("config: %s=%s out of range %s..%s%s" % (key, v, lo, hi, u))
    if kind == "i" and isinstance(value, float):
        if value != int(value):
            raise ValueError("config: %s=%s must be a whole number%s" % (key, v, u))
        value = int(value)
    return value


def validate(overrides):
    """Full config dict from ``overrides`` (a dict of str keys); raise ValueError on the first bad
    entry (keys checked in sorted order).

    Also rejects a mount pair that is not two perpendicular axes.
    """
    if not isinstance(overrides, dict):
        raise ValueError("config: expected a JSON object, got %s" % type(overrides).__name__)
    cfg = defaults()
    for k in sorted(overrides):  # in one order on every port: the same first error everywhere
        cfg[k] = check(k, overrides[k])
    mount_axes(cfg["mount_up"], cfg["mount_forward"])
    if cfg["lean_back_deg"] >= cfg["lean_min_deg"]:
        raise ValueError(
            "config: lean_back_deg=%r must be below lean_min_deg=%r" % (cfg["lean_back_deg"], cfg["lean_min_deg"])
        )
    t = cfg["cadence_target_spm"]
    if 0 < t < 140:  # running cadences start ~140; the metronome's 4 pulses fit 1.5 s from 129 up
        raise ValueError("config: cadence_target_spm=%r must be 140..220 steps/min, or 0 for +N %% over your baseline "
                         "(cadence_raise_pct=N)" % (t,))
    return cfg


def parse_value(key, text):
    """Parse a command-line ``KEY=VALUE`` value (text) into the key's kind, then check it."""
    if key not in SCHEMA:
        raise ValueError("config: unknown key '%s'" % key)
    kind = SCHEMA[key][1]
    t = text.strip()
    if kind == "b":
        low = t.lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ValueError("config: %s=%s must be true or false" % (key, text))
    if kind == "s" or (kind == "c" and isinstance(SCHEMA[key][2][0], str)):
        return check(key, t)
    try:
        v = number(t[1:] if t[:1] == "+" and t[1:2] != "-" else t)
    except ValueError:
        raise ValueError("config: %s=%s is not a number (digits 0-9, e.g. 5, -2.5 or 1e3)" % (key, _cut(text)))
    v = check(key, v)  # the range first: float() of a 400-digit int would overflow
    return float(v) if kind == "f" else v


def number_end(b, i):
    """End of the number that starts at ``b[i]`` (bytes), or -1: JSON's number form only, in
    ASCII (``-12``, ``3.5``, ``1e3``; not ``1_0``, ``.5``, ``05``, ``inf`` or other scripts' digits).
    The one number rule for ``config.json`` and ``hinge config set``."""
    n = len(b)
    j = i
    if j < n and b[j] == 45:  # -
        j += 1
    if j >= n or b[j] < 48 or b[j] > 57:
        return -1
    if b[j] == 48:  # a leading 0 stands alone
        j += 1
    else:
        j = _digits(b, j, n)
    if j < n and b[j] == 46:  # .
        k = j + 1
        j = _digits(b, k, n)
        if j == k:
            return -1
    if j < n and (b[j] == 101 or b[j] == 69):  # e E
        j += 1
        if j < n and (b[j] == 43 or b[j] == 45):
            j += 1
        k = j
        j = _digits(b, k, n)
        if j == k:
            return -1
    return j


def _digits(b, j, n):
    """The index after the ASCII digits that start at ``b[j]``."""
    while j < n and 48 <= b[j] <= 57:
        j += 1
    return j


def number(text):
    """An int (no fraction or exponent) or a float from number text (``number_end``'s form)."""
    b = text.encode()
    if not b or number_end(b, 0) != len(b):
        raise ValueError("config: %s is not a number" % _cut(text))
    for c in b:
        if c == 46 or c == 101 or c == 69:
            return float(text)
    return int(text)


def mount_axes(up, forward):
    """Signed axis indices for the body frame (forward, left, up) from the mount config.

    Returns ``(fi, fs, li, ls, ui, us)``: body axis k = sign * sensor axis index (0=x,1=y,2=z).
    Left = up x forward (right-handed body frame: x forward, y left, z up).
    Raises ValueError for an axis name that is not one of +x -x +y -y +z -z or a pair that is
    not perpendicular.
    """
    for name, v in (("mount_up", up), ("mount_forward", forward)):
        if v not in AXES:
            raise ValueError("config: %s=%r must be one of %s" % (name, v, " ".join(AXES)))
    ui, us = "xyz".index(up[1]), (1 if up[0] == "+" else -1)
    fi, fs = "xyz".index(forward[1]), (1 if forward[0] == "+" else -1)
    if ui == fi:
        raise ValueError("config: mount_up=%s and mount_forward=%s must be perpendicular axes" % (up, forward))
    li = 3 - ui - fi
    # unit vectors: u = us*e[ui], f = fs*e[fi]; left = u x f. e[i] x e[j] = +e[k] when (i,j,k) is cyclic.
    cyclic = 1 if (ui + 1) % 3 == fi else -1
    ls = us * fs * cyclic
    return fi, fs, li, ls, ui, us
