"""Decode Hinge session logs (``Snnnn.hlg``) and raw captures (``Snnnn.raw``) with numpy.

The format is defined once, in ``device/logfmt.py`` (imported from ``device/`` like every other
device module); this is its reader. Decoding never raises on corruption: every intact block is
decoded and ``problems`` says, one line each, what was not (CRC mismatch, torn tail, missing
blocks, a header that does not check). It raises a one-line ``ValueError`` only when the data is
not a Hinge log at all (bad magic) or is a newer format version than this reader knows.

Units: t_ms in ms on the session clock; angles in degrees; cadence in steps/min.
"""
from __future__ import annotations

import binascii
import datetime as _dt
import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hinge.common.devpath import import_device

from . import dyncols

fmt = import_device("logfmt")
ev = import_device("events")

STRIDE_DTYPE = np.dtype(
    [
        ("t_ms", "i8"),
        ("lean_deg", "f4"),
        ("rotation_deg", "f4"),
        ("roll_deg", "f4"),
        ("cadence_spm", "f4"),
        ("stride_ms", "i4"),
        ("activity", "u1"),
        ("calibrated", "?"),
        ("grounded", "?"),      # a running stride without a flight (events.py FLAG_GROUNDED)
        # running dynamics (device/dynamics.py; NaN = not measured, e.g. walking)
        *[(name, "f4") for name in dyncols.NAMES],
    ]
)
_DYN_NAMES = dyncols.NAMES
_NAN7 = dyncols.NONE
_ROW_FLEW = 16      # a short STRIDE marked FLEW (_records), in its row's flags, above those a log keeps
# alerts and clears: value and limit in deg (cadence: steps/min); withheld = faded feedback held the
# cue back (logged, not felt); side = a hip drop's side; target_spm = a cadence cue's target (else 0)
ALERT_DTYPE = np.dtype(
    [("t_ms", "i8"), ("kind", "U5"), ("reason", "U12"), ("severity", "i1"), ("value_deg", "f4"), ("limit_deg", "f4"),
     ("withheld", "?"), ("side", "U5"), ("target_spm", "f4")]
)
EVENT_DTYPE = np.dtype(
    [("t_ms", "i8"), ("type", "i2"), ("name", "U16")] + [(c, "i4") for c in ("a", "b", "c", "d", "e", "f")]
)
# unit of each decoded column (CSV ``# units:`` line; README "Exported columns")
COLUMN_UNITS = {"t_ms": "ms since the session's start (board clock)", "lean_deg": "deg", "rotation_deg": "deg",
                "roll_deg": "deg (pelvic roll: side to side, peak to peak)", "cadence_spm": "steps/min", "stride_ms": "ms",
                **dyncols.UNITS,
                "activity": "0 standing 1 walking 2 running", "calibrated": "0/1", "kind": "alert|clear",
                "grounded": "0/1 (running, no flight: not coached; from a log: no contact time either step, not marked flown)",
                "reason": "upright|backward|swivel|drift|hip_drop|tilt_swing|cadence", "severity": "1-3",
                "value_deg": "deg (cadence: steps/min)", "limit_deg": "deg (cadence: steps/min)",
                "withheld": "0/1 (faded feedback: logged, not felt)", "side": "hip drop: left|right",
                "target_spm": "cadence target, steps/min (0: none)", "type": "event code (events.py)", "name": "event name"}
RAW_COLUMNS = ("dt", "ax", "ay", "az", "gx", "gy", "gz")   # dt in 1/16 ms (version 2), else ms
_SYNC = fmt.SYNC
_HDR = fmt.BLK_HDR


@dataclass
class Session:
    header: dict
    strides: np.ndarray  # STRIDE_DTYPE
    alerts: np.ndarray  # ALERT_DTYPE: alerts and clears
    events: np.ndarray  # EVENT_DTYPE: calibration, activity, faults, unknown codes
    problems: list[str] = field(default_factory=list)
    blocks: int = 0  # blocks decoded intact
    size: int = 0  # bytes in the file
    bad_blocks: int = 0  # whole blocks that failed their CRC (damaged data)


@dataclass
class RawCapture:
    header: dict
    t_ms: np.ndarray  # float64 ms, capture time of each sample
    counts: np.ndarray  # (N, 7) int16: dt (1/16 ms), ax, ay, az, gx, gy, gz
    problems: list[str] = field(default_factory=list)
    blocks: int = 0


def _read(src) -> tuple[bytes, str]:
    if isinstance(src, (bytes, bytearray, memoryview)):
        return bytes(src), "<bytes>"
    p = Path(src)
    return p.read_bytes(), str(p)


# -- header -----------------------------------------------------------------------------------
def _header(data: bytes, magic: bytes, name: str, problems: list[str]) -> tuple[dict, int]:
    """Parse the file header; return (dict, offset of the first block)."""
    if data[:4] != magic:
        other = fmt.MAGIC_RAW if magic == fmt.MAGIC_SESSION else fmt.MAGIC_SESSION
        if len(data) < 4 and data == magic[: len(data)]:
            problems.append(f"file ends inside the header ({len(data)} bytes): nothing to decode")
            return {"truncated": True}, len(data)
        if data[:4] == other:
            kinds = {fmt.MAGIC_SESSION: "session log", fmt.MAGIC_RAW: "raw capture"}
            raise ValueError(f"{name}: this is a Hinge {kinds[other]}, not a {kinds[magic]}")
        raise ValueError(f"{name}: not a Hinge log (magic {data[:4]!r}, expected {magic!r})")
    if len(data) < 8:
        problems.append(f"file ends inside the header ({len(data)} bytes): nothing to decode")
        return {"truncated": True}, len(data)
    version, hlen = data[4], struct.unpack_from("<H", data, 6)[0]
    ok = fmt.FIXED_HDR + 6 <= hlen <= len(data) and binascii.crc_hqx(data[: hlen - 2], 0xFFFF) == struct.unpack_from(
        "<H", data, hlen - 2
    )[0]
    if ok and version > fmt.VERSION:
        raise ValueError(f"{name}: Hinge log format version {version}; this reader knows up to {fmt.VERSION}")
    if not ok:
        if hlen > len(data) and data.find(_SYNC, 8) < 0:
            problems.append(f"header: file ends inside the header ({len(data)} of {hlen} bytes)")
        else:
            problems.append("header: damaged (CRC mismatch) - its fields may be wrong; blocks decoded on their own")
        h = {"version": version, "intact": False}
        try:
            h.update(_header_fields(data, hlen))
        except (struct.error, UnicodeDecodeError, ValueError, IndexError):
            pass
        return h, -8  # walk from byte 8, without reporting the header bytes it skips
    h = {"version": version, "intact": True}
    h.update(_header_fields(data, hlen))
    return h, hlen


def _wall_fields(head: bytes) -> tuple:
    """(year, month, day, hour, minute, second, clock_set) as the header stores them."""
    y, mo, d, hh, mi, ss = struct.unpack_from("<HBBBBB", head, fmt.HDR_WALL)
    return y & (fmt.WALL_SET - 1), mo, d, hh, mi, ss, bool(y & fmt.WALL_SET)  # bit 15: the RTC was set


def _wall_times(y, mo, d, hh, mi, ss) -> tuple:
    """(ISO text, Unix seconds) of a header's wall clock (UTC), or (None, None) when the board's
    clock was not set (an unset RTC reads 2000 on the ESP32, or 1970) or the date is not one."""
    if not (y >= 2020 and 1 <= mo <= 12 and 1 <= d <= 31 and hh < 24 and mi < 60 and ss < 60):
        return None, None
    try:
        utc = _dt.datetime(y, mo, d, hh, mi, ss, tzinfo=_dt.timezone.utc).timestamp()
    except ValueError:  # e.g. 31 February: a damaged field
        return None, None
    return f"{y:04d}-{mo:02d}-{d:02d}T{hh:02d}:{mi:02d}:{ss:02d}", utc


def wall_start(head: bytes) -> str | None:
    """The session's wall-clock start from a file header (its first FIXED_HDR bytes are enough)
    as ISO text (``2026-05-01T07:30:00``, UTC); None when the clock was not set, the date is not
    one, or ``head`` is no Hinge header."""
    if len(head) < fmt.FIXED_HDR or head[:4] not in (fmt.MAGIC_SESSION, fmt.MAGIC_RAW):
        return None
    return _wall_times(*_wall_fields(head)[:6])[0]


def _header_fields(data: bytes, hlen: int) -> dict:
    session, block_max, lsb_g, lsb_kdps, rate_mhz = struct.unpack_from("<HHIII", data, 8)
    if data[4] >= 2:  # version 2: the session number's bits 16-23 (version 1 kept 0 there)
        session |= data[5] << 16
    p = fmt.FIXED_HDR
    out = []
    for w in (1, 1, 2):
        n = data[p] if w == 1 else struct.unpack_from("<H", data, p)[0]
        p += w
        out.append(data[p : p + n].decode("utf-8", "replace"))
        p += n
    y, mo, d, hh, mi, ss, clock_set = _wall_fields(data)
    start, start_utc = _wall_times(y, mo, d, hh, mi, ss)
    try:
        meta = json.loads(out[2]) if out[2] else {}
    except ValueError:
        meta = {"unparsed": out[2]}
    return {
        "session": session,
        "name": fmt.session_name(session, "hlg")[:-4],
        "block_max": block_max,
        "lsb_per_g": lsb_g,
        "lsb_per_kdps": lsb_kdps,
        "rate_hz": rate_mhz / 1000.0,
        "start": start,
        "start_fields": [y, mo, d, hh, mi, ss],
        "start_utc": start_utc,  # Unix seconds of the session's start (the RTC, UTC), or None
        "clock_set": clock_set,  # the RTC had been set since power-up (False in older logs)
        "fw_version": out[0],
        "imu_model": out[1],
        "config" if data[:4] == fmt.MAGIC_SESSION else "meta": meta,
    }


# -- blocks -----------------------------------------------------------------------------------
def _block_at(data: bytes, q: int, n: int) -> int:
    """End offset of an intact block at q, else 0."""
    if q + _HDR + 2 > n or data[q : q + 2] != _SYNC:
        return 0
    end = q + _HDR + data[q + 4] + 2
    if data[q + 4] > fmt.PAY_MAX or end > n:
        return 0
    if binascii.crc_hqx(data[q : end - 2], 0xFFFF) != data[end - 2] | (data[end - 1] << 8):
        return 0
    return end


def _walk(data: bytes, start: int, problems: list[str], stats: dict | None = None):
    """Yield (seq, offset, t_base, fl_base, payload) of every intact block; report the rest.

    Each block number is yielded once, in sequence order: a block whose number was decoded
    already (a log with a copy of itself appended, a block written twice) is dropped, and one
    that comes out of order is put back in its place, so every complete record comes out once
    and in time order. Sequence numbers wrap at 65536; each block's number is read relative to
    the block before it in the file. A negative ``start`` means: begin at -start and do not
    report the bytes skipped before the first intact block (they are the damaged header).
    ``stats["bad_blocks"]`` (if given) counts the whole blocks that failed their CRC.
    """
    n = len(data)
    bad = 0
    quiet = start < 0
    p = -start if quiet else start
    found = []  # (unwrapped seq, seq, offset, end, damaged bytes just before) in file order
    prev = None  # seq of the last intact block in the file
    u = 0
    while p < n:
        q = p
        end = 0
        while True:
            q = data.find(_SYNC, q)
            if q < 0:
                break
            end = _block_at(data, q, n)
            if end:
                break
            q += 1
        stop = q if end else n
        if stop > p and not quiet:
            nbad, torn = _scan_gap(data, p, stop)
            bad += nbad
            problems.append(_describe_gap(data, p, stop, prev, end == 0, nbad, torn))
        quiet = False
        if not end:
            break
        seq = data[q + 2] | (data[q + 3] << 8)
        if prev is not None:
            d = (seq - prev) & 0xFFFF
            u += d - 0x10000 if d >= 0x8000 else d
        else:
            u = seq
        found.append((u, seq, q, end, stop > p))
        prev = seq
        p = end
    first: dict[int, int] = {}  # unwrapped seq -> index in found of the copy kept
    same = other = moved = 0
    top = None
    for i, (u, _seq, q, end, _d) in enumerate(found):
        k = first.get(u)
        if k is not None:
            if data[q:end] == data[found[k][2]:found[k][3]]:
                same += 1
            else:
                other += 1
            continue
        if top is not None and u < top:
            moved += 1
        top = u if top is None else max(top, u)
        first[u] = i
    keep = sorted(first.values(), key=lambda i: found[i][0])
    for a, b in zip(keep, keep[1:]):
        ua, ub = found[a][0], found[b][0]
        missing = ub - ua - 1
        # one lost block right after a damaged stretch between the two is named by that stretch
        if missing <= 0 or (missing == 1 and b == a + 1 and found[b][4]):
            continue
        lost = f"block {(ua + 1) & 0xFFFF}" if missing == 1 else f"blocks {(ua + 1) & 0xFFFF}..{(ub - 1) & 0xFFFF}"
        problems.append(f"{lost} missing before byte {found[b][2]}")
    if same or other:
        what = []
        if same:
            what.append(f"{same} repeated block{'s' if same > 1 else ''} (a copy of the log appended to itself?)")
        if other:
            what.append(f"{other} block{'s' if other > 1 else ''} reusing the number of an earlier block with other "
                        f"data (another log appended?)")
        problems.append(" and ".join(what) + ": dropped, every record kept once")
    if moved:
        problems.append(f"{moved} block{'s' if moved > 1 else ''} out of order: put back in sequence")
    if stats is not None:
        stats["bad_blocks"] = bad
    for i in keep:
        _u, seq, q, end, _d = found[i]
        t_base, fl = struct.unpack_from("<iB", data, q + 5)
        yield seq, q, t_base, fl, data[q + _HDR : end - 2]


def _scan_gap(data: bytes, p: int, stop: int) -> tuple[int, bool]:
    """In a damaged stretch: (whole blocks in it, by their sync and length: they failed their
    CRC; whether it ends in a block cut off by the end of the file)."""
    n = 0
    q = p
    while True:
        q = data.find(_SYNC, q, stop)
        if q < 0 or q + 5 > stop:
            return n, q >= 0 and stop == len(data)
        if data[q + 4] <= fmt.PAY_MAX:
            end = q + _HDR + data[q + 4] + 2
            if end <= stop:
                n += 1
                q = end
                continue
            if stop == len(data):
                return n, True
        q += 1


def _describe_gap(data: bytes, p: int, stop: int, prev, at_end: bool, nbad: int = 0, torn: bool = False) -> str:
    nxt = "start" if prev is None else f"block {prev}"
    k = stop - p
    if data[p : p + 4] in (fmt.MAGIC_SESSION, fmt.MAGIC_RAW):
        return f"bytes {p}..{stop - 1}: another log's file header (files joined?) - {k} bytes skipped"
    if nbad >= 2 or (nbad == 1 and data[p : p + 2] != _SYNC):
        tail = ", then a block cut off by the end of the file" if torn else ""
        return (f"bytes {p}..{stop - 1}: damaged, {nbad} block{'s' if nbad > 1 else ''} failing their CRC{tail} - "
                f"{k} bytes skipped")
    if data[p : p + 2] == _SYNC and p + 5 <= len(data):
        seq = data[p + 2] | (data[p + 3] << 8)
        total = _HDR + data[p + 4] + 2
        if at_end and p + total > len(data):
            return f"torn tail: {k} bytes after {nxt} ignored (block {seq} incomplete)"
        if total == k:
            return f"block {seq} at byte {p}: CRC mismatch - skipped"
        return f"block {seq}? at byte {p}: damaged - {k} bytes skipped"
    if at_end:
        return f"torn tail: {k} bytes after {nxt} ignored"
    exp = "" if prev is None else f" (block {(prev + 1) & 0xFFFF} expected)"
    return f"bytes {p}..{stop - 1}{exp}: damaged - {k} bytes skipped"


# -- records ----------------------------------------------------------------------------------
def _varint(pay: bytes, i: int) -> tuple[int, int]:
    u = 0
    s = 0
    while True:
        b = pay[i]  # IndexError past the end: caller reports
        i += 1
        u |= (b & 0x7F) << s
        s += 7
        if b < 0x80:
            return ((u >> 1) ^ -(u & 1)), i


def _records(pay: bytes, t_prev: int, fl: int, strides: list, others: list, version: int = fmt.VERSION) -> str | None:
    """Decode one block's records; return a problem string if the payload does not parse."""
    i, n = 0, len(pay)
    short = fmt.SHORT_LEN if version >= 3 else fmt.SHORT_LEN_V2
    adj = None      # an ADJ record's (skip, flags + 1, cadence difference) for the next short STRIDE
    while i < n:
        b0 = pay[i]
        if b0 < 0x80:
            if i + short > n:
                return f"short stride cut at payload byte {i}"
            u = int.from_bytes(pay[i:i + short], "big")
            if short == fmt.SHORT_LEN:
                dt, lq, rq, pq = u >> 60, (u >> 50) & 1023, (u >> 42) & 255, (u >> 34) & 255
                dyn = dyncols.short(u)
            else:
                dt, lq, rq, pq = u >> 28, (u >> 18) & 1023, (u >> 9) & 511, u & 511
                dyn = _NAN7
            if dt == 0:
                return f"zero stride time at payload byte {i}"
            cad = (1200000 + (dt >> 1)) // dt
            if adj:
                t_prev += adj[0]
                fl = adj[1] - 1 if adj[1] else fl
                cad += adj[2]
                adj = None
            t_prev += dt
            lean = (lq - 1024 if lq >= 512 else lq) * fmt.LEAN_Q
            mark = _ROW_FLEW if short == fmt.SHORT_LEN and dyncols.flew(u, fmt.FLEW) else 0
            strides.append((t_prev, lean, rq * fmt.ROT_Q, cad, dt, fl | mark, pq * fmt.ROLL_Q) + dyn)
            i += short
            continue
        typ = (b0 >> 3) & 15
        nf = b0 & 7
        if typ == 0 or nf > 6 or (typ == fmt.REC_ADJ and nf > 2):
            return f"unknown record tag 0x{b0:02x} at payload byte {i}"
        if adj:
            return f"an ADJ record not followed by its short stride at payload byte {i}"
        try:
            d, i = _varint(pay, i + 1)
            f = [0] * 6
            for j in range(nf):
                f[j], i = _varint(pay, i)
        except IndexError:
            return f"record cut at the end of the payload (tag 0x{b0:02x})"
        t = t_prev + d
        if typ == fmt.REC_ADJ:     # (flags + 1 outside 0..8: no flags a log keeps)
            adj = (d, f[0] if 0 <= f[0] <= fmt._FL_LOGGED + 1 else 0, f[1])
        elif typ == ev.EV_STRIDE:
            t_prev, fl = t, f[4]
            strides.append((t, f[0], f[1], f[2], f[3], f[4], f[5]) + _NAN7)
        elif typ == ev.EV_DYN and strides and strides[-1][0] == t:
            strides[-1] = strides[-1][:7] + dyncols.long_record(f)
        else:
            others.append((t, typ, *f))
    return "an ADJ record at the end of the payload, without its stride" if adj else None


def decode_session(src) -> Session:
    """Decode a session log (path or bytes). See the module docstring for the guarantees."""
    data, name = _read(src)
    problems: list[str] = []
    header, start = _header(data, fmt.MAGIC_SESSION, name, problems)
    strides: list = []
    others: list = []
    nblk = 0
    stats: dict = {}
    for seq, off, t_base, fl, pay in _walk(data, start, problems, stats):
        nblk += 1
        bad = _records(pay, t_base, fl, strides, others, header.get("version", fmt.VERSION))
        if bad:
            problems.append(f"block {seq} at byte {off}: {bad}; rest of the block skipped")
    s = _stride_array(strides)
    # the grounded bit is not logged (logfmt._FL_LOGGED): a running stride with no contact time on
    # either step is, unless marked FLEW (logfmt.FLEW: before the mark, ~3 % of flying ones too)
    if header.get("version", fmt.VERSION) >= 3:   # (version 1-2 logs hold no contact times)
        flew = np.array([r[5] & _ROW_FLEW for r in strides], dtype=bool)
        s["grounded"] |= (s["activity"] == ev.ACT_RUNNING) & np.isnan(s["gct_left_ms"]) & np.isnan(s["gct_right_ms"]) & ~flew
    return Session(header, s, *_event_arrays(others), problems, nblk, len(data), stats.get("bad_blocks", 0))


def _stride_array(rows: list) -> np.ndarray:
    """Rows (t, lean, rot, cad, dt, flags, roll[, the 7 dynamics]) -> STRIDE_DTYPE; rows without
    dynamics get NaN."""
    full = np.array([tuple(r) + _NAN7 if len(r) == 7 else tuple(r) for r in rows], dtype=np.float64).reshape(-1, 14)
    a = full[:, :7].astype(np.int64)
    out = np.zeros(len(a), STRIDE_DTYPE)
    for k, name in enumerate(_DYN_NAMES):
        out[name] = full[:, 7 + k]
    out["t_ms"] = a[:, 0]
    out["lean_deg"] = a[:, 1] / 100.0
    out["rotation_deg"] = a[:, 2] / 100.0
    out["roll_deg"] = a[:, 6] / 100.0
    out["cadence_spm"] = a[:, 3] / 10.0
    out["stride_ms"] = a[:, 4]
    out["activity"] = a[:, 5] & 3
    out["calibrated"] = (a[:, 5] & ev.FLAG_CALIBRATED) != 0
    out["grounded"] = (a[:, 5] & ev.FLAG_GROUNDED) != 0
    return out


def _name(names: tuple, i: int, prefix: str) -> str:
    return names[i] if 0 <= i < len(names) and names[i] else f"{prefix}{i}"


def _event_arrays(rows: list) -> tuple[np.ndarray, np.ndarray]:
    al = [r for r in rows if r[1] in (ev.EV_ALERT, ev.EV_CLEAR)]
    ot = [r for r in rows if r[1] not in (ev.EV_ALERT, ev.EV_CLEAR)]
    alerts = np.zeros(len(al), ALERT_DTYPE)
    for i, (t, typ, a, b, c, d, w, x) in enumerate(al):
        kind = "alert" if typ == ev.EV_ALERT else "clear"
        side = ("", "left", "right")[x] if a == ev.R_HIP_DROP and 0 <= x <= 2 else ""
        target = x / 10.0 if a == ev.R_CADENCE and x > 0 else 0.0
        alerts[i] = (t, kind, _name(ev.REASON_NAMES, a, "reason"), b, c / 100.0, d / 100.0, bool(w), side, target)
    events = np.zeros(len(ot), EVENT_DTYPE)
    names = {ev.EV_STRIDE: "stride", ev.EV_CALIB: "calib", ev.EV_ACTIVITY: "activity", ev.EV_DRIFT: "drift",
             ev.EV_DRIFT_BASE: "drift_base", ev.EV_CAD_BASE: "cadence_base"}
    for i, (t, typ, *f) in enumerate(ot):
        nm = _name(ev.FAULT_NAMES, f[0], "fault") if typ == ev.EV_FAULT else names.get(typ, f"type{typ}")
        events[i] = (t, typ, nm, *f)
    return alerts, events


# -- raw capture ------------------------------------------------------------------------------
def decode_raw(src) -> RawCapture:
    """Decode a raw capture file (path or bytes): samples with their capture time."""
    data, name = _read(src)
    problems: list[str] = []
    header, start = _header(data, fmt.MAGIC_RAW, name, problems)
    ts, cs = [], []
    nblk = 0
    # version 2: dt and block times in 1/16 ms (dt unsigned 16-bit); version 1: signed whole ms
    unit = 16.0 if header.get("version", 1) >= 2 else 1.0
    for seq, off, t_base, _fl, pay in _walk(data, start, problems):
        nblk += 1
        k = len(pay) // fmt.RAW_SAMPLE
        if len(pay) % fmt.RAW_SAMPLE:
            problems.append(f"block {seq} at byte {off}: payload not whole samples; {len(pay) % fmt.RAW_SAMPLE} bytes ignored")
        c = np.frombuffer(pay, "<i2", k * 7).reshape(k, 7)
        dt = c[:, 0].astype(np.uint16).astype(np.int64) if unit > 1 else c[:, 0].astype(np.int64)
        ts.append((t_base + np.cumsum(dt)) / unit)
        cs.append(c)
    t = np.concatenate(ts) if ts else np.zeros(0, np.float64)
    counts = np.concatenate(cs).astype(np.int16) if cs else np.zeros((0, 7), np.int16)
    return RawCapture(header, t, counts, problems, nblk)
