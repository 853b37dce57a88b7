"""Run the unchanged firmware (``device/main.py``) on the virtual board under ``micropython``.

The virtual board (``hinge/vboard``) is configured through ``HINGE_VBOARD`` (JSON): a
register-level IMU model fed from a simulator capture (its clock off by ``clock_error``, as a real
IMU's is), a folder as flash, a PWM log of the motor, a clock that runs as fast as the code. The
run ends when the capture has been played.
"""
from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from hinge.common import devpath
from hinge.common.capture import Capture, to_raw
from hinge.vboard import vmachine

VBOARD_DIR = Path(__file__).parents[1] / "vboard"


@dataclass
class Cue:
    """One vibration cue as the runner feels it: start time and the motor's on-pulses."""
    t_ms: int
    pulses: list = field(default_factory=list)   # [(on_ms, duty_pct)]
    end_ms: int = 0

    @property
    def on_ms(self) -> int:
        return sum(p[0] for p in self.pulses)

    def words(self) -> str:
        """The pulses in haptic.py's own words (tick, short, long, drone)."""
        word = devpath.import_device("haptic")._word
        return "-".join(word(ms) for ms, _ in self.pulses)


@dataclass
class VirtualRun:
    workdir: Path
    stdout: str
    events: list            # (type, t_ms, a, b, c, d, e, f) from the console lines
    messages: list          # the firmware's "H #" lines
    cues: list              # Cue
    pwm: list               # (t_ms, pin, duty_u16)
    wall_s: float
    returncode: int
    session_files: list = field(default_factory=list)
    clock_error: float = 0.0  # the virtual IMU's clock error (fraction, + = fast)


def write_source(cap: Capture, path: Path, lsb_g: int = 4096, lsb_k: int = 32800, timed: bool = True) -> dict:
    """The capture as the virtual IMU's sample source (7 int16 per sample: dt + raw counts).

    Timed (the default): dt is the capture's own time in 1/16 ms (``to_raw``), so the chip model
    samples the motion at its own clock, as a real chip does (one-to-one when the chip's rate is
    the capture's; resampled when its clock runs fast or slow). The first sample is one capture
    period after the chip starts. Untimed (``timed=False``, dt = 0): the chip plays one capture
    sample per sample period whatever its clock, so a clock error would not show.
    """
    raw = to_raw(cap, lsb_g, lsb_k)
    if not timed:
        raw[:, 0] = 0
    elif len(raw):
        raw[0, 0] = max(1, int(round(16000.0 / cap.rate_hz)))
    path.write_bytes(raw.astype("<i2").tobytes())
    return {"path": str(path), "fields": 7, "lsb_per_g": lsb_g, "lsb_per_kdps": lsb_k}


def run_firmware(cap: Capture | None, workdir, config: dict | None = None, imu: str = "lsm6dso",
                 heapsize: str = devpath.VBOARD_HEAPSIZE, timeout: float = 600, extra: dict | None = None,
                 clock_error: float | None = None, seed: int = 1, source: dict | None = None) -> VirtualRun:
    """Play ``cap`` through the firmware on a fresh virtual board in ``workdir``.

    ``source``: a sample source already written (``hinge.virtual.simsource.stream``) instead of ``cap``.
    ``clock_error``: the IMU model's clock error (a fraction, + = fast); None draws it from
    ``seed`` (uniform in +-1.5 %, ``vmachine.default_clock_error``), as ``hinge virtual`` does.
    ``extra``: more ``HINGE_VBOARD`` settings.
    """
    workdir = Path(workdir).resolve()
    fs = workdir / "flash"
    fs.mkdir(parents=True, exist_ok=True)
    if config is not None:
        (fs / "config.json").write_text(json.dumps(config))
    src = source if source is not None else write_source(cap, workdir / "imu_source.s7")
    pwm_path = workdir / "pwm.csv"
    if clock_error is None:
        clock_error = vmachine.default_clock_error(seed)
    spec = {"imu": imu, "source": src, "fs_root": str(fs), "pwm_log": str(pwm_path), "end_grace_ms": 2500,
            "clock_error": clock_error}
    spec.update(extra or {})
    env = devpath.micropython_env(VBOARD_DIR)
    env["HINGE_VBOARD"] = json.dumps(spec)
    main = str(devpath.DEVICE_DIR / "main.py")
    t0 = time.perf_counter()
    p = subprocess.run([devpath.micropython_cmd(), "-X", f"heapsize={heapsize}", "-c",
                        f"__import__('vboot').run({main!r})"],
                       capture_output=True, text=True, env=env, timeout=timeout, cwd=str(workdir))
    wall = time.perf_counter() - t0
    events, messages = parse_console(p.stdout)
    pwm = read_pwm(pwm_path)
    files = sorted((fs / "logs").glob("S*.hlg")) if (fs / "logs").exists() else []
    return VirtualRun(workdir, p.stdout + p.stderr, events, messages, cues_from_pwm(pwm), pwm, wall,
                      p.returncode, files, spec["clock_error"])


def parse_console(text: str):
    events, messages = [], []
    for line in text.splitlines():
        if line.startswith("H # "):
            messages.append(line[4:])
        elif line.startswith("H "):
            parts = line.split()[1:]
            if len(parts) == 8 and all(x.lstrip("-").isdigit() for x in parts):
                events.append(tuple(int(x) for x in parts))
    return events, messages


def read_pwm(path: Path) -> list:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        t, pin, duty = line.split(",")
        out.append((int(t), int(pin), int(duty)))
    return out


def cues_from_pwm(pwm: list, gap_ms: int = 350) -> list:
    """Group motor on-pulses into cues (a quiet gap of >= gap_ms separates two cues)."""
    pulses = []  # (start, end, duty%)
    on_at = None
    duty_pct = 0
    for t, _pin, duty in pwm:
        if duty > 0 and on_at is None:
            on_at = t
            duty_pct = 0
        if duty > 0:
            duty_pct = max(duty_pct, round(100 * duty / 65535)) if duty < 65535 else duty_pct or 100
        if duty == 0 and on_at is not None:
            pulses.append((on_at, t, duty_pct))
            on_at = None
    cues = []
    for s, e, d in pulses:
        if cues and s - cues[-1].end_ms < gap_ms:
            cues[-1].pulses.append((e - s, d))
            cues[-1].end_ms = e
        else:
            cues.append(Cue(s, [(e - s, d)], e))
    return cues
