"""Truth: segments, fault episodes and per-stride lean / rotation / roll / cadence.

Definitions (unchanged; the detector and the cross-check README use the same): a stride runs from
a right heel strike to the next right heel strike; ``lean_deg`` is the mean over the stride of
pelvis pitch minus the standing pitch (pitch = Euler pitch of R = Rz Ry Rx); ``rotation_deg`` is
the peak-to-peak of yaw after removing the straight line between its end values (the stride's
linear heading trend); ``roll_deg`` the peak-to-peak of roll; ``cadence_spm`` = 120000 / stride
ms. Times are true times (the world's clock, which the host stamps), evaluated on the 1 kHz grid.
"""
from __future__ import annotations

import numpy as np


def truth_segments(segs):
    """Segments in ms, merging neighbours with the same activity and fault; episodes = fault segments."""
    out = []
    for sg in segs:
        t0 = int(round(sg["t0"] * 1000))
        t1 = int(round((sg["t0"] + sg["dur"]) * 1000))
        if out and out[-1]["activity"] == sg["activity"] and out[-1]["fault"] == sg["fault"]:
            out[-1]["t1_ms"] = t1
        else:
            out.append({"t0_ms": t0, "t1_ms": t1, "activity": sg["activity"], "fault": sg["fault"]})
    episodes = [{"reason": s["fault"], "t0_ms": s["t0_ms"], "t1_ms": s["t1_ms"]} for s in out if s["fault"]]
    return out, episodes


def stride_spans(gait, truth_segs, duration):
    """(t0_ms, t1_ms, activity) of every truth stride, in order (right contact to right contact)."""
    seg_t0 = np.array([sg["t0_ms"] for sg in truth_segs])
    dur_ms = int(round(duration * 1000))
    out = []
    for b in gait.blocks:
        tc, k0 = b.tc, b.ks0
        first = k0 + ((-k0) % 2)  # first even (right) contact
        for kk in range(first, k0 + len(tc) - 2, 2):
            t0, t1 = tc[kk - k0], tc[kk - k0 + 2]
            if t0 < max(b.ta, 0.0) - 1e-6 or t1 > b.tb + 1e-6 or t1 > duration:
                continue
            t0_ms, t1_ms = int(round(t0 * 1000)), int(round(t1 * 1000))
            act = truth_segs[int(np.searchsorted(seg_t0, (t0_ms + t1_ms) // 2, side="right") - 1)]["activity"]
            if act == "standing" or t1_ms <= t0_ms or t1_ms > dur_ms:
                continue
            out.append((t0_ms, t1_ms, act))
    return out


def stride_values(spans, j_base, grid_index, yaw_d, pitch_d, roll_d, stand_pitch):
    """Truth of each stride in ``spans`` from angles (deg) on a grid stretch starting at index j_base.

    ``grid_index(t_s)`` gives the global internal-grid index of a time.
    """
    out = []
    for t0_ms, t1_ms, act in spans:
        i0 = grid_index(t0_ms / 1000.0) - j_base
        i1 = grid_index(t1_ms / 1000.0) - j_base
        y = yaw_d[i0 : i1 + 1]
        yl = y - (y[0] + (y[-1] - y[0]) * np.linspace(0.0, 1.0, len(y)))
        r = roll_d[i0 : i1 + 1]
        out.append(
            {
                "t0_ms": t0_ms,
                "t1_ms": t1_ms,
                "activity": act,
                "lean_deg": round(float(np.mean(pitch_d[i0:i1]) - stand_pitch), 3),
                "rotation_deg": round(float(yl.max() - yl.min()), 3),
                "roll_deg": round(float(r.max() - r.min()), 3),
                "cadence_spm": round(120000.0 / (t1_ms - t0_ms), 2),
            }
        )
    return out
