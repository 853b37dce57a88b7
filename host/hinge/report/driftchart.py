"""The report's form drift chart: each drift metric (lean, rotation, tilt swing, hip drop) per
running minute against the hours of the run, the baseline band (+- the configured drift margin)
shaded and the drift buzzes marked. The data are the log's own DRIFT records
(``dynamics.drift_series``); the words and the hour-by-hour table stay in ``dynamics``.

    figs = figures.figures([a]) | driftchart.drift_figures([a])   # {"drift": Figure} when the log has drift
"""
from __future__ import annotations

import numpy as np

from hinge.logs.analysis import Analysis, unique_names

from . import dynamics
from .figures import METRIC_COLOR, RC, _panel_figure, add_legend, style_axes

DRIFT_COLOR = {"lean": METRIC_COLOR["lean"], "rotation": METRIC_COLOR["rotation"], "tilt swing": "#3F3F8F",
               "hip drop": METRIC_COLOR["roll"]}
CUE_COLOR = "#D55E00"    # Okabe-Ito vermillion: a buzz
BAND_COLOR = "#DCEFD6"   # within the margin: the drift the cue lets be
HEIGHT = 6.8             # inches: four panels on a phone (figures.PANEL_W wide)


def _hours_axis(ax, t_end_min):
    """x in minutes, labelled h:mm, a tick every 5 min .. 6 h (at most 7 ticks)."""
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    span = max(t_end_min, 1.0)
    step = next((s for s in (5, 10, 15, 30, 60, 120, 180) if span / s <= 7), 360)
    ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{int(x) // 60}:{int(x) % 60:02d}" if x >= 0 else ""))
    ax.set_xlim(0, span)


def draw_drift(axes, data: dict, t_end_min: float):
    """Each drift metric against time on its own axes (``axes``: four, ``dynamics.DRIFT_NAMES``
    order): the per-minute drift from the baseline, the baseline band (+- the margin, shaded)
    and the drift buzzes (dashed lines, triangles on top). ``data``: ``dynamics.drift_series``."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    t = data["t_min"]
    cues = data["cues_min"]
    for ax, sr in zip(axes, data["series"]):
        m = sr["margin"]
        y = sr["deg"]
        ax.axhspan(-m, m, color=BAND_COLOR, linewidth=0, zorder=1)
        ax.axhline(0, color="#777777", linewidth=0.8, zorder=2)
        ax.plot(t, y, color=DRIFT_COLOR[sr["label"]], linewidth=1.2, marker=".", markersize=2.5, zorder=3,
                label=sr["label"])
        finite = y[np.isfinite(y)]
        top = max(m * 1.6, float(np.max(np.abs(finite))) * 1.15 if len(finite) else 0.0)
        ax.set_ylim(-top, top)
        if not len(finite):
            ax.text(0.5, 0.5, "not measured (no running dynamics in this log)", transform=ax.transAxes,
                    ha="center", va="center", color="#777777", fontsize=10)
        for c in cues:
            ax.axvline(c, color=CUE_COLOR, linestyle="--", linewidth=0.9, zorder=4)
        if len(cues):
            ax.scatter(cues, [top * 0.92] * len(cues), marker="v", s=45, color=CUE_COLOR, edgecolors="black",
                       linewidths=0.6, zorder=5)
        ax.set_ylabel(f"{sr['label']} (°)")
        style_axes(ax)
        _hours_axis(ax, t_end_min)
    for ax in axes[:-1]:
        ax.tick_params(labelbottom=False)
    axes[-1].set_xlabel("time since your first stride (h:mm)")
    handles = [Patch(color=BAND_COLOR, label="within the drift margin"),
               Line2D([], [], color="#555555", marker=".", linewidth=1.2, label="drift, per running minute")]
    if len(cues):
        handles.append(Line2D([], [], color=CUE_COLOR, linestyle="--", marker="v", markeredgecolor="black",
                              label="drift buzz"))
    axes[0].set_title(f"Form drift from {data['baseline_text']}", loc="left", fontsize=11)
    add_legend(axes[-1], handles, "below")


def fig_drift(a: Analysis):
    """The drift chart of one session (a phone-sized figure, four panels sharing the time axis),
    or None when its log has no drift records. Margins from ``a.cfg`` (the log's config and any
    ``--cfg`` override)."""
    data = dynamics.drift_series(a.session, a.cfg)
    if data is None:
        return None
    fig = _panel_figure(HEIGHT)
    ax0 = fig.add_subplot(4, 1, 1)
    axes = [ax0] + [fig.add_subplot(4, 1, i, sharex=ax0) for i in range(2, 5)]
    t0 = int(a.strides["t_ms"][0]) if len(a.strides) else 0
    draw_drift(axes, data, (a.duration_s * 1000.0 - t0) / 60000.0)
    return fig


def drift_figures(analyses: list) -> dict:
    """{"drift": Figure} (``"<name>.drift"`` per session when several) for the sessions whose
    log has drift records, as ``figures.figures`` names its panels."""
    import matplotlib

    unique_names(analyses)
    out = {}
    with matplotlib.rc_context(RC):
        for a in analyses:
            fig = fig_drift(a)
            if fig is not None:
                out[(f"{a.name}." if len(analyses) > 1 else "") + "drift"] = fig
    return out
