"""Session logs pulled from a board: the decoder of device/logfmt.py files, and the personal baseline."""
