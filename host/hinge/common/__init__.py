"""Shared helpers every room may use: device/ on the path and the micropython builds (``devpath``, ``mpshim``),
the one error type (``errors``), the capture CSV format (``capture``: the one reader and writer),
``KEY=VALUE`` config settings (``keyvalue``) and session-time formatting (``timefmt``)."""
