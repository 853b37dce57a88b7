"""A bound tracker that sees every arithmetic result of the detector (tests only).

The ESP32 runs the detector with 31-bit small ints (plain Python code: a result past +-2**30
becomes a heap-allocated big int, a MemoryError under ``heap_lock``) and 32-bit viper words (a
result past +-2**31 wraps). CPython and the 64-bit unix port carry such values silently, so
this module re-compiles the device sources with every binary operation (``a * b``, ``a + b``,
``a << n``, ``a // b`` ..., augmented assignments too) wrapped in a check, and every store into
an ``array`` slot checked against +-2**30, then runs them under CPython. Nothing in the device
code has to cooperate, so no product can be missed.

Usage::

    with tracked() as (detector_mod, worst):
        det = detector_mod.Detector(cfg, lsb_g, lsb_k)
        ...feed...
    worst.viper, worst.python, worst.store   # largest |value| seen in each class
"""
from __future__ import annotations

import ast
import contextlib
import sys
import types
from dataclasses import dataclass

from hinge.common import devpath

VIPER_LIMIT = 2 ** 31    # a viper int is a 32-bit machine word on the ESP32
SMALL_LIMIT = 2 ** 30    # a MicroPython small int on the ESP32 (31-bit)


@dataclass
class Worst:
    viper: int = 0
    python: int = 0
    store: int = 0
    where: str = ""


class BoundError(AssertionError):
    pass


class _Wrap(ast.NodeTransformer):
    """Wrap BinOp results in _chk(value, kind) and subscript stores in _store(value)."""

    def __init__(self):
        self.kind = "python"

    def visit_FunctionDef(self, node):
        viper = any(isinstance(d, ast.Attribute) and d.attr == "viper" for d in node.decorator_list)
        prev = self.kind
        self.kind = "viper" if viper else "python"
        self.generic_visit(node)
        self.kind = prev
        return node

    def _call(self, fn, value, lineno):
        return ast.Call(func=ast.Name(fn, ast.Load()),
                        args=[value, ast.Constant(self.kind), ast.Constant(lineno)], keywords=[])

    def visit_BinOp(self, node):
        self.generic_visit(node)
        return ast.copy_location(self._call("_chk", node, node.lineno), node)

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        tgt = node.target
        load = ast.copy_location(_as_load(tgt), tgt)
        val = ast.BinOp(left=load, op=node.op, right=node.value)
        new = ast.Assign(targets=[tgt], value=self._call("_chk", val, node.lineno))
        return ast.copy_location(new, node)

    def visit_Assign(self, node):
        self.generic_visit(node)
        if any(isinstance(t, ast.Subscript) for t in node.targets):
            node.value = self._call("_store", node.value, node.lineno)
        return node


def _as_load(t):
    if isinstance(t, ast.Name):
        return ast.Name(t.id, ast.Load())
    if isinstance(t, ast.Subscript):
        return ast.Subscript(value=t.value, slice=t.slice, ctx=ast.Load())
    if isinstance(t, ast.Attribute):
        return ast.Attribute(value=t.value, attr=t.attr, ctx=ast.Load())
    raise TypeError(t)


def _load(name: str, worst: Worst, strict: bool) -> types.ModuleType:
    path = devpath.DEVICE_DIR / f"{name}.py"
    tree = _Wrap().visit(ast.parse(path.read_text(), str(path)))
    ast.fix_missing_locations(tree)
    mod = types.ModuleType(name)
    mod.__file__ = str(path)

    def _chk(v, kind, line):
        if isinstance(v, int):
            a = -v - 1 if v < 0 else v      # -2**30 is still a small int
            if kind == "viper":
                if a > worst.viper:
                    worst.viper = a
                bad = a >= VIPER_LIMIT
            else:
                if a > worst.python:
                    worst.python = a
                bad = a >= SMALL_LIMIT
            if bad and strict:
                raise BoundError(f"{name}.py:{line}: {kind} value {v} out of range")
        return v

    def _store(v, kind, line):
        if isinstance(v, int):
            a = -v - 1 if v < 0 else v
            if a > worst.store:
                worst.store = a
                worst.where = f"{name}.py:{line}"
            if a >= SMALL_LIMIT and strict:
                raise BoundError(f"{name}.py:{line}: stored value {v} out of small-int range")
        return v

    mod._chk = _chk
    mod._store = _store
    exec(compile(tree, str(path), "exec"), mod.__dict__)
    return mod


@contextlib.contextmanager
def tracked(strict: bool = True):
    """Yield (detector module, Worst) built from instrumented kernel, fixmath, coach, dynamics, detector."""
    devpath.import_device("events")   # plain modules the instrumented ones import
    devpath.import_device("config")
    worst = Worst()
    saved = {k: sys.modules.get(k) for k in ("kernel", "fixmath", "coach", "dynamics", "detector")}
    try:
        for name in ("kernel", "fixmath", "coach", "dynamics"):
            sys.modules[name] = _load(name, worst, strict)
        det = _load("detector", worst, strict)
        yield det, worst
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
