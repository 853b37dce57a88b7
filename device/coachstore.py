"""The coach's memory on flash, kept from run to run: the running sessions counted for faded
feedback and the kept cadence baseline.

- **Faded feedback** (``fade_feedback``, config.py): the coach gives every fault episode its cue
  in the first ``fade_sessions`` counted sessions, one episode in two in the next
  ``fade_sessions``, then one in four (``period``); coach.py logs the withheld ones. A session
  counts once it has running in it (a board switched on at the desk does not fade the cues),
  and not again when it goes on with the run of the last counted session (app.py: the board's
  clock set, and it starts within an hour of that log's last write: a power cut, a battery
  swap or a reset mid-run); it then takes that session's place as the last counted. Without a
  set clock every session with running counts.
- **Cadence baseline** (``coach_cadence`` with ``cadence_target_spm`` 0 and
  ``cadence_baseline_keep``): the target is ``cadence_raise_pct`` over the cadence the runner
  started from. The coach learns it in the first run (coach.py) and the board keeps it here, so
  the next runs aim at the same target; learned afresh every run, the target would climb by
  the raise on each run the runner followed it (5 % a run: 10 % after two). ``hinge memory``
  shows it and forgets it.

- **Standing pose** (the detector's standing calibration: the pose's pitch and roll, the up
  axis's scale and the gyro's zero-rate offsets, detector.Detector.stand()): kept with the log
  session it was taken in, so a run restarted mid-run (app.py's test above: a reset, a power cut,
  a battery swap) goes on measuring lean from the standing pose of that run. Without it the lean
  would read against the clip's axes (10-30 deg off on the lumbar curve) until the runner next
  stands still for 3 s. A standing start in the restarted session replaces it (the clip may have
  been moved); a new run uses it only if it has no standing start of its own (app.py).

The counts and the baseline are one file in the flash root, ``coach_state.json``, strict JSON
(configstore.loads, the same on every port)::

    {"version": 1, "sessions": 7, "last": 123, "cadence_base": 1712}

``sessions``: sessions counted; ``last``: the log session number (logfmt.py) of the last counted
one or of the restart that went on with its run; ``cadence_base``: the kept baseline in 1/10
steps/min, 0 = none (the last two may be missing: 0; an older firmware wrote only the count).

Usage (the main loop)::

    n, last, cad, status = coachstore.load(root)  # never raises; status "ok" or why it fell back
    coach.fade = coachstore.period(cfg, n)
    coachstore.save(root, n + 1, session, cad)    # when a session first runs, or a baseline is learned

The standing pose is ``stand.json``, rewritten at each standing calibration (and by a restart
that goes on from it, under the restart's session number, so a second restart finds it); a run
with no standing start goes on from it too (app.py, CALIB ok=3), without rewriting it::

    {"version": 1, "session": 124, "pitch": 12345, "roll": -512, "amu": 8300, "bf": 12, "bl": -30, "bu": 5,
     "mount": "+z+x"}

``pitch``, ``roll``: millidegrees; ``amu``: the up axis's accel multiplier (kernel S_AMU);
``bf``, ``bl``, ``bu``: the gyro's zero-rate offsets, raw counts in the body frame; ``mount``: the
config's mount_up and mount_forward it was taken with (the body frame's: a restart with another
mount does not use it).

Save writes the whole file to ``coach_state.json.tmp`` (``stand.json.tmp``) and renames it over the file
(configstore.write_atomic): on LittleFS a power cut leaves the old state or the new one. Load
takes the file; if it is missing, torn or not this format, the temp file when that one is whole
(FAT removes the old file before the rename: a cut in that window leaves only the temp file);
else nothing remembered: 0 sessions (every cue given: a lost count errs towards more feedback,
never less) and no cadence baseline (the run learns one again).
"""
from micropython import const

import config
import configstore

FILE = "coach_state.json"
STAND_FILE = "stand.json"
_VERSION = const(1)
_MAX = const(1000000)      # sessions: a run a day for 2700 years; anything beyond is garbage
_LAST_MAX = const(16777215)  # a log session number: 1..logfmt.SESSION_MAX
# a kept baseline is a running cadence: 100-240 steps/min (1/10 steps/min); anything else is a
# damaged file, not a runner
_CAD_MIN = const(1000)
_CAD_MAX = const(2400)


def period(cfg, sessions):
    """One fault episode in this many gets its cue, in the session after ``sessions`` counted
    sessions: 1 (every one) for the first ``fade_sessions``, then 2, then 4; 1 when fading is off."""
    if not cfg["fade_feedback"]:
        return 1
    stage = sessions // cfg["fade_sessions"]
    return 1 if stage <= 0 else (2 if stage == 1 else 4)


def _int_field(d, key, lo, hi):
    v = d.get(key, 0)
    if isinstance(v, bool) or not isinstance(v, int) or (v != 0 and (v < lo or v > hi)):
        raise ValueError("%s %r is not 0 or %d..%d" % (key, v, lo, hi))
    return v


def parse(text):
    """``(sessions, last, cadence_base)`` from the file's text; ValueError if it is not a coach
    state of this version."""
    d = configstore.loads(text)
    n = d.get("sessions")
    if d.get("version") != _VERSION or isinstance(n, bool) or not isinstance(n, int) or n < 0 or n > _MAX:
        raise ValueError("not a coach state (version %d, sessions 0..%d)" % (_VERSION, _MAX))
    return n, _int_field(d, "last", 1, _LAST_MAX), _int_field(d, "cadence_base", _CAD_MIN, _CAD_MAX)


def dumps(sessions, last=0, cadence_base=0):
    """The file's text (the fields that are 0 left out)."""
    s = '{"version": %d, "sessions": %d' % (_VERSION, sessions)
    if last:
        s += ', "last": %d' % last
    if cadence_base:
        s += ', "cadence_base": %d' % cadence_base
    return s + "}\n"


def _read(p, parse_text):
    try:
        with open(p, "rb") as f:
            text = f.read(256)
    except OSError:
        return None, "missing"
    try:
        return parse_text(text), None
    except Exception as e:  # noqa: BLE001 - torn, empty or garbled: fall back, never stop the coach
        return None, "unreadable (%s)" % str(e)[:60]


def _load(root, name, parse_text):
    """``(value, None)`` from the file; ``(value, why)`` from its whole temp copy; ``(None, why)``
    (why "missing" when neither is there)."""
    p = configstore.path(root, name)
    v, why = _read(p, parse_text)
    if why is None:
        return v, None
    w, why_tmp = _read(p + configstore.TMP_SUFFIX, parse_text)
    if why_tmp is None:
        return w, "%s %s: the whole temp copy used" % (name, why)
    return None, why


def load(root=""):
    """``(sessions, last, cadence_base, status)``: status ``"ok"``, or why the state came from the
    temp file or is empty (0, 0, 0). Never raises."""
    v, why = _load(root, FILE, parse)
    if v is not None:
        return v[0], v[1], v[2], why or "ok"
    if why == "missing":
        return 0, 0, 0, "ok"   # a fresh board (or the options just turned on): the first step
    return 0, 0, 0, "%s %s: counting sessions again from 0 (every cue given), no cadence baseline" % (FILE, why)


def save(root, sessions, last=0, cadence_base=0):
    """Store the state (atomically); False if the flash refused (the coach goes on)."""
    try:
        configstore.write_atomic(configstore.path(root, FILE), dumps(sessions, last, cadence_base))
        return True
    except Exception:  # noqa: BLE001 - a full or failing flash must not stop the run
        return False


# ---- the standing pose -------------------------------------------------------------------------
_STAND_KEYS = ("session", "pitch", "roll", "amu", "bf", "bl", "bu")
# pitch and roll within +-90 deg (mdeg); the up axis's accel multiplier positive and below 2**16
# (a +-2..16 g part's is 2048-16384; detector.restore() checks it against the IMU in use);
# offsets within the gyro's 16-bit word
_STAND_LIM = ((1, _LAST_MAX), (-90000, 90000), (-90000, 90000), (1, 65536), (-32767, 32767),
              (-32767, 32767), (-32767, 32767))


def parse_stand(text):
    """The standing pose ``(session, pitch, roll, amu, bf, bl, bu, mount)`` from ``stand.json``'s
    text (mount: mount_up + mount_forward, e.g. "+z+x"); ValueError if it is not one of this
    version."""
    d = configstore.loads(text)
    if d.get("version") != _VERSION:
        raise ValueError("not a standing pose (version %d)" % _VERSION)
    out = []
    for k, (lo, hi) in zip(_STAND_KEYS, _STAND_LIM):
        v = d.get(k)
        if isinstance(v, bool) or not isinstance(v, int) or v < lo or v > hi:
            raise ValueError("%s %r is not %d..%d" % (k, v, lo, hi))
        out.append(v)
    m = d.get("mount")
    if not isinstance(m, str) or len(m) != 4 or m[:2] not in config.AXES or m[2:] not in config.AXES:
        raise ValueError("mount %r is not two of %s" % (m, " ".join(config.AXES)))
    out.append(m)
    return tuple(out)


def dumps_stand(pose):
    """``stand.json``'s text for ``pose`` (session, pitch, roll, amu, bf, bl, bu, mount)."""
    return ('{"version": %d, ' % _VERSION) + ", ".join(
        '"%s": %d' % (k, v) for k, v in zip(_STAND_KEYS, pose)) + ', "mount": "%s"}\n' % pose[7]


def load_stand(root=""):
    """``(pose, status)``: the stored standing pose or None, status ``"ok"`` or why there is none
    usable (``"missing"``: none stored). Never raises."""
    v, why = _load(root, STAND_FILE, parse_stand)
    if v is not None:
        return v, why or "ok"
    return None, why if why == "missing" else "%s %s" % (STAND_FILE, why)


def save_stand(root, pose):
    """Store the standing pose (atomically); False if the flash refused (the coach goes on)."""
    try:
        configstore.write_atomic(configstore.path(root, STAND_FILE), dumps_stand(pose))
        return True
    except Exception:  # noqa: BLE001 - a full or failing flash must not stop the run
        return False
