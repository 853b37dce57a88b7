"""On-board query for ``hinge monitor --restart``: the config the firmware will coach with.

Sent by the host (``Board.tool("console")``) while the firmware is stopped; the host then
restarts the firmware and follows its console, judging strides with the device's own coach
built from this config.
"""


def config():
    """('ok', full config dict, configstore status, main.py present?), or ('nofw', why) on a
    board without the Hinge firmware."""
    try:
        import board
        import configstore
    except ImportError as e:
        return ("nofw", str(e))
    import os

    try:
        os.stat("main.py")
        has_main = True
    except OSError:
        has_main = False
    c, s = configstore.load(board.fs_root())
    return ("ok", c, s, has_main)
