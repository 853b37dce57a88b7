"""Live commands: ``hinge monitor`` (the firmware's strides and alerts as they happen) and
``hinge capture`` (raw IMU samples from the board into a capture CSV for ``hinge replay``).

The work is in :mod:`hinge.board.live`; these handlers parse, print and set exit codes. ``--port``
(global), else ``$HINGE_PORT``, else the one attached USB board.
"""
from __future__ import annotations

import os
import sys

from hinge.common.errors import HingeError


# ---- monitor ----------------------------------------------------------------------------------
def _args_monitor(p):
    p.add_argument("--seconds", type=float, default=None, metavar="N",
                   help="stop after N seconds (default: until Ctrl-C)")
    p.add_argument("--raw", action="store_true", help="print the board's console lines as they come")
    p.add_argument("--restart", action="store_true",
                   help="restart the firmware first (soft reset: a new session; the board's limits are read); "
                        "default: attach without disturbing it")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a limit to mark strides against when attaching passively (e.g. lean_min_deg=6)")


def _style(out):
    from hinge.board.live import Style

    return Style(hasattr(out, "isatty") and out.isatty() and not os.environ.get("NO_COLOR")
                 and os.environ.get("TERM") != "dumb")


def cmd_monitor(a):
    from hinge.board import live

    out = sys.stdout
    style = _style(out)
    limits = live.Limits()
    if a.set:
        from hinge.common.keyvalue import parse_pairs

        limits = live.Limits.from_config(parse_pairs(a.set, "--set", validate=True), "--set")
    if a.seconds is not None and not 0 < a.seconds < float("inf"):
        raise HingeError(f"--seconds {a.seconds:g}: must be a number above 0")
    seen = {"stride": 0, "alert": 0, "fault": 0}
    shown = {"limits": limits}  # the follow's limits once attached (the board's with --restart)

    def emit(text):
        out.write(text + "\n")
        out.flush()

    def note(text):  # headers and the summary: stderr under --raw, so stdout is the console alone
        if a.raw:
            print(text, file=sys.stderr, flush=True)
        else:
            emit(text)

    def on_attach(res):
        shown["limits"] = res.limits
        how = ("firmware restarted (soft reset: a new session)" if res.mode == "restart"
               else "attached without interrupting the firmware")
        note(f"monitor {res.port}: {how}; " + (f"stops after {a.seconds:g} s" if a.seconds else "Ctrl-C stops"))
        if not a.raw:
            emit(f"limits: {res.limits.describe()}")
            emit(live.STRIDE_HEAD)

    def on_event(ev):
        ty = ev["type"]
        if ty in seen:
            seen[ty] += 1
        if not a.raw:
            text = live.format_event(ev, shown["limits"], style)
            if text:
                emit(text)
        return ty == "status" and ev["text"] == live.PLAYED  # the virtual board's run is over

    try:
        res = live.follow(a.port, a.seconds, on_event, restart=a.restart, limits=limits, on_attach=on_attach,
                          on_line=emit if a.raw else None)
        ended = {"time": f"after {res.seconds:.0f} s",
                 "callback": "the virtual board's capture has been played"}.get(res.stopped_by, res.stopped_by)
    except KeyboardInterrupt:
        ended = "Ctrl-C"
    except BrokenPipeError:  # e.g. `hinge monitor | head`: the reader has gone; so do we, quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        return 0
    note(f"monitor ended ({ended}): {seen['stride']} strides, {seen['alert']} buzzes, {seen['fault']} faults")
    return 0


# ---- capture ----------------------------------------------------------------------------------
def _args_capture(p):
    p.add_argument("--seconds", type=float, required=True, metavar="N", help="seconds of samples to record")
    p.add_argument("--out", required=True, metavar="FILE.csv", help="capture CSV to write")
    p.add_argument("--rate", type=int, default=None, metavar="HZ",
                   help="IMU output rate for this capture (default: the board's rate_hz; the chip's nearest is used)")
    p.add_argument("--no-restart", dest="restart", action="store_false",
                   help="leave the firmware stopped afterwards (default: start it again)")


def cmd_capture(a):
    from hinge.board import live

    if not 0 < a.seconds < float("inf"):
        raise HingeError(f"--seconds {a.seconds:g}: must be a number above 0")
    bar = None

    def progress(done, total):
        nonlocal bar
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=round(total, 1), unit="s", desc="capture", leave=False, disable=None,
                       bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} s [{elapsed}<{remaining}]")
        bar.n = round(done, 1)
        bar.refresh()

    cmdline = f"hinge capture --seconds {a.seconds:g}" + (f" --rate {a.rate}" if a.rate else "")
    try:
        res = live.capture(a.port, a.seconds, a.out, rate_hz=a.rate, progress=progress, restart=a.restart,
                           command=cmdline)
    finally:
        if bar is not None:
            bar.close()
    rate = res.samples / res.wall_s if res.wall_s > 0 else 0.0
    print(f"{res.path}: {res.samples} samples, {res.duration_s:.2f} s at {res.rate_hz} Hz from "
          f"{res.model}@0x{res.addr:02x} (+-{res.accel_range_g} g, +-{res.gyro_range_dps} deg/s; "
          f"mount {res.mount_up} up, {res.mount_forward} forward)")
    notes = []
    if res.overflows or res.lost:
        notes.append(f"{res.overflows} FIFO overflows, {res.lost} samples lost (gaps in t_ms)")
    if res.sensor_errors:
        notes.append(f"{res.sensor_errors} sensor read errors")
    if notes:
        print("note: " + "; ".join(notes))
    print(f"streamed {res.stream_bytes / 1024:.1f} KiB in {res.wall_s:.2f} s ({rate:.0f} samples/s); "
          f"firmware {'restarted' if res.restarted else 'left stopped'}")
    print(f"replay: hinge replay {res.path} --set imu_model={res.model}")
    return 0


COMMANDS = {
    "monitor": (cmd_monitor, _args_monitor, "show the board's strides, alerts and faults live"),
    "capture": (cmd_capture, _args_capture, "record raw IMU samples from the board into a capture CSV"),
}
