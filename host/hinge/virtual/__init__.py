"""The virtual board as a process: the unix-port micropython behind a pty (``ptyboard``), the
``hinge virtual`` server (``serve``) and in-process firmware runs (``vrun``). The register models it
plays are in :mod:`hinge.vboard`."""
