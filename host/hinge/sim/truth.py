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


# truth that follows the per-step variety (contact times, toe-offs, impacts: engine effect
# "step_variety"); everything else in a stride's truth is the same with it on or off
VARIETY_KEYS = ("pushoff_pitch_deg", "hip_drop_right_deg", "hip_drop_left_deg", "vo_right_cm", "vo_left_cm",
                "gct_right_ms", "gct_left_ms")


def without_variety(strides):
    """Stride truth rows without the keys that follow the step variety (VARIETY_KEYS)."""
    return [{k: v for k, v in s.items() if k not in VARIETY_KEYS} for s in strides]


def vertical_oscillation_cm(fz, h):
    """Vertical travel (cm) of a body over one step from its vertical specific force ``fz`` (g) on a
    grid of step ``h`` s: the step's mean acceleration is zero and its velocity periodic (zero mean),
    so z = double integral of (fz - mean) g with the mean velocity removed; max - min."""
    a = (fz - np.mean(fz)) * 9.80665
    v = np.cumsum(a) * h
    v -= np.mean(v)
    z = np.cumsum(v) * h
    return float((z.max() - z.min()) * 100.0)


def dynamics_values(spans, j_base, grid_index, contacts, toe_off, tt, pitch_d, roll_d, fz, h):
    """Running-dynamics truth of each stride in ``spans`` (same order as :func:`stride_values`).

    ``tt``: the grid's times (s), from index j_base; ``contacts``: sorted contact times (s) of the
    run; ``toe_off(t_c)``: the toe-off time (s) of the step that starts at contact t_c, or None
    (walking: no flight). Definitions (the detector's,
    dynamics.py): a stride runs right contact -> left contact (tm) -> right contact;
    ``tilt_swing_deg`` = peak-to-peak pitch over the stride; ``pushoff_pitch_deg`` = mean pitch at
    the two toe-offs minus the stride's mean pitch (+ forward); ``hip_drop_right_deg`` = roll at
    the right contact minus the lowest roll before its toe-off (a right stance drops the left hip:
    roll < 0 is a lean to the left), ``hip_drop_left_deg`` the mirror; ``vo_*_cm`` = vertical
    oscillation of each step (:func:`vertical_oscillation_cm`, contact to contact);
    ``gct_*_ms`` = toe-off - contact; ``tm_ms`` the left contact's time.
    """
    out = []
    for t0_ms, t1_ms, _act in spans:
        t0, t1 = t0_ms / 1000.0, t1_ms / 1000.0
        k = int(np.searchsorted(contacts, t0 + 0.05))     # (t0 is rounded to the ms; steps last > 150 ms)
        tm = float(contacts[k]) if k < len(contacts) and contacts[k] < t1 - 0.05 else None
        i0 = grid_index(t0) - j_base
        i1 = grid_index(t1) - j_base
        p = pitch_d[i0:i1]
        row = {"tilt_swing_deg": round(float(p.max() - p.min()), 3), "pushoff_pitch_deg": None,
               "hip_drop_right_deg": None, "hip_drop_left_deg": None, "vo_right_cm": None, "vo_left_cm": None,
               "gct_right_ms": None, "gct_left_ms": None}
        row["tm_ms"] = round(tm * 1000.0, 1) if tm is not None else None
        if tm is not None:
            im = grid_index(tm) - j_base
            row["vo_right_cm"] = round(vertical_oscillation_cm(fz[i0:im], h), 3)
            row["vo_left_cm"] = round(vertical_oscillation_cm(fz[im:i1], h), 3)
            pto = []
            for side, tc, ic in (("right", t0, i0), ("left", tm, im)):
                to = toe_off(tc)
                if to is None or to <= tc:
                    continue
                it = grid_index(to) - j_base
                r = roll_d[ic : it + 1]
                drop = roll_d[ic] - r.min() if side == "right" else r.max() - roll_d[ic]
                row["hip_drop_%s_deg" % side] = round(float(max(drop, 0.0)), 3)
                row["gct_%s_ms" % side] = round((to - tc) * 1000.0, 2)
                pto.append(float(np.interp(to, tt, pitch_d)))
            if len(pto) == 2:
                row["pushoff_pitch_deg"] = round(float(np.mean(pto) - np.mean(p)), 3)
        out.append(row)
    return out
