"""Decoded logs written out: a raw capture as the capture CSV ``hinge replay`` reads, a session's
tables as CSV, the whole session as JSON, and a few headline figures. Angles in degrees,
cadence in steps/min, times in ms (as :mod:`hinge.logs.logdecode` decodes them)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hinge.common.capture import write_capture

from .logdecode import COLUMN_UNITS, RawCapture, Session, decode_raw, ev


def raw_to_capture_csv(raw_path, out_csv) -> RawCapture:
    """Convert a raw capture to the capture CSV that ``hinge replay`` reads (sensor axes, g, deg/s).

    Samples whose time does not increase (a damaged dt) are dropped and reported.
    """
    raw = decode_raw(raw_path)
    h = raw.header
    lsb_g = h.get("lsb_per_g") or 1
    lsb_kdps = h.get("lsb_per_kdps") or 1
    t = raw.t_ms
    keep = np.ones(len(t), bool)
    if len(t) > 1:
        keep[1:] = t[1:] > np.maximum.accumulate(t)[:-1]
        if not keep.all():
            raw.problems.append(f"{int((~keep).sum())} samples with non-increasing t_ms dropped")
    c = raw.counts[keep].astype(np.float64)
    acc = c[:, 1:4] / lsb_g
    gyr = c[:, 4:7] * 1000.0 / lsb_kdps
    lines = [f"hinge raw capture {h.get('name', '?')} (converted by hinge.logs.logdecode)"]
    for k in ("fw_version", "imu_model", "rate_hz", "lsb_per_g", "lsb_per_kdps", "start"):
        if k in h:
            lines.append(f"{k}={h[k]}")
    for k, v in h.get("meta", {}).items():
        lines.append(f"{k}={v}")
    lines += [f"problem: {p}" for p in raw.problems]
    # 4 decimals: the raw clock ticks in 1/16 ms
    write_capture(out_csv, t[keep], acc, gyr, lines, t_decimals=4)
    return raw


# -- export -----------------------------------------------------------------------------------
def session_to_csv(session: Session, out, table: str = "strides") -> None:
    """Write one table (``strides``, ``alerts`` or ``events``) as CSV, header info in # lines."""
    arr = {"strides": session.strides, "alerts": session.alerts, "events": session.events}[table]
    h = session.header
    lines = [f"# hinge session {h.get('name', '?')} {table}"]
    for k in ("fw_version", "imu_model", "rate_hz", "start", "clock_set"):
        if k in h:
            lines.append(f"# {k}={h[k]}")
    lines += [f"# problem: {p}" for p in session.problems]
    lines.append("# units: " + ", ".join(f"{c}={COLUMN_UNITS.get(c, 'see events.py')}" for c in arr.dtype.names))
    lines.append(",".join(arr.dtype.names))
    for r in arr.tolist():
        lines.append(",".join(_cell(v) for v in r))
    text = "\n".join(lines) + "\n"
    if hasattr(out, "write"):
        out.write(text)
    else:
        Path(out).write_text(text, encoding="utf-8")


def _cell(v) -> str:
    if isinstance(v, float):
        return f"{v:.2f}"
    if isinstance(v, bool):
        return "1" if v else "0"
    return str(v)


def session_to_json(session: Session, out=None) -> str:
    """The whole session as JSON (tables column-wise); written to ``out`` if given."""
    def cols(a):
        return {n: [round(x, 2) if isinstance(x, float) else x for x in a[n].tolist()] for n in a.dtype.names}

    doc = {
        "header": session.header,
        "problems": session.problems,
        "blocks": session.blocks,
        "bytes": session.size,
        "strides": cols(session.strides),
        "alerts": cols(session.alerts),
        "events": cols(session.events),
    }
    text = json.dumps(doc)
    if out is not None:
        Path(out).write_text(text, encoding="utf-8")
    return text


def summary(session: Session) -> dict:
    """A few headline figures (for the CLI)."""
    s = session.strides
    run = s[s["activity"] == ev.ACT_RUNNING]
    return {
        "session": session.header.get("name"),
        "strides": int(len(s)),
        "duration_s": float((s["t_ms"][-1] - s["t_ms"][0]) / 1000.0) if len(s) > 1 else 0.0,
        "bytes": session.size,
        "bytes_per_stride": round(session.size / len(s), 2) if len(s) else None,
        "lean_deg_median_running": float(np.median(run["lean_deg"])) if len(run) else None,
        "alerts": int((session.alerts["kind"] == "alert").sum()),
        "problems": len(session.problems),
    }
