"""`make demo`'s user journey, shortened: virtual board, flash, config set, monitor, logs pull, report."""
import re
import subprocess
import sys
from pathlib import Path


def test_demo_journey(tmp_path):
    hinge = Path(sys.executable).with_name("hinge")
    out = tmp_path / "demo"
    p = subprocess.run([str(hinge), "demo", "--scenario", "too_upright", "--minutes", "2.5", "--speed", "30",
                        "--out", str(out)], capture_output=True, text=True, timeout=600)
    text = p.stdout + p.stderr
    assert p.returncode == 0, text[-3000:]
    for step in ("hinge virtual", "hinge --port", "flash", "config set lean_min_deg=5", "monitor", "logs pull",
                 "hinge report"):
        assert step in text, step
    assert "sha256 verified" in text
    assert re.search(r">>> BUZZ: too upright", text), text[-3000:]
    html = out / "report.html"
    assert html.exists() and html.stat().st_size > 50_000
    assert "data:image/png;base64," in html.read_text()
    assert f"The report: {html}" in text
    # the virtual board was stopped: its serial link is gone
    assert not (out / "hinge-tty").exists()
