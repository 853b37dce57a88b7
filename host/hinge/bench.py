"""`make bench`: speed, memory and accuracy figures as JSON lines (figures, not pass/fail).

Rows:
- ``detector_step``: per-sample detector cost and bytes allocated per sample under the
  unix-port micropython (blocks of 128 samples, median of 7 passes, GC off while measuring);
- ``detector_heap_locked``: the detector run inside ``micropython.heap_lock()`` in steady state;
- ``madgwick_float_update``: a plain float 6-axis Madgwick update timed in the same process,
  and ``detector_speedup_vs_madgwick``;
- ``replay_speed``: whole-replay speed as a multiple of real time, per engine;
- ``accuracy``: per simulator scenario (fixed seeds) against its truth;
- further rows from the firmware runtime (``hinge.bench_board``) when present.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import devpath, evaluate, replay
from .capture import to_raw

SEED = 1


def emit(row: dict) -> None:
    print(json.dumps(row, separators=(",", ":")), flush=True)


def sim_capture(name: str, seed: int = SEED, **kw):
    from . import simulate

    return simulate.simulate(name, seed=seed, **kw)


def as_capture(sim):
    from .capture import Capture

    return Capture(sim.t_ms, sim.acc_g, sim.gyr_dps, [])


def overrides_for(truth: dict) -> dict:
    return {"mount_up": truth["mount_up"], "mount_forward": truth["mount_forward"]}


def bench_micropython(cap, overrides) -> list[dict]:
    cfg = replay.load_config(overrides)
    lsb_g, lsb_k = replay.scales(cfg)
    raw = to_raw(cap, lsb_g, lsb_k)
    runner = Path(__file__).parent / "mp" / "bench_run.py"
    with tempfile.TemporaryDirectory() as td:
        rf = Path(td) / "s.bin"
        rf.write_bytes(raw[:20000].astype("<i2").tobytes())
        cf = Path(td) / "c.json"
        cf.write_text(json.dumps(cfg))
        p = subprocess.run([devpath.micropython_cmd(), "-X", "heapsize=4M", str(runner), str(rf), str(cf),
                            str(lsb_g), str(lsb_k)], capture_output=True, text=True, env=devpath.micropython_env())
    if p.returncode:
        raise RuntimeError("micropython bench failed: " + (p.stderr.strip().splitlines() or ["?"])[-1])
    rows = [json.loads(x) for x in p.stdout.splitlines() if x.startswith("{")]
    out = []
    for r in rows:
        # fixed key order (micropython's json does not keep it)
        if r["bench"] == "detector_step":
            out.append({"bench": "detector_step", "engine": "micropython", "us_per_sample": r["us_per_sample"],
                        "alloc_bytes_per_sample": r["alloc_bytes_per_sample"]})
        else:
            out.append({"bench": r.pop("bench"), "engine": r.pop("engine"), **r})
    return out


def bench_replay_speed(cap, overrides) -> list[dict]:
    rows = []
    for engine in ("cpython", "micropython"):
        t0 = time.perf_counter()
        res = replay.replay(cap, overrides, engine=engine)
        dt = time.perf_counter() - t0
        rows.append({"bench": "replay_speed", "engine": engine, "capture_s": round(cap.duration_s, 1),
                     "wall_s": round(dt, 3), "x_real_time": round(cap.duration_s / dt, 1),
                     "strides": res.strides})
    return rows


def bench_accuracy(names=None) -> list[evaluate.Score]:
    from . import simulate

    scores = []
    for name in names or simulate.SCENARIOS:
        sim = sim_capture(name)
        cfg = replay.load_config(overrides_for(sim.truth))
        res = replay.replay(as_capture(sim), overrides_for(sim.truth))
        sc = evaluate.score(sim.truth, res.dicts(), cfg)
        scores.append(sc)
        emit({"bench": "accuracy", **sc.row()})
    return scores


def main(argv=None) -> int:
    sim = sim_capture("mixed")
    cap = as_capture(sim)
    o = overrides_for(sim.truth)
    for r in bench_micropython(cap, o):
        emit(r)
    for r in bench_replay_speed(cap, o):
        emit(r)
    scores = bench_accuracy()
    print("\n" + evaluate.format_table(scores), file=sys.stderr)
    try:
        from . import bench_board
    except ImportError:
        bench_board = None
    if bench_board is not None:
        for r in bench_board.rows():
            emit(r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
