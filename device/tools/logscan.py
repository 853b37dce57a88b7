"""On-board listing of the session logs for ``hinge logs``: names, sizes, header bytes, free space.

Sent by the host (``Board.tool("logscan")``) like ``fsops``; one call lists the folder, reads the
first bytes of each file (the log header, with its wall-clock start) and the free flash, so
``hinge logs list`` costs one execution however many sessions the board holds.
"""
import binascii
import os

_DIR = 0x4000  # S_IFDIR in os.ilistdir()[1]


def scan(folder, head):
    """([(name, size or -1, hex of the first ``head`` bytes)], free bytes or -1) of the files in
    ``folder`` (a missing folder lists as empty; an unreadable file as size -1)."""
    r = []
    try:
        es = list(os.ilistdir(folder))
    except OSError:
        es = []
    for e in es:
        if e[1] == _DIR:
            continue
        p = folder + "/" + e[0]
        try:
            s = os.stat(p)[6]
            with open(p, "rb") as f:
                h = f.read(head)
        except OSError:
            s, h = -1, b""
        r.append((e[0], s, binascii.hexlify(h).decode()))
    try:
        v = os.statvfs(".")
        free = v[0] * v[4]  # f_bsize * f_bavail
    except (AttributeError, OSError):
        free = -1
    return r, free
