"""Score the running-dynamics metrics (device/dynamics.py) against the simulator's truth.

Strides are paired as in ``evaluate.score`` (a detected running stride with the truth stride it
overlaps most, at least half of the shorter one); each metric is scored where both sides have a
value (None = not measured). Targets (issue 10), median |error| per run: tilt swing <= 1 deg,
hip drop <= 1 deg per side, vertical oscillation <= 0.8 cm, contact time <= 15 ms.
"""
from __future__ import annotations

import numpy as np

from hinge.coach.evaluate import match_stride

# metric -> (target of the median |error|, unit)
TARGETS = {
    "tilt_swing_deg": (1.0, "deg"),
    "pushoff_pitch_deg": (1.0, "deg"),
    "hip_drop_left_deg": (1.0, "deg"),
    "hip_drop_right_deg": (1.0, "deg"),
    "vo_left_cm": (0.8, "cm"),
    "vo_right_cm": (0.8, "cm"),
    "gct_left_ms": (15.0, "ms"),
    "gct_right_ms": (15.0, "ms"),
}


def pairs(truth: dict, det_events: list[dict]) -> list[tuple[dict, dict]]:
    """(detected, truth) stride pairs of running strides (overlap at least half the shorter)."""
    tstr = [s for s in truth["strides"] if s["activity"] == "running"]
    if not tstr:
        return []
    t0 = np.array([s["t0_ms"] for s in tstr], float)
    t1 = np.array([s["t1_ms"] for s in tstr], float)
    out = []
    for d in det_events:
        if d["type"] != "stride" or d["activity"] != "running":
            continue
        k = match_stride(t0, t1, d)
        if k >= 0:
            out.append((d, tstr[k]))
    return out


_STEP = ("hip_drop", "vo", "gct")    # per-step metrics: "<name>_<side>_<unit>"
_LEAD_MS = 40.0    # how far a detected stride's start may lead its true first contact (see score)


def _steps(truth: dict) -> tuple[np.ndarray, list[tuple[str, dict]]]:
    """Truth steps of running strides: contact times (ms) and (foot, stride row) in time order."""
    rows = []
    for s in truth["strides"]:
        if s["activity"] != "running" or s.get("tm_ms") is None:
            continue
        rows.append((float(s["t0_ms"]), "right", s))
        rows.append((float(s["tm_ms"]), "left", s))
    rows.sort(key=lambda r: r[0])
    return np.array([r[0] for r in rows]), [(r[1], r[2]) for r in rows]


def score(truth: dict, det_events: list[dict]) -> dict:
    """Per metric: n scored, median and p90 |error|, median truth, median signed error (bias), and
    the share of truth values the detector measured.

    Stride metrics (tilt swing, push-off pitch) are paired stride by stride. Per-step metrics
    are paired step by step with the truth step of the same contact, whatever foot the detector
    named (a detected stride's first step is the truth contact at most 150 ms before its start
    and at most 40 ms after it, its second the next contact), and scored per true foot;
    ``naming_pct`` says how often the detector's foot naming (detector.py) agreed."""
    pr = pairs(truth, det_events)
    tc, steps = _steps(truth)
    errs: dict = {m: ([], [], [0]) for m in TARGETS}

    def add(m, dv, tv):
        if tv is None:
            return
        errs[m][2][0] += 1
        if dv is not None:
            errs[m][0].append(dv - tv)
            errs[m][1].append(tv)

    named = [0, 0]
    for d, s in pr:
        for m in ("tilt_swing_deg", "pushoff_pitch_deg"):
            add(m, d.get(m), s.get(m))
        a0 = d["t_ms"] - d["stride_ms"]
        # the stride starts at its first step's fiducial: the trigger (up to 150 ms after the
        # contact) or the contact onset, which may lead the true contact by its line's
        # extension to the flight's level (<= 30 ms, dynamics.py) and half a sample period
        k = int(np.searchsorted(tc, a0 + _LEAD_MS)) - 1
        if k < 0 or a0 - tc[k] > 150.0 or k + 1 >= len(tc) or tc[k + 1] >= d["t_ms"]:
            continue
        for j, label in ((k, "right"), (k + 1, "left")):
            foot, row = steps[j]
            named[0] += foot == label
            named[1] += 1
            for base, unit in (("hip_drop", "deg"), ("vo", "cm"), ("gct", "ms")):
                add(f"{base}_{foot}_{unit}", d.get(f"{base}_{label}_{unit}"), row.get(f"{base}_{foot}_{unit}"))
    out = {}
    for m, (target, unit) in TARGETS.items():
        e, tv, have = np.array(errs[m][0], float), errs[m][1], errs[m][2][0]
        out[m] = {
            "n": int(len(e)),
            "measured_pct": round(100.0 * len(e) / have, 1) if have else None,
            "med_abs": round(float(np.median(np.abs(e))), 3) if len(e) else None,
            "p90_abs": round(float(np.percentile(np.abs(e), 90)), 3) if len(e) else None,
            "bias": round(float(np.median(e)), 3) if len(e) else None,
            "truth_med": round(float(np.median(tv)), 3) if len(tv) else None,
            "target": target,
            "unit": unit,
        }
    out["naming_pct"] = round(100.0 * named[0] / named[1], 1) if named[1] else None
    return out


def misses(sc: dict) -> list[str]:
    """Targets missed, one line each (empty: all met; a metric with nothing scored is a miss)."""
    out = []
    for m, r in sc.items():
        if m not in TARGETS:
            continue
        if r["med_abs"] is None:
            out.append(f"{m}: nothing scored")
        elif r["med_abs"] > r["target"]:
            out.append(f"{m}: median |err| {r['med_abs']:.2f} > {r['target']} {r['unit']}")
    return out


def log_bytes_per_stride(events) -> float | None:
    """Bytes per stride of the session log (device/logfmt.py blocks, framing included) that the
    board would write for these detector events (8-int tuples), without the file header."""
    from array import array

    from hinge.common.devpath import import_device

    fmt = import_device("logfmt")
    blk = bytearray(fmt.BLOCK_MAX)
    st = array("i", [0, 0, -1, 0])
    q = array("i", [0] * 8)
    pos = fmt.block_start(blk, st)
    total = seq = strides = 0
    for e in events:
        q[:] = array("i", e)
        strides += e[0] == 1
        p = fmt.put_event(blk, pos, st, q, 0)
        if p < 0:
            total += fmt.block_end(blk, pos, seq)
            seq += 1
            blk[:] = bytes(fmt.BLOCK_MAX)
            pos = fmt.block_start(blk, st)
            p = fmt.put_event(blk, pos, st, q, 0)
        pos = p
    if pos > fmt.BLK_HDR:
        total += fmt.block_end(blk, pos, seq)
    return round(total / strides, 2) if strides else None


def table(rows: list[tuple[str, dict, float | None]]) -> str:
    """A readable table: per scenario, each metric's median |error| (target), naming, log bytes."""
    from hinge.coach.evaluate import text_table

    names = list(TARGETS)
    hdr = ("scenario", *[m.rsplit("_", 1)[0] for m in names], "naming %", "log B/stride")
    out = []
    for name, sc, bps in rows:
        cells = [f"{sc[m]['med_abs']:.2f}" if sc[m]["med_abs"] is not None else "-" for m in names]
        out.append((name, *cells, str(sc.get("naming_pct")), str(bps)))
    tg = ("target", *[f"<= {TARGETS[m][0]:g} {TARGETS[m][1]}" for m in names], "", "<= 10")
    return text_table(hdr, [tg, *out])
