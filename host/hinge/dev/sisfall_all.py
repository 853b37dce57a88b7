"""Every subject of the whole SisFall dataset through the detector: held-out real data.

``../shared/data/real`` holds four SisFall subjects; the dataset has 23 young adults (SA01-SA23)
and 15 older ones (SE01-SE15), each with the same four 100-s trials (D01/D02 walking slowly and
quickly, D03/D04 jogging slowly and quickly; SE02 and SE15 lack one). Nothing in the detector was
chosen on the other 34 subjects, so this is the closest thing to the unseen evaluation's "other
subjects" we can run. Each trial is scored exactly like the four in ``make bench``
(``realscore.sisfall_trial``: cadence against the spectral reference, the share of strides of
the trial's own class, alerts under the default and the alert-prone config).

The data are not in the repository (no licence is stated: research use, cite Sucerquia et al.,
Sensors 2017, 17(1):198). Point this at a copy of the dataset's ``SisFall_dataset`` folder, e.g.
from the public mirror ``github.com/Brisabrin/FallDetectionAlgorithm``::

    python -m hinge.dev.sisfall_all PATH/SisFall_dataset [--jobs 2] [--jsonl out.jsonl] [--rate 50] [--up 8]
    python -m hinge.dev.sisfall_all PATH/SisFall_dataset --random 8 [--jobs 2]

``--rate 50`` (or 100) reads every trial as an IMU at that output rate would give it (block means
of the 200 Hz samples, ``capture.block_mean``): a cheap board's landings, flights and walks,
against the same references. ``--up CM`` reads it as the sensor that many cm higher on the belt
would give it (a point further up the rigid pelvis: the pitch's and roll's accelerations times
the height, from the trial's own gyro; ``realscore.sisfall_capture``): a waistband clip where
SisFall's sat lower, against the same references. ``--random N`` replays every trial as recorded
and as the crosscheck's first N random boards and wearers (``variants.random_variant``: the clip
pitched up to 25 deg and moved on the belt, a warm gyro, gain errors, noise, an 8 g range, half
the rate, lost bursts, several at once) and prints the trials that meet every target as recorded
and miss one on a board, with the board's words.

It prints one line per trial and a summary per group; what a group's trials miss is named.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from hinge.dev import heldout, realscore

_TRIAL = re.compile(r"^(D0[1-4])_(S[AE]\d\d)_R01\.txt(\.gz)?$")
GROUPS = (("young", "SA", ("D01", "D02"), "walks"), ("young", "SA", ("D03", "D04"), "jogs"),
          ("older", "SE", ("D01", "D02"), "walks"), ("older", "SE", ("D03", "D04"), "jogs"))


def trials(root) -> list[tuple[str, str]]:
    """(activity, subject) of every walk and jog under ``root`` (SAxx/ and SExx/ folders)."""
    out = set()
    for p in Path(root).glob("S[AE][0-9][0-9]/D0*_R01.txt*"):
        m = _TRIAL.match(p.name)
        if m and m.group(2) == p.parent.name:
            out.add((m.group(1), m.group(2)))
    return sorted(out, key=lambda x: (x[1], x[0]))


def score(root, act: str, subj: str, k: int = 1, up_m: float = 0.0, board: int = 0) -> dict:
    """One trial's figures and misses (read at 1/``k`` of its rate, the sensor ``up_m`` higher, as
    random board ``board``); a file that cannot be read is one row that says why (the other trials
    are still scored)."""
    try:
        r = realscore.sisfall_trial(str(root), act, subj, k=k, up_m=up_m, board=board)
    except (OSError, ValueError, AssertionError) as e:
        return {"trial": f"{act}_{subj}", "error": f"{type(e).__name__}: {e}".splitlines()[0], "board": board}
    r["misses"] = realscore.sisfall_cadence_misses(r) + realscore.sisfall_activity_misses(r)
    r["board"] = board
    return r


def _score_args(a):
    return score(*a)


def line(r: dict) -> str:
    if "error" in r:
        return f"{r['trial']:<10} not scored: {r['error']}"
    return (f"{r['trial']:<10} {r['activity']:<10} ref {r['ref_spm']:>6} det {r['det_spm']:>6} "
            f"diff {r['diff_spm']:>+6.2f} win {r['window_err_med_spm'] if r['window_err_med_spm'] is not None else '-':>5} "
            f"class {r['class_share_pct'] if r['class_share_pct'] is not None else '-':>5} % "
            f"running strides {r['running_strides']:>3} alerts {r['alerts']}/"
            f"{'-' if r['alerts_prone'] is None else r['alerts_prone']}"
            + ("  | " + "; ".join(r["misses"]) if r["misses"] else ""))


def summary(rows: list[dict]) -> list[str]:
    out = []
    for who, pre, acts, what in GROUPS:
        g = [r for r in rows if r["trial"][4:6] == pre and r["trial"][:3] in acts]
        if not g:
            continue
        bad = [r["trial"] + (" (not scored)" if "error" in r else "") for r in g if "error" in r or r["misses"]]
        alerts = sum(r["alerts"] for r in g if "error" not in r) if what == "walks" else None
        out.append(f"{who} {what}: {len(g) - len(bad)} of {len(g)} trials meet every target"
                   + (f", {alerts} alerts under the default config" if alerts is not None else "")
                   + (f"; missing: {', '.join(bad)}" if bad else ""))
    return out


def main(argv=None) -> int:
    ap = heldout.parser("sisfall_all", __doc__, "the dataset's SisFall_dataset folder (SAxx/, SExx/ inside)")
    ap.add_argument("--up", type=float, default=0.0,
                    help="read the trials as the sensor this many cm higher on the belt would give them (0-15)")
    ap.add_argument("--random", type=int, default=0, metavar="N",
                    help="also as the first N random boards and wearers; print what they lose")
    a = ap.parse_args(argv)
    k = heldout.rate_divisor("sisfall_all", a.rate)
    if k is None:
        return 2
    if not 0.0 <= a.up <= 15.0:
        print(f"sisfall_all: --up {a.up:g}: give 0-15 cm (a belt reaches no further above where SisFall's sat)",
              file=sys.stderr)
        return 2
    if a.random < 0:
        print(f"sisfall_all: --random {a.random}: give a count of boards, 1 or more", file=sys.stderr)
        return 2
    todo = trials(a.root)
    if not todo:
        print(f"sisfall_all: no SAxx/D0x_SAxx_R01.txt trials under {a.root}", file=sys.stderr)
        return 2
    if a.random:
        return _boards(a, k, todo)
    rows = heldout.pmap(_score_args, [(a.root, act, subj, k, a.up / 100.0) for act, subj in todo], a.jobs)
    rows.sort(key=lambda r: r["trial"])
    for r in rows:
        print(line(r))
    print()
    for s in summary(rows):
        print(s)
    heldout.write_jsonl(a.jsonl, rows)
    return 0


def _boards(a, k: int, todo) -> int:
    """--random: every trial as recorded and on boards 1..N; the targets a board loses."""
    from hinge.dev.variants import random_variant
    args = [(a.root, act, subj, k, a.up / 100.0, b) for b in range(a.random + 1) for act, subj in todo]
    rows = heldout.pmap(_score_args, args, a.jobs)
    ok = {r["trial"] for r in rows if r["board"] == 0 and "error" not in r and not r["misses"]}
    lost = {}
    for r in sorted(rows, key=lambda r: (r["board"], r["trial"])):
        if r["board"] and r["trial"] in ok and ("error" in r or r["misses"]):
            lost.setdefault(r["board"], []).append(r)
    for b in range(1, a.random + 1):
        print(f"board {b}: {len(lost.get(b, []))} of {len(ok)} trials that meet every target as recorded miss one")
        for r in lost.get(b, []):
            # the board's words for this trial (its draws past the noise depend on the trial's length)
            act, subj = r["trial"].split("_")
            said = random_variant(realscore.sisfall_capture(str(a.root), act, subj), realscore.SISFALL_MOUNT, b)[1]
            print(f"   {line(r)}\n      ({said})")
    n = sum(len(v) for v in lost.values())
    print(f"\n{n} of {len(ok) * a.random} trial-boards lose a target the trial meets as recorded")
    heldout.write_jsonl(a.jsonl, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
