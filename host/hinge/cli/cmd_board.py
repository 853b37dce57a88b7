"""Board commands: ``hinge flash``, ``hinge config``, ``hinge virtual``.

The work is in :mod:`hinge.board.deploy` (flash, deploy, config) and :mod:`hinge.virtual`; these
handlers parse, connect (``--port``, else ``$HINGE_PORT``, else the one USB board) and print.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from hinge.common.errors import HingeError
from hinge.common.keyvalue import config_message, parse_pairs

CONNECT_TIMEOUT = 5.0  # seconds to wait for a REPL


def _connect(a):
    from hinge.board.transport import connect

    return connect(a.port, timeout=CONNECT_TIMEOUT)


def _port_of(a) -> str:
    from hinge.board.transport import find_port

    return a.port or os.environ.get("HINGE_PORT") or find_port()


def _restart(board) -> None:
    from hinge.board import deploy

    status = deploy.restart(board)
    print("soft reset: main.py is running" + (": " + "; ".join(status) if status else ""))


def _kib(n: int) -> str:
    return f"{n / 1024:.1f} KiB" if n >= 1024 else f"{n} B"


# ---- flash ----------------------------------------------------------------------------------
def _args_flash(p):
    p.add_argument("--firmware", metavar="BIN",
                   help="first write this MicroPython image with esptool (from micropython.org/download, or "
                        "one with the device modules frozen in, built with device/frozen/manifest.py: "
                        "their bytecode then stays out of the heap; see the README, 'Frozen image')")
    p.add_argument("--erase", action="store_true", help="erase the whole flash first (needs --firmware; "
                                                         "deletes logs and config)")
    p.add_argument("--force", action="store_true", help="send every app file, even those already on the board")
    p.add_argument("--no-reset", action="store_true", help="do not restart the firmware afterwards")


def print_deploy(res: dict, out=None) -> None:
    out = out or sys.stdout
    w = max(len(r["path"]) for r in res["files"])
    print(f"{'file':<{w}}  {'bytes':>6}  sha256    status", file=out)
    for r in res["files"]:
        print(f"{r['path']:<{w}}  {r['bytes']:>6}  {r['sha256'][:8]}  {r['status']}", file=out)
    for p in res["removed"]:
        print(f"{'/' + p:<{w}}  {'':>6}  {'':8}  removed (would shadow the compiled module)", file=out)
    if res["config_written"]:
        print(f"{'/config.json':<{w}}  {'':>6}  {'':8}  written (defaults)", file=out)
    n = len(res["files"])
    print(f"{n} files: {len(res['sent'])} sent ({_kib(res['bytes'])}), {len(res['skipped'])} unchanged; "
          f"all verified by sha256 on the board; {res['seconds']:.1f} s", file=out)


def cmd_flash(a):
    from hinge.board import deploy

    if a.erase and not a.firmware:
        raise HingeError("--erase needs --firmware (erasing removes MicroPython itself)")
    if a.firmware:
        deploy.read_image(a.firmware)  # a missing or wrong file fails before the port is touched
        port = _port_of(a)
        print(f"writing MicroPython {a.firmware} with esptool on {port}{' (full erase first)' if a.erase else ''} ...")
        r = deploy.flash_firmware(port, a.firmware, erase=a.erase)
        print(f"MicroPython written to the {r['chip']} at {r['offset']:#x} ({_kib(r['bytes'])}, {r['seconds']:.0f} s); "
              f"waiting for it to boot ...")
        board = deploy.wait_for_repl(port)
    else:
        board = _connect(a)
    with board:
        res = deploy.deploy(board, force=a.force)
        info = res["board"]
        print(f"board: MicroPython {info['version']} on {info['platform']} ({info['machine']}) at {board.port}; "
              f"modules compiled for {info['arch'] or 'bytecode only'}, mpy {info['mpy_version']}")
        print_deploy(res)
        if not a.no_reset:
            _restart(board)
    return 0


# ---- config ---------------------------------------------------------------------------------
def _args_config(p):
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("show", help="every key: value, default, unit, allowed values")
    g = sub.add_parser("get", help="print one key's value (JSON)")
    g.add_argument("key")
    changes = []
    s = sub.add_parser("set", help="change keys (validated before anything is written)")
    s.add_argument("pairs", nargs="+", metavar="KEY=VALUE")
    changes.append(s)
    pu = sub.add_parser("push", help="replace the board's config with a JSON file (keys not in it: default)")
    pu.add_argument("file")
    changes.append(pu)
    pl = sub.add_parser("pull", help="save the board's config as JSON (only non-default keys); - = stdout")
    pl.add_argument("file")
    changes.append(sub.add_parser("reset", help="every key back to its default"))
    for c in changes:
        c.add_argument("--no-reset", action="store_true", help="do not restart the firmware after the change")


def _fmt(v) -> str:
    return v if isinstance(v, str) else json.dumps(v)


def _allowed(spec) -> str:
    default, kind, lo, hi, unit, _ = spec
    if kind == "c":
        return " ".join(str(c) for c in lo)
    if kind == "b":
        return "true false"
    if kind == "s":
        return "text"
    return f"{lo}..{hi}"


def show_table(cfg: dict, status: str, out=None) -> None:
    config = _config()
    out = out or sys.stdout
    if status != "ok":
        print(f"note: the firmware falls back: {status}", file=out)
    rows = []
    for k, spec in config.SCHEMA.items():
        v = cfg[k]
        mark = "" if v == spec[0] else f"* (default {_fmt(spec[0])})"
        rows.append((k, _fmt(v), spec[4], _allowed(spec), mark))
    w = [max(len(r[i]) for r in rows) for i in range(4)]
    print(f"{'key':<{w[0]}}  {'value':<{w[1]}}  {'unit':<{w[2]}}  {'allowed':<{w[3]}}  changed", file=out)
    for r in rows:
        print(f"{r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {r[2]:<{w[2]}}  {r[3]:<{w[3]}}  {r[4]}".rstrip(), file=out)
    n = sum(1 for r in rows if r[4])
    print(f"{n} of {len(rows)} keys changed from the defaults (* = changed)", file=out)


def _config():
    from hinge.common import devpath

    return devpath.import_device("config")


def _read_json_file(path) -> dict:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HingeError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise HingeError(f"{p}: cannot read: {e}") from None
    from hinge.common import devpath

    try:  # the firmware's own reader: a file it would refuse is refused here, for the same reason
        return devpath.import_device("configstore").loads(text)
    except ValueError as e:
        raise HingeError(f"{p}: {config_message(e)}") from None


def config_file(path) -> dict:
    """The keys a config file (as ``hinge config pull`` writes it, any older version) sets: read
    by the firmware's own reader and brought to this firmware's version; HingeError (one line,
    naming the file) for a file the board would refuse."""
    data = _read_json_file(path)
    cs = _config_store()
    try:
        data = dict(cs.migrate(data))
        data.pop("version", None)
        _config().validate(data)
    except ValueError as e:
        raise HingeError(f"{path}: {config_message(e)}") from None
    return data


def _config_store():
    from hinge.common import devpath

    return devpath.import_device("configstore")


def cmd_config(a):
    from hinge.board import deploy

    act = a.action
    # validate everything local before the port is touched
    if act == "set":
        changes = parse_pairs(a.pairs)
    elif act == "push":
        data = _read_json_file(a.file)
        try:
            deploy.config_text(data)
        except ValueError as e:
            raise HingeError(f"{a.file}: {config_message(e)}") from None
    elif act == "get" and a.key not in _config().SCHEMA:
        raise HingeError(f"unknown key '{a.key}': `hinge config show` lists the keys")
    with _connect(a) as board:
        cfg, status = deploy.config_load(board)
        if act == "show":
            show_table(cfg, status)
            return 0
        if act == "get":
            print(json.dumps(cfg[a.key]))
            return 0
        if act == "pull":
            text = deploy.config_text(cfg)
            if a.file == "-":
                sys.stdout.write(text)
            else:
                Path(a.file).write_text(text, encoding="utf-8")
                n = len(json.loads(text)) - 1
                print(f"wrote {a.file} ({n} key{'' if n == 1 else 's'} changed from the defaults)", file=sys.stderr)
            return 0
        if act == "set":
            new = dict(cfg)
            new.update(changes)
        elif act == "push":
            new = data
        else:  # reset
            new = {}
        try:
            full, written = deploy.config_write(board, new, reset=False)
        except ValueError as e:
            raise HingeError(config_message(e)) from None
        changed = [k for k in full if full[k] != cfg[k]]
        if written:
            print("config.json written: " + (", ".join(f"{k}={_fmt(full[k])}" for k in changed) or "same values, "
                                             "normalised"))
        else:
            print("config unchanged: nothing written, no reset")
            return 0
        if not a.no_reset:
            _restart(board)
    return 0


# ---- memory ---------------------------------------------------------------------------------
def _args_memory(p):
    from hinge.board.memory import WHAT

    sub = p.add_subparsers(dest="action", metavar="ACTION")
    sub.add_parser("show", help="what the board keeps from run to run (the default)")
    f = sub.add_parser("forget", help="forget part of it: the next run starts that part afresh")
    f.add_argument("what", choices=WHAT, help="cadence: the kept cadence baseline (the next run with a +N %% "
                   "target learns it again); drift: the stored drift baseline; sessions: faded feedback's "
                   "count (every cue again); stand: the standing pose a restarted run, or one with no "
                   "standing start, goes on from; all")
    f.add_argument("--no-reset", action="store_true", help="do not restart the firmware afterwards")


def cmd_memory(a):
    from hinge.board import deploy, memory

    with _connect(a) as board:
        cfg, _ = deploy.config_load(board)
        if getattr(a, "action", None) in (None, "show"):
            for line in memory.describe(memory.read(board), cfg):
                print(line)
            return 0
        for line in memory.forget(board, a.what):
            print(line)
        if not a.no_reset:
            _restart(board)   # the running session must not write back what it holds
    return 0


# ---- virtual --------------------------------------------------------------------------------
def _args_virtual(p):
    from hinge.virtual.serve import DEFAULT_WORKDIR, IMU_MODELS

    p.add_argument("--link", required=True, help="path of the serial port to create (a symlink to a pty)")
    p.add_argument("--scenario", default="mixed", help="simulated run the IMU plays (`hinge simulate --list`)")
    p.add_argument("--seed", type=int, default=1, help="simulator seed (default 1)")
    p.add_argument("--speed", type=float, default=1.0, help="virtual time per real time (default 1: real time)")
    p.add_argument("--imu", default="lsm6dso", choices=IMU_MODELS, metavar="MODEL",
                   help="IMU chip model on the virtual I2C bus: " + " ".join(IMU_MODELS) + " (default lsm6dso)")
    p.add_argument("--workdir", default=DEFAULT_WORKDIR, help="folder for the flash (DIR/flash), the IMU source, "
                                                             "pwm.csv (default ./hinge-virtual)")
    p.add_argument("--minutes", type=float, default=None, help="length of the simulated run")
    p.add_argument("--imu-clock-error", type=float, default=None, metavar="PCT",
                   help="the IMU's clock error in %% (+ = fast; a real one is 1-2 %% off); "
                        "default: drawn from --seed within +-1.5 %%")


def cmd_virtual(a):
    from hinge.virtual.serve import serve

    err = None if a.imu_clock_error is None else a.imu_clock_error / 100.0
    return serve(a.link, a.workdir, scenario=a.scenario, seed=a.seed, speed=a.speed, imu=a.imu,
                 minutes=a.minutes, clock_error=err)


COMMANDS = {
    "flash": (cmd_flash, _args_flash, "write MicroPython (optional, esptool) and deploy the app to the board"),
    "config": (cmd_config, _args_config, "show, get, set, push, pull or reset the board's config"),
    "memory": (cmd_memory, _args_memory, "show or forget what the board keeps between runs (session count, "
               "cadence and drift baselines, standing pose)"),
    "virtual": (cmd_virtual, _args_virtual, "run a virtual board on a serial-like port (for hinge and mpremote)"),
}
