# Instruction-count benchmark under the unix-port micropython, run by valgrind (callgrind).
# argv: MODE N RAW_FILE CONFIG_JSON_FILE LSB_PER_G LSB_PER_KDPS
# MODE "detector": the detector over the first N samples of RAW_FILE (blocks of 128, as main.py
# feeds it); MODE "madgwick": N plain float 6-axis Madgwick updates over the same samples; MODE
# "none": only the set-up. The host runs each mode at two N and takes the slope, so start-up and
# set-up cancel: instructions per sample, repeatable whatever else the machine is doing.
import json
import sys
from array import array

import config
import detector
from bench_run import load, madgwick_updates

BLOCK = 128


def main():
    mode, n, raw, cfg_path, lsb_g, lsb_k = sys.argv[1:7]
    n = int(n)
    lsb_g = int(lsb_g)
    lsb_k = int(lsb_k)
    with open(cfg_path) as f:
        cfg = config.validate(json.load(f))
    samples = load(raw)
    det = detector.Detector(cfg, lsb_g, lsb_k)
    det.start(0)
    if mode == "detector":
        blocks = [array("h", samples[s * 7:(s + BLOCK) * 7]) for s in range(0, n, BLOCK)]
        samples = None
        for b in blocks:
            det.feed(b, BLOCK)
            det.q.clear()
    elif mode == "madgwick":
        madgwick_updates(samples, n, lsb_g, lsb_k)


main()
