"""One simulated run: the plan, the body, the sensor, made chunk by chunk with continuous state.

``Run(name, seed, ...)`` draws everything that is per run (plan, runner, contact times, per-step
factors, random-signal coefficients, sensor parameters); ``Run.chunks(chunk_s)`` then yields the
samples in blocks, each synthesised on its own stretch of the internal 1 kHz grid (plus a small
margin), so memory stays bounded for hours-long runs and the result does not depend on the chunk
length (up to float rounding in running sums).
"""
from __future__ import annotations

import math

import numpy as np

from . import body, scenarios, sensor, truth
from .geometry import mount_matrix, rx, ry, rz

PAD_S = 0.025  # the internal grid starts this early, so the first output sample has a full filter window
MARGIN = 8  # internal samples beyond what a chunk needs (gradients are then exact inside)
STRIDE_MAX_S = 2.0  # longest stride (walking at 60 steps/min); a chunk's grid reaches this far for its strides
DEFAULT_RATE_HZ = 104.0
DEFAULT_CHUNK_S = 60.0

# Effects a run can switch (all on by default; --ideal switches all off: the old clean world):
EFFECTS = (
    "lever_arm",  # sensor 8-15 cm behind / 2-6 cm above the pelvis turning axis
    "step_variety",  # heel strikes on some steps, contact time +-5-10 %, impact spread
    "clock",  # IMU output data rate off by a per-run error (+-1.5 %)
    "timing",  # dropped samples, bursts, dropouts (cheap board), host stamp jitter
    "bias_warmup",  # gyro bias settling as the die warms (exponential)
    "sensor_errors",  # scale, bias, bias random walk, noise, int16 quantisation and saturation
)


class Run:
    """Everything drawn for one run; ``chunks()`` synthesises it."""

    def __init__(self, name, seed=0, minutes=None, rate_hz=None, ideal=False, effects=None, odr_error=None,
                 rocking=True):
        known = {**scenarios.BUILDERS, **scenarios.LONG_BUILDERS}
        if name not in known:
            raise ValueError("unknown scenario %r; one of: %s" % (name, ", ".join(known)))
        builder, default_min, spec = known[name]
        minutes = default_min if minutes is None else float(minutes)
        if minutes <= 0:
            raise ValueError("minutes must be positive")
        rate = float(rate_hz if rate_hz is not None else spec.get("rate_hz", DEFAULT_RATE_HZ))
        if not 50.0 <= rate <= 200.0:
            raise ValueError("rate_hz must be within 50..200, got %r" % rate)
        self.effects = {k: not ideal for k in EFFECTS}
        for k, v in (effects or {}).items():
            if k not in self.effects:
                raise ValueError("unknown effect %r; one of: %s" % (k, ", ".join(EFFECTS)))
            self.effects[k] = bool(v)
        self.name, self.seed, self.rate, self.ideal = name, int(seed), rate, bool(ideal)
        rng = np.random.default_rng([self.seed, _crc(name)])
        runner = scenarios.runner_profile(rng)
        p = scenarios.Plan(rng, runner)
        p.spec = dict(spec)
        builder(p, minutes)
        p.trim(minutes * 60.0)
        self.runner, self.segs, self.turns, self.spec = runner, p.segs, p.turns, p.spec
        self.duration = float(sum(s["dur"] for s in self.segs))
        self.treadmill = bool(self.spec.get("treadmill"))
        self.n_int = int(round((self.duration + PAD_S + 0.003) * body.FS_INT)) + 1

        self.controls = body.Controls(self.segs, runner, rng)
        self.gait = body.Gait(self.segs, self.controls, bool(self.spec.get("start_moving")), -PAD_S, rng)
        self.heading = body.Heading(self.turns, self.treadmill, rng, self.controls, -PAD_S, self.duration + 0.1)
        self.orient = body.Orientation(runner, self.seed, name, rng, rocking=rocking)
        self.forces = body.Forces(runner, self.treadmill, rng)
        self.f = body.step_factors(self.gait.n_steps, runner, self.seed, name, self.spec.get("landings", ()),
                                   self.gait, self.effects["step_variety"])
        # mount: pelvis -> sensor axes (nominal mapping, then misalignment / clip tilt about the pelvis axes)
        self.mount_up = self.spec.get("mount_up", "+x")
        self.mount_forward = self.spec.get("mount_forward", "-z")
        tp, tr, ty = runner["tilt"]
        if "tilt_pitch" in self.spec:
            tp = float(self.spec["tilt_pitch"]) + float(rng.normal(0, 1.0))
        self.tilt = (tp, tr, ty)
        tilt = rz(math.radians(ty)) @ ry(math.radians(tp)) @ rx(math.radians(tr))
        self.C = tilt @ mount_matrix(self.mount_up, self.mount_forward)
        self.lever = np.array(runner["lever_m"]) if self.effects["lever_arm"] else None
        self.sensor = sensor.Sensor(self.seed, name, self.spec.get("board", "good"), rate, self.duration, self.effects, odr_error)
        self.truth_segs, self.episodes = truth.truth_segments(self.segs)
        self.spans = truth.stride_spans(self.gait, self.truth_segs, self.duration)
        self.strides = []
        self.n_dropped = 0
        self.gaps = []
        self.contacts = np.array([t for t, _gi, _kk, _b in self.gait.contacts()])

    # ---- grid ----
    @staticmethod
    def grid_index(t_s):
        return int(round((t_s + PAD_S) * body.FS_INT))

    def grid(self, j0, j1):
        return np.arange(j0, j1) / body.FS_INT - PAD_S

    # ---- synthesis ----
    def chunks(self, chunk_s=DEFAULT_CHUNK_S):
        """Yield dicts of samples (``t_ms``, ``acc_g``, ``gyr_dps``, ``series``) chunk by chunk.

        Truth strides accumulate in ``self.strides``; dropped-sample counts in ``self.n_dropped``.
        """
        sen = self.sensor
        n_out = sen.n_out
        step = max(1, n_out if not chunk_s else int(round(chunk_s * self.rate)))
        self.strides, self.n_dropped, self.gaps = [], 0, []
        span_t0 = np.array([s[0] for s in self.spans], float) / 1000.0
        last_kept_t = None
        h = 1.0 / body.FS_INT
        for i0 in range(0, n_out, step):
            i1 = min(n_out, i0 + step)
            t_out = sen.times(i0, i1)
            lo = -math.inf if i0 == 0 else t_out[0]
            hi = math.inf if i1 >= n_out else float(sen.times(i1, i1 + 1)[0])
            a, z = np.searchsorted(span_t0, [lo, hi], side="left")
            spans = self.spans[a:z]
            t_top = max([t_out[-1]] + [s[1] / 1000.0 for s in spans])
            j0 = max(0, int(math.floor((t_out[0] - sen.dT + PAD_S) * body.FS_INT)) - MARGIN)
            j1 = min(self.n_int, int(math.ceil((t_top + PAD_S) * body.FS_INT)) + MARGIN + 1)
            tt = self.grid(j0, j1)

            ctl = self.controls(tt)
            gs = self.gait.state(tt)
            psi = self.heading(tt)
            psi_rate = self.heading.rate(tt)
            # a runner banks into a turn: a share of the equilibrium angle atan(v w / g); roll < 0
            # leans left (z up toward +y), into a left turn (w > 0)
            bank = -self.runner["bank_frac"] * np.arctan(ctl["speed"] * psi_rate / body.G)
            (yaw, pitch, roll), pelvis = self.orient(tt, ctl, gs, psi, self.f, bank)
            f_world = self.forces(tt, ctl, gs, self.f, psi, psi_rate, h)
            gyr_p, acc_p = sensor.imu_window_means(tt, (yaw, pitch, roll), f_world, t_out, sen.dT, self.lever, pelvis)
            acc_s = acc_p @ self.C  # row-wise C^T v
            gyr_s = gyr_p @ self.C
            acc_s, gyr_s, t_ms, keep = sen.apply(acc_s, gyr_s, i0, i1)

            yaw_d, pitch_d, roll_d = np.rad2deg(yaw), np.rad2deg(pitch), np.rad2deg(roll)
            rows = truth.stride_values(spans, j0, self.grid_index, yaw_d, pitch_d, roll_d, self.runner["stand_pitch"])
            dyn = truth.dynamics_values(spans, j0, self.grid_index, self.contacts,
                                        self._toe_off(tt, ctl, gs), tt, pitch_d, roll_d, f_world[:, 2], h)
            for r, d in zip(rows, dyn):
                r.update(d)
            self.strides += rows
            self.n_dropped += int(np.sum(~keep))
            # stretches of lost samples, s (true time from the last kept sample to the next kept one)
            kept_t = t_out[keep]
            if len(kept_t):
                if last_kept_t is not None and kept_t[0] - last_kept_t > 1.5 * sen.dT:
                    self.gaps.append((last_kept_t, float(kept_t[0])))
                d = np.diff(kept_t)
                for g in np.nonzero(d > 1.5 * sen.dT)[0]:
                    self.gaps.append((float(kept_t[g]), float(kept_t[g + 1])))
                last_kept_t = float(kept_t[-1])
            series = {
                "t_s": kept_t,
                "yaw_deg": np.interp(t_out, tt, yaw_d)[keep],
                "pitch_deg": np.interp(t_out, tt, pitch_d)[keep],
                "roll_deg": np.interp(t_out, tt, roll_d)[keep],
                "course_deg": np.rad2deg(np.interp(t_out, tt, psi))[keep],
                "speed_mps": np.interp(t_out, tt, ctl["speed"] * (not self.treadmill))[keep],
            }
            yield {"t_ms": t_ms[keep], "acc_g": acc_s[keep], "gyr_dps": gyr_s[keep], "series": series}

    def _toe_off(self, tt, ctl, gs):
        """toe_off(t_c): the end of the stance that starts at contact t_c (s), where the step's
        phase s reaches the stance fraction d (body.Forces: stance is s < d), interpolated on the
        grid; None while not purely running (walking keeps a foot down: no flight)."""
        sd = gs["s"] - ctl["duty"] * self.f["duty"][gs["step"]]
        run = ctl["wrun"] * ctl["env"]

        def toe_off(tc):
            i = int(np.searchsorted(tt, tc, side="right"))
            if i >= len(tt) or run[i] < 1.0:
                return None
            j = i + int(np.argmax(sd[i:] >= 0.0))
            if j <= i or sd[j] < 0.0:
                return None
            return float(tt[j - 1] + (tt[j] - tt[j - 1]) * (-sd[j - 1]) / (sd[j] - sd[j - 1]))

        return toe_off

    # ---- truth ----
    def steps(self):
        """Per-step facts (not written): contact time, side, heel strike, contact-time factor, impact."""
        rows = [(t, gi) for t, gi, _kk, _b in self.gait.contacts()]
        idx = np.array([gi for _t, gi in rows], dtype=np.int64)
        return {
            "t_s": np.array([t for t, _gi in rows]),
            "side": self.f["side"][idx],
            "heel": self.f["heel"][idx].astype(bool),
            "duty_factor": self.f["duty"][idx],
            "impact": self.f["imp"][idx],
        }

    def truth(self):
        r = self.runner
        sen = self.sensor
        sensor_d = {
            "mount_matrix": np.round(self.C, 6).tolist(),
            "tilt_pitch_deg": round(self.tilt[0], 3),
            "tilt_roll_deg": round(self.tilt[1], 3),
            "tilt_yaw_deg": round(self.tilt[2], 3),
            "filter": "boxcar over the sample period (t_i - 1/(rate (1 + odr_error)), t_i]",
            "ideal": self.ideal,
            "board": sen.board,
        }
        if self.effects["sensor_errors"]:
            sensor_d.update(sen.info())
        sensor_d["dropped"] = int(self.n_dropped)
        on = self.effects
        p_right = float(np.clip(r["heel_prob"] + r["heel_bias"], 0.05, 0.95))
        p_left = float(np.clip(r["heel_prob"] - r["heel_bias"], 0.05, 0.95))
        hidden = {
            "effects": dict(on),
            # lever arm of the sensor about the pelvis turning point, pelvis axes (x fwd, y left, z up), m
            "lever_arm_m": [round(v, 4) for v in r["lever_m"]] if on["lever_arm"] else None,
            # step-to-step variety
            "heel_prob": round(r["heel_prob"], 3) if on["step_variety"] else 1.0,
            "heel_prob_right": round(p_right, 3) if on["step_variety"] else 1.0,
            "heel_prob_left": round(p_left, 3) if on["step_variety"] else 1.0,
            "contact_cv": round(r["contact_cv"], 4) if on["step_variety"] else 0.02,
            "impact_sd": round(r["impact_sd"], 4) if on["step_variety"] else 0.25,
            # clock: samples at i / (rate (1 + odr_error)) true seconds; t_ms is true time
            "odr_error": round(sen.odr_error, 6),
            "clock_ppm": round(sen.odr_error * 1e6, 1),
            "true_rate_hz": round(self.rate * (1 + sen.odr_error), 4),
            # timing
            "jitter_ms": round(sen.jitter_sd_ms, 3) if on["timing"] else 0.0,
            "burst_frac": (round(sen.burst_frac, 4) if sen.burst_frac is not None else None) if on["timing"] else None,
            "dropouts_s": [[t, d] for t, d in sen.dropouts],
            "gyr_warmup_dps": np.round(sen.warmup, 3).tolist() if on["bias_warmup"] else [0.0, 0.0, 0.0],
            "gyr_warmup_tau_s": round(sen.warmup_tau, 1),
            # turns at speed
            "bank_frac": round(r["bank_frac"], 3),
        }
        return {
            "scenario": self.name,
            "seed": self.seed,
            "rate_hz": float(self.rate),
            "duration_s": round(self.duration, 3),
            "mount_up": self.mount_up,
            "mount_forward": self.mount_forward,
            "stand_pitch_deg": round(r["stand_pitch"], 3),
            "segments": self.truth_segs,
            "episodes": self.episodes,
            "strides": self.strides,
            "turns": [{"t_s": round(t, 3), "deg": round(a, 2), "dur_s": round(d, 3)} for t, a, d in self.turns],
            "gaps": [[round(a, 4), round(b, 4)] for a, b in self.gaps],
            "sensor": sensor_d,
            "hidden": hidden,
            "treadmill": self.treadmill,
        }


def _crc(name):
    import zlib

    return zlib.crc32(name.encode())
