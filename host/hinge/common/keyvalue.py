"""``KEY=VALUE`` config settings from a command line (``--set``, ``--cfg``, ``hinge config set``).

Each value is parsed and range-checked by the device's own rules (``device/config.py``:
``parse_value``), so the host never restates a key, a unit or a limit.
"""
from __future__ import annotations

from hinge.common.devpath import import_device
from hinge.common.errors import HingeError


def config_message(e: ValueError) -> str:
    """The device config's message without its ``config: `` prefix (the CLI names the command)."""
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text[8:] if text.startswith("config: ") else text


def parse_pairs(items, flag: str = "", validate: bool = False) -> dict:
    """``["lean_min_deg=5", ...]`` -> ``{"lean_min_deg": 5.0, ...}``; HingeError (one line) for an
    item without ``=``, an unknown key or a bad value. ``flag`` (e.g. ``"--set"``) starts the
    message about a malformed item; ``validate``: also check the keys together
    (``config.validate``, e.g. lean_back_deg below lean_min_deg)."""
    config = import_device("config")
    out = {}
    for it in items or ():
        k, eq, v = it.partition("=")
        k = k.strip()
        if not eq or not k:
            raise HingeError(f"{flag + ' ' if flag else ''}{it}: expected KEY=VALUE")
        try:
            out[k] = config.parse_value(k, v)
        except ValueError as e:
            msg = config_message(e)
            raise HingeError(msg if k in config.SCHEMA else f"{msg}: `hinge config show` lists the keys") from None
    if validate:
        try:
            config.validate(out)
        except ValueError as e:
            raise HingeError(config_message(e)) from None
    return out
