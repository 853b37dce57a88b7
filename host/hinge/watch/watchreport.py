"""The report's watch section: ``hinge report LOG --with RUN.fit|RUN.gpx``.

:func:`attach` reads the watch file, lines it up with the log (:mod:`.align`) and puts a
:class:`WatchView` on the analysis (``a.watch``); the report then adds, from :func:`html` /
:func:`text`: how the files were lined up (offset, clock rate, confidence), per-km (or
per-mile) splits with pace, heart rate, climb, form and faults, form against grade (climbs,
flats, descents), form against heart rate and running power (where the watch logs it), and the
elevation profile over distance with the fault stretches shaded and the lean below it (form
against distance: fatigue shows there).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hinge.common.timefmt import clock
from hinge.report import figures
from hinge.report import html as rhtml
from hinge.report.words import LABEL, SHORT, num

from . import grade as G
from .activity import Activity, at
from .align import Alignment, align, header_start
from .readfile import load
from .splits import UNITS, pace_text, per_distance


@dataclass
class WatchView:
    act: Activity
    al: Alignment
    unit: str
    stride: dict  # watch series at each stride's end (activity.FIELDS + "grade"), per stride
    alert: dict  # the same at each buzz felt
    splits: list
    grades: list
    hrs: list
    powers: list  # form in running-power bands ([] for a watch with no power)

    # what the report calls (report/ does not import this room: the view brings its own rendering)
    def html(self, a) -> str:
        return html(a)

    def text(self, a) -> str:
        return text(a)


def attach(a, path, unit: str = "km") -> WatchView:
    """Read watch file ``path``, align it with analysis ``a`` and set ``a.watch``. Raises
    WatchFileError (one line) when the file is unusable or does not belong to the log."""
    act = load(path)
    h = a.session.header
    al = align(a.strides, act, header_start(h), a.path.name if str(a.path) else a.name)
    g = G.grade_per_second(act)

    def series(t_ms):
        u = al.to_unix(np.asarray(t_ms, dtype=float) / 1000.0)
        d = at(act, u)
        ok = np.isfinite(g)
        d["grade"] = np.interp(u, act.t[ok], g[ok], left=np.nan, right=np.nan) if ok.sum() >= 2 else u * np.nan
        d["u"] = u
        return d

    st = series(a.strides["t_ms"])
    al_ = series(a.alerts["t_ms"])
    v = WatchView(act, al, unit, st, al_,
                  per_distance(a, st["distance_m"], al_["distance_m"], act, unit),
                  G.by_grade(a, st["grade"], al_["grade"]), G.by_heart_rate(a, st["hr_bpm"], al_["hr_bpm"]),
                  G.by_power(a, st["power_w"], al_["power_w"]))
    a.watch = v
    return v


# Hinge's running dynamics against the watch's own (a pod's, or the wrist's), where the watch
# has them: (the watch's series, Hinge's as fitexport.stride_dynamics names it in the same unit, label,
# unit, format)
_VS = (("gct_ms", "stance_time", "contact time", "ms", "{:.0f}"),
       ("gct_balance", "stance_time_balance", "contact balance (left)", "%", "{:.1f}"),
       ("vo_mm", "vertical_oscillation", "vertical oscillation", "mm", "{:.0f}"))


def dynamics_vs_watch(a, v: WatchView) -> list[dict]:
    """Per running-dynamics metric the watch logs: over the running strides both measured (the
    watch's value at each stride's end, as lined up), Hinge's median, the watch's, the median
    of their differences (Hinge - watch) and how many strides. [] when the watch logs none.
    Two sensors, two places (the pelvis, a chest strap or the feet), two definitions of the
    contact's ends: a steady offset is the definitions', a drifting one is worth a look."""
    from .fitexport import stride_dynamics

    mine = stride_dynamics(a)
    out = []
    for wk, hk, label, unit, fmt in _VS:
        w = np.asarray(v.stride[wk], dtype=float)
        h = np.asarray(mine[hk], dtype=float)
        ok = np.isfinite(w) & np.isfinite(h) & np.asarray(a.running, dtype=bool)
        if not ok.any():
            continue
        out.append({"label": label, "unit": unit, "fmt": fmt, "n": int(ok.sum()), "hinge": float(np.median(h[ok])),
                    "watch": float(np.median(w[ok])), "diff": float(np.median(h[ok] - w[ok]))})
    return out


HOUR_MS = 3600000
HOUR_MIN_STRIDES = 30    # an hour's row needs this many strides both measured (~20 s of running)


def dynamics_vs_watch_by_hour(a, v: WatchView) -> list[dict]:
    """The same differences (Hinge - watch, medians) hour by hour of the session, for each
    metric of :func:`dynamics_vs_watch`: [{"hour": h, "n": strides, label: difference or None}].
    Over an ultra a pod and Hinge may part (a strap that slips, a clip that turns, shoes that
    change): a steady offset is the definitions', one that grows is worth a look. [] unless two
    hours or more have a row."""
    from .fitexport import stride_dynamics

    mine = stride_dynamics(a)
    hour = (np.asarray(a.strides["t_ms"], dtype=np.int64) // HOUR_MS).astype(int)
    run = np.asarray(a.running, dtype=bool)
    rows = []
    for h in range(int(hour.max()) + 1 if len(hour) else 0):
        row, n = {"hour": h}, 0
        for wk, hk, label, _unit, _fmt in _VS:
            d = np.asarray(mine[hk], dtype=float) - np.asarray(v.stride[wk], dtype=float)
            ok = run & (hour == h) & np.isfinite(d)
            row[label] = float(np.median(d[ok])) if ok.sum() >= HOUR_MIN_STRIDES else None
            n = max(n, int(ok.sum()))
        row["n"] = n
        if any(row[x[2]] is not None for x in _VS):
            rows.append(row)
    return rows if len(rows) >= 2 else []


def _hour_rows(rows) -> list[str]:
    out = []
    for r in rows:
        parts = [f"{label} {num(r[label], '{:+.1f}')} {unit}" for _w, _h, label, unit, _f in _VS if r[label] is not None]
        out.append(f"{r['hour']}-{r['hour'] + 1} h: " + ", ".join(parts) + f" ({r['n']} strides)")
    return out


def _dyn_rows(rows) -> list[str]:
    return [f"{r['label']}: Hinge {num(r['hinge'], r['fmt'])} {r['unit']}, watch {num(r['watch'], r['fmt'])} "
            f"{r['unit']} (Hinge - watch {num(r['diff'], '{:+.1f}')} {r['unit']} typical, {r['n']} strides)" for r in rows]


def _fault_cells(a, row, run_key="running_s"):
    return "".join(rhtml.fault_cell(row[r + "_s"], row[run_key], r) for r in a.reasons)


def figure(a, v: WatchView):
    """Elevation over distance with fault stretches shaded; lean (running median) and heart
    rate below it."""
    from matplotlib.patches import Patch


    fig = figures.new_figure(7.0, 4.8)
    ax1, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=(1.1, 1.0))
    scale = UNITS[v.unit]
    act = v.act
    ok = np.isfinite(act.distance_m) & np.isfinite(act.altitude_m)
    if ok.any():
        d, z = act.distance_m[ok] / scale, act.altitude_m[ok]
        ax1.fill_between(d, z, float(z.min()) - 2.0, color="#CFCFCF", lw=0)
        ax1.plot(d, z, color="#4D4D4D", lw=1.2)
    dist = v.stride["distance_m"]
    shown = set()
    for ep in a.episodes:
        m = (a.strides["t_ms"] >= ep.t0_ms) & (a.strides["t_ms"] <= ep.t1_ms) & np.isfinite(dist)
        if m.any():
            shown.add(ep.reason)
            for ax in (ax1, ax2):
                ax.axvspan(dist[m].min() / scale, dist[m].max() / scale, color=figures.COLOR[ep.reason], alpha=0.35, lw=0)
    ax1.set_ylabel("altitude (m)")
    run = a.running & np.isfinite(dist)
    if run.sum() >= figures.SMOOTH:
        y = a.strides["lean_deg"][run].astype(float)
        k = figures.SMOOTH // 2
        win = np.lib.stride_tricks.sliding_window_view(np.pad(y, k, mode="edge"), figures.SMOOTH)
        ax2.plot(dist[run] / scale, np.median(win, axis=1), color=figures.METRIC_COLOR["lean"], lw=1.4)
    ax2.set_ylabel("lean (deg)", color=figures.METRIC_COLOR["lean"])
    ax2.set_xlabel(f"distance ({v.unit})")
    hr = v.stride["hr_bpm"]
    if np.isfinite(hr).any():
        ax3 = ax2.twinx()
        ax3.plot(dist / scale, hr, color="#B2182B", lw=0.8, alpha=0.7)
        ax3.set_ylabel("heart rate (bpm)", color="#B2182B")
    for ax in (ax1, ax2):
        figures.style_axes(ax)
    figures.add_legend(ax2, [Patch(color=figures.COLOR[r], alpha=0.35, label=LABEL[r]) for r in a.reasons if r in shown],
                       "below")
    return fig


def html(a) -> str:
    """The watch section of one session's HTML report ("" without a watch file)."""

    v = getattr(a, "watch", None)
    if v is None:
        return ""
    e = rhtml.esc
    png = figures.png_bytes(figure(a, v))
    u = v.unit
    pw = v.act.has("power_w")      # a power column where the watch logs running power
    head = (f"<tr><th>{u}</th><th>pace /{u}</th><th>HR</th>" + ("<th>power</th>" if pw else "")
            + "<th>climb / descent</th><th>cadence</th><th>lean</th>"
            "<th>rotation</th>" + "".join(f"<th>{e(LABEL[r])}</th>" for r in a.reasons) + "<th>buzzes</th></tr>")
    body = "".join(
        f"<tr><td>{r['start'] / UNITS[u]:.0f}–{r['end'] / UNITS[u]:.1f}</td><td>{pace_text(r['pace_s'])}</td>"
        f"<td>{num(r['hr'], '{:.0f}')}</td>" + (f"<td>{num(r['power'], '{:.0f}')} W</td>" if pw else "")
        + f"<td>{num(r['climb_m'], '{:.0f}')} / {num(r['descent_m'], '{:.0f}')} m</td>"
        f"<td>{num(r['cadence'], '{:.0f}')}</td><td>{num(r['lean'])}°</td><td>{num(r['rotation'])}°</td>"
        + _fault_cells(a, r) + f"<td>{r['buzzes'] or ''}</td></tr>" for r in v.splits)
    ghead = ("<tr><th>grade</th><th>running</th><th>lean</th><th>rotation</th><th>cadence</th>"
             + "".join(f"<th>{e(LABEL[r])}</th>" for r in a.reasons) + "<th>buzzes</th></tr>")

    def form_rows(rows):
        return "".join(f"<tr><td>{e(r['label'])}</td><td>{clock(r['running_s'])}</td><td>{num(r['lean'])}°</td>"
                       f"<td>{num(r['rotation'])}°</td><td>{num(r['cadence'], '{:.0f}')}</td>"
                       + _fault_cells(a, r) + f"<td>{r['buzzes'] or ''}</td></tr>" for r in rows)

    out = [f"<section><h2>With your watch: {e(v.act.source)}</h2><p class='explain'>{e(v.al.describe())}.</p>",
           f"<figure>{rhtml.img_tag(png, 'elevation, faults and lean over distance')}<figcaption class='explain'>"
           "Top: the course's elevation; shaded, the stretches the coach counted as a fault (colour = fault). "
           "Below: your lean (running median) and heart rate over the distance: a lean that sags late in a run "
           "is fatigue.</figcaption></figure>",
           f"<h3>Per {e(u)}</h3><div class='scroll'><table>{head}{body}</table></div>",
           f"<h3>Form against grade</h3><div class='scroll'><table>{ghead}{form_rows(v.grades)}</table></div>"
           f"<p class='explain'>Grade from the watch's altitude smoothed over {G.SMOOTH_M:.0f} m: flat within ±2 %, "
           "steep past ±6 %. Keep the hinge even on steep descents: leaning back there is the fault that brakes "
           "and loads the lower back.</p>"]
    if v.hrs:
        out.append(f"<h3>Form against heart rate</h3><div class='scroll'><table>{ghead.replace('grade', 'heart rate')}"
                   f"{form_rows(v.hrs)}</table></div>")
    if v.powers:
        out.append(f"<h3>Form against running power</h3><div class='scroll'><table>"
                   f"{ghead.replace('grade', 'power')}{form_rows(v.powers)}</table></div>"
                   f"<p class='explain'>In bands of {G.POWER_BAND} W, from the watch's running power: power "
                   "answers a surge at once, where heart rate takes a minute to follow.</p>")
    dyn = dynamics_vs_watch(a, v)
    if dyn:
        out.append("<h3>Running dynamics: Hinge and your watch</h3><ul>" + "".join(f"<li>{e(t)}</li>" for t in _dyn_rows(dyn))
                   + "</ul><p class='explain'>Medians over the running strides both measured. Hinge times the contact "
                   "at the pelvis, a pod at the chest or the foot: a steady offset is the two definitions', one "
                   "that changes over the run is worth a look.</p>")
        hours = dynamics_vs_watch_by_hour(a, v)
        if hours:
            out.append("<p>Hour by hour (Hinge - watch):</p><ul>" + "".join(f"<li>{e(t)}</li>" for t in _hour_rows(hours))
                       + "</ul>")
    out.append("</section>")
    return "".join(out)


def text(a) -> str:
    """The watch part of the terminal summary ("" without a watch file)."""

    v = getattr(a, "watch", None)
    if v is None:
        return ""
    u = v.unit
    cols = [(r, SHORT[r], max(5, len(SHORT[r]))) for r in a.reasons]
    heads = " ".join(f"{h:>{w}}" for _r, h, w in cols)

    def faults(row):
        return " ".join(f"{num(row[r + '_s'] or None, '{:.0f}s'):>{w}}" for r, _h, w in cols)

    pw = v.act.has("power_w")      # a power column where the watch logs running power
    o = [f"  Watch: {v.act.source}: {v.al.describe()}",
         f"  {'Per ' + u:<10} {'pace':>5} {'HR':>4}" + (f" {'W':>4}" if pw else "")
         + f" {'cad':>6} {'lean':>5} {'rot':>5} {heads} {'buzz':>4}"]
    for r in v.splits:
        o.append(f"  {r['start'] / UNITS[u]:>4.0f}-{r['end'] / UNITS[u]:<5.1f} {pace_text(r['pace_s']):>5} "
                 f"{num(r['hr'], '{:.0f}'):>4}" + (f" {num(r['power'], '{:.0f}'):>4}" if pw else "")
                 + f" {num(r['cadence'], '{:.0f}'):>6} {num(r['lean']):>5} "
                 f"{num(r['rotation']):>5} {faults(r)} {r['buzzes'] or '–':>4}")
    tables = ([("Form against grade", v.grades)] + ([("Form against HR", v.hrs)] if v.hrs else [])
              + ([("Form against power", v.powers)] if v.powers else []))
    for title, rows in tables:
        o.append(f"  {title:<18} {'running':>9} {'lean':>5} {'rot':>5} {heads}")
        for r in rows:
            o.append(f"  {r['label']:<18} {clock(r['running_s']):>9} {num(r['lean']):>5} {num(r['rotation']):>5} {faults(r)}")
    dyn = dynamics_vs_watch(a, v)
    if dyn:
        o.append("  Running dynamics, Hinge and your watch (medians over the running strides both measured):")
        o += ["    " + t for t in _dyn_rows(dyn)]
        hours = dynamics_vs_watch_by_hour(a, v)
        if hours:
            o.append("    hour by hour (Hinge - watch):")
            o += ["      " + t for t in _hour_rows(hours)]
    return "\n".join(o)


def attach_all(analyses: list, path, unit: str = "km") -> None:
    """``hinge report LOG --with FILE``: one session log and its watch file; says how they lined up."""
    from pathlib import Path

    from hinge.common.errors import HingeError

    if len(analyses) != 1:
        raise HingeError(f"--with {path}: give one session log with a watch file (got {len(analyses)})")
    v = attach(analyses[0], path, unit)
    print(f"watch: {Path(path).name}: {v.al.describe()}")
