"""The third-party recordings in the shared ``data/real`` folder: loaders and references that do
not use the detector's method (numpy only; ``imufusion`` for the x-io tilt reference).

Each loader returns a :class:`hinge.common.capture.Capture` in the recording's own sensor axes
(accelerometer in g as specific force, gyro in deg/s), plus what the folder's README says
about its reference. Folder layouts and units: ``<real_dir>/<set>/README.md``. The detector's
figures on them are in :mod:`hinge.dev.realscore`.
"""
from __future__ import annotations

import csv
import datetime
import gzip
import io
import json
import os
import re
from array import array
from pathlib import Path

import numpy as np

from hinge.common import devpath
from hinge.common.capture import Capture

REPO = Path(__file__).resolve().parents[3]
DATA_ENV = "HINGE_REAL_DATA"


def data_dir() -> Path:
    """``REPO/../shared/data/real``, else ``$HINGE_REAL_DATA``, else the shared path (as tests/conftest.py)."""
    d = REPO.parent / "shared" / "data" / "real"
    if d.exists():
        return d
    return Path(os.environ.get(DATA_ENV, "/work/shared/data/real"))


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


def sisfall_path(real_dir, activity: str, subject: str, trial: int = 1) -> Path:
    """One trial's file: ``real_dir/sisfall-waist-walk-jog/D0x_SAxx_R01.txt.gz`` (our subset), or
    the dataset's own layout ``real_dir/SAxx/D0x_SAxx_R01.txt`` (a clone of the whole SisFall,
    for hinge.dev.sisfall_all; ``trial`` 1-5: the other activities and falls have five)."""
    name = f"{activity}_{subject}_R{trial:02d}.txt"
    for p in (Path(real_dir) / SISFALL_DIR / (name + ".gz"), Path(real_dir) / subject / name,
              Path(real_dir) / subject / (name + ".gz")):
        if p.exists():
            return p
    return Path(real_dir) / SISFALL_DIR / (name + ".gz")     # (the missing file the error names)


def sisfall_raw(real_dir, activity: str, subject: str, trial: int = 1) -> np.ndarray:
    """The 9 integer columns of one SisFall trial, shape (N, 9)."""
    path = sisfall_path(real_dir, activity, subject, trial)
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


def sisfall(real_dir, activity: str, subject: str, trial: int = 1) -> Capture:
    """One SisFall trial (ADXL345 accel + ITG3200 gyro) as a Capture at 5 ms per sample."""
    raw = sisfall_raw(real_dir, activity, subject, trial)
    n = len(raw)
    t_ms = np.arange(n, dtype=np.int64) * (1000 // SISFALL_RATE_HZ)
    acc = raw[:, 0:3] * SISFALL_ACC_G_PER_COUNT
    gyr = raw[:, 3:6] * SISFALL_GYR_DPS_PER_COUNT
    return Capture(t_ms, acc.astype(np.float64), gyr.astype(np.float64),
                   [f"SisFall {activity}_{subject}_R{trial:02d} ({SISFALL_ACTIVITIES.get(activity, 'another activity')})"])


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


# ---- adeptdata acc_running (hip + ankle accelerometers, 100 Hz, accel only) ------------
ADEPT_DIR = "adept-hip-ankle-running"
ADEPT_RATE_HZ = 100
ADEPT_MOUNT = {"mount_up": "-y", "mount_forward": "+x"}   # README: +y points down; x/z horizontal,
#                                                           their anatomy undocumented (lean not judged)


def _adept_acc(real_dir, where: str) -> tuple[np.ndarray, np.ndarray]:
    rows = np.loadtxt(_open_text(Path(real_dir) / ADEPT_DIR / f"acc_running_left_{where}.csv.gz"),
                      delimiter=",", skiprows=1, usecols=(0, 2, 3, 4))
    return rows[:, 0], rows[:, 1:4]


def adept(real_dir) -> Capture:
    """The 25-min outdoor run, hip belt sensor: time stamps from the file, accel in g, no gyro
    (the ActiGraph has none: the capture's gyro is zero, so lean and rotation are not judged)."""
    t_s, acc = _adept_acc(real_dir, "hip")
    return Capture(t_s * 1000.0, acc, np.zeros_like(acc), [])


GAITPY_DIR = "gaitpy-demo-lumbar"
GAITPY_MOUNT = {"mount_up": "-y", "mount_forward": "+x"}   # README: +y points down; x/z horizontal,
#                                                            which is forward undocumented (walking only)


def gaitpy_demo(real_dir) -> Capture:
    """GaitPy's demo walk (GENEActiv on the lower back, 50 Hz, accel only: the gyro is zero): the
    file's own time stamps (its one 0.52 s page gap kept as a gap), accel in g."""
    t, acc = [], []
    with _open_text(Path(real_dir) / GAITPY_DIR / "demo_data.csv") as f:
        for k, line in enumerate(f):
            if k < 100 or not line.strip():      # the GENEActiv export's 100 header lines
                continue
            p = line.split(",")
            t.append(datetime.datetime.strptime(p[0], "%Y-%m-%d %H:%M:%S:%f").timestamp() * 1000.0)
            acc.append([float(p[1]), float(p[2]), float(p[3])])
    ta = np.asarray(t) - t[0]
    a = np.asarray(acc, dtype=np.float64)
    return Capture(ta, a, np.zeros_like(a), ["GaitPy demo (GENEActiv, lower back, Czech & Patel 2019)"])


def gaitpy_cadence(real_dir) -> np.ndarray:
    """GaitPy's own per-gait-cycle cadence (steps/min) from its features file (algorithmic, not
    an independent reference)."""
    with _open_text(Path(real_dir) / GAITPY_DIR / "demo_gait_features.csv") as f:
        rows = list(csv.DictReader(f))
    return np.asarray([float(r["cadence"]) for r in rows])


def adept_reference(real_dir) -> dict[str, list[tuple[float, float, float]]]:
    """Reference windows (t0_s, t1_s, steps/min) of the run, 10 s each as the folder's own table:

    - ``running``: the hip's vertical step frequency (spectral peak, 60 f) and the ankle's stride
      frequency (spectral peak of |a| in the stride band, 120 f) agree within AGREE_SPM (the ankle
      sees one foot: its fundamental is the stride) at >= 140 steps/min (jogging and up);
    - ``walking``: the hip's step frequency and the folder's own ankle autocorrelation cadence
      (``derived_cadence_from_ankle_10s.csv``) agree within AGREE_SPM below 125 steps/min (a
      walking ankle's spectrum peaks at its step harmonic, so the spectral pair cannot judge it).
    """
    _, hip = _adept_acc(real_dir, "hip")
    _, ank = _adept_acc(real_dir, "ankle")
    fs = ADEPT_RATE_HZ
    run, walk = [], []
    with _open_text(Path(real_dir) / ADEPT_DIR / "derived_cadence_from_ankle_10s.csv") as f:
        table = list(csv.DictReader(f))
    for r in table:
        a, b = float(r["start_s"]), float(r["end_s"])
        seg = hip[int(a * fs):int(b * fs)]
        up = seg.mean(axis=0)
        up /= np.linalg.norm(up)
        c_hip = 60.0 * spectral_peak_hz(seg @ up, fs, STEP_BAND_HZ)
        c_ank = 120.0 * spectral_peak_hz(np.linalg.norm(ank[int(a * fs):int(b * fs)], axis=1), fs, STRIDE_BAND_HZ)
        if abs(c_hip - c_ank) <= AGREE_SPM and c_hip >= 140.0:
            run.append((a, b, c_hip))
        c_tab = float(r["cadence_steps_per_min"] or "nan")
        if abs(c_hip - c_tab) <= AGREE_SPM and c_hip < 125.0:
            walk.append((a, b, c_hip))
    return {"running": run, "walking": walk}


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


# ---- IPOL / Voisard et al.: L5 walking, 10 m + U-turn + 10 m, manually checked foot events ------
IPOL_DIR = "ipol-lowback-walking"
G_MS2 = 9.80665


def ipol_dir(real_dir) -> Path:
    """Where the IPOL trials are: ``real_dir/ipol-lowback-walking/GaitData`` (our copy of trials 1
    and 2), or ``real_dir`` itself when it is a ``GaitData`` folder of the dataset's repository
    (all six trials, for hinge.dev.ipol_all)."""
    d = Path(real_dir) / IPOL_DIR / "GaitData"
    return d if d.is_dir() else Path(real_dir)


def _ipol_signal(d: Path, name: str) -> Path:
    gz = d / f"{name}_lb.txt.gz"
    return gz if gz.exists() or not (d / f"{name}_lb.txt").exists() else d / f"{name}_lb.txt"


def ipol_trials(real_dir) -> list[str]:
    """The trial names ("1-1" ... "19-6") that have both their signal (``_lb.txt``, gzipped or
    not) and their events."""
    d = ipol_dir(real_dir)
    names = {p.name.split("_lb.txt")[0] for p in d.glob("*_lb.txt*") if p.name.endswith(("_lb.txt", "_lb.txt.gz"))}
    return sorted((n for n in names if (d / (n + ".json")).exists() and re.fullmatch(r"\d+-\d+", n)),
                  key=lambda n: tuple(int(x) for x in n.split("-")))


def ipol(real_dir, name: str) -> tuple[Capture, dict]:
    """One IPOL trial as a Capture and its metadata, with the events turned into times: the
    sensor's own PacketCounter (10 ms a packet) is the time base, so the ~3 % of lost packets
    are gaps (the authors' loader counts rows instead); a repeated packet is dropped. ``meta``
    gains ``contacts_s`` (every heel strike of either foot inside the trial: the end of each
    footstep interval, sorted) and ``uturn_s`` (start, end), all in capture time."""
    d = ipol_dir(real_dir)
    with _open_text(_ipol_signal(d, name)) as f:
        f.readline()
        head = f.readline().strip().split("\t")
        rows = np.asarray([[float(v) for v in ln.split("\t")] for ln in f if ln.strip()], dtype=np.float64)
    col = {h: i for i, h in enumerate(head)}
    pc = rows[:, col["PacketCounter"]]
    t_row = pc * 10.0                                   # ms, per row (events index rows)
    keep = np.concatenate([[True], np.diff(pc) > 0])
    acc = rows[:, [col["Acc_X"], col["Acc_Y"], col["Acc_Z"]]] / G_MS2
    gyr = np.degrees(rows[:, [col["Gyr_X"], col["Gyr_Y"], col["Gyr_Z"]]])
    cap = Capture(t_row[keep].astype(np.int64), acc[keep], gyr[keep], [f"IPOL {name} (L5, Voisard et al.)"])
    meta = json.loads((d / f"{name}.json").read_text())
    tb, ub = meta["TrialBoundaries"], meta["UTurnBoundaries"]
    ics = sorted(e[1] for e in meta["LeftFootEvents"] + meta["RightFootEvents"] if tb[0] <= e[1] <= tb[1])
    late = [i for i in ics + list(ub) if not 0 <= i < len(t_row)]
    if late:
        raise ValueError(f"IPOL {name}: event at row {late[0]} past the signal's {len(t_row)} rows")
    meta["contacts_s"] = [float(t_row[i]) / 1000.0 for i in ics]
    meta["uturn_s"] = (float(t_row[ub[0]]) / 1000.0, float(t_row[ub[1]]) / 1000.0)
    return cap, meta


# =============================================================================================
# Evaluation: references and per-trial figures
# =============================================================================================
SISFALL_MOUNT = {"mount_up": "-y", "mount_forward": "+z"}   # evidence: test_sisfall_forward_axis
MOBGAP_MOUNT = {"mount_up": "+x", "mount_forward": "+z"}    # README: x up, y right, z forward
XIO_MOUNT = {"mount_up": "+z", "mount_forward": "+x"}       # identity: body (F, L, U) = sensor (x, y, z)

# ---- reference cadence (independent of the detector) ------------------------------------
# The detector counts steps with a Schmitt trigger on the ~4 Hz low-passed vertical force and
# reports 120000 / (time of two steps). The reference instead looks at the whole waveform's
# periodicity in the frequency domain, in two signals with different physics:
#   - vertical acceleration (projection on the window's mean acceleration = gravity direction):
#     the pelvis rises and falls once per STEP -> dominant frequency = step frequency;
#   - mediolateral acceleration: the pelvis sways left-right once per STRIDE -> dominant
#     frequency = cadence / 2.
# A 10-s window counts only when 60 * f_vertical and 120 * f_mediolateral agree within 3 spm (so a
# harmonic or sub-harmonic pick in either signal cannot pass as the cadence). Cadence changes
# within a trial (slow walks drift by ~15 spm over 100 s), so the trial reference is the median of
# the windows' cadences, the same kind of statistic as the detector's median over strides.
WIN_S = 10.0
HOP_S = 5.0
STEP_BAND_HZ = (0.7, 3.6)     # 42-216 steps/min
STRIDE_BAND_HZ = (0.35, 1.8)  # 21-108 strides/min
AGREE_SPM = 3.0
SETTLE_S = 5.0                # the first strides of a trial (start-up, detector warming up) are not judged


def spectral_peak_hz(x: np.ndarray, fs: float, band: tuple[float, float]) -> float:
    """Frequency of the largest Hann-windowed, zero-padded FFT peak of ``x`` inside ``band``."""
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean()
    nfft = 1 << int(np.ceil(np.log2(max(len(x), fs / 0.004))))   # bins <= 0.004 Hz (0.24 spm)
    p = np.abs(np.fft.rfft(x * np.hanning(len(x)), nfft)) ** 2
    f = np.fft.rfftfreq(nfft, 1.0 / fs)
    m = (f >= band[0]) & (f <= band[1])
    return float(f[m][np.argmax(p[m])])


def reference_windows(acc_g: np.ndarray, fs: float, ml_axis: int) -> list[tuple[float, float, float]]:
    """[(t_start_s, t_end_s, cadence_spm)] of the 10-s windows whose two estimates agree."""
    n = len(acc_g)
    w = int(WIN_S * fs)
    h = int(HOP_S * fs)
    out = []
    for a in range(0, n - w + 1, h):
        seg = acc_g[a:a + w]
        up = seg.mean(axis=0)
        up /= np.linalg.norm(up)
        vert = seg @ up
        ml = seg[:, ml_axis] - (seg @ up) * up[ml_axis]   # sensor ML axis, gravity removed
        c_step = 60.0 * spectral_peak_hz(vert, fs, STEP_BAND_HZ)
        c_stride = 120.0 * spectral_peak_hz(ml, fs, STRIDE_BAND_HZ)
        if abs(c_step - c_stride) <= AGREE_SPM:
            out.append((a / fs, (a + w) / fs, c_step))
    return out


def stride_arrays(strides, t0_ms=0):
    """(mid_s, end_s, cadence, running) arrays of stride dicts, times from ``t0_ms``."""
    end = np.array([s["t_ms"] for s in strides], dtype=np.float64) - t0_ms
    dur = np.array([s["stride_ms"] for s in strides], dtype=np.float64)
    cad = np.array([s["cadence_spm"] for s in strides], dtype=np.float64)
    run = np.array([s["activity"] == "running" for s in strides], dtype=bool)
    return (end - dur / 2) / 1000.0, end / 1000.0, cad, run


def feed_per_sample(raw, cfg, lsb_g, lsb_k, t0_ms):
    """Feed the detector one sample at a time (CPython): (gravity-up (N, 3) Q24 body frame, step times ms)."""
    detector = devpath.import_device("detector")
    kernel = devpath.import_device("kernel")
    det = detector.Detector(cfg, lsb_g, lsb_k)
    det.start(t0_ms)
    st = det.st
    up = np.empty((len(raw), 3), dtype=np.int64)
    steps = []
    for i in range(len(raw)):
        det.feed(array("h", raw[i].tobytes()), 1)
        det.q.clear()
        up[i] = (st[kernel.S_GF], st[kernel.S_GL], st[kernel.S_GU])
        if st[kernel.S_EVT] & kernel.EVT_STEP:
            steps.append(st[kernel.S_T])
    return up, np.asarray(steps, dtype=np.int64)
