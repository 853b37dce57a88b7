"""Raw IMU samples from a board into a capture CSV (``hinge capture``).

    from hinge.board import capture
    capture.capture(port, 30, "run.csv")   # interrupts the firmware, then restarts it

**Capturing** (``hinge capture``). :func:`capture` enters the raw REPL with a soft reset (a clean
heap; the firmware is stopped), runs ``device/tools/capture.py``, which finds the IMU with the board's own
config (``configstore.load`` + ``board.configure`` + ``imu.find_imu``), reads its FIFO every
50 ms and prints each read as one line ``D<base64 of the int16 samples>`` (7 int16 per sample:
dt in 1/16 ms, unsigned, and raw counts; ~19 bytes a sample, 2 KB/s at 104 Hz against ~11 KB/s
of a 115200-baud UART); the host decodes the lines as they arrive, converts counts to g and
deg/s with the driver's scales and writes the capture CSV through a temp name renamed at the
end, so a broken capture leaves no file that looks complete. ``t_ms`` is the sum of the
firmware's dt (with decimals: what the firmware knows of each sample's time, including its
measured IMU rate once it has one). The number of samples is set by sample time (the firmware's
dt), not by the host's clock: N seconds at R Hz gives about N*R samples (fewer only if the FIFO
overflowed, which the file notes). Afterwards the firmware is restarted (friendly soft
reset) when the board has a main.py.
"""
from __future__ import annotations

import ast
import base64
import binascii
import contextlib
import datetime
import io
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hinge.common.errors import HingeError

from .live import check_seconds, connect_board, resolve_port

CAPTURE_READ_MS = 50  # FIFO read period on the board during a capture
CAPTURE_QUIET_MS = 3000  # board-side: no sample for this long ends the capture with an error
CAPTURE_BURST = 32  # samples per FIFO read: 448 bytes of buffer; 50 ms holds 5 samples at 104 Hz

@dataclass
class CaptureResult:
    path: Path
    samples: int
    duration_s: float  # sample time covered (last t_ms - first)
    rate_hz: int  # the IMU's configured output rate
    model: str
    addr: int
    lsb_per_g: int
    lsb_per_kdps: int
    accel_range_g: int
    gyro_range_dps: int
    mount_up: str
    mount_forward: str
    config_status: str
    overflows: int = 0
    lost: int = 0
    sensor_errors: int = 0
    wall_s: float = 0.0  # the board program's run, host side
    stream_bytes: int = 0  # console bytes received during it
    restarted: bool = False  # the firmware was started again afterwards
    comments: list = field(default_factory=list)


class _Stream:
    """Decodes the capture program's output as it arrives, line by line: ``I`` the IMU and config
    (a Python literal), ``D`` base64 of whole samples, ``W`` a sensor read error (the first),
    ``N`` no IMU, ``E`` another error, ``Z`` the end (samples, last t, overflows, lost, errors and
    the IMU's rate: windows measured (-1: not measured), mHz, ppm from nominal)."""

    def __init__(self, seconds, progress):
        self.seconds = seconds
        self.progress = progress
        self.buf = bytearray()
        self.info = None
        self.chunks = []
        self.n = 0
        self.t16 = 0  # sample time of the newest sample, 1/16 ms (first = 0)
        self.error = None
        self.warning = None
        self.end = None
        self.garbled = None
        self.nbytes = 0

    def feed(self, part: bytes):
        self.nbytes += len(part)
        self.buf += part
        while True:
            i = self.buf.find(b"\n")
            if i < 0:
                return
            line = bytes(self.buf[:i]).rstrip(b"\r")
            del self.buf[:i + 1]
            self._line(line)

    def _line(self, line: bytes):
        if not line or self.garbled:
            return
        tag = line[:1]
        if tag == b"D":
            try:
                raw = base64.b64decode(line[1:], validate=True)
            except (binascii.Error, ValueError):
                raw = None
            if raw is None or len(raw) % 14:
                self.garbled = f"garbled sample data after {self.n} samples"
                return
            a = np.frombuffer(raw, dtype="<i2").reshape(-1, 7)
            self.chunks.append(a)
            dt = a[:, 0].view(np.uint16).astype(np.int64)  # unsigned 1/16 ms
            if self.n == 0:
                dt = dt[1:]
            self.t16 += int(dt.sum())
            self.n += len(a)
            if self.progress is not None:
                self.progress(min(self.t16 / 16000.0, self.seconds), self.seconds)
        elif tag == b"I":
            self.info = ast.literal_eval(line[2:].decode())
        elif tag == b"E":
            self.error = line[2:].decode("utf-8", "replace")
        elif tag == b"N":  # find_imu's OSError: "no IMU found on I2C (...)", "no IMU at 0x68: ..."
            msg = line[2:].decode("utf-8", "replace")
            self.error = msg if msg.lower().startswith("no imu") else f"IMU problem: {msg}"
        elif tag == b"W":
            self.warning = line[2:].decode("utf-8", "replace")
        elif tag == b"Z":
            self.end = tuple(int(x) for x in line[2:].split())
        # anything else (e.g. a virtual board's status line) is not part of the stream


def capture(port, seconds: float, out, rate_hz: int | None = None, progress=None, restart: bool = True,
            command: str = "") -> CaptureResult:
    """Capture ``seconds`` of raw IMU samples from the board into the capture CSV ``out``.

    ``rate_hz``: IMU output rate for this capture (default: the board's config; the chip's
    nearest rate is used); ``progress(done_s, total_s)`` as samples arrive; ``restart``: start
    the firmware again afterwards (when the board has a main.py). Raises HingeError (one line)
    for a missing/busy port, no MicroPython, no Hinge firmware, no IMU or a broken stream; ``out``
    is then not touched (the CSV is written to a temp name and renamed when complete).
    """
    from hinge.common.capture import read_capture, write_capture

    from .transport import BoardError

    check_seconds(seconds)
    if rate_hz is not None:
        from hinge.common import devpath

        devpath.import_device("config").validate({"rate_hz": rate_hz})  # ValueError: one line
    out = Path(out)
    if out.parent and not out.parent.is_dir():
        raise HingeError(f"{out.parent}: no such folder")
    port = resolve_port(port)
    board = connect_board(port, soft_reset=True)
    st = _Stream(float(seconds), progress)
    t0 = time.monotonic()
    restarted = False
    try:
        try:
            board.call("capture", "run", float(seconds), int(rate_hz or 0), CAPTURE_BURST, CAPTURE_READ_MS,
                       CAPTURE_QUIET_MS, timeout=10.0, on_data=st.feed)
        except KeyboardInterrupt:
            _interrupt(board)
            if restart:
                _restart_after(board)
            raise
        except BoardError as e:
            raise HingeError(f"capture broken off after {st.n} samples ({e}); nothing written") from None
        wall = time.monotonic() - t0
        if restart:
            restarted = _restart_after(board)
    finally:
        board.close()
    if st.error:
        raise HingeError(st.error if st.n == 0 else f"{st.error}; nothing written")
    if st.garbled:
        raise HingeError(f"{st.garbled}; nothing written (try again; a cable or hub problem?)")
    if st.info is None or st.end is None:
        raise HingeError(f"capture broken off after {st.n} samples (no end mark); nothing written")
    total, _t_last, overflows, lost, errors, *meas = st.end
    if len(meas) == 3 and meas[0] > 0:  # windows, mHz, ppm (a firmware that measures the IMU's rate)
        rate_note = (f"imu rate {meas[1] / 1000:.3f} Hz as measured against the board's clock "
                     f"({meas[2] / 10000:+.2f} % from nominal): t_ms follows it")
    elif len(meas) == 3 and meas[0] == 0:
        rate_note = "imu rate nominal: not measured yet (it takes 30 s of samples)"
    else:
        rate_note = "imu rate nominal (imu_rate_cal off)" if meas else "imu rate nominal"
    if total != st.n:
        raise HingeError(f"capture incomplete: the board sent {total} samples, {st.n} arrived; nothing written")
    if st.n < 2:
        raise HingeError(f"the IMU gave only {st.n} samples in {seconds:g} s; nothing written")
    model, addr, rate, lsb_g, lsb_k, rng_g, rng_dps, lpf, up, fwd, status, platform = st.info
    raw = np.concatenate(st.chunks)
    dt = raw[:, 0].view(np.uint16).astype(np.int64)  # 1/16 ms, unsigned (device/kernel.py)
    dt[0] = 0
    t_ms = np.cumsum(dt) / 16.0
    acc_g = raw[:, 1:4] / float(lsb_g)
    gyr_dps = raw[:, 4:7] * (1000.0 / float(lsb_k))
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    comments = [
        f"hinge capture: raw IMU samples from the board on {port} ({platform}) at {stamp}"
        + (f" ({command})" if command else ""),
        f"imu={model} addr=0x{addr:02x} rate_hz={rate} accel_range_g={rng_g} gyro_range_dps={rng_dps} lpf_hz={lpf}",
        f"scales: lsb_per_g={lsb_g} lsb_per_kdps={lsb_k} (g = counts / lsb_per_g; deg/s = counts * 1000 / lsb_per_kdps)",
        f"mount_up={up} mount_forward={fwd} (board config: {status})",
        f"samples={st.n} duration_s={t_ms[-1] / 1000:.3f} fifo_overflows={overflows} lost_samples={lost} "
        f"sensor_errors={errors}",
        rate_note,
        f"replay with the board's own scales: hinge replay FILE --set imu_model={model}"
        + (f" --set mount_up={up} --set mount_forward={fwd}" if (up, fwd) != ("+x", "-z") else ""),
    ]
    tmp = out.with_name(f".{out.name}.part")
    try:
        write_capture(tmp, t_ms, acc_g, gyr_dps, comments)
        read_capture(tmp, units=False)  # what `hinge replay` will read: its format's checks, before the final name
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return CaptureResult(out, st.n, float(t_ms[-1]) / 1000.0, rate, model, addr, lsb_g, lsb_k, rng_g, rng_dps, up, fwd, status,
                         overflows, lost, errors, wall, st.nbytes, restarted, comments)


def _interrupt(board, timeout: float = 3.0):
    """Ctrl-C the running capture program, let its output drain, and come back to a fresh raw
    REPL prompt (also when the program had just ended and the Ctrl-C met the prompt)."""
    tr = board.transport
    if tr is None:
        return
    with contextlib.suppress(Exception):
        tr.serial.write(b"\x03")
        tr.read_until(1, b"\x04>", timeout=timeout)  # the end of the execution, or silence
        with contextlib.redirect_stdout(io.StringIO()):
            tr.enter_raw_repl(soft_reset=False, timeout_overall=timeout)


def _restart_after(board) -> bool:
    """Start the firmware again (friendly soft reset) if the board has a main.py."""
    from .transport import BoardError

    try:
        if not board.fs_exists("main.py"):
            return False
        board.run_main()
        return True
    except BoardError:
        return False
