"""Score detector output against simulator truth (per-stride accuracy, alert timing), and the
accuracy targets every validation (simulator, crosscheck, real data) is held to.

Matching: each detected stride covers [t_ms - stride_ms, t_ms]; it is paired with the truth
stride it overlaps most (at least half of the shorter one). Accuracy counts running strides
only. An episode "gets its alert" when an alert of the same reason starts within
[t0, t0 + alert_after_s + 3 s]; an alert is false when no episode of its reason is under way
(with a 3 s grace after an episode ends, for the coach's one-stride smoothing).

The independent crosscheck runs are scored by ``hinge.dev.crosscheck`` (their README's own rules);
both scores are judged by :func:`misses` against the same targets.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

GRACE_MS = 3000

# ---- targets (issue "Accuracy that holds outside our own simulator"), per run ------------------
LEAN_MED_DEG = 0.5          # lean: median |error|
LEAN_P90_DEG = 2.0          # lean: 90th percentile |error|
ROT_MED_FLOOR_DEG = 1.0     # rotation: median |error| <= max(1 deg, 10 % of the truth median)
ROT_MED_REL = 0.10
CAD_MED_SPM = 1.0           # cadence: median |error| over strides
CAD_P90_SPM = 3.0           # cadence: 90th percentile of the per-stride |error|
COVERAGE_MIN = 0.95         # share of (steady) running strides reported
ALERT_LATE_S = 3.0          # an episode's alert comes within alert_after_s + 3 s of its onset ...
EPISODE_MIN_EXTRA_S = 4.0   # ... for every episode lasting at least alert_after_s + 4 s
FALSE_PER_30MIN = 1.0       # false alerts per 30 min of running
ENGINES_ENV = "HINGE_ENGINES"   # comma list of replay engines the accuracy tests run under


def accuracy_engines() -> list[str]:
    """Engines the accuracy validations replay under: ``$HINGE_ENGINES`` (e.g.
    ``cpython,micropython,micropython32``), default cpython only (the figures are engine
    independent by design; parity tests check that byte for byte)."""
    return [e.strip() for e in os.environ.get(ENGINES_ENV, "cpython").split(",") if e.strip()]


def rot_limit(truth_med: float) -> float:
    return max(ROT_MED_FLOOR_DEG, ROT_MED_REL * truth_med)


def misses(f: dict, lean_claim: bool = True) -> list[str]:
    """Targets a run misses, one readable line each, ``"<target>: <figures>"`` (empty: all met).

    ``f`` holds: lean_med, lean_p90, rot_med, rot_truth_med, cad_med, cad_p90 (deg / spm, nan when
    nothing was scored), coverage (0-1), episodes_checked, episodes_alerted, false_alerts,
    running_min, alerts_not_running (alerts while walking or standing).
    """
    out = []

    def bad(ok, text):
        if not ok:
            out.append(text)

    if lean_claim:
        bad(f["lean_med"] <= LEAN_MED_DEG, f"lean median: |err| {f['lean_med']:.2f} > {LEAN_MED_DEG} deg")
        bad(f["lean_p90"] <= LEAN_P90_DEG, f"lean p90: |err| {f['lean_p90']:.2f} > {LEAN_P90_DEG} deg")
    lim = rot_limit(f["rot_truth_med"])
    bad(f["rot_med"] <= lim, f"rotation median: |err| {f['rot_med']:.2f} > {lim:.2f} deg "
                             f"(max({ROT_MED_FLOOR_DEG}, {ROT_MED_REL:.0%} of truth {f['rot_truth_med']:.1f}))")
    bad(f["cad_med"] <= CAD_MED_SPM, f"cadence median: |err| {f['cad_med']:.2f} > {CAD_MED_SPM} spm")
    bad(f["cad_p90"] <= CAD_P90_SPM, f"cadence p90: per-stride |err| {f['cad_p90']:.2f} > {CAD_P90_SPM} spm")
    bad(f["coverage"] >= COVERAGE_MIN, f"coverage: {100 * f['coverage']:.1f} % < {100 * COVERAGE_MIN:.0f} %")
    bad(f["episodes_alerted"] == f["episodes_checked"],
        f"episodes: {f['episodes_alerted']}/{f['episodes_checked']} alerted in time")
    allowed = FALSE_PER_30MIN * f["running_min"] / 30.0
    bad(f["false_alerts"] <= allowed,
        f"false alerts: {f['false_alerts']} in {f['running_min']:.1f} min of running (allowed {allowed:.2f})")
    bad(f["alerts_not_running"] == 0, f"walk/stand alerts: {f['alerts_not_running']}")
    return out


def miss_tags(missed: list[str]) -> str:
    """The targets' names only, for a table column ("ok" when none is missed)."""
    return ", ".join(m.split(":")[0] for m in missed) or "ok"


def _p90(x) -> float:
    return float(np.percentile(x, 90)) if len(x) else float("nan")


def _med(x) -> float:
    return float(np.median(x)) if len(x) else float("nan")


@dataclass
class Score:
    scenario: str
    n_truth_running: int = 0
    n_matched: int = 0
    coverage: float = 0.0
    lean_med_abs: float = float("nan")
    lean_p90_abs: float = float("nan")
    rot_med_abs: float = float("nan")
    rot_med_rel: float = float("nan")
    rot_truth_med: float = float("nan")
    cad_med_abs: float = float("nan")
    cad_p90_abs: float = float("nan")
    episodes: int = 0
    episodes_checked: int = 0
    episodes_alerted: int = 0
    latencies_s: list = field(default_factory=list)
    missed: list = field(default_factory=list)
    false_alerts: int = 0
    running_min: float = 0.0
    alerts_not_running: int = 0

    @property
    def false_per_30min(self) -> float:
        return self.false_alerts / max(self.running_min / 30.0, 1e-9)

    def rot_ok(self) -> bool:
        return self.rot_med_abs <= rot_limit(self.rot_truth_med)

    def figures(self) -> dict:
        return {"lean_med": self.lean_med_abs, "lean_p90": self.lean_p90_abs, "rot_med": self.rot_med_abs,
                "rot_truth_med": self.rot_truth_med, "cad_med": self.cad_med_abs, "cad_p90": self.cad_p90_abs,
                "coverage": self.coverage, "episodes_checked": self.episodes_checked,
                "episodes_alerted": self.episodes_alerted, "false_alerts": self.false_alerts,
                "running_min": self.running_min, "alerts_not_running": self.alerts_not_running}

    def misses(self, lean_claim: bool = True) -> list[str]:
        return misses(self.figures(), lean_claim)

    def row(self) -> dict:
        return {
            "scenario": self.scenario,
            "running_strides": self.n_truth_running,
            "coverage_pct": round(100 * self.coverage, 1),
            "lean_med_abs_deg": round(self.lean_med_abs, 2),
            "lean_p90_abs_deg": round(self.lean_p90_abs, 2),
            "rot_med_abs_deg": round(self.rot_med_abs, 2),
            "rot_truth_med_deg": round(self.rot_truth_med, 1),
            "cad_med_abs_spm": round(self.cad_med_abs, 2),
            "cad_p90_abs_spm": round(self.cad_p90_abs, 2),
            "episodes_alerted": f"{self.episodes_alerted}/{self.episodes_checked}",
            "max_latency_s": round(max(self.latencies_s), 1) if self.latencies_s else None,
            "missed": [list(m) for m in self.missed],
            "false_alerts": self.false_alerts,
            "running_min": round(self.running_min, 2),
            "false_per_30min": round(self.false_per_30min, 2),
            "alerts_not_running": self.alerts_not_running,
        }


def match_stride(t0: np.ndarray, t1: np.ndarray, d: dict) -> int:
    """The index of the truth stride (starts ``t0``, ends ``t1``, ms) that detected stride ``d``
    overlaps most, if that overlap is at least half the shorter of the two; else -1."""
    a1 = float(d["t_ms"])
    a0 = a1 - d["stride_ms"]
    ov = np.minimum(t1, a1) - np.maximum(t0, a0)
    k = int(np.argmax(ov))
    return k if ov[k] >= 0.5 * min(t1[k] - t0[k], a1 - a0) else -1


def score(truth: dict, det_events: list[dict], cfg: dict) -> Score:
    """Compare detector dicts (ReplayResult.dicts()) with a simulator truth dict."""
    sc = Score(truth.get("scenario", "?"))
    tstr = [s for s in truth["strides"] if s["activity"] == "running"]
    sc.n_truth_running = len(tstr)
    det = [d for d in det_events if d["type"] == "stride"]
    alerts = [d for d in det_events if d["type"] == "alert"]
    if tstr:
        t0 = np.array([s["t0_ms"] for s in tstr], float)
        t1 = np.array([s["t1_ms"] for s in tstr], float)
        matched = np.zeros(len(tstr), bool)
        lean_e, rot_e, rot_t, cad_e = [], [], [], []
        for d in det:
            if d["activity"] != "running":
                continue
            k = match_stride(t0, t1, d)
            if k < 0:
                continue
            matched[k] = True
            s = tstr[k]
            lean_e.append(d["lean_deg"] - s["lean_deg"])
            rot_e.append(d["rotation_deg"] - s["rotation_deg"])
            rot_t.append(s["rotation_deg"])
            cad_e.append(d["cadence_spm"] - s["cadence_spm"])
        sc.n_matched = int(matched.sum())
        sc.coverage = sc.n_matched / len(tstr)
        if lean_e:
            le = np.abs(lean_e)
            sc.lean_med_abs = _med(le)
            sc.lean_p90_abs = _p90(le)
            sc.rot_med_abs = _med(np.abs(rot_e))
            sc.rot_truth_med = _med(rot_t)
            sc.rot_med_rel = sc.rot_med_abs / max(sc.rot_truth_med, 1e-9)
            sc.cad_med_abs = _med(np.abs(cad_e))
            sc.cad_p90_abs = _p90(np.abs(cad_e))
    # running time from truth segments
    segs = truth["segments"]
    sc.running_min = sum((s["t1_ms"] - s["t0_ms"]) for s in segs if s["activity"] == "running") / 60000.0
    # alerts while walking/standing
    for a in alerts:
        seg = next((s for s in segs if s["t0_ms"] <= a["t_ms"] < s["t1_ms"]), None)
        if seg is None or seg["activity"] != "running":
            # allow the last stride of a running segment to end just after it
            if not any(s["activity"] == "running" and s["t1_ms"] <= a["t_ms"] < s["t1_ms"] + 1500 for s in segs):
                sc.alerts_not_running += 1
    # episodes
    after_ms = cfg["alert_after_s"] * 1000
    eps = truth.get("episodes", [])
    sc.episodes = len(eps)
    for e in eps:
        if e["t1_ms"] - e["t0_ms"] < after_ms + EPISODE_MIN_EXTRA_S * 1000:
            continue
        sc.episodes_checked += 1
        hit = [a for a in alerts if a["reason"] == e["reason"]
               and e["t0_ms"] <= a["t_ms"] <= e["t0_ms"] + after_ms + ALERT_LATE_S * 1000]
        if hit:
            sc.episodes_alerted += 1
            sc.latencies_s.append((hit[0]["t_ms"] - e["t0_ms"]) / 1000.0)
        else:
            first = [a for a in alerts if a["reason"] == e["reason"] and a["t_ms"] >= e["t0_ms"]]
            sc.missed.append((e["reason"], e["t0_ms"], first[0]["t_ms"] if first else None))
    for a in alerts:
        ok = any(e["reason"] == a["reason"] and e["t0_ms"] <= a["t_ms"] <= e["t1_ms"] + GRACE_MS for e in eps)
        if not ok:
            sc.false_alerts += 1
    return sc


def text_table(header: tuple, rows: list[tuple]) -> str:
    """Columns padded to width: the first left-aligned, the rest right-aligned."""
    rows = [tuple(header)] + [tuple(str(c) for c in r) for r in rows]
    w = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return "\n".join("  ".join(c.rjust(w[i]) if i else c.ljust(w[i]) for i, c in enumerate(r)) for r in rows)


def format_table(scores: list[Score]) -> str:
    hdr = ("scenario", "strides", "cover%", "lean med", "lean p90", "rot med", "rot truth", "cad med", "cad p90",
           "episodes", "max lat s", "false/30min", "walk/stand alerts")
    rows = []
    for s in scores:
        r = s.row()
        rows.append((r["scenario"], str(r["running_strides"]), f"{r['coverage_pct']:.1f}", f"{r['lean_med_abs_deg']:.2f}",
                     f"{r['lean_p90_abs_deg']:.2f}", f"{r['rot_med_abs_deg']:.2f}", f"{r['rot_truth_med_deg']:.1f}",
                     f"{r['cad_med_abs_spm']:.2f}", f"{r['cad_p90_abs_spm']:.2f}", r["episodes_alerted"],
                     str(r["max_latency_s"]), f"{r['false_per_30min']:.2f}", str(r["alerts_not_running"])))
    return text_table(hdr, rows)
