"""The one user-facing error type of the host tools: its message is a single line."""


class HingeError(Exception):
    """A user-facing error: one line, no traceback; the CLI prints it and exits 2."""
