"""The form detector: raw IMU samples in, per-stride metrics and coaching events out.

Usage (board main loop and host replay alike)::

    import config, detector, sensors
    cfg = config.validate({})
    det = detector.Detector(cfg, *sensors.sensitivity("mpu6500", 8, 1000))
    det.start(0)                      # session clock zero, ms
    n_ev = det.feed(buf, n)           # buf: array('h'), 7 int16 per sample, see kernel.py
    for k in range(n_ev):             # events: det.q.buf[k*8 : k*8+8], layout in events.py
        ...
    det.q.clear()

Pipeline per sample (``kernel.run``, viper, no allocation): mount mapping -> gravity-vector
orientation filter -> vertical force low-pass -> step trigger, heading about the vertical,
stride sums, stillness. Per step/stride (this module, plain Python, still no allocation):

- **calibration**: the first 3 s of standing still give the standing gravity direction (the
  lean reference, so a tilted clip or a few degrees of misalignment cancel) and the gyro bias.
  With no standing start the detector falls back to the mount axes as the reference, says so
  once (a CALIB event with ok=0) and marks strides uncalibrated until it sees 3 s of stillness.
  A run restarted mid-run goes on from its standing calibration before the restart (restore(),
  a CALIB event with ok=2; app.py keeps it on flash through coachstore); a run with no standing
  start goes on, after that ok=0, from the last standing pose kept on flash with the same mount
  (an earlier run's: restore() with ok=3), until it sees 3 s of stillness.
- **strides**: two steps. Lean = mean forward pitch over the stride minus the standing pitch;
  rotation = peak-to-peak heading about the vertical within the stride after removing the
  stride's heading trend (turns and switchbacks do not count); roll = peak-to-peak sideways
  tilt (hip drop); cadence = 2 steps over the stride's time (1/16 ms, below).
- **activity**: a stride is running when it has a flight phase (a step with >= 20 ms below
  0.25 g: airborne, whose fore-aft and vertical motion bounce rather than trade: dynamics.py's
  energy phase; an older walker's pelvis dips below 0.25 g too) at a cadence >= ``run_min_spm``;
  walking otherwise (a foot stays down);
  running begins when 3 of the last 4 steps flew and ends after 3 strides without a flight
  (a stride whose two steps bounce below 0.5 g without one, a grounded jog, keeps it going);
  standing after 2 s without a step.
- **step timing**: the contact that ends a flight (kernel.py) while running, else the trigger
  (a walking stride's time then from its steps' shape, walkclock.py, and a running stride's
  with no flight in it (grounded) or with a contact at one end only too: reported once the
  samples that needs are in, ``hold``, or at the end of the samples, ``flush``);
  a stride's time between like fiducials, the contact onsets corrected for the landing's shape
  and the steadier clock used (``kernel.stride_time``: onsets, triggers, or the contacts' kinks
  where the onsets jump); a stride that lost a step in a gap of the samples is not measured;
  one whose end's landing was lost in a burst keeps the last stride's time (_stride_end).
- **tilt correction and gyro bias** (``kernel.at_step``): the last stride's world-frame mean
  error, without its lateral part in turns; its remainder integrated into the gyro bias.
- **coach** (coach.py) on running strides only (lean and rotation; then hip drop, tilt swing
  and cadence, whose cues are optional).
"""
from array import array

from micropython import const

import config
import dynamics
import fixmath
from drift import Drift
import kernel
from kernel import at_step, detrended_p2p, stride_mark, stride_reset, stride_time
import walkclock
from coach import Coach
from events import put

# The kernel's state slots and the events' codes this module uses, as its own const() mirrors
# (underscore + the name in kernel.py, events.py or dynamics.py, which define them: a test
# checks every mirror against its source). MicroPython folds a const() into the code only
# within its own module; an imported name is a lookup in this module's globals every use (~190
# instructions on the ESP32's port, ~70 such reads a stride), a module attribute two: mirrored,
# the per-step and per-stride code reads none (make bench: 5117 -> 4908 instructions a sample,
# 32-bit).
# events.py's
_ACT_RUNNING = const(2)
_ACT_STANDING = const(0)
_ACT_WALKING = const(1)
_EV_ACTIVITY = const(5)
_EV_CALIB = const(4)
_EV_LEN = const(8)
_EV_STRIDE = const(1)
_FLAG_CALIBRATED = const(4)
_FLAG_GROUNDED = const(8)
# kernel.py's
_EVT_IDLE = const(4)
_EVT_STEP = const(1)
_EVT_STILL = const(2)
_ONE_G_Q16 = const(65536)
_REFR_MS = const(250)
_STEP_HI = const(6554)
_STEP_MAX_MS = const(1500)
_S_AM = const(6)
_S_AMU = const(58)
_S_B0F = const(112)
_S_B0L = const(113)
_S_B0U = const(114)
_S_BF = const(9)
_S_BL = const(10)
_S_BL0 = const(148)
_S_BLIM = const(111)
_S_BQF = const(12)
_S_BQL = const(13)
_S_BQU = const(14)
_S_BU = const(11)
_S_BUFN = const(48)
_S_C2 = const(119)
_S_C29 = const(70)
_S_CA = const(89)
_S_CAF = const(38)
_S_CAL = const(39)
_S_CALMS = const(44)
_S_CAU = const(40)
_S_CGF = const(41)
_S_CGL = const(42)
_S_CGU = const(43)
_S_CLK = const(137)
_S_CN = const(37)
_S_CNMAX = const(63)
_S_DPSI = const(72)
_S_DPSP = const(73)
_S_DQC = const(128)
_S_DQK = const(66)
_S_DQP = const(138)
_S_DQT = const(129)
_S_DTMAX = const(64)
_S_EVT = const(47)
_S_F0 = const(124)
_S_FAST = const(102)
_S_FI = const(0)
_S_FID = const(74)
_S_FLYN = const(118)
_S_FS = const(1)
_S_FT0 = const(125)
_S_GAPMX = const(135)
_S_HID = const(163)
_S_GAPS = const(147)
_S_GF = const(15)
_S_GL = const(16)
_S_GM = const(7)
_S_GSH = const(8)
_S_GU = const(17)
_S_HD1 = const(105)
_S_HD2 = const(106)
_S_HI = const(22)
_S_IDLE = const(68)
_S_IDLEMS = const(69)
_S_INIT = const(49)
_S_IV0 = const(115)
_S_IV1 = const(116)
_S_IV2 = const(117)
_S_JC = const(130)
_S_JK = const(67)
_S_JT = const(131)
_S_K0 = const(126)
_S_KB = const(110)
_S_KLP = const(19)
_S_KN = const(84)
_S_KOK = const(60)
_S_KPM = const(18)
_S_LAST = const(25)
_S_LI = const(2)
_S_LO = const(23)
_S_LS = const(3)
_S_N = const(28)
_S_NEG = const(149)
_S_PAR = const(103)
_S_PER = const(85)
_S_PMAX = const(82)
_S_PMIN = const(81)
_S_PSI = const(27)
_S_PSIB = const(104)
_S_RB = const(139)
_S_REFR = const(26)
_S_RI = const(120)
_S_RISE = const(122)
_S_RMAX = const(35)
_S_RMIN = const(34)
_S_RMSK = const(121)
_S_RREF = const(134)
_S_RSXX = const(133)
_S_RSXY = const(132)
_S_SF = const(29)
_S_KSXY = const(150)
_S_KSXX = const(151)
_S_KRB = const(152)
_S_BUN = const(154)
_BUN_FIRST = const(9)
_S_BUS = const(155)
_S_BONE = const(158)
_S_SIZE = const(165)
_S_SL = const(30)
_S_STA = const(45)
_S_STAA = const(56)
_S_STEADY = const(109)
_S_STILL = const(36)
_S_STW = const(46)
_S_SU = const(31)
_S_SYNC = const(80)
_S_SYNCMS = const(79)
_S_T = const(24)
_S_T0 = const(123)
_S_T1 = const(107)
_S_T2 = const(108)
_S_TEQ = const(136)
_S_TQ = const(83)
_S_UI = const(4)
_S_UPF = const(145)
_S_UPU = const(146)
_S_US = const(5)
_S_VLP = const(20)
_S_X0 = const(127)
# dynamics.py's: the stride's grounded bouncing steps; its tilt swing, hip drop left, right and
# their mean in the log's steps
_D_BN = const(58)
_D_FLU = const(331)
_D_QSW = const(325)
_D_QDL = const(326)
_D_QDR = const(327)
_D_QDM = const(328)
_D_COS = const(329)

_TAU_MS = const(1000)        # accelerometer correction time constant
_LP_KLP = const(1647)        # 4 Hz vertical low-pass: 2*pi*4/1000 * 2**16 per ms
_STEP_LO = const(3277)       # the trigger (_STEP_HI, 1.10 g) re-arms below 1 g - 0.05 g (Q16 g)
#                              until steps are seen
_STRIDE_MIN_MS = const(400)  # strides outside this range are not reported
_STRIDE_MAX_MS = const(2600)
_GAP_HIDES = const(1600)     # kernel.py's GAP_HIDES: a gap of 100 ms can hold a whole flight
# A stride's lean and rotation are reported (cdeg) in the steps the log keeps them in (logfmt.
# LEAN_Q, ROT_Q, 0.1 and 0.2 deg: a test checks them), a tenth and a twentieth of what the
# detector's accuracy reaches: the log's short STRIDE then loses nothing, and the coach judges
# what a replay of the log reads (hinge.logs.coachreplay gives the board's alerts exactly,
# severity and all: with a finer value, one right at a limit or a grade's edge could fall the
# other way after the log's rounding)
_LEAN_Q = const(10)
_ROT_Q = const(20)
_IDLE_MS = const(2000)       # no step for this long: standing
_TO_RUN = const(3)           # steps with flight of the last 4 before walking becomes running ...
_TO_WALK = const(3)          # ... and strides in a row without, before running becomes walking
_CAL_MS = const(3000)        # stillness needed to calibrate
_SIDE_MIN = const(2287)      # a gait's first stride names the feet if its two steps' heading changes
#                              differ by 2 deg (Q16 rad); later strides by the leaky sum:
_SIDE_EV = const(22877)      # ... a swap when it falls below -20 deg (Q16 rad; see _step)
_SIDE_EV_MAX = const(411775) # ... held within 360 deg (a glitch's d of up to +-2 pi stays < 2**30)
_YBUF = const(512)           # heading samples per stride (2.5 s at 200 Hz)
_BIG = const(0x3FFFFFFF)
_PI_Q16 = const(205887)      # pi in Q16 rad
# Gyro bias integral: time constant 10 s against the filter's 1 s (damping 1.6, no overshoot);
# a MEMS gyro's offset warms up over minutes, so 10 s follows it while averaging ~30 strides.
_TAU_I_S = const(10)
_BIAS_DPS = const(10)        # the integral moves the bias at most +-10 deg/s from calibration
#                              (zero-rate offset spec: MPU-6500 +-5 deg/s, LSM6DSO +-1 deg/s,
#                              plus temperature drift)


class EventQueue:
    """Fixed-size queue of events, 8 ints each (layout in events.py); the oldest drop when full."""

    def __init__(self, cap=32):
        self.cap = cap
        self.buf = array("i", bytes(4 * _EV_LEN * cap))
        self.n = 0
        self.dropped = 0

    def push(self, ty, t, a, b, c, d, e, f):
        put(self.buf, self.slot(), ty, t, a, b, c, d, e, f)

    def slot(self):
        """Claim the next event's place: its offset in ``buf`` (the oldest drops when full)."""
        if self.n >= self.cap:
            # drop the oldest: shift down by one event (rare; never in a well-drained loop)
            b_ = self.buf
            k = 0
            m = (self.cap - 1) * _EV_LEN
            while k < m:
                b_[k] = b_[k + _EV_LEN]
                k += 1
            self.n -= 1
            self.dropped += 1
        self.n += 1
        return (self.n - 1) * _EV_LEN

    def clear(self):
        self.n = 0


def _gyro_mul(lsb_per_kdps):
    """(GM, GSH) with GM in [4096, 8192): rad/ms per count * 2**24 == GM / 2**GSH."""
    k = 3.141592653589793 / (180.0 * lsb_per_kdps) * (1 << 24)
    sh = 0
    while k * (1 << sh) < 4096:
        sh += 1
    return int(k * (1 << sh) + 0.5), sh


class Detector:
    """Per-stride lean, rotation, cadence and coaching alerts from raw samples."""

    def __init__(self, cfg, lsb_per_g, lsb_per_kdps, qcap=32):
        self.cfg = cfg
        self.lsb_per_g = lsb_per_g
        self.lsb_per_kdps = lsb_per_kdps
        self.st = array("i", bytes(4 * _S_SIZE))
        self.yb = array("i", bytes(4 * (_YBUF + dynamics.RING_WORDS)))   # heading, then the dynamics ring
        self.dyn = dynamics.Dynamics(_YBUF)
        # what every step and stride calls, held here (a module's attribute is two dict lookups)
        self.dyd = self.dyn.d
        self.dstep = dynamics.step
        self.dstart = dynamics.stride_start
        self.q = EventQueue(qcap)
        # a stride timed trigger to trigger (walking, grounded, a contact at one end only) and
        # its DYN, held until the samples its time needs are in (walkclock.py)
        self.hold = EventQueue(2)
        # a held running stride's coaching, done at its release (_coach's arguments but its
        # cadence: 1 while one waits, te, lean, rot, dur, tilt swing, hip drop L/R, mean drop)
        self.hc = array("i", bytes(4 * 9))
        self.wscr = array("i", bytes(4 * walkclock.SCRATCH))   # walkclock.stride_time's scratch
        self.hold_i0 = 0          # the held stride's first and last steps' ring samples
        self.hold_i1 = 0
        self.hold_t = 0           # and its last step's time, ms
        # held until this long after that step: the match's samples, and one sample more at the
        # slowest rate the board reads (25 Hz: 40 ms), for stamps that jitter
        self.hold_ms = walkclock.LOOK_MS + 40
        self.ri0 = 0              # the current stride's first step's ring sample (_stride_start)
        self.coach = Coach(cfg, self.q)
        self.drift = Drift(cfg, self.q, self.coach)
        self.run_min = cfg["run_min_spm"] * 10
        st = self.st
        fi, fs, li, ls, ui, us = config.mount_axes(cfg["mount_up"], cfg["mount_forward"])
        st[_S_FI] = fi
        st[_S_FS] = fs
        st[_S_LI] = li
        st[_S_LS] = ls
        st[_S_UI] = ui
        st[_S_US] = us
        self.flipped = 0          # 1: read upside down, the config's mount turned about forward (_flip)
        st[_S_AM] = (4096 * 8192 + lsb_per_g // 2) // lsb_per_g
        st[_S_AMU] = st[_S_AM]              # (the standing pose corrects it)
        gm, gsh = _gyro_mul(lsb_per_kdps)
        st[_S_GM] = gm
        st[_S_GSH] = gsh
        st[_S_KPM] = (1 << 20) // _TAU_MS
        st[_S_KLP] = _LP_KLP
        st[_S_BUFN] = _YBUF
        st[_S_RMSK] = dynamics.RING - 1
        st[_S_STA] = 377487                       # | |a|^2 - 1 | < 0.36 (Q20): |a| 0.80-1.17 g. An
        #                                           uncalibrated part reads standing within ~13 % of 1 g
        #                                           (offset 80 mg and scale 3 % on one axis, ~20 mg over
        #                                           temperature): 0.87-1.12 g was at its edge, and such a
        #                                           part with the sim's own errors never stood still.
        #                                           (Motion is the per-axis and gyro tests' to find.)
        st[_S_STW] = (2 * lsb_per_kdps) // 1000   # gyro within 2 deg/s of its mean (S_GDEV)
        st[_S_STAA] = 1024                        # accel within 0.25 g of its mean (vibration, e.g.
        #                                           a treadmill, averages out; the gyro test is strict)
        st[_S_CNMAX] = 2048
        st[_S_DTMAX] = 4000                       # bridge gaps up to 250 ms (1/16 ms units)
        st[_S_IDLEMS] = _IDLE_MS
        st[_S_SYNCMS] = 700
        st[_S_C29] = 1 << 29   # the kernel doubles it in a machine word (2**30 is no small int)
        # bias integral gain, Q12: raw counts Q8 per (error Q12 x ms):
        # 256 * counts_per_rad_s / (4096 * 1000 ms/s * tau_s * tau_i_s), tau = 1 s (_TAU_MS)
        cpr = lsb_per_kdps * 180 // 3141           # counts per rad/s (x1000 / 1000)
        st[_S_KB] = cpr * 256 // (_TAU_I_S * _TAU_MS)
        st[_S_BLIM] = (lsb_per_kdps * _BIAS_DPS // 1000) << 8
        # the gyro's offsets are unknown until a stillness or a kept calibration gives them
        # (_set_bias): until then the kernel estimates them once from the settled tilt error
        # (kernel.at_step, _BUN_N); the integral's time constant for that, in 16 ms
        st[_S_BUN] = _BUN_FIRST
        st[_S_BONE] = _TAU_I_S * 1000 // 16
        self.start(0)

    def start(self, t0_ms):
        """Begin a session: the next sample's time is ``t0_ms + dt``; calibration restarts."""
        st = self.st
        st[_S_T] = t0_ms
        st[_S_TQ] = 0
        st[_S_PER] = 0
        st[_S_LAST] = t0_ms - _BIG // 2
        st[_S_INIT] = 1
        st[_S_FAST] = 500
        st[_S_NEG] = 0
        st[_S_C2] = 0
        st[_S_IDLE] = 0
        st[_S_CALMS] = _CAL_MS
        st[_S_STILL] = 0
        k = _S_CN           # the stillness count and its sums (_S_CAF..S_CGU follow _S_CN)
        while k <= _S_CGU:
            st[k] = 0
            k += 1
        st[_S_GU] = 1 << 24
        st[_S_UPF] = 0      # the pelvis's up: the mount's until a standing pose says
        st[_S_UPU] = 1 << 14
        st[_S_VLP] = _ONE_G_Q16
        self.hold.clear()         # (what an earlier session held: its flush() reported it)
        self.hc[0] = 0
        self._thresholds_reset()
        self.calibrated = 0
        self.fallback_said = 0
        if self.flipped:          # each session starts on the config's mount (_flip)
            self.flip_frame()
        self.down = None          # a still pose with the mount's down up (_calibrate, _flip)
        self.other = None         # the standing reference of the frame the last flip left (_flip)
        self.n_down = 0           # strides in a row with the mount's down up
        self.pitch0 = 0   # standing pitch, millidegrees (mount axes until calibrated)
        self.roll0 = 0
        self.act = _ACT_STANDING
        self.k = -1       # steps since the stride started; -1 = no stride under way
        st[_S_T0] = t0_ms   # stride timing (kernel.stride_time): learned afresh
        st[_S_F0] = 0
        st[_S_FT0] = 0
        st[_S_K0] = 0
        st[_S_X0] = -1
        st[_S_RISE] = -1
        st[_S_DQC] = 0
        st[_S_DQT] = 0
        st[_S_JC] = 0
        st[_S_JT] = 0
        st[_S_CLK] = 0
        st[_S_DQK] = 0
        st[_S_JK] = 0
        st[_S_KN] = 0
        st[_S_KOK] = 0
        st[_S_DQP] = 0
        st[_S_RSXY] = 0
        st[_S_RSXX] = 0
        st[_S_RB] = 0
        st[_S_KSXY] = 0
        st[_S_KSXX] = 0
        st[_S_KRB] = 0
        st[_S_RREF] = 0
        self.te0 = t0_ms  # the stride's start (ms): its first step's fiducial on the clock in use
        self.foot_ev = 0  # evidence that the strides start on the right foot (Q16 rad, leaky sum)
        self.resync = 0   # 1: start the strides again at the next step
        self.rename = 0   # 1: a step was lost or added in the stride just ended; 2: the next names the feet afresh
        self.first = 0    # 1: the stride under way is its gait's first
        self.hidden = 0   # 1: the stride under way has a gap that hid a step's trigger (_step)
        self.hpend = 0    # 1: the step being taken is such a step
        st[_S_BL0] = 0    # samples lost where the stride under way starts (_stride_end)
        self.strides = 0
        st[_S_STEADY] = 0   # strides since the gait (re)started
        self.n_like = 0     # strides in a row without flight while running
        self.fly_prev = 0   # the last stride's steps with flight, and its cadence (spm * 10)
        self.cad_prev = 0
        st[_S_PSIB] = 0     # heading bookkeeping and the error sums of kernel.at_step
        st[_S_HD1] = 0
        st[_S_HD2] = 0
        st[_S_T1] = t0_ms
        st[_S_T2] = t0_ms
        st[_S_PAR] = 0
        k = 0
        while k < 8:
            st[_S_CA + k] = 0
            k += 1
        self.q.clear()
        self.coach.start()
        self.dyn.reset()
        self.drift.reset()
        stride_reset(st)

    def now(self):
        """Time of the last processed sample, ms."""
        return self.st[_S_T]

    def feed(self, buf, n):
        """Process ``n`` samples of ``buf``; return the number of queued events (``self.q.n``)."""
        st = self.st
        yb = self.yb
        run = kernel.run
        i = 0
        while i < n:
            i = run(st, buf, i, n, yb)
            e = st[_S_EVT]
            if self.hold.n and (e or st[_S_T] - self.hold_t >= self.hold_ms):
                self._release()
            if e:
                if e & _EVT_STILL:
                    self._calibrate()
                if e & _EVT_STEP:
                    self._step()
                if e & _EVT_IDLE:
                    st[_S_SYNC] = 0
                    self._thresholds_reset()
                    self._set_activity(_ACT_STANDING, st[_S_T])
                    self.coach.reset()
                    self.k = -1
        return self.q.n

    def _set_activity(self, act, t):
        if act != self.act:
            self.q.push(_EV_ACTIVITY, t, act, self.act, 0, 0, 0, 0)
            self.act = act

    def _release(self):
        """Report the stride held (walking, grounded, or timed trigger to trigger; its STRIDE
        and DYN), its cadence from the match of its steps' shape where one was found
        (walkclock.stride_time), else the trigger's; then coach it if it flew (_coach)."""
        h = self.hold
        b = h.buf
        st = self.st
        tq = walkclock.stride_time(self.yb, st[_S_BUFN], st[_S_RMSK], self.hold_i0, self.hold_i1, st[_S_RI],
                                   self.wscr)
        if tq > 0 and b[0] == _EV_STRIDE:
            b[4] = (19200000 + (tq >> 1)) // tq      # steps/min * 10 (as _stride_end's cad)
        q = self.q
        cad = b[4]
        o = 0
        while o < 8 * h.n:
            put(q.buf, q.slot(), b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5], b[o + 6], b[o + 7])
            o += 8
        h.clear()
        hc = self.hc
        if hc[0]:
            hc[0] = 0
            self._coach(hc[1], hc[2], hc[3], cad, hc[4], hc[5], hc[6], hc[7], hc[8])

    def flush(self):
        """The end of the samples (a session's, a capture's): report what is held, with the
        samples there are. Returns the number of queued events (as feed)."""
        if self.hold.n:
            self._release()
        return self.q.n

    def _calibrate(self):
        """3 s of stillness, or a still stretch of >= 1 s that ended before (kernel
        _CAL_MIN_MS): the gyro bias, and the standing reference (the first time the mount's up
        axis stands within 45 deg of the vertical)."""
        st = self.st
        cn = st[_S_CN]
        if cn <= 0:
            st[_S_STILL] = 0      # (nothing to calibrate from: the kernel forgets the stretch)
            return
        self._set_bias(st[_S_CGF] // cn, st[_S_CGL] // cn, st[_S_CGU] // cn)
        af = st[_S_CAF] // cn
        al = st[_S_CAL] // cn
        au = st[_S_CAU] // cn
        # upright: the mount's up axis within 45 deg of the vertical (the still samples' |a| is
        # 0.80-1.17 g: these products stay below 2**25)
        upright = au > 0 and 2 * au * au >= af * af + al * al + au * au
        self.down = None
        if au < 0 and 2 * au * au >= af * af + al * al + au * au:
            # the mount's down within 45 deg of the vertical: the clip worn upside down (a
            # belt clip goes on either way up, face to the back: turned about the forward
            # axis) - or the board face down on a table. Kept, in the turned frame, for the
            # gait to tell which (_flip): a table takes no steps.
            self.down = (af, -al, -au, st[_S_STILL])
        if upright:
            au = self._true_up(af, al, au)
        st[_S_GF] = af << 12
        st[_S_GL] = al << 12
        st[_S_GU] = au << 12
        if not upright:
            # no one wears it so (a clip on the lumbar curve tilts 10-30 deg): the board lies on
            # a table or in a hand. The gyro's bias is good (still is still), the pose is no
            # standing reference: wait for one, the stillness counted afresh
            st[_S_STILL] = 0
            return
        st[_S_CALMS] = 0
        self._set_up(af, au)
        self.pitch0 = fixmath.pitch_mdeg(af, al, au)
        self.roll0 = fixmath.roll_mdeg(al, au)
        self.calibrated = 1
        self.q.push(_EV_CALIB, st[_S_T], 1, _cdeg(self.pitch0), _cdeg(self.roll0),
                    st[_S_STILL], 0, 0)

    def _set_bias(self, bf, bl, bu):
        """The gyro's zero-rate offsets (raw counts, body frame): the calibrated ones the
        integral action (kernel.at_step) starts from and stays near."""
        st = self.st
        st[_S_BF] = bf
        st[_S_BL] = bl
        st[_S_BU] = bu
        st[_S_B0F] = bf
        st[_S_B0L] = bl
        st[_S_B0U] = bu
        st[_S_BQF] = bf << 8
        st[_S_BQL] = bl << 8
        st[_S_BQU] = bu << 8
        st[_S_BUN] = 0            # known: no one-shot estimate (kernel.at_step)
        st[_S_BUS] = 0
        st[_S_BUS + 1] = 0
        st[_S_BUS + 2] = 0

    def _set_up(self, f, u):
        """The pelvis's own up axis for the heading (kernel _S_UPF, _S_UPU): the standing up
        vector's forward and up parts (any common scale up to 2**14, u > 0) as a Q14 unit vector.
        The pelvis rolls about its own forward axis, which a clip pitched on the lumbar curve does
        not share with the mount's."""
        n = fixmath.isqrt(f * f + u * u)
        if u <= 0 or n == 0:
            return
        st = self.st
        st[_S_UPF] = (f << 14) // n
        st[_S_UPU] = (u << 14) // n

    def stand(self):
        """The standing calibration, to keep for a restart of this run (coachstore): (pitch0,
        roll0: millidegrees; the up axis's accel multiplier, kernel _S_AMU; the gyro's calibrated
        zero-rate offsets bf, bl, bu: raw counts, body frame)."""
        st = self.st
        return self.pitch0, self.roll0, st[_S_AMU], st[_S_B0F], st[_S_B0L], st[_S_B0U]

    def restore(self, pitch0, roll0, amu, bf, bl, bu, ok=2):
        """Go on from the standing calibration this run had before a restart (stand()'s values,
        kept by coachstore): lean from that pose, the gyro's offsets and the up axis's scale as
        they were. A standing start in this session still replaces it (the kernel's calibration
        window is left open: the clip may have been moved). An up-axis scale beyond the 20 %
        _true_up allows of this IMU's is another sensor's: left as it is. Queues a CALIB event
        with ``ok`` (2: this run's, restored after a restart; 3: an earlier run's, for a run with
        no standing start; pitch and roll in cdeg, no still time)."""
        st = self.st
        am = st[_S_AM]
        if 6 * amu >= 5 * am and 5 * amu <= 6 * am:
            st[_S_AMU] = amu
        self._set_bias(bf, bl, bu)
        # the standing up vector (-sin p, cos p sin r, cos p cos r), Q14: its F-U part
        self._set_up(-fixmath.sin_q14(pitch0),
                     (fixmath.sin_q14(90000 - abs(pitch0)) * fixmath.sin_q14(90000 - abs(roll0))) >> 14)
        self.pitch0 = pitch0
        self.roll0 = roll0
        self.calibrated = 1
        self.q.push(_EV_CALIB, st[_S_T], ok, _cdeg(pitch0), _cdeg(roll0), 0, 0, 0)

    def _true_up(self, af, al, au):
        """Standing still, the accelerometer reads 1 g and nothing else; what it reads beyond
        (an offset along the vertical, a scale error of the up axis: a MEMS part's zero-g offset
        reaches 60-80 mg, its scale 3 %) scales every lean, since the forward tilt is read
        against the vertical: lean / (1 + e), 0.4 deg in 10 at 40 mg. Rescale the up axis so the
        standing pose reads 1 g (kernel _S_AMU); an offset across the vertical only moves the
        standing direction, which the lean's reference takes out. Returns the standing up
        reading rescaled (af, al, au: Q12 g, body frame; au unchanged if it cannot be)."""
        s2 = 16777216 - af * af - al * al                # (1 g)^2 - the level parts^2, Q24
        if s2 <= 0 or au == 0:
            return au
        s = fixmath.isqrt(s2)                            # what the up axis should read, Q12
        a = au if au > 0 else -au
        # the stillness test's |a| band (0.80-1.17 g) bounds it; beyond 20 % it is not the sensor
        if 5 * a > 6 * s or 6 * a < 5 * s:
            return au
        st = self.st
        st[_S_AMU] = st[_S_AM] * s // a
        return s if au > 0 else -s

    def _step(self):
        # (the arithmetic is in viper, kernel.py: a Python function with more than ~11 locals
        # gets its frame from the heap on every call)
        st = self.st
        t = st[_S_T]
        last = st[_S_LAST]
        # its timing (the contact that ended a flight, or the trigger), the trigger's re-arm, the
        # tilt correction and gyro bias (kernel.py)
        frac = at_step(st, self.yb, t, last)
        self.dstep(self.yb, self.dyd, st[_S_RI] - 1, st)   # its contact time, bounce, hip drop
        # Its trigger lay in a gap of the samples (kernel.run: proved by its contact and the
        # next flight, or re-armed across the gap): counted, so the feet keep their names and
        # the strides after it are measured, but the stride the gap lies in (after this step's
        # contact: the stride this step starts, or the one it is the middle of) is not
        # reported (g was carried across the gap, no running dynamics of the step); the coach
        # holds a fault across it as across a stride lost. _stride_start takes hpend.
        self.hpend = st[_S_HID]
        st[_S_HID] = 0
        if self.k < 0 or t - last > _STEP_MAX_MS:
            st[_S_SYNC] = 0
            st[_S_STEADY] = 0
            self.resync = 0           # a new gait names its feet afresh (its first stride's own d)
            self.rename = 0
            self.coach.te_run = -1    # and its faults are held afresh, its flights counted afresh
            self.fly_prev = 0
            self.cad_prev = 0
            st[_S_DQC] = 0             # and times its strides afresh (the regression's slope stays:
            st[_S_RREF] = 0            # the runner's landings are the same)
            self.first = 1
            self._stride_start(t, frac, None)
            return
        self.k += 1
        if self.hpend and self.k == 1:
            self.hidden = 1       # (a middle step's gap; a stride's last step's lies in the next)
        if self.k == 1 and self.resync:
            # the last stride showed the feet the wrong way round: start again one step later
            self.resync = 0
            self._stride_start(t, frac, None)
            return
        if self.k >= 2:
            if self._upside_down():
                # measured with the mount's down up: no stride of it is reported; after two in
                # a row the frame turns (_flip) and the gait starts afresh
                self.n_down += 1
                if self.n_down >= 2:
                    self._flip(t)
                    return
                self._stride_start(t, frac, None)
                return
            self.n_down = 0
            te = self._stride_end(t, frac)
            # Which foot: the pelvis turns with the swing leg (its hip goes forward with it),
            # so while the right foot stands and the left leg swings through, the heading turns
            # right (falls), and the other way on the left foot. A stride runs from a right
            # foot strike, so its second step's heading change minus its first (d) is positive.
            # The difference of the two steps (not either alone) cancels a steady turn. Strides
            # add their d to a leaky sum (about the last 8 strides): a pelvis that yaws +-3-10 deg
            # a step gives d = 12-40 deg every stride, so a real swap takes the sum below
            # -_SIDE_EV within one or two strides; a turn's start or end moves one stride's d by
            # up to ~15 deg, and a runner whose pelvis hardly yaws gives d of +-5 deg at random
            # (SisFall D03 SA02): neither reaches it. Then the strides start one step later.
            # At the gait's first stride nothing is named yet: its own d decides.
            # A stride that lost a step in a gap (or is too short or too long: a step too many or
            # too few) held three steps or one: its d is no stride's, and the strides after it may
            # start on the other foot; so it adds nothing, and the next stride's own d names the
            # feet afresh (as a gait's first does) rather than the sum, which would take 3-7
            # strides to turn.
            d = st[_S_DPSI] - st[_S_DPSP]
            r = self.rename
            if r == 1:
                self.rename = 2
                ev = self.foot_ev
            elif r or st[_S_STEADY] <= 1:
                self.rename = 0
                ev = d
                if d < -_SIDE_MIN:
                    self.resync = 1
                    ev = -d
            else:
                ev = self.foot_ev - (self.foot_ev >> 3) + d
                if ev < -_SIDE_EV:
                    self.resync = 1
                    ev = -ev
            if ev > _SIDE_EV_MAX:
                ev = _SIDE_EV_MAX
            self.foot_ev = ev
            self._stride_start(t, frac, te)

    def _upside_down(self):
        """The stride's mean up vector (the kernel's sums of h, Q14 a sample) lies within ~50
        deg of the mount's down: the up axis reads most of gravity, and negative. Walking and
        running hold the pelvis within ~30 deg of upright, so a gait read so is one worn upside
        down (a config's sign, a clip put on the other way up)."""
        st = self.st
        u = st[_S_SU]
        return u < 0 and -u >= abs(st[_S_SF]) and -u >= abs(st[_S_SL])

    def flip_frame(self):
        """Turn the body frame by 180 deg about its forward axis (left and up change sign): the
        mount mapping and every left and up quantity the kernel holds (a rotation keeps them
        consistent: g, the gyro's offsets and their integral, the stillness and error sums). The
        pelvis's up from a standing pose (_S_UPF, _S_UPU) is left to the caller: _flip resets it,
        restore() and start() set it."""
        st = self.st
        K = kernel
        for k in (K.S_LS, K.S_US, K.S_GL, K.S_GU, K.S_SL, K.S_SU, K.S_BL, K.S_BU, K.S_BQL, K.S_BQU,
                  K.S_B0L, K.S_B0U, K.S_CAL, K.S_CAU, K.S_CGL, K.S_CGU, K.S_GLL, K.S_GLU, K.S_ALL,
                  K.S_ALU, K.S_CML, K.S_CMU, K.S_WPL, K.S_WPU, K.S_CA + 1, K.S_CA + 2, K.S_CB + 1,
                  K.S_CB + 2, K.S_PCL, K.S_PCU, K.S_BUS + 1, K.S_BUS + 2):
            st[k] = -st[k]
        a = st[_S_RMIN]
        st[_S_RMIN] = -st[_S_RMAX]
        st[_S_RMAX] = -a
        self.flipped ^= 1

    def _flip(self, t):
        """Two strides in a row read with the mount's down up: the clip is worn upside down.
        The frame turns about the forward axis (a belt clip's only other way on), the gait
        starts afresh, and the lean's reference is the one this frame had before (self.other:
        a flip back, e.g. after seconds of a sensor's garbage read as upside-down strides, finds
        the standing pose it left; CALIB ok 2, restored), else the still pose before it if that
        was the same way up (self.down), else none: the mount's axes (the fallback, as for a run
        with no standing start). CALIB says so (field e: 1 while the frame is the mount's turned
        over, 0 back on the config's): the config is left as it is."""
        st = self.st
        o = self.other
        self.other = None
        if self.calibrated:
            self.other = (self.pitch0, self.roll0, st[_S_UPF], st[_S_UPU], st[_S_AMU])
        self.flip_frame()
        self.n_down = 0
        st[_S_SYNC] = 0
        st[_S_STEADY] = 0
        self.k = -1
        self.fallback_said = 1
        d = self.down
        self.down = None
        st[_S_UPF] = 0
        st[_S_UPU] = 1 << 14
        st[_S_AMU] = st[_S_AM]
        self.pitch0 = 0
        self.roll0 = 0
        self.calibrated = 0
        e = self.flipped
        if o is not None:
            self.pitch0, self.roll0, st[_S_UPF], st[_S_UPU], st[_S_AMU] = o
            self.calibrated = 1
            self.q.push(_EV_CALIB, t, 2, _cdeg(self.pitch0), _cdeg(self.roll0), 0, e, 0)
            return
        if d is None:
            self.q.push(_EV_CALIB, t, 0, 0, 0, 0, e, 0)
            return
        af, al, au, still = d
        au = self._true_up(af, al, au)
        st[_S_CALMS] = 0
        self._set_up(af, au)
        self.pitch0 = fixmath.pitch_mdeg(af, al, au)
        self.roll0 = fixmath.roll_mdeg(al, au)
        self.calibrated = 1
        self.q.push(_EV_CALIB, t, 1, _cdeg(self.pitch0), _cdeg(self.roll0), still, e, 0)

    def _thresholds_reset(self):
        st = self.st
        st[_S_HI] = _ONE_G_Q16 + _STEP_HI
        st[_S_LO] = _ONE_G_Q16 - _STEP_LO
        st[_S_REFR] = _REFR_MS
        st[_S_IV0] = 0
        st[_S_IV1] = 0
        st[_S_IV2] = 0
        st[_S_PMIN] = _BIG
        st[_S_PMAX] = -_BIG

    def _stride_start(self, t, frac, te0):
        # te0: where the stride starts (ms); None: at this step's fiducial
        st = self.st
        self.hidden = self.hpend
        a = st[_S_PSIB] + st[_S_PSI]
        if a > _PI_Q16 or a < -_PI_Q16:
            a = _wrap(a)
        st[_S_PSIB] = a
        st[_S_FLYN] = 0
        self.k = 0
        off = stride_mark(st, t, frac)
        # a gait's first stride starts at its step's fiducial; the others where the last ended
        if te0 is None:
            self.te0 = t - ((off + 8) >> 4)
            st[_S_BL0] = st[_S_GAPS] << 1
        else:
            self.te0 = te0
            st[_S_BL0] = st[_S_GAPS]
        self.ri0 = st[_S_RI] - 1
        self.dstart(self.dyd, self.ri0)
        stride_reset(st)

    def _stride_end(self, t, frac):
        # returns where the stride ended (ms), on the clock that timed it: the next starts there
        st = self.st
        te = t - ((frac + 8) >> 4)
        dur = te - self.te0
        if dur < _STRIDE_MIN_MS or dur > _STRIDE_MAX_MS:
            st[_S_DQC] = 0
            self.rename = 1       # a step too many or too few: the feet are named afresh
            return te
        if self.first:
            # A gait's first trigger can be the weight shift that begins it, not a foot strike:
            # the stance leg is loaded 0.3-0.4 s before the first heel strike (a walker from
            # standing, mobgap MS_001 Test5: 1.15 g, 0.35 s before it). In a stride of steady
            # gait one step lasts within ~1.5x the other (left/right step-time asymmetry stays
            # below that even in hemiparetic gait), so a first step under 2/3 of the second was
            # no step: the stride is not reported and the next names its feet afresh.
            self.first = 0
            tm = st[_S_T2]                  # its middle step (kernel.at_step's log)
            if 3 * (tm - self.te0) < 2 * (t - tm):
                st[_S_DQC] = 0
                self.rename = 1
                return te
        # A gap in the samples long enough to hold a flight can hide a step (no sample below the
        # trigger's re-arm level between two stances), in this stride or at the end of the last
        # (a gap that ends a stride moves its step to the gap's end, and the next landing then
        # falls in the trigger's refractory time: _S_GAPMX covers both strides). When the stride
        # also lasted nearer three steps than two of the last stride's (over 1.25 x: a runner's
        # stride time changes by a few % from one stride to the next), a step was lost and the
        # stride is not measured (4 x dur ms > 5 x the last stride's 1/16 ms / 16)
        if st[_S_GAPMX] >= _GAP_HIDES and 64 * dur > 5 * st[_S_DQP]:
            st[_S_DQC] = 0
            self.rename = 1       # and the strides after it may start on the other foot:
            # they do when it held an odd count of steps (its half-strides, rounded: three where
            # one step was lost), so the next starts a step later, as a swap the naming finds
            # does (there the next stride's own d names the feet again, and corrects this). Else
            # a stride or two ran on the other foot until the naming found it: each half over
            # two of the runner's, its hip drop and contact time put on the wrong side
            dqp = st[_S_DQP]
            if dqp > 0 and ((64 * dur + dqp) // (2 * dqp)) & 1:
                self.resync = 1
            return te
        # stride time, 1/16 ms: contact onsets or trigger crossings, whichever is the steadier
        # clock for this runner (kernel.py)
        # Samples lost at an end's fiducial (a cheap board's bursts: 40-120 ms at 50 Hz) leave that
        # step's time unknown by up to the gap: 5-15 spm on the stride. The runner's stride time
        # changes by 1-3 % from one stride to the next (the crosscheck's truth: median 1.1 spm),
        # so where the gap costs more than that (kernel.at_step's _S_GAPS), a stride that ends
        # there keeps the last one's time (in this gait), and ends where that puts it;
        # the next stride then runs from there to its own end, and the two together are as long
        # as measured between their good ends. A stride that starts afresh there (its feet named
        # again) keeps the last one's time too. The clocks' own choice is not made on such a
        # stride (kernel.stride_time).
        b = st[_S_GAPS]
        b0 = st[_S_BL0]
        dqp = st[_S_DQP]                   # the last stride's time (stride_time sets it anew)
        dq = stride_time(st, t, frac, b | b0)
        # a stride with a contact at one end only, or at neither, ran trigger to trigger (the
        # clocks need like fiducials at both ends: stride_time leaves _S_DQC 0 then); unless an
        # end lost samples (b, b0: it keeps the last stride's time, below)
        trig = 1 if st[_S_DQC] == 0 and not (b | b0) else 0
        if (b | b0) and st[_S_STEADY] and dqp > 0:
            if b or b0 == 2:
                dq = dqp
                if b:
                    st[_S_TEQ] = ((t - self.te0) << 4) - dq
            elif ((t - self.te0) << 4) - st[_S_TEQ] > dqp >> 1:
                # (from where the last stride's end was put; a stride of half the last is
                # no stride's, and the clock's own time stands)
                dq = ((t - self.te0) << 4) - st[_S_TEQ]
            st[_S_DQP] = dq
        # the stride ends at the fiducial of the clock it used (rounded to the ms), where the
        # next one starts: consecutive strides chain exactly, and while the clock stays the same
        # cadence (from dq) agrees with 120000 / dur (the log stores only dur)
        te = t - ((st[_S_TEQ] + 8) >> 4)
        dur = te - self.te0
        lean = _pitch_mdeg(st[_S_SF], st[_S_SL], st[_S_SU]) - self.pitch0
        # its cosine, Q14, for the rolls (fixmath.asin_pairs: the pelvis's roll about its own
        # forward axis): 1 until the standing pose is known (the mount's pitch is no pelvis's),
        # and past 60 deg (no running pose: asin_pairs reads those as plain arcsines)
        c = 16384
        if self.calibrated:
            c = _sin_q14(90000 - (lean if lean >= 0 else 0 - lean))
        self.dyd[_D_COS] = c
        # (mdeg -> cdeg in _LEAN_Q steps, rounded half away from zero; inline: a call a stride
        # costs ~15 instructions a sample, make bench)
        if lean >= 0:
            lean = (lean + 5 * _LEAN_Q) // (10 * _LEAN_Q) * _LEAN_Q
        else:
            lean = 0 - (5 * _LEAN_Q - lean) // (10 * _LEAN_Q) * _LEAN_Q
        rot = detrended_p2p(self.yb, st[_S_N], st)
        if rot > 131072:
            rot = 131072
        # Q16 rad -> cdeg in _ROT_Q steps, rounded half up (rot * 5730 < 2**30)
        rot = (rot * 5730 + (_ROT_Q << 15)) // (_ROT_Q << 16) * _ROT_Q
        roll = _asin_span_cdeg(st[_S_RMAX], st[_S_RMIN], c)
        cad = (19200000 + (dq >> 1)) // dq       # steps/min * 10 (1200000 * 16 / dq)
        # running: a flight phase in the stride (gait physics), at a running cadence. A change of
        # gait takes more than one stride, so the activity follows only like strides (a slow
        # jogger's odd grounded stride, a walker's odd bounce, change nothing). A runner flies
        # before every landing, so running begins when 3 of the last 4 steps (two strides) had a
        # flight; a brisk walker's pelvis dips below 0.25 g on a step now and then (a bounce, the
        # belt's wobble: up to 14 % of the steps of SisFall's walks), rarely on 3 of 4. Running
        # goes on while each stride has one: a slow jogger's flight can be shallow on one side
        # (SisFall slow jogs: 55-75 % of the steps of some runners), and ends after _TO_WALK
        # strides without. Or while both its steps bounce without a flight, sinking below a
        # walk's lowest force (dynamics.py, _DIP): a jog that no longer leaves the ground is
        # running still (its energies bounce, a walker's trade: hinge.dev.gaitphase), but only
        # a flight starts running (README: counting these toward the start gained no SisFall
        # verdict). Both steps, where one flight will do: a run's last steps before a walk can
        # bounce low (with one, 4 of 6 of our simulator's walk_breaks runs held 1-2 more
        # walking strides running), and one would add only 2-4 % of SisFall's grounded jogs'
        # strides. A flight the energy phase took back but that bounces as a clip higher on
        # the belt would read it (the lever's forward force: dynamics.py, D_FLU) keeps a
        # runner running too, and starts nothing.
        fly = st[_S_FLYN]
        if self.act == _ACT_RUNNING:
            if cad >= self.run_min and (fly > 0 or self.dyd[_D_FLU] > 0 or self.dyd[_D_BN] >= 2):
                self.n_like = 0
                act = _ACT_RUNNING
            else:
                self.n_like += 1
                act = _ACT_WALKING if self.n_like >= _TO_WALK else _ACT_RUNNING
        else:
            self.n_like = 0
            act = _ACT_WALKING
            if cad >= self.run_min and self.cad_prev >= self.run_min and fly + self.fly_prev >= _TO_RUN:
                act = _ACT_RUNNING
        self.fly_prev = fly
        self.cad_prev = cad
        if act != self.act:
            self.n_like = 0
        if not self.calibrated and not self.fallback_said:
            self.fallback_said = 1
            self.q.push(_EV_CALIB, te, 0, 0, 0, 0, 0, 0)
        if act != self.act:
            self._set_activity(act, te)
        flags = act | (_FLAG_CALIBRATED if self.calibrated else 0)
        if act == _ACT_RUNNING and fly == 0:
            # grounded: see the coach below; logged for the host's replay
            flags |= _FLAG_GROUNDED
        st[_S_STEADY] += 1
        st[_S_SYNC] = 1
        if self.hidden:
            return te             # (a step of it lay in a gap: above, _step)
        self.strides += 1
        q = self.q
        ri = st[_S_RI] - 1
        held = act == _ACT_WALKING or fly == 0 or trig
        if held:
            # timed by its steps' shape (walkclock.py), which needs samples after this step:
            # held until they are in (_release), then reported as measured here but for that.
            # A running stride with no flight (grounded: a slow jog's, a shuffle late in an
            # ultra) is timed so too: no flight, no contact to time, so its ends are the
            # trigger's crossings, which move with the step's force shape as a walk's do
            # (SisFall's grounded jogs: the stride-to-stride change of their cadence 3.5 / 3.3
            # / 4.5 -> 2.1 / 2.6 / 3.3 spm on SE10, SE12, SE13). It is not coached (below), so
            # holding it moves no cue. And so is a stride that flew but found a contact at one
            # end only (a slow jogger's shallow flight on one side, a landing too soft for an
            # onset and without a kink): trigger to trigger as well (kernel.stride_time). That
            # one is coached, at its release (_coach, with the cadence the match gave): 240 ms
            # later, its cues at the stride's own time as before (SisFall: 469 of 9590 flying
            # strides; our simulator's 13 on 60 runs: |error| 1.95 -> 1.31 spm, median).
            if self.hold.n:
                self._release()     # (feed released it at this step's event: kept so that no
                #                     order of calls drops one from the 2-event hold)
            q = self.hold
            self.hold_i0 = self.ri0
            self.hold_i1 = ri
            self.hold_t = t
        put(q.buf, q.slot(), _EV_STRIDE, te, lean, rot, cad, dur, flags, roll)
        dyn = self.dyn
        dyn.stride_end(q, te, self.yb, ri)
        coach = self.coach
        # A running stride without a flight (grounded) may be the first of a walk: the label
        # follows only after _TO_WALK of them, and a buzz in them comes while the runner walks
        # (a repeat falling due there: ~3 % of the walk breaks of a run/walk ultra with a fault
        # held). It is not coached; the next stride that flies holds the fault for its time too
        # (Coach.stride, as for strides lost in gaps), so a jogger's odd grounded stride defers
        # a due cue by a stride (~0.7 s).
        if act != _ACT_RUNNING:
            coach.reset()
        elif fly:
            d = self.dyd
            if held:
                # coached when its cadence is known (_release)
                hc = self.hc
                hc[0] = 1
                hc[1] = te
                hc[2] = lean
                hc[3] = rot
                hc[4] = dur
                hc[5] = d[_D_QSW]
                hc[6] = d[_D_QDL]
                hc[7] = d[_D_QDR]
                hc[8] = d[_D_QDM]
            else:
                # _coach's body inline: as a call on every running stride it cost 34
                # instructions a sample (make bench, 32-bit: 5.13k against 5.10k)
                coach.stride(te, lean, rot, dur)
                if coach.form_on:
                    coach.form(te, cad, dur, d[_D_QSW], d[_D_QDL], d[_D_QDR])
                self.drift.stride(te, lean, rot, d[_D_QSW], d[_D_QDM], dur)
        return te

    def _coach(self, te, lean, rot, cad, dur, qsw, qdl, qdr, qdm):
        """Coach a held running stride that flew, at its release (_stride_end does the same
        inline for the others): the fault cues, the optional ones (tilt swing ``qsw``, hip
        drop ``qdl``/``qdr``, cadence ``cad``: 1/10 steps/min) and the drift (mean hip drop
        ``qdm``)."""
        coach = self.coach
        coach.stride(te, lean, rot, dur)
        # the stride's tilt swing and hip drop in the log's steps (dynamics.D_QSW: a replay of
        # the log judges the same values)
        if coach.form_on:          # hip drop, tilt swing, cadence: the optional cues
            coach.form(te, cad, dur, qsw, qdl, qdr)
        self.drift.stride(te, lean, rot, qsw, qdm, dur)


def _wrap(a):
    """A heading difference (Q16 rad) into -pi..pi."""
    while a > _PI_Q16:
        a -= 2 * _PI_Q16
    while a < -_PI_Q16:
        a += 2 * _PI_Q16
    return a


# millidegrees -> centidegrees (fixmath.py)
_cdeg = fixmath.cdeg
_pitch_mdeg = fixmath.pitch_mdeg
_asin_span_cdeg = fixmath.asin_span_cdeg
_sin_q14 = fixmath.sin_q14
