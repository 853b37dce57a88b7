"""The energy phase's lever share (dynamics._lever_phase, D_EPL): what a clip higher on the belt adds.

A sensor r above the axis the pelvis pitches about feels the pitch's acceleration times r as a
forward force (alpha x r). _bounce sums the forward force times the vertical velocity over a step
(D_EP); _lever_phase the same sum less that share for a clip _RUP (12 cm) above (D_EPL), from the
ring's pitch rate. Here one step's ring holds a bounce and a forward force that is the lever's alone, at
a height r: the sum is linear in the height, so D_EPL must be D_EP x (1 - 0.12 / r) (zero at 12 cm,
minus D_EP at 6 cm), whatever the rate the ring was sampled at.

Plain functions with asserts: pytest runs them under CPython, tests/device/test_device_micropython.py
runs the same file under the unix-port micropython (64- and 32-bit).
"""
import math
from array import array

import dynamics

G = 9.80665
RATE_SCALE = 262.144       # the ring's pitch rate: Q18 rad/ms, 262.144 a rad/s (kernel.py)
STEP_S = 0.33              # a running step (182 steps/min)
PITCH_RAD = 0.052          # the pelvis's pitch swing at the step's own frequency, +-3 deg
BOUNCE_G = 1.0             # the vertical force's swing about 1 g, +-1 g


def _word(hi, lo):
    return ((hi & 0xFFFF) << 16 | (lo & 0xFFFF)) - ((hi & 0x8000) << 17)


def _step_ring(r_m, rate_hz):
    """A Dynamics and its ring holding one step (samples 1..n after sample 0) of a pelvis that
    bounces and pitches at the step's frequency, its sensor ``r_m`` above the pitch axis (the
    forward force the lever's alone). Returns (dynamics state, ring, n)."""
    n = int(round(STEP_S * rate_hz))
    dt16 = int(round(16000 / rate_hz))
    dyn = dynamics.Dynamics(0)
    yb = array("i", bytes(4 * dynamics.RING_WORDS))
    w = 2 * math.pi / (n * dt16 / 16000.0)
    for j in range(n + 2):
        t = j * dt16 / 16000.0
        pv = int(round(4096 * (1.0 + BOUNCE_G * math.sin(w * t))))
        # pitch = P cos(w t): rate -P w sin(w t), acceleration -P w^2 cos(w t), in phase with the
        # bounce's velocity (-cos(w t) / w), so the lever's share does not cancel over the step
        rate = -PITCH_RAD * w * math.sin(w * t)
        acc = -PITCH_RAD * w * w * math.cos(w * t)
        cf = int(round(4096 * r_m * acc / G))
        o = 3 * (j & (dynamics.RING - 1))
        yb[o] = _word(dt16, pv)
        yb[o + 1] = _word(cf, 0)
        yb[o + 2] = _word(int(round(rate * RATE_SCALE)), 0)
    return dyn, yb, n


def _phases(r_m, rate_hz):
    dyn, yb, n = _step_ring(r_m, rate_hz)
    dynamics._bounce(yb, dyn.d, 0, n)
    epl = dynamics._lever_phase(yb, dyn.d, 0, n)
    assert epl == dyn.d[dynamics.D_EPL]
    return dyn.d[dynamics.D_EP], epl


def test_the_lever_share_of_a_clip_12_cm_up_is_the_whole_forward_force_of_one_there():
    for rate in (50, 100, 208):
        ep, epl = _phases(0.12, rate)
        assert ep != 0, rate
        assert abs(epl) <= 0.06 * abs(ep), (rate, ep, epl)


def test_the_lever_share_is_linear_in_the_height():
    for rate in (50, 100, 208):
        for r in (0.03, 0.06, 0.24):
            ep, epl = _phases(r, rate)
            want = ep * (1.0 - 0.12 / r)
            assert abs(epl - want) <= 0.06 * abs(ep) * 0.12 / r, (rate, r, ep, epl, want)


def test_no_pitch_no_share():
    # a forward force with no pitch (the pelvis's own braking and push) keeps its whole sum
    for rate in (50, 208):
        dyn, yb, n = _step_ring(0.0, rate)
        for j in range(n + 2):
            o = 3 * (j & (dynamics.RING - 1))
            yb[o + 1] = _word(int(round(4096 * 0.2 * math.cos(2 * math.pi * j / n))), 0)
            yb[o + 2] = _word(0, 0)
        dynamics._bounce(yb, dyn.d, 0, n)
        assert dyn.d[dynamics.D_EP] != 0
        assert dynamics._lever_phase(yb, dyn.d, 0, n) == dyn.d[dynamics.D_EP]
