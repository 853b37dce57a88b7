"""Form drift (device/drift.py) on a 6-hour simulated ultra whose lean decays by 4 deg from 3:30
to 5:30 (``hinge simulate ultra_decay``): with the drift cue on, the first drift buzz comes when
the truth's own per-minute drift has held past the margin for ``drift_after_s``; with it off
(the default), none, and every other event is the same.

The run takes ~1 min to simulate and ~20 s per replay on the unix-port micropython (the
detector's viper code is native there; under CPython it would take minutes).
"""
import numpy as np
import pytest

from hinge.coach import replay
from hinge.common.capture import Capture
from hinge.sim.simulate import simulate

ENGINE = "micropython"


@pytest.fixture(scope="module")
def ultra():
    sim = simulate("ultra_decay", seed=1)
    cap = Capture(sim.t_ms, sim.acc_g, sim.gyr_dps, [])
    return sim.truth, cap


def _truth_crossing(truth, cfg):
    """Time (ms) of the first running minute whose truth mean lean is past the margin from the
    truth's baseline, with the device's definitions (drift.py): minutes of running time, the
    first one skipped, the next ``drift_baseline_min`` the baseline."""
    run = [s for s in truth["strides"] if s["activity"] == "running"]
    t_run = np.cumsum([s["t1_ms"] - s["t0_ms"] for s in run])
    minute = (t_run // 60000).astype(int)
    lean = np.array([s["lean_deg"] for s in run])
    means = {m: (lean[minute == m].mean(), run[int(np.nonzero(minute == m)[0][-1])]["t1_ms"])
             for m in range(1, int(minute.max()))}
    base = np.mean([means[m][0] for m in range(1, 1 + cfg["drift_baseline_min"])])
    for m in range(1 + cfg["drift_baseline_min"], int(minute.max())):
        if abs(means[m][0] - base) > cfg["drift_lean_deg"]:
            return means[m][1]
    return None


def test_drift_cue_on_a_six_hour_decay(ultra):
    truth, cap = ultra
    on = replay.replay(cap, {"coach_drift": True}, engine=ENGINE)
    cfg = on.cfg
    t_cross = _truth_crossing(truth, cfg)
    assert t_cross is not None and 4 * 3600e3 < t_cross < 5 * 3600e3
    alerts = [d for d in on.dicts("alert") if d["reason"] == "drift"]
    assert alerts, "no drift cue"
    t_first = alerts[0]["t_ms"]
    hold = cfg["drift_after_s"] * 1000
    # the device's minute means scatter ~0.2 deg about the truth's: on a 3 deg/h decay that is
    # ~4 min either way; the cue then waits for the hold and the next minute's end
    assert t_cross + hold - 5 * 60e3 <= t_first <= t_cross + hold + 6 * 60e3, (t_cross, t_first)
    assert all(a["limit_deg"] == cfg["drift_lean_deg"] and a["value_deg"] < 0 for a in alerts)
    # drift is logged per running minute once the baseline is learned
    drifts = on.dicts("drift")
    assert len(drifts) > 300 and all(abs(d["lean_deg"]) < 1.0 for d in drifts if d["t_ms"] < 3.5 * 3600e3)

    off = replay.replay(cap, {}, engine=ENGINE)
    assert not [d for d in off.dicts("alert") if d["reason"] == "drift"]
    # off, every other event is what it was with the cue on
    def others(res):
        return [e for e in res.events if not (e[0] in (2, 3) and e[2] == 4)]
    assert others(off) == others(on)
