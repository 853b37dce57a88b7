"""Replay a capture through the device detector, under CPython or the unix-port micropython.

Engines (``devpath.ENGINES``): ``cpython``; ``micropython``, the 64-bit unix port; and
``micropython32``, a 32-bit build with the ESP32's 31-bit small ints and 32-bit viper words.
All run the very files in ``device/`` on the same raw counts in the same blocks, and all yield
the detector's integer events, which one formatter turns into JSON lines; so the engines'
output is identical byte for byte (tests check it), unless the device code overflows on 32 bits.
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hinge.common import devpath
from hinge.common.capture import Capture, board_rate, read_capture, to_raw
from hinge.common.timefmt import clock_ms, day_text

BLOCK = 256  # samples per feed() call: the same in both engines
MP_HEAPSIZE = "256K"  # about an ESP32's GC block count (see micropython-notes)

_events = devpath.import_device("events")
ACTIVITIES = _events.ACTIVITY_NAMES   # names defined once, in device/events.py
REASONS = _events.REASON_NAMES
FAULTS = _events.FAULT_NAMES
_ACT_MASK = _events.FLAG_CALIBRATED - 1  # STRIDE flags: the activity in the bits below the calibrated flag


@dataclass
class ReplayResult:
    events: list[tuple[int, ...]]          # raw 8-int events, in order
    strides: int = 0
    dropped: int = 0
    duration_s: float = 0.0
    cfg: dict = field(default_factory=dict)
    rate_div: int = 1                      # a capture faster than 208 Hz: replayed at 1/rate_div of it

    def jsonl(self) -> list[str]:
        return [json.dumps(d, separators=(",", ":")) for d in event_dicts(self.events)]

    def dicts(self, type_=None) -> list[dict]:
        return [d for d in event_dicts(self.events) if type_ is None or d["type"] == type_]


def event_dicts(events) -> list[dict]:
    """The JSON-lines dicts of a run's events: each stride carries its DYN event's fields
    (``dyn_fields``), which comes right after it with the same t."""
    out: list[dict] = []
    for e in events:
        if e[0] == _events.EV_DYN:
            if out and out[-1]["type"] == "stride" and out[-1]["t_ms"] == e[1]:
                out[-1].update(dyn_fields(e))
            continue
        d = event_dict(e)
        if d:
            out.append(d)
    return out


def dyn_fields(e) -> dict:
    """The fields of a DYN event (8 ints, device/events.py) with units in their names; None =
    not measured (walking: no flight)."""
    _ty, _t, tilt, push, dl, dr, vo, gct = e

    def nz(v, scale):
        return round(v / scale, 2) if v else None

    return {"tilt_swing_deg": nz(tilt, 100), "pushoff_pitch_deg": push / 100 if dl or dr else None,
            "hip_drop_left_deg": nz(dl, 100), "hip_drop_right_deg": nz(dr, 100),
            "vo_left_cm": nz(vo >> 10, 10), "vo_right_cm": nz(vo & 1023, 10),
            "gct_left_ms": gct >> 11 or None, "gct_right_ms": gct & 2047 or None}


def event_dict(e) -> dict | None:
    """One detector event (8 ints, layout in device/events.py) as the JSON-lines dict."""
    ty, t, a, b, c, d, f5, f6 = e
    if ty == _events.EV_STRIDE:
        return {"type": "stride", "t_ms": t, "lean_deg": a / 100, "rotation_deg": b / 100,
                "cadence_spm": c / 10, "roll_deg": f6 / 100, "stride_ms": d,
                "activity": ACTIVITIES[f5 & _ACT_MASK], "calibrated": bool(f5 & _events.FLAG_CALIBRATED),
                "grounded": bool(f5 & _events.FLAG_GROUNDED)}
    if ty in (_events.EV_ALERT, _events.EV_CLEAR):
        return cue_dict(e)
    if ty == _events.EV_CALIB:
        if a:
            # a == 2: the standing pose of the run before a restart; a == 3: an earlier run's, for a
            # run with no standing start (the firmware's, kept on flash: device/events.py)
            out = {"type": "calibrated", "t_ms": t, "stand_pitch_deg": b / 100, "stand_roll_deg": c / 100,
                   "still_ms": d, "restored": a == 2, "earlier": a == 3}
        else:
            out = {"type": "calibration_fallback", "t_ms": t,
                   "note": "no standing start: lean is measured against the mount axes"}
        if f5 == 1:
            # worn upside down (detector._flip): the frame turned about the mount's forward axis
            out["mount_flipped"] = True
        return out
    if ty == _events.EV_ACTIVITY:
        return {"type": "activity", "t_ms": t, "activity": ACTIVITIES[a], "previous": ACTIVITIES[b]}
    if ty == _events.EV_DRIFT:
        return {"type": "drift", "t_ms": t, "minute": f5, "lean_deg": a / 100, "rotation_deg": b / 100,
                "tilt_swing_deg": c / 100 if c else None, "hip_drop_deg": d / 100 if d else None}
    if ty == _events.EV_DRIFT_BASE:   # session 0: learned on this run; else the earlier session's
        return {"type": "drift_base", "t_ms": t, "lean_deg": a / 100, "rotation_deg": b / 100,
                "tilt_swing_deg": c / 100 if c else None, "hip_drop_deg": d / 100 if d else None,
                "from_session": f5 or None, "from_date": day_text(f6) if f5 else None}
    if ty == _events.EV_CAD_BASE:     # the cadence retraining's baseline and target (coach.py)
        return {"type": "cadence_base", "t_ms": t, "baseline_spm": a / 10, "target_spm": b / 10, "kept": bool(c)}
    if ty == _events.EV_FAULT:
        return {"type": "fault", "t_ms": t, "fault": FAULTS[a] if a < len(FAULTS) else str(a), "detail": b}
    return None


SIDES = ("", "left", "right")   # a hip-drop ALERT's extra field (device/events.py)


def cue_dict(e) -> dict:
    """An ALERT or CLEAR event as its JSON-lines dict: value and limit in degrees, or steps/min
    for ``cadence`` (``value_spm``, ``limit_spm`` and the ``target_spm``); a hip drop's ``side``;
    ``withheld`` (faded feedback: logged, not felt) only when set."""
    ty, t, a, b, c, d, w, x = e
    reason = REASONS[a]   # IndexError for a reason this host does not know (the console's parser says "unknown")
    if ty == _events.EV_ALERT:
        out = {"type": "alert", "t_ms": t, "reason": reason, "severity": b}
    else:
        out = {"type": "clear", "t_ms": t, "reason": reason}
    if a == _events.R_CADENCE:
        out.update(value_spm=c / 100, limit_spm=d / 100)
        if x:
            out["target_spm"] = x / 10
    else:
        out.update(value_deg=c / 100, limit_deg=d / 100)
    if a == _events.R_HIP_DROP and 0 < x < len(SIDES):
        out["side"] = SIDES[x]
    if w:
        out["withheld"] = True
    return out


_METRIC = {"swivel": "rotation", "drift": "drift", "hip_drop": "hip drop", "tilt_swing": "tilt swing"}


def cue_text(ev: dict, sep: str = ", limit") -> str:
    """An alert or clear dict's measure in words: ``lean +3.0 deg, limit +4.0``, ``hip drop (left)
    10.9 deg, limit 9.0``, ``cadence 167.2 steps/min, limit 171.7 (target 174.7)``; a withheld
    cue says so."""
    r = ev.get("reason")
    if "value_spm" in ev:
        txt = f"cadence {ev['value_spm']:.1f} steps/min{sep} {ev['limit_spm']:.1f}"
        if "target_spm" in ev:
            txt += f" (target {ev['target_spm']:.1f})"
    else:
        m = _METRIC.get(r, "lean") + (f" ({ev['side']})" if "side" in ev else "")
        txt = f"{m} {ev['value_deg']:+.1f} deg{sep} {ev['limit_deg']:+.1f}"
    if ev.get("withheld"):
        txt += "; withheld by faded feedback: logged, not felt"
    return txt


def load_config(overrides: dict | None = None) -> dict:
    config = devpath.import_device("config")
    return config.validate(dict(overrides or {}))


def scales(cfg: dict) -> tuple[int, int]:
    sensors = devpath.import_device("sensors")
    return sensors.sensitivity(cfg["imu_model"], cfg["accel_range_g"], cfg["gyro_range_dps"])


def replay(cap: Capture | str | os.PathLike, overrides: dict | None = None, engine: str = "cpython") -> ReplayResult:
    """Run a capture (object or CSV path) through the detector; return its events. A capture
    faster than the board's 208 Hz is replayed as its IMU at 1/k of the rate (``board_rate``:
    ``res.rate_div`` = k)."""
    if not isinstance(cap, Capture):
        cap = read_capture(cap)
    cap, k = board_rate(cap)
    cfg = load_config(overrides)
    lsb_g, lsb_k = scales(cfg)
    raw = to_raw(cap, lsb_g, lsb_k)
    if engine not in devpath.ENGINES:
        raise ValueError(f"unknown engine {engine!r}: use {', '.join(devpath.ENGINES)}")
    # The board starts its detector's clock at 0 each session (app.py), and its times must fit
    # the ESP32's small ints (2**30); so replay starts it at 0 too and puts the events back on
    # the capture's clock (t0: its first stamp, whole ms). A capture stamped on any clock (a
    # logger's Unix time, 1.7e12 ms) replays as the board would run it.
    t0 = int(cap.t_ms[0])
    if engine == "cpython":
        res = _run_cpython(raw, cfg, lsb_g, lsb_k, 0)
    else:
        res = _run_micropython(raw, cfg, lsb_g, lsb_k, 0, engine)
    if t0:
        res.events = [(e[0], e[1] + t0) + tuple(e[2:]) for e in res.events]
    res.duration_s = cap.duration_s
    res.cfg = cfg
    res.rate_div = k
    return res


def _run_cpython(raw: np.ndarray, cfg, lsb_g, lsb_k, t0) -> ReplayResult:
    detector = devpath.import_device("detector")
    det = detector.Detector(cfg, lsb_g, lsb_k)
    det.start(t0)
    q = det.q
    events: list[tuple[int, ...]] = []
    n = len(raw)
    for s in range(0, n, BLOCK):
        blk = raw[s:s + BLOCK]
        buf = array("h", blk.tobytes())
        _take(events, q, det.feed(buf, len(blk)))
    _take(events, q, det.flush())   # the end of the samples: what the detector held (a walking stride)
    return ReplayResult(events, det.strides, q.dropped)


def _take(events: list, q, ne: int) -> None:
    """Move the queue's first ``ne`` events (8 ints each) to ``events``."""
    b = q.buf
    for k in range(ne):
        events.append(tuple(b[k * 8:(k + 1) * 8]))
    q.clear()


def _run_micropython(raw: np.ndarray, cfg, lsb_g, lsb_k, t0, engine) -> ReplayResult:
    exe = devpath.engine_cmd(engine)
    runner = Path(__file__).parent / "replay_run.py"
    with tempfile.TemporaryDirectory(prefix="hinge-replay-") as td:
        rawf = Path(td) / "samples.bin"
        rawf.write_bytes(raw.astype("<i2").tobytes())
        cfgf = Path(td) / "config.json"
        cfgf.write_text(json.dumps(cfg))
        cmd = [exe, "-X", f"heapsize={MP_HEAPSIZE}", str(runner), str(rawf), str(cfgf),
               str(lsb_g), str(lsb_k), str(t0), str(BLOCK)]
        p = subprocess.run(cmd, capture_output=True, text=True, env=devpath.micropython_env())
    if p.returncode != 0:
        tail = (p.stderr or p.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise RuntimeError(f"{engine} replay failed: {tail[0]}")
    events = []
    strides = dropped = 0
    for line in p.stdout.splitlines():
        if line.startswith("end "):
            _, s, d = line.split()
            strides, dropped = int(s), int(d)
        elif line:
            events.append(tuple(int(x) for x in line.split()))
    return ReplayResult(events, strides, dropped)


# ---- readable summary -------------------------------------------------------------------
def _other_sign(axis: str) -> str:
    return ("-" if axis[:1] == "+" else "+") + axis[1:]


def summary(res: ReplayResult, t0_ms: int = 0) -> str:
    """What the runner would have felt, and a per-minute table."""
    strides = res.dicts("stride")
    alerts = res.dicts("alert")
    run = [s for s in strides if s["activity"] == "running"]
    lines = []
    lines.append(f"duration {res.duration_s / 60:.1f} min, {len(strides)} strides "
                 f"({len(run)} running, {len(strides) - len(run)} walking), {len(alerts)} buzzes")
    cal = res.dicts("calibrated")
    frames = [e for e in res.dicts() if e["type"] in ("calibrated", "calibration_fallback")]
    flips = [e for e in frames if e.get("mount_flipped")]
    if flips and frames[-1].get("mount_flipped"):
        up, fw = res.cfg.get("mount_up", "?"), res.cfg.get("mount_forward", "?")
        lines.append(f"worn upside down: read with mount_up {_other_sign(up)} (the config says {up}, "
                     f"forward {fw}); `hinge config set mount_up={_other_sign(up)}` says so for good")
    elif flips:
        # turned over and back (the clip, or seconds of a sensor's garbage): the config is right
        lines.append(f"read upside down from {clock_ms(flips[0]['t_ms'] - t0_ms)} to "
                     f"{clock_ms(frames[-1]['t_ms'] - t0_ms)}, then the right way up again (as the config says)")
    if cal:
        lines.append(f"calibrated at {clock_ms(cal[0]['t_ms'] - t0_ms)}: standing pitch {cal[0]['stand_pitch_deg']:+.1f} deg")
    elif res.dicts("calibration_fallback"):
        lines.append("not calibrated (no 3 s standing start): lean measured against the mount axes")
    if run:
        lean = np.array([s["lean_deg"] for s in run])
        rot = np.array([s["rotation_deg"] for s in run])
        cad = np.array([s["cadence_spm"] for s in run])
        lines.append(f"running: lean median {np.median(lean):.1f} deg (p10 {np.percentile(lean, 10):.1f}, "
                     f"p90 {np.percentile(lean, 90):.1f}), rotation median {np.median(rot):.1f} deg, "
                     f"cadence median {np.median(cad):.0f} spm")
    lines.append("")
    lines.append("buzzes (what the runner felt):")
    if not alerts:
        lines.append("  none")
    for a in alerts:
        lines.append(f"  {clock_ms(a['t_ms'] - t0_ms):>6}  {a['reason']:<9} severity {a['severity']}  "
                     f"({cue_text(a, ' vs limit')})")
    lines.append("")
    lines.append(" minute  activity  strides  cadence  lean  rotation  buzzes")
    if strides:
        last_min = (strides[-1]["t_ms"] - t0_ms) // 60000
        for m in range(int(last_min) + 1):
            ss = [s for s in strides if (s["t_ms"] - t0_ms) // 60000 == m]
            bz = [a for a in alerts if (a["t_ms"] - t0_ms) // 60000 == m]
            if not ss:
                lines.append(f" {m:>6}  {'standing':<8}  {0:>7}")
                continue
            r = [s for s in ss if s["activity"] == "running"]
            act = "running" if len(r) * 2 >= len(ss) else "walking"
            use = r or ss
            lines.append(f" {m:>6}  {act:<8}  {len(ss):>7}  {np.median([s['cadence_spm'] for s in use]):>7.0f}"
                         f"  {np.median([s['lean_deg'] for s in use]):>4.1f}"
                         f"  {np.median([s['rotation_deg'] for s in use]):>8.1f}"
                         f"  {', '.join(a['reason'] for a in bz)}")
    return "\n".join(lines)
