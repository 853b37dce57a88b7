"""The device's coach run on the host: the capture format (``capture``), replaying a capture through the
very device/ files under CPython or micropython (``replay``, ``replay_run``), and scoring the result
against simulator truth (``evaluate``)."""
