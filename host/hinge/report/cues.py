"""Report panel for faded feedback: cues given against cues withheld, and whether form came back
without the cue (hooked into ``report/html.py`` and ``report/text.py``).

With ``fade_feedback`` on, the board plays the cues of only one fault episode in 2 or 4 (by the
runner's session count, device/coachstore.py) and logs the others' ALERTs with the withheld flag
(device/events.py). A fault episode runs from its first alert to its clear (the CLEAR carries the
same flag); the time between them is how long the fault lasted once it was due a cue. Episodes
that end without a clear (a walk, a stop, the session's end) count as not fixed while running.
"""
from __future__ import annotations

import html

import numpy as np

from hinge.common.timefmt import clock

FIXED_S = 60.0   # "fixed within a minute": the coach's repeat interval is 90 s by default


def episodes(alerts: np.ndarray) -> list[dict]:
    """The fault episodes of a session's alerts and clears (``logdecode.ALERT_DTYPE``, in time order):
    reason, first alert t_ms, withheld, fixed_s (None: no clear)."""
    out: list[dict] = []
    open_: dict[str, dict] = {}
    for x in alerts:
        r = str(x["reason"])
        if x["kind"] == "alert":
            if r not in open_:
                ep = {"reason": r, "t_ms": int(x["t_ms"]), "withheld": bool(x["withheld"]), "fixed_s": None}
                open_[r] = ep
                out.append(ep)
        elif r in open_:
            ep = open_.pop(r)
            ep["fixed_s"] = (int(x["t_ms"]) - ep["t_ms"]) / 1000.0
    return out


def summary(alerts: np.ndarray) -> dict | None:
    """Given against withheld: episodes, fixed (a clear), fixed within FIXED_S, median seconds to the
    clear; None when nothing was withheld (no fading in this session)."""
    eps = episodes(alerts)
    if not any(e["withheld"] for e in eps):
        return None
    out = {}
    for key, flag in (("given", False), ("withheld", True)):
        sel = [e for e in eps if e["withheld"] == flag]
        fixed = [e["fixed_s"] for e in sel if e["fixed_s"] is not None]
        out[key] = {"episodes": len(sel), "fixed": len(fixed), "within": sum(1 for f in fixed if f <= FIXED_S),
                    "median_s": float(np.median(fixed)) if fixed else None}
    return out


def _line(name: str, g: dict) -> str:
    if not g["episodes"]:
        return f"{name}: none"
    med = f", fixed in a median {clock(g['median_s'])}" if g["median_s"] is not None else ""
    return (f"{name}: {g['episodes']} episode{'s' if g['episodes'] != 1 else ''}{med}; "
            f"{g['within']} of {g['episodes']} fixed within a minute")


def text(alerts: np.ndarray) -> str:
    s = summary(alerts)
    if s is None:
        return ""
    return "\n".join(["  Faded feedback (cues withheld on purpose, still logged):",
                      "    " + _line("with the cue", s["given"]),
                      "    " + _line("without it", s["withheld"]),
                      "    " + verdict(s)])


def verdict(s: dict) -> str:
    g, w = s["given"], s["withheld"]
    if not g["episodes"] or not w["episodes"]:
        return "Too few episodes to compare."
    rg, rw = g["within"] / g["episodes"], w["within"] / w["episodes"]
    if rw >= rg - 0.15:
        return "Form came back about as well without the cue as with it: the new pattern is holding."
    return "Form came back less often without the cue: the pattern is not yet your own; fewer sessions per step may help."


def html_panel(alerts: np.ndarray) -> str:
    s = summary(alerts)
    if s is None:
        return ""
    rows = "".join(
        f"<tr><td>{name}</td><td>{g['episodes']}</td><td>{g['within']}</td>"
        f"<td>{clock(g['median_s']) if g['median_s'] is not None else '–'}</td></tr>"
        for name, g in (("with the cue", s["given"]), ("without it (withheld)", s["withheld"])))
    return ("<section><h2>Faded feedback</h2><p class='explain'>The board held some cues back on purpose "
            "(motor learning: fewer cues as sessions go by) and logged them. Did form come back without "
            "the cue?</p><div class='scroll'><table><tr><th>fault episodes</th><th>count</th>"
            f"<th>fixed within a minute</th><th>median time to fix</th></tr>{rows}</table></div>"
            f"<p>{html.escape(verdict(s))}</p></section>")
