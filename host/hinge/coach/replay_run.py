# Runs under the unix-port micropython (MICROPYPATH = device/): feeds a raw sample file
# through the device detector and prints each event as 8 integers per line.
# argv: RAW_FILE CONFIG_JSON_FILE LSB_PER_G LSB_PER_KDPS T0_MS BLOCK (samples per feed(): replay.BLOCK)
# RAW_FILE: int16 little-endian, 7 per sample (the sample buffer contract in device/kernel.py).
import json
import sys
from array import array

import config
import detector


def main():
    raw, cfg_path, lsb_g, lsb_k, t0, block = sys.argv[1:7]
    block = int(block)
    with open(cfg_path) as f:
        cfg = config.validate(json.load(f))
    det = detector.Detector(cfg, int(lsb_g), int(lsb_k))
    det.start(int(t0))
    buf = array("h", bytes(14 * block))
    q = det.q
    w = sys.stdout.write
    with open(raw, "rb") as f:
        while True:
            nb = f.readinto(buf)
            if not nb:
                break
            put(w, q, det.feed(buf, nb // 14))
    put(w, q, det.flush())    # the end of the samples: what the detector held (a walking stride)
    w("end %d %d\n" % (det.strides, q.dropped))


def put(w, q, ne):
    """Write the queue's first ``ne`` events (8 ints a line) with ``w`` and empty it."""
    b = q.buf
    for k in range(ne):
        o = k * 8
        w("%d %d %d %d %d %d %d %d\n" % (b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5], b[o + 6], b[o + 7]))
    q.clear()


main()
