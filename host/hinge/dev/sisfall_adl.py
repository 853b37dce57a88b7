"""SisFall's other activities and its falls through the detector: what a runner does off the run.

Besides its walks and jogs (``hinge.dev.sisfall_all``) SisFall holds 15 other activities of daily
living (D05-D19: stairs, chairs, lying down, bending, a car, a stumble, a jump; 12-25 s, five
trials each) and 15 falls (F01-F15, 15 s, five trials each) of the same 38 people, worn at the
waist (older adults did no falls but SE06, nor D06, D13, D18, D19). Nothing in the detector was
chosen on them. A runner does all of these between runs, at an aid station, on a trail's steps,
and the coach must not buzz while walking or standing under any settings. Each trial is
replayed with the default config and with the alert-prone one (``realscore.alert_prone_config``:
every running stride a fault, the shortest alert_after_s), and its steps are probed for flights
(``hinge.dev.gaitphase``: below 0.25 g for >= 20 ms, in a step that bounces rather than trades
its energies: a running step's physics)::

    python -m hinge.dev.sisfall_adl PATH/SisFall_dataset [--jobs 2] [--rate 50] [--codes D06,F05] [--jsonl out.jsonl]

One line per activity and age group: trials, strides, strides called running (and in how many
trials), the share of all measured steps flying (a flight that bounced), alerts under the
default config, trials that buzzed under the alert-prone one; then the activities where any
stride was called running.
A trial that cannot be read is one row that says why. Data: see ``hinge.dev.sisfall_all``.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from hinge.coach import replay
from hinge.common.capture import block_mean
from hinge.dev import gaitphase, heldout, realdata, realscore

# the dataset's Readme (Sucerquia et al. 2017), shortened
ACTIVITIES = {
    "D05": "stairs up and down, slowly", "D06": "stairs up and down, quickly",
    "D07": "half-height chair, slowly", "D08": "half-height chair, quickly",
    "D09": "low chair, slowly", "D10": "low chair, quickly",
    "D11": "collapse into a chair", "D12": "sit, lie down slowly, sit",
    "D13": "sit, lie down quickly, sit", "D14": "lying: back to side and back",
    "D15": "bend at the knees", "D16": "bend without the knees",
    "D17": "into a car and out", "D18": "stumble while walking",
    "D19": "jump to reach up",
    "F01": "slip forward, walking", "F02": "slip backward, walking", "F03": "slip sideways, walking",
    "F04": "trip forward, walking", "F05": "trip forward, jogging", "F06": "faint, walking",
    "F07": "faint, walking, hands on a table", "F08": "fall forward getting up",
    "F09": "fall sideways getting up", "F10": "fall forward sitting down",
    "F11": "fall backward sitting down", "F12": "fall sideways sitting down",
    "F13": "fall forward seated", "F14": "fall backward seated", "F15": "fall sideways seated",
}
_TRIAL = re.compile(r"^([DF]\d\d)_(S[AE]\d\d)_R(\d\d)\.txt(\.gz)?$")


def trials(root, codes=None) -> list[tuple[str, str, int]]:
    """(activity, subject, trial) of every trial of the other activities and falls under
    ``root`` (SAxx/, SExx/), or of ``codes`` only."""
    out = set()
    for p in Path(root).glob("S[AE][0-9][0-9]/[DF]*_R*.txt*"):
        m = _TRIAL.match(p.name)
        if m and m.group(2) == p.parent.name and m.group(1) in ACTIVITIES and (not codes or m.group(1) in codes):
            out.add((m.group(1), m.group(2), int(m.group(3))))
    return sorted(out, key=lambda x: (x[0], x[1], x[2]))


def score(root, act: str, subj: str, trial: int, k: int = 1) -> dict:
    """One trial's strides, running strides, steps (measured, flew) and alerts under the default
    and the alert-prone config, read at 1/``k`` of its rate."""
    name = f"{act}_{subj}_R{trial:02d}"
    try:
        cap = realdata.sisfall(root, act, subj, trial)
    except (OSError, ValueError, AssertionError) as e:
        return {"trial": name, "error": f"{type(e).__name__}: {e}".splitlines()[0]}
    if k > 1:
        cap = block_mean(cap, k)
    with gaitphase.probe() as (steps, _):
        res = replay.replay(cap, realscore.SISFALL_MOUNT)
        measured = [s for s in steps if s[2] != 0]
    strides = res.dicts("stride")
    prone = replay.replay(cap, realscore.alert_prone_config(realscore.SISFALL_MOUNT))
    return {"trial": name, "strides": len(strides),
            "running": sum(1 for s in strides if s["activity"] == "running"),
            "steps": len(measured), "flew": sum(1 for s in measured if s[1] and s[2] > 0),
            "alerts": len(res.dicts("alert")), "alerts_prone": len(prone.dicts("alert"))}


def _score_args(a):
    return score(*a)


def summary(rows: list[dict]) -> list[str]:
    """One line per activity and age group, then the activities where strides ran."""
    out = []
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["trial"][:3], "young" if r["trial"][4:6] == "SA" else "older"), []).append(r)
    ran = []
    for (act, who), g in sorted(groups.items()):
        ok = [r for r in g if "error" not in r]
        bad = len(g) - len(ok)
        n = {key: sum(r[key] for r in ok) for key in ("strides", "running", "steps", "flew", "alerts")}
        with_run = sum(1 for r in ok if r["running"])
        buzzed = sum(1 for r in ok if r["alerts_prone"])
        flew = f"{100.0 * n['flew'] / n['steps']:5.1f} %" if n["steps"] else "    - "
        out.append(f"{act} {who:<5} {ACTIVITIES[act]:<33} trials {len(ok):>3}"
                   + (f" (+{bad} unread)" if bad else "")
                   + f"  strides {n['strides']:>4}  running {n['running']:>4} in {with_run:>3} trials"
                   f"  steps flying {flew}  alerts {n['alerts']}  buzzed alert-prone {buzzed}")
        if n["running"]:
            ran.append(f"{act} {who} ({ACTIVITIES[act]}): {n['running']} of {n['strides']} strides running, "
                       f"{flew.strip()} of its steps flying")
    alerts = sum(r["alerts"] for r in rows if "error" not in r)
    out.append("")
    out.append(f"alerts under the default config: {alerts}")
    out.append("strides called running: " + ("; ".join(ran) if ran else "none"))
    return out


def main(argv=None) -> int:
    ap = heldout.parser("sisfall_adl", __doc__, "the dataset's SisFall_dataset folder (SAxx/, SExx/ inside)")
    ap.add_argument("--codes", help="only these activities, comma-separated (e.g. D06,F05)")
    a = ap.parse_args(argv)
    k = heldout.rate_divisor("sisfall_adl", a.rate)
    if k is None:
        return 2
    codes = set(a.codes.split(",")) if a.codes else None
    if codes and not codes <= set(ACTIVITIES):
        print(f"sisfall_adl: --codes: no such activity {', '.join(sorted(codes - set(ACTIVITIES)))} "
              f"(D05-D19, F01-F15)", file=sys.stderr)
        return 2
    todo = trials(a.root, codes)
    if not todo:
        print(f"sisfall_adl: no SAxx/[DF]xx_SAxx_Rxx.txt trials of the other activities under {a.root}",
              file=sys.stderr)
        return 2
    rows = heldout.pmap(_score_args, [(a.root, act, subj, trial, k) for act, subj, trial in todo], a.jobs)
    for r in rows:
        if "error" in r:
            print(f"{r['trial']} not scored: {r['error']}")
    for s in summary(rows):
        print(s)
    heldout.write_jsonl(a.jsonl, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
