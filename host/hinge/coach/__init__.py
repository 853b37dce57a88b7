"""The device's coach run on the host: replaying a capture through the very device/ files under
CPython or micropython (``replay``, ``replay_run``), and scoring the result against simulator
truth (``evaluate``)."""
