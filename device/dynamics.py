"""Running dynamics of the pelvis, per step and per stride: contact time, vertical oscillation,
hip drop per side, pelvic tilt swing and the pitch at push-off.

The kernel (``kernel.run``) only stores, per sample, what it has anyway into a ring of ``RING``
samples after the heading buffer (``yb[S_BUFN + 3 * (i & S_RMSK)]``): ``(dt << 16) | (pv &
0xFFFF)`` (dt in 1/16 ms, clamped to the kernel's S_DTMAX; pv the vertical specific force, Q12 g),
then h_F and h_L (Q14: the forward and left components of the up vector in the body frame,
sin(pitch) and cos(pitch) sin(roll)). At each step this module reads the samples that came since
the last step, once, as a state machine whose state carries over (viper, no allocation, every
intermediate within +-2**30), and the step's own samples twice more for its bounce (_bounce)
and, one running step in 4, once more into the lever's templates; the stride's pitch is summed
on the way; the toe-off's few dozen samples are read once more (_toe_off). (The running dynamics
cost about 30 % of the detector's per-sample work while running, ``make bench``.)

- **contact and toe-off** (per step): while running the body is airborne between steps (pv < 0.25
  g for >= 20 ms). In the air the sensor does not read 0 g: it sits on a lever behind the point
  the pelvis turns about, and the pelvis's rocking adds -0.5..+0.5 g there. So a contact is where
  the force's rise leaves the flight's own level b (its mean): the chord through the two samples
  around the rise's 0.5 g crossing (a level clear of the flight's wobble), followed back to b; a
  toe-off is the mirror image, the chord at the last falling 0.5 g crossing before the flight,
  followed on to b (each at most 30 ms: _EXT_MAX). The rise must go on to 1 g (a bump in the
  flight is no landing). These are unbiased for a force that rises and falls linearly near its ends (the
  stance pulse's ends are: half-sine-like, steepest there, least curved), and the crossing times
  interpolate between samples, so the estimate does not snap to the sample grid (a chord at 0.5
  g, not a line through 0.5 g and 1 g: late in stance the force may linger near 1 g). An IMU
  sample is the chip's average over its period: a smooth stretch of force reads half a period
  late, a rise sharper than a sample at its foot, so where the two ends are read differently
  (at 50 Hz) the toe-off is moved (_TO_PER). Contact time = toe-off - contact of the same step
  (ms).
  Better than both chords, where they can be found: the corners where the ground force starts
  and ends. The lever's swing (the pelvis's pitch acceleration times the sensor's 8-15 cm behind
  the hip axis, up to +-0.7 g in the air) lifts or lowers the force around both ends, and a
  chord followed to a flight level the force has already left misses by a bias of each runner's
  own (the simulator's runners: -35..+59 ms of contact time). But the lever's force is smooth,
  and the ground force's ends are corners: the slope jumps where the foot lands and where it
  leaves. The contact is the kink the kernel found (kernel.at_step: the largest run of slope
  increases, the third step clock), within 0-8 ms of the true contact on every simulated runner.
  The toe-off's corner can hide: on a runner whose pelvis pitches with strong second and third
  step harmonics the lever turns the force's end into a shelf of ~0.3 g 40-60 ms long, and the
  true toe-off lies inside it (contact times 40-50 ms off, one sign or the other by runner). So
  the lever's share is learned on the run and taken out (_lever_fit, _toe_off). The kernel
  keeps the gyro's pitch rate in the ring; every fourth running step, the rate and the vertical
  force go into templates over the step's phase (32 bins, contact to contact), means over tens
  of steps: what repeats with the step (the rigid pelvis's pitch, carried on the lever) stays,
  and what does not (the belt's wobble, a rotation of the sensor about itself with no lever)
  averages out, which a fit sample by sample cannot do (on the raw gyro it found 2 cm of 11 on
  our simulator, 1-3 cm on SisFall's belts). In the air (phase 0.81-0.97) the ground pushes
  nothing, so there the force template follows the pitch acceleration (the rate template's
  central difference) times the lever alone: a least-squares line through zero, of the
  acceleration on the force, gives it (_lever_fit: the air's force is the lever's, its level as
  well as its swing, and the wobble the templates keep is in the rate alone), taken when it lies
  0-20 cm behind the axis, as a clip does (the simulator's runners, levers 8-15 cm: fits within
  a fifth on 12 of 15 checked at 50-200 Hz, test_dynamics; the crosscheck's 0.136/0.116/0.090/
  0.061 m of 0.13/0.11/0.10/0.10). Where the air's force goes with the acceleration (the sensor
  is behind the axis) but more than 20 cm of lever would explain, the gyro's air is mostly the
  sensor's own rotation on the belt (a short air after a long stance, the landing's nod still
  ringing; wobble the templates kept) and the fit cannot size the lever: the anatomy's middle,
  11.5 cm, is taken (contact times on such runners 35-45 ms short with none, within 1-7 ms so;
  seeds 1-18, 324 runs: contact time misses 9 -> 3 runs). A force that goes against the
  acceleration is no lever behind the axis: none. SisFall's 74 jogs: a fitted lever on 7, the
  anatomy's on 12 more, none on 55 (their contact times moved by 0-8 ms, one by 16). The toe-off is then looked for on the force less lever x the
  template's acceleration at each sample's phase: the stance's last fall through 0.5 g before a
  flight, and at sample periods up to 12 ms the single sample where the slope increases most
  near it (_TO_PER: a run's centroid would take in the lever's own bend through the push-off,
  which merges with the corner). Until the lever is known (the first ~18 running steps, ~6 s)
  the same on the force as it is. Contact times within 1-11 ms of the truth (median) on every
  simulated runner at 100-200 Hz, also on other seeds' levered runners (24-53 ms before), within
  1-5.5 ms of the crosscheck's stance share. At 50 Hz the toe-off's chord is kept, half a
  sample period earlier (_TO_PER), and once the lever is known the contact too is found on the
  force less the lever's share: there the kernel's kink, on the force as it is, is as early as
  the chord, the lever's bends being as sharp in one sample as the landing's corner, so the
  kink is looked for again on the force less the lever's share (_kink, the kernel's scan), and
  where it finds none, the chord of that force's rise (_contact, as step()'s). (Contact -23/-10/
  -5 ms median on cheap_50 seed 4 and rate_50 seeds 2 and 1 -> -5/-3/-2 with the chord.)
  Contact time at 50 Hz: rate_50 seed 1 7/6 ms (21-23 with neither, 10/9 with the chord), seed 2
  6/4 (20/26, 5/6); cheap_50, whose lost samples thin the templates, 4-14 ms on seeds 1-5 (the
  chord: 8-17, and 52 on seed 3's left foot); over 26 runs at 50 Hz (seeds 1-5, 11-18) 8.6 ms
  mean of the feet's medians (the chord: 10.9), 7.4 on seeds 6-10 (8.5). Not at 100-200 Hz:
  there the landing's corner is the sharper one, and taking out a share learned as a mean over
  steps moves it more than the lever does (contact time 3.2 -> 4.0 ms over 96 runs). The
  crosscheck's x3 a stance share of 0.678 against its truth's 0.653 (0.707).
- **vertical oscillation** (per step): the pelvis's vertical travel within one step, from pv
  over one period of the gait: contact to contact while running (the truth's window), trigger to
  trigger when walking; any phase, as long as the window is one period. By construction the step's mean
  vertical acceleration is zero (the body neither rises nor sinks from step to step: the step's
  mean specific force is 1 g) and its vertical velocity is periodic (zero mean: it returns to its
  height), so: a = pv - mean(pv); v = integral of a, minus its mean; z = integral of v; VO =
  max(z) - min(z). Time-weighted by each sample's dt (gaps and clock error included).
- **hip drop** (per step, so per side): the frontal-plane drop of the pelvis during the
  stance, from its roll at the contact to its most-dropped roll before the toe-off (the
  contralateral hip drops; the detector's stride runs right step then left, see detector.py).
  The roll is the pelvis's own, about its forward axis pitched by the lean (the Cardan angle):
  h_L is cos(lean) sin(roll), so it is read over the stride's cos(lean) (D_COS), not as the
  sine itself (1.5 % low at 10 deg of lean; our simulator's hip_drop runs, seeds 1-36: bias
  -0.28 -> -0.15 deg).
- **tilt swing** (per stride): peak-to-peak pelvis pitch within the stride; **push-off pitch**:
  the pitch at the stride's two toe-offs (interpolated in time) minus the stride's mean pitch.
  Running too upright is compensated by arching the lower back at push-off (positive: tilted
  further forward than the stride mean).

- **energy phase** (per step, for the walk/run call): running is a bounce, walking a pendulum
  (Cavagna et al. 1977). A runner is slowest at mid-stance, where the ground force peaks and the
  pelvis is lowest (braking, then propulsion, while the body is pushed up): forward and vertical
  energy go down and up together. A walker vaults over the stance leg: slowest at the top, at
  mid-stance, fastest at double support, where the force peaks and the pelvis is lowest: the two
  energies trade. So over one step (a whole period: no end effects), the forward acceleration
  c_F (the kernel's error across gravity, in the ring) times the vertical velocity v (the
  bounce's own, mean removed) sums above zero in running and below in walking, whatever the
  speed, the bounce or the depth of the walker's trough. SisFall, all 38 subjects (74 jogs, 76
  walks): of the jogs' steps with a flight 99.8 % bounce (18980); of the walks' steps that dip
  below 0.25 g (older adults' quick walks at 125-140 steps/min, mostly) 99.7 % trade (944); the
  crosscheck's and our simulator's running steps >= 99 % bounce. A step the kernel counted as a
  flight (a dip below 0.25 g) is taken back when it trades (ks[S_FLYN]): a walker's deep trough
  is no flight. The phase does not start running on a grounded slow jog (only a flight does:
  counting such steps toward the start moved no SisFall verdict and one of our simulator's
  runs past a cadence limit), but it keeps a runner running who stops leaving the ground: a
  step with no flight that bounces and sinks below 0.5 g (_DIP: a walker's lowest force stays
  above it, below the walk-run transition's Froude number) counts in the stride's D_BN, and
  the detector holds running while both steps of each stride do. SisFall, all 38
  subjects: none of the walks' 6878 strides has two such steps (nor the crosscheck's x4 walk);
  the older adults' slow jogs kept running 86-94 % -> 98-100 % of their strides (SE02, SE12,
  SE15). The sum is of (c_F >> 4) x (v >> 4) over the step's samples (< 512 x 2**20); no
  constant is tuned: its sign decides.
  The forward force at the sensor is not the pelvis's alone: a clip above the axis the pelvis
  pitches about feels the pitch's acceleration times its height there (alpha x r, forward for a
  forward pitch), at the step's own frequency and so in the sum. A waist belt rides 0-12 cm
  above the hip joints (_RUP); SisFall's jogs with the clip put 5 or 8 cm higher (the lever's
  force from their own gyro) lost running on 3 and 8 of 74 trials (down to 54 % of a trial's
  strides: steps that flew read as trading). The sum is linear in the height, so a flight
  that trades at the sensor is also taken as a clip 12 cm up would read it (less the lever's
  share of that height, from the gyro's pitch acceleration: _lever_phase, D_EPL). If it
  bounces there, the lever may have turned it: it keeps a runner running (D_FLU, the detector)
  but starts no run. Only a flight that bounces at the sensor does, as before, so a walker's
  dips (which trade at the sensor) start nothing whatever the clip's height. One pass over
  the step, and only for such a flight (none in 99.8 % of SisFall's jogs' flying steps).

Walking has no flight: contact time, hip drop and push-off pitch are then 0 (not measured);
vertical oscillation and tilt swing are measured for every stride.

Output: one ``EV_DYN`` event per stride, right after its STRIDE (events.py), in cdeg, mm, ms.
"""
import micropython
from micropython import const

import fixmath
from events import EV_DYN, put

RING = const(512)            # samples in the ring: a whole stride up to 2.5 s at 200 Hz
RING_WORDS = const(1536)     # 3 words per sample
_MSK = const(511)            # RING - 1
# the belt clip sits on the sacrum, 8-15 cm behind the hip joint centres the pelvis turns about
# (Harrington et al. 2007): 11.5 cm, in z units (g/1.024e9 m) per h_F unit (1/16384):
# 0.115 / 16384 / 9.5768e-9 = 733; + because the sensor behind the axis rises as the pelvis
# tilts forward (h_F falls)
_LEVER = const(733)

_AIR = const(1024)           # 0.25 g (Q12): below it the runner is in the air (kernel.py)
_C05 = const(2048)           # 0.5 g (Q12): the crossing that sets a contact's and a toe-off's chord
_C10 = const(4096)           # 1 g: a rise that reaches it is a landing
# A walker vaults over a stiff leg: at the top of the arc the pelvis feels 1 - v^2 / (g L) of
# gravity (a leg of L at speed v), and people change to running at a Froude number v^2 / (g L)
# near 0.5 (Alexander 1989; Thorstensson & Roberthson 1987): a walk's lowest force stays above
# ~0.5 g (the crosscheck's brisk walks: 0.65 g), while a grounded jog's dips below it (SisFall's
# older slow jogs: median step minima 0.1-0.5 g). A walker's dip past it on a wobbling belt
# (SisFall's older quick walks) trades its energies: the energy phase, not this level, parts
# the two.
_DIP = const(2048)           # 0.5 g (Q12)
# The top of a waist clip's height above the axis the pelvis pitches about (the hip joint
# centres): a belt rides from their level (a low-slung waistband) to the iliac crest, ~12 cm
# above them; the crosscheck's runs put the sensor 4-6 cm above, our simulator's 2-6. The lever's
# forward force there, in _bounce's units: Q8 g per sample = r x dd x 256 / (262.144 x g x dt),
# dd the sample's central difference of the ring's pitch rate (262.144 a rad/s) and dt =
# tt / (16000 n) s over a window of n samples and tt 1/16 ms: r x 1593.3 x n x dd / tt, and
# 1593.3 x 0.12 = 191.
_RUP = const(191)
# The line is extended at most 30 ms (1/16 ms) to the flight's level: a stance's ground force is
# near a half sine of peak P over the contact time T_c, and falls from 0.5 g to zero in
# (T_c / pi) asin(0.5 g / P). The slowest running stance (T_c <= 350 ms; P >= pi / (2 x duty)
# >= 1.96 g as the step's mean force is 1 g and a foot is down for at most 80 % of the step)
# takes 29 ms. A slower fall at the sensor is the lever's swing (the pelvis's pitch acceleration,
# below) rising while the force falls, not a longer stance.
_EXT_MAX = const(480)
_PACE_MAX = const(1920)      # a pace (1/16 ms per 0.5 g) that extends past _EXT_MAX from 1.5 g: clamp
_FLY = const(320)            # a flight counts after >= 20 ms below 0.25 g (1/16 ms, as kernel.py)
_BACK = const(6400)          # a step's contact lies within 400 ms before its trigger (1/16 ms)
_T_MAX = const(24000)        # windows up to 1.5 s (1/16 ms): keeps pv * time sums below 2**30
_V_MAX = const(32767)        # |v| clamp (units g/64000 m/s: 5 m/s, beyond any pelvis)
_M_MAX = const(1024)         # a step's mean force lies within 1 g +- 0.25 g (it is 1 g by physics:
#                              the body neither rises nor sinks from step to step); a clamp
_Z_MM10 = const(6427)        # (z >> 10) * 6427 >> 16 = 0.1 mm: z unit g/1.024e9 m, g = 9.80665
_NONE = const(-0x20000000)   # no such time (times are 1/16 ms before the last sample read)
_OLD = const(-0x10000000)    # times at or below this are none (4.7 h back: no step's business)

# state slots (array('i')); times are 1/16 ms relative to the last sample read (<= 0)
D_C29 = const(0)       # 2**29 (doubled into a viper word, as in kernel.py)
D_PREV = const(1)      # ring index of the previous step's trigger sample; -1 = none
D_SIDE = const(2)      # steps since the stride started (1 = right, 2 = left)
D_S0 = const(3)        # ring index of the stride's first trigger sample; -1 = none
# the last step: 1/16 ms, Q14, 0.1 mm
D_GCT = const(4)       # contact time, 1/16 ms (0 = no contact/toe-off found: walking)
D_RC = const(5)        # h_L at the contact, min and max of h_L over the stance (Q14)
D_RMIN = const(6)
D_RMAX = const(7)
D_PTO = const(8)       # h_F at the toe-off (Q14, interpolated)
D_VO = const(9)        # vertical oscillation, 0.1 mm
# the stride: right step at +0, left at +6 (GCT, RC, RMIN, RMAX, PTO, VO)
D_R = const(10)
D_L = const(16)
D_PMIN = const(22)     # stride: min, max, sum and count of h_F (Q14) since its first trigger
D_PMAX = const(23)
D_PSUM = const(24)
D_LEV = const(25)      # the sensor's lever behind the pelvis's turning point, z units per h_F unit
# the state machine over the ring (carried from step to step)
D_J = const(26)        # next ring sample to read; -1 = start afresh
D_ST = const(27)       # 0 before a flight, 1 flight, 2 rising (0.5 g seen), 3 stance
D_PVP = const(28)      # the last sample's pv (Q12 g)
D_FLY = const(29)      # time below _AIR in the current flight, and sum of pv * dt over it
D_FS = const(30)
D_T05 = const(31)      # the rise's 0.5 g crossing: time, pace (1/16 ms per 0.5 g), sample
D_R05 = const(32)
D_J05 = const(33)
D_TF05 = const(34)     # the last fall's 0.5 g crossing: time, pace; its sample and that's time
D_RF05 = const(35)
D_JTO = const(36)
D_TJTO = const(37)
D_TC = const(38)       # the stance's contact: time, sample (its 0.5 g crossing)
D_JC = const(39)
D_TTO = const(40)      # a toe-off waiting for the flight to prove itself (time)
D_CIN = const(41)      # 1 while a stance's roll is followed: h_L at its contact, min, max
D_CRC = const(42)
D_CLO = const(43)
D_CHI = const(44)
D_SLO = const(45)      # ... and min, max as they stood at the last fall's 0.5 g crossing
D_SHI = const(46)
D_TIP = const(47)      # time of the previous trigger
D_PN = const(48)       # stride: samples in D_PSUM
# the stride's EV_DYN fields (dynamics.stride_end)
D_OSW = const(49)      # tilt swing, push-off pitch, hip drop left, right (cdeg)
D_OPU = const(50)
D_ODL = const(51)
D_ODR = const(52)
D_OVO = const(53)      # VO left * 1024 + right (mm); contact time left * 2048 + right (ms)
D_OGC = const(54)
# the templates' window (see step()): the time since the last rise's 0.5 g crossing (W) and, while
# a rise is not yet a landing, the window it would close (P); words 1-6 of each unused but D_JK,
# D_FLO and D_BN
D_W = const(55)
D_FLO = const(56)      # the last step's lowest force (Q12 g, _bounce)
D_BN = const(58)       # the stride's steps that bounced below _DIP without a flight (see step())
D_P = const(62)
# The bounce's window runs contact to contact while running, and the contacts are the steps'
# own (the last sample at or before each), not the samples where the force as it is went through
# 0.5 g (D_J05): a lever's swing lifts the late flight's force past 0.5 g 20-60 ms before some
# landings and not others, and a window that much longer or shorter than the step is no period:
# its bounce reads the step's vertical velocity as not periodic (hip_drop seed 30: windows of 377
# and 310 ms for steps of 343, the feet's vertical oscillation 1.1 cm high and 1.3 low). D_JK: the
# last contact's sample (ring index). The templates keep the 0.5 g window: its phase is the one
# the lever's share is looked up at (_contact, _kink, _toe_off).
D_JK = const(57)
D_AS = const(69)      # the stride's 11 angles as (value, scratch) pairs for fixmath.asin_pairs
D_BASE = const(91)    # the ring's first word in yb
D_TK = const(92)      # the last contact's kink (kernel.at_step), as D_TC
D_EP = const(93)      # the last step's energy phase: sum of c_F x v over its period (see step())
# the lever's share of the force at the sensor, learned from the steps (see _lever_fit)
D_TN = const(94)      # steps the templates took (capped at _TN_MIN + 1)
D_K8 = const(95)      # the fitted gain, Q8 (pv Q12 per unit of the rate template's difference); 0 = none
D_TH = const(96)      # _NB bins: the pitch rate over the step's phase (262.1 a rad/s << 4), a leaky mean
D_TP = const(128)     # _NB bins: pv over the step's phase, Q16 (pv << 4), a leaky mean
D_CC = const(160)     # _NB bins: the lever's force at that phase, Q12 g (0 until fitted)
D_XJ = const(192)     # _toe_off's fall: the ring index of its first sample below 0.5 g, its time
D_XT = const(193)
D_SYY = const(194)    # _lever_fit's sums over the steps (leaky, 1/16 a step): the force's
D_SXY = const(195)    # squares, its products with the pitch acceleration
D_T4 = const(196)     # running steps since the templates last took one (they take one in 4)
D_XS = const(197)     # 2 x _SCAN words: _toe_off's samples (force less the lever's share, Q12 g; dt)
# the stride's tilt swing and hip drop left, right as the coach and drift.py judge them: in the
# log's short STRIDE steps (cdeg; logfmt.dyn_half_deg, see _stride_end)
D_QSW = const(325)
D_QDL = const(326)
D_QDR = const(327)
D_QDM = const(328)     # ... and the mean of the two sides' (0 unless both were measured)
D_COS = const(329)     # the cosine of the stride's lean (Q14; the detector sets it before
#                        stride_end: 16384 until the standing pose is known): hip drop is the
#                        pelvis's own roll, asin(h_L / cos(lean)) (fixmath.asin_pairs)
D_EPL = const(330)     # a flight's energy phase as a clip _RUP above the sensor would read it (_lever_phase)
D_FLU = const(331)     # the stride's flights taken back that bounce at _RUP (see step(): they keep running)
D_BM = const(332)      # _bounce's mean force less 1 g (Q12) and mean velocity, for _lever_phase
D_BVM = const(333)
D_SIZE = const(334)
_GAP_LONG = const(800)  # 50 ms (1/16 ms): a gap in the samples the templates do not take a step
#                         across (a few samples lost at 100-200 Hz are bridged well enough)
# the kernel's state slots read here (mirrors of kernel.S_KFL, S_KOK, S_TQ: a test checks them)
_KS_KFL = const(153)
_KS_KOK = const(60)
_KS_TQ = const(83)
_KS_PER = const(85)   # (kernel.S_PER: the sample period, 1/16 ms)
_KS_FLEW = const(33)  # (kernel.S_FLEW, S_FLYN: whether at_step counted this step's flight, and
_KS_FLYN = const(118) # the stride's count of steps that flew)
_KS_HID = const(163)  # (kernel.S_HID: this step's trigger lay in a gap)
# The toe-off's corner is looked for at sample periods up to 12 ms (kernel._ONSET_PER): where
# the force's slope increases the most in one sample from two samples before the fall's 0.5 g
# crossing to _EXT_MAX after the force fell below 0.25 g (the foot leaves by then: a lever
# adding up to 0.25 g can hold the force there at the toe-off, and the slowest running stance's
# force falls from 0.5 g to zero in 29 ms). A corner's slope change is the same in one sample
# at any rate, the lever's smooth curvature grows in one sample with the period squared: at
# 50 Hz the lever's own bends match the corner and the chord (above) is kept.
# The chord is then moved half a sample period earlier. An IMU sample is the mean of the force
# over its period, so a smooth stretch of force is read where it was half a period before the
# stamp: the fall to the toe-off (0.5 g to zero in >= 15 ms, near a line) and its chord are half
# a period late. Its contact is not: at these periods the landing's rise (a few ms with a heel
# strike, <= 20 ms without) is shorter than a sample, and its kink, or the chord through the one
# sample pair around 0.5 g, lies at the foot of the sampled rise, where the first sample whose
# period holds the landing begins (the simulator's runner with no lever, wobble or step variety
# at 50 Hz: contact -1.1 ms, toe-off +9.0 -> -0.9 ms). At <= 12 ms both ends are corners read on
# like samples and their delays nearly cancel (the same runner: +2.1/+4.4 ms at 100 Hz, +1.3/+1.9
# at 200 Hz), so there nothing is moved.
_TO_PER = const(192)
# The lever's share (see _lever_fit): _NB phase bins per step (the pelvis rocks at up to its
# third step harmonic, ~9 Hz: 11 bins a period, so a rate's central difference over bins reads
# its acceleration within 6 %); the air is certain over bins _FLO.._FHI (phase 0.81-0.97: a foot is
# down for at most 80 % of a running step, see _EXT_MAX, and the next landing's sample is stamped
# after it); the lever is fitted once the templates took _TN_MIN steps (the first 16 running
# steps, each taken: a leaky mean of 1/16 a hit has then averaged the belt's random wobble over
# ~8-30 steps, 200-50 Hz), then at every other step they take; a clip lies within 20 cm of the
# hip joint centres (the sacrum 8-15 cm behind them, Harrington et al. 2007), and behind them
# (the force rises as the pelvis tips forward): the gain of a lever L is 1.30522e7 L / T for a
# step of T (1/16 ms; _lever_fit's difference is 4194.3 alpha T / 512000 for a pitch
# acceleration alpha, rad/s^2; its force L alpha / 9.80665 m/s^2, Q12, the gain Q8), so
# _KMAX / T at 20 cm. The toe-off is looked for in up to _SCAN samples from 60 ms before the
# force's own 0.5 g fall (_SBACK, 1/16 ms: the lever moves it by up to ~60 ms).
_NB = const(32)
_BLO = const(11)             # the toe-off is looked for from bin _BLO + 1 on (no running stance ends before 37 %)
_TOFF = const(0x100000)
_FLO = const(26)
# (Bin 29's central difference reads bin 30, whose samples reach to within 1.6 % of the step
# (5-6 ms) of the window's end, the sample before the next rise's 0.5 g crossing: a mid-foot
# landing, up to 20 ms before that crossing, puts the start of its belt nod there. Fitting bins
# 26-28 alone takes that nod out of those runners' fits (swivel seed 13: lever 8.4 cm, fitted
# 11-18 cm; contact time 23 -> 3 ms), but on other runners the belt's rocking that the
# templates keep in bins 26-28 then weighs more (rate_104 seed 7: 3 -> 38 ms, its fit none):
# over seeds 1-36 the misses move from run to run, 33 -> 32. Bins 27-28, and one-bin
# differences over 26-29, did the same on the eight runs they were tried on. Stop 46, not kept.)
_FHI = const(29)
_TN_MIN = const(16)
_KMAX = const(2610447)
_KMID = const(1501003)       # the gain of _LEVER's 11.5 cm (1.30522e7 x 0.115): the sacrum's middle
_SCAN = const(64)
_KINK_MAX = const(4095)      # (kernel._KINK_MAX, _KINK_N: _kink scans as kernel.at_step)
_KINK_N = const(40)
_SBACK = const(960)


@micropython.viper
def _lever_fit(d: ptr32, wl: int):
    """Fit the lever's share of the force from the templates (a step of ``wl``, 1/16 ms) into
    d[D_K8] and d[D_CC..]: in the air (bins _FLO.._FHI) the ground pushes nothing, so what the
    sensor's vertical force does there follows the pelvis's pitch acceleration alone, times the
    sensor's distance behind the axis the pelvis turns about (the lever). The templates are
    means over many steps at the same phase, so the belt's random wobble (a rotation of the
    sensor about itself, no lever: module docstring) is averaged out of the pitch acceleration
    (the rate template's central difference), and a line through zero between the two (least
    squares) finds the lever as the rigid pelvis carries it.
    - Through zero: in the air the force is the lever's and nothing else's, its level as much as
      its swing (the body falls freely, and the centripetal force of the pitch on the sensor's
      2-6 cm above the axis is below 0.04 g at 3 rad/s); a line with its own offset threw the
      level away and fitted the slope of four bins alone (half the lever, or the wrong sign, on
      some runners, at 50 Hz on most).
    - The acceleration on the force, not the force on the acceleration: what the templates keep
      of the belt's wobble is in the rate only (a rotation of the sensor about itself pushes
      nothing), and noise in the variable a slope is taken over pulls it toward zero (the force
      on the acceleration: 0.02-0.09 m on cheap_50's runners of 0.10-0.15). So the lever is the
      force's sum of squares over its sum of products with the acceleration, which the wobble
      leaves alone. Where the two hardly go together (a pace that changes under the templates:
      mixed seed 1; the sensor's own rotations in the air's gyro) the ratio runs past 20 cm.
    A clip sits behind the axis and within 20 cm of it (_KMAX): a fit past 20 cm says behind,
    not how far, and takes the anatomy's middle (_KMID); a fit in front of the axis is none."""
    c30 = d[D_C29] << 1
    m31 = c30 | (c30 - 1)
    # the fit over the air's bins, of each bin's force on the pitch rate template's central
    # difference (the pitch acceleration over two bins: (W[i + 1] - W[i - 1]) / 2, W 4194.3 a
    # rad/s: the ring's rate << 4, see step()). A rate, not the pitch itself: a step's pitch
    # carries its own offset (the belt's slow wander, a lean that changes), and bins that a
    # step's samples fill unevenly (1-2 a bin) would keep it in their differences (fits of a
    # half of the lever on some runners); a rate has none to keep. Sums about zero, the force's
    # own squares too (above).
    sxy = 0
    syy = 0
    i = _FLO
    while i <= _FHI:
        x = (d[D_TH + i + 1] - d[D_TH + i - 1]) >> 1
        if x > 4095:
            x = 4095
        if x < -4095:
            x = -4095
        y = (d[D_TP + i] - _TOFF) >> 4
        if y > 8191:
            y = 8191
        if y < -8191:
            y = -8191
        sxy += x * y                # |x| < 2**12, |y| < 2**13, 4 bins: sums < 2**28
        syy += y * y
        i += 1
    # summed over the steps (1/16 a step, as the templates' own memory): a step's fit moves
    # with what is left of the wobble in its few bins; |sxy|, syy < 2**28, so the sums of 1/16
    # of them stay below that
    x = ((d[D_SXY] + c30) & m31) - c30
    sxy = x - (x >> 4) + (sxy >> 4)
    x = ((d[D_SYY] + c30) & m31) - c30
    syy = x - (x >> 4) + (syy >> 4)
    d[D_SXY] = sxy
    d[D_SYY] = syy
    k = 0
    if sxy > 255 and wl > 1600:
        k = syy // (sxy >> 8)
        km = _KMAX // wl
        if k > km:
            # the air's force goes with the pitch acceleration (sxy > 0: the sensor is behind
            # the axis) but is more than any clip's lever explains: the gyro's acceleration in
            # the air is mostly the sensor's own rotation on the belt (wobble the templates
            # have not averaged out, a nod after the landing still ringing on a long stance:
            # the simulator's runners of fits 0.3-6 m, 9-14 cm in truth). The fit says the
            # lever is there, not how long: the anatomy's middle, 11.5 cm (contact time on
            # those runners within 2-4 ms of the truth at 9-13 cm, 35-45 ms off with none,
            # 30 ms with 20 cm)
            k = _KMID // wl
        if k < 0:
            k = 0
    d[D_K8] = k
    # the lever's share of the force at each bin (Q12 g), from the same acceleration: every
    # bin, the step's phase wrapping round (its last bins lead into the next step's first, which
    # the contact looks through: _contact)
    i = 0
    while i < _NB:
        x = (d[D_TH + ((i + 1) & 31)] - d[D_TH + ((i - 1) & 31)]) >> 1
        x = (k * x) >> 8                # |k| <= 1632 (a step of 100 ms at least), |x| < 2**16: < 2**27
        if x > 4096:
            x = 4096
        if x < -4096:
            x = -4096
        d[D_CC + i] = x + _TOFF           # (kept offset, as the templates: read unsigned)
        i += 1


@micropython.viper
def _contact(yb: ptr32, d: ptr32, j: int, tj: int, t05: int, lim: int, ws: int, wl: int) -> int:
    """The contact (time, the step's frame) on the force less the lever's share (d[D_CC], see
    _lever_fit; ``ws``, ``wl``: the window the templates were made over, as _toe_off's), where
    the force as it is went through 0.5 g at ``t05`` and on to 1 g at sample ``j`` (time
    ``tj``): the samples from _SBACK before t05 (not from ``lim`` or before) to j, each less the
    lever's share at its phase; the last rise through 0.5 g before j, its chord followed back to
    the flight's level before it (its mean below 0.25 g, 0 if none: the ground pushes nothing
    in the air), at most _EXT_MAX back, as step()'s chord on the force as it is. _NONE where the
    compensated force has no such rise or does not reach 1 g by j."""
    base = d[D_BASE]
    sc = 0x200000 // wl                      # 1/256 bin per 1/16 ms, Q8 (wl > 1600)
    k = j
    tk = tj
    n = 0
    while k > lim + 1 and tk > t05 - _SBACK and n < _SCAN:
        tk -= (yb[base + (k & _MSK) * 3] >> 16) & 0xFFF
        k -= 1
        n += 1
    k0 = k                   # the first sample read; tk: its time
    pb = 0x3FFF              # the last sample's force (none yet: above any level)
    tx = _NONE               # the last rise through 0.5 g: its time, pace, the flight's level
    rx = 0
    bx = 0
    ft = 0                   # the flight's time and sum of force x dt (below 0.25 g)
    fs = 0
    while k <= j:
        w = yb[base + (k & _MSK) * 3]
        dt = (w >> 16) & 0xFFF
        if k > k0:
            tk += dt
        pv = ((w & 0xFFFF) ^ 0x8000) - 0x8000
        # (|tk - ws| < 2**15, sc <= 2**21 / 1600: < 2**26; the bins wrap round)
        u = (((tk - (dt >> 1) - ws) * sc) >> 8) - 128
        m = (u >> 8) & 31
        c0 = d[D_CC + m]
        pv -= c0 + (((d[D_CC + ((m + 1) & 31)] - c0) * (u & 255)) >> 8) - _TOFF
        if pv < _AIR:
            if pb >= _AIR:
                ft = 0
                fs = 0
            if ft < 8000:
                ft += dt
                fs += pv * dt        # |pv| < 2**16, ft < 8000 + 2**12: < 2**30
        elif pv >= _C05 and pb < _C05 and dt > 0:
            tx = tk - dt + ((_C05 - pb) * dt) // (pv - pb)   # |pv - pb| < 2**17, dt < 2**12
            rx = (dt << 11) // (pv - pb)
            if rx > _PACE_MAX:
                rx = _PACE_MAX
            bx = 0
            if ft > 0:
                bx = fs // ft
            if bx > _AIR:
                bx = _AIR
            if bx < -8192:
                bx = -8192
        pb = pv
        k += 1
    if tx <= _OLD or pb < _C10:          # (pb: sample j's, the loop reads it last)
        return _NONE
    x = (rx * (_C05 - bx)) >> 11
    if x > _EXT_MAX:
        x = _EXT_MAX
    return tx - x


@micropython.viper
def _kink(yb: ptr32, d: ptr32, j: int, tj: int, ri: int, lim: int, ws: int, wl: int) -> int:
    """The contact's kink (kernel.at_step's scan, _KINK_MAX there) on the force less the
    lever's share (d[D_CC], as _contact; ``ws``, ``wl``: the templates' window), each sample's
    share at the middle of its period: the largest run of slope increases from the 1 g
    crossing's sample ``j`` (time ``tj``, the step's frame; the slope out of it where sample
    j + 1 <= ``ri`` has been read) back to the one before the flight's last sample below
    0.25 g, or to the force's last dip above 0.25 g before 1 g (the rise to body weight starts
    there: it is called at 50 Hz only, where the kernel's scan stops there too); its time (the
    run's centroid), or _NONE. Sums as the kernel's: below 2**30."""
    base = d[D_BASE]
    sc = 0x200000 // wl                      # 1/256 bin per 1/16 ms, Q8 (wl > 1600)
    # the samples are read from the one after j (where read) back, each once: a slope needs
    # two, a change of slope three (that of the sample between, q + 1 below)
    q = j
    tq = tj            # sample q's time
    if j < ri:
        q = j + 1
        tq = tj + ((yb[base + (q & _MSK) * 3] >> 16) & 0xFFF)
    pu = 0             # sample q + 1 (read before q): its force less the share, its dt, and the
    du = 0             # slope from it to the sample after it
    su = 0
    r = 0              # samples read
    kc = 0             # the run of increases being summed: sum, moment, its latest time
    km = 0
    k0 = 0
    kb = 0             # the largest run: its sum and centroid (1/16 ms before sample j)
    kx = 0
    air = 0
    n = 0
    while n < _KINK_N and q > lim:
        w = yb[base + (q & _MSK) * 3]
        dq = (w >> 16) & 0xFFF
        u = (((tq - (dq >> 1) - ws) * sc) >> 8) - 128
        m = (u >> 8) & 31
        c0 = d[D_CC + m]
        pq = ((w & 0xFFFF) ^ 0x8000) - 0x8000 - (c0 + (((d[D_CC + ((m + 1) & 31)] - c0) * (u & 255)) >> 8) - _TOFF)
        sq = su
        if du > 0:
            sq = ((pu - pq) << 4) // du      # the slope from q to q + 1 (|p diff| < 2**17: < 2**21)
        if r >= 2:
            e = su - sq                      # sample q + 1's change of slope
            bk = tj - tq - du                # its time before sample j's (>= 0, as the kernel's)
            if e > 0:
                if e > _KINK_MAX:
                    e = _KINK_MAX
                if kc == 0:
                    k0 = bk
                    km = 0
                x = bk - k0
                if x > _KINK_MAX:
                    x = _KINK_MAX
                kc += e                      # < _KINK_N * _KINK_MAX
                km += e * x                  # < _KINK_N * _KINK_MAX**2 < 2**30
            elif kc:
                if kc > kb:
                    kb = kc
                    kx = k0 + km // kc
                kc = 0
            if air:
                break
            if pq >= pu and pu >= _AIR:
                air = 1      # the force's last dip before 1 g: the rise starts here
                break
            if pu < _AIR:
                air = 1      # the flight's last sample: one more, then done
            n += 1
        r += 1
        su = sq
        pu = pq
        du = dq
        tq -= dq
        q -= 1
    if kc > kb:
        kb = kc
        kx = k0 + km // kc
    if air > 0 and kb > 0:
        return tj - kx
    return _NONE


@micropython.viper
def _toe_off(yb: ptr32, d: ptr32, jto: int, tjto: int, jc: int, ke: int, ws: int, wl: int, cor: int) -> int:
    """The toe-off (time, the step's frame) from the ring's samples around the force's fall, the
    lever's share (d[D_CC], see _lever_fit) taken out of each where ``wl`` > 0: a sample's phase
    in the step is its centre's time from ``ws`` over ``wl`` (the window the templates were made
    over). The force's own fall has its first sample below 0.5 g at ``jto`` (time ``tjto``).
    Two passes. The first reads the samples once, towards ``ke`` (excluded), not from before the
    contact's (``jc``): from _SBACK before jto with the lever's share taken out (the lever moves
    the fall by up to ~60 ms), else from three samples before it; into d[D_XS..] (force, dt),
    it finds the stance's last fall through 0.5 g before a flight
    (>= _FLY below 0.25 g; a shorter dip is still the stance, as in step(); a bump in the flight
    is the lever's swing, not a landing) and the flight's level b over its first _EXT_MAX: there
    the chord (step()'s). The second, where ``cor`` (sample periods up to _TO_PER), finds the
    corner in what the first kept: the sample where the slope increases most, from two samples
    before the fall to _EXT_MAX after the force is below 0.25 g, at the centroid of that
    increase and its two neighbours' (a corner falls between samples: a boxcar sample spreads it
    over two). _NONE when there is no fall before a flight (the caller keeps its own chord).
    Sets d[D_XJ], d[D_XT] to the fall's first sample below 0.5 g and its time."""
    base = d[D_BASE]
    k = jto
    tk = tjto
    sc = 0
    x = 0
    if wl > 0:
        sc = 0x200000 // wl                  # 1/256 bin per 1/16 ms, Q8 (wl > 1600)
        x = tjto - _SBACK
        if x < ws + ((wl * (_BLO + 1)) >> 5):
            x = ws + ((wl * (_BLO + 1)) >> 5)    # (no running stance ends before 37 % of its step)
    else:
        x = 0x3FFFFFFF
    n = 0
    while k > jc + 1 and (tk > x or n < 3):
        tk -= (yb[base + (k & _MSK) * 3] >> 16) & 0xFFF
        k -= 1
        n += 1
    # the first pass (tk: the time of the sample before k)
    tk -= (yb[base + (k & _MSK) * 3] >> 16) & 0xFFF
    k0 = k
    i = -1            # the fall's sample (its index from k0), time, the force either side, dt
    ti = 0
    f0 = 0
    f1 = 0
    fd = 0
    air = 0           # 1 below 0.25 g since tair, 2 once that is a flight (>= _FLY)
    tair = 0
    ft = 0            # the flight's time and sum of force x dt below 0.25 g
    fs = 0
    pb = 0            # the last sample's force
    n = 0
    while k < ke and n < _SCAN:
        w = yb[base + (k & _MSK) * 3]
        dt = (w >> 16) & 0xFFF
        tk += dt
        pv = ((w & 0xFFFF) ^ 0x8000) - 0x8000
        if sc:
            # (|tk - ws| < 2**15, sc <= 2**21 / 1600: < 2**26; the bins wrap, 0 outside the kept)
            u = (((tk - (dt >> 1) - ws) * sc) >> 8) - 128        # bin centres at 256 i + 128
            m = (u >> 8) & 31
            c0 = d[D_CC + m]
            pv -= c0 + (((d[D_CC + ((m + 1) & 31)] - c0) * (u & 255)) >> 8) - _TOFF
        d[D_XS + 2 * n] = pv
        d[D_XS + 2 * n + 1] = dt
        n += 1
        k += 1
        if air < 2:
            if pv < _C05 and pb >= _C05:
                i = n - 1
                ti = tk
                f0 = pb
                f1 = pv
                fd = dt
            pb = pv
            if pv < _AIR:
                if air == 0:
                    air = 1
                    tair = tk
                    ft = 0
                    fs = 0
            elif pv >= _C05:
                air = 0
        if air and pv < _AIR and ft < 8000:
            ft += dt
            fs += pv * dt                    # |pv| < 2**15, < 8000 + 4096: < 2**29
            if ft >= _FLY:
                air = 2
        elif air == 2 and pv >= _AIR:
            break                            # (the flight's level from what came below 0.25 g)
        if air == 2 and tk > tair + _EXT_MAX:
            break
    if i <= 0 or air < 2:
        return _NONE
    d[D_XJ] = k0 + i
    d[D_XT] = ti
    b = fs // ft
    if b < -8192:
        b = -8192                # (-2 g: far beyond any lever; keeps products < 2**30)
    t05 = ti - fd + ((f0 - _C05) * fd) // (f0 - f1)
    rf = (fd << 11) // (f0 - f1)
    if rf > _PACE_MAX:
        rf = _PACE_MAX
    x = (rf * (_C05 - b)) >> 11
    if x < 0:
        x = 0
    if x > _EXT_MAX:
        x = _EXT_MAX
    to = t05 + x
    if not cor or i < 3:
        return to
    # the second pass: the corner, over what the first kept from sample i - 2 on
    # (forces within +-2**15 + 2**12 as kept, read signed as the state slots: c30, m31)
    c30 = d[D_C29] << 1
    m31 = c30 | (c30 - 1)
    q = i - 2
    ut = ti - d[D_XS + 2 * i + 1] - d[D_XS + 2 * i - 1]       # sample q's time
    up = ((d[D_XS + 2 * q] + c30) & m31) - c30
    ud = d[D_XS + 2 * q + 1]
    us = 0
    if ud > 0:
        us = ((up - (((d[D_XS + 2 * q - 2] + c30) & m31) - c30)) << 4) // ud   # < 2**22
    ute = 0x3FFFFFFF
    bm = 0            # the largest increase, its time, and its neighbours'
    tm = 0
    bl = 0
    tl = 0
    br = 0
    tr = 0
    ue = 0            # the last sample's increase and time
    uq = 0
    pend = 0
    while q + 1 < n and ut <= ute:
        p1 = ((d[D_XS + 2 * q + 2] + c30) & m31) - c30
        ud = d[D_XS + 2 * q + 3]
        s1 = us
        if ud > 0:
            s1 = ((p1 - up) << 4) // ud
        e = s1 - us                                  # sample q's change of slope
        if pend:
            br = e
            tr = ut
            pend = 0
        if e > bm:
            bm = e
            tm = ut
            bl = ue
            tl = uq
            br = 0
            pend = 1
        if up < _AIR and ute == 0x3FFFFFFF:
            ute = ut + _EXT_MAX
        ue = e
        uq = ut
        ut += ud
        us = s1
        up = p1
        q += 1
    if bm > 0:
        while bm > 4095:
            bm >>= 1
            bl >>= 1
            br >>= 1
        if bl < 0:
            bl = 0
        if br < 0:
            br = 0
        # offsets within +-4095 x 4095 (dt <= 4095): sums < 2**26
        to = tm + (bl * (tl - tm) + br * (tr - tm)) // (bl + bm + br)
    return to


@micropython.viper
def _bounce(yb: ptr32, d: ptr32, i0: int, i1: int) -> int:
    """The vertical oscillation (0.1 mm) over ring samples i0 + 1 .. i1, one period of the
    gait (see the module docstring: the mean force and the mean velocity taken out, the
    sensor's rise and fall on its lever by the pitch taken off), the energy phase over them
    into d[D_EP] and their lowest force into d[D_FLO]. Two passes: the sums for the means, then
    the travel. 0 for a window over _T_MAX."""
    base = d[D_BASE]
    c30 = d[D_C29] << 1
    m31 = c30 | (c30 - 1)
    d[D_EP] = 0
    d[D_FLO] = _C10
    tt = 0
    v = 0         # velocity with 1 g removed (Q12 g x 1/16 ms); at the end the sum for the mean force
    zw = 0        # sum of clamp(v >> 10) * dt
    lo = _C10     # the lowest force (Q12 g)
    j = i0 + 1
    while j <= i1:
        w = yb[base + (j & _MSK) * 3]
        dt = w >> 16                 # (dt <= S_DTMAX = 4000 < 2**15: the word is >= 0)
        tt += dt
        if tt > _T_MAX:
            return 0
        p = (((w & 0xFFFF) ^ 0x8000) - 0x8000)
        if p < lo:
            lo = p
        v += (p - _C10) * dt                     # |pv - 1 g| < 36864, T < 24000: < 2**30
        x = v >> 10
        if x > _V_MAX:
            x = _V_MAX
        if x < -_V_MAX:
            x = -_V_MAX
        zw += x * dt                              # |x| < 2**15, T < 24000: < 2**30
        j += 1
    if tt == 0:
        return 0
    fl = lo
    m = (v + (tt >> 1)) // tt                     # the mean force less 1 g (Q12 g)
    if m > _M_MAX:
        m = _M_MAX
    if m < -_M_MAX:
        m = -_M_MAX
    # the velocity's mean once the mean force is removed: v - m t, averaged over time; the
    # sum of t dt over the window ((tt**2 + the sum of dt**2) / 2, 1/1024) with the samples' dt
    # taken as equal (tt < 24000: tt**2 < 2**30; a gap inside the window moves it by its own
    # share of a sample, and the mean velocity by m times that)
    q = (tt * tt + (tt * tt) // (i1 - i0)) >> 11
    vm = zw // tt - (m * q) // tt                 # |m| <= 2**10, q < 2**20: < 2**30
    if vm > _V_MAX:
        vm = _V_MAX
    if vm < -_V_MAX:
        vm = -_V_MAX
    lev = d[D_LEV]
    d[D_BM] = m
    d[D_BVM] = vm
    v = 0
    z = 0
    lo = 0x3FFFFFFF
    hi = -0x3FFFFFFF
    ep = 0
    j = i0 + 1
    while j <= i1:
        o = base + (j & _MSK) * 3
        w = yb[o]
        dt = w >> 16
        v += ((((w & 0xFFFF) ^ 0x8000) - 0x8000) - _C10 - m) * dt    # < 2**16 x 24000 in all
        x = (v >> 10) - vm
        if x > _V_MAX:
            x = _V_MAX
        if x < -_V_MAX:
            x = -_V_MAX
        z += x * dt                                 # |x| < 2**15, T < 24000: < 2**30
        # the sensor sits behind the point the pelvis turns about: its pitch rocking moves it
        # up and down by lever * sin(pitch) on top of the pelvis's own travel (the range of y
        # is taken, so no mean pitch need come off)
        wf = ((yb[o + 1] + c30) & m31) - c30        # (c_F << 16) | h_F: kernel.py's ring
        y = z + lev * (((wf & 0xFFFF) ^ 0x8000) - 0x8000)     # |lev * h_F| < 2**24
        # the energy phase: |c_F >> 4| <= 2**9, |x >> 4| < 2**11, < 512 samples: < 2**30
        ep += (wf >> 20) * (x >> 4)
        if y < lo:
            lo = y
        if y > hi:
            hi = y
        j += 1
    d[D_EP] = ep
    d[D_FLO] = fl
    z = (hi - lo) >> 10
    if z > 131071 or z < 0:
        z = 131071          # (13 m: no pelvis; keeps z * _Z_MM10 below 2**30)
    return (z * _Z_MM10) >> 16


@micropython.viper
def _lever_phase(yb: ptr32, d: ptr32, i0: int, i1: int) -> int:
    """The energy phase of the step _bounce just measured (ring samples i0 + 1 .. i1) as a clip
    _RUP higher on the belt would read it, into d[D_EPL] and returned: D_EP less _RUP times the
    pitch's acceleration (a central difference of the ring's pitch rate, the window's last
    sample's one-sided: the next is not read yet) in the same sum with the vertical velocity,
    which is _bounce's again (its mean force and mean velocity, D_BM and D_BVM). Only for a
    flight that trades at the sensor (step()): one pass over the step then, none otherwise."""
    base = d[D_BASE]
    c30 = d[D_C29] << 1
    m31 = c30 | (c30 - 1)
    m = ((d[D_BM] + c30) & m31) - c30
    vm = ((d[D_BVM] + c30) & m31) - c30
    # the pitch rate (the high half of the ring's third word) one sample back and here
    wb = (((yb[base + (i0 & _MSK) * 3 + 2] >> 16) & 0xFFFF) ^ 0x8000) - 0x8000
    wc = (((yb[base + ((i0 + 1) & _MSK) * 3 + 2] >> 16) & 0xFFFF) ^ 0x8000) - 0x8000
    tt = 0
    v = 0
    ea = 0
    j = i0 + 1
    while j <= i1:
        w = yb[base + (j & _MSK) * 3]
        dt = w >> 16
        tt += dt
        v += ((((w & 0xFFFF) ^ 0x8000) - 0x8000) - _C10 - m) * dt    # (as _bounce's)
        x = (v >> 10) - vm
        if x > _V_MAX:
            x = _V_MAX
        if x < -_V_MAX:
            x = -_V_MAX
        wn = wc
        if j < i1:
            wn = (((yb[base + ((j + 1) & _MSK) * 3 + 2] >> 16) & 0xFFFF) ^ 0x8000) - 0x8000
            dd = (wn - wb) >> 1
        else:
            dd = wc - wb
        # within +-512 (200 rad/s2 at 50 Hz, beyond any pelvis): the sum as D_EP's, < 2**29
        if dd > 512:
            dd = 512
        if dd < -512:
            dd = -512
        ea += dd * (x >> 4)
        wb = wc
        wc = wn
        j += 1
    ep = ((d[D_EP] + c30) & m31) - c30
    if tt <= 0:
        d[D_EPL] = ep
        return ep
    # less _RUP x n / tt (q, Q8: < 2**25 / tt, <= 643 at 208 Hz, held within 1023) of that sum,
    # held within +-2**20 (a pelvis pitching with its step gives < 2**19 at 50-208 Hz; only its
    # size is held, not its sign): the product < 2**30, and D_EP less it within +-2**30
    q = ((_RUP * (i1 - i0)) << 8) // tt
    if q > 1023:
        q = 1023
    if ea > 0xFFFFF:
        ea = 0xFFFFF
    if ea < -0xFFFFF:
        ea = -0xFFFFF
    ep -= (ea * q) >> 8
    d[D_EPL] = ep
    return ep


@micropython.viper
def _templates(yb: ptr32, d: ptr32, i0: int, i1: int, tt: int):
    """A running step's window (ring samples i0 + 1 .. i1, ``tt`` long, 1/16 ms: from the
    sample before its rise's 0.5 g crossing to the next one's, the window _contact, _kink and
    _toe_off look the lever's share up by) into the templates (_lever_fit): each sample at its
    centre's phase, shared by the two bins either side of it as it lies between their centres
    (a bin's mean is then its centre's value, wherever in it the samples fall), a leaky mean of
    up to 1/16 a hit; only the bins the toe-off and the fit read (the pitch rate from _BLO, pv
    over the air's)."""
    base = d[D_BASE]
    sc = 0x200000 // tt               # 1/256 bin per 1/16 ms, Q8 (tt > 0)
    tq = 0
    j = i0 + 1
    while j <= i1:
        o = base + (j & _MSK) * 3
        w = yb[o]
        dt = w >> 16
        tq += dt
        bx = (((tq - (dt >> 1)) * sc) >> 8) - 128    # 1/256 bin from bin 0's centre
        f = bx & 255
        bx = (bx >> 8) & 31
        if bx >= _BLO:
            # the pitch rate (the high half of the ring's third word: 262.1 a rad/s,
            # |w| < 2**14)
            a = (((((yb[o + 2] >> 16) & 0xFFFF) ^ 0x8000) - 0x8000) << 4) + _TOFF
            y = d[D_TH + bx]
            d[D_TH + bx] = y + (((a - y) * (256 - f)) >> 12)      # < 2**20 x 2**8
            k = (bx + 1) & 31
            y = d[D_TH + k]
            d[D_TH + k] = y + (((a - y) * f) >> 12)
            if bx >= _FLO - 1 and bx <= _FHI:
                a = ((((w & 0xFFFF) ^ 0x8000) - 0x8000) << 4) + _TOFF
                y = d[D_TP + bx]
                d[D_TP + bx] = y + (((a - y) * (256 - f)) >> 12)
                y = d[D_TP + k]
                d[D_TP + k] = y + (((a - y) * f) >> 12)
        j += 1


@micropython.viper
def step(ybo, do, ri: int, ks: ptr32):
    """A step's trigger at ring sample ``ri`` (``d``: a Dynamics' state; ``ks``: the kernel's,
    for the kink at_step() found for this step's contact): read the samples since
    the last step through the state machine (contact, toe-off, the stance's roll, the stride's
    pitch), then measure the step (see the module docstring) into d[D_GCT..D_VO] and the
    stride's slot of its side. (A module function: the detector calls it at every step.)
    ``ybo``, ``do``: the arrays as objects, passed on as they came to _toe_off and _lever_fit
    (a viper pointer passed on would be boxed as an int, and a 32-bit port's heap addresses lie
    beyond its small ints: an allocation every call)."""
    yb = ptr32(ybo)
    d = ptr32(do)
    c30 = d[D_C29] << 1
    m31 = c30 | (c30 - 1)
    base = d[D_BASE]
    d[D_SIDE] += 1
    lim = ri - _MSK                      # the oldest sample the ring still holds
    prev = ((d[D_PREV] + c30) & m31) - c30
    d[D_PREV] = ri
    side = d[D_SIDE]
    j = ((d[D_J] + c30) & m31) - c30
    pmin = ((d[D_PMIN] + c30) & m31) - c30
    pmax = ((d[D_PMAX] + c30) & m31) - c30
    psum = ((d[D_PSUM] + c30) & m31) - c30
    pn = d[D_PN]
    if j < 0 or j <= lim or j > ri:
        # start afresh 400 ms before this trigger (a gait's first step: its contact lies there)
        j = ri
        t = 0
        while j > lim and t < _BACK:
            t += (yb[base + (j & _MSK) * 3] >> 16) & 0xFFF
            j -= 1
        pvp = ((yb[base + (j & _MSK) * 3] & 0xFFFF) ^ 0x8000) - 0x8000
        j += 1
        st = 0
        fly = 0
        fs = 0
        t05 = _NONE
        r05 = 0
        j05 = j
        tf05 = _NONE
        rf05 = -1
        jto = j
        tjto = _NONE
        tc = _NONE
        jc = j
        tto = _NONE
        cin = 0
        crc = 0
        clo = 0
        chi = 0
        slo = 0
        shi = 0
        tip = _NONE
        wt = _T_MAX + 1            # no window yet: it starts at the next contact
        d[D_P] = _T_MAX + 1
    else:
        st = d[D_ST]
        pvp = ((d[D_PVP] + c30) & m31) - c30
        fly = d[D_FLY]
        fs = ((d[D_FS] + c30) & m31) - c30
        t05 = ((d[D_T05] + c30) & m31) - c30
        r05 = d[D_R05]
        j05 = d[D_J05]
        tf05 = ((d[D_TF05] + c30) & m31) - c30
        rf05 = ((d[D_RF05] + c30) & m31) - c30
        jto = d[D_JTO]
        tjto = ((d[D_TJTO] + c30) & m31) - c30
        tc = ((d[D_TC] + c30) & m31) - c30
        jc = d[D_JC]
        tto = ((d[D_TTO] + c30) & m31) - c30
        cin = d[D_CIN]
        crc = ((d[D_CRC] + c30) & m31) - c30
        clo = ((d[D_CLO] + c30) & m31) - c30
        chi = ((d[D_CHI] + c30) & m31) - c30
        slo = ((d[D_SLO] + c30) & m31) - c30
        shi = ((d[D_SHI] + c30) & m31) - c30
        tip = ((d[D_TIP] + c30) & m31) - c30
        wt = d[D_W]
    kk = ((d[D_TK] + c30) & m31) - c30     # the stance's contact kink (D_TK), if any
    ft = 0            # the found step's templates' window: its rise's 0.5 g crossing to the next one's
    # the step found: contact ca (sample ja) ... toe-off to ... the next contact (sample jb)
    ca = _NONE
    to = 0
    ja = 0
    jb = 0
    frc = 0
    flo = 0
    fhi = 0
    fpto = 0
    tau = 0           # time of sample j after the last sample read before this call
    lc = 0            # 1: this call's new contact is _contact()'s (the kernel's kink is not used)
    tkk = _NONE       # this call's contact's kink on the force less the lever's share (_kink)
    jn = -1           # this call's contact's sample: the last at or before it (-1: none), its time
    tn = 0
    while j <= ri:
        o = base + (j & _MSK) * 3
        w = yb[o]
        pv = ((w & 0xFFFF) ^ 0x8000) - 0x8000
        dt = w >> 16                 # (dt <= S_DTMAX = 4000 < 2**15: the word is >= 0)
        tau += dt
        hf = ((yb[o + 1] & 0xFFFF) ^ 0x8000) - 0x8000
        if st == 3:
            if pvp >= _C05 and pv < _C05:
                tf05 = tau - dt + ((pvp - _C05) * dt) // (pvp - pv)
                rf05 = (dt << 11) // (pvp - pv)      # the fall's pace there: 1/16 ms per 0.5 g
                if rf05 > _PACE_MAX:
                    rf05 = _PACE_MAX
                jto = j
                tjto = tau
                slo = clo                            # the stance's roll up to the sample before
                shi = chi
            if pv < _AIR:
                tto = tf05       # finished once the flight's level is known (at the next contact)
                st = 1
                fly = 0
                fs = 0
        elif st == 0:
            if pv < _AIR:
                st = 1
                fly = 0
                fs = 0
        if st == 1:
            if pv < _AIR:
                fly += dt
                fs += pv * dt                # |pv| < 2**15, flight < 2**13 (1/16 ms): < 2**30
                if fly > 8000:
                    fly = 8000               # (half a second in the air: no runner; keeps fs bounded)
                    fs = fs - pv * dt
            elif pv >= _C05:
                if fly >= _FLY:
                    t05 = tau - dt + ((_C05 - pvp) * dt) // (pv - pvp)
                    r05 = (dt << 11) // (pv - pvp)   # the rise's pace: 1/16 ms per 0.5 g
                    if r05 > _PACE_MAX:
                        r05 = _PACE_MAX
                    j05 = j
                    st = 2
                    # the window to here would be the step's if this rise lands: keep it aside
                    d[D_P] = wt
                    wt = 0
                elif tto > _OLD:
                    st = 3          # a dip, not a flight: the stance goes on
                    tto = _NONE
        if st == 2:
            if pv >= _C10:
                # the flight's level b (Q12 g): the rise and the fall are extended along their
                # lines (0.5 g to 1 g) down to b, where the ground force is zero
                b = fs // fly
                if b > _AIR:
                    b = _AIR
                if b < -8192:
                    b = -8192                # (-2 g: far beyond any lever; keeps products < 2**30)
                x = (r05 * (_C05 - b)) >> 11
                if x > _EXT_MAX:
                    x = _EXT_MAX
                t = t05 - x
                # at periods over _TO_PER, once the lever is known: the contact on the force less
                # the lever's share (its kink, else its chord), where the chord on the force as it
                # is comes early (the lever's swing lifts the late flight's force toward 0.5 g)
                # and the kink with it (at 50 Hz the lever's bends are as sharp in one sample as
                # the landing's corner)
                if ks[_KS_PER] > _TO_PER and d[D_K8] != 0 and d[D_TN] >= _TN_MIN and wt <= _T_MAX:
                    x = d[D_P]
                    if x <= _T_MAX and x > 1600:
                        y = tau - dt - wt - x
                        tkk = int(_kink(ybo, do, j, tau, ri, lim, y, x))
                        x = int(_contact(ybo, do, j, tau, t05, lim, y, x))
                        if x > _OLD:
                            t = x
                            lc = 1
                if tc > _OLD and tto > tc and tip > _OLD and tc >= tip - _BACK and jto > jc:
                    # the stance from tc to this toe-off is finished: extend its fall to b, and
                    # follow its roll and pitch from the fall's 0.5 g crossing to the toe-off
                    x = (rf05 * (_C05 - b)) >> 11
                    if x < 0:
                        x = 0
                    if x > _EXT_MAX:
                        x = _EXT_MAX
                    to = tto + x
                    # the toe-off from the samples around the fall (_toe_off): with the lever's
                    # share taken out once it is known (the step's window from the contact's
                    # sample before to the rise's, as the templates': the bounce below), and at
                    # its corner where the rate resolves one (_TO_PER)
                    x = d[D_P]
                    if d[D_K8] == 0 or d[D_TN] < _TN_MIN or x > _T_MAX or x <= 1600:
                        x = 0           # (no lever known, or no step's window: 100 ms at least)
                    y = 0
                    if ks[_KS_PER] <= _TO_PER:
                        y = 1
                    if (x or y) and jto - 3 > lim:
                        x = int(_toe_off(ybo, do, jto, tjto, jc, j + 1, tau - dt - wt - x, x, y))
                        if x > _OLD:
                            to = x
                            jto = d[D_XJ]
                            tjto = ((d[D_XT] + c30) & m31) - c30
                    if y == 0:
                        # the chord's toe-off, half a sample period earlier (see _TO_PER)
                        to -= (((ks[_KS_PER] + c30) & m31) - c30) >> 1
                    ca = tc
                    # the contact's kink (kernel.at_step), where it has one: the same contact's
                    # when within 100 ms of the chord's (both lie in its one rise, < 100 ms)
                    if kk > _OLD and kk - tc < 1600 and tc - kk < 1600:
                        ca = kk
                    ja = jc
                    jb = j05
                    frc = crc
                    flo = slo
                    fhi = shi
                    ft = d[D_P]
                    k = jto
                    tk = tjto
                    p0 = ((yb[base + ((k - 1) & _MSK) * 3 + 1] & 0xFFFF) ^ 0x8000) - 0x8000
                    fpto = p0
                    while k <= j:
                        ok = base + (k & _MSK) * 3
                        r = ((yb[ok + 2] & 0xFFFF) ^ 0x8000) - 0x8000
                        p1 = ((yb[ok + 1] & 0xFFFF) ^ 0x8000) - 0x8000
                        if r < flo:
                            flo = r
                        if r > fhi:
                            fhi = r
                        if tk >= to:
                            dk = (yb[ok] >> 16) & 0xFFF
                            x = to - (tk - dk)       # 1/16 ms from sample k-1 to the toe-off
                            if dk > 0:
                                fpto = p0 + ((p1 - p0) * x) // dk
                            else:
                                fpto = p1
                            break
                        p0 = p1
                        fpto = p1
                        k += 1
                        tk += (yb[base + (k & _MSK) * 3] >> 16) & 0xFFF
                # the new stance: its roll at the contact (the last sample at or before it: the
                # pelvis starts to drop as the foot lands, faster than the force rises), and its
                # range over the samples since
                k = j
                tk = tau
                clo = 16384
                chi = -16384
                while k > lim + 1:
                    r = ((yb[base + (k & _MSK) * 3 + 2] & 0xFFFF) ^ 0x8000) - 0x8000
                    if r < clo:
                        clo = r
                    if r > chi:
                        chi = r
                    tk -= (yb[base + (k & _MSK) * 3] >> 16) & 0xFFF
                    if tk <= t:
                        break
                    k -= 1
                crc = ((yb[base + ((k - 1) & _MSK) * 3 + 2] & 0xFFFF) ^ 0x8000) - 0x8000
                jn = k - 1           # (the bounce's window, after the loop)
                tn = tk
                if crc < clo:
                    clo = crc
                if crc > chi:
                    chi = crc
                cin = 1
                tc = t
                kk = _NONE
                jc = j05
                tto = _NONE
                rf05 = -1
                tf05 = tau
                st = 3
            elif pv < _C05:
                st = 1          # a bump in the flight (the lever arm's swing), not a landing
                # its window goes on: P then W
                pt = d[D_P]
                if pt + wt > _T_MAX:
                    wt = _T_MAX + 1
                else:
                    wt += pt
        elif cin:
            r = ((yb[o + 2] & 0xFFFF) ^ 0x8000) - 0x8000
            if r < clo:
                clo = r
            if r > chi:
                chi = r
        # the templates' window
        if wt <= _T_MAX:
            wt += dt
            if wt > _T_MAX:
                wt = _T_MAX + 1
        # the stride's pitch
        if hf < pmin:
            pmin = hf
        if hf > pmax:
            pmax = hf
        if pn < 32768:
            psum += hf                       # |h_F| <= 2**14, < 2**15 samples: < 2**30
            pn += 1
        pvp = pv
        j += 1
    # carry the state to the next step, its times relative to this trigger (sample ri)
    d[D_J] = j
    d[D_ST] = st
    d[D_PVP] = pvp
    d[D_FLY] = fly
    d[D_FS] = fs
    d[D_R05] = r05
    d[D_J05] = j05
    d[D_RF05] = rf05
    d[D_JTO] = jto
    d[D_JC] = jc
    d[D_CIN] = cin
    d[D_CRC] = crc
    d[D_CLO] = clo
    d[D_CHI] = chi
    d[D_SLO] = slo
    d[D_SHI] = shi
    d[D_PMIN] = pmin
    d[D_PMAX] = pmax
    d[D_PSUM] = psum
    d[D_PN] = pn
    d[D_T05] = t05 - tau if t05 - tau > _OLD else _NONE
    d[D_TF05] = tf05 - tau if tf05 - tau > _OLD else _NONE
    d[D_TJTO] = tjto - tau if tjto - tau > _OLD else _NONE
    d[D_TC] = tc - tau if tc - tau > _OLD else _NONE
    d[D_TTO] = tto - tau if tto - tau > _OLD else _NONE
    d[D_TIP] = 0
    d[D_TK] = _NONE
    if ks[_KS_KOK]:   # this step's contact's kink (kernel.at_step, just before)
        x = -((((ks[_KS_KFL] + c30) & m31) - c30) + (((ks[_KS_TQ] + c30) & m31) - c30))
        if tkk > _OLD:
            # at 50 Hz, once the lever is known: the kink on the force less the lever's share,
            # where it is the same contact's (within 100 ms of the kernel's: both in one rise)
            y = tkk - tau
            if y - x < 1600 and x - y < 1600:
                x = y
                lc = 0
        if lc == 0:
            d[D_TK] = x
    # The bounce's window (below) runs contact to contact while running: the contacts
    # themselves, each at the last sample at or before it. The last one's is kept in D_JK; this
    # call's (jn, from its chord's) moves to the contact the next step will start from (its kink
    # where it has one in the same rise, as ca is chosen: below), a few samples at most.
    jp = ((d[D_JK] + c30) & m31) - c30
    if jn >= 0:
        te = tc
        x = ((d[D_TK] + c30) & m31) - c30
        if x > _OLD and x + tau - tc < 1600 and tc - tau - x < 1600:
            te = tau + x
        while jn < ri and tn + (yb[base + ((jn + 1) & _MSK) * 3] >> 16) <= te:
            jn += 1
            tn += yb[base + (jn & _MSK) * 3] >> 16    # (dt < 2**15: the word is >= 0)
        while jn > lim + 1 and tn > te:
            tn -= yb[base + (jn & _MSK) * 3] >> 16
            jn -= 1
        d[D_JK] = jn
    d[D_W] = wt
    # the step's measures (none for the first step after a break, or a stride's third; nor
    # for a step whose trigger lay in a gap of the samples, kernel.S_HID: its stance, toe-off
    # or flight lay in the gap, and its stride is not reported)
    d[D_GCT] = 0
    d[D_EP] = 0
    if prev < 0 or side > 2 or ri - prev <= 1 or ri - prev > _MSK or ks[_KS_HID]:
        return
    if ca > _OLD and to > ca and jb > ja + 1 and ja > lim:
        d[D_GCT] = to - ca
        d[D_RC] = frc
        d[D_RMIN] = flo
        d[D_RMAX] = fhi
        d[D_PTO] = fpto
        g = 1
        # the step's bounce over one period: contact to contact while running (the same phase
        # on both feet), trigger to trigger when walking
        i0 = ja - 1
        i1 = jb - 1
        # Contact to contact means the contacts themselves (D_JK and jn, above), not the
        # samples where the force as it is went through 0.5 g (ja, jb): see D_JK. Each lies
        # within 100 ms of its own (both in one rise: y samples, rounded up), else the window
        # stays ja to jb (a D_JK left from before a break in the gait). A contact sample is the
        # last at or before the contact and ja, jb the first past 0.5 g, so one leads the other
        # by a sample more on that side (+2: that sample and y's rounding). A sanity gate on
        # the kept index, not a tuned figure.
        y = ((ks[_KS_PER] + c30) & m31) - c30
        if y < 80:
            y = 80                          # (a period not measured yet: 200 Hz's, the most samples)
        y = 1600 // y + 1
        if jn > jp + 1 and jp > lim and jp - ja < y and ja - jp < y + 2 and jn - jb < y and jb - jn < y + 2:
            i0 = jp
            i1 = jn
    else:
        g = 0
        i0 = prev
        i1 = ri
    vo = 0
    if i1 > i0:
        vo = int(_bounce(ybo, do, i0, i1))
    if g and ft <= _T_MAX and jb > ja + 1:
        # one running step in 4 goes into the templates (they are means over tens of steps;
        # ~45 instructions a sample so, every step would be ~180: make bench), and every one
        # until they have taken _TN_MIN: no lever is known before, and each step's contact time
        # is read without it (35-45 ms off on a levered runner, the module docstring), so the
        # templates fill as fast as the steps come (~6 s of running where one in 4 took ~22 s;
        # its cost once a session). Seeds 13-24 of 12 scenarios (144 runs): contact time's
        # median error 4.49/4.34 -> 4.21/4.24 ms (left/right mean), none more than 1 ms worse;
        # no_standing_start seed 20's left foot 28.5 -> 4.8 ms
        d[D_T4] += 1
        # (not a step that lost samples in a gap: its bins at the gap's phase would take the
        # line across it, and the templates are means over tens of steps that set the lever's
        # share for every step after)
        x = 1
        y = ja - 1
        while y < jb and x:
            if (yb[base + (y & _MSK) * 3] >> 16) >= _GAP_LONG:
                x = 0
            y += 1
        if x and (d[D_T4] >= 4 or d[D_TN] < _TN_MIN):
            d[D_T4] = 0
            _templates(ybo, do, ja - 1, jb - 1, ft)
            # the fit from _TN_MIN on, at every other of the templates' steps (one running
            # step in 8: they move by a fraction of a hit a step)
            x = d[D_TN] + 1
            if x > _TN_MIN + 1:
                _lever_fit(do, ft)
                x = _TN_MIN
            d[D_TN] = x
    d[D_VO] = vo
    x = ((d[D_EP] + c30) & m31) - c30
    if x < 0 and ks[_KS_FLEW]:
        # a pendular step (see the docstring, energy phase): its dip below 0.25 g was a
        # walker's, not a flight; the stride's count of flying steps does not take it. Unless
        # a clip higher on the belt would read it as a bounce: then the lever may have turned
        # it, and it keeps a runner running (D_FLU), though it starts no run
        ks[_KS_FLEW] = 0
        ks[_KS_FLYN] -= 1
        if i1 > i0 and int(_lever_phase(ybo, do, i0, i1)) > 0:
            d[D_FLU] += 1
    elif x > 0 and not ks[_KS_FLEW] and ((d[D_FLO] + c30) & m31) - c30 < _DIP:
        # a bounce with no flight that sinks below a walk's lowest force: a grounded running
        # step (the detector keeps a runner running on them, never starts one)
        d[D_BN] += 1
    # into the stride's slot for this side
    o = D_L
    if side == 1:
        o = D_R
    g = d[D_GCT]
    d[o] = g
    d[o + 5] = vo
    if g:
        d[o + 1] = d[D_RC]
        d[o + 2] = d[D_RMIN]
        d[o + 3] = d[D_RMAX]
        d[o + 4] = d[D_PTO]
    else:
        d[o + 1] = 0
        d[o + 2] = 0
        d[o + 3] = 0
        d[o + 4] = 0


@micropython.viper
def stride_start(d: ptr32, ri: int):
    """A stride begins after ring sample ``ri`` (its first trigger): empty its slots and sums."""
    d[D_S0] = ri
    d[D_SIDE] = 0
    i = 0
    while i < 12:
        d[D_R + i] = 0
        i += 1
    d[D_PMIN] = 16384
    d[D_PMAX] = -16384
    d[D_PSUM] = 0
    d[D_PN] = 0
    d[D_BN] = 0
    d[D_FLU] = 0


@micropython.viper
def _stride_end(do, ri: int) -> int:
    """The stride that ends at ring sample ``ri``: its EV_DYN fields into d[D_OSW..D_OGC] (``do``
    is the state array, handed on to fixmath as it is); returns 0 when it has none (no start, or
    longer than the ring)."""
    d = ptr32(do)
    c30 = d[D_C29] << 1
    m31 = c30 | (c30 - 1)
    s0 = ((d[D_S0] + c30) & m31) - c30
    d[D_OSW] = 0
    d[D_ODL] = 0
    d[D_ODR] = 0
    d[D_QSW] = 0
    d[D_QDL] = 0
    d[D_QDR] = 0
    d[D_QDM] = 0
    if s0 < 0 or ri - s0 > _MSK or ri - s0 < 2:
        return 0
    # the stride's pitch range and mean, the toe-offs' pitch, each stance's roll (Q14) -> mdeg
    n = d[D_PN]
    if n > 0:
        d[D_AS] = d[D_PMAX]
        d[D_AS + 2] = d[D_PMIN]
        d[D_AS + 4] = (((d[D_PSUM] + c30) & m31) - c30) // n
    else:
        d[D_AS] = 0
        d[D_AS + 2] = 0
        d[D_AS + 4] = 0
    d[D_AS + 6] = d[D_R + 4]
    d[D_AS + 8] = d[D_L + 4]
    k = 0
    while k < 3:
        d[D_AS + 10 + 2 * k] = d[D_L + 1 + k]
        d[D_AS + 16 + 2 * k] = d[D_R + 1 + k]
        k += 1
    fixmath.asin_pairs(do, D_AS, 5, 16384)
    # each stance's roll at its contact, lowest and highest: asin(h_L / cos(lean)), the pelvis's
    # roll about its own forward axis (fixmath.asin_pairs)
    fixmath.asin_pairs(do, D_AS + 10, 6, ((d[D_COS] + c30) & m31) - c30)
    a = D_AS
    # tilt swing: the pitch's range
    d[D_OSW] = (((d[a] + c30) & m31) - c30) - (((d[a + 2] + c30) & m31) - c30)
    d[D_OPU] = 0
    if d[D_R] and d[D_L]:
        # push-off pitch: the stride's mean pitch less the toe-offs' (pitch forward = -asin(h_F))
        d[D_OPU] = (((d[a + 4] + c30) & m31) - c30) - ((((d[a + 6] + c30) & m31) - c30) +
                                                       (((d[a + 8] + c30) & m31) - c30)) // 2
    # hip drop of each side: how far the pelvis rolled from its roll at the contact during the
    # stance (the contralateral hip drops: a right stance rolls the pelvis to the left, h_L
    # falls; a left stance the mirror). The larger excursion either way, so the value holds
    # whichever foot the detector names (its naming, detector.py, only labels it).
    o = D_L
    b = a + 10
    while o >= D_R:
        x = 0
        if d[o]:
            rc = ((d[b] + c30) & m31) - c30
            x = rc - (((d[b + 2] + c30) & m31) - c30)
            y = (((d[b + 4] + c30) & m31) - c30) - rc
            if y > x:
                x = y
        if o == D_L:
            d[D_ODL] = x
        else:
            d[D_ODR] = x
        o -= 6
        b += 6
    # the four angles, mdeg -> cdeg rounded half away from zero (fixmath.cdeg)
    k = D_OSW
    while k <= D_ODR:
        x = ((d[k] + c30) & m31) - c30
        if x >= 0:
            d[k] = (x + 5) // 10
        else:
            d[k] = 0 - ((5 - x) // 10)
        k += 1
    # VO (0.1 mm -> mm, 0..1023) and contact time (1/16 ms -> ms, 0..2047) of each side, packed
    vl = (d[D_L + 5] + 5) // 10
    vr = (d[D_R + 5] + 5) // 10
    if vl > 1023:
        vl = 1023
    if vr > 1023:
        vr = 1023
    d[D_OVO] = vl * 1024 + vr
    gl = (d[D_L] + 8) >> 4
    gr = (d[D_R] + 8) >> 4
    if gl > 2047:
        gl = 2047
    if gr > 2047:
        gr = 2047
    d[D_OGC] = gl * 2048 + gr
    # What the coach's optional cues and drift.py judge: tilt swing and hip drop per side as the
    # log's short STRIDE keeps them (0.5 deg steps, 0.5..15.5 deg, 0 = not measured: logfmt's
    # dyn_half_deg, the same rule, a test checks), so a replay of the log gives the board's cues
    # and drift exactly; the EV_DYN above keeps the values whole (a long record, the report).
    # Half a step of 0.5 deg is 0.25 deg, a quarter of the cues' default hysteresis (1 deg).
    # (x + 25) // 50 as (x + 25) * 1311 >> 16: exact below 1600 (its error, < 0.007, never
    # reaches the next whole number: a remainder is at most 49/50), and 1550 and up is clamped
    # anyway. Written out three times: as a loop it cost ~11 instructions a sample (make bench,
    # 32-bit), the three as here ~6. D_QDM: the two sides' mean, as drift.py takes it (0 unless
    # both were measured).
    x = ((d[D_OSW] + c30) & m31) - c30
    if x >= 25 and x < 1550:
        x = (((x + 25) * 1311) >> 16) * 50
    elif x > 0:
        x = 50 if x < 25 else 1550
    else:
        x = 0
    d[D_QSW] = x
    x = ((d[D_ODL] + c30) & m31) - c30
    if x >= 25 and x < 1550:
        x = (((x + 25) * 1311) >> 16) * 50
    elif x > 0:
        x = 50 if x < 25 else 1550
    else:
        x = 0
    d[D_QDL] = x
    y = ((d[D_ODR] + c30) & m31) - c30
    if y >= 25 and y < 1550:
        y = (((y + 25) * 1311) >> 16) * 50
    elif y > 0:
        y = 50 if y < 25 else 1550
    else:
        y = 0
    d[D_QDR] = y
    if x and y:
        d[D_QDM] = (x + y) >> 1
    return 1


class Dynamics:
    """Per-step and per-stride running dynamics from the kernel's ring (see the module docstring)."""

    def __init__(self, ring_base):
        self.base = ring_base
        self.d = array_i(D_SIZE)
        self.d[D_C29] = 1 << 29
        self.d[D_LEV] = _LEVER
        self.d[D_BASE] = ring_base
        self.d[D_COS] = 16384
        for i in range(_NB):                  # the templates start level (offset: _lever_fit)
            self.d[D_TH + i] = _TOFF
            self.d[D_TP + i] = _TOFF
            self.d[D_CC + i] = _TOFF
        self.reset()

    def reset(self):
        """A new session or a break in the gait: no previous step; read the ring afresh. (The
        lever's templates and fit stay: the same runner and clip; a clip moved is learned again
        over the fits' memory, ~130 running steps.)"""
        d = self.d
        d[D_PREV] = -1
        d[D_S0] = -1
        d[D_SIDE] = 0
        d[D_J] = -1
        d[D_TK] = _NONE

    def step(self, yb, ri, ks):
        """A step's trigger at ring sample ``ri`` (``ks``: the kernel's state, for its contact's
        kink): measure the step that ended there."""
        step(yb, self.d, ri, ks)

    def stride_start(self, ri):
        """A stride begins at ring sample ``ri`` (its first trigger)."""
        stride_start(self.d, ri)

    def stride_end(self, q, t, yb, ri):
        """The stride ends at ring sample ``ri`` (time ``t``): push its EV_DYN (events.py). What
        the coach and drift.py take of it is in ``d[D_QSW..D_QDM]`` (0 = none; the detector
        reads the slots: attributes set here cost ~2 instructions a sample, make bench)."""
        d = self.d
        if _stride_end(d, ri):
            put(q.buf, q.slot(), EV_DYN, t, d[D_OSW], d[D_OPU], d[D_ODL], d[D_ODR], d[D_OVO], d[D_OGC])


def array_i(n):
    """A zeroed array('i') of ``n`` slots (once, at start-up)."""
    from array import array
    return array("i", bytes(4 * n))
