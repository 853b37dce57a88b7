"""A short soak (``hinge.dev.soak``; `make bench` runs the long one): simulated running through the
unchanged firmware on the virtual board with an IMU outage, a FIFO-overflowing stall, the flash
filling up (old sessions rotated) and two power cuts (the process killed: no close, no flush).

What a runner would find on the flash: every stride the firmware reported up to the last flush
before each cut, in logs that decode; each fault's event at the time it happened on the
simulator's clock (within 1 s); stride times in line with the simulator's strides; a heap that
does not grow."""
import pytest

from hinge.dev import soak


@pytest.fixture(scope="module")
def res(tmp_path_factory):
    # 40 KiB of flash, 32 KiB of it an old session: the log fills it within minutes
    return soak.run(hours=0.5, seed=2, workdir=tmp_path_factory.mktemp("soak"), cuts=2, flash_kib=40,
                    prefill_kib=32, heap_every_ms=180_000)


def test_soak_loses_nothing_flushed_and_keeps_time(res):
    f = res.figures()
    print("\n", f)
    assert f["legs"] == 3 and f["power_cuts"] == 2
    assert f["sim_hours_on"] > 0.4
    assert f["legs_checked"] == 3  # the old session went, not these (rotation deletes the oldest)
    assert f["sessions_rotated"] >= 1
    assert f["strides_logged"] > 1500
    assert f["strides_lost_before_last_flush"] == 0
    for lg in res.legs:  # a cut mid-write leaves at most a torn tail; every complete block decodes
        assert all("torn" in p or "ends inside" in p for p in lg.check["problems"]), lg.check["problems"]
    assert f["fault_events_injected"] >= 2 and f["fault_events_logged"] == f["fault_events_injected"]
    assert f["fault_event_time_err_max_ms"] < 1000
    assert f["clock_offset_max_ms"] is not None and f["clock_offset_max_ms"] < 1000
    assert f["clock_drift_in_a_leg_max_ms"] < 1000


def test_soak_heap_stays_flat(res):
    heaps = [b for lg in res.legs for _, b in lg.heap]
    assert len(heaps) >= 5
    assert max(heaps) - min(heaps) < 8192, heaps  # no growth with the hours, only GC noise
