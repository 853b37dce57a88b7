"""The physical effects that independent worlds have, each measured in the simulated signal.

Every effect is on by default (``ideal=True`` turns them all off) and has a per-run parameter
recorded in ``truth["hidden"]``. Each test here measures the effect from the samples (and the
truth orientation where a world frame is needed), not just that a parameter is set:

1. lever arm: the accel difference with/without it is dw/dt x r + w x (w x r) from the gyro;
   its stride mean is 0.02-0.1 g at ~30 deg of pelvis yaw;
2. step-to-step variety: heel-strike transients on some steps (more on one foot), contact time
   and impact varying per step, a force-shape fiducial moving by tens of ms;
3. clocks: the written t_ms (host clock = true time) is spaced by the IMU's own period, and
   cadence measured on t_ms is the truth cadence;
4. cheap-board timing (``cheap_50``): bursts of dropped samples, 0.3-0.5 s dropouts, stamp
   jitter, gyro bias warm-up;
5. gaits (``walk_jog``, ``deep_walk``): brisk walking keeps double support, slow jogging has a
   flight phase; walking trades forward speed for height, running bounces (as in SisFall);
6. turns at speed: centripetal acceleration v * heading rate; switchbacks in 3-6 s.

Plus: chunked synthesis equals the unchunked one.
"""
from __future__ import annotations

import numpy as np
import pytest

from hinge.sim import simulate as sim
from hinge.sim.geometry import body_to_world
from hinge.sim.truth import without_variety

G = 9.80665
D2R = np.pi / 180.0

_CACHE: dict = {}


def cap_of(name, seed=1, **kw):
    key = (name, seed, repr(sorted(kw.items())))
    if key not in _CACHE:
        _CACHE[key] = sim.simulate(name, seed=seed, **kw)
    return _CACHE[key]


def pelvis_axes(cap, v):
    """Sensor-axis rows -> pelvis axes (x forward, y left, z up) with the truth mount matrix."""
    return v @ np.array(cap.truth["sensor"]["mount_matrix"]).T


def world(cap, v):
    """Sensor-axis rows -> world axes with the truth orientation of each sample."""
    se = cap.series
    return body_to_world(se["yaw_deg"] * D2R, se["pitch_deg"] * D2R, se["roll_deg"] * D2R, pelvis_axes(cap, v))


def movavg(x, n):
    return np.convolve(x, np.ones(n) / n, mode="same")


def inside(t_ms, segs, activity, margin_ms):
    m = np.zeros(len(t_ms), bool)
    for sg in segs:
        if sg["activity"] == activity:
            m |= (t_ms >= sg["t0_ms"] + margin_ms) & (t_ms < sg["t1_ms"] - margin_ms)
    return m


def steady(strides, segs, activity, margin_ms=4000, fault=False):
    out = []
    for sg in segs:
        if sg["activity"] != activity or bool(sg["fault"]) != fault:
            continue
        out += [s for s in strides if s["t0_ms"] >= sg["t0_ms"] + margin_ms and s["t1_ms"] <= sg["t1_ms"] - margin_ms]
    return out


# ---- 0. switches ---------------------------------------------------------------------------


def test_effects_are_on_by_default_and_ideal_is_the_old_clean_world():
    cap, ideal = cap_of("good_form", minutes=2.0), cap_of("good_form", minutes=2.0, ideal=True)
    assert all(cap.truth["hidden"]["effects"].values()) and set(cap.truth["hidden"]["effects"]) == set(sim.EFFECTS)
    assert not any(ideal.truth["hidden"]["effects"].values())
    h = ideal.truth["hidden"]
    assert h["lever_arm_m"] is None and h["odr_error"] == 0.0 and h["heel_prob"] == 1.0
    assert ideal.truth["sensor"]["dropped"] == 0 and h["gyr_warmup_dps"] == [0.0, 0.0, 0.0]
    assert np.all(ideal.steps["heel"])  # a transient on every step, as before
    # the same body and truth either way
    # (the running dynamics' contact times, toe-offs and bounce follow the step variety, which
    # --ideal switches off: the rest of the truth is the same)
    assert without_variety(ideal.truth["strides"]) == without_variety(cap.truth["strides"])
    with pytest.raises(ValueError):
        sim.simulate("good_form", minutes=0.5, effects={"gravity": False})
    with pytest.raises(ValueError):
        sim.simulate("good_form", minutes=0.5, odr_error=0.2)


# ---- 1. lever arm --------------------------------------------------------------------------


def test_lever_arm_is_the_rigid_body_terms_of_the_gyro():
    """The accel a lever arm adds is dw/dt x r + w x (w x r), w and dw/dt from the gyro.

    In a world where the sensor does not rock on the belt (``rocking=False``) the gyro is the
    pelvis rotation itself, so the check is exact up to differentiating sampled gyro data.
    """
    kw = dict(seed=3, minutes=2.0, rate_hz=200.0, ideal=True, rocking=False)
    on = sim.simulate("swivel", effects={"lever_arm": True}, **kw)
    off = sim.simulate("swivel", **kw)
    assert np.array_equal(on.t_ms, off.t_ms) and np.array_equal(on.gyr_dps, off.gyr_dps)
    r = np.array(on.truth["hidden"]["lever_arm_m"])
    assert -0.15 <= r[0] <= -0.08 and 0.02 <= r[2] <= 0.06 and abs(r[1]) < 0.04
    d = pelvis_axes(on, on.acc_g - off.acc_g)[1:-1]  # g
    w = np.deg2rad(pelvis_axes(on, on.gyr_dps))
    a = np.gradient(w, 1.0 / 200.0, axis=0)
    pred = ((np.cross(a, r) + np.cross(w, np.cross(w, r))) / G)[1:-1]
    err = d - pred
    rel = float(np.sqrt(np.sum(err**2) / np.sum(d**2)))
    print(f"\nlever arm r={r.tolist()} m: rms {np.sqrt(np.mean(d**2, axis=0)).round(3)} g, "
          f"rms error of the gyro-based terms {rel:.3f} of it")
    assert np.sqrt(np.mean(d**2)) > 0.1  # a big effect (g)
    assert rel < 0.08
    # stride by stride the means agree to 2 mg (the gyro-derivative error averages out)
    t = on.t_ms[1:-1]
    for s in on.truth["strides"][::10]:
        m = (t >= s["t0_ms"]) & (t < s["t1_ms"])
        assert np.abs(d[m].mean(axis=0) - pred[m].mean(axis=0)).max() < 0.002


def test_lever_arm_stride_mean_is_not_zero():
    """At ~30 deg p-p of pelvis yaw and ~1.4 Hz strides the stride mean is 0.02-0.1 g, forward."""
    on = cap_of("swivel", seed=2)
    off = cap_of("swivel", seed=2, effects={"lever_arm": False})
    assert np.array_equal(on.t_ms, off.t_ms)
    d = pelvis_axes(on, on.acc_g - off.acc_g)
    tr = on.truth
    sw = steady(tr["strides"], tr["segments"], "running", 3000, fault=True)
    good = steady(tr["strides"], tr["segments"], "running", 3000)
    assert len(sw) > 20 and len(good) > 20

    def stride_means(strides):
        return np.array([d[(on.t_ms >= s["t0_ms"]) & (on.t_ms < s["t1_ms"])].mean(axis=0) for s in strides])

    ms_sw, ms_good = stride_means(sw), stride_means(good)
    rot = np.median([s["rotation_deg"] for s in sw])
    f_stride = np.median([s["cadence_spm"] for s in sw]) / 120.0
    mag = float(np.median(np.linalg.norm(ms_sw, axis=1)))
    print(f"\nlever arm stride mean: {mag:.3f} g at {rot:.1f} deg yaw p-p, {f_stride:.2f} Hz strides "
          f"(good form: {np.median(np.linalg.norm(ms_good, axis=1)):.3f} g)")
    assert 26.0 <= rot <= 36.0 and 1.2 <= f_stride <= 1.6
    assert 0.02 <= mag <= 0.1
    # centripetal toward the turning axis: the sensor is behind it, so the bias points forward
    assert np.median(ms_sw[:, 0]) > 0.015
    # it grows with the rotation (w^2)
    assert np.median(np.linalg.norm(ms_good, axis=1)) < 0.6 * mag


# ---- 2. step-to-step variety ---------------------------------------------------------------


def _step_table(cap, vertical):
    """Per running step away from ramps: side, heel (truth), transient peak, time of max, contact time, duty factor."""
    rate = cap.truth["rate_hz"]
    t = cap.series["t_s"]
    hp = vertical - movavg(vertical, int(round(0.065 * rate)) | 1)  # minus a 65 ms mean: the transient
    lp = movavg(vertical, 3)
    st = cap.steps
    segs = [sg for sg in cap.truth["segments"] if sg["activity"] == "running"]
    rows = []
    for i in range(1, len(st["t_s"]) - 1):
        tc, T = st["t_s"][i], st["t_s"][i + 1] - st["t_s"][i]
        if not any(sg["t0_ms"] / 1000 + 4 < tc < sg["t1_ms"] / 1000 - 4 for sg in segs):
            continue
        early = (t >= tc) & (t < tc + 0.045)
        step = (t >= tc) & (t < tc + T)
        below = np.nonzero(step & (t > tc + 0.1) & (lp < 0.2))[0]  # flight starts
        rows.append((st["side"][i], st["heel"][i], hp[early].max(), t[step][np.argmax(lp[step])] - tc,
                     t[below[0]] - tc if len(below) else np.nan, st["duty_factor"][i]))
    return np.array(rows, float)


def test_heel_strike_transients_on_some_steps_more_on_one_foot():
    cap = cap_of("good_form", seed=2, minutes=3.0, rate_hz=200.0)
    h = cap.truth["hidden"]
    r = _step_table(cap, world(cap, cap.acc_g)[:, 2])
    heel, side = r[:, 1] > 0.5, r[:, 0]
    seen = r[:, 2] > 0.8  # a >0.8 g spike in the first 45 ms after contact
    share, right, left = seen.mean(), seen[side < 0].mean(), seen[side > 0].mean()
    print(f"\nheel-strike transients seen on {100 * share:.0f} % of {len(r)} steps (right {100 * right:.0f} %, "
          f"left {100 * left:.0f} %); drawn p={h['heel_prob']} (R {h['heel_prob_right']}, L {h['heel_prob_left']}); "
          f"detection agrees with the truth on {100 * np.mean(seen == heel):.1f} %")
    assert len(r) > 300
    assert 0.3 <= h["heel_prob"] <= 0.8
    assert np.mean(seen == heel) > 0.9
    assert abs(right - h["heel_prob_right"]) < 0.1 and abs(left - h["heel_prob_left"]) < 0.1
    assert abs(right - left) > 0.15  # one foot lands on its heel more often
    assert 0.15 < share < 0.95


def test_contact_time_and_impact_vary_step_to_step():
    """Clean signal (no lever arm or sensor errors) to read force shapes; same seed with/without."""
    var = cap_of("good_form", seed=2, minutes=3.0, rate_hz=200.0, ideal=True, effects={"step_variety": True})
    reg = cap_of("good_form", seed=2, minutes=3.0, rate_hz=200.0, ideal=True)
    h = var.truth["hidden"]
    rv, rr = (_step_table(c, world(c, c.acc_g)[:, 2]) for c in (var, reg))
    # contact time, measured from the force: flight starts where the force falls under 0.2 g
    ok = ~np.isnan(rv[:, 4])
    ct = rv[ok, 4]
    rel = ct / np.median(ct)
    slope = np.polyfit(rv[ok, 5], rel, 1)[0]
    cv_var = np.std(ct) / np.mean(ct)
    cv_reg = np.nanstd(rr[:, 4]) / np.nanmean(rr[:, 4])
    # the time of the force maximum (a fiducial tied to the force shape): transient or stance peak
    pk_var = np.percentile(rv[:, 3], 90) - np.percentile(rv[:, 3], 10)
    pk_reg = np.percentile(rr[:, 3], 90) - np.percentile(rr[:, 3], 10)
    heel = rv[:, 1] > 0.5
    imp_sd = np.std(np.log(rv[heel, 2]))
    print(f"\ncontact time {1000 * np.mean(ct):.0f} ms, CV {100 * cv_var:.1f} % (regular world {100 * cv_reg:.1f} %), "
          f"follows the drawn per-step factor with slope {slope:.2f} (contact_cv {h['contact_cv']}); "
          f"time of the force maximum spreads over {1000 * pk_var:.0f} ms p10-p90 (regular {1000 * pk_reg:.0f} ms); "
          f"heel transient log-spread {imp_sd:.2f} (impact_sd {h['impact_sd']})")
    assert 0.05 <= h["contact_cv"] <= 0.10
    assert 0.7 <= slope <= 1.3 and np.corrcoef(rv[ok, 5], rel)[0, 1] > 0.6
    assert cv_var > 1.15 * cv_reg and cv_var > 0.03
    assert pk_var > 0.04 and pk_reg < 0.015  # tens of ms vs a fixed fiducial
    assert abs(imp_sd - h["impact_sd"]) < 0.1 and imp_sd > np.std(np.log(rr[:, 2])) + 0.05


def _lag1_detrended(d):
    """Lag-1 correlation and CV of a series of stride times less their 9-stride running mean
    (white intervals give -0.14 so measured)."""
    d = np.asarray(d, float)
    r = (d - np.convolve(d, np.ones(9) / 9, mode="same"))[5:-5]
    return np.corrcoef(r[1:], r[:-1])[0, 1], r.std() / d.mean()


def test_stride_intervals_vary_and_persist_as_a_runners_not_a_metronomes():
    """A runner's stride intervals are mildly persistent (Jordan et al. 2006); contacts on a grid
    plus jitter made them anticorrelated (lag-1 -0.5 less the running mean: a true stride time
    that swings back every stride, as a stride clock's noise does). SisFall's 74 jogs, the
    detector at 200 Hz: -0.02 median, CV 1.66 %."""
    lag, cv = [], []
    for seed in (1, 2, 3):
        cap = cap_of("good_form", seed=seed, minutes=4.0)
        st = [s for s in cap.truth["strides"] if s["activity"] == "running"]
        assert all(abs(a["t1_ms"] - b["t0_ms"]) < 1e-6 for a, b in zip(st[:-1], st[1:]))    # chained
        r, c = _lag1_detrended([s["t1_ms"] - s["t0_ms"] for s in st])
        lag.append(r)
        cv.append(c)
    print(f"\nstride intervals less their 9-stride mean: lag-1 correlation {np.round(lag, 2)}, "
          f"CV {np.round(100 * np.array(cv), 2)} %")
    assert -0.14 < np.median(lag) < 0.25          # above white (-0.14) and far from a grid's -0.5
    assert all(r > -0.3 for r in lag)
    assert 0.008 < np.median(cv) < 0.025          # stride time CV 1-2 %


# ---- 3. clocks -----------------------------------------------------------------------------


def _step_freq(t_s, x, f_lo=2.2, f_hi=3.3):
    """Dominant frequency of x(t) (resampled to 200 Hz, zero-padded x16, parabolic peak)."""
    tu = np.arange(t_s[0], t_s[-1], 0.005)
    y = np.interp(tu, t_s, x)
    y = (y - y.mean()) * np.hanning(len(y))
    n = 16 * len(y)
    sp = np.abs(np.fft.rfft(y, n))
    fr = np.fft.rfftfreq(n, 0.005)
    m = np.nonzero((fr > f_lo) & (fr < f_hi))[0]
    k = m[np.argmax(sp[m])]
    a, b, c = np.log(sp[k - 1 : k + 2])
    return float(fr[k] + 0.5 * (a - c) / (a - 2 * b + c) * (fr[1] - fr[0]))


def test_imu_clock_error_shows_in_t_ms_and_truth_cadence_is_true_time():
    e = 0.012
    cap = sim.simulate("good_form", seed=4, minutes=3.0, odr_error=e)
    h, rate = cap.truth["hidden"], cap.truth["rate_hz"]
    assert h["odr_error"] == e and h["clock_ppm"] == 12000.0
    d = np.diff(cap.t_ms)
    period = float(np.median(d[d < 1.5 * 1000.0 / rate]))
    print(f"\nIMU clock +{100 * e:.1f} %: median t_ms interval {period:.4f} ms vs nominal {1000 / rate:.4f} ms "
          f"-> {100 * (1000 / rate / period - 1):.2f} % fast")
    assert abs(1000.0 / rate / period - (1 + e)) < 0.0005
    # cadence from the signal: on t_ms it is the truth cadence; on the nominal rate it is e off
    tr = cap.truth
    seg = max((sg for sg in tr["segments"] if sg["activity"] == "running"), key=lambda sg: sg["t1_ms"] - sg["t0_ms"])
    m = (cap.t_ms > seg["t0_ms"] + 4000) & (cap.t_ms < seg["t1_ms"] - 4000)
    am = np.linalg.norm(cap.acc_g[m], axis=1)
    f_host = _step_freq(cap.t_ms[m] / 1000.0, am)
    idx = np.round(cap.series["t_s"][m] * h["true_rate_hz"])
    f_nominal = _step_freq(idx / rate, am)
    st = [s for s in tr["strides"] if s["t0_ms"] >= seg["t0_ms"] + 4000 and s["t1_ms"] <= seg["t1_ms"] - 4000]
    cad = 120000.0 * len(st) / (st[-1]["t1_ms"] - st[0]["t0_ms"])
    print(f"cadence on t_ms {60 * f_host:.2f}, on the nominal rate {60 * f_nominal:.2f}, truth {cad:.2f} spm")
    assert abs(60 * f_host - cad) < 0.6
    assert abs(f_nominal / f_host - 1 / (1 + e)) < 0.002
    # the default draws an error within +-1.5 % per run (and records it)
    errs = []
    for n, s in (("rate_50", 1), ("rate_50", 2), ("rate_100", 3)):
        c = cap_of(n, seed=s)
        x = c.truth["hidden"]["odr_error"]
        dd = np.diff(c.t_ms)
        nominal = 1000.0 / c.truth["rate_hz"]
        assert abs(nominal / np.median(dd[dd < 1.5 * nominal]) - (1 + x)) < 0.0005, (n, s, x)
        errs.append(x)
    assert all(abs(x) <= 0.015 for x in errs) and len(set(errs)) == 3 and any(abs(x) > 0.002 for x in errs)


# ---- 4. cheap board ------------------------------------------------------------------------


def test_cheap_board_drops_bursts_dropouts_jitter_and_warmup():
    cap = cap_of("cheap_50", seed=1)
    tr, h = cap.truth, cap.truth["hidden"]
    assert tr["rate_hz"] == 50.0
    period = 1000.0 / h["true_rate_hz"]
    d = np.diff(cap.t_ms)
    lost = np.round(d / period).astype(int) - 1
    n_lost = int(lost.sum())
    frac = n_lost / (len(cap.t_ms) + n_lost)
    bursts = lost[(lost > 0) & (lost * period < 250)]
    long_gaps = d[d > 290.0]
    resid = cap.t_ms - cap.series["t_s"] * 1000.0
    print(f"\ncheap_50: {100 * frac:.2f} % samples lost, {len(bursts)} bursts (mean {bursts.mean():.1f} samples), "
          f"dropouts {np.round(long_gaps).tolist()} ms, stamp jitter {np.std(resid[1:]):.2f} ms (drawn {h['jitter_ms']})")
    assert n_lost == tr["sensor"]["dropped"]
    assert 0.01 <= frac <= 0.03  # 1-2 % in bursts plus the dropouts
    assert bursts.mean() >= 2.5 and np.mean(bursts >= 2) > 0.8  # in bursts, not single samples
    assert len(long_gaps) >= 1 and np.all(long_gaps <= 700)
    assert 0.5 <= np.std(resid[1:]) <= 1.6 and abs(np.std(resid[1:]) - h["jitter_ms"]) < 0.15
    # gyro bias warm-up, read off the standing stretches (start vs a stop minutes later)
    stands = [sg for sg in tr["segments"] if sg["activity"] == "standing"]
    assert len(stands) >= 2

    def still_mean(sg):
        m = (cap.t_ms >= sg["t0_ms"] + 1500) & (cap.t_ms < sg["t1_ms"] - 1500)
        return cap.gyr_dps[m].mean(axis=0), float(np.mean(cap.series["t_s"][m]))

    (g0, t0), (g1, t1) = still_mean(stands[0]), still_mean(stands[1])
    w, tau = np.array(h["gyr_warmup_dps"]), h["gyr_warmup_tau_s"]
    expect = w * ((1 - np.exp(-t1 / tau)) - (1 - np.exp(-t0 / tau)))
    seen = g1 - g0
    print(f"gyro warm-up {np.linalg.norm(w):.2f} deg/s, tau {tau:.0f} s: standing mean moved "
          f"{np.round(seen, 2).tolist()} between {t0:.0f} s and {t1:.0f} s (expected {np.round(expect, 2).tolist()})")
    assert 1.0 <= np.linalg.norm(w) <= 3.0 and 120 <= tau <= 300
    # the bias random walk adds ~0.1 deg/s over these minutes
    assert np.linalg.norm(seen - expect) < 0.2 * np.linalg.norm(expect) + 0.15
    assert np.linalg.norm(seen) > 0.5
    # and the truth lists the gaps (true time); each dropout it drew is a 0.3-0.5 s hole in t_ms
    assert len(tr["gaps"]) == int(np.sum(lost > 0))
    assert 1 <= len(h["dropouts_s"]) <= 2
    for t_do, dur in h["dropouts_s"]:
        j = int(np.searchsorted(cap.t_ms, t_do * 1000.0))
        hole = cap.t_ms[j] - cap.t_ms[j - 1]
        assert 0.3 <= dur <= 0.5 and dur * 1000.0 <= hole <= dur * 1000.0 + 200.0, (t_do, dur, hole)


# ---- 5. gaits ------------------------------------------------------------------------------


def test_brisk_walking_keeps_double_support_and_slow_jogging_has_flight():
    cap = cap_of("walk_jog", seed=1)
    tr = cap.truth
    rate = tr["rate_hz"]
    vert = movavg(world(cap, cap.acc_g)[:, 2], int(round(0.06 * rate)) | 1)  # 60 ms low-pass
    res = {}
    for act in ("walking", "running"):
        st = steady(tr["strides"], tr["segments"], act) + steady(tr["strides"], tr["segments"], act, fault=True)
        mins = []
        for s in st:
            m = (cap.t_ms >= s["t0_ms"]) & (cap.t_ms < s["t1_ms"])
            mins.append(vert[m].min())
        res[act] = (np.array(mins), np.array([s["cadence_spm"] for s in st]))
    wmin, wcad = res["walking"]
    rmin, rcad = res["running"]
    print(f"\nwalk_jog: brisk walking {np.median(wcad):.1f} spm, min vertical force {wmin.min():.2f} g "
          f"(median {np.median(wmin):.2f}); slow jogging {np.median(rcad):.1f} spm, "
          f"min {np.median(rmin):.2f} g (worst {rmin.max():.2f})")
    assert len(wmin) > 80 and len(rmin) > 100
    assert wmin.min() >= 0.5  # double support: never near free fall, even with a strong bounce
    assert rmin.max() <= 0.2  # flight: every running stride reaches ~0 g
    assert np.percentile(wcad, 5) >= 125 and np.percentile(wcad, 95) <= 140
    assert np.percentile(rcad, 5) >= 140 and np.percentile(rcad, 95) <= 155
    # the bounce is strong: the walking vertical force swings by well over half a g per step
    m = inside(cap.t_ms, tr["segments"], "walking", 4000)
    assert np.percentile(vert[m], 99) - np.percentile(vert[m], 1) > 0.8
    # labels: walking segments give walking strides, the jog gives running ones, and the swivel
    # stretch is inside the jog
    seg_t0 = np.array([sg["t0_ms"] for sg in tr["segments"]])
    for s in tr["strides"]:
        sg = tr["segments"][int(np.searchsorted(seg_t0, (s["t0_ms"] + s["t1_ms"]) // 2, side="right")) - 1]
        assert s["activity"] == sg["activity"]
    sw = [e for e in tr["episodes"] if e["reason"] == "swivel"]
    assert len(sw) == 1
    e0, e1 = sw[0]["t0_ms"] + 3000, sw[0]["t1_ms"] - 3000
    rot = [s["rotation_deg"] for s in tr["strides"] if e0 <= s["t0_ms"] and s["t1_ms"] <= e1]
    assert min(rot) >= 26.0


def energy_phase(fwd_g, up_g, fs, win_s=2.0):
    """Per window of ``win_s``: the correlation of the forward velocity with the vertical
    acceleration, both taken about their ~0.7 s (a stride's) moving mean and smoothed over 25 ms.
    Above 0: a pendulum (walking: fastest where the force peaks, in double support); below 0: a
    bounce (running: slowest there, at mid-stance). Cavagna et al. 1977."""
    n = int(round(0.7 * fs)) | 1
    k = max(1, int(round(0.025 * fs)))

    def band(x):
        return movavg(x - movavg(x, n), k)

    av, af = band(up_g), band(fwd_g)
    vf = np.cumsum(af) / fs
    vf = vf - movavg(vf, n)
    w = int(win_s * fs)
    return np.array([np.corrcoef(vf[i:i + w], av[i:i + w])[0, 1] for i in range(n, len(av) - w - n, w)])


def test_walking_trades_speed_for_height_and_running_bounces_as_real_gaits_do(real_dir):
    from hinge.dev import realdata

    for act in ("D01", "D02", "D03", "D04"):
        for subj in realdata.SISFALL_SUBJECTS:
            cap = realdata.sisfall(real_dir, act, subj)
            r = energy_phase(cap.acc_g[:, 2], -cap.acc_g[:, 1], realdata.SISFALL_RATE_HZ)  # fwd +z, up -y
            if act in ("D01", "D02"):
                assert (r > 0).all(), (act, subj, r.min())
            else:
                assert (r < 0).all(), (act, subj, r.max())
    shares = {}
    for name in ("walk_breaks", "walk_jog", "deep_walk"):
        cap = cap_of(name, seed=1)
        body = pelvis_axes(cap, cap.acc_g)
        fs = cap.truth["rate_hz"]
        for act in ("walking", "running"):
            m = inside(cap.t_ms, cap.truth["segments"], act, 4000)
            r = np.concatenate([energy_phase(body[a:b, 0], body[a:b, 2], fs)
                                for a, b in _runs(m) if b - a > 4 * fs])
            shares[(name, act)] = float(np.mean(r > 0))
    print("\nshare of 2-s windows that trade (pendulum):", {f"{n} {a}": round(v, 2) for (n, a), v in shares.items()})
    for (name, act), share in shares.items():
        assert (share >= 0.95) if act == "walking" else (share <= 0.05), (name, act, share)


def _runs(mask):
    """(start, end) of each run of True in ``mask``."""
    d = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


# ---- 6. turns at speed ---------------------------------------------------------------------


def test_centripetal_acceleration_in_turns_is_v_times_heading_rate():
    """Trail switchbacks at running speed; a clean sensor (ideal) so only the body's forces show."""
    cap = cap_of("trail", seed=1, rate_hz=200.0, ideal=True)
    tr = cap.truth
    hard = cap.steps["t_s"][cap.steps["impact"] >= 3.0]  # drop-off landings kick sideways too
    turns = tr["turns"]
    assert turns and all(3.0 - 1e-6 <= t["dur_s"] <= 6.0 + 1e-6 and 90 <= abs(t["deg"]) <= 180 for t in turns)
    # lateral specific force in the course frame, averaged over ~one stride (sway and steps cancel)
    f = world(cap, cap.acc_g)
    psi = cap.series["course_deg"] * D2R
    lat = -np.sin(psi) * f[:, 0] + np.cos(psi) * f[:, 1]
    t = cap.series["t_s"]
    rate_psi = np.gradient(np.unwrap(psi), t)
    expect = cap.series["speed_mps"] * rate_psi / G
    checked = 0
    for tu in turns:
        # stride means (the step-periodic sway and kicks cancel) over the strides inside the turn
        st = [x for x in tr["strides"] if abs((x["t0_ms"] + x["t1_ms"]) / 2000.0 - tu["t_s"]) < tu["dur_s"] / 2 - 0.3
              and not np.any((hard >= x["t0_ms"] / 1000 - 0.05) & (hard < x["t1_ms"] / 1000))]
        if len(st) < 3 or min(cap.series["speed_mps"][np.abs(t - tu["t_s"]) < tu["dur_s"] / 2]) < 1.5:
            continue
        got, want = [], []
        for x in st:
            m = (cap.t_ms >= x["t0_ms"]) & (cap.t_ms < x["t1_ms"])
            got.append(lat[m].mean())
            want.append(expect[m].mean())
        got, want = np.array(got), np.array(want)
        k = int(np.argmax(np.abs(want)))
        err = np.abs(got - want).max()
        print(f"\nturn {tu['deg']:+.0f} deg in {tu['dur_s']:.1f} s: peak stride mean v*w/g {want[k]:+.3f} g, "
              f"measured {got[k]:+.3f} g, largest difference over {len(st)} strides {err:.3f} g")
        assert abs(want[k]) > 0.1 and np.sign(got[k]) == np.sign(want[k])
        assert err < 0.05 * abs(want[k]) + 0.015
        checked += 1
    assert checked >= 3
    # the runner banks into the turn (roll toward its centre), which the truth roll shows
    tu = turns[0]
    m = np.abs(t - tu["t_s"]) < 0.3
    assert np.sign(np.mean(cap.series["roll_deg"][m]) - np.median(cap.series["roll_deg"])) == -np.sign(tu["deg"])


# ---- chunks --------------------------------------------------------------------------------


def test_chunked_synthesis_equals_unchunked():
    kw = dict(seed=2, minutes=1.5)
    whole = sim.simulate("mixed", chunk_s=None, **kw)
    parts = sim.simulate("mixed", chunk_s=7.3, **kw)
    assert np.array_equal(whole.t_ms, parts.t_ms)
    assert whole.truth == parts.truth
    # sensor counts: equal but for float rounding in running sums (at most one LSB, rarely)
    da = np.abs(whole.acc_g - parts.acc_g) * 4096
    dg = np.abs(whole.gyr_dps - parts.gyr_dps) * 32.8
    assert da.max() <= 1.0 + 1e-9 and dg.max() <= 1.0 + 1e-9
    assert np.mean(da > 0.5) < 1e-3 and np.mean(dg > 0.5) < 1e-3
    iw = sim.simulate("mixed", chunk_s=None, ideal=True, **kw)
    ip = sim.simulate("mixed", chunk_s=11.0, ideal=True, **kw)
    assert np.allclose(iw.acc_g, ip.acc_g, atol=1e-9) and np.allclose(iw.gyr_dps, ip.gyr_dps, atol=1e-7)
    for k in iw.series:
        assert np.allclose(iw.series[k], ip.series[k], atol=1e-9), k


def test_streamed_file_equals_the_written_capture(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    cap = sim.simulate("cheap_50", seed=3, minutes=1.5, chunk_s=20.0)
    sim.write_capture(cap, tmp_path / "a" / "run.csv")
    tr, n = sim.stream_capture("cheap_50", tmp_path / "b" / "run.csv", seed=3, minutes=1.5, chunk_s=20.0)
    assert n == len(cap.t_ms) and tr["sensor"]["dropped"] > 0
    for name in ("run.csv", "run.truth.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_streaming_memory_does_not_grow_with_the_run(tmp_path):
    """Hours-long runs fit: the peak of Python/numpy allocations is the chunk's, not the run's."""
    import tracemalloc

    peaks = []
    for minutes in (2.0, 8.0):
        tracemalloc.start()
        sim.stream_capture("good_form", tmp_path / "long.csv", seed=1, minutes=minutes, rate_hz=50.0, chunk_s=20.0)
        peaks.append(tracemalloc.get_traced_memory()[1] / 1e6)
        tracemalloc.stop()
    print(f"\nstreamed 2 min / 8 min: allocation peak {peaks[0]:.1f} / {peaks[1]:.1f} MB")
    assert peaks[1] < 1.5 * peaks[0]  # (all at once, 4x the run would need ~4x the memory)
