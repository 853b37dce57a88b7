"""Sample sources that feed the virtual IMU: a function, a list, or a binary file of int16.

Every source has ``read(out) -> bool``: fill ``out`` (an ``array('h')`` of 7) with
``[dt, ax, ay, az, gx, gy, gz]`` for its next sample and return True, or return False at the
end. ``dt`` is the time since the source's previous sample in 1/16 ms, unsigned 16-bit (stored
as its int16 bit pattern), as in the device's sample buffer. ``dt = 0`` means "untimed": the
chip model then plays one source sample per chip sample period (at the chip's period when
feeding starts). A positive ``dt`` places the sample on the source's own timeline and the chip
resamples it at its own sampling instants (linear interpolation).

Optional attributes ``lsb_per_g`` and ``lsb_per_kdps`` (counts per g, counts per 1000 deg/s)
declare the source's scale; the chip model then rescales to its own configured full scale.
Without them the counts pass through unchanged (they must already be at the chip's scale).

File formats (little-endian int16, no header):
* ``fields=6``: ``ax ay az gx gy gz`` per sample (the host's conversion of a capture CSV);
  timing from ``rate_hz`` (integer phase accumulator, as the drivers use) or untimed if None.
* ``fields=7``: ``dt ax ay az gx gy gz`` per sample (dt in 1/16 ms, unsigned): the device's own
  sample-buffer layout, so a raw capture written by the board replays with its own timing.
"""
from array import array


class _Timed:
    def _init_timing(self, rate_hz, lsb_per_g, lsb_per_kdps):
        self.rate_hz = rate_hz
        self.lsb_per_g = lsb_per_g
        self.lsb_per_kdps = lsb_per_kdps
        self._acc = 0

    def _dt(self):
        r = self.rate_hz
        if not r:
            return 0
        # period 16000/rate in 1/16 ms; rate may be fractional (given in Hz as int or float)
        num, den = (16000, r) if isinstance(r, int) else (16000000, int(r * 1000 + 0.5))
        self._acc += num
        d = self._acc // den
        self._acc -= d * den
        return d


class FuncSource(_Timed):
    """``fn(i)`` returns 6 ints for sample ``i`` (0, 1, ...) or None to end; ``n`` caps the count."""

    def __init__(self, fn, n=None, rate_hz=None, lsb_per_g=None, lsb_per_kdps=None):
        self.fn = fn
        self.n = n
        self.i = 0
        self._init_timing(rate_hz, lsb_per_g, lsb_per_kdps)

    def read(self, out):
        if self.n is not None and self.i >= self.n:
            return False
        v = self.fn(self.i)
        if v is None:
            return False
        self.i += 1
        out[0] = self._dt()
        for k in range(6):
            out[1 + k] = v[k]
        return True


class ArraySource(_Timed):
    """Samples from a flat int16 sequence (``array('h')``, list) of ``fields`` (6 or 7) per sample."""

    def __init__(self, data, fields=6, rate_hz=None, lsb_per_g=None, lsb_per_kdps=None):
        if fields not in (6, 7):
            raise ValueError("fields must be 6 or 7")
        self.data = data
        self.fields = fields
        self.pos = 0
        self._init_timing(rate_hz, lsb_per_g, lsb_per_kdps)

    def read(self, out):
        d = self.data
        p = self.pos
        f = self.fields
        if p + f > len(d):
            return False
        if f == 7:
            out[0] = d[p]
            p += 1
        else:
            out[0] = self._dt()
        for k in range(6):
            out[1 + k] = d[p + k]
        self.pos = p + 6
        return True


class FileSource(_Timed):
    """Streams a binary file of little-endian int16 samples (see the module notes)."""

    def __init__(self, path, fields=6, rate_hz=None, lsb_per_g=None, lsb_per_kdps=None, chunk=256, start=0):
        if fields not in (6, 7):
            raise ValueError("fields must be 6 or 7")
        self.path = path
        self.fields = fields
        self._f = open(path, "rb")  # noqa: SIM115 (streamed; closed at the end)
        if start:  # begin ``start`` samples in (a board powered up again in the middle of a run)
            self._f.seek(start * fields * 2)
        self._buf = bytearray(chunk * fields * 2)
        self._mv = memoryview(self._buf)
        self._len = 0
        self._pos = 0
        self._init_timing(rate_hz, lsb_per_g, lsb_per_kdps)

    def _fill(self):
        rest = self._len - self._pos
        if rest:
            self._buf[:rest] = self._buf[self._pos:self._len]
        n = self._f.readinto(self._mv[rest:])
        self._len = rest + (n or 0)
        self._pos = 0

    def read(self, out):
        need = self.fields * 2
        if self._len - self._pos < need:
            self._fill()
            if self._len - self._pos < need:
                self.close()
                return False
        b = self._buf
        p = self._pos
        k = 0
        if self.fields == 6:
            out[0] = self._dt()
            k = 1
        for i in range(self.fields):
            v = b[p] | (b[p + 1] << 8)
            out[k + i] = ((v ^ 0x8000) - 0x8000)
            p += 2
        self._pos = p
        return True

    def close(self):
        if self._f is not None:
            self._f.close()
            self._f = None


def write_samples(path, rows, fields=6):
    """Write ``rows`` (iterables of ``fields`` ints) as little-endian int16 (host helper); a
    value above 32767 (a 7-field row's unsigned dt) is stored as its 16-bit pattern."""
    a = array("h")
    for r in rows:
        if len(r) != fields:
            raise ValueError("each row needs %d values" % fields)
        for v in r:
            a.append(((v + 0x8000) & 0xFFFF) - 0x8000)
    b = bytearray(len(a) * 2)
    for i in range(len(a)):
        v = a[i] & 0xFFFF
        b[2 * i] = v & 0xFF
        b[2 * i + 1] = v >> 8
    with open(path, "wb") as f:
        f.write(b)
    return len(a) // fields


def from_spec(spec):
    """Build a source from a dict: ``{"path": ..., "fields": 6, "rate_hz": 104, "lsb_per_g": ...,
    "start": samples to skip}``."""
    return FileSource(
        spec["path"],
        fields=spec.get("fields", 6),
        rate_hz=spec.get("rate_hz"),
        lsb_per_g=spec.get("lsb_per_g"),
        lsb_per_kdps=spec.get("lsb_per_kdps"),
        start=spec.get("start", 0),
    )
