"""The report as terminal text: one session, or a comparison table first for several."""
from __future__ import annotations

from hinge.common.timefmt import clock
from hinge.logs.analysis import Analysis, reasons_of, splits, unique_names

from . import cues, dynamics
from .words import FAULT_TEXT, LABEL, SHORT, calib_text, cue_value, date_text, highlights, hip_drop_text, limit_text, num, share


# ---- terminal -------------------------------------------------------------------------------
def render_text(analyses: list) -> str:
    """A readable terminal summary (one session, or a comparison table first for several)."""
    unique_names(analyses)
    out = []
    if len(analyses) > 1:
        names = [a.name for a in analyses]
        w = max(10, *(len(n) for n in names))
        out.append("Sessions compared")
        out.append(f"  {'':<30}" + "".join(f"{n:>{w + 2}}" for n in names))

        def line(label, fn, fmt="{:.1f}"):
            out.append(f"  {label:<30}" + "".join(f"{num(fn(a), fmt):>{w + 2}}" for a in analyses))

        line("recorded (min)", lambda a: a.duration_s / 60)
        line("running (min)", lambda a: a.time_s["running"] / 60)
        line("cadence (steps/min)", lambda a: a.stats["cadence"], "{:.0f}")
        line("lean, typical (deg)", lambda a: a.stats["lean"])
        line("rotation, typical (deg)", lambda a: a.stats["rotation"])
        line("pelvic roll, typical (deg)", lambda a: a.stats["roll"])
        line("hip drop left, typical (deg)", lambda a: a.stats["hip_drop_left"])
        line("hip drop right, typical (deg)", lambda a: a.stats["hip_drop_right"])
        for r in reasons_of(analyses):
            line(f"{LABEL[r].lower()} (% running)", lambda a, r=r: share(a.fault_s[r], a.time_s["running"]), "{:.0f}")
        line("buzzes", lambda a: len(a.alerts), "{:.0f}")
        out.append("")
    for a in analyses:
        out.append(_text_one(a))
    return "\n".join(out)


def _text_one(a: Analysis) -> str:
    st = a.stats
    o = [f"{a.name}  ·  {date_text(a)}", "=" * 60]
    o.append(f"  recorded {clock(a.duration_s)}   running {clock(a.time_s['running'])}   walking "
             f"{clock(a.time_s['walking'])}   strides {st['strides']}")
    o.append(f"  cadence {num(st['cadence'], '{:.0f}')} steps/min   lean {num(st['lean'])}°   rotation "
             f"{num(st['rotation'])}°   pelvic roll {num(st['roll'])}°   hip drop {hip_drop_text(st)}   "
             "(typical, running)")
    o.append("")
    mark = {"good": "  ✓ ", "warn": "  ! ", "note": "  · "}
    for k, t in highlights(a):
        o.append(mark[k] + t)
    o.append("")
    run = a.time_s["running"]
    o.append(f"  Time in each fault (limits: {', '.join(limit_text(a, r) for r in a.reasons)}):")
    for r in a.reasons:
        o.append(f"    {LABEL[r]:<14} {clock(a.fault_s[r]):>7}  {share(a.fault_s[r], run):3.0f} % of running   "
                 f"buzzes {sum(1 for x in a.alerts if str(x['reason']) == r)}")
    if len(a.alerts):
        o.append("")
        o.append("  Buzzes:")
        for x in a.alerts:
            o.append(f"    {clock(x['t_ms'] / 1000):>7}  {LABEL.get(str(x['reason']), str(x['reason'])):<13} "
                     f"severity {int(x['severity'])}  {cue_value(x)}")
    faded = cues.text(a.session.alerts)   # faded feedback: given vs withheld (report/cues.py)
    if faded:
        o += ["", faded]
    rows = splits(a)
    if rows:
        width = rows[0]["end"] - rows[0]["start"]
        o.append("")
        cols = [(x, SHORT[x], max(5, len(SHORT[x]))) for x in a.reasons]
        o.append(f"  {'time':<13} {'run':>4} {'cad':>5} {'lean':>5} {'rot':>5} {'roll':>5}  "
                 + "".join(f"{h:>{w}} " for _x, h, w in cols)
                 + f"{'buzz':>4}   (per {'minute' if width == 60 else clock(width)})")
        for r in rows:
            w = r["end"] - r["start"]
            o.append(f"  {clock(r['start']) + '-' + clock(r['end']):<13} {share(r['running_s'], w):3.0f}% "
                     f"{num(r['cadence'], '{:.0f}'):>5} {num(r['lean']):>5} {num(r['rotation']):>5} {num(r['roll']):>5}  "
                     + "".join(f"{num(r[x + '_s'] or None, '{:.0f}s'):>{cw}} " for x, _h, cw in cols)
                     + f"{r['buzzes'] or '–':>4}")
    if a.watch is not None:
        o += ["", a.watch.text(a)]
    o.append("")
    o.append("  Calibration: " + calib_text(a))
    srcs = sorted({v for v in a.cfg_source.values()})
    o.append("  Thresholds: " + ", ".join(srcs).replace("log", "from the log").replace("--cfg", "--cfg overrides"))
    for t, n, d in a.device_faults:
        o.append(f"  Board note at {clock(t / 1000)}: {FAULT_TEXT.get(n, n)}{f' ({d})' if d else ''}")
    for p in a.problems:
        o.append(f"  Log problem: {p}")
    dyn = dynamics.text(a.session)   # running dynamics and form drift (report/dynamics.py)
    if dyn:
        o += ["", dyn]
    return "\n".join(o)


