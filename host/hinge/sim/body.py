"""The runner's body on the internal 1 kHz grid: controls, gait phase, heading, pelvis orientation
and the world specific force of the point the pelvis turns about.

Everything here is either compact per-run state (segments, contact times, per-step factors,
random-signal coefficients) or a pure function of absolute time evaluated on a stretch of the
internal grid, so a run can be synthesised in chunks.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .noise import BandNoise, SmoothNoise, hip_pulse, smootherstep, smootherstep_slope, smoothstep, stream
from .scenarios import KEYS

G = 9.80665  # m/s^2 per g (standard gravity)
FS_INT = 1000.0  # internal rate of the trajectory, Hz (impacts are 25-40 ms wide: >= 25 points each)
PH_DT = 0.01  # grid of the cadence integral, s (cadence changes over >= 1 s ramps)


# --------------------------------------------------------------------------------------------
# controls


class Controls:
    """Smooth per-sample controls (lean, rotation, cadence, speed ...) from the segment list."""

    def __init__(self, segs, runner, rng):
        segs = [dict(s) for s in segs]
        for s in segs:
            s["env"] = 0.0 if s["activity"] == "standing" else 1.0  # gait envelope
            s["wrun"] = 1.0 if s["activity"] == "running" else 0.0  # running vs walking style
        # standing segments borrow cadence / gait style of their moving neighbour (no effect while still)
        for i, s in enumerate(segs):
            if s["activity"] == "standing":
                nb = [segs[j] for j in (i + 1, i - 1) if 0 <= j < len(segs) and segs[j]["activity"] != "standing"]
                if nb:
                    s["cad"], s["wrun"], s["bounce"] = nb[0]["cad"], nb[0]["wrun"], nb[0]["bounce"]
        self.segs = segs
        self.runner = runner
        self.t0s = np.array([s["t0"] for s in segs])
        # slow, smooth within-run variability (drawn in this order from the plan's generator)
        self.n_lean = SmoothNoise(rng, 40.0)
        self.n_rot = SmoothNoise(rng, 60.0)
        self.n_roll = SmoothNoise(rng, 60.0)
        self.n_cad = SmoothNoise(rng, 50.0)
        self.n_speed = SmoothNoise(rng, 45.0)

    def ramped(self, tt, key):
        """Value of segment key ``key`` with raised-cosine ramps at the boundaries.

        A ramp of segment i's ``ramp`` seconds is centred on the boundary, except next to a
        standing segment, where it lies wholly inside the moving segment (standing stays still).
        """
        segs = self.segs
        vals = np.array([s[key] for s in segs], float)
        idx = np.clip(np.searchsorted(self.t0s, tt, side="right") - 1, 0, len(segs) - 1)
        v = vals[idx]
        for i in range(1, len(segs)):
            dv = vals[i] - vals[i - 1]
            r = segs[i]["ramp"]
            if dv == 0.0 or r <= 0.0:
                continue
            b = self.t0s[i]
            if segs[i - 1]["activity"] == "standing":
                a0, a1 = b, b + r
            elif segs[i]["activity"] == "standing":
                a0, a1 = b - r, b
            else:
                a0, a1 = b - r / 2, b + r / 2
            if a1 < tt[0] or a0 > tt[-1]:
                continue
            j0, j1 = np.searchsorted(tt, [a0, a1])
            v[j0:j1] = vals[i - 1] + dv * smoothstep((tt[j0:j1] - a0) / (a1 - a0))
        return v

    def cadence(self, tt):
        return self.ramped(tt, "cad") + 1.5 * self.n_cad(tt)  # +-1.5 spm slow wander

    def speed(self, tt):
        return self.ramped(tt, "speed") * (1 + 0.03 * self.n_speed(tt))  # +-3 % pace wander

    def __call__(self, tt):
        ctl = {k: self.ramped(tt, k) for k in KEYS + ("env", "wrun")}
        ctl["lean"] = ctl["lean"] + ctl["lean_sd"] * ctl["env"] * self.n_lean(tt)
        # (bounded: +-7.5 %, so a fault's size stays a fault and good form stays good)
        ctl["rot"] = ctl["rot"] * (1 + 0.075 * np.tanh(self.n_rot(tt) / 1.5))
        ctl["roll"] = ctl["roll"] * (1 + 0.06 * self.n_roll(tt))
        ctl["cad"] = self.cadence(tt)
        ctl["speed"] = self.speed(tt)
        # stance fraction of the step: longer when slower (running; ~0.05 per m/s, Cavanagh 1990)
        ctl["duty"] = np.clip(self.runner["duty"] - 0.05 * (ctl["speed"] - 3.0), 0.5, 0.78)
        return ctl


# --------------------------------------------------------------------------------------------
# gait phase


# A step's duration off the smooth cadence's, sd (fraction of a step): step-time CV 1-2 %
# (Belli et al. 1995); stride intervals then vary by STEP_CV * sqrt((1 + STEP_CARRY) / 2), 1.5 %.
STEP_CV = 0.02
# The share of a step's deviation carried into the next (AR(1)): consecutive stride intervals
# correlate by STEP_CARRY * (1 + STEP_CARRY) / 2 = 0.12, mildly persistent as a runner's are
# (Hausdorff et al. 1995; Jordan et al. 2006, running: DFA alpha 0.7-0.9). A metronome's grid
# plus jitter (this simulator until stop 50) makes them anticorrelated (lag-1 -0.5): a true
# stride time that swings back every stride, as a stride clock's noise does. SisFall's 74 jogs
# (the detector at 200 Hz, stride times less their 9-stride mean): lag-1 correlation -0.02
# median, CV 1.66 %; this simulator +0.04 and 1.35 % (white intervals: -0.14 so measured).
STEP_CARRY = 0.2


@dataclass
class Block:
    """A stretch of consecutive moving segments: its foot contacts (phase integers ks0, ks0+1 ...)."""

    ta: float
    tb: float
    tc: np.ndarray  # contact times, s
    ks0: int  # phase index of tc[0]
    first: int  # global index of the step that starts at tc[0]
    slope: np.ndarray  # step frequency at each contact (phase per s)


def _contact_slopes(tc):
    """Step frequency at each contact: harmonic mean of the two steps meeting there."""
    T = np.diff(tc)
    sl = np.empty(len(tc))
    sl[1:-1] = 2.0 / (T[1:] + T[:-1])
    sl[0], sl[-1] = 1.0 / T[0], 1.0 / T[-1]
    return sl


class Gait:
    """Contact times of the whole run (compact), and the per-sample gait state of any stretch.

    The step phase integrates the cadence over each block of consecutive moving segments; every
    integer of the phase is a foot contact, even integers are right heel strikes. Each block
    starts with a right contact at its first instant (or exactly at t = 0 for a capture that
    starts moving). Each step's duration strays from the cadence's by ~2 %, a fifth of it carried
    into the next step (STEP_CV, STEP_CARRY: persistent stride intervals, as a runner's).
    Between two contacts the phase is a cubic in time whose slope at each contact is the mean
    step frequency of the two steps there, so body rates stay continuous across contacts (no
    angular-velocity jumps, which a lever arm would turn into acceleration spikes).
    """

    def __init__(self, segs, controls, start_moving, t_first, rng):
        moving = [s["activity"] != "standing" for s in segs]
        spans = []
        i = 0
        while i < len(segs):
            if moving[i]:
                j = i
                while j + 1 < len(segs) and moving[j + 1]:
                    j += 1
                t_a, t_b = segs[i]["t0"], segs[j]["t0"] + segs[j]["dur"]
                spans.append((t_first if t_a <= 0 and start_moving else t_a, t_b))
                i = j + 1
            else:
                i += 1
        self.blocks = []
        self.n_steps = 0
        for ta, tb in spans:
            tg = ta + np.arange(int(math.ceil((tb - ta) / PH_DT)) + 2) * PH_DT
            f = controls.cadence(tg) / 60.0
            p0 = np.concatenate([[0.0], np.cumsum(0.5 * (f[1:] + f[:-1]) * PH_DT)])
            if ta < 0:  # started before t=0 (no standing start): contact exactly at t = 0
                p0 = p0 - np.interp(0.0, tg, p0)
            nodes = np.arange(int(math.floor(p0[0])), int(math.floor(p0[-1])) + 3, dtype=float)
            # Step timing: the contacts' phase offsets (cycles) are the steps' deviations summed,
            # each carrying STEP_CARRY of the last (a runner's persistent stride intervals, not a
            # metronome's grid plus jitter: above)
            u = rng.normal(0.0, STEP_CV, len(nodes))
            for k in range(1, len(u)):
                u[k] = STEP_CARRY * u[k - 1] + math.sqrt(1.0 - STEP_CARRY**2) * u[k]
            jit = np.cumsum(u)
            jit -= jit[nodes == 0][0] if (nodes == 0).any() else 0.0
            p = p0 + np.interp(p0, nodes, jit)
            ks = np.arange(int(math.floor(p[0])), int(math.floor(p[-1])) + 2)
            tc = np.interp(ks, p, tg)
            lo, hi = ks < p[0], ks > p[-1]  # contacts outside the grid: local cadence
            tc[lo] = tg[0] - (p[0] - ks[lo]) / f[0]
            tc[hi] = tg[-1] + (ks[hi] - p[-1]) / f[-1]
            self.blocks.append(Block(float(ta), float(tb), tc, int(ks[0]), self.n_steps, _contact_slopes(tc)))
            self.n_steps += len(ks)

    def contacts(self):
        """(time, global step index, phase integer, block) of every contact, in order."""
        for b in self.blocks:
            for k, t in enumerate(b.tc):
                yield float(t), b.first + k, b.ks0 + k, b

    def state(self, tt):
        """Per-sample gait state on a stretch of the internal grid (sorted times)."""
        n = len(tt)
        st = {
            "phi": np.zeros(n),  # step phase (cycles)
            "s": np.zeros(n),  # fraction of the current step since its contact
            "dt_c": np.full(n, 10.0),  # time since the last contact, s (large while standing)
            "T": np.full(n, 0.35),  # duration of the current step, s
            "side": np.ones(n),  # -1 in right stance (left hip drops), +1 in left stance
            "step": np.zeros(n, dtype=np.int64),  # global step index (per-step random factors)
        }
        for b in self.blocks:
            j0, j1 = np.searchsorted(tt, [b.ta - 1e-9, b.tb - 1e-9])
            if j1 <= j0:
                continue
            t = tt[j0:j1]
            k = np.clip(np.searchsorted(b.tc, t, side="right") - 1, 0, len(b.tc) - 2)
            T = b.tc[k + 1] - b.tc[k]
            dt = t - b.tc[k]
            x = dt / T
            # Hermite cubic from 0 to 1 with end slopes (in units of 1/T) m0, m1
            m0, m1 = b.slope[k] * T, b.slope[k + 1] * T
            s = x + x * (1 - x) * ((m0 - 1) * (1 - x) - (m1 - 1) * x)
            kk = b.ks0 + k
            st["phi"][j0:j1] = kk + s
            st["s"][j0:j1] = s
            st["dt_c"][j0:j1] = dt
            st["T"][j0:j1] = T
            st["side"][j0:j1] = np.where(kk % 2 == 0, -1.0, 1.0)
            st["step"][j0:j1] = b.first + k
        return st


# --------------------------------------------------------------------------------------------
# heading


class Heading:
    """Course heading (rad): a slow meander of the road plus turns; constant on a treadmill.

    The meander is a function of the distance run (roads bend in space: +-4 deg over ~120 m), so
    the heading holds still while the runner stands. A turn follows a quintic ramp in time: the
    turn rate rises and falls without jumps in its own slope, so the bank into the turn
    (proportional to the rate) starts smoothly too.
    """

    V_REF = 3.0  # m/s: the meander's wavelengths are ~40 s of running at this speed

    def __init__(self, turns, treadmill, rng, controls, t_first, t_last):
        self.turns = list(turns)
        self.treadmill = treadmill
        self.psi0 = float(rng.uniform(-180, 180))
        self.meander = SmoothNoise(rng, 40.0)
        self.controls = controls
        # distance run, on a 10 ms grid for the whole run (speed changes over >= 1 s)
        self.tg = t_first + np.arange(int(math.ceil((t_last - t_first) / PH_DT)) + 2) * PH_DT
        v = controls.speed(self.tg)
        self.dist = np.concatenate([[0.0], np.cumsum(0.5 * (v[1:] + v[:-1]) * PH_DT)])

    def __call__(self, tt):
        if self.treadmill:
            return np.zeros(len(tt))
        x = np.interp(tt, self.tg, self.dist) / self.V_REF
        psi = np.deg2rad(self.psi0 + 4.0 * self.meander(x))
        for t_c, ang, dur in self.turns:
            psi = psi + np.deg2rad(ang) * smootherstep((tt - (t_c - dur / 2)) / dur)
        return psi

    def rate(self, tt):
        """d(heading)/dt, rad/s (exact for the turns and the meander's sines)."""
        if self.treadmill:
            return np.zeros(len(tt))
        x = np.interp(tt, self.tg, self.dist) / self.V_REF
        w = np.deg2rad(4.0 * self.meander.slope(x)) * self.controls.speed(tt) / self.V_REF
        for t_c, ang, dur in self.turns:
            w = w + np.deg2rad(ang) / dur * smootherstep_slope((tt - (t_c - dur / 2)) / dur)
        return w


# --------------------------------------------------------------------------------------------
# per-step random factors


def step_factors(n_steps, runner, seed, name, landings, gait, variety):
    """Per-step factors (arrays of n_steps); ``variety`` switches the step-to-step variety on.

    All random numbers are drawn whether the effect is on or off, so switching it does not change
    anything else in the run.
    """
    rng = stream(seed, name, "steps")
    ns = max(n_steps, 1)
    z_imp = rng.normal(0.0, 1.0, ns)
    u_heel = rng.random(ns)
    u_duty = rng.uniform(-1.0, 1.0, ns)
    z_duty = rng.normal(0.0, 1.0, ns)
    z_peak = rng.normal(0.0, 1.0, ns)
    u_bounce = rng.uniform(-1.0, 1.0, ns)
    f = {
        "roll": np.exp(rng.normal(0.0, 0.08, ns)),
        "nod": np.exp(rng.normal(0.0, 0.35, ns)),
        "brake": np.exp(rng.normal(0.0, 1.0, ns)),  # scaled by the surface below
        "rot": np.exp(np.clip(rng.normal(0.0, 0.06, ns), -0.08, 0.08)),  # per-stride rotation size
    }
    side = np.ones(ns)  # -1 right contact, +1 left (phase parity)
    for _t, gi, kk, _b in gait.contacts():
        side[gi] = -1.0 if kk % 2 == 0 else 1.0
    if variety:
        # heel strikes on some steps only, more often on one foot
        p_right = np.clip(runner["heel_prob"] + runner["heel_bias"], 0.05, 0.95)
        p_left = np.clip(runner["heel_prob"] - runner["heel_bias"], 0.05, 0.95)
        heel = u_heel < np.where(side < 0, p_right, p_left)
        f["imp"] = np.exp(runner["impact_sd"] * z_imp) * heel
        f["heel"] = heel.astype(float)
        f["duty"] = 1.0 + runner["contact_cv"] * u_duty
        f["peak"] = np.clip(0.40 + runner["peak_sd"] * z_peak, 0.30, 0.50)
        f["bounce"] = 1.0 + 0.05 * u_bounce  # walking: each step's bounce +-5 %
    else:  # the old, regular world: a transient on every step, contact time +-2 %
        f["imp"] = np.exp(0.25 * z_imp)
        f["heel"] = np.ones(ns)
        f["duty"] = 1.0 + 0.02 * z_duty
        f["peak"] = np.full(ns, 0.40)
        f["bounce"] = np.ones(ns)
    for t_land in landings:  # hard landings (drop-offs on trail): ~4x the usual impact, on the heel
        best = min(((abs(t - t_land), gi) for t, gi, _kk, b in gait.contacts() if b.ta <= t_land < b.tb), default=None)
        if best is not None:
            f["imp"][best[1]] = 4.0
            f["heel"][best[1]] = 1.0
    f["side"] = side
    return f


# --------------------------------------------------------------------------------------------
# orientation


class Orientation:
    """Pelvis yaw, pitch, roll (rad) on any stretch of the internal grid.

    Two parts: the bony pelvis turning about its axis (rotation, tilt rocking, obliquity/hip drop,
    lean, postural sway, course heading and banking in turns), and the sensor's own rocking on
    the belt and soft tissue (the impact nod and the 3-12 Hz wobble). The rocking turns the
    sensor about a point next to it, so it has no lever arm: the real waist data say so (SisFall
    jogging: gyro-derived angular acceleration of 40-60 rad/s^2 at 12-30 Hz, but only ~0.14 g of
    specific force in that band; at a 13 cm lever that rotation would add ~0.6 g). The truth
    angles are the sum (what the sensor carries); the lever arm acts on the pelvis part.
    """

    def __init__(self, runner, seed, name, rng, rocking=True):
        self.r = runner
        self.rocking = rocking
        # soft-tissue / belt wobble of the waist: band-limited random motion while moving
        self.wob = [BandNoise(seed, name, "wobble%d" % i, 3.0, 12.0) for i in range(3)]
        self.sway_p = SmoothNoise(rng, 4.0)  # postural sway while standing
        self.sway_r = SmoothNoise(rng, 4.0)
        r = runner

        def yaw_shape(x):  # stride-periodic rotation waveform
            return (np.cos(x - 2 * np.pi * r["yaw_phase"]) + r["yaw_h3"] * np.cos(3 * x - r["yaw_h3_ph"])
                    + r["yaw_h2"] * np.cos(2 * x - r["yaw_h2_ph"]))

        self.yaw_shape = yaw_shape
        # scaled to a peak-to-peak of 2, so the stride rotation (truth) is the control value
        self.yaw_norm = 2.0 / float(np.ptp(yaw_shape(np.linspace(0, 2 * np.pi, 3601))))

    def __call__(self, tt, ctl, gs, psi_c, f, bank):
        """((yaw, pitch, roll) of the sensor-carrying waist, (yaw, pitch, roll) of the bony pelvis), rad."""
        r = self.r
        env, wrun = ctl["env"], ctl["wrun"]
        d2r = np.pi / 180.0
        step = gs["step"]
        # per-step rotation size, blended smoothly from one contact to the next
        fr = f["rot"][step] + (f["rot"][np.minimum(step + 1, len(f["rot"]) - 1)] - f["rot"][step]) * smoothstep(gs["s"])
        yaw_p = psi_c + d2r * env * ctl["rot"] / 2 * fr * self.yaw_norm * self.yaw_shape(np.pi * gs["phi"])
        step_ph = 2 * np.pi * gs["phi"]
        pit_osc = ctl["pit"] / 2 * np.cos(step_ph - 2 * np.pi * r["pit_phase"])
        for hh, (amp, ph) in enumerate(r["pit_harm"], start=2):
            pit_osc = pit_osc + wrun * amp * np.cos(hh * step_ph - ph)
        # standing: postural sway of ~0.15 deg (pitch) and ~0.1 deg (roll) at ~0.25 Hz
        pitch_p = d2r * (r["stand_pitch"] + ctl["lean"] + (1 - env) * 0.15 * self.sway_p(tt) + env * pit_osc)
        # hip drop: a skewed pulse per step, fast drop after contact and slower recovery
        hs = hip_pulse(gs["s"], r["drop_peak"])
        asym = 1.0 + r["asym"] * gs["side"]
        drop = ctl["roll"] / 2 * f["roll"][step] * asym * gs["side"] * hs
        roll_p = d2r * ((1 - env) * 0.10 * self.sway_r(tt) + env * drop) + bank
        if not self.rocking:
            return (yaw_p, pitch_p, roll_p), (yaw_p, pitch_p, roll_p)
        # impact nod: a damped oscillation of the sensor on the belt started by each foot contact
        dtp = np.maximum(gs["dt_c"], 0.0)
        nod = np.where(gs["dt_c"] >= 0, np.exp(-dtp / r["nod_tau"]) * np.sin(2 * np.pi * r["nod_f"] * dtp), 0.0)
        nod_w = env * (wrun + 0.45 * (1 - wrun))  # walking contacts are softer: 45 % of the nod
        run_w = env * wrun  # weight of running-only features
        wob_w = env * (wrun + 0.5 * (1 - wrun))  # walking shakes the belt half as much
        fn = f["nod"][step]
        yaw = yaw_p + d2r * (run_w * r["yaw_nod_deg"] * gs["side"] * nod + wob_w * r["wob_deg"][2] * self.wob[2](tt))
        pitch = pitch_p + d2r * (nod_w * r["nod_deg"] * fn * nod + wob_w * r["wob_deg"][1] * self.wob[1](tt))
        roll = roll_p + d2r * (run_w * r["roll_nod_deg"] * gs["side"] * fn * nod + wob_w * r["wob_deg"][0] * self.wob[0](tt))
        return (yaw, pitch, roll), (yaw_p, pitch_p, roll_p)


# --------------------------------------------------------------------------------------------
# world specific force


_AREA_GRID = np.linspace(0.30, 0.50, 81)
_AREA_TAB = []


def _shape_area(peak):
    """Mean of sin(pi x^gam) over x in [0,1], gam putting the maximum at ``peak`` (tabulated once)."""
    if not _AREA_TAB:
        x = np.linspace(0.0, 1.0, 4001)
        _AREA_TAB.extend(float(np.mean(np.sin(np.pi * x ** (math.log(0.5) / math.log(p))))) for p in _AREA_GRID)
    return np.interp(peak, _AREA_GRID, _AREA_TAB)


_WALK_SHAPE = {}


def _walk_shape(s):
    """Vertical walking pattern over a step, mean 0 and minimum -1 (so 1 g - bounce is the floor).

    Maximum just after contact (double support, loading), minimum near mid-single-support.
    """
    # fundamental at step frequency peaking 8 % into the step (loading response), and a 2nd
    # harmonic (30 %) for the double-hump of the walking ground reaction force
    if "norm" not in _WALK_SHAPE:
        x = np.linspace(0.0, 1.0, 20001)
        y = np.cos(2 * np.pi * (x - 0.08)) + 0.3 * np.cos(4 * np.pi * (x - 0.1))
        _WALK_SHAPE["norm"] = -float(y.min())
    return (np.cos(2 * np.pi * (s - 0.08)) + 0.3 * np.cos(4 * np.pi * (s - 0.1))) / _WALK_SHAPE["norm"]


class Forces:
    """Specific force a/g + e_z of the pelvis (the point it turns about) in the world frame, g."""

    def __init__(self, runner, treadmill, rng):
        self.r = runner
        self.treadmill = treadmill
        self.drift = SmoothNoise(rng, 15.0)  # runner's drift along a treadmill belt (~15 s wander)

    def __call__(self, tt, ctl, gs, f, psi_c, psi_rate, h):
        """Vertical: per running step a stance pulse (time-warped half sine) plus a heel-strike
        transient and soft-tissue ringing on the steps that have one, scaled so the step's mean is
        exactly 1 g (momentum balance), then flight at 0 g; walking: 1 g + bounce x a double-support
        pattern (never below 1 - bounce). Fore-aft along the course: braking then propulsion
        within stance (zero net per step), speed changes, belt effects. Mediolateral: sway at
        stride frequency, a sideways kick at contact, centripetal v * heading rate in turns.
        """
        r = self.r
        env, wrun = ctl["env"], ctl["wrun"]
        s, dt_c, T, step = gs["s"], gs["dt_c"], gs["T"], gs["step"]
        d = ctl["duty"] * f["duty"][step]
        w = r["imp_w"]
        I_imp = r["imp_g"] * f["imp"][step] * ctl["impact"]
        heel = f["heel"][step]
        ring_w = 2 * np.pi * r["ring_f"]
        ring_tau = 0.03  # s, decay of the wobbling soft tissue
        spike = np.where((dt_c >= 0) & (dt_c < w), np.sin(np.pi * np.clip(dt_c, 0, w) / w), 0.0)
        xr = dt_c - w
        ring = np.where(xr >= 0, np.exp(-np.maximum(xr, 0) / ring_tau) * np.sin(ring_w * xr), 0.0)
        ring_area = ring_w / (ring_w**2 + ring_tau**-2)  # integral of the unit ringing, s
        # soft tissue rings less after a mid-foot landing (no sharp transient): 30 % of it
        R_g = r["ring_g"] * ctl["impact"] * (0.3 + 0.7 * heel)
        stance = s < d
        # stance pulse: a half sine time-warped to peak at ``peak`` of stance (loading is faster than push-off)
        peak = f["peak"][step]
        gam = np.log(0.5) / np.log(peak)
        P = (T - I_imp * 2 * w / np.pi - R_g * ring_area) / (_shape_area(peak) * d * T)
        fz_run = np.where(stance, P * np.sin(np.pi * np.minimum(s / d, 1.0) ** gam), 0.0) + I_imp * spike + R_g * ring
        # walking heel strike: a small 0.3 g transient (shod walking at the waist), its impulse
        # taken out of the step so the mean stays 1 g
        fz_walk = 1.0 + ctl["bounce"] * f["bounce"][step] * _walk_shape(s) + 0.3 * spike - 0.3 * 2 * w / np.pi / T
        fz = 1.0 + env * (wrun * (fz_run - 1.0) + (1 - wrun) * (fz_walk - 1.0))

        tread = self.treadmill
        B = r["brake_g"] * f["brake"][step] ** (0.3 if tread else 0.15) * ctl["brake"]
        IF = 0.3 * I_imp  # the transient's fore-aft share: the shank hits ~17 deg off vertical (tan ~0.3)
        af_run = np.where(stance, -B * np.sin(2 * np.pi * np.minimum(s / d, 1.0)) + IF * (2 * w / np.pi) / (d * T), 0.0)
        af_run = af_run - IF * spike
        # walking braking/propulsion, ~0.2 body weight: a walker vaults over the stance leg (an
        # inverted pendulum, Cavagna et al. 1977), fastest in double support where the pelvis is
        # lowest and the vertical force peaks (_walk_shape: 8 % into the step), slowest on top at
        # mid-stance: braking from just after contact to mid-stance, propulsion after. (It was
        # the other way round, a runner's phase; every SisFall walk, 76 of them, trades forward
        # speed against height: tests/host/test_sim_effects.py, energy phase.)
        af_walk = -0.2 * np.sin(2 * np.pi * (s - 0.05))
        a_long = env * (wrun * af_run + (1 - wrun) * af_walk)
        # sway at stride frequency (60 % of the running size when walking: slower, narrower base)
        # and a sideways kick at contact (12 % of the transient: the foot lands under the hip)
        a_lat = env * (r["ml_g"] * (0.6 + 0.4 * wrun) * np.sin(np.pi * gs["phi"]) + 0.12 * wrun * I_imp * gs["side"] * spike)
        if tread:
            # deck vibration after each contact (0.15 g at ~22 Hz, 50 ms decay: a treadmill deck
            # on its dampers), belt-speed dips (the larger per-step braking variability) and a slow
            # drift of the runner along the belt (+-15 cm); no course speed, no turns
            deck = env * wrun * 0.15 * np.exp(-np.maximum(dt_c, 0) / 0.05) * np.sin(2 * np.pi * 22.0 * dt_c) * (dt_c >= 0)
            fz = fz + deck
            a_long = a_long + 0.5 * deck
            # m along the belt, only while moving (env): standing on the stopped deck nobody wanders
            # 15 cm, and its 0.3-1 % g of acceleration would read as 0.2-0.6 deg of tilt at calibration
            drift = 0.15 * env * self.drift(tt)
            a_long = a_long + np.gradient(np.gradient(drift, h), h) / G
        else:
            a_long = a_long + np.gradient(ctl["speed"], h) / G
            a_lat = a_lat + ctl["speed"] * psi_rate / G  # centripetal: v * heading rate
        cpsi, spsi = np.cos(psi_c), np.sin(psi_c)
        return np.stack([cpsi * a_long - spsi * a_lat, spsi * a_long + cpsi * a_lat, fz], axis=-1)
