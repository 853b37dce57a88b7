"""Runner profiles and scenario plans: what happens when, at which form, per seed.

A plan is a list of segments (standing / walking / running, with an optional form fault) carrying
the control values of each stretch (lean, rotation, hip drop, cadence, speed, bounce ...), a list
of heading changes (turns, switchbacks) and a spec dict (rate, mount, board, landings ...).
"""
from __future__ import annotations

import numpy as np

# control values each segment carries (ramped between segments by ``body.Controls``)
KEYS = ("lean", "rot", "roll", "cad", "speed", "pit", "impact", "brake", "lean_sd", "bounce")


def runner_profile(rng):
    """Per-runner parameters (good form), drawn from the seed.

    Pelvis ranges (peak-to-peak per stride) follow treadmill and overground running studies with
    pelvis markers (Schache et al. 1999, Clin Biomech 14:10; Novacheck 1998, Gait Posture 7:77;
    Saunders et al. 2005): transverse rotation ~10-20 deg, obliquity ~10-15 deg, anterior tilt
    ~4-10 deg at 3-4 m/s; the waist gyro of the SisFall joggers (median |gyro| 80-95 deg/s at
    150-177 steps/min) is the check in ``tests/host/test_simulator.py``. Good form keeps the stride
    rotation below the default 20 deg swivel limit (domain notes: "an inch or so each way").
    """
    return {
        "stand_pitch": float(rng.uniform(0.0, 6.0)),
        "run": {
            "lean": rng.uniform(7.0, 10.5),  # trunk-through-hips lean, deg (Teng & Powers 2015: 3.6-10.8)
            "rot": rng.uniform(10.5, 14.5),  # pelvis yaw p-p per stride, deg (good form: under 20)
            "roll": rng.uniform(10.0, 14.0),  # pelvis obliquity p-p per stride, deg (Schache: 10-15)
            "cad": rng.uniform(163.0, 178.0),  # steps/min, recreational runners at 2.7-3.4 m/s
            "speed": rng.uniform(2.7, 3.4),  # m/s
            "pit": rng.uniform(3.0, 5.0),  # anterior-tilt rocking at step frequency, p-p deg
            "impact": 1.0,
            "brake": 1.0,
            "lean_sd": 0.55,  # slow within-run wander of the lean, deg
            "bounce": 0.25,  # (walking only: vertical specific-force amplitude, g)
        },
        "walk": {
            "lean": rng.uniform(1.0, 3.0),  # walkers hold the trunk near upright
            "rot": rng.uniform(7.0, 10.0),  # walking pelvis rotation 8-12 deg p-p (Saunders 2005)
            "roll": rng.uniform(6.0, 9.0),  # walking obliquity ~7-9 deg p-p
            "cad": rng.uniform(104.0, 118.0),
            "speed": rng.uniform(1.3, 1.5),
            "pit": rng.uniform(1.5, 2.5),
            "impact": 1.0,
            "brake": 1.0,
            "lean_sd": 0.55,
            # vertical specific force of walking: 1 g +- this (0.2-0.3 g at an ordinary pace;
            # waist accelerometers in walking, e.g. Zijlstra & Hof 2003)
            "bounce": rng.uniform(0.20, 0.30),
        },
        # power walking (walk_jog): 125-140 steps/min, 1.8-2.1 m/s, a strong bounce that still
        # keeps double support (vertical specific force never under ~0.5 g)
        "brisk": {
            "lean": rng.uniform(2.0, 4.0),
            "rot": rng.uniform(11.0, 15.0),  # brisk walkers swing the pelvis more (crosscheck x4: ~14)
            "roll": rng.uniform(8.0, 11.0),
            "cad": rng.uniform(128.0, 137.0),
            "speed": rng.uniform(1.8, 2.1),
            "pit": rng.uniform(2.0, 3.0),
            "impact": 1.0,
            "brake": 1.0,
            "lean_sd": 0.45,
            "bounce": rng.uniform(0.36, 0.44),
        },
        # slow jog (walk_jog): 140-155 steps/min at 2.2-2.6 m/s, softer landings
        "jog": {
            "cad": rng.uniform(144.0, 152.0),
            "speed": rng.uniform(2.2, 2.6),
            "impact": 0.85,
        },
        # stance fraction of the step at 3 m/s (stance is 31-35 % of the stride)
        "duty": rng.uniform(0.62, 0.70),
        "imp_g": rng.uniform(2.0, 2.8),  # heel-strike transient above the stance pulse, g
        "imp_w": rng.uniform(0.028, 0.040),  # transient width, s (waist: 25-40 ms, Lafortune 1996)
        "ring_g": rng.uniform(0.3, 0.6),  # soft-tissue ringing after the transient, g
        "ring_f": rng.uniform(14.0, 20.0),  # wobbling-mass frequency, Hz (Pain & Challis 2001)
        "brake_g": rng.uniform(0.30, 0.45),  # fore-aft braking/propulsion peak, g (~0.3-0.5 body weight)
        "ml_g": rng.uniform(0.12, 0.22),  # mediolateral sway, g
        "nod_deg": rng.uniform(2.5, 3.5),  # impact nod of the waist (pitch), deg
        "nod_f": rng.uniform(7.0, 10.0),  # Hz
        "nod_tau": rng.uniform(0.06, 0.085),  # s
        "roll_nod_deg": rng.uniform(0.8, 1.4),
        "yaw_nod_deg": rng.uniform(0.8, 1.2),
        "yaw_phase": rng.uniform(-0.04, 0.04),  # cycles of the stride
        "yaw_h3": rng.uniform(0.20, 0.35),  # 3rd stride harmonic of the rotation (squarer wave)
        "yaw_h3_ph": rng.uniform(-0.5, 0.5),
        # 2nd stride harmonic (step frequency): each push-off twists the pelvis a little
        "yaw_h2": rng.uniform(0.15, 0.30),
        "yaw_h2_ph": rng.uniform(0, 2 * np.pi),
        "pit_phase": rng.uniform(0.45, 0.7),  # step fraction of max anterior tilt (late stance, toe-off)
        # 2nd and 3rd step harmonics of the pitch rocking while running (deg, rad)
        "pit_harm": [(float(rng.uniform(0.7, 1.2)), float(rng.uniform(0, 2 * np.pi))),
                     (float(rng.uniform(0.4, 0.8)), float(rng.uniform(0, 2 * np.pi)))],
        "drop_peak": rng.uniform(0.14, 0.2),  # step fraction where the hip drop is deepest
        # soft-tissue / belt wobble std (roll, pitch, yaw), deg, 3-12 Hz
        "wob_deg": rng.uniform(0.35, 0.6, 3) * np.array([1.4, 1.4, 1.0]),
        "asym": rng.uniform(-0.08, 0.08),  # left/right hip-drop asymmetry
        "tilt": (float(rng.uniform(2.0, 12.0)), float(rng.normal(0, 1.5)), float(rng.normal(0, 2.0))),
        # ---- step-to-step variety (effect "step_variety") ----
        # share of running steps with a heel-strike transient: rearfoot strikers are ~75-90 % of
        # road runners, but many land mid-foot on some steps (Larson et al. 2011); per run 0.3-0.8
        "heel_prob": rng.uniform(0.3, 0.8),
        # one foot strikes on its heel more often than the other (asymmetric landing), +-0.1-0.3
        "heel_bias": rng.uniform(0.1, 0.3) * (1.0 if rng.random() < 0.5 else -1.0),
        # contact time varies step to step by +-5-10 % (uniform spread; Belli et al. 1995 report
        # step-to-step CVs of 3-6 % for contact time, more on roads and when tired)
        "contact_cv": rng.uniform(0.05, 0.10),
        # impact size per step: log-normal spread (peak impact CV ~30-40 % at the waist)
        "impact_sd": rng.uniform(0.30, 0.45),
        # where the stance push peaks (fraction of stance): 0.40 +- this per step
        "peak_sd": rng.uniform(0.03, 0.05),
        # ---- turns at speed ----
        # a runner leans into a turn: this share of the equilibrium bank angle atan(v w / g)
        "bank_frac": rng.uniform(0.5, 0.9),
        # ---- lever arm (effect "lever_arm") ----
        # the IMU on a belt clip sits behind the axis the pelvis turns about (sacrum vs hip
        # joint centres: 8-15 cm posterior, 2-6 cm above; Harrington et al. 2007), +-1 cm sideways
        "lever_m": (float(-rng.uniform(0.08, 0.15)), float(rng.normal(0.0, 0.01)), float(rng.uniform(0.02, 0.06))),
    }


class Plan:
    """Builder of a segment list; times in seconds from the start."""

    def __init__(self, rng, runner):
        self.rng = rng
        self.r = runner
        self.segs = []
        self.turns = []  # (t_center_s, angle_deg, duration_s)
        self.t = 0.0
        self.spec = {}

    def add(self, activity, dur, fault=None, ramp=2.0, style=None, **over):
        style = style or ("run" if activity == "running" else "walk")
        base = dict(self.r[style]) if style in ("run", "walk", "brisk") else {**self.r["run"], **self.r[style]}
        seg = {k: float(base[k]) for k in KEYS}
        if activity == "standing":
            seg["speed"] = 0.0
            seg["lean"] = 0.0 if not self.segs else float(self.rng.normal(0.0, 0.4))
        good = dict(seg)  # what this stretch is without its fault
        good.update({k: float(v) for k, v in over.items() if k in ("cad", "speed", "impact", "brake")})
        seg.update({k: float(v) for k, v in over.items()})
        seg.update(activity=activity, fault=fault, t0=self.t, dur=float(dur), ramp=float(ramp), good=good)
        self.segs.append(seg)
        self.t += float(dur)
        return seg

    def run(self, dur, fault=None, ramp=2.0, **over):
        return self.add("running", dur, fault, ramp, **over)

    def fault(self, reason, dur, ramp=None, **over):
        """A running stretch with a form fault at its typical size (``over``: e.g. a jog's style)."""
        rng = self.rng
        ramp = float(rng.uniform(1.0, 3.0)) if ramp is None else ramp
        if reason == "upright":
            return self.run(dur, "upright", ramp, lean=rng.uniform(0.6, 1.5), lean_sd=0.3, **over)
        if reason == "swivel":
            return self.run(dur, "swivel", ramp, rot=rng.uniform(30.5, 33.5), lean_sd=0.3, **over)
        if reason == "backward":
            return self.run(dur, "backward", ramp, lean=rng.uniform(-7.0, -5.5), lean_sd=0.3, **over)
        raise ValueError(reason)

    def turn(self, t_center, angle_deg, dur):
        self.turns.append((float(t_center), float(angle_deg), float(dur)))

    def road_turns(self, every=(60.0, 150.0), angle=(30.0, 90.0)):
        """Occasional turns inside running segments (not within 4 s of a segment boundary)."""
        t = float(self.rng.uniform(*every)) * 0.5
        while t < self.t:
            seg = self.seg_at(t)
            if seg["activity"] != "standing" and t - seg["t0"] > 4 and seg["t0"] + seg["dur"] - t > 4:
                a = float(self.rng.uniform(*angle)) * (1 if self.rng.random() < 0.5 else -1)
                # street corners: 90 deg in ~4.5 s at running speed (peak rate ~0.65 rad/s,
                # radius ~5 m at 3 m/s, ~0.2 g centripetal)
                self.turn(t, a, abs(a) / 90.0 * 3.5 + 1.0)
            t += float(self.rng.uniform(*every))

    def seg_at(self, t):
        for s in self.segs:
            if s["t0"] <= t < s["t0"] + s["dur"]:
                return s
        return self.segs[-1]

    def trim(self, total_s):
        """Cut the plan at total_s (keeps at least the first segment)."""
        out = []
        for s in self.segs:
            if s["t0"] >= total_s - 1e-9:
                break
            s = dict(s)
            s["dur"] = min(s["dur"], total_s - s["t0"])
            out.append(s)
        # a tiny leftover segment cannot hold its ramp: merge it into the previous one
        if len(out) > 1 and out[-1]["dur"] < 6.0:
            out[-2]["dur"] += out[-1]["dur"]
            out.pop()
        # a fault episode cut short by the end of the capture becomes good running
        last = out[-1]
        if last["fault"] and last["dur"] < 20.0:
            last.update({k: float(last["good"][k]) for k in KEYS}, fault=None)
        self.segs = out
        self.t = sum(s["dur"] for s in out)
        self.turns = [tr for tr in self.turns if tr[0] + tr[2] / 2 < self.t]


def _stand_start(p, lo=6.0, hi=9.0):
    p.add("standing", p.rng.uniform(lo, hi), ramp=1.5)


def _alternating(p, total, reasons, ep=(30.0, 60.0), gap=(40.0, 70.0)):
    """Good running interleaved with fault episodes until ``total`` s."""
    rng = p.rng
    p.run(rng.uniform(*gap) + 20.0)
    i = 0
    while p.t < total:
        p.fault(reasons[i % len(reasons)], rng.uniform(*ep))
        p.run(rng.uniform(*gap))
        i += 1


def _b_good_form(p, minutes):
    """Good form on roads: stand, short walk, then steady running with occasional turns."""
    total = minutes * 60
    _stand_start(p)
    p.add("walking", p.rng.uniform(8, 14), ramp=1.5)
    while p.t < total:
        p.run(p.rng.uniform(50, 90), ramp=2.5)
    p.road_turns()


def _b_too_upright(p, minutes):
    """Good running with 30-75 s stretches of 'too upright' (lean 0.6-1.5 deg)."""
    _stand_start(p)
    _alternating(p, minutes * 60, ["upright"], ep=(30, 75))
    p.road_turns()


def _b_swivel(p, minutes):
    """Good running with 30-75 s stretches of 'swivel' (rotation 30-34 deg per stride)."""
    _stand_start(p)
    _alternating(p, minutes * 60, ["swivel"], ep=(30, 75))
    p.road_turns()


def _b_mixed(p, minutes):
    """The demo run: warm-up walk, upright/swivel/backward episodes (20-60 s) in good running, cool-down."""
    rng = p.rng
    total = minutes * 60
    _stand_start(p, 7, 10)
    p.add("walking", rng.uniform(12, 20), ramp=1.5)
    p.run(rng.uniform(60, 80))
    order = ["upright", "swivel", "backward"]
    rng.shuffle(order)
    reasons = order + list(rng.permutation(order))
    i = 0
    while p.t < total - 40:
        p.fault(reasons[i % len(reasons)], rng.uniform(20, 60))
        p.run(rng.uniform(35, 60))
        i += 1
    p.add("walking", 20, ramp=2.0)
    p.add("standing", 6)
    p.road_turns(every=(70, 140))


def _b_trail(p, minutes):
    """Trail: switchbacks of 90-180 deg in 3-6 s every 30-60 s, climbs with more lean, a walked climb.

    Descents with hinged hips or leaning back (backward episodes); a drop-off landing saturates
    the accelerometer.
    """
    rng = p.rng
    total = minutes * 60
    r = p.r["run"]
    _stand_start(p)
    p.run(rng.uniform(40, 60))
    kinds = ["up", "down_good", "flat", "down_back", "hike", "down_back"]
    i = 0
    while p.t < total:
        k = kinds[i % len(kinds)]
        d = rng.uniform(40, 80)
        if k == "up":
            p.run(d, ramp=2.5, lean=r["lean"] + rng.uniform(4, 6), speed=r["speed"] * 0.75,
                  cad=r["cad"] - 5, impact=0.8, rot=r["rot"] * 0.95)
        elif k == "down_good":  # hinged hips kept on the descent
            seg = p.run(d, ramp=2.5, lean=rng.uniform(6.0, 7.5), lean_sd=0.4, speed=r["speed"] * 1.1,
                        cad=r["cad"] + 6, impact=1.3, brake=1.3)
            # a drop-off: one hard landing that saturates the +-8 g accelerometer
            p.spec.setdefault("landings", []).append(seg["t0"] + seg["dur"] * float(rng.uniform(0.3, 0.7)))
        elif k == "down_back":
            p.run(d * 0.7, fault="backward", ramp=rng.uniform(1.5, 3.0), lean=rng.uniform(-8.0, -5.5), lean_sd=0.3,
                  speed=r["speed"] * 1.1, cad=r["cad"] + 6, impact=1.35, brake=1.4)
        elif k == "hike":  # steep climb walked with a strong forward lean
            p.add("walking", d * 0.6, ramp=2.5, lean=rng.uniform(9, 14), speed=1.1, cad=p.r["walk"]["cad"] - 8)
        else:
            p.run(d, ramp=2.5)
        i += 1
    # switchbacks: 90-180 deg every 30-60 s, alternating direction, while moving; a hairpin is
    # taken in 3 s (90 deg) to 6 s (180 deg): ~0.8 rad/s peak, ~0.25 g centripetal at 3 m/s
    t = float(rng.uniform(20, 35))
    sign = 1
    while t < p.t:
        seg = p.seg_at(t)
        if seg["activity"] != "standing" and t - seg["t0"] > 3.5 and seg["t0"] + seg["dur"] - t > 3.5:
            a = float(rng.uniform(90, 180)) * sign
            p.turn(t, a, 3.0 + 3.0 * (abs(a) - 90.0) / 90.0)
            sign = -sign
        t += float(rng.uniform(30, 60))


def _b_walk_breaks(p, minutes):
    """Running with walking breaks and standing stops (traffic lights)."""
    rng = p.rng
    total = minutes * 60
    _stand_start(p)
    pattern = ["walk", "stand", "walk", "stand_walk"]
    i = 0
    p.run(rng.uniform(90, 150))
    while p.t < total:
        k = pattern[i % len(pattern)]
        if k == "walk":
            p.add("walking", rng.uniform(30, 60), ramp=2.5)
        elif k == "stand":  # traffic light
            p.add("standing", rng.uniform(15, 40))
        else:
            p.add("walking", rng.uniform(10, 20), ramp=2.5)
            p.add("standing", rng.uniform(10, 25))
        p.run(rng.uniform(70, 140), ramp=2.5)
        i += 1
    p.road_turns()


def _b_surges(p, minutes):
    """Speed surges: 15-30 s at 1.3-1.5x speed, higher cadence, lean and rotation, 3.5-5 s ramps."""
    rng = p.rng
    total = minutes * 60
    r = p.r["run"]
    _stand_start(p)
    p.run(rng.uniform(50, 70))
    while p.t < total:
        f = rng.uniform(1.3, 1.5)
        p.run(rng.uniform(15, 30), ramp=rng.uniform(3.5, 5.0), speed=r["speed"] * f,
              cad=r["cad"] + rng.uniform(8, 12), lean=r["lean"] + rng.uniform(1.0, 2.0),
              rot=r["rot"] * rng.uniform(1.03, 1.08), impact=1.15, brake=1.2)
        p.run(rng.uniform(45, 80), ramp=rng.uniform(3.0, 5.0))
    p.road_turns()


def _b_plain(p, minutes):
    """Good form at the scenario's rate (rate_*) or mount (odd_mount: up -y, forward +x, 20 deg tilt)."""
    _stand_start(p)
    while p.t < minutes * 60:
        p.run(p.rng.uniform(50, 90), ramp=2.5)
    p.road_turns()


def _b_hip_drop(p, minutes):
    """Big hip drop (roll 18-22 deg per stride) with ordinary rotation: must not count as swivel."""
    rng = p.rng
    r = p.r["run"]
    r["roll"] = float(rng.uniform(18.0, 22.0))
    r["rot"] = float(rng.uniform(11.0, 14.0))
    p.r["walk"]["roll"] = float(rng.uniform(10.0, 13.0))
    _stand_start(p)
    while p.t < minutes * 60:
        p.run(rng.uniform(50, 90), ramp=2.5)
    p.road_turns()


def _b_ultra_decay(p, minutes):
    """An ultra: steady running for hours, the lean decaying by 4 deg over two hours (3:30 to
    5:30 of a 6-hour run, a smooth ramp centred at 4:30), then holding there: form drift."""
    total = minutes * 60
    _stand_start(p)
    mid = total * 0.75
    p.run(mid - p.t, ramp=2.5)
    p.run(total - mid, ramp=min(2 * 3600.0, total / 3), lean=p.r["run"]["lean"] - 4.0)


def _b_no_standing_start(p, minutes):
    """Running from the first sample: no standing calibration at all."""
    while p.t < minutes * 60:
        p.run(p.rng.uniform(50, 90), ramp=2.5)
    p.segs[0]["ramp"] = 0.0
    p.spec["start_moving"] = True
    p.road_turns()


def _b_treadmill(p, minutes):
    """Treadmill: no turns, no course speed, deck vibration, belt-speed dips, drift along the belt."""
    rng = p.rng
    _stand_start(p)
    p.add("walking", rng.uniform(20, 30), ramp=1.5)
    while p.t < minutes * 60:
        p.run(rng.uniform(60, 120), ramp=3.0)
    p.spec["treadmill"] = True


def _b_walk_jog(p, minutes):
    """Brisk walk (~100 s, 128-137 spm, strong bounce), slow jog at 144-152 spm with a swivel stretch, walk."""
    rng = p.rng
    total = minutes * 60
    jog = p.r["jog"]
    jog_kw = {"style": "jog", "cad": jog["cad"], "speed": jog["speed"], "impact": jog["impact"]}
    _stand_start(p, 6, 8)
    p.add("walking", rng.uniform(95, 110), ramp=1.5, style="brisk")
    p.add("running", rng.uniform(50, 70), ramp=3.0, **jog_kw)
    p.fault("swivel", rng.uniform(35, 50), ramp=2.0, **{k: v for k, v in jog_kw.items() if k != "style"})
    while p.t < total - 60:
        p.add("running", rng.uniform(40, 60), ramp=2.0, **jog_kw)
    p.add("walking", max(40.0, total - p.t), ramp=3.0, style="brisk")
    p.road_turns(every=(50, 100))


def _b_deep_walk(p, minutes):
    """Quick walk dipping below 0.25 g at every step (older adults), a run, the walk again.

    SisFall's older adults' quick walks reach troughs of 0.1-0.3 g at 125-140 steps/min: a
    pendulum's deep trough, no flight (the detector must not call it running)."""
    rng = p.rng
    total = minutes * 60
    walk_kw = {"style": "brisk", "bounce": rng.uniform(0.80, 0.90)}   # floor 0.10-0.20 g
    _stand_start(p, 6, 8)
    p.add("walking", rng.uniform(70, 90), ramp=1.5, **walk_kw)
    while p.t < total - 70:
        p.run(rng.uniform(50, 70), ramp=2.5)
    p.add("walking", max(50.0, total - p.t), ramp=3.0, **walk_kw)
    p.road_turns()


def _b_cheap_50(p, minutes):
    """Cheap board at 50 Hz: bursts of dropped samples, 0.3-0.5 s dropouts, stamp jitter, gyro warm-up; upright stretch."""
    rng = p.rng
    total = minutes * 60
    _stand_start(p, 6, 8)
    p.run(rng.uniform(70, 90))
    p.fault("upright", rng.uniform(40, 60))
    p.run(rng.uniform(50, 70))
    p.add("standing", rng.uniform(15, 25))  # a traffic light: the warm-up is plain to see standing
    while p.t < total:
        p.run(rng.uniform(50, 80), ramp=2.5)
    p.road_turns()


# name -> (builder, default minutes, spec overrides)
BUILDERS = {
    "good_form": (_b_good_form, 6.0, {}),
    "too_upright": (_b_too_upright, 5.0, {}),
    "swivel": (_b_swivel, 5.0, {}),
    "mixed": (_b_mixed, 10.0, {}),
    "trail": (_b_trail, 8.0, {}),
    "walk_breaks": (_b_walk_breaks, 8.0, {}),
    "surges": (_b_surges, 6.0, {}),
    "rate_50": (_b_plain, 3.0, {"rate_hz": 50.0}),
    "rate_100": (_b_plain, 3.0, {"rate_hz": 100.0}),
    "rate_104": (_b_plain, 3.0, {"rate_hz": 104.0}),
    "rate_200": (_b_plain, 3.0, {"rate_hz": 200.0}),
    "odd_mount": (_b_plain, 4.0, {"mount_up": "-y", "mount_forward": "+x", "tilt_pitch": 20.0}),
    "hip_drop": (_b_hip_drop, 4.0, {}),
    "no_standing_start": (_b_no_standing_start, 3.0, {}),
    "treadmill": (_b_treadmill, 5.0, {}),
    "walk_jog": (_b_walk_jog, 6.0, {"rate_hz": 100.0}),
    "deep_walk": (_b_deep_walk, 5.0, {}),
    "cheap_50": (_b_cheap_50, 6.0, {"rate_hz": 50.0, "board": "cheap"}),
}

# Hours-long runs (form drift): simulated on request (`hinge simulate ultra_decay`), but not part of
# the accuracy sets that iterate over BUILDERS (6 hours take minutes to simulate and replay).
LONG_BUILDERS = {
    "ultra_decay": (_b_ultra_decay, 360.0, {"rate_hz": 50.0}),
}
