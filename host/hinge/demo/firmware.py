"""`hinge demo --firmware-only`: a simulated run on the virtual board, as the runner would feel it.

1. simulate a ~10-minute run with fault episodes (``hinge simulate``);
2. run the unchanged firmware (``device/main.py``) on the virtual board under the unix-port
   ``micropython``: register-level IMU fed from the capture, motor PWM recorded, flash = folder;
3. print each buzz as felt (time, reason, pattern), from the motor's PWM log;
4. decode the session log from the virtual flash with the host decoder and summarise the run.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np

from hinge.coach import evaluate, replay
from hinge.common import devpath
from hinge.common.timefmt import clock_ms
from hinge.logs import logdecode
from hinge.virtual import simsource, vrun


def run(a) -> int:
    out = Path(a.out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    t0 = time.perf_counter()
    # streamed chunk by chunk into the virtual IMU's source and the CSV: hours fit in memory
    board = out / "board"
    board.mkdir()
    try:
        sim = simsource.stream(a.scenario, board / "imu_source.s7", seed=a.seed, minutes=getattr(a, "minutes", None),
                               csv=out / f"{a.scenario}.csv")
    except ValueError as e:
        print(f"hinge demo: {e}")
        return 2
    duration_s = (sim.t_ms_end - sim.t_ms_first) / 1000.0
    cfg = {"version": 1, "mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"]}
    print(f"Simulated '{a.scenario}' run: {duration_s / 60:.1f} min at {sim.truth['rate_hz']:g} Hz, "
          f"sensor mounted {cfg['mount_up']} up / {cfg['mount_forward']} forward")
    eps = sim.truth.get("episodes", [])
    if eps:
        print("Form faults the simulated runner had:  " +
              ", ".join(f"{clock_ms(e['t0_ms'])}-{clock_ms(e['t1_ms'])} {e['reason']}" for e in eps))
    print("\nRunning device/main.py on the virtual board (micropython unix port, LSM6DSO model at 0x6A) ...")
    # a 10-minute run plays in seconds; allow ~20x real time on a loaded machine for long ones
    vr = vrun.run_firmware(None, board, config=cfg, seed=a.seed, source=sim.spec, timeout=max(600.0, duration_s / 20))
    print(f"  (the virtual IMU's clock runs {100 * vr.clock_error:+.2f} % off its nominal rate, drawn from seed "
          f"{a.seed}, as a real IMU's is 1-2 % off: the firmware measures the true rate against the board's clock)")
    for m in vr.messages:
        print("  board: " + m)
    if vr.returncode != 0:
        print(vr.stdout[-2000:])
        print(f"hinge demo: the firmware exited with status {vr.returncode}")
        return 1
    print(f"  {duration_s / 60:.1f} min of running played in {vr.wall_s:.1f} s "
          f"({duration_s / vr.wall_s:.0f}x real time)")
    print_buzzes(vr)
    if not vr.session_files:
        print("no session log written")
        return 1
    sess = logdecode.decode_session(vr.session_files[-1])
    print_summary(sess, vr.session_files[-1])
    overrides = {"mount_up": cfg["mount_up"], "mount_forward": cfg["mount_forward"]}
    dets = [{"type": "stride", "t_ms": int(s["t_ms"]), "stride_ms": int(s["stride_ms"]),
             "lean_deg": float(s["lean_deg"]), "rotation_deg": float(s["rotation_deg"]),
             "cadence_spm": float(s["cadence_spm"]),
             "activity": replay.ACTIVITIES[int(s["activity"])]} for s in sess.strides]
    dets += [{"type": "alert", "t_ms": int(x["t_ms"]), "reason": str(x["reason"])}
             for x in sess.alerts if x["kind"] == "alert"]
    sc = evaluate.score(sim.truth, dets, replay.load_config(overrides))
    print("\nThe logged strides against the simulator's truth:")
    print(evaluate.format_table([sc]))
    print(f"\nFiles: {out}/  (capture CSV + truth, board/flash/logs/*.hlg, board/pwm.csv)   "
          f"[{time.perf_counter() - t0:.1f} s]")
    return 0


def print_buzzes(vr: vrun.VirtualRun) -> None:
    haptic = devpath.import_device("haptic")
    alerts = [e for e in vr.events if e[0] in (2, 3, 4)]
    print("\nWhat the runner felt (from the motor's PWM log):")
    for c in vr.cues:
        # the event that caused this cue: the last alert/clear/calibration at or before it
        cause = [e for e in alerts if e[1] <= c.t_ms + 50]
        why = "?"
        desc = ""
        if cause:
            e = cause[-1]
            if e[0] == 2:
                why = f"{replay.REASONS[e[2]]} (severity {e[3]}: {replay.cue_text(replay.cue_dict(e), ' vs limit')})"
                desc = haptic.describe(haptic.REASON_PATTERN[e[2]], e[3])
            elif e[0] == 3:
                why = f"{replay.REASONS[e[2]]} fixed"
                desc = haptic.describe(haptic.P_CLEAR)
            elif e[0] == 4:
                why = "calibrated (standing pose captured)" if e[2] else "not calibrated"
                desc = haptic.describe(haptic.P_CALIBRATED)
        print(f"  {clock_ms(c.t_ms):>6}  {why:<55} felt: {c.words()} ({c.on_ms} ms on)  [{desc}]")
    if not vr.cues:
        print("  nothing")


def _sides(strides) -> str:
    """The median hip drop of each foot's stance over ``strides`` ("6.5/7.0"; "-" where a foot has
    none measured): the hip drop the coach means, not the stride's roll beside it."""
    def one(col):
        v = strides[col][np.isfinite(strides[col])]
        return f"{np.median(v):.1f}" if len(v) else "-"
    return f"{one('hip_drop_left_deg')}/{one('hip_drop_right_deg')}"


def print_summary(sess, path) -> None:
    s = sess.strides
    run = s[s["activity"] == 2]
    n_alerts = int((sess.alerts["kind"] == "alert").sum())
    print(f"\nSession log {path.name}: {sess.size} bytes, {len(s)} strides "
          f"({sess.size / max(len(s), 1):.1f} bytes/stride incl. header), {sess.blocks} blocks, "
          f"{len(sess.problems)} problems")
    if len(run):
        print(f"Run summary: {len(run)} running strides, cadence median {np.median(run['cadence_spm']):.0f} spm, "
              f"lean median {np.median(run['lean_deg']):.1f} deg, rotation median {np.median(run['rotation_deg']):.1f} deg, "
              f"{n_alerts} buzzes")
    print("\n minute  strides  cadence  lean  rotation  roll  hip drop L/R  alerts")
    if len(s):
        minute = (s["t_ms"] // 60000).astype(int)
        for m in range(int(minute.max()) + 1):
            sel = run[(run["t_ms"] // 60000).astype(int) == m]
            al = sess.alerts[(sess.alerts["kind"] == "alert") & ((sess.alerts["t_ms"] // 60000).astype(int) == m)]
            if not len(sel):
                print(f" {m:>6}  {0:>7}")
                continue
            print(f" {m:>6}  {len(sel):>7}  {np.median(sel['cadence_spm']):>7.0f}  {np.median(sel['lean_deg']):>4.1f}"
                  f"  {np.median(sel['rotation_deg']):>8.1f}  {np.median(sel['roll_deg']):>4.1f}  "
                  f"{_sides(sel):>12}  {', '.join(str(r) for r in al['reason'])}")
