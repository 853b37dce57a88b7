"""`hinge replay`: capture parsing errors, --set, JSON lines, and engine identity."""
import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hinge.cli import cli
from hinge.coach import replay
from hinge.common.capture import CaptureError, block_mean, gait_gyro_p99, packet_times, read_capture, to_raw, write_capture

REPO = Path(__file__).resolve().parents[2]
HINGE = [sys.executable, "-m", "hinge.cli"]


def _good_capture(path, seconds=30, rate=100):
    """Standing 5 s then a crude jog at 170 spm (enough for strides), sensor +z up, +x forward."""
    n = int(seconds * rate)
    t = np.round(np.arange(n) * 1000 / rate).astype(int)
    ts = t / 1000.0
    acc = np.zeros((n, 3))
    gyr = np.zeros((n, 3))
    acc[:, 2] = 1.0
    run = ts >= 5
    step_t = 60 / 170
    ph = (ts % step_t) / step_t
    f = np.where(ph < 0.4, 2.6 * np.sin(np.pi * ph / 0.4), 0.0)
    lean = np.radians(8)
    acc[run, 0] = -np.sin(lean) * f[run]
    acc[run, 2] = np.cos(lean) * f[run]
    fs = 170 / 120
    yr = np.degrees(np.radians(6) * 2 * np.pi * fs * np.cos(2 * np.pi * fs * ts))
    gyr[run, 2] = yr[run] * np.cos(lean)
    gyr[run, 0] = -yr[run] * np.sin(lean)
    write_capture(path, t, acc, gyr, ["synthetic jog for CLI tests"])
    return path


def _run(args):
    return subprocess.run(HINGE + args, capture_output=True, text=True, cwd=REPO)


def test_jsonl_strides_and_types(tmp_path):
    cap = _good_capture(tmp_path / "c.csv")
    p = _run(["replay", str(cap), "--jsonl", "--set", "mount_up=+z", "--set", "mount_forward=+x"])
    assert p.returncode == 0, p.stderr
    objs = [json.loads(line) for line in p.stdout.splitlines()]
    strides = [o for o in objs if o["type"] == "stride"]
    assert len(strides) >= 25
    for s in strides:
        assert set(s) >= {"t_ms", "lean_deg", "rotation_deg", "cadence_spm"}
        assert isinstance(s["t_ms"], int)
    run = [s for s in strides if s["activity"] == "running"]
    assert abs(np.median([s["cadence_spm"] for s in run]) - 170) < 1.5
    assert abs(np.median([s["lean_deg"] for s in run]) - 8) < 1.0
    assert abs(np.median([s["rotation_deg"] for s in run]) - 12) < 1.5
    # stamped at the stride's end, increasing
    ts = [s["t_ms"] for s in strides]
    assert ts == sorted(ts)


def test_set_changes_thresholds_and_alerts(tmp_path):
    cap = _good_capture(tmp_path / "c.csv", seconds=40)
    base = ["replay", str(cap), "--jsonl", "--set", "mount_up=+z", "--set", "mount_forward=+x"]
    p = _run(base)
    assert not [ln for ln in p.stdout.splitlines() if '"alert"' in ln]
    p = _run(base + ["--set", "lean_min_deg=12", "--set", "alert_after_s=5"])
    alerts = [json.loads(ln) for ln in p.stdout.splitlines() if '"type":"alert"' in ln]
    assert alerts and alerts[0]["reason"] == "upright"
    p = _run(base + ["--set", "swivel_max_deg=5", "--set", "alert_after_s=5", "--set", "alert_repeat_s=10"])
    alerts = [json.loads(ln) for ln in p.stdout.splitlines() if '"type":"alert"' in ln]
    assert len(alerts) >= 2 and all(a["reason"] == "swivel" for a in alerts)
    assert all(b["t_ms"] - a["t_ms"] >= 10000 for a, b in zip(alerts, alerts[1:]))


@pytest.mark.parametrize("bad,msg", [
    ("lean_min_deg=99", "lean_min_deg"),
    ("nosuch=1", "unknown key"),
    ("mount_up=+x", "perpendicular"),  # default forward is -z... +x/+x below
    ("rate_hz", "KEY=VALUE"),
])
def test_bad_set_is_one_line_error(tmp_path, bad, msg):
    cap = _good_capture(tmp_path / "c.csv", seconds=10)
    extra = ["--set", "mount_forward=+x"] if bad.startswith("mount_up") else []
    p = _run(["replay", str(cap), "--jsonl", "--set", bad] + extra)
    assert p.returncode == 2
    err = p.stderr.strip()
    assert len(err.splitlines()) == 1 and msg in err, err


@pytest.mark.parametrize("content,lineno,words", [
    ("t_ms,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n0,0,0,1,0,0,0\n10,0,0,1,0,0\n", 3, "expected 7 values"),
    ("# c\nt_ms,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n0,0,0,1,0,0,0\n10,0,zz,1,0,0,0\n", 4, "not a number"),
    ("t_ms,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n0,0,0,1,0,0,0\n10,0,0,1,0,0,0\n5,0,0,1,0,0,0\n", 4, "not after"),
    ("time,a,b\n0,0,0\n", 1, "expected header"),
    ("t_ms,ax_g,ay_g,az_g,gx_dps,gy_dps\n0,0,0,1,0,0\n", 1, "no gz_dps"),
    ("t_ms,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps,ax_g\n0,0,0,1,0,0,0,0\n", 1, "ax_g given twice"),
    ("t_ms,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps,temp_c\n0,0,0,1,0,0,0,25\n10,0,0,1,0,0,0\n", 3, "expected 8 values"),
    ("t_ms,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n0,0,0,1,0,0,0\n10,0,0,1,0\n20,0,0,1,0,0,0", 3, "expected 7 values"),
    ("t_ms,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n0,0,0,1,0,0,0\n10.5,0,0,1,0,0,0\n10.25,0,0,1,0,0,0\n", 4, "not after"),
])
def test_malformed_csv_names_the_line(tmp_path, content, lineno, words):
    f = tmp_path / "bad.csv"
    f.write_text(content)
    with pytest.raises(CaptureError) as ei:
        read_capture(f)
    m = str(ei.value)
    assert f":{lineno}:" in m and words in m and "\n" not in m
    p = _run(["replay", str(f), "--jsonl"])
    assert p.returncode == 2 and f":{lineno}:" in p.stderr and len(p.stderr.strip().splitlines()) == 1


def _data_lines(path):
    return [ln for ln in path.read_text().splitlines() if ln and not ln.startswith("#")]


def test_torn_last_line_and_samples_not_got_are_said_and_the_rest_replayed(tmp_path):
    """A plain capture whose writing stopped mid-line (no newline after a short last line) keeps
    every whole line; a sample the logger wrote as NaN or inf is read as a dropped one (its time
    a gap); a header in capitals is the same header. Each is said in one line by replay, which
    goes on; a short line with its newline, or in the middle, stays an error (above)."""
    plain = _good_capture(tmp_path / "c.csv", seconds=40)
    lines = _data_lines(plain)
    whole = read_capture(plain)
    torn = tmp_path / "torn.csv"
    torn.write_text("\n".join(lines) + "\n" + lines[-1][:9])           # no newline: a cut write
    cap = read_capture(torn)
    assert np.array_equal(cap.t_ms, whole.t_ms) and np.array_equal(cap.gyr_dps, whole.gyr_dps)
    assert any(c.startswith("last line cut short") for c in cap.comments)
    bad = [5, 6, 7, 300]                                                 # data rows (1 = first sample)
    holes = list(lines)
    for k, v in zip(bad, ("nan", "inf", "-inf", "NaN")):
        p = holes[k].split(",")
        p[2 + k % 3] = v
        holes[k] = ",".join(p)
    holes[0] = holes[0].upper()
    nan = tmp_path / "nan.csv"
    nan.write_text("\n".join(holes) + "\n")
    cap = read_capture(nan)
    keep = np.ones(len(whole.t_ms), bool)
    keep[[k - 1 for k in bad]] = False
    assert np.array_equal(cap.t_ms, whole.t_ms[keep]) and np.array_equal(cap.acc_g, whole.acc_g[keep])
    assert "NaN or infinite values: 4 samples (the first at line 6) read as dropped" in cap.comments, cap.comments
    args = ["--jsonl", "--set", "mount_up=+z", "--set", "mount_forward=+x"]
    for f, said in ((torn, "last line cut short (line"), (nan, "NaN or infinite values: 4 samples")):
        p = _run(["replay", str(f), *args])
        assert p.returncode == 0 and p.stdout.count('"stride"') > 10, p.stderr
        assert len(p.stderr.strip().splitlines()) == 1 and said in p.stderr, p.stderr
    # nothing but NaN after the header: no samples, one line
    empty = tmp_path / "empty.csv"
    empty.write_text(lines[0] + "\n" + "0,nan,0,1,0,0,0\n10,0,nan,1,0,0,0\n")
    with pytest.raises(CaptureError, match="fewer than 2 samples"):
        read_capture(empty)


@pytest.mark.parametrize("scale", [9.80665, 1000.0, 0.0])
def test_accelerometer_not_in_g_is_one_line(tmp_path, scale):
    """A capture whose accelerometer columns are in m/s^2 or mg (a data set converted the other
    way), or all zero (a sensor that never answered), is refused in one line saying so, not
    replayed as nonsense; a board's own capture keeps what its sensor gave (units=False)."""
    plain = _good_capture(tmp_path / "c.csv", seconds=20)
    lines = _data_lines(plain)
    out = [lines[0]]
    for ln in lines[1:]:
        p = ln.split(",")
        p[1:4] = [repr(float(x) * scale) for x in p[1:4]]
        out.append(",".join(p))
    f = tmp_path / "units.csv"
    f.write_text("\n".join(out) + "\n")
    with pytest.raises(CaptureError, match="not near 1 g") as ei:
        read_capture(f)
    mean = float(np.mean(np.linalg.norm(read_capture(plain).acc_g, axis=1))) * scale
    assert 0.5 < mean / max(scale, 1e-9) < 1.5 or scale == 0.0       # the plain capture reads g
    assert f"mean |a| is {mean:.3g}," in str(ei.value) and "\n" not in str(ei.value)
    assert len(read_capture(f, units=False).t_ms) == len(lines) - 1
    p = _run(["replay", str(f)])
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and "must be in g" in p.stderr


def test_gyro_not_in_deg_per_s_is_one_line_and_no_gyro_is_said(tmp_path):
    """A gyro in rad/s (57 times less than deg/s: the pelvis's turns in gait read at most a few)
    or in mdps (past any IMU's full scale) is refused in one line naming the rate it read; an
    accelerometer-only logger (its gyro
    columns all 0) replays, and replay says its rotation is not measured; the capture in deg/s
    passes."""
    plain = _good_capture(tmp_path / "c.csv", seconds=40)
    lines = _data_lines(plain)
    args = ["--jsonl", "--set", "mount_up=+z", "--set", "mount_forward=+x"]
    ok = _run(["replay", str(plain), *args])
    assert ok.returncode == 0 and ok.stderr == "" and ok.stdout.count('"stride"') > 10
    made = {}
    for name, scale in (("rad", np.pi / 180.0), ("none", 0.0), ("mdps", 1000.0)):
        out = [lines[0]]
        for ln in lines[1:]:
            p = ln.split(",")
            p[4:7] = [repr(float(x) * scale) for x in p[4:7]]
            out.append(",".join(p))
        made[name] = tmp_path / f"{name}.csv"
        made[name].write_text("\n".join(out) + "\n")
    with pytest.raises(CaptureError, match="not deg/s") as ei:
        read_capture(made["rad"])
    secs, p99 = gait_gyro_p99(read_capture(made["rad"], units=False))
    assert secs >= 30 and 0.5 < p99 < 2.0                          # the jog's 35 s, its turns in rad/s
    assert f"at most {p99:.3g} (99th percentile) over {secs:.0f} s of gait" in str(ei.value)
    assert "\n" not in str(ei.value)
    assert len(read_capture(made["rad"], units=False).t_ms) == len(lines) - 1
    p = _run(["replay", str(made["rad"]), *args])
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and "must be in deg/s" in p.stderr
    with pytest.raises(CaptureError, match="past any IMU's full scale") as ei:
        read_capture(made["mdps"])
    assert f"rate is {p99 * 1000.0 * 180.0 / np.pi:.3g} (99th percentile)" in str(ei.value)
    cap = read_capture(made["none"])
    assert any("rotation is not measured" in c for c in cap.comments)
    p = _run(["replay", str(made["none"]), *args])
    assert p.returncode == 0 and p.stdout.count('"stride"') > 10
    assert len(p.stderr.strip().splitlines()) == 1 and "gyro reads 0 throughout" in p.stderr


def test_a_capture_cut_at_its_loggers_full_scale_is_said_and_replayed(tmp_path):
    """A logger left at +-2 g (the MPU-6050's and LSM6DS's power-on range) cuts every landing
    past 2 g: the capture replays, and replay says in one line which axis was cut, at what, and
    that lean reads forward of the truth there; a gyro cut at 125 deg/s likewise. The same
    capture uncut says nothing (a measured signal reaches its largest value once)."""
    plain = _good_capture(tmp_path / "c.csv", seconds=40)
    cap = read_capture(plain)
    assert not any(c.startswith("clipped") for c in cap.comments)
    acc = np.clip(cap.acc_g, -2.0, 2.0)
    cut = tmp_path / "cut.csv"
    write_capture(cut, cap.t_ms, acc, cap.gyr_dps, [])
    said = [c for c in read_capture(cut).comments if c.startswith("clipped")]
    assert len(said) == 1 and "az_g at +-2 g" in said[0] and "ax_g" not in said[0] and "lean" in said[0]
    args = ["--jsonl", "--set", "mount_up=+z", "--set", "mount_forward=+x"]
    p = _run(["replay", str(cut), *args])
    assert p.returncode == 0 and p.stdout.count('"stride"') > 10, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "clipped: az_g at +-2 g" in p.stderr, p.stderr
    gyr = np.clip(np.asarray(cap.gyr_dps) * 4.0, -125.0, 125.0)     # a turn of 212 deg/s cut at 125
    cutg = tmp_path / "cutg.csv"
    write_capture(cutg, cap.t_ms, cap.acc_g, gyr, [])
    said = [c for c in read_capture(cutg).comments if c.startswith("clipped")]
    assert len(said) == 1 and "gz_dps at +-125 deg/s" in said[0] and "_g at" not in said[0]


def test_columns_are_found_by_name(tmp_path):
    """A logger that writes the columns in its own order, with more of them (a magnetometer, a
    temperature), gives the same capture as the plain format; what was read past is named."""
    plain = _good_capture(tmp_path / "c.csv", seconds=20)
    lines = [ln for ln in plain.read_text().splitlines() if ln and not ln.startswith("#")]
    order = [0, 4, 5, 6, 1, 2, 3]            # t, gyro, then accel
    names = lines[0].split(",")
    other = tmp_path / "other.csv"
    with open(other, "w") as f:
        f.write(",".join([names[i] for i in order] + ["mx_ut", "temp_c"]) + "\n")
        for ln in lines[1:]:
            p = ln.split(",")
            f.write(",".join([p[i] for i in order] + ["31.5", "24.0"]) + "\n")
    a, b = read_capture(plain), read_capture(other)
    assert len(a.t_ms) > 1000
    assert np.array_equal(a.t_ms, b.t_ms) and np.array_equal(a.acc_g, b.acc_g) and np.array_equal(a.gyr_dps, b.gyr_dps)
    assert "columns read past: mx_ut, temp_c" in b.comments
    args = ["--jsonl", "--set", "mount_up=+z", "--set", "mount_forward=+x"]
    ref, got = _run(["replay", str(plain), *args]), _run(["replay", str(other), *args])
    assert got.returncode == 0 and got.stdout == ref.stdout and got.stdout.count("\n") > 10, got.stderr
    assert "columns read past: mx_ut, temp_c" in got.stderr and "read past" not in ref.stderr


def test_gzip_capture_replays_as_its_text(tmp_path):
    """A .csv.gz (how loggers and data sets ship captures) replays byte for byte as its plain CSV;
    gzip is told by its first bytes, not its name."""
    plain = _good_capture(tmp_path / "c.csv", seconds=40)
    packed = tmp_path / "c.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    odd = tmp_path / "c.dat"
    odd.write_bytes(packed.read_bytes())
    args = ["--jsonl", "--set", "mount_up=+z", "--set", "mount_forward=+x", "--set", "lean_min_deg=10"]
    ref = _run(["replay", str(plain), *args])
    for f in (packed, odd):
        got = _run(["replay", str(f), *args])
        assert got.returncode == 0 and got.stdout == ref.stdout and got.stdout.count("\n") > 20, got.stderr


def test_torn_gzip_capture_keeps_its_whole_lines(tmp_path):
    """A gzip copy cut short (a pulled cable): every whole line before the cut is read, the
    partial one dropped, and replay says so in one line and goes on."""
    plain = _good_capture(tmp_path / "c.csv", seconds=40)
    packed = gzip.compress(plain.read_bytes())
    torn = tmp_path / "torn.csv.gz"
    torn.write_bytes(packed[:len(packed) // 2])
    whole = read_capture(plain)
    cap = read_capture(torn)
    n = len(cap.t_ms)
    assert 100 < n < len(whole.t_ms)
    assert np.array_equal(cap.t_ms, whole.t_ms[:n]) and np.array_equal(cap.acc_g, whole.acc_g[:n])
    assert any(c.startswith("gzip stream cut short") for c in cap.comments)
    p = _run(["replay", str(torn), "--jsonl"])
    assert p.returncode == 0 and len(p.stderr.strip().splitlines()) == 1 and "cut short" in p.stderr


def test_not_gzip_after_its_magic_is_one_line(tmp_path):
    f = tmp_path / "bad.csv.gz"
    f.write_bytes(b"\x1f\x8b" + b"not a deflate stream at all")
    with pytest.raises(CaptureError, match="not a readable gzip stream"):
        read_capture(f)
    p = _run(["replay", str(f)])
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and "gzip" in p.stderr


def test_rate_and_missing_file(tmp_path):
    f = tmp_path / "slow.csv"
    f.write_text("t_ms,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n" + "".join(f"{i * 100},0,0,1,0,0,0\n" for i in range(20)))
    with pytest.raises(CaptureError, match=r"10\.0 Hz outside"):
        read_capture(f)
    p = _run(["replay", str(tmp_path / "nope.csv")])
    assert p.returncode == 2 and "no such file" in p.stderr


def test_fast_capture_replays_as_the_boards_imu(tmp_path):
    """A 400 Hz logger's capture replays as an IMU at 200 Hz gives the same motion (the means of
    each two samples): exactly what replaying that 200 Hz capture gives, with one line saying so."""
    slow = read_capture(_good_capture(tmp_path / "c200.csv", seconds=40, rate=200))
    t = np.arange(2 * len(slow.t_ms)) * 2.5
    fast = tmp_path / "c400.csv"
    write_capture(fast, t, np.repeat(slow.acc_g, 2, axis=0), np.repeat(slow.gyr_dps, 2, axis=0))
    cap = read_capture(fast)
    assert 395 < cap.rate_hz < 405
    o = {"mount_up": "+z", "mount_forward": "+x", "lean_min_deg": 10, "alert_after_s": 5}
    got = replay.replay(cap, o)
    want = replay.replay(block_mean(cap, 2), o)
    assert got.rate_div == 2 and got.jsonl() == want.jsonl() and len(got.jsonl()) > 20
    assert replay.replay(slow, o).rate_div == 1
    p = _run(["replay", str(fast), "--jsonl"])
    assert p.returncode == 0 and p.stderr.strip().endswith("400 Hz read as the board's IMU at 200 Hz (means of 2 samples)")
    f = tmp_path / "us.csv"       # microseconds written as ms: 100 kHz
    f.write_text("t_ms,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n" + "".join(f"{i * 0.01:.2f},0,0,1,0,0,0\n" for i in range(50)))
    with pytest.raises(CaptureError, match="outside 50-1000 Hz"):
        read_capture(f)


def test_config_file_as_the_board_keeps_it(tmp_path):
    """`--config FILE` (as `hinge config pull` writes it) replays as the same keys given with
    --set, and --set applies on top; a file the board would refuse is one line naming it."""
    cap = _good_capture(tmp_path / "c.csv", seconds=40)
    f = tmp_path / "my.json"
    f.write_text('{"version": 1, "mount_up": "+z", "mount_forward": "+x", "lean_min_deg": 10.0, "alert_after_s": 5}\n')
    sets = ["--set", "mount_up=+z", "--set", "mount_forward=+x", "--set", "alert_after_s=5"]
    a = _run(["replay", str(cap), "--jsonl", "--config", str(f)])
    b = _run(["replay", str(cap), "--jsonl", *sets, "--set", "lean_min_deg=10"])
    assert a.returncode == 0 and a.stdout == b.stdout and "upright" in a.stdout
    c = _run(["replay", str(cap), "--jsonl", "--config", str(f), "--set", "lean_min_deg=5"])
    d = _run(["replay", str(cap), "--jsonl", *sets, "--set", "lean_min_deg=5"])
    assert c.returncode == 0 and c.stdout == d.stdout and c.stdout != a.stdout
    for text, words in (('{"mount_up": "+z", "mount_forward": "+z"}', "perpendicular"),
                        ('{"mount_up": "+z",', "not valid JSON"), ('{"version": 99}', "newer than this firmware")):
        f.write_text(text)
        p = _run(["replay", str(cap), "--config", str(f)])
        assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1, p.stderr
        assert str(f) in p.stderr and words in p.stderr, p.stderr
    f.write_text('{"version": 1, "lean_min_deg": 3.0}')      # the keys checked together, file and --set
    p = _run(["replay", str(cap), "--config", str(f), "--set", "lean_back_deg=4"])
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and "must be below lean_min_deg" in p.stderr


def test_packet_stamped_capture_replays_as_its_samples(tmp_path):
    """A logger that stamps each packet on arrival (a BLE notification of 5 samples every 50 ms,
    stamped in whole ms, 0-2 ms late) repeats t_ms: its samples are put a period apart, each
    packet's last at its stamp, and the run replays as the evenly stamped one does."""
    plain = read_capture(_good_capture(tmp_path / "c.csv", seconds=40))
    t = plain.t_ms
    late = np.random.default_rng(3).uniform(0, 2, len(t) // 5 + 1)
    stamp = np.floor(t[4::5] + late[:len(t[4::5])])                  # each packet's last sample, on arrival
    n = 5 * len(stamp)
    packed = tmp_path / "packets.csv"
    write_capture(packed, np.repeat(stamp, 5), plain.acc_g[:n], plain.gyr_dps[:n], t_decimals=0)
    cap = read_capture(packed)
    assert np.all(np.diff(cap.t_ms) > 0) and 99 < cap.rate_hz < 101
    assert any(c.startswith("t_ms repeats in packets of up to 5 samples") for c in cap.comments)
    assert np.max(np.abs(cap.t_ms - t[:n])) < 3.0                   # within the stamps' own lateness
    o = {"mount_up": "+z", "mount_forward": "+x", "lean_min_deg": 10, "alert_after_s": 5}
    a = replay.replay(plain, o).dicts("stride")
    b = replay.replay(cap, o).dicts("stride")
    assert len(a) > 20 and abs(len(a) - len(b)) <= 1
    # (a stride's end is on the clock the detector finds steadier, contact or trigger, ~46 ms
    # apart on this crude jog: stamps 1 ms coarser may tip it, the stride's time is the same)
    tb = np.array([y["t_ms"] for y in b])
    matched = 0
    for x in a:
        j = int(np.argmin(np.abs(tb - x["t_ms"])))
        if abs(tb[j] - x["t_ms"]) <= 60:
            matched += 1
            y = b[j]
            assert abs(x["cadence_spm"] - y["cadence_spm"]) <= 0.5 and abs(x["lean_deg"] - y["lean_deg"]) <= 0.1, (x, y)
    assert matched >= len(a) - 2, (matched, len(a))
    p = _run(["replay", str(packed), "--jsonl"])
    assert p.returncode == 0 and p.stdout.count("\n") > 20
    # a lost packet is a gap before the next, not a slower clock
    drop = np.r_[np.arange(0, 500), np.arange(505, n)]
    lost = tmp_path / "lost.csv"
    write_capture(lost, np.repeat(stamp, 5)[drop], plain.acc_g[:n][drop], plain.gyr_dps[:n][drop], t_decimals=0)
    c2 = read_capture(lost)
    d = np.diff(c2.t_ms)
    assert 99 < c2.rate_hz < 101 and 57 < d[499] < 63 and np.all(d[500:] < 15)      # 6 periods: 5 lost
    # FIFO reads of 3-7 samples, each stamped at its last: the samples' own times, exactly
    rng = np.random.default_rng(1)
    sizes = rng.integers(3, 8, 400)
    ends = np.cumsum(sizes) - 1
    true = np.arange(ends[-1] + 1) * 10.0
    got, said = packet_times(np.repeat(true[ends], sizes))
    assert said and np.max(np.abs(got - true)) < 1e-9
    # every stamp the same: nothing to time the samples by
    same = tmp_path / "same.csv"
    same.write_text("t_ms,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n" + "".join("7,0,0,1,0,0,0\n" for _ in range(9)))
    with pytest.raises(CaptureError, match="repeats but not in packets"):
        read_capture(same)


def test_to_raw_saturates_like_the_chip(tmp_path):
    cap = read_capture(_good_capture(tmp_path / "c.csv", seconds=3))
    cap.acc_g[5] = [20.0, -20.0, 0.5]
    cap.gyr_dps[6] = [5000.0, -5000.0, 100.0]
    raw = to_raw(cap, 4096, 32800)
    assert list(raw[5, 1:4]) == [32767, -32768, 2048]
    assert list(raw[6, 4:7]) == [32767, -32768, 3280]
    assert raw[0, 0] == 0 and raw[1, 0] == 160  # 10 ms in 1/16 ms


def test_engines_identical_on_synthetic(tmp_path, mp_engine):
    cap = _good_capture(tmp_path / "c.csv", seconds=40)
    o = {"mount_up": "+z", "mount_forward": "+x", "lean_min_deg": 10, "alert_after_s": 5}
    a = replay.replay(cap, o, engine="cpython").jsonl()
    b = replay.replay(cap, o, engine=mp_engine).jsonl()
    assert a == b and len(a) > 20
    assert any('"alert"' in x for x in a)


def test_capture_on_any_clock_replays_as_the_board_runs_it(tmp_path, mp_engine):
    """A logger that stamps Unix time (1.7e12 ms, past any board's small ints) or starts its
    clock anywhere: replay runs the detector from 0, as the board does each session, and puts
    the events back on the capture's clock, on every engine: the same events as the capture
    stamped from 0, each t_ms moved by the capture's first stamp."""
    cap = _good_capture(tmp_path / "c.csv", seconds=40)
    lines = _data_lines(cap)
    o = {"mount_up": "+z", "mount_forward": "+x", "lean_min_deg": 10, "alert_after_s": 5}
    ref = replay.replay(cap, o).dicts()
    assert len(ref) > 20 and any(d["type"] == "alert" for d in ref)
    for t0 in (1733500000123, 7777):
        f = tmp_path / f"clock{t0}.csv"
        rows = [lines[0]]
        for ln in lines[1:]:
            p = ln.split(",")
            p[0] = repr(float(p[0]) + t0)
            rows.append(",".join(p))
        f.write_text("\n".join(rows) + "\n")
        for engine in ("cpython", mp_engine):
            got = replay.replay(f, o, engine=engine).dicts()
            assert len(got) == len(ref)
            assert all(g["t_ms"] == r["t_ms"] + t0 and {**g, "t_ms": 0} == {**r, "t_ms": 0} for g, r in zip(got, ref))
    p = _run(["replay", str(f)])
    assert p.returncode == 0 and "strides" in p.stdout, p.stderr


def test_worn_upside_down_engines_identical(tmp_path, mp_engine):
    """A clip worn upside down (the sensor turned 180 deg about forward, the config unchanged):
    every engine turns the frame at the same stride and prints the same bytes, and the summary
    says so."""
    cap = read_capture(_good_capture(tmp_path / "c.csv", seconds=40))
    turn = np.array([1.0, -1.0, -1.0])
    cap.acc_g = cap.acc_g * turn
    cap.gyr_dps = cap.gyr_dps * turn
    o = {"mount_up": "+z", "mount_forward": "+x", "lean_min_deg": 10, "alert_after_s": 5}
    a = replay.replay(cap, o, engine="cpython")
    b = replay.replay(cap, o, engine=mp_engine)
    assert a.jsonl() == b.jsonl() and len(a.jsonl()) > 20
    cal = [d for d in a.dicts() if d["type"] == "calibrated"]
    assert len(cal) == 1 and cal[0]["mount_flipped"] is True
    assert "worn upside down: read with mount_up -z" in replay.summary(a)


def test_turned_over_and_back_keeps_the_config(tmp_path):
    """The sensor turned over for 15 s mid-run, then back: the summary says when it read
    upside down and that the config's mount is right (no advice to change it), and the flip
    back restores the standing calibration (detector._flip)."""
    cap = read_capture(_good_capture(tmp_path / "c.csv", seconds=60))
    mid = (cap.t_ms >= 20000) & (cap.t_ms < 35000)
    turn = np.array([1.0, -1.0, -1.0])
    cap.acc_g[mid] = cap.acc_g[mid] * turn
    cap.gyr_dps[mid] = cap.gyr_dps[mid] * turn
    res = replay.replay(cap, {"mount_up": "+z", "mount_forward": "+x"})
    cal = [d for d in res.dicts() if d["type"] in ("calibrated", "calibration_fallback")]
    assert cal[-1]["type"] == "calibrated" and cal[-1]["restored"] and not cal[-1].get("mount_flipped"), cal
    text = replay.summary(res)
    assert "worn upside down" not in text, text
    assert re.search(r"read upside down from 0:2\d to 0:3\d, then the right way up again", text), text


def test_cli_engines_print_the_same_bytes(tmp_path, mp_engine):
    """`hinge replay --engine E`: each micropython build prints CPython's bytes (JSON lines, summary)."""
    cap = _good_capture(tmp_path / "c.csv", seconds=40)
    args = ["replay", str(cap), "--set", "mount_up=+z", "--set", "mount_forward=+x", "--set", "lean_min_deg=10",
            "--set", "alert_after_s=5"]
    for extra in (["--jsonl"], []):
        ref = subprocess.run(HINGE + args + extra + ["--engine", "cpython"], capture_output=True, cwd=REPO)
        got = subprocess.run(HINGE + args + extra + ["--engine", mp_engine], capture_output=True, cwd=REPO)
        assert ref.returncode == got.returncode == 0, got.stderr
        assert got.stdout == ref.stdout and ref.stdout.count(b"\n") > 8 and b"upright" in ref.stdout


def test_engine_names(tmp_path):
    cap = _good_capture(tmp_path / "c.csv", seconds=3)
    with pytest.raises(ValueError, match="unknown engine 'micropython16': use cpython, micropython, micropython32"):
        replay.replay(cap, engine="micropython16")
    p = _run(["replay", str(cap), "--engine", "micropython16"])
    assert p.returncode == 2 and "choose from 'cpython', 'micropython', 'micropython32'" in p.stderr


def test_readable_summary(tmp_path):
    cap = _good_capture(tmp_path / "c.csv", seconds=40)
    p = _run(["replay", str(cap), "--set", "mount_up=+z", "--set", "mount_forward=+x", "--set", "lean_min_deg=10",
              "--set", "alert_after_s=5"])
    assert p.returncode == 0
    assert "buzzes (what the runner felt)" in p.stdout and "upright" in p.stdout and "minute" in p.stdout


def test_cli_main_returns_2_on_error(tmp_path, capsys):
    assert cli.main(["replay", str(tmp_path / "missing.csv")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_fractional_timestamps_and_bom_accepted(tmp_path):
    """A 104 Hz logger stamps 9.615 ms apart (and may write a byte-order mark): replay keeps the
    capture's own time to 1/16 ms, with no drift however long the capture."""
    from hinge.common.capture import read_capture, to_raw

    n = 20000
    t = np.arange(n) * (1000.0 / 104.0) + 0.123
    lines = ["t_ms,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps"] + [f"{x:.4f},0,0,1,0,0,0" for x in t]
    f = tmp_path / "frac.csv"
    f.write_bytes(("\ufeff" + "\n".join(lines) + "\n").encode("utf-8"))
    cap = read_capture(f)
    assert cap.t_ms.dtype == np.float64
    assert abs(cap.rate_hz - 104.0) < 0.01
    dt = to_raw(cap, 4096, 32800)[:, 0].astype(np.int64)
    assert set(np.unique(dt[1:])) <= {153, 154}        # 9.615 ms = 153.85 / 16 ms
    assert abs(dt.sum() / 16.0 - (t[-1] - t[0])) <= 1 / 32


def test_sample_clock_takes_the_stamps_scatter_out():
    """An IMU samples on its own clock; a host stamps on arrival, late by a varying amount. The
    sample times replay uses (capture.sample_clock) are the stamps averaged within each stretch
    between gaps: the scatter shrinks, the clock's own error, every gap and the length stay."""
    from hinge.common.capture import sample_clock

    rng = np.random.default_rng(7)
    T = 20.0 * 1.015                                   # a 50 Hz IMU 1.5 % slow
    n = 6000
    keep = np.ones(n, bool)
    keep[1000:1006] = False                            # a burst of 6 dropped samples
    keep[2500] = False
    keep[4000:4020] = False                            # a 0.4 s dropout
    true = (np.arange(n) * T + 3.0)[keep]
    stamps = true + np.clip(rng.normal(0.0, 1.2, len(true)), -4.0, 4.0)
    got = sample_clock(stamps)
    raw_err = np.abs(stamps - true)
    err = np.abs(got - true)
    assert np.median(err) < np.median(raw_err) / 4, (np.median(err), np.median(raw_err))
    # the clock's error stays: the mean period over the capture is the stamps' own
    assert abs((got[-1] - got[0]) - (stamps[-1] - stamps[0])) < 1e-9
    d = np.diff(got)
    assert abs(np.median(d) - T) < 0.02
    # gaps stay gaps (each stretch's ends are its stamps), and times still increase
    for i in np.flatnonzero(np.diff(stamps) > 1.5 * T):
        assert got[i] == stamps[i] and got[i + 1] == stamps[i + 1]
    assert np.all(d > 0)
    # evenly spaced stamps (a board's rate clock, a clean logger) come back as they are
    even = np.arange(3000) * (1000.0 / 104.0) + 0.123
    assert np.max(np.abs(sample_clock(even) - even)) < 1e-9
