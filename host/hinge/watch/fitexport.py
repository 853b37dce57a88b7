"""FIT activity files with ``fit-tool`` (a maintained FIT encoder from PyPI), each one decoded
again with Garmin's official SDK before it is written (CRC, messages, developer fields): a file
that would not decode is never left on disk, and nothing is half-written (temp file + rename).

Hinge's per-stride metrics travel as FIT **developer fields** on the record messages (one
record a second; each second carries the last stride that ended in it; seconds without a
stride, e.g. standing, carry none). intervals.icu and GoldenCheetah chart developer fields
by name:

==================  =========  =======  ============================================================
field (number)      units      type     meaning
==================  =========  =======  ============================================================
hinge_lean (0)      deg        float32  forward pelvic lean against the standing pose (stride mean)
hinge_rotation (1)  deg        float32  pelvic rotation about the vertical, peak to peak per stride
hinge_pelvic_roll   deg        float32  pelvic roll: side-to-side tilt, peak to peak per stride
(2)                                     (named hinge_hip_drop in files exported before: the
                                        same value; hip drop proper is fields 6 and 7)
hinge_cadence (3)   steps/min  float32  Hinge's own cadence from the stride time (both feet)
hinge_fault (4)     flags      uint8    fault held (as the coach counts it): 1 too upright,
                                        2 leaning back, 4 swivel, 8 form drift, 16 hip drop,
                                        32 tilt swing, 64 cadence low (a sum when several)
hinge_buzz (5)      reason     uint8    a buzz started in this second: 1 too upright,
                                        2 leaning back, 3 swivel, 4 form drift, 5 hip drop,
                                        6 tilt swing, 7 cadence low (0 or absent: none)
hinge_hip_drop_     deg        float32  hip drop in the left foot's stance (the right hip drops:
left (6)                                device/dynamics.py), running strides where measured
hinge_hip_drop_     deg        float32  the same in the right foot's stance
right (7)
hinge_tilt_swing    deg        float32  pelvic tilt swing: forward-backward pitch, peak to peak
(8)                                     within the stride
hinge_contact_time  ms         float32  Hinge's contact time, balance and vertical oscillation
(9), hinge_contact_  percent            (below), also here: beside a watch's own when it has
balance (10), hinge_ mm                 them (merged, the native fields keep the watch's)
vertical_
oscillation (11)
==================  =========  =======  ============================================================

The running dynamics that watches and running-dynamics pods log go in the record's **native**
fields, so Garmin Connect, intervals.icu, GoldenCheetah and Runalyze show them as their own
(running strides where the board measured them; the log keeps contact time in 8 ms steps and
vertical oscillation in 5 mm, so these are that fine):

=====================  =========  ================================================================
native field           units      from the stride
=====================  =========  ================================================================
stance_time            ms         ground contact time, the mean of its two feet's
stance_time_balance    percent    the left foot's share of the two feet's contact time (50 = even)
stance_time_percent    percent    contact time as a share of the step's time (half the stride's)
vertical_oscillation   mm         the pelvis's rise and fall within a step
step_length            mm         with a watch's speed only (``--merge``): speed x the step's time
vertical_ratio         percent    with it: vertical oscillation over step length
=====================  =========  ================================================================

Merged with a watch file that has running dynamics of its own (a pod, or the watch's wrist
estimate), the native fields keep the watch's: they are what the runner's tools already show
for that device, and Hinge's sit beside them in fields 9-11 (``hinge report --with`` compares
the two). A watch's own step length and vertical ratio are kept the same way.

A merged file keeps what else the watch logged that Hinge does not measure, so uploading it
in place of the watch's loses nothing a runner looks at: ``power`` (W: a Stryd's, or the
watch's own running power) and ``temperature`` (deg C), each on its records and averaged on
the lap and session. The watch's other record fields (respiration rate, core temperature,
...) are not carried; the watch's own file still has them.

The optional cues (form drift, hip drop, tilt swing, cadence; off by default) were added after
the first three: their bits and codes come after, so a file exported before reads the same.
A bit or code shows only when that cue was on (or fired) in the session.

The developer is identified by ``HINGE_APP_ID`` (a fixed 16-byte id) in a developer_data_id
message; the field descriptions say the fields belong to record messages (native mesg 20).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from .activity import Activity, WatchFileError

HINGE_APP_ID = bytes.fromhex("4869e6a1c2b04c7e9d1f0a5b77e3c211")  # Hinge's FIT application id (fixed)
RECORD_MESG = 20  # FIT global message number of ``record``
# fault bits and buzz codes by the coach's reason names (device/events.py REASON_NAMES); never
# renumber one: files already exported keep their meaning
FAULT_BITS = {"upright": 1, "backward": 2, "swivel": 4, "drift": 8, "hip_drop": 16, "tilt_swing": 32, "cadence": 64}
BUZZ_CODE = {"upright": 1, "backward": 2, "swivel": 3, "drift": 4, "hip_drop": 5, "tilt_swing": 6, "cadence": 7}
# (field number, name, units, base type name in fit_tool.base_type.BaseType)
DEV_FIELDS = (
    (0, "hinge_lean", "deg", "FLOAT32"),
    (1, "hinge_rotation", "deg", "FLOAT32"),
    (2, "hinge_pelvic_roll", "deg", "FLOAT32"),
    (3, "hinge_cadence", "steps/min", "FLOAT32"),
    (4, "hinge_fault", "flags", "UINT8"),
    (5, "hinge_buzz", "reason", "UINT8"),
    (6, "hinge_hip_drop_left", "deg", "FLOAT32"),
    (7, "hinge_hip_drop_right", "deg", "FLOAT32"),
    (8, "hinge_tilt_swing", "deg", "FLOAT32"),
    (9, "hinge_contact_time", "ms", "FLOAT32"),
    (10, "hinge_contact_balance", "percent", "FLOAT32"),
    (11, "hinge_vertical_oscillation", "mm", "FLOAT32"),
)
# the native fields an Activity's own running dynamics (a watch's pod) are written to, and its
# own step length and vertical ratio (a pod's: they win over Hinge's from the watch's speed)
ACT_DYNAMICS = (("stance_time", "gct_ms"), ("vertical_oscillation", "vo_mm"), ("stance_time_balance", "gct_balance"))
ACT_NATIVE = ACT_DYNAMICS + (("step_length", "step_mm"), ("vertical_ratio", "vratio_pct"))
# the watch's own series Hinge measures nothing of, carried as they are (activity.CARRIED)
ACT_CARRIED = (("power", "power_w"), ("temperature", "temperature_c"))
# native record fields the FIT profile holds as whole numbers (bpm, W, deg C)
WHOLE = ("heart_rate", "power", "temperature")
# A running step is 0.3 m (a shuffle) to 3 m (past a sprinter's ~2.4): a watch speed that makes
# it shorter or longer is the GPS's (a tunnel, a standing start), not the runner's, and gives no
# step length (and no vertical ratio: a speed of 0.01 m/s made it 2000 %, past the field's range)
STEP_MM = (300.0, 3000.0)


def atomic_write(path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temp file in the same folder and a rename: a reader
    never sees a half-written file, and a failure leaves any old file as it was."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".part", dir=str(path.parent or "."))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _ms(u: float) -> int:
    return int(round(float(u) * 1000.0))


def encode(act: Activity, dev: dict | None = None, product: int = 1, native: dict | None = None) -> bytes:
    """``act`` as a FIT activity file (bytes): file_id, timer start, one record per second
    of ``act.t`` (position, distance, altitude, speed, heart rate, cadence where present),
    timer stop, lap, session and activity messages. ``dev``: {field name of DEV_FIELDS:
    per-second array aligned with ``act.t`` (NaN = no value)} added as developer fields;
    ``native``: {native field name (the module docstring's table; fit_tool RecordMessage
    attributes, in the profile's units): such an array} into the records' own fields, and their
    means into the lap's and session's ``avg_`` fields."""
    from fit_tool.base_type import BaseType
    from fit_tool.developer_field import DeveloperField
    from fit_tool.fit_file_builder import FitFileBuilder
    from fit_tool.profile.messages.activity_message import ActivityMessage
    from fit_tool.profile.messages.developer_data_id_message import DeveloperDataIdMessage
    from fit_tool.profile.messages.event_message import EventMessage
    from fit_tool.profile.messages.field_description_message import FieldDescriptionMessage
    from fit_tool.profile.messages.file_id_message import FileIdMessage
    from fit_tool.profile.messages.lap_message import LapMessage
    from fit_tool.profile.messages.record_message import RecordMessage
    from fit_tool.profile.messages.session_message import SessionMessage
    from fit_tool.profile.profile_type import Activity as FitActivity
    from fit_tool.profile.profile_type import Event, EventType, FileType, Manufacturer, Sport

    sport = getattr(Sport, act.sport.upper(), Sport.GENERIC)
    t = act.t
    t0, t1 = float(t[0]), float(t[-1])
    b = FitFileBuilder(auto_define=True, min_string_size=50)
    m = FileIdMessage()
    m.type = FileType.ACTIVITY
    m.manufacturer = Manufacturer.DEVELOPMENT.value
    m.product = product
    m.serial_number = 0x48494E47  # "HING"
    m.time_created = _ms(t0)
    b.add(m)
    fields = []
    if dev:
        m = DeveloperDataIdMessage()
        m.application_id = HINGE_APP_ID
        m.developer_data_index = 0
        m.application_version = 1
        b.add(m)
        for num, name, units, bt in DEV_FIELDS:
            if name not in dev:
                continue
            m = FieldDescriptionMessage()
            m.developer_data_index = 0
            m.field_definition_number = num
            m.fit_base_type_id = getattr(BaseType, bt)
            m.field_name = name
            m.units = units
            m.native_mesg_num = RECORD_MESG
            b.add(m)
            fields.append((num, getattr(BaseType, bt), np.asarray(dev[name], dtype=float)))
    ev = EventMessage()
    ev.event = Event.TIMER
    ev.event_type = EventType.START
    ev.timestamp = _ms(t0)
    b.add(ev)
    cols = (("position_lat", act.lat), ("position_long", act.lon), ("distance", act.distance_m),
            ("enhanced_altitude", act.altitude_m), ("enhanced_speed", act.speed_mps), ("heart_rate", act.hr_bpm))
    native = native_written(act, native)
    cols += tuple(native.items())
    for i in range(len(t)):
        dfs = []
        for num, bt, arr in fields:
            v = arr[i]
            if np.isfinite(v):
                f = DeveloperField(developer_data_index=0, field_id=num, base_type=bt, size=bt.size)
                f.set_value(0, float(v) if bt == BaseType.FLOAT32 else int(v))
                dfs.append(f)
        r = RecordMessage(developer_fields=dfs)
        r.timestamp = _ms(t[i])
        for k, arr in cols:
            v = arr[i]
            if np.isfinite(v):
                setattr(r, k, int(round(v)) if k in WHOLE else float(v))
        c = act.cadence_spm[i]
        if np.isfinite(c):  # one foot's strides per minute, and the fraction in 1/128
            per_foot = max(0.0, float(c) / 2.0)
            r.cadence = int(per_foot)
            r.fractional_cadence = per_foot - int(per_foot)
        b.add(r)
    ev = EventMessage()
    ev.event = Event.TIMER
    ev.event_type = EventType.STOP_ALL
    ev.timestamp = _ms(t1)
    b.add(ev)
    dist = act.distance_m[np.isfinite(act.distance_m)]
    total = float(dist[-1] - dist[0]) if len(dist) else None
    for cls in (LapMessage, SessionMessage):
        m = cls()
        m.timestamp = _ms(t1)
        m.start_time = _ms(t0)
        m.total_elapsed_time = t1 - t0
        m.total_timer_time = t1 - t0
        if total is not None:
            m.total_distance = total
        m.sport = sport
        for k, v in (native or {}).items():
            # the run's averages, as a watch puts them on its lap and session (over the seconds
            # that carry a value: time-weighted, as the watch's own); power's peak too
            v = np.asarray(v, dtype=float)
            if np.isfinite(v).any():
                mean = float(np.mean(v[np.isfinite(v)]))
                setattr(m, "avg_" + k, int(round(mean)) if k in WHOLE else mean)
                if k == "power":
                    m.max_power = int(round(float(np.max(v[np.isfinite(v)]))))
        m.event = Event.LAP if cls is LapMessage else Event.SESSION
        m.event_type = EventType.STOP
        if cls is SessionMessage:
            m.first_lap_index = 0
            m.num_laps = 1
        b.add(m)
    m = ActivityMessage()
    m.timestamp = _ms(t1)
    m.total_timer_time = t1 - t0
    m.num_sessions = 1
    m.type = FitActivity.MANUAL
    m.event = Event.ACTIVITY
    m.event_type = EventType.STOP
    b.add(m)
    return b.build().to_bytes()


def verify(data: bytes, name: str, records: int, dev: dict | None = None, native: dict | None = None) -> dict:
    """Decode ``data`` with Garmin's SDK (CRC included) and check the record count, every
    developer field's description and that each native field given came back on as many
    records as it had values; returns the messages. Raises WatchFileError."""
    from .fitread import decode

    msgs = decode(data, name)
    got = len(msgs.get("record_mesgs", []))
    if got != records:
        raise WatchFileError(f"{name}: the encoder wrote {got} records, expected {records}: not written")
    names = {d.get("field_name") for d in msgs.get("field_description_mesgs", [])}
    missing = [k for k in (dev or {}) if k not in names]
    if missing:
        raise WatchFileError(f"{name}: developer field {missing[0]} did not survive encoding: not written")
    recs = msgs.get("record_mesgs", [])
    for k, v in (native or {}).items():
        want = int(np.isfinite(np.asarray(v, dtype=float)).sum())
        got = sum(1 for r in recs if r.get(k) is not None)
        if got != want:
            raise WatchFileError(f"{name}: {k} came back on {got} records of {want}: not written")
    return msgs


def native_written(act: Activity, native: dict | None) -> dict:
    """The native series beyond position, speed, heart rate and cadence that a file of ``act``
    with Hinge's ``native`` carries: Hinge's running dynamics, the activity's own (a watch's
    pod) in the fields Hinge's do not take, and the activity's power and temperature."""
    out = {k: np.asarray(v, dtype=float) for k, v in (native or {}).items()}
    for k, a in ACT_NATIVE + ACT_CARRIED:
        if k not in out and act.has(a):
            out[k] = np.asarray(getattr(act, a), dtype=float)
    return out


def write(path, act: Activity, dev: dict | None = None, native: dict | None = None) -> dict:
    """Encode ``act`` (with developer fields ``dev`` and native running dynamics ``native``, see
    encode), verify it with the official decoder, and only then write it to ``path``
    (atomically). Returns the decoded messages."""
    from fit_tool.exceptions import FitEncodingError

    try:
        data = encode(act, dev, native=native)
    except FitEncodingError as e:   # a value past its field's range: said in one line, nothing written
        raise WatchFileError(f"{Path(path).name}: cannot be encoded ({str(e).splitlines()[0][:120]}): not written") from None
    msgs = verify(data, Path(path).name, len(act.t), dev, native_written(act, native))
    atomic_write(path, data)
    return msgs


def hinge_fields(a, u_stride: np.ndarray, u_alert: np.ndarray, grid: np.ndarray) -> dict:
    """Hinge's developer-field series on the 1-s ``grid`` (UTC seconds) from analysis ``a``
    (``hinge.logs.analysis.Analysis``) whose strides end at UTC ``u_stride`` and buzzes at ``u_alert``:
    each second carries the last stride that ended in it (NaN where none did; the running
    dynamics NaN where that stride was not running or did not measure them)."""
    n = len(grid)
    out = {name: np.full(n, np.nan) for _, name, _, _ in DEV_FIELDS}
    s = a.strides
    k, ok = _seconds(u_stride, grid)
    bits = np.zeros(len(s))
    for r, bit in FAULT_BITS.items():
        bits += bit * (a.fault[r] & a.running)

    def running(col):
        return np.where(a.running, np.asarray(s[col], dtype=float), np.nan)

    dyn = stride_dynamics(a)

    for name, col in (("hinge_lean", s["lean_deg"]), ("hinge_rotation", s["rotation_deg"]),
                      ("hinge_pelvic_roll", s["roll_deg"]), ("hinge_cadence", s["cadence_spm"]), ("hinge_fault", bits),
                      ("hinge_hip_drop_left", running("hip_drop_left_deg")),
                      ("hinge_hip_drop_right", running("hip_drop_right_deg")),
                      ("hinge_tilt_swing", running("tilt_swing_deg")),
                      ("hinge_contact_time", dyn["stance_time"]), ("hinge_contact_balance", dyn["stance_time_balance"]),
                      ("hinge_vertical_oscillation", dyn["vertical_oscillation"])):
        out[name][k[ok]] = np.asarray(col, dtype=float)[ok]  # later strides overwrite: the last one wins
    kb = np.floor(np.asarray(u_alert, dtype=float) - grid[0]).astype(np.int64)
    for j, kk in enumerate(kb):
        if 0 <= kk < n:
            out["hinge_buzz"][kk] = BUZZ_CODE.get(str(a.alerts["reason"][j]), 0)
    return out


def _seconds(u_stride, grid):
    """Each stride's second on ``grid`` (its index) and whether it lies on it."""
    k = np.floor(np.asarray(u_stride, dtype=float) - grid[0]).astype(np.int64)
    return k, (k >= 0) & (k < len(grid))


def stride_dynamics(a) -> dict:
    """Per stride of analysis ``a``, in the FIT profile's units (NaN where a stride did not run
    or did not measure it): ``stance_time`` the contact time (the mean of its two feet, or the
    one measured), ``stance_time_balance`` the left foot's share of the two (percent),
    ``stance_time_percent`` contact time over the step's time (half the stride's), and
    ``vertical_oscillation`` (mm)."""
    s = a.strides
    run = np.asarray(a.running, dtype=bool)
    gl = np.where(run, np.asarray(s["gct_left_ms"], dtype=float), np.nan)
    gr = np.where(run, np.asarray(s["gct_right_ms"], dtype=float), np.nan)
    with np.errstate(invalid="ignore"):
        st = np.where(np.isfinite(gl) & np.isfinite(gr), (gl + gr) / 2.0, np.where(np.isfinite(gl), gl, gr))
        bal = 100.0 * gl / (gl + gr)
    step_ms = np.asarray(s["stride_ms"], dtype=float) / 2.0
    return {"stance_time": st, "stance_time_balance": bal,
            "stance_time_percent": np.where(step_ms > 0, 100.0 * st / np.maximum(step_ms, 1.0), np.nan),
            "vertical_oscillation": np.where(run, 10.0 * np.asarray(s["vo_cm"], dtype=float), np.nan)}


def dynamics_fields(a, u_stride: np.ndarray, grid: np.ndarray, speed_mps: np.ndarray | None = None) -> dict:
    """The records' native running-dynamics series (the module docstring's table, FIT profile units) on the 1-s
    ``grid`` from analysis ``a``'s running strides (:func:`stride_dynamics`; ending at UTC
    ``u_stride``, each second the last stride that ended in it, as hinge_fields); with the
    watch's ``speed_mps`` on the same grid, step length (speed x the step's time) and vertical
    ratio (VO over it). Only the fields that have a value anywhere are returned (none for a walk)."""
    s = a.strides
    run = np.asarray(a.running, dtype=bool)
    step_ms = np.asarray(s["stride_ms"], dtype=float) / 2.0
    n = len(grid)
    k, ok = _seconds(u_stride, grid)
    out = {}
    for name, v in stride_dynamics(a).items():
        col = np.full(n, np.nan)
        col[k[ok]] = v[ok]
        out[name] = col
    if speed_mps is not None:
        stepsec = np.full(n, np.nan)
        stepsec[k[ok]] = np.where(run, step_ms, np.nan)[ok] / 1000.0
        with np.errstate(invalid="ignore"):
            sl = np.asarray(speed_mps, dtype=float) * stepsec * 1000.0       # mm
            sl = np.where((sl >= STEP_MM[0]) & (sl <= STEP_MM[1]), sl, np.nan)
            out["step_length"] = sl
            out["vertical_ratio"] = 100.0 * out["vertical_oscillation"] / sl
    return {name: v for name, v in out.items() if np.isfinite(v).any()}


def export(a, out, merge=None) -> str:
    """``hinge export LOG --fit OUT [--merge RUN.fit]`` for analysis ``a``: returns a line to print.

    Alone, the records are placed by the log's own wall-clock start (the board's RTC); with
    ``merge`` the watch's records (GPS, altitude, heart rate, speed, cadence, and its power,
    temperature and running dynamics where it logged them) carry Hinge's fields, lined up by
    :func:`hinge.watch.align.align`. The watch's other record fields (respiration rate, ...)
    are not carried over."""
    from .align import align, header_start
    from .readfile import load

    h = a.session.header
    name = a.path.name if str(a.path) else a.name
    t_s = a.strides["t_ms"].astype(float) / 1000.0
    if not len(t_s):
        raise WatchFileError(f"{name}: no strides: nothing to export")
    if merge is not None:
        act = load(merge)
        al = align(a.strides, act, header_start(h), name)
        to_unix = al.to_unix
        how = al.describe()
    else:
        if h.get("start_utc") is None:
            raise WatchFileError(f"{name}: no wall-clock start (the board's clock was not set): "
                                 "give --merge RUN.fit to place it by the watch")
        start = float(h["start_utc"])

        def to_unix(tau):
            return start + np.asarray(tau, dtype=float)

        grid = np.arange(np.floor(to_unix(max(0.0, t_s.min() - 2.0))), np.ceil(to_unix(t_s.max())) + 1.0)
        nan = np.full(len(grid), np.nan)
        # no watch: the records' own cadence is Hinge's (each second the last stride's, walking
        # or running; a FIT counts one foot, as encode writes it), so the runner's tools chart it
        cad = np.full(len(grid), np.nan)
        k, ok = _seconds(to_unix(t_s), grid)
        cad[k[ok]] = np.asarray(a.strides["cadence_spm"], dtype=float)[ok]
        act = Activity(grid, nan, nan, nan, nan, cad, nan, nan, sport="running", source=name)
        how = "placed by the board's clock" + ("" if h.get("clock_set") else " (not known to be set)")
    dev = hinge_fields(a, to_unix(t_s), to_unix(a.alerts["t_ms"].astype(float) / 1000.0), act.t)
    native = dynamics_fields(a, to_unix(t_s), act.t, act.speed_mps if act.has("speed_mps") else None)
    kept = [f for f, col in ACT_DYNAMICS if act.has(col)]
    if kept:
        # the watch logs running dynamics of its own: its native fields keep them (Hinge's are in
        # fields 9-11), and a step length and vertical ratio of Hinge's would not match them
        native = {}
    for f, col in ACT_NATIVE:
        if act.has(col):
            native.pop(f, None)      # the watch's own step length (a pod's) wins over the speed's
    msgs = write(out, act, dev, native)
    n = int(np.isfinite(dev["hinge_lean"]).sum())
    nd = int(np.isfinite(dev["hinge_contact_time"]).sum())
    where = ("beside the watch's own (" + ", ".join(kept) + ")") if kept else "in the native fields"
    dyn = f"{nd} with its running dynamics {where}" if nd else "none with running dynamics: no running stride"
    carried = [f for f, col in ACT_CARRIED if act.has(col)]
    if carried:
        dyn += "; the watch's " + " and ".join(carried) + " kept"
    return (f"{out}: FIT activity, {len(msgs['record_mesgs'])} records ({n} with Hinge's fields, {dyn}"
            f"{', merged with ' + Path(merge).name if merge else ''}); {how}")
