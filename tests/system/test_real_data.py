"""The detector on real third-party IMU recordings (``<real_dir>/README.md``), against references
that do not use the detector's method (loaders and references: ``hinge.dev.realdata``, per-trial figures: ``hinge.dev.realscore``;
``make bench`` prints the same figures).

1. SisFall waist jog/walk (200 Hz): jogging cadence vs a spectral reference (trial median within
   the issue's 1 spm), jogs classed running (>= 95 %); walks classed walking and never alerted, even
   under the most alert-prone settings; walking cadence within 3 spm.
2. mobgap lower-back walking (100 Hz): cadence per walking bout vs optical (Stereophoto) and
   INDIP reference cadence; step events vs the reference foot contacts; per-stride timing vs the
   reference contacts, held to the issue's cadence targets (or to the references' own
   disagreement, where that is larger).
3. x-io Fusion example (hand-held, ~100 Hz, jittery time stamps): the detector's gravity/tilt
   estimate vs ``imufusion`` (the x-io AHRS), sample by sample; also bit-identity under micropython.
4. adeptdata 25-min outdoor run (hip belt, 100 Hz, accel only, an ankle sensor for reference):
   cadence per 10-s window over the whole run, its stops not called running.

Run ``pytest tests/system/test_real_data.py -s`` (or ``-rP``) to see the per-trial / per-bout tables; a
failing trial prints its whole figure row. ``HINGE_ENGINES=cpython,micropython`` replays the
SisFall and mobgap checks under more engines (default cpython).
"""
from __future__ import annotations

import functools
import json
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pytest

from hinge.coach import evaluate, replay
from hinge.common import devpath
from hinge.common.capture import to_raw
from hinge.dev import realdata as rd
from hinge.dev import realscore as rs
from hinge.dev import variants
from hinge.dev import walkscore as ws

ENGINES = evaluate.accuracy_engines()
SISFALL_MOUNT = rd.SISFALL_MOUNT
MOBGAP_MOUNT = rd.MOBGAP_MOUNT
XIO_MOUNT = rd.XIO_MOUNT

# ---- 1. SisFall ------------------------------------------------------------------------
# targets and their reasons: hinge.dev.realscore (JOG_CADENCE_TOL_SPM, WALK_RUNNING_MAX_PCT, ...)
def _smooth(x, seconds, fs):
    """Centred moving average (a low-pass with its first zero at 1/seconds Hz)."""
    n = max(1, int(seconds * fs))
    return np.convolve(np.asarray(x, dtype=np.float64), np.ones(n) / n, mode="same")


def test_sisfall_forward_axis(real_dir):
    """Which way is forward on the SisFall belt? Two independent physical arguments say +z.

    Up is -y (the README: mean acc_y ~ -1 g, so +y points down). Then forward = +z makes
    left = up x forward = (-y) x z = -x; forward = -z would make left = +x.

    (a) Turns: walking/jogging around a curve at speed v with yaw rate w (about up, + = turning
        left) needs a centripetal specific force v*w toward the centre, i.e. to the LEFT. So the
        yaw rate and the left acceleration, both smoothed over a few strides (two 3-s moving averages,
        which remove the per-stride sway), correlate positively. With
        up = -y, yaw rate = -gyr_y; we find corr(-gyr_y, acc_x) < 0, i.e. left = -x -> forward = +z.
        (Assumes the gyro shares the accelerometer's right-handed axes, as the README states.)
    (b) Speed: pelvis/trunk forward lean grows from walking to jogging, and a forward pitch p puts
        -sin(p) g on the forward axis. Every subject's mean acc_z is more negative jogging than
        walking: what forward = +z predicts (forward = -z would mean leaning further BACK when
        jogging). The standing-like offsets of -0.02..-0.46 g on z also have the sign of mobgap's
        belt sensor, whose z is documented as forward (-0.24..-0.45 g).
    """
    fs = rd.SISFALL_RATE_HZ
    corrs = []
    for act in rd.SISFALL_ACTIVITIES:
        for subj in rd.SISFALL_SUBJECTS:
            cap = rs.sisfall_capture(real_dir, act, subj)
            yaw = _smooth(_smooth(-cap.gyr_dps[:, 1], 3.0, fs), 3.0, fs)
            ax = _smooth(_smooth(cap.acc_g[:, 0], 3.0, fs), 3.0, fs)
            corrs.append(float(np.corrcoef(yaw, ax)[0, 1]))
    print(f"\nSisFall corr(yaw rate about up, acc_x), 16 trials: {np.round(corrs, 2).tolist()}")
    assert sum(c < 0 for c in corrs) >= 15, corrs
    assert np.median(corrs) < -0.3, corrs
    for subj in rd.SISFALL_SUBJECTS:
        walk = np.mean([rs.sisfall_capture(real_dir, a, subj).acc_g[:, 2].mean() for a in ("D01", "D02")])
        jog = np.mean([rs.sisfall_capture(real_dir, a, subj).acc_g[:, 2].mean() for a in ("D03", "D04")])
        print(f"SisFall {subj}: mean acc_z walking {walk:+.3f} g, jogging {jog:+.3f} g")
        assert jog < walk, (subj, walk, jog)


def _row_fail(kind, r, misses):
    return f"SisFall {r['trial']} ({kind}) [{r['engine']}] misses: {'; '.join(misses)}\n{json.dumps(r)}"


def _print_trial(r):
    print(f"\nSisFall {r['trial']} ({r['activity']}) [{r['engine']}]: ref {r['ref_spm']:6.1f} spm "
          f"({r['ref_windows']} windows, range {r['ref_range_spm']}), detector {r['det_spm']:6.1f} "
          f"(diff {r['diff_spm']:+5.2f}), {r['strides']} strides, class share after 5 s {r['class_share_pct']} %, "
          f"running {r['running_strides']} ({r['running_pct']} %, longest {r['longest_running_ms']} ms), "
          f"per-window median |err| {r['window_err_med_spm']} (max {r['window_err_max_spm']}), "
          f"alerts {r['alerts']} / alert-prone {r['alerts_prone']}")


JOG = [(a, s) for a in rs.SISFALL_JOGS for s in rd.SISFALL_SUBJECTS]
WALK = [(a, s) for a in rs.SISFALL_WALKS for s in rd.SISFALL_SUBJECTS]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("act,subj", JOG, ids=[f"{a}_{s}" for a, s in JOG])
def test_sisfall_jog_cadence_and_running(real_dir, act, subj, engine):
    """Jogs: trial median cadence within 1 spm of the reference, median per-window |error| within
    3 spm, >= 95 % of the strides after 5 s classed running."""
    r = rs.sisfall_trial(real_dir, act, subj, engine)
    _print_trial(r)
    assert r["ref_windows"] >= rs.MIN_REF_WINDOWS, f"reference: only {r['ref_windows']} 10-s windows where step and sway agree"
    assert r["strides_after_settle"] >= 20, r
    misses = rs.sisfall_cadence_misses(r) + rs.sisfall_activity_misses(r)
    assert not misses, _row_fail("jog", r, misses)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("act,subj", WALK, ids=[f"{a}_{s}" for a, s in WALK])
def test_sisfall_walk_is_walking_and_never_alerted(real_dir, act, subj, engine):
    """Walks: at most 2 % of strides called running (why: rs.WALK_RUNNING_MAX_PCT), and no alert,
    neither under the default config nor under the most alert-prone one the config allows."""
    r = rs.sisfall_trial(real_dir, act, subj, engine)
    _print_trial(r)
    assert r["strides"] >= 40, r
    misses = rs.sisfall_activity_misses(r)
    assert not misses, _row_fail("walk", r, misses)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("act,subj", WALK, ids=[f"{a}_{s}" for a, s in WALK])
def test_sisfall_walk_cadence(real_dir, act, subj, engine):
    """Walking cadence: trial median within 3 spm of the reference, and per 10-s window (median
    |error| over the trial's windows) within 3 spm. SA07's slow walk (82-98 spm) is the hardest gait
    here: the low-passed vertical force peaks ~1.25-1.30 g at each step, has a second hump of
    1.10-1.15 g ~200 ms later and stays at 0.96-0.98 g between steps; the detector must not
    double-count it."""
    r = rs.sisfall_trial(real_dir, act, subj, engine)
    _print_trial(r)
    assert r["ref_windows"] >= rs.MIN_REF_WINDOWS, f"reference: only {r['ref_windows']} 10-s windows where step and sway agree"
    misses = rs.sisfall_cadence_misses(r)
    assert not misses, _row_fail("walk", r, misses)


@pytest.mark.parametrize("act,subj", JOG + WALK, ids=[f"{a}_{s}" for a, s in JOG + WALK])
def test_sisfall_at_a_cheap_boards_rate_meets_the_same_targets(real_dir, act, subj):
    """Every trial read as a 50 Hz IMU would give it (block means of four samples,
    ``capture.block_mean``): real landings, flights and walking force humps one sample pair
    apart meet the targets the 200 Hz trial does (cadence, class, no alert while walking)."""
    r = rs.sisfall_trial(real_dir, act, subj, k=4)
    _print_trial(r)
    assert r["strides"] >= 40, r
    misses = rs.sisfall_cadence_misses(r) + rs.sisfall_activity_misses(r)
    assert not misses, _row_fail("50 Hz", r, misses)


# the crosscheck variants' clip moved up the belt (hinge.dev.variants.LEVERS), from where SisFall's sat
CLIP_HIGHER_M = variants.LEVERS["sensor 5 cm higher"][0]


@pytest.mark.parametrize("act,subj", JOG + WALK, ids=[f"{a}_{s}" for a, s in JOG + WALK])
def test_sisfall_with_the_clip_higher_on_the_belt_meets_the_same_targets(real_dir, act, subj):
    """Every trial as the sensor 5 cm higher on the belt would give it (a point further up the
    rigid pelvis: the pitch's acceleration times the height, forward, from the trial's own gyro;
    ``realscore.sisfall_capture``): the targets the trial meets as recorded (cadence, class, no
    alert while walking). The energy phase reads that forward force; before it weighed a clip's
    height (dynamics.py, D_EPL, D_FLU), D04_SA01 and D04_SA07 ran 91 and 89 % of their strides."""
    r = rs.sisfall_trial(real_dir, act, subj, up_m=CLIP_HIGHER_M)
    _print_trial(r)
    assert r["strides"] >= 40, r
    misses = rs.sisfall_cadence_misses(r) + rs.sisfall_activity_misses(r)
    assert not misses, _row_fail("clip 5 cm higher", r, misses)


@pytest.mark.parametrize("act,subj", [("D04", "SA07"), ("D01", "SA07")])
def test_sisfall_micropython_engine_identical(real_dir, act, subj, mp_engine):
    """The viper kernel under each unix-port micropython build gives the same events on real data."""
    mp = rs.sisfall_replay(real_dir, act, subj, mp_engine)
    cp = rs.sisfall_replay(real_dir, act, subj, "cpython")
    assert mp.events == cp.events
    assert len(mp.dicts("stride")) >= 50


# ---- 2. mobgap lower-back walking vs optical / INDIP reference ---------------------------
STRAIGHT_TOL_SPM = 3.0   # every straight-walk bout (Test5)
BOUTS_MEDIAN_TOL_SPM = 5.0  # median over all bouts compared, per reference system


@pytest.mark.parametrize("engine", ENGINES)
def test_adept_outdoor_run_cadence(real_dir, engine):
    """adeptdata's 25-min outdoor run (another runner, a hip belt, accel only): per 10-s window
    the detector's cadence vs the hip-and-ankle reference (hinge.dev.realdata.adept_reference):
    median and p90 |error| within the issue's 1 / 3 spm, >= 95 % of the running windows
    measured as running, the walking stretches (stops between runs) not called running."""
    if not rs.adept_present(real_dir):
        pytest.skip(f"no {rd.ADEPT_DIR} in {real_dir}")
    r = rs.adept_row(real_dir, engine)
    print("\n" + json.dumps(r))
    assert r["running_windows"] >= 80 and r["walking_windows"] >= 5, r     # the reference found the run and its stops
    assert r["walking_strides"] >= 30, r
    misses = rs.adept_misses(r)
    assert not misses, f"adept run [{engine}] misses: {'; '.join(misses)}\n{json.dumps(r)}"


@functools.cache
def _mobgap_bout_table(real_dir, engine="cpython"):
    """Per reference MicroWB bout: reference vs detector cadence (strides centred in the bout)."""
    bouts = [b for b in rd.mobgap_bouts(real_dir) if b["level"] == "MicroWB"]
    rows = []
    for tr in rd.mobgap_trials(real_dir):
        cap, strides = rs.mobgap_replay(real_dir, tr, engine)
        mid, _, cad, run = rd.stride_arrays(strides, int(cap.t_ms[0]))
        for b in bouts:
            if (b["cohort"], b["participant"], b["test"], b["trial"]) != tr:
                continue
            assert b["imu_samples_in_trial"] == len(cap.t_ms), (tr, b["imu_samples_in_trial"], len(cap.t_ms))
            ref = b["cadence_steps_per_min"]
            sel = (mid >= b["start_s"]) & (mid <= b["end_s"])
            n = int(sel.sum())
            det = float(np.median(cad[sel])) if n else float("nan")
            rows.append(dict(trial="_".join(tr), test=b["test"], system=b["system"], wb=b["wb_id"],
                             start=b["start_s"], end=b["end_s"], turn=b["turning_flag"], ref=ref,
                             expected=b["duration_s"] * ref / 120.0, n=n, det=det, err=det - ref,
                             running=int(run[sel].sum())))
    return rows


def _print_bouts(rows, title):
    print(f"\n{title}")
    print(" trial                 system       wb  start-end (s)   turn  ref spm  strides exp/det  det spm   err")
    for r in rows:
        print(f" {r['trial']:<21} {r['system']:<11} {r['wb']:>3}  {r['start']:6.1f}-{r['end']:6.1f}  {r['turn']:>5}"
              f"  {r['ref']:7.1f}  {r['expected']:7.1f}/{r['n']:<3d}  {r['det']:7.1f} {r['err']:+6.1f}")


@pytest.mark.parametrize("engine", ENGINES)
def test_mobgap_straight_walk_cadence(real_dir, engine):
    """Test5 (short straight walks): every bout that holds >= 3 strides is found and within 3 spm."""
    rows = [r for r in _mobgap_bout_table(real_dir, engine) if r["test"] == "Test5"]
    _print_bouts(rows, "mobgap straight walks (Test5), detector strides centred inside each reference bout")
    assert len(rows) >= 8
    for r in rows:
        assert r["running"] == 0, r
        if r["expected"] >= 3.0:
            assert r["n"] >= 3, f"detector found {r['n']} strides in a bout of {r['expected']:.1f}: {r}"
        if r["n"] >= 3:
            assert abs(r["err"]) <= STRAIGHT_TOL_SPM, r


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("system", ["Stereophoto", "INDIP"])
def test_mobgap_bout_cadence(real_dir, system, engine):
    """All bouts (straight walks + daily living, with turns): median |error| <= 5 spm per system.

    Bouts where the detector reports fewer than 3 strides are not compared (its median would be
    one or two strides); they are listed as misses, and at least half of the bouts that hold
    3 strides must be compared.
    """
    rows = [r for r in _mobgap_bout_table(real_dir, engine) if r["system"] == system]
    _print_bouts(rows, f"mobgap reference {system}: all MicroWB bouts")
    used = [r for r in rows if r["n"] >= 3]
    eligible = [r for r in rows if r["expected"] >= 3.0]
    missed = [r for r in eligible if r["n"] < 3]
    errs = np.abs([r["err"] for r in used])
    daily = np.abs([r["err"] for r in used if r["test"] == "Test11"])
    exp_total = sum(r["expected"] for r in eligible)
    det_total = sum(r["n"] for r in eligible)
    print(f" {system}: {len(used)} bouts compared, median |err| {np.median(errs):.1f} spm, max {errs.max():.1f}; "
          f"daily-living (Test11) median |err| {np.median(daily):.1f} over {len(daily)}; "
          f"{len(missed)} of {len(eligible)} bouts holding >= 3 strides got < 3 detector strides; "
          f"stride yield {det_total}/{exp_total:.0f} = {100 * det_total / exp_total:.0f} %")
    assert all(r["running"] == 0 for r in rows)
    assert len(used) >= 8
    assert len(used) >= 0.5 * len(eligible)
    assert np.median(errs) <= BOUTS_MEDIAN_TOL_SPM, errs


IC_WINDOW_S = rs.IC_WINDOW_S   # a detector step this close to a reference initial contact finds it
STEP_RECALL_STRAIGHT = 0.90


def test_mobgap_steps_vs_initial_contacts(real_dir):
    """Step events vs the reference initial contacts (foot strikes).

    The trigger fires on the rising low-passed vertical force, within ~0.1 s of the foot strike
    (measured here: median latency -50..+50 ms per trial). Straight walks: >= 90 % of the reference
    contacts found, and at most 5 % as many detector steps inside bouts that match no contact. Daily-living
    recall is printed (slow, short, turning steps: known to be lower).
    """
    ics = rd.mobgap_initial_contacts(real_dir)
    cfg = replay.load_config(MOBGAP_MOUNT)
    lsb_g, lsb_k = replay.scales(cfg)
    tot = {}
    print("\nmobgap steps vs reference initial contacts (IC)")
    print(" trial                 system       ICs  found  recall  extra steps in bouts  latency p50 ms")
    for tr in rd.mobgap_trials(real_dir):
        cap = rd.mobgap(real_dir, *tr)
        _, steps = rd.feed_per_sample(to_raw(cap, lsb_g, lsb_k), cfg, lsb_g, lsb_k, int(cap.t_ms[0]))
        steps_s = (steps - cap.t_ms[0]) / 1000.0
        for system in ("Stereophoto", "INDIP"):
            rows = [r for r in ics if (r["cohort"], r["participant"], r["test"], r["trial"]) == tr
                    and r["system"] == system]
            if not rows:
                continue
            ic = np.array(sorted(r["ic_time_s"] for r in rows))
            lat = []
            for t in ic:
                m = steps_s[(steps_s >= t + IC_WINDOW_S[0]) & (steps_s <= t + IC_WINDOW_S[1])]
                if len(m):
                    lat.append(m[0] - t)
            extra = 0
            for wb in sorted({r["wb_id"] for r in rows}):
                wic = np.array(sorted(r["ic_time_s"] for r in rows if r["wb_id"] == wb))
                inb = steps_s[(steps_s >= wic[0] + IC_WINDOW_S[0]) & (steps_s <= wic[-1] + IC_WINDOW_S[1])]
                extra += sum(1 for s in inb if not np.any((s >= wic + IC_WINDOW_S[0]) & (s <= wic + IC_WINDOW_S[1])))
            key = (tr[2], system)
            f, n, e = tot.get(key, (0, 0, 0))
            tot[key] = (f + len(lat), n + len(ic), e + extra)
            print(f" {'_'.join(tr):<21} {system:<11} {len(ic):4d}  {len(lat):5d}  {100 * len(lat) / len(ic):5.0f} %"
                  f"  {extra:20d}  {1000 * np.median(lat) if lat else float('nan'):14.0f}")
    for (test, system), (f, n, e) in sorted(tot.items()):
        print(f" {test:<6} {system:<11}: {f}/{n} ICs found ({100 * f / n:.0f} %), {e} extra steps inside bouts")
    for system in ("Stereophoto", "INDIP"):
        f, n, e = tot[("Test5", system)]
        assert f >= STEP_RECALL_STRAIGHT * n, (system, f, n)
        assert e <= 0.05 * n, (system, e, n)


MIN_TIMED_STRIDES = 10   # Test5: 5 straight walks x ~3-4 timed strides per system (16 / 12 today); fewer = matching broke


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.xfail(strict=True, reason=(
    "walking per-stride timing on Test5's 14-17 strides: 1.56 / 4.31 spm (median / p90) from the "
    "optical contacts, 1.16 / 2.43 from the INDIP ones, which agree with each other within 0.92 / "
    "2.47; walking strides are timed by their steps' shape (device/walkclock.py: 1.76 / 5.28 and "
    "0.85 / 3.06 by the trigger), which meets the targets on IPOL's 19 walkers (0.62 / 2.31) but "
    "not on these few"))
def test_mobgap_stride_timing_vs_contacts(real_dir, engine):
    """Per-stride timing on the straight walks (Test5): each reported stride whose two ends are
    reference foot contacts (two contacts apart) gives cadence vs 120 / (contact interval).

    Held to the issue's cadence targets (median |error| <= 1 spm, p90 <= 3 spm), or to the two
    reference systems' own disagreement on the same strides (Stereophoto vs INDIP contacts), where
    that is larger: no detector can be judged closer to a reference than the references are to
    each other. Daily living (Test11: turns, short bouts, sitting) is printed, not judged.
    """
    t = rs.mobgap_stride_timing(real_dir, engine)
    rows = rs.mobgap_timing_rows(real_dir, engine)
    print(f"\nmobgap per-stride cadence vs reference contacts [{engine}]")
    print(" trial                 system       wb     t (s)  det spm  ref spm    err")
    for s in t["strides"]:
        print(f" {s['trial']:<21} {s['system']:<11} {s['wb']:>3}  {s['t_s']:8.2f}  {s['det']:7.1f}  {s['ref']:7.1f}"
              f"  {s['err']:+5.1f}")
    for r in rows:
        print(" " + json.dumps(r))
    for r in rows:
        if r["test"] == "Test5":
            assert r["strides"] >= MIN_TIMED_STRIDES, r
    misses = [f"{m}\n  {json.dumps(r)}" for r in rows for m in rs.mobgap_timing_misses(r)]
    assert not misses, "mobgap straight-walk stride timing misses:\n" + "\n".join(misses)


# ---- 3. x-io: tilt vs imufusion ------------------------------------------------------------
# Bounds from what agreeing gravity filters achieve on this recording (68 % of it at rest, rotations
# up to ~365 deg/s): imufusion (gain 0.5 = ~2 s accelerometer time constant) and a float
# complementary filter at tau = 2 s agree within ~0.4 deg at p95; a 10 % gyro scale error already
# gives ~5 deg p95, a flipped gyro axis ~30 deg. The worst moments (~10 deg) are a 5-s burst of fast
# rotation (150-365 deg/s, |a| up to 1.55 g) at ~66-71 s where filter gains legitimately differ
# (ours trusts the accelerometer with tau = 1 s); even imufusion with rejection and magnetometer
# (the stored "advanced" columns) differs from its own simple mode by 6 deg there.
TILT_MEDIAN_DEG = 0.5
TILT_P95_DEG = 2.0
TILT_MAX_DEG = 15.0
TILT_QUIET_P99_DEG = 1.5   # samples with |gyro| < 50 deg/s


_angle_deg = rs.angle_deg
_xio_raw = rs.xio_raw
_xio_detector_up = rs.xio_detector_up


def _imufusion_up(real_dir):
    pytest.importorskip("imufusion")
    return rs.imufusion_up(real_dir)


def _euler_up(roll_deg, pitch_deg):
    """Up vector in the sensor frame from ZYX Euler roll/pitch (quaternion_to_euler, NWU/ENU):
    R = Rz(yaw) Ry(pitch) Rx(roll) maps sensor -> earth, so up_sensor = R^T e_z."""
    r = np.radians(roll_deg)
    p = np.radians(pitch_deg)
    return np.stack([-np.sin(p), np.sin(r) * np.cos(p), np.cos(r) * np.cos(p)], axis=1)


def test_xio_tilt_matches_imufusion(real_dir):
    cap, keep = rd.xio(real_dir)
    g = _xio_detector_up(real_dir) / float(1 << 24)
    ref = _imufusion_up(real_dir)
    d_up = _angle_deg(g, ref)                                   # angle between the up vectors
    tilt_det = np.degrees(np.arccos(np.clip(g[:, 2] / np.linalg.norm(g, axis=1), -1, 1)))
    tilt_ref = np.degrees(np.arccos(np.clip(ref[:, 2], -1, 1)))
    d_tilt = np.abs(tilt_det - tilt_ref)                        # tilt from the sensor z axis
    # the stored "simple" Euler columns (fixed dt = 10 ms, so they differ a little at time gaps)
    stored = rd.xio_reference(real_dir)
    sroll = stored["simple_roll_deg"][keep]
    spitch = stored["simple_pitch_deg"][keep]
    d_conv = _angle_deg(ref, _euler_up(sroll, spitch))          # checks the Euler mapping itself
    pitch = np.degrees(np.arctan2(-g[:, 0], np.hypot(g[:, 1], g[:, 2])))
    roll = np.degrees(np.arctan2(g[:, 1], g[:, 2]))
    d_pitch = np.abs(pitch - spitch)
    d_roll = np.abs((roll - sroll + 180.0) % 360.0 - 180.0)
    w = np.linalg.norm(cap.gyr_dps, axis=1)
    quiet = w < 50.0
    t = (cap.t_ms - cap.t_ms[0]) / 1000.0
    worst = int(np.argmax(d_up))

    def stats(x):
        return f"median {np.median(x):5.2f}  p95 {np.percentile(x, 95):5.2f}  max {x.max():6.2f} deg"

    print(f"\nx-io ({len(t)} samples, {t[-1]:.1f} s), detector vs imufusion (true dt):")
    print(f"  up-vector angle      {stats(d_up)}")
    print(f"  tilt-from-z diff     {stats(d_tilt)}")
    print(f"  |gyro| < 50 deg/s    {stats(d_up[quiet])}  p99 {np.percentile(d_up[quiet], 99):.2f} ({quiet.sum()} samples)")
    print(f"  |gyro| >= 150 deg/s  {stats(d_up[w >= 150])}  ({(w >= 150).sum()} samples)")
    print(f"  vs stored simple: pitch {stats(d_pitch)}; roll {stats(d_roll)}")
    print(f"  worst at t={t[worst]:.2f} s (|gyro| {w[max(0, worst - 100):worst + 1].max():.0f} deg/s in the "
          f"second before); our imufusion vs stored simple: {stats(d_conv)}")
    # the Euler convention mapping is right (our imufusion run vs the stored one, same filter)
    assert np.median(d_conv) < 0.1
    assert np.median(d_up) <= TILT_MEDIAN_DEG
    assert np.percentile(d_up, 95) <= TILT_P95_DEG
    assert d_up.max() <= TILT_MAX_DEG
    assert np.percentile(d_up[quiet], 99) <= TILT_QUIET_P99_DEG
    assert np.median(d_tilt) <= TILT_MEDIAN_DEG and np.percentile(d_tilt, 95) <= TILT_P95_DEG
    for d in (d_pitch, d_roll):
        assert np.median(d) <= TILT_MEDIAN_DEG and np.percentile(d, 95) <= 2 * TILT_P95_DEG


_MP_UP_SCRIPT = textwrap.dedent("""\
    # feeds raw samples one at a time; prints the gravity-up estimate (Q24) after each
    import sys
    from array import array
    import config, detector, kernel
    raw, lsb_g, lsb_k, t0, up, fwd = sys.argv[1:7]
    det = detector.Detector(config.validate({"mount_up": up, "mount_forward": fwd}), int(lsb_g), int(lsb_k))
    det.start(int(t0))
    st = det.st
    buf = array("h", bytes(14))
    w = sys.stdout.write
    with open(raw, "rb") as f:
        while f.readinto(buf) == 14:
            det.feed(buf, 1)
            det.q.clear()
            w("%d %d %d\\n" % (st[kernel.S_GF], st[kernel.S_GL], st[kernel.S_GU]))
    """)


def test_xio_tilt_micropython_identical(real_dir, tmp_path, micropython):
    """The same per-sample gravity estimate, bit for bit, from the viper kernel under micropython."""
    mp = micropython
    cap, keep, cfg, lsb_g, lsb_k, raw = _xio_raw(real_dir)
    rawf = tmp_path / "xio.bin"
    rawf.write_bytes(raw.astype("<i2").tobytes())
    script = tmp_path / "mp_up.py"
    script.write_text(_MP_UP_SCRIPT)
    p = subprocess.run([mp, "-X", "heapsize=256K", str(script), str(rawf), str(lsb_g), str(lsb_k),
                        str(int(cap.t_ms[0])), XIO_MOUNT["mount_up"], XIO_MOUNT["mount_forward"]],
                       capture_output=True, text=True, env=devpath.micropython_env(), timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    got = np.array([[int(v) for v in ln.split()] for ln in p.stdout.splitlines()], dtype=np.int64)
    want = _xio_detector_up(real_dir)
    assert got.shape == want.shape
    bad = np.nonzero(np.any(got != want, axis=1))[0]
    assert bad.size == 0, f"first difference at sample {bad[0]}: mp {got[bad[0]]} vs cpython {want[bad[0]]}"


def test_bench_real_rows(real_dir, capsys):
    """`make bench` prints one JSON line per SisFall trial (read at 200 Hz and at 50 Hz), per mobgap
    test/system, GaitPy's walk and the x-io tilt, each with its missed targets, and a readable table."""
    from hinge.dev import bench

    table = bench.bench_real("cpython")
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    sets = [r.get("set") for r in rows]
    assert sets.count("sisfall") == 32 and sets.count("mobgap") == 4 and sets.count("gaitpy") == 1, sets
    rates = [r["rate_hz"] for r in rows if r.get("set") == "sisfall"]
    assert rates == [200] * 16 + [50] * 16, rates
    assert all(r["world"] == "real" for r in rows)
    assert all("misses" in r for r in rows if r["set"] != "xio")
    assert "SisFall" in table and "read at 50 Hz" in table and "mobgap" in table and "x-io" in table
    assert "GaitPy demo walk" in table
    for r in rows:
        if r["set"] == "sisfall":
            assert r["misses"] == rs.sisfall_cadence_misses(r) + rs.sisfall_activity_misses(r)
            assert 9.0 < r["log_bytes_per_stride"] < 13.0, r      # (the figure; its bound: test_log_real)
    assert "log B/stride" in table


def test_whole_sisfall_tool_scores_a_dataset_layout(real_dir, tmp_path, capsys):
    """hinge.dev.sisfall_all (every subject of the whole dataset, held out) reads the dataset's own
    layout (SAxx/D0x_SAxx_R01.txt) and scores each trial exactly as the subset here is scored."""
    import gzip

    from hinge.dev import sisfall_all
    for act in ("D01", "D04"):
        src = Path(real_dir) / rd.SISFALL_DIR / f"{act}_SA07_R01.txt.gz"
        (tmp_path / "SA07").mkdir(exist_ok=True)
        (tmp_path / "SA07" / f"{act}_SA07_R01.txt").write_bytes(gzip.decompress(src.read_bytes()))
    (tmp_path / "SA07" / "D05_SA07_R01.txt").write_text("")      # not a walk or a jog: left out
    assert sisfall_all.trials(tmp_path) == [("D01", "SA07"), ("D04", "SA07")]
    assert sisfall_all.main([str(tmp_path), "--jsonl", str(tmp_path / "o.jsonl")]) == 0
    out = capsys.readouterr().out
    rows = [json.loads(x) for x in (tmp_path / "o.jsonl").read_text().splitlines()]
    for r in rows:
        ref = rs.sisfall_trial(real_dir, r["trial"][:3], "SA07")
        assert {k: r[k] for k in ref} == ref, r["trial"]
    assert "young walks: 1 of 1 trials meet every target" in out and "young jogs: 1 of 1" in out
    # at a cheap board's rate: the same trials, read from block means of four samples
    assert sisfall_all.main([str(tmp_path), "--rate", "50", "--jsonl", str(tmp_path / "o50.jsonl")]) == 0
    out = capsys.readouterr().out
    rows = [json.loads(x) for x in (tmp_path / "o50.jsonl").read_text().splitlines()]
    for r in rows:
        assert {k: r[k] for k in ref} == rs.sisfall_trial(real_dir, r["trial"][:3], "SA07", k=4), r["trial"]
    assert "young walks: 1 of 1 trials meet every target" in out and "young jogs: 1 of 1" in out
    assert sisfall_all.main([str(tmp_path), "--rate", "60"]) == 2
    assert "--rate 60: give 200, 100 or 50 Hz" in capsys.readouterr().err
    # the sensor higher on the belt: the same trials as realscore reads them 5 cm further up
    assert sisfall_all.main([str(tmp_path), "--up", "5", "--jsonl", str(tmp_path / "up.jsonl")]) == 0
    capsys.readouterr()
    for r in [json.loads(x) for x in (tmp_path / "up.jsonl").read_text().splitlines()]:
        up = rs.sisfall_trial(real_dir, r["trial"][:3], "SA07", up_m=0.05)
        assert {k: r[k] for k in up} == up, r["trial"]
        assert up != rs.sisfall_trial(real_dir, r["trial"][:3], "SA07"), "5 cm higher changed nothing"
    assert sisfall_all.main([str(tmp_path), "--up", "20"]) == 2
    assert "--up 20: give 0-15 cm" in capsys.readouterr().err
    # random boards: each trial as recorded and on the board, and what the board loses
    assert sisfall_all.main([str(tmp_path), "--random", "1"]) == 0
    out = capsys.readouterr().out
    assert "board 1: " in out and "of 2 trials that meet every target as recorded miss one" in out, out
    assert "trial-boards lose a target the trial meets as recorded" in out, out
    assert sisfall_all.main([str(tmp_path), "--random", "-1"]) == 2
    assert "--random -1: give a count of boards" in capsys.readouterr().err
    assert sisfall_all.main([str(tmp_path / "none")]) == 2
    # a torn file is one line naming it; the other trial is still scored (a fresh folder: the
    # loaders cache by path)
    torn = tmp_path / "torn"
    (torn / "SA07").mkdir(parents=True)
    (torn / "SA07" / "D01_SA07_R01.txt").write_text("12,34;\n")
    (torn / "SA07" / "D04_SA07_R01.txt").write_bytes((tmp_path / "SA07" / "D04_SA07_R01.txt").read_bytes())
    assert sisfall_all.main([str(torn)]) == 0
    out = capsys.readouterr().out
    assert "D01_SA07   not scored: AssertionError" in out and "D01_SA07_R01.txt" in out, out
    assert "missing: D01_SA07 (not scored)" in out and "young jogs: 1 of 1" in out, out
    # ... and on the random boards too (the jog, as recorded and on its board; the torn walk is
    # not a trial that meets its targets as recorded)
    assert sisfall_all.main([str(torn), "--random", "1"]) == 0
    assert "of 1 trials that meet every target as recorded miss one" in capsys.readouterr().out


def test_sisfall_other_activities_tool(real_dir, tmp_path, capsys):
    """hinge.dev.sisfall_adl (SisFall's stairs, chairs, falls... held out) reads every trial R01-R05
    of the other activities, counts running strides, flights and alerts under the default and
    the alert-prone config, and names a torn file in one line while scoring the rest. Here a
    walk and a jog of the shared subject pose as a stairs trial and a fall while jogging."""
    import gzip

    from hinge.dev import sisfall_adl
    d = tmp_path / "SA07"
    d.mkdir()
    for src, dst in (("D01", "D05_SA07_R02"), ("D04", "F05_SA07_R03"), ("D02", "D03_SA07_R01")):
        p = Path(real_dir) / rd.SISFALL_DIR / f"{src}_SA07_R01.txt.gz"
        (d / f"{dst}.txt").write_bytes(gzip.decompress(p.read_bytes()))
    (d / "D18_SA07_R01.txt").write_text("12,34;\n")            # torn: one line names it
    # D03 is a jog of sisfall_all's, not one of the other activities
    assert sisfall_adl.trials(tmp_path) == [("D05", "SA07", 2), ("D18", "SA07", 1), ("F05", "SA07", 3)]
    assert sisfall_adl.trials(tmp_path, {"F05"}) == [("F05", "SA07", 3)]
    assert sisfall_adl.main([str(tmp_path), "--jsonl", str(tmp_path / "o.jsonl")]) == 0
    out = capsys.readouterr().out
    rows = {r["trial"]: r for r in (json.loads(x) for x in (tmp_path / "o.jsonl").read_text().splitlines())}
    assert rows["D18_SA07_R01"]["error"].startswith("AssertionError") and "D18_SA07_R01.txt" in rows["D18_SA07_R01"]["error"]
    assert "D18_SA07_R01 not scored: AssertionError" in out
    walk, jog = rows["D05_SA07_R02"], rows["F05_SA07_R03"]
    # the same figures as the walk and the jog replayed as themselves
    for r, act in ((walk, "D01"), (jog, "D04")):
        st = rs.sisfall_replay(real_dir, act, "SA07").dicts("stride")
        assert r["strides"] == len(st) and r["running"] == sum(s["activity"] == "running" for s in st), r
    assert walk["running"] == 0 and walk["alerts"] == 0 and walk["alerts_prone"] == 0, walk
    assert walk["flew"] <= 0.05 * walk["steps"], walk                  # a walk does not fly
    assert jog["running"] >= 0.9 * jog["strides"] and jog["flew"] >= 0.9 * jog["steps"], jog
    assert jog["alerts_prone"] > 0, jog                                 # every running stride a fault
    assert "D05 young stairs up and down, slowly" in out and "running    0 in   0 trials" in out
    assert f"F05 young ({sisfall_adl.ACTIVITIES['F05']}): {jog['running']} of {jog['strides']} strides running" in out
    assert "D05 young (" not in out                                     # not among those that ran
    assert sisfall_adl.main([str(tmp_path), "--codes", "D05,X99"]) == 2
    assert "--codes: no such activity X99" in capsys.readouterr().err
    assert sisfall_adl.main([str(tmp_path), "--rate", "60"]) == 2
    assert "--rate 60: give 200, 100 or 50 Hz" in capsys.readouterr().err
    assert sisfall_adl.main([str(tmp_path / "none")]) == 2


def test_gaitpy_demo_walk_is_walking_and_never_alerted(real_dir):
    """GaitPy's demo (another person, a GENEActiv on the lower back, 50 Hz, accel only, three
    walking bouts): every stride walking and no alert under the default or the alert-prone config,
    whichever horizontal axis is taken as forward (the recording does not say); the walking
    cadence's median within the walking tolerance of GaitPy's own (96.8 steps/min; its |acc|
    spectrum peaks at 96.7, README there)."""
    r = ws.gaitpy_row(real_dir)
    print("\n" + json.dumps(r))
    assert 90 < r["ref_spm"] < 105, r
    assert [p["forward"] for p in r["forwards"]] == list(ws.GAITPY_FORWARDS)
    for p in r["forwards"]:
        assert p["strides"] >= 50 and p["running"] == 0 and p["alerts"] == 0 and p["alerts_prone"] == 0, p
        assert abs(p["cad_med_spm"] - r["ref_spm"]) <= rs.WALK_CADENCE_TOL_SPM, p
    assert not ws.gaitpy_misses(r), ws.gaitpy_misses(r)
    # the misses name what a broken walk would show
    bad = {**r, "running_strides": 3, "alerts_prone": 1, "cad_diff_max_spm": 9.0}
    assert [m.split(":")[0] for m in ws.gaitpy_misses(bad)] == ["walk called running", "alerts while walking", "cadence"]


def test_ipol_all_tool_reads_the_dataset_layout(real_dir, tmp_path, capsys):
    """hinge.dev.ipol_all (the IPOL set's trials 3-6, held out) reads the dataset repository's own
    GaitData folder (plain N-T_lb.txt), scores each trial as the shared ones are scored, keeps
    trials 1-2 and 3-6 apart, and names a trial whose events run past its signal in one line."""
    import gzip

    from hinge.dev import ipol_all
    src = Path(real_dir) / rd.IPOL_DIR / "GaitData"
    for a, b in (("1-1", "1-1"), ("2-1", "2-3"), ("3-2", "3-4")):
        (tmp_path / f"{b}_lb.txt").write_bytes(gzip.decompress((src / f"{a}_lb.txt.gz").read_bytes()))
        (tmp_path / f"{b}.json").write_text((src / f"{a}.json").read_text())
    # a torn trial: its last footstep event lies past the rows it kept
    lines = gzip.decompress((src / "4-1_lb.txt.gz").read_bytes()).decode().splitlines(keepends=True)
    (tmp_path / "4-5_lb.txt").write_text("".join(lines[:len(lines) // 2]))
    (tmp_path / "4-5.json").write_text((src / "4-1.json").read_text())
    (tmp_path / "5-1_lb.txt").write_text("no events beside me\n")      # no .json: not a trial
    assert rd.ipol_trials(tmp_path) == ["1-1", "2-3", "3-4", "4-5"]
    assert ipol_all.main([str(tmp_path), "--jsonl", str(tmp_path / "o.jsonl")]) == 0
    out = capsys.readouterr().out
    rows = {r["trial"]: r for r in (json.loads(x) for x in (tmp_path / "o.jsonl").read_text().splitlines())}
    for a, b in (("1-1", "1-1"), ("2-1", "2-3"), ("3-2", "3-4")):
        s, t = ws.ipol_trial(real_dir, a)
        assert {k: v for k, v in rows[b].items() if k not in ("trial", "strides_on_contacts")} == \
            {k: v for k, v in t.items() if k != "trial"}, b
        assert [x["err"] for x in rows[b]["strides_on_contacts"]] == [x["err"] for x in s], b
        assert t["running"] == 0 and t["alerts"] == 0 and t["alerts_prone"] == 0, t
    assert "past the signal's" in rows["4-5"]["error"] and "4-5    not scored: ValueError: IPOL 4-5: event at row" in out
    assert "trials 1-2 (shared): 1 trials of 1 people" in out
    assert "trials 3-6 (held out): 2 trials of 2 people (+1 not scored)" in out and "every target met" in out
    assert ipol_all.main([str(tmp_path / "none")]) == 2
    assert "ipol_all: no N-T_lb.txt trials" in capsys.readouterr().err


def test_ipol_walks_are_walking_never_alerted_and_timed(real_dir):
    """IPOL (19 people, 38 short walks with a U-turn, manually checked heel strikes): every stride
    walking, no alert under the default or the alert-prone config; per-stride cadence against
    the heel strikes held to the issue's cadence targets (walkscore.IPOL_CADENCE: 1 spm median,
    3 spm at the 90th percentile, the running ones)."""
    r = ws.ipol_row(real_dir)
    print("\n" + json.dumps(r))
    assert r["trials"] == 38 and r["people"] == 19, r
    assert not ws.ipol_misses(r), ws.ipol_misses(r)
    # consecutive strides cover every other reference stride: >= 40 % of them is >= 80 % of the walk
    assert r["matched_pct"] >= 40, r
    for k, lim in ws.IPOL_CADENCE.items():
        assert r[k] <= lim, (k, r[k], lim)
    assert ws.IPOL_CADENCE == {"cad_med_abs_spm": 1.0, "cad_p90_abs_spm": 3.0}
