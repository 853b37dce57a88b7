"""The virtual Hinge board (register-level IMU models, virtual machine, sample sources).

The modules in this folder are plain MicroPython-compatible files that the unix-port
``micropython`` imports directly (``MICROPYPATH=device:host/hinge/vboard``). Under CPython,
importing ``hinge.vboard`` puts this folder on ``sys.path`` and makes ``hinge.vboard.vmachine``
and the top-level ``vmachine`` the same module object; ``vmachine.install`` also makes it the
``machine`` module, so the board that a test installs is the one ``device/board.py`` sees (on the
unix port ``vboot.py`` installs it before the firmware starts).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.append(HERE)

import regmodel_base  # noqa: E402
import regmodel_lsm6ds  # noqa: E402
import regmodel_mpu  # noqa: E402
import vmachine  # noqa: E402
import vsources  # noqa: E402
import vwdt  # noqa: E402

for _m in (regmodel_base, regmodel_mpu, regmodel_lsm6ds, vmachine, vsources, vwdt):
    sys.modules[__name__ + "." + _m.__name__] = _m

__all__ = ["HERE", "regmodel_base", "regmodel_lsm6ds", "regmodel_mpu", "vmachine", "vsources", "vwdt"]
