"""Helpers for tests that run `hinge` commands in-process."""
from hinge.cli import cli


def run_cli(*argv):
    """`hinge ARGV...` in this process; its exit status."""
    return cli.main([str(x) for x in argv])


def one_error_line(capsys) -> str:
    """The one line a failed command printed on stderr (asserts it was one)."""
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]
