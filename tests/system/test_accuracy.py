"""Detector accuracy over the simulator scenarios (fixed seeds), against per-stride truth.

Targets (issue "Accuracy that holds outside our own simulator", ``hinge.coach.evaluate``), per run:
lean median |error| <= 0.5 deg and p90 <= 2.0 deg, rotation median <= max(1 deg, 10 % of the
truth median), cadence median <= 1.0 spm and per-stride p90 <= 3 spm, >= 95 % of running strides
reported, every fault episode lasting >= alert_after_s + 4 s alerted within alert_after_s + 3 s,
<= 1 false alert per 30 min of running (per run, and over all scenarios together), no alert while
walking or standing. A failing scenario prints every missed target and its whole row.
``HINGE_ENGINES=cpython,micropython`` runs them under more engines (default cpython).
"""
import json

import numpy as np
import pytest

from hinge.coach import evaluate, replay
from hinge.common import devpath
from hinge.common.capture import Capture
from hinge.sim import simulate

SEED = 1
SCENARIOS = sorted(simulate.SCENARIOS)
# Without a standing start the detector measures lean against the mount axes (and says so):
# the sensor's clip tilt is then part of "lean", so lean accuracy is not claimed there.
NO_LEAN_CLAIM = {"no_standing_start"}
ENGINES = evaluate.accuracy_engines()

_cache = {}


def run(name, engine="cpython"):
    key = (name, engine)
    if key not in _cache:
        sim = simulate.simulate(name, seed=SEED)
        cap = sim.as_capture()
        o = {"mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"]}
        res = replay.replay(cap, o, engine=engine)
        cfg = replay.load_config(o)
        _cache[key] = (sim, res, evaluate.score(sim.truth, res.dicts(), cfg))
    return _cache[key]


# Known gaps: targets the detector does not yet meet in our own simulator, each held to a
# regression bound (a worse figure fails) and printed. They are open work, not accepted figures
# (see the closing note of the Accuracy issue): cheap_50, 50 Hz with 2 % of samples lost in
# bursts and 0.3-0.4 s dropouts, where a contact's rise is one sample pair (20 ms) and its onset
# moves with the landing by 5-15 ms: cadence median 1.14 spm since the kink leads the stride
# clock and is corrected for the landing's shape (1.16 before that correction; 1.8, p90 4.0 on
# the contact clock; the p90, now 2.7, meets its target and must keep meeting it). Its runners'
# landings make it, not the board's losses (the simulator's effects off one at a time, seed 1,
# before the kink led: without step variety 0.6 / 1.8, without the lever 1.1 / 2.7, without the
# losses 1.6 / 3.6): this runner's right foot lands on its heel on half its steps, its left on a
# quarter, and at 50 Hz its kinks scatter by 5.4 ms sd on the right foot, 2.8 on the left, which
# the rise time does not tell apart (no share of it to learn). (Its lean, 0.6 / 2.9 deg before
# the gaps' periodic prediction, now meets the targets and must keep meeting them.)
KNOWN_GAPS = {}
KNOWN_GAPS_BY_SCENARIO = {"cheap_50": {"cadence median": ("cad_med", 1.3, None)}}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_accuracy(name, engine):
    sim, res, sc = run(name, engine)
    row = {"engine": engine, **sc.row()}
    print("\n" + json.dumps(row))
    assert sc.n_truth_running > 50, row
    missed = sc.misses(lean_claim=name not in NO_LEAN_CLAIM)
    gaps = {**KNOWN_GAPS, **KNOWN_GAPS_BY_SCENARIO.get(name, {})}
    f = sc.figures()
    hard = []
    for m in missed:
        key = m.split(":")[0]
        if key not in gaps:
            hard.append(m)
            continue
        fig, hi, lo = gaps[key]
        if (hi is not None and not f[fig] <= hi) or (lo is not None and not f[fig] >= lo):
            hard.append(m + f" (past the regression bound {hi if hi is not None else lo})")
        else:
            print(f"known gap, {name}: {m}")
    assert not hard, f"{name} [{engine}] misses: {'; '.join(hard)}\n{json.dumps(row)}"


BURST = 7          # samples lost at once: 140 ms at 50 Hz, a cheap board's longer bursts (issue 7:
#                    1-2 % lost in bursts), long enough to hold a flight or a stance's top


def _burst_run(seed, every_s=4.0, engine="cpython"):
    """rate_50 at ``seed`` with a burst of BURST samples lost every 2.8-5.2 s of running (seeded),
    replayed; returns (truth running strides, their (start, end) ms, bursts (last sample before,
    first after), detector dicts, the capture)."""
    sim = simulate.simulate("rate_50", seed=seed)
    cap = sim.as_capture()
    t = np.asarray(cap.t_ms, float)
    tstr = [s for s in sim.truth["strides"] if s["activity"] == "running"]
    t0 = np.array([s["t0_ms"] for s in tstr], float)
    t1 = np.array([s["t1_ms"] for s in tstr], float)
    rng = np.random.default_rng(seed)
    keep = np.ones(len(t), bool)
    bursts = []
    g = t0[0] + 10000.0
    while g < t1[-1] - 5000.0:
        i = int(np.searchsorted(t, g))
        keep[i:i + BURST] = False
        bursts.append((t[i - 1], t[i + BURST]))
        g += every_s * 1000.0 * rng.uniform(0.7, 1.3)
    lossy = Capture(t[keep], np.asarray(cap.acc_g)[keep], np.asarray(cap.gyr_dps)[keep], [])
    o = {"mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"]}
    return tstr, (t0, t1), bursts, replay.replay(lossy, o, engine=engine), lossy


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_burst_of_lost_samples_costs_only_the_strides_it_overlaps(seed):
    """A burst that hides a stance's top (the low-passed force never reaches the trigger), a
    whole flight (the trigger never re-arms) or a landing (the trigger fires at the burst's end,
    up to 140 ms late) still counts the step (kernel.run, at_step): every running stride clear
    of the bursts is reported, with its cadence; of those across a burst, all but the ones
    whose step's trigger it hid (detector._step: not reported). (Before: a burst cost the
    stride across it and one or two after it, 2-6 % of the strides clear of bursts.) Lean of
    the strides clear of a burst, but for the one right after it (g carried across the burst
    is re-measured there), holds its targets."""
    tstr, (t0, t1), bursts, res, lossy = _burst_run(seed)
    clear = np.ones(len(tstr), bool)
    after = np.zeros(len(tstr), bool)
    for b, e in bursts:
        hit = (t0 < e) & (t1 > b)
        clear &= ~hit
        k = np.flatnonzero(hit)
        if len(k) and k[-1] + 1 < len(tstr):
            after[k[-1] + 1] = True
    # (and not the run's last stride where the samples stop before its end's trigger, 20-100 ms
    # after the contact: nothing reports a stride no step closed)
    steady = (t0 > t0[0] + 5000.0) & (t1 < lossy.t_ms[-1] - 150.0)
    matched = np.zeros(len(tstr), bool)
    cad_e, lean_e = [], []
    for d in res.dicts("stride"):
        if d["activity"] != "running":
            continue
        k = evaluate.match_stride(t0, t1, d)
        if k < 0:
            continue
        matched[k] = True
        if clear[k] and steady[k]:
            cad_e.append(abs(d["cadence_spm"] - tstr[k]["cadence_spm"]))
            if not after[k]:
                lean_e.append(abs(d["lean_deg"] - tstr[k]["lean_deg"]))
    sel = clear & steady
    assert len(bursts) >= 30 and sel.sum() > 150
    assert matched[sel].mean() >= 0.99, f"{matched[sel].mean():.3f} of {sel.sum()} strides clear of {len(bursts)} bursts"
    assert matched[steady & ~clear].mean() >= 0.85
    assert np.median(cad_e) <= evaluate.CAD_MED_SPM
    assert np.median(lean_e) <= 0.5 and np.percentile(lean_e, 90) <= 2.0


def test_engines_byte_identical_when_bursts_of_samples_are_lost(mp_engine):
    """The steps a burst hides, taken at the next flight or at the burst's end, and the tilt
    taken out after it: the same lines on every engine."""
    _, _, _, a, lossy = _burst_run(2)
    sim = simulate.simulate("rate_50", seed=2)
    o = {"mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"]}
    b = replay.replay(lossy, o, engine=mp_engine)
    ja, jb = a.jsonl(), b.jsonl()
    assert len(ja) > 100
    assert ja == jb


def test_a_walk_that_dips_below_a_quarter_g_is_walking():
    # deep_walk: a quick walk whose pelvis falls to 0.1-0.2 g at every step (SisFall's older
    # adults), as deep as a jog's flight: its steps trade speed for height (a pendulum), so they
    # are no flights (dynamics.py, energy phase). Every walking stride 4 s past a change of gait
    # is walking (without the energy phase: 65 of 87 and 44 of 44 were called running)
    sim, res, sc = run("deep_walk")
    strides = res.dicts("stride")
    n = 0
    for sg in sim.truth["segments"]:
        if sg["activity"] != "walking":
            continue
        inner = [s for s in strides if sg["t0_ms"] + 4000 <= s["t_ms"] < sg["t1_ms"]]
        assert len(inner) > 20, (sg, len(inner))
        assert all(s["activity"] == "walking" for s in inner), [s["t_ms"] for s in inner if s["activity"] != "walking"]
        n += len(inner)
    assert n > 80 and sc.n_truth_running > 50


def test_fault_scenarios_have_checked_episodes():
    for name in ("too_upright", "swivel", "mixed", "trail"):
        sim, res, sc = run(name)
        assert sc.episodes_checked >= 1, name


def test_false_alert_rate_over_all_running():
    total_false = total_min = 0.0
    for name in SCENARIOS:
        sim, res, sc = run(name)
        total_false += sc.false_alerts
        total_min += sc.running_min
    assert total_min > 60
    assert total_false <= evaluate.FALSE_PER_30MIN * total_min / 30.0, (total_false, total_min)


def test_no_standing_start_says_uncalibrated():
    sim, res, sc = run("no_standing_start")
    assert res.dicts("calibration_fallback")
    assert not any(s["calibrated"] for s in res.dicts("stride"))


def test_calibrated_when_standing_start():
    for name in ("good_form", "odd_mount", "treadmill", "rate_50"):
        sim, res, sc = run(name)
        cal = res.dicts("calibrated")
        assert cal and cal[0]["t_ms"] < 8000, name
        run_strides = [s for s in res.dicts("stride") if s["activity"] == "running"]
        assert all(s["calibrated"] for s in run_strides), name


@pytest.mark.parametrize("name", ["mixed", "trail", "rate_200", "odd_mount", "walk_breaks", "deep_walk"])
def test_engines_byte_identical_on_hard_scenarios(name, mp_engine):
    """CPython and each micropython build (64-bit, 32-bit) give the same JSON lines."""
    _, a, _ = run(name, "cpython")
    _, b, _ = run(name, mp_engine)
    ja, jb = a.jsonl(), b.jsonl()
    assert len(ja) > 100
    assert "\n".join(ja).encode() == "\n".join(jb).encode()


def test_engines_byte_identical_when_a_session_starts_on_a_landing(mp_engine):
    """A session (re)started mid-run whose first sample is a >= 3 g landing (a button press or a
    watchdog reset while running): the gravity estimate starts there, and no product of it may
    leave the ESP32's 32-bit viper words (the first release's squared norm wrapped)."""
    sim = simulate.simulate("trail", seed=SEED)
    k = int(np.argmax(np.linalg.norm(sim.acc_g, axis=1) >= 3.0))
    cap = Capture(sim.t_ms[k:], sim.acc_g[k:], sim.gyr_dps[k:], [])
    o = {"mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"]}
    a = replay.replay(cap, o, engine="cpython").jsonl()
    b = replay.replay(cap, o, engine=mp_engine).jsonl()
    assert k > 0 and len(a) > 100
    first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    assert a == b, f"{mp_engine} differs from cpython from line {first}: {b[first:first + 1]} vs {a[first:first + 1]}"


@pytest.mark.parametrize("dps", [3.0, -4.5])
def test_a_start_with_nothing_calibrated_learns_the_gyros_offset_in_seconds(dps):
    """A session started mid-run (a restart on a landing, nothing kept): the gyro's zero-rate
    offset is the chip's own (up to +-5 deg/s on the MPU-6500's data sheet), and it tilts the
    filter by offset x tau until it is learned. With one added about the body's left axis (the
    pitch rate, where it reads as lean), the strides from 8 s after the start on read the lean
    the same run reads without it, within 0.7 deg (the integral alone took 10-20 s: 3-5 deg off
    at 3 deg/s over the first ~15 s, a false upright cue on the crosscheck's x4 started mid-run)."""
    from hinge.sim.geometry import mount_matrix

    sim = simulate.simulate("good_form", seed=2, minutes=2)
    o = {"mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"]}
    a = np.linalg.norm(sim.acc_g, axis=1)
    k = int(np.nonzero((np.arange(len(a)) > len(a) // 3) & (a > 2.5))[0][0])
    _fw, left, _up = mount_matrix(o["mount_up"], o["mount_forward"])
    leans = []
    for off in (0.0, dps):
        cap = Capture(sim.t_ms[k:], sim.acc_g[k:], sim.gyr_dps[k:] + off * np.asarray(left, float), [])
        st = replay.replay(cap, o).dicts("stride")
        assert not any(s["calibrated"] for s in st)
        leans.append({s["t_ms"]: s["lean_deg"] for s in st if s["t_ms"] >= sim.t_ms[k] + 8000})
    same = sorted(set(leans[0]) & set(leans[1]))
    assert len(same) > 60, len(same)
    diff = np.abs([leans[1][t] - leans[0][t] for t in same])
    assert np.median(diff) < 0.7 and np.percentile(diff, 90) < 1.0, (np.median(diff), np.percentile(diff, 90))
    early = [leans[1][t] - leans[0][t] for t in same if t < sim.t_ms[k] + 15000]
    assert np.max(np.abs(early)) < 1.5, early


def test_a_runner_whose_lever_lifts_the_force_before_landing():
    """Seed 5 draws a runner whose pelvis pitches so that, on the sensor's lever, the force in
    the air climbs to ~0.5 g just before the foot lands: the contact's 0.5 g crossing comes
    10-30 ms early on some steps and at the landing on others, and no landing-shape regression
    takes that out (cadence median 1.7 spm, p90 3.8, before the kink clock: kernel.stride_time).
    The kink, where the slope jumps as the foot lands, does not move with the lever."""
    sim = simulate.simulate("good_form", seed=5)
    o = {"mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"]}
    sc = evaluate.score(sim.truth, replay.replay(sim.as_capture(), o).dicts(), replay.load_config(o))
    print("\n" + json.dumps(sc.row()))
    assert sc.misses() == [], sc.misses()


def _after_each_step(monkeypatch, seen):
    """Call ``seen(st, t)`` with the kernel's state after each step's kernel.at_step (the
    detector's own call, wrapped)."""
    detector = devpath.import_device("detector")
    at_step = detector.at_step

    def kept(st, yb, t, last):
        r = at_step(st, yb, t, last)
        seen(st, t)
        return r

    monkeypatch.setattr(detector, "at_step", kept)


def _flying_steps(monkeypatch, slot):
    """A list that fills, as the detector runs, with the kernel's slot ``slot`` after each step
    that flew (S_FLEW)."""
    kernel = devpath.import_device("kernel")
    out = []

    def seen(st, t):
        if st[kernel.S_FLEW]:
            out.append(st[slot])

    _after_each_step(monkeypatch, seen)
    return out


def test_every_landing_after_a_flight_has_its_corner_at_50_hz(monkeypatch):
    """At 50 Hz a landing's jump often lifts the low-passed force past the step trigger in the
    very sample the raw force crosses 1 g; the kink's scan must still find the corner there (it
    lies before that sample). Before: 291 of 466 flying steps had one on this run."""
    kinks = _flying_steps(monkeypatch, devpath.import_device("kernel").S_KOK)
    sim = simulate.simulate("rate_50", seed=1, minutes=3)
    replay.replay(sim.as_capture(), {"mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"]})
    flew, kinked = len(kinks), sum(kinks)
    print(f"\n{kinked} of {flew} flying steps with a kink")
    assert flew > 400
    assert kinked >= 0.98 * flew, (kinked, flew)


def _kink_errors(monkeypatch, name, seed):
    """Each running step's clock kink (kernel.at_step's S_KF) against the simulator's nearest
    contact, ms (+ late); and the run's replay result and truth."""
    kernel = devpath.import_device("kernel")
    kinks = []

    def seen(st, t):
        if st[kernel.S_KOK]:
            kinks.append(t - st[kernel.S_KF] / 16.0)

    _after_each_step(monkeypatch, seen)
    sim = simulate.simulate(name, seed=seed)
    o = {"mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"]}
    res = replay.replay(sim.as_capture(), o)
    runs = [s for s in sim.truth["strides"] if s["activity"] == "running" and s.get("tm_ms") is not None]
    contacts = np.array(sorted({s["t0_ms"] for s in runs} | {s["tm_ms"] for s in runs}))
    k = np.array(kinks)
    near = contacts[np.clip(np.searchsorted(contacts, k), 1, len(contacts) - 1) - 1]
    after = contacts[np.clip(np.searchsorted(contacts, k), 0, len(contacts) - 1)]
    err = np.where(np.abs(k - near) < np.abs(k - after), k - near, k - after)
    err = err[np.abs(err) < 150]             # (steps of walking or standing: no running contact)
    print(f"\n{name} seed {seed}: {len(err)} kinks, median |error| {np.median(np.abs(err)):.1f} ms, "
          f"p90 {np.percentile(np.abs(err), 90):.1f}, over 20 ms late {np.mean(err > 20) * 100:.1f} %")
    return err, res, sim, o


def test_the_kink_at_50_hz_is_the_landing_not_the_levers_turn(monkeypatch):
    """rate_50 seed 11: a 13 cm lever swings the force in the air from -0.8 g up to a 0.7 g
    hump just before the foot lands, and on soft landings it falls again as the ground starts
    to push; at 50 Hz the swing's turn at the bottom of the flight is as sharp in one sample as
    the landing's corner, and was the largest run of slope increases on those steps (kinks
    ~70 ms early). The scan now ends at the force's last dip above the air's level, where the
    rise to body weight starts. Each step's kink against the simulator's contact."""
    err, _, _, _ = _kink_errors(monkeypatch, "rate_50", 11)
    assert len(err) > 400
    assert np.percentile(np.abs(err), 90) <= 25.0, np.percentile(np.abs(err), 90)


@pytest.mark.parametrize("name,seed", [("trail", 5), ("mixed", 14)])
def test_the_clock_kink_is_the_landings_first_corner(monkeypatch, name, seed):
    """At 104 Hz, a soft landing after a lever's hump: the landing's corner (the hump's fall
    meeting the ground's push) is a softer bend than the loading's own 20-40 ms later, which
    was the largest run of slope increases on 5-10 % of one foot's steps (their kinks ~30 ms
    late: 6.5 and 3.3 % of all kinks over 20 ms late; cadence p90 5.3 and 6.6 spm). The clock's
    kink is the first run that holds at least half the largest (kernel.at_step): 0.2 and 1.2 %;
    the run meets every target."""
    err, res, sim, o = _kink_errors(monkeypatch, name, seed)
    assert len(err) > 1000
    assert np.mean(err > 20.0) <= 0.02, np.mean(err > 20.0)
    sc = evaluate.score(sim.truth, res.dicts(), replay.load_config(o))
    assert sc.misses() == [], sc.misses()


@pytest.mark.parametrize("name,seed", [("no_standing_start", 22), ("deep_walk", 21)])
def test_a_slow_rise_after_a_levers_hump_is_timed_by_its_kink(monkeypatch, name, seed):
    """Runners of seeds the suite's work never saw (levers of 14-15 cm, a pelvis that pitches
    hard in the late flight): the force rises to 0.5-0.9 g on the lever's hump before the foot
    lands, so its 0.5 g crossing is too far from its 1 g one for a strike (_RISE_MAX) and the
    step had no onset; the stride then fell back to the trigger's crossing at both ends, which
    the hump moves by tens of ms (cadence p90 11.8 and 10.6 spm, a quarter of the strides ~50 ms
    off). The landing's corner is there all the same: the kink times such a step
    (kernel.at_step). Every step that flew is timed on a contact, and the run meets every
    target."""
    flew = _flying_steps(monkeypatch, devpath.import_device("kernel").S_FID)
    sim = simulate.simulate(name, seed=seed)
    o = {"mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"]}
    sc = evaluate.score(sim.truth, replay.replay(sim.as_capture(), o).dicts(), replay.load_config(o))
    print("\n" + json.dumps(sc.row()))
    assert len(flew) > 300 and np.mean(flew) >= 0.98, (len(flew), np.mean(flew))
    assert sc.misses(lean_claim=name != "no_standing_start") == [], sc.misses()


@pytest.mark.parametrize("name,seed", [("cheap_50", 12), ("rate_50", 18), ("treadmill", 5)])
def test_the_kink_leads_the_stride_clock(name, seed):
    """The contact clock is a model of the rise (a line through 0.5 and 1 g back to 0 g; at
    50 Hz the bare 0.5 g crossing, which a heel strike's jump passes at once and a soft landing
    10-30 ms into its rise); the kink, the corner where the ground starts to push, leads
    (kernel.stride_time). Runners of other seeds than the suite's whose cadence missed its
    targets when the kink only rescued a failing clock (cheap_50 seed 12: 1.55 / 3.62 spm;
    rate_50 seed 18: median 1.06; treadmill seed 5 at 104 Hz: p90 3.62), and every other
    target too."""
    sim = simulate.simulate(name, seed=seed)
    o = {"mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"]}
    sc = evaluate.score(sim.truth, replay.replay(sim.as_capture(), o).dicts(), replay.load_config(o))
    print("\n" + json.dumps(sc.row()))
    assert sc.misses() == [], sc.misses()


def test_engines_byte_identical_while_the_kink_clock_times_strides(mp_engine):
    """The same runner (seed 5), 3 minutes, on every engine: the kink's scan of the ring, its
    clock's bookkeeping and the toe-off's corner give the same JSON lines."""
    sim = simulate.simulate("good_form", seed=5, minutes=3)
    o = {"mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"]}
    a = replay.replay(sim.as_capture(), o, engine="cpython").jsonl()
    b = replay.replay(sim.as_capture(), o, engine=mp_engine).jsonl()
    assert len(a) > 200
    first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    assert a == b, f"{mp_engine} differs from cpython from line {first}: {b[first:first + 1]} vs {a[first:first + 1]}"


def _gapped(name, seed):
    """Scenario ``name`` as recorded and with 160 ms lost every 8 s of running, each burst
    right after the stride's sharpest gyro sample (a landing's nod of the belt: its way back is
    lost, and both guesses across the gap carry it): the simulation, the capture with the bursts
    lost, each burst's end (ms) and the config."""
    sim = simulate.simulate(name, seed=seed)
    tr = sim.truth
    t, a, g = np.asarray(sim.t_ms, float), np.asarray(sim.acc_g, float), np.asarray(sim.gyr_dps, float)
    run_ = [s for s in tr["strides"] if s["activity"] == "running"]
    mag = np.linalg.norm(g, axis=1)
    keep = np.ones(len(t), bool)
    gaps = []
    n = int(round(0.16 * tr["rate_hz"]))
    tt = run_[20]["t0_ms"] + 5000
    while tt < run_[-20]["t0_ms"] - 5000:
        i = int(np.searchsorted(t, tt))
        j = i + int(np.argmax(mag[i:i + int(0.4 * tr["rate_hz"])]))
        keep[j + 1:j + 1 + n] = False
        gaps.append(t[j + 1 + n])
        tt += 8000
    o = {"mount_up": tr["mount_up"], "mount_forward": tr["mount_forward"]}
    return sim, Capture(t[keep], a[keep], g[keep], []), gaps, o


@pytest.mark.parametrize("name,seed", [("rate_50", 1), ("rate_100", 1), ("rate_200", 1), ("good_form", 1),
                                       ("mixed", 2)])
def test_a_gap_after_a_landing_is_levelled_by_the_next_stride(name, seed):
    """A burst of lost samples right after a landing's nod: the guess across it left g 5-15 deg
    off, which the correction (tau 1 s) took 2-3 strides to take out (kernel._GAP_RLV). The
    first whole stride after the gap measures the tilt, so from the second on (0.8-3 s after
    the gap) the lean is within the run's own error. Before: p90 1.2-2.2 deg per run, up to 7."""
    sim, cap, gaps, o = _gapped(name, seed)
    tr = sim.truth
    ends = np.array([s["t1_ms"] for s in tr["strides"]])
    err = []
    for s in replay.replay(cap, o).dicts("stride"):
        k = int(np.argmin(np.abs(ends - s["t_ms"])))
        if s["activity"] != "running" or tr["strides"][k]["activity"] != "running" or abs(ends[k] - s["t_ms"]) > 150:
            continue
        if any(gb + 800 <= s["t_ms"] - s["stride_ms"] and s["t_ms"] <= gb + 3000 for gb in gaps):
            err.append(abs(s["lean_deg"] - tr["strides"][k]["lean_deg"]))
    err = np.array(err)
    assert len(err) >= 2 * len(gaps) - 2 and len(gaps) >= 15, (len(err), len(gaps))
    # (a gap that hides a step as well can put the tilt's new measure after the first whole
    # stride, whose lean then keeps the gap's error: 2 of 2308 such strides over good_form,
    # rate_100 and mixed seeds 1-8 past 3.5 deg with stop 49's simulator, 1 of 2317 with stop 50's)
    assert np.percentile(err, 90) <= 1.3 and (err > 3.5).sum() <= 1 and err.max() <= 5.0, (np.percentile(err, 90), err.max())


def test_engines_byte_identical_across_gaps_after_landings(mp_engine):
    """The tilt set afresh after a gap (kernel._GAP_RLV) on every engine alike."""
    _, cap, _, o = _gapped("rate_50", 1)
    a = replay.replay(cap, o, engine="cpython").jsonl()
    b = replay.replay(cap, o, engine=mp_engine).jsonl()
    assert len(a) > 100 and a == b
