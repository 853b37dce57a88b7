"""The ``hinge`` command: a table of subcommands -> (handler, argparse builder, help).

The core commands (replay, simulate, demo) are here; the board commands come from
``cmd_board`` (flash, config, virtual), ``cmd_logs`` (logs, report, baseline) and
``cmd_live`` (monitor, capture), each a module with its own ``COMMANDS`` table.
Every failure a user can cause ends as one line on stderr and exit status 2 (``HingeError``,
``transport.BoardError`` and the device config's ``ValueError`` messages); nothing prints a
traceback at a runner.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from hinge.common.errors import HingeError
from hinge.common.keyvalue import config_message, parse_pairs

COMMAND_MODULES = ("cmd_board", "cmd_logs", "cmd_report", "cmd_live")


# ---- replay -------------------------------------------------------------------------------
def _args_replay(p):
    p.add_argument("capture", help="capture CSV (t_ms,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps)")
    p.add_argument("--jsonl", action="store_true", help="one JSON object per stride/alert/event")
    p.add_argument("--config", metavar="FILE.json",
                   help="the board's settings as `hinge config pull` saves them (keys not in it: default); "
                        "--set applies on top")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override (repeatable)")
    from hinge.common.devpath import ENGINES

    p.add_argument("--engine", choices=tuple(ENGINES), default="cpython",
                   help="run the device code under CPython, the unix-port micropython (64-bit) or its "
                        "32-bit build (the ESP32's int widths; `make setup` builds it)")


def replay_config(overrides: dict) -> dict:
    """The full config a replay runs with (the keys checked together, as the board would); one
    line (HingeError) for a bad one."""
    from hinge.coach import replay

    try:
        return replay.load_config(overrides)
    except ValueError as e:
        raise HingeError(config_message(e)) from None


def cmd_replay(a):
    from hinge.coach import replay
    from hinge.common.capture import NOTICES, read_capture

    overrides = parse_pairs(a.set, "--set")
    if a.config:
        from hinge.cli.cmd_board import config_file

        overrides = {**config_file(a.config), **overrides}
    replay_config(overrides)
    cap = read_capture(a.capture)
    for c in cap.comments:
        if c.startswith(NOTICES):   # a torn file, samples not got, no gyro, stamps per packet, more columns: say so, go on
            print(f"hinge replay: {a.capture}: {c}", file=sys.stderr)
    res = replay.replay(cap, overrides, engine=a.engine)
    if res.rate_div > 1:
        print(f"hinge replay: {a.capture}: {cap.rate_hz:.0f} Hz read as the board's IMU at {cap.rate_hz / res.rate_div:.0f} Hz "
              f"(means of {res.rate_div} samples)", file=sys.stderr)
    if a.jsonl:
        out = sys.stdout
        for line in res.jsonl():
            out.write(line + "\n")
    else:
        print(replay.summary(res, int(cap.t_ms[0])))


# ---- simulate (its own argument parser: everything after the word goes to it) -------------
def cmd_simulate(a):
    from hinge.sim import simulate

    return simulate.main(a.rest)


def _args_simulate(p):
    p.add_argument("rest", nargs=argparse.REMAINDER,
                   help="SCENARIO --out FILE.csv [--seed N] [--minutes M] [--rate HZ] | --list")


# ---- demo ---------------------------------------------------------------------------------
def _args_demo(p):
    p.add_argument("--scenario", default="mixed", help="simulated run (`hinge simulate --list`)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--speed", type=float, default=40.0, help="virtual time per real time for the journey")
    p.add_argument("--minutes", type=float, default=None, help="length of the simulated run (default: the scenario's)")
    p.add_argument("--out", default="out/demo", help="folder for the demo's files")
    p.add_argument("--firmware-only", action="store_true",
                   help="only run the firmware on the virtual board (no pty, no host commands) and decode its log")


def cmd_demo(a):
    if a.firmware_only:
        from hinge.demo import firmware

        return firmware.run(a)
    from hinge.demo import journey

    return journey.main(a)


COMMANDS = {
    "replay": (cmd_replay, _args_replay, "run a capture CSV through the device detector"),
    "simulate": (cmd_simulate, _args_simulate, "write a simulated waist-IMU capture with per-stride truth"),
    "demo": (cmd_demo, _args_demo, "simulate a run and show what the runner would feel"),
}


PASSTHROUGH = {"simulate"}


def all_commands() -> dict:
    table = dict(COMMANDS)
    for mod in COMMAND_MODULES:
        try:
            m = importlib.import_module(f".{mod}", __package__)
        except ModuleNotFoundError as e:
            if e.name != f"{__package__}.{mod}":
                raise
            continue
        table.update(m.COMMANDS)
    return table


def build_parser(table=None):
    table = table or all_commands()
    p = argparse.ArgumentParser(prog="hinge", description="Hinge running-form coach: host tools")
    p.add_argument("--port", help="serial port of the board (auto-detected when exactly one is attached; "
                                  "or set HINGE_PORT)")
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND")
    for name, (_, builder, help_) in table.items():
        sp = sub.add_parser(name, help=help_, description=help_)
        builder(sp)
    return p


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    table = all_commands()
    p = build_parser(table)
    # commands with their own parser get the rest of the line untouched (e.g. `simulate --list`)
    k = next((i for i, w in enumerate(argv) if not w.startswith("-")), None)
    if k is not None and argv[k] in PASSTHROUGH and (k == 0 or argv[k - 1] != "--port"):
        a = p.parse_args(argv[:k + 1])
        a.rest = argv[k + 1:]
    else:
        a = p.parse_args(argv)
    if not a.cmd:
        p.print_help()
        return 2
    handler = table[a.cmd][0]
    from hinge.board.transport import BoardError

    try:
        rc = handler(a)
    except BrokenPipeError:
        # the reader went away (`hinge replay ... | head`): stop quietly, as other tools do
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep interpreter exit quiet
        except OSError:
            pass
        return 0
    except (HingeError, BoardError, ValueError, FileNotFoundError, RuntimeError, OSError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        print(f"hinge {a.cmd}: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"hinge {a.cmd}: interrupted", file=sys.stderr)
        return 130
    return rc or 0


if __name__ == "__main__":
    sys.exit(main())
