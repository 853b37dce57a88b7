"""Score the detector on the independent simulator's crosscheck runs, the way their README says
the independent evaluation does (``<data>/crosscheck/README.md``; configs in ``sets.json``).

The runs were made by a simulator written separately from ``hinge simulate`` (lever arm,
heel strikes on some steps only, IMU clock error, dropouts, brisk walking). Scoring, per run:

- **matching**: a reported stride (any activity) matches the truth stride whose end ``t1`` is
  nearest its ``t_ms``, if within half a stride (half of that truth stride's ``t1 - t0``);
- **scored** truth strides: label ``run`` or ``walk``; at least two strides (2 x its own
  duration) plus half a ramp away from every entry of ``boundaries`` (the stride interval does
  not come closer to the change time than that); not overlapping a form ramp
  ``[time, time + ramp]``; not overlapping a gap longer than 0.1 s;
- **accuracy** over the reported strides matched to scored truth strides: lean median and p90
  |error|, rotation median |error| (and the truth median), cadence median and per-stride p90
  |error|; also split by truth label in ``by_label``;
- **coverage**: scored running strides matched by a reported stride, over half their number
  (truth strides start at every step and overlap by one: reporting every other is full), at most 1;
- **activity**: of the matched scored walking strides, the share reported as running (and of the
  running ones, the share reported as running);
- **episodes**: per reason, the truth fault strides (``upright``, ``swivel``) as the union of
  their intervals, stretches less than 1 s apart merged; one lasting >= alert_after_s + 4 s
  must get an alert of its reason within [onset + alert_after_s / 2, onset + alert_after_s +
  3 s] (a ``backward`` alert counts as ``upright``);
- **false alerts**: an alert with no truth fault stride of its reason overlapping the preceding
  alert_after_s + 1 s; **walking/standing alerts**: an alert whose time falls in a ``walk`` or
  ``stand`` segment (or after the last segment) is a failure.
"""
from __future__ import annotations

import functools
import gzip
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hinge.coach import evaluate, replay
from hinge.common.capture import Capture, read_capture

REPO = Path(__file__).resolve().parents[3]
DATA_ENV = "HINGE_CROSSCHECK_DATA"
RUNS = ("x1_road_lever", "x2_swivel_200", "x3_dropouts_50", "x4_brisk_walk_jog")

# scoring rules (crosscheck README, "How the independent evaluation scores a run")
MATCH_HALF_STRIDE = 0.5     # a reported stride matches the nearest truth t1 within half a stride
EDGE_STRIDES = 2.0          # scored strides keep 2 strides (+ half a ramp) from any activity change
GAP_MAX_S = 0.1             # a stride overlapping a dropout longer than this is not scored
EPISODE_MERGE_S = 1.0       # fault stretches less than 1 s apart are one episode
FALSE_LOOKBACK_EXTRA_S = 1.0  # an alert needs its fault within alert_after_s + 1 s before it
COVERAGE_PER_STRIDE = 0.5   # truth strides overlap by a step: half of them reported = full coverage
FAULTS = ("upright", "swivel")
REASON_OF_ALERT = {"upright": "upright", "backward": "upright", "swivel": "swivel"}


def data_dir() -> Path:
    """``REPO/../shared/data/crosscheck``, else ``$HINGE_CROSSCHECK_DATA``, else the shared path."""
    d = REPO.parent / "shared" / "data" / "crosscheck"
    if d.exists():
        return d
    return Path(os.environ.get(DATA_ENV, "/work/shared/data/crosscheck"))


def available(d: Path | None = None) -> bool:
    d = Path(d or data_dir())
    return (d / "sets.json").exists() and all((d / f"{n}.csv.gz").exists() for n in RUNS)


@functools.cache
def sets(d: Path | None = None) -> dict:
    return json.loads((Path(d or data_dir()) / "sets.json").read_text())


@functools.cache
def truth(name: str, d: Path | None = None) -> dict:
    with gzip.open(Path(d or data_dir()) / f"{name}.truth.json.gz", "rt", encoding="utf-8") as f:
        return json.load(f)


@functools.cache
def capture(name: str, d: Path | None = None) -> Capture:
    """The run's capture, its .csv.gz read as `hinge replay` reads it."""
    return read_capture(Path(d or data_dir()) / f"{name}.csv.gz")


def pick_runs(prog: str, csv: str | None) -> list[str] | None:
    """The runs a dev tool's ``--runs`` names (comma-separated; None: all four), or None after
    one line to stderr naming what is wrong (no captures here, a run sets.json does not have)."""
    if not available():
        print(f"{prog}: no crosscheck captures at {data_dir()}", file=sys.stderr)
        return None
    runs = csv.split(",") if csv else sorted(sets())
    unknown = [r for r in runs if r not in sets()]
    if unknown:
        print(f"{prog}: unknown crosscheck run {unknown[0]!r} (see sets.json)", file=sys.stderr)
        return None
    return runs


def config(name: str, d: Path | None = None) -> dict:
    return dict(sets(d)[name]["config"])


def run(name: str, engine: str = "cpython", d: Path | None = None) -> replay.ReplayResult:
    """Replay one crosscheck run with its ``sets.json`` config under ``engine``."""
    return replay.replay(capture(name, d), config(name, d), engine=engine)


# ---- scoring ---------------------------------------------------------------------------------
def _med(x) -> float:
    return float(np.median(x)) if len(x) else float("nan")


def _p90(x) -> float:
    return float(np.percentile(x, 90)) if len(x) else float("nan")


@dataclass
class XScore:
    name: str
    engine: str = "cpython"
    n_truth: int = 0
    n_scored_run: int = 0
    n_scored_walk: int = 0
    n_reported: int = 0
    n_reported_scored: int = 0     # reported strides matched to a scored truth stride
    coverage: float = 0.0
    lean_med: float = float("nan")
    lean_p90: float = float("nan")
    rot_med: float = float("nan")
    rot_truth_med: float = float("nan")
    cad_med: float = float("nan")
    cad_p90: float = float("nan")
    by_label: dict = field(default_factory=dict)
    n_walk_matched: int = 0
    n_walk_called_running: int = 0
    n_run_matched: int = 0
    n_run_called_running: int = 0
    episodes: list = field(default_factory=list)   # dicts: reason, t0, t1, checked, alert_s, latency_s
    false_alerts: list = field(default_factory=list)
    walk_stand_alerts: list = field(default_factory=list)
    running_min: float = 0.0
    n_alerts: int = 0
    lean_claim: bool = True        # False: lean is printed but not held to its targets

    @property
    def episodes_checked(self) -> int:
        return sum(1 for e in self.episodes if e["checked"])

    @property
    def episodes_alerted(self) -> int:
        return sum(1 for e in self.episodes if e["checked"] and e["alert_s"] is not None)

    @property
    def walk_called_running(self) -> float:
        return self.n_walk_called_running / self.n_walk_matched if self.n_walk_matched else 0.0

    @property
    def run_called_running(self) -> float:
        return self.n_run_called_running / self.n_run_matched if self.n_run_matched else float("nan")

    def figures(self) -> dict:
        return {"lean_med": self.lean_med, "lean_p90": self.lean_p90, "rot_med": self.rot_med,
                "rot_truth_med": self.rot_truth_med, "cad_med": self.cad_med, "cad_p90": self.cad_p90,
                "coverage": self.coverage, "episodes_checked": self.episodes_checked,
                "episodes_alerted": self.episodes_alerted, "false_alerts": len(self.false_alerts),
                "running_min": self.running_min, "alerts_not_running": len(self.walk_stand_alerts)}

    def misses(self) -> list[str]:
        """The issue's targets this run misses (walking called running is reported, and tested, apart)."""
        return evaluate.misses(self.figures(), self.lean_claim)

    def row(self) -> dict:
        lat = [e["latency_s"] for e in self.episodes if e["checked"] and e["latency_s"] is not None]
        return {
            "run": self.name,
            "engine": self.engine,
            "scored_run": self.n_scored_run,
            "scored_walk": self.n_scored_walk,
            "reported": self.n_reported,
            "coverage_pct": round(100 * self.coverage, 1),
            "lean_med_abs_deg": round(self.lean_med, 2),
            "lean_p90_abs_deg": round(self.lean_p90, 2),
            "rot_med_abs_deg": round(self.rot_med, 2),
            "rot_truth_med_deg": round(self.rot_truth_med, 1),
            "rot_limit_deg": round(evaluate.rot_limit(self.rot_truth_med), 2),
            "cad_med_abs_spm": round(self.cad_med, 2),
            "cad_p90_abs_spm": round(self.cad_p90, 2),
            "episodes_alerted": f"{self.episodes_alerted}/{self.episodes_checked}",
            "max_latency_s": round(max(lat), 2) if lat else None,
            "episodes": [{k: (round(v, 2) if isinstance(v, float) else v) for k, v in e.items()} for e in self.episodes],
            "alerts": self.n_alerts,
            "false_alerts": len(self.false_alerts),
            "false_alert_times_s": [round(a, 2) for a in self.false_alerts],
            "running_min": round(self.running_min, 2),
            "walk_stand_alerts": len(self.walk_stand_alerts),
            "walk_stand_alert_times_s": [round(a, 2) for a in self.walk_stand_alerts],
            "walk_called_running_pct": round(100 * self.walk_called_running, 1),
            "walk_called_running": f"{self.n_walk_called_running}/{self.n_walk_matched}",
            "run_called_running_pct": round(100 * self.run_called_running, 1),
            "by_label": self.by_label,
        }


def scored_mask(tr: dict) -> np.ndarray:
    """Which truth strides the independent evaluation scores (see the module docstring)."""
    st = tr["strides"]
    t0 = np.array([s["t0"] for s in st], float)
    t1 = np.array([s["t1"] for s in st], float)
    dur = t1 - t0
    ok = np.array([s["label"] in ("run", "walk") for s in st], bool)
    for b in tr.get("boundaries", []):
        margin = EDGE_STRIDES * dur + 0.5 * float(b["ramp"])
        ok &= (t0 >= b["t"] + margin) | (t1 <= b["t"] - margin)
    for time_s, _targets, ramp in tr.get("form", []):
        ok &= (t1 <= time_s) | (t0 >= time_s + ramp)
    for a, b in tr.get("gaps", []):
        if b - a > GAP_MAX_S:
            ok &= (t1 <= a) | (t0 >= b)
    return ok


def fault_episodes(tr: dict, reason: str) -> list[tuple[float, float]]:
    """(onset, end) s of each stretch of ``reason`` fault strides, gaps < 1 s merged."""
    iv = sorted((s["t0"], s["t1"]) for s in tr["strides"] if s.get(reason))
    out: list[list[float]] = []
    for a, b in iv:
        if out and a - out[-1][1] < EPISODE_MERGE_S:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _label_at(tr: dict, t: float) -> str:
    for sg in tr["segments"]:
        if sg["t0"] <= t < sg["t1"]:
            return sg["label"]
    return "stand"   # after the recording's last segment: nobody is running


def score(tr: dict, det_events: list[dict], cfg: dict, name: str = "?", engine: str = "cpython") -> XScore:
    """Score detector dicts (``ReplayResult.dicts()``) against a crosscheck truth dict."""
    sc = XScore(name, engine)
    st = tr["strides"]
    sc.n_truth = len(st)
    t0 = np.array([s["t0"] for s in st], float)
    t1 = np.array([s["t1"] for s in st], float)
    label = np.array([s["label"] for s in st])
    scored = scored_mask(tr)
    sc.n_scored_run = int(np.sum(scored & (label == "run")))
    sc.n_scored_walk = int(np.sum(scored & (label == "walk")))
    strides = [d for d in det_events if d["type"] == "stride"]
    sc.n_reported = len(strides)
    hit = np.zeros(len(st), bool)
    err = {"lean": [], "rot": [], "rot_truth": [], "cad": [], "label": []}
    for d in strides:
        t = d["t_ms"] / 1000.0
        k = int(np.argmin(np.abs(t1 - t)))
        if abs(t1[k] - t) > MATCH_HALF_STRIDE * (t1[k] - t0[k]) or not scored[k]:
            continue
        s = st[k]
        hit[k] = True
        sc.n_reported_scored += 1
        err["lean"].append(abs(d["lean_deg"] - s["lean"]))
        err["rot"].append(abs(d["rotation_deg"] - s["rot"]))
        err["rot_truth"].append(s["rot"])
        err["cad"].append(abs(d["cadence_spm"] - s["cadence"]))
        err["label"].append(s["label"])
        running = d["activity"] == "running"
        if s["label"] == "walk":
            sc.n_walk_matched += 1
            sc.n_walk_called_running += running
        else:
            sc.n_run_matched += 1
            sc.n_run_called_running += running
    e = {k: np.asarray(v) for k, v in err.items()}
    sc.lean_med, sc.lean_p90 = _med(e["lean"]), _p90(e["lean"])
    sc.rot_med, sc.rot_truth_med = _med(e["rot"]), _med(e["rot_truth"])
    sc.cad_med, sc.cad_p90 = _med(e["cad"]), _p90(e["cad"])
    for lab in ("run", "walk"):
        m = e["label"] == lab if len(e["label"]) else np.zeros(0, bool)
        if m.any():
            sc.by_label[lab] = {"n": int(m.sum()), "lean_med": round(_med(e["lean"][m]), 2),
                                "lean_p90": round(_p90(e["lean"][m]), 2), "rot_med": round(_med(e["rot"][m]), 2),
                                "rot_truth_med": round(_med(e["rot_truth"][m]), 1),
                                "cad_med": round(_med(e["cad"][m]), 2), "cad_p90": round(_p90(e["cad"][m]), 2)}
    n_run = sc.n_scored_run
    # capped at 1: with an odd count, every other stride is a hair over half of them
    sc.coverage = min(1.0, float(np.sum(hit & scored & (label == "run")) / (COVERAGE_PER_STRIDE * n_run))) if n_run else 0.0
    sc.running_min = sum(sg["t1"] - sg["t0"] for sg in tr["segments"] if sg["label"] == "run") / 60.0

    after = float(cfg["alert_after_s"])
    alerts = [(a["t_ms"] / 1000.0, REASON_OF_ALERT[a["reason"]]) for a in det_events if a["type"] == "alert"]
    sc.n_alerts = len(alerts)
    for reason in FAULTS:
        for on, end in fault_episodes(tr, reason):
            checked = end - on >= after + evaluate.EPISODE_MIN_EXTRA_S
            got = [ta for ta, r in alerts if r == reason and on + after / 2 <= ta <= on + after + evaluate.ALERT_LATE_S]
            sc.episodes.append({"reason": reason, "t0": on, "t1": end, "checked": checked,
                                "alert_s": got[0] if got else None, "latency_s": got[0] - on if got else None})
    sc.episodes.sort(key=lambda x: x["t0"])
    look = after + FALSE_LOOKBACK_EXTRA_S
    for ta, reason in alerts:
        held = any(s.get(reason) and s["t0"] <= ta and s["t1"] >= ta - look for s in st)
        if not held:
            sc.false_alerts.append(ta)
        if _label_at(tr, ta) != "run":
            sc.walk_stand_alerts.append(ta)
    return sc


def score_run(name: str, engine: str = "cpython", d: Path | None = None) -> tuple[replay.ReplayResult, XScore]:
    res = run(name, engine, d)
    return res, score(truth(name, d), res.dicts(), config(name, d), name, engine)


def format_table(scores: list[XScore]) -> str:
    hdr = ("run", "engine", "scored run/walk", "cover%", "lean med", "lean p90", "rot med (truth)", "rot lim",
           "cad med", "cad p90", "episodes", "max lat s", "false", "walk/stand alerts", "walk->run")
    rows = []
    for s in scores:
        r = s.row()
        rows.append((r["run"], r["engine"], f"{r['scored_run']}/{r['scored_walk']}", f"{r['coverage_pct']:.1f}",
                     f"{r['lean_med_abs_deg']:.2f}", f"{r['lean_p90_abs_deg']:.2f}",
                     f"{r['rot_med_abs_deg']:.2f} ({r['rot_truth_med_deg']:.1f})", f"{r['rot_limit_deg']:.2f}",
                     f"{r['cad_med_abs_spm']:.2f}", f"{r['cad_p90_abs_spm']:.2f}", r["episodes_alerted"],
                     str(r["max_latency_s"]), str(r["false_alerts"]), str(r["walk_stand_alerts"]),
                     f"{r['walk_called_running']} ({r['walk_called_running_pct']:.1f} %)"))
    return evaluate.text_table(hdr, rows)
