"""Faded feedback's memory on flash: how many running sessions the runner has had.

With ``fade_feedback`` on (config.py), the coach gives every fault episode its cue in the first
``fade_sessions`` running sessions, one episode in two in the next ``fade_sessions``, then one
in four (``period``); coach.py logs the withheld ones. The count must outlive power cuts, so it
is kept in ``coach_state.json`` in the flash root::

    {"version": 1, "sessions": 7}

Usage (the main loop)::

    n, status = fadestore.load(root)             # never raises; status "ok" or why it fell back
    coach.fade = fadestore.period(cfg, n)        # this session's period (1, 2 or 4)
    fadestore.save(root, n + 1)                  # once, when the session first runs

A session counts once it has running in it (a board switched on at the desk does not fade the
cues). Save writes the whole file to ``coach_state.json.tmp`` and renames it over the file
(configstore.write_atomic): on LittleFS a power cut leaves the old count or the new one. Load
takes the file; if it is missing, torn or not this format, the temp file when that one is whole
(FAT removes the old file before the rename: a cut in that window leaves only the temp file);
else 0 sessions, the first step: every cue is given (a lost count errs towards more feedback,
never less). The text is read with configstore.loads (strict JSON, the same on every port).
"""
from micropython import const

import configstore

FILE = "coach_state.json"
_VERSION = const(1)
_MAX = const(1000000)   # sessions: a run a day for 2700 years; anything beyond is garbage


def period(cfg, sessions):
    """One fault episode in this many gets its cue, in the session after ``sessions`` running
    sessions: 1 (every one) for the first ``fade_sessions``, then 2, then 4; 1 when fading is off."""
    if not cfg["fade_feedback"]:
        return 1
    stage = sessions // cfg["fade_sessions"]
    return 1 if stage <= 0 else (2 if stage == 1 else 4)


def _parse(text):
    d = configstore.loads(text)
    n = d.get("sessions")
    if d.get("version") != _VERSION or isinstance(n, bool) or not isinstance(n, int) or n < 0 or n > _MAX:
        raise ValueError("not a coach state (version %d, sessions 0..%d)" % (_VERSION, _MAX))
    return n


def _read(p):
    try:
        with open(p, "rb") as f:
            text = f.read(256)
    except OSError:
        return -1, "missing"
    try:
        return _parse(text), None
    except Exception as e:  # noqa: BLE001 - torn, empty or garbled: fall back, never stop the coach
        return -1, "unreadable (%s)" % str(e)[:60]


def load(root=""):
    """``(sessions, status)``: status ``"ok"``, or why the count came from the temp file or is 0.
    Never raises."""
    p = configstore.path(root, FILE)
    n, why = _read(p)
    if why is None:
        return n, "ok"
    m, why_tmp = _read(p + configstore.TMP_SUFFIX)
    if why_tmp is None:
        return m, "%s %s: the whole temp copy used" % (FILE, why)
    if why == "missing":
        return 0, "ok"   # a fresh board (or fading just turned on): the first step
    return 0, "%s %s: counting sessions again from 0 (every cue given)" % (FILE, why)


def save(root, sessions):
    """Store the count (atomically); False if the flash refused (the coach goes on)."""
    try:
        configstore.write_atomic(configstore.path(root, FILE),
                                 '{"version": %d, "sessions": %d}\n' % (_VERSION, sessions))
        return True
    except Exception:  # noqa: BLE001 - a full or failing flash must not stop the run
        return False
