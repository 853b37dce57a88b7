"""The capture CSV format (read, check, convert to the IMU's raw counts).

Format: UTF-8 (a byte-order mark is allowed), plain or gzip-compressed (told by its first two
bytes, not its name: loggers and data sets ship ``.csv.gz``; a stream cut short keeps its whole
lines and says so in ``comments``, as does a plain file whose writing stopped mid-line: its
last line, short and with no newline, is dropped); lines starting with ``#`` are comments; header
``t_ms,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps`` (the columns are found by name, in any case and
order, and a logger's further columns, e.g. a magnetometer or a temperature, are read past and
named in ``comments``); a sample with a NaN or infinite value is one the logger did not get: it
is read as dropped and counted in ``comments``; ``t_ms`` increasing, in milliseconds with any number
of decimals (a 104 Hz logger stamps 9.615 ms apart; a host stamping in microseconds writes three
decimals), or repeating in packets (a logger that stamps each packet on arrival: ``packet_times``),
at a nominal rate of 50-208 Hz (faster: ``board_rate``; a missing sample shows as a gap); the IMU's own
right-handed axes; accelerometer in g (+1 g on the axis pointing up when still), gyro in deg/s.

``t_ms`` is the capture's clock and the truth for replay: an IMU whose output rate is 1-2 % off
its nominal value still replays at its true cadence, because replay uses these timestamps, not
the nominal rate.
"""
from __future__ import annotations

import zlib
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HEADER = ("t_ms", "ax_g", "ay_g", "az_g", "gx_dps", "gy_dps", "gz_dps")
# The supported output rates are 50-208 Hz (the LSM6DS family's nearest to 200 is 208 Hz); an
# IMU's own clock is only good to about +-1-2 % (its internal oscillator), so a capture stamped by
# a true clock may show its median interval that far off the nominal rate: allow 3 %.
RATE_TOL = 0.03
RATE_MIN_HZ = 50.0 * (1 - RATE_TOL)
RATE_MAX_HZ = 208.0 * (1 + RATE_TOL)
# A faster logger (research IMUs record at 256-1000 Hz) is read as the board's IMU would give
# the same motion at 1/k of the rate (``board_rate``); past 1 kHz a capture is more likely
# mis-stamped (seconds or microseconds taken for ms) than real.
READ_MAX_HZ = 1000.0 * (1 + RATE_TOL)
# the accelerometer's mean |a| over a capture, g: see read_capture
ACC_MEAN_MIN_G = 0.25
ACC_MEAN_MAX_G = 4.0
# the gyro in deg/s (see _check_gyro): gait is where |a|'s SD over 2 s passes 0.2 g; over 10 s
# of it the rate's 99th percentile must lie within 10-4000 deg/s
GAIT_SD_G = 0.2
GAIT_MIN_S = 10.0
GYRO_P99_MIN_DPS = 10.0
GYRO_P99_MAX_DPS = 4000.0
DT_UNITS_PER_MS = 16      # the sample buffer's dt is in 1/16 ms (62.5 us), unsigned 16-bit
DT_MAX = 0xFFFF           # 4095.94 ms: a longer gap saturates (the detector restarts its stride)


class CaptureError(ValueError):
    """A malformed capture; the message is one line and names the file line."""


@dataclass
class Capture:
    t_ms: np.ndarray      # float64 ms, increasing (fractional ms allowed)
    acc_g: np.ndarray     # (N, 3) float
    gyr_dps: np.ndarray   # (N, 3) float
    comments: list[str]

    @property
    def rate_hz(self) -> float:
        """Nominal rate from the median sample interval."""
        if len(self.t_ms) < 2:
            return 0.0
        return 1000.0 / float(np.median(np.diff(self.t_ms)))

    @property
    def duration_s(self) -> float:
        return float(self.t_ms[-1] - self.t_ms[0]) / 1000.0 if len(self.t_ms) else 0.0


def board_rate(cap: Capture) -> tuple[Capture, int]:
    """``cap`` at a rate the board's IMUs give (50-208 Hz), and the k it was divided by: a faster
    capture becomes the means of k samples in a row (``block_mean``, the smallest k that brings
    it within 208 Hz: 256 Hz -> 128, 400 -> 200, 1000 -> 200), as an IMU at that output rate
    averages its period. The detector is then the one the board runs (its dynamics ring holds
    a slow walking stride at 208 Hz, not at 400). k = 1: ``cap`` itself."""
    k = 1
    while cap.rate_hz / k > RATE_MAX_HZ:
        k += 1
    return (cap, 1) if k == 1 else (block_mean(cap, k), k)


def block_mean(cap: Capture, k: int) -> Capture:
    """``cap`` as an IMU at 1/``k`` of its rate would give it: each sample the mean of ``k`` in a
    row (a lower output data rate averages its period), stamped at the block's last (a sample
    is its period's average, centred half a period before its stamp, as the kernel assumes).
    A trailing part block is dropped; gaps stay gaps (a block spans them, as a FIFO would)."""
    if k < 1:
        raise ValueError(f"block_mean: k must be >= 1, not {k}")
    n = (len(cap.t_ms) // k) * k
    acc = np.asarray(cap.acc_g, float)[:n].reshape(-1, k, 3).mean(axis=1)
    gyr = np.asarray(cap.gyr_dps, float)[:n].reshape(-1, k, 3).mean(axis=1)
    return Capture(t_ms=np.asarray(cap.t_ms, float)[k - 1:n:k], acc_g=acc, gyr_dps=gyr, comments=list(cap.comments))


def read_capture(path, units: bool = True) -> Capture:
    """Read and check a capture CSV; raise CaptureError('FILE:LINE: problem') when malformed.
    ``units``: also check that the accelerometer reads g and the gyro deg/s (False: what a board
    recorded is kept whatever its sensor gave, e.g. zeros from one that stopped answering)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CaptureError(f"{path}: no such file") from None
    comments: list[str] = []
    if data[:2] == GZIP_MAGIC:
        data, torn = _gunzip(path, data)
        if torn:
            comments.append(torn)
    try:
        text = data.decode("utf-8-sig")  # -sig: a leading byte-order mark is dropped
    except UnicodeDecodeError as e:
        raise CaptureError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    rows = array("d")           # the samples' values in HEADER's order, flat (8 bytes each: an
    nv = len(HEADER)            # hour at 200 Hz is 40 MB, where lists of floats took 500)
    header_seen = False
    pick: list[int] = []        # the file's column of each HEADER name, in HEADER's order
    width = len(HEADER)
    lines = text.splitlines()
    # A logger stopped mid-write (a flat battery, a pulled card) leaves its last line without
    # its newline and short: that line is dropped and said, every whole one before it kept (as
    # for a gzip stream cut short). A short line anywhere else is a malformed file.
    open_end = bool(text) and not text.endswith(("\n", "\r"))
    last = len(lines)
    while last > 0 and not lines[last - 1].strip():
        last -= 1
    nonfinite = 0               # samples whose values are NaN or infinite, and the first's line
    nonfinite_at = 0
    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            comments.append(line[1:].strip())
            continue
        if not header_seen:
            pick, extra = _columns(path, lineno, line)
            width = len(pick) + len(extra)
            if extra:
                comments.append(f"{READ_PAST}: {', '.join(extra)}")
            header_seen = True
            continue
        parts = line.split(",")
        torn = open_end and lineno == last
        if len(parts) != width:
            if torn:
                comments.append(f"{TORN_LINE} (line {lineno}: {len(parts)} of {width} values): dropped")
                break
            raise CaptureError(f"{path}:{lineno}: expected {width} values, got {len(parts)}")
        parts = [parts[i] for i in pick]
        try:
            vals = [float(p) for p in parts]
        except ValueError:
            if torn:
                comments.append(f"{TORN_LINE} (line {lineno}: not a number): dropped")
                break
            bad = next(p for p in parts if not _is_number(p))
            raise CaptureError(f"{path}:{lineno}: not a number: {bad.strip()[:40]!r}") from None
        if any(v != v or v in (float("inf"), float("-inf")) for v in vals):
            # A logger that writes NaN for a sample it did not get (a missed read, a sensor
            # that did not answer): the sample is not there, as a dropped one is (the gap in
            # t_ms shows it; the detector bridges gaps), and the rest of the capture is read.
            nonfinite += 1
            if nonfinite == 1:
                nonfinite_at = lineno
            continue
        if rows and vals[0] < rows[-nv]:
            raise CaptureError(f"{path}:{lineno}: t_ms {parts[0].strip()} not after the previous {rows[-nv]:g}")
        rows.extend(vals)
    if not header_seen:
        raise CaptureError(f"{path}: no header line ({','.join(HEADER)})")
    if nonfinite:
        comments.append(f"{NONFINITE}: {nonfinite} sample{'s' if nonfinite > 1 else ''} (the first at line "
                        f"{nonfinite_at}) read as dropped")
    if len(rows) < 2 * nv:
        raise CaptureError(f"{path}: fewer than 2 samples")
    a = np.frombuffer(rows, dtype=np.float64).reshape(-1, nv)
    t = a[:, 0].copy()
    if np.any(np.diff(t) == 0):
        t, said = packet_times(t)
        if said is None:
            raise CaptureError(f"{path}: t_ms repeats but not in packets (no interval between packets to "
                               f"time their samples by)")
        comments.append(said)
    cap = Capture(t, a[:, 1:4].copy(), a[:, 4:7].copy(), comments)
    rate = cap.rate_hz
    if not RATE_MIN_HZ <= rate <= READ_MAX_HZ:
        raise CaptureError(f"{path}: sample rate {rate:.1f} Hz outside 50-1000 Hz (+-{100 * RATE_TOL:g} % for the IMU's clock; "
                           f"is t_ms in milliseconds?)")
    # The accelerometer in g: over any stretch of standing, walking or running the specific
    # force averages to gravity, 1 g, so the mean of its magnitude is at least about that (a
    # mean of lengths is no shorter than the length of the mean; 1.0-1.5 g while running).
    # Outside 0.25-4 g the column is not in g: m/s^2 reads 9.8 at rest, mg 1000, a sensor
    # that never answered 0.
    if units:
        m = float(np.mean(np.linalg.norm(cap.acc_g, axis=1)))
        if not ACC_MEAN_MIN_G <= m <= ACC_MEAN_MAX_G:
            raise CaptureError(f"{path}: the accelerometer's mean |a| is {m:.3g}, not near 1 g: ax_g..az_g must be in g "
                               f"(m/s^2 reads 9.8 at rest, mg 1000)")
        _check_gyro(path, cap)
        said = clipping(cap)
        if said:
            cap.comments.append(said)
    return cap


def clipping(cap: Capture) -> str:
    """What the capture's logger clipped at its full scale ('' if nothing): an axis held at its
    largest magnitude on CLIP_MIN_SAMPLES samples or more (a flat top: a signal that the sensor
    measured reaches its largest value once, or a few times where it is written in coarse steps
    of 0.01 g; one cut at the full scale sits there on every sample past it: cut at 2 g, 8-23 %
    of the crosscheck runs' samples, several in each hard landing). Only where a full scale can lie (an
    accelerometer's from 2 g, a gyro's from 125 deg/s). A cut accelerometer matters to lean: the
    landings' peaks, cut along the sensor's up axis, which leans forward of gravity, take a
    share across the vertical out of the stride's mean force (the crosscheck's x1 and x2 cut at
    2 g: lean median 0.11 -> 0.59 and 0.69 deg; at 4 g nothing moved)."""
    out = []
    why = []
    for name, vals, least, unit, what in (
            ("ax_g", cap.acc_g, CLIP_ACC_MIN_G, "g", "lean reads forward of the truth (0.5-0.6 deg cut at 2 g)"),
            ("gx_dps", cap.gyr_dps, CLIP_GYR_MIN_DPS, "deg/s", "turns past it are lost to tilt and heading")):
        v = np.abs(np.asarray(vals, float))
        top = v.max(axis=0)
        held = (v >= top * (1.0 - CLIP_REL)).sum(axis=0)
        cut = [i for i in range(3) if top[i] >= least and held[i] >= CLIP_MIN_SAMPLES]
        if cut:
            axes = "/".join(name[0] + "xyz"[i] + name[2:] for i in cut)
            n = int(max(held[i] for i in cut))
            out.append(f"{axes} at +-{max(top[i] for i in cut):.3g} {unit} on up to {n} samples "
                       f"({100.0 * n / len(v):.2g} %)")
            why.append(what)
    if not out:
        return ""
    return (f"{CLIPPED}: {'; '.join(out)}, the logger's full scale: {'; '.join(why)}; log at +-8 g and 1000 deg/s "
            f"or more")


def gait_gyro_p99(cap: Capture) -> tuple[float, float]:
    """(seconds of gait, the 99th percentile of the gyro's magnitude over them): gait is where the
    accelerometer's magnitude swings (its SD over 2 s above GAIT_SD_G: every step's landing and
    push-off move it by 0.3-2 g; standing, sitting or a still sensor stay within a few 0.01 g)."""
    t = np.asarray(cap.t_ms, float)
    if len(t) < 4:
        return 0.0, 0.0
    per = float(np.median(np.diff(t)))
    w = max(int(round(2000.0 / per)), 2)
    n = len(t) // w
    if n == 0:
        return 0.0, 0.0
    a = np.linalg.norm(np.asarray(cap.acc_g, float)[:n * w], axis=1).reshape(n, w)
    g = np.linalg.norm(np.asarray(cap.gyr_dps, float)[:n * w], axis=1).reshape(n, w)
    gait = a.std(axis=1) > GAIT_SD_G
    if not gait.any():
        return 0.0, 0.0
    return float(gait.sum() * w * per / 1000.0), float(np.percentile(g[gait], 99))


def _check_gyro(path, cap: Capture) -> None:
    """The gyro in deg/s: in gait the pelvis turns +-4-10 deg a stride at ~1 Hz (25-60 deg/s at
    its peaks) and every landing jolts it by ~100 deg/s, so over GAIT_MIN_S of gait the 99th
    percentile of the rate's magnitude is far above GYRO_P99_MIN_DPS; in rad/s the same motion
    reads 0.4-6. Nor can it pass GYRO_P99_MAX_DPS, the widest full scale of the IMUs a logger
    carries (4000 deg/s; a pelvis in gait peaks at 300-600): in mdps it reads 1000 times more.
    A gyro that reads exactly 0 throughout is a logger with none (an accelerometer-
    only research logger, written with zero columns): replayed, and said (``NO_GYRO``): its
    rotation is not measured."""
    if not np.any(cap.gyr_dps):
        cap.comments.append(NO_GYRO)
        return
    secs, p99 = gait_gyro_p99(cap)
    if secs >= GAIT_MIN_S and p99 < GYRO_P99_MIN_DPS:
        raise CaptureError(f"{path}: the gyro's rate is at most {p99:.3g} (99th percentile) over {secs:.0f} s of gait, "
                           f"not deg/s: gx_dps..gz_dps must be in deg/s (rad/s reads 57 times less)")
    if secs >= GAIT_MIN_S and p99 > GYRO_P99_MAX_DPS:
        raise CaptureError(f"{path}: the gyro's rate is {p99:.3g} (99th percentile) over {secs:.0f} s of gait, past any "
                           f"IMU's full scale: gx_dps..gz_dps must be in deg/s (mdps reads 1000 times more)")


def _columns(path, lineno: int, line: str) -> tuple[list[int], list[str]]:
    """The header line's column of each HEADER name (in HEADER's order) and its other columns'
    names; CaptureError when a name is missing or given twice."""
    cols = [c.strip().lower() for c in line.split(",")]      # (T_MS, Ax_g: the same names)
    missing = [h for h in HEADER if h not in cols]
    if missing:
        raise CaptureError(f"{path}:{lineno}: expected header {','.join(HEADER)} (any order), got {line[:80]} "
                           f"(no {', '.join(missing)})")
    twice = sorted({c for c in cols if c in HEADER and cols.count(c) > 1})
    if twice:
        raise CaptureError(f"{path}:{lineno}: column {', '.join(twice)} given twice in the header")
    return [cols.index(h) for h in HEADER], [c or "(unnamed)" for c in cols if c not in HEADER]


GZIP_MAGIC = b"\x1f\x8b"
CUT_SHORT = "gzip stream cut short"      # the comment a torn .csv.gz's capture carries


def _gunzip(path, data: bytes) -> tuple[bytes, str]:
    """A gzip capture's text, and what was lost if the stream stops early ('' if nothing): a
    copy cut short (a full card, a pulled cable) keeps every whole line before the cut."""
    d = zlib.decompressobj(wbits=31)     # 31: gzip header and trailer
    try:
        out = d.decompress(data)
    except zlib.error as e:
        raise CaptureError(f"{path}: not a readable gzip stream ({e})") from None
    if d.eof:
        return out, ""
    keep = out[:out.rfind(b"\n") + 1]
    n = keep.count(b"\n")
    cut = ", dropped the partial one after them" if len(keep) < len(out) else ""
    return keep, f"{CUT_SHORT}: read its {n} whole lines{cut}"


READ_PAST = "columns read past"            # the comment naming a logger's further columns
TORN_LINE = "last line cut short"          # the comment of a plain capture whose writing stopped mid-line
NONFINITE = "NaN or infinite values"       # the comment of a capture with samples it did not get
PACKETS = "t_ms repeats in packets"      # the comment a packet-stamped capture's Capture carries
NO_GYRO = "the gyro reads 0 throughout (a logger without one): rotation is not measured"
CLIPPED = "clipped"                      # the comment of a capture whose logger cut at its full scale
CLIP_MIN_SAMPLES = 10     # samples at an axis's largest magnitude that make it a flat top (clipping)
CLIP_REL = 1e-6           # "at it": within a millionth (a float written with 6+ digits)
CLIP_ACC_MIN_G = 1.9      # no accelerometer's full scale lies below 2 g
CLIP_GYR_MIN_DPS = 120.0  # nor a gyro's below 125 deg/s
# the comments that say how the file was read (not the file's own): a tool replaying it says them
NOTICES = (CUT_SHORT, READ_PAST, TORN_LINE, NONFINITE, PACKETS, NO_GYRO, CLIPPED)


def packet_times(t_ms) -> tuple[np.ndarray, str | None]:
    """Sample times for a capture stamped per packet: a logger that receives several samples at
    once (a BLE notification, a FIFO read) and stamps them all with the packet's arrival, so
    ``t_ms`` repeats. The IMU sampled them one period apart, the last just before the packet
    left: each packet's samples are put one period apart, its last at its stamp. The period is
    the median over packets of (this packet's stamp - the last one's) / this packet's size (the
    samples it brought were taken in between: FIFO reads bring varying counts; a lost packet
    shows as a gap before the next, which the median ignores). Returns (times, what was
    done, for the capture's comments), or (t_ms, None) when no period can be found (every stamp
    the same). Strictly increasing where the packets are (a packet stamped early keeps its
    samples after the last one's by a tenth of a period: sample_clock smooths it)."""
    t = np.asarray(t_ms, dtype=np.float64)
    start = np.flatnonzero(np.r_[True, np.diff(t) != 0])        # each packet's first sample
    size = np.diff(np.r_[start, len(t)])
    if len(start) < 2:
        return t.copy(), None
    per = float(np.median(np.diff(t[start]) / size[1:]))
    if not per > 0:
        return t.copy(), None
    out = t.copy()
    k = np.arange(len(t)) - np.repeat(start, size)             # the sample's place in its packet
    out -= (np.repeat(size, size) - 1 - k) * per
    if np.any(np.diff(out) <= 0):                              # a packet stamped early (rare)
        for i in range(1, len(out)):
            if out[i] <= out[i - 1]:
                out[i] = out[i - 1] + per / 10
    big = int(np.max(size))
    return out, (f"{PACKETS} of up to {big} samples (a logger stamping each packet on arrival): "
                 f"its samples put {per:.3f} ms apart, each packet's last at its stamp")


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def csv_head(comments=()) -> str:
    """The comment lines (``# `` + each) and the header line, as they start a capture CSV."""
    return "".join(f"# {c}\n" for c in comments) + ",".join(HEADER) + "\n"


def csv_rows(t_ms, acc_g, gyr_dps, t_decimals: int = 3) -> str:
    """Capture CSV rows: ``t_ms`` with ``t_decimals`` decimals (3: the microsecond; a raw capture's
    1/16-ms clock needs 4), 5 decimals for g (10 ug), 3 for deg/s."""
    row = f"%.{t_decimals}f,%.5f,%.5f,%.5f,%.3f,%.3f,%.3f\n"
    a = np.asarray(acc_g, dtype=np.float64)
    g = np.asarray(gyr_dps, dtype=np.float64)
    return "".join(row % r for r in zip(np.asarray(t_ms, dtype=np.float64).tolist(), *a.T.tolist(), *g.T.tolist()))


def write_capture(path, t_ms, acc_g, gyr_dps, comments=(), t_decimals: int = 3) -> None:
    """Write a capture CSV (the one writer: live captures, converted raw captures, the simulator)."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(csv_head(comments))
        for k in range(0, len(t_ms), 20000):  # in pieces: Python floats of every row at once are big
            f.write(csv_rows(t_ms[k:k + 20000], acc_g[k:k + 20000], gyr_dps[k:k + 20000], t_decimals))


def dt_units(t_ms: np.ndarray) -> np.ndarray:
    """Per-sample dt in 1/16 ms from timestamps (first = 0), exact in sum.

    Each timestamp is rounded to the 1/16-ms grid first and dt is the difference of those, so
    rounding never accumulates: the detector's clock stays within 1/32 ms of ``t_ms``. A gap
    beyond 4095.94 ms saturates at ``DT_MAX``.
    """
    q = np.rint((np.asarray(t_ms, dtype=np.float64) - float(t_ms[0])) * DT_UNITS_PER_MS).astype(np.int64)
    return np.clip(np.diff(q, prepend=q[0]), 0, DT_MAX)


# Half-width of the window (samples) over which a capture's stamps are averaged into the IMU's
# sample times (sample_clock): 65 stamps, 0.3-1.3 s at 50-200 Hz. Over that span the chip's
# oscillator holds its period to ppm (its 1-2 % error drifts with the die's temperature over
# minutes), and the stamps' scatter falls by sqrt(65) = 8.
CLOCK_HALF = 32


def sample_clock(t_ms) -> np.ndarray:
    """The IMU's sample times (ms) from a capture's stamps.

    An IMU samples on its own clock, one period after another; a host stamps each sample when it
    arrives (USB frames, BLE connection events, a busy bus), 0.1-1.5 ms late by a varying
    amount. So within each stretch between gaps (an interval over 1.5 times the median: dropped
    samples) the sample times are the stamps' centred moving average over up to
    2 * CLOCK_HALF + 1 stamps (shrinking to the stamp itself at the stretch's ends): exact for
    evenly spaced stamps and for a steady clock error, whose line a symmetric average keeps, and
    unchanged for the stretch's first and last stamps, so every gap and the capture's whole
    length stay as stamped. Why it matters: the detector turns each gyro rate by its dt, and
    a stamp's scatter times a landing's jolt in the rate (100 deg/s from one sample to the next)
    tilts its gravity estimate by ~0.1 deg per sample (cheap_50 lean: see issue 7's note).
    """
    t = np.asarray(t_ms, dtype=np.float64)
    n = len(t)
    if n < 3:
        return t.copy()
    d = np.diff(t)
    # a stretch starts after a gap: over 1.5 periods, the kernel's own rule (kernel.run)
    brk = np.flatnonzero(d > 1.5 * float(np.median(d))) + 1
    k = np.arange(n)
    run = np.searchsorted(brk, k, side="right")
    a = np.concatenate([[0], brk])[run]                          # the stretch's first sample
    b = np.concatenate([brk, [n]])[run] - 1                      # and its last
    h = np.minimum(np.minimum(k - a, b - k), CLOCK_HALF)
    # averaged about each stretch's own chord (keeps the sums small, so float64 stays exact to ns)
    span = np.maximum(b - a, 1)
    chord = t[a] + (k - a) * (t[b] - t[a]) / span
    cs = np.concatenate([[0.0], np.cumsum(t - chord)])
    return chord + (cs[k + h + 1] - cs[k - h]) / (2 * h + 1)


def to_raw(cap: Capture, lsb_per_g: int, lsb_per_kdps: int) -> np.ndarray:
    """The sample buffer the detector eats: int16 (N, 7) = [dt, ax..gz raw counts].

    ``dt`` is the time since the previous sample in 1/16 ms, stored as the int16 of an unsigned
    16-bit value (see ``device/kernel.py``). Counts are the IMU's at the configured full scales,
    saturating like the chip. dt of the first sample is 0 (the session clock starts at the first
    sample's t_ms). Times are the IMU's sample times (:func:`sample_clock`), not the raw stamps.
    """
    n = len(cap.t_ms)
    out = np.empty((n, 7), dtype=np.int16)
    out[:, 0] = dt_units(sample_clock(cap.t_ms)).astype(np.uint16).view(np.int16)
    acc = np.rint(cap.acc_g * lsb_per_g)
    gyr = np.rint(cap.gyr_dps * (lsb_per_kdps / 1000.0))
    out[:, 1:4] = np.clip(acc, -32768, 32767)
    out[:, 4:7] = np.clip(gyr, -32768, 32767)
    return out
