"""Personal thresholds (``hinge baseline``) from one of your own good-form runs.

    hinge baseline hinge-logs/S0004.hlg            # suggest, explain, check against the run
    hinge baseline hinge-logs/S0004.hlg --apply    # ... and write them to the board's config
    hinge baseline S0004.hlg --apply --resume      # ... and restart coaching with them

``--apply`` refuses a run that does not look like good form (it buzzed, or its lean spread over
more than SPREAD_WARN_DEG between the 10th and 90th percentile: hills, or stretches of poor form)
unless ``--force``: limits taken from poor form would switch the coaching off.

Why personal: research finds good runners at very different trunk leans (about -2 to over 25
degrees; elite runners often more upright than recreational ones), and pelvis rotation grows with
speed. A fixed limit nags one runner all the time and never notices another. So Hinge measures
you on a run where your form was good (you felt it, a coach or a video said so) and puts the
limits just outside what you did then:

* ``lean_min_deg`` = your 10th-percentile running lean minus ``lean margin`` (default 1.0 deg,
  the default lean hysteresis), rounded down to 0.5 deg. One stride in ten of your good form
  leans less than your p10, so that value is well inside your good range; the margin moves the
  limit past the stride-to-stride scatter. The coach also smooths over two strides and needs
  the fault to hold for ``alert_after_s`` (10 s) before it buzzes, so good-form noise stays quiet
  while a real drop into running upright (typically several degrees, for many strides) is caught.
* ``swivel_max_deg`` = your 90th-percentile rotation per stride plus ``swivel margin`` (default
  2.0 deg, the default swivel hysteresis), rounded up to 0.5 deg: the same reasoning, on the top
  side.
* ``lean_back_deg`` stays as it is unless it would no longer be at least 2 deg below the new
  ``lean_min_deg``; then it moves to ``lean_min_deg - 3``.
* the optional cues' limits (off by default, their limits written all the same, so switching one
  on coaches against your own form): ``hip_drop_max_deg`` = the 90th percentile of your hip drop
  in each stance (both feet together) plus its hysteresis (``hip_drop_hyst_deg``), and
  ``tilt_swing_max_deg`` = your 90th-percentile tilt swing plus ``tilt_swing_hyst_deg``, each
  rounded up to 0.5 deg: the swivel limit's reasoning. Only where the run measured them (a log
  with the running dynamics), on at least MIN_RUNNING_STRIDES strides.

Only running strides that were calibrated (the session began with ~3 s of standing still, so
lean is relative to your standing pose) count, and at least MIN_RUNNING_STRIDES of them (about
a minute and a half of running) are needed: fewer, or an uncalibrated session, is refused with
one line. The suggestion is checked by running this same session through the firmware's coach
with the new limits: on a good-form run it should show (next to) no fault time and no buzz.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from hinge.common.devpath import import_device
from hinge.common.errors import HingeError

MIN_RUNNING_STRIDES = 120  # ~1.5 min of running at ~80 strides/min
# the margins' defaults are the hysteresis keys' defaults (module docstring)
LEAN_MARGIN = float(import_device("config").SCHEMA["lean_hyst_deg"][0])
SWIVEL_MARGIN = float(import_device("config").SCHEMA["swivel_hyst_deg"][0])
LEAN_P = 10
SWIVEL_P = 90
SPREAD_WARN_DEG = 8.0  # lean p90 - p10 beyond this: hills, or a mix of good and bad form?
MARGIN_MAX_DEG = 10.0  # a margin is 0..this (the hysteresis keys' own range is 0..10 / 0..20)


@dataclass
class Suggestion:
    values: dict  # the keys to write: lean_min_deg, swivel_max_deg (and lean_back_deg if it must move;
    #               hip_drop_max_deg, tilt_swing_max_deg where the run measured them)
    stats: dict  # n, lean/rotation percentiles of the running calibrated strides
    current: dict  # the same keys as in the log's config snapshot
    check: dict  # this run through the coach with the new limits: fault seconds, buzzes
    notes: list = field(default_factory=list)  # caveats worth reading
    doubtful: bool = False  # the run may not be good form (it buzzed, or lean spread widely): --apply wants --force

    def explain(self) -> str:
        s, v, c = self.stats, self.values, self.current
        lines = [
            f"From {s['n']} running strides ({s['minutes']:.1f} min of running, calibrated):",
            f"  lean      p10 {s['lean_p10']:5.1f}°   median {s['lean_p50']:5.1f}°   p90 {s['lean_p90']:5.1f}°",
            f"  rotation  p10 {s['rot_p10']:5.1f}°   median {s['rot_p50']:5.1f}°   p90 {s['rot_p90']:5.1f}°",
            "",
            "Suggested thresholds:",
            f"  lean_min_deg   = {v['lean_min_deg']:g}   (was {c['lean_min_deg']:g}): your 10th-percentile lean "
            f"{s['lean_p10']:.1f}° minus {s['lean_margin']:g}°, rounded down. 'Too upright' then means leaning less than "
            f"the low end of your own good form.",
            f"  swivel_max_deg = {v['swivel_max_deg']:g}   (was {c['swivel_max_deg']:g}): your 90th-percentile rotation "
            f"{s['rot_p90']:.1f}° plus {s['swivel_margin']:g}°, rounded up. 'Swivel' then means twisting more than "
            f"the high end of your own good form.",
        ]
        if "lean_back_deg" in v:
            lines.append(f"  lean_back_deg  = {v['lean_back_deg']:g}   (was {c['lean_back_deg']:g}): moved to stay 3° "
                         f"below the new lean limit.")
        for key, what, cue in (("hip_drop_max_deg", "hip drop in a stance", "hip drop"),
                               ("tilt_swing_max_deg", "tilt swing", "tilt swing")):
            if key in v:
                lines.append(f"  {key} = {v[key]:g}   (was {c[key]:g}): your 90th-percentile {what} "
                             f"{s[key + '_p90']:.1f}° plus {s[key + '_margin']:g}°, rounded up; for the optional "
                             f"'{cue}' cue (on or off as it is).")
        ck = self.check
        lines += ["", f"Check: this run with the new limits would have had {ck['buzzes']} buzz"
                      f"{'es' if ck['buzzes'] != 1 else ''}, {ck['upright_s']:.0f} s too upright, "
                      f"{ck['backward_s']:.0f} s leaning back and {ck['swivel_s']:.0f} s swivelling "
                      f"(a good-form run should show close to none)."]
        opt = [f"{ck[r + '_s']:.0f} s of {w}" for r, k, w in (("hip_drop", "hip_drop_max_deg", "hip drop"),
                                                                ("tilt_swing", "tilt_swing_max_deg", "tilt swing"))
               if k in v]
        if opt:
            lines.append(f"       with the optional cues on: {' and '.join(opt)}.")
        for n in self.notes:
            lines.append(f"Note: {n}")
        return "\n".join(lines)


def _round_down(x, step=0.5):
    return math.floor(x / step + 1e-9) * step


def _round_up(x, step=0.5):
    return math.ceil(x / step - 1e-9) * step


def suggest(session, lean_margin: float = LEAN_MARGIN, swivel_margin: float = SWIVEL_MARGIN) -> Suggestion:
    """Suggested ``lean_min_deg`` / ``swivel_max_deg`` from a good-form session (module docstring).

    Raises HingeError (one line) when the session cannot give a baseline: not calibrated, or
    fewer than MIN_RUNNING_STRIDES running strides.
    """
    from hinge.common.devpath import import_device
    from hinge.logs import analysis

    config = import_device("config")
    ev = import_device("events")
    for flag, m in (("--lean-margin", lean_margin), ("--swivel-margin", swivel_margin)):
        if not (isinstance(m, (int, float)) and 0.0 <= m <= MARGIN_MAX_DEG):  # also refuses nan
            raise HingeError(f"{flag} {m:g}: out of range 0..{MARGIN_MAX_DEG:g} deg" if isinstance(m, (int, float))
                             else f"{flag} {m!r}: not a number")
    s = session.strides
    running = s["activity"] == ev.ACT_RUNNING
    use = running & s["calibrated"]
    n_run, n = int(running.sum()), int(use.sum())
    if n_run >= MIN_RUNNING_STRIDES and n < MIN_RUNNING_STRIDES:
        raise HingeError(f"this session has no standing calibration ({n} of {n_run} running strides calibrated): its lean "
                         f"is not measured from your standing pose; record a baseline run that starts with 3 s standing still")
    if n < MIN_RUNNING_STRIDES:
        raise HingeError(f"too few running strides for a baseline: {n}, need at least {MIN_RUNNING_STRIDES} "
                         f"(about 1.5 min of running); record a longer good-form run")
    lean = s["lean_deg"][use].astype(float)
    rot = s["rotation_deg"][use].astype(float)
    p = {
        "n": n, "minutes": float(s["stride_ms"][use].sum()) / 60000.0,
        "lean_p10": float(np.percentile(lean, LEAN_P)), "lean_p50": float(np.median(lean)),
        "lean_p90": float(np.percentile(lean, 90)),
        "rot_p10": float(np.percentile(rot, 10)), "rot_p50": float(np.median(rot)),
        "rot_p90": float(np.percentile(rot, SWIVEL_P)),
        "lean_margin": lean_margin, "swivel_margin": swivel_margin,
    }
    log_cfg, _src = analysis.config_of(session.header, {})
    lo, hi = config.SCHEMA["lean_min_deg"][2:4]
    lean_min = min(max(_round_down(p["lean_p10"] - lean_margin), lo), hi)
    lo, hi = config.SCHEMA["swivel_max_deg"][2:4]
    swivel_max = min(max(_round_up(p["rot_p90"] + swivel_margin), lo), hi)
    values = {"lean_min_deg": float(lean_min), "swivel_max_deg": float(swivel_max)}
    notes = []
    # the optional cues' limits, from the running dynamics where this run measured them
    for key, cols in (("hip_drop_max_deg", ("hip_drop_left_deg", "hip_drop_right_deg")),
                      ("tilt_swing_max_deg", ("tilt_swing_deg",))):
        v = np.concatenate([s[c][use].astype(float) for c in cols])
        v = v[np.isfinite(v)]
        if len(v) < MIN_RUNNING_STRIDES:
            continue
        margin = float(log_cfg[key.replace("_max_", "_hyst_")])
        p[key + "_p90"] = float(np.percentile(v, SWIVEL_P))
        p[key + "_margin"] = margin
        lo, hi = config.SCHEMA[key][2:4]
        values[key] = float(min(max(_round_up(p[key + "_p90"] + margin), lo), hi))
    if log_cfg["lean_back_deg"] > lean_min - 2.0:
        lo_b = config.SCHEMA["lean_back_deg"][2]
        values["lean_back_deg"] = float(max(lo_b, lean_min - 3.0))
    if lean_min != _round_down(p["lean_p10"] - lean_margin) or swivel_max != _round_up(p["rot_p90"] + swivel_margin):
        notes.append("a value was clamped to the allowed range (`hinge config show` lists the ranges)")
    if p["lean_p90"] - p["lean_p10"] > SPREAD_WARN_DEG:
        notes.append(f"your lean varied a lot in this run ({p['lean_p10']:.1f}° to {p['lean_p90']:.1f}° for most strides): "
                     "hills, or stretches of poorer form? A steady, flat, good-form run gives the best baseline")
    felt = int((session.alerts["kind"] == "alert").sum())
    if felt:
        notes.append(f"the board buzzed {felt} time{'s' if felt > 1 else ''} during this run: is it really a good-form run?")
    doubtful = bool(felt) or p["lean_p90"] - p["lean_p10"] > SPREAD_WARN_DEG
    try:
        cfg = config.validate({**log_cfg, **values})
    except ValueError as e:
        raise HingeError(f"the suggestion does not validate: {str(e).splitlines()[0]}") from None
    fault, replayed = analysis.replay_coach(s, cfg)
    t_end = int(s["t_ms"].max()) if len(s) else 0
    check = {f"{r}_s": analysis.covered_s(s, fault[r] & running, 0, t_end) for r in analysis.REASONS}
    check["buzzes"] = len(replayed)
    # the optional cues' limits, checked with those cues on (whatever the log had): the fault time
    # their coach would count on this run, buzzes left as the run's own cues give them
    opt = {"hip_drop_max_deg": "coach_hip_drop", "tilt_swing_max_deg": "coach_tilt"}
    on = {opt[k]: True for k in values if k in opt}
    if on:
        fault_on, _ = analysis.replay_coach(s, config.validate({**cfg, **on}))
        for r, k in (("hip_drop", "hip_drop_max_deg"), ("tilt_swing", "tilt_swing_max_deg")):
            if k in values:
                check[f"{r}_s"] = analysis.covered_s(s, fault_on[r] & running, 0, t_end)
    current = {k: log_cfg[k] for k in ("lean_min_deg", "lean_back_deg", "swivel_max_deg", *opt)}
    return Suggestion(values, p, current, check, notes, doubtful)


# ---- writing to the board -------------------------------------------------------------------
def apply(board, values: dict, restart: bool = False) -> dict:
    """Write suggested thresholds to the board's config, as ``hinge config set`` does
    (:func:`hinge.board.deploy.config_set`: validated, atomic, checked by hash); the new full
    config. ``restart``: the firmware restarts with them (``board`` is then closed)."""
    from hinge.board.deploy import config_set

    return config_set(board, values, reset=restart)
