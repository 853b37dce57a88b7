"""The virtual ``machine`` for the unix port and CPython: a board whose clock is virtual.

``install`` puts this module in ``sys.modules`` as ``machine`` (``hinge/vboard/vboot.py`` does
so before the firmware starts on the unix port; tests do under CPython), so ``device/board.py``
imports it as ``machine``. Everything a Hinge board has is here: ``I2C`` (with register-level IMU models on it),
``Pin`` (the button follows a schedule), ``PWM`` (every duty change is logged with its virtual
time), ``WDT`` (raises ``WDTReset`` if not fed in time), ``ADC`` (battery), ``lightsleep``,
``idle``, ``reset``, and a ``Clock``.

Usage (host or test)::

    import vmachine, vsources
    src = vsources.FileSource("run.s6", fields=6, rate_hz=104)
    vb = vmachine.VBoard(imu="lsm6dso", addr=0x6A, source=src)
    vmachine.install(vb)            # board.* now talks to this board
    ...                             # run device code; vb.clock.advance(ms) moves time
    vb.pwm_log                      # [(t_ms, pin, duty_u16), ...]

or, for ``micropython device/main.py`` with no host code, the environment variable
``HINGE_VBOARD`` holds the same settings as JSON (see ``VBoard.from_env``)::

    HINGE_VBOARD='{"imu": "mpu6050", "source": {"path": "run.s6", "rate_hz": 104}}'

The IMU's own clock is off by ``clock_error`` (a fraction: 0.02 = its samples come 2 % fast),
as real IMUs are (1-2 %); the board's clock is the truth. In ``HINGE_VBOARD`` an absent
``clock_error`` is drawn from ``seed`` (uniform in +-1.5 %: ``default_clock_error``).

The clock: virtual milliseconds that move only when the device sleeps (``sleep_ms``,
``lightsleep``, ``idle``) or a test calls ``advance``, so a 10-minute run replays as fast as the
code runs ("as fast as possible", ``scale=0``). With ``scale=k > 0`` virtual time also follows
real time k times faster (``scale=1``: real time) and sleeps really sleep ``ms / k``.
``ticks_ms`` wraps at 2**30 like the ESP32 (``start_ms`` lets a test start near the wrap).
The ESP32's watchdog and timers (modelled here, see ``vwdt.py``): a ``WDT`` once armed cannot be
stopped and survives a soft reset (the pty board keeps it in the ``state`` file across
interpreters and resets the board when it goes unfed, even at the REPL); a ``Timer`` is freed by a
soft reset. ``lightsleep`` does not wake on the UART: with ``scale > 0`` a Ctrl-C (SIGINT) that
arrives while the board light-sleeps is lost (counted in ``ctrl_c_lost``). ``usb``: USB power is
present (the pin map's ``usb_sense`` pin reads 1).

When the capture has been played and ``end_grace_ms`` more have passed, the next sleep raises
``EndOfCapture`` (a ``SystemExit``) if ``on_end == "exit"``; with ``on_end == "idle"`` the
board prints ``H # virtual: capture played`` once on its console and carries on.

Longer than 500 lines: it is the virtual board's whole ``machine`` module (installed in
``sys.modules`` as ``machine``), one module as on a board.
"""
import sys
import time

try:
    import os
except ImportError:  # pragma: no cover
    os = None

_TICKS_PERIOD = 1 << 30
_TICKS_MAX = _TICKS_PERIOD - 1
_TICKS_HALF = _TICKS_PERIOD // 2

_BOARD = None


# printed once on stdout (the board's console) when the capture has been played and
# ``on_end == "idle"``, in the firmware's status-line format, so a host following the console
# (``hinge monitor``) knows the simulated run is over
PLAYED_LINE = "H # virtual: capture played"

EXIT_HARD_RESET = 86  # exit status that hinge.virtual.ptyboard's supervisor treats as a hard reset

# where the ESP32's RTC starts after power-up: 2000-01-01T00:00:00Z, in Unix seconds
RTC_POWERUP_S = 946684800


class BoardReset(SystemExit):
    """``machine.reset()`` (or the watchdog): a hard reset. Uncaught, the interpreter exits with
    status ``EXIT_HARD_RESET``, which ``hinge.virtual.ptyboard`` turns into a reboot (boot.py, main.py)."""


class WDTReset(BoardReset):
    """The watchdog expired: on the board this is a hard reset."""


class EndOfCapture(SystemExit):
    """The sample source is exhausted (and the grace time has passed)."""


def _say(msg):
    try:
        print(msg, file=sys.stderr)
    except (AttributeError, TypeError):  # pragma: no cover
        print(msg)


def _us():
    """Real microseconds (host CPU), for the simulation's own cost accounting."""
    if hasattr(time, "ticks_us"):
        return time.ticks_us()
    return int(time.perf_counter() * 1000000)


def _real_ms():
    if hasattr(time, "monotonic"):  # CPython
        return time.monotonic() * 1000.0
    return time.ticks_ms()  # MicroPython unix port: 63-bit ticks, no wrap in practice


class Clock:
    """Virtual milliseconds. ``now()`` is unbounded; ``ticks_ms()`` wraps like the ESP32's."""

    def __init__(self, scale=0, start_ms=0):
        self.scale = scale
        self.start_ms = start_ms
        self._t = 0
        self._listeners = []
        self._real0 = _real_ms() if scale else 0

    def now(self):
        if self.scale:
            v = int((_real_ms() - self._real0) * self.scale)
            if v > self._t:
                self._t = v
        return self._t

    def ticks_ms(self):
        return (self.start_ms + self.now()) & _TICKS_MAX

    def ticks_us(self):
        return ((self.start_ms + self.now()) * 1000) & _TICKS_MAX

    @staticmethod
    def ticks_diff(a, b):
        return ((a - b + _TICKS_HALF) & _TICKS_MAX) - _TICKS_HALF

    @staticmethod
    def ticks_add(a, b):
        return (a + b) & _TICKS_MAX

    def listen(self, fn):
        self._listeners.append(fn)

    def advance(self, ms, slept=False):
        """Move virtual time forward ``ms`` and let the board catch up (models, WDT, button).
        ``slept``: the caller has already spent the real time (``scale > 0``)."""
        if ms < 0:
            raise ValueError("cannot go back in time")
        if self.scale and slept:
            if self.now() < self._t + ms:
                self._t += ms
        elif self.scale:
            target = self._t + ms
            if ms:
                time.sleep(ms / 1000 / self.scale)
            if self.now() < target:
                self._t = target
        else:
            self._t += ms
        now = self._t
        for fn in self._listeners:
            fn(now)

    def sleep_ms(self, ms):
        self.advance(ms)


class VBoard:
    """A virtual Hinge board: clock, I2C bus with devices, motor PWM log, WDT, button, battery.

    ``imu``: model name (``mpu6050 mpu6500 mpu9250 lsm6ds3 lsm6dso lsm6dsox ism330dhcx``) or None;
    ``addr``: its I2C address (default 0x68 for MPU, 0x6A for ST); ``source``: a ``vsources``
    source; ``pinmap``: dict or path (default: the repo's hardware/pinmap.json); ``fs_root``:
    the directory that stands for the board's flash (default ``build/vfs``); ``battery_mv``:
    a number or ``fn(t_ms)``; ``pwm_log``: optional file path, one ``t_ms,pin,duty_u16`` line per
    change; ``on_end``: "exit" (raise EndOfCapture on the next sleep after the capture ends plus
    ``end_grace_ms``) or "idle" (keep running, no new samples; ``PLAYED_LINE`` is printed once);
    ``wdt_raise``: raise WDTReset on expiry (else only count it in ``wdt_expired``);
    ``clock_error``: the IMU's clock error as a fraction (+ = fast; see ``regmodel_base``);
    ``state``: a file (outside the flash) where the armed watchdog outlives the interpreter, i.e.
    a soft reset (``vwdt.py``); None: it dies with it; ``usb``: USB power present (``usb_sense``).
    """

    def __init__(self, imu="mpu6050", addr=None, source=None, clock=None, pinmap=None, fs_root=None,
                 battery_mv=3900, pwm_log=None, on_end="exit", end_grace_ms=1000, wdt_raise=True, clock_error=0,
                 rtc=None, rtc_drift=0, rtc_file=None, state=None, usb=False, **imu_kw):
        self.clock = clock if clock is not None else Clock()
        # the RTC: Unix ms at the virtual clock's rtc_at, running (1 + rtc_drift) times as fast as
        # the virtual clock (the ESP32's slow clock in light sleep: hardware/README.md)
        self.rtc_drift = rtc_drift
        self.rtc_file = rtc_file
        self._rtc_at = self.clock.now()
        self._rtc_ms = int(RTC_POWERUP_S if rtc is None else rtc) * 1000
        if rtc is None and rtc_file:
            self._rtc_load()
        self.devices = {}
        self.pwm_log = []
        self.pwm_log_path = pwm_log
        self._pwm_file = None
        self.wdt = None
        self.wdt_raise = wdt_raise
        self.wdt_expired = 0
        self.resets = 0
        self.lightsleep_ms = 0
        self.lightsleeps = 0
        self.i2c_transfers = 0
        self.i2c_bytes = 0
        self.sim_us = 0  # host CPU time spent inside the register models (not the firmware's)
        self.battery_mv = battery_mv
        self.on_end = on_end
        self.end_grace_ms = end_grace_ms
        self._end_at = None
        self.played_said = False  # PLAYED_LINE printed (on_end "idle")
        self._presses = []  # (start_ms, end_ms)
        self._pins = []  # Pins with irq handlers
        self._pinmap = pinmap
        self.fs_root = fs_root or "build/vfs"
        self.imu = None
        self.clock_error = clock_error
        self.timers = []  # running machine.Timer objects (freed with the interpreter: a soft reset)
        self.ctrl_c_lost = 0  # Ctrl-Cs that arrived while the board light-slept (the UART sleeps too)
        self.usb = usb
        self.state = None
        if state:  # (vwdt is imported only where it is used: the heap is the board's)
            import vwdt

            self.state = vwdt.State(state, self.clock)
            self.state.restore(self)  # a watchdog armed before a soft reset is still armed
        if imu:
            self.imu = make_imu(imu, addr, source, **imu_kw)
            self.imu.clock_ppm = int(round(clock_error * 1000000))
            self.attach(self.imu)
        self.clock.listen(self._on_time)

    # -- wiring ------------------------------------------------------------------------
    def attach(self, dev):
        """Put a register model on the I2C bus at ``dev.addr``."""
        dev.clock = self.clock
        self.devices[dev.addr] = dev
        return dev

    def pinmap(self):
        pm = self._pinmap
        if pm is None or isinstance(pm, str):
            import json

            with open(pm or default_pinmap_path()) as f:
                self._pinmap = json.load(f)
        return self._pinmap

    def press(self, at_ms, dur_ms=100):
        """Schedule a button press (virtual time, ms since the clock's zero)."""
        self._presses.append((at_ms, at_ms + dur_ms))

    def button_down(self, now=None):
        t = self.clock.now() if now is None else now
        return any(a <= t < b for a, b in self._presses)

    def battery(self):
        b = self.battery_mv
        return b(self.clock.now()) if callable(b) else b

    def capture_done(self):
        """True once the IMU's source has run out (the capture has been played)."""
        return self.imu is not None and self.imu.exhausted

    # -- time --------------------------------------------------------------------------
    def _on_time(self, now):
        for d in self.devices.values():
            d.sync(now)
        if self.timers:
            import vwdt

            vwdt.run_timers(self, now)
        w = self.wdt
        if w is not None and now - w.fed > w.timeout:
            self.wdt_expired += 1
            late = now - w.fed
            w.fed = now  # the board would reboot; count once per expiry
            if self.wdt_raise:
                _say("vboard: WDT not fed for %d ms (timeout %d ms): hard reset" % (late, w.timeout))
                raise WDTReset(EXIT_HARD_RESET)
        for p in self._pins:
            p._poll(now)
        if self.on_end == "exit" and self.capture_done():
            if self._end_at is None:
                self._end_at = now + self.end_grace_ms
            elif now >= self._end_at:
                self.close()
                print("H # virtual: end sim_us=%d i2c_bytes=%d i2c_transfers=%d lightsleep_ms=%d now_ms=%d" % (
                    self.sim_us, self.i2c_bytes, self.i2c_transfers, self.lightsleep_ms, now))
                raise EndOfCapture(0)
        elif self.on_end == "idle" and not self.played_said and self.capture_done():
            self.played_said = True
            print(PLAYED_LINE)  # on the console: a host following it knows the run is over

    # -- real-time clock (machine.RTC) --------------------------------------------------
    def rtc_ms(self):
        """The RTC now, Unix ms (UTC once the host has set it)."""
        return self._rtc_ms + int((self.clock.now() - self._rtc_at) * (1 + self.rtc_drift))

    def rtc_set(self, unix_ms):
        self._rtc_ms = int(unix_ms)
        self._rtc_at = self.clock.now()
        self._rtc_save()

    def _rtc_save(self):
        # the RTC keeps its time through a soft reset (here a new interpreter): kept in
        # rtc_file with the host's time of the save, so the next start goes on from there
        if not self.rtc_file:
            return
        import json

        with open(self.rtc_file, "w") as f:
            f.write(json.dumps({"unix_ms": self.rtc_ms(), "host_s": time.time()}))

    def _rtc_load(self):
        import json

        try:
            with open(self.rtc_file) as f:
                d = json.loads(f.read())
            self._rtc_ms = int(d["unix_ms"] + max(0.0, time.time() - d["host_s"]) * 1000)
        except (OSError, ValueError, KeyError, TypeError):
            pass  # never set since the board was powered up: 2000-01-01

    def log_pwm(self, pin, duty):
        t = self.clock.now()
        self.pwm_log.append((t, pin, duty))
        if self.pwm_log_path:
            if self._pwm_file is None:
                self._pwm_file = open(self.pwm_log_path, "w")  # noqa: SIM115 (kept open for the run)
            self._pwm_file.write("%d,%d,%d\n" % (t, pin, duty))
            self._pwm_file.flush()

    def close(self):
        if self._pwm_file is not None:
            self._pwm_file.close()
            self._pwm_file = None

    @classmethod
    def from_env(cls):
        """A board from ``HINGE_VBOARD`` (JSON): imu, addr, source {path, fields, rate_hz,
        lsb_per_g, lsb_per_kdps}, scale, start_ms, fs_root, pinmap, battery_mv, pwm_log,
        on_end, end_grace_ms, clock_error (fraction; absent: drawn from seed, default 0), rtc (Unix
        seconds the RTC reads at the start; absent: 2000-01-01 as after power-up, or what
        rtc_file kept), rtc_drift (fraction, + = fast), rtc_file (keeps the RTC through resets),
        state (the watchdog's file across soft resets), usb (bool).
        Unset: an MPU-6050 at 0x68 with no source (all-zero samples)."""
        import json

        spec = {}
        text = os.getenv("HINGE_VBOARD") if os is not None and hasattr(os, "getenv") else None
        if text:
            spec = json.loads(text)
        src = None
        if spec.get("source"):
            import vsources

            src = vsources.from_spec(spec["source"])
        clock = Clock(scale=spec.get("scale", 0), start_ms=spec.get("start_ms", 0))
        return cls(imu=spec.get("imu", "mpu6050"), addr=spec.get("addr"), source=src, clock=clock,
                   pinmap=spec.get("pinmap"), fs_root=spec.get("fs_root"),
                   battery_mv=spec.get("battery_mv", 3900), pwm_log=spec.get("pwm_log"),
                   on_end=spec.get("on_end", "exit"), end_grace_ms=spec.get("end_grace_ms", 1000),
                   clock_error=spec.get("clock_error", default_clock_error(spec.get("seed", 0))),
                   rtc=spec.get("rtc"), rtc_drift=spec.get("rtc_drift", 0), rtc_file=spec.get("rtc_file"),
                   state=spec.get("state"), usb=spec.get("usb", False))


def default_clock_error(seed):
    """The IMU clock error a board with this seed gets when none is set: uniform in +-1.5 %
    (a fraction, in 1 ppm steps), the same under CPython and micropython (an integer hash)."""
    x = (int(seed) * 2654435761 + 0x9E3779B9) & 0xFFFFFFFF
    x ^= x >> 16
    x = (x * 0x45D9F3B) & 0xFFFFFFFF
    x ^= x >> 16
    return (x % 30001 - 15000) / 1000000


def make_imu(model, addr=None, source=None, **kw):
    """A register model by name (see VBoard)."""
    if model.startswith("mpu"):
        import regmodel_mpu

        return regmodel_mpu.MPU6xxx(addr or 0x68, source, model, **kw)
    import regmodel_lsm6ds

    if model not in regmodel_lsm6ds.CHIPS:
        raise ValueError("unknown IMU model '%s'" % model)
    return regmodel_lsm6ds.LSM6DS(addr or 0x6A, source, model, **kw)


def default_pinmap_path():
    here = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
    return here + "/../../../hardware/pinmap.json"


def install(board):
    """Make this module the ``machine`` that ``import machine`` gives (``device/board.py`` imports
    nothing else) and ``board`` the one its calls use (None: keep the installed one, else built
    from ``HINGE_VBOARD`` on first use). Returns ``board``."""
    global _BOARD
    sys.modules["machine"] = sys.modules[__name__]
    if board is not None:
        _BOARD = board
    return board


def current():
    """The installed board; built from ``HINGE_VBOARD`` on first use if none was installed."""
    global _BOARD
    if _BOARD is None:
        _BOARD = VBoard.from_env()
    return _BOARD


# -- machine API -----------------------------------------------------------------------
class Pin:
    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_UP = 2
    PULL_DOWN = 1
    IRQ_FALLING = 2
    IRQ_RISING = 1

    def __init__(self, id, mode=-1, pull=-1, value=None):
        self.id = id
        self.mode = mode
        self.pull = pull
        self._v = 0 if value is None else int(bool(value))
        self._board = current()
        self._handler = None
        self._trigger = 0
        self._prev = None

    def _is_button(self):
        b = self._board.pinmap().get("button") or {}
        return b.get("pin") == self.id

    def _is_usb_sense(self):
        u = self._board.pinmap().get("usb_sense") or {}
        return u.get("pin") == self.id

    def value(self, v=None):
        if v is not None:
            self._v = int(bool(v))
            return None
        if self._is_button():
            b = self._board.pinmap()["button"]
            active = b.get("active", 0)
            return active if self._board.button_down() else 1 - active
        if self._is_usb_sense():
            return 1 if self._board.usb else 0
        return self._v

    def __call__(self, v=None):
        return self.value(v)

    def on(self):
        self._v = 1

    def off(self):
        self._v = 0

    def irq(self, handler=None, trigger=3):
        self._handler = handler
        self._trigger = trigger
        self._prev = self.value()
        if self not in self._board._pins:
            self._board._pins.append(self)

    def _poll(self, now):
        if self._handler is None:
            return
        v = self.value()
        if v != self._prev:
            edge = Pin.IRQ_RISING if v else Pin.IRQ_FALLING
            self._prev = v
            if self._trigger & edge:
                self._handler(self)


class I2C:
    """Virtual I2C bus: the board's register models answer at their addresses; an absent or
    unplugged address raises ``OSError(19)`` (ENODEV), as the ESP32 port does on a NACK."""

    def __init__(self, id=0, *, scl=None, sda=None, freq=400000, timeout=50000):
        self.id = id
        self.scl = scl
        self.sda = sda
        self.freq = freq
        self._board = current()
        self._ptr = {}

    def _dev(self, addr):
        b = self._board
        d = b.devices.get(addr)
        if d is None or not d.present(b.clock.now()):
            raise OSError(19)
        return d

    def scan(self):
        b = self._board
        now = b.clock.now()
        return sorted(a for a in b.devices if b.devices[a].present(now))

    def readfrom_mem_into(self, addr, memaddr, buf, *, addrsize=8):
        t0 = _us()
        d = self._dev(addr)
        d.read_into(memaddr, buf)
        b = self._board
        b.i2c_transfers += 1
        b.i2c_bytes += len(buf) + 3  # addr+W, reg, addr+R, data
        b.sim_us += _us() - t0

    def readfrom_mem(self, addr, memaddr, nbytes, *, addrsize=8):
        buf = bytearray(nbytes)
        self.readfrom_mem_into(addr, memaddr, buf)
        return bytes(buf)

    def writeto_mem(self, addr, memaddr, buf, *, addrsize=8):
        t0 = _us()
        d = self._dev(addr)
        d.write(memaddr, buf)
        b = self._board
        b.i2c_transfers += 1
        b.i2c_bytes += len(buf) + 2
        b.sim_us += _us() - t0

    def writeto(self, addr, buf, stop=True):
        d = self._dev(addr)
        if len(buf):
            self._ptr[addr] = buf[0]
            if len(buf) > 1:
                d.write(buf[0], memoryview(buf)[1:])
        self._board.i2c_transfers += 1
        return len(buf)

    def readfrom_into(self, addr, buf, stop=True):
        d = self._dev(addr)
        d.read_into(self._ptr.get(addr, 0), buf)
        self._board.i2c_transfers += 1

    def readfrom(self, addr, nbytes, stop=True):
        buf = bytearray(nbytes)
        self.readfrom_into(addr, buf)
        return bytes(buf)


SoftI2C = I2C


class PWM:
    """Records every duty change as ``(t_ms, pin, duty_u16)`` in the board's ``pwm_log``."""

    def __init__(self, dest, *, freq=None, duty_u16=None, duty=None, duty_ns=None):
        self.pin = dest.id if isinstance(dest, Pin) else dest
        self._board = current()
        self._freq = freq or 1000
        self._duty = 0
        if duty_u16 is not None:
            self.duty_u16(duty_u16)
        elif duty is not None:
            self.duty(duty)

    def freq(self, f=None):
        if f is None:
            return self._freq
        self._freq = f

    def duty_u16(self, d=None):
        if d is None:
            return self._duty
        d = int(d)
        if d < 0 or d > 65535:
            raise ValueError("duty_u16 must be 0..65535")
        if d != self._duty:
            self._duty = d
            self._board.log_pwm(self.pin, d)

    def duty(self, d=None):
        if d is None:
            return self._duty >> 6
        self.duty_u16(min(1023, int(d)) * 65535 // 1023)

    def deinit(self):
        self.duty_u16(0)


class WDT:
    """Must be fed at least every ``timeout`` ms of virtual time. Cannot be stopped (no
    ``deinit``, as on the ESP32); a second ``WDT(...)`` re-arms the same one with its timeout."""

    def __init__(self, id=0, timeout=5000, _board=None, _fed=None):
        self._board = b = _board or current()
        self.timeout = timeout
        self.fed = self.last = b.clock.now() if _fed is None else _fed  # _fed: armed before a soft reset
        self.feeds = 0
        b.wdt = self
        if b.state is not None and _fed is None:
            b.state.armed(self)

    def feed(self):
        b = self._board
        self.fed = self.last = b.clock.now()
        self.feeds += 1
        if b.state is not None:
            b.state.fed(self)


class Timer:
    """``machine.Timer``: a ``vwdt.Timer`` (imported when first used: the heap is the board's)."""

    ONE_SHOT = 0
    PERIODIC = 1

    def __new__(cls, *a, **kw):
        import vwdt

        return vwdt.Timer(*a, **kw)


class ADC:
    ATTN_0DB = 0
    ATTN_2_5DB = 1
    ATTN_6DB = 2
    ATTN_11DB = 3

    def __init__(self, pin, atten=None):
        self.pin = pin.id if isinstance(pin, Pin) else pin
        self._board = current()

    def atten(self, a):
        pass

    def width(self, w):
        pass

    def read_uv(self):
        pm = self._board.pinmap().get("vbat") or {}
        return int(self._board.battery() * 1000 // pm.get("divider", 2))

    def read_u16(self):
        return min(65535, self.read_uv() * 65535 // 3300000)


def _days_from_civil(y, m, d):
    # days since 1970-01-01 of a proleptic Gregorian date (eras of 400 years, March-based years)
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(z):
    # (year, month, day) of day z since 1970-01-01: the inverse of _days_from_civil
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (m <= 2), m, d


class RTC:
    """``machine.RTC``: ``datetime()`` gives (year, month, day, weekday 0 = Monday, hour, minute,
    second, microsecond); ``datetime(tuple)`` sets it (the weekday given is ignored, as the
    ESP32 port recomputes it). It runs on the virtual clock (times 1 + ``rtc_drift``)."""

    def __init__(self, id=0):
        self._b = current()

    def datetime(self, dt=None):
        b = self._b
        if dt is None:
            ms = b.rtc_ms()
            days, rest = divmod(ms, 86400000)
            y, mo, d = _civil_from_days(days)
            return (y, mo, d, (days + 3) % 7, rest // 3600000, rest // 60000 % 60, rest // 1000 % 60,
                    rest % 1000 * 1000)
        y, mo, d = dt[0], dt[1], dt[2]
        h, mi, s, us = (dt[4], dt[5], dt[6], dt[7]) if len(dt) > 7 else (0, 0, 0, 0)
        b.rtc_set((_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1000 + us // 1000)
        return None

    def init(self, dt):
        self.datetime(dt)


def lightsleep(ms=None):
    """Light sleep: wakes on its timer only (as an ESP32 with no GPIO/touch wake source set up).
    The UART sleeps too, so a Ctrl-C arriving meanwhile (SIGINT here) is lost, not raised."""
    b = current()
    ms = 1000 if ms is None else ms
    b.lightsleeps += 1
    b.lightsleep_ms += ms
    if b.clock.scale:  # real time passes: a Ctrl-C may land in it
        import vwdt

        vwdt.sleep_deaf(b, ms)
    else:
        b.clock.advance(ms)


def deepsleep(ms=None):
    lightsleep(ms)
    _say("vboard: deepsleep ends in a reset")
    raise BoardReset(EXIT_HARD_RESET)


def idle():
    current().clock.advance(1)


def sleep_ms(ms):
    current().clock.advance(ms)


def ticks_ms():
    return current().clock.ticks_ms()


def ticks_us():
    return current().clock.ticks_us()


def ticks_diff(a, b):
    return Clock.ticks_diff(a, b)


def ticks_add(a, b):
    return Clock.ticks_add(a, b)


def reset():
    b = current()
    b.resets += 1
    b.close()
    _say("vboard: machine.reset()")
    raise BoardReset(EXIT_HARD_RESET)


def soft_reset():
    reset()


def freq(f=None):
    return 240000000 if f is None else None


def unique_id():
    return b"VBOARD"


def fs_root():
    return current().fs_root


def pinmap():
    return current().pinmap()


def platform():
    return sys.platform
