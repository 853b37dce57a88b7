"""The detector on the third-party recordings (:mod:`hinge.dev.realdata` loads them): the per-trial
figures that ``tests/system/test_real_data.py`` asserts and ``make bench`` prints, each against a
reference that does not use the detector's method (SisFall cadence and activity, mobgap stride
timing against the foot contacts, x-io tilt against imufusion). Angles in degrees, cadence in
steps/min, times in ms unless named ``_s``.
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from hinge.coach import dyneval, evaluate, replay
from hinge.common import devpath
from hinge.common.capture import Capture, block_mean, to_raw

from .realdata import (
    ADEPT_DIR,
    ADEPT_MOUNT,
    MOBGAP_MOUNT,
    SETTLE_S,
    SISFALL_ACTIVITIES,
    SISFALL_MOUNT,
    SISFALL_RATE_HZ,
    XIO_MOUNT,
    adept,
    adept_reference,
    feed_per_sample,
    mobgap,
    mobgap_initial_contacts,
    mobgap_trials,
    reference_windows,
    sisfall,
    stride_arrays,
    xio,
)

# ---- SisFall: cadence vs the spectral reference; walking stays walking ------------------------
SISFALL_JOGS = ("D03", "D04")
SISFALL_WALKS = ("D01", "D02")
JOG_CADENCE_TOL_SPM = evaluate.CAD_MED_SPM     # jogging: the cadence target, per trial median
WALK_CADENCE_TOL_SPM = 3.0                     # walking (the targets are for running): 3 spm
WINDOW_TOL_SPM = evaluate.CAD_P90_SPM          # median over 10-s windows of |detector - window reference|
JOG_RUNNING_MIN = evaluate.COVERAGE_MIN        # jogs: >= 95 % of strides after 5 s classed running
MIN_REF_WINDOWS = 8                            # the trial reference needs >= 8 of its 19 windows to agree
# Walks: SisFall's labels are per trial (no per-stride truth), and the quick walks reach 125-134
# steps/min, the walk/run cadence boundary; a stride or two per 100-s trial there cannot be called
# wrong with certainty. So at most 2 % of a walk's strides (2 of ~100) may be called running -
# and what the runner would feel is checked strictly: no alert under the default settings NOR
# under the most alert-prone ones the config allows (alert_prone_config: alert after 2 s, every
# running stride a fault), i.e. no stretch of running strides could ever buzz.
WALK_RUNNING_MAX_PCT = 2.0


def alert_prone_config(overrides: dict) -> dict:
    """``overrides`` plus the most alert-happy coaching the config allows: the shortest
    alert_after_s, the highest lean_min_deg (every stride 'upright') and the lowest swivel_max_deg
    (every stride 'swivel'). Any stretch of running strides lasting alert_after_s then buzzes, so
    no alert here means none under any user settings."""
    schema = devpath.import_device("config").SCHEMA
    return {**overrides, "alert_after_s": schema["alert_after_s"][2], "lean_min_deg": schema["lean_min_deg"][3],
            "swivel_max_deg": schema["swivel_max_deg"][2]}


@functools.cache
def sisfall_capture(real_dir, act, subj, k: int = 1, up_m: float = 0.0, board: int = 0) -> Capture:
    """A SisFall trial; with ``k`` > 1, as an IMU at 1/k of its 200 Hz would give it (block means);
    with ``up_m``, as the sensor that much higher on the belt would give it (what a point up_m
    further up the rigid pelvis feels more, from the trial's own gyro: variants.lever_accel_g);
    with ``board`` > 0, as the crosscheck's ``board``-th random board and wearer would give it
    (variants.random_variant: the clip turned and moved on the belt, sensor errors, its rate and
    losses; the config as it was)."""
    cap = sisfall(real_dir, act, subj)
    if up_m:
        from hinge.dev.variants import _capture, lever_accel_g
        from hinge.sim.geometry import mount_matrix
        up = mount_matrix(SISFALL_MOUNT["mount_up"], SISFALL_MOUNT["mount_forward"])[2]
        cap = _capture(cap, cap.t_ms, np.asarray(cap.acc_g) + lever_accel_g(cap.t_ms, cap.gyr_dps, up_m * up), cap.gyr_dps)
    if board:
        from hinge.dev.variants import random_variant
        cap = random_variant(cap, SISFALL_MOUNT, board)[0]
    return cap if k == 1 else block_mean(cap, k)


@functools.cache
def sisfall_replay(real_dir, act, subj, engine="cpython", prone=False, k: int = 1,
                   up_m: float = 0.0, board: int = 0) -> replay.ReplayResult:
    o = alert_prone_config(SISFALL_MOUNT) if prone else SISFALL_MOUNT
    return replay.replay(sisfall_capture(real_dir, act, subj, k, up_m, board), o, engine=engine)


@functools.cache
def sisfall_reference(real_dir, act, subj) -> list[tuple[float, float, float]]:
    return reference_windows(sisfall_capture(real_dir, act, subj).acc_g, SISFALL_RATE_HZ, ml_axis=0)


def _longest_running_ms(strides) -> int:
    best = cur = 0
    for s in strides:
        cur = cur + s["stride_ms"] if s["activity"] == "running" else 0
        best = max(best, cur)
    return best


def sisfall_trial(real_dir, act, subj, engine="cpython", k: int = 1, up_m: float = 0.0, board: int = 0) -> dict:
    """Figures of one SisFall trial: reference vs detector cadence (strides of the trial's class:
    running for jogs, walking for walks), per-window errors, the share of strides classified as
    the trial's activity after the first 5 s, running strides over the whole trial, the longest
    stretch of consecutive running strides, alerts under the default and the alert-prone config.
    ``k`` > 1: the detector reads the trial at 1/k of its rate (the reference keeps all of it);
    ``up_m``, ``board``: with the sensor that much higher on the belt, as a random board and
    wearer (sisfall_capture; the reference reads the trial as recorded)."""
    cap = sisfall_capture(real_dir, act, subj)
    res = sisfall_replay(real_dir, act, subj, engine, k=k, up_m=up_m, board=board)
    strides = res.dicts("stride")
    jog = act in SISFALL_JOGS
    wins = sisfall_reference(real_dir, act, subj)
    mid, end, cad, run = stride_arrays(strides, int(cap.t_ms[0]))
    late = end >= SETTLE_S
    mine = run if jog else ~run
    ref = float(np.median([c for *_, c in wins])) if wins else float("nan")
    # the detector over the same stretches as the reference (the windows where its step and sway
    # estimates agree), so the two medians describe the same minutes of the trial
    inwin = np.zeros(len(mid), bool)
    for a, b, _ in wins:
        inwin |= (mid >= a) & (mid < b)
    pick = mine & inwin if (mine & inwin).any() else mine
    det = float(np.median(cad[pick])) if pick.any() else float("nan")
    werr = []
    for a, b, c in wins:
        sel = (mid >= a) & (mid < b)
        if sel.sum() >= 3:
            werr.append(float(np.median(cad[sel])) - c)
    aw = np.abs(werr)
    prone = sisfall_replay(real_dir, act, subj, engine, prone=True, k=k, up_m=up_m, board=board) if not jog else None
    return {
        "trial": f"{act}_{subj}",
        "activity": SISFALL_ACTIVITIES[act],
        "engine": engine,
        "ref_spm": round(ref, 1),
        "ref_windows": len(wins),
        "ref_range_spm": [round(min(c for *_, c in wins), 1), round(max(c for *_, c in wins), 1)] if wins else None,
        "det_spm": round(det, 1),
        "diff_spm": round(det - ref, 2),
        "window_err_med_spm": round(float(np.median(aw)), 2) if werr else None,
        "window_err_max_spm": round(float(aw.max()), 1) if werr else None,
        "windows_compared": len(werr),
        "strides": len(strides),
        "strides_after_settle": int(late.sum()),
        "class_share_pct": round(100 * float(np.mean(mine[late])), 1) if late.any() else None,
        "running_strides": int(run.sum()),
        "running_pct": round(100 * float(np.mean(run)), 1) if len(run) else None,
        "longest_running_ms": _longest_running_ms(strides),
        "alerts": len(res.dicts("alert")),
        "alerts_prone": len(prone.dicts("alert")) if prone is not None else None,
        # the session log the board would write (device/logfmt.py), framing included: a 100-s
        # trial carries its session's calibration and activity changes over 60-150 strides
        "log_bytes_per_stride": dyneval.log_bytes_per_stride(res.events),
    }


def sisfall_cadence_misses(r: dict) -> list[str]:
    """Cadence targets a SisFall trial row misses: trial median within 1 spm (jogs) / 3 spm (walks)
    of the reference, median per-window |error| within 3 spm."""
    tol = JOG_CADENCE_TOL_SPM if r["trial"][:3] in SISFALL_JOGS else WALK_CADENCE_TOL_SPM
    out = []
    if not abs(r["diff_spm"]) <= tol:
        out.append(f"trial cadence: detector {r['det_spm']} vs reference {r['ref_spm']} spm (> {tol})")
    if not (r["windows_compared"] and r["window_err_med_spm"] <= WINDOW_TOL_SPM):
        out.append(f"window cadence: median |err| {r['window_err_med_spm']} spm (> {WINDOW_TOL_SPM})")
    return out


def sisfall_activity_misses(r: dict) -> list[str]:
    """Activity targets: jogs >= 95 % running after 5 s; walks <= 2 % running, no alert under the
    default or the alert-prone config."""
    out = []
    if r["trial"][:3] in SISFALL_JOGS:
        if not (r["class_share_pct"] is not None and r["class_share_pct"] >= 100 * JOG_RUNNING_MIN):
            out.append(f"running: only {r['class_share_pct']} % of strides after 5 s classed running")
        return out
    if not r["running_pct"] <= WALK_RUNNING_MAX_PCT:
        out.append(f"walk called running: {r['running_strides']} strides ({r['running_pct']} %)")
    if r["alerts"]:
        out.append(f"alerts: {r['alerts']} under the default config")
    if r["alerts_prone"]:
        out.append(f"alert-prone alerts: {r['alerts_prone']} (longest running stretch {r['longest_running_ms']} ms)")
    return out


# ---- adept: a 25-min outdoor run, hip belt, ankle reference -----------------------------------
ADEPT_COMPARED_MIN = evaluate.COVERAGE_MIN     # >= 95 % of the running windows have running strides


def adept_present(real_dir) -> bool:
    return (Path(real_dir) / ADEPT_DIR).is_dir()


@functools.cache
def _adept_reference(real_dir):
    return adept_reference(real_dir)


@functools.cache
def adept_replay(real_dir, engine="cpython") -> replay.ReplayResult:
    return replay.replay(adept(real_dir), ADEPT_MOUNT, engine=engine)


def adept_row(real_dir, engine="cpython") -> dict:
    """Figures of the adept run: per 10-s reference window (hinge.dev.realdata.adept_reference) the
    median cadence of the detector's running strides (those whose middle lies in it, >= 3) minus
    the reference; the share of running windows so compared; in the walking windows (after the
    first SETTLE_S of each walking stretch), the share of strides called running. Lean, rotation
    and alerts are not judged (no gyroscope)."""
    ref = _adept_reference(real_dir)
    strides = adept_replay(real_dir, engine).dicts("stride")
    mid, _end, cad, run = stride_arrays(strides)
    err = []
    for a, b, c in ref["running"]:
        sel = (mid >= a) & (mid < b) & run
        if sel.sum() >= 3:
            err.append(float(np.median(cad[sel])) - c)
    # walking: stretches of consecutive walking windows, from SETTLE_S into each (the detector
    # changes activity after a run of like strides, by design: a stride or two after a stop)
    walk = np.zeros(len(mid), bool)
    stretch = None
    for a, b, _ in ref["walking"]:
        stretch = stretch if stretch is not None and a <= stretch[1] else [a, b]
        stretch[1] = b
        walk |= (mid >= max(a, stretch[0] + SETTLE_S)) & (mid < b)
    e = np.abs(err)
    return {
        "run": "adept hip, 25 min", "engine": engine,
        "running_windows": len(ref["running"]), "compared": len(err),
        "compared_pct": round(100.0 * len(err) / len(ref["running"]), 1) if ref["running"] else None,
        "cad_med_abs_spm": round(float(np.median(e)), 2) if len(e) else None,
        "cad_p90_abs_spm": round(float(np.percentile(e, 90)), 2) if len(e) else None,
        "cad_max_abs_spm": round(float(e.max()), 1) if len(e) else None,
        "walking_windows": len(ref["walking"]), "walking_strides": int(walk.sum()),
        "walking_called_running": int((walk & run).sum()),
        "walking_running_pct": round(100.0 * float((walk & run).sum()) / float(walk.sum()), 1) if walk.any() else None,
    }


def adept_misses(r: dict) -> list[str]:
    """The issue's cadence targets over the run's 10-s windows (median and p90 |error|), >= 95 % of
    its running windows measured as running, <= 2 % of its walking strides called running."""
    out = []
    if not (r["compared_pct"] is not None and r["compared_pct"] >= 100 * ADEPT_COMPARED_MIN):
        out.append(f"running windows measured: {r['compared_pct']} %")
    if not (r["cad_med_abs_spm"] is not None and r["cad_med_abs_spm"] <= evaluate.CAD_MED_SPM):
        out.append(f"cadence median: window |err| {r['cad_med_abs_spm']} spm")
    if not (r["cad_p90_abs_spm"] is not None and r["cad_p90_abs_spm"] <= evaluate.CAD_P90_SPM):
        out.append(f"cadence p90: window |err| {r['cad_p90_abs_spm']} spm")
    if not (r["walking_running_pct"] is not None and r["walking_running_pct"] <= WALK_RUNNING_MAX_PCT):
        out.append(f"walk called running: {r['walking_called_running']} strides ({r['walking_running_pct']} %)")
    return out


# ---- mobgap: per-stride timing vs the reference foot contacts ---------------------------------
IC_WINDOW_S = (-0.15, 0.30)   # a detector step this close after (or before) a reference initial contact is its step
REF_PAIR_S = 0.15             # Stereophoto and INDIP contacts this close are the same foot strike


@functools.cache
def mobgap_replay(real_dir, trial, engine="cpython") -> tuple[Capture, list[dict]]:
    cap = mobgap(real_dir, *trial)
    return cap, replay.replay(cap, MOBGAP_MOUNT, engine=engine).dicts("stride")


def _contact_of(ic: np.ndarray, t: float) -> int | None:
    d = t - ic
    j = np.nonzero((d >= IC_WINDOW_S[0]) & (d <= IC_WINDOW_S[1]))[0]
    return int(j[np.argmin(np.abs(d[j]))]) if len(j) else None


def strides_on_contacts(strides, ic: np.ndarray, t0_ms: float):
    """(stride, its end in s, j, reference cadence) for each reported stride whose end and start
    steps are reference contacts ``ic[j]`` and ``ic[j - 2]`` (within ``IC_WINDOW_S``): the
    reference's own stride cadence is 120 / (ic[j] - ic[j - 2])."""
    for s in strides:
        te = (s["t_ms"] - t0_ms) / 1000.0
        j = _contact_of(ic, te)
        if j is None or j < 2 or _contact_of(ic, te - s["stride_ms"] / 1000.0) != j - 2:
            continue
        yield s, te, j, 120.0 / (ic[j] - ic[j - 2])


def mobgap_stride_timing(real_dir, engine="cpython") -> dict:
    """Each reported stride whose end and start steps are both a reference initial contact's
    (within ``IC_WINDOW_S``), two contacts apart in the same walking bout: the detector's cadence
    vs the reference's 120 / (contact[k + 2] - contact[k]), per test (Test5 straight walks, Test11
    daily living) and system. And, as the floor any per-stride comparison has here, the same
    per-stride cadence from Stereophoto's contacts vs INDIP's (both references of one foot strike).

    Returns {"strides": [...], "refref": {test: [errors]}}; each stride: trial, test, system, wb,
    t_s, det, ref, err.
    """
    ics = mobgap_initial_contacts(real_dir)
    out: list[dict] = []
    refref: dict[str, list[float]] = {}
    for tr in mobgap_trials(real_dir):
        cap, strides = mobgap_replay(real_dir, tr, engine)
        t0 = float(cap.t_ms[0])
        bouts: dict[str, list[np.ndarray]] = {}
        for system in ("Stereophoto", "INDIP"):
            rows = [r for r in ics if (r["cohort"], r["participant"], r["test"], r["trial"]) == tr and r["system"] == system]
            for wb in sorted({r["wb_id"] for r in rows}):
                ic = np.array(sorted(r["ic_time_s"] for r in rows if r["wb_id"] == wb))
                bouts.setdefault(system, []).append(ic)
                for s, te, _j, ref in strides_on_contacts(strides, ic, t0):
                    out.append({"trial": "_".join(tr), "test": tr[2], "system": system, "wb": wb, "t_s": round(te, 2),
                                "det": s["cadence_spm"], "ref": round(ref, 1), "err": s["cadence_spm"] - ref,
                                "activity": s["activity"]})
        if "Stereophoto" in bouts and "INDIP" in bouts:
            ind = np.concatenate(bouts["INDIP"])
            for ic in bouts["Stereophoto"]:
                for k in range(len(ic) - 2):
                    a = ind[np.argmin(np.abs(ind - ic[k]))]
                    b = ind[np.argmin(np.abs(ind - ic[k + 2]))]
                    if abs(a - ic[k]) <= REF_PAIR_S and abs(b - ic[k + 2]) <= REF_PAIR_S and b > a:
                        refref.setdefault(tr[2], []).append(120.0 / (b - a) - 120.0 / (ic[k + 2] - ic[k]))
    return {"strides": out, "refref": refref}


def abs_stats(x) -> dict:
    a = np.abs(np.asarray(x, dtype=np.float64))
    if not len(a):
        return {"n": 0, "med": float("nan"), "p90": float("nan")}
    return {"n": int(len(a)), "med": float(np.median(a)), "p90": float(np.percentile(a, 90))}


def mobgap_timing_rows(real_dir, engine="cpython") -> list[dict]:
    """Per test and reference system: per-stride cadence |error| median and p90 (detector vs the
    reference), next to the same figures between the two reference systems."""
    t = mobgap_stride_timing(real_dir, engine)
    rows = []
    for test in sorted({s["test"] for s in t["strides"]}):
        rr = abs_stats(t["refref"].get(test, []))
        for system in ("Stereophoto", "INDIP"):
            st = abs_stats([s["err"] for s in t["strides"] if s["test"] == test and s["system"] == system])
            rows.append({"test": test, "system": system, "engine": engine, "strides": st["n"],
                         "cad_med_abs_spm": round(st["med"], 2), "cad_p90_abs_spm": round(st["p90"], 2),
                         "ref_vs_ref_strides": rr["n"], "ref_vs_ref_med_spm": round(rr["med"], 2),
                         "ref_vs_ref_p90_spm": round(rr["p90"], 2)})
    return rows


def mobgap_timing_misses(row: dict) -> list[str]:
    """Straight walks (Test5): per-stride cadence |error| median and p90 within the issue's targets,
    or within the two reference systems' own disagreement where that is larger (no detector can be
    judged closer to a reference than the references are to each other)."""
    if row["test"] != "Test5":
        return []
    lim_med = max(evaluate.CAD_MED_SPM, row["ref_vs_ref_med_spm"])
    lim_p90 = max(evaluate.CAD_P90_SPM, row["ref_vs_ref_p90_spm"])
    out = []
    if not row["cad_med_abs_spm"] <= lim_med:
        out.append(f"cadence median: {row['system']} |err| {row['cad_med_abs_spm']} > {lim_med:.2f} spm")
    if not row["cad_p90_abs_spm"] <= lim_p90:
        out.append(f"cadence p90: {row['system']} |err| {row['cad_p90_abs_spm']} > {lim_p90:.2f} spm")
    return out


# ---- x-io: the detector's gravity estimate vs imufusion ----------------------------------------
def angle_deg(a, b):
    a = a / np.linalg.norm(a, axis=1)[:, None]
    b = b / np.linalg.norm(b, axis=1)[:, None]
    return np.degrees(np.arccos(np.clip(np.sum(a * b, axis=1), -1.0, 1.0)))


def xio_raw(real_dir):
    cap, keep = xio(real_dir)
    cfg = replay.load_config(XIO_MOUNT)
    lsb_g, lsb_k = replay.scales(cfg)
    return cap, keep, cfg, lsb_g, lsb_k, to_raw(cap, lsb_g, lsb_k)


@functools.cache
def xio_detector_up(real_dir):
    """The detector's gravity-up estimate after every sample, Q24 ints (N, 3), body = sensor axes."""
    cap, keep, cfg, lsb_g, lsb_k, raw = xio_raw(real_dir)
    return feed_per_sample(raw, cfg, lsb_g, lsb_k, int(cap.t_ms[0]))[0]


@functools.cache
def imufusion_up(real_dir):
    """imufusion.Ahrs (defaults: gain 0.5, no rejection) with the true per-sample dt: gravity (up)
    direction in the sensor frame, the same quantity as the detector's g. ImportError without imufusion."""
    import imufusion

    cap, _ = xio(real_dir)
    ahrs = imufusion.Ahrs()
    out = np.empty((len(cap.t_ms), 3))
    dts = np.diff(cap.t_ms, prepend=cap.t_ms[0] - 10) / 1000.0
    for i in range(len(cap.t_ms)):
        ahrs.set_sample_period(float(dts[i]))
        ahrs.update_no_magnetometer(cap.gyr_dps[i], cap.acc_g[i])
        out[i] = ahrs.get_gravity()
    return out


def xio_tilt_row(real_dir) -> dict:
    """Angle between the detector's and imufusion's up vectors: median, p95, max; p99 while quiet."""
    cap, _ = xio(real_dir)
    d = angle_deg(xio_detector_up(real_dir) / float(1 << 24), imufusion_up(real_dir))
    quiet = np.linalg.norm(cap.gyr_dps, axis=1) < 50.0
    return {"recording": "x-io Fusion example", "samples": int(len(d)), "up_angle_med_deg": round(float(np.median(d)), 3),
            "up_angle_p95_deg": round(float(np.percentile(d, 95)), 2), "up_angle_max_deg": round(float(d.max()), 2),
            "quiet_p99_deg": round(float(np.percentile(d[quiet], 99)), 2)}
