"""Firmware-runtime figures for `make bench`: awake share, log density, peak heap, battery hours.

The firmware (device/main.py, unchanged) runs on the virtual board under the unix-port
micropython with a simulated run. It reports the CPU time it spent awake (ticks_us around each
wake-up); the virtual board reports the time its own register models took inside that (not
the firmware's: a real IMU answers in hardware) and the I2C bytes moved. Then:

    awake share on the ESP32 = (firmware CPU time x ESP32_FACTOR
                                + I2C bytes x 9 bits / bus clock
                                + wake-ups x WAKE_MS + motor cue time) / run time

ESP32_FACTOR = 86: the median slowdown of MicroPython's own perf_bench between this unix port
and published ESP32 (240 MHz) scores (micropython-notes.md; range 65-120); main.py runs the ESP32
at MicroPython's default 160 MHz, so the factor is scaled by 240/160. WAKE_MS = 1 ms per light
sleep round trip (ESP-IDF documents sub-millisecond wake-up from light sleep; 1 ms is a
conservative allowance). Currents are hardware/power.md's datasheet figures.
"""
from __future__ import annotations

import re
import tempfile

from hinge.logs import logdecode
from hinge.sim import simulate
from hinge.virtual import vrun

ESP32_FACTOR = 86 * 240 / 160
WAKE_MS = 1.0
I2C_HZ = 400_000
CAPACITY_MAH = 500
I_AWAKE, I_SLEEP, I_MOTOR_WORST = 44.0, 2.0, 1.0
I_IMU = {"lsm6dso": 0.55, "mpu6500": 3.65}
CUE_S_PER_H = 8.0  # typical: 10 cues/h x 0.8 s (power.md); the worst case is 48 s/h

_END = re.compile(r"end: (\d+) ms of samples, (\d+) strides, (\d+) loops, awake (\d+) ms .* heap peak (\d+) bytes")
_VEND = re.compile(r"virtual: end sim_us=(\d+) i2c_bytes=(\d+) i2c_transfers=(\d+) lightsleep_ms=(\d+) now_ms=(\d+)")


def measure(scenario: str, imu: str, seed: int = 1, repeats: int = 3) -> dict:
    """Run the firmware ``repeats`` times; keep the run with the least CPU (least disturbed)."""
    sim = simulate.simulate(scenario, seed=seed)
    cap = sim.as_capture()
    cfg = {"version": 1, "mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"]}
    best = None
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as td:
            vr = vrun.run_firmware(cap, td, config=cfg, imu=imu)
            if vr.returncode != 0:
                raise RuntimeError(f"firmware failed on the virtual board: {vr.stdout[-300:]}")
            m = next((_END.search(x) for x in vr.messages if _END.search(x)), None)
            v = next((_VEND.search(x) for x in vr.messages if _VEND.search(x)), None)
            if not m or not v:
                raise RuntimeError("no end-of-run figures from the firmware")
            sess = logdecode.decode_session(vr.session_files[-1])
            data = vr.session_files[-1].read_bytes()
            hdr = data.find(logdecode.fmt.SYNC)
            run_ms, strides, loops, awake_ms, heap = (int(x) for x in m.groups())
            awake_us = awake_ms * 1000
            sim_us, i2c_bytes, _, sleep_ms, now_ms = (int(x) for x in v.groups())
            r = {"run_s": run_ms / 1000, "strides": strides, "loops": loops, "awake_us": awake_us,
                 "sim_us": sim_us, "fw_us": max(0, awake_us - sim_us), "i2c_bytes": i2c_bytes,
                 "lightsleep_ms": sleep_ms, "heap_peak": heap, "log_bytes": len(data),
                 "log_header": hdr if hdr > 0 else 0, "log_strides": int(len(sess.strides)),
                 "cues": len(vr.cues), "cue_on_ms": sum(c.on_ms for c in vr.cues)}
            if best is None or r["fw_us"] < best["fw_us"]:
                best = r
    return best


def hours(share: float, imu: str, motor_ma: float) -> float:
    return CAPACITY_MAH / (I_AWAKE * share + I_SLEEP * (1 - share) + I_IMU[imu] + motor_ma)


def rows() -> list[dict]:
    out = []
    for scenario, imu in (("rate_100", "mpu6500"), ("mixed", "lsm6dso")):
        r = measure(scenario, imu)
        run_s = r["run_s"]
        cpu = r["fw_us"] * ESP32_FACTOR / 1e6 / run_s
        bus = r["i2c_bytes"] * 9 / I2C_HZ / run_s
        wake = r["loops"] * WAKE_MS / 1000 / run_s
        motor = CUE_S_PER_H / 3600
        share = cpu + bus + wake + motor
        rate = 100 if imu == "mpu6500" else 104
        out.append({"bench": "awake_share", "scenario": scenario, "imu": imu, "rate_hz": rate,
                    "fw_cpu_us_per_s_unix": round(r["fw_us"] / run_s, 1),
                    "sim_cpu_us_per_s_unix": round(r["sim_us"] / run_s, 1),
                    "esp32_factor": ESP32_FACTOR, "cpu_share": round(cpu, 4), "i2c_share": round(bus, 4),
                    "wake_share": round(wake, 4), "motor_share": round(motor, 4),
                    "awake_share_esp32": round(share, 4), "wakeups_per_s": round(r["loops"] / run_s, 2)})
        out.append({"bench": "battery_hours", "imu": imu, "awake_share": round(share, 4),
                    "hours_500mAh_typical_cues": round(hours(share, imu, 75 * CUE_S_PER_H / 3600), 1),
                    "hours_500mAh_worst_cues": round(hours(share + 40 / 3600, imu, I_MOTOR_WORST), 1),
                    "hours_425mAh_worst_cues": round(hours(share + 40 / 3600, imu, I_MOTOR_WORST) * 0.85, 1)})
        body = r["log_bytes"] - r["log_header"]
        per = body / max(r["log_strides"], 1)
        out.append({"bench": "log_density", "scenario": scenario, "strides": r["log_strides"],
                    "file_bytes": r["log_bytes"], "header_bytes": r["log_header"],
                    "bytes_per_stride_incl_header": round(r["log_bytes"] / max(r["log_strides"], 1), 2),
                    "bytes_per_stride_records": round(per, 2),
                    "race_30h_kib": round((r["log_header"] + per * 85 * 60 * 30) / 1024, 1)})
        out.append({"bench": "peak_heap", "scenario": scenario, "imu": imu, "live_heap_bytes_unix64": r["heap_peak"],
                    "note": "64-bit unix port, device modules as source + virtual board models in the same heap"})
    return out


if __name__ == "__main__":
    import json

    for row in rows():
        print(json.dumps(row, separators=(",", ":")))
