"""Hinge host tools: replay, simulator, virtual board, flashing, config, logs, reports.

The device firmware lives in ``device/`` at the repository root. The host never keeps a copy of
device logic: :func:`hinge.common.devpath.import_device` puts ``device/`` on ``sys.path`` (after
installing :mod:`hinge.common.mpshim` so MicroPython-only names exist under CPython) and imports the
very files that go on the board.
"""
__version__ = "0.1.0"
