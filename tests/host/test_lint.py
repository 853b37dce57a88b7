"""Device code compiles for the ESP32 and type-checks against the ESP32 stubs; the checks can fail."""
import pytest

from hinge.dev import lint


def test_every_device_file_compiles_for_xtensawin():
    assert lint.device_files(), "no device files?"
    assert lint.mpy_cross_all() == []


def test_device_type_check_passes():
    rc, out = lint.mypy_device()
    assert rc == 0, out


def test_checks_catch_cpython_only_code(tmp_path, monkeypatch):
    (tmp_path / "bad.py").write_text(
        "import time\nimport machine\n\n\ndef f():\n    machine.I2C(0).readfrom_mem_into(0x68)\n"
        "    return time.monotonic() + time.ticks_ms()\n")
    (tmp_path / "broken.py").write_text("def g(:\n    pass\n")
    monkeypatch.setattr(lint, "DEVICE_DIR", tmp_path)
    errs = lint.mpy_cross_all()
    assert len(errs) == 1 and errs[0].startswith("broken.py")
    (tmp_path / "broken.py").unlink()
    rc, out = lint.mypy_device()
    assert rc != 0
    assert "monotonic" in out and "readfrom_mem_into" in out  # CPython-only time call; missing args
    assert "ticks_ms" not in out


@pytest.mark.parametrize("march", ["x64", "x86"])  # the 64- and 32-bit unix-port builds
def test_device_files_compile_for_the_unix_port(march):
    assert lint.mpy_cross_all(march) == []
