# Instruction-count benchmark under the unix-port micropython, run by valgrind (callgrind).
# argv: MODE N RAW_FILE CONFIG_JSON_FILE LSB_PER_G LSB_PER_KDPS [WARM_RAW_FILE]
# MODE "detector": the detector over the first N samples of RAW_FILE (blocks of 128, as main.py
# feeds it, with the heap locked around each block as app.py does: every Python frame then comes
# from the C stack, where one past 11 words would come from the heap and go back per call); MODE
# "nodynamics": the same with the running dynamics switched off here (their calls made no-ops
# and the kernel's ring left unwritten: what lean, rotation and cadence cost alone);
# MODE "madgwick": N plain float 6-axis Madgwick updates over the same samples; MODE
# "none": only the set-up (the file must hold at least the larger N). The host runs each mode at
# two N and takes the slope, so start-up and set-up cancel: instructions per sample, repeatable
# whatever else the machine is doing. WARM_RAW_FILE: the samples just before RAW_FILE's, fed to
# the detector first (through one block, read as it goes), the same at both N: what it costs
# cancels too, and the count is of a detector that has run a while (state that settles over the
# first strides, as a runner's would, is in it).
import json
import sys
from array import array

import config
import detector
from bench_run import madgwick_updates

BLOCK = 128


def main():
    mode, n, raw, cfg_path, lsb_g, lsb_k = sys.argv[1:7]
    warm = sys.argv[7] if len(sys.argv) > 7 else None
    n = int(n)
    lsb_g = int(lsb_g)
    lsb_k = int(lsb_k)
    with open(cfg_path) as f:
        cfg = config.validate(json.load(f))
    # the samples as blocks of 128, read straight from the file (no second copy: the heap is a board's)
    blocks = []
    with open(raw, "rb") as f:
        while True:
            b = array("h", bytes(2 * 7 * BLOCK))
            if f.readinto(b) < len(b) * 2:
                break
            blocks.append(b)
    if mode == "nodynamics":
        import dynamics
        import kernel

        # (fixed arities: a *args function would allocate a tuple per call)
        def _step(yb, d, ri, ks):
            return 0

        def _start(d, ri):
            return 0

        def _end(self, q, t, yb, ri):
            return 0

        dynamics.step = _step
        dynamics.stride_start = _start
        dynamics.Dynamics.stride_end = _end
    det = detector.Detector(cfg, lsb_g, lsb_k)
    if mode == "nodynamics":
        det.st[kernel.S_RMSK] = 0
    det.start(0)
    # (the blocks are read in every mode and run, so their making cancels in the slope)
    if mode in ("detector", "nodynamics"):
        import micropython

        if warm:
            wb = array("h", bytes(2 * 7 * BLOCK))
            with open(warm, "rb") as f:
                while f.readinto(wb) == len(wb) * 2:
                    micropython.heap_lock()
                    det.feed(wb, BLOCK)
                    micropython.heap_unlock()
                    det.q.clear()
        k = 0
        while k * BLOCK < n:
            micropython.heap_lock()
            det.feed(blocks[k], BLOCK)
            micropython.heap_unlock()
            det.q.clear()
            k += 1
        print(json.dumps({"mode": mode, "samples": k * BLOCK, "strides": det.strides}))
    elif mode == "madgwick":
        k = 0
        while k * BLOCK < n:
            madgwick_updates(blocks[k], BLOCK, lsb_g, lsb_k)
            k += 1
        print(json.dumps({"mode": mode, "samples": k * BLOCK}))


main()
