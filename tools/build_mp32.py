"""Build a 32-bit (i386) unix-port micropython: the ESP32's int widths on the host.

usage: python3 tools/build_mp32.py [OUT_DIR]     (default .venv/mp32; the result is OUT_DIR/micropython)

The ESP32 has 31-bit small ints and 32-bit viper words; the 64-bit unix port from PyPI has
63-bit ints, so overflows hide there. This builds the same MicroPython for i386 (gcc -m32,
Debian package gcc-multilib) with the recipe in ../shared/vendor/README.md.

Source: the vendored tarball ../shared/vendor/micropython-*-unix-src.tar.xz, its sha256 checked
against the vendor README; without it, a shallow fetch of the MicroPython repository at COMMIT
(from $MP32_GIT_URL when set, e.g. a local mirror).
Cached: rebuilt only when OUT_DIR/micropython is missing or the source or the recipe changed
(OUT_DIR/build.key holds what the binary was built from). The build log is OUT_DIR/build.log.
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENDOR = REPO.parent / "shared" / "vendor"
TARBALLS = "micropython-*-unix-src.tar.xz"
GIT_URL = os.environ.get("MP32_GIT_URL", "https://github.com/micropython/micropython")  # or a mirror
COMMIT = "1c3c201149f37fe8d81246191b3127bb198d6306"  # v1.29.0-preview-731, as the tarball
MAKE_ARGS = ["VARIANT=standard", "CFLAGS_EXTRA=-m32", "LDFLAGS_EXTRA=-m32", "MICROPY_PY_BTREE=0",
             "MICROPY_PY_FFI=0", "MICROPY_PY_SSL=0", "MICROPY_SSL_MBEDTLS=0", "MICROPY_SSL_AXTLS=0",
             "FROZEN_MANIFEST="]  # no frozen modules: the port needs no mpy-cross and no submodules
JOBS = "-j2"


def die(msg):
    print("build_mp32: " + msg, file=sys.stderr)
    sys.exit(1)


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def vendored_tarball():
    """(path, sha256) of the vendored source tarball, checked against the vendor README; or None."""
    found = sorted(VENDOR.glob(TARBALLS))
    if not found:
        return None
    tar = found[-1]
    readme = VENDOR / "README.md"
    text = readme.read_text() if readme.exists() else ""
    m = re.search(r"^## " + re.escape(tar.name) + r"$(.*?)\bsha256 ([0-9a-f]{64})", text, re.M | re.S)
    if not m:
        die(f"no sha256 for {tar.name} in {readme}: cannot check the tarball")
    got = sha256(tar)
    if got != m.group(2):
        die(f"{tar} has sha256 {got}, the vendor README says {m.group(2)}: replace the tarball")
    return tar, got


def sys_maxsize(exe):
    p = subprocess.run([str(exe), "-c", "import sys; print(sys.maxsize)"], capture_output=True, text=True)
    return int(p.stdout) if p.returncode == 0 and p.stdout.strip().isdigit() else None


def check_m32(work):
    """gcc must compile and link a 32-bit program (headers and libc of gcc-multilib)."""
    for tool in ("gcc", "make"):
        if shutil.which(tool) is None:
            die(f"{tool} not found: apt-get install make gcc gcc-multilib")
    c = work / "m32.c"
    c.write_text("#include <stdio.h>\n#include <math.h>\nint main(void){printf(\"%d\", (int)sizeof(void*));"
                 "return 0;}\n")
    p = subprocess.run(["gcc", "-m32", str(c), "-o", str(work / "m32"), "-lm"], capture_output=True, text=True)
    if p.returncode != 0:
        die("gcc cannot build 32-bit programs: apt-get install gcc-multilib")


def get_source(tar, dest):
    """Unpack the tarball (or fetch COMMIT) into dest; return the source root."""
    if tar is not None:
        with tarfile.open(tar) as tf:
            if hasattr(tarfile, "data_filter"):
                tf.extractall(dest, filter="data")
            else:
                tf.extractall(dest)  # Python < 3.12; the tarball's sha256 was checked
        (root,) = [d for d in dest.iterdir() if d.is_dir()]
        return root
    root = dest / "micropython"
    cmds = [["git", "init", "-q", str(root)],
            ["git", "-C", str(root), "fetch", "-q", "--depth", "1", GIT_URL, COMMIT],
            ["git", "-C", str(root), "checkout", "-q", "FETCH_HEAD"]]
    for cmd in cmds:
        if shutil.which("git") is None or subprocess.run(cmd, capture_output=True).returncode != 0:
            die(f"no MicroPython source: put the vendored {TARBALLS} in {VENDOR} "
                f"(sha256 in its README) or allow git to fetch {GIT_URL} (commit {COMMIT[:10]})")
    return root


def main(argv):
    out = Path(argv[1] if len(argv) > 1 else REPO / ".venv" / "mp32").resolve()
    exe, keyfile, log = out / "micropython", out / "build.key", out / "build.log"
    vend = vendored_tarball()
    tar = vend[0] if vend else None
    key = ("tarball " + vend[1] if vend else "git " + COMMIT) + " | make " + " ".join(MAKE_ARGS)
    if exe.exists() and keyfile.exists() and keyfile.read_text() == key and sys_maxsize(exe) == 2**31 - 1:
        print(f"build_mp32: {exe} is up to date")
        return 0
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="work-", dir=out) as td:
        work = Path(td)
        check_m32(work)
        src = get_source(tar, work)
        build = work / "build-i386"
        cmd = ["make", "-C", str(src / "ports" / "unix"), JOBS, f"BUILD={build}", *MAKE_ARGS]
        # the version header comes from `git describe`: not from a repository around OUT_DIR
        env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(work))
        with open(log, "w") as f:
            p = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env)
        if p.returncode != 0:
            lines = log.read_text().strip().splitlines() or ["(no output)"]
            first_error = next((ln for ln in lines if "error" in ln.lower()), lines[-1])
            die(f"make failed ({log}): {first_error.strip()}")
        tmp = out / "micropython.new"
        shutil.copy2(build / "micropython", tmp)
        size = sys_maxsize(tmp)
        if size != 2**31 - 1:
            die(f"the build is not 32-bit: sys.maxsize is {size}, expected 2**31-1 ({log})")
        os.replace(tmp, exe)
    keyfile.write_text(key)
    src_name = tar.name if tar else f"git {COMMIT[:10]}"
    print(f"build_mp32: built {exe} from {src_name} in {time.monotonic() - t0:.0f} s (sys.maxsize 2**31-1)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
