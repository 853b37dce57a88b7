"""The crosscheck runs' rotation error, taken apart (``hinge.dev.pelvistilt``): what the truth's
pelvis frame makes of it, and what is left for the detector."""
from __future__ import annotations

from hinge.dev import crosscheck as xc
from hinge.dev import pelvistilt


def test_the_rotation_error_left_is_the_truths_pelvis_frame(xc_dir, capsys):
    """x2's rotation reads 1.06 deg over its truth as is. The truth's yaw is about its pelvis's own
    up axis, pitched forward of the vertical by p0 (x2: 3.4 deg); read about that axis (the
    detector's heading axis turned by the truth's p0: a probe around the device's own code) the
    error falls by more than half, and on x1, whose pelvis stands upright (p0 0.0), nothing moves.
    The probe leaves the device code as it found it."""
    rows = {name: pelvistilt.score_tilt(name) for name in ("x1_road_lever", "x2_swivel_200")}
    x1, x2 = rows["x1_road_lever"], rows["x2_swivel_200"]
    assert abs(x1["p0_deg"]) < 0.1 and x1["p0"] == x1["as_is"]
    assert x2["p0_deg"] > 3.0 and x2["as_is"] > 0.9 and x2["p0"] < 0.5 * x2["as_is"]
    _, sc = xc.score_run("x2_swivel_200", d=xc_dir)
    assert round(sc.rot_med, 2) == x2["as_is"]
    assert pelvistilt.main(["--runs", "x1_road_lever"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 2 and out[1] == pelvistilt.line(x1)
    assert pelvistilt.main(["--runs", "nope"]) == 2
    assert "unknown crosscheck run 'nope'" in capsys.readouterr().err
