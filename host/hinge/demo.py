"""`make demo`: a simulated run through the device detector, as the runner would feel it."""
from __future__ import annotations

import time
from pathlib import Path

from . import evaluate, replay, simulate
from .capture import Capture


def run(a) -> int:
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    sim = simulate.simulate(a.scenario, seed=a.seed)
    csv = out / f"{a.scenario}.csv"
    simulate.write_capture(sim, csv)
    cap = Capture(sim.t_ms, sim.acc_g, sim.gyr_dps, [])
    overrides = {"mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"]}
    print(f"Simulated '{a.scenario}' run: {cap.duration_s / 60:.1f} min at {sim.truth['rate_hz']:g} Hz "
          f"-> {csv}")
    eps = sim.truth.get("episodes", [])
    if eps:
        print("Form faults the simulated runner had:")
        for e in eps:
            print(f"  {replay.mmss(e['t0_ms'])}-{replay.mmss(e['t1_ms'])}  {e['reason']}")
    print(f"\nReplaying through the device detector (engine: {a.engine}) ...\n")
    res = replay.replay(cap, overrides, engine=a.engine)
    print(replay.summary(res))
    sc = evaluate.score(sim.truth, res.dicts(), replay.load_config(overrides))
    print("\nAgainst the simulator's truth:")
    print(evaluate.format_table([sc]))
    (out / f"{a.scenario}.jsonl").write_text("\n".join(res.jsonl()) + "\n")
    print(f"\nPer-stride JSON lines: {out / (a.scenario + '.jsonl')}  ({time.perf_counter() - t0:.1f} s)")
    return 0
