"""The detector on the independent simulator's crosscheck runs (``<shared>/data/crosscheck``),
scored as that README's independent evaluation does (``hinge.dev.crosscheck``), against the issue's
targets (``hinge.coach.evaluate``): lean median/p90 0.5/2.0 deg, rotation median max(1 deg, 10 %),
cadence median 1.0 spm and per-stride p90 3 spm, >= 95 % coverage, every long fault episode
alerted in time, no false alert, no alert while walking or standing, no steady walking stride
called running.

A failing run prints its whole figure row (JSON) with every missed target. The first tests check
the scorer itself on a small hand-made truth, so the rules are pinned independently of the data.
``HINGE_ENGINES=cpython,micropython`` runs the targets under more engines; the parity tests check
that micropython's output is byte-identical to CPython's on every run.
"""
from __future__ import annotations

import functools
import json

import numpy as np
import pytest

from hinge.coach import evaluate
from hinge.common import devpath
from hinge.dev import crosscheck as xc

ENGINES = evaluate.accuracy_engines()
# the parity check always covers the 64-bit unix port; further engines (micropython32) via $HINGE_ENGINES
PARITY_ENGINES = sorted({"micropython", *ENGINES} - {"cpython"})


# ---- the scorer on a hand-made truth ---------------------------------------------------------
STEP_S = 0.35        # 171 steps/min running
WALK_STEP_S = 0.46   # 130 steps/min walking
AFTER_S = 6.0        # alert_after_s of the hand-made config


def _toy_truth(fault_stretches=((31.0, 50.0),), gaps=((40.0, 40.2), (45.0, 45.05))):
    """stand 0-5 s, run 5-65 s, walk 65-95 s, stand 95-100 s; a form ramp at 30-32 s; upright
    strides inside ``fault_stretches``; a 0.2 s and a 0.05 s dropout."""
    steps = []
    t = 5.0
    while t < 95.0:
        steps.append(t)
        t += STEP_S if t < 65.0 else WALK_STEP_S
    strides = []
    for k in range(len(steps) - 2):
        t0, t1 = steps[k], steps[k + 2]
        mid = (t0 + t1) / 2
        lab = "run" if mid < 65.0 else "walk"
        up = lab == "run" and any(a <= t0 and t1 <= b for a, b in fault_stretches)
        strides.append({"t0": t0, "t1": t1, "label": lab, "lean": 2.0 if up else 8.0, "rot": 10.0,
                        "cadence": 120.0 / (t1 - t0), "upright": up, "swivel": False})
    return {
        "segments": [{"label": "stand", "t0": 0.0, "t1": 5.0}, {"label": "run", "t0": 5.0, "t1": 65.0},
                     {"label": "walk", "t0": 65.0, "t1": 95.0}, {"label": "stand", "t0": 95.0, "t1": 100.0}],
        "boundaries": [{"t": 5.0, "ramp": 2.0, "frm": "stand", "to": "run"},
                       {"t": 65.0, "ramp": 2.0, "frm": "run", "to": "walk"},
                       {"t": 95.0, "ramp": 1.2, "frm": "walk", "to": "stand"}],
        "form": [[30.0, {"lean": 2.0}, 2.0]],
        "gaps": [list(g) for g in gaps],
        "strides": strides,
    }


def _perfect(tr, alerts=()):
    """Every other truth stride reported exactly, with the truth's values and activity."""
    out = [{"type": "stride", "t_ms": round(s["t1"] * 1000), "stride_ms": round(1000 * (s["t1"] - s["t0"])),
            "lean_deg": s["lean"], "rotation_deg": s["rot"], "cadence_spm": s["cadence"],
            "activity": "running" if s["label"] == "run" else "walking"} for s in tr["strides"][::2]]
    out += [{"type": "alert", "t_ms": round(t * 1000), "reason": r} for t, r in alerts]
    return sorted(out, key=lambda d: d["t_ms"])


def _score(tr, det):
    return xc.score(tr, det, {"alert_after_s": AFTER_S}, "toy")


def _first_fault_t0(tr):
    return min(s["t0"] for s in tr["strides"] if s["upright"])


def test_scorer_perfect_detector_meets_every_target():
    tr = _toy_truth()
    on = _first_fault_t0(tr)
    sc = _score(tr, _perfect(tr, [(on + AFTER_S, "upright")]))
    assert sc.lean_med == 0 and sc.lean_p90 == 0 and sc.cad_med == pytest.approx(0, abs=0.01)
    assert sc.coverage >= 0.99     # every other stride; an odd count of scored strides leaves it a hair under 1
    assert sc.episodes_checked == 1 and sc.episodes_alerted == 1
    assert not sc.false_alerts and not sc.walk_stand_alerts
    assert sc.n_walk_matched > 20 and sc.n_walk_called_running == 0
    assert sc.misses() == [], sc.row()


def test_scorer_scored_strides():
    tr = _toy_truth()
    ok = xc.scored_mask(tr)
    st = tr["strides"]
    for s, m in zip(st, ok):
        mid = (s["t0"] + s["t1"]) / 2
        dur = s["t1"] - s["t0"]
        if s["t0"] < 5.0 + 1.0 + 2 * dur or abs(mid - 65.0) < 1.0 + 2 * dur + dur / 2:
            assert not m, s        # two strides + half a ramp from a stand/run/walk change
        if s["t0"] < 40.2 and s["t1"] > 40.0:
            assert not m, s        # overlaps the 0.2 s dropout
        if s["t0"] < 32.0 and s["t1"] > 30.0:
            assert not m, s        # overlaps the form ramp [30, 32]
    # the 0.05 s dropout does not unscore a stride
    assert any(m for s, m in zip(st, ok) if s["t0"] < 45.05 and s["t1"] > 45.0)
    # an edge stride far enough: scored
    assert any(m for s, m in zip(st, ok) if 8.0 < s["t0"] < 9.0)


def test_scorer_errors_and_coverage():
    tr = _toy_truth()
    det = _perfect(tr)
    for d in det:
        if d["type"] == "stride":
            d["lean_deg"] += 1.0             # every stride 1 deg off
            d["cadence_spm"] -= 2.0
    run = [d for d in det if d["activity"] == "running"]
    drop = {id(d) for d in run[: len(run) // 10]}   # lose 10 % of the running strides
    sc = _score(tr, [d for d in det if id(d) not in drop])
    assert sc.lean_med == pytest.approx(1.0) and sc.cad_med == pytest.approx(2.0)
    assert 0.85 < sc.coverage < 0.95
    m = " ".join(sc.misses())
    assert "lean median:" in m and "cadence median:" in m and "coverage:" in m


def test_scorer_matching_within_half_a_stride():
    tr = _toy_truth()
    det = _perfect(tr)
    for d in det:
        d["t_ms"] += 0.6 * STEP_S * 2 * 1000   # 0.6 of a running stride late: nearest t1 is the next step's
    sc = _score(tr, det)
    assert sc.coverage > 0.9                   # still matched (a step later is within half a stride)...
    det = [{"type": "stride", "t_ms": 2000, "stride_ms": 700, "lean_deg": 0, "rotation_deg": 0,
            "cadence_spm": 170, "activity": "running"}]
    assert _score(tr, det).n_reported_scored == 0   # ...a stride while standing matches nothing


def test_scorer_episode_window_backward_and_false_alerts():
    tr = _toy_truth()
    on = _first_fault_t0(tr)
    early = _score(tr, _perfect(tr, [(on + AFTER_S / 2 - 0.2, "upright")]))
    assert early.episodes_alerted == 0                       # before half of alert_after_s
    late = _score(tr, _perfect(tr, [(on + AFTER_S + 3.2, "upright")]))
    assert late.episodes_alerted == 0                        # after alert_after_s + 3 s
    back = _score(tr, _perfect(tr, [(on + AFTER_S + 2.9, "backward")]))
    assert back.episodes_alerted == 1 and not back.false_alerts   # backward counts as upright
    wrong = _score(tr, _perfect(tr, [(on + AFTER_S, "swivel")]))
    assert wrong.episodes_alerted == 0 and len(wrong.false_alerts) == 1
    end = max(s["t1"] for s in tr["strides"] if s["upright"])
    after_end = _score(tr, _perfect(tr, [(end + AFTER_S + 0.9, "upright")]))
    assert not after_end.false_alerts                        # fault held within alert_after_s + 1 s before
    stale = _score(tr, _perfect(tr, [(end + AFTER_S + 1.1, "upright")]))
    assert len(stale.false_alerts) == 1
    walking = _score(tr, _perfect(tr, [(80.0, "swivel"), (97.0, "upright")]))
    assert walking.walk_stand_alerts == [80.0, 97.0]
    assert "walk/stand alerts: 2" in walking.misses()


def test_scorer_episode_merging_and_length():
    # fault strides end at 39.65 s; the next stretch's first stride starts 0.7 s later (40.35 s): one
    # episode; 1.4 s later (41.05 s): two
    one = _toy_truth(fault_stretches=((33.0, 40.0), (40.3, 52.0)))
    (a, b), = xc.fault_episodes(one, "upright")
    assert a < 33.1 and b > 51.8
    two = _toy_truth(fault_stretches=((33.0, 40.0), (41.0, 52.0)))
    assert len(xc.fault_episodes(two, "upright")) == 2
    short = _toy_truth(fault_stretches=((33.0, 33.0 + AFTER_S + 3.5),))
    sc = _score(short, _perfect(short))
    assert [e["checked"] for e in sc.episodes] == [False]     # shorter than alert_after_s + 4 s


def test_scorer_walking_called_running():
    tr = _toy_truth()
    det = _perfect(tr)
    for d in det:
        if d["type"] == "stride" and 80_000 < d["t_ms"] < 85_000:
            d["activity"] = "running"
    sc = _score(tr, det)
    assert 3 <= sc.n_walk_called_running < sc.n_walk_matched
    assert sc.row()["walk_called_running"] == f"{sc.n_walk_called_running}/{sc.n_walk_matched}"


# ---- the crosscheck runs -------------------------------------------------------------------------
@functools.cache
def _scored(name, engine, d):
    return xc.score_run(name, engine, d)


def test_crosscheck_truth_as_documented(xc_dir):
    """What the scorer relies on: configs in sets.json, stride labels, boundaries, faults."""
    for name in xc.RUNS:
        tr = xc.truth(name, xc_dir)
        cfg = xc.config(name, xc_dir)
        assert set(cfg) >= {"mount_up", "mount_forward", "lean_min_deg", "swivel_max_deg", "alert_after_s"}
        assert tr["standing_start"] and tr["boundaries"]
        assert {s["label"] for s in tr["strides"]} <= {"stand", "walk", "run"}
        assert sum(xc.scored_mask(tr)) >= 150, name
        assert any(s["upright"] or s["swivel"] for s in tr["strides"]), name


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", xc.RUNS)
def test_crosscheck_targets(xc_dir, name, engine):
    res, sc = _scored(name, engine, xc_dir)
    row = sc.row()
    print("\n" + json.dumps(row))
    assert sc.n_scored_run >= 150 and sc.n_reported_scored >= 50, row   # the run was scored at all
    missed = sc.misses()
    assert not missed, f"{name} [{engine}] misses: {'; '.join(missed)}\n{json.dumps(row)}"


@pytest.mark.parametrize("engine", ENGINES)
def test_crosscheck_brisk_walk_is_walking(xc_dir, engine):
    """x4: 100 s of brisk walking at 128-134 steps/min with a strong bounce: no steady walking
    stride may be called running (the coach only coaches running strides), and no alert."""
    res, sc = _scored("x4_brisk_walk_jog", engine, xc_dir)
    row = sc.row()
    print("\n" + json.dumps(row))
    assert sc.n_walk_matched >= 80, row
    assert sc.n_walk_called_running == 0, f"walking called running {row['walk_called_running']}\n{json.dumps(row)}"
    assert not sc.walk_stand_alerts, row


def test_crosscheck_scores_all_runs_table(xc_dir):
    """The whole table (as `make bench` prints it), for the log; and the runs' shape."""
    scores = [_scored(n, "cpython", xc_dir)[1] for n in xc.RUNS]
    print("\n" + xc.format_table(scores))
    for sc in scores:
        assert sc.episodes_checked >= 1, sc.row()     # every run has a long fault stretch
        assert np.isfinite(sc.lean_med) and np.isfinite(sc.cad_p90), sc.row()


@pytest.mark.parametrize("engine", PARITY_ENGINES)
@pytest.mark.parametrize("name", xc.RUNS)
def test_crosscheck_engines_byte_identical(xc_dir, name, engine):
    try:
        devpath.micropython_cmd()
    except FileNotFoundError as e:
        pytest.skip(str(e))
    a = xc.run(name, "cpython", xc_dir).jsonl()
    b = xc.run(name, engine, xc_dir).jsonl()
    assert len(a) > 200
    assert "\n".join(a).encode() == "\n".join(b).encode()


def test_bench_crosscheck_rows(xc_dir, capsys):
    """`make bench` prints one JSON line per crosscheck run, with the figures and the missed targets."""
    from hinge.dev import bench

    scores = bench.bench_crosscheck("cpython")
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["run"] for r in rows] == list(xc.RUNS)
    for r, sc in zip(rows, scores):
        assert r["bench"] == "accuracy" and r["world"] == "crosscheck"
        assert r["misses"] == sc.misses()
        for k in ("lean_med_abs_deg", "lean_p90_abs_deg", "rot_med_abs_deg", "rot_truth_med_deg", "cad_med_abs_spm",
                  "cad_p90_abs_spm", "coverage_pct", "episodes_alerted", "false_alerts", "walk_called_running_pct"):
            assert k in r, k
    table = bench.crosscheck_table(scores)
    assert len(table.splitlines()) == 1 + len(xc.RUNS) and "targets missed" in table
