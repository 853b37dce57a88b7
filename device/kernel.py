"""The per-sample detector kernel: orientation, vertical force, step trigger, stillness.

One ``@micropython.viper`` function, :func:`run`, walks a block of raw samples and keeps all of
its state in one preallocated ``array('i')`` (slots ``S_*`` below). It stops right after a
sample that triggers an event (a step, 3 s of standing still, or no step for a while) and returns that sample's
index + 1, so the Python layer (``detector.py``) can handle the rare events; otherwise it
returns ``n``. No float, no allocation, every intermediate within +-2**30 (the ESP32's small-int
range), so CPython, the unix port and the board compute the same bits.

Input block (the sample buffer contract): ``array('h')``, 7 int16 per sample
``[dt, ax, ay, az, gx, gy, gz]``: ``dt`` is the time since the previous sample in 1/16 ms
(62.5 us), read as an unsigned 16-bit value (0..65535 = 0..4095.94 ms), then raw counts in the
IMU's own axes at the configured full scales. Sub-millisecond dt matters: a 104 Hz IMU samples
every 9.615 ms, and an IMU's own clock is 1-2 % off its nominal rate, so dt must come from a
measured clock (the capture's timestamps, or the firmware's rate estimate against ``ticks_us``),
not from the nominal rate. The session clock ``S_T`` counts whole ms and ``S_TQ`` the 1/16 ms
remainder, so 30 hours stay far inside +-2**30.

Fixed-point scales (body frame = forward F, left L, up U, right-handed):

==============  =====================================================================
a (accel)       Q12 g: 1 g = 4096   (raw * S_AM >> 13)
w (gyro rate)   Q24 rad/ms: 1 rad/ms = 2**24   ((raw - bias) * S_GM >> S_GSH)
theta           Q16 rad: rotation during one sample, (w * dt16 + 2048) >> 12, clamped +-2**15
g (gravity up)  Q24 unit vector in the body frame (S_GF, S_GL, S_GU); h = g >> 10 is Q14
vlp             Q16 g: vertical specific force (a . h) low-passed at ~4 Hz
psi             Q16 rad: heading (rotation about the vertical) since the stride started
==============  =====================================================================

Orientation: a gravity-vector filter. The gyro rotates g (dg = -theta x g); the accelerometer
pulls g toward itself with the *unnormalised* perpendicular error c = a - (a.g)g times
dt/tau. Unnormalised matters: during running the error then averages to the mean horizontal
acceleration over a stride, which is zero at steady speed, whereas normalising by |a| would
weight stance (2-3 g) against flight (0 g) and bias the lean. The error is clamped (+-2 g) so a
heel-strike spike cannot yank the estimate (soft rejection). g is renormalised every sample.
Rotation about the vertical is the gyro projected on g (yaw rate about the true vertical),
so hip drop (roll) does not leak into "swivel". Across a gap in the samples g's turn is
predicted twice (the gyro's bridge; the same phase one stride back, from the dynamics ring) and
the two are mixed by how well each predicted the last stride (see run(), "Two predictions"); a
gap longer than the bridge spans (a cheap board's 0.3-0.5 s dropout) takes the stride's
repetition alone, at the phase the whole gap gives.
"""
import micropython
from micropython import const

# ---- state slots (array('i')) ----------------------------------------------------------
S_FI = const(0)     # sensor axis index feeding body forward (0..2)
S_FS = const(1)     # its sign (+1/-1)
S_LI = const(2)
S_LS = const(3)
S_UI = const(4)
S_US = const(5)
S_AM = const(6)     # accel multiplier: a_Q12 = raw * AM >> 13
S_GM = const(7)     # gyro multiplier: w_Q24 = (raw - bias) * GM >> GSH
S_GSH = const(8)
S_BF = const(9)     # gyro bias, raw counts, body F/L/U
S_BL = const(10)
S_BU = const(11)
S_BQF = const(12)   # gyro bias tracker, raw counts Q8
S_BQL = const(13)
S_BQU = const(14)
S_GF = const(15)    # gravity-up unit vector, Q24
S_GL = const(16)
S_GU = const(17)
S_KPM = const(18)   # accel correction gain per ms: 2**20 / tau_ms
S_KLP = const(19)   # vertical low-pass gain per ms, Q16 (2*pi*fc/1000 * 2**16)
S_VLP = const(20)   # vertical specific force, low-passed, Q16 g
S_TRIG = const(21)  # step Schmitt trigger state: 0 low, 1 high
S_HI = const(22)    # trigger thresholds, Q16 g (absolute, around 1 g = 65536)
S_LO = const(23)
S_T = const(24)     # time of the current sample, ms
S_LAST = const(25)  # time of the last step, ms
S_REFR = const(26)  # minimum step interval, ms
S_PSI = const(27)   # heading since stride start, Q16 rad
S_N = const(28)     # samples in the current stride (also index into the psi buffer)
S_SF = const(29)    # sum of h (Q14) over the stride, F/L/U
S_SL = const(30)
S_SU = const(31)
S_J1G = const(32)       # the ring index of the last contact's 1 g crossing sample (at_step's kink)
S_FLEW = const(33)      # 1 when at_step() counted the step's flight in S_FLYN (dynamics.step
#                         may take it back)
S_RMIN = const(34)  # min/max of h_L (Q14) in the stride: roll excursion
S_RMAX = const(35)
S_STILL = const(36)     # ms of continuous stillness
S_CN = const(37)        # samples summed for calibration (capped at S_CNMAX)
S_CAF = const(38)       # calibration sums: accel Q12 F/L/U, gyro raw F/L/U
S_CAL = const(39)
S_CAU = const(40)
S_CGF = const(41)
S_CGL = const(42)
S_CGU = const(43)
S_CALMS = const(44)     # stillness needed to calibrate, ms (0 = calibration done/disabled)
S_STA = const(45)       # stillness: max | |a|^2 - 1 | in Q20 g^2
S_STW = const(46)       # stillness: max of S_GDEV, raw counts
S_EVT = const(47)       # event bits from the last run(): EVT_STEP, EVT_STILL
S_BUFN = const(48)      # capacity of the psi buffer
S_INIT = const(49)      # 1 until the first sample initialised g
S_GLF = const(50)       # gyro low-pass (raw counts Q4) for the stillness test
S_GLL = const(51)
S_GLU = const(52)
S_ALF = const(53)       # accel low-pass (Q12 << 4) for the stillness test
S_ALL = const(54)
S_ALU = const(55)
S_STAA = const(56)      # stillness: max |a - a_lp| per axis, Q12
S_GDEV = const(57)      # stillness: the gyro's deviation from its low-pass, the largest axis's
#                         |gyro - gyro_lp| averaged over ~8 samples (raw counts Q4), updated while
#                         the accelerometer reads still (the sensor's white noise averages out: one
#                         noisy sample does not end a standing still)
S_AMU = const(58)       # the up axis's accel multiplier (S_AM until the standing pose corrects it)
S_KF = const(59)        # the last step's contact kink (at_step(), _KINK_MAX): 1/16 ms before its
S_KOK = const(60)       # step's t (as S_TFRAC), and 1 when it has one
S_KF0 = const(61)       # the stride's first step's kink and whether it had one (stride_mark)
S_KK0 = const(62)
S_CNMAX = const(63)     # cap on calibration sample count
S_DTMAX = const(64)     # largest dt integrated (1/16 ms); bigger gaps are clamped (the clock keeps the full dt)
S_NSAMP = const(65)     # samples seen (saturating), for diagnostics
S_DQK = const(66)       # the last stride's time from contact kinks (1/16 ms; 0: not at both ends),
S_JK = const(67)        # its stride-to-stride jitter (as S_JC)
S_IDLE = const(68)      # 1 while a step was seen and no idle event sent since
S_IDLEMS = const(69)    # no step for this long -> EVT_IDLE, ms
S_C29 = const(70)       # the constant 2**29; the kernel doubles it into a viper word (2**30 is no
#                         small int on the ESP32, and as a literal the compiler would make it a heap int)
S_TFRAC = const(71)     # the last step's trigger crossing is S_LAST ms - S_TFRAC/16 ms (interpolated;
#                         may be negative: the crossing's sub-ms part lies after the whole ms)
S_DPSI = const(72)      # the heading's change over the step that just ended, and over the one
S_DPSP = const(73)      # before it (Q16 rad, within +-pi; set by at_step(), read to name feet)
S_FID = const(74)       # the last step's timing: 1 = a contact's onset, 0 = the trigger crossing
S_TCOK = const(75)      # 1 while the last contact's rise was steep enough to be a foot strike
S_CMF = const(76)       # mean accel error of the last step, Q12 g (step-synchronous correction),
#                         turned with the body each sample while it is applied
S_CML = const(77)
S_CMU = const(78)
S_SYNCMS = const(79)    # use the step mean while steps come closer than this (ms)...
S_SYNC = const(80)      # ...and the detector is following a gait (set by detector.py)
S_PMIN = const(81)      # min/max of vlp since the last step, Q16 g (adaptive step thresholds)
S_PMAX = const(82)
S_TQ = const(83)        # sub-ms part of the session clock, 1/16 ms (0..15)
S_KN = const(84)        # strides in a row timed on kinks as well (up to 8; stride_time)
S_PER = const(85)       # the sample period (1/16 ms), followed on dt that are not gaps
S_WPF = const(86)       # the previous sample's rate w, Q24 rad/ms, F/L/U (to bridge gaps)
S_WPL = const(87)
S_WPU = const(88)
S_CA = const(89)        # two sums of the accel error c (Q12 g; F, L, U, then the sample count),
S_CB = const(93)        # each over two steps (a stride), started at alternate steps; turned with
#                         the body each sample, so each is a sum in a world-fixed frame (below)
S_PVP = const(97)       # the previous sample's vertical specific force pv, Q12 g
S_AIR = const(98)       # 1 once pv fell below _AIR_Q12 since the last contact (airborne)
S_FLY = const(99)       # ms spent airborne (pv < _AIR_Q12) since the last step event
S_TC = const(100)       # the last contact: pv rose through _CONTACT_Q12 after a flight, at
S_TCB = const(101)      # S_TC ms - S_TCB/16 ms (interpolated; same convention as S_TFRAC)
S_FAST = const(102)     # ms left of the fast start (accel correction 8x faster), after S_INIT
# per-step correction (at_step()): state and parameters
S_PAR = const(103)      # which error sum is the older one: 0 = S_CB, 1 = S_CA
S_PSIB = const(104)     # heading at the current stride's start, Q16 rad (within +-pi)
S_HD1 = const(105)      # heading at the last step and the one before (Q16 rad), and their times (ms)
S_HD2 = const(106)
S_T1 = const(107)
S_T2 = const(108)
S_STEADY = const(109)   # strides of unbroken gait (set by detector.py)
S_KB = const(110)       # gyro bias integral gain, Q12 (raw counts Q8 per error Q12 per ms)
S_BLIM = const(111)     # how far the integral may move the bias, raw counts Q8
S_B0F = const(112)      # the calibrated bias, raw counts, F/L/U
S_B0L = const(113)
S_B0U = const(114)
S_IV0 = const(115)      # the last three step intervals, ms (0 = none yet)
S_IV1 = const(116)
S_IV2 = const(117)
S_FLYN = const(118)     # steps with a flight phase in the current stride
S_C2 = const(119)       # 1 between a contact's 0.5 g and 1 g crossings (its onset is being found)
# the dynamics ring (dynamics.py): per sample, 3 words at yb[S_BUFN + 3 * (index & S_RMSK)]:
# (dt << 16) | (pv & 0xFFFF) (dt in 1/16 ms, clamped to S_DTMAX; pv Q12 g), (c_F << 16) | (h_F &
# 0xFFFF) (c_F: the forward specific force across gravity, Q12 g within +-2 g), ((w_L >> 6) <<
# 16) | (h_L & 0xFFFF) (w_L >> 6: the pitch rate, the gyro's less its bias, Q18 rad/ms = 262.1
# a rad/s, within +-9200 at the widest range, 2000 deg/s; h_L Q14); readers take h_F and h_L as
# the low 16 bits, sign-extended
S_RI = const(120)       # index of the next sample in the ring (free-running, wraps at 2**30)
S_RMSK = const(121)     # ring size - 1 (a power of two); 0 = no ring
# stride timing (stride_mark(), stride_time())
S_RISE = const(122)     # the last contact's rise from 0.5 g to 1 g, 1/16 ms (-1: not measured)
S_T0 = const(123)       # the stride's first step: its time (ms), fiducial offset (1/16 ms, as
S_F0 = const(124)       # at_step() returns it), trigger offset (as S_TFRAC), which fiducial
S_FT0 = const(125)      # (as S_FID) and its contact's rise (as S_RISE)
S_K0 = const(126)
S_X0 = const(127)
S_DQC = const(128)      # the last stride's time from contact onsets (corrected) and from trigger
S_DQT = const(129)      # crossings, 1/16 ms (S_DQC 0: it had no contact at both ends)
S_JC = const(130)       # their stride-to-stride jitter: leaky sums of |change|, 8 x the mean,
S_JT = const(131)       # 1/16 ms
S_RSXY = const(132)     # the landing-shape regression: leaky sums of deviation x rise difference
S_RSXX = const(133)     # ((1/16 ms)**2) and of rise difference squared (its slope: S_RB)
S_RREF = const(134)     # the runner's recent stride time (corrected, 1/16 ms; 0 = none yet)
S_GAPMX = const(135)    # the longest gap in the samples since the last stride began, 1/16 ms (up to dtmax)
S_TEQ = const(136)      # where the stride that stride_time() timed ends: 1/16 ms before its step,
#                         on the clock it used (the corrected onset, or the trigger crossing)
S_CLK = const(137)      # the clock stride_time() uses while there: 0 contact, 1 trigger, 2 kink
S_DQP = const(138)      # the last stride time stride_time() returned, 1/16 ms (0: none yet)
S_RB = const(139)       # the regression's slope from S_RSXY / S_RSXX, Q8 (set where they change)
S_GAPRI = const(140)    # the ring index of the sample after the last gap (run()'s periodic prediction)
S_GAPCUR = const(141)   # the longest gap since this stride began, 1/16 ms (stride_mark moves it to S_GAPMX)
S_PCF = const(142)      # the last sample's accel error c, Q12 g, F/L/U (a gap's share of the
S_PCL = const(143)      # stride's error sums, run(): the trapezoid across the gap)
S_PCU = const(144)
S_UPF = const(145)      # the standing pose's up direction in the body's forward-up plane, Q14 unit
S_UPU = const(146)      # vector (F, U): the pelvis's own up, which the heading's roll is taken
#                         about (detector.py sets it at calibration; (0, 16384) until then)
S_GAPS = const(147)     # 1 when samples lost at the last step's fiducials cost its time more than
#                         keeping the last stride's would (at_step(), "samples lost")
S_BL0 = const(148)      # S_GAPS of the step the stride under way starts on: 1 where the last
#                         stride's end was put, 2 at its own step (a fresh start; detector.py)
S_NEG = const(149)      # ms the low-passed force along g was below -0.5 g since the last step
#                         (run(): g upside down while moving)
S_KSXY = const(150)     # the kink's landing-shape regression (stride_time(), as S_RSXY, S_RSXX and
S_KSXX = const(151)     # S_RB for the onset): its leaky sums and its slope, Q8
S_KRB = const(152)
S_KFL = const(153)      # the last step's largest run of slope increases (at_step(), as S_KF): the
#                         contact dynamics.py times the stance from (S_KF may be an earlier corner)
S_BUN = const(154)      # the gyro's offsets are not known yet (no stillness, no kept calibration):
#                         1.._BUN_WAIT + _BUN_N, steps since the one-shot estimate began or a turn
#                         began it again (at_step()); 0 known
S_BUS = const(155)      # ... its sums of the tilt error, F/L/U (Q12 rad, each within +-_E_ONE)
S_BONE = const(158)     # the bias integral's time constant in 16 ms (detector.py: the one-shot
#                         moves the offsets as far as that long at the error would)
S_TGP = const(159)      # the time of the sample after the last gap of >= _GAP_LATE (ms; run())
S_RESC = const(160)     # a step proved by its contact and the next flight (run(), at_step()): the
#                         ms of flight its event's own sample holds, + 1 (0: a trigger's step)
S_TGP0 = const(161)     # the time of the sample before that gap (ms)
S_GI = const(162)       # the last gap's periodic weight (run()), Q8, + 1 (0: none found yet)
S_HID = const(163)      # 1: this step's trigger lay in a gap (run(): proved by its contact and
#                         the next flight, or re-armed across the gap); dynamics.step() takes no
#                         measures of it and the detector does not report its stride
S_RLV = const(164)      # a gap in the samples of >= _GAP_RLV ended at this time (ms, run()), then
#                         -(the first step's after it): the tilt is set afresh from the first error
#                         sum from that step on that spans a stride (at_step()); 0 none
S_SIZE = const(165)

# stillness (run())
_CAL_MIN_MS = const(1000)    # a still stretch this long is standing: no gait holds the pelvis
#                              still for a second (a walker's slowest steps are ~1 s apart, and
#                              the pelvis moves within them), and 1 s averages the standing's own
#                              sway and the sensor's noise to a few hundredths of a degree

# step timing and trigger adaptation (at_step())
_FLY_MS = const(20)          # a step counts as airborne after >= 20 ms below 0.25 g: a real flight
#                              lasts >= 50 ms even in a slow jog; single-sample dips (sensor noise,
#                              heel-strike ringing) do not
_CONTACT_MS = const(400)     # the contact must lie within 400 ms before the trigger
GAP_HIDES = const(1600)      # a gap in the samples of 100 ms (1/16 ms) can hold a whole flight
#                              (50-150 ms) and with it the unloading that re-arms the step trigger
_GAP_LATE = const(800)       # a gap of 50 ms (1/16 ms) before a step's trigger sample can make it
#                              late by a step's margin over the refractory time (a step at 200
#                              spm lasts 300 ms, REFR_MS 250)
_RESC_MIN_MS = const(150)    # a contact proves a step (run(), S_RESC) >= 150 ms after the last
#                              step's event: contacts lie >= REFR_MS apart, and a step's trigger
#                              fires <= 100 ms after its own contact (_FLY_MS .. its rise to 1.1 g)
STEP_HI = const(6554)        # step trigger at 1 g + 0.10 g (Q16 g above 1 g)
_HYST_MIN = const(3277)      # re-arm a quarter of the step's force swing below the trigger: 0.05 g
_HYST_MAX = const(9830)      # ... to 0.15 g
REFR_MS = const(250)        # refractory time: 0.6 x the median of the last three intervals,
_REFR_MAX_MS = const(500)     # within 250-500 ms
# Turning: heading rate above 5 deg/s over a stride (Q16 rad per s: 0.0873 rad/s * 65536). At
# 4 m/s that is 0.035 g of centripetal force (2 deg of apparent tilt); a slower heading change
# leaks at most ~0.2 deg of it into pitch through the filter's 1 s lag.
_TURN = const(5718)
_PI_Q16 = const(205887)      # pi in Q16 rad
STEP_MAX_MS = const(1500)    # a longer gap between steps breaks the gait (and the stride)
_STEADY = const(8)           # strides of unbroken gait before the integral runs: the filter
#                              (tau 1 s) has settled from the start of the gait by then
_E_MAX = const(256)          # a tilt error beyond 1/16 rad (3.6 deg) is not gyro bias (it would
#                              take 3.6 deg/s of offset at tau = 1 s, beyond any gyro's spec
#                              after the standing calibration): not integrated
# With no calibration at all (a restart mid-run with nothing kept: the offsets are the chip's own,
# up to +-5 deg/s on the MPU-6500's data sheet, +-1 on the LSM6DSO's) the offset leaves a tilt
# error of offset x tau (1 s), which the integral (tau_i 10 s) takes 10-20 s to learn: lean
# 3-5 deg off over the first ~15 s of a run with a 3 deg/s offset (the crosscheck's x4 started
# mid-run), long enough for a false upright cue. Once the accelerometer's correction has settled
# (_STEADY_ONE strides: 3 tau), its error is offset x tau, so the mean error over _BUN_N steps
# moves the offsets in one go by what tau_i at that error would (e / tau: the loop's own
# equilibrium); the integral then goes on as after a calibration. Not in a turn, nor until the
# correction has settled after one (_BUN_WAIT steps): there the error holds the turn's own
# forces (a start in the middle of the crosscheck's x1's 135-deg turn took 5 deg/s of "offset"
# from them, and the lean stayed 6 deg off: the integral does not take errors past _E_MAX).
# A gap in the samples is bridged by a guess (the gyro's two end rates, or the same phase a
# stride back). The guess's error grows as the gap cubed (a straight line across the pelvis's
# swing, whose rate turns at up to its third step harmonic, ~9 Hz): across a landing, whose
# one-sample nod of the belt reaches 200 deg/s, a 160-ms gap left g 10-16 deg off (cheap_50 seed
# 36), ~2 deg at 120 ms typically, and the correction (tau 1 s) takes 2-3 strides to take it
# out. The first whole stride after the gap measures the tilt outright: its mean specific force
# is gravity (the body neither speeds up nor climbs over a stride: the loop's own equilibrium),
# so g is set to it in one go there (at_step(): the first error sum, two steps, from the first
# step after it on, that spans a stride).
# That measure has an error of its own, one stride's: 0.2-1.0 deg median (|the stride's mean
# error| in steady running, the crosscheck's x1, x2, x4 and our simulator's rate_100, good_form,
# trail), which the cubed bridge error reaches near 80 ms (2 deg x (80 / 120)**3 = 0.6). Below
# that the bridge is kept (the 100-Hz crosscheck runs with bursts of 2-6 samples lost: a 50-ms
# limit took their lean p90 from 0.68 / 0.40 to 0.76 / 0.50 deg).
_GAP_RLV = const(1280)       # 80 ms, 1/16 ms
_STEADY_ONE = const(4)       # strides: ~2.8 s at running cadence, 3 tau of the correction
_BUN_WAIT = const(8)         # steps after a turn: ~2.8 s, 3 tau
BUN_FIRST = const(9)         # S_BUN at a start (detector.py): _BUN_WAIT + 1, no wait (the
#                              _STEADY_ONE strides before the estimate are the settling)
_BUN_N = const(4)            # steps averaged (two strides: both feet's)
_E_ONE = const(512)          # one step's error counted up to 1/8 rad (7.2 deg: a 7 deg/s offset,
#                              past any supported gyro's spec): a larger one is no offset's

# Running has a flight phase: the body is airborne and the sensor feels ~0 g (SisFall jogging:
# per-step minimum -0.8..+0.1 g); walking keeps a foot on the ground and never drops below ~0.3 g
# (SisFall brisk walking: 0.3-0.7 g). Below 0.25 g the runner is in the air.
_AIR_Q12 = const(1024)
# Contact: after a flight the ground force rises from ~0 g toward body weight, steeply with a
# heel-strike transient (0.5 g within ~5 ms), more gently without (~15-20 ms): a fiducial on one
# level moves by ~10 ms from step to step when only some steps strike the heel. The contact is
# where the rise begins: the line through its 0.5 g and 1 g crossings (above the flight's +-0.2 g
# wobble), extended back to 0 g. That needs the rise resolved by two or more samples (a period
# <= 12 ms: 83 Hz and up); at 50 Hz one sample pair spans the whole rise and the 0.5 g
# crossing alone is the better estimate.
_CONTACT_Q12 = const(2048)
_CONTACT2_Q12 = const(4096)
_RISE_MAX = const(800)       # from 0.5 g to 1 g a foot strike's rise takes 2-6 ms with a heel
#                              transient and 10-40 ms landing softly on the forefoot (loading to body
#                              weight in 30-80 ms); the swing leg's braking before contact lifts the
#                              trunk's force far more slowly (SisFall jogs: 0.5 -> 1 g in 70-150 ms).
#                              A rise slower than 50 ms (1/16 ms) is no strike: no onset this step
_ONSET_PER = const(192)      # extend back only at sample periods <= 12 ms (1/16 ms)
# The contact's kink (at_step(), a step clock for stride_time()): where the force's slope
# increases the most, from the flight's last sample below 0.25 g (and the one before it; at
# 50 Hz from the force's last dip above 0.25 g where there is one, see at_step()) to the
# sample of the 1 g crossing. At a foot strike the ground force starts: the slope at the sensor
# jumps from whatever the flight gives (the lever's swing, a smooth ramp of ~0.01 g/ms) to the
# loading's (0.02-0.4 g/ms). A level crossing moves with the landing's shape, and with a lever
# swing that lifts the force toward the level before the foot is down; the kink does neither.
# Each run of samples where the slope increases (a convex corner) is a candidate, at the
# centroid of its increases; the largest is the contact. Slope changes in 1/16 Q12 g per
# 1/16 ms, clamped to _KINK_MAX (0.25 g/ms: a heel strike's transient rises at up to ~0.4 g/ms;
# a clamped corner keeps its place, only its weight is cut), their times within a run too
# (256 ms); _KINK_N samples at most (200 ms at 200 Hz: a rise from the flight to 1 g takes
# < 100 ms), so the sums stay below 2**30.
_KINK_MAX = const(4095)
_KINK_N = const(40)
# Stride timing (stride_time()). The onset above is a model of the rise (a straight line from
# 0 g); how far a real rise departs from it depends on the landing's shape, which differs from
# step to step (a heel transient on some steps; a slow start on others), and the departure is
# of the order of the rise time itself. The runner's true stride time does not depend on how
# the foot met the ground, so whatever part of the measured stride times follows the change of
# rise time between its two landings is error: it is learned by regression over the runner's
# own strides and taken out (nothing when the two are unrelated, as on a clean landing).
_REG_DEV = const(2048)       # a stride's deviation from the recent mean counts up to 128 ms
#                              (1/16 ms): more is a change of pace or a glitch, not a landing shape
_REG_BMAX = const(1024)      # |slope| <= 4 (Q8): the onset extends back by one rise time, so the
#                              shape can move it by a few rise times at most

EVT_STEP = const(1)
EVT_STILL = const(2)
EVT_IDLE = const(4)

ONE_G_Q16 = const(65536)


@micropython.viper
def run(st: ptr32, buf: ptr16, i0: int, n: int, yb: ptr32) -> int:
    """Process samples i0..n-1 of ``buf``; return the index after an event sample, or n."""
    # ptr32 loads zero-extend on 64-bit ports and not on the 32-bit ESP32; every slot holds a
    # value within +-2**30, so ((v + 2**30) & (2**31 - 1)) - 2**30 sign-extends on both (and is
    # the identity under CPython). 2**30 is doubled from 2**29 in the state: as a literal the
    # compiler would fold it into a heap int on 32-bit targets.
    c30 = st[S_C29] << 1
    m31 = c30 | (c30 - 1)
    fi = (((st[S_FI] + c30) & m31) - c30)
    fs = (((st[S_FS] + c30) & m31) - c30)
    li = (((st[S_LI] + c30) & m31) - c30)
    ls = (((st[S_LS] + c30) & m31) - c30)
    ui = (((st[S_UI] + c30) & m31) - c30)
    us = (((st[S_US] + c30) & m31) - c30)
    am = (((st[S_AM] + c30) & m31) - c30)
    # the accel multiplier with each body axis's sign folded in (|raw * am| < 2**28; the up
    # axis's is within 12 % of it: < 2**29)
    fam = fs * am
    lam = ls * am
    uam = us * (((st[S_AMU] + c30) & m31) - c30)
    gm = (((st[S_GM] + c30) & m31) - c30)
    gsh = (((st[S_GSH] + c30) & m31) - c30)
    kpm = (((st[S_KPM] + c30) & m31) - c30)
    klp = (((st[S_KLP] + c30) & m31) - c30)
    dtmax = (((st[S_DTMAX] + c30) & m31) - c30)
    gF = (((st[S_GF] + c30) & m31) - c30)
    gL = (((st[S_GL] + c30) & m31) - c30)
    gU = (((st[S_GU] + c30) & m31) - c30)
    vlp = (((st[S_VLP] + c30) & m31) - c30)
    t = (((st[S_T] + c30) & m31) - c30)
    tq = (((st[S_TQ] + c30) & m31) - c30)
    psi = (((st[S_PSI] + c30) & m31) - c30)
    cnt = (((st[S_N] + c30) & m31) - c30)
    bufn = (((st[S_BUFN] + c30) & m31) - c30)
    # the stride's sums and extremes (written back on return; the detector resets them between calls)
    sumF = (((st[S_SF] + c30) & m31) - c30)
    sumL = (((st[S_SL] + c30) & m31) - c30)
    sumU = (((st[S_SU] + c30) & m31) - c30)
    pmin = (((st[S_PMIN] + c30) & m31) - c30)
    pmax = (((st[S_PMAX] + c30) & m31) - c30)
    rmin = (((st[S_RMIN] + c30) & m31) - c30)
    rmax = (((st[S_RMAX] + c30) & m31) - c30)
    upf = (((st[S_UPF] + c30) & m31) - c30)
    upu = (((st[S_UPU] + c30) & m31) - c30)
    # per-sample state followed across the call (written back on return)
    per = ((st[S_PER] + c30) & m31) - c30
    # The vertical low-pass's gain per ms, for this sample period. A first-order filter stepped
    # by dt closes 1 - exp(-dt/tau) of the gap to its input each sample, not Euler's dt/tau: at
    # 50 Hz that is 0.39, not 0.50, and Euler's 0.50 makes the 4 Hz filter a 5.6 Hz one (it
    # kept a slow walker's second force hump, read as a step). x / (1 + x/2), x = dt/tau, is
    # within 2 % of it up to x = 0.5 (0.5 % at 100 Hz). per (1/16 ms) <= 800, klp < 2**11:
    # per * klp < 2**21, klp << 16 < 2**27.
    if per > 0:
        klp = (klp << 16) // (65536 + ((per * klp) >> 5))
    wpF = ((st[S_WPF] + c30) & m31) - c30
    wpL = ((st[S_WPL] + c30) & m31) - c30
    wpU = ((st[S_WPU] + c30) & m31) - c30
    mF = ((st[S_CMF] + c30) & m31) - c30
    mL = ((st[S_CML] + c30) & m31) - c30
    mU = ((st[S_CMU] + c30) & m31) - c30
    glF = ((st[S_GLF] + c30) & m31) - c30
    glL = ((st[S_GLL] + c30) & m31) - c30
    glU = ((st[S_GLU] + c30) & m31) - c30
    alF = ((st[S_ALF] + c30) & m31) - c30
    alL = ((st[S_ALL] + c30) & m31) - c30
    alU = ((st[S_ALU] + c30) & m31) - c30
    pvp = ((st[S_PVP] + c30) & m31) - c30
    nsamp = ((st[S_NSAMP] + c30) & m31) - c30
    # set by the detector between calls (read-only here)
    last = ((st[S_LAST] + c30) & m31) - c30
    sync = ((st[S_SYNC] + c30) & m31) - c30
    syncms = ((st[S_SYNCMS] + c30) & m31) - c30
    hi0 = ((st[S_HI] + c30) & m31) - c30
    lo0 = ((st[S_LO] + c30) & m31) - c30
    refr = ((st[S_REFR] + c30) & m31) - c30
    idlems = ((st[S_IDLEMS] + c30) & m31) - c30
    # stillness limits (read-only here): |a|^2 (Q20 g^2), gyro (raw, as Q4), accel (Q12, as Q4)
    sta = (((st[S_STA] + c30) & m31) - c30)
    stw = (((st[S_STW] + c30) & m31) - c30) << 4
    staa = (((st[S_STAA] + c30) & m31) - c30) << 4
    # the two world-frame error sums (see below; at_step reads and restarts them between calls)
    caF = ((st[S_CA] + c30) & m31) - c30
    caL = ((st[S_CA + 1] + c30) & m31) - c30
    caU = ((st[S_CA + 2] + c30) & m31) - c30
    caN = ((st[S_CA + 3] + c30) & m31) - c30
    cbF = ((st[S_CB] + c30) & m31) - c30
    cbL = ((st[S_CB + 1] + c30) & m31) - c30
    cbU = ((st[S_CB + 2] + c30) & m31) - c30
    cbN = ((st[S_CB + 3] + c30) & m31) - c30
    # the gyro bias (raw counts; at_step and the stillness tracking below move it)
    bF = ((st[S_BF] + c30) & m31) - c30
    bL = ((st[S_BL] + c30) & m31) - c30
    bU = ((st[S_BU] + c30) & m31) - c30
    # the dynamics ring (dynamics.py): its size - 1 (0 = none) and the next sample's index
    rmsk = (((st[S_RMSK] + c30) & m31) - c30)
    ri = (((st[S_RI] + c30) & m31) - c30)
    i = i0
    evt = 0
    gi = 0                        # a gap's periodic weight (Q8) for this sample, 0 = none
    gn = 0                        # samples missing just before this one (a gap), 0 = none
    pcF = ((st[S_PCF] + c30) & m31) - c30
    pcL = ((st[S_PCL] + c30) & m31) - c30
    pcU = ((st[S_PCU] + c30) & m31) - c30
    zpF = 0                       # ...and its prediction of g's change, Q14, F/L
    zpL = 0
    while i < n:
        p = i * 7
        # dt: 1/16 ms since the last sample. The clock takes all of it; the filters integrate
        # at most dtmax (a long gap is not a long rotation)
        dt = int(buf[p]) & 0xFFFF
        tq += dt
        dms = tq >> 4
        tq = tq & 15
        t += dms
        hid = 0               # a gap before this sample: 1 one that can make a step late
        if dt >= _GAP_LATE:   # (_GAP_LATE), 2 one that can hold a whole flight (GAP_HIDES)
            hid = 1
            if dt >= GAP_HIDES:
                hid = 2
        if dt > dtmax:
            dt = dtmax
        # the filters' step: at most 50 ms (a gap is not a long acceleration)
        dtc = dt
        if dtc > 800:
            dtc = 800
        # mount mapping to the body frame (each body axis reads its sensor axis straight from the
        # buffer, sign-extended from 16 bits), accel to Q12 g
        p += 1
        aF = (((((int(buf[p + fi]) & 0xFFFF) ^ 0x8000) - 0x8000) * fam) >> 13)
        aL = (((((int(buf[p + li]) & 0xFFFF) ^ 0x8000) - 0x8000) * lam) >> 13)
        aU = (((((int(buf[p + ui]) & 0xFFFF) ^ 0x8000) - 0x8000) * uam) >> 13)
        p += 3
        rF = ((((int(buf[p + fi]) & 0xFFFF) ^ 0x8000) - 0x8000) * fs)
        rL = ((((int(buf[p + li]) & 0xFFFF) ^ 0x8000) - 0x8000) * ls)
        rU = ((((int(buf[p + ui]) & 0xFFFF) ^ 0x8000) - 0x8000) * us)
        if st[S_INIT]:                # (a flag: no sign to extend)
            # first sample: g along it, scaled below 1 g per axis (a session may start mid-run
            # on a 3-16 g impact: its direction is a fair first guess, its size is not)
            st[S_INIT] = 0
            gF = aF
            gL = aL
            gU = aU
            while gF > 4096 or gF < -4096 or gL > 4096 or gL < -4096 or gU > 4096 or gU < -4096:
                gF = gF >> 1
                gL = gL >> 1
                gU = gU >> 1
            gF = gF << 12
            gL = gL << 12
            gU = gU << 12
            if gF == 0 and gL == 0 and gU == 0:
                gU = 1 << 24
            # the stillness test's short-term means start at the first sample, not at zero (from
            # zero the accelerometer's took ~15 samples to reach the 1 g band: a standing start
            # read as still 20-75 ms late, and a 1.0 s one fell short of _CAL_MIN_MS)
            alF = aF << 4
            alL = aL << 4
            alU = aU << 4
            glF = rF << 4
            glL = rL << 4
            glU = rU << 4
        # |g| stays ~1 (renormalised every sample); each component is also held within +-1
        # so that no product below can pass 2**30 (e.g. a 16 g sample times g), whatever the
        # input: a spin past the gyro's range must not grow g between renormalisations
        if gF > 16777216:
            gF = 16777216
        if gF < -16777216:
            gF = -16777216
        if gL > 16777216:
            gL = 16777216
        if gL < -16777216:
            gL = -16777216
        if gU > 16777216:
            gU = 16777216
        if gU < -16777216:
            gU = -16777216
        # gyro: bias-corrected rate (Q24 rad/ms) -> rotation this sample (Q16 rad)
        wF = ((rF - bF) * gm) >> gsh
        wL = ((rL - bL) * gm) >> gsh
        wU = ((rU - bU) * gm) >> gsh
        # Rotation this sample. A gyro sample is the chip's average over its own period, so
        # w * period is its exact integral. Across a gap (dropped samples: bursts on a busy
        # bus, FIFO overflows) the missing time gets the mean of the last and this rate: the
        # pelvis's rate is smooth over 0.1-0.25 s, and dropping that rotation would tilt g by
        # several degrees per gap at 100 deg/s. Gaps are bridged up to dtmax (250 ms).
        if per <= 0:
            per = dt
        if dt <= per + (per >> 1):
            tF = (wF * dt + 2048) >> 12
            tL = (wL * dt + 2048) >> 12
            tU = (wU * dt + 2048) >> 12
            per += (dt - per) >> 3
            if per > 800:
                per = 800
        else:
            gap = dt - per
            if gap >= _GAP_RLV:
                # (and the correction held from before it stops: at_step(), _GAP_RLV)
                st[S_RLV] = t
                mF = 0
                mL = 0
                mU = 0
            # how many samples the gap lost (dt <= dtmax and per >= 1 ms: < 2**8); the stride's
            # sums below give them their share of the time, as the gyro's bridge does, across a
            # gap of at most a quarter of the last step (ms << 2 = 1/16 ms / 4): over that the
            # step's braking, push and flight change roughly linearly (a sine's chord over a
            # quarter period misses it by <= 0.29 of its amplitude); a longer gap spans a phase the
            # straight line misses, and the stride's other samples estimate its mean better
            gn = (gap + (per >> 1)) // per
            if dt > (((st[S_IV0] + c30) & m31) - c30) << 2:
                gn = 0
            if dt > (((st[S_GAPMX] + c30) & m31) - c30):
                st[S_GAPMX] = dt
            if dt > (((st[S_GAPCUR] + c30) & m31) - c30):
                st[S_GAPCUR] = dt
            if hid:
                st[S_TGP] = t
                st[S_TGP0] = t - dms
            tF = ((wF * per + 2048) >> 12) + ((((wF + wpF) >> 4) * gap + 256) >> 9)
            tL = ((wL * per + 2048) >> 12) + ((((wL + wpL) >> 4) * gap + 256) >> 9)
            tU = ((wU * per + 2048) >> 12) + ((((wU + wpU) >> 4) * gap + 256) >> 9)
            # Two predictions of how g turns over the gap: the gyro's bridge just above, and
            # the same phase one stride back (the pelvis's motion repeats stride after stride:
            # g's change between the ring's samples T - dt and T before the previous sample,
            # T the last stride's time, each interpolated in time). Which is better depends on
            # the runner: a smooth motion is bridged well, a rough but repeating one (a jolt at
            # every landing) is not. So both are tried on windows of the gap's length over the
            # last stride, where the ring knows g's real change, and the periodic one gets the
            # weight eb / (eb + ep) (inverse to its squared error, Q8) in gi. Only at gaps (a
            # stride's walk and 8 test windows: no time per sample); not before the gait is
            # followed for two strides, nor when two strides do not fit the ring, nor when no
            # test window fits since the last gap (then the last gap's weight, S_GI).
            # ring entries since the last gap: a test window below must not span it (the
            # ring's samples are taken as a period apart there)
            zs = (ri - 1 - (((st[S_GAPRI] + c30) & m31) - c30)) & 0x3FFFFFFF
            st[S_GAPRI] = ri
            if rmsk and sync and (((st[S_STEADY] + c30) & m31) - c30) >= 2:
                zT = ((st[S_DQP] + c30) & m31) - c30
                # the window predicted over: the gap. One longer than the gyro's bridge (dtmax:
                # a 0.3-0.5 s dropout of a cheap board) is predicted whole: the pelvis's motion
                # repeats stride after stride, so g after it is g at the phase the whole gap
                # gives, its length less whole strides (the clock kept all of it; dt is clamped)
                zw = dt
                zr = int(buf[i * 7]) & 0xFFFF
                if zr > dtmax and zT > 0:
                    zw = zr - (zr // zT) * zT
                znT = 0
                zL = 0
                if zT > zw:
                    znT = (zT + (per >> 1)) // per        # a stride, in samples
                    zL = (zw + (per >> 1)) // per         # the gap's window, in sample steps
                zok = 0
                ze = ri - 1                               # the previous sample's ring index
                zpF = 0
                zpL = 0
                if zL >= 2 and 2 * znT + zL + 2 <= rmsk:
                    # the periodic prediction: g at T - dt and at T before the previous
                    # sample (ages summed from the ring's own dt: another gap may lie in the
                    # last stride), each interpolated between its two samples
                    ztb = zT - zw
                    zj = ze
                    zage = 0
                    zb = -1
                    zab = 0
                    zdb = 0
                    while zj > ze - rmsk:
                        zd = yb[bufn + (zj & rmsk) * 3] >> 16       # (dt < 2**15: the word is >= 0)
                        if zd <= 0:
                            break
                        if zb < 0 and zage + zd > ztb:
                            zb = zj
                            zab = ztb - zage
                            zdb = zd
                        if zage + zd > zT:
                            zok = 1
                            break
                        zage += zd
                        zj -= 1
                if zok:
                    # |h difference| < 2**16, times a time within one dt (<= dtmax)
                    zo = bufn + (zb & rmsk) * 3
                    zh0F = ((yb[zo + 1] & 0xFFFF) ^ 0x8000) - 0x8000
                    zh0L = ((yb[zo + 2] & 0xFFFF) ^ 0x8000) - 0x8000
                    zo = bufn + ((zb - 1) & rmsk) * 3
                    zpF = zh0F + (((((yb[zo + 1] & 0xFFFF) ^ 0x8000) - 0x8000) - zh0F) * zab) // zdb
                    zpL = zh0L + (((((yb[zo + 2] & 0xFFFF) ^ 0x8000) - 0x8000) - zh0L) * zab) // zdb
                    zab = zT - zage
                    zo = bufn + (zj & rmsk) * 3
                    zh0F = ((yb[zo + 1] & 0xFFFF) ^ 0x8000) - 0x8000
                    zh0L = ((yb[zo + 2] & 0xFFFF) ^ 0x8000) - 0x8000
                    zo = bufn + ((zj - 1) & rmsk) * 3
                    zpF -= zh0F + (((((yb[zo + 1] & 0xFFFF) ^ 0x8000) - 0x8000) - zh0F) * zab) // zd
                    zpL -= zh0L + (((((yb[zo + 2] & 0xFFFF) ^ 0x8000) - 0x8000) - zh0L) * zab) // zd
                if zok:
                    # the test: windows of L steps ending at 8 phases of the last stride, each
                    # with g's real change, the periodic one and the bridge's as made above (the
                    # sample's own step, then the mean of the two end rates, as one-step changes
                    # of g, over the rest); squared errors in Q10, each within +-4096, so each
                    # sum stays below 16 * 2**24
                    zeb = 0
                    zep = 0
                    zq = 0
                    while zq < 8 and (zq * znT) // 8 + zL + znT + 1 <= zs:
                        zx = ze - (zq * znT) // 8
                        zc = 1
                        while zc <= 2:
                            zo = bufn + (zx & rmsk) * 3 + zc
                            za1 = ((yb[zo] & 0xFFFF) ^ 0x8000) - 0x8000
                            zo = bufn + ((zx - 1) & rmsk) * 3 + zc
                            za1m = ((yb[zo] & 0xFFFF) ^ 0x8000) - 0x8000
                            zo = bufn + ((zx - zL) & rmsk) * 3 + zc
                            za0 = ((yb[zo] & 0xFFFF) ^ 0x8000) - 0x8000
                            zo = bufn + ((zx - zL - 1) & rmsk) * 3 + zc
                            za0m = ((yb[zo] & 0xFFFF) ^ 0x8000) - 0x8000
                            zo = bufn + ((zx - znT) & rmsk) * 3 + zc
                            zp1 = ((yb[zo] & 0xFFFF) ^ 0x8000) - 0x8000
                            zo = bufn + ((zx - zL - znT) & rmsk) * 3 + zc
                            zp0 = ((yb[zo] & 0xFFFF) ^ 0x8000) - 0x8000
                            za = ((zp1 - zp0) - (za1 - za0)) >> 4
                            if za > 4096:
                                za = 4096
                            if za < -4096:
                                za = -4096
                            zep += za * za
                            za = ((za1 - za1m) + ((((za1 - za1m) + (za0 - za0m)) * (zL - 1)) >> 1)
                                  - (za1 - za0)) >> 4
                            if za > 4096:
                                za = 4096
                            if za < -4096:
                                za = -4096
                            zeb += za * za
                            zc += 1
                        zq += 1
                    za = (zeb + zep) >> 8
                    if za > 0:
                        gi = zeb // za
                        if gi > 256:
                            gi = 256
                        st[S_GI] = gi + 1
                    elif st[S_GI]:
                        # no test window fits since the last gap (it lay within the last stride):
                        # the runner moves as at the gaps before, and the weight found there holds
                        # (the bridge alone put 15 deg into g across a landing's 200-deg/s nod
                        # of the belt, 0.6 s after a gap, cheap_50 seed 36)
                        gi = st[S_GI] - 1
                if zr > dtmax and zT > zw:
                    # beyond the bridge: the gyro's two end rates say nothing of it, the
                    # stride's repetition does (within a sample of a whole number of strides:
                    # g as it was)
                    if zok:
                        gi = 256
                    elif zL < 2:
                        zpF = 0
                        zpL = 0
                        gi = 256
        wpF = wF
        wpL = wL
        wpU = wU
        if tF > 32767:
            tF = 32767
        if tF < -32767:
            tF = -32767
        if tL > 32767:
            tL = 32767
        if tL < -32767:
            tL = -32767
        if tU > 32767:
            tU = 32767
        if tU < -32767:
            tU = -32767
        hF = gF >> 10
        hL = gL >> 10
        hU = gU >> 10
        # heading: the rate of the Cardan yaw (rotation about the vertical first, then pitch, then
        # roll), psi' = (w_L h_L + w_P h_P) / (h_L^2 + h_P^2), with P the pelvis's own up axis. It
        # is what "pelvic rotation" means in gait analysis; plain w.h would add roll rate x
        # sin(lean) (hip drop leaking into swivel). The roll is the pelvis's, about its own
        # forward axis: a clip pitched by a on the lumbar curve (10-30 deg) would otherwise read
        # tan(a) x the hip's roll as yaw (10-15 deg of roll a stride: 1-2 deg of false swivel at
        # 10 deg of clip pitch). P is the standing pose's up in the F-U plane (S_UPF, S_UPU), a
        # unit vector: |w_P| <= |(tF, tU)| < 2**15.5 and |h_P| <= |h| = 2**14 (g is renormalised
        # every sample), so every sum and product stays below 2**29.6. With the mount's own up
        # (0, 16384) w_P = tU and h_P = hU exactly.
        hP = (hF * upf + hU * upu) >> 14
        dpsi = ((tL * hL) >> 14) + ((((tF * upf + tU * upu) >> 14) * hP) >> 14)
        if dpsi > 32767:
            dpsi = 32767
        if dpsi < -32767:
            dpsi = -32767
        den = (hL * hL + hP * hP) >> 14
        if den < 1024:
            den = 1024
        dpsi = (dpsi << 14) // den
        psi += dpsi
        # within +-16 rad (2.5 turns in one stride, beyond any pelvis): keeps the stride's
        # detrending products (psi * samples) below 2**30 through a spin
        if psi > 0xFFFFF:
            psi = 0xFFFFF
        if psi < -0xFFFFF:
            psi = -0xFFFFF
        # gyro propagation: g -= theta x g   (Q16 * Q14 = Q30 -> >> 6 = Q24)
        xF = ((tL * hU) >> 6) - ((tU * hL) >> 6)
        xL = ((tU * hF) >> 6) - ((tF * hU) >> 6)
        xU = ((tF * hL) >> 6) - ((tL * hF) >> 6)
        gF -= xF
        gL -= xL
        gU -= xU
        if gi:
            # across a gap: the gyro's bridged g moved toward the periodic prediction by the
            # weight found above (Q8): (Q14 difference, < 2**16) * Q8 << 2 = Q24
            gF += ((hF + zpF - (gF >> 10)) * gi) << 2
            gL += ((hL + zpL - (gL >> 10)) * gi) << 2
            gi = 0
        # An IMU sample is the chip's average over its period, centred half a period before its
        # time stamp: compare it with g half-way through this sample's rotation (Q14). With g at
        # either end, the pelvis's pitch rate at impact (correlated with the impact force)
        # would leave a mean error of (period / 2) * mean(w x f): 0.5 deg at 100 Hz.
        hF -= (xF + 1024) >> 11
        hL -= (xL + 1024) >> 11
        hU -= (xU + 1024) >> 11
        if hF > 16384:
            hF = 16384
        if hF < -16384:
            hF = -16384
        if hL > 16384:
            hL = 16384
        if hL < -16384:
            hL = -16384
        if hU > 16384:
            hU = 16384
        if hU < -16384:
            hU = -16384
        # the correction being applied turns with the body, as g does (fixed in the world)
        xF = mF
        xL = mL
        mF -= ((tL * mU - tU * xL + 32768) >> 16)
        mL -= ((tU * xF - tF * mU + 32768) >> 16)
        mU -= ((tF * xL - tL * xF + 32768) >> 16)
        # within the error's own clamp (+-2 g): a first-order turn grows a vector by
        # sqrt(1 + theta^2), which a spin past the gyro's range would compound
        if mF > 8192:
            mF = 8192
        if mF < -8192:
            mF = -8192
        if mL > 8192:
            mL = 8192
        if mL < -8192:
            mL = -8192
        if mU > 8192:
            mU = 8192
        if mU < -8192:
            mU = -8192
        # vertical specific force (Q12 g) and the perpendicular accel error
        pv = ((aF * hF) >> 14) + ((aL * hL) >> 14) + ((aU * hU) >> 14)
        if pv > 32767:
            pv = 32767
        if pv < -32767:
            pv = -32767
        cF = aF - ((pv * hF) >> 14)
        cL = aL - ((pv * hL) >> 14)
        cU = aU - ((pv * hU) >> 14)
        if cF > 8192:
            cF = 8192
        if cF < -8192:
            cF = -8192
        if cL > 8192:
            cL = 8192
        if cL < -8192:
            cL = -8192
        if cU > 8192:
            cU = 8192
        if cU < -8192:
            cU = -8192
        af = cF                       # (the ring keeps the sample's own forward error, below)
        # The error sums (S_CA, S_CB) turn with the body, exactly as g does, so they are sums in
        # a world-fixed frame. A sensor on a lever arm (8-15 cm behind the axis the pelvis turns
        # about) feels w x (w x r) + dw/dt x r, whose body-frame mean is not zero; but every
        # point of a body moving periodically has zero mean acceleration in the world frame, so
        # a world-frame sum over a stride is free of it (a body-frame sum reads it as 1-3 deg of
        # lean). Over a whole stride, not a step: each step has its own sideways push (the
        # pelvis sways toward the stance foot), which the pelvis's yaw at that step's end would
        # turn into a forward error. Sums are clamped to +-2**22 and shifted to 15 bits before
        # the product (< 2**30).
        # (the two sums written out, in locals: a computed slot index costs more than the arithmetic)
        xF = caF >> 7
        xL = caL >> 7
        xU = caU >> 7
        caF += cF - (((tL * xU + 256) >> 9) - ((tU * xL + 256) >> 9))
        caL += cL - (((tU * xF + 256) >> 9) - ((tF * xU + 256) >> 9))
        caU += cU - (((tF * xL + 256) >> 9) - ((tL * xF + 256) >> 9))
        if gn:
            # The sums are a stride's time integral over its samples. Across a gap the lost
            # samples get the mean of the error on either side (the trapezoid rule, as the
            # gyro's bridge above), in both sums: counting only the samples there are would
            # leave out, say, a 40 ms burst of braking, 0.4 g x 40 ms / 700 ms = 1.3 deg of tilt
            # in that stride's correction (a board's reads lose samples between two calls:
            # the last sample's error is kept in S_PC*). |c + pc| <= 2**14, gn < 2**8: < 2**22,
            # added before the clamps.
            pcF = ((cF + pcF) * gn) >> 1
            pcL = ((cL + pcL) * gn) >> 1
            pcU = ((cU + pcU) * gn) >> 1
            caF += pcF
            caL += pcL
            caU += pcU
            caN += gn
            if cnt < bufn:
                # the lost samples' share of the stride's mean direction (below): h is g
                # half-way through this sample's rotation, which spans the gap (its middle)
                sumF += hF * gn
                sumL += hL * gn
                sumU += hU * gn
        if caF > 0x3FFFFF:
            caF = 0x3FFFFF
        if caF < -0x3FFFFF:
            caF = -0x3FFFFF
        if caL > 0x3FFFFF:
            caL = 0x3FFFFF
        if caL < -0x3FFFFF:
            caL = -0x3FFFFF
        if caU > 0x3FFFFF:
            caU = 0x3FFFFF
        if caU < -0x3FFFFF:
            caU = -0x3FFFFF
        if caN < 0x3FFFFFF:
            caN += 1
        xF = cbF >> 7
        xL = cbL >> 7
        xU = cbU >> 7
        cbF += cF - (((tL * xU + 256) >> 9) - ((tU * xL + 256) >> 9))
        cbL += cL - (((tU * xF + 256) >> 9) - ((tF * xU + 256) >> 9))
        cbU += cU - (((tF * xL + 256) >> 9) - ((tL * xF + 256) >> 9))
        if gn:
            cbF += pcF                # (the gap's share, as in the other sum above)
            cbL += pcL
            cbU += pcU
            cbN += gn
            gn = 0
        pcF = cF
        pcL = cL
        pcU = cU
        if cbF > 0x3FFFFF:
            cbF = 0x3FFFFF
        if cbF < -0x3FFFFF:
            cbF = -0x3FFFFF
        if cbL > 0x3FFFFF:
            cbL = 0x3FFFFF
        if cbL < -0x3FFFFF:
            cbL = -0x3FFFFF
        if cbU > 0x3FFFFF:
            cbU = 0x3FFFFF
        if cbU < -0x3FFFFF:
            cbU = -0x3FFFFF
        if cbN < 0x3FFFFFF:
            cbN += 1
        if sync and t - last < syncms:
            # stepping: correct with the last step's mean error. Within a step the ground
            # force brakes then pushes (zero net at steady speed) while the vertical force
            # peaks; correcting sample by sample would correlate the two and bias the lean.
            cF = mF
            cL = mL
            cU = mU
        kg = (dtc * kpm) >> 4
        k = st[S_FAST]                # ms left, >= 0 (no sign to extend)
        if k > 0:
            # the first half second of a session: g began as one sample's direction (a
            # restart mid-run lands on any sample); the mean specific force over a step or
            # two is gravity, so follow it 8x faster (tau 125 ms) until then
            kg = kg << 3
            if kg > 131071:
                kg = 131071      # c (<= 2 g, Q12) * kg < 2**30
            st[S_FAST] = k - dms if k > dms else 0
        gF += (cF * kg) >> 8
        gL += (cL * kg) >> 8
        gU += (cU * kg) >> 8
        # renormalise: g *= 1 - (|g|^2 - 1)/2 (one Newton step; |g|^2 - 1 from Q13 components,
        # clamped to +-1/4 so a far-off g converges without overshoot), err in Q16
        hF = gF >> 11
        hL = gL >> 11
        hU = gU >> 11
        err = (hF * hF + hL * hL + hU * hU - 0x4000000 + 512) >> 10
        if err > 16384:
            err = 16384
        if err < -16384:
            err = -16384
        hF = gF >> 10
        hL = gL >> 10
        hU = gU >> 10
        gF -= (hF * err + 64) >> 7
        gL -= (hL * err + 64) >> 7
        gU -= (hU * err + 64) >> 7
        # vertical low-pass (Q16 g)
        d = (pv << 4) - vlp
        if d > 0x40000:
            d = 0x40000
        if d < -0x40000:
            d = -0x40000
        vprev = vlp
        vlp += ((d >> 5) * ((dtc * klp) >> 4)) >> 11
        # g upside down while moving (a board turned over after g was set, e.g. lying face down
        # before a run with no standing start: the filter has no torque at 180 deg, and no step
        # is found while the force along g is negative). A body on or above the ground never
        # feels a force along the true up below 0 (in flight ~0; the belt's wobble after the 4 Hz
        # low-pass +-0.2 g), and every stance lifts it past the step trigger's 1.1 g. So 250 ms
        # in all of the low-passed force along g below -0.5 g (g over 120 deg off: each stance
        # reads -1..-2 g then) with no step between them (at_step() clears the count) starts g
        # again from the next sample, as the stillness test does at rest
        if vlp < -32768:
            k = st[S_NEG] + dms                       # (< 2**11 between restarts: no sign to extend)
            if k >= 250:
                st[S_INIT] = 1
                st[S_FAST] = 500
                k = 0
            st[S_NEG] = k
        # stride accumulators
        if cnt < bufn:
            yb[cnt] = psi
            cnt += 1
            sumF += hF
            sumL += hL
            sumU += hU
        if rmsk:
            # the dynamics ring: stored only, read once per step (dynamics.py)
            o = bufn + (ri & rmsk) * 3
            yb[o] = (dt << 16) | (pv & 0xFFFF)
            yb[o + 1] = (af << 16) | (hF & 0xFFFF)
            yb[o + 2] = ((wL >> 6) << 16) | (hL & 0xFFFF)
            ri = (ri + 1) & 0x3FFFFFFF
        if vlp < pmin:
            pmin = vlp
        if vlp > pmax:
            pmax = vlp
        if hL < rmin:
            rmin = hL
        if hL > rmax:
            rmax = hL
        # stillness: |a| ~ 1 g, and accel and gyro steady around their short-term means.
        # Each axis: its low-pass (Q4, ~8 samples) follows always; still while the low-passed
        # |a| ~ 1 g and every axis stays near its low-pass (tested only when |a| is: moving, it
        # rarely is; written out per axis: a computed slot index costs more than the test).
        # |a| is read off the low-pass, not the sample: standing on a part whose offset and
        # scale put 1 g near the band's edge (data-sheet figures: 80 mg, 3 %), an
        # accelerometer's white noise (10-20 mg rms with a wide filter, a body's sway on top)
        # takes single samples past it and every standing still ended within a second (the
        # low-pass's noise is a quarter of the sample's)
        glF += ((rF << 4) - glF) >> 3
        glL += ((rL << 4) - glL) >> 3
        glU += ((rU << 4) - glU) >> 3
        alF += ((aF << 4) - alF) >> 3
        alL += ((aL << 4) - alL) >> 3
        alU += ((aU << 4) - alU) >> 3
        # (the axes first: moving, the first of them fails, and |a| is not worked out)
        still = 0
        x = (aF << 4) - alF
        if x <= staa and -x <= staa:
            x = (aL << 4) - alL
            if x <= staa and -x <= staa:
                x = (aU << 4) - alU
                if x <= staa and -x <= staa:
                    aq = alF >> 6                 # (Q16 g -> Q10: squares in Q20 g^2)
                    m2 = aq * aq
                    aq = alL >> 6
                    m2 += aq * aq
                    aq = alU >> 6
                    m2 += aq * aq
                    m2 -= 0x100000
                    if m2 < 0:
                        m2 = -m2
                    if m2 <= sta:
                        still = 1
        if still:
            # the gyro (while the accelerometer reads still): its largest axis's |gyro -
            # gyro_lp|, averaged (S_GDEV); a rate sensor's white noise (0.1-0.5 deg/s rms, more
            # with a wide filter) puts single samples past the limit, which a per-sample test
            # turned into never standing still
            x = (rF << 4) - glF
            if x < 0:
                x = -x
            y = (rL << 4) - glL
            if y < 0:
                y = -y
            if y > x:
                x = y
            y = (rU << 4) - glU
            if y < 0:
                y = -y
            if y > x:
                x = y
            y = ((st[S_GDEV] + c30) & m31) - c30
            y += (x - y) >> 3
            st[S_GDEV] = y
            if y > stw:
                still = 0
        if still:
            sm = (((st[S_STILL] + c30) & m31) - c30) + dms
            if sm > 0x3FFFFFF:
                sm = 0x3FFFFFF
            st[S_STILL] = sm
            if sm >= 200 and pv < 2048:
                # still, yet the accelerometer's 1 g lies > 60 deg off g (e.g. g started on a
                # knock): at rest the accelerometer reads gravity, so the next sample starts g
                # again from it (the filter alone cannot turn an upside-down g: its error is zero)
                st[S_INIT] = 1
            if (((st[S_CN] + c30) & m31) - c30) < (((st[S_CNMAX] + c30) & m31) - c30):
                st[S_CN] = ((st[S_CN] + c30) & m31) - c30 + 1
                st[S_CAF] = ((st[S_CAF] + c30) & m31) - c30 + aF
                st[S_CAL] = ((st[S_CAL] + c30) & m31) - c30 + aL
                st[S_CAU] = ((st[S_CAU] + c30) & m31) - c30 + aU
                st[S_CGF] = ((st[S_CGF] + c30) & m31) - c30 + rF
                st[S_CGL] = ((st[S_CGL] + c30) & m31) - c30 + rL
                st[S_CGU] = ((st[S_CGU] + c30) & m31) - c30 + rU
            if sm >= 1000:
                # track the gyro bias while still (time constant ~512 samples)
                k = 0
                while k < 3:
                    if k == 0:
                        gr = rF
                    elif k == 1:
                        gr = rL
                    else:
                        gr = rU
                    bq = (((st[S_BQF + k] + c30) & m31) - c30)
                    bq += ((gr << 8) - bq) >> 9
                    st[S_BQF + k] = bq
                    st[S_BF + k] = (bq + 128) >> 8
                    k += 1
                bF = ((st[S_BF] + c30) & m31) - c30
                bL = ((st[S_BL] + c30) & m31) - c30
                bU = ((st[S_BU] + c30) & m31) - c30
            calms = (((st[S_CALMS] + c30) & m31) - c30)
            if calms > 0 and sm >= calms and sm - dms < calms:
                evt = evt | EVT_STILL
        elif st[S_STILL] or st[S_CN]:
            # moving: forget the stillness (the sums are zero whenever the count is). Not yet
            # calibrated, a still stretch of >= _CAL_MIN_MS that ends before S_CALMS is the
            # standing there was (a runner starts when ready, not after 3 s): the detector
            # calibrates from its sums, which are forgotten one sample later
            if (((st[S_STILL] + c30) & m31) - c30) >= _CAL_MIN_MS and st[S_CALMS]:
                evt = evt | EVT_STILL
            else:
                st[S_STILL] = 0
                st[S_CN] = 0
                st[S_CAF] = 0
                st[S_CAL] = 0
                st[S_CAU] = 0
                st[S_CGF] = 0
                st[S_CGL] = 0
                st[S_CGU] = 0
        # flight and contact (the step's timing fiducial while running)
        if pv < _AIR_Q12:
            if st[S_AIR] == 0:
                # A new flight after a contact with no step since: the stance's force peak fell
                # in a gap in the samples (a cheap board's burst: 80-160 ms at 50 Hz hides a
                # stance's top, and the low-passed force never reaches the trigger). A flight, a
                # contact that rose past 1 g (a landing's: a flight's wobble turns back before
                # it) and the next flight prove the step all the same, as they prove one in the
                # trigger's refractory time: it is taken now (S_HID), timed at its contact (at_step()),
                # and only where a gap of >= _GAP_LATE ended at or after that contact (the
                # contact seen on the gap's first sample lay somewhere in it; no gap, no change).
                k = ((st[S_TC] + c30) & m31) - c30
                if (k > last and (((st[S_TGP] + c30) & m31) - c30) >= k and t - k < _CONTACT_MS
                        and k - last >= _RESC_MIN_MS and st[S_C2] == 0
                        and (((st[S_FLY] + c30) & m31) - c30) >= _FLY_MS):
                    evt = evt | EVT_STEP
                    st[S_RESC] = dms + 1
                    st[S_HID] = 1
                    st[S_TFRAC] = ((t - k) << 4) - tq
            st[S_AIR] = 1
            k = ((st[S_FLY] + c30) & m31) - c30
            if k < 0x3FFFFFF:
                st[S_FLY] = k + dms
        elif pv < _CONTACT_Q12 and st[S_C2]:
            # a rise that turns back below 0.5 g before 1 g was no landing: once a foot is
            # down the ground force climbs on to body weight (_RISE_MAX). It is the flight's own
            # wobble at the sensor (the pelvis pitching on the belt's lever, 0.3-0.6 g at 6-9 Hz);
            # the contact is the next rise through 0.5 g (flight time still counts below 0.25 g)
            st[S_AIR] = 1
        elif pv >= _CONTACT_Q12 and st[S_AIR]:
            st[S_AIR] = 0
            st[S_TC] = t
            st[S_TCOK] = 1
            st[S_RISE] = -1
            st[S_C2] = 1
            k = pvp
            if pv > k:
                st[S_TCB] = ((pv - _CONTACT_Q12) * dt) // (pv - k) - tq
            else:
                st[S_TCB] = -tq
        if pv >= _CONTACT2_Q12 and st[S_C2]:
            # the 1 g crossing (same sample or later): move the contact back by the time from
            # 0.5 g to 1 g, i.e. to where the rise extends to 0 g. At every rate the rise time is
            # the landing's shape for stride_time(); the onset moves only where it is resolved.
            # (And where the ring holds this sample, for the contact's kink: at_step().)
            st[S_C2] = 0
            st[S_J1G] = ri - 1
            k = pvp
            x = -tq
            if pv > k:
                x = ((pv - _CONTACT2_Q12) * dt) // (pv - k) - tq
            # 1/16 ms from the 0.5 g crossing to the 1 g one
            x = ((t - (((st[S_TC] + c30) & m31) - c30)) << 4) - x + (((st[S_TCB] + c30) & m31) - c30)
            if x < 0:
                x = 0
            st[S_RISE] = x
            if per <= _ONSET_PER:
                if x > _RISE_MAX:
                    # too slow for a foot strike: the 0.5 g crossing lay on the swing leg's
                    # braking before contact (the trunk's force creeps up over ~100 ms); no
                    # onset this step
                    st[S_TCOK] = 0
                st[S_TCB] = (((st[S_TCB] + c30) & m31) - c30) + x
        pvp = pv
        # step trigger: Schmitt on the low-passed vertical force
        trig = st[S_TRIG]
        if trig and hid == 2 and vprev < hi0 and vlp > hi0:
            # The force had fallen back below the trigger (a stance unloading: the trigger
            # fired on its rise, and a stance's force rises once, then falls to the push-off),
            # then a gap that can hold a flight, and after it the force is past the trigger
            # again: a new stance. Its dip below the re-arm level (0.05-0.15 g lower) lay in the
            # gap, so the trigger re-arms there and this sample crosses it, subject to the
            # refractory time as any crossing (a slow walk's second hump is refused there);
            # timed across the gap, at_step() finds the step blind (S_HID: detector.py).
            trig = 2
        if trig == 1:
            if vlp < lo0:
                st[S_TRIG] = 0
        elif vlp > hi0:
            st[S_TRIG] = 1
            k = t - last
            # a flight and a new contact since the last step prove a new step, refractory or
            # not (a second force hump has no flight before it); two contacts are >= 250 ms apart
            if k >= REFR_MS and (((st[S_FLY] + c30) & m31) - c30) >= _FLY_MS:
                if (((st[S_TC] + c30) & m31) - c30) > last:
                    k = 0x3FFFFFF
            if k >= refr:
                evt = evt | EVT_STEP
                if trig:
                    st[S_HID] = 1     # re-armed across the gap (above)
                # when, within this sample, vlp crossed the threshold (linear): that many
                # 1/16 ms before this sample, which itself lies tq/16 ms after the whole ms t
                hi = hi0
                if vlp > vprev:
                    st[S_TFRAC] = ((vlp - hi) * dt) // (vlp - vprev) - tq
                else:
                    st[S_TFRAC] = -tq
        if st[S_IDLE] and t - last > idlems:
            st[S_IDLE] = 0
            evt = evt | EVT_IDLE
        i += 1
        if evt:
            break
    st[S_GF] = gF
    st[S_GL] = gL
    st[S_GU] = gU
    st[S_VLP] = vlp
    st[S_T] = t
    st[S_TQ] = tq
    st[S_PSI] = psi
    st[S_N] = cnt
    st[S_RI] = ri
    st[S_SF] = sumF
    st[S_SL] = sumL
    st[S_SU] = sumU
    st[S_PMIN] = pmin
    st[S_PMAX] = pmax
    st[S_RMIN] = rmin
    st[S_RMAX] = rmax
    st[S_PER] = per
    st[S_CA] = caF
    st[S_CA + 1] = caL
    st[S_CA + 2] = caU
    st[S_CA + 3] = caN
    st[S_CB] = cbF
    st[S_CB + 1] = cbL
    st[S_CB + 2] = cbU
    st[S_CB + 3] = cbN
    st[S_WPF] = wpF
    st[S_WPL] = wpL
    st[S_WPU] = wpU
    st[S_CMF] = mF
    st[S_CML] = mL
    st[S_CMU] = mU
    st[S_GLF] = glF
    st[S_GLL] = glL
    st[S_GLU] = glU
    st[S_ALF] = alF
    st[S_ALL] = alL
    st[S_ALU] = alU
    st[S_PVP] = pvp
    st[S_PCF] = pcF
    st[S_PCL] = pcL
    st[S_PCU] = pcU
    # samples seen, saturating (counted once a call)
    if nsamp > 0x3FFFFFFF - (i - i0):
        nsamp = 0x3FFFFFFF
    else:
        nsamp += i - i0
    st[S_NSAMP] = nsamp
    st[S_EVT] = evt
    return i


@micropython.viper
def stride_reset(st: ptr32):
    """A stride begins: empty its heading buffer, pitch sums and roll extremes."""
    st[S_PSI] = 0
    st[S_N] = 0
    st[S_SF] = 0
    st[S_SL] = 0
    st[S_SU] = 0
    st[S_RMIN] = 0x3FFFFFFF
    st[S_RMAX] = -0x3FFFFFFF


@micropython.viper
def detrended_p2p(yb: ptr32, n: int, st: ptr32) -> int:
    """Peak-to-peak of yb[0..n-1] after removing the line from 0 (stride start) to yb[n-1]."""
    if n < 2:
        return 0
    c30 = st[S_C29] << 1
    m31 = c30 | (c30 - 1)
    last = ((yb[n - 1] + c30) & m31) - c30
    lo = 0
    hi = 0
    k = 0
    while k < n:
        r = (((yb[k] + c30) & m31) - c30) - (last * (k + 1)) // n
        if r < lo:
            lo = r
        if r > hi:
            hi = r
        k += 1
    return hi - lo


@micropython.viper
def at_step(st: ptr32, yb: ptr32, t: int, last: int) -> int:
    """A step event at ``t`` (the last one was at ``last``), all in one call (a call costs about
    as much as its arithmetic on the ESP32's port): the step's timing, returned in 1/16 ms
    before ``t``, and its contact's kink (S_KF); the trigger's re-arm level and refractory
    time; the tilt correction for the next stride and the gyro bias. Each part says what it
    does below. ``yb``: the heading buffer and the dynamics ring after it (the kink)."""
    c30 = st[S_C29] << 1
    m31 = c30 | (c30 - 1)
    interval = t - last
    st[S_LAST] = t
    resc = ((st[S_RESC] + c30) & m31) - c30
    st[S_RESC] = 0
    if resc:
        # a step proved by its contact and the next flight (run()): its event came at that
        # flight, 150-400 ms after the contact, where a trigger fires 20-100 ms after it. The
        # trigger's refractory time and intervals run from the contact (from the gap's start
        # where the contact was first seen after it: it lay in the gap), so the next step's
        # trigger is not refused; the flight's own first sample counts toward the next step
        k = ((st[S_TC] + c30) & m31) - c30
        if k == ((st[S_TGP] + c30) & m31) - c30:
            k = ((st[S_TGP0] + c30) & m31) - c30
        interval = k - last
        st[S_LAST] = k
    else:
        # a trigger whose sample came after a gap of >= _GAP_LATE crossed somewhere in the gap
        # (the low-passed force steps across it by at most 50 ms of its time constant: its
        # interpolated crossing says little), so it fired up to the gap late. The refractory
        # time runs from the gap's start, or the next step (a step's time after the true
        # crossing) could fall inside it.
        k = ((st[S_RMSK] + c30) & m31) - c30
        if k:
            k = yb[(((st[S_BUFN] + c30) & m31) - c30) + (((((st[S_RI] + c30) & m31) - c30) - 1) & k) * 3] >> 16
            if k >= _GAP_LATE:
                k = t - (k >> 4)
                interval = k - last
                st[S_LAST] = k
    st[S_IDLE] = 1
    st[S_NEG] = 0                # a step: the force along g rose past 1.1 g, g is the right way up
    # -- timing. While running it is the contact that ended the step's flight (see run()),
    # when there was one since the last step (S_FLYN counts such steps) and its rise was a
    # strike's (S_TCOK); otherwise the trigger's own crossing (walking keeps a foot down, so
    # there is no flight to end). S_FID says which (1 = contact).
    frac = ((st[S_TFRAC] + c30) & m31) - c30
    fly = ((st[S_FLY] + c30) & m31) - c30
    st[S_FLY] = 0
    if resc:
        st[S_FLY] = resc - 1
    tc = ((st[S_TC] + c30) & m31) - c30
    st[S_FID] = 0
    st[S_KOK] = 0
    st[S_FLEW] = 0
    if fly >= _FLY_MS and last < tc and tc <= t and t - tc < _CONTACT_MS:
        st[S_FLYN] = (((st[S_FLYN] + c30) & m31) - c30) + 1
        st[S_FLEW] = 1
        if st[S_TCOK]:
            frac = ((t - tc) << 4) + (((st[S_TCB] + c30) & m31) - c30)
            st[S_FID] = 1
        # -- the contact's kink (_KINK_MAX), from the ring: the slope's changes from the
        # sample of the 1 g crossing back to the one before the flight's last below 0.25 g
        rmsk = ((st[S_RMSK] + c30) & m31) - c30
        ri = ((st[S_RI] + c30) & m31) - c30 - 1          # the trigger's sample
        j = ((st[S_J1G] + c30) & m31) - c30
        # where the force crossed 1 g on the trigger's own sample (at 50 Hz a landing's jump
        # lifts the low-passed force past the trigger in the same sample, on a quarter to a
        # third of the steps),
        # the scan starts a sample earlier: the slope into the 1 g sample is known, the one out
        # of it is not yet, and the corner lies before the 1 g sample anyway (it is where the
        # rise begins). That crossing is this contact's (it is this step's trigger sample).
        sh = 0
        if j == ri:
            j = ri - 1
            sh = 1
        if rmsk and st[S_C2] == 0 and j < ri and ri - j < rmsk - _KINK_N:
            bufn = ((st[S_BUFN] + c30) & m31) - c30
            # the time from sample j + 1 to the trigger's sample, 1/16 ms (< 400 ms)
            tk = 0
            k = ri
            while k > j + 1:
                tk += yb[bufn + (k & rmsk) * 3] >> 16    # (dt <= S_DTMAX < 2**15: >= 0)
                k -= 1
            w = yb[bufn + ((j + 1) & rmsk) * 3]
            p1 = ((w & 0xFFFF) ^ 0x8000) - 0x8000        # pv of sample k + 1 (Q12 g)
            d1 = w >> 16                                 # its dt: from sample k to k + 1
            tk += d1                                     # sample k's time, before the trigger's
            air = 0
            if sh == 0 and tk > ((t - tc) << 4) + 16:
                air = -1     # (the 1 g crossing is an earlier contact's: this one has not reached 1 g)
            w = yb[bufn + (j & rmsk) * 3]
            p0 = ((w & 0xFFFF) ^ 0x8000) - 0x8000
            d0 = w >> 16
            s1 = 0
            if d1 > 0:
                s1 = ((p1 - p0) << 4) // d1              # |pv diff| < 2**17: < 2**21
            # At 50 Hz a lever's bends are as sharp in one sample as the landing's corner (one
            # sample pair spans the rise), so the largest run of slope increases may be the
            # swing's turn at the bottom of the flight, before a hump that lifts the force
            # toward 0.5-0.7 g and falls again as the foot lands: there the scan ends at the
            # force's last dip above the air's 0.25 g before 1 g, where the rise to body weight
            # starts. At 83 Hz and up the landing's corner is the sharper one and the scan goes
            # on to the flight (a dip within a resolved rise is the ringing's, not a landing's).
            lm = 0
            if (((st[S_PER] + c30) & m31) - c30) > _ONSET_PER:
                lm = 1
            kc = 0          # the run of increases being summed: sum, moment, its latest time
            km = 0
            k0 = 0
            kb = 0          # the run taken: its sum and centroid (1/16 ms before the trigger)
            kx = 0
            kmx = 0         # the largest run: its sum and centroid (S_KFL)
            kxl = 0
            # At 83 Hz and up the contact is the rise's first corner, not always its largest:
            # on a soft landing after a lever's hump, the landing's corner (the hump's fall
            # meeting the ground's push, the two partly cancelling) can be a softer bend than the
            # loading's own 20-40 ms later, which then won (the simulator's levered runners: a
            # foot's kinks ~30 ms late on 5-10 % of its steps, trail seed 5, mixed seed 14). So
            # the scan, running back toward the flight, takes an earlier run where it holds at
            # least half the largest after it: a landing's corner is of the order of the
            # loading's bends, a lever's smooth turn is spread over several samples at these
            # rates (its slope change in one sample goes with the period squared), and the scan
            # ends at the flight. (Half or three quarters give the same figures, a quarter a
            # little worse.) At 50 Hz (lm) a lever's turn is as sharp in one sample as the
            # landing's corner: there the largest run is taken. That first corner is the stride
            # clock's (S_KF); the contact time keeps the largest run (S_KFL): on a runner whose
            # lever lifts the late flight above 0.25 g, the hump's start is a corner too, ~40 ms
            # early (mixed seed 15), which moves no stride time whose two ends have it alike
            # (the clock that wins there is the onsets') but moves a stance's start.
            k = j
            n = 0
            while n < _KINK_N and air >= 0:
                w = yb[bufn + ((k - 1) & rmsk) * 3]
                pm = ((w & 0xFFFF) ^ 0x8000) - 0x8000
                s0 = s1
                if d0 > 0:
                    s0 = ((p0 - pm) << 4) // d0
                e = s1 - s0                              # sample k's change of slope
                if e > 0:
                    if e > _KINK_MAX:
                        e = _KINK_MAX
                    if kc == 0:
                        k0 = tk
                        km = 0
                    x = tk - k0
                    if x > _KINK_MAX:
                        x = _KINK_MAX
                    kc += e                              # < _KINK_N * _KINK_MAX
                    km += e * x                          # < _KINK_N * _KINK_MAX**2 < 2**30
                elif kc:
                    if kc > kmx:
                        kmx = kc
                        kb = kc
                        kx = k0 + km // kc
                        kxl = kx
                    elif lm == 0 and (kc << 1) >= kmx:
                        kb = kc
                        kx = k0 + km // kc
                    kc = 0
                if air:
                    break
                if lm and pm >= p0 and p0 >= _AIR_Q12:
                    air = 1          # (50 Hz) the force's last dip before 1 g: the rise starts here
                    break
                if p0 < _AIR_Q12:
                    air = 1          # the flight's last sample: one more, then done
                tk += d0
                d0 = w >> 16
                s1 = s0
                p0 = pm
                k -= 1
                n += 1
            if kc > kmx or (kc > 0 and lm == 0 and (kc << 1) >= kmx):
                kb = kc
                kx = k0 + km // kc
                if kc > kmx:
                    kxl = kx
            if air > 0 and kb > 0:
                st[S_KF] = kx - (((st[S_TQ] + c30) & m31) - c30)
                st[S_KFL] = kxl - (((st[S_TQ] + c30) & m31) - c30)
                st[S_KOK] = 1
                if st[S_FID] == 0:
                    # a rise too slow for a strike (_RISE_MAX) has no onset: its 0.5 g crossing
                    # lay on a lever's hump before the landing (a sensor 13-15 cm behind the hip
                    # axis on a pelvis that pitches hard in the late flight lifts the force to
                    # 0.5-0.9 g before the foot lands) or on the swing leg's braking. The
                    # landing's corner is there all the same: the kink times the contact, and
                    # is its onset too (its rise time no landing's shape for the regressions).
                    # Else the stride would fall back to the trigger's crossing at both ends,
                    # which such a hump moves by tens of ms (the simulator's runners of seeds
                    # 19-36 with levers of 13.5-15 cm: a quarter of their strides 50 ms off)
                    frac = ((st[S_KF] + c30) & m31) - c30
                    st[S_FID] = 1
                    st[S_RISE] = -1
    # -- re-arm level and refractory time from the step that just ended. The trigger stays at
    # 1.10 g (a fixed point on the rising force keeps step timing steady); it re-arms a quarter
    # of the step's low-passed force swing below that (0.05-0.15 g), so a soft slow walk whose
    # force barely dips between steps still re-arms, and no new step is taken within 0.6 of the
    # median of the last three intervals (250-500 ms). A step is never 40 % shorter than the
    # ones before it (a gait speeds up over several steps), so a second force hump after heel
    # strike (~200-300 ms later in a slow walk) is not a step; the median keeps one missed or
    # doubled step from moving the limit. While running a flight followed by a contact proves a
    # step whatever the refractory time says (run()), so a wrong median (after a fall, a
    # glitch) cannot lock the count at every other step.
    sw = (((st[S_PMAX] + c30) & m31) - c30) - (((st[S_PMIN] + c30) & m31) - c30)
    st[S_PMIN] = 0x3FFFFFFF
    st[S_PMAX] = -0x3FFFFFFF
    if sw > 0 and sw <= 0x80000:
        h = sw >> 2
        if h < _HYST_MIN:
            h = _HYST_MIN
        if h > _HYST_MAX:
            h = _HYST_MAX
        st[S_LO] = ONE_G_Q16 + STEP_HI - h
        if interval > 0 and interval < STEP_MAX_MS:
            st[S_IV2] = st[S_IV1]
            st[S_IV1] = st[S_IV0]
            st[S_IV0] = interval
            a = interval
            b = ((st[S_IV1] + c30) & m31) - c30
            if b == 0:
                b = a
            c = ((st[S_IV2] + c30) & m31) - c30
            if c == 0:
                c = b
            m = c
            if (b <= a and a <= c) or (c <= a and a <= b):
                m = a
            elif (a <= b and b <= c) or (c <= b and b <= a):
                m = b
            r = (m * 5) >> 3      # 0.625 x median
            if r < REFR_MS:
                r = REFR_MS
            if r > _REFR_MAX_MS:
                r = _REFR_MAX_MS
            st[S_REFR] = r
    # -- samples lost at this step's fiducials (S_GAPS; detector.py holds the stride time
    # there). The window: from one sample period before the step's earliest fiducial (the
    # timing above, the trigger crossing, the contact's kink) to the trigger's sample. A
    # fiducial drawn across the longest gap in it (a sample interval over 1.5 periods, as run()
    # tells them) falls anywhere across the time that gap lost: a quarter of it off on average.
    # Keeping the last stride's time is off by the runner's mean change from one stride to the
    # next, which the clock in use measures (stride_time()'s jitter sums S_JC, S_JT, S_JK: 8 x
    # that mean). So the step is blind when 2 x the time lost > the jitter sum: at 200 Hz a few
    # samples lost (10-30 ms) are not, at 50 Hz a burst (40-120 ms) is. Nothing tuned.
    st[S_GAPS] = 0
    gm = ((st[S_RMSK] + c30) & m31) - c30
    gp = ((st[S_PER] + c30) & m31) - c30
    if gm and gp > 0:
        go = frac
        gx = ((st[S_TFRAC] + c30) & m31) - c30
        if gx > go:
            go = gx
        if st[S_KOK]:
            gx = ((st[S_KF] + c30) & m31) - c30
            if gx > go:
                go = gx
        gb = ((st[S_BUFN] + c30) & m31) - c30
        gj = ((st[S_RI] + c30) & m31) - c30 - 1
        ga = 0                    # 1/16 ms from sample gj to the trigger's (< the ring's 2**25)
        gn = 0
        gl = 0                    # the time the longest gap lost (< S_DTMAX)
        while gn < gm and ga <= go + gp:
            gx = yb[gb + (gj & gm) * 3] >> 16     # (dt <= S_DTMAX < 2**15: the word is >= 0)
            if gx <= 0:
                break             # (the ring not filled yet)
            if gx > gp + (gp >> 1) and gx - gp > gl:
                gl = gx - gp
            ga += gx
            gj -= 1
            gn += 1
        gx = st[S_CLK]
        gs = st[S_JK]             # the clock in use's jitter sum (< 2**19)
        if gx == 0:
            gs = st[S_JC]
        elif gx == 1:
            gs = st[S_JT]
        if 2 * gl > (((gs + c30) & m31) - c30):
            st[S_GAPS] = 1
    if resc:
        st[S_GAPS] = 1            # its rise and its kink lay across the gap: the stride keeps its time
    # -- the tilt correction for the next stride, and the gyro bias.
    #
    # - The error sum that began two steps ago covers the stride that just ended (a world-frame
    #   sum, see run()); its mean drives the correction until the next step.
    # - In a turn its lateral part is dropped: centripetal force (speed x turn rate) is
    #   horizontal and across the direction of travel, i.e. along the body's left axis, and no
    #   part of it is gravity. Turning = the heading changed over the last two steps (so the
    #   pelvis's own back-and-forth yaw cancels) faster than ``_TURN``.
    # - Integral action: a gyro zero-rate offset b leaves a standing tilt error b * tau (1 deg at
    #   1 deg/s); the error that remains is integrated into the bias of the two horizontal axes
    #   (only those are observable from gravity), within +-S_BLIM of the calibrated bias.
    par = ((st[S_PAR] + c30) & m31) - c30
    o = S_CA if par else S_CB
    st[S_PAR] = 1 - par
    cn = ((st[o + 3] + c30) & m31) - c30
    # heading at this step (Q16 rad, within +-pi), and its change over two steps
    hd = (((st[S_PSIB] + c30) & m31) - c30) + (((st[S_PSI] + c30) & m31) - c30)
    while hd > _PI_Q16:
        hd -= 2 * _PI_Q16
    while hd < -_PI_Q16:
        hd += 2 * _PI_Q16
    turn = hd - (((st[S_HD2] + c30) & m31) - c30)
    while turn > _PI_Q16:
        turn -= 2 * _PI_Q16
    while turn < -_PI_Q16:
        turn += 2 * _PI_Q16
    if turn < 0:
        turn = -turn
    dt2 = t - (((st[S_T2] + c30) & m31) - c30)
    # the heading's change over this step (the pelvis's yaw swing: see detector.py, foot names)
    dp = hd - (((st[S_HD1] + c30) & m31) - c30)
    while dp > _PI_Q16:
        dp -= 2 * _PI_Q16
    while dp < -_PI_Q16:
        dp += 2 * _PI_Q16
    st[S_DPSP] = st[S_DPSI]
    st[S_DPSI] = dp
    st[S_HD2] = st[S_HD1]
    st[S_T2] = st[S_T1]
    st[S_HD1] = hd
    st[S_T1] = t
    mf = 0
    ml = 0
    mu = 0
    if cn > 0:
        mf = (((st[o] + c30) & m31) - c30) // cn
        ml = (((st[o + 1] + c30) & m31) - c30) // cn
        mu = (((st[o + 2] + c30) & m31) - c30) // cn
    # within the error's own clamp (+-2 g, Q12), as run() holds it: a sum of few samples may
    # not be (each within 2**22), and every product below, and the tilt set after a gap, take
    # it as that
    if mf > 8192:
        mf = 8192
    if mf < -8192:
        mf = -8192
    if ml > 8192:
        ml = 8192
    if ml < -8192:
        ml = -8192
    if mu > 8192:
        mu = 8192
    if mu < -8192:
        mu = -8192
    st[o] = 0
    st[o + 1] = 0
    st[o + 2] = 0
    st[o + 3] = 0
    # turn (< 2 pi, Q16) * 1000 < 2**30; _TURN * dt2 (< 3 s) < 2**30
    turning = 0
    if 0 < dt2 and dt2 < 2 * STEP_MAX_MS and turn * 1000 > _TURN * dt2:
        ml = 0
        turning = 1
    # a gap in the samples (_GAP_RLV): the first sum that began at the first step after it (at
    # the step two steps ago, t - dt2) lies wholly after the gap, and is taken where it spans a
    # stride (within 1/16 of the last stride's time): that step may be timed across the gap (a
    # trigger late by up to the gap, or a step a gap hid, proved at its next flight, run()),
    # and a sum from there covers part of a stride, whose braking and push do not cancel (a
    # 550-ms sum of a 714-ms stride took 5.7 deg of an 8-deg error out, our good_form); else
    # the next sum. Until then no correction is held (a sum across the gap mixes the tilt
    # before it with the one after), so g moves by the gyro alone, and that sum's mean is the
    # error the gap left, which is taken out whole below. S_RLV: the gap's end (ms), then
    # -(the first step's time).
    rl = 0
    x = ((st[S_RLV] + c30) & m31) - c30
    if x > 0:
        st[S_RLV] = -t
    elif x < 0 and t - dt2 >= -x:
        # (dt2 << 4 against the last stride's time, 1/16 ms: dt2 below 2**22 ms keeps it < 2**26)
        y = ((st[S_DQP] + c30) & m31) - c30
        if t - dt2 > -x or (dt2 < 0x3FFFFF and y > 0 and (dt2 << 4) - y <= (y >> 4) and y - (dt2 << 4) <= (y >> 4)):
            rl = 1
            st[S_RLV] = 0
    if x and not rl:
        mf = 0
        ml = 0
        mu = 0
    st[S_CMF] = mf
    st[S_CML] = ml
    st[S_CMU] = mu
    steady = ((st[S_STEADY] + c30) & m31) - c30
    un = ((st[S_BUN] + c30) & m31) - c30
    if not st[S_SYNC] or steady < _STEADY_ONE or (steady < _STEADY and un == 0):
        return frac
    if interval <= 0 or interval >= STEP_MAX_MS:
        return frac
    if rl == 1:
        # g set to the stride's mean force in one go (_GAP_RLV; |m| <= 2 g Q12, above, << 12 to
        # Q24: < 2**26; run() renormalises), and nothing held for the step
        # to come; no gyro offset is learnt from it (the bridge's error is none of the gyro's)
        st[S_GF] = (((st[S_GF] + c30) & m31) - c30) + (mf << 12)
        st[S_GL] = (((st[S_GL] + c30) & m31) - c30) + (ml << 12)
        st[S_GU] = (((st[S_GU] + c30) & m31) - c30) + (mu << 12)
        st[S_CMF] = 0
        st[S_CML] = 0
        st[S_CMU] = 0
        # the stride under way began within that sum (at its first step or its second), so
        # each of its samples' h carried the same error: its sums move with g (Q24 >> 10 =
        # Q14: m << 2; n <= 512 samples, |m| <= 2**13: < 2**25)
        n = ((st[S_N] + c30) & m31) - c30
        st[S_SF] = (((st[S_SF] + c30) & m31) - c30) + n * (mf << 2)
        st[S_SL] = (((st[S_SL] + c30) & m31) - c30) + n * (ml << 2)
        st[S_SU] = (((st[S_SU] + c30) & m31) - c30) + n * (mu << 2)
        mf = 0
        ml = 0
        mu = 0
    # e = g x c (the rotation that carries g toward the measured vertical), Q12 ~ rad
    hf = (((st[S_GF] + c30) & m31) - c30) >> 10
    hl = (((st[S_GL] + c30) & m31) - c30) >> 10
    hu = (((st[S_GU] + c30) & m31) - c30) >> 10
    kb = ((st[S_KB] + c30) & m31) - c30
    lim = ((st[S_BLIM] + c30) & m31) - c30
    k = 0
    while k < 3:
        if k == 0:
            e = ((hl * mu) >> 14) - ((hu * ml) >> 14)
        elif k == 1:
            e = ((hu * mf) >> 14) - ((hf * mu) >> 14)
        else:
            e = ((hf * ml) >> 14) - ((hl * mf) >> 14)
        if un > _BUN_WAIT and not turning:
            x = e
            if x > _E_ONE:
                x = _E_ONE
            if x < -_E_ONE:
                x = -_E_ONE
            x += ((st[S_BUS + k] + c30) & m31) - c30          # (<= _BUN_N * _E_ONE)
            st[S_BUS + k] = x
        if e > _E_MAX or e < -_E_MAX:
            e = 0                 # not a bias's (above): not integrated
        bq = ((st[S_BQF + k] + c30) & m31) - c30
        if steady >= _STEADY:
            # |e| <= 256, interval < 1500, kb <= 192 (a 250 deg/s gyro): < 2**30
            bq += (e * interval * kb) >> 12
        if un == _BUN_WAIT + _BUN_N and not turning:
            # the one-shot (above): the mean error x kb x tau_i (S_BONE, 16 ms: x 16 >> 12 =
            # >> 8); (|sum| * kb) // _BUN_N <= 512 * 192 < 2**17, x tau_i (625) < 2**27
            x = ((((st[S_BUS + k] + c30) & m31) - c30) * kb) // _BUN_N
            bq += (x * (((st[S_BONE] + c30) & m31) - c30)) >> 8
        b0 = (((st[S_B0F + k] + c30) & m31) - c30) << 8
        if bq > b0 + lim:
            bq = b0 + lim
        if bq < b0 - lim:
            bq = b0 - lim
        st[S_BQF + k] = bq
        st[S_BF + k] = (bq + 128) >> 8
        k += 1
    if un and (turning or un == _BUN_WAIT + _BUN_N):
        # known from here on, as after a calibration; or a turn: start again once it is over
        st[S_BUN] = turning
        st[S_BUS] = 0
        st[S_BUS + 1] = 0
        st[S_BUS + 2] = 0
    elif un:
        st[S_BUN] = un + 1
    return frac


@micropython.viper
def stride_mark(st: ptr32, t: int, frac: int) -> int:
    """A stride starts at the step at ``t`` whose fiducial lies ``frac`` 1/16 ms before it (as
    at_step() returned it): keep what stride_time() measures from. Returns where the stride
    starts, 1/16 ms before ``t``, on the clock in use (the contact onset or its kink, each
    corrected for its landing's shape as stride_time() corrects it, or the trigger crossing): a
    gait's first stride starts there, the others where the last one ended (S_TEQ)."""
    c30 = st[S_C29] << 1
    m31 = c30 | (c30 - 1)
    st[S_T0] = t
    st[S_F0] = frac
    st[S_FT0] = st[S_TFRAC]
    st[S_K0] = st[S_FID]
    st[S_KF0] = st[S_KF]
    st[S_KK0] = st[S_KOK]
    x0 = ((st[S_RISE] + c30) & m31) - c30
    st[S_X0] = x0
    st[S_GAPMX] = st[S_GAPCUR]       # the last stride's longest gap (see S_GAPMX)
    st[S_GAPCUR] = 0
    clk = st[S_CLK]
    if st[S_FID] != 1 or clk == 1:
        return ((st[S_TFRAC] + c30) & m31) - c30
    f = frac
    b = ((st[S_RB] + c30) & m31) - c30
    if clk == 2 and st[S_KOK]:
        f = ((st[S_KF] + c30) & m31) - c30
        b = ((st[S_KRB] + c30) & m31) - c30
    if x0 < 0 or x0 > _RISE_MAX:
        return f
    return f + ((b * x0) >> 8)


@micropython.viper
def stride_time(st: ptr32, t: int, frac: int, blind: int) -> int:
    """The stride that started at stride_mark() ends at the step at ``t`` (fiducial ``frac``
    1/16 ms before it): its time, 1/16 ms, between like fiducials; where it ends on the clock
    used, in S_TEQ (so the next stride, starting there, keeps strides and cadence in step).

    - Trigger crossing to trigger crossing, unless both steps have a contact onset (a contact
      lies 20-100 ms before its trigger: mixing the two would move the stride by that much).
    - Contact onsets are corrected for the landing's shape (the regression described at
      _REG_DEV: deviation from the recent stride time against the change of rise time).
    - Both time the same stride; which is the better clock differs by runner and ground:
      contact onsets hold still when heel strikes come on some steps only, but move with a
      jolt in the flight before contact or a rise that starts slowly, where the trigger on the
      low-passed force does not. The true stride time is the same for both, so the one whose
      stride times change less from stride to stride carries less noise: each keeps a leaky
      mean of its |change| (1/8 per stride: the last few seconds, shorter than a change of shoe,
      ground or fatigue) and the steadier one is used.
    - A third clock, the contact's kink (at_step(), _KINK_MAX), leads once 8 strides in a row
      had one, unless it is clearly less steady (below): the corner is where the ground starts
      to push, which a lever swing that lifts the force to near 0.5 g before the foot lands
      does not move, and the landing's shape moves less than it moves the onset; what it does
      move is learned and taken out by a regression of its own, as the onsets' (S_KRB).
    - ``blind`` (samples lost at a fiducial of either end, at_step()'s S_GAPS): the stride's times tell
      nothing of the clocks' steadiness nor of the landing's shape, so neither is learned from
      it, and the clock in use stays (a jump there would move the clock choice: a stride whose
      ends then lie on different clocks is off by their 20-100 ms lag)."""
    c30 = st[S_C29] << 1
    m31 = c30 | (c30 - 1)
    t0 = ((st[S_T0] + c30) & m31) - c30
    dq = ((t - t0) << 4) - (((st[S_TFRAC] + c30) & m31) - c30) + (((st[S_FT0] + c30) & m31) - c30)
    if st[S_FID] != 1 or st[S_K0] != 1:
        st[S_DQC] = 0
        st[S_DQK] = 0
        st[S_KN] = 0
        st[S_TEQ] = st[S_TFRAC]
        st[S_DQP] = dq
        return dq
    raw = ((t - t0) << 4) - frac + (((st[S_F0] + c30) & m31) - c30)
    dc = raw
    c1 = 0
    f = 0             # the change of rise time over the stride, 1/16 ms (|f| <= _RISE_MAX)
    sh = 0            # 1 when both ends' rise times are a landing's shape (then f is theirs)
    lo = 0            # what the landing-shape regressions learn from this stride (below): 1 for
    lk = 0            # the onsets', 1 for the kinks', and the stride's deviation from the
    vo = 0            # runner's recent stride time on each clock
    vk = 0
    x1 = ((st[S_RISE] + c30) & m31) - c30
    x0 = ((st[S_X0] + c30) & m31) - c30
    if x1 >= 0 and x0 >= 0 and x1 <= _RISE_MAX and x0 <= _RISE_MAX:
        # the change of rise time over the stride, |f| <= _RISE_MAX (learned from unless blind)
        sh = 1
        f = x1 - x0
        b = ((st[S_RB] + c30) & m31) - c30
        dc = raw - ((b * f) >> 8)          # |b * f| <= 1024 * 800
        c1 = (b * x1) >> 8                 # the end's own share of it (x1 <= _RISE_MAX)
        ref = ((st[S_RREF] + c30) & m31) - c30
        if ref == 0:
            ref = dc
        if not blind:
            lo = 1
            vo = raw - ref
            st[S_RREF] = ref + ((dc - ref) >> 3)
    # the kinks' stride time, when both steps had one (dynamics.py, _KINK_MAX), corrected for
    # the landings' shapes as the onsets' are (above), by a regression of its own: the corner
    # moves with the shape too (a heel strike's jump puts it at the sample before the jump; a
    # rise that starts slowly spreads its slope increases over later samples), by a share of
    # the rise time's change that differs from the onset's, and in sign from runner to runner
    # (the simulator's runners: -0.9 to +1.7 in a least-squares fit, correlations of 0.7-0.9 on
    # some, none on others, where the slope learned stays near zero)
    dk = 0
    ck = 0
    if st[S_KOK] and st[S_KK0]:
        dk = ((t - t0) << 4) - (((st[S_KF] + c30) & m31) - c30) + (((st[S_KF0] + c30) & m31) - c30)
        if sh:
            b = ((st[S_KRB] + c30) & m31) - c30
            ck = (b * x1) >> 8
            ref = ((st[S_RREF] + c30) & m31) - c30
            if ref == 0:
                ref = dk
            if not blind:
                lk = 1
                vk = dk - ref
            dk -= (b * f) >> 8                 # (|b * f| <= 1024 * 800, as the onset's)
    # the regressions learn: the deviation (counted up to +-_REG_DEV) against f, into leaky sums
    # over ~256 strides (3 min of running: a landing's shape is the runner's and slow to change,
    # and 256 strides make the slope's noise 1/16 of one stride's; |dev * f| <= 2048 * 800, so
    # the sums stay below 256 x that = 4.2e8 < 2**30), and the slope for the next strides (Q8,
    # within +-_REG_BMAX; 0 while the rise has not varied). The onsets' in S_RSXY, S_RSXX, S_RB,
    # the kinks' in S_KSXY, S_KSXX, S_KRB: one loop, no call (a call costs as much as this)
    while lo or lk:
        i = S_RSXY
        j = S_RSXX
        k = S_RB
        dev = vo
        if lo:
            lo = 0
        else:
            lk = 0
            i = S_KSXY
            j = S_KSXX
            k = S_KRB
            dev = vk
        if dev > _REG_DEV:
            dev = _REG_DEV
        if dev < -_REG_DEV:
            dev = -_REG_DEV
        sxy = ((st[i] + c30) & m31) - c30
        sxx = ((st[j] + c30) & m31) - c30
        sxy = sxy - (sxy >> 8) + dev * f
        sxx = sxx - (sxx >> 8) + f * f
        st[i] = sxy
        st[j] = sxx
        b = 0
        if sxx > 255:
            b = sxy // (sxx >> 8)
            if b > _REG_BMAX:
                b = _REG_BMAX
            if b < -_REG_BMAX:
                b = -_REG_BMAX
        st[k] = b
    # the jitter of each clock (|change| <= a stride, < 2**16 in 1/16 ms: sums < 2**19)
    jc = ((st[S_JC] + c30) & m31) - c30
    jt = ((st[S_JT] + c30) & m31) - c30
    jk = ((st[S_JK] + c30) & m31) - c30
    kn = ((st[S_KN] + c30) & m31) - c30
    pc = ((st[S_DQC] + c30) & m31) - c30
    pk = ((st[S_DQK] + c30) & m31) - c30
    if dk == 0:
        kn = 0
    if pc != 0 and not blind:
        a = dc - pc
        if a < 0:
            a = -a
        d = dq - (((st[S_DQT] + c30) & m31) - c30)
        if d < 0:
            d = -d
        jc = jc - (jc >> 3) + a
        jt = jt - (jt >> 3) + d
        st[S_JC] = jc
        st[S_JT] = jt
        if dk != 0 and pk != 0:
            # a run of kink-timed strides starts from the contact clock's jitter, so its mean
            # is a fair one after the 8 strides it needs to be a candidate (below)
            if kn == 0:
                jk = jc
            a = dk - pk
            if a < 0:
                a = -a
            jk = jk - (jk >> 3) + a
            st[S_JK] = jk
            if kn < 8:
                kn += 1
    st[S_KN] = kn
    st[S_DQC] = dc
    st[S_DQT] = dq
    st[S_DQK] = dk
    # the steadiest clock, with a margin of 1/8 between contact and trigger before changing:
    # each mean is over ~8 strides, so its own noise is of that order, and a change costs a
    # stride whose ends lie on different clocks (its duration is off by their lag; the log adds
    # a few bytes to keep its cadence). The kink is a candidate after 8 strides in a row that
    # had one, and leads: it takes over unless its strides are less steady than the clock in
    # use by more than that 1/8, and gives way only to a clock 1/8 steadier. The jitter is
    # mostly the runner's own stride-to-stride change (1-3 % of the stride, 7-20 ms, the same
    # on every clock), so clocks of like quality differ in it by less than the ~20 % noise of a
    # leaky mean over ~15 strides, and which of them to trust there is a matter of what each
    # measures: the corner is where the ground starts to push, whatever the landing's shape,
    # while the onset is a model of the rise (a line from 0.5 g and 1 g back to 0 g, and at
    # _ONSET_PER's 50 Hz the bare 0.5 g crossing: a level that a heel strike's jump passes at
    # once and a soft landing 10-30 ms into its rise) and the crossing moves with a lever swing
    # that lifts the force toward 0.5 g before the foot lands. When the kink is gone (a stride
    # without one), the contact clock takes over.
    clk = st[S_CLK]
    if clk == 2 and dk == 0:
        clk = 0
    n = clk
    if blind:
        pass
    elif clk == 0:
        b = jc
        if jt < b - (b >> 3):
            n = 1
            b = jt
    elif clk == 1:
        b = jt
        if jc < b - (b >> 3):
            n = 0
            b = jc
    else:
        b = jk
        if jc < b - (b >> 3):
            n = 0
            b = jc
        if jt < b - (b >> 3):
            n = 1
    if not blind and clk != 2 and kn >= 8 and jk - (b >> 3) < b:
        n = 2
    st[S_CLK] = n
    if n == 0:
        st[S_TEQ] = frac + c1
        st[S_DQP] = dc
        return dc
    if n == 2:
        st[S_TEQ] = (((st[S_KF] + c30) & m31) - c30) + ck
        st[S_DQP] = dk
        return dk
    st[S_TEQ] = st[S_TFRAC]
    st[S_DQP] = dq
    return dq
