"""Session log writer: one file per session in ``<root>/logs/``, format in ``logfmt.py``.

Usage (the main loop)::

    log = flashlog.SessionLog(root, cfg, fw_version, imu_model, lsb_per_g, lsb_per_kdps, rate_hz)
    log.event(evq, k)        # every detector/coach event, as queued (no allocation)
    log.raw(buf, n)          # while raw capture is on; False once it is over
    log.poll()               # each FIFO read: writes a block that has waited FLUSH_MS
    log.close()              # at the end and in the KeyboardInterrupt handler

Files: ``logs/S0007.hlg`` (session log), ``logs/S0007.raw`` (raw capture, if
``raw_capture_s`` > 0), ``logs/LAST`` (last session number used, so numbers never repeat after
old sessions are rotated out). Names and numbers (1..16777215, ``S100000.hlg`` after
``S99999.hlg``) follow ``logfmt.session_name``/``session_of``.

Flush policy and what it costs. Records gather in one 256-byte RAM block; the block is written
and ``f.flush()``-ed when the next record does not fit (every ~35 s while running), when its
first record is FLUSH_MS old, on a low-battery fault, on ``flush()`` and on ``close()``. On the
ESP32's LittleFS a flush (``lfs_file_sync``) is what makes data survive a power cut, and it is
the cost that matters: littlefs copies the file's partly filled 4 KiB tail block to a fresh
block and commits metadata: 1.06 erases and ~2.3 KiB programmed per block flush, measured with
VfsLfs2 on a counting RAM block device (tests/device/test_flashlog.py). With datasheet typicals for
SPI NOR (4 KiB sector erase ~45 ms, 256-byte page program ~0.7 ms) that is ~50 ms every ~35 s
(worst-case erase several hundred ms: the IMU FIFO must cover it), and ~3000 erases per 30-h
race spread over the free area by littlefs' wear levelling. Per record (no block write):
~1.3 us on the unix port, so roughly 0.1-0.2 ms on an ESP32, and no allocation (heap_lock
test). A block write allocates a memoryview slice and whatever the filesystem needs (<= ~250 B;
every CHECK_BLOCKS-th also runs statvfs and a directory listing). Import these two modules
frozen: as .mpy files loaded into RAM they take ~5-6 KB of heap. Raw capture (1.4 KiB/s at 104 Hz) writes each block as it fills and flushes every
RAW_SYNC_BLOCKS blocks, so a sync moves ~4 KiB.

Flash full: free space (``statvfs``, injectable) is checked when the log opens and every
CHECK_BLOCKS blocks; below ``log_keep_free_kib`` the oldest sessions (never the current one)
are deleted and a FAULT/log_rotated event (detail = the session number removed) is logged.
The check cannot see everything (littlefs needs free blocks for its copy-on-write, other files
grow), so every write and flush of the session log also catches ENOSPC (OSError 28): the file
goes back to its last good end (a failed write may leave part of a block), the oldest other
session is deleted and the write retried. With nothing left to delete, logging pauses and
coaching goes on: ``full`` is True, the pending block's records are dropped and counted in
``lost``, and each later block write (a full block, or FLUSH_MS) tries again. When one succeeds
the log gets FAULT/log_full (t = the first record lost) and FAULT/log_resumed (detail = records
lost so far). ``news()`` gives the main loop one console line per change (paused, resumed,
stopped), so it can cue the runner. Other write errors stop the log (``ok`` False, ``error``
set). No method raises into the coach. Raw capture never deletes old sessions: it stops when
free space falls below ``log_keep_free_kib`` or a write fails.
"""
import os
import time
from array import array

import logfmt
from micropython import const

FLUSH_MS = 60000  # a pending block is written once its first record is this old
CHECK_BLOCKS = const(16)  # statvfs every 16 blocks (4 KiB): it walks the whole littlefs tree
RAW_SYNC_BLOCKS = const(16)
_ENOSPC = const(28)  # MicroPython's errno module has no ENOSPC; littlefs raises OSError(28)
_EV_FAULT = const(6)  # events.EV_FAULT
_EV_DYN = const(8)  # events.EV_DYN
_FAULT_LOW_BATTERY = const(4)  # events.FAULT_LOW_BATTERY
_FAULT_LOG_ROTATED = const(6)  # events.FAULT_LOG_ROTATED
_FAULT_LOG_FULL = const(7)  # events.FAULT_LOG_FULL
_FAULT_LOG_RESUMED = const(8)  # events.FAULT_LOG_RESUMED


_session_no = logfmt.session_of  # 7 for "S0007.hlg" / "S0007.raw", else -1


def list_sessions(root):
    """[(name, size)] of the log files in ``root/logs``, oldest session first."""
    d = root + "/logs"
    try:
        names = os.listdir(d)
    except OSError:
        return []
    out = []
    for nm in sorted(names, key=lambda s: (_session_no(s), s)):
        if _session_no(nm) >= 0:
            try:
                size = os.stat(d + "/" + nm)[6]
            except OSError:
                size = 0
            out.append((nm, size))
    return out


def last_end(root):
    """``(session, minute)`` of the newest session log in ``root/logs``: its number and when it
    last wrote, to within a block (FLUSH_MS), in minutes since 2000-01-01 UTC (logfmt: the
    header's wall-clock start plus the t_base of its last whole block); minute -1 when that is
    unknown (its clock was not set, no log, an unreadable one). For app.py at session start,
    before the new log exists: a restart soon after the last write is the same run. Reads the
    header's fixed part and the last two blocks; never raises."""
    try:
        logs = [nm for nm, _ in list_sessions(root) if nm[-4:] == ".hlg"]
        if not logs:
            return 0, -1
        n = _session_no(logs[-1])
        with open(root + "/logs/" + logs[-1], "rb") as f:
            h = f.read(logfmt.FIXED_HDR)
            size = f.seek(0, 2)
            k = 2 * logfmt.BLOCK_MAX
            f.seek(size - k if size > k else 0)
            tail = bytearray(f.read(k))
    except Exception:  # noqa: BLE001 - a bad old log must not stop a session
        return 0, -1
    start = logfmt.header_minute(h)
    if start < 0:
        return n, -1
    t = logfmt.last_block_t(tail)
    return n, start + (t // 60000 if t > 0 else 0)   # no block yet: it stopped soon after it began


def wall_now():
    """The RTC's date and time as the log header stores it: (year, month, day, hour, minute,
    second, clock_set), or None. On the board ``time.localtime()`` reads the RTC, which the host
    sets to UTC on every connection (``board.wall`` reads it through ``machine.RTC``, as the
    virtual board models it); clock_set: the year says it was set since power-up."""
    try:
        t = time.localtime()
    except Exception:  # noqa: BLE001 - no clock: the header says unknown
        return None
    return (t[0], t[1], t[2], t[3], t[4], t[5], 1 if t[0] >= logfmt.CLOCK_SET_YEAR else 0)


class SessionLog:
    def __init__(
        self, root, cfg, fw_version, imu_model, lsb_per_g, lsb_per_kdps, rate_hz, statvfs=None, clock_ms=None,
        wall=None
    ):
        self.ok = False  # True while the session log is being written
        self.error = None  # why logging stopped or paused (the last write error), if it did
        self.rotated = 0  # sessions deleted to make room
        self.full = False  # True while the flash is full: records are dropped, coaching goes on
        self.fulls = 0  # times logging paused for a full flash
        self.lost = 0  # records dropped while the flash was full
        self.number = 0
        self.name = None
        self._root = root
        self._dir = root + "/logs"
        self._statvfs = statvfs or os.statvfs
        if clock_ms is None:
            t0 = time.ticks_ms()
            clock_ms = lambda: time.ticks_diff(time.ticks_ms(), t0)  # noqa: E731
        self._clock = clock_ms
        self._wall = wall  # the session's wall-clock start for the header (see wall_now); None: read it
        self._keep = cfg.get("log_keep_free_kib", 64)
        self._f = None
        self._rf = None
        self._blk = bytearray(logfmt.BLOCK_MAX)
        self._mv = memoryview(self._blk)
        self._st = array("i", [0, 0, -1, 0])  # t_prev, flags of the last stride, its short record, its end moved by (logfmt)
        self._ev = array("i", [0] * 8)  # the log's own events
        self._pos = logfmt.block_start(self._blk, self._st)
        self._t_first = 0  # t of the pending block's first record
        self._seq = 0
        self._nblk = 0
        self._nrec = 0  # records in the pending block
        self._size = 0  # bytes of the session file on flash (its last good end)
        self._t_full = 0  # t of the first record lost to a full flash
        self._gone = []  # sessions deleted whose log_rotated events are still to be logged
        self._told = 1  # the state news() last reported: 1 logging, 0 stopped, 2 paused (full)
        if not cfg.get("log_enabled", True):
            self._told = 0
            return
        try:
            self._open(cfg, fw_version, imu_model, lsb_per_g, lsb_per_kdps, rate_hz)
        except Exception as e:  # noqa: BLE001 - coaching must go on
            self._stop(e)

    # -- opening --------------------------------------------------------------------------
    def _open(self, cfg, fw, imu, lsb_g, lsb_kdps, rate):
        import json

        try:
            os.mkdir(self._root + "/logs")
        except OSError:
            pass
        n = 0
        try:
            with open(self._dir + "/LAST") as f:
                n = int(f.read().strip())
        except (OSError, ValueError):
            pass
        if n < 0 or n > logfmt.SESSION_MAX:
            n = 0  # a corrupt LAST: the names on flash still keep numbers from repeating
        used = [_session_no(nm) for nm, _ in list_sessions(self._root)]
        for u in used:
            n = max(n, u)
        n += 1
        while n > logfmt.SESSION_MAX or n in used:  # past the last number: start again at 1
            n = 1 if n > logfmt.SESSION_MAX else n + 1
        self.number = n
        self.name = logfmt.session_name(n, "hlg")
        try:
            with open(self._dir + "/LAST", "w") as f:
                f.write(str(n))
        except OSError:
            pass
        self._make_room()
        wall = self._wall or wall_now()
        while self._f is None:
            try:
                self._f = open(self._dir + "/" + self.name, "wb")
            except OSError as e:
                old = self._oldest() if e.args[0] == _ENOSPC else -1
                if old < 0:
                    raise
                self._remove(old)
        hdr = logfmt.header(logfmt.MAGIC_SESSION, n, lsb_g, lsb_kdps, rate, wall, fw, imu, json.dumps(cfg))
        if not self._put(self._f, hdr):
            self.full = True  # nothing left to delete: this session is not logged
            self.fulls += 1
            f = self._f
            self._f = None
            try:
                f.close()
            except OSError:
                pass
            try:
                os.remove(self._dir + "/" + self.name)  # no empty log left behind
            except OSError:
                pass
            raise self.error
        self.ok = True
        self._log_gone()
        secs = cfg.get("raw_capture_s", 0)
        if secs > 0:
            meta = {}
            for k in ("mount_up", "mount_forward", "accel_range_g", "gyro_range_dps", "imu_addr", "rate_hz"):
                if k in cfg:
                    meta[k] = cfg[k]
            self._rblk = bytearray(logfmt.BLOCK_MAX)
            self._rmv = memoryview(self._rblk)
            self._rst = array("i", [0, 0])  # capture time so far (1/16 ms), flags (0)
            self._rpos = logfmt.block_start(self._rblk, self._rst)
            self._rseq = 0
            self._rend = secs * 16000         # 1/16 ms (< 2**30 up to 18 h)
            try:
                self._rf = open(self._dir + "/" + logfmt.session_name(n, "raw"), "wb")
                self._rf.write(logfmt.header(logfmt.MAGIC_RAW, n, lsb_g, lsb_kdps, rate, wall, fw, imu, json.dumps(meta)))
                self._rf.flush()
            except OSError:
                self._raw_stop()

    # -- free space -----------------------------------------------------------------------
    def _free_kib(self):
        try:
            s = self._statvfs(self._root)
            return (s[4] * (s[1] or s[0])) >> 10
        except Exception:  # noqa: BLE001 - unknown: assume enough
            return 1 << 30

    def _make_room(self):
        """Delete oldest sessions (not the current one) until free >= keep."""
        while self._free_kib() < self._keep:
            old = self._oldest()
            if old < 0:
                break
            self._remove(old)

    def _oldest(self):
        for nm, _ in list_sessions(self._root):
            s = _session_no(nm)
            if s != self.number:
                return s
        return -1

    def _remove(self, old):
        for ext in ("hlg", "raw"):
            try:
                os.remove(self._dir + "/" + logfmt.session_name(old, ext))
            except OSError:
                pass
        self.rotated += 1
        self._gone.append(old)  # its log_rotated event follows once a write succeeds

    def _log_gone(self):
        g = self._gone
        while g:
            self._own(_FAULT_LOG_ROTATED, g.pop(0))

    # -- records --------------------------------------------------------------------------
    def event(self, evq, k):
        """Log the event stored at ``evq[k*8 : k*8+8]``. No allocation in steady state."""
        if not self.ok:
            return
        try:
            p = logfmt.put_event(self._blk, self._pos, self._st, evq, k)
            if p < 0:
                self._write_block()
                if not self.ok:
                    return
                p = logfmt.put_event(self._blk, self._pos, self._st, evq, k)
                if p < 0:
                    return
            b = k * 8
            if self._pos == logfmt.BLK_HDR:
                self._t_first = evq[b + 1]
            if p > self._pos and evq[b] != _EV_DYN:
                self._nrec += 1     # (a stride's DYN is part of its stride: not counted apart)
            self._pos = p
            if evq[b + 1] - self._t_first >= FLUSH_MS or (evq[b] == _EV_FAULT and evq[b + 2] == _FAULT_LOW_BATTERY):
                self._write_block()
        except Exception as e:  # noqa: BLE001 - coaching must go on
            self._stop(e)

    def _own(self, code, detail, t=None):
        e = self._ev
        e[0] = _EV_FAULT
        e[1] = self._clock() if t is None else t
        e[2] = code
        e[3] = detail
        self.event(e, 0)

    def poll(self):
        """Write the pending block if its first record is FLUSH_MS old (call it every FIFO read)."""
        try:
            if self.ok and self._pos > logfmt.BLK_HDR and self._clock() - self._t_first >= FLUSH_MS:
                self._write_block()
        except Exception as e:  # noqa: BLE001
            self._stop(e)

    def _write_block(self):
        pos = self._pos
        if pos <= logfmt.BLK_HDR:
            return
        nrec = self._nrec
        if not self._put_block():
            # flash full, nothing left to delete: this block's records are lost; coaching goes on
            # and the next block write tries again
            self.lost += nrec
            if not self.full:
                self.full = True
                self.fulls += 1
                self._t_full = self._t_first
            return
        if self._nblk % CHECK_BLOCKS == 0:
            self._make_room()
        if self.full:
            self._note_resumed()
        self._log_gone()

    def _put_block(self):
        # write the pending block and start the next; False if the flash is full. Allocates a
        # memoryview slice (and whatever the filesystem does): once per block
        n = logfmt.block_end(self._blk, self._pos, self._seq)
        ok = self._put(self._f, self._mv[:n])
        if ok:
            self._seq = (self._seq + 1) & 0xFFFF
            self._nblk += 1
        self._nrec = 0
        self._pos = logfmt.block_start(self._blk, self._st)
        return ok

    def _note_resumed(self):
        # log_full (t = the first record lost) and log_resumed (records lost so far) in a block
        # of their own, written at once: logging counts as resumed only once they are on flash
        # (if they do not fit either, the next try notes the same t and the larger count)
        e = self._ev
        e[0] = _EV_FAULT
        e[1] = self._t_full
        e[2] = _FAULT_LOG_FULL
        e[3] = 0
        p = logfmt.put_event(self._blk, self._pos, self._st, e, 0)
        e[1] = self._clock()
        e[2] = _FAULT_LOG_RESUMED
        e[3] = self.lost
        self._pos = logfmt.put_event(self._blk, p, self._st, e, 0)
        if self._put_block():
            self.full = False

    def _put(self, f, data):
        """Write and flush ``data`` at the session file's end; True once it is on flash.

        On ENOSPC the file goes back to its last good end (a failed write may have left part
        of ``data``; the retry overwrites it), the oldest other session is deleted and the
        write retried. False when no session is left to delete (``error`` set). Other errors
        raise.
        """
        pos = self._size
        while True:
            try:
                w = f.write(data)
                if w is not None and w < len(data):
                    raise OSError(_ENOSPC)  # a short write: the filesystem ran out of room
                f.flush()
                self._size = pos + len(data)
                return True
            except OSError as e:
                if e.args[0] != _ENOSPC:
                    raise
                self.error = e
                try:
                    f.seek(pos)
                except Exception:  # noqa: BLE001 - nothing better to do: the decoder skips junk
                    pass
                old = self._oldest()
                if old < 0:
                    return False
                self._remove(old)

    def news(self):
        """One console line when logging paused (flash full), resumed or stopped since the last
        call, else None (no allocation then). Call it once per main-loop wake-up."""
        s = 2 if self.full else (1 if self.ok else 0)
        if s == self._told:
            return None
        self._told = s
        if s == 2:
            return "log %s: flash full, no old session left to delete: not logging, coaching goes on" % self.name
        if s == 1:
            return "log %s: logging again (%d records lost while the flash was full)" % (self.name, self.lost)
        return "log %s: stopped: %s" % (self.name, self.error)

    def _stop(self, e):
        self.ok = False
        if self.error is None:
            self.error = e
        for f in (self._f, self._rf):
            if f:
                try:
                    f.close()
                except Exception:  # noqa: BLE001
                    pass
        self._f = self._rf = None

    # -- raw capture ----------------------------------------------------------------------
    def raw(self, buf, n):
        """Record ``n`` raw samples (7 int16 each) from ``buf``; False once capture is over."""
        if self._rf is None:
            return False
        try:
            i = 0
            while i < n:
                room = (logfmt.PAY_END - self._rpos) // logfmt.RAW_SAMPLE
                if room == 0:
                    if not self._raw_block():
                        return False
                    continue
                m = n - i if n - i < room else room
                self._rpos = logfmt.put_raw(self._rblk, self._rpos, buf, i * 7, m * 7)
                self._rst[0] += logfmt.raw_dt(buf, i * 7, m)
                i += m
            if self._rst[0] >= self._rend:
                self._raw_block()
                self._raw_stop()
                return False
            return True
        except Exception as e:  # noqa: BLE001 - coaching must go on
            self.error = e
            self._raw_stop()
            return False

    def _raw_block(self):
        # write the pending raw block (t_base was set when it began); False if capture stopped
        if self._rpos <= logfmt.BLK_HDR:
            return True
        blk = self._rblk
        n = logfmt.block_end(blk, self._rpos, self._rseq)
        self._rseq = (self._rseq + 1) & 0xFFFF
        sync = self._rseq % RAW_SYNC_BLOCKS == 0
        ok = True
        try:
            self._rf.write(self._rmv[:n])
            if sync:
                self._rf.flush()
        except OSError:
            ok = False
        self._rpos = logfmt.block_start(blk, self._rst)
        if ok and sync and self._free_kib() < self._keep:
            ok = False
        if not ok:
            self._raw_stop()
        return ok

    def _raw_stop(self):
        f = self._rf
        self._rf = None
        if f:
            try:
                f.close()
            except Exception:  # noqa: BLE001
                pass

    # -- end ------------------------------------------------------------------------------
    def flush(self):
        """Write the pending block now (and sync the raw file)."""
        try:
            if self.ok:
                self._write_block()
            if self._rf:
                self._rf.flush()
        except Exception as e:  # noqa: BLE001
            self.error = e
            self._raw_stop()

    def close(self):
        """Write what is pending and close the files. Safe to call twice; never raises."""
        try:
            if self._rf:
                self._raw_block()
            self._raw_stop()
            if self.ok:
                self._write_block()
                if self._pos > logfmt.BLK_HDR and not self.full:
                    self._write_block()  # the notes that write logged (log_resumed, log_rotated)
        except Exception as e:  # noqa: BLE001
            self.error = e
        self._stop(None)
