"""On-board file operations for the host (``hinge.board.transport``): list, read, write, hash.

Not part of the firmware and not deployed: the host sends this file's text once per connection
(``Board.tool("fsops")``) and then calls its functions with arguments, one short line per call,
e.g. ``_hinge_fsops.read_range('logs/S0007.hlg', 0, 16384, 1024)``. It runs on a bare MicroPython
board too (``hinge flash`` writes the app with it), so it imports nothing of the firmware.

File data travels as base64 lines: binary would collide with the raw REPL's 0x04 framing. A
read prints the file's size, then one line per ``chunk`` bytes; the host checks the total.
Paths are relative to the board's root (the host strips a leading ``/``).
"""
import binascii
import os

_DIR = 0x4000  # S_IFDIR in os.stat()[0] / os.ilistdir()[1]
_BLOCK = 1024  # bytes hashed per read: one buffer, reused (a board has ~100 KB of heap)

_f = None  # the file a write_open/write_chunk/write_close sequence writes


def listdir(p):
    """[(name, is_dir, size in bytes)] of folder ``p`` ('' = the root)."""
    r = []
    for e in (os.ilistdir(p) if p else os.ilistdir()):
        d = e[1] == _DIR
        s = e[3] if len(e) > 3 else 0
        if not d and not s:  # a port whose ilistdir has no size
            s = os.stat((p + "/" if p else "") + e[0])[6]
        r.append((e[0], d, s))
    return r


def stat(p):
    """``os.stat(p)`` as a tuple (mode, ..., size at [6], ...)."""
    return tuple(os.stat(p))


def mkdir(p, exist_ok):
    """Make folder ``p`` and its parents; an existing one is an error only without ``exist_ok``."""
    parts = p.split("/")
    for k in range(1, len(parts) + 1):
        try:
            os.mkdir("/".join(parts[:k]))
        except OSError as e:
            if e.errno != 17 or (not exist_ok and k == len(parts)):  # 17: EEXIST
                raise


def remove(p):
    os.remove(p)


def rmdir(p):
    os.rmdir(p)


def read(p, chunk):
    """Print the size of file ``p``, then its bytes as base64 lines of ``chunk`` bytes each."""
    read_range(p, 0, os.stat(p)[6], chunk)


def read_range(p, offset, n, chunk):
    """Print the size of file ``p``, then up to ``n`` bytes from byte ``offset`` as base64 lines
    of ``chunk`` bytes (fewer at the file's end, none past it)."""
    print(os.stat(p)[6])
    with open(p, "rb") as f:
        f.seek(offset)
        while n > 0:
            b = f.read(chunk if chunk < n else n)
            if not b:
                break
            n -= len(b)
            print(binascii.b2a_base64(b).decode(), end="")


def write_open(tmp):
    """Start writing ``tmp`` (the host's temp name; :func:`write_close` renames it)."""
    global _f
    write_abort(None)
    _f = open(tmp, "wb")


def write_chunk(b64):
    """Append the bytes of one base64 text to the open file."""
    _f.write(binascii.a2b_base64(b64))


def write_close(tmp, p, n):
    """Close ``tmp``, check it holds ``n`` bytes and rename it over ``p`` (atomic where the
    filesystem renames over a file; FAT will not, so ``p`` is removed first there)."""
    global _f
    f, _f = _f, None
    f.close()
    s = os.stat(tmp)[6]
    if s != n:
        raise OSError("wrote %d bytes, expected %d" % (s, n))
    try:
        os.rename(tmp, p)
    except OSError:
        os.remove(p)
        os.rename(tmp, p)


def write_abort(tmp):
    """Close a half-written file and remove ``tmp`` (None: only close); never raises."""
    global _f
    f, _f = _f, None
    if f is not None:
        try:
            f.close()
        except OSError:
            pass
    if tmp:
        try:
            os.remove(tmp)
        except OSError:
            pass


def _algo():
    """'sha256' where the firmware has hashlib.sha256, else 'crc32'."""
    try:
        import hashlib

        hashlib.sha256
        return "sha256"
    except (ImportError, AttributeError):
        return "crc32"


def _digest(p, algo, buf, mv):
    h = None
    if algo == "sha256":
        import hashlib

        h = hashlib.sha256()
    c = 0
    with open(p, "rb") as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            if h:
                h.update(mv[:n])
            else:
                c = binascii.crc32(mv[:n], c)
    return binascii.hexlify(h.digest()).decode() if h else "%08x" % (c & 0xFFFFFFFF)


def checksum(p):
    """(algorithm, hex digest) of file ``p``: sha256, or crc32 without hashlib.sha256."""
    buf = bytearray(_BLOCK)
    a = _algo()
    return a, _digest(p, a, buf, memoryview(buf))


def checksums(ps):
    """Print ``(path, algorithm, hex)`` per path, one line each; ``(path, None, None)`` for a
    file that cannot be opened (missing)."""
    buf = bytearray(_BLOCK)
    mv = memoryview(buf)
    a = _algo()
    for p in ps:
        try:
            print(repr((p, a, _digest(p, a, buf, mv))))
        except OSError:
            print(repr((p, None, None)))


def info():
    """(name, version tuple, _mpy or None, platform, machine, build) of this MicroPython."""
    import sys

    i = sys.implementation
    return (i.name, tuple(i.version), getattr(i, "_mpy", None), sys.platform,
            getattr(i, "_machine", ""), getattr(i, "_build", ""))
