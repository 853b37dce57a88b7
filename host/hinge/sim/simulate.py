"""Waist-IMU simulator: synthetic runs with exact truth for lean, rotation, roll and cadence.

The parts live in :mod:`hinge.sim` (``scenarios``, ``body``, ``sensor``, ``truth``, ``engine``);
this module is the public face: :func:`simulate`, ``SCENARIOS``, :func:`write_capture`,
:func:`read_capture` and the CLI ``python -m hinge.sim.simulate`` / ``hinge simulate``.

A capture is built in three layers, in this order, so the signals are physically consistent:

1. **Plan** (per scenario, from the seed): segments (standing / walking / running, with an
   optional form fault) carrying the control values of each stretch (lean, rotation, hip drop,
   cadence, speed, walking bounce ...), and heading changes (road turns, trail switchbacks).
2. **Body** on a 1 kHz internal grid: a gait phase driven by the cadence (every integer of the
   step phase is a foot contact; even integers are right heel strikes), the pelvis orientation
   R = Rz(yaw) @ Ry(pitch) @ Rx(roll) in the body frame x forward, y left, z up, and the world
   specific force of the point the pelvis turns about (vertical ground reaction per step with an
   exact impulse balance, braking/propulsion, mediolateral sway, speed changes, centripetal
   acceleration v * heading rate in turns, into which the runner banks).
3. **IMU**: body angular velocity from the orientation itself (relative quaternion between
   successive 1 kHz samples) and specific force R^T (a + g e_z) plus the lever-arm terms
   dw/dt x r + w x (w x r) of a sensor sitting at r from the turning point, averaged over each
   output period of the IMU's own clock (a boxcar like the chip's decimation filter), rotated
   into the sensor's axes by the mount mapping and a small misalignment/tilt, then sensor errors
   (scale, bias, bias random walk, bias warm-up, noise, int16 quantisation with saturation at
   +-8 g / +-1000 deg/s) and board timing (dropped samples, bursts, dropouts, stamp jitter).

Effects that independent worlds have, all on by default (``ideal=True`` / ``--ideal`` turns them
all off and gives the old clean world with the same trajectory and truth; ``effects={...}`` /
``--without NAME`` switches single ones):

* ``lever_arm``: the IMU 8-15 cm behind and 2-6 cm above the pelvis turning axis (per run); the
  rigid-body terms dw/dt x r + w x (w x r) of the bony pelvis rotation are added (the sensor's
  own rocking on the belt - impact nod, 3-12 Hz wobble - turns it about a nearby point and has
  no lever: the real waist data's small 12-30 Hz acceleration says so). At ~30 deg of pelvis
  yaw their stride mean is ~0.04 g forward, which tilts a gravity-direction lean estimate;
* ``step_variety``: heel-strike transients on a share 0.3-0.8 of running steps (more often on one
  foot), contact time +-5-10 % and impact size varying per step, stance peak moving per step;
* ``clock``: the IMU's output data rate is off by e (random within +-1.5 %, or ``odr_error``):
  sample i happens at i / (rate (1 + e)) true seconds; the written ``t_ms`` is the host's clock,
  i.e. the true time, with three decimals and a small jitter;
* ``timing``: dropped samples (0.1 % and rare FIFO bursts; the ``cheap_50`` board: 1-2 % in
  bursts plus 0.3-0.5 s dropouts) and host stamp jitter (0.1-0.4 ms; cheap: 0.5-1.5 ms);
* ``bias_warmup``: the gyro bias settles exponentially as the die warms (0.2-0.8 deg/s,
  tau 1-3 min; cheap board 1-3 deg/s, tau 2-5 min);
* ``sensor_errors``: scale +-2 % / +-1 %, bias 20 mg / 0.5-2 deg/s, random walk, noise, int16.

The body itself (not switchable; it defines the truth): realistic pelvis dynamics (yaw 11-15 deg
p-p in good form, obliquity 9-13, tilt rocking, impact nod, soft-tissue wobble), so the waist
gyro reaches the SisFall joggers' levels; brisk walking at 125-140 steps/min with a strong bounce
but double support (vertical specific force >= ~0.5 g) and slow jogging at 140-155 with a flight
phase (~0 g); an older walker's quick walk whose troughs reach 0.1-0.2 g (``deep_walk``); walking
trades forward speed against height (fastest in double support, an inverted pendulum) where
running bounces (slowest at mid-stance); turns and 3-6 s switchbacks at speed.

Truth (``Capture.truth``, written beside the CSV as ``<stem>.truth.json``): per stride (right heel
strike to the next right heel strike) the mean of pitch - stand_pitch (pitch = Euler pitch), the
peak-to-peak of yaw after removing the straight line between its end values (the stride's
linear heading trend), the peak-to-peak of roll, and the cadence 120000 / (t1_ms - t0_ms), on
true time. Truth is evaluated on the 1 kHz grid. The truth angles are those of the waist segment
that carries the sensor: they include the impact nod and the soft-tissue wobble (zero-mean,
3-12 Hz), which is what an IMU there can measure. Extra keys: ``sensor`` (mount matrix C with
v_pelvis = C v_sensor, tilt, biases, scale errors, dropped-sample count), ``hidden`` (every
per-run effect parameter: lever arm, heel-strike shares, contact-time spread, ODR error and
clock ppm, jitter, dropouts, gyro warm-up, bank share, which effects were on), ``turns``,
``gaps`` (stretches of lost samples, true s) and ``treadmill``.

Model notes:

* "stance ~35-40 %" is read as a fraction of the stride (the duty factor): stance is 62-70 % of
  a step at 3 m/s (longer when slower), so the stance pulse peaks near 2-2.3 g once a
  heel-strike transient (2-2.8 g on top, 28-40 ms wide) has taken its share of the step's
  impulse; steps without a transient carry it all in the pulse; flight is 0 g.
* a run is synthesised in chunks (60 s by default) with continuous state: every random signal is
  a pure function of absolute time, per-step factors and contact times are drawn for the whole
  run up front, and sensor noise is drawn per block of 4096 samples by index. A chunked run
  equals the unchunked one up to float rounding in running sums; :func:`stream_capture` (and
  the CLI) write chunk by chunk, so hours-long runs need ~100-150 MB.
* body rates are continuous: the step phase is a cubic between contacts, per-step factors blend
  smoothly and turns follow a quintic ramp, so the lever arm sees no angular-velocity jumps.
* realism is checked against the SisFall waist jogging trials in ``tests/host/test_simulator.py``.

Usage::

    from hinge.sim.simulate import simulate, write_capture
    cap = simulate("mixed", seed=3)              # Capture(t_ms, acc_g, gyr_dps, truth, series, steps)
    write_capture(cap, "out/mixed.csv")          # + out/mixed.truth.json
    stream_capture("mixed", "out/long.csv", minutes=180)   # straight to disk, bounded memory
    simulate("swivel", effects={"lever_arm": False}, odr_error=0.008)

    python -m hinge.sim.simulate mixed --out out/mixed.csv --seed 3 [--minutes 4] [--rate 104] [--ideal]
        [--without lever_arm,clock] [--odr-error 0.008]
    python -m hinge.sim.simulate --list

Only numpy is used.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hinge.common import capture, devpath

from . import engine
from .body import FS_INT, G  # noqa: F401  (re-exported)
from .engine import DEFAULT_CHUNK_S, DEFAULT_RATE_HZ, EFFECTS, PAD_S  # noqa: F401
from .geometry import euler_to_matrix, euler_to_quat, mount_matrix  # noqa: F401
from .geometry import rx as _rx  # noqa: F401
from .geometry import ry as _ry  # noqa: F401
from .geometry import rz as _rz  # noqa: F401
from .scenarios import BUILDERS as _BUILDERS
from .scenarios import LONG_BUILDERS as _LONG
from .sensor import ACC_LSB_PER_G, GYR_LSB_PER_DPS, quantize  # noqa: F401

_EV = devpath.import_device("events")
# the truth labels are the device's names, so scoring compares like with like
ACTIVITIES = _EV.ACTIVITY_NAMES
# the form faults the scenarios script as episodes (drift is a run's own trend; hip drop, tilt swing and
# cadence are measures whose cues are optional, not scripted episodes)
FAULTS = tuple(_EV.REASON_NAMES[r] for r in (_EV.R_UPRIGHT, _EV.R_SWIVEL, _EV.R_BACKWARD))


@dataclass
class Capture:
    """One simulated capture: samples in the IMU's own axes plus the truth dict.

    ``t_ms`` float64 (N,) host clock in ms (= true time + jitter), ``acc_g`` (N,3) specific force
    in g, ``gyr_dps`` (N,3) deg/s, ``truth`` as written to ``.truth.json``. ``series`` holds extra
    per-sample truth (not written): the true sample time ``t_s``, the pelvis Euler angles
    ``yaw_deg``, ``pitch_deg``, ``roll_deg`` at the end of each sample's filter window, the course
    heading ``course_deg`` and speed ``speed_mps``. ``steps`` holds per-step facts (not written):
    contact time ``t_s``, ``side`` (-1 right, +1 left), ``heel`` (a heel-strike transient),
    ``duty_factor`` (contact-time factor), ``impact`` (transient size factor).
    """

    t_ms: np.ndarray
    acc_g: np.ndarray
    gyr_dps: np.ndarray
    truth: dict
    series: dict = field(default_factory=dict, repr=False)
    steps: dict = field(default_factory=dict, repr=False)

    def as_capture(self) -> capture.Capture:
        """The samples as the capture every tool reads (replay, the virtual board, the bench)."""
        return capture.Capture(self.t_ms, self.acc_g, self.gyr_dps, [])


def simulate(name: str, seed: int = 0, minutes: float | None = None, rate_hz: float | None = None,
             ideal: bool = False, *, effects: dict | None = None, odr_error: float | None = None,
             chunk_s: float | None = DEFAULT_CHUNK_S, rocking: bool = True) -> Capture:
    """Simulate scenario ``name`` (see ``SCENARIOS``) and return a :class:`Capture`.

    ``minutes`` overrides the scenario's default length, ``rate_hz`` its nominal output rate
    (50-200 Hz). ``ideal=True`` keeps the same trajectory, mount and truth but turns off every
    effect in ``EFFECTS`` (sensor errors, lever arm, step variety, clock error, dropped samples,
    stamp jitter, bias warm-up); ``effects={"lever_arm": False, ...}`` switches single ones on
    top. ``odr_error`` sets the IMU clock error (fraction, e.g. 0.008 = 0.8 % fast) instead of
    drawing it. ``chunk_s``: synthesis chunk length in s (``None``: all at once). ``rocking=False``
    (for tests and debugging) removes the sensor's rocking on the belt (impact nod and 3-12 Hz
    wobble); the rocking is part of the truth angles, so this changes the truth.
    """
    run = engine.Run(name, seed=seed, minutes=minutes, rate_hz=rate_hz, ideal=ideal, effects=effects,
                     odr_error=odr_error, rocking=rocking)
    parts = list(run.chunks(chunk_s))
    series = {k: np.concatenate([p["series"][k] for p in parts]) for k in parts[0]["series"]}
    return Capture(
        np.concatenate([p["t_ms"] for p in parts]).astype(np.float64),
        np.concatenate([p["acc_g"] for p in parts]),
        np.concatenate([p["gyr_dps"] for p in parts]),
        run.truth(),
        series,
        run.steps(),
    )


def _make_entry(name):
    def run(seed: int = 0, minutes: float | None = None, rate_hz: float | None = None, ideal: bool = False, **kw):
        return simulate(name, seed=seed, minutes=minutes, rate_hz=rate_hz, ideal=ideal, **kw)

    run.__name__ = name
    run.__doc__ = "simulate(%r, ...) (default %.0f min)" % (name, _BUILDERS[name][1])
    return run


SCENARIOS = {name: _make_entry(name) for name in _BUILDERS}


def truth_path(csv_path) -> Path:
    """``run.csv`` -> ``run.truth.json``."""
    p = Path(csv_path)
    return p.with_suffix(".truth.json") if p.suffix else p.with_name(p.name + ".truth.json")


def _comments(tr, path, dropped):
    return [
        "hinge simulated IMU capture (hinge.sim.simulate)",
        "scenario=%s seed=%d rate_hz=%g duration_s=%g" % (tr["scenario"], tr["seed"], tr["rate_hz"], tr["duration_s"]),
        "mount_up=%s mount_forward=%s" % (tr["mount_up"], tr["mount_forward"]),
        "ideal=%s dropped=%d truth=%s" % (str(tr["ideal"]).lower(), dropped, truth_path(path).name),
        "axes: IMU's own, right-handed; acc = specific force in g; gyro in deg/s; t_ms = host clock (true time)",
    ]


def write_capture(cap: Capture, path) -> None:
    """Write the CSV (with ``#`` comment lines) and the truth JSON beside it."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    tr = cap.truth
    capture.write_capture(path, cap.t_ms, cap.acc_g, cap.gyr_dps,
                          _comments({**tr, "ideal": tr["sensor"]["ideal"]}, path, tr["sensor"]["dropped"]))
    _write_truth(tr, path)


def stream_capture(name: str, path, seed: int = 0, minutes: float | None = None, rate_hz: float | None = None,
                   ideal: bool = False, *, effects: dict | None = None, odr_error: float | None = None,
                   chunk_s: float = DEFAULT_CHUNK_S) -> tuple[dict, int]:
    """Simulate straight to a CSV (and its truth JSON), chunk by chunk: memory stays bounded.

    The file is the same as ``write_capture(simulate(...), path)`` with the same ``chunk_s``.
    Returns (truth, number of samples written).
    """
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    run = engine.Run(name, seed=seed, minutes=minutes, rate_hz=rate_hz, ideal=ideal, effects=effects,
                     odr_error=odr_error)
    head = {"scenario": run.name, "seed": run.seed, "rate_hz": run.rate, "duration_s": round(run.duration, 3),
            "mount_up": run.mount_up, "mount_forward": run.mount_forward, "ideal": run.ideal}
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(capture.csv_head(_comments(head, path, run.sensor.dropped_total())))
        for part in run.chunks(chunk_s):
            f.write(capture.csv_rows(part["t_ms"], part["acc_g"], part["gyr_dps"]))
            n += len(part["t_ms"])
    tr = run.truth()
    _write_truth(tr, path)
    return tr, n


def _write_truth(tr, path):
    with open(truth_path(path), "w", encoding="utf-8") as f:
        json.dump(tr, f, indent=1)
        f.write("\n")


def read_truth(csv_path) -> dict:
    """The truth dict written beside ``csv_path``."""
    with open(truth_path(csv_path), encoding="utf-8") as f:
        return json.load(f)


def read_capture(csv_path) -> Capture:
    """Read a capture CSV (:func:`hinge.common.capture.read_capture`, with its checks) and its truth,
    when present, back into a :class:`Capture` (t_ms float64)."""
    c = capture.read_capture(csv_path)
    return Capture(c.t_ms, c.acc_g, c.gyr_dps, read_truth(csv_path) if truth_path(csv_path).exists() else {})


def _effects_arg(text):
    names = [w.strip() for w in (text or "").split(",") if w.strip()]
    bad = [w for w in names if w not in EFFECTS]
    if bad:
        raise argparse.ArgumentTypeError("unknown effect(s) %s; one of: %s" % (", ".join(bad), ", ".join(EFFECTS)))
    return names


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="hinge simulate", description="Simulate a waist-IMU capture with truth.")
    ap.add_argument("scenario", nargs="?", help="scenario name (see --list)")
    ap.add_argument("--out", help="output CSV path (truth JSON is written beside it)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--minutes", type=float, default=None)
    ap.add_argument("--rate", type=float, default=None, help="nominal output rate, Hz (50-200)")
    ap.add_argument("--ideal", action="store_true", help="the old clean world: no sensor errors, lever arm, "
                    "step variety, clock error, drops, jitter or warm-up (same trajectory and truth)")
    ap.add_argument("--without", type=_effects_arg, default=[], metavar="EFFECT[,EFFECT]",
                    help="switch single effects off: " + ", ".join(EFFECTS))
    ap.add_argument("--odr-error", type=float, default=None,
                    help="IMU clock error as a fraction (0.008 = 0.8 %% fast); default: random within +-1.5 %%")
    ap.add_argument("--list", action="store_true", help="list scenarios and exit")
    args = ap.parse_args(argv)
    if args.list:
        for nm, (fn, mins, spec) in {**_BUILDERS, **_LONG}.items():
            doc = (fn.__doc__ or "").strip().splitlines()[0]
            print("%-18s %4.1f min %5g Hz  %s" % (nm, mins, spec.get("rate_hz", DEFAULT_RATE_HZ), doc))
        return 0
    if not args.scenario or not args.out:
        ap.error("need SCENARIO and --out (or --list)")
    if args.scenario not in _BUILDERS and args.scenario not in _LONG:
        ap.error("unknown scenario %r (see --list)" % args.scenario)
    t0 = time.perf_counter()
    tr, n = stream_capture(args.scenario, args.out, seed=args.seed, minutes=args.minutes, rate_hz=args.rate,
                           ideal=args.ideal, effects={k: False for k in args.without}, odr_error=args.odr_error)
    print("%s: %d samples, %.1f s at %g Hz, %d strides, %d episodes -> %s (%.2f s)" % (
        args.scenario, n, tr["duration_s"], tr["rate_hz"], len(tr["strides"]),
        len(tr["episodes"]), args.out, time.perf_counter() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
