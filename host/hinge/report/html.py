"""The report as one self-contained HTML file: PNG figures embedded as base64, CSS inline (from
``report.css`` beside this file), no scripts and no external links, laid out for a phone first."""
from __future__ import annotations

import base64
import datetime as _dt
import html as _html
from pathlib import Path

from hinge.common.timefmt import clock
from hinge.logs.analysis import Analysis, has_distance, reasons_of, shown_keys, splits, unique_names

from . import cues, dynamics
from .driftchart import drift_figures
from .figures import COLOR, SESSION_COLORS, figures, png_bytes
from .words import EXPLAIN, FAULT_TEXT, LABEL, calib_text, cue_value, date_text, highlights, hip_drop_text, num, share

# ---- HTML -----------------------------------------------------------------------------------
CSS = (Path(__file__).parent / "report.css").read_text(encoding="utf-8")  # inlined in every report


def esc(x) -> str:
    return _html.escape(str(x))


def img_tag(png: bytes, alt: str) -> str:
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _tiles(a: Analysis) -> str:
    st = a.stats
    items = [
        (clock(a.duration_s), "recorded"),
        (clock(a.time_s["running"]), "running"),
        (f"{st['strides']}", "strides"),
        (num(st["cadence"], "{:.0f}"), "steps/min (typical)"),
        (num(st["lean"], "{:.1f}°"), "lean (typical)"),
        (num(st["rotation"], "{:.1f}°"), "rotation (typical)"),
        (num(st["roll"], "{:.1f}°"), "pelvic roll (typical)"),
        (hip_drop_text(st), "hip drop per stance (typical)"),
        (f"{len(a.alerts)}", "buzzes"),
    ]
    return '<section class="tiles">' + "".join(f'<div class="tile"><b>{esc(v)}</b><span>{esc(k)}</span></div>'
                                               for v, k in items) + "</section>"


def _highlights_html(a: Analysis) -> str:
    return '<ul class="hl">' + "".join(f'<li class="{k}">{esc(t)}</li>' for k, t in highlights(a)) + "</ul>"


def _explain(a: Analysis, keys) -> str:
    return '<div class="explain">' + "".join(f"<p>{esc(EXPLAIN[k].format(**a.cfg))}</p>" for k in keys) + "</div>"


def fault_cell(sec, width, reason):
    if not sec:
        return "<td>–</td>"
    alpha = min(1.0, sec / max(width, 1)) * 0.75 + 0.1
    r, g, b = (int(COLOR[reason][i:i + 2], 16) for i in (1, 3, 5))
    return f'<td class="f" style="background:rgba({r},{g},{b},{alpha:.2f})">{sec:.0f} s</td>'


def _splits_html(a: Analysis) -> str:
    by = "distance" if has_distance(a) else "time"
    rows = splits(a, by)
    width = rows[0]["end"] - rows[0]["start"] if rows else 60
    unit = "km" if by == "distance" else ("minute" if width == 60 else f"{width // 60:.0f} minutes")
    head = ("<tr><th>" + ("km" if by == "distance" else "time") + "</th><th>running</th><th>strides</th>"
            "<th>cadence<br>steps/min</th><th>lean<br>°</th><th>rotation<br>°</th><th>pelvic roll<br>°</th>"
            + "".join(f"<th><span class='sw' style='background:{COLOR[r]}'></span>{esc(LABEL[r].lower())}</th>"
                      for r in a.reasons)
            + "<th>buzzes</th></tr>")
    body = []
    for r in rows:
        w = r["end"] - r["start"]
        label = (f"{r['start'] / 1000:.0f}–{r['end'] / 1000:.0f} km" if by == "distance"
                 else f"{clock(r['start'])}–{clock(r['end'])}")
        body.append(
            f"<tr><td>{label}</td><td>{share(r['running_s'], w):.0f} %</td><td>{r['strides']}</td>"
            f"<td>{num(r['cadence'], '{:.0f}')}</td><td>{num(r['lean'])}</td><td>{num(r['rotation'])}</td>"
            f"<td>{num(r['roll'])}</td>" + "".join(fault_cell(r[x + '_s'], w, x) for x in a.reasons)
            + f"<td>{r['buzzes'] or '–'}</td></tr>")
    note = ("" if by == "distance" else
            '<p class="explain">Per kilometre once the board records distance (it does not yet). Values are medians '
            'of the running strides in each row; fault columns are seconds of running the coach counted as that fault.</p>')
    return (f"<h2>{'Kilometre' if by == 'distance' else esc(unit.capitalize())} by {esc(unit)}</h2>{note}"
            f'<div class="scroll"><table>{head}{"".join(body)}</table></div>')


def _buzzes_html(a: Analysis) -> str:
    if not len(a.alerts):
        return "<h2>Buzzes</h2><p>None: no fault held long enough to be coached.</p>"
    sev = {1: "mild", 2: "moderate", 3: "strong"}
    rows = []
    for x in a.alerts:
        r = str(x["reason"])
        cl = [c for c in a.clears if c["reason"] == r and c["t_ms"] >= x["t_ms"]]
        fixed = f"fixed after {clock((cl[0]['t_ms'] - x['t_ms']) / 1000)}" if cl else "held to the end or until you stopped"
        rows.append(f"<tr><td>{clock(x['t_ms'] / 1000)}</td><td><span class='sw' style='background:{COLOR.get(r, '#777')}'>"
                    f"</span>{esc(LABEL.get(r, r))}</td><td>{sev.get(int(x['severity']), x['severity'])}</td>"
                    f"<td>{esc(cue_value(x))}</td><td class='t'>{fixed}</td></tr>")
    return ("<h2>Buzzes</h2><p class='explain'>What the board told you, from its log. Severity grows with how far past "
            "the limit you were.</p><div class='scroll'><table><tr><th>time</th><th>fault</th><th>severity</th>"
            "<th>smoothed value</th><th class='t'>then</th></tr>" + "".join(rows) + "</table></div>")


def _thresholds_html(a: Analysis) -> str:
    from hinge.common.devpath import import_device

    config = import_device("config")
    src_text = {"log": "the log", "--cfg": "your --cfg", "default": "default"}
    rows = []
    for k in shown_keys(a.cfg):
        _d, _kind, _lo, _hi, unit, text = config.SCHEMA[k]
        v = a.cfg[k]
        shown = (("on" if v else "off") if isinstance(v, bool) else v if isinstance(v, str)
                 else f"{v:g} {unit}".strip())
        rows.append(f"<tr><td class='t'><code>{esc(k)}</code><br><span class='explain'>{esc(text)}</span></td>"
                    f"<td>{esc(shown)}</td><td>{esc(src_text[a.cfg_source[k]])}</td></tr>")
    return ("<h2>Thresholds used</h2><p class='explain'>From the log: the board's config during this run. Limits are "
            "personal: good runners lean anywhere from a little to a lot, and rotation grows with speed. "
            "<code>hinge baseline</code> suggests yours from a good-form run.</p>"
            "<div class='scroll'><table><tr><th class='t'>setting</th><th>value</th><th>from</th></tr>"
            + "".join(rows) + "</table></div>")


def _quality_html(a: Analysis) -> str:
    h = a.session.header
    parts = [f"<p><b>Calibration.</b> {esc(calib_text(a))}</p>"]
    if a.device_faults:
        items = "".join(f"<li>{clock(t / 1000)}: {esc(FAULT_TEXT.get(n, n))}{f' ({d})' if d else ''}</li>"
                        for t, n, d in a.device_faults)
        parts.append(f"<p><b>Board notes.</b></p><ul>{items}</ul>")
    if a.problems:
        items = "".join(f"<li>{esc(p)}</li>" for p in a.problems)
        parts.append(f"<div class='warnbox'><b>Log problems.</b> What was intact is shown; these parts were not:"
                     f"<ul>{items}</ul></div>")
    else:
        parts.append(f"<p><b>Log.</b> Intact: {a.session.blocks} blocks, {a.session.size} bytes, every checksum good.</p>")
    parts.append(f"<p class='explain'>File {esc(a.path.name or '?')} · session {esc(h.get('name', '?'))} · firmware "
                 f"{esc(h.get('fw_version', '?'))} · IMU {esc(h.get('imu_model', '?'))} at {h.get('rate_hz', 0):g} Hz</p>")
    return "<h2>Calibration and data quality</h2>" + "".join(parts)


def _fig(pngs: dict, key: str, alt: str, caption: str = "") -> str:
    cap = f"<figcaption class='explain'>{caption}</figcaption>" if caption else ""
    return f"<figure>{img_tag(pngs[key], alt)}{cap}</figure>"


def _session_html(a: Analysis, pngs: dict, key: str, heading: bool) -> str:
    """One session's sections; ``key`` prefixes its figure names ("" or "<name>.")."""
    out = []
    if heading:
        out.append(f"<header><h1>{esc(a.name)}</h1><p class='sub'>{esc(date_text(a))}</p></header>")
    out.append(_tiles(a))
    out.append(f"<section><h2>In short</h2>{_highlights_html(a)}</section>")

    def say(k):
        return esc(EXPLAIN[k].format(**a.cfg))

    out.append("<section><h2>Your run over time</h2><div class='grid'>"
               + _fig(pngs, key + "events", f"{a.name}: activity, faults and buzzes",
                      "Top row: running, walking, or blank while you stood. Below: each bar is a stretch the coach "
                      "counted as a fault; ▼ marks a buzz. " + say("faults"))
               + _fig(pngs, key + "lean", f"{a.name}: lean over time", say("lean"))
               + _fig(pngs, key + "rotation", f"{a.name}: rotation over time", say("rotation"))
               + _fig(pngs, key + "cadence", f"{a.name}: cadence over time", say("cadence"))
               + _fig(pngs, key + "roll", f"{a.name}: pelvic roll over time",
                      say("roll_cued" if "hip_drop" in a.reasons else "roll"))
               + "</div></section>")
    run = a.time_s["running"]
    rows = "".join(f"<tr><td><span class='sw' style='background:{COLOR[r]}'></span>{esc(LABEL[r])}</td>"
                   f"<td>{clock(a.fault_s[r])}</td><td>{share(a.fault_s[r], run):.0f} %</td>"
                   f"<td>{sum(1 for x in a.alerts if str(x['reason']) == r)}</td></tr>" for r in a.reasons)
    grid = "".join(_fig(pngs, key + k, f"{a.name}: {k.replace('_', ' ')}")
                   for k in ("lean_hist", "rotation_hist", "cadence_hist", "fault_time"))
    out.append(f"<section><h2>Time in each fault</h2><div class='scroll'><table><tr><th>fault</th><th>time</th>"
               f"<th>of running</th><th>buzzes</th></tr>{rows}</table></div>"
               f"<p class='explain'>Running time the coach counted as each fault, from the first stride the smoothed "
               f"value crossed the limit to the stride it was back past the hysteresis. The histograms show every "
               f"running stride; the tinted zones are past your limits.</p><div class='grid'>{grid}</div></section>")
    out.append(f"<section>{_buzzes_html(a)}</section>")
    out.append(cues.html_panel(a.session.alerts))   # faded feedback: given vs withheld (report/cues.py)
    out.append(f"<section>{_splits_html(a)}</section>")
    if a.watch is not None:  # --with RUN.fit: per-km splits, form vs grade and heart rate, elevation
        out.append(a.watch.html(a))
    drift = (_fig(pngs, key + "drift", f"{a.name}: form drift over time",
                  "Each metric's mean per running minute minus your baseline; the shaded band is the drift "
                  "margin the drift cue allows (config drift_*_deg); dashed lines are drift buzzes.")
             if key + "drift" in pngs else "")
    out.append(dynamics.html_panel(a.session, drift))   # running dynamics and form drift (report/dynamics.py)
    out.append(f"<section>{_thresholds_html(a)}</section>")
    out.append(f"<section>{_quality_html(a)}</section>")
    return "".join(out)


def _compare_table(analyses: list) -> str:
    def row(label, fn, better=None, fmt="{:.1f}", unit=""):
        vals = [fn(a) for a in analyses]
        cells = "".join(f"<td>{num(v, fmt)}{unit if v is not None else ''}</td>" for v in vals)
        ch = ""
        if len(vals) == 2 and None not in vals and all(isinstance(v, (int, float)) for v in vals):
            d = vals[1] - vals[0]
            good = None if better is None or abs(d) < 1e-9 else (d > 0) == (better == "up")
            colr = "" if good is None else f" style='color:{'var(--good)' if good else 'var(--warn)'}'"
            ch = f"<td{colr}>{d:+.1f}{unit}</td>"
        return f"<tr><td>{esc(label)}</td>{cells}{ch}</tr>"

    heads = "".join(f"<th><span class='sw' style='background:{SESSION_COLORS[i % 6]}'></span>{esc(a.name)}<br>"
                    f"<span style='font-weight:400'>{esc(date_text(a) if a.start else '')}</span></th>"
                    for i, a in enumerate(analyses))
    change = "<th>change</th>" if len(analyses) == 2 else ""
    run = lambda a: a.time_s["running"]  # noqa: E731
    rows = [
        row("recorded (min)", lambda a: a.duration_s / 60),
        row("running (min)", lambda a: run(a) / 60),
        row("strides", lambda a: a.stats["strides"], fmt="{:.0f}"),
        row("cadence, typical (steps/min)", lambda a: a.stats["cadence"], fmt="{:.0f}"),
        row("lean, typical (°)", lambda a: a.stats["lean"]),
        row("rotation, typical (°)", lambda a: a.stats["rotation"], better="down"),
        row("pelvic roll, typical (°)", lambda a: a.stats["roll"], better="down"),
        row("hip drop left, typical (°)", lambda a: a.stats["hip_drop_left"], better="down"),
        row("hip drop right, typical (°)", lambda a: a.stats["hip_drop_right"], better="down"),
        *(row(f"{LABEL[r].lower()} (% of running)", lambda a, r=r: share(a.fault_s[r], run(a)), better="down",
              fmt="{:.0f}") for r in reasons_of(analyses)),
        row("buzzes", lambda a: len(a.alerts), better="down", fmt="{:.0f}"),
        row("too-upright limit (°)", lambda a: a.cfg["lean_min_deg"], fmt="{:g}"),
        row("swivel limit (°)", lambda a: a.cfg["swivel_max_deg"], fmt="{:g}"),
    ]
    return (f"<div class='scroll'><table><tr><th></th>{heads}{change}</tr>{''.join(rows)}</table></div>"
            "<p class='explain'>Typical = median of the running strides. In the change column green is the "
            "direction that usually means better form; whether more lean is better depends on you.</p>")


def render_html(analyses: list, figs: dict | None = None, pngs: dict | None = None) -> str:
    """The whole report as one self-contained HTML page (images inside as base64 PNG).

    ``figs`` (from :func:`figures`) or their rendered ``pngs`` may be passed in to reuse them.
    """
    unique_names(analyses)
    if pngs is None:
        figs = figs if figs is not None else {**figures(analyses), **drift_figures(analyses)}
        pngs = {k: png_bytes(f) for k, f in figs.items()}
    multi = len(analyses) > 1
    title = ("Hinge: " + " vs ".join(a.name for a in analyses)) if multi else f"Hinge run report: {analyses[0].name}"
    body = []
    if multi:
        body.append(f"<header><h1>{esc(' vs '.join(a.name for a in analyses))}</h1>"
                    f"<p class='sub'>Hinge: {len(analyses)} sessions compared</p></header>")
        body.append(f"<section><h2>Side by side</h2>{_compare_table(analyses)}</section>")
        grid = "".join(_fig(pngs, f"compare.{k}", k.replace("_", " ")) for k in ("lean_hist", "rotation_hist",
                                                                                  "cadence_hist", "faults"))
        body.append(f"<section><h2>Distributions</h2><div class='grid'>{grid}</div>"
                    "<p class='explain'>Each line is one session's running strides (area 1 each, so sessions of "
                    "different length compare); the thin vertical lines are their typical values.</p></section>")
        body.append("<section><h2>Over time</h2><div class='grid'>" + _fig(pngs, "compare.lean_time", "lean over time")
                    + _fig(pngs, "compare.rotation_time", "rotation over time") + "</div></section>")
        for a in analyses:
            body.append(f"<details open><summary>{esc(a.name)}: {esc(date_text(a))}</summary>"
                        f"{_session_html(a, pngs, a.name + '.', False)}</details>")
    else:
        a = analyses[0]
        body.append(f"<header><h1>Your run: {esc(a.name)}</h1><p class='sub'>{esc(date_text(a))} · "
                    f"{clock(a.duration_s)} recorded · Hinge running-form coach</p></header>")
        body.append(_session_html(a, pngs, "", False))
    made = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>{''.join(body)}"
            f"<footer>Made by <code>hinge report</code> on {made}. Everything is in this one file; "
            "it works offline.</footer></main></body></html>")


