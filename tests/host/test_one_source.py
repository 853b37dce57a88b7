"""The host restates no device rule: every constant of device/ is imported, never written again.

A device constant is a module-level ``NAME = const(...)`` or ``NAME = <literal>`` in device/*.py
(ints, strings, bytes, tuples, dicts of literals). The host (host/hinge, every module, every
scope) must not assign
- the same name the same value (a copy that drifts when the device changes), nor
- under any name, the value of a device table or magic: a tuple/dict of three or more items,
  or bytes/str of three or more characters that is not a plain word (a copy with a new name).
Small numbers under other names, and dunders (``__version__``), are not flagged: 1000 ms and 100
centidegrees are units, not rules.
"""
import ast
from pathlib import Path

from hinge.common import devpath

HOST = devpath.REPO / "host" / "hinge"
# the virtual board models the chips from their datasheets (register maps and WHO_AM_I answers);
# a model that copied the driver's expectations could never catch the driver's mistake
INDEPENDENT = {HOST / "vboard"}


def _literal(node):
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "const" and len(node.args) == 1:
        node = node.args[0]
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _assigns(tree, module_level=True):
    nodes = tree.body if module_level else list(ast.walk(tree))
    for n in nodes:
        if isinstance(n, ast.Assign):
            for t in n.targets:
                if isinstance(t, ast.Name):
                    yield t.id, n.value, n.lineno
        elif isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name) and n.value is not None:
            yield n.target.id, n.value, n.lineno


def device_constants(device_dir=devpath.DEVICE_DIR) -> dict:
    """{name: (value, "file:line")} of device/'s module-level constants."""
    out = {}
    for p in sorted(Path(device_dir).glob("*.py")):
        for name, value, line in _assigns(ast.parse(p.read_text())):
            v = _literal(value)
            if name.lstrip("_").isupper() and v is not None:
                out[name] = (v, f"{p.name}:{line}")
    return out


def _key(v):
    return (type(v).__name__, repr(v))


def _is_table(v) -> bool:
    if isinstance(v, (tuple, dict)):
        return len(v) >= 3
    if isinstance(v, bytes):
        return len(v) >= 3
    if isinstance(v, str):
        return len(v) >= 3 and not v.isalpha()
    return False


def copies(device: dict, files) -> list:
    tables = {_key(v): (n, where) for n, (v, where) in device.items() if _is_table(v)}
    found = []
    for p in files:
        for name, value, line in _assigns(ast.parse(Path(p).read_text()), module_level=False):
            v = _literal(value)
            if v is None or isinstance(v, bool) or name.startswith("__"):
                continue
            here = f"{Path(p).relative_to(devpath.REPO) if Path(p).is_relative_to(devpath.REPO) else p}:{line}"
            if name in device and _key(device[name][0]) == _key(v):
                found.append(f"{here}: {name} = {v!r} restates device/{device[name][1]}")
            elif _key(v) in tables:
                n, where = tables[_key(v)]
                found.append(f"{here}: {name} = {v!r} is device/{where}'s {n}")
    return found


def host_files():
    return [p for p in sorted(HOST.rglob("*.py")) if not any(p.is_relative_to(d) for d in INDEPENDENT)]


def test_the_host_restates_no_device_constant():
    found = copies(device_constants(), host_files())
    assert not found, "device constants written again on the host (import them):\n" + "\n".join(found)


def test_the_check_finds_copies(tmp_path):
    (tmp_path / "device").mkdir()
    (tmp_path / "device" / "dev.py").write_text('from micropython import const\nIDLE_MS = const(2000)\n'
                                     'NAMES = ("a", "b", "c")\nMAGIC = b"HNGS"\n')
    host = tmp_path / "host.py"
    host.write_text('IDLE_MS = 2000\nMY_NAMES = ("a", "b", "c")\ndef f():\n    magic = b"HNGS"\nOK = 2000\n')
    found = copies(device_constants(tmp_path / "device"), [host])
    assert len(found) == 3 and "IDLE_MS" in found[0] and "NAMES" in found[1] and "MAGIC" in found[2], found
