"""Lost samples: how g is carried across a gap (kernel.run's periodic prediction).

A gap's rotation is unknown to the gyro. Bridged with the mean of the rates at its two ends, it
is right for a smooth motion and wrong by degrees for a rough one (a jolt at every landing); the
same phase one stride back knows a repeating motion's change whatever its shape. The kernel tries
both on the last stride's samples and weighs them by how well each did there.

Plain functions with asserts: pytest runs them under CPython, tests/device/test_device_micropython.py
runs the same file under the unix-port micropython (64- and 32-bit).
"""
from array import array

import config
import detector
import synth
from events import EV_STRIDE

RATE = 100
STEP_S = 0.34          # 176.5 steps/min: a stride is 68 samples, so gaps fall at every phase
LEAN = 8.0


def _drop(buf, every, burst, t_from_s):
    """``buf`` without ``burst`` samples out of every ``every`` (from ``t_from_s`` on): the
    sample after each burst carries the whole dt, as the board's clock would give it."""
    n = len(buf) // 7
    out = array("h")
    carry = 0
    for k in range(n):
        if k >= t_from_s * RATE and k % every < burst:
            carry += buf[7 * k]
            continue
        row = buf[7 * k:7 * k + 7]
        row[0] += carry
        carry = 0
        out.extend(row)
    return out


def _leans(buf):
    """Per-stride lean (deg) and end time (ms) of the running strides."""
    cfg = config.validate({"mount_up": "+z", "mount_forward": "+x"})
    det = detector.Detector(cfg, synth.LSB_G, synth.LSB_KDPS)
    det.start(0)
    return [(e[1], e[2] / 100) for e in synth.events(det, buf) if e[0] == EV_STRIDE and e[6] & 3 == 2]


def _errors(osc, every, burst, brake_g=0.0):
    """|lean change| (deg) that gaps of ``burst`` samples every ``every`` (from 20 s on) make
    in the running strides after 20 s, against the same run without gaps, sorted. By default
    the runner has no fore-aft force (brake_g=0), to isolate g's turn across the gap; with
    ``brake_g`` and a steady pitch, the stride's mean accel error (its braking and push)."""
    buf = synth.concat(synth.samples(4, still=True),
                       synth.samples(76, lean_deg=LEAN, rot_pp_deg=10, cadence=60 / STEP_S, t_start=4,
                                     pitch_osc=osc, brake_g=brake_g))
    clean = _leans(buf)
    out = []
    for t, v in _leans(_drop(buf, every, burst, 20)):
        for tc, vc in clean:
            if t > 20000 and abs(t - tc) < 100:
                out.append(abs(v - vc))
    return sorted(out)


def _p90(e):
    return e[len(e) * 9 // 10]


# a rough but repeating pitch: the step's own swing (2nd harmonic of the stride, 4 deg p-p) and a
# jolt at 6x the stride frequency (8.8 Hz, 2 deg p-p: up to 55 deg/s, turning inside a 100 ms gap)
ROUGH = ((2, 4.0), (6, 2.0))
# a smooth pitch that does not repeat stride by stride: a 1.1 Hz sway (0.77 x the stride
# frequency, 6 deg p-p), which one stride back predicts wrongly and the bridge rightly
SMOOTH = ((0.77, 6.0),)


def test_a_rough_repeating_motion_keeps_its_lean_across_gaps():
    # 100 ms lost every 1.23 s (a burst of 10 samples in 123: 8 %, well past a cheap board)
    gaps = _errors(ROUGH, 123, 10)
    assert len(gaps) > 40, len(gaps)
    # the mean-rate bridge alone leaves 4-8 deg on the strides after each gap
    assert _p90(gaps) <= 0.8, _p90(gaps)
    assert gaps[len(gaps) // 2] <= 0.3, gaps[len(gaps) // 2]


def test_a_smooth_motion_that_does_not_repeat_keeps_the_bridge():
    # the bridge is right here, one stride back is not (trusted anyway, it moves the lean by
    # 1.1 deg median, 2 deg p90): the test windows must see it
    gaps = _errors(SMOOTH, 123, 10)
    assert len(gaps) > 40, len(gaps)
    assert gaps[len(gaps) // 2] <= 0.3, gaps[len(gaps) // 2]
    assert _p90(gaps) <= 0.7, _p90(gaps)


def test_a_fault_holds_through_strides_lost_in_gaps():
    # an upright runner (lean 1 deg, limit 4) whose samples lose 250 ms every 2.1 s: each gap
    # swallows a landing, so one stride in three is not measured. The fault is held for the
    # time run, not only for the strides measured: the alert comes 10 s after running begins
    # (+ the lean's smoothing), not 15.
    from events import EV_ALERT, R_UPRIGHT
    buf = synth.concat(synth.samples(5, still=True),
                       synth.samples(40, lean_deg=1.0, rot_pp_deg=10, cadence=170, t_start=5))
    cfg = config.validate({"mount_up": "+z", "mount_forward": "+x", "alert_after_s": 10})
    det = detector.Detector(cfg, synth.LSB_G, synth.LSB_KDPS)
    det.start(0)
    evs = synth.events(det, _drop(buf, 210, 25, 6))
    alerts = [(e[1], e[2]) for e in evs if e[0] == EV_ALERT]
    strides = [e[1] for e in evs if e[0] == EV_STRIDE and e[6] & 3 == 2]
    # strides were lost (about one in three of the ~50 run)
    assert 25 <= len(strides) <= 45, len(strides)
    assert alerts and alerts[0][1] == R_UPRIGHT, alerts
    assert alerts[0][0] <= 18000, alerts[0]   # (the measured strides alone: 22.6 s)


def test_a_gap_keeps_its_share_of_the_strides_braking():
    # 40 ms lost once a stride, always early in the stance (the braking; 4 samples in 68: the
    # worst case, where the loss does not average out over strides). Counting only the samples
    # there are, every stride's mean error lacks ~0.28 g x 40 ms / 680 ms: 1.1 deg of lean,
    # measured. The lost samples get the mean of the error on either side (the trapezoid rule,
    # as the gyro's bridge): 0.14 deg here.
    gaps = _errors((), 68, 4, brake_g=0.35)
    assert len(gaps) > 40, len(gaps)
    assert gaps[len(gaps) // 2] <= 0.3, gaps[len(gaps) // 2]
    assert _p90(gaps) <= 0.4, _p90(gaps)


def test_a_dropout_longer_than_the_bridge_lands_at_its_phase_of_the_stride():
    # a cheap board's dropout: 0.45 s lost every 5 s (past the 250 ms the gyro's bridge spans).
    # g after it is g one stride back at the phase the whole 0.45 s gives (its length less whole
    # strides): lean within 0.1 deg (p90) of the run without dropouts. Bridged with the end
    # rates over 250 ms: p90 1.3 deg, up to 4, and 35 strides where the run without has 50.
    gaps = _errors(ROUGH, 500, 45)
    assert len(gaps) > 40, len(gaps)
    assert gaps[len(gaps) // 2] <= 0.15, gaps[len(gaps) // 2]
    assert _p90(gaps) <= 0.5, _p90(gaps)
