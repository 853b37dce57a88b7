"""Every trial of the IPOL lower-back walking set through the detector: trials 3-6 held out.

``../shared/data/real/ipol-lowback-walking`` holds trials 1 and 2 of the set's 19 people (L5
sensor; stand, walk 10 m, U-turn, walk back; heel strikes from foot sensors, manually checked).
The dataset's repository has four more trials of each person that nothing in the detector was
chosen on until stop 47 (the walking stride clock's window and search, device/walkclock.py, were
looked at on all six trials' strides, so for walking cadence trials 3-6 are held out no more).
Each trial is scored exactly as ``make bench``'s IPOL row (``walkscore.ipol_trial``: every
stride walking, no alert under the default or the alert-prone config, per-stride cadence against
the heel strikes outside the U-turn, held to the issue's cadence targets
``walkscore.IPOL_CADENCE``). Point this at the repository's ``GaitData`` folder
(``github.com/CyrilVoisard/ipol_dataset_1``, AGPL-3.0; cite Voisard et al., IPOL)::

    python -m hinge.dev.ipol_all PATH/GaitData [--jobs 2] [--jsonl out.jsonl]

It prints one line per trial and the trials 1-2 and 3-6 apart; a trial that cannot be read is
one line that says why (the other trials are still scored).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from hinge.dev import heldout, realdata, walkscore

SHARED = (1, 2)    # the trials of every person in ../shared/data/real (the rest are held out)


def score(root, name: str) -> tuple[list[dict], dict]:
    """One trial's strides on reference contacts and figures, or ([], a row saying why not)."""
    try:
        return walkscore.ipol_trial(str(root), name)
    except (OSError, ValueError, KeyError, IndexError) as e:
        return [], {"trial": name, "error": f"{type(e).__name__}: {e}".splitlines()[0]}


def _score_args(a):
    return score(*a)


def line(strides: list[dict], t: dict) -> str:
    if "error" in t:
        return f"{t['trial']:<6} not scored: {t['error']}"
    e = np.abs([s["err"] for s in strides])
    cad = f"per-stride cadence |err| median {np.median(e):5.2f} spm, max {e.max():5.2f}" if len(e) else "no stride on contacts"
    return (f"{t['trial']:<6} strides {t['strides']:>3} running {t['running']} alerts {t['alerts']}/{t['alerts_prone']}"
            f"  on contacts {t['matched']:>3} of {t['ref_strides']:>3}  {cad}")


def summary(results: list[tuple[list[dict], dict]]) -> list[str]:
    out = []
    for what, keep in (("trials 1-2 (shared)", lambda k: k in SHARED), ("trials 3-6 (held out)", lambda k: k not in SHARED)):
        sel = [(s, t) for s, t in results if keep(int(t["trial"].split("-")[1]))]
        ok = [(s, t) for s, t in sel if "error" not in t]
        if not sel:
            continue
        r = walkscore.ipol_summary({"strides": [x for s, _ in ok for x in s], "trials": [t for _, t in ok]})
        miss = walkscore.ipol_misses(r)
        out.append(f"{what}: {r['trials']} trials of {r['people']} people"
                   + (f" (+{len(sel) - len(ok)} not scored)" if len(ok) < len(sel) else "")
                   + f", {r['strides']} strides, {r['running_strides']} running, alerts {r['alerts']} "
                   f"(alert-prone {r['alerts_prone']}); per-stride cadence on {r['strides_matched']} strides: "
                   f"median {r['cad_med_abs_spm']} spm, p90 {r['cad_p90_abs_spm']}"
                   + (f"; misses: {'; '.join(miss)}" if miss else "; every target met"))
    return out


def main(argv=None) -> int:
    a = heldout.parser("ipol_all", __doc__, "the dataset repository's GaitData folder (N-T_lb.txt and N-T.json inside)",
                       rate=False).parse_args(argv)
    names = realdata.ipol_trials(a.root) if Path(a.root).is_dir() else []
    if not names:
        print(f"ipol_all: no N-T_lb.txt trials with their N-T.json under {a.root}", file=sys.stderr)
        return 2
    results = heldout.pmap(_score_args, [(a.root, n) for n in names], a.jobs)
    for s, t in results:
        print(line(s, t))
    print()
    for s in summary(results):
        print(s)
    heldout.write_jsonl(a.jsonl, [{**t, "strides_on_contacts": s} for s, t in results])
    return 0


if __name__ == "__main__":
    sys.exit(main())
