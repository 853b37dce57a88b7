"""A simulated run streamed chunk by chunk into the virtual IMU's sample source (and a capture CSV).

``hinge demo --firmware-only --minutes 240`` and the soak (``hinge.dev.soak``) play hours of
simulated running through the firmware; held whole in memory that is gigabytes. Here the
simulator (``hinge.sim``) synthesises ``chunk_s`` at a time and each chunk is appended to the
source file (7 int16 per sample: dt in 1/16 ms, then the raw counts; ``vrun.write_source``'s
format), and optionally to a capture CSV, so memory stays at one chunk::

    src = simsource.stream("mixed", "imu_source.s7", seed=1, minutes=240, csv="mixed.csv")
    src.spec, src.truth, src.samples, src.t_ms_end

dt is taken between timestamps rounded to the 1/16-ms grid (``capture.dt_units``), continued
across chunks, so the source's clock equals the simulator's to 1/32 ms after any number of
chunks. The first sample comes one nominal period after the chip starts (as ``write_source``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hinge.common.capture import DT_MAX, DT_UNITS_PER_MS, csv_head, csv_rows

LSB_G, LSB_K = 4096, 32800  # the source's scale (vrun.write_source's): counts per g, per 1000 deg/s


@dataclass
class Streamed:
    spec: dict  # the HINGE_VBOARD "source" settings
    truth: dict  # the simulator's truth (strides, episodes, mount, ...)
    samples: int
    t_ms_end: float  # the last sample's time on the simulator's clock (the first is t_ms_first)
    t_ms_first: float


def stream(scenario: str, path, seed: int = 1, minutes: float | None = None, csv=None, chunk_s: float = 60.0,
           **sim_kw) -> Streamed:
    """Simulate ``scenario`` into the source file ``path`` (and the capture CSV ``csv``)."""
    from hinge.sim import engine, simulate

    run = engine.Run(scenario, seed=seed, minutes=minutes, **sim_kw)
    path = Path(path)
    q_prev = None
    t_first = t_last = 0.0
    n = 0
    f_csv = open(csv, "w", encoding="utf-8", newline="\n") if csv else None  # noqa: SIM115
    try:
        if f_csv:
            head = {"scenario": run.name, "seed": run.seed, "rate_hz": run.rate, "duration_s": round(run.duration, 3),
                    "mount_up": run.mount_up, "mount_forward": run.mount_forward, "ideal": run.ideal}
            f_csv.write(csv_head(simulate._comments(head, Path(csv), run.sensor.dropped_total())))
        with open(path, "wb") as f:
            for part in run.chunks(chunk_s):
                t = np.asarray(part["t_ms"], dtype=np.float64)
                if not len(t):
                    continue
                if q_prev is None:
                    t_first = float(t[0])
                    q_prev = -int(round(DT_UNITS_PER_MS * 1000.0 / run.rate))  # one period before the first
                q = np.rint((t - t_first) * DT_UNITS_PER_MS).astype(np.int64)
                dt = np.clip(np.diff(q, prepend=q_prev), 1, DT_MAX)
                q_prev = int(q[-1])
                raw = np.empty((len(t), 7), dtype=np.int16)
                raw[:, 0] = dt.astype(np.uint16).view(np.int16)
                raw[:, 1:4] = np.clip(np.rint(part["acc_g"] * LSB_G), -32768, 32767)
                raw[:, 4:7] = np.clip(np.rint(part["gyr_dps"] * (LSB_K / 1000.0)), -32768, 32767)
                f.write(raw.astype("<i2").tobytes())
                if f_csv:
                    f_csv.write(csv_rows(t, part["acc_g"], part["gyr_dps"]))
                n += len(t)
                t_last = float(t[-1])
    finally:
        if f_csv:
            f_csv.close()
    truth = run.truth()
    if csv:
        simulate._write_truth(truth, Path(csv))
    spec = {"path": str(path), "fields": 7, "lsb_per_g": LSB_G, "lsb_per_kdps": LSB_K}
    return Streamed(spec, truth, n, t_last, t_first)
