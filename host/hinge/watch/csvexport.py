"""``hinge export LOG --csv DIR``: the decoded tables as CSV, the same files ``hinge logs pull``
writes beside a pulled log (one writer: ``cmd_logs.decode_pulled``), into ``DIR``.

Files: ``Snnnn.strides.csv``, ``Snnnn.alerts.csv``, ``Snnnn.events.csv``, ``Snnnn.json``. Each
CSV starts with ``#`` lines (session, firmware, IMU, rate, start time in UTC, problems, and a
``# units:`` line naming each column's unit), then a header row. Columns and units are listed
in ``logdecode.COLUMN_UNITS`` and the README.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import HingeError


def export(log, out_dir) -> str:
    """Write the tables of session log ``log`` into ``out_dir``; returns a line to print."""
    from ..cmd_logs import decode_pulled

    log, out_dir = Path(log), Path(out_dir)
    if not log.is_file():
        raise HingeError(f"{log}: no such session log")
    out_dir.mkdir(parents=True, exist_ok=True)
    written, problems = decode_pulled(log, out_dir)
    if not written:
        raise HingeError(f"{log.name}: {problems[0] if problems else 'nothing decoded'}")
    note = f" ({len(problems)} problem(s) noted in the files)" if problems else ""
    return f"{out_dir}: {', '.join(p.name for p in written)}{note}"
