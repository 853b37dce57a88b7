"""The capture CSV format (read, check, convert to the IMU's raw counts).

Format: UTF-8; lines starting with ``#`` are comments; header
``t_ms,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps``; t_ms increasing at a constant nominal rate of
50-200 Hz (a missing sample shows as a gap); the IMU's own right-handed axes; accelerometer in
g (+1 g on the axis pointing up when still), gyro in deg/s.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

HEADER = ("t_ms", "ax_g", "ay_g", "az_g", "gx_dps", "gy_dps", "gz_dps")


class CaptureError(ValueError):
    """A malformed capture; the message is one line and names the file line."""


@dataclass
class Capture:
    t_ms: np.ndarray      # int64, increasing
    acc_g: np.ndarray     # (N, 3) float
    gyr_dps: np.ndarray   # (N, 3) float
    comments: list[str]

    @property
    def rate_hz(self) -> float:
        """Nominal rate from the median sample interval."""
        if len(self.t_ms) < 2:
            return 0.0
        return 1000.0 / float(np.median(np.diff(self.t_ms)))

    @property
    def duration_s(self) -> float:
        return float(self.t_ms[-1] - self.t_ms[0]) / 1000.0 if len(self.t_ms) else 0.0


def read_capture(path) -> Capture:
    """Read and check a capture CSV; raise CaptureError('FILE:LINE: problem') when malformed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CaptureError(f"{path}: no such file") from None
    except UnicodeDecodeError as e:
        raise CaptureError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    comments: list[str] = []
    rows: list[list[float]] = []
    header_seen = False
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            comments.append(line[1:].strip())
            continue
        if not header_seen:
            cols = tuple(c.strip() for c in line.split(","))
            if cols != HEADER:
                raise CaptureError(f"{path}:{lineno}: expected header {','.join(HEADER)}, got {line[:80]}")
            header_seen = True
            continue
        parts = line.split(",")
        if len(parts) != 7:
            raise CaptureError(f"{path}:{lineno}: expected 7 values, got {len(parts)}")
        try:
            vals = [float(p) for p in parts]
        except ValueError:
            bad = next(p for p in parts if not _is_number(p))
            raise CaptureError(f"{path}:{lineno}: not a number: {bad.strip()[:40]!r}") from None
        if any(v != v or v in (float("inf"), float("-inf")) for v in vals):
            raise CaptureError(f"{path}:{lineno}: NaN or infinite value")
        if vals[0] != int(vals[0]):
            raise CaptureError(f"{path}:{lineno}: t_ms must be a whole number of ms, got {parts[0].strip()}")
        if rows and vals[0] <= rows[-1][0]:
            raise CaptureError(f"{path}:{lineno}: t_ms {int(vals[0])} not after the previous {int(rows[-1][0])}")
        rows.append(vals)
    if not header_seen:
        raise CaptureError(f"{path}: no header line ({','.join(HEADER)})")
    if len(rows) < 2:
        raise CaptureError(f"{path}: fewer than 2 samples")
    a = np.asarray(rows, dtype=np.float64)
    cap = Capture(a[:, 0].astype(np.int64), a[:, 1:4].copy(), a[:, 4:7].copy(), comments)
    rate = cap.rate_hz
    if not 45.0 <= rate <= 215.0:
        raise CaptureError(f"{path}: nominal rate {rate:.1f} Hz outside 50-200 Hz")
    return cap


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def write_capture(path, t_ms, acc_g, gyr_dps, comments=()) -> None:
    """Write a capture CSV (5 decimals for g, 3 for deg/s)."""
    t_ms = np.asarray(t_ms, dtype=np.int64)
    acc_g = np.asarray(acc_g, dtype=np.float64)
    gyr_dps = np.asarray(gyr_dps, dtype=np.float64)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for c in comments:
            f.write(f"# {c}\n")
        f.write(",".join(HEADER) + "\n")
        for i in range(len(t_ms)):
            a = acc_g[i]
            g = gyr_dps[i]
            f.write(f"{t_ms[i]},{a[0]:.5f},{a[1]:.5f},{a[2]:.5f},{g[0]:.3f},{g[1]:.3f},{g[2]:.3f}\n")


def to_raw(cap: Capture, lsb_per_g: int, lsb_per_kdps: int) -> np.ndarray:
    """The sample buffer the detector eats: int16 (N, 7) = [dt_ms, ax..gz raw counts].

    Converts to the IMU's counts at the configured full scales, saturating like the chip.
    dt of the first sample is 0 (the session clock starts at the first sample's t_ms);
    gaps longer than 32767 ms are clamped.
    """
    n = len(cap.t_ms)
    out = np.empty((n, 7), dtype=np.int16)
    dt = np.diff(cap.t_ms, prepend=cap.t_ms[0])
    out[:, 0] = np.clip(dt, 0, 32767)
    acc = np.rint(cap.acc_g * lsb_per_g)
    gyr = np.rint(cap.gyr_dps * (lsb_per_kdps / 1000.0))
    out[:, 1:4] = np.clip(acc, -32768, 32767)
    out[:, 4:7] = np.clip(gyr, -32768, 32767)
    return out
