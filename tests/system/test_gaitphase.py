"""The energy phase as the detector measures it (dynamics.step's D_EP, hinge.dev.gaitphase): on
real jogs and on both simulators' runs a flight bounces; real walks, and the simulator's deep walk
whose pelvis dips below 0.25 g like a flight, trade forward speed for height. No walking stride
has two steps that bounce below 0.5 g without a flight (what keeps a grounded jog running)."""
from hinge.dev import gaitphase, realdata


def _share(t, k):
    return t[k + 1] / t[k] if t[k] else float("nan")


def test_real_jogs_bounce_and_real_walks_trade(real_dir):
    groups = {}
    for subj in realdata.SISFALL_SUBJECTS:
        for act in realdata.SISFALL_ACTIVITIES:
            key, t = gaitphase._sisfall((str(real_dir), act, subj))
            acc = groups.setdefault(key, [0] * len(t))
            for k in range(len(t)):
                acc[k] += t[k]
    print("\n" + "\n".join(gaitphase.line(k, t) for k, t in groups.items()))
    jogs, walks = groups["SisFall young jogs"], groups["SisFall young walks"]
    assert jogs[0] > 1500 and _share(jogs, 0) >= 0.99, jogs      # flying steps bounce
    assert walks[2] > 1000 and _share(walks, 2) <= 0.01, walks   # walking steps trade
    for name, t in groups.items():
        if name.endswith("walks"):
            assert t[5] > 100 and t[6] == 0, (name, t)            # none would hold running


def test_simulated_runs_bounce_and_a_deep_walk_trades(xc_dir):
    groups = {**gaitphase.crosscheck_groups(), **gaitphase.simulator_groups()}
    print("\n" + "\n".join(gaitphase.line(k, t) for k, t in groups.items()))
    for name, t in groups.items():
        if name.endswith(" run") or name.endswith(" running"):
            assert t[0] > 200 and _share(t, 0) >= 0.98, (name, t)
    deep = groups["simulator deep_walk walking"]
    # the kernel counts its dips as flights; their phase takes them back
    assert deep[0] > 100 and _share(deep, 0) <= 0.02, deep
    for name in ("simulator walk_breaks walking", "simulator walk_jog walking"):
        assert _share(groups[name], 2) <= 0.02, (name, groups[name])
    for name, t in groups.items():
        if name.endswith(" walk") or name.endswith(" walking"):
            assert t[5] > 20 and t[6] == 0, (name, t)             # none would hold running
