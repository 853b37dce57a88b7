"""`make demo`'s user journey, shortened: virtual board, flash, config set, monitor, logs pull, report.

On the 64-bit unix port, and on the 32-bit build ($HINGE_MP_BITS=32: the board has the ESP32's
int widths).
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hinge.common import devpath


@pytest.mark.mp32
def test_demo_journey(tmp_path, board_engine):
    hinge = Path(sys.executable).with_name("hinge")
    out = tmp_path / "demo"
    env = dict(os.environ, **{devpath.MP_BITS_ENV: str(devpath.ENGINES[board_engine])})
    p = subprocess.run([str(hinge), "demo", "--scenario", "too_upright", "--minutes", "2.5", "--speed", "30",
                        "--out", str(out)], capture_output=True, text=True, timeout=600, env=env)
    text = p.stdout + p.stderr
    assert p.returncode == 0, text[-3000:]
    for step in ("hinge virtual", "hinge --port", "flash", "config set lean_min_deg=5", "monitor", "logs pull",
                 "hinge report"):
        assert step in text, step
    assert "sha256 verified" in text
    assert "The virtual board's supervisor: " in text   # its resets, if any, are in the failure text below
    arch = devpath.micropython_arch(devpath.ENGINES[board_engine])
    assert f"modules compiled for {arch}," in text  # the board ran the build asked for
    assert re.search(r">>> BUZZ: too upright", text), text[-3000:]
    html = out / "report.html"
    assert html.exists() and html.stat().st_size > 50_000
    assert "data:image/png;base64," in html.read_text()
    assert f"The report: {html}" in text
    # the board's clock was set at every connection; the simulated watch's FIT lines up with the log
    # (its clock journey.WATCH_BEHIND_S behind the laptop's), and the report has the watch's section
    from hinge.demo import journey

    # (plus the seconds of the run the board spends booting before its session starts: at --speed 30
    # a tenth of a second of start-up is 3 s of the simulated run)
    m = re.search(r"board clock ([\d.]+) s ahead of the watch", text)
    assert m and journey.WATCH_BEHIND_S - 1.5 <= float(m.group(1)) <= journey.WATCH_BEHIND_S + 8, text[-3000:]
    page = html.read_text()
    assert "With your watch" in page and "Per km" in page and "Form against grade" in page
    # the watch's pod: Hinge's running dynamics beside it, in the page and in the demo's output
    assert "Running dynamics: Hinge and your watch" in page
    m = re.search(r"contact time: Hinge (\d+) ms, watch (\d+) ms \(Hinge - watch ([+-][\d.]+) ms", text)
    assert m and abs(float(m.group(3))) <= 15.0, text[-3000:]
    # the virtual board was stopped: its serial link is gone
    assert not (out / "hinge-tty").exists()


def test_demo_firmware_only_runs_for_the_minutes_asked(tmp_path):
    # --minutes was ignored (the scenario's 10 minutes ran); the run is streamed to the board
    hinge = Path(sys.executable).with_name("hinge")
    out = tmp_path / "fw"
    p = subprocess.run([str(hinge), "demo", "--firmware-only", "--scenario", "mixed", "--minutes", "1.5",
                        "--out", str(out)], capture_output=True, text=True, timeout=600)
    text = p.stdout + p.stderr
    assert p.returncode == 0, text[-3000:]
    assert "Simulated 'mixed' run: 1.5 min" in text and "1.5 min of running played" in text, text[:2000]
    from hinge.logs import logdecode

    sess = logdecode.decode_session(sorted((out / "board" / "flash" / "logs").glob("S*.hlg"))[-1])
    assert 60_000 < int(sess.strides["t_ms"].max()) <= 90_000
    csv = (out / "mixed.csv").read_text().splitlines()
    assert abs(float(csv[-1].split(",")[0]) - 90_000) < 200  # the capture CSV is 1.5 minutes too
