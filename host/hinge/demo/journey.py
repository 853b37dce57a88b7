"""`make demo`: the whole user journey on a virtual board, with the same commands a runner types.

1. ``hinge virtual``: a board on a pty (unix-port micropython, IMU fed from a simulated run);
2. ``hinge flash``: deploy the firmware (compiled .mpy for the board, verified by hash);
3. ``hinge config set lean_min_deg=5``: a personal threshold (the board restarts: the run begins);
4. ``hinge monitor``: watch strides and buzzes live while the simulated run plays;
5. ``hinge logs pull --all``: download and verify the session log, decode it beside;
6. every buzz from the log with the pattern the runner felt;
7. the runner's watch: a FIT activity of the same simulated run (``hinge.watch.synth``), its
   clock WATCH_BEHIND_S behind the laptop's that set the board's clock, with a running-dynamics
   pod (the simulator's truth);
8. ``hinge report --with watch.fit --html``: the runner's report, lined up with the watch
   (per-km splits, form against grade and heart rate, the elevation profile, Hinge's running
   dynamics beside the pod's); this prints where it is, and the text report's running-dynamics
   lines.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from hinge.common import devpath
from hinge.common.timefmt import clock_ms
from hinge.sim import simulate

THRESHOLD = "lean_min_deg=5"
# the demo watch's clock against the laptop's (GPS time is not the laptop's); the report finds it, plus the
# seconds of the run the virtual board spent booting before its session began (its IMU samples from power-up)
WATCH_BEHIND_S = 12


def write_watch(sim, sess, path: Path) -> Path:
    """The simulated watch's FIT file for the run the board played: its time 0 is the session's
    start as the board's clock (set from the laptop's at every connection) logged it."""
    from hinge.watch import fitexport, synth

    start = sess.header.get("start_utc")
    if start is None:
        start = time.time() - sim.truth["duration_s"]  # the board's clock was not set: the report aligns by cadence
        print("  (the log has no wall-clock start: the board's clock was not set)")
    act = synth.watch_activity(sim, round(start) - WATCH_BEHIND_S, seed=sim.truth.get("seed", 0), pod=True)
    fitexport.write(path, act)
    print(f"  {path}: {len(act.t)} s, {act.distance_m[-1] / 1000:.2f} km, {act.altitude_m.min():.0f}-"
          f"{act.altitude_m.max():.0f} m, written with fit-tool and checked with Garmin's decoder")
    return path


def hinge_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("hinge")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "hinge.cli"]


def step(title: str) -> None:
    print(f"\n=== {title}", flush=True)


def run(args: list[str], *, show=None, check=True, timeout=300) -> subprocess.CompletedProcess:
    """Run one `hinge` command as a user would, echoing it and (a filter of) its output."""
    print("$ hinge " + " ".join(args), flush=True)
    p = subprocess.run(hinge_cmd() + args, capture_output=True, text=True, timeout=timeout)
    lines = (p.stdout + p.stderr).splitlines()
    for line in lines:
        if show is None or show(line):
            print("  " + line)
    if check and p.returncode != 0:
        raise SystemExit(f"hinge demo: `hinge {' '.join(args)}` failed with status {p.returncode}")
    return p


def main(a) -> int:
    out = Path(a.out).resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    t0 = time.perf_counter()
    link = out / "hinge-tty"
    board_dir = out / "board"
    minutes_opt = getattr(a, "minutes", None)
    sim = simulate.simulate(a.scenario, seed=a.seed, minutes=minutes_opt)
    minutes = sim.truth["duration_s"] / 60
    speed = a.speed

    step(f"1. A virtual board with a simulated {minutes:.0f}-minute '{a.scenario}' run, at {speed:g}x real time")
    from hinge.vboard import vmachine

    clock_error = vmachine.default_clock_error(a.seed)
    print(f"   the virtual IMU's clock runs {100 * clock_error:+.2f} % off its nominal rate (drawn from --seed; "
          f"a real IMU's is 1-2 % off): the firmware measures the true rate against the board's clock")
    eps = sim.truth.get("episodes", [])
    if eps:
        print("   the simulated runner's form faults: " +
              ", ".join(f"{clock_ms(e['t0_ms'])}-{clock_ms(e['t1_ms'])} {e['reason']}" for e in eps))
    cmd = hinge_cmd() + ["virtual", "--link", str(link), "--scenario", a.scenario, "--seed", str(a.seed),
                         "--speed", str(speed), "--workdir", str(board_dir)]
    if minutes_opt:
        cmd += ["--minutes", str(minutes_opt)]
    print("$ hinge " + " ".join(cmd[len(hinge_cmd()):]) + " &")
    vproc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             start_new_session=True)
    # the virtual board's own output, read as it comes (a full pipe would stall it): its
    # supervisor's notes (a watchdog reset, an interpreter that died) are shown at the end
    vout: list[str] = []
    reader = threading.Thread(target=lambda: vout.extend(iter(vproc.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        deadline = time.time() + 60
        while not link.exists():
            if vproc.poll() is not None or time.time() > deadline:
                reader.join(timeout=2)
                raise SystemExit("hinge demo: the virtual board did not start: " + "".join(vout)[-500:])
            time.sleep(0.1)
        print(f"  serial port {link}")
        port = ["--port", str(link)]

        step("2. Deploy the firmware")
        run(port + ["flash", "--no-reset"])

        step(f"3. A personal threshold: {THRESHOLD} (the board restarts and the run begins)")
        run(port + ["config", "set", THRESHOLD])

        step("4. Live view while the run plays (strides each minute, every buzz)")
        secs = sim.truth["duration_s"] / speed + 6
        last_min = [-1]

        def interesting(line: str) -> bool:
            parts = line.split()
            if len(parts) > 1 and parts[1] in ("running", "walking", "standing") and ":" in parts[0]:
                m = int(parts[0].split(":")[0])   # a stride line: show one a minute
                if m != last_min[0]:
                    last_min[0] = m
                    return True
                return False
            return True

        run(port + ["monitor", "--seconds", f"{secs:.0f}", "--set", THRESHOLD], show=interesting, timeout=secs + 120)

        step("5. Download the logs")
        logs = out / "logs"
        run(port + ["logs", "pull", "--all", "--dir", str(logs), "--quiet"])
        hlg = sorted(logs.glob("S*.hlg"))
        if not hlg:
            raise SystemExit("hinge demo: no session log was pulled")

        step("6. What the runner felt, from the log: every buzz and its pattern")
        from hinge.logs import logdecode

        haptic = devpath.import_device("haptic")
        sess = logdecode.decode_session(hlg[-1])
        rates = [e for e in sess.events if int(e["type"]) == devpath.import_device("events").EV_IMU_RATE and e["c"]]
        if rates:
            r = rates[-1]
            print(f"  the IMU's rate as the firmware measured it: {r['a'] / 1000:.3f} Hz ({r['b'] / 10000:+.2f} % from "
                  f"nominal; the virtual chip's clock: {100 * clock_error:+.2f} %)")
        reasons = devpath.import_device("events").REASON_NAMES
        codes = {name: haptic.REASON_PATTERN[r] for r, name in enumerate(reasons) if r}
        for x in sess.alerts:
            if x["kind"] == "alert":
                pat = haptic.describe(codes[str(x["reason"])], int(x["severity"]))
                print(f"  {clock_ms(int(x['t_ms'])):>6}  {x['reason']:<9} severity {int(x['severity'])}:  {pat}")
            else:
                print(f"  {clock_ms(int(x['t_ms'])):>6}  {x['reason']} fixed:  {haptic.describe(haptic.P_CLEAR)}")

        step("7. The runner's watch recorded the same run: a simulated FIT activity (GPS, altitude, heart rate, "
             "a running-dynamics pod)")
        watch = write_watch(sim, sess, out / "watch.fit")

        step("8. The report, lined up with the watch: per-km splits, form against grade and heart rate")
        html = out / "report.html"
        run(["report", str(hlg[-1]), "--with", str(watch), "--html", str(html)], show=lambda s: True)
        # Hinge's running dynamics beside the pod's (the text report's lines of it)
        run(["report", str(hlg[-1]), "--with", str(watch)],
            show=lambda s: "Hinge and your watch" in s or s.lstrip().startswith(("contact ", "vertical oscillation:")))
    finally:
        try:
            os.killpg(vproc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            vproc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(vproc.pid, signal.SIGKILL)
        reader.join(timeout=2)
    notes = [ln.strip() for ln in vout if ln.startswith("ptyboard:")]
    print("\nThe virtual board's supervisor: " + ("; ".join(notes) if notes else "no resets, no interpreter died"))
    print(f"\nThe report: {html}\n(open it in a browser; logs in {logs}, the board's flash in {board_dir / 'flash'})"
          f"   [{time.perf_counter() - t0:.0f} s]")
    return 0
