"""``hinge report``, ``hinge export`` and ``hinge baseline``: a session log read for the runner
(with the watch's file lined up: :mod:`hinge.watch`), written out as FIT or CSV, and personal
thresholds from a good-form one. The work is in :mod:`hinge.logs` (analysis, baseline) and
:mod:`hinge.report` (words, figures, HTML, text); these handlers parse, print and write files.

    hinge report hinge-logs/S0003.hlg                    # terminal summary
    hinge report hinge-logs/S0003.hlg --html run.html    # one self-contained HTML file
    hinge report S0002.hlg S0003.hlg --html cmp.html     # two (or more) sessions compared
    hinge report S0003.hlg --cfg lean_min_deg=5          # "what if": faults recomputed
    hinge baseline hinge-logs/S0004.hlg            # suggest, explain, check against the run
    hinge baseline hinge-logs/S0004.hlg --apply    # ... and write them to the board's config
    hinge baseline S0004.hlg --apply --resume      # ... and restart coaching with them
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from hinge.common.errors import HingeError


# ---- report ---------------------------------------------------------------------------------
def _args_report(p):
    p.add_argument("logs", nargs="+", metavar="LOG", help="session log(s) (Snnnn.hlg); two or more: compared")
    p.add_argument("--html", metavar="FILE", help="write a self-contained HTML report (plots inside)")
    p.add_argument("--png", metavar="DIR", help="also save the figures as PNG files in DIR")
    p.add_argument("--with", dest="with_", metavar="RUN.fit|RUN.gpx",
                   help="the runner's watch file: lined up by clock and cadence; adds splits, grade, heart rate")
    p.add_argument("--per", choices=("km", "mi"), default="km", help="splits per km or per mile (with --with)")
    p.add_argument("--cfg", action="append", default=[], metavar="KEY=VALUE",
                   help="threshold override (repeatable), e.g. lean_min_deg=5: fault time recomputed")


def cmd_report(a) -> int:
    from hinge.common.keyvalue import parse_pairs
    from hinge.logs import analysis
    from hinge.report.driftchart import drift_figures
    from hinge.report.figures import overview_figures, png_bytes
    from hinge.report.html import render_html
    from hinge.report.text import render_text

    overrides = parse_pairs(a.cfg, "--cfg")
    sessions = [(p, analysis.load(p)) for p in a.logs]
    analyses = [analysis.analyse(s, p, overrides) for p, s in sessions]
    analysis.unique_names(analyses)
    if a.with_:  # the watch file, lined up with the log, adds its section to the report
        from hinge.watch import watchreport

        watchreport.attach_all(analyses, a.with_, a.per)
    for x in analyses:
        if x.problems:
            print(f"hinge report: warning: {x.path}: damaged in {len(x.problems)} place(s); reporting what is intact "
                  f"({x.problems[0]})", file=sys.stderr)
    if a.html or a.png:
        if a.png:
            d = Path(a.png)
            d.mkdir(parents=True, exist_ok=True)
            saved = []
            for k, fig in {**overview_figures(analyses), **drift_figures(analyses)}.items():
                saved.append(d / (re.sub(r"[^\w.-]+", "_", k).strip("_") + ".png"))
                saved[-1].write_bytes(png_bytes(fig))
            print(f"figures: {', '.join(str(x) for x in saved)}")
        if a.html:
            html = render_html(analyses)
            out = Path(a.html)
            if out.parent and not out.parent.exists():
                out.parent.mkdir(parents=True)
            tmp = out.with_name(out.name + ".tmp")
            tmp.write_text(html, encoding="utf-8")
            tmp.replace(out)
            print(f"report: {out} ({len(html.encode()) / 1024:.0f} KiB, self-contained: open it in any browser)")
    else:
        print(render_text(analyses))
    return 0


# ---- baseline -------------------------------------------------------------------------------
def _args_baseline(p):
    p.add_argument("log", metavar="LOG", help="a good-form session log (Snnnn.hlg) with a standing start")
    p.add_argument("--apply", action="store_true", help="write the suggested thresholds to the board's config")
    p.add_argument("--lean-margin", default=None, metavar="DEG",
                   help="degrees below your 10th-percentile lean for lean_min_deg (0..10, default 1.0)")
    p.add_argument("--swivel-margin", default=None, metavar="DEG",
                   help="degrees above your 90th-percentile rotation for swivel_max_deg (0..10, default 2.0)")
    p.add_argument("--force", action="store_true", help="with --apply: apply even if the run looks like poor form")
    p.add_argument("--resume", action="store_true", help="with --apply: restart coaching with the new thresholds")


def _margin(flag: str, text, default: float) -> float:
    """A margin from the command line: the config's number rule (ASCII decimal), else one line."""
    if text is None:
        return default
    if isinstance(text, (int, float)):
        return float(text)
    from hinge.common.devpath import import_device

    try:
        return float(import_device("config").number(str(text).strip()))
    except ValueError:
        raise HingeError(f"{flag} {text}: not a number (digits 0-9, e.g. 1 or 1.5)") from None


def cmd_baseline(a) -> int:
    from hinge.logs import analysis, baseline

    from .cmd_logs import open_board

    session = analysis.load(a.log)
    if session.problems:
        print(f"hinge baseline: warning: {a.log}: damaged in {len(session.problems)} place(s); using what is intact",
              file=sys.stderr)
    sug = baseline.suggest(session, _margin("--lean-margin", a.lean_margin, baseline.LEAN_MARGIN),
                           _margin("--swivel-margin", a.swivel_margin, baseline.SWIVEL_MARGIN))
    print(sug.explain())
    if not a.apply:
        pairs = " ".join(f"{k}={v:g}" for k, v in sug.values.items())
        print(f"\nTo use them: hinge baseline {a.log} --apply   (or: hinge config set {pairs})")
        return 0
    if sug.doubtful and not a.force:
        raise HingeError("not applied: this run may not be good form (see the notes above); "
                         "use another run, or add --force to apply anyway")
    with open_board(a, caller_restarts=True) as board:
        cfg = baseline.apply(board, sug.values, restart=a.resume)
    print("\nWritten to the board: " + ", ".join(f"{k}={cfg[k]:g}" for k in sug.values)
          + (" (coaching restarted with them)." if a.resume else
             ". They take effect when coaching restarts (reset the board, or use --resume)."))
    return 0


# ---- export ---------------------------------------------------------------------------------
def _args_export(p):
    p.add_argument("log", metavar="LOG", help="a session log (Snnnn.hlg)")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--fit", metavar="OUT.fit", help="a FIT activity with Hinge's per-stride metrics as developer fields")
    g.add_argument("--csv", metavar="DIR", help="the decoded tables as CSV (documented columns with units) in DIR")
    p.add_argument("--merge", metavar="RUN.fit|RUN.gpx", help="with --fit: carry the watch's records too (lined up)")


def cmd_export(a) -> int:
    from hinge.logs import analysis
    from hinge.watch import fitexport

    from .cmd_logs import decode_pulled

    if a.csv:
        if a.merge:
            raise HingeError("--merge goes with --fit")
        log, out = Path(a.log), Path(a.csv)
        if not log.is_file():
            raise HingeError(f"{log}: no such session log")
        out.mkdir(parents=True, exist_ok=True)
        written, problems = decode_pulled(log, out)  # the same files `logs pull` writes beside a log
        if not written:
            raise HingeError(f"{log.name}: {problems[0] if problems else 'nothing decoded'}")
        note = f" ({len(problems)} problem(s) noted in the files)" if problems else ""
        print(f"{out}: {', '.join(p.name for p in written)}{note}")
        return 0
    x = analysis.analyse(analysis.load(a.log), a.log)
    print(fitexport.export(x, a.fit, a.merge))
    return 0


COMMANDS = {
    "report": (cmd_report, _args_report, "a run report from session logs: terminal summary or HTML with plots"),
    "export": (cmd_export, _args_export, "a session as a FIT activity (alone or merged with the watch's) or CSV tables"),
    "baseline": (cmd_baseline, _args_baseline, "suggest personal thresholds from a good-form session (--apply writes them)"),
}
