# Benchmark under the unix-port micropython (MICROPYPATH = device/).
# argv: RAW_FILE CONFIG_JSON_FILE LSB_PER_G LSB_PER_KDPS
# Prints JSON lines: the detector's per-sample cost and allocation, and a plain float 6-axis
# Madgwick update timed in the same process on the same samples, for scale.
import gc
import json
import sys
import time
from array import array

import config
import detector
import micropython

BLOCK = 128
REPEAT = 7


def load(path):
    import os
    size = os.stat(path)[6]
    a = array("h", bytes(size))
    with open(path, "rb") as f:
        f.readinto(a)
    return a


def bench_detector(samples, cfg, lsb_g, lsb_k):
    n = len(samples) // 7
    det = detector.Detector(cfg, lsb_g, lsb_k)
    blocks = []
    for s in range(0, n - BLOCK + 1, BLOCK):
        blocks.append(array("h", samples[s * 7:(s + BLOCK) * 7]))
    nb = len(blocks) * BLOCK
    times = []
    allocs = []
    for _ in range(REPEAT):
        det.start(0)
        gc.collect()
        gc.disable()
        a0 = gc.mem_alloc()
        t0 = time.ticks_us()
        for b in blocks:
            det.feed(b, BLOCK)
            det.q.clear()
        t1 = time.ticks_us()
        a1 = gc.mem_alloc()
        gc.enable()
        times.append(time.ticks_diff(t1, t0) / nb)
        allocs.append((a1 - a0) / nb)
    times.sort()
    # steady state under heap_lock: any allocation raises MemoryError
    locked_ok = True
    det.start(0)
    for b in blocks[:40]:
        det.feed(b, BLOCK)
        det.q.clear()
    k = 40
    nblk = len(blocks)
    q = det.q
    micropython.heap_lock()
    try:
        while k < nblk:
            det.feed(blocks[k], BLOCK)
            q.clear()
            k += 1
    except MemoryError:
        locked_ok = False
    micropython.heap_unlock()
    return times[len(times) // 2], min(allocs), nb, locked_ok, det.strides


def madgwick_updates(samples, m, lsb_g, lsb_k):
    """``m`` plain float 6-axis Madgwick IMU updates (the usual textbook form) over ``samples``."""
    beta = 0.1
    dt = 0.01
    ka = 1.0 / lsb_g
    kg = 3.141592653589793 / 180.0 * 1000.0 / lsb_k
    q0, q1, q2, q3 = 1.0, 0.0, 0.0, 0.0
    for i in range(m):
        p = i * 7
        ax = samples[p + 1] * ka
        ay = samples[p + 2] * ka
        az = samples[p + 3] * ka
        gx = samples[p + 4] * kg
        gy = samples[p + 5] * kg
        gz = samples[p + 6] * kg
        qd0 = 0.5 * (-q1 * gx - q2 * gy - q3 * gz)
        qd1 = 0.5 * (q0 * gx + q2 * gz - q3 * gy)
        qd2 = 0.5 * (q0 * gy - q1 * gz + q3 * gx)
        qd3 = 0.5 * (q0 * gz + q1 * gy - q2 * gx)
        nrm = (ax * ax + ay * ay + az * az) ** 0.5
        if nrm > 0.0:
            ax /= nrm
            ay /= nrm
            az /= nrm
            f0 = 2.0 * (q1 * q3 - q0 * q2) - ax
            f1 = 2.0 * (q0 * q1 + q2 * q3) - ay
            f2 = 2.0 * (0.5 - q1 * q1 - q2 * q2) - az
            s0 = -2.0 * q2 * f0 + 2.0 * q1 * f1
            s1 = 2.0 * q3 * f0 + 2.0 * q0 * f1 - 4.0 * q1 * f2
            s2 = -2.0 * q0 * f0 + 2.0 * q3 * f1 - 4.0 * q2 * f2
            s3 = 2.0 * q1 * f0 + 2.0 * q2 * f1
            ns = (s0 * s0 + s1 * s1 + s2 * s2 + s3 * s3) ** 0.5
            if ns > 0.0:
                qd0 -= beta * s0 / ns
                qd1 -= beta * s1 / ns
                qd2 -= beta * s2 / ns
                qd3 -= beta * s3 / ns
        q0 += qd0 * dt
        q1 += qd1 * dt
        q2 += qd2 * dt
        q3 += qd3 * dt
        nq = (q0 * q0 + q1 * q1 + q2 * q2 + q3 * q3) ** 0.5
        q0 /= nq
        q1 /= nq
        q2 /= nq
        q3 /= nq
    return q0


def bench_madgwick(samples, lsb_g, lsb_k):
    """Time madgwick_updates per sample (GC on), and its allocation (a short pass, GC off)."""
    n = min(len(samples) // 7, 20000)
    times = []
    allocs = []
    for r in range(4):
        m = n if r < 3 else 16   # the last, short pass measures allocation with the GC off (16 x ~4 KB fits a board-sized heap)
        gc.collect()
        if r == 3:
            gc.disable()
        a0 = gc.mem_alloc()
        t0 = time.ticks_us()
        madgwick_updates(samples, m, lsb_g, lsb_k)
        t1 = time.ticks_us()
        a1 = gc.mem_alloc()
        gc.enable()
        if r < 3:
            times.append(time.ticks_diff(t1, t0) / m)
        else:
            allocs.append((a1 - a0) / m)
    times.sort()
    return times[1], allocs[0]


def main():
    raw, cfg_path, lsb_g, lsb_k = sys.argv[1:5]
    lsb_g = int(lsb_g)
    lsb_k = int(lsb_k)
    with open(cfg_path) as f:
        cfg = config.validate(json.load(f))
    samples = load(raw)
    us, alloc, n, locked_ok, strides = bench_detector(samples, cfg, lsb_g, lsb_k)
    print(json.dumps({"bench": "detector_step", "engine": "micropython", "us_per_sample": round(us, 3),
                      "alloc_bytes_per_sample": round(alloc, 3)}))
    print(json.dumps({"bench": "detector_heap_locked", "engine": "micropython", "samples": n,
                      "strides": strides, "no_allocation": locked_ok}))
    mus, malloc = bench_madgwick(samples, lsb_g, lsb_k)
    print(json.dumps({"bench": "madgwick_float_update", "engine": "micropython", "us_per_sample": round(mus, 3),
                      "alloc_bytes_per_sample": round(malloc, 1)}))
    print(json.dumps({"bench": "detector_speedup_vs_madgwick", "engine": "micropython",
                      "factor": round(mus / us, 1) if us > 0 else None}))


if __name__ == "__main__":
    main()
