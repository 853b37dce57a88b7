"""capture.block_mean: a capture as an IMU at a lower output rate would give it."""
import numpy as np
import pytest

from hinge.common.capture import Capture, block_mean


def _cap(n=10, dt=5.0):
    t = np.arange(1, n + 1) * dt
    acc = np.stack([np.arange(n), np.zeros(n), np.ones(n)], 1).astype(float)
    gyr = np.stack([np.zeros(n), np.arange(n) * 2.0, np.zeros(n)], 1)
    return Capture(t_ms=t, acc_g=acc, gyr_dps=gyr, comments=["# x"])


def test_block_means_stamped_at_the_blocks_last_sample():
    c = block_mean(_cap(), 4)
    # 10 samples -> two whole blocks of 4 (the part block is dropped)
    assert list(c.t_ms) == [20.0, 40.0]
    assert np.allclose(c.acc_g[:, 0], [1.5, 5.5]) and np.allclose(c.acc_g[:, 2], 1.0)
    assert np.allclose(c.gyr_dps[:, 1], [3.0, 11.0])
    assert c.comments == ["# x"] and abs(c.rate_hz - 50.0) < 1e-9
    assert block_mean(_cap(), 1).t_ms.tolist() == _cap().t_ms.tolist()
    with pytest.raises(ValueError, match="k must be >= 1"):
        block_mean(_cap(), 0)
