"""What the held-out data set tools share (``sisfall_all``, ``sisfall_adl``, ``ipol_all``): their
command line (a data set's folder, ``--jobs``, ``--jsonl``, and for SisFall ``--rate``), the rate
check, the parallel map over trials and the JSON-lines file."""
from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from hinge.dev import realscore


def parser(prog: str, doc: str, root_help: str, rate: bool = True) -> argparse.ArgumentParser:
    """The tools' common arguments; ``rate``: also ``--rate`` (SisFall's 200 Hz read at 1/2 or 1/4)."""
    ap = argparse.ArgumentParser(prog=f"python -m hinge.dev.{prog}", description=doc.splitlines()[0])
    ap.add_argument("root", help=root_help)
    ap.add_argument("--jobs", type=int, default=1, help="trials scored in parallel")
    ap.add_argument("--jsonl", help="also write every trial's figures here, one JSON object a line")
    if rate:
        ap.add_argument("--rate", type=int, default=realscore.SISFALL_RATE_HZ,
                        help="read the trials at this output rate, Hz (200, 100 or 50; default 200)")
    return ap


def rate_divisor(prog: str, rate: int) -> int | None:
    """k for block means of k samples (SisFall's 200 Hz read at ``rate``), or None after one line
    on stderr saying which rates there are."""
    full = realscore.SISFALL_RATE_HZ
    if rate not in (full, full // 2, full // 4):
        print(f"{prog}: --rate {rate}: give {full}, {full // 2} or {full // 4} Hz", file=sys.stderr)
        return None
    return full // rate


def pmap(fn, args: list, jobs: int) -> list:
    """``fn`` over ``args`` (one tuple of arguments each), in ``jobs`` processes when > 1, in order."""
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as ex:
            return list(ex.map(fn, args, chunksize=max(1, len(args) // (8 * jobs))))
    return [fn(a) for a in args]


def write_jsonl(path, rows: list[dict]) -> None:
    if path:
        Path(path).write_text("".join(json.dumps(r) + "\n" for r in rows))
