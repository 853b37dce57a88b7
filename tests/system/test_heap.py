"""The firmware boots and coaches on an ESP32-sized heap: 160 KB for MicroPython (WiFi off), the
32-bit engine (the ESP32's object sizes), device modules as .mpy and main.py as source, as
`hinge flash` installs them (``hinge.dev.bench_heap``). `make bench`'s heap rows say how much is
left; this says it still starts at all: compiling a grown main.py from source once ran this heap
out, and no other test would have noticed.
"""
from hinge.dev import bench_heap


def test_firmware_starts_and_coaches_on_a_160_kb_heap():
    (row,) = bench_heap.measure(heaps=("160K",), seconds=20.0)
    assert row["ok"], row.get("error")
    assert row["strides"] > 0 and row["free_after_start"] > 0
