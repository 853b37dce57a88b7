"""On-board raw IMU capture for ``hinge capture``: the firmware's own IMU set-up, FIFO reads
streamed to the console.

Sent by the host (``Board.tool("capture")``) after a soft reset (the firmware is stopped), then
``run(...)`` is called. It finds the IMU as ``main.py`` does (``configstore.load`` +
``board.configure`` + ``imu.find_imu``), reads the FIFO every ``per_ms`` and prints, one line each:

* ``I (model, addr, rate_hz, lsb_per_g, lsb_per_kdps, accel_range_g, gyro_range_dps, lpf_hz,
  mount_up, mount_forward, config status, sys.platform)``: the IMU and config (a literal);
* ``D<base64>``: whole samples, 7 int16 each (dt in 1/16 ms, unsigned, then raw counts ax ay
  az gx gy gz), as the driver fills its buffer;
* ``W <error>``: the first sensor read error (the capture goes on);
* ``N <error>`` no IMU, ``E <error>`` another error (the capture ends);
* ``Z samples last_t16 overflows lost errors windows mHz ppm``: the end (the IMU's measured rate:
  windows measured, -1 when not measured).

The number of samples is set by sample time (the sum of dt), not by the board's clock.
"""
import sys

from array import array

_SAMPLE = 7  # int16 per sample: dt + 3 accel + 3 gyro (the drivers' buffer layout)


def run(secs, rate, nb, per_ms, quiet_ms):
    """Capture ``secs`` seconds of samples (``rate`` Hz, 0: the config's), reading up to ``nb``
    samples per FIFO read every ``per_ms``; no sample for ``quiet_ms`` ends it with ``E``."""
    try:
        import board
        import configstore
        import imu
    except ImportError as e:
        print("E no Hinge firmware on the board (%s): run `hinge flash`" % e)
        return
    # a firmware whose watchdog outlives the soft reset that started this program (the ESP32's
    # cannot be stopped) names its timeout board.WDT_MS: feed it, and leave it fed for the REPL
    wdt_ms = getattr(board, "WDT_MS", 0)
    w = board.wdt(wdt_ms) if wdt_ms else None
    try:
        _capture(board, configstore, imu, w, secs, rate, nb, per_ms, quiet_ms)
    finally:
        board.wdt_keepalive(w)


def _capture(board, configstore, imu, w, secs, rate, nb, per_ms, quiet_ms):
    import binascii

    cfg, st = configstore.load(board.fs_root())
    if rate:
        cfg["rate_hz"] = rate
    board.configure(cfg)
    kw = {} if cfg.get("imu_rate_cal", True) else {"rate_cal": False}
    try:
        d = imu.find_imu(board.i2c(), cfg["imu_model"], cfg["imu_addr"], cfg["rate_hz"], cfg["accel_range_g"],
                         cfg["gyro_range_dps"], cfg["lpf_hz"], clock=board, **kw)
    except OSError as e:
        print("N", e)
        return
    print("I", repr((d.model, d.addr, d.rate_hz, d.lsb_per_g, d.lsb_per_kdps, d.accel_range_g, d.gyro_range_dps,
                     d.lpf_hz, cfg["mount_up"], cfg["mount_forward"], st, sys.platform)))
    buf = array("h", bytes(2 * _SAMPLE * nb))
    mv = memoryview(buf)
    goal = int(secs * 16000)  # sample time to capture, 1/16 ms
    t = -1  # sample time of the newest sample, 1/16 ms (the first is 0)
    total = 0
    err = 0
    d.flush()
    seen = board.ticks_ms()
    ov = d.overflows
    while True:
        if w:
            w.feed()
        try:
            n = d.read(buf, nb)
        except OSError as e:
            n = 0
            err += 1
            if err == 1:
                print("W", e)
        k = 0
        while k < n:
            t = 0 if t < 0 else t + (buf[_SAMPLE * k] & 0xFFFF)
            if t >= goal:
                break
            k += 1
        if k:
            sys.stdout.write("D" + binascii.b2a_base64(mv[:_SAMPLE * k]).decode())
            total += k
            seen = board.ticks_ms()
        elif d.overflows != ov:
            # the FIFO overflowed and was emptied (this loop was late for it: a host slow to
            # read the link blocks the writes): the IMU gave samples, they were lost, and the
            # 'Z' line counts them; it is no quiet IMU
            seen = board.ticks_ms()
        ov = d.overflows
        if k < n:
            break
        if n == nb:
            continue
        if board.ticks_diff(board.ticks_ms(), seen) > quiet_ms:
            print("E the IMU gave no samples for %d s (after %d samples)" % (quiet_ms // 1000, total))
            return
        board.sleep_ms(per_ms)
    rc = getattr(d, "rate_clock", None)
    print("Z", total, t, d.overflows, d.lost, err, rc.windows if rc else -1, rc.rate_mhz() if rc else 0,
          rc.ppm() if rc else 0)
