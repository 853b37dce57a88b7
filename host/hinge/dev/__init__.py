"""Developer tools: ``make bench`` (``bench``, ``bench_board``, ``bench_run``), ``make lint`` (``lint``), and the
scored validations on independent data (``crosscheck``: the independent simulator's runs; ``realdata``:
third-party recordings)."""
