"""device/frozen/manifest.py (a MicroPython manifest for a frozen firmware image) lists every
device module but main.py, from device/, and keeps the port's own frozen modules."""
from hinge.common import devpath

MANIFEST = devpath.DEVICE_DIR / "frozen" / "manifest.py"


def read_manifest():
    """Run the manifest with MicroPython's manifest functions recorded: (includes, module paths)."""
    includes, modules = [], []

    def module(path, base_path=".", opt=None):
        modules.append((MANIFEST.parent / base_path / path).resolve())

    def package(path, files=None, base_path=".", opt=None):
        raise AssertionError(f"unexpected package({path!r}): the device modules are flat")

    def include(path, **kw):
        includes.append(path)

    exec(compile(MANIFEST.read_text(), str(MANIFEST), "exec"),
         {"module": module, "package": package, "include": include, "freeze": None, "require": None})
    return includes, modules


def test_manifest_lists_every_device_module():
    includes, modules = read_manifest()
    want = sorted(p.resolve() for p in devpath.DEVICE_DIR.glob("*.py") if p.name != "main.py")
    assert sorted(modules) == want
    assert len(set(modules)) == len(modules)
    assert all(p.exists() for p in modules)
    assert "$(PORT_DIR)/boards/manifest.py" in includes  # _boot.py: without it no filesystem
