"""Waist-IMU simulator: synthetic runs with exact truth for lean, rotation, roll and cadence.

A capture is built in three layers, in this order, so the signals are physically consistent:

1. **Plan** (per scenario, from the seed): a list of segments (standing / walking / running, with
   an optional form fault) carrying the control values of each stretch (lean, rotation, hip drop,
   cadence, speed ...), and a list of heading changes (turns, switchbacks).
2. **Pelvis trajectory** on a 1 kHz internal grid: a gait phase driven by the cadence (every
   integer of the step phase is a foot contact; even integers are right heel strikes), the
   pelvis orientation R = Rz(yaw) @ Ry(pitch) @ Rx(roll) in the body frame x forward, y left,
   z up, and the world acceleration of the pelvis (vertical ground-reaction per step with an
   exact impulse balance, braking/propulsion, mediolateral sway, speed changes, centripetal
   acceleration in turns).
3. **IMU**: body angular velocity from the orientation itself (relative quaternion between
   successive 1 kHz samples, never Euler-rate formulas) and specific force R^T (a + g e_z),
   both averaged over each output sample period (the chip's decimation filter; sample i covers
   (t_i - 1/rate, t_i], i.e. half a sample of group delay), rotated into the sensor's axes by the
   mount mapping and a small misalignment/tilt, then sensor errors: scale and bias, gyro bias
   random walk, white noise, int16 quantisation with saturation at +-8 g / +-1000 deg/s,
   dropped samples (gaps in t_ms) and +-1 ms timestamp jitter (samples themselves are on the
   true grid; only the written t_ms jitter).

Truth (``Capture.truth``, written beside the CSV as ``<stem>.truth.json``) follows the definitions
used by the detector: per stride (right heel strike to the next right heel strike) the mean of
pitch - stand_pitch (pitch = Euler pitch = atan2(-g_F, hypot(g_L, g_U)) with g = R^T e_z), the
peak-to-peak of yaw after removing the straight line between its end values, the peak-to-peak
of roll, and the cadence 120000 / (t1_ms - t0_ms). Truth is evaluated on the 1 kHz grid. The
truth angles are those of the waist segment that carries the sensor: they include the impact
nod and the soft-tissue wobble (zero-mean, 3-12 Hz), which is what an IMU there can measure.
Extra keys beyond the documented ones: ``sensor`` (mount matrix C with v_pelvis = C v_sensor,
the tilt, biases, scale errors, dropped-sample count) and ``treadmill``.

Model notes:

* "stance ~35-40 %" is read as a fraction of the stride (the duty factor): stance is 62-70 % of
  a step at 3 m/s (shorter when faster), so the stance pulse peaks near 2-2.3 g once the
  heel-strike transient (2-2.8 g on top, 28-40 ms wide) has taken its share of the step's
  impulse (a 35 %-of-a-step stance would need ~4.5 g pulses to carry the body weight); flight is
  near 0 g.
* the sample filter is a boxcar over one output period (like the chip's decimation filter; at
  104 Hz its -3 dB point is ~46 Hz, near the default ``lpf_hz`` of 42).
* timing: samples are on the true grid i / rate; only the written t_ms jitter by +-1 ms (10 %
  each way). About 0.1 % of samples are dropped, plus a burst of 3-12 about every 5 minutes.
* sensor errors: accel scale +-2 %, bias +-20 mg, noise 5 mg RMS; gyro scale +-1 %, bias
  0.5-2 deg/s per axis, random-walk drift ~0.2 deg/s per 10 min, noise 0.1 deg/s RMS; int16 at
  4096 LSB/g and 32.8 LSB/(deg/s), saturating at +-8 g and +-1000 deg/s.
* realism is checked against the SisFall waist jogging trials in ``tests/test_simulator.py``.

Usage::

    from hinge.simulate import simulate, write_capture
    cap = simulate("mixed", seed=3)              # Capture(t_ms, acc_g, gyr_dps, truth, series)
    write_capture(cap, "out/mixed.csv")          # + out/mixed.truth.json

    python -m hinge.simulate mixed --out out/mixed.csv --seed 3 [--minutes 4] [--rate 104] [--ideal]
    python -m hinge.simulate --list

Only numpy is used.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

G = 9.80665  # m/s^2 per g
FS_INT = 1000.0  # internal rate of the trajectory, Hz
PAD_S = 0.025  # internal grid starts this early, so the first output sample has a full filter window
ACC_LSB_PER_G = 4096.0  # +-8 g full scale, int16
GYR_LSB_PER_DPS = 32.8  # +-1000 deg/s full scale, int16
DEFAULT_RATE_HZ = 104.0
HEADER = "t_ms,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps"
ACTIVITIES = ("standing", "walking", "running")
FAULTS = ("upright", "swivel", "backward")


@dataclass
class Capture:
    """One simulated capture: samples in the IMU's own axes plus the truth dict.

    ``t_ms`` int64 (N,), ``acc_g`` (N,3) specific force in g, ``gyr_dps`` (N,3) deg/s, ``truth``
    as written to ``.truth.json``. ``series`` holds extra per-sample truth (not written): the true
    sample time ``t_s`` and the pelvis Euler angles ``yaw_deg``, ``pitch_deg``, ``roll_deg`` at
    the end of each sample's filter window.
    """

    t_ms: np.ndarray
    acc_g: np.ndarray
    gyr_dps: np.ndarray
    truth: dict
    series: dict = field(default_factory=dict, repr=False)


# --------------------------------------------------------------------------------------------
# small helpers


def _smoothstep(x):
    """0 -> 1 raised-cosine ramp on x in [0, 1] (clipped outside)."""
    x = np.clip(x, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def _smooth_noise(t, rng, period_s, n=8):
    """Zero-mean, unit-std smooth random signal with content around 1/period_s (sum of sines).

    Evaluated on a coarse grid (>= 40 points per shortest period) and interpolated.
    """
    f = np.exp(rng.uniform(np.log(0.4 / period_s), np.log(2.5 / period_s), n))
    ph = rng.uniform(0.0, 2 * np.pi, n)
    a = rng.normal(size=n)
    step = 1.0 / (40.0 * f.max())
    tg = np.arange(t[0], t[-1] + 2 * step, step)
    x = np.zeros_like(tg)
    for i in range(n):
        x += a[i] * np.sin(2 * np.pi * f[i] * tg + ph[i])
    return np.interp(t, tg, x) / math.sqrt(0.5 * float(np.sum(a * a)))


def _fft_len(n):
    """Smallest 2^a 3^b 5^c >= n (fast FFT sizes)."""
    best = 1 << max(0, (n - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


def _band_noise(n, fs, f_lo, f_hi, rng):
    """Unit-std Gaussian noise limited to [f_lo, f_hi] Hz (FFT mask), length n at fs Hz."""
    m = _fft_len(n)
    X = np.fft.rfft(rng.normal(size=m))
    fr = np.fft.rfftfreq(m, 1.0 / fs)
    X[(fr < f_lo) | (fr > f_hi)] = 0.0
    x = np.fft.irfft(X, m)[:n]
    return x / max(float(np.std(x)), 1e-12)


def _hip_pulse(s, peak):
    """Hip-drop shape over one step (s = 0..1 from contact): 0 at both ends, max 1 near ``peak``."""
    a = 2.5

    def g(x):
        return (x / peak) ** a * np.exp(a * (1 - x / peak))

    grid = np.linspace(0.0, 1.0, 2001)
    norm = float(np.max(g(grid) - grid * g(1.0)))
    return (g(s) - s * g(1.0)) / norm


def _axis_unit(name):
    """'+x' -> (index, sign)."""
    return "xyz".index(name[1]), (1.0 if name[0] == "+" else -1.0)


def mount_matrix(mount_up, mount_forward):
    """Nominal matrix C (3x3) with v_pelvis = C @ v_sensor for a mount config pair.

    Columns are the sensor axes in pelvis coordinates (x forward, y left, z up); left = up x
    forward, so the frame is right-handed.
    """
    ui, us = _axis_unit(mount_up)
    fi, fs = _axis_unit(mount_forward)
    if ui == fi:
        raise ValueError("mount_up=%s and mount_forward=%s must be perpendicular" % (mount_up, mount_forward))
    e = np.eye(3)
    # sensor unit vectors expressed in pelvis coords: sensor axis fi = fs*F, ui = us*U
    s_fwd = fs * e[fi]  # sensor coords of the forward direction
    s_up = us * e[ui]
    s_left = np.cross(s_up, s_fwd)
    # rows of C^T (pelvis axes in sensor coords): F, L, U  ->  C = [F; L; U]
    return np.vstack([s_fwd, s_left, s_up])


def _rx(a):
    c, s = math.cos(a), math.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _ry(a):
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _rz(a):
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def euler_to_quat(yaw, pitch, roll):
    """Quaternions (N,4) w,x,y,z of R = Rz(yaw) Ry(pitch) Rx(roll) (radians)."""
    cy, sy = np.cos(yaw / 2), np.sin(yaw / 2)
    cp, sp = np.cos(pitch / 2), np.sin(pitch / 2)
    cr, sr = np.cos(roll / 2), np.sin(roll / 2)
    return np.stack(
        [
            cr * cp * cy + sr * sp * sy,
            sr * cp * cy - cr * sp * sy,
            cr * sp * cy + sr * cp * sy,
            cr * cp * sy - sr * sp * cy,
        ],
        axis=-1,
    )


def euler_to_matrix(yaw, pitch, roll):
    """Rotation matrices (N,3,3) of R = Rz(yaw) Ry(pitch) Rx(roll) (radians)."""
    cy, sy = np.cos(yaw), np.sin(yaw)
    cp, sp = np.cos(pitch), np.sin(pitch)
    cr, sr = np.cos(roll), np.sin(roll)
    R = np.empty(np.shape(yaw) + (3, 3))
    R[..., 0, 0] = cy * cp
    R[..., 0, 1] = cy * sp * sr - sy * cr
    R[..., 0, 2] = cy * sp * cr + sy * sr
    R[..., 1, 0] = sy * cp
    R[..., 1, 1] = sy * sp * sr + cy * cr
    R[..., 1, 2] = sy * sp * cr - cy * sr
    R[..., 2, 0] = -sp
    R[..., 2, 1] = cp * sr
    R[..., 2, 2] = cp * cr
    return R


def _body_rotvec(q):
    """Rotation vectors (N-1,3) of the body-frame increments conj(q_k) * q_{k+1} (radians)."""
    w1, x1, y1, z1 = q[:-1, 0], -q[:-1, 1], -q[:-1, 2], -q[:-1, 3]
    w2, x2, y2, z2 = q[1:, 0], q[1:, 1], q[1:, 2], q[1:, 3]
    w = w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2
    v = np.stack(
        [
            w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
            w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
            w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
        ],
        axis=-1,
    )
    sgn = np.where(w < 0, -1.0, 1.0)
    w = w * sgn
    v = v * sgn[:, None]
    n = np.linalg.norm(v, axis=1)
    ang = 2.0 * np.arctan2(n, w)
    k = np.where(n > 1e-12, ang / np.maximum(n, 1e-300), 2.0 / np.maximum(w, 1e-12))
    return v * k[:, None]


def _world_to_body(yaw, pitch, roll, v):
    """R^T v for R = Rz Ry Rx, v (N,3) world -> (N,3) body."""
    cy, sy = np.cos(yaw), np.sin(yaw)
    x = cy * v[:, 0] + sy * v[:, 1]
    y = -sy * v[:, 0] + cy * v[:, 1]
    z = v[:, 2]
    cp, sp = np.cos(pitch), np.sin(pitch)
    x, z = cp * x - sp * z, sp * x + cp * z
    cr, sr = np.cos(roll), np.sin(roll)
    y, z = cr * y + sr * z, -sr * y + cr * z
    return np.stack([x, y, z], axis=-1)


# --------------------------------------------------------------------------------------------
# runner profile and plans

_KEYS = ("lean", "rot", "roll", "cad", "speed", "pit", "impact", "brake", "lean_sd")


def _runner(rng):
    """Per-runner parameters (good form), drawn from the seed."""
    return {
        "stand_pitch": float(rng.uniform(0.0, 6.0)),
        "run": {
            "lean": rng.uniform(7.0, 10.5),
            "rot": rng.uniform(9.5, 13.0),
            "roll": rng.uniform(6.0, 9.0),
            "cad": rng.uniform(163.0, 178.0),
            "speed": rng.uniform(2.7, 3.4),
            "pit": rng.uniform(1.5, 3.0),
            "impact": 1.0,
            "brake": 1.0,
            "lean_sd": 0.55,
        },
        "walk": {
            "lean": rng.uniform(1.0, 3.0),
            "rot": rng.uniform(6.0, 9.0),
            "roll": rng.uniform(5.0, 7.0),
            "cad": rng.uniform(104.0, 118.0),
            "speed": rng.uniform(1.3, 1.5),
            "pit": rng.uniform(1.5, 2.5),
            "impact": 1.0,
            "brake": 1.0,
            "lean_sd": 0.55,
        },
        # stance fraction of the step at 3 m/s (stance is 31-35 % of the stride)
        "duty": rng.uniform(0.62, 0.70),
        "imp_g": rng.uniform(2.0, 2.8),  # heel-strike transient above the stance pulse
        "imp_w": rng.uniform(0.028, 0.040),  # transient width, s
        "ring_g": rng.uniform(0.3, 0.6),  # soft-tissue ringing after the transient
        "ring_f": rng.uniform(14.0, 20.0),
        "brake_g": rng.uniform(0.30, 0.45),
        "ml_g": rng.uniform(0.12, 0.22),
        "nod_deg": rng.uniform(2.5, 3.5),  # impact nod of the waist (pitch), deg
        "nod_f": rng.uniform(7.0, 10.0),
        "nod_tau": rng.uniform(0.06, 0.085),
        "roll_nod_deg": rng.uniform(0.6, 1.0),
        "yaw_nod_deg": rng.uniform(0.25, 0.45),
        "yaw_phase": rng.uniform(-0.04, 0.04),  # cycles of the stride
        "yaw_h3": rng.uniform(0.12, 0.25),  # 3rd stride harmonic of the rotation (squarer wave)
        "yaw_h3_ph": rng.uniform(-0.5, 0.5),
        "pit_phase": rng.uniform(0.45, 0.7),  # step fraction of max anterior tilt (late stance, toe-off)
        # 2nd and 3rd step harmonics of the pitch rocking while running (deg, rad)
        "pit_harm": [(float(rng.uniform(0.7, 1.2)), float(rng.uniform(0, 2 * np.pi))),
                     (float(rng.uniform(0.4, 0.8)), float(rng.uniform(0, 2 * np.pi)))],
        "drop_peak": rng.uniform(0.14, 0.2),  # step fraction where the hip drop is deepest
        "wob_deg": rng.uniform(0.35, 0.6, 3) * np.array([1.2, 1.3, 0.45]),  # roll, pitch, yaw wobble std
        "asym": rng.uniform(-0.08, 0.08),  # left/right hip-drop asymmetry
        "tilt": (float(rng.uniform(2.0, 12.0)), float(rng.normal(0, 1.5)), float(rng.normal(0, 2.0))),
    }


class _Plan:
    """Builder of a segment list; times in seconds from the start."""

    def __init__(self, rng, runner):
        self.rng = rng
        self.r = runner
        self.segs = []
        self.turns = []  # (t_center_s, angle_deg, duration_s)
        self.t = 0.0
        self.spec = {}

    def add(self, activity, dur, fault=None, ramp=2.0, **over):
        base = self.r["run"] if activity == "running" else self.r["walk"]
        seg = {k: float(base[k]) for k in _KEYS}
        if activity == "standing":
            seg["speed"] = 0.0
            seg["lean"] = 0.0 if not self.segs else float(self.rng.normal(0.0, 0.4))
        seg.update({k: float(v) for k, v in over.items()})
        seg.update(activity=activity, fault=fault, t0=self.t, dur=float(dur), ramp=float(ramp))
        self.segs.append(seg)
        self.t += float(dur)
        return seg

    def run(self, dur, fault=None, ramp=2.0, **over):
        return self.add("running", dur, fault, ramp, **over)

    def fault(self, reason, dur, ramp=None):
        """A running stretch with a form fault at its typical size."""
        rng = self.rng
        ramp = float(rng.uniform(1.0, 3.0)) if ramp is None else ramp
        if reason == "upright":
            return self.run(dur, "upright", ramp, lean=rng.uniform(0.6, 1.5), lean_sd=0.3)
        if reason == "swivel":
            return self.run(dur, "swivel", ramp, rot=rng.uniform(30.5, 33.5), lean_sd=0.3)
        if reason == "backward":
            return self.run(dur, "backward", ramp, lean=rng.uniform(-7.0, -5.5), lean_sd=0.3)
        raise ValueError(reason)

    def turn(self, t_center, angle_deg, dur):
        self.turns.append((float(t_center), float(angle_deg), float(dur)))

    def road_turns(self, every=(60.0, 150.0), angle=(30.0, 90.0)):
        """Occasional turns inside running segments (not within 4 s of a segment boundary)."""
        t = float(self.rng.uniform(*every)) * 0.5
        while t < self.t:
            seg = self._seg_at(t)
            if seg["activity"] != "standing" and t - seg["t0"] > 4 and seg["t0"] + seg["dur"] - t > 4:
                a = float(self.rng.uniform(*angle)) * (1 if self.rng.random() < 0.5 else -1)
                self.turn(t, a, abs(a) / 90.0 * 3.0 + 1.0)
            t += float(self.rng.uniform(*every))

    def _seg_at(self, t):
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
            base = self.r["run"]
            last.update({k: float(base[k]) for k in _KEYS}, fault=None)
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
    """Trail: switchbacks of 90-180 deg every 30-60 s, climbs with more lean, a walked steep climb.

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
    # switchbacks: 90-180 deg every 30-60 s, alternating direction, while moving
    t = float(rng.uniform(20, 35))
    sign = 1
    while t < p.t:
        seg = p._seg_at(t)
        if seg["activity"] != "standing" and t - seg["t0"] > 3.5 and seg["t0"] + seg["dur"] - t > 3.5:
            a = float(rng.uniform(90, 180)) * sign
            p.turn(t, a, abs(a) / 180.0 * 4.0 + 1.0)
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
              rot=r["rot"] * rng.uniform(1.08, 1.18), impact=1.15, brake=1.2)
        p.run(rng.uniform(45, 80), ramp=rng.uniform(3.0, 5.0))
    p.road_turns()


def _b_plain(p, minutes):
    """Good form at the scenario's rate (rate_*) or mount (odd_mount: up -y, forward +x, 20 deg tilt)."""
    _stand_start(p)
    while p.t < minutes * 60:
        p.run(p.rng.uniform(50, 90), ramp=2.5)
    p.road_turns()


def _b_hip_drop(p, minutes):
    """Big hip drop (roll 16-19 deg per stride) with ordinary rotation: must not count as swivel."""
    rng = p.rng
    r = p.r["run"]
    r["roll"] = float(rng.uniform(16.0, 19.0))
    r["rot"] = float(rng.uniform(10.0, 13.0))
    p.r["walk"]["roll"] = float(rng.uniform(9.0, 12.0))
    _stand_start(p)
    while p.t < minutes * 60:
        p.run(rng.uniform(50, 90), ramp=2.5)
    p.road_turns()


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


# name -> (builder, default minutes, spec overrides)
_BUILDERS = {
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
}


# --------------------------------------------------------------------------------------------
# synthesis


def _controls(tt, segs, key):
    """Per-sample value of segment key ``key`` with raised-cosine ramps at the boundaries.

    A ramp of segment i's ``ramp`` seconds is centred on the boundary, except next to a standing
    segment, where it lies wholly inside the moving segment (standing stays still).
    """
    vals = np.array([s[key] for s in segs], float)
    t0s = np.array([s["t0"] for s in segs])
    idx = np.clip(np.searchsorted(t0s, tt, side="right") - 1, 0, len(segs) - 1)
    v = vals[idx]
    for i in range(1, len(segs)):
        dv = vals[i] - vals[i - 1]
        r = segs[i]["ramp"]
        if dv == 0.0 or r <= 0.0:
            continue
        b = t0s[i]
        if segs[i - 1]["activity"] == "standing":
            a0, a1 = b, b + r
        elif segs[i]["activity"] == "standing":
            a0, a1 = b - r, b
        else:
            a0, a1 = b - r / 2, b + r / 2
        j0, j1 = np.searchsorted(tt, [a0, a1])
        v[j0:j1] = vals[i - 1] + dv * _smoothstep((tt[j0:j1] - a0) / (a1 - a0))
    return v


class _Gait:
    """Per-sample gait state on the internal grid, and the contact times of each moving block."""

    def __init__(self, n):
        self.phi = np.zeros(n)  # step phase (cycles): contacts at integers, right heel strikes at even ones
        self.s = np.zeros(n)  # fraction of the current step since its contact
        self.dt_c = np.full(n, 10.0)  # time since the last contact, s (large while standing)
        self.T = np.full(n, 0.35)  # duration of the current step, s
        self.side = np.ones(n)  # -1 in right stance (left hip drops), +1 in left stance
        self.step = np.zeros(n, dtype=np.int64)  # global step index (per-step random factors)
        self.blocks = []  # (contact times, phase index of the first contact, block start, block end, first step)
        self.n_steps = 0


def _control_signals(tt, segs, runner, rng):
    """Smooth per-sample controls (lean, rotation, cadence, speed ...) from the segment list."""
    segs = [dict(s) for s in segs]
    for s in segs:
        s["env"] = 0.0 if s["activity"] == "standing" else 1.0  # gait envelope
        s["wrun"] = 1.0 if s["activity"] == "running" else 0.0  # running vs walking style
    # standing segments borrow cadence / gait style of their moving neighbour (no effect while still)
    for i, s in enumerate(segs):
        if s["activity"] == "standing":
            nb = [segs[j] for j in (i + 1, i - 1) if 0 <= j < len(segs) and segs[j]["activity"] != "standing"]
            if nb:
                s["cad"], s["wrun"] = nb[0]["cad"], nb[0]["wrun"]
    ctl = {k: _controls(tt, segs, k) for k in _KEYS + ("env", "wrun")}
    # slow, smooth within-run variability
    ctl["lean"] = ctl["lean"] + ctl["lean_sd"] * ctl["env"] * _smooth_noise(tt, rng, 40.0)
    # (bounded: +-7.5 %, so a fault's size stays a fault and good form stays good)
    ctl["rot"] = ctl["rot"] * (1 + 0.075 * np.tanh(_smooth_noise(tt, rng, 60.0) / 1.5))
    ctl["roll"] = ctl["roll"] * (1 + 0.06 * _smooth_noise(tt, rng, 60.0))
    ctl["cad"] = ctl["cad"] + 1.5 * _smooth_noise(tt, rng, 50.0)
    ctl["speed"] = ctl["speed"] * (1 + 0.03 * _smooth_noise(tt, rng, 45.0))
    # stance fraction of the step: shorter at higher speed (running only)
    ctl["duty"] = np.clip(runner["duty"] - 0.05 * (ctl["speed"] - 3.0), 0.5, 0.78)
    return ctl


def _gait_phase(tt, segs, cad, start_moving, rng):
    """Integrate the cadence over each block of consecutive moving segments into a step phase.

    Each block starts with a right heel strike (phase 0) at its first sample, or exactly at t = 0
    for a capture that starts moving. Step-to-step timing varies by ~1.7 % (phase warp).
    """
    h = 1.0 / FS_INT
    g = _Gait(len(tt))
    moving = [s["activity"] != "standing" for s in segs]
    spans = []
    i = 0
    while i < len(segs):
        if moving[i]:
            j = i
            while j + 1 < len(segs) and moving[j + 1]:
                j += 1
            t_a, t_b = segs[i]["t0"], segs[j]["t0"] + segs[j]["dur"]
            spans.append((tt[0] if t_a <= 0 and start_moving else t_a, t_b))
            i = j + 1
        else:
            i += 1
    for ta, tb in spans:
        j0, j1 = np.searchsorted(tt, [ta - 1e-9, tb - 1e-9])
        f = cad[j0:j1] / 60.0
        p0 = np.concatenate([[0.0], np.cumsum(f[:-1]) * h])
        if ta < 0:  # started before t=0 (no standing start): contact exactly at t = 0
            p0 = p0 - np.interp(0.0, tt[j0:j1], p0)
        nodes = np.arange(int(math.floor(p0[0])), int(math.floor(p0[-1])) + 3, dtype=float)
        jit = rng.normal(0.0, 0.012, len(nodes))
        jit[nodes == 0] = 0.0
        p = p0 + np.interp(p0, nodes, jit)
        ks = np.arange(int(math.floor(p[0])), int(math.floor(p[-1])) + 2)
        tc = np.interp(ks, p, tt[j0:j1])
        # contacts outside the block: extrapolated with the local cadence
        lo, hi = ks < p[0], ks > p[-1]
        tc[lo] = tt[j0] - (p[0] - ks[lo]) / f[0]
        tc[hi] = tt[j1 - 1] + (ks[hi] - p[-1]) / f[-1]
        k = np.floor(p).astype(np.int64)
        ki = k - ks[0]
        g.phi[j0:j1] = p
        g.s[j0:j1] = p - k
        g.dt_c[j0:j1] = tt[j0:j1] - tc[ki]
        g.T[j0:j1] = tc[ki + 1] - tc[ki]
        g.side[j0:j1] = np.where(k % 2 == 0, -1.0, 1.0)
        g.step[j0:j1] = g.n_steps + ki
        g.blocks.append((tc, int(ks[0]), ta, tb, g.n_steps))
        g.n_steps += len(ks)
    return g


def _heading(tt, turns, treadmill, rng):
    """Course heading (rad): a slow meander plus raised-cosine turns; constant on a treadmill."""
    if treadmill:
        return np.zeros(len(tt))
    psi = np.deg2rad(float(rng.uniform(-180, 180)) + 4.0 * _smooth_noise(tt, rng, 40.0))
    for t_c, ang, dur in turns:
        psi = psi + np.deg2rad(ang) * _smoothstep((tt - (t_c - dur / 2)) / dur)
    return psi


def _orientation(tt, ctl, g, psi_c, runner, f, rng):
    """Pelvis yaw, pitch, roll (rad) on the internal grid; ``f`` holds per-step/stride factors."""
    env, wrun = ctl["env"], ctl["wrun"]
    n = len(tt)
    d2r = np.pi / 180.0
    run_w = env * wrun  # weight of running-only features
    # impact nod: a damped oscillation of the waist started by each foot contact
    dtp = np.maximum(g.dt_c, 0.0)
    nod = np.where(g.dt_c >= 0, np.exp(-dtp / runner["nod_tau"]) * np.sin(2 * np.pi * runner["nod_f"] * dtp), 0.0)
    nod_w = env * (wrun + 0.45 * (1 - wrun))
    # soft-tissue / belt wobble of the waist: band-limited random motion while moving
    wob = [_band_noise(n, FS_INT, 3.0, 12.0, rng) for _ in range(3)]
    wob_w = env * (wrun + 0.5 * (1 - wrun))
    # hip drop: a skewed pulse per step, fast drop after contact and slower recovery
    hs = _hip_pulse(g.s, runner["drop_peak"])
    asym = 1.0 + runner["asym"] * g.side
    sway_p = 0.15 * _smooth_noise(tt, rng, 4.0)  # postural sway while standing
    sway_r = 0.10 * _smooth_noise(tt, rng, 4.0)
    ph2 = np.pi * g.phi  # stride phase, rad (a stride is two steps)

    def yaw_shape(x):  # stride-periodic rotation waveform, scaled below to a peak-to-peak of 2
        return np.cos(x - 2 * np.pi * runner["yaw_phase"]) + runner["yaw_h3"] * np.cos(3 * x - runner["yaw_h3_ph"])

    yaw_osc = yaw_shape(ph2) * (2.0 / float(np.ptp(yaw_shape(np.linspace(0, 2 * np.pi, 3601)))))
    yaw = psi_c + d2r * (
        env * ctl["rot"] / 2 * f["rot"] * yaw_osc
        + run_w * runner["yaw_nod_deg"] * g.side * nod
        + wob_w * runner["wob_deg"][2] * wob[2]
    )
    step_ph = 2 * np.pi * g.phi
    pit_osc = ctl["pit"] / 2 * np.cos(step_ph - 2 * np.pi * runner["pit_phase"])
    for hh, (amp, ph) in enumerate(runner["pit_harm"], start=2):
        pit_osc = pit_osc + wrun * amp * np.cos(hh * step_ph - ph)
    pitch = d2r * (
        runner["stand_pitch"]
        + ctl["lean"]
        + (1 - env) * sway_p
        + env * pit_osc
        + nod_w * runner["nod_deg"] * f["nod"] * nod
        + wob_w * runner["wob_deg"][1] * wob[1]
    )
    roll = d2r * (
        (1 - env) * sway_r
        + env * ctl["roll"] / 2 * f["roll"] * asym * g.side * hs
        + run_w * runner["roll_nod_deg"] * g.side * f["nod"] * nod
        + wob_w * runner["wob_deg"][0] * wob[0]
    )
    return yaw, pitch, roll


def _world_specific_force(tt, ctl, g, psi_c, runner, f, treadmill, rng):
    """Specific force a/g + e_z of the pelvis in the world frame (g), shape (n, 3).

    Vertical: per running step a stance pulse (time-warped half sine) plus a heel-strike
    transient and soft-tissue ringing, scaled so the step's mean is exactly 1 g (momentum balance),
    then flight near 0 g; walking: 1 g +- 0.3 g at step frequency. Fore-aft along the course:
    braking then propulsion within stance (zero net per step), speed changes, belt effects.
    Mediolateral: sway at stride frequency, a sideways kick at contact, centripetal in turns.
    """
    h = 1.0 / FS_INT
    env, wrun = ctl["env"], ctl["wrun"]
    s, dt_c, T = g.s, g.dt_c, g.T
    d = ctl["duty"] * f["duty"]
    w = runner["imp_w"]
    I_imp = runner["imp_g"] * f["imp"] * ctl["impact"]
    ring_w = 2 * np.pi * runner["ring_f"]
    ring_tau = 0.03
    spike = np.where((dt_c >= 0) & (dt_c < w), np.sin(np.pi * np.clip(dt_c, 0, w) / w), 0.0)
    xr = dt_c - w
    ring = np.where(xr >= 0, np.exp(-np.maximum(xr, 0) / ring_tau) * np.sin(ring_w * xr), 0.0)
    ring_area = ring_w / (ring_w**2 + ring_tau**-2)  # integral of the unit ringing, s
    R_g = runner["ring_g"] * ctl["impact"]
    stance = s < d
    # stance pulse: a half sine time-warped to peak at 40 % of stance (loading is faster than push-off)
    gam = math.log(0.5) / math.log(0.4)
    shape_area = float(np.mean(np.sin(np.pi * np.linspace(0.0, 1.0, 4001) ** gam)))
    P = (T - I_imp * 2 * w / np.pi - R_g * ring_area) / (shape_area * d * T)
    fz_run = np.where(stance, P * np.sin(np.pi * np.minimum(s / d, 1.0) ** gam), 0.0) + I_imp * spike + R_g * ring
    aw = 0.25
    fz_walk = (
        1.0
        + aw * np.cos(2 * np.pi * (s - 0.08))
        + 0.3 * aw * np.cos(4 * np.pi * (s - 0.1))
        + 0.3 * spike
        - 0.3 * 2 * w / np.pi / T
    )
    fz = 1.0 + env * (wrun * (fz_run - 1.0) + (1 - wrun) * (fz_walk - 1.0))

    B = runner["brake_g"] * f["brake"] * ctl["brake"]
    IF = 0.3 * I_imp
    af_run = np.where(stance, -B * np.sin(2 * np.pi * np.minimum(s / d, 1.0)) + IF * (2 * w / np.pi) / (d * T), 0.0)
    af_run = af_run - IF * spike
    af_walk = 0.2 * np.sin(2 * np.pi * (s - 0.05))
    a_long = env * (wrun * af_run + (1 - wrun) * af_walk)
    a_lat = env * (runner["ml_g"] * (0.6 + 0.4 * wrun) * np.sin(np.pi * g.phi) + 0.12 * wrun * I_imp * g.side * spike)
    if treadmill:
        # deck vibration after each contact, belt-speed dips (the larger per-step braking
        # variability) and a slow drift of the runner along the belt; no course speed, no turns
        deck = env * wrun * 0.15 * np.exp(-np.maximum(dt_c, 0) / 0.05) * np.sin(2 * np.pi * 22.0 * dt_c) * (dt_c >= 0)
        fz = fz + deck
        a_long = a_long + 0.5 * deck
        drift = 0.15 * _smooth_noise(tt, rng, 15.0)  # m along the belt
        a_long = a_long + np.gradient(np.gradient(drift, h), h) / G
    else:
        a_long = a_long + np.gradient(ctl["speed"], h) / G
        a_lat = a_lat + ctl["speed"] * np.gradient(psi_c, h) / G
    cpsi, spsi = np.cos(psi_c), np.sin(psi_c)
    return np.stack([cpsi * a_long - spsi * a_lat, spsi * a_long + cpsi * a_lat, fz], axis=-1)


def _sample_imu(tt, yaw, pitch, roll, f_world, rate_hz, n_out):
    """Body rate (deg/s) and specific force (g) in pelvis axes, averaged over each output period.

    The body rate comes from the orientation itself: the rotation vector of the body-frame
    increment conj(q_k) q_k+1 between internal samples. Sample i is the mean over
    (t_i - 1/rate, t_i], the integral read off the running sums.
    """
    h = 1.0 / FS_INT
    q = euler_to_quat(yaw, pitch, roll)
    S_w = np.vstack([np.zeros((1, 3)), np.cumsum(_body_rotvec(q), axis=0)])  # integral of body rate, rad
    f_body = _world_to_body(yaw, pitch, roll, f_world)
    S_f = np.vstack([np.zeros((1, 3)), np.cumsum(0.5 * (f_body[1:] + f_body[:-1]) * h, axis=0)])
    t_out = np.arange(n_out) / rate_hz
    dT = 1.0 / rate_hz

    def window_mean(S, scale):
        hi = np.stack([np.interp(t_out, tt, S[:, c]) for c in range(3)], axis=-1)
        lo = np.stack([np.interp(t_out - dT, tt, S[:, c]) for c in range(3)], axis=-1)
        return (hi - lo) * (scale / dT)

    return t_out, window_mean(S_w, 180.0 / np.pi), window_mean(S_f, 1.0)


def _sensor_errors(acc, gyr, t_out, rate_hz, duration, srng):
    """Scale, bias, bias random walk, noise, int16 quantisation/saturation, drops, stamp jitter."""
    n_out = len(t_out)
    acc_scale = 1.0 + srng.uniform(-0.02, 0.02, 3)
    acc_bias = srng.uniform(-0.02, 0.02, 3)
    gyr_scale = 1.0 + srng.uniform(-0.01, 0.01, 3)
    gyr_bias = srng.uniform(0.5, 2.0, 3) * np.where(srng.random(3) < 0.5, -1.0, 1.0)
    walk_sd = 0.2 / math.sqrt(600.0 * rate_hz)  # 0.2 deg/s per axis after 10 min
    drift = np.cumsum(srng.normal(0.0, walk_sd, (n_out, 3)), axis=0)
    acc = acc * acc_scale + acc_bias + srng.normal(0.0, 0.005, (n_out, 3))
    gyr = gyr * gyr_scale + gyr_bias + drift + srng.normal(0.0, 0.1, (n_out, 3))
    acc, gyr = quantize(acc, gyr)
    drop = srng.random(n_out) < 0.001
    # rare FIFO hiccups: a burst of 3-12 consecutive samples lost, about one per 5 minutes
    for _ in range(srng.poisson(duration / 300.0)):
        j = int(srng.integers(1, max(2, n_out - 20)))
        drop[j : j + int(srng.integers(3, 13))] = True
    drop[0] = False
    jit = srng.choice(np.array([-1, 0, 1]), n_out, p=[0.1, 0.8, 0.1])
    t_ms = np.maximum(np.round(t_out * 1000.0).astype(np.int64) + jit, 0)
    t_ms[0] = 0
    info = {
        "acc_scale": np.round(acc_scale, 5).tolist(),
        "acc_bias_g": np.round(acc_bias, 5).tolist(),
        "gyr_scale": np.round(gyr_scale, 5).tolist(),
        "gyr_bias_dps": np.round(gyr_bias, 4).tolist(),
        "gyr_drift_end_dps": np.round(drift[-1], 4).tolist(),
        "acc_noise_g": 0.005,
        "gyr_noise_dps": 0.1,
        "jitter_ms": "+-1 on written t_ms; samples on the true grid",
    }
    return acc, gyr, t_ms, ~drop, info


def _truth_segments(segs):
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


def _truth_strides(g, yaw_d, pitch_d, roll_d, stand_pitch, truth_segs, duration):
    """Per stride (right heel strike to the next): lean, rotation, roll, cadence on the 1 kHz grid."""
    seg_t0 = np.array([sg["t0_ms"] for sg in truth_segs])
    dur_ms = int(round(duration * 1000))
    strides = []
    for tc, k0, ta, tb, _ in g.blocks:
        first = k0 + ((-k0) % 2)  # first even (right) contact
        for kk in range(first, k0 + len(tc) - 2, 2):
            t0, t1 = tc[kk - k0], tc[kk - k0 + 2]
            if t0 < max(ta, 0.0) - 1e-6 or t1 > tb + 1e-6 or t1 > duration:
                continue
            t0_ms, t1_ms = int(round(t0 * 1000)), int(round(t1 * 1000))
            act = truth_segs[int(np.searchsorted(seg_t0, (t0_ms + t1_ms) // 2, side="right") - 1)]["activity"]
            if act == "standing" or t1_ms <= t0_ms or t1_ms > dur_ms:
                continue
            i0 = int(round((t0_ms / 1000.0 + PAD_S) * FS_INT))
            i1 = int(round((t1_ms / 1000.0 + PAD_S) * FS_INT))
            y = yaw_d[i0 : i1 + 1]
            yl = y - (y[0] + (y[-1] - y[0]) * np.linspace(0.0, 1.0, len(y)))
            r = roll_d[i0 : i1 + 1]
            strides.append(
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
    return strides


def _synthesize(name, spec, segs, turns, runner, rate_hz, rng, ideal, seed):
    duration = float(sum(s["dur"] for s in segs))
    n_int = int(round((duration + PAD_S + 0.003) * FS_INT)) + 1
    tt = np.arange(n_int) / FS_INT - PAD_S
    treadmill = bool(spec.get("treadmill"))

    ctl = _control_signals(tt, segs, runner, rng)
    g = _gait_phase(tt, segs, ctl["cad"], bool(spec.get("start_moving")), rng)

    # per-step random factors (and per-stride for the rotation amplitude)
    ns = max(g.n_steps, 1)
    f_imp = np.exp(rng.normal(0.0, 0.25, ns))
    for t_land in spec.get("landings", ()):  # hard landings (drop-offs on trail): ~4x the usual impact
        for tc, _k0, ta, tb, first in g.blocks:
            if ta <= t_land < tb:
                f_imp[first + int(np.argmin(np.abs(tc - t_land)))] = 4.0
    f = {
        "imp": f_imp[g.step],
        "roll": np.exp(rng.normal(0.0, 0.08, ns))[g.step],
        "nod": np.exp(rng.normal(0.0, 0.35, ns))[g.step],
        "brake": np.exp(rng.normal(0.0, 0.3 if treadmill else 0.15, ns))[g.step],
        "duty": (1.0 + rng.normal(0.0, 0.02, ns))[g.step],
    }
    phis = g.phi / 2.0
    m_nodes = np.arange(math.floor(phis.min()) - 1, math.ceil(phis.max()) + 2, dtype=float)
    f["rot"] = np.interp(phis, m_nodes, np.exp(np.clip(rng.normal(0.0, 0.06, len(m_nodes)), -0.08, 0.08)))

    psi_c = _heading(tt, turns, treadmill, rng)
    yaw, pitch, roll = _orientation(tt, ctl, g, psi_c, runner, f, rng)
    f_world = _world_specific_force(tt, ctl, g, psi_c, runner, f, treadmill, rng)
    n_out = int(math.floor(duration * rate_hz + 1e-9))
    t_out, gyr_p, acc_p = _sample_imu(tt, yaw, pitch, roll, f_world, rate_hz, n_out)

    # mount: pelvis -> sensor axes (nominal mapping, then misalignment / clip tilt about the pelvis axes)
    mu = spec.get("mount_up", "+x")
    mf = spec.get("mount_forward", "-z")
    tp, tr, ty = runner["tilt"]
    if "tilt_pitch" in spec:
        tp = float(spec["tilt_pitch"]) + float(rng.normal(0, 1.0))
    C = _rz(math.radians(ty)) @ _ry(math.radians(tp)) @ _rx(math.radians(tr)) @ mount_matrix(mu, mf)
    acc_s = acc_p @ C  # row-wise C^T v
    gyr_s = gyr_p @ C

    sensor = {
        "mount_matrix": np.round(C, 6).tolist(),
        "tilt_pitch_deg": round(tp, 3),
        "tilt_roll_deg": round(tr, 3),
        "tilt_yaw_deg": round(ty, 3),
        "filter": "boxcar over the sample period (t_i - 1/rate, t_i]",
        "ideal": bool(ideal),
    }
    if ideal:
        t_ms = np.round(t_out * 1000.0).astype(np.int64)
        keep = np.ones(n_out, bool)
    else:
        srng = np.random.default_rng([seed, zlib.crc32(name.encode()), 7])
        acc_s, gyr_s, t_ms, keep, info = _sensor_errors(acc_s, gyr_s, t_out, rate_hz, duration, srng)
        sensor.update(info)
    sensor["dropped"] = int(np.sum(~keep))

    truth_segs, episodes = _truth_segments(segs)
    yaw_d, pitch_d, roll_d = np.rad2deg(yaw), np.rad2deg(pitch), np.rad2deg(roll)
    strides = _truth_strides(g, yaw_d, pitch_d, roll_d, runner["stand_pitch"], truth_segs, duration)
    truth = {
        "scenario": name,
        "seed": int(seed),
        "rate_hz": float(rate_hz),
        "duration_s": round(duration, 3),
        "mount_up": mu,
        "mount_forward": mf,
        "stand_pitch_deg": round(runner["stand_pitch"], 3),
        "segments": truth_segs,
        "episodes": episodes,
        "strides": strides,
        "sensor": sensor,
        "treadmill": treadmill,
    }
    series = {
        "t_s": t_out[keep],
        "yaw_deg": np.interp(t_out, tt, yaw_d)[keep],
        "pitch_deg": np.interp(t_out, tt, pitch_d)[keep],
        "roll_deg": np.interp(t_out, tt, roll_d)[keep],
    }
    return Capture(t_ms[keep], acc_s[keep], gyr_s[keep], truth, series)


def quantize(acc_g, gyr_dps):
    """int16 counts at +-8 g (4096 LSB/g) and +-1000 deg/s (32.8 LSB/(deg/s)), saturating; back in g, deg/s."""
    ca = np.clip(np.round(np.asarray(acc_g) * ACC_LSB_PER_G), -32768, 32767)
    cg = np.clip(np.round(np.asarray(gyr_dps) * GYR_LSB_PER_DPS), -32768, 32767)
    return ca / ACC_LSB_PER_G, cg / GYR_LSB_PER_DPS


# --------------------------------------------------------------------------------------------
# public API


def simulate(name: str, seed: int = 0, minutes: float | None = None, rate_hz: float | None = None,
             ideal: bool = False) -> Capture:
    """Simulate scenario ``name`` (see ``SCENARIOS``) and return a :class:`Capture`.

    ``minutes`` overrides the scenario's default length, ``rate_hz`` its output rate (50-200 Hz).
    ``ideal=True`` keeps the same trajectory and mount but turns off sensor errors (bias, scale,
    drift, noise, quantisation, saturation, dropped samples, timestamp jitter).
    """
    if name not in _BUILDERS:
        raise ValueError("unknown scenario %r; one of: %s" % (name, ", ".join(_BUILDERS)))
    builder, default_min, spec = _BUILDERS[name]
    minutes = default_min if minutes is None else float(minutes)
    if minutes <= 0:
        raise ValueError("minutes must be positive")
    rate = float(rate_hz if rate_hz is not None else spec.get("rate_hz", DEFAULT_RATE_HZ))
    if not 50.0 <= rate <= 200.0:
        raise ValueError("rate_hz must be within 50..200, got %r" % rate)
    rng = np.random.default_rng([int(seed), zlib.crc32(name.encode())])
    runner = _runner(rng)
    p = _Plan(rng, runner)
    p.spec = dict(spec)
    builder(p, minutes)
    p.trim(minutes * 60.0)
    return _synthesize(name, p.spec, p.segs, p.turns, runner, rate, rng, ideal, seed)


def _make_entry(name):
    def run(seed: int = 0, minutes: float | None = None, rate_hz: float | None = None, ideal: bool = False):
        return simulate(name, seed=seed, minutes=minutes, rate_hz=rate_hz, ideal=ideal)

    run.__name__ = name
    run.__doc__ = "simulate(%r, ...) (default %.0f min)" % (name, _BUILDERS[name][1])
    return run


SCENARIOS = {name: _make_entry(name) for name in _BUILDERS}


def truth_path(csv_path) -> Path:
    """``run.csv`` -> ``run.truth.json``."""
    p = Path(csv_path)
    return p.with_suffix(".truth.json") if p.suffix else p.with_name(p.name + ".truth.json")


def write_capture(cap: Capture, path) -> None:
    """Write the CSV (with ``#`` comment lines) and the truth JSON beside it."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    tr = cap.truth
    head = [
        "# hinge simulated IMU capture (hinge.simulate)",
        "# scenario=%s seed=%d rate_hz=%g duration_s=%g" % (tr["scenario"], tr["seed"], tr["rate_hz"], tr["duration_s"]),
        "# mount_up=%s mount_forward=%s" % (tr["mount_up"], tr["mount_forward"]),
        "# ideal=%s dropped=%d truth=%s" % (str(tr["sensor"]["ideal"]).lower(), tr["sensor"]["dropped"], truth_path(path).name),
        "# axes: IMU's own, right-handed; acc = specific force in g; gyro in deg/s",
        HEADER,
    ]
    a, g = cap.acc_g, cap.gyr_dps
    rows = "\n".join(
        "%d,%.5f,%.5f,%.5f,%.3f,%.3f,%.3f" % r
        for r in zip(cap.t_ms.tolist(), *a.T.tolist(), *g.T.tolist())
    )
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(head) + "\n" + rows + "\n")
    with open(truth_path(path), "w", encoding="utf-8") as f:
        json.dump(tr, f, indent=1)
        f.write("\n")


def read_truth(csv_path) -> dict:
    """The truth dict written beside ``csv_path``."""
    with open(truth_path(csv_path), encoding="utf-8") as f:
        return json.load(f)


def read_capture(csv_path) -> Capture:
    """Read a capture CSV (and its truth, when present) back into a :class:`Capture`."""
    with open(csv_path, encoding="utf-8") as f:
        lines = [ln for ln in f if ln.strip() and not ln.startswith("#") and not ln.startswith("t_ms")]
    data = np.array([ln.split(",") for ln in lines], dtype=float).reshape(-1, 7)
    return Capture(data[:, 0].astype(np.int64), data[:, 1:4], data[:, 4:7],
                   read_truth(csv_path) if truth_path(csv_path).exists() else {})


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="hinge simulate", description="Simulate a waist-IMU capture with truth.")
    ap.add_argument("scenario", nargs="?", help="scenario name (see --list)")
    ap.add_argument("--out", help="output CSV path (truth JSON is written beside it)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--minutes", type=float, default=None)
    ap.add_argument("--rate", type=float, default=None, help="output rate, Hz (50-200)")
    ap.add_argument("--ideal", action="store_true", help="no sensor errors (bias, noise, drops, jitter ...)")
    ap.add_argument("--list", action="store_true", help="list scenarios and exit")
    args = ap.parse_args(argv)
    if args.list:
        for nm, (fn, mins, spec) in _BUILDERS.items():
            doc = (fn.__doc__ or "").strip().splitlines()[0]
            print("%-18s %4.1f min %5g Hz  %s" % (nm, mins, spec.get("rate_hz", DEFAULT_RATE_HZ), doc))
        return 0
    if not args.scenario or not args.out:
        ap.error("need SCENARIO and --out (or --list)")
    if args.scenario not in _BUILDERS:
        ap.error("unknown scenario %r (see --list)" % args.scenario)
    t0 = time.perf_counter()
    cap = simulate(args.scenario, seed=args.seed, minutes=args.minutes, rate_hz=args.rate, ideal=args.ideal)
    write_capture(cap, args.out)
    tr = cap.truth
    print("%s: %d samples, %.1f s at %g Hz, %d strides, %d episodes -> %s (%.2f s)" % (
        args.scenario, len(cap.t_ms), tr["duration_s"], tr["rate_hz"], len(tr["strides"]),
        len(tr["episodes"]), args.out, time.perf_counter() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
