"""The soak: hours of simulated running through the unchanged firmware on the virtual board, at
full speed, with IMU outages, FIFO overflows, the flash filling up and power cuts at random
moments; then what a runner would find on the flash is checked against what happened.

    res = soak.run(hours=30, seed=1, workdir="build/soak")     # `make bench` (HINGE_SOAK_HOURS)
    res.legs, res.figures()

How (see ``soak_run.py`` for the board side):

* the simulator streams the whole run (``hinge.virtual.simsource``: scenario "mixed", chunk by chunk) into
  the virtual IMU's source; the IMU's clock is ``CLOCK_ERROR`` off (a clock counted in samples
  would drift 36 s an hour);
* faults are drawn from ``seed`` on the simulator's clock: IMU outages (the chip loses power for
  5-60 s), stalls of 3.5-6 s (longer than the LSM6DSO's FIFO holds at 104 Hz: it overflows; under
  the 8 s watchdog), power cuts (the process is killed with SIGKILL: no close, no flush; half of
  them strike in the middle of a flash write), 2-30 s off after each; the flash holds
  ``flash_kib`` (a write past it fails with ENOSPC, as littlefs does), so old sessions rotate;
* each power-up is a leg: a fresh interpreter, the source resumed where the simulator's clock
  has got to, the same flash.

Checks, per leg whose session is still on flash (rotation may have deleted the oldest):
``lost_before_flush``: strides the firmware printed on its console up to the last flush before
the cut (10 s of wall time and a read period before it) that are not in the log: must be 0;
``clock_offset_ms``: the log's stride times on the simulator's clock (session start on the board,
mapped through the IMU's source timeline) against the truth strides: the shift that lines up the
most strides, over the whole leg (searched over +-20 s), then over its first and its last 600
running strides (within 1 s, and the drift between them); it includes the detector's stamping
delay (~0.3 s: a stride is reported once its last step is confirmed); ``heap``: the live heap
each simulated hour (flat: its spread after the first hour).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hinge.common import devpath
from hinge.logs import logdecode
from hinge.virtual import simsource
from hinge.virtual.vrun import VBOARD_DIR

SCENARIO = "mixed"
IMU = "lsm6dso"
CLOCK_ERROR = 0.01  # +1 %: a clock counted in samples would drift 36 s an hour
HEAPSIZE = devpath.VBOARD_HEAPSIZE
FLUSH_MS = 10_000  # main.py's _FLUSH_MS: the log is on flash at least this often (wall time)
READ_MS = 200  # fifo_read_ms (default): the samples of the read being handled trail the clock
RUNNER = Path(__file__).parent / "soak_run.py"
MATCH_MS = 40  # a logged stride end lines up with a truth stride end within this
MOVE_MAX = devpath.import_device("logfmt").MOVE_MAX  # how far the log may move a stride's end (ms)


@dataclass
class Leg:
    index: int
    start_sample: int
    base_sim_ms: float  # simulator time at source-timeline 0 of this power-up
    plan: dict
    session: str = ""
    session_board_ms: int = 0
    src_t0_ms: float = 0.0
    cut_board_ms: int | None = None
    cut_where: str = ""
    console_strides: list = field(default_factory=list)  # (t_ms, stride_ms)
    heap: list = field(default_factory=list)  # (board_ms, bytes)
    lines: int = 0
    returncode: int | None = None
    rotated: list = field(default_factory=list)  # session numbers the firmware deleted
    faults_seen: dict = field(default_factory=dict)
    injected: list = field(default_factory=list)  # ("outage" | "stall", board_ms)
    check: dict = field(default_factory=dict)

    def sim_ms(self, board_ms):
        """The simulator's time at a board time of this leg (through the IMU's source timeline)."""
        return self.base_sim_ms + (board_ms - self.src_t0_ms)


@dataclass
class SoakResult:
    hours: float
    sim_hours_covered: float
    wall_s: float
    legs: list
    truth_strides: int
    flash_kib: int

    def figures(self) -> dict:
        checked = [lg for lg in self.legs if lg.check.get("on_flash")]
        offs = [abs(v) for lg in checked for v in (lg.check["clock_offset_start_ms"], lg.check["clock_offset_end_ms"])
                if v is not None]
        drift = [abs(lg.check["clock_offset_end_ms"] - lg.check["clock_offset_start_ms"]) for lg in checked
                 if lg.check.get("clock_offset_end_ms") is not None]
        heaps = [b for lg in self.legs for _, b in lg.heap[1:]]
        first = [lg.heap[0][1] for lg in self.legs if lg.heap]
        return {
            "hours": round(self.hours, 2), "sim_hours_on": round(self.sim_hours_covered, 2),
            "wall_s": round(self.wall_s, 1), "x_real_time": round(self.hours * 3600 / max(self.wall_s, 1e-9), 1),
            "legs": len(self.legs), "power_cuts": sum(1 for lg in self.legs if lg.cut_board_ms is not None),
            "cuts_in_flash_write": sum(1 for lg in self.legs if "write" in lg.cut_where),
            "imu_outages": sum(len(lg.plan["outages"]) for lg in self.legs),
            "stalls": sum(len(lg.plan["stalls"]) for lg in self.legs),
            "fifo_overflow_events": sum(lg.faults_seen.get("fifo_overflow", 0) for lg in self.legs),
            "sensor_fault_events": sum(lg.faults_seen.get("sensor", 0) for lg in self.legs),
            "sessions_rotated": sum(len(lg.rotated) for lg in self.legs),
            "legs_checked": len(checked),
            "strides_logged": sum(lg.check.get("logged", 0) for lg in checked),
            "strides_lost_before_last_flush": sum(lg.check.get("lost_before_flush", 0) for lg in checked),
            "strides_after_last_flush_lost": sum(lg.check.get("lost_after_flush", 0) for lg in checked),
            "log_problems": sum(len(lg.check.get("problems", [])) for lg in checked),
            "fault_events_injected": sum(len(lg.injected) for lg in checked),
            "fault_events_logged": sum(lg.check.get("fault_events_found", 0) for lg in checked),
            "fault_event_time_err_max_ms": max([lg.check["fault_event_err_max_ms"] for lg in checked
                                                if lg.check.get("fault_event_err_max_ms") is not None] or [0]),
            "clock_offset_max_ms": max(offs) if offs else None,
            "clock_drift_in_a_leg_max_ms": max(drift) if drift else None,
            "legs_clock_pinned": sum(1 for lg in checked if lg.check.get("clock_offset_pinned")),
            "truth_strides": self.truth_strides,
            "heap_first_hour_bytes": min(first) if first else None,
            "heap_spread_after_first_hour_bytes": (max(heaps) - min(heaps)) if len(heaps) > 1 else 0,
            "heap_max_bytes": max([b for lg in self.legs for _, b in lg.heap] or [0]),
            "flash_kib": self.flash_kib,
        }


def _draw_faults(rng, total_ms, hours, cuts):
    n_out = max(1, int(round(hours * 0.5)))
    n_st = max(1, int(round(hours)))
    outages = sorted((float(rng.uniform(0.02, 0.98) * total_ms), int(rng.uniform(5_000, 60_000))) for _ in range(n_out))
    stalls = sorted((float(rng.uniform(0.02, 0.98) * total_ms), int(rng.uniform(3_500, 6_000))) for _ in range(n_st))
    # spread out: each in its own stretch of the run, at a random point of its middle 60 %
    cut_t = (np.arange(cuts) + rng.uniform(0.2, 0.8, cuts)) * total_ms / cuts
    cut_list = [(float(t), bool(rng.random() < 0.5), int(rng.uniform(2_000, 30_000))) for t in cut_t]
    return outages, stalls, cut_list


def _source_times(path) -> tuple[np.ndarray, np.ndarray]:
    """Per sample of the source: its time on the source's own timeline and its dt, in ms."""
    raw = np.memmap(path, dtype="<i2", mode="r").reshape(-1, 7)
    dt = raw[:, 0].view(np.uint16).astype(np.int64)
    return np.cumsum(dt) / 16.0, dt / 16.0


def _flash_of(flash: Path) -> dict:
    return {p.name: p for p in (flash / "logs").glob("S*.hlg")} if (flash / "logs").exists() else {}


LOG_BYTES_PER_MIN = 86 * 10  # the mixed run's ~86 strides a minute at <= 10 bytes each (log format 3)
FLASH_SHARE = 0.6  # the flash holds this share of the run's log: it fills late, old legs rotate


def run(hours: float = 30.0, seed: int = 1, workdir=None, cuts: int | None = None, flash_kib: int | None = None,
        prefill_kib: int = 0, heap_every_ms: int = 3_600_000, progress=None) -> SoakResult:
    """Run the soak (see the module docstring); ``workdir`` keeps its files (default: a temp dir,
    removed). ``cuts``: power cuts (default one per 6 h, at least one); ``prefill_kib``: old
    sessions' worth of bytes already on the flash (so a short soak also fills it); ``flash_kib``:
    the flash's size (default: ``FLASH_SHARE`` of the run's log, so it fills in the last part of
    the run and the oldest legs' sessions are deleted, the others checked)."""
    if flash_kib is None:
        flash_kib = max(64, int(FLASH_SHARE * hours * 60 * LOG_BYTES_PER_MIN / 1024))
    import tempfile

    t_wall = time.perf_counter()
    own = workdir is None
    wd = Path(tempfile.mkdtemp(prefix="hinge-soak-")) if own else Path(workdir)
    try:
        if wd.exists() and not own:
            shutil.rmtree(wd)
        wd.mkdir(parents=True, exist_ok=True)
        flash = wd / "flash"
        (flash / "logs").mkdir(parents=True)
        if prefill_kib:
            (flash / "logs" / "S0001.hlg").write_bytes(bytes(prefill_kib * 1024))  # an old session's bytes
        src = simsource.stream(SCENARIO, wd / "imu_source.s7", seed=seed, minutes=hours * 60)
        truth = src.truth
        (flash / "config.json").write_text(json.dumps({"version": 1, "mount_up": truth["mount_up"],
                                                        "mount_forward": truth["mount_forward"]}))
        t_src, dt_src = _source_times(src.spec["path"])
        t_first = src.t_ms_first - dt_src[0]  # source timeline 0 on the simulator's clock
        total_ms = float(t_src[-1])
        rng = np.random.default_rng([seed, 9])
        cuts = max(1, int(hours // 6)) if cuts is None else cuts
        outages, stalls, cut_list = _draw_faults(rng, total_ms, hours, cuts)
        legs = []
        at = 0.0  # source-timeline ms where the next power-up starts
        k = 0
        while at < total_ms - 5_000:
            start = int(np.searchsorted(t_src, at))
            base = t_first + float(t_src[start] - dt_src[start])  # sim ms at this leg's source time 0
            rel0 = float(t_src[start] - dt_src[start])
            nxt = next((c for c in cut_list if c[0] > rel0 + 60_000), None)
            end = nxt[0] if nxt else total_ms + 1
            plan = {"outages": [[int(t - rel0), d] for t, d in outages if rel0 + 30_000 <= t < end - 20_000],
                    "stalls": [[int(t - rel0), d] for t, d in stalls if rel0 + 30_000 <= t < end - 20_000],
                    "cut_ms": int(nxt[0] - rel0) if nxt else None, "cut_in_write": bool(nxt[1]) if nxt else False,
                    "flash_bytes": flash_kib * 1024, "heap_every_ms": heap_every_ms}
            leg = Leg(k, start, base, plan)
            _run_leg(leg, wd, flash, src.spec, progress)
            legs.append(leg)
            if nxt is None or leg.cut_board_ms is None:
                break
            cut_list.remove(nxt)
            at = rel0 + (leg.cut_board_ms - leg.src_t0_ms) + nxt[2]
            k += 1
        _check(legs, flash, truth)
        covered = sum((t_first + total_ms if lg.cut_board_ms is None else lg.sim_ms(lg.cut_board_ms))
                      - lg.sim_ms(lg.session_board_ms) for lg in legs) / 3_600_000
        return SoakResult(hours, covered, time.perf_counter() - t_wall, legs, len(truth["strides"]), flash_kib)
    finally:
        if own:
            shutil.rmtree(wd, ignore_errors=True)


def _run_leg(leg: Leg, wd: Path, flash: Path, source: dict, progress):
    plan_path = wd / f"plan{leg.index}.json"
    plan_path.write_text(json.dumps(leg.plan))
    spec = {"imu": IMU, "source": dict(source, start=leg.start_sample), "fs_root": str(flash), "on_end": "exit",
            "end_grace_ms": 2500, "clock_error": CLOCK_ERROR, "pinmap": str(devpath.HARDWARE_DIR / "pinmap.json")}
    env = dict(os.environ, MICROPYPATH=f"{devpath.DEVICE_DIR}:{VBOARD_DIR}:.frozen", HINGE_VBOARD=json.dumps(spec))
    p = subprocess.Popen([devpath.micropython_cmd(), "-X", f"heapsize={HEAPSIZE}", str(RUNNER), str(plan_path)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=str(wd))
    try:
        _follow(leg, p, progress)
    finally:
        if p.poll() is None:  # whatever went wrong here, no board outlives its leg
            p.kill()
            p.wait()


def _follow(leg: Leg, p, progress):
    tail = []
    for line in p.stdout:
        leg.lines += 1
        if line.startswith("H 1 "):
            f = line.split()
            leg.console_strides.append((int(f[2]), int(f[6])))
        elif line.startswith("H 6 "):
            f = line.split()
            kind = {1: "sensor", 5: "fifo_overflow", 7: "log_full"}.get(int(f[3]), f[3])
            leg.faults_seen[kind] = leg.faults_seen.get(kind, 0) + 1
        elif line.startswith("H # soak: session start"):
            f = line.split()
            leg.session_board_ms = int(f[6])
            leg.src_t0_ms = int(f[8]) / 16.0
        elif line.startswith("H # session "):
            leg.session = line.split()[3]
        elif line.startswith(("H # soak: outage", "H # soak: stall")):
            f = line.split()
            leg.injected.append((f[3], int(f[6])))
        elif line.startswith("H # soak: heap"):
            f = line.split()
            leg.heap.append((int(f[7]), int(f[4])))
        elif line.startswith("H # soak: power cut"):
            f = line.split()
            leg.cut_board_ms = int(f[7])
            leg.cut_where = line.split("(", 1)[1].rstrip(")\n")
            p.send_signal(signal.SIGKILL)  # the battery goes: nothing more runs
            break
        elif not line.startswith("H "):
            tail = (tail + [line.rstrip()])[-20:]
    p.stdout.close()
    leg.returncode = p.wait()
    if leg.cut_board_ms is None and leg.returncode != 0:
        raise RuntimeError(f"soak leg {leg.index}: the firmware exited with {leg.returncode}: " + " | ".join(tail[-5:]))
    if progress:
        progress(f"soak leg {leg.index}: {leg.session}, {len(leg.console_strides)} strides, "
                 + (f"cut at {leg.cut_board_ms / 3.6e6:.2f} h ({leg.cut_where})" if leg.cut_board_ms is not None
                    else "ran to the end of the run"))


def _check(legs, flash: Path, truth: dict):
    files = _flash_of(flash)
    from hinge.coach import replay

    t1 = np.array([s["t1_ms"] for s in truth["strides"]], float)
    for lg in legs:
        path = files.get(lg.session)
        lg.check["on_flash"] = path is not None
        if path is None:
            continue
        sess = logdecode.decode_session(path)
        lg.check["problems"] = list(sess.problems)
        # sessions the firmware deleted to make room (logged as log_rotated events, not printed)
        lg.rotated = [int(b) for nm, b in zip(sess.events["name"], sess.events["b"]) if nm == "log_rotated"]
        st = sess.strides
        logged_t = np.asarray(st["t_ms"], np.int64)
        lg.check["logged"] = int(len(logged_t))
        # every stride printed up to the last flush before the cut is in the log
        if lg.cut_board_ms is not None:
            last_flush = lg.cut_board_ms - lg.session_board_ms - FLUSH_MS - READ_MS
        else:
            last_flush = float("inf")  # ran to the end: closed normally
        cons = np.array([t for t, _ in lg.console_strides], np.int64)
        # (a stride's logged end may lie up to logfmt.MOVE_MAX from the one the firmware printed,
        # where the log moved it so that its time implies its cadence: less than half a stride)
        have = np.zeros(len(cons), bool)
        if len(logged_t):
            k = np.searchsorted(logged_t, cons)
            after = logged_t[np.minimum(k, len(logged_t) - 1)]
            before = logged_t[np.maximum(k - 1, 0)]
            have = np.minimum(np.abs(after - cons), np.abs(cons - before)) <= MOVE_MAX
        lg.check["lost_before_flush"] = int(((cons <= last_flush) & ~have).sum())
        lg.check["lost_after_flush"] = int(((cons > last_flush) & ~have).sum())
        # each injected fault's event in the log, at the board time it happened: the first
        # sensor_fault / fifo_overflow event after it (stamped with the samples' clock, which
        # trails by a read period); no aliasing here, unlike strides at a steady cadence
        ev = sess.events
        errs = []
        for kind, b in lg.injected:
            name = "sensor_fault" if kind == "outage" else "fifo_overflow"
            ts = np.asarray(ev["t_ms"][ev["name"] == name], float) + lg.session_board_ms
            later = ts[ts >= b - 2_000]
            if len(later):
                errs.append(float(later[0] - b))
        lg.check["fault_events_found"] = len(errs)
        lg.check["fault_event_err_max_ms"] = max((abs(x) for x in errs), default=None)
        # the log's times on the simulator's clock against the truth strides
        ends = lg.sim_ms(lg.session_board_ms) + logged_t.astype(float)
        names = np.array([replay.ACTIVITIES[int(a)] for a in st["activity"]]) if len(st) else np.array([])
        run = ends[names == "running"] if len(names) else ends[:0]
        # a long leg (its activity changes) pins the shift down over +-20 s; in a short one a
        # steady cadence lines up again one stride further, so the search keeps to under half a
        # stride (evaluate's rule: a detected stride overlaps its true one by half or more), and
        # the fault events above are the unambiguous check
        pinned = len(run) >= PIN_STRIDES
        whole = _offset(run, t1, 0, 20_000 if pinned else STRIDE_HALF_MS)
        lg.check["clock_offset_ms"] = whole
        lg.check["clock_offset_pinned"] = pinned
        if whole is not None:  # drift: the first and the last 600 running strides, near it
            lg.check["clock_offset_start_ms"] = _offset(run[:600], t1, whole, STRIDE_HALF_MS)
            lg.check["clock_offset_end_ms"] = _offset(run[-600:], t1, whole, STRIDE_HALF_MS)
        else:
            lg.check["clock_offset_start_ms"] = lg.check["clock_offset_end_ms"] = None


PIN_STRIDES = 3000  # running strides (~35 min, with walking and standing between) that pin the shift
STRIDE_HALF_MS = 300  # under half a running stride (0.65-0.75 s): a window's search cannot alias


def _offset(ends, t1, around, span_ms, step_ms=10):
    """How far (ms) the logged stride ends (on the simulator's clock) lie after the truth strides'
    ends: the shift within ``around +- span_ms`` that lines up the most of them (within
    MATCH_MS). A steady cadence lines up again one stride further, so only a long stretch with
    activity changes (a whole leg) pins it down; None with under 50 strides. It holds the
    detector's own stamping delay (a stride is reported once its last step is confirmed) and
    any error of the firmware's clock."""
    if len(ends) < 50:
        return None
    best, best_d = -1, None
    for d in range(around - span_ms, around + span_ms + 1, step_ms):
        e = ends - d
        i = np.clip(np.searchsorted(t1, e), 1, len(t1) - 1)
        near = np.minimum(np.abs(t1[i] - e), np.abs(t1[i - 1] - e))
        n = int((near <= MATCH_MS).sum())
        if n > best:
            best, best_d = n, d
    return best_d


SOAK_HOURS = 6.0  # `make bench`'s default: ~6 min here (the simulator takes ~0.4 s a minute of
#                  running, the firmware runs ~100x real time); HINGE_SOAK_HOURS=30 for a race


def bench_rows() -> list[dict]:
    hours = float(os.environ.get("HINGE_SOAK_HOURS", SOAK_HOURS))
    res = run(hours=hours, seed=1)
    return [{"bench": "soak", "engine": "micropython", "imu": IMU, "clock_error": CLOCK_ERROR, **res.figures()}]


if __name__ == "__main__":
    import sys

    h = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    r = run(hours=h, seed=1, progress=lambda m: print(m, file=sys.stderr, flush=True))
    print(json.dumps(r.figures()))
