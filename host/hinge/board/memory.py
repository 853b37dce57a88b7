"""What the board remembers from run to run (``hinge memory``), read and forgotten over USB.

Three files in the board's flash root, each read here through the firmware's own reader, so the
host says exactly what the next session will use:

* ``coach_state.json`` (device/coachstore.py): the running sessions counted for faded feedback
  and the last one counted, and the kept cadence baseline (the "+N %" target's base);
* ``drift_base.txt`` (device/drift.py): the drift baseline (lean, rotation, tilt swing, hip
  drop) of the last session that learned one, for ``drift_baseline_from = "last"``;
* ``stand.json`` (device/coachstore.py): the last standing calibration and its session, which a
  restart of that run (within the hour) goes on from, and a later run with no standing start.

Forgetting rewrites the coach state without the forgotten part (atomically, as the board does)
or removes a file; the firmware is then restarted so the running session does not write back
what it held in memory.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from hinge.board import deploy
from hinge.common import devpath
from hinge.common.timefmt import day_text

WHAT = ("cadence", "drift", "sessions", "stand", "all")


def _coachstore():
    return devpath.import_device("coachstore")


def _drift():
    return devpath.import_device("drift")


@dataclass
class Memory:
    sessions: int
    last: int                 # log session number of the last counted session, 0 = none
    cadence_base: int         # 1/10 steps/min, 0 = none
    coach_status: str         # coachstore.load's status ("ok" or why it fell back)
    drift: tuple | None       # (lean, rot, tilt, drop cdeg, session, date) or None
    drift_status: str         # "ok" or why there is no usable baseline
    files: tuple              # the memory files present on the board
    stand: tuple | None = None  # (session, pitch, roll mdeg, amu, bf, bl, bu, mount) or None
    stand_status: str = "missing"


def _pull(board, name: str, dest: Path) -> bool:
    data = deploy.read_optional(board, name)
    if data is None:
        return False
    (dest / name).write_bytes(data)
    return True


def read(board) -> Memory:
    """The board's memory as its firmware will read it at the next session."""
    cs, dr = _coachstore(), _drift()
    tmp_suffix = devpath.import_device("configstore").TMP_SUFFIX
    with tempfile.TemporaryDirectory(prefix="hinge-memory-") as td:
        d = Path(td)
        names = (cs.FILE, cs.FILE + tmp_suffix, dr.FILE, cs.STAND_FILE, cs.STAND_FILE + tmp_suffix)
        present = tuple(n for n in names if _pull(board, n, d))
        n, last, cad, status = cs.load(td)
        vals, why = dr.load(str(d / dr.FILE))
        pose, pose_why = cs.load_stand(td)
    return Memory(n, last, cad, status, vals, why or "ok", present, pose, pose_why)


def _spm(tenths: int) -> str:
    return f"{tenths / 10:.1f} steps/min"


def _target(cfg: dict, base: int) -> int:
    """The cadence target (1/10 steps/min) the firmware's coach sets from a kept ``base``."""
    coach = devpath.import_device("coach").Coach(cfg, devpath.import_device("detector").EventQueue(4))
    coach.keep_base(base)
    return coach.target


def describe(m: Memory, cfg: dict) -> list[str]:
    """Plain lines for ``hinge memory``: what is kept, and what the config makes of it."""
    cs = _coachstore()
    out = []
    when = f", the last S{m.last:04d}" if m.last else ""
    line = f"running sessions counted: {m.sessions}{when}"
    if cfg["fade_feedback"]:
        p = cs.period(cfg, m.sessions)
        line += ("; faded feedback is on: the next run gives the cue of "
                 + ("every fault episode" if p == 1 else f"1 fault episode in {p}"))
    else:
        line += " (faded feedback is off: every cue is given)"
    out.append(line)
    if m.coach_status != "ok":
        out.append(f"  note: {m.coach_status}")
    if m.cadence_base:
        line = f"cadence baseline: {_spm(m.cadence_base)}, kept"
        if cfg["coach_cadence"] and cfg["cadence_target_spm"] == 0 and cfg["cadence_baseline_keep"]:
            line += f"; target +{cfg['cadence_raise_pct']:g} % = {_spm(_target(cfg, m.cadence_base))}"
        elif cfg["coach_cadence"] and cfg["cadence_target_spm"] > 0:
            line += f" (not used: the target is set to {cfg['cadence_target_spm']:g} steps/min)"
        else:
            line += " (not used with this config)"
        out.append(line)
    else:
        out.append("cadence baseline: none kept (a run with coach_cadence on and a +N % target learns one)")
    if m.drift:
        lean, rot, tilt, drop, session, date = m.drift
        src = f" from session S{session:04d}" + (f" on {day_text(date)}" if date else "")
        out.append(f"drift baseline{src}: lean {lean / 100:.1f}°, rotation {rot / 100:.1f}°, "
                   f"tilt swing {tilt / 100:.1f}°, hip drop {drop / 100:.1f}°"
                   + ("" if cfg["drift_baseline_from"] == "last" else
                      " (drift_baseline_from is \"run\": only a restart of that run goes on with it)"))
    else:
        out.append(f"drift baseline: {m.drift_status}")
    if m.stand:
        out.append(f"standing pose from session S{m.stand[0]:04d}: pitch {m.stand[1] / 1000:.1f}°, roll "
                   f"{m.stand[2] / 1000:.1f}° (a restart of that run within the hour goes on from it, and "
                   f"a later run with no standing start)")
    else:
        out.append("standing pose: " + ("none kept yet" if m.stand_status == "missing" else m.stand_status))
    return out


def forget(board, what: str) -> list[str]:
    """Forget ``what`` (one of WHAT) on the board; lines saying what was done."""
    if what not in WHAT:
        raise ValueError(f"forget what? one of {', '.join(WHAT)}, got {what!r}")
    cs, dr = _coachstore(), _drift()
    tmp_suffix = devpath.import_device("configstore").TMP_SUFFIX
    m = read(board)
    n, last, cad = m.sessions, m.last, m.cadence_base
    done = []
    if what in ("cadence", "all"):
        done.append(f"cadence baseline forgotten (was {_spm(cad)})" if cad else "no cadence baseline was kept")
        cad = 0
    if what in ("sessions", "all"):
        done.append(f"session count reset (was {n})" if n else "no sessions were counted")
        n, last = 0, 0
    if what not in ("drift", "stand"):
        if (n, last, cad) == (0, 0, 0):   # nothing left to keep (or an unreadable file): no file
            for name in (cs.FILE, cs.FILE + tmp_suffix):
                if name in m.files:
                    board.fs_remove(name)
        elif (n, last, cad) != (m.sessions, m.last, m.cadence_base):
            board.fs_write(cs.FILE, cs.dumps(n, last, cad).encode())
    if what in ("drift", "all"):
        gone = [name for name in (dr.FILE, dr.FILE + tmp_suffix) if _remove(board, name)]
        done.append("drift baseline forgotten" if gone else "no drift baseline was stored")
    if what in ("stand", "all"):
        gone = [name for name in (cs.STAND_FILE, cs.STAND_FILE + tmp_suffix) if _remove(board, name)]
        done.append("standing pose forgotten" if gone else "no standing pose was kept")
    return done


def _remove(board, name: str) -> bool:
    if not board.fs_exists(name):
        return False
    board.fs_remove(name)
    return True
