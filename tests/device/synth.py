"""A tiny synthetic runner for device unit tests (runs under CPython and micropython).

Pelvis orientation R = Rz(yaw) Ry(pitch); yaw = A sin(2 pi f_stride t); pitch constant, or with
oscillations at harmonics of the stride frequency (``pitch_osc``: (harmonic, peak-to-peak deg) pairs).
Specific force in the world: vertical f(t) per step = flight (0 g) then a half-sine stance
peaking at ``peak_g``; forward, braking then propulsion within the stance (a full sine of peak
``brake_g``, zero net: a runner is slowest at mid-stance, where the force peaks - a bounce, not a
walker's pendulum; dynamics.py's energy phase). Body frame = sensor frame (mount_up=+z, mount_forward=+x).
Returns an array('h') in the sample buffer layout [dt (1/16 ms), ax..gz] at 4096 LSB/g, 32.8 LSB/dps.
"""
import math
from array import array

LSB_G = 4096
LSB_KDPS = 32800


def _c(v):
    v = int(round(v))
    return 32767 if v > 32767 else (-32768 if v < -32768 else v)


def samples(seconds, rate=100, lean_deg=0.0, rot_pp_deg=0.0, cadence=0, peak_g=2.6, stance=0.4,
            still=False, bias_dps=(0.0, 0.0, 0.0), t_start=0.0, pitch_osc=(), gyro_noise_dps=0.0,
            acc_bias_g=(0.0, 0.0, 0.0), acc_noise_g=0.0, brake_g=0.35, roll_pp_deg=0.0, clip_pitch_deg=0.0):
    """``gyro_noise_dps``, ``acc_noise_g``: white noise on each gyro and accelerometer axis,
    that rms (a sum of three uniform draws from a fixed linear congruential generator: near
    Gaussian, reaching 3 x rms, the same on every engine). ``roll_pp_deg``: the pelvis also rolls
    about its own forward axis, in phase with its yaw (R = Rz(yaw) Ry(pitch) Rx(roll)); the body
    rates are the ZYX Euler kinematics. ``clip_pitch_deg``: the sensor sits pitched forward by that
    much on the pelvis (both vectors turned by it: sensor = Ry(clip)^T body), the mount unchanged."""
    n = int(seconds * rate)
    seed = 12345
    buf = array("h", bytes(14 * n))
    th = math.radians(lean_deg)
    st_, ct = math.sin(th), math.cos(th)
    A = math.radians(rot_pp_deg) / 2
    Ar = math.radians(roll_pp_deg) / 2
    sc, cc = math.sin(math.radians(clip_pitch_deg)), math.cos(math.radians(clip_pitch_deg))
    step_T = 60.0 / cadence if cadence else 0.0
    fs = 1.0 / (2 * step_T) if cadence else 0.0
    acc_ms = 0.0
    prev_ms = 0
    for i in range(n):
        t = t_start + i / rate
        acc_ms = (i + 1) * 16000.0 / rate
        ms = int(acc_ms)
        dt = ms - prev_ms if i else int(16000 / rate)
        prev_ms = ms
        if still or not cadence:
            f = 1.0
            fa = 0.0
            yr = 0.0
            yaw = 0.0
        else:
            ph = (t % step_T) / step_T
            f = (peak_g * math.sin(math.pi * ph / stance)) if ph < stance else 0.0
            fa = (-brake_g * math.sin(2 * math.pi * ph / stance)) if ph < stance else 0.0
            yr = A * 2 * math.pi * fs * math.cos(2 * math.pi * fs * t)
            yaw = A * math.sin(2 * math.pi * fs * t)
        th_t = th
        pr = 0.0
        if cadence and not still:
            for h, pp in pitch_osc:
                w = 2 * math.pi * h * fs
                th_t += math.radians(pp) / 2 * math.sin(w * t)
                pr += math.radians(pp) / 2 * w * math.cos(w * t)
        st_, ct = math.sin(th_t), math.cos(th_t)
        # specific force and angular rate in the body frame
        # (the world's (fa, 0, f) turned by -yaw, then by -pitch)
        fx = fa * math.cos(yaw)
        ax, ay, az = ct * fx - st_ * f, -fa * math.sin(yaw), st_ * fx + ct * f
        gx, gy, gz = -st_ * yr, pr, ct * yr
        if Ar or clip_pitch_deg:
            ph2 = 2 * math.pi * fs * t
            phi = Ar * math.sin(ph2) if cadence and not still else 0.0
            phr = Ar * 2 * math.pi * fs * math.cos(ph2) if cadence and not still else 0.0
            sp, cp = math.sin(phi), math.cos(phi)
            # the roll turns y and z (Rx(roll)^T); the rates: p = roll' - yaw' sin(pitch), q = pitch'
            # cos(roll) + yaw' cos(pitch) sin(roll), r = -pitch' sin(roll) + yaw' cos(pitch) cos(roll)
            ay, az = cp * ay + sp * az, -sp * ay + cp * az
            gx, gy, gz = phr - st_ * yr, pr * cp + yr * ct * sp, -pr * sp + yr * ct * cp
            # the clip's pitch on the pelvis
            ax, az = cc * ax - sc * az, sc * ax + cc * az
            gx, gz = cc * gx - sc * gz, sc * gx + cc * gz
        nz = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        for k in range(6):
            rms = gyro_noise_dps if k < 3 else acc_noise_g
            if rms:
                u = 0
                for _ in range(3):
                    seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
                    u += seed
                # three uniforms on [0, 1) sum to mean 1.5, rms 0.5
                nz[k] = (u / 2147483648.0 - 1.5) * 2 * rms
        o = 7 * i
        buf[o] = dt
        buf[o + 1] = _c((ax + acc_bias_g[0] + nz[3]) * LSB_G)
        buf[o + 2] = _c((ay + acc_bias_g[1] + nz[4]) * LSB_G)
        buf[o + 3] = _c((az + acc_bias_g[2] + nz[5]) * LSB_G)
        buf[o + 4] = _c((math.degrees(gx) + bias_dps[0] + nz[0]) * LSB_KDPS / 1000)
        buf[o + 5] = _c((math.degrees(gy) + bias_dps[1] + nz[1]) * LSB_KDPS / 1000)
        buf[o + 6] = _c((math.degrees(gz) + bias_dps[2] + nz[2]) * LSB_KDPS / 1000)
    return buf


def concat(*bufs):
    out = array("h")
    for b in bufs:
        out.extend(b)
    return out


def events(det, buf, block=100):
    """Feed ``buf`` (the layout above) to detector ``det`` in blocks of ``block`` samples; return
    every event it queued, each as a list of its 8 words (events.py)."""
    out = []
    n = len(buf) // 7
    for s in range(0, n, block):
        m = min(block, n - s)
        ne = det.feed(array("h", buf[s * 7:(s + m) * 7]), m)
        q = det.q.buf
        for k in range(ne):
            out.append([q[k * 8 + j] for j in range(8)])
        det.q.clear()
    return out
