# The one runner of the tests that run under both interpreters (CPython runs them through pytest).
# usage: micropython mp_run.py MODULE [DIR]   (MICROPYPATH: device/, the module's folder, ...)
# Runs every test_* function of MODULE in name order; with DIR, each gets a fresh folder DIR/NAME
# (modules whose tests take one say NEEDS_DIR = True). Then MODULE.after_all() if it has one
# (figures such as BENCH lines). Prints "PASS name" / "FAIL name: error" per test, and last
# "SUMMARY passed failed". tests/mputil.py starts it and checks that every test passed.
import os
import sys


def main():
    name = sys.argv[1]
    base = sys.argv[2] if len(sys.argv) > 2 else None
    mod = __import__(name)
    needs_dir = getattr(mod, "NEEDS_DIR", False)
    passed = failed = 0
    for attr in sorted(dir(mod)):
        if not attr.startswith("test_"):
            continue
        f = getattr(mod, attr)
        try:
            if needs_dir:
                d = base + "/" + attr
                os.mkdir(d)
                f(d)
            else:
                f()
            passed += 1
            print("PASS", attr)
        except Exception as e:  # report every failure, keep going
            failed += 1
            print("FAIL", attr + ":", type(e).__name__, e)
            sys.print_exception(e)
    if hasattr(mod, "after_all"):
        mod.after_all()
    print("SUMMARY", passed, failed)


main()
