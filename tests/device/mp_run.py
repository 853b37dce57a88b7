# Run the plain-assert device tests of one module under micropython.
# usage: micropython mp_run.py MODULE   (MICROPYPATH = device/ and tests/device/)
# Prints "PASS name" / "FAIL name: error" per test and "SUMMARY passed failed".
import sys


def main():
    name = sys.argv[1]
    mod = __import__(name)
    passed = failed = 0
    for attr in sorted(dir(mod)):
        if not attr.startswith("test_"):
            continue
        f = getattr(mod, attr)
        try:
            f()
            passed += 1
            print("PASS", attr)
        except Exception as e:  # report every failure, keep going
            failed += 1
            print("FAIL", attr + ":", type(e).__name__, e)
    print("SUMMARY", passed, failed)


main()
