"""The report's figures (matplotlib, Agg, no pyplot state): per-session panels, comparisons, PNG bytes."""
from __future__ import annotations

import io

import numpy as np

from hinge.common.timefmt import clock
from hinge.logs.analysis import Analysis, reasons_of, unique_names

from .words import LABEL, date_text, share

# the faults' colours: Okabe-Ito for the three base faults; the optional cues from Paul Tol's muted
# scheme (colour-blind safe, none of them a metric's colour below)
COLOR = {"upright": "#E69F00", "backward": "#D55E00", "swivel": "#CC79A7", "hip_drop": "#88CCEE",
         "tilt_swing": "#999933", "cadence": "#882255", "drift": "#44AA99"}
METRIC_COLOR = {"lean": "#0072B2", "rotation": "#009E73", "cadence": "#3F3F8F", "roll": "#8C564B"}
ACT_COLOR = ("#D9D9D9", "#B9DDB0", "#7DB8E0")  # standing, walking, running
SESSION_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
SMOOTH = 9  # strides in the running median drawn over the dots


# ---- figures --------------------------------------------------------------------------------
# Phone first: the HTML shows one panel per image, PANEL_W inches wide with RC's font sizes, so
# text stays ~11 CSS px on a 375 px wide phone (font size / figure width is what survives the
# scaling); on a desktop the images show at their natural size, never blown up. The combined
# overview figures (fig_timeline, fig_distributions, fig_compare, fig_compare_timeline) draw the
# same panels on one canvas for a big screen, --png and the preview.
PANEL_W = 5.0
PANEL_DPI = 150
RC = {"font.size": 11.5, "axes.titlesize": 12, "axes.labelsize": 11.5, "xtick.labelsize": 11,
      "ytick.labelsize": 11, "legend.fontsize": 10.5, "axes.titleweight": "bold", "figure.titlesize": 14,
      "figure.titleweight": "bold", "legend.handlelength": 1.6, "legend.columnspacing": 1.2}
METRICS = {  # key: (stride column, y label, title)
    "lean": ("lean_deg", "lean (°, forward +)", "Lean: forward tilt of your pelvis"),
    "rotation": ("rotation_deg", "rotation per stride (°)", "Rotation (swivel): pelvis twist per stride"),
    "cadence": ("cadence_spm", "cadence (steps/min)", "Cadence"),
    "roll": ("roll_deg", "pelvic roll (°)", "Pelvic roll: side-to-side tilt per stride"),
}
TIME_LABEL = "time since the board started (min:s)"


def new_figure(w, h, dpi=110):
    from matplotlib.figure import Figure

    return Figure(figsize=(w, h), dpi=dpi, layout="constrained")


def _panel_figure(h):
    return new_figure(PANEL_W, h, PANEL_DPI)


def style_axes(ax):
    ax.grid(True, color="#E6E6E6", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _time_axis(ax, duration_s, nbins=8):
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: clock(x * 60) if x >= 0 else ""))
    ax.set_xlim(0, max(duration_s / 60.0, 0.1))


def add_legend(ax, handles, where):
    """``where``: "right" of the axes (overview), "below" the figure (panels), or "inside"."""
    if not handles:
        return
    if where == "right":
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, borderaxespad=0)
    elif where == "below":
        ax.figure.legend(handles=handles, loc="outside lower center", ncol=min(2, len(handles)), frameon=False)
    else:
        ax.legend(handles=handles, loc="best", frameon=False)


def _running_median(t_ms, y, running, window=SMOOTH):
    """(t in minutes, running median of y) over the running strides, with NaN points inserted
    where running stops or the strides have a gap of more than 5 s, so the line breaks there."""
    idx = np.flatnonzero(running)
    if len(idx) == 0:
        return np.zeros(0), np.zeros(0)
    vals = y[idx].astype(float)
    h = window // 2
    sm = np.array([np.median(vals[max(0, k - h):k + h + 1]) for k in range(len(vals))])
    tt = t_ms[idx].astype(float) / 60000.0
    brk = np.flatnonzero((np.diff(idx) > 1) | (np.diff(t_ms[idx]) > 5000)) + 1
    return np.insert(tt, brk, np.nan), np.insert(sm, brk, np.nan)


def _limits(a: Analysis, key):
    """Threshold lines of a metric: (value, line style, legend text, colour)."""
    c = a.cfg
    if key == "lean":
        return [(c["lean_min_deg"], "--", f"too upright below {c['lean_min_deg']:g}°", COLOR["upright"]),
                (c["lean_back_deg"], ":", f"leaning back below {c['lean_back_deg']:g}°", COLOR["backward"])]
    if key == "rotation":
        return [(c["swivel_max_deg"], "--", f"swivel above {c['swivel_max_deg']:g}°", COLOR["swivel"])]
    if key == "cadence":
        out = [(c["run_min_spm"], "--", f"running from {c['run_min_spm']} steps/min", "#555555")]
        target = a.stats.get("cadence_target") or 0.0
        if c["coach_cadence"] and target:
            low = target - c["cadence_band_spm"]
            out.append((low, ":", f"cadence cue below {low:.0f} (target {target:.0f})", COLOR["cadence"]))
        return out
    return []


# the faults shaded on each metric's panel (the hip drop cue reads each stance's drop, not the
# stride's roll, but it is the same movement: its stretches are shaded on the roll panel)
_FAULTS_OF = {"lean": ("upright", "backward"), "rotation": ("swivel",), "cadence": ("cadence",), "roll": ("hip_drop",)}


def draw_metric(ax, a: Analysis, key, legend="below", xlabel=True):
    """One metric over time: strides as dots, the smoothed line, thresholds, fault shading, buzzes."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    col, ylabel, title = METRICS[key]
    limits = _limits(a, key)
    reasons = _FAULTS_OF.get(key, ())
    s = a.strides
    t = a.t_min()
    y = s[col].astype(float)
    run = a.running
    for e in a.episodes:
        if e.reason in reasons:
            ax.axvspan(e.t0_ms / 60000.0, e.t1_ms / 60000.0, color=COLOR[e.reason], alpha=0.18, linewidth=0)
    ax.scatter(t[~run], y[~run], s=6, color="#B0B0B0", linewidths=0, label="walking stride", zorder=2)
    ax.scatter(t[run], y[run], s=7, color=METRIC_COLOR[key], alpha=0.35, linewidths=0, label="running stride", zorder=2)
    ts, sm = _running_median(s["t_ms"], y, run)
    ax.plot(ts, sm, color=METRIC_COLOR[key], linewidth=1.8, label=f"smoothed ({SMOOTH} strides)", zorder=3)
    handles, _ = ax.get_legend_handles_labels()
    for value, style, text, color in limits:
        ax.axhline(value, color=color, linestyle=style, linewidth=1.6, zorder=4)
        handles.append(Line2D([], [], color=color, linestyle=style, linewidth=1.6, label=text))
    for r in reasons:
        if any(e.reason == r for e in a.episodes):
            handles.append(Patch(color=COLOR[r], alpha=0.35, label=f"{LABEL[r].lower()} (coach's fault)"))
    bz = [x for x in a.alerts if str(x["reason"]) in reasons]
    if bz:
        finite = y[np.isfinite(y)]
        ymax = float(np.percentile(finite, 99.5)) if len(finite) else 1.0
        ax.scatter([x["t_ms"] / 60000.0 for x in bz], [ymax] * len(bz), marker="v", s=70,
                   color=[COLOR.get(str(x["reason"]), "k") for x in bz], edgecolors="black", linewidths=0.8, zorder=5)
        handles.append(Line2D([], [], marker="v", color="w", markerfacecolor="#777", markeredgecolor="black",
                              markersize=8, label="buzz"))
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left")
    style_axes(ax)
    finite = y[np.isfinite(y)]
    if len(finite):
        lo, hi = np.percentile(finite, 0.5), np.percentile(finite, 99.5)
        for value, *_ in limits:
            lo, hi = min(lo, value), max(hi, value)
        pad = max(1.0, 0.1 * (hi - lo))
        ax.set_ylim(lo - pad, hi + pad * 1.6)
    _time_axis(ax, a.duration_s)
    if xlabel:
        ax.set_xlabel(TIME_LABEL)
    add_legend(ax, handles, legend)


def draw_events(ax, a: Analysis, legend="below", xlabel=True):
    """What happened: activity band, the coach's fault stretches as bars, buzzes as triangles."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    s = a.strides
    rows = ["Activity"] + [LABEL[r] for r in a.reasons]
    ypos = {name: len(rows) - 1 - i for i, name in enumerate(rows)}
    spans: dict = {0: [], 1: [], 2: []}  # activity -> [(t0, width)] in minutes, touching strides merged
    for i in range(len(s)):
        t1 = s["t_ms"][i] / 60000.0
        t0 = (s["t_ms"][i] - s["stride_ms"][i]) / 60000.0
        act = int(s["activity"][i]) % 3
        last = spans[act][-1] if spans[act] else None
        if last and abs(last[0] + last[1] - t0) < 1e-6:
            spans[act][-1] = (last[0], t1 - last[0])
        else:
            spans[act].append((t0, t1 - t0))
    for act, sp in spans.items():
        if sp:
            ax.broken_barh(sp, (ypos["Activity"] - 0.35, 0.7), color=ACT_COLOR[act], linewidth=0)
    for e in a.episodes:
        if e.reason in a.reasons:
            ax.broken_barh([(e.t0_ms / 60000.0, (e.t1_ms - e.t0_ms) / 60000.0)], (ypos[LABEL[e.reason]] - 0.3, 0.6),
                           color=COLOR[e.reason], linewidth=0)
    for x in a.alerts:
        r = str(x["reason"])
        if r in a.reasons:
            ax.plot(x["t_ms"] / 60000.0, ypos[LABEL[r]] + 0.42, marker="v", markersize=9, color=COLOR[r],
                    markeredgecolor="black", linestyle="none", zorder=5)
    ax.set_yticks([ypos[n] for n in rows], rows)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_title("What happened", loc="left")
    ax.grid(True, axis="x", color="#E6E6E6")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    _time_axis(ax, a.duration_s)
    if xlabel:
        ax.set_xlabel(TIME_LABEL)
    handles = [Patch(color=ACT_COLOR[2], label="running"), Patch(color=ACT_COLOR[1], label="walking"),
               Patch(facecolor="white", edgecolor="#999", label="blank: standing")]
    handles += [Patch(color="#999", label="fault held (bar)"),
                Line2D([], [], marker="v", color="w", markerfacecolor="#999", markeredgecolor="black", markersize=8,
                       label="buzz")]
    add_legend(ax, handles, legend)


def _hist(ax, x, bins, color, label=None, density=False, step=False):
    if len(x) == 0:
        ax.text(0.5, 0.5, "no running strides", transform=ax.transAxes, ha="center", va="center", color="#777")
        return
    if step:
        ax.hist(x, bins=bins, histtype="step", linewidth=2, color=color, label=label, density=density)
    else:
        ax.hist(x, bins=bins, color=color, alpha=0.8, label=label, density=density, edgecolor="white", linewidth=0.5)


def _bins(values, width=None, pad=0.0):
    """Histogram edges over all ``values`` at a round ``width`` (None: about 30 bins over the data)."""
    vals = np.concatenate([np.asarray(v, float) for v in values if len(v)] or [np.zeros(1)])
    if width is None:
        data = np.asarray(values[0], float) if len(values[0]) else vals
        span = float(np.percentile(data, 99) - np.percentile(data, 1)) if len(data) else 1.0
        width = next((w for w in (0.2, 0.25, 0.5, 1, 2, 5, 10) if span / w <= 30), 20)
    lo = np.floor((vals.min() - pad) / width) * width
    hi = np.ceil((vals.max() + pad) / width) * width + width
    return np.arange(lo, hi + width / 2, width)


HIST_TITLE = {"lean": "Lean while running", "rotation": "Rotation while running", "cadence": "Cadence while running"}


def draw_hist(ax, a: Analysis, key):
    """Where the running strides fall, with the limits and the zones past them tinted."""
    c = a.cfg
    col, unit, _ = METRICS[key]
    x = a.strides[a.running][col].astype(float)
    limits = _limits(a, key) if key != "cadence" else []
    if key == "lean":
        ax.axvspan(-90, c["lean_back_deg"], color=COLOR["backward"], alpha=0.12, linewidth=0)
        ax.axvspan(c["lean_back_deg"], c["lean_min_deg"], color=COLOR["upright"], alpha=0.12, linewidth=0)
    elif key == "rotation":
        ax.axvspan(c["swivel_max_deg"], 200, color=COLOR["swivel"], alpha=0.12, linewidth=0)
    _hist(ax, x, _bins([x, [v for v, *_ in limits]], None, 1 if key != "cadence" else 2), METRIC_COLOR[key],
          "running strides")
    for value, style, text, color in limits:
        ax.axvline(value, color=color, linestyle=style, linewidth=1.6, label=text)
    if key == "cadence" and len(x):
        ax.axvline(float(np.median(x)), color="black", linewidth=1.2, label=f"typical {np.median(x):.0f} steps/min")
    vals = np.concatenate([x, [v for v, *_ in limits]]) if len(x) or limits else np.zeros(1)
    pad = 2.0 if key == "cadence" else 1.5
    ax.set_xlim((max(0, vals.min() - pad) if key == "rotation" else vals.min() - pad), vals.max() + pad)
    ax.set(xlabel=unit, ylabel="strides", title=HIST_TITLE[key])
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, loc="best")
    style_axes(ax)


def draw_fault_time(ax, a: Analysis):
    """Minutes of running in each fault, with the share of running time."""
    run = a.time_s["running"]
    names = [LABEL[x] for x in a.reasons]
    secs = [a.fault_s[x] for x in a.reasons]
    bars = ax.barh(names[::-1], [v / 60 for v in secs[::-1]], color=[COLOR[x] for x in a.reasons[::-1]])
    for b, v in zip(bars, secs[::-1]):
        ax.text(b.get_width(), b.get_y() + b.get_height() / 2, f"  {clock(v)}  ({share(v, run):.0f} %)",
                va="center")
    top = max([v / 60 for v in secs] + [0.1])
    ax.set_xlim(0, top * 1.7)
    ax.set(xlabel="minutes of running in the fault", title=f"Time in each fault (of {clock(run)} running)")
    style_axes(ax)


def _session_colors(analyses):
    return {id(a): SESSION_COLORS[i % len(SESSION_COLORS)] for i, a in enumerate(analyses)}


def draw_compare_hist(ax, analyses: list, key):
    """The sessions' running strides overlaid (each normalised, so lengths do not matter)."""
    cols = _session_colors(analyses)
    col, unit, _ = METRICS[key]
    data = [a.strides[a.running][col].astype(float) for a in analyses]
    bins = _bins(data, None, 1.0)
    for a, x in zip(analyses, data):
        _hist(ax, x, bins, cols[id(a)], a.name, density=True, step=True)
        if len(x):
            ax.axvline(float(np.median(x)), color=cols[id(a)], linewidth=1, alpha=0.8)
    lim_key = {"lean": "lean_min_deg", "rotation": "swivel_max_deg"}.get(key)
    if lim_key:
        seen = set()
        for a in analyses:
            v = a.cfg[lim_key]
            if v in seen:
                continue
            seen.add(v)
            same = all(b.cfg[lim_key] == v for b in analyses)
            ax.axvline(v, color="black" if same else cols[id(a)], linestyle="--", linewidth=1.5,
                       label=f"{'limit' if same else a.name + ' limit'} {v:g}°")
    ax.set(xlabel=unit, ylabel="share of strides", title=HIST_TITLE[key])
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, loc="best")
    style_axes(ax)


def draw_compare_faults(ax, analyses: list):
    cols = _session_colors(analyses)
    n = len(analyses)
    w = 0.8 / n
    reasons = reasons_of(analyses)
    y = np.arange(len(reasons))
    for i, a in enumerate(analyses):
        run = a.time_s["running"]
        ax.barh(y + (i - (n - 1) / 2) * w, [share(a.fault_s[r], run) for r in reasons], height=w,
                color=cols[id(a)], label=a.name)
    ax.set_yticks(y, [LABEL[r] for r in reasons])
    ax.invert_yaxis()
    ax.set(xlabel="% of running time in the fault", title="Time in each fault")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, loc="best")
    style_axes(ax)


def draw_compare_time(ax, analyses: list, key, legend="below", xlabel=True):
    """Each session's smoothed metric on one time axis, with its limit."""
    from matplotlib.lines import Line2D

    cols = _session_colors(analyses)
    col, unit, _ = METRICS[key]
    lim = {"lean": "lean_min_deg", "rotation": "swivel_max_deg"}[key]
    handles = []
    for i, a in enumerate(analyses):
        ax.plot(*_running_median(a.strides["t_ms"], a.strides[col].astype(float), a.running), color=cols[id(a)],
                linewidth=1.8)
        handles.append(Line2D([], [], color=cols[id(a)], linewidth=1.8, label=a.name))
        same = all(b.cfg[lim] == a.cfg[lim] for b in analyses)
        if not same or i == 0:
            c = "black" if same else cols[id(a)]
            ax.axhline(a.cfg[lim], color=c, linestyle="--", linewidth=1.2)
            handles.append(Line2D([], [], color=c, linestyle="--", label=f"{'' if same else a.name + ' '}limit {a.cfg[lim]:g}°"))
    what = "too-upright" if key == "lean" else "swivel"
    ax.set(ylabel=unit, title=f"{'Lean' if key == 'lean' else 'Rotation'} over time (smoothed; dashed: {what} limit)")
    _time_axis(ax, max(a.duration_s for a in analyses))
    if xlabel:
        ax.set_xlabel(TIME_LABEL)
    style_axes(ax)
    add_legend(ax, handles, legend)


# -- figures: one panel each (the HTML) ------------------------------------------------------------
def fig_panel(a: Analysis, key: str):
    """One phone-sized figure: "events", a metric ("lean", "rotation", "cadence", "roll"),
    a histogram ("lean_hist", ...) or "fault_time"."""
    if key == "events":   # 3.3 in for the activity row and the three base faults, more per cue shown
        fig = _panel_figure(2.55 + 0.25 * len(a.reasons))
        draw_events(fig.add_subplot(), a)
    elif key in METRICS:
        fig = _panel_figure(4.2)
        draw_metric(fig.add_subplot(), a, key)
    elif key.endswith("_hist"):
        fig = _panel_figure(3.6)
        draw_hist(fig.add_subplot(), a, key[:-5])
    elif key == "fault_time":
        fig = _panel_figure(2.2 + 0.2 * len(a.reasons))
        draw_fault_time(fig.add_subplot(), a)
    else:
        raise ValueError(f"no panel {key!r}")
    return fig


def fig_compare_panel(analyses: list, key: str):
    """One phone-sized comparison figure: "lean_hist", "rotation_hist", "cadence_hist", "faults",
    "lean_time", "rotation_time"."""
    if key.endswith("_hist"):
        fig = _panel_figure(3.6)
        draw_compare_hist(fig.add_subplot(), analyses, key[:-5])
    elif key == "faults":
        fig = _panel_figure(2.2 + 0.2 * len(reasons_of(analyses)))
        draw_compare_faults(fig.add_subplot(), analyses)
    elif key.endswith("_time"):
        fig = _panel_figure(3.8)
        draw_compare_time(fig.add_subplot(), analyses, key[:-5])
    else:
        raise ValueError(f"no comparison panel {key!r}")
    return fig


SESSION_PANELS = ("events", "lean", "rotation", "cadence", "roll", "lean_hist", "rotation_hist", "cadence_hist",
                  "fault_time")
COMPARE_PANELS = ("lean_hist", "rotation_hist", "cadence_hist", "faults", "lean_time", "rotation_time")


# -- figures: overviews on one canvas (big screens, --png, the preview) ----------------------------
def fig_timeline(a: Analysis):
    """The whole run on one canvas: what happened, then lean, rotation, cadence and hip drop."""
    fig = new_figure(11, 12.5)
    gs = fig.add_gridspec(5, 1, height_ratios=[1.05 * (1 + len(a.reasons)) / 4, 2.2, 2.2, 1.6, 1.5])
    ax0 = fig.add_subplot(gs[0])
    axes = [ax0] + [fig.add_subplot(gs[i], sharex=ax0) for i in range(1, 5)]
    draw_events(ax0, a, legend="right", xlabel=False)
    for ax, key in zip(axes[1:], ("lean", "rotation", "cadence", "roll")):
        draw_metric(ax, a, key, legend="right", xlabel=ax is axes[-1])
    for ax in axes[:-1]:
        ax.tick_params(labelbottom=False)
    when = "" if not a.start else f"  ·  {date_text(a)}"
    fig.suptitle(f"{a.name}: {clock(a.duration_s)} recorded, {clock(a.time_s['running'])} running{when}")
    return fig


def fig_distributions(a: Analysis):
    """Where the running strides fall against the limits, and time in each fault (2 x 2)."""
    fig = new_figure(11, 7.5)
    axs = fig.subplots(2, 2)
    draw_hist(axs[0, 0], a, "lean")
    draw_hist(axs[0, 1], a, "rotation")
    draw_hist(axs[1, 0], a, "cadence")
    draw_fault_time(axs[1, 1], a)
    fig.suptitle(f"{a.name}: your running strides against your limits")
    return fig


def fig_compare(analyses: list):
    """Sessions overlaid: lean/rotation/cadence distributions and time in each fault (2 x 2)."""
    fig = new_figure(11, 7.5)
    axs = fig.subplots(2, 2)
    draw_compare_hist(axs[0, 0], analyses, "lean")
    draw_compare_hist(axs[0, 1], analyses, "rotation")
    draw_compare_hist(axs[1, 0], analyses, "cadence")
    draw_compare_faults(axs[1, 1], analyses)
    fig.suptitle("Sessions compared: " + " vs ".join(a.name for a in analyses))
    return fig


def fig_compare_timeline(analyses: list):
    """Smoothed lean and rotation of each session on one time axis."""
    fig = new_figure(11, 6.5)
    axs = fig.subplots(2, 1, sharex=True)
    draw_compare_time(axs[0], analyses, "lean", legend="right", xlabel=False)
    draw_compare_time(axs[1], analyses, "rotation", legend="right")
    axs[0].tick_params(labelbottom=False)
    fig.suptitle("Over time: " + " vs ".join(a.name for a in analyses))
    return fig


def figures(analyses: list) -> dict:
    """The HTML report's figures, one panel each (phone-sized).

    One session: {"events", "lean", "rotation", "cadence", "roll", "lean_hist", "rotation_hist",
    "cadence_hist", "fault_time"}. Several: {"compare.lean_hist", ..., "compare.rotation_time"}
    and "<name>.<panel>" for every session.
    """
    import matplotlib

    unique_names(analyses)
    with matplotlib.rc_context(RC):
        out = {}
        if len(analyses) > 1:
            for k in COMPARE_PANELS:
                out[f"compare.{k}"] = fig_compare_panel(analyses, k)
        for a in analyses:
            prefix = f"{a.name}." if len(analyses) > 1 else ""
            for k in SESSION_PANELS:
                out[prefix + k] = fig_panel(a, k)
        return out


def overview_figures(analyses: list) -> dict:
    """The overviews on one canvas each: {"overview", "distributions"} (per session when several,
    prefixed with its name) and {"compare", "compare_timeline"} for several sessions."""
    import matplotlib

    unique_names(analyses)
    with matplotlib.rc_context(RC):
        out = {}
        if len(analyses) > 1:
            out["compare"] = fig_compare(analyses)
            out["compare_timeline"] = fig_compare_timeline(analyses)
        for a in analyses:
            prefix = f"{a.name}." if len(analyses) > 1 else ""
            out[prefix + "overview"] = fig_timeline(a)
            out[prefix + "distributions"] = fig_distributions(a)
        return out


def png_bytes(fig) -> bytes:
    """The figure rendered as PNG (Agg), with the report's font sizes."""
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buf, format="png", facecolor="white")
    return buf.getvalue()


