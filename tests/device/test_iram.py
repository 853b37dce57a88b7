"""The boot check of the ESP32's executable RAM (IRAM), where the viper code's machine code lives:
said on the console when ``esp32`` exists, skipped on the unix port."""
import subprocess
import sys
import types

from hinge.common import devpath
from hinge.virtual.vrun import VBOARD_DIR

board = devpath.import_device("board")
main = devpath.import_device("main")


def _esp32(blocks):
    m = types.ModuleType("esp32")
    m.HEAP_EXEC = 4
    m.idf_heap_info = lambda cap: blocks if cap == m.HEAP_EXEC else []
    return m


def test_exec_ram_from_the_idf_heaps(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "esp32", _esp32([(65536, 20000, 18000, 15000), (8192, 3000, 2500, 2000)]))
    assert board.exec_ram() == (23000, 18000)
    main.App(root=".", quiet=False).say_iram()
    assert capsys.readouterr().out == "H # iram: viper code fits, 23000 bytes executable RAM free (largest block 18000)\n"


def test_no_esp32_module_no_iram_line(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "esp32", None)  # import esp32 -> ImportError
    assert board.exec_ram() is None
    main.App(root=".", quiet=False).say_iram()
    assert capsys.readouterr().out == ""


def test_unix_port_skips_it(micropython):
    env = devpath.micropython_env()
    env["MICROPYPATH"] = f"{devpath.DEVICE_DIR}:{VBOARD_DIR}"
    p = subprocess.run([micropython, "-c", "import vmachine; vmachine.install(None); import board; print(board.exec_ram())"], capture_output=True, text=True,
                       env=env, timeout=60)
    assert p.stdout.strip() == "None", p.stdout + p.stderr
