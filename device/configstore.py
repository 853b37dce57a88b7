"""Config on flash: load with fallbacks that never boot-loop, save atomically.

Usage (``root`` is ``board.fs_root()``: ``"/"`` on the board; tests pass a temp directory)::

    import board, configstore
    cfg, status = configstore.load(board.fs_root())   # never raises
    if status != "ok":
        ...  # log events.FAULT_CONFIG_FALLBACK, play haptic.P_CONFIG_FALLBACK
    configstore.save(board.fs_root(), {"lean_min_deg": 5})   # ValueError / OSError

Files in ``root``:

``config.json``
    The runner's overrides, e.g. ``{"version": 1, "lean_min_deg": 5.0}``. Only keys that
    differ from ``config.SCHEMA`` defaults are stored (``save`` drops the rest), so a
    firmware update that improves a default reaches every runner who never changed that key,
    and the file stays small and readable. A version bump (with a migration below) is the
    way to change what a stored value means. A file without ``"version"`` is read as
    version 1 (the first format).
``config.last_good.json``
    The overrides of the last ``config.json`` that validated at boot, in the same format.
    ``load`` rewrites it only when its content changes (flash wear).
``config.json.tmp``, ``config.last_good.json.tmp``
    Written in full, then renamed over the target; a leftover one is ignored.

``load(root)`` returns ``(cfg, status)``, ``cfg`` a full validated dict:

===============================  ==========================================================
status                           when
===============================  ==========================================================
``"ok"``                         ``config.json`` validated; or neither file exists (a fresh
                                 board runs on defaults without a fault)
``"fallback_last_good: <why>"``  ``config.json`` missing, unreadable, empty or torn, not
                                 JSON, too large, invalid, or of a newer version; the last
                                 good config is used
``"defaults: <why>"``            the same, and the last good config is missing or bad too
===============================  ==========================================================

``<why>`` is one line naming the file and the problem, e.g.
``config.json: lean_min_deg=99 out of range -10..30 deg``.

The text is read by ``loads`` below, not by the ``json`` module: MicroPython's ``json`` is
lenient (it reads ``{"lean_min_deg" 5,,}`` as 5) where CPython's refuses it, and CPython's
accepts ``NaN`` and repeated keys. ``loads`` is strict JSON for a flat object (numbers in
``config.number_end``'s ASCII form, text, true, false, null; a key at most once), the same
code on the board and on the host (``hinge config show`` imports this module), so both say the
same: such a file is refused, with the reason and where (``config.json: not valid JSON (line 1,
col 31: expected ':' after "lean_min_deg")``), and the last good config is used.

Atomic save: the temp file is written and closed, then ``os.rename``\\ d over
``config.json``. LittleFS (the ESP32 default) and POSIX replace the target in one step, so a
reset at any point leaves the old or the new file, never a mix. FAT refuses to rename over an
existing file (EEXIST): there the old file is removed first, and a reset in that window
leaves no ``config.json``, which ``load`` answers with the last good config.
"""
import errno
import gc
import json
import os

import config
from micropython import const

FILE = "config.json"
LAST_GOOD = "config.last_good.json"
TMP_SUFFIX = ".tmp"
MAX_BYTES = const(4096)  # a config is ~1 KiB at most; refuse more rather than run out of RAM
_WHY_LEN = const(80)

# Migrations: _MIGRATIONS[v] turns a version-v dict into a version v+1 dict (new dict or
# the same one, edited). Version 1 is the only format so far, so there are none yet; a
# version 2 would add e.g. ``_MIGRATIONS = {1: _v1_to_v2}`` and bump config.VERSION.
_MIGRATIONS = {}


def path(root, name):
    """``root`` joined with ``name`` by '/' (no pathlib on the board); ``""`` = cwd."""
    if not root:
        return name
    if root[-1] == "/":
        return root + name
    return root + "/" + name


def migrate(data):
    """Bring a stored dict to ``config.VERSION``; raise ValueError if it cannot be read.

    Returns the (possibly new) dict with ``"version"`` set to the current version.
    """
    if not isinstance(data, dict):
        raise ValueError("config: expected a JSON object, got %s" % type(data).__name__)
    v = data.get("version", 1)
    if isinstance(v, bool) or not isinstance(v, int):
        raise ValueError("config: version=%r must be a whole number" % (v,))
    if v > config.VERSION:
        raise ValueError("config: version %d is newer than this firmware's %d" % (v, config.VERSION))
    if v < 1:
        raise ValueError("config: version %d is not a known format" % v)
    while v < config.VERSION:
        step = _MIGRATIONS.get(v)
        if step is None:
            raise ValueError("config: no migration from version %d" % v)
        data = step(data)
        v += 1
    data["version"] = v
    return data


def overrides(cfg):
    """The keys of a full config that differ from the defaults, plus ``"version"``."""
    out = {"version": config.VERSION}
    for k in cfg:
        if k != "version" and cfg[k] != config.SCHEMA[k][0]:
            out[k] = cfg[k]
    return out


def dumps(data):
    """JSON text with one key per line, ``version`` first, then sorted: stable and diffable."""
    keys = sorted(k for k in data if k != "version")
    if "version" in data:
        keys.insert(0, "version")
    lines = ['  "%s": %s' % (k, json.dumps(data[k])) for k in keys]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _one_line(text):
    s = str(text).replace("\r", " ").replace("\n", " ")
    if s.startswith("config: "):
        s = s[8:]
    if len(s) > _WHY_LEN:
        s = s[: _WHY_LEN - 3] + "..."
    return s


def _errno(e):
    return e.args[0] if e.args else None


def _read(p):
    """``(bytes, None)`` or ``(None, reason)``; reason ``"missing"`` when the file isn't there.

    Bytes, not text: ``loads`` decodes, so bytes that are not UTF-8 get the same answer on every
    port (a text-mode read raises on some and not on others)."""
    text = None
    for attempt in (0, 1):
        try:
            with open(p, "rb") as f:
                text = f.read(MAX_BYTES + 1)
            break
        except MemoryError:
            # not the file's fault: a fragmented heap. Collect and try once more; if it still
            # fails, say what it is (the runner's thresholds are not lost, only not read)
            gc.collect()
            if attempt:
                return None, "out of memory reading it (heap %d bytes free)" % gc.mem_free()
        except OSError as e:
            if _errno(e) == errno.ENOENT:
                return None, "missing"
            return None, "unreadable (OSError %s)" % (_errno(e),)
        except Exception as e:  # noqa: BLE001 - belt and braces: whatever a port raises, boot goes on
            return None, "unreadable (%s)" % type(e).__name__
    if len(text) > MAX_BYTES:
        return None, "too large (> %d bytes)" % MAX_BYTES
    if not text.strip():
        return None, "empty (torn write?)"
    return text, None


def _parse(text):
    """Full validated config from stored JSON text; ValueError naming the problem."""
    return config.validate(migrate(loads(text)))


def loads(text):
    """The dict in a config file's JSON text (str or bytes); ValueError ``not valid JSON (line L,
    col C: what)`` for anything else. Strict: see the module docstring."""
    b = text.encode() if isinstance(text, str) else bytes(text)
    n = len(b)
    p = _ws(b, 0)
    if p >= n or b[p] != 123:  # {
        _bad(b, p, "expected a JSON object {...}" if p < n else "no JSON object")
    p = _ws(b, p + 1)
    out = {}
    if p < n and b[p] == 125:  # }
        p += 1
    else:
        while True:
            if p >= n or b[p] != 34:
                _bad(b, p, "expected a key in double quotes")
            k, p = _text(b, p)
            p = _ws(b, p)
            if p >= n or b[p] != 58:  # :
                _bad(b, p, "expected ':' after \"%s\"" % k[:24])
            p = _ws(b, p + 1)
            if k in out:
                _bad(b, p, "\"%s\" given twice" % k[:24])
            out[k], p = _value(b, p, k)
            p = _ws(b, p)
            if p < n and b[p] == 44:  # ,
                p = _ws(b, p + 1)
                continue
            if p < n and b[p] == 125:
                p += 1
                break
            _bad(b, p, "expected ',' or '}'")
    if _ws(b, p) != n:
        _bad(b, _ws(b, p), "text after the closing '}'")
    return out


def _bad(b, p, what):
    line = 1
    col = 1
    for i in range(min(p, len(b))):
        if b[i] == 10:
            line += 1
            col = 1
        else:
            col += 1
    raise ValueError("not valid JSON (line %d, col %d: %s)" % (line, col, what))


def _ws(b, p):
    n = len(b)
    while p < n and b[p] in b" \t\r\n":
        p += 1
    return p


def _value(b, p, k):
    n = len(b)
    if p >= n:
        _bad(b, p, "expected a value for \"%s\"" % k[:24])
    c = b[p]
    if c == 34:
        return _text(b, p)
    for word, v in ((b"true", True), (b"false", False), (b"null", None)):
        if b[p : p + len(word)] == word:
            return v, p + len(word)
    if c == 91 or c == 123:  # [ {
        _bad(b, p, "a list or object for \"%s\"" % k[:24])
    e = config.number_end(b, p)
    if e < 0:
        _bad(b, p, "expected a value for \"%s\"" % k[:24])
    return config.number(b[p:e].decode()), e


def _text(b, p):
    # the JSON string starting at b[p] (a double quote): (str, index after it)
    n = len(b)
    out = bytearray()
    i = p + 1
    while True:
        if i >= n:
            _bad(b, i, "text not closed by a double quote")
        c = b[i]
        if c == 34:
            break
        if c < 32:
            _bad(b, i, "a control character inside text")
        if c != 92:  # backslash
            out.append(c)
            i += 1
            continue
        e = b[i + 1] if i + 1 < n else 0
        j = b'"\\/bfnrt'.find(bytes([e])) if e else -1
        if j >= 0:
            out.append(b'"\\/\b\f\n\r\t'[j])
            i += 2
            continue
        if e != 117:  # u
            _bad(b, i, "an unknown escape in text")
        cp = _hex4(b, i + 2)
        i += 6
        if 0xD800 <= cp < 0xDC00 and b[i : i + 2] == b"\\u":
            lo = _hex4(b, i + 2)
            if 0xDC00 <= lo < 0xE000:
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                i += 6
        if 0xD800 <= cp < 0xE000:
            _bad(b, i, "a lone surrogate escape in text")
        out.extend(chr(cp).encode())
    try:
        return bytes(out).decode(), i + 1
    except Exception:  # UnicodeError: bytes that are not UTF-8
        _bad(b, p, "text that is not UTF-8")


def _hex4(b, i):
    h = b[i : i + 4]
    if len(h) < 4:
        _bad(b, i, "a \\u escape needs 4 hex digits")
    v = 0
    for c in h:
        if 48 <= c <= 57:
            d = c - 48
        elif 97 <= c <= 102 or 65 <= c <= 70:
            d = (c | 32) - 87
        else:
            _bad(b, i, "a \\u escape needs 4 hex digits")
        v = v * 16 + d
    return v


def _replace(tmp, dst):
    try:
        os.rename(tmp, dst)
    except OSError as e:
        if _errno(e) != errno.EEXIST:
            raise
        os.remove(dst)  # FAT cannot rename over a file; see the module docstring
        os.rename(tmp, dst)


def write_atomic(p, text):
    """Write ``text`` to ``p`` through ``p + ".tmp"`` and a rename. Raises OSError."""
    tmp = p + TMP_SUFFIX
    with open(tmp, "w") as f:
        f.write(text)
    _replace(tmp, p)


def _load(root):
    p = path(root, FILE)
    lg = path(root, LAST_GOOD)
    text, why = _read(p)
    if why is None:
        try:
            cfg = _parse(text)
        except Exception as e:
            why = _one_line(e)
        else:
            good = dumps(overrides(cfg))
            old, _ = _read(lg)
            if old != good.encode():
                try:
                    write_atomic(lg, good)
                except Exception:
                    pass  # full or failing flash must not stop the run; config.json is fine
            return cfg, "ok"
    missing = why == "missing"
    why = FILE + ": " + why
    text, lg_why = _read(lg)
    if lg_why is None:
        try:
            return _parse(text), "fallback_last_good: " + why
        except Exception as e:
            lg_why = _one_line(e)
    if missing and lg_why == "missing":
        return config.defaults(), "ok"  # fresh board: nothing stored yet
    return config.defaults(), "defaults: %s; %s: %s" % (why, LAST_GOOD, lg_why)


def load(root=""):
    """``(cfg, status)`` from ``root``; never raises (see the module docstring)."""
    try:
        return _load(root)
    except Exception as e:  # belt and braces: a bug here must not become a boot loop
        return config.defaults(), "defaults: " + _one_line(e)


def save(root, cfg_overrides):
    """Validate ``cfg_overrides`` (a partial or full config) and write ``config.json``.

    Stores only the keys that differ from the defaults, at the current version. Returns the
    full validated config. Raises ValueError (naming the bad key) before touching flash, and
    OSError if the write fails; the old ``config.json`` stays in place on any failure before
    the final rename.
    """
    data = dict(cfg_overrides)
    if "version" not in data:
        data["version"] = config.VERSION
    cfg = config.validate(migrate(data))
    write_atomic(path(root, FILE), dumps(overrides(cfg)))
    return cfg
