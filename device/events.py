"""Event codes shared by the detector, coach, haptics, flash log and host (defined once).

The detector queues events as 8 small ints (``EV_LEN``) in a preallocated ``array('i')``:

==========  ====  =====  ==========  ==========  ==========  =========  =====  ========
type        t_ms  a      b           c           d           e          f
==========  ====  =====  ==========  ==========  ==========  =========  =====  ========
STRIDE      end   lean   rotation    cadence     stride_ms   flags      roll
ALERT       t     reason severity    value       limit       withheld   extra
CLEAR       t     reason 0           value       limit       withheld   0
CALIB       t     ok     pitch0      roll0       still_ms    flipped    0
ACTIVITY    t     act    prev        0           0           0          0
FAULT       t     code   detail      0           0           0          0
IMU_RATE    t     mhz    ppm         windows     0           0          0
DYN         end   tilt   push-off    drop_left   drop_right  vo         gct
DRIFT       t     lean   rotation    tilt        hip_drop    minute     0
DRIFT_BASE  t     lean   rotation    tilt        hip_drop    session    date
CAD_BASE    t     base   target      kept        0           0          0
==========  ====  =====  ==========  ==========  ==========  =========  =====  ========

Units: t_ms milliseconds since the session clock's zero; lean, rotation, roll, value, limit,
pitch0, roll0 in centidegrees (1/100 deg; a STRIDE's lean in steps of 0.1 deg and rotation in
0.2 deg, the log's: detector.py); cadence in 1/10 steps per minute; stride_ms in ms.
STRIDE flags: bits 0-1 activity (ACT_*), bit 2 calibrated, bit 3 grounded (a running stride
without a flight phase: it may be the first of a walk, so it is not coached; not logged).
CALIB ok: 1 a standing start (still_ms of stillness); 0 none before the first stride (lean
against the mount axes); 2 the standing pose of this run before a restart; 3 an earlier run's
standing pose, for a run with no standing start (2 and 3: app.py, from coachstore's stand.json).
CALIB flipped: 1 when the gait showed the clip worn upside down and the detector turned its frame
about the mount's forward axis (detector._flip; ok 1: the still pose before the gait was the same
way up and is the reference; ok 0: none, the mount's axes).
IMU_RATE (the firmware's, at session start and when the estimate moves > 0.1 %): the IMU's
sample rate in milli-Hz as measured against the board's clock (``rateclock.py``), its deviation
from the nominal rate in parts per million (+ = the chip is fast), and the measurement windows
behind it (0: not measured yet, the nominal rate).
DYN (dynamics.py; right after its STRIDE, same t): the stride's pelvic tilt swing (pitch
peak-to-peak) and push-off pitch (at the toe-offs, minus the stride mean; + = forward) in cdeg;
hip drop during the left and the right foot's stance, cdeg; vertical oscillation of the left
and right step, ``vo = left_mm * 1024 + right_mm``; contact time of the left and right step,
``gct = left_ms * 2048 + right_ms``. 0 = not measured (walking has no flight: no contact time,
hip drop or push-off).
ALERT/CLEAR (coach.py): value and limit in cdeg; for ``cadence`` in 1/100 steps/min (the
smoothed cadence and the band's lower edge). ``withheld`` 1: faded feedback (``fade_feedback``)
held this episode's cue back: logged, not felt (0 in logs before it existed). ``extra``: hip drop
the side (1 left, 2 right), cadence the target in 1/10 steps/min, else 0.
DRIFT (drift.py; once per minute of running after the baseline is learned): the minute's mean
lean, rotation, tilt swing and hip drop minus the session's baseline (cdeg; tilt and hip drop 0
when not measured) and the running minute it closes.
DRIFT_BASE (drift.py; once a session, when its drift baseline is set): the baseline's lean,
rotation, tilt swing and hip drop (cdeg); session 0 = learned on this run (t: the minute that
completed it), else the earlier session it was learned in (``drift_baseline_from = "last"``,
t = 0) and that session's date (YYYYMMDD, 0 = the board's clock was not set).
CAD_BASE (coach.py; with ``coach_cadence`` on, once a session, when its cadence baseline is set):
the baseline and the target it gives, 1/10 steps/min; kept 1 = kept from an earlier run
(coachstore.py, t = 0), 0 = learned on this run (t: the stride that completed it).
"""
import micropython
from micropython import const

EV_LEN = const(8)


@micropython.viper
def put(buf: ptr32, o: int, ty: int, t: int, a: int, b: int, c: int, d: int, e: int, f: int):
    """One event's 8 ints into buf[o..o+7] (the layout above; ``o`` from the queue's slot()).
    (viper: a Python function with this many locals gets its frame from the heap, and its
    stores cost ~4x a viper call on the ESP32's port)"""
    buf[o] = ty
    buf[o + 1] = t
    buf[o + 2] = a
    buf[o + 3] = b
    buf[o + 4] = c
    buf[o + 5] = d
    buf[o + 6] = e
    buf[o + 7] = f

# event types (field 0)
EV_STRIDE = const(1)
EV_ALERT = const(2)
EV_CLEAR = const(3)
EV_CALIB = const(4)
EV_ACTIVITY = const(5)
EV_FAULT = const(6)
EV_IMU_RATE = const(7)
EV_DYN = const(8)
EV_DRIFT = const(9)
EV_DRIFT_BASE = const(10)
EV_CAD_BASE = const(11)
# (12-14 free; 15 is the session log's own record, logfmt.REC_ADJ: no event takes it)

# field indices within an event
F_TYPE = const(0)
F_T = const(1)
F_A = const(2)
F_B = const(3)
F_C = const(4)
F_D = const(5)
F_E = const(6)
F_F = const(7)

# activities
ACT_STANDING = const(0)
ACT_WALKING = const(1)
ACT_RUNNING = const(2)
ACTIVITY_NAMES = ("standing", "walking", "running")

FLAG_CALIBRATED = const(4)
FLAG_GROUNDED = const(8)     # (detector.py writes FLAG_CALIBRATED << 1: test_dev_detector)

# coaching reasons (ALERT/CLEAR field a); 0 is unused
R_UPRIGHT = const(1)
R_SWIVEL = const(2)
R_BACKWARD = const(3)
R_DRIFT = const(4)          # form drifted from the session's baseline (drift.py)
R_HIP_DROP = const(5)       # hip drop per side past hip_drop_max_deg (coach.py, off by default)
R_TILT = const(6)           # pelvic tilt swing past tilt_swing_max_deg (coach.py, off by default)
R_CADENCE = const(7)        # cadence below the retraining target's band (coach.py, off by default)
REASON_NAMES = ("", "upright", "swivel", "backward", "drift", "hip_drop", "tilt_swing", "cadence")

# severities (ALERT field b): how far past the limit, graded for the haptic cue
SEV_MILD = const(1)
SEV_MODERATE = const(2)
SEV_STRONG = const(3)

# FAULT codes (field a): sensor/config/power problems; the coach keeps going
FAULT_SENSOR = const(1)
FAULT_SENSOR_BACK = const(2)
FAULT_CONFIG_FALLBACK = const(3)
FAULT_LOW_BATTERY = const(4)
FAULT_FIFO_OVERFLOW = const(5)
FAULT_LOG_ROTATED = const(6)
FAULT_LOG_FULL = const(7)  # flash full, nothing left to delete: records lost from t on
FAULT_LOG_RESUMED = const(8)  # logging again; detail = records lost while the flash was full
FAULT_HEAP = const(9)  # the detector allocated with the heap locked (a defect): it runs unlocked from t on
FAULT_NAMES = ("", "sensor_fault", "sensor_back", "config_fallback", "low_battery", "fifo_overflow", "log_rotated",
               "log_full", "log_resumed", "heap_alloc")
