"""The board layer: the only device module that imports ``machine`` or knows a pin number.

Pins come from the pin map (``hardware/pinmap.json``, copied to ``/pinmap.json`` on the board;
the virtual board supplies its own), overridden by config keys ``pin_sda pin_scl pin_motor
pin_button i2c_freq`` (-1 = use the pin map). Usage::

    import board
    board.configure(cfg)                 # optional: pin overrides from the config dict
    i2c = board.i2c()
    motor = board.motor_pwm(); motor.duty_u16(40000)
    t0 = board.ticks_ms(); board.lightsleep(200); board.ticks_diff(board.ticks_ms(), t0)

On the ESP32 this is ``machine`` and ``time``. On the unix port and CPython (``sys.platform ==
"linux"``) ``machine`` is the virtual board's (``host/hinge/vboard/vmachine.py``, installed in
``sys.modules`` before the firmware starts; this module imports nothing from the host, and the
literal ``sys.platform`` tests below let a type checker pick the ESP32's branches): its clock is virtual and
moves only when the device sleeps, so a long capture replays as fast as the code runs. Device code
must therefore take time only from here (``ticks_ms``, ``ticks_us``, ``sleep_ms``, ``lightsleep``),
never from ``time`` directly. ``board`` itself also serves as the ``clock`` object the IMU drivers accept.
"""
import sys

import time as _time

import machine

VIRTUAL = sys.platform == "linux"

_PINMAP_PATH = "/pinmap.json"
_pinmap = None
_over = {}


def pinmap():
    """The board's pin map (dict), read once."""
    global _pinmap
    if _pinmap is None:
        _pinmap = _load_pinmap()
    return _pinmap


if sys.platform == "linux":

    def _load_pinmap():
        return machine.pinmap()

else:

    def _load_pinmap():
        import json

        with open(_PINMAP_PATH) as f:
            return json.load(f)


def configure(cfg=None):
    """Take pin and bus overrides from a config dict (``pin_*`` = -1 keeps the pin map's)."""
    global _over, _pinmap, _usb_pin
    _over = {}
    _pinmap = None
    _usb_pin = None
    if cfg:
        for k in ("pin_sda", "pin_scl", "pin_motor", "pin_button", "i2c_freq"):
            v = cfg.get(k, -1)
            if v is not None and v >= 0:
                _over[k] = v


def _pin(key, section, field="pin"):
    v = _over.get(key, -1)
    return v if v >= 0 else pinmap()[section][field]


def i2c():
    """The IMU's I2C bus."""
    m = pinmap()["i2c"]
    freq = _over.get("i2c_freq", m.get("freq", 400000))
    return machine.I2C(m.get("id", 0), scl=machine.Pin(_pin("pin_scl", "i2c", "scl")),
                       sda=machine.Pin(_pin("pin_sda", "i2c", "sda")), freq=freq)


def imu_addrs():
    """Addresses the pin map says an IMU may answer at."""
    return tuple(pinmap().get("imu_addrs", (0x68, 0x69, 0x6A, 0x6B)))


def motor_pwm():
    """PWM on the motor MOSFET gate, off (``duty_u16(0)``) to start."""
    m = pinmap()["motor"]
    return machine.PWM(machine.Pin(_pin("pin_motor", "motor")), freq=m.get("pwm_freq", 1000), duty_u16=0)


def button():
    """The session button as an input Pin (pulled as the pin map says)."""
    b = pinmap()["button"]
    pull = machine.Pin.PULL_UP if b.get("pull", "up") == "up" else machine.Pin.PULL_DOWN
    return machine.Pin(_pin("pin_button", "button"), machine.Pin.IN, pull)


def button_active():
    """The level the button reads while pressed (0 for a pull-up to ground)."""
    return pinmap()["button"].get("active", 0)


def led():
    """The status LED as an output Pin, or None when the board has none."""
    m = pinmap().get("led")
    return machine.Pin(m["pin"], machine.Pin.OUT, value=0) if m else None


_keepalive = None  # the Timer that feeds the watchdog while the REPL has the board
WDT_MS = 8000  # the firmware's watchdog timeout: 40 read periods of 200 ms, well past any flash write


def wdt(timeout_ms=WDT_MS):
    """Start the watchdog (cannot be stopped, and outlives a soft reset); feed it with ``.feed()``.
    Called again (e.g. by a program after a soft reset) it re-arms the same watchdog and returns
    it to be fed, and stops a ``wdt_keepalive`` timer (the caller feeds it now)."""
    global _keepalive
    if _keepalive is not None:
        _keepalive.deinit()
        _keepalive = None
    return machine.WDT(timeout=timeout_ms)


_usb_pin = None


def usb_powered():
    """1 while USB power is present (the pin map's ``usb_sense`` divider from the USB pin), 0 on
    battery, None when the board has no such pin. The ESP32's light sleep does not wake on the
    UART, so the firmware stays awake while a host may talk to it."""
    global _usb_pin
    if _usb_pin is None:
        u = pinmap().get("usb_sense")
        if not u:
            return None
        _usb_pin = machine.Pin(_pin("pin_usb_sense", "usb_sense"), machine.Pin.IN)
    return _usb_pin.value()


def wdt_keepalive(w, period_ms=1000):
    """Coaching has stopped (Ctrl-C from the USB host): keep a started watchdog from resetting
    the board while the host works at the REPL (a log download can take minutes).

    The ESP32's WDT cannot be stopped (a ``deinit`` is used where the port has one), so a
    hardware timer feeds it until the next reset. A soft reset frees the timer but not the
    watchdog: a program run after one must feed it (``wdt()`` gives it) or call this again. The
    virtual board models both (``host/hinge/vboard/vwdt.py``). Not verified on hardware yet.
    """
    global _keepalive
    if w is None:
        return None
    d = getattr(w, "deinit", None)
    if d is not None:
        try:
            d()
            return None
        except Exception:  # noqa: BLE001 - fall back to feeding it
            pass
    t = machine.Timer(0)
    t.init(period=period_ms, mode=machine.Timer.PERIODIC, callback=lambda _t: w.feed())
    _keepalive = t
    return t


# clock: the virtual board's on the unix port / CPython, ``time``'s on the ESP32
if sys.platform == "linux":
    ticks_ms = machine.ticks_ms
    ticks_us = machine.ticks_us  # the truth clock the IMU's rate is measured against
    ticks_diff = machine.ticks_diff
    ticks_add = machine.ticks_add
    sleep_ms = machine.sleep_ms  # busy/idle wait (CPU stays up)
else:
    ticks_ms = _time.ticks_ms
    ticks_us = _time.ticks_us  # the 40 MHz crystal's time (~20 ppm): the IMU's rate is measured against it
    ticks_diff = _time.ticks_diff
    ticks_add = _time.ticks_add
    sleep_ms = _time.sleep_ms


def lightsleep(ms):
    """Light sleep (the IMU keeps sampling into its FIFO); falls back to ``sleep_ms``."""
    try:
        machine.lightsleep(ms)
    except (AttributeError, OSError):
        sleep_ms(ms)


def idle():
    machine.idle()


_CLOCK_SET_YEAR = 2021  # logfmt.CLOCK_SET_YEAR: the RTC starts at 2000-01-01 on power-up; a later year was set


def wall():
    """The RTC's date and time for a log header: (year, month, day, hour, minute, second,
    clock_set), UTC as every ``hinge`` command that connects sets it (``machine.RTC``; on the
    virtual board its model, running on the virtual clock), or None when there is no RTC.
    ``clock_set``: 1 when the RTC had been set since power-up (it reads 2000 until then).
    In light sleep the RTC runs on the ESP32's slow clock (hardware/README.md: up to ~5 %
    off on the internal RC oscillator), so the host aligns by cadence, not by this alone."""
    try:
        d = machine.RTC().datetime()  # (year, month, day, weekday, hour, minute, second, subsecond)
    except (AttributeError, OSError):
        return None
    return (d[0], d[1], d[2], d[4], d[5], d[6], 1 if d[0] >= _CLOCK_SET_YEAR else 0)


def battery_mv():
    """Battery voltage in mV from the VBAT divider."""
    v = pinmap()["vbat"]
    adc = machine.ADC(machine.Pin(v["pin"]))
    try:
        adc.atten(machine.ADC.ATTN_11DB)
    except AttributeError:
        pass
    return adc.read_uv() * v.get("divider", 2) // 1000


if sys.platform == "linux":

    def fs_root():
        """Directory where config, logs and captures live ("/" on the board)."""
        root = machine.fs_root()
        import os

        try:
            os.stat(root)
        except OSError:
            _makedirs(root)
        return root

else:

    def fs_root():
        """Directory where config, logs and captures live ("/" on the board)."""
        return "/"


def _makedirs(path):
    import os

    p = "/" if path.startswith("/") else ""
    for part in path.split("/"):
        if not part:
            continue
        p = p + part if (not p or p.endswith("/")) else p + "/" + part
        try:
            os.mkdir(p)
        except OSError:
            pass


def exec_ram():
    """``(free, largest_block)`` bytes of the ESP32's executable RAM (IRAM: where the viper code's
    machine code is loaded when its module is imported from .mpy), or None where there is no
    ``esp32`` module (the unix port, the virtual board)."""
    try:
        # (by name: the type checker's esp32 stub drags in a machine stub it cannot check)
        esp32 = __import__("esp32")
    except ImportError:
        return None
    info = esp32.idf_heap_info(esp32.HEAP_EXEC)  # [(total, free, largest free block, min free), ...]
    return sum(i[1] for i in info), max([i[2] for i in info] or [0])


def reset():
    machine.reset()
