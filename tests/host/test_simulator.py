"""Tests of the waist-IMU simulator (host/hinge/sim/simulate.py and host/hinge/sim/).

Groups:

* realism against the real SisFall waist jogging trials (D03/D04, 4 subjects, 200 Hz): the
  simulator's running must land inside the range the real joggers span, with a stated tolerance,
  and its gyro median near theirs, so the simulated world cannot drift into an easy one;
* physical consistency: gyro integrates to the truth orientation, standing reads 1 g, the
  stride-mean accelerometer direction agrees with the truth lean, mount mapping agrees with the
  device's ``config.mount_axes``;
* truth and file format: segments/strides/episodes cover what they claim, faults have their
  stated size, CSV round trip, gaps, saturation, rates, determinism, CLI;
* the effects independent worlds have (tests/host/test_sim_effects.py): lever arm, step-to-step
  variety, IMU clock error, cheap-board timing, gaits, turns at speed, chunked synthesis.
"""
from __future__ import annotations

import gzip
import json
import time

import numpy as np
import pytest

from hinge.sim import simulate as sim
from hinge.sim.geometry import mount_matrix
from hinge.sim.truth import without_variety

SISFALL = "sisfall-waist-walk-jog"
JOG_TRIALS = [(a, s) for a in ("D03", "D04") for s in ("SA01", "SA02", "SA06", "SA07")]
# Tolerance on the real range: the simulated figure must lie in [LO * min_real, HI * max_real].
# The real joggers differ a lot (gyro p99 127-596 deg/s), so the range alone is loose: an "easy"
# simulator without impact nods, wobble and transients still lands inside [0.7 min, 1.3 max].
# Hence a 10 % margin below the gentlest real jogger, and tails of at least 60 % of the real median.
LO, HI = 0.9, 1.2
TAIL_VS_REAL_MEDIAN = 0.6
# The typical level, not just the range: the median |gyro| of simulated running must lie within
# 20 % of the median over the real jogging trials (~95 deg/s; the simulator sat at 62-70 before
# the pelvis dynamics were raised to published ranges).
GYRO_P50_VS_REAL = 0.2


# ---- helpers ---------------------------------------------------------------------------------


def load_sisfall(path):
    """(acc_g, gyr_dps) of one SisFall trial: 9 integer columns, lines end with ';'."""
    with gzip.open(path, "rt", encoding="latin-1") as f:
        rows = [ln.strip().rstrip(";").split(",")[:9] for ln in f if ln.strip()]
    a = np.array(rows, dtype=np.int64)
    return a[:, 0:3] * 32 / 8192, a[:, 3:6] * 4000 / 65536


def step_freq_hz(acc_g, fs):
    """Dominant step frequency of |acc| between 1.8 and 4 Hz (windowed FFT)."""
    x = np.linalg.norm(acc_g, axis=1)
    x = (x - x.mean()) * np.hanning(len(x))
    spec = np.abs(np.fft.rfft(x))
    fr = np.fft.rfftfreq(len(x), 1.0 / fs)
    m = (fr > 1.8) & (fr < 4.0)
    return float(fr[m][np.argmax(spec[m])])


def crude_rotation(yaw_rate_dps, fs, f_step):
    """Median per-stride p2p of the integrated yaw-rate axis after removing each stride's line.

    The same crude estimator is applied to real and simulated data (no orientation filter).
    """
    a = np.cumsum(yaw_rate_dps - yaw_rate_dps.mean()) / fs
    T = int(round(2.0 / f_step * fs))
    out = []
    for k in range(0, len(a) - T, T):
        s = a[k : k + T + 1]
        d = s - np.linspace(s[0], s[-1], len(s))
        out.append(np.ptp(d))
    return float(np.median(out))


def pitch_harmonics(gyr_dps, left, fs, f_step):
    """The pelvis's pitch within a step is no sine: the size of its 2nd and 3rd step harmonics
    against its 1st, as angles (the pitch rate's spectrum over each harmonic's number), from the
    gyro's component along the body's left axis ``left`` (sensor coordinates) at step frequency
    ``f_step`` (Hz). The same estimator on real and simulated data (no orientation filter)."""
    w = np.asarray(gyr_dps, float) @ np.asarray(left, float)
    x = (w - w.mean()) * np.hanning(len(w))
    spec = np.abs(np.fft.rfft(x))
    fr = np.fft.rfftfreq(len(x), 1.0 / fs)
    amp = [spec[np.abs(fr - k * f_step) <= 0.1 * f_step].max() / k for k in (1, 2, 3)]
    return float(np.hypot(amp[1], amp[2]) / amp[0])


def stats(acc_g, gyr_dps, fs, yaw_axis):
    gm = np.linalg.norm(gyr_dps, axis=1)
    am = np.linalg.norm(acc_g, axis=1)
    f = step_freq_hz(acc_g, fs)
    return {
        "gyro_p50": float(np.percentile(gm, 50)),
        "gyro_p95": float(np.percentile(gm, 95)),
        "gyro_p99": float(np.percentile(gm, 99)),
        "acc_p99": float(np.percentile(am, 99)),
        "step_spm": 60.0 * f,
        "rot_crude": crude_rotation(gyr_dps[:, yaw_axis], fs, f),
    }


def running_mask(cap, margin_ms=3000):
    m = np.zeros(len(cap.t_ms), bool)
    for s in cap.truth["segments"]:
        if s["activity"] == "running":
            m |= (cap.t_ms >= s["t0_ms"] + margin_ms) & (cap.t_ms < s["t1_ms"] - margin_ms)
    return m


def up_axis(mount_up):
    return "xyz".index(mount_up[1])


def med(strides, key):
    return float(np.median([s[key] for s in strides]))


_CACHE: dict = {}


def cap_of(name, seed=1, **kw):
    """Simulations are deterministic: cache them across tests."""
    key = (name, seed, tuple(sorted(kw.items())))
    if key not in _CACHE:
        _CACHE[key] = sim.simulate(name, seed=seed, **kw)
    return _CACHE[key]


# ---- realism against real joggers ------------------------------------------------------------


@pytest.fixture(scope="module")
def real_jog(real_dir):
    out = {}
    for act, subj in JOG_TRIALS:
        acc, gyr = load_sisfall(real_dir / SISFALL / f"{act}_{subj}_R01.txt.gz")
        out[f"{act}_{subj}"] = stats(acc, gyr, 200.0, yaw_axis=1)  # SisFall: +Y vertical (down)
    return out


@pytest.mark.parametrize("rate", [200.0, 104.0])
def test_running_matches_real_jog_ranges(real_jog, rate):
    cap = cap_of("good_form", seed=1, rate_hz=rate)
    m = running_mask(cap)
    s = stats(cap.acc_g[m], cap.gyr_dps[m], rate, yaw_axis=up_axis(cap.truth["mount_up"]))
    for key in ("gyro_p50", "gyro_p95", "gyro_p99", "acc_p99", "rot_crude"):
        lo = min(r[key] for r in real_jog.values())
        hi = max(r[key] for r in real_jog.values())
        assert LO * lo <= s[key] <= HI * hi, f"{key}: sim {s[key]:.1f} outside real [{lo:.1f}, {hi:.1f}] x [{LO}, {HI}]"
    # cadence: the real joggers run at 150-177 steps/min; allow 10 %
    lo = min(r["step_spm"] for r in real_jog.values())
    hi = max(r["step_spm"] for r in real_jog.values())
    assert 0.9 * lo <= s["step_spm"] <= 1.1 * hi
    # the impacts and the gyro tail must not be an easy, smooth world
    for key in ("gyro_p95", "gyro_p99", "acc_p99"):
        real_med = float(np.median([r[key] for r in real_jog.values()]))
        assert s[key] >= TAIL_VS_REAL_MEDIAN * real_med, (key, s[key], real_med)
    # ... nor a gentle one in the bulk: the median angular speed is the real joggers'
    real_p50 = float(np.median([r["gyro_p50"] for r in real_jog.values()]))
    print(f"\ngyro median |w|: sim {s['gyro_p50']:.1f} deg/s at {rate:g} Hz, real joggers {real_p50:.1f} "
          f"(trials {min(r['gyro_p50'] for r in real_jog.values()):.1f}-{max(r['gyro_p50'] for r in real_jog.values()):.1f})")
    assert abs(s["gyro_p50"] - real_p50) <= GYRO_P50_VS_REAL * real_p50, (s["gyro_p50"], real_p50)


@pytest.fixture(scope="module")
def real_jog_pitch(real_dir):
    """pitch_harmonics of the shared SisFall jogs (mount: +Y down, +Z forward, so left is -X)."""
    left = mount_matrix("-y", "+z")[1]
    out = {}
    for act, subj in JOG_TRIALS:
        acc, gyr = load_sisfall(real_dir / SISFALL / f"{act}_{subj}_R01.txt.gz")
        out[f"{act}_{subj}"] = pitch_harmonics(gyr, left, 200.0, step_freq_hz(acc, 200.0))
    return out


@pytest.mark.parametrize("rate", [200.0, 104.0])
def test_pelvis_pitch_has_real_step_harmonics(real_jog_pitch, rate):
    """The pelvis tips forward and back twice in a step, not once (a double bump: the 2nd and 3rd
    step harmonics of its pitch), and on a clip 8-15 cm behind the hip axis those harmonics are
    the lever's force in the flight (0.3-0.6 g at 6-9 Hz): what lifts the late flight's force
    toward 0.5 g before a landing, which the stride clocks must see through (device/kernel.py),
    and what the lever's fit reads in the air (device/dynamics.py). The shared
    SisFall jogs read 0.16-1.93 (2nd and 3rd harmonics against the 1st); the simulator's runner
    must lie in that range, and not below 60 % of their median: a sine-like pitch is an easier
    world (the crosscheck's runs read 0.003-0.011; this runner without its pitch harmonics and
    its belt's rocking 0.014, with the rocking alone 0.22; the control below)."""
    cap = cap_of("good_form", seed=1, rate_hz=rate)
    m = running_mask(cap)
    left = mount_matrix(cap.truth["mount_up"], cap.truth["mount_forward"])[1]
    h = pitch_harmonics(cap.gyr_dps[m], left, rate, step_freq_hz(cap.acc_g[m], rate))
    real = list(real_jog_pitch.values())
    lo, hi, mid = min(real), max(real), float(np.median(real))
    print(f"\npelvis pitch, 2nd+3rd step harmonics / 1st: sim {h:.2f} at {rate:g} Hz, real jogs "
          f"{lo:.2f}-{hi:.2f} (median {mid:.2f})")
    assert LO * lo <= h <= HI * hi, (h, lo, hi)
    assert h >= TAIL_VS_REAL_MEDIAN * mid, (h, mid)


def test_pitch_harmonics_tell_a_sine_like_pelvis(real_jog_pitch):
    """The control: the estimator reads a pitch that is a pure step sine as below the real range
    (a synthetic one, and the crosscheck's x1 where its runs are here)."""
    fs, f = 200.0, 2.8
    t = np.arange(0, 60, 1 / fs)
    w = np.zeros((len(t), 3))
    w[:, 1] = 40 * np.cos(2 * np.pi * f * t)        # 40 deg/s pitch rate about +y, no harmonics
    assert pitch_harmonics(w, (0, 1, 0), fs, f) < 0.05
    w[:, 1] += 30 * np.cos(2 * np.pi * 2 * f * t) + 30 * np.cos(2 * np.pi * 3 * f * t)
    assert pitch_harmonics(w, (0, 1, 0), fs, f) == pytest.approx(np.hypot(30 / 2, 30 / 3) / 40, rel=0.05)
    from hinge.dev import crosscheck as xc
    d = xc.data_dir()
    if xc.available(d):
        name = "x1_road_lever"
        c, cfg = xc.capture(name), xc.config(name)
        seg = next(s for s in xc.truth(name)["segments"] if s["label"] == "run")
        ts = np.asarray(c.t_ms, float) / 1000.0
        m = (ts > seg["t0"] + 3) & (ts < seg["t1"] - 3)
        rate = 1000.0 / float(np.median(np.diff(c.t_ms)))
        acc, gyr = np.asarray(c.acc_g)[m], np.asarray(c.gyr_dps)[m]
        left = mount_matrix(cfg["mount_up"], cfg["mount_forward"])[1]
        h = pitch_harmonics(gyr, left, rate, step_freq_hz(acc, rate))
        assert h < LO * min(real_jog_pitch.values()), h


def test_walking_matches_real_walk_ranges(real_dir):
    """Walking breaks against SisFall D01/D02 (slow and quick walking): gyro and |acc| tails."""
    real = []
    for act in ("D01", "D02"):
        for subj in ("SA01", "SA02", "SA06", "SA07"):
            acc, gyr = load_sisfall(real_dir / SISFALL / f"{act}_{subj}_R01.txt.gz")
            gm, am = np.linalg.norm(gyr, axis=1), np.linalg.norm(acc, axis=1)
            real.append((np.percentile(gm, 50), np.percentile(gm, 95), np.percentile(am, 99)))
    real = np.array(real)
    cap = cap_of("walk_breaks", seed=1, rate_hz=200.0)
    m = np.zeros(len(cap.t_ms), bool)
    for s in cap.truth["segments"]:
        if s["activity"] == "walking":
            m |= (cap.t_ms >= s["t0_ms"] + 3000) & (cap.t_ms < s["t1_ms"] - 3000)
    gm, am = np.linalg.norm(cap.gyr_dps[m], axis=1), np.linalg.norm(cap.acc_g[m], axis=1)
    sim_v = (np.percentile(gm, 50), np.percentile(gm, 95), np.percentile(am, 99))
    for k, name in enumerate(("gyro_p50", "gyro_p95", "acc_p99")):
        lo, hi = real[:, k].min(), real[:, k].max()
        assert LO * lo <= sim_v[k] <= HI * hi, (name, sim_v[k], lo, hi)
    # walking has no flight phase: |acc| stays well above 0 g
    assert np.percentile(am, 1) > 0.5


def test_good_form_truth_in_ordinary_and_good_ranges():
    for seed in (1, 2, 3):
        kw = {} if seed == 1 else {"minutes": 3.0}
        st = [s for s in cap_of("good_form", seed=seed, **kw).truth["strides"] if s["activity"] == "running"]
        rot = np.array([s["rotation_deg"] for s in st])
        assert 9.0 <= np.median(rot) <= 18.0  # ordinary joggers, real waist data: 9-18 deg
        assert np.percentile(rot, 95) < 17.0  # good form stays well under a 20 deg swivel limit
        assert 6.0 <= med(st, "lean_deg") <= 12.0
        assert 160.0 <= med(st, "cadence_spm") <= 185.0
        assert 8.0 <= med(st, "roll_deg") <= 16.0  # pelvic obliquity in running: ~10-15 deg p-p


# ---- physical consistency --------------------------------------------------------------------


def _rodrigues(w):
    th = np.linalg.norm(w)
    if th < 1e-15:
        return np.eye(3)
    k = w / th
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(th) * K + (1 - np.cos(th)) * K @ K


@pytest.mark.parametrize("name", ["trail", "hip_drop"])
def test_ideal_gyro_integrates_to_truth_orientation(name):
    cap = sim.simulate(name, seed=4, minutes=2.0, ideal=True)
    C = np.array(cap.truth["sensor"]["mount_matrix"])
    d2r = np.pi / 180
    se = cap.series
    R_true = sim.euler_to_matrix(se["yaw_deg"] * d2r, se["pitch_deg"] * d2r, se["roll_deg"] * d2r) @ C
    dt = 1.0 / cap.truth["rate_hz"]
    R = R_true[0].copy()
    worst = 0.0
    for i in range(1, len(cap.t_ms)):
        R = R @ _rodrigues(np.deg2rad(cap.gyr_dps[i]) * dt)
        if i % 25 == 0 or i == len(cap.t_ms) - 1:
            E = R.T @ R_true[i]
            worst = max(worst, float(np.degrees(np.arccos(np.clip((np.trace(E) - 1) / 2, -1, 1)))))
    # 2 minutes of dead reckoning through turns, impacts and hip drop: under half a degree
    assert worst < 0.5, worst
    # ... and the truth series really moves (the check is not vacuous)
    assert np.ptp(se["yaw_deg"]) > 60 or np.ptp(se["roll_deg"]) > 10


@pytest.mark.parametrize("name", ["good_form", "odd_mount", "walk_breaks"])
def test_standing_reads_one_g_on_the_mount_up_axis(name):
    cap = cap_of(name, seed=1, minutes=2.0, ideal=True)
    tr = cap.truth
    C = np.array(tr["sensor"]["mount_matrix"])
    ui = up_axis(tr["mount_up"])
    us = 1.0 if tr["mount_up"][0] == "+" else -1.0
    stands = [s for s in tr["segments"] if s["activity"] == "standing"]
    assert stands and stands[0]["t0_ms"] == 0 and stands[0]["t1_ms"] >= 5000
    s = stands[0]
    m = (cap.t_ms >= s["t0_ms"] + 200) & (cap.t_ms < s["t1_ms"] - 200)
    f = cap.acc_g[m].mean(axis=0)
    assert abs(np.linalg.norm(f) - 1.0) < 0.002
    # exactly gravity seen through the standing pelvis pitch and the mount (with its tilt)
    p = np.radians(tr["stand_pitch_deg"])
    expect = C.T @ (sim._ry(p).T @ np.array([0.0, 0.0, 1.0]))
    assert np.allclose(f, expect, atol=0.01), (f, expect)
    # and on the configured up axis: ~1 g, less the known tilt (clip tilt up to 12 deg plus a
    # standing pitch up to 6 deg; odd_mount: 20 deg clip tilt)
    tilt = np.degrees(np.arccos(np.clip(us * f[ui] / np.linalg.norm(f), -1, 1)))
    limit = 30.0 if name == "odd_mount" else 20.0
    assert us * f[ui] > 0.85 and tilt < limit
    # gyro at rest is (nearly) zero: postural sway only
    assert np.abs(cap.gyr_dps[m]).mean() < 1.0
    # with sensor errors: still about 1 g (bias 20 mg, scale 2 %)
    capn = cap_of(name, seed=1, minutes=2.0)
    mn = (capn.t_ms >= s["t0_ms"] + 200) & (capn.t_ms < s["t1_ms"] - 200)
    assert abs(np.linalg.norm(capn.acc_g[mn].mean(axis=0)) - 1.0) < 0.06


def test_mount_matrix_agrees_with_device_config():
    import config  # device/config.py (conftest puts device/ on sys.path)

    for up in config.AXES:
        for fw in config.AXES:
            if up[1] == fw[1]:
                continue
            C = sim.mount_matrix(up, fw)
            fi, fs, li, ls, ui, us = config.mount_axes(up, fw)
            v = np.array([0.3, -0.5, 0.8])  # any vector in sensor axes
            body = C @ v
            assert np.allclose(body, [fs * v[fi], ls * v[li], us * v[ui]])
            assert np.isclose(np.linalg.det(C), 1.0)


def test_stride_mean_accelerometer_direction_gives_truth_lean():
    """What a gravity-vector detector sees: stride-mean specific force, relative to standing."""
    cap = cap_of("mixed", seed=1, ideal=True)
    tr = cap.truth
    Cn = sim.mount_matrix(tr["mount_up"], tr["mount_forward"])
    st0 = tr["segments"][0]
    m = (cap.t_ms >= 500) & (cap.t_ms < st0["t1_ms"] - 500)
    body = cap.acc_g @ Cn.T  # nominal (F, L, U) axes; the small misalignment is left in
    g0 = body[m].mean(axis=0)
    p0 = np.degrees(np.arctan2(-g0[0], np.hypot(g0[1], g0[2])))
    idx = np.searchsorted(cap.t_ms, [[s["t0_ms"], s["t1_ms"]] for s in tr["strides"]])
    err = []
    for s, (i0, i1) in zip(tr["strides"], idx):
        if s["activity"] != "running":
            continue
        g = body[i0:i1].mean(axis=0)
        err.append(np.degrees(np.arctan2(-g[0], np.hypot(g[1], g[2]))) - p0 - s["lean_deg"])
    err = np.array(err)
    assert abs(np.median(err)) < 0.8
    assert np.percentile(np.abs(err), 90) < 1.5
    # the sign convention is right: upright and backward episodes are far from good running
    leans = {e["reason"]: [] for e in tr["episodes"]}
    for e in tr["episodes"]:
        leans[e["reason"]] += [s["lean_deg"] for s in _inner(tr["strides"], e["t0_ms"], e["t1_ms"])]
    assert np.median(leans["backward"]) < np.median(leans["upright"]) < 3.0


def test_truth_series_matches_stride_truth():
    cap = cap_of("trail", seed=1, ideal=True)
    tr = cap.truth
    t = cap.series["t_s"] * 1000
    se = cap.series
    checked = 0
    for s in tr["strides"][::25]:
        m = (t >= s["t0_ms"]) & (t < s["t1_ms"])
        lean = se["pitch_deg"][m].mean() - tr["stand_pitch_deg"]
        assert abs(lean - s["lean_deg"]) < 0.3
        mi = (t >= s["t0_ms"]) & (t <= s["t1_ms"])
        y = se["yaw_deg"][mi]
        d = y - np.linspace(y[0], y[-1], len(y))
        assert abs(np.ptp(d) - s["rotation_deg"]) < 1.5
        assert abs(np.ptp(se["roll_deg"][mi]) - s["roll_deg"]) < 1.5
        assert abs(s["cadence_spm"] - 120000 / (s["t1_ms"] - s["t0_ms"])) < 0.01
        checked += 1
    assert checked > 10


# ---- truth structure and scenario contents ---------------------------------------------------


@pytest.fixture(scope="module")
def all_caps():
    return {name: cap_of(name, seed=1) for name in sim.SCENARIOS}


def test_scenario_names():
    assert set(sim.SCENARIOS) == {
        "good_form", "too_upright", "swivel", "mixed", "trail", "walk_breaks", "surges", "rate_50",
        "rate_100", "rate_104", "rate_200", "odd_mount", "hip_drop", "no_standing_start", "treadmill",
        "walk_jog", "deep_walk", "cheap_50",
    }


def test_truth_structure(all_caps):
    for name, cap in all_caps.items():
        tr = cap.truth
        assert tr["scenario"] == name and tr["seed"] == 1
        dur_ms = int(round(tr["duration_s"] * 1000))
        segs = tr["segments"]
        assert segs[0]["t0_ms"] == 0 and segs[-1]["t1_ms"] == dur_ms
        for a, b in zip(segs, segs[1:]):
            assert a["t1_ms"] == b["t0_ms"] and (a["activity"], a["fault"]) != (b["activity"], b["fault"])
        for s in segs:
            assert s["activity"] in sim.ACTIVITIES and s["fault"] in (None,) + sim.FAULTS
            assert s["fault"] is None or s["activity"] == "running", name
        if name == "no_standing_start":
            assert segs[0]["activity"] == "running"
        else:
            assert segs[0]["activity"] == "standing" and segs[0]["t1_ms"] >= 5000, name
        # episodes = the fault segments, inside running
        assert [(e["reason"], e["t0_ms"], e["t1_ms"]) for e in tr["episodes"]] == [
            (s["fault"], s["t0_ms"], s["t1_ms"]) for s in segs if s["fault"]
        ]
        # strides: in order, inside moving segments, label = segment at the stride's middle
        st = tr["strides"]
        seg_t0 = np.array([s["t0_ms"] for s in segs])
        for a, b in zip(st, st[1:]):
            assert a["t1_ms"] <= b["t0_ms"]
        for s in st:
            seg = segs[int(np.searchsorted(seg_t0, (s["t0_ms"] + s["t1_ms"]) // 2, side="right")) - 1]
            assert s["activity"] == seg["activity"] != "standing"
            assert 0 <= s["t0_ms"] < s["t1_ms"] <= dur_ms
            if s["t0_ms"] - seg["t0_ms"] > 3000 and seg["t1_ms"] - s["t1_ms"] > 3000:  # away from ramps
                # running 140-200 (slow jogging from 140); walking 85-145 (brisk walking to 140)
                lo, hi = (140, 200) if s["activity"] == "running" else (85, 145)
                assert lo <= s["cadence_spm"] <= hi, (name, s)
        # strides tile the running time (no holes, at most one partial stride at each end)
        run_ms = sum(s["t1_ms"] - s["t0_ms"] for s in segs if s["activity"] == "running")
        cov = sum(s["t1_ms"] - s["t0_ms"] for s in st if s["activity"] == "running")
        n_run_segs = sum(1 for s in segs if s["activity"] == "running")
        assert cov >= run_ms - n_run_segs * 2 * 800, (name, cov, run_ms)
        assert cov <= run_ms + n_run_segs * 800


def _inner(strides, t0, t1, margin=3000):
    return [s for s in strides if s["t0_ms"] >= t0 + margin and s["t1_ms"] <= t1 - margin]


def test_fault_episodes_have_their_size(all_caps):
    """upright ~0-2 deg (limit 4), swivel >= 26 deg (limit 20), backward <= -4 deg."""
    seen = set()
    for name, cap in all_caps.items():
        tr = cap.truth
        for e in tr["episodes"]:
            assert 20000 <= e["t1_ms"] - e["t0_ms"] <= 90000, (name, e)
            st = _inner(tr["strides"], e["t0_ms"], e["t1_ms"])
            assert len(st) >= 10
            lean = np.array([s["lean_deg"] for s in st])
            rot = np.array([s["rotation_deg"] for s in st])
            if e["reason"] == "upright":
                assert lean.max() < 3.0 and np.median(lean) < 2.0 and lean.min() > -1.5, (name, lean)
                assert rot.max() < 20.0
            elif e["reason"] == "swivel":
                assert rot.min() >= 26.0, (name, rot.min())
                assert lean.min() > 4.0
            else:
                assert lean.max() <= -4.0, (name, lean.max())
            seen.add(e["reason"])
        # good running between episodes never looks like a fault
        good = [s for s in tr["strides"] if s["activity"] == "running"]
        for e in tr["episodes"]:
            good = [s for s in good if s["t1_ms"] <= e["t0_ms"] - 3000 or s["t0_ms"] >= e["t1_ms"] + 3000]
        lean = np.array([s["lean_deg"] for s in good])
        rot = np.array([s["rotation_deg"] for s in good])
        assert np.percentile(lean, 2) > 4.0 + 1.0, (name, np.percentile(lean, 2))
        if name not in ("trail",):  # switchback turns bend a few strides
            assert rot.max() < 20.0 - 2.0, (name, rot.max())
        else:
            assert np.percentile(rot, 98) < 18.0
    assert seen == set(sim.FAULTS)


def test_mixed_has_several_episodes_of_each_kind(all_caps):
    tr = all_caps["mixed"].truth
    assert 9 * 60 <= tr["duration_s"] <= 11 * 60
    reasons = [e["reason"] for e in tr["episodes"]]
    for r in sim.FAULTS:
        assert reasons.count(r) >= 1
    assert len(reasons) >= 5
    assert set(reasons) == set(sim.FAULTS)


def test_scenario_specifics(all_caps):
    run = {n: [s for s in c.truth["strides"] if s["activity"] == "running"] for n, c in all_caps.items()}
    # hip drop: big roll with ordinary rotation (must not look like a swivel)
    assert med(run["hip_drop"], "roll_deg") >= 17.0
    assert med(run["hip_drop"], "roll_deg") >= med(run["good_form"], "roll_deg") + 4.0
    assert med(run["hip_drop"], "rotation_deg") <= 14.0
    assert max(s["rotation_deg"] for s in run["hip_drop"]) < 18.0
    # trail: switchbacks of 90-180 deg, descents with lean back, uphill with more lean
    yaw = all_caps["trail"].series["yaw_deg"]
    assert np.ptp(yaw) > 150
    assert any(e["reason"] == "backward" for e in all_caps["trail"].truth["episodes"])
    assert max(s["lean_deg"] for s in run["trail"]) > 12.0
    # treadmill: no turns
    ty = all_caps["treadmill"].series["yaw_deg"]
    assert np.ptp(ty) < 25.0 and not all_caps["treadmill"].truth["episodes"]
    # walk breaks: standing stops after the start, and walking
    wb = all_caps["walk_breaks"].truth["segments"]
    assert sum(1 for s in wb[1:] if s["activity"] == "standing") >= 1
    assert sum(1 for s in wb if s["activity"] == "walking") >= 2
    # surges: cadence changes by > 6 spm between stretches
    cad = np.array([s["cadence_spm"] for s in run["surges"]])
    assert np.percentile(cad, 95) - np.percentile(cad, 5) > 6.0
    # odd mount
    tr = all_caps["odd_mount"].truth
    assert (tr["mount_up"], tr["mount_forward"]) == ("-y", "+x") and abs(tr["sensor"]["tilt_pitch_deg"] - 20) < 4
    # rates
    for r in (50, 100, 104, 200):
        assert all_caps[f"rate_{r}"].truth["rate_hz"] == r
    # walk_jog: brisk walking, then slow jogging with a swivel stretch, then walking
    acts = [(sg["activity"], sg["fault"]) for sg in all_caps["walk_jog"].truth["segments"]]
    assert acts[:4] == [("standing", None), ("walking", None), ("running", None), ("running", "swivel")]
    assert acts[-1] == ("walking", None)
    # cheap_50: 50 Hz, the cheap board, an upright stretch
    tr = all_caps["cheap_50"].truth
    assert tr["rate_hz"] == 50.0 and tr["sensor"]["board"] == "cheap"
    assert [e["reason"] for e in tr["episodes"]] == ["upright"]


# ---- file format, sensor model -----------------------------------------------------------------


def test_csv_round_trip(tmp_path):
    cap = sim.simulate("walk_breaks", seed=3, minutes=1.0)
    assert cap.t_ms.dtype == np.float64
    path = tmp_path / "wb.csv"
    sim.write_capture(cap, path)
    assert (tmp_path / "wb.truth.json").exists()
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    comments = [ln for ln in lines if ln.startswith("#")]
    assert any("scenario=walk_breaks" in c and "seed=3" in c and "rate_hz=104" in c for c in comments)
    assert any("mount_up=+x" in c and "mount_forward=-z" in c for c in comments)
    assert lines[len(comments)] == "t_ms,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps"
    first = lines[len(comments) + 2].split(",")  # (the first sample is stamped 0)
    assert len(first[0].split(".")[1]) == 3  # t_ms with decimals: the host clock to the microsecond
    assert len(first[1].split(".")[1]) == 5 and len(first[4].split(".")[1]) == 3
    back = sim.read_capture(path)
    assert back.t_ms.dtype == np.float64
    assert np.abs(back.t_ms - cap.t_ms).max() <= 5.1e-4
    assert np.any(np.abs(back.t_ms - np.round(back.t_ms)) > 0.01)  # fractional ms really written
    assert np.abs(back.acc_g - cap.acc_g).max() <= 5.1e-6
    assert np.abs(back.gyr_dps - cap.gyr_dps).max() <= 5.1e-4
    assert back.truth == json.loads(json.dumps(cap.truth)) == sim.read_truth(path)
    # the project's own capture reader accepts it
    from hinge.common.capture import read_capture

    c2 = read_capture(path)
    assert np.abs(np.asarray(c2.t_ms, float) - cap.t_ms).max() <= 5.1e-4 and c2.acc_g.shape == cap.acc_g.shape


def test_gaps_are_dropped_samples_and_jitter_is_bounded():
    cap = cap_of("mixed", seed=1)
    rate = cap.truth["rate_hz"]
    hid = cap.truth["hidden"]
    d = np.diff(cap.t_ms)
    assert (d > 0).all()
    period = 1000.0 / hid["true_rate_hz"]  # the IMU's own period, on the host's (true) clock
    gap = d > 1.5 * period
    missing = int(np.sum(np.round(d[gap] / period) - 1))
    assert missing == cap.truth["sensor"]["dropped"] > 0
    assert 0.0005 < missing / (len(cap.t_ms) + missing) < 0.005  # ~0.1 % plus rare bursts
    assert len(cap.truth["gaps"]) == int(np.sum(gap))
    # stamp jitter: 0.1-0.4 ms around the true sample time, never reordering samples
    resid = cap.t_ms - cap.series["t_s"] * 1000.0
    assert 0.1 <= hid["jitter_ms"] <= 0.4
    assert abs(np.std(resid[1:]) - hid["jitter_ms"]) < 0.1 * hid["jitter_ms"] + 0.01
    assert np.all(np.abs(d[~gap] - period) < 0.8 * period)
    # samples lie on the IMU's own grid i / (rate (1 + e))
    i = np.round(cap.series["t_s"] * hid["true_rate_hz"]).astype(int)
    assert np.allclose(cap.series["t_s"], i / hid["true_rate_hz"], atol=1e-9)
    # ideal: no gaps, the nominal grid exactly
    ideal = cap_of("mixed", seed=1, ideal=True)
    assert np.allclose(ideal.t_ms, np.arange(len(ideal.t_ms)) * 1000.0 / rate, atol=1e-6)
    assert ideal.truth["hidden"]["odr_error"] == 0.0 and ideal.truth["gaps"] == []


@pytest.mark.parametrize("rate", [50.0, 100.0, 104.0, 200.0])
def test_rate_grid(rate):
    cap = sim.simulate("good_form", seed=2, minutes=0.5, rate_hz=rate, ideal=True)
    n = len(cap.t_ms)
    assert n == int(30 * rate)
    assert np.allclose(cap.t_ms, np.arange(n) * 1000.0 / rate, atol=1e-6)


def test_quantisation_and_saturation():
    acc, gyr = sim.quantize(np.array([[20.0, -20.0, 1.0001]]), np.array([[2500.0, -2500.0, 0.04]]))
    assert acc[0, 0] == 32767 / 4096 and acc[0, 1] == -8.0 and acc[0, 2] == round(1.0001 * 4096) / 4096
    assert gyr[0, 0] == 32767 / 32.8 and gyr[0, 1] == -32768 / 32.8 and gyr[0, 2] == 1 / 32.8
    # in a capture: values sit on the int16 grid, and trail's drop-off landing saturates
    cap = cap_of("trail", seed=1)
    counts = cap.acc_g * 4096
    assert np.allclose(counts, np.round(counts), atol=1e-6)
    assert np.allclose(cap.gyr_dps * 32.8, np.round(cap.gyr_dps * 32.8), atol=1e-6)
    assert cap.acc_g.max() <= 32767 / 4096 and cap.acc_g.min() >= -8.0
    assert np.sum(np.abs(cap.acc_g) >= 32767 / 4096) >= 1
    ideal = cap_of("trail", seed=1, ideal=True)
    assert np.abs(ideal.acc_g).max() > 8.0  # the truth signal really exceeded the range


def test_sensor_errors_present_and_bounded():
    cap, ideal = cap_of("good_form", seed=1), cap_of("good_form", seed=1, ideal=True)
    sen = cap.truth["sensor"]
    hid = cap.truth["hidden"]
    assert all(0.5 <= abs(b) <= 2.0 for b in sen["gyr_bias_dps"])
    assert all(abs(b) <= 0.02 for b in sen["acc_bias_g"])
    assert all(abs(s - 1) <= 0.02 for s in sen["acc_scale"])
    # standing gyro mean ~ the bias plus the warm-up so far; noise ~0.1 deg/s
    s = cap.truth["segments"][0]
    m = (cap.t_ms >= 500) & (cap.t_ms < s["t1_ms"] - 500)
    mi = (ideal.t_ms >= 500) & (ideal.t_ms < s["t1_ms"] - 500)
    t = cap.series["t_s"][m]
    warm = np.outer(1.0 - np.exp(-t / hid["gyr_warmup_tau_s"]), hid["gyr_warmup_dps"]).mean(axis=0)
    bias_est = cap.gyr_dps[m].mean(axis=0) - ideal.gyr_dps[mi].mean(axis=0)
    assert np.allclose(bias_est, np.array(sen["gyr_bias_dps"]) + warm, atol=0.1)
    # same trajectory with and without errors
    # (the dynamics' contact times and bounce follow the step variety, which --ideal switches off)
    assert without_variety(ideal.truth["strides"]) == without_variety(cap.truth["strides"])


def test_deterministic_and_seed_dependent():
    a = sim.simulate("swivel", seed=5, minutes=1.0)
    b = sim.simulate("swivel", seed=5, minutes=1.0)
    c = sim.simulate("swivel", seed=6, minutes=1.0)
    assert np.array_equal(a.acc_g, b.acc_g) and a.truth == b.truth
    assert not np.array_equal(a.acc_g[:1000], c.acc_g[:1000])
    assert sim.SCENARIOS["swivel"](seed=5, minutes=1.0).truth == a.truth


def test_minutes_override_and_bad_arguments():
    cap = sim.simulate("mixed", seed=1, minutes=2.5)
    assert cap.truth["duration_s"] == 150.0
    with pytest.raises(ValueError):
        sim.simulate("nope")
    with pytest.raises(ValueError):
        sim.simulate("good_form", rate_hz=400)


def test_generation_makes_a_whole_run():
    t0 = time.perf_counter()
    cap = sim.simulate("mixed", seed=9)  # 10 minutes at 104 Hz
    dt = time.perf_counter() - t0
    assert cap.truth["duration_s"] >= 590 and len(cap.t_ms) > 60000
    print(f"\nmixed (10 min at 104 Hz) generated in {dt:.2f} s")  # a figure, not a test


def test_cli(tmp_path, capsys):
    assert sim.main(["--list"]) == 0
    out = capsys.readouterr().out
    assert "mixed" in out and "no_standing_start" in out and "walk_jog" in out and "cheap_50" in out
    path = tmp_path / "sub" / "g.csv"
    assert sim.main(["good_form", "--out", str(path), "--seed", "2", "--minutes", "0.5", "--rate", "50"]) == 0
    tr = sim.read_truth(path)
    assert tr["rate_hz"] == 50.0 and tr["seed"] == 2 and tr["duration_s"] == 30.0
    assert all(tr["hidden"]["effects"].values()) and tr["hidden"]["odr_error"] != 0.0
    # single effects off, a given clock error
    assert sim.main(["good_form", "--out", str(path), "--minutes", "0.5", "--without", "lever_arm,timing",
                     "--odr-error", "0.008"]) == 0
    tr = sim.read_truth(path)
    assert tr["hidden"]["odr_error"] == 0.008 and tr["hidden"]["clock_ppm"] == 8000.0
    assert not tr["hidden"]["effects"]["lever_arm"] and not tr["hidden"]["effects"]["timing"]
    assert tr["hidden"]["effects"]["clock"] and tr["sensor"]["dropped"] == 0
    assert sim.main(["good_form", "--out", str(path), "--minutes", "0.5", "--ideal"]) == 0
    assert not any(sim.read_truth(path)["hidden"]["effects"].values())
    with pytest.raises(SystemExit):
        sim.main(["not_a_scenario", "--out", str(path)])
    with pytest.raises(SystemExit):
        sim.main(["good_form", "--out", str(path), "--without", "gravity"])
