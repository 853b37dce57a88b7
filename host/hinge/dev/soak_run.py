# One leg of the soak (hinge.dev.soak): the unchanged firmware (device/main.py's App) on the virtual
# board from power-up until a power cut, with faults at board times from a plan (JSON):
#   {"outages": [[board_ms, ms], ...],  the IMU loses power for ms (I2C NACKs, then defaults)
#    "stalls": [[board_ms, ms], ...],   the CPU is held up for ms (the IMU's FIFO overflows)
#    "cut_ms": board_ms or null,        power cut: at the first sleep (or, with "cut_in_write",
#    "cut_in_write": bool,              the first flash write, half of it written) from then on
#    "flash_bytes": n or null,          the flash's size: a write past it fails with ENOSPC
#    "heap_every_ms": ms}               print the live heap (after a collection) this often
# At the cut it prints "H # soak: power cut ..." and hangs: the host kills it (SIGKILL), so no
# finally block, close or flush runs, as when the battery goes. Status lines "H # soak: ..." give
# the host the board times it needs (session start, the IMU's source timeline start, heap).
#   micropython -X heapsize=... soak_run.py PLAN.json     (MICROPYPATH: device, vboard)
import builtins
import gc
import json
import os
import sys
import time

import vmachine

vmachine.install(None)  # the virtual board's machine, before any firmware module imports it
import board  # noqa: E402
import main  # noqa: E402

with open(sys.argv[1]) as _f:
    PLAN = json.loads(_f.read())
VB = vmachine.current()
CLOCK = VB.clock
OUTAGES = sorted(PLAN.get("outages", []))
STALLS = sorted(PLAN.get("stalls", []))
CUT = PLAN.get("cut_ms")
CUT_WRITE = PLAN.get("cut_in_write", False)
FLASH = PLAN.get("flash_bytes")
HEAP_MS = PLAN.get("heap_every_ms", 3600000)
ROOT = board.fs_root()
_open = builtins.open
_used = [None]


def cut(where):
    print("H # soak: power cut at board_ms %d (%s)" % (CLOCK.now(), where))
    while True:  # the host kills us: nothing more runs
        time.sleep(1000)


def used_bytes(path=None):
    """Bytes in every file under the flash root."""
    path = path or ROOT
    n = 0
    for e in os.ilistdir(path):
        p = path + "/" + e[0]
        if e[1] == 0x4000:
            n += used_bytes(p)
        else:
            n += os.stat(p)[6]
    return n


class FlashFile:
    """A file on the virtual flash: writes past ``FLASH`` bytes in all fail with OSError(28);
    a power cut due in a write writes half of it first."""

    def __init__(self, f):
        self.f = f

    def write(self, data):
        if CUT is not None and CUT_WRITE and CLOCK.now() >= CUT:
            n = len(data) // 2
            self.f.write(bytes(data[:n]))
            self.f.flush()
            cut("in a flash write, %d of %d bytes written" % (n, len(data)))
        if FLASH is not None:
            if _used[0] is None or _used[0] + len(data) > FLASH:
                self.f.flush()
                _used[0] = used_bytes()
                if _used[0] + len(data) > FLASH:
                    raise OSError(28)
            _used[0] += len(data)
        return self.f.write(data)

    def flush(self):
        self.f.flush()

    def seek(self, *a):
        r = self.f.seek(*a)
        _used[0] = None  # a rewind (a failed write rolled back): count again
        return r

    def tell(self):
        return self.f.tell()

    def read(self, *a):
        return self.f.read(*a)

    def close(self):
        self.f.close()
        _used[0] = None

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


def flash_open(path, mode="r", *a):
    f = _open(path, mode, *a)
    if ("w" in mode or "a" in mode or "+" in mode) and str(path).startswith(ROOT):
        _used[0] = None
        return FlashFile(f)
    return f


if FLASH is not None or CUT_WRITE:
    builtins.open = flash_open
# the virtual board's list of every motor duty change would grow for hours (the firmware's heap
# is what is measured here): keep none
VB.log_pwm = lambda pin, duty: None


class SoakApp(main.App):
    next_heap = HEAP_MS

    def start_session(self):
        t = CLOCK.now()
        super().start_session()
        imu = VB.imu
        print("H # soak: session start board_ms %d src_t0_16 %d" % (t, imu._src_t0 if imu._src_t0 is not None else -1))

    def wait(self, ms):
        now = CLOCK.now()
        while OUTAGES and OUTAGES[0][0] <= now:
            print("H # soak: outage at board_ms %d" % now)
            VB.imu.unplug(OUTAGES.pop(0)[1])
        stall = 0
        while STALLS and STALLS[0][0] <= now:
            stall += STALLS.pop(0)[1]
        if stall:
            print("H # soak: stall at board_ms %d" % now)
        if CUT is not None and now >= CUT and (not CUT_WRITE or now >= CUT + 30000):
            cut("asleep" if not CUT_WRITE else "asleep: no flash write came")
        if now >= self.next_heap:
            self.next_heap += HEAP_MS
            gc.collect()
            print("H # soak: heap %d at board_ms %d" % (gc.mem_alloc(), now))
        if stall:
            board.sleep_ms(stall)  # held up (a long flash erase, say): no FIFO read, no feed
        return super().wait(ms)


SoakApp(quiet=False).run()
