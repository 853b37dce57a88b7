"""Shared helpers every room may use: device/ on the path and the micropython builds (``devpath``, ``mpshim``),
the one error type (``errors``) and session-time formatting (``timefmt``)."""
