"""Loaders for the third-party recordings in the shared ``data/real`` folder (numpy only).

Each loader returns a :class:`hinge.capture.Capture` in the recording's own sensor axes
(accelerometer in g as specific force, gyro in deg/s), plus what the folder's README says
about its reference. Folder layouts and units: ``<real_dir>/<set>/README.md``.
"""
from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import numpy as np

from hinge.capture import Capture

# ---- SisFall (waist belt, 200 Hz, raw ADC counts, no time column) ----------------------
SISFALL_DIR = "sisfall-waist-walk-jog"
SISFALL_RATE_HZ = 200
SISFALL_ACC_G_PER_COUNT = 32 / 8192       # ADXL345, +-16 g, 13 bit (dataset Readme)
SISFALL_GYR_DPS_PER_COUNT = 4000 / 65536  # ITG3200 as the dataset Readme converts it
SISFALL_SUBJECTS = ("SA01", "SA02", "SA06", "SA07")
SISFALL_ACTIVITIES = {"D01": "walk slow", "D02": "walk quick", "D03": "jog slow", "D04": "jog quick"}


def _open_text(path: Path):
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def sisfall_raw(real_dir, activity: str, subject: str) -> np.ndarray:
    """The 9 integer columns of one SisFall trial, shape (N, 9)."""
    path = Path(real_dir) / SISFALL_DIR / f"{activity}_{subject}_R01.txt.gz"
    rows = []
    with _open_text(path) as f:
        for line in f:
            line = line.strip().rstrip(";")
            if not line:
                continue
            rows.append([int(v) for v in line.split(",")])
    a = np.asarray(rows, dtype=np.int64)
    assert a.ndim == 2 and a.shape[1] == 9, (path, a.shape)
    return a


def sisfall(real_dir, activity: str, subject: str) -> Capture:
    """One SisFall trial (ADXL345 accel + ITG3200 gyro) as a Capture at 5 ms per sample."""
    raw = sisfall_raw(real_dir, activity, subject)
    n = len(raw)
    t_ms = np.arange(n, dtype=np.int64) * (1000 // SISFALL_RATE_HZ)
    acc = raw[:, 0:3] * SISFALL_ACC_G_PER_COUNT
    gyr = raw[:, 3:6] * SISFALL_GYR_DPS_PER_COUNT
    return Capture(t_ms, acc.astype(np.float64), gyr.astype(np.float64),
                   [f"SisFall {activity}_{subject}_R01 ({SISFALL_ACTIVITIES[activity]})"])


# ---- mobgap / Mobilise-D lab example (lower back, 100 Hz, g and deg/s) -----------------
MOBGAP_DIR = "mobgap-lowerback-walking"
MOBGAP_RATE_HZ = 100


def mobgap_trials(real_dir):
    """(cohort, participant, test, trial) of every IMU file present."""
    out = []
    for p in sorted((Path(real_dir) / MOBGAP_DIR / "imu").glob("*_TimeMeasure1_*.csv.gz")):
        name = p.name[: -len(".csv.gz")]
        cohort, pid, _, test, trial = name.split("_")
        out.append((cohort, pid, test, trial))
    return out


def mobgap(real_dir, cohort: str, participant: str, test: str, trial: str) -> Capture:
    """One mobgap IMU trial; t = samples / 100 s (the CSV has no time column)."""
    path = Path(real_dir) / MOBGAP_DIR / "imu" / f"{cohort}_{participant}_TimeMeasure1_{test}_{trial}.csv.gz"
    with _open_text(path) as f:
        rd = csv.reader(f)
        header = next(rd)
        data = np.asarray([[float(v) for v in r] for r in rd if r], dtype=np.float64)
    col = {h: i for i, h in enumerate(header)}
    samples = data[:, col["samples"]].astype(np.int64)
    assert np.all(np.diff(samples) == 1), f"{path}: sample index not contiguous"
    t_ms = (samples - samples[0]) * (1000 // MOBGAP_RATE_HZ)
    acc = data[:, [col["acc_x"], col["acc_y"], col["acc_z"]]]
    gyr = data[:, [col["gyr_x"], col["gyr_y"], col["gyr_z"]]]
    return Capture(t_ms, acc, gyr, [f"mobgap {path.name}"])


def mobgap_bouts(real_dir) -> list[dict]:
    """Rows of ``reference_walking_bouts.csv`` (numbers converted)."""
    path = Path(real_dir) / MOBGAP_DIR / "reference_walking_bouts.csv"
    out = []
    with _open_text(path) as f:
        for r in csv.DictReader(f):
            for k in ("start_s", "end_s", "duration_s", "cadence_steps_per_min", "walking_speed_mps"):
                r[k] = float(r[k])
            for k in ("wb_id", "n_strides", "turning_flag", "imu_samples_in_trial"):
                r[k] = int(r[k])
            out.append(r)
    return out


# ---- x-io Fusion example (hand-held, ~100 Hz with jitter) -------------------------------
XIO_DIR = "xio-fusion-example"


def xio_table(real_dir):
    """(time_s, gyr_dps (N,3), acc_g (N,3)) of ``sensor_data.csv``."""
    path = Path(real_dir) / XIO_DIR / "sensor_data.csv"
    with _open_text(path) as f:
        rd = csv.reader(f)
        header = [h.strip() for h in next(rd)]
        data = np.asarray([[float(v) for v in r] for r in rd if r], dtype=np.float64)
    col = {h: i for i, h in enumerate(header)}
    t = data[:, col["Time (s)"]]
    gyr = data[:, [col[f"Gyroscope {a} (deg/s)"] for a in "XYZ"]]
    acc = data[:, [col[f"Accelerometer {a} (g)"] for a in "XYZ"]]
    return t, gyr, acc


def xio(real_dir) -> tuple[Capture, np.ndarray]:
    """The x-io example as a Capture, and the row index into the CSV of each kept sample.

    t_ms = round(time * 1000); a sample whose rounded time is not after the previous kept
    one (duplicate ms) is dropped, so t_ms strictly increases as the capture format requires.
    """
    t, gyr, acc = xio_table(real_dir)
    t_ms = np.rint(t * 1000.0).astype(np.int64)
    keep = [0]
    for i in range(1, len(t_ms)):
        if t_ms[i] > t_ms[keep[-1]]:
            keep.append(i)
    keep = np.asarray(keep, dtype=np.int64)
    cap = Capture(t_ms[keep], acc[keep].copy(), gyr[keep].copy(), ["x-io Fusion sensor_data.csv"])
    return cap, keep


def xio_reference(real_dir) -> dict[str, np.ndarray]:
    """Columns of ``imufusion_reference_euler.csv.gz`` by name."""
    path = Path(real_dir) / XIO_DIR / "imufusion_reference_euler.csv.gz"
    with _open_text(path) as f:
        rd = csv.reader(f)
        header = [h.strip() for h in next(rd)]
        data = np.asarray([[float(v) for v in r] for r in rd if r], dtype=np.float64)
    return {h: data[:, i] for i, h in enumerate(header)}


def mobgap_initial_contacts(real_dir) -> list[dict]:
    """Rows of ``reference_initial_contacts.csv`` that have a time (a few rows have none)."""
    path = Path(real_dir) / MOBGAP_DIR / "reference_initial_contacts.csv"
    out = []
    with _open_text(path) as f:
        for r in csv.DictReader(f):
            if not r["ic_time_s"].strip():
                continue
            r["ic_time_s"] = float(r["ic_time_s"])
            r["wb_id"] = int(r["wb_id"])
            out.append(r)
    return out
