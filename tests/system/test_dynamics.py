"""Running dynamics (device/dynamics.py): the definitions on synthetic signals with known answers,
then accuracy against the simulator's truth (issue 10's targets) on every scenario (a known gap,
when there is one, held to a regression bound), and the log's bytes per stride.
"""
import math
from array import array

import numpy as np
import pytest

from hinge.coach import dyneval, replay
from hinge.common import devpath
from hinge.common.capture import Capture
from hinge.sim.simulate import SCENARIOS as _SCENARIOS
from hinge.sim.simulate import simulate

dyn = devpath.import_device("dynamics")
kernel = devpath.import_device("kernel")

G = 9.80665


def _ring(pv_g, hf=None, hl=None, dt16=160):
    """A ring (yb after a 0-word heading buffer) holding samples of pv (g), h_F, h_L (Q14)."""
    n = len(pv_g)
    yb = array("i", bytes(4 * dyn.RING_WORDS))
    for i in range(n):
        o = (i & (dyn.RING - 1)) * 3
        pv = int(round(pv_g[i] * 4096))
        yb[o] = (dt16 << 16) | (pv & 0xFFFF)
        yb[o + 1] = int(hf[i]) if hf is not None else 0
        yb[o + 2] = int(hl[i]) if hl is not None else 0
    return yb


def _measure(yb, ip, i1):
    """The dynamics state after steps triggered at ring samples ``ip`` then ``i1`` (the module
    reads the ring afresh at the first, 400 ms back, and measures the step ending at the second)."""
    m = dyn.Dynamics(0)
    ks = array("i", bytes(4 * kernel.S_SIZE))     # (no kink: the contact is the chord's)
    m.step(yb, ip, ks)
    m.step(yb, i1, ks)
    return m.d


def test_vertical_oscillation_of_a_sine_bounce():
    # pv = 1 g + A sin(2 pi t / T) over one step: z = -A g (T / 2 pi)^2 sin(...), VO = 2 A g (T / 2 pi)^2
    T, A, dt_ms = 0.35, 0.9, 10.0
    n = int(round(T * 1000 / dt_ms))
    t = (np.arange(n + 1)) * dt_ms / 1000.0
    pv = 1.0 + A * np.sin(2 * np.pi * t / T + 0.7)     # any phase: one period is one period
    yb = _ring(pv, dt16=int(dt_ms * 16))
    got_cm = _measure(yb, 0, n)[dyn.D_VO] / 100.0
    want_cm = 2 * A * G * (T / (2 * np.pi)) ** 2 * 100
    assert abs(got_cm - want_cm) < 0.03 * want_cm, (got_cm, want_cm)
    # a flat force (standing on a treadmill deck) has no bounce
    assert _measure(_ring(np.ones(n + 1), dt16=160), 0, n)[dyn.D_VO] == 0


def _steps(dt_ms, gct_ms, step_ms, nsteps, level=-0.3, peak=2.4):
    """Running steps: a half-sine ground force over gct_ms, none in the flight, on top of a steady
    ``level`` g (what a sensor on a lever reads in the air), sampled as the chip does: the mean
    over each sample period."""
    fine = np.arange(0, nsteps * step_ms, 0.05)
    ph = fine % step_ms
    f = level + np.where(ph < gct_ms, peak * np.sin(np.pi * np.minimum(ph / gct_ms, 1.0)), 0.0)
    k = int(dt_ms / 0.05)
    m = len(f) // k
    return f[: m * k].reshape(m, k).mean(axis=1)


@pytest.mark.parametrize("dt_ms", [5.0, 9.6, 20.0])
@pytest.mark.parametrize("gct_ms", [180.0, 250.0])
def test_contact_time_of_half_sine_stances(dt_ms, gct_ms):
    step_ms = 360.0
    pv = _steps(dt_ms, gct_ms, step_ms, 4)
    yb = _ring(pv, dt16=int(round(dt_ms * 16)))
    per = step_ms / dt_ms
    i1 = int(2.4 * per)        # a trigger after the third contact; the previous one after the second
    ip = int(1.4 * per)
    d = _measure(yb, ip, i1)
    got = d[dyn.D_GCT] / 16.0
    # a half sine's ends are not straight: the chord at 0.5 g lands a few ms inside them
    assert abs(got - gct_ms) < 8.0, (got, gct_ms)


def test_hip_drop_is_the_roll_excursion_from_the_contact():
    # roll (h_L) flat through the flight, then a 6 deg drop and recovery during the stance
    dt_ms, gct_ms, step_ms = 10.0, 240.0, 360.0
    pv = _steps(dt_ms, gct_ms, step_ms, 4)
    n = len(pv)
    t = np.arange(n) * dt_ms
    ph = t % step_ms
    roll = np.where(ph < gct_ms, -6.0 * np.sin(np.pi * ph / gct_ms), 0.0) + 1.5   # + a mount offset
    hl = np.round(np.sin(np.radians(roll)) * 16384)
    yb = _ring(pv, hl=hl, dt16=160)
    d = _measure(yb, int(1.4 * step_ms / dt_ms), int(2.4 * step_ms / dt_ms))
    drop = (dyn.fixmath.asin_mdeg(d[dyn.D_RC]) - dyn.fixmath.asin_mdeg(d[dyn.D_RMIN])) / 1000.0
    assert abs(drop - 6.0) < 0.3, drop


@pytest.mark.parametrize("pitch_deg", [0.0, 12.0, 25.0])
def test_hip_drop_is_the_pelvis_own_roll_at_any_lean(pitch_deg):
    # a pelvis pitched forward by the lean rolls about its own forward axis (the Cardan roll):
    # h_L is cos(p) sin(r), and the stride's hip drops read it over cos(lean) (D_COS, which the
    # detector sets each stride): both sides' 6 deg, where h_L read as a sine gives cos(25 deg)
    # of it, 5.44
    dt_ms, gct_ms, step_ms = 5.0, 240.0, 360.0
    pv = _steps(dt_ms, gct_ms, step_ms, 6)
    n = len(pv)
    t = np.arange(n) * dt_ms
    ph = t % step_ms
    side = np.where((t // step_ms) % 2 == 0, 1.0, -1.0)     # the left and the right hip drop in turn
    roll = side * np.where(ph < gct_ms, -6.0 * np.sin(np.pi * ph / gct_ms), 0.0) + 1.5
    p = math.radians(pitch_deg)
    hf = np.full(n, round(-math.sin(p) * 16384))
    hl = np.round(math.cos(p) * np.sin(np.radians(roll)) * 16384)
    yb = _ring(pv, hf=hf, hl=hl, dt16=80)
    m = dyn.Dynamics(0)
    ks = array("i", bytes(4 * kernel.S_SIZE))
    per = step_ms / dt_ms
    i0, i1, i2 = (int((k + 0.4) * per) for k in (1, 2, 3))
    m.step(yb, i0, ks)
    m.stride_start(i0)
    m.step(yb, i1, ks)
    m.step(yb, i2, ks)
    m.d[dyn.D_COS] = dyn.fixmath.sin_q14(90000 - int(pitch_deg * 1000))
    assert dyn._stride_end(m.d, i2)
    drops = (m.d[dyn.D_ODL] / 100.0, m.d[dyn.D_ODR] / 100.0)
    assert all(abs(x - 6.0) < 0.25 for x in drops), drops


def _replay(name, minutes, seed=1):
    """(truth, detector dicts) of a simulated run, the detector set to the run's mount."""
    sim = simulate(name, seed=seed, minutes=minutes)
    o = {"mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"]}
    return sim.truth, replay.replay(Capture(sim.t_ms, sim.acc_g, sim.gyr_dps, []), o).dicts()


def _score(name, minutes, seed=1):
    return dyneval.score(*_replay(name, minutes, seed))


# Every scenario (the runs test_accuracy.py scores, seed 1, shared): every metric meets issue 10's
# target except the contact-time gap below, open work held to a regression bound (~15 % above
# today's figure; a worse one fails). The contact and the toe-off are the corners where the
# ground force starts and ends (kernel.at_step's kink, dynamics._toe_off), which the lever's
# swing does not move (it moved the old level crossings by a bias of each runner's own, up to
# 59 ms: seven scenarios missed), found on the force less the lever's share once it is learned.
# At 50 Hz the toe-off's corner is not resolved (the lever's own bends are as sharp in one
# sample) and the crossing's chord is kept, moved half a sample period earlier (dynamics._TO_PER:
# rate_50 23/21 -> 10/9 ms with the contact found on the force less the lever's share, below).
# cheap_50's runner (seed 1), whose contact times were short by 14-15 ms (right foot 14.8 ms in
# the whole run, 15.5 in the 3-min run below) though its lever is fitted right (0.099 of
# 0.098 m), was a known gap here until its contact was found as the kink on the force less the
# lever's share (dynamics._kink): 9.8/12.8 ms in the 3-min run, 9.2/13.4 in the whole. No gap is
# left; the mechanism stays for the next one.
DYN_KNOWN_GAPS = {}


def _hard_misses(name, sc):
    """The metrics of ``sc`` (dyneval.score less naming_pct) that miss their target beyond a
    known gap's bound (DYN_KNOWN_GAPS; one within its bound is printed)."""
    gaps = DYN_KNOWN_GAPS.get(name, {})
    hard = []
    for m, r in sc.items():
        target, med = r["target"], r["med_abs"]
        if med is None or r["measured_pct"] < 90.0:
            hard.append(f"{m}: measured on {r['measured_pct']} % of the strides")
        elif med > target:
            if m in gaps and med <= gaps[m]:
                print(f"known gap, {name}: {m} median |error| {med} (target {target}, bound {gaps[m]})")
            else:
                hard.append(f"{m}: median |error| {med} > {gaps.get(m, target)}")
    return hard


@pytest.mark.parametrize("name", ["mixed", "rate_200", "cheap_50"])
def test_dynamics_accuracy_on_the_simulator(name):
    sc = _score(name, 3)
    naming = sc.pop("naming_pct")
    hard = _hard_misses(name, sc)
    assert not hard, (name, naming, hard)
    for m, r in sc.items():
        # every running stride with a truth value gets a measurement
        assert r["measured_pct"] >= 95.0, (m, r)


@pytest.mark.parametrize("name", sorted(_SCENARIOS))
def test_dynamics_on_every_scenario(name):
    from test_accuracy import run  # (the same simulated runs and replays, cached there)

    sim, res, _ = run(name)
    sc = dyneval.score(sim.truth, res.dicts())
    sc.pop("naming_pct")
    hard = _hard_misses(name, sc)
    assert not hard, (name, hard)


@pytest.mark.parametrize("rate", [50, 100, 200])
def test_contact_time_carries_no_sampling_bias(rate):
    """An IMU sample is the force's mean over its period: a smooth stretch reads half a period
    late. On a runner with nothing else in the way (no lever, step variety or belt rocking), the
    contact time's mean error stays within 0.3 of a period at every rate, well clear of the
    half period one end alone would carry: at 50 Hz the chord's toe-off is moved half a period
    earlier (dynamics._TO_PER; it was +10 ms, while the contact's sharp rise is read at its
    foot); at 100 and 200 Hz both ends are corners and their delays nearly cancel (+2.5/+0.6)."""
    sim = simulate("rate_50", seed=1, minutes=2, rate_hz=float(rate), rocking=False,
                   effects={"lever_arm": False, "step_variety": False})
    o = {"mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"]}
    sc = dyneval.score(sim.truth, replay.replay(Capture(sim.t_ms, sim.acc_g, sim.gyr_dps, []), o).dicts())
    for m in ("gct_left_ms", "gct_right_ms"):
        assert sc[m]["measured_pct"] >= 95.0, (rate, m, sc[m])
        assert abs(sc[m]["bias"]) <= 300.0 / rate, (rate, m, sc[m])


# Runners of other seeds whose lever hid the toe-off (the force's end a 0.3 g shelf 40-60 ms
# long at the sensor: contact times 40-50 ms off on every step, one sign or the other by runner,
# before the lever's share was learned and taken out; dynamics._lever_fit, _toe_off)
@pytest.mark.parametrize("name,seed", [("rate_104", 5), ("too_upright", 4), ("swivel", 5)])
def test_contact_time_where_the_lever_hides_the_toe_off(name, seed):
    sc = _score(name, 3, seed)
    for m in ("gct_left_ms", "gct_right_ms"):
        assert sc[m]["measured_pct"] >= 95.0 and sc[m]["med_abs"] <= sc[m]["target"], (name, seed, m, sc[m])


# At 50 Hz the landing's whole rise falls between two samples, and on a levered runner the
# lever's swing lifts the late flight's force toward 0.5 g: the chord and the kink come 10-25 ms
# early. Once the lever is known the contact is found on the force less its share: its kink
# (dynamics._kink), else its chord (dynamics._contact). Half a sample period (10 ms) on rate_50
# seed 2 (6/4 ms; 5/6 with the chord, 8/14 with the contact on the force as it is, 20/26 before
# the toe-off's half period); cheap_50 seed 4, whose lost samples thin the templates, within the
# 15 ms target (12/10 ms; 18/11 with the chord; its whole run: 37/28 ms with the contact on the
# force as it is, 55/46 before the half period).
@pytest.mark.parametrize("name,seed,bound", [("rate_50", 2, 10.0), ("cheap_50", 4, 15.0)])
def test_contact_time_at_50_hz_on_the_force_less_the_lever(name, seed, bound):
    sc = _score(name, 3, seed)
    for m in ("gct_left_ms", "gct_right_ms"):
        assert sc[m]["measured_pct"] >= 95.0 and sc[m]["med_abs"] <= bound, (name, seed, m, sc[m])


# Runners whose air the gyro reads poorly (a long stance: the air is short and the sensor's own
# nod after the landing still rings in it; the belt's wobble the templates kept): the fit of the
# air's force on the pitch acceleration says the sensor is behind the axis but sizes the lever at
# 0.3-0.6 m (rate_104 seed 7, walk_jog seed 8; 0.126 and 0.137 in truth). With no lever their
# contact times were 35-45 ms short on every step; with the anatomy's middle (11.5 cm) 1-7 ms.
@pytest.mark.parametrize("name,seed", [("rate_104", 7), ("walk_jog", 8)])
def test_contact_time_where_the_fit_cannot_size_the_lever(name, seed):
    sc = _score(name, 3, seed)
    for m in ("gct_left_ms", "gct_right_ms"):
        assert sc[m]["measured_pct"] >= 95.0 and sc[m]["med_abs"] <= sc[m]["target"], (name, seed, m, sc[m])


def _fit_on(acc, force, wl=5760):
    """_lever_fit's lever (m) on templates whose pitch acceleration over the air's bins is ``acc``
    (the rate template's difference a bin) and whose force there is ``force`` (Q12 g), for a
    step of ``wl`` (1/16 ms)."""
    d = dyn.Dynamics(0).d
    for i in range(dyn._NB):
        d[dyn.D_TH + i] = dyn._TOFF + acc * i
        d[dyn.D_TP + i] = dyn._TOFF + (force << 4)
    dyn._lever_fit(d, wl)
    return d[dyn.D_K8] * wl / 1.30522e7


def test_the_lever_fit_keeps_a_clips_lever_and_sizes_an_unsized_one_by_anatomy():
    """A fit within a clip's 0-20 cm is the lever; a fit that says "behind the axis" but longer
    than any clip (the air's force goes with the acceleration, more than a lever explains) is
    the sacrum's middle, 11.5 cm; a force that goes against the acceleration is no lever behind
    the axis: none."""
    per_m = 1.30522e7 / 5760 * 400 / 256           # the force a metre of lever gives on acc 400 (Q12 g)
    assert _fit_on(400, round(0.10 * per_m)) == pytest.approx(0.10, abs=0.002)
    assert _fit_on(400, round(0.19 * per_m)) == pytest.approx(0.19, abs=0.002)
    assert _fit_on(400, round(0.30 * per_m)) == pytest.approx(0.115, abs=0.001)
    assert _fit_on(400, round(2.0 * per_m)) == pytest.approx(0.115, abs=0.001)
    assert _fit_on(-400, round(0.10 * per_m)) == 0.0
    assert _fit_on(0, round(0.10 * per_m)) == 0.0


def test_the_lever_learned_on_the_run_is_the_simulators():
    """The gain _lever_fit learns from the steps' templates, in metres (1.30522e7 L / T, the
    module's constants), against the sensor's distance behind the hip axis in the simulator's
    truth: over the run's second half within a fifth of it on the middle runner of these eight
    (the wobble the templates keep is in the rate alone, which the fit of the acceleration on
    the force leaves out: _lever_fit) and within 60 % on each, and never outside the 0-20 cm a
    clip can be. (A fit over 3 minutes wanders with the pace under the templates: over 48 runs
    of six scenarios, 33-35 within a fifth, 90 % within 38-56 %, the simulator's step timing of
    stop 49 and 50; good_form seed 1 reads 0.18 m of its 0.11 at 3 minutes, 0.11 at 6.)"""
    fits = []
    rel = []
    orig = dyn._lever_fit

    def hook(d, wl):
        orig(d, wl)
        fits.append(d[dyn.D_K8] * wl / 1.30522e7)

    dyn._lever_fit = hook
    try:
        # (at 104 Hz, and at 50 Hz: the force on the acceleration with its own offset fitted half
        # the lever or none there, through zero 0.06-0.07 m on cheap_50 seed 1 and rate_50 seed 1)
        for name, seed in (("hip_drop", 3), ("too_upright", 4), ("rate_104", 5), ("cheap_50", 4), ("rate_50", 2),
                           ("cheap_50", 1), ("rate_50", 1), ("good_form", 1)):
            fits.clear()
            truth, _ = _replay(name, 3, seed)
            lever = -truth["hidden"]["lever_arm_m"][0]
            assert len(fits) >= 10 and all(0.0 <= f <= 0.2 for f in fits), (name, fits)
            rel.append((float(np.median(fits[len(fits) // 2:])) - lever) / lever)
        print(f"\nlever fit against the truth: {np.round(rel, 2)}")
        assert np.median(np.abs(rel)) <= 0.2 and max(np.abs(rel)) <= 0.6, rel
    finally:
        dyn._lever_fit = orig


def test_walking_has_no_contact_time_but_a_bounce():
    walks = [d for d in _replay("walk_breaks", 4, seed=2)[1] if d["type"] == "stride" and d["activity"] == "walking"]
    assert walks
    # (the label lags a change of gait by a few strides: those may still have a flight)
    flights = [d for d in walks if d["gct_left_ms"] is not None or d["gct_right_ms"] is not None]
    assert len(flights) <= 0.1 * len(walks), (len(flights), len(walks))
    vo = [d["vo_left_cm"] for d in walks if d["vo_left_cm"]]
    assert len(vo) > 0.9 * len(walks) and 1.0 < float(np.median(vo)) < 8.0
    assert math.isfinite(float(np.median(vo)))


@pytest.mark.parametrize("seed", [1, 2])
def test_feet_are_named_again_after_a_dropout(seed):
    """cheap_50 loses 1-2 % of its samples in bursts: a gap can hide a step (the strides after
    it then start on the other foot) or move one to the gap's end. The feet are named afresh at
    the next stride, not after the 3-7 strides a leaky sum would take (naming 87-88 % before)."""
    sc = _score("cheap_50", 3, seed)
    assert sc["naming_pct"] >= 95.0, sc["naming_pct"]


def test_a_step_lost_in_a_gap_leaves_no_stride_on_the_other_foot():
    """Gaps of lost samples that each hide one landing (170 ms cut across a flight, from 150 ms
    before a contact to 20 ms after, the truth's: the trigger does not re-arm, two stances read as
    one step; rate_50, which loses none of its own) leave the stride around each three steps
    long, and the next would start on the other foot: it starts a step later (an odd count of
    steps), so every stride reported starts on the foot the truth's strides start on. (Before,
    one or two strides after each such gap ran on the other foot until the naming found it,
    their hip drop and contact time put on the wrong side.)"""
    sim = simulate("rate_50", seed=2, minutes=2.0)
    cap = sim.as_capture()
    tc = np.array(sim.steps["t_s"]) * 1000.0
    side = np.array(sim.steps["side"])
    run = [s for s in sim.truth["strides"] if s["activity"] == "running"]
    foot = side[np.argmin(np.abs(tc - run[len(run) // 2]["t0_ms"]))]     # the truth's strides start on it
    cuts = [tc[np.searchsorted(tc, t0)] for t0 in (40000.0, 55000.0, 70000.0, 85000.0, 100000.0)]
    keep = np.ones(len(cap.t_ms), bool)
    for c in cuts:
        keep &= ~((cap.t_ms > c - 150.0) & (cap.t_ms < c + 20.0))
    cut = Capture(cap.t_ms[keep], cap.acc_g[keep], cap.gyr_dps[keep], list(cap.comments))
    res = replay.replay(cut, {"mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"]})
    st = [d for d in res.dicts() if d["type"] == "stride" and d["activity"] == "running"]
    starts = np.array([d["t_ms"] - d["stride_ms"] for d in st], float)
    on = side[np.argmin(np.abs(tc[None, :] - starts[:, None]), axis=1)]
    after = starts > cuts[0]
    assert after.sum() > 80
    assert (on[after] == foot).all(), [(int(t), int(f)) for t, f in zip(starts[after], on[after]) if f != foot]
    # each cut cost the stride it hid a step in and the one a step after it, no more
    for c in cuts:
        assert ((starts > c - 1500) & (starts < c + 1500)).sum() >= 2, c


@pytest.mark.parametrize("name,seed,minutes", [("hip_drop", 30, 3), ("cheap_50", 3, None)])
def test_vertical_oscillation_runs_contact_to_contact_where_a_lever_lifts_the_flight(name, seed, minutes):
    """A lever's swing lifts the late flight's force past 0.5 g before some landings (the
    pelvis pitching hard as the foot comes down) and not others, more often on one foot: a
    bounce window between the force's 0.5 g crossings then ran 377 and 310 ms for steps of 343
    (hip_drop seed 30), no period, and read one foot's vertical oscillation 1.1 cm high and the
    other's 1.3 low (cheap_50 seed 3, its whole run: 1.4 high, 2.0 low). Between the contacts
    themselves (the truth's window) both feet are within the target, and neither is biased by
    more than half of it."""
    sc = _score(name, minutes, seed)
    for m in ("vo_left_cm", "vo_right_cm"):
        assert sc[m]["measured_pct"] >= 95.0, (name, seed, m, sc[m])
        assert sc[m]["med_abs"] <= sc[m]["target"] and abs(sc[m]["bias"]) <= 0.5 * sc[m]["target"], (name, seed, m, sc[m])
