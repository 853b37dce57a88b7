"""The IMU: sampling on its own clock, the lever arm, the mount, sensor errors and board timing.

* Sampling: the chip's output data rate is off by a per-run error e (its internal oscillator:
  MPU-6500 and LSM6DSO datasheets give +-1-2 % over temperature), so sample i happens at the true
  time i / (rate (1 + e)). Each sample is the mean of the signal over its own period
  (t_i - 1/(rate (1 + e)), t_i] (a boxcar like the chip's decimation filter; half a sample of
  group delay). The body rate comes from the orientation itself (rotation vector of the
  body-frame increment between internal samples, never Euler-rate formulas).
* Lever arm: the sensor sits at r (pelvis frame) from the point the pelvis turns about, so it
  feels a_O + dw/dt x r + w x (w x r) on top of the pelvis point's acceleration.
* Written time: the host's clock, which is the true time, stamped with a small jitter (USB/BLE
  delivery), with three decimals; dropped samples leave gaps.
"""
from __future__ import annotations

import math

import numpy as np

from .body import FS_INT, G
from .geometry import body_rotvec, body_to_world, euler_to_quat, world_to_body
from .noise import stream

ACC_LSB_PER_G = 4096.0  # +-8 g full scale, int16
GYR_LSB_PER_DPS = 32.8  # +-1000 deg/s full scale, int16
NOISE_BLOCK = 4096  # output samples per block of sensor noise (noise is drawn per block, by index)

# Board timing profiles (effect "timing" and "bias_warmup").
BOARDS = {
    # a decent logger: ~0.1 % single dropped samples, a FIFO hiccup of 3-12 samples about every
    # 5 minutes, host stamps jittering by 0.1-0.4 ms (USB full-speed frames are 1 ms; stamps taken
    # on arrival of batched reads scatter by a fraction of that); MEMS gyro bias settles by
    # 0.2-0.8 deg/s over the first minutes as the die warms (datasheets: bias vs temperature
    # ~0.01-0.05 deg/s/K, the die warms by ~10-20 K on the body)
    "good": {"single_drop": 0.001, "burst_every_s": 300.0, "burst_len": (3, 13), "burst_frac": None,
             "dropouts": (0, 0), "jitter_ms": (0.1, 0.4), "warmup_dps": (0.2, 0.8), "warmup_tau_s": (60.0, 180.0)},
    # a cheap board (ESP32 + MPU-6050 on a breadboard, BLE notifications): 1-2 % of samples lost
    # in bursts of 2-8 (FIFO overruns while the radio is busy), one or two 0.3-0.5 s dropouts
    # (BLE connection-event misses), stamps jittering by 0.5-1.5 ms, and a gyro bias that warms
    # up by 1-3 deg/s with a time constant of a few minutes (no temperature compensation)
    "cheap": {"single_drop": 0.0, "burst_every_s": None, "burst_len": (2, 9), "burst_frac": (0.01, 0.02),
              "dropouts": (1, 2), "jitter_ms": (0.5, 1.5), "warmup_dps": (1.0, 3.0), "warmup_tau_s": (120.0, 300.0)},
}


def quantize(acc_g, gyr_dps):
    """int16 counts at +-8 g (4096 LSB/g) and +-1000 deg/s (32.8 LSB/(deg/s)), saturating; back in g, deg/s."""
    ca = np.clip(np.round(np.asarray(acc_g) * ACC_LSB_PER_G), -32768, 32767)
    cg = np.clip(np.round(np.asarray(gyr_dps) * GYR_LSB_PER_DPS), -32768, 32767)
    return ca / ACC_LSB_PER_G, cg / GYR_LSB_PER_DPS


def imu_window_means(tt, ypr, f_world, t_out, dT, lever_m=None, ypr_pelvis=None):
    """Body rate (deg/s) and specific force (g) in the sensor-carrying frame, averaged over each output period.

    ``tt`` is a stretch of the internal grid covering every window (t_i - dT, t_i]; ``ypr`` the
    (yaw, pitch, roll) of that frame. With ``lever_m`` (offset of the sensor from the pelvis
    turning point, pelvis axes, m) the specific force gets the rigid-body terms
    dw/dt x r + w x (w x r) of the pelvis rotation ``ypr_pelvis`` (w and dw/dt from the
    orientation on the internal grid).
    """
    h = 1.0 / FS_INT
    yaw, pitch, roll = ypr
    rv = body_rotvec(euler_to_quat(yaw, pitch, roll))  # (n-1, 3) body-frame increments, rad
    S_w = np.vstack([np.zeros((1, 3)), np.cumsum(rv, axis=0)])  # integral of body rate, rad
    if lever_m is not None:
        yp, pp, rp = ypr_pelvis if ypr_pelvis is not None else ypr
        rvp = rv if ypr_pelvis is None else body_rotvec(euler_to_quat(yp, pp, rp))
        lev = lever_accel(rvp / h, h, np.asarray(lever_m, float)) / G  # pelvis axes, inner nodes
        f_world = f_world.copy()
        f_world[1:-1] += body_to_world(yp[1:-1], pp[1:-1], rp[1:-1], lev)
    f_body = world_to_body(yaw, pitch, roll, f_world)
    S_f = np.vstack([np.zeros((1, 3)), np.cumsum(0.5 * (f_body[1:] + f_body[:-1]) * h, axis=0)])

    def window_mean(S, scale):
        hi = np.stack([np.interp(t_out, tt, S[:, c]) for c in range(3)], axis=-1)
        lo = np.stack([np.interp(t_out - dT, tt, S[:, c]) for c in range(3)], axis=-1)
        return (hi - lo) * (scale / dT)

    return window_mean(S_w, 180.0 / np.pi), window_mean(S_f, 1.0)


def rigid_point_accel(dw, w, r):
    """What a point ``r`` (m) from another on a rigid body feels more: dw/dt x r + w x (w x r)
    (m/s^2), for angular accelerations ``dw`` (rad/s^2) and rates ``w`` (rad/s), row by row."""
    return np.cross(dw, r) + np.cross(w, np.cross(w, r))


def lever_accel(w_mid, h, r):
    """dw/dt x r + w x (w x r) (m/s^2) at the inner grid nodes, from body rates between nodes (rad/s)."""
    return rigid_point_accel((w_mid[1:] - w_mid[:-1]) / h, 0.5 * (w_mid[1:] + w_mid[:-1]), r)


class Sensor:
    """Per-run sensor and board parameters, the sample clock, and the errors added per sample."""

    def __init__(self, seed, name, board, rate_hz, duration, effects, odr_error=None):
        self.seed, self.name = int(seed), name
        self.rate = float(rate_hz)
        self.effects = dict(effects)
        self.board = board
        prof = BOARDS[board]
        rng = stream(seed, name, "sensor")
        # draw everything, whatever is switched on, so switches change nothing else
        self.acc_scale = 1.0 + rng.uniform(-0.02, 0.02, 3)  # MEMS accel sensitivity tolerance +-2 %
        self.acc_bias = rng.uniform(-0.02, 0.02, 3)  # zero-g offset +-20 mg after board soldering
        self.gyr_scale = 1.0 + rng.uniform(-0.01, 0.01, 3)  # gyro sensitivity tolerance +-1 %
        self.gyr_bias = rng.uniform(0.5, 2.0, 3) * np.where(rng.random(3) < 0.5, -1.0, 1.0)  # ZRO +-0.5-2 deg/s
        e_drawn = float(rng.uniform(-0.015, 0.015))  # ODR error: internal oscillator +-1.5 %
        self.jitter_sd_ms = float(rng.uniform(*prof["jitter_ms"]))
        wu = rng.normal(size=3)
        self.warmup = wu / np.linalg.norm(wu) * float(rng.uniform(*prof["warmup_dps"]))  # deg/s, vector
        self.warmup_tau = float(rng.uniform(*prof["warmup_tau_s"]))
        # bursts and dropouts: times drawn now (compact), turned into sample indices below
        if prof["burst_frac"] is not None:
            frac = float(rng.uniform(*prof["burst_frac"]))
            mean_len = 0.5 * (prof["burst_len"][0] + prof["burst_len"][1] - 1)
            n_b = int(round(frac * duration * self.rate / mean_len))
        else:
            frac = None
            n_b = int(rng.poisson(duration / prof["burst_every_s"]))
        lens = rng.integers(prof["burst_len"][0], prof["burst_len"][1], n_b)
        b_t = rng.uniform(1.0, max(1.5, duration - 0.5), n_b)
        n_do = int(rng.integers(prof["dropouts"][0], prof["dropouts"][1] + 1))
        do_t = np.sort(rng.uniform(0.15, 0.85, n_do) * duration)
        do_len = rng.uniform(0.3, 0.5, n_do)  # s
        self.burst_frac = frac
        # the clock
        if not self.effects["clock"]:
            self.odr_error = 0.0
        else:
            self.odr_error = e_drawn if odr_error is None else float(odr_error)
        if not -0.05 <= self.odr_error <= 0.05:
            raise ValueError("odr_error must be within +-5 %%, got %r" % self.odr_error)
        self.dT = 1.0 / (self.rate * (1.0 + self.odr_error))  # true sample period, s
        self.n_out = int(math.floor(duration / self.dT + 1e-9))
        # lost samples (timing effect): bursts and dropouts as index ranges
        self.lost = []
        if self.effects["timing"]:
            for t, n in zip(b_t, lens):
                j = int(t / self.dT)
                self.lost.append((j, j + int(n)))
            for t, d in zip(do_t, do_len):
                j = int(t / self.dT)
                self.lost.append((j, j + int(round(d / self.dT))))
        self.dropouts = [(round(float(t), 3), round(float(d), 3)) for t, d in zip(do_t, do_len)] if self.effects["timing"] else []
        self._drift_start = {0: np.zeros(3)}
        self._blk: dict = {}

    # ---- clock ----
    def times(self, i0, i1):
        """True times (s) of output samples i0..i1-1."""
        return np.arange(i0, i1) * self.dT

    # ---- noise per block of NOISE_BLOCK samples ----
    def _block(self, b):
        x = self._blk.get(b)
        if x is None:
            rng = stream(self.seed, self.name, "sensor-noise", b)
            n = NOISE_BLOCK
            x = {
                "acc": rng.normal(0.0, 0.005, (n, 3)),  # accel noise density ~150-300 ug/rtHz x ~50 Hz bw
                "gyr": rng.normal(0.0, 0.1, (n, 3)),  # gyro noise ~0.01 dps/rtHz x ~50 Hz bw
                # bias random walk: 0.2 deg/s per axis after 10 min
                "walk": rng.normal(0.0, 0.2 / math.sqrt(600.0 * self.rate), (n, 3)),
                "jit": rng.normal(0.0, 1.0, n),
                "drop": self._drop_uniforms(b),
            }
            if len(self._blk) > 4:
                self._blk = {k: v for k, v in self._blk.items() if k >= b - 1}
            self._blk[b] = x
        return x

    def _drift_at_block(self, b):
        """Bias random-walk value at the start of block b (blocks are visited in order)."""
        k = max(j for j in self._drift_start if j <= b)
        while k < b:
            self._drift_start[k + 1] = self._drift_start[k] + self._block(k)["walk"].sum(axis=0)
            k += 1
        return self._drift_start[b]

    def _noise(self, i0, i1):
        parts = {k: [] for k in ("acc", "gyr", "walk", "drop", "jit", "drift")}
        for b in range(i0 // NOISE_BLOCK, (i1 - 1) // NOISE_BLOCK + 1):
            x = self._block(b)
            a, z = max(i0 - b * NOISE_BLOCK, 0), min(i1 - b * NOISE_BLOCK, NOISE_BLOCK)
            for k in ("acc", "gyr", "walk", "drop", "jit"):
                parts[k].append(x[k][a:z])
            parts["drift"].append(self._drift_at_block(b) + np.cumsum(x["walk"], axis=0)[a:z])
        return {k: np.concatenate(v) for k, v in parts.items()}

    def apply(self, acc, gyr, i0, i1):
        """Sensor errors, timing and written stamps for samples i0..i1-1 -> (acc, gyr, t_ms, keep)."""
        t = self.times(i0, i1)
        nz = self._noise(i0, i1)
        if self.effects["bias_warmup"]:
            gyr = gyr + self.warmup * (1.0 - np.exp(-t / self.warmup_tau))[:, None]
        if self.effects["sensor_errors"]:
            acc = acc * self.acc_scale + self.acc_bias + nz["acc"]
            gyr = gyr * self.gyr_scale + self.gyr_bias + nz["drift"] + nz["gyr"]
            acc, gyr = quantize(acc, gyr)
        keep = self.keep_mask(i0, i1, nz["drop"])
        t_ms = t * 1000.0
        if self.effects["timing"]:
            # host stamps jitter; clipped well inside a sample period so they stay in order
            lim = 0.4 * self.dT * 1000.0
            t_ms = t_ms + np.clip(self.jitter_sd_ms * nz["jit"], -lim, lim)
            if i0 == 0:
                t_ms[0] = 0.0
        return acc, gyr, t_ms, keep

    def keep_mask(self, i0, i1, u_drop=None):
        """Which of samples i0..i1-1 reach the host (timing effect: single drops, bursts, dropouts)."""
        keep = np.ones(i1 - i0, bool)
        if not self.effects["timing"]:
            return keep
        if u_drop is None:
            u_drop = self._noise(i0, i1)["drop"]
        keep &= u_drop >= BOARDS[self.board]["single_drop"]
        for a, z in self.lost:
            if z > i0 and a < i1:
                keep[max(a, i0) - i0 : min(z, i1) - i0] = False
        if i0 == 0:
            keep[0] = True  # the capture starts with a sample
        return keep

    def _drop_uniforms(self, b):
        """Per-sample uniforms deciding single dropped samples in noise block b (own stream)."""
        return stream(self.seed, self.name, "sensor-drop", b).random(NOISE_BLOCK)

    def dropped_total(self):
        """Number of samples lost over the whole run (known before synthesis, for a streamed header)."""
        if not self.effects["timing"]:
            return 0
        n = 0
        for b in range(0, (self.n_out + NOISE_BLOCK - 1) // NOISE_BLOCK):
            i0, i1 = b * NOISE_BLOCK, min(self.n_out, (b + 1) * NOISE_BLOCK)
            n += int(np.sum(~self.keep_mask(i0, i1, self._drop_uniforms(b)[: i1 - i0])))
        return n

    def info(self):
        return {
            "acc_scale": np.round(self.acc_scale, 5).tolist(),
            "acc_bias_g": np.round(self.acc_bias, 5).tolist(),
            "gyr_scale": np.round(self.gyr_scale, 5).tolist(),
            "gyr_bias_dps": np.round(self.gyr_bias, 4).tolist(),
            "acc_noise_g": 0.005,
            "gyr_noise_dps": 0.1,
        }
