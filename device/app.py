"""Hinge firmware: boot, find the IMU, calibrate, coach, log. Runs on the ESP32 and, unchanged,
on the unix port's virtual board (``board.py`` picks the hardware). ``main.py`` starts it
(``main()``); `hinge flash` installs this module precompiled, like the others.

Boot -> config (fallback: last good, then defaults; a distinct buzz) -> IMU (probe; retried
every 2 s until found: what is wrong and what to try is said once, with a sensor-fault buzz
repeated every minute) -> session: read the IMU FIFO every ``fifo_read_ms``, feed the
detector, act on its events (log every one; buzz alerts, clears, calibration), step the haptic
patterns, feed the watchdog, then sleep until the next read (light sleep when the motor is
quiet: the IMU keeps sampling into its FIFO). IMU errors mid-run are retried every second and
logged; the coach carries on once the sensor is back. The session log goes to flash at least
every 10 s of wall time (``board.ticks_ms``, not the sample clock, which stops with the IMU) and
at once after every fault event, so a dead IMU or a power cut loses at most 10 s of it. The button (if fitted) ends a session
and starts the next. Ctrl-C from the USB REPL (what ``mpremote`` sends) stops coaching
cleanly: the log is flushed and closed, the motor is off.

Console: one line per event, ``H <type> <t_ms> <a> <b> <c> <d> <e> <f>`` (the 8 ints of
events.py), read by ``hinge monitor``, and ``H # <text>`` status lines. Printing small ints
allocates nothing.

The IMU's rate: the driver measures the chip's true sample rate against the board's clock
(``rateclock.py``; an IMU's oscillator is 1-2 % off nominal, which would put cadence 2-4
steps/min off). Its estimate is logged (an IMU_RATE event and a status line) at session start
and whenever it moves more than 0.1 %.
"""
import gc
import time
from array import array

import micropython
from micropython import const

import board
import coachstore
import configstore
import detector  # imports kernel and fixmath: their viper code goes to executable RAM (IRAM)
import drift
import events
import flashlog
import haptic
import imu
import logfmt

# (running out of memory while these load: main.py, which imports this module, says so)

FW_VERSION = "0.1.0"

_N = const(128)            # samples per FIFO drain call (1.2 s at 104 Hz)
_RETRY_MS = const(1000)    # IMU retry period after an error
_PROBE_MS = const(2000)    # IMU probe period at boot while no IMU answers
_FAULT_CUE_MS = const(60000)  # repeat the sensor-fault cue this often while no IMU is found:
#                               often enough to be noticed, not a drone every probe
_FLUSH_MS = const(10000)   # write the session log to flash at least this often (wall time):
#                            a power cut or a dead IMU loses at most this much of it
_BATT_MS = const(60000)    # battery check period
_LOW_MV = const(3450)      # low battery (LiPo ~10 % left)
_HAPTIC_TICK = const(10)   # step the motor at least this often while a pattern plays
_OUTING_MIN = const(60)    # a session that starts within an hour of the last log's last write
#                            goes on with that run: a battery swap, a power cut or an aid-station
#                            stop takes minutes; two runs of a day are hours apart


def _day_of(wall):
    """YYYYMMDD of a ``board.wall()`` reading, 0 when there is no RTC or it was not set."""
    return wall[0] * 10000 + wall[1] * 100 + wall[2] if wall and wall[6] else 0


def _minute_of(wall):
    """Minutes since 2000 (logfmt.wall_minutes) of a ``board.wall()`` reading; -1 when unset."""
    if not wall or not wall[6]:
        return -1
    return logfmt.wall_minutes(wall[0], wall[1], wall[2], wall[3], wall[4])


class App:
    """The firmware's state; ``run()`` never returns except on Ctrl-C or end of a virtual run."""

    def __init__(self, root=None, quiet=False):
        self.root = board.fs_root() if root is None else root
        self.quiet = quiet
        self.buf = array("h", bytes(14 * _N))
        self.drv = None
        self.det = None
        self.log = None
        self.wdt = None
        self.fault = 0          # 1 while the IMU is failing
        self.faults = 0         # IMU errors seen
        self.locked = 1         # the detector runs with the heap locked (feed())
        self.overflows = 0
        self.awake_us = 0       # CPU time awake (ticks_us), folded into awake_ms below 1 s
        self.awake_ms = 0       # ... in ms: a small int for 12 days (us would pass 2**30 in 18 min)
        self.heap_peak = 0      # largest live heap (gc.mem_alloc() after a collection), bytes
        self.loops = 0
        self.low_batt = 0
        self.session_on = 1
        self.fade_n = 0         # running sessions counted so far (faded feedback, coachstore.py)
        self.fade_last = 0      # ... and the log session number of the last one counted
        self.outing = 0         # the session this one goes on from (same run, restarted), 0: none
        self.keep_cad = 0       # 1: the cadence target is a raise over a baseline kept across runs
        self.cad_keep = 0       # that baseline, 1/10 steps/min (0 = none yet)
        self.counted = 1        # 1 once this session counts as one (it has run), or fading is off

    # -- boot ---------------------------------------------------------------------------
    def boot(self):
        self.say_iram()
        cfg, status = configstore.load(self.root)
        self.cfg = cfg
        self.cfg_status = status
        board.configure(cfg)
        self.hap = haptic.Haptic.from_config(board.motor_pwm(), cfg)
        self.metro = 1 if cfg["cadence_metronome"] else 0
        self.keep_cad = 1 if (cfg["coach_cadence"] and cfg["cadence_target_spm"] == 0
                              and cfg["cadence_baseline_keep"]) else 0
        if cfg["fade_feedback"] or self.keep_cad:
            self.fade_n, self.fade_last, self.cad_keep, st = coachstore.load(self.root)
            if st != "ok":
                self.say("coach memory: " + st)
        if status != "ok":
            self.hap.play(haptic.P_CONFIG_FALLBACK)
            self.say("config " + status)
        try:
            self.btn = board.button()
        except Exception:  # noqa: BLE001 - no button fitted
            self.btn = None
        self.btn_prev = 0
        self.wdt = board.wdt(board.WDT_MS)
        if self.cfg["lightsleep"] and board.usb_powered() is None:
            self.say("no usb_sense pin in the pin map: light sleep on USB too, where a host's Ctrl-C can be "
                     "lost (connecting may take tries; lightsleep=false avoids it)")
        self.i2c = board.i2c()
        said = None
        cue_at = board.ticks_ms()
        while self.drv is None:
            try:
                self.drv = imu.find_imu(self.i2c, cfg["imu_model"], cfg["imu_addr"], cfg["rate_hz"],
                                        cfg["accel_range_g"], cfg["gyro_range_dps"], cfg["lpf_hz"], clock=board,
                                        rate_cal=cfg.get("imu_rate_cal", True))
            except OSError as e:
                self.faults += 1
                msg = str(e)
                if msg != said:  # say what is wrong once (again only if it changes), retry quietly
                    said = msg
                    self.say("imu: " + msg + self.imu_hint() + "; retrying every 2 s")
                now = board.ticks_ms()
                if self.faults == 1 or board.ticks_diff(now, cue_at) >= 0:
                    cue_at = board.ticks_add(now, _FAULT_CUE_MS)
                    self.hap.play(haptic.P_SENSOR_FAULT)
                self.wait(_PROBE_MS)
        self.say("imu " + self.drv.describe() + (" (found after %d tries)" % self.faults if self.faults else ""))

    def say_iram(self):
        """The viper code (kernel, fixmath) is in executable RAM once imported: say how much is
        left, or that it does not fit (its import ran out of memory); nothing on the unix port."""
        x = board.exec_ram()
        if x is not None:
            self.say("iram: viper code fits, %d bytes executable RAM free (largest block %d)" % x)

    def imu_hint(self):
        """What to try when no IMU answers where the config says (pinned address or model)."""
        cfg = self.cfg
        addr = cfg["imu_addr"]
        hint = ""
        if addr:
            try:
                found = [a for a in self.i2c.scan() if a != addr]
            except OSError:
                found = []
            hint = "; the config pins imu_addr=%d (0x%02x)" % (addr, addr)
            if found:
                hint += ", the bus answers at %s: try `hinge config set imu_addr=0` (probe) or imu_addr=%d" % (
                    " ".join("0x%02x" % a for a in found), found[0])
            else:
                hint += ": try `hinge config set imu_addr=0` to probe 0x68/0x69/0x6a/0x6b"
        if cfg["imu_model"] != "auto":
            hint += "; the config pins imu_model=%s (imu_model=auto probes)" % cfg["imu_model"]
        return hint

    def say(self, text):
        if not self.quiet:
            print("H #", text)

    # -- session --------------------------------------------------------------------------
    def start_session(self):
        cfg = self.cfg
        d = self.drv
        self.det = detector.Detector(cfg, d.lsb_per_g, d.lsb_per_kdps)
        self.det.start(0)
        coach = self.det.coach
        wall = board.wall()
        # the same run restarted? (before this session's log exists: the newest is the last one)
        last, end = flashlog.last_end(self.root)
        now = _minute_of(wall)
        self.outing = last if end >= 0 and now >= 0 and 0 <= now - end <= _OUTING_MIN else 0
        n = self.fade_n
        if self.outing and self.outing == self.fade_last:
            n -= 1      # the run's first session was counted: this one is on the same step
        coach.fade = coachstore.period(cfg, n)
        self.counted = 0 if cfg["fade_feedback"] else 1
        if not self.counted:
            self.say("faded feedback: running session %d, the cue for 1 fault episode in %d" % (
                n + 1, coach.fade))
        if self.keep_cad and self.cad_keep:
            coach.keep_base(self.cad_keep)
            self.say("cadence target %d.%d steps/min, over the baseline kept from an earlier run (%d.%d)" % (
                coach.target // 10, coach.target % 10, self.cad_keep // 10, self.cad_keep % 10))
        self.t_start = board.ticks_ms()
        self.log = flashlog.SessionLog(self.root, cfg, FW_VERSION, d.model, d.lsb_per_g, d.lsb_per_kdps,
                                       d.rate_hz, clock_ms=self.det.now, wall=wall)
        # the drift baseline is kept on flash; "last": this session starts from the stored one
        self.det.drift.attach(configstore.path(self.root, drift.FILE), self.log.number, _day_of(wall), self.say,
                              self.outing)
        if self.outing:
            self.say("the run of session %d goes on (restarted within %d min)" % (self.outing, _OUTING_MIN))
            self.restore_stand()
        self.raw_on = 1 if cfg["raw_capture_s"] > 0 else 0
        if self.cfg_status != "ok":
            self.own_event(events.EV_FAULT, events.FAULT_CONFIG_FALLBACK,
                           1 if self.cfg_status.startswith("fallback") else 2)
        try:
            d.flush()
        except OSError:
            pass
        self.overflows = d.overflows
        self.log_rate(True)
        # the last line of a start (hinge waits for it after a reset)
        self.say("session %s" % (self.log.name if self.log.ok else "(not logged: %s)" % self.log.error))

    def kept_stand(self, session, say=True):
        """The standing pose kept on flash (coachstore), if this session may use it: of ``session``
        (0: any earlier one), taken with this config's mount (or with it upside down, while the
        detector has not found its own way up: a restart of a run worn so, detector._flip); else
        None, and why said (``say``) unless none was kept."""
        pose, why = coachstore.load_stand(self.root)
        if pose is None:
            if say and why != "missing":
                self.say("standing pose: " + why)
            return None
        if session and pose[0] != session:
            return None
        if pose[7] != self.mount() and (self.det.flipped or pose[7] != self.mount(1)):
            if say:
                self.say("standing pose of session %d not used: taken with mount %s, read now with %s" % (
                    pose[0], pose[7], self.mount()))
            return None
        return pose

    def restore_stand(self):
        """A restarted run goes on from its standing pose: kept under this session's number too,
        so a second restart finds it. A standing start now still replaces it."""
        pose = self.kept_stand(self.outing)
        if pose is None:
            return
        self._mount_as(pose)
        self.det.restore(pose[1], pose[2], pose[3], pose[4], pose[5], pose[6], 2)
        self.say("standing pose of session %d restored: lean from it until a standing start" % pose[0])
        if self.log.number:
            coachstore.save_stand(self.root, (self.log.number,) + pose[1:])

    def earlier_stand(self):
        """No standing start: the run goes on from the last standing pose kept on flash, an
        earlier run's, when it was taken with this mount. The clip sits on the same back, most
        days within a few degrees of where it sat then; the mount's axes miss by all of its tilt
        (-8..+36 deg in lower-back recordings). A standing still in this run still replaces it.
        (A restarted run's start has said already why a kept pose is not used.)"""
        pose = self.kept_stand(0, not self.outing)
        if pose is None:
            return
        self._mount_as(pose)
        self.det.restore(pose[1], pose[2], pose[3], pose[4], pose[5], pose[6], 3)
        self.say("no standing start: lean from the standing pose of session %d (an earlier run) "
                 "until you stand still for 3 s" % pose[0])

    def mount(self, other=0):
        """The mount the detector reads with, as the standing pose keeps it (mount_up +
        mount_forward): the config's, or turned about forward when it found the clip worn upside
        down (detector._flip); ``other``: the other of the two."""
        up = self.cfg["mount_up"]
        if self.det.flipped != other:
            up = ("-" if up[0] == "+" else "+") + up[1:]
        return up + self.cfg["mount_forward"]

    def _mount_as(self, pose):
        """Read with the mount ``pose`` was taken with (kept_stand allows the config's either way up)."""
        if pose[7] != self.mount():
            self.det.flip_frame()

    def keep_stand(self):
        """A standing calibration taken: kept for a restart of this run (coachstore)."""
        pose = (self.log.number,) + self.det.stand() + (self.mount(),)
        if self.log.number and not coachstore.save_stand(self.root, pose):
            self.say("standing pose: could not store it (a restart of this run would not have it)")

    def end_session(self):
        if self.log is not None:
            if self.det is not None and self.det.flush():
                self.handle_events()      # a walking stride the detector held (walkclock.py)
            self.log.close()
        self.hap.stop()

    def own_event(self, ty, a, b, c=0):
        """Queue an event of the firmware's own (fault, sensor back, IMU rate) into the detector's queue."""
        q = self.det.q
        q.push(ty, self.det.now(), a, b, c, 0, 0, 0)

    def log_rate(self, force=False):
        """Log the IMU's rate (measured, or nominal until measured) when its estimate has moved
        more than 0.1 % since it was last logged, or now if ``force`` (session start)."""
        d = self.drv
        rc = d.rate_clock
        if rc is None:
            if force:
                self.own_event(events.EV_IMU_RATE, d.rate_hz * 1000, 0, 0)
                self.handle_events()
                self.say("imu rate %d Hz nominal (imu_rate_cal is off)" % d.rate_hz)
            return
        if not rc.news() and not force:
            return
        mhz = rc.rate_mhz()
        ppm = rc.ppm()
        self.own_event(events.EV_IMU_RATE, mhz, ppm, rc.windows)
        self.handle_events()
        if rc.windows:
            a = ((ppm if ppm >= 0 else -ppm) + 50) // 100  # hundredths of a percent, rounded
            self.say("imu rate %d.%03d Hz measured (%s%d.%02d %% from nominal %d Hz)" % (
                mhz // 1000, mhz % 1000, "-" if ppm < 0 else "+", a // 100, a % 100, d.rate_hz))
        else:
            self.say("imu rate %d Hz nominal until measured against the board's clock (30 s)" % d.rate_hz)

    def handle_events(self):
        q = self.det.q
        b = q.buf
        log = self.log
        hap = self.hap
        quiet = self.quiet
        fault = 0
        earlier = 0
        for k in range(q.n):
            o = k * 8
            ty = b[o]
            log.event(b, k)
            if ty == events.EV_FAULT:
                fault = 1
            elif ty == events.EV_ALERT:
                if not b[o + 6]:   # not withheld by faded feedback (logged all the same)
                    hap.play(haptic.REASON_PATTERN[b[o + 2]], b[o + 3])
                    if b[o + 2] == events.R_CADENCE and self.metro and b[o + 7] > 0:
                        hap.metronome(600000 // b[o + 7])   # ms per step at the target (1/10 spm)
            elif ty == events.EV_CLEAR:
                if not b[o + 6]:
                    hap.play(haptic.P_CLEAR)
            elif ty == events.EV_ACTIVITY and b[o + 2] == events.ACT_RUNNING and not self.counted:
                self.count_session()
            elif ty == events.EV_CALIB:
                if b[o + 6]:
                    self.say("worn upside down: read with mount %s (the config's %s)" % (
                        self.mount(), self.mount(1)))
                if b[o + 2] == 1:
                    hap.play(haptic.P_CALIBRATED)
                    self.keep_stand()
                elif b[o + 2] == 0:
                    earlier = 1
            if not quiet:
                print("H", ty, b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5], b[o + 6], b[o + 7])
        q.clear()
        if fault:  # a fault is what a later power cut or reset must not take with it
            log.flush()
        if earlier:
            self.earlier_stand()
        if self.keep_cad and not self.cad_keep:
            c = self.det.coach.c_base
            if c:  # learned in this run: kept for the runs after it
                self.cad_keep = c
                if self.store_coach():
                    self.say("cadence baseline %d.%d steps/min learned, kept for later runs" % (c // 10, c % 10))
                else:
                    self.say("cadence baseline: could not store it (this run still uses it)")

    def count_session(self):
        """This session has run: it counts for faded feedback (once; the count is on flash
        before the session goes on, so a power cut later in it keeps it), unless it goes on with
        a run already counted (restarted: a power cut, a battery swap); then it takes over that
        run's place, so a second restart is recognised as well."""
        self.counted = 1
        same = self.outing and self.outing == self.fade_last
        if not same:
            self.fade_n += 1
        self.fade_last = self.log.number if self.log is not None else 0
        if not self.store_coach():
            self.say("faded feedback: could not store the session count")
        elif same:
            self.say("faded feedback: the run of session %d goes on, not counted again" % self.outing)

    def store_coach(self):
        """The coach's memory (session count, the last counted session, the kept cadence
        baseline) to flash."""
        return coachstore.save(self.root, self.fade_n, self.fade_last, self.cad_keep)

    def feed(self, n):
        """The detector over ``n`` samples of the buffer, with the heap locked. MicroPython then
        takes every Python frame from the C stack: a frame past 11 words (a per-stride function's
        locals and value stack) otherwise comes from the heap and goes back on every call, ~160
        instructions a sample, 3 % of the detector's cost (`make bench`); and no collection can
        pause the hot path. The detector allocates nothing (bench: detector_heap_locked). Should it
        ever (a defect), the MemoryError ends that block's feed, the lock is dropped for good and a
        heap_alloc fault is logged; the coach goes on."""
        if not self.locked:
            self.det.feed(self.buf, n)
            return
        ok = 0
        micropython.heap_lock()
        try:
            self.det.feed(self.buf, n)
            ok = 1
        except MemoryError:
            pass
        finally:
            micropython.heap_unlock()     # (whatever ends the feed: Ctrl-C included)
        if not ok:
            self.locked = 0
            self.own_event(events.EV_FAULT, events.FAULT_HEAP, 0)
            self.say("detector: memory asked for with the heap locked; running unlocked")

    def read_imu(self):
        """Drain the FIFO into the detector; returns samples read (0 on a sensor error)."""
        d = self.drv
        total = 0
        try:
            while True:
                n = d.read(self.buf, _N)
                if n <= 0:
                    break
                total += n
                self.feed(n)
                self.det.drift.flush()     # (a drift baseline learned in it: written unlocked)
                if self.raw_on and not self.log.raw(self.buf, n):
                    self.raw_on = 0
                self.handle_events()
                if n < _N:
                    break
            if self.fault and total > 0:
                self.fault = 0
                self.own_event(events.EV_FAULT, events.FAULT_SENSOR_BACK, self.faults)
                self.handle_events()
        except OSError as e:
            self.faults += 1
            if not self.fault:
                self.fault = 1
                self.own_event(events.EV_FAULT, events.FAULT_SENSOR, _errno(e))
                self.handle_events()
                self.hap.play(haptic.P_SENSOR_FAULT)
                self.say("imu error: %s" % e)
            self.try_recover()
        if d.overflows != self.overflows:
            self.overflows = d.overflows
            self.own_event(events.EV_FAULT, events.FAULT_FIFO_OVERFLOW, d.overflows)
            self.handle_events()
        return total

    def try_recover(self):
        try:
            self.drv.recover()
        except OSError:
            pass

    def read_period(self):
        """fifo_read_ms, but never more than half the time the chip's FIFO takes to fill (an
        MPU-6500 holds only ~0.4 s at 100 Hz), so a long read period cannot overflow it."""
        period = self.cfg["fifo_read_ms"]
        d = self.drv
        samples = d.fifo_samples
        if samples > 0 and d.rate_hz > 0:
            safe = samples * 500 // d.rate_hz
            if period > safe:
                self.say("fifo_read_ms %d -> %d: the %s FIFO holds %d samples" % (period, safe, d.model, samples))
                period = safe
        return period

    def check_battery(self):
        try:
            mv = board.battery_mv()
        except Exception:  # noqa: BLE001 - no ADC on this board
            return
        if mv < _LOW_MV and not self.low_batt:
            self.low_batt = 1
            self.own_event(events.EV_FAULT, events.FAULT_LOW_BATTERY, mv)
            self.handle_events()
            self.hap.play(haptic.P_LOW_BATTERY)

    def button_pressed(self):
        if self.btn is None:
            return 0
        v = 1 if self.btn.value() == board.button_active() else 0
        edge = v and not self.btn_prev
        self.btn_prev = v
        return edge

    def wait(self, ms):
        """Sleep ``ms`` while keeping the watchdog fed and the motor pattern stepping."""
        end = board.ticks_add(board.ticks_ms(), ms)
        while True:
            if self.wdt is not None:
                self.wdt.feed()
            now = board.ticks_ms()
            left = board.ticks_diff(end, now)
            if left <= 0:
                return
            self.hap.step(now)
            if self.hap.is_busy():
                nm = self.hap.next_ms(now)
                board.sleep_ms(max(1, min(left, _HAPTIC_TICK if nm < 0 else min(nm, _HAPTIC_TICK))))
            elif self.cfg["lightsleep"] and not board.usb_powered():
                # light sleep does not wake on the UART: on USB (a host may send Ctrl-C) stay awake
                board.lightsleep(left)
            else:
                board.sleep_ms(left)

    def run(self):
        """Boot, then coach until Ctrl-C (or the virtual board's capture ends)."""
        try:
            self.boot()
            self.start_session()
            period = self.read_period()
            next_batt = board.ticks_ms()
            next_flush = board.ticks_add(next_batt, _FLUSH_MS)
            gc.collect()
            while True:
                t_wake = time.ticks_us()
                now = board.ticks_ms()
                self.wdt.feed()
                if self.session_on:
                    self.read_imu()
                    self.log_rate()
                    if board.ticks_diff(now, next_flush) >= 0:  # wall time: whatever the IMU does
                        next_flush = board.ticks_add(now, _FLUSH_MS)
                        self.log.flush()
                    else:
                        self.log.poll()
                    news = self.log.news()
                    if news:  # logging paused (flash full), resumed or stopped: one line, and a cue
                        self.say(news)
                        if self.log.full or not self.log.ok:
                            self.hap.play(haptic.P_LOW_BATTERY)
                if self.button_pressed():
                    if self.session_on:
                        self.end_session()
                        self.session_on = 0
                        self.say("session stopped (button)")
                    else:
                        self.start_session()
                        self.session_on = 1
                if board.ticks_diff(now, next_batt) >= 0:
                    next_batt = board.ticks_add(now, _BATT_MS)
                    self.check_battery()
                self.hap.step(board.ticks_ms())
                self.loops += 1
                if self.loops & 63 == 0:
                    # a collection at a time of our choosing (~13 s), not in the middle of a read,
                    # and the live heap it leaves: the firmware's real memory need
                    gc.collect()
                    m = gc.mem_alloc()
                    if m > self.heap_peak:
                        self.heap_peak = m
                self.awake_us += time.ticks_diff(time.ticks_us(), t_wake)
                if self.awake_us >= 1000000:
                    self.awake_ms += self.awake_us // 1000
                    self.awake_us %= 1000
                self.wait(_RETRY_MS if self.fault else period)
        except KeyboardInterrupt:
            self.say("stopped (Ctrl-C)")
            board.wdt_keepalive(self.wdt)
        finally:
            self.end_session()
            self.report()

    def report(self):
        if self.det is None:
            return
        run_ms = self.det.now()
        awake_ms = self.awake_ms + self.awake_us // 1000
        share = (awake_ms * 100) / run_ms if run_ms > 0 else 0   # percent of wall time awake
        self.say("end: %d ms of samples, %d strides, %d loops, awake %d ms (%d.%02d %% on this CPU), "
                 "%d sensor errors, %d FIFO overflows, heap peak %d bytes (free %d)" % (
                     run_ms, self.det.strides, self.loops, awake_ms, int(share), int(share * 100) % 100,
                     self.faults, self.overflows, self.heap_peak, gc.mem_free()))


def _errno(e):
    try:
        return e.args[0] if isinstance(e.args[0], int) else 0
    except (AttributeError, IndexError):
        return 0


def main():
    app = None
    try:
        app = App()
        app.run()
    except MemoryError as e:
        # Out of memory at start (a board with less free heap than the firmware needs): say so
        # once, keep the unstoppable watchdog fed so the board does not reset in a loop, and
        # return to the REPL so `hinge` can still reach it (and deploy a smaller config).
        x = board.exec_ram()
        iram = "" if x is None else ", executable RAM (viper code) %d bytes free" % x[0]
        print("H # out of memory (%s): heap %d bytes free%s; the REPL stays up" % (e, gc.mem_free(), iram))
        board.wdt_keepalive(getattr(app, "wdt", None))

