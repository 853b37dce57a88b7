"""A clip worn upside down (detector._flip): a belt clip goes on either way up, face to the back,
so the config's mount is then turned by 180 deg about its forward axis. The gait shows which way
is up (walking and running hold the pelvis within ~30 deg of upright); a board lying face down
on a table shows nothing of the kind, and takes no steps.

Plain functions with asserts: pytest runs them under CPython, tests/device/test_device_micropython.py
runs the same file under the unix-port micropython (64- and 32-bit).
"""
from array import array

import config
import detector
import synth
from events import EV_ALERT, EV_CALIB, EV_STRIDE

LEAN = 8.0
ROT = 12.0


def _turned(buf):
    """``buf`` as the sensor turned by 180 deg about its x axis (forward) gives it: y and z of
    both vectors change sign (a proper rotation: the gyro's axial vector turns the same way)."""
    out = array("h", buf)
    for o in range(0, len(out), 7):
        for j in (2, 3, 5, 6):
            v = -out[o + j]
            out[o + j] = 32767 if v > 32767 else v
    return out


def _run(buf):
    """Every event of ``buf`` through a detector whose config says +z up, +x forward."""
    cfg = config.validate({"mount_up": "+z", "mount_forward": "+x", "lean_min_deg": 10.0, "alert_after_s": 5})
    det = detector.Detector(cfg, synth.LSB_G, synth.LSB_KDPS)
    det.start(0)
    return det, synth.events(det, buf)


def _runner(still_s=4):
    return synth.concat(synth.samples(still_s, still=True),
                        synth.samples(40, lean_deg=LEAN, rot_pp_deg=ROT, cadence=170, t_start=still_s))


def test_worn_upside_down_is_read_the_right_way_up():
    buf = _runner()
    _, right = _run(buf)
    det, turned = _run(_turned(buf))
    assert det.flipped == 1
    cal = [e for e in turned if e[0] == EV_CALIB]
    # one calibration, from the standing before the gait (the same way up), flagged
    assert len(cal) == 1 and cal[0][2] == 1 and cal[0][6] == 1, cal
    ref = [e for e in right if e[0] == EV_CALIB]
    assert abs(cal[0][3] - ref[0][3]) <= 2 and abs(cal[0][4] - ref[0][4]) <= 2, (cal, ref)
    # every stride reported is read the right way up: the same lean and rotation as the same
    # run worn the right way (after the first strides, which the turn costs)
    rs = {e[1]: e for e in right if e[0] == EV_STRIDE}
    ts = [e for e in turned if e[0] == EV_STRIDE]
    assert len(ts) >= len(rs) - 4, (len(ts), len(rs))
    matched = 0
    for e in ts:
        assert -4500 < e[2] < 4500, e                    # no stride read upside down is reported
        r = rs.get(e[1])
        if e[1] > 10000:
            assert abs(e[2] - LEAN * 100) < 150, e
        if r is not None and e[1] > 10000:
            matched += 1
            assert abs(e[2] - r[2]) <= 5 and abs(e[3] - r[3]) <= 10, (e, r)
    assert matched >= len(rs) - 10, (matched, len(rs))
    # and it coaches the same: the too-upright lean's alerts (lean 8 < 10), each no later than
    # the strides the turn cost (two strides read upside down and the gait's new first: ~2.2 s)
    ra = [e[1] for e in right if e[0] == EV_ALERT]
    ta = [e[1] for e in turned if e[0] == EV_ALERT]
    first = min(rs) if rs else 0
    cost = min(e[1] for e in ts) - first
    assert ra and len(ta) == len(ra) and all(0 <= a - b <= cost + 500 for a, b in zip(ta, ra)), (ta, ra, cost)


def test_a_board_face_down_on_a_table_is_no_standing_pose():
    """Still with the mount's down up, then worn the right way and running at once: the table
    is not taken as the standing pose, and the frame stays as configured."""
    buf = synth.concat(_turned(synth.samples(5, still=True)),
                       synth.samples(30, lean_deg=LEAN, rot_pp_deg=ROT, cadence=170, t_start=5))
    det, ev = _run(buf)
    assert det.flipped == 0 and det.calibrated == 0
    cal = [e for e in ev if e[0] == EV_CALIB]
    assert len(cal) == 1 and cal[0][2] == 0 and cal[0][6] == 0, cal     # the fallback: mount axes
    # g starts from the table's pose, upside down for the runner: the filter alone has no torque
    # at 180 deg (no stride for 6 s, then 49 deg of lean settling over 4 s: the first stride at
    # 10.95 s). The force along g below -0.5 g with no step between (kernel.run, S_NEG) starts g
    # again: strides from the second stride of running, the runner's lean within ~5 s
    strides = [e for e in ev if e[0] == EV_STRIDE]
    assert strides and strides[0][1] < 7000, strides[:3]
    leans = [e[2] for e in strides if e[1] > 11000]
    assert len(leans) > 25 and all(abs(v - LEAN * 100) < 150 for v in leans), leans


def test_worn_upside_down_with_no_standing_start():
    """Running from the first sample, upside down: turned, and measured against the mount's
    axes (nothing else to measure against), flagged as such."""
    det, ev = _run(_turned(synth.samples(30, lean_deg=LEAN, rot_pp_deg=ROT, cadence=170)))
    assert det.flipped == 1 and det.calibrated == 0
    cal = [e for e in ev if e[0] == EV_CALIB]
    assert [c[6] for c in cal if c[6]] == [1], cal
    leans = [e[2] for e in ev if e[0] == EV_STRIDE and e[1] > 10000]
    assert leans and all(abs(v - LEAN * 100) < 150 for v in leans), leans


def test_each_session_starts_on_the_configs_mount():
    det, _ = _run(_turned(_runner()))
    assert det.flipped == 1
    det.start(100000)
    assert det.flipped == 0
    ev = synth.events(det, _runner())
    assert det.flipped == 0 and [e[6] for e in ev if e[0] == EV_CALIB] == [0]


def test_a_flip_and_back_finds_the_standing_pose_it_left():
    """Strides read with the mount's down up for a while (the clip turned over and back; or
    seconds of a sensor's garbage, read as two upside-down strides), then the right way up
    again: the flip back restores the standing reference the run calibrated on (CALIB ok 2,
    field e 0: the config's mount again), and lean reads as it did before the flips (a fallback
    to the mount's axes would read it ~the clip's pitch off for the rest of the run)."""
    buf = synth.concat(synth.samples(4, still=True),
                       synth.samples(20, lean_deg=LEAN, rot_pp_deg=ROT, cadence=170, t_start=4),
                       _turned(synth.samples(10, lean_deg=LEAN, rot_pp_deg=ROT, cadence=170, t_start=24)),
                       synth.samples(20, lean_deg=LEAN, rot_pp_deg=ROT, cadence=170, t_start=34))
    det, ev = _run(buf)
    cal = [e for e in ev if e[0] == EV_CALIB]
    assert [(e[2], e[6]) for e in cal] == [(1, 0), (0, 1), (2, 0)], cal
    assert det.flipped == 0 and det.calibrated == 1
    assert (cal[2][3], cal[2][4]) == (cal[0][3], cal[0][4]), cal
    leans = [e[2] for e in ev if e[0] == EV_STRIDE and e[1] > 40000]
    assert len(leans) > 15 and all(abs(v - LEAN * 100) < 150 for v in leans), leans
