"""The report's words: labels, the explanations under each figure, findings in plain language."""
from __future__ import annotations

import datetime as _dt

import numpy as np

from hinge.common.timefmt import clock
from hinge.logs.analysis import BASE_REASONS, CUE_SWITCH, OPTIONAL_REASONS, Analysis

LABEL = {"upright": "Too upright", "backward": "Leaning back", "swivel": "Swivel", "drift": "Form drift",
         "hip_drop": "Hip drop", "tilt_swing": "Tilt swing", "cadence": "Cadence low"}
# each fault's column head in the terminal's split tables
SHORT = {"upright": "upright", "backward": "back", "swivel": "swivel", "hip_drop": "hipdrop", "tilt_swing": "tilt",
         "cadence": "cadence", "drift": "drift"}


def cue_value(x) -> str:
    """An alert's smoothed value against its limit, in its unit (``decoded ALERT_DTYPE`` row)."""
    r = str(x["reason"])
    if r == "cadence":
        t = x["target_spm"]
        return (f"{x['value_deg']:.1f} steps/min (band from {x['limit_deg']:.1f}"
                + (f", target {t:.1f})" if t > 0 else ")"))
    side = f" {x['side']}" if str(x["side"]) else ""
    return f"{x['value_deg']:.1f}°{side} (limit {x['limit_deg']:g}°)"

EXPLAIN = {
    "lean": "Lean: how far your pelvis tilts forward from your standing pose, averaged over each stride. "
            "Good running hinges forward at the hips. Below the dashed line ({lean_min_deg:g}°) counts as "
            "'too upright'; below the dotted line ({lean_back_deg:g}°) as 'leaning back', the worst case "
            "(watch it on descents).",
    "rotation": "Rotation: how far your pelvis twists about the vertical in each stride, peak to peak (turns "
                "and switchbacks removed). A good arm swing gives a little; above the dashed line "
                "({swivel_max_deg:g}°) counts as 'swivel', a twist that loads the lower back on every stride.",
    "cadence": "Cadence: steps per minute, both feet. Strides at or above {run_min_spm} steps/min with a flight "
               "phase count as running; the coach only works (and only buzzes) while you run.",
    "roll": "Pelvic roll: how far your pelvis tips side to side in each stride, peak to peak (both ways, "
            "both feet). Not coached; worth watching if it grows late in a run. Hip drop is the part of it in "
            "each foot's stance, the other hip dropping (running dynamics below).",
    "roll_cued": "Pelvic roll: how far your pelvis tips side to side in each stride, peak to peak (both ways, "
                 "both feet). Shaded: stretches the hip drop cue counted as a fault; the cue reads each foot's "
                 "stance drop (hip drop, running dynamics below), past {hip_drop_max_deg:g}° on either side, not "
                 "this peak-to-peak tilt.",
    "faults": "Shaded: stretches the coach counted as a fault, using the same rules as the board: each value "
              "taken as the middle of it and the two strides before (one odd stride changes nothing), and a "
              "fault ends only once you are back past the limit by "
              "{lean_hyst_deg:g}° (lean) or {swivel_hyst_deg:g}° (rotation). It buzzes once a fault has held "
              "for {alert_after_s:g} s of running, and again every {alert_repeat_s:g} s while it holds.",
}



def limit_text(a: Analysis, r: str) -> str:
    """A fault's rule in a few words, with the session's limits: "too upright < 4°"."""
    c = a.cfg
    if r == "upright":
        return f"too upright < {c['lean_min_deg']:g}°"
    if r == "backward":
        return f"leaning back < {c['lean_back_deg']:g}°"
    if r == "swivel":
        return f"swivel > {c['swivel_max_deg']:g}°"
    if r == "hip_drop":
        return f"hip drop > {c['hip_drop_max_deg']:g}° on a side"
    if r == "tilt_swing":
        return f"tilt swing > {c['tilt_swing_max_deg']:g}°"
    if r == "cadence":
        t = a.stats.get("cadence_target") or 0.0
        if not t:
            return "cadence: no target (baseline not learned)"
        return f"cadence < {t - c['cadence_band_spm']:.0f} steps/min for a target of {t:.0f}"
    if r == "drift":
        return "form drift past its margins"
    return r


def _side_of(a: Analysis, e) -> str:
    """The side of a hip-drop episode: the stance side whose drop was larger over its strides."""
    s = a.strides
    m = (s["t_ms"] > e.t0_ms) & (s["t_ms"] <= e.t1_ms) & a.running
    left, right = s["hip_drop_left_deg"][m], s["hip_drop_right_deg"][m]
    left, right = left[np.isfinite(left)], right[np.isfinite(right)]
    if not len(left) and not len(right):
        return ""
    return "left" if len(left) and (not len(right) or np.median(left) > np.median(right)) else "right"


def _sides(a: Analysis, eps) -> str:
    """Which side the hip drop cue was about: the sides its buzzes named (the board's, in the
    log), else each episode's larger side; "" when unknown."""
    sides = [str(x["side"]) for x in a.alerts if str(x["reason"]) == "hip_drop" and str(x["side"])]
    what = "buzzes"
    if not sides:
        sides = [x for x in (_side_of(a, e) for e in eps) if x]
        what = "episodes"
    if not sides:
        return ""
    n_left, n_right = sides.count("left"), sides.count("right")
    if not n_left or not n_right:
        return f", {sides[0]} side"
    most = "left" if n_left > n_right else "right" if n_right > n_left else ""
    return f", {most + ' side mostly' if most else 'both sides'} ({what}: {n_left} left, {n_right} right)"


def cue_findings(a: Analysis) -> list[tuple[str, str]]:
    """A plain sentence per optional cue the session used (``a.reasons``): episodes, which side
    (hip drop), time in the fault, buzzes; or that it never fired."""
    out = []
    run = a.time_s["running"]
    c = a.cfg
    for r in a.reasons:
        if r not in OPTIONAL_REASONS:
            continue
        name = LABEL[r] if r != "cadence" else "Cadence"
        buzz = sum(1 for x in a.alerts if str(x["reason"]) == r)
        bz = f"{buzz} buzz{'es' if buzz != 1 else ''}"
        if not c.get(CUE_SWITCH[r]):
            out.append(("note", f"{name} cue: {bz} in the log; off with these thresholds, so no time in it is counted."))
            continue
        eps = [e for e in a.episodes if e.reason == r]
        if r == "cadence" and not a.stats.get("cadence_target"):
            out.append(("note", f"Cadence cue on, but without a target: it learns your baseline from "
                                f"{c['cadence_baseline_min']} minutes of running after the first, and this run was "
                                f"shorter."))
            continue
        if not eps:
            out.append(("good", f"{name} cue: never held ({limit_text(a, r)})."))
            continue
        what = f"{len(eps)} episode{'s' if len(eps) > 1 else ''}"
        if r == "hip_drop":
            what += _sides(a, eps)
        if r == "cadence":
            base = a.stats.get("cadence_baseline") or 0.0
            if not c["cadence_target_spm"] and base:
                what += (f"; target {a.stats['cadence_target']:.0f} steps/min, {c['cadence_raise_pct']:g} % over "
                         f"your baseline of {base:.0f}"
                         + (" kept from an earlier run" if a.stats.get("cadence_baseline_kept") else ""))
        out.append(("warn", f"{name} cue: {what}; {clock(a.fault_s[r])} in it ({share(a.fault_s[r], run):.0f} % of "
                            f"running, {limit_text(a, r)}), {bz}."))
    return out


# ---- formatting helpers ----------------------------------------------------------------------


def num(v, fmt="{:.1f}", none="–"):
    return none if v is None else fmt.format(v)


def hip_drop_text(st: dict, unit: str = "°") -> str:
    """The typical hip drop of each foot's stance (``Analysis.stats``), "L 6.5° R 7.0°", or "–"
    when the log has none (walking only, or a log from before the running dynamics)."""
    lo, ro = st.get("hip_drop_left"), st.get("hip_drop_right")
    if lo is None and ro is None:
        return "–"
    return f"L {num(lo)}{unit} R {num(ro)}{unit}"


def date_text(a: Analysis) -> str:
    st = a.start
    if not st:
        return "date unknown (the board's clock was not set)"
    try:
        d = _dt.datetime.fromisoformat(st)
    except ValueError:
        return st
    return d.strftime("%a %d %b %Y, %H:%M")


def share(x, total):
    return 100.0 * x / total if total > 0 else 0.0


def highlights(a: Analysis) -> list[tuple[str, str]]:
    """Plain-language findings: (kind, text); kind is "good", "note" or "warn"."""
    c, st = a.cfg, a.stats
    out = []
    run = a.time_s["running"]
    out.append(("note", f"{clock(a.duration_s)} recorded: {clock(run)} running, {clock(a.time_s['walking'])} walking, "
                        f"{clock(a.time_s['standing'])} standing or stopped."))
    if st["running_strides"] == 0:
        out.append(("warn", "No running strides: the coach only works while you run (cadence at or above "
                            f"{c['run_min_spm']} steps/min with a flight phase)."))
        return out
    out.append(("note", f"Cadence: {st['cadence']:.0f} steps/min typical ({st['cadence_p10']:.0f}–{st['cadence_p90']:.0f} "
                        f"for most strides)."))
    up, back, sw = (a.fault_s[r] for r in BASE_REASONS)
    lean_txt = f"Lean: {st['lean']:.1f}° forward typical."
    if up + back < 0.02 * run:
        out.append(("good", lean_txt + f" You stayed hinged forward: under 2 % of running time below your "
                                       f"{c['lean_min_deg']:g}° limit."))
    else:
        parts = []
        if up:
            parts.append(f"too upright for {clock(up)} ({share(up, run):.0f} % of running)")
        if back:
            parts.append(f"leaning back for {clock(back)} ({share(back, run):.0f} %)")
        out.append(("warn", lean_txt + " " + "; ".join(parts).capitalize() + "."))
    rot_txt = f"Rotation: {st['rotation']:.1f}° per stride typical."
    if sw < 0.02 * run:
        out.append(("good", rot_txt + f" No real swivel: under 2 % of running time above {c['swivel_max_deg']:g}°."))
    else:
        out.append(("warn", rot_txt + f" Swivelling for {clock(sw)} ({share(sw, run):.0f} % of running)."))
    out += cue_findings(a)
    tr = st.get("lean_trend")
    if tr is not None and abs(tr) >= 1.0:
        if tr < 0:
            out.append(("warn", f"Your lean dropped {-tr:.1f}° from the first to the last third of your running: "
                                "tiring often shows as running more upright."))
        else:
            out.append(("note", f"Your lean grew {tr:.1f}° from the first to the last third of your running."))
    tr = st.get("rotation_trend")
    if tr is not None and tr >= 2.0:
        out.append(("warn", f"Rotation grew {tr:.1f}° from the first to the last third of your running."))
    tr = st.get("roll_trend")
    if tr is not None and tr >= 1.5:
        out.append(("note", f"Your pelvis rolled {tr:.1f}° more side to side in the last third of your running "
                            "than in the first."))
    n = len(a.alerts)
    if n == 0:
        out.append(("good", "No buzzes: no fault held long enough to be coached."))
    else:
        items = ", ".join(f"{clock(x['t_ms'] / 1000)} {LABEL.get(str(x['reason']), str(x['reason'])).lower()}"
                          for x in a.alerts[:6])
        more = f" and {n - 6} more" if n > 6 else ""
        out.append(("warn", f"{n} buzz{'es' if n > 1 else ''}: {items}{more}."))
    if a.overridden:
        out.append(("note", f"With the --cfg thresholds the coach would have buzzed {len(a.replayed)} time"
                            f"{'s' if len(a.replayed) != 1 else ''} (the shading uses them too)."))
    if a.calib["state"] == "earlier":
        out.append(("warn", "No standing calibration in this run: lean is measured from the standing pose of an "
                            "earlier run, so if the clip sits differently today its zero is off by as much. Stand "
                            "still for 3 s after switching on."))
    elif a.calib["state"] not in ("ok", "restored"):
        out.append(("warn", "No standing calibration: lean is measured against the sensor's mount, not your standing "
                            "pose, so its zero may be off. Stand still for 3 s after switching on."))
    if a.problems:
        out.append(("warn", f"The log is damaged in {len(a.problems)} place{'s' if len(a.problems) > 1 else ''}: "
                            "what was intact is shown (details at the end)."))
    return out


def calib_text(a: Analysis) -> str:
    text = _calib_text(a)
    if a.calib.get("flipped"):
        text += (" The clip was worn the other way up from its config (turned about its forward axis): the board "
                 "found it from your strides and read it so; set mount_up to the other sign to say so for good.")
    return text


def _calib_text(a: Analysis) -> str:
    c = a.calib
    if c["state"] == "ok":
        return (f"Calibrated at {clock(c['t_ms'] / 1000)} from {c['still_ms'] / 1000:.1f} s of standing still "
                f"(sensor at rest: pitch {c['pitch0_deg']:.1f}°, roll {c['roll0_deg']:.1f}°); lean is measured from "
                f"that pose. {c['strides_calibrated']} of {len(a.strides)} strides calibrated.")
    if c["state"] == "restored":
        return (f"Restarted mid-run (a reset or a power cut): lean is measured from the standing pose taken before "
                f"the restart (sensor at rest: pitch {c['pitch0_deg']:.1f}°, roll {c['roll0_deg']:.1f}°). "
                f"{c['strides_calibrated']} of {len(a.strides)} strides calibrated.")
    if c["state"] == "earlier":
        return (f"No standing start: from {clock(c['t_ms'] / 1000)} lean is measured from the standing pose of an "
                f"earlier run, kept on the board (sensor at rest then: pitch {c['pitch0_deg']:.1f}°, roll "
                f"{c['roll0_deg']:.1f}°), not against the mount axes, which miss by all of the clip's tilt. "
                f"{c['strides_calibrated']} of {len(a.strides)} strides calibrated.")
    if c["state"] == "fallback":
        return ("Not calibrated: the run started without 3 s of standing still, so lean is measured against the "
                "sensor's mount axes (its zero may be off by the clip's tilt). Thresholds still apply as set.")
    return "No calibration event in the log (it may have been in a damaged part)."


FAULT_TEXT = {
    "sensor_fault": "the sensor stopped answering",
    "sensor_back": "the sensor answered again",
    "config_fallback": "the board's config.json was unreadable: it ran on its last good config or the defaults",
    "low_battery": "battery low",
    "fifo_overflow": "the sensor's buffer overflowed (samples lost)",
    "log_rotated": "an old session was deleted to make room (session number in detail)",
    "log_full": "the flash was full and no old session was left to delete: logging paused here, coaching went on",
    "log_resumed": "logging resumed (records lost while the flash was full in detail)",
    "heap_alloc": "the detector asked for memory in its hot path (a firmware defect): it ran on, unlocked",
}


