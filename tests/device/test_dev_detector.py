"""Detector on a synthetic runner: calibration, lean, rotation, cadence, activity, alerts.

Plain functions with asserts: pytest runs them under CPython, tests/device/test_device_micropython.py
runs the same file under the unix-port micropython.
"""
import config
import detector
import kernel
import synth
from events import EV_ALERT, EV_CALIB, EV_CLEAR, EV_STRIDE, R_SWIVEL, R_UPRIGHT


def _run(buf, overrides=None, rate=100):
    cfg = config.validate(overrides or {"mount_up": "+z", "mount_forward": "+x"})
    det = detector.Detector(cfg, synth.LSB_G, synth.LSB_KDPS)
    det.start(0)
    return det, synth.events(det, buf)


def _strides(evs, t_from=0):
    return [e for e in evs if e[0] == EV_STRIDE and e[1] >= t_from]


def test_standing_calibrates_then_running_strides():
    buf = synth.concat(synth.samples(5, still=True, bias_dps=(0.8, -1.2, 0.5)),
                       synth.samples(30, lean_deg=8, rot_pp_deg=12, cadence=170, t_start=5,
                                     bias_dps=(0.8, -1.2, 0.5)))
    det, evs = _run(buf)
    cal = [e for e in evs if e[0] == EV_CALIB]
    assert cal and cal[0][2] == 1 and 3000 <= cal[0][1] <= 3600
    assert abs(cal[0][3]) < 30  # standing pitch ~0 (cdeg)
    st = _strides(evs, 10000)
    assert len(st) >= 15
    for e in st:
        assert e[6] & 3 == 2, "running"
        assert e[6] & 4, "calibrated"
        assert abs(e[2] - 800) < 80, ("lean cdeg", e[2])
        assert abs(e[3] - 1200) < 120, ("rotation cdeg", e[3])
        assert abs(e[4] - 1700) < 15, ("cadence dspm", e[4])
    # bias learned from the standing start (raw counts, body frame = sensor frame)
    assert abs(det.st[kernel.S_BF] - 26) <= 2 and abs(det.st[kernel.S_BL] + 39) <= 2


def _calibrated_from_3_s(buf):
    """The running strides after 10 s of ``buf`` (5 s of standing, then running), once it is
    checked that the standing calibrated at 3 s (its 3 s still) and every stride is calibrated."""
    det, evs = _run(buf)
    cal = [e for e in evs if e[0] == EV_CALIB]
    assert cal and cal[0][2] == 1 and 3000 <= cal[0][1] <= 3600, cal
    st = _strides(evs, 10000)
    assert len(st) >= 15 and all(e[6] & 4 for e in st), "calibrated strides"
    return st


def test_standing_with_a_noisy_gyro_still_calibrates():
    # a rate sensor's white noise (here 1 deg/s rms per axis, single samples reaching 3 deg/s:
    # a wide-band filter setting) must not read as moving: stillness is the gyro's deviation
    # from its short-term mean, averaged, not any one sample's
    bias = (0.8, -1.2, 0.5)
    buf = synth.concat(synth.samples(5, still=True, bias_dps=bias, gyro_noise_dps=1.0),
                       synth.samples(20, lean_deg=8, rot_pp_deg=12, cadence=170, t_start=5,
                                     bias_dps=bias, gyro_noise_dps=1.0))
    st = _calibrated_from_3_s(buf)
    assert all(abs(e[2] - 800) < 80 for e in st), [e[2] for e in st]


def _lean_of_an_offset_part(ab, noise_g):
    """The median lean (cdeg) of a runner at 8 deg (14 on a clip standing at 6) whose
    accelerometer reads ``ab`` g more on each axis with ``noise_g`` rms of white noise, once
    it is checked that the standing calibrated at 3 s."""
    buf = synth.concat(synth.samples(5, still=True, lean_deg=6, acc_bias_g=ab, acc_noise_g=noise_g),
                       synth.samples(20, lean_deg=14, rot_pp_deg=12, cadence=172, t_start=5, peak_g=3.93,
                                     acc_bias_g=ab, acc_noise_g=noise_g))
    st = _calibrated_from_3_s(buf)
    return sorted(e[2] for e in st)[len(st) // 2]


def test_standing_with_a_noisy_offset_accelerometer_still_calibrates():
    # a part whose offset puts standing at 1.08 g (80 mg on the up axis: the MPU-6050's
    # data-sheet limit) and 20 mg rms of white noise (a wide filter, a body's sway): single
    # samples pass 1.12 g, the stillness band's edge when |a| was tested on one sample (before,
    # no 3 s ever stayed still and the lean fell back to the mount's axes); |a| is tested on the
    # accelerometer's short-term mean
    lean = _lean_of_an_offset_part((0.03, -0.03, 0.08), 0.02)
    assert abs(lean - 800) <= 40, lean


def test_a_part_at_the_edge_of_its_data_sheet_still_calibrates():
    # 130 mg along the up axis (80 mg offset, 3 % scale, 20 mg of temperature drift: a cheap
    # part's worst case) and 10 mg of noise: standing reads 1.13 g, inside the stillness band
    # (0.80-1.17 g; 0.87-1.12 before, where it never stood still), and the up axis is rescaled
    lean = _lean_of_an_offset_part((0.0, 0.0, 0.13), 0.01)
    assert abs(lean - 800) <= 40, lean


def test_an_accelerometer_offset_along_the_vertical_does_not_scale_the_lean():
    # an 80 mg zero-g offset on the up axis (a MEMS part's data-sheet limit) read the forward
    # tilt against 1.08 g: lean 10 deg as 9.26 or less; the standing pose shows it and takes it
    # out. (The ground force must average 1 g over a step, as it does on a runner: a 0.4 stance
    # fraction peaks at pi / (2 x 0.4) = 3.93 g.)
    for bias in (0.08, -0.08):
        ab = (0.0, 0.0, bias)
        buf = synth.concat(synth.samples(5, still=True, acc_bias_g=ab),
                           synth.samples(20, lean_deg=10, rot_pp_deg=10, cadence=172, t_start=5,
                                         peak_g=3.93, acc_bias_g=ab))
        det, evs = _run(buf)
        st = _strides(evs, 10000)
        assert len(st) >= 15 and all(e[6] & 4 for e in st), "calibrated strides"
        lean = sorted(e[2] for e in st)[len(st) // 2]
        assert abs(lean - 1000) <= 25, (bias, lean)


def test_a_short_standing_start_still_calibrates():
    # 1.5 s of standing (a runner starts when ready): the still stretch that ended is the
    # standing reference, not the mount's axes; the clip is tilted 12 deg, so the mount's axes
    # would read every lean 12 deg off
    buf = synth.concat(synth.samples(1.5, still=True, lean_deg=12, bias_dps=(0.8, -1.2, 0.5)),
                       synth.samples(20, lean_deg=20, rot_pp_deg=10, cadence=172, t_start=1.5,
                                     bias_dps=(0.8, -1.2, 0.5)))
    det, evs = _run(buf)
    cal = [e for e in evs if e[0] == EV_CALIB]
    assert cal and cal[0][2] == 1 and 1000 <= cal[0][1] <= 1700, cal
    assert abs(cal[0][3] - 1200) < 40
    st = _strides(evs, 6000)
    assert len(st) >= 10 and all(e[6] & 4 for e in st), "calibrated strides"
    assert all(abs(e[2] - 800) < 80 for e in st), [e[2] for e in st]


def test_a_one_second_standing_start_at_200_hz_calibrates():
    # 1.06 s of standing, then running (SisFall's D02_SE09 starts so): the stillness test's
    # short-term means start at the first sample, so the whole second reads as still (from zero
    # they took ~15 samples to reach the 1 g band and the stretch fell short of 1 s)
    buf = synth.concat(synth.samples(1.06, rate=200, still=True, lean_deg=10, bias_dps=(0.8, -1.2, 0.5)),
                       synth.samples(15, rate=200, lean_deg=18, rot_pp_deg=10, cadence=172, t_start=1.06,
                                     bias_dps=(0.8, -1.2, 0.5)))
    det, evs = _run(buf)
    cal = [e for e in evs if e[0] == EV_CALIB]
    assert cal and cal[0][2] == 1, cal
    assert abs(cal[0][3] - 1000) < 40, cal


def _flat(seconds, t_start=0.0, rate=100):
    # the board on a table, on its side: gravity along its x (worn, mount_up +z, it is along z)
    buf = synth.samples(seconds, still=True, t_start=t_start, rate=rate, bias_dps=(0.8, -1.2, 0.5))
    for i in range(len(buf) // 7):
        buf[7 * i + 1], buf[7 * i + 3] = buf[7 * i + 3], -buf[7 * i + 1]
    return buf


def test_a_board_lying_on_a_table_is_no_standing_reference():
    # Five seconds on the table (the 3 s and the ended-stretch paths both see it), half a second
    # of handling, then worn: standing 4 s, a run.
    # The table gives the gyro bias and no reference; the standing does; the lean is right.
    o = {"mount_up": "+z", "mount_forward": "+x"}
    buf = synth.concat(_flat(5), synth.samples(0.5, cadence=110, peak_g=1.4, stance=0.9, t_start=5),
                       synth.samples(4, still=True, lean_deg=10, t_start=5.5, bias_dps=(0.8, -1.2, 0.5)),
                       synth.samples(20, lean_deg=18, rot_pp_deg=10, cadence=172, t_start=9.5,
                                     bias_dps=(0.8, -1.2, 0.5)))
    det, evs = _run(buf, o)
    cal = [e for e in evs if e[0] == EV_CALIB]
    assert len(cal) == 1 and cal[0][2] == 1 and cal[0][1] > 5500, cal
    assert abs(cal[0][3] - 1000) < 40, cal
    st = _strides(evs, 14000)
    assert len(st) >= 10 and all(e[6] & 4 for e in st)
    assert all(abs(e[2] - 800) < 80 for e in st), [e[2] for e in st]
    assert len(evs) < 200, "no flood of events"


def test_tilted_mount_cancels_in_lean():
    # standing pitched 20 deg forward (a tilted clip); running at 20 + 7 deg -> lean 7
    buf = synth.concat(synth.samples(5, still=True, lean_deg=20),
                       synth.samples(20, lean_deg=27, rot_pp_deg=10, cadence=176, t_start=5))
    det, evs = _run(buf)
    cal = [e for e in evs if e[0] == EV_CALIB][0]
    assert abs(cal[3] - 2000) < 40
    st = _strides(evs, 10000)
    assert st and all(abs(e[2] - 700) < 80 for e in st), [e[2] for e in st]


def test_no_standing_start_falls_back_and_says_so():
    buf = synth.samples(20, lean_deg=6, rot_pp_deg=10, cadence=165)
    det, evs = _run(buf)
    fb = [e for e in evs if e[0] == EV_CALIB]
    assert fb and fb[0][2] == 0
    st = _strides(evs)
    assert st and not any(e[6] & 4 for e in st)
    assert abs(st[-1][2] - 600) < 80


def test_walking_is_not_running_and_never_alerts():
    # cadence 110 with soft steps (no flight): walking; upright lean 0 would be a fault if running
    buf = synth.concat(synth.samples(5, still=True),
                       synth.samples(60, lean_deg=0, rot_pp_deg=30, cadence=110, peak_g=1.3,
                                     stance=0.99, t_start=5))
    det, evs = _run(buf, {"mount_up": "+z", "mount_forward": "+x", "alert_after_s": 5})
    st = _strides(evs, 8000)
    assert len(st) >= 20
    assert all(e[6] & 3 == 1 for e in st), "walking"
    assert not [e for e in evs if e[0] == EV_ALERT]


def test_upright_alert_timing_repeat_and_clear():
    cfgd = {"mount_up": "+z", "mount_forward": "+x", "alert_after_s": 10, "alert_repeat_s": 30}
    buf = synth.concat(synth.samples(5, still=True),
                       synth.samples(20, lean_deg=8, rot_pp_deg=10, cadence=170, t_start=5),
                       synth.samples(75, lean_deg=1, rot_pp_deg=10, cadence=170, t_start=25),
                       synth.samples(20, lean_deg=8, rot_pp_deg=10, cadence=170, t_start=100))
    det, evs = _run(buf, cfgd)
    al = [e for e in evs if e[0] == EV_ALERT]
    assert [e[2] for e in al] == [R_UPRIGHT] * 3, al
    # first alert 10 s after the fault starts (+ smoothing, stride granularity)
    assert 35000 <= al[0][1] <= 37500, al[0][1]
    assert 29000 <= al[1][1] - al[0][1] <= 31500
    assert al[0][3] == 2  # 1 deg lean is 3 deg short of the 4 deg limit: moderate (2-4 deg)
    cl = [e for e in evs if e[0] == EV_CLEAR]
    # the synthetic lean jumps with no gyro signal, so the filter needs ~1-2 tau (1 s) to follow
    assert len(cl) == 1 and cl[0][2] == R_UPRIGHT and 100000 <= cl[0][1] <= 104000


def test_swivel_alert_and_hysteresis():
    cfgd = {"mount_up": "+z", "mount_forward": "+x", "alert_after_s": 5, "swivel_max_deg": 20,
            "swivel_hyst_deg": 3}
    buf = synth.concat(synth.samples(5, still=True),
                       synth.samples(30, lean_deg=8, rot_pp_deg=30, cadence=170, t_start=5),
                       # 18.5 deg: below the limit but inside the hysteresis band: stays on
                       synth.samples(20, lean_deg=8, rot_pp_deg=18.5, cadence=170, t_start=35))
    det, evs = _run(buf, cfgd)
    al = [e for e in evs if e[0] == EV_ALERT]
    assert al and al[0][2] == R_SWIVEL and al[0][3] == 3  # 10 deg over: strong
    assert not [e for e in evs if e[0] == EV_CLEAR]


def test_standing_stop_resets_episode():
    cfgd = {"mount_up": "+z", "mount_forward": "+x", "alert_after_s": 10}
    buf = synth.concat(synth.samples(5, still=True),
                       synth.samples(8, lean_deg=1, cadence=170, t_start=5),
                       synth.samples(5, still=True, t_start=13),
                       synth.samples(8, lean_deg=1, cadence=170, t_start=18))
    det, evs = _run(buf, cfgd)
    assert not [e for e in evs if e[0] == EV_ALERT]
    assert [e for e in evs if e[0] == 5 and e[2] == 0], "activity -> standing"


def test_event_queue_drops_oldest():
    q = detector.EventQueue(4)
    for i in range(6):
        q.push(1, i, 0, 0, 0, 0, 0, 0)
    assert q.n == 4 and q.dropped == 2
    assert [q.buf[k * 8 + 1] for k in range(4)] == [2, 3, 4, 5]


def test_state_within_small_int_range():
    # saturated, violent input: every state slot stays within +-2**30 (ESP32 small ints); every
    # intermediate is checked from outside by tests/device/boundtrack.py (test_fixedpoint.py)
    import synth as s_
    buf = s_.concat(s_.samples(4, still=True), s_.samples(10, lean_deg=40, rot_pp_deg=170, cadence=200, peak_g=9))
    cfg = config.validate({"mount_up": "+z", "mount_forward": "+x"})
    det = detector.Detector(cfg, s_.LSB_G, s_.LSB_KDPS)
    det.start(0)
    from array import array
    n = len(buf) // 7
    for i in range(0, n, 50):
        det.feed(array("h", buf[i * 7:(i + 50) * 7]), min(50, n - i))
        det.q.clear()
    assert det.strides > 10
    for k in range(kernel.S_SIZE):
        v = det.st[k]
        assert -(2 ** 30) <= v < 2 ** 30, (k, v)


def _gait(seconds, cadence, fly, t_start=0.0, rate=100):
    """A gait with a chosen flight per step: the vertical force swings 1 +- 0.45 g twice a step (a
    walk's two humps, never below 0.5 g), except that a step ``k`` with ``fly(k)`` true drops to
    0.05 g for its middle 35 ms (the pelvis in the air, or a walker's deep dip). Sensor = body
    frame, upright, a small yaw swing."""
    import math
    from array import array
    n = int(seconds * rate)
    buf = array("h", bytes(14 * n))
    step = 60.0 / cadence
    for i in range(n):
        t = t_start + i / rate
        k = int(t / step)
        ph = t / step - k
        f = 1.0 + 0.45 * math.cos(4 * math.pi * ph)
        if fly(k) and abs(ph - 0.5) * step < 0.0175:
            f = 0.05
        yr = math.radians(10) * math.pi / (2 * step) * math.cos(math.pi * t / step)
        o = 7 * i
        buf[o] = 160
        buf[o + 3] = int(f * synth.LSB_G)
        buf[o + 6] = int(math.degrees(yr) * synth.LSB_KDPS / 1000)
    return buf


def _activities(buf):
    det, evs = _run(buf, {"mount_up": "+z", "mount_forward": "+x", "alert_after_s": 5})
    return [e[6] & 3 for e in _strides(evs, 8000)], evs


def test_a_walker_who_dips_on_one_step_in_two_keeps_walking():
    # 136 steps/min, a deep dip before every other landing (one foot's): never 3 of 4 steps
    acts, evs = _activities(synth.concat(synth.samples(5, still=True),
                                          _gait(60, 136, lambda k: k % 2 == 0, t_start=5)))
    assert len(acts) >= 50 and all(a == 1 for a in acts), acts
    assert not [e for e in evs if e[0] == EV_ALERT]


def test_a_jogger_whose_flight_fades_on_one_side_keeps_running():
    # flights before every landing for 10 s (running begins), then before one foot's only
    acts, evs = _activities(synth.concat(synth.samples(5, still=True),
                                          _gait(10, 150, lambda k: True, t_start=5),
                                          _gait(40, 150, lambda k: k % 2 == 0, t_start=15)))
    assert len(acts) >= 40 and all(a == 2 for a in acts[4:]), acts


def _grounded(seconds, cadence, lo_g, bounce, t_start=0.0, rate=100):
    """A gait with no flight: the vertical force swings once a step between lo_g and 2 - lo_g
    (its peak at mid-stance), the forward force 0.2 g a sine through it: braking while the
    pelvis sinks and pushing while it rises (``bounce``: a runner's spring), or the other way
    round (a walker's pendulum, the energies trading). Sensor = body frame, upright."""
    import math
    from array import array
    n = int(seconds * rate)
    buf = array("h", bytes(14 * n))
    step = 60.0 / cadence
    sgn = 1.0 if bounce else -1.0
    for i in range(n):
        t = t_start + i / rate
        ph = 2 * math.pi * (t / step)
        f = 1.0 + (1.0 - lo_g) * math.cos(ph)
        fa = sgn * 0.2 * math.sin(ph)
        yr = math.radians(10) * math.pi / (2 * step) * math.cos(math.pi * t / step)
        o = 7 * i
        buf[o] = 160
        buf[o + 1] = int(fa * synth.LSB_G)
        buf[o + 3] = int(f * synth.LSB_G)
        buf[o + 6] = int(math.degrees(yr) * synth.LSB_KDPS / 1000)
    return buf


def _after_flights(lo_g, bounce):
    # running begins on flights (10 s), then 30 s with no flight at all
    acts, evs = _activities(synth.concat(synth.samples(5, still=True),
                                          _gait(10, 150, lambda k: True, t_start=5),
                                          _grounded(30, 150, lo_g, bounce, t_start=15)))
    assert len(acts) >= 40 and all(a == 2 for a in acts[3:10]), acts
    return acts[-25:]


def test_a_jogger_who_stops_leaving_the_ground_keeps_running():
    # its steps bounce and sink to 0.35 g: a grounded jog (SisFall's older slow jogs)
    late = _after_flights(0.35, True)
    assert all(a == 2 for a in late), late


def test_a_runner_whose_steps_trade_their_energies_is_walking():
    # as deep, but a pendulum (a walker's deep dip on a wobbling belt)
    late = _after_flights(0.35, False)
    assert all(a == 1 for a in late), late


def test_a_bounce_above_half_a_g_without_a_flight_is_walking():
    # bouncing, but its lowest force stays where a walk's does (the crosscheck's brisk walks: 0.65 g)
    late = _after_flights(0.6, True)
    assert all(a == 1 for a in late), late


def test_no_buzz_in_the_strides_that_turn_a_run_into_a_walk():
    # An upright runner (lean 0, limit 4) buzzes every 10 s, then walks. The label follows only
    # after 3 strides without a flight; those are flagged grounded and not coached, so a repeat
    # that falls due in them waits for a flying stride (none comes): whenever the walk begins,
    # no buzz comes after its first stride.
    from events import FLAG_CALIBRATED, FLAG_GROUNDED
    assert FLAG_GROUNDED == FLAG_CALIBRATED << 1      # (how detector.py writes it)
    cfgd = {"mount_up": "+z", "mount_forward": "+x", "alert_after_s": 5, "alert_repeat_s": 10}
    stride_ms = 800                      # 150 steps/min
    late = []
    n_alerts = 0
    for k in range(10):
        w = 20.0 + 0.4 * k               # the walk begins w s after the start (a repeat is due every 10 s)
        buf = synth.concat(synth.samples(5, still=True),
                           _gait(w - 5, 150, lambda j: True, t_start=5),
                           _gait(8, 150, lambda j: False, t_start=w))
        det, evs = _run(buf, cfgd)
        al = [e[1] for e in evs if e[0] == EV_ALERT]
        n_alerts += len(al)
        grounded = [e for e in _strides(evs) if e[6] & FLAG_GROUNDED]
        assert grounded and all(e[6] & 3 == 2 and e[1] > w * 1000 for e in grounded), grounded
        late += [(w, t) for t in al if t > w * 1000 + stride_ms]
    assert n_alerts >= 10, n_alerts      # the runner was coached
    assert not late, late


def test_a_restarted_run_goes_on_from_its_standing_pose():
    # the clip tilts the sensor 15 deg forward standing; running, the pelvis leans 8 deg more
    bias = (0.8, -1.2, 0.5)
    first, evs = _run(synth.concat(synth.samples(5, still=True, lean_deg=15, bias_dps=bias),
                                   synth.samples(20, lean_deg=23, rot_pp_deg=10, cadence=170, t_start=5,
                                                 bias_dps=bias)))
    pose = first.stand()
    assert abs(pose[0] - 15000) < 300 and pose[3:] == (first.st[kernel.S_B0F], first.st[kernel.S_B0L],
                                                      first.st[kernel.S_B0U])
    # the board resets mid-run: the next session's samples are all running
    mid = synth.samples(20, lean_deg=23, rot_pp_deg=10, cadence=170, t_start=40, bias_dps=bias)
    _, lost = _run(mid)
    # without it: lean against the mount's axes (21-23 deg), uncalibrated, until a standing still
    assert all(e[2] > 2000 and not e[6] & 4 for e in _strides(lost, 5000))
    cfg = config.validate({"mount_up": "+z", "mount_forward": "+x"})
    det = detector.Detector(cfg, synth.LSB_G, synth.LSB_KDPS)
    det.start(0)
    det.restore(*pose)
    # the pelvis's own up for the heading (kernel S_UPF, S_UPU), as the standing pose gave it:
    # the clip's 15 deg (sin 15 deg = 0.259, Q14 4240), from the angles kept
    up0 = (first.st[kernel.S_UPF], first.st[kernel.S_UPU])
    assert abs(up0[0] + 4240) < 60 and abs(up0[1] - 15826) < 60, up0
    assert abs(det.st[kernel.S_UPF] - up0[0]) <= 8 and abs(det.st[kernel.S_UPU] - up0[1]) <= 8
    evs = synth.events(det, mid)
    cal = [e for e in evs if e[0] == EV_CALIB]
    assert len(cal) == 1 and cal[0][2] == 2 and abs(cal[0][3] - 1500) < 30, cal
    st = _strides(evs, 5000)
    assert len(st) >= 10
    for e in st:
        assert e[6] & 4 and abs(e[2] - 800) < 80, ("lean cdeg", e[2])
    # an earlier run's pose (a run with no standing start, app.py): the same, said with ok=3
    det3 = detector.Detector(cfg, synth.LSB_G, synth.LSB_KDPS)
    det3.start(0)
    det3.restore(*pose, 3)
    cal = [e for e in synth.events(det3, mid[:7 * 100]) if e[0] == EV_CALIB]
    assert len(cal) == 1 and cal[0][2] == 3 and det3.calibrated and det3.pitch0 == pose[0], cal
    # a standing start in the restarted session replaces it (the clip was moved: 10 deg now)
    det.start(0)
    det.restore(*pose)
    evs = synth.events(det, synth.concat(synth.samples(5, still=True, lean_deg=10, bias_dps=bias),
                                         synth.samples(20, lean_deg=18, rot_pp_deg=10, cadence=170, t_start=5,
                                                       bias_dps=bias)))
    cal = [e for e in evs if e[0] == EV_CALIB]
    assert [c[2] for c in cal] == [2, 1] and abs(cal[1][3] - 1000) < 30, cal
    assert all(abs(e[2] - 800) < 80 for e in _strides(evs, 10000))


def _rotation_median(clip_deg, roll_pp_deg=12.0):
    # stand 4 s (the clip's own pitch is the standing pose), then run: lean 8 deg, yaw 10 deg
    # peak-to-peak a stride and the hip's roll in phase with it
    buf = synth.concat(synth.samples(4, still=True, clip_pitch_deg=clip_deg),
                       synth.samples(20, lean_deg=8, rot_pp_deg=10, roll_pp_deg=roll_pp_deg, cadence=170,
                                     t_start=4, clip_pitch_deg=clip_deg))
    _, evs = _run(buf)
    rots = sorted(e[3] for e in _strides(evs, 8000))
    assert len(rots) >= 20
    return rots[len(rots) // 2] / 100


def test_the_hips_roll_is_no_swivel_however_the_clip_is_pitched():
    # The pelvis rolls 12 deg a stride about its own forward axis. Read about the clip's axes,
    # a clip pitched 20 deg would add tan(20 deg) of that roll to the yaw (10 deg -> ~14); read
    # about the standing pose's, the swivel is the pelvis's whatever the clip's pitch.
    flat = _rotation_median(0)
    assert abs(flat - 10.0) < 0.6, flat
    assert abs(_rotation_median(0, roll_pp_deg=0.0) - flat) < 0.3
    for clip in (20, -20):
        got = _rotation_median(clip)
        assert abs(got - flat) < 0.3, (clip, got, flat)
