"""``hinge logs list | pull | erase``: session logs off the board (reading them: :mod:`.cmd_report`).

    hinge logs list                        # sessions on the board: size, start date, pulled yet?
    hinge logs pull [SESSION | --all] [--dir hinge-logs] [--resume]
    hinge logs erase SESSION [--yes]

Python API::

    from hinge.cli import cmd_logs
    from hinge.board import transport
    with transport.connect() as board:
        for f in cmd_logs.list_logs(board):
            print(f.name, f.size, f.start)
        written = cmd_logs.pull(board, "hinge-logs", all_=True)   # decoded files written

**Connecting stops the coach.** The host enters the board's REPL with Ctrl-C, which interrupts
the firmware; its Ctrl-C handler writes the pending log block and closes the session, so every
log on the board is complete when it is read. The board then stays idle in its REPL: ``--resume``
soft-resets it from the friendly REPL when the command is done (boot.py and main.py run, a new
session starts), otherwise the runner presses reset or unplugs it.

**Pulls are resumable and verified.** A file is downloaded into ``NAME.part`` in ranges
(:meth:`hinge.board.transport.Board.fs_read_range`, RANGE_BYTES per board execution), each range
appended and fsync-ed as it arrives; a pull that breaks off (cable out, board reset) keeps the
part, and the next pull continues from its size. When the part is whole its SHA-256 is compared
with one the board computes itself (``hashlib`` on the board; CRC-32 on a firmware without it),
and only then is it renamed to ``NAME``: a file with its final name is always a verified copy.
A mismatch after a resume discards the part and downloads once more from the start; a mismatch
on a fresh download discards it and fails with one line. A file already pulled (same checksum)
is not downloaded again; one with the same name and different content (another board?) is left
alone and reported.

**Names are untrusted.** Only board file names like ``S0007.hlg`` / ``S0007.raw`` /
``S100000.hlg`` (the firmware's own rule, ``logfmt.session_of``: ``S`` + the session number
1..16777215 in at least 4 digits) are pulled; a name with a path separator, ``..``, a NUL or other control
character is refused with one line, and every local path is checked to stay inside the target
folder.

Beside each pulled ``Snnnn.hlg`` the decoder (:mod:`hinge.logs.logdecode`) writes
``Snnnn.strides.csv``, ``Snnnn.alerts.csv``, ``Snnnn.events.csv`` and ``Snnnn.json``; beside a
raw capture ``Snnnn.raw`` a capture CSV ``Snnnn.capture.csv`` that ``hinge replay`` reads.
"""
from __future__ import annotations

import ast
import contextlib
import hashlib
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from hinge.common.errors import HingeError

LOG_DIR = "logs"  # on the board, relative to its flash root
DEFAULT_DIR = "hinge-logs"
RANGE_BYTES = 16384  # bytes per ranged read (one board execution); what a broken pull can lose
LOOKS_LIKE = re.compile(r"S[0-9]+\.(hlg|raw)")  # a session file name, maybe out of the rule: say so
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:]|^\.\.?$|\.\.")

STOP_NOTE = ("note: connecting stopped the coach on the board, if it was running (Ctrl-C: it closes "
             "its log first)")


def _say(*parts):
    print(*parts, file=sys.stderr, flush=True)


# ---- names --------------------------------------------------------------------------------
def check_name(name) -> str:
    """``name`` if it is a session file name (``S0007.hlg``, ``S0007.raw``), else HingeError.

    A device-provided name is only ever used as one path component inside the target folder:
    anything with a separator, ``..``, a NUL or a control character is refused.
    """
    if not isinstance(name, str):
        raise HingeError(f"refusing board file name {name!r}: not text")
    if _UNSAFE.search(name) or name.startswith(("/", "~")):
        raise HingeError(f"refusing board file name {name!r}: it would leave the log folder")
    if _fmt().session_of(name) < 0:
        raise HingeError(f"refusing board file name {name!r}: not a session log name (Snnnn.hlg or Snnnn.raw, "
                         f"session 1..{_fmt().SESSION_MAX})")
    return name


def _fmt():
    from hinge.common.devpath import import_device

    return import_device("logfmt")


def _stem(n: int) -> str:
    """``S0007`` for session 7, ``S100000`` for 100000 (the firmware's names, less the suffix)."""
    return _fmt().session_name(n, "hlg")[:-4]


def session_number(text: str) -> int:
    """The session number in ``S0007``, ``S0007.hlg``, ``s7``, ``7`` ...; HingeError otherwise."""
    t = str(text).strip()
    m = re.fullmatch(r"[Ss]?([0-9]{1,8})(\.(hlg|raw))?", t)
    if not m or not 1 <= int(m.group(1)) <= _fmt().SESSION_MAX:
        raise HingeError(f"{text!r} is not a session name: expected e.g. S0007 or S0007.hlg")
    return int(m.group(1))


def _inside(dest: Path, name: str) -> Path:
    """``dest / name``, checked to stay inside ``dest`` (belt and braces after check_name)."""
    p = dest / name
    if p.resolve().parent != dest.resolve():
        raise HingeError(f"refusing {name!r}: it would be written outside {dest}")
    return p


# ---- listing ------------------------------------------------------------------------------
@dataclass
class LogFile:
    """A session file on the board."""

    name: str  # "S0007.hlg"
    size: int  # bytes
    session: int  # 7
    kind: str  # "hlg" (session log) or "raw" (raw capture)
    start: str | None = None  # "2026-05-01 07:32:10" from the file header, when the board's clock was set
    path: str = ""  # board path, "logs/S0007.hlg"

    @property
    def stem(self) -> str:
        return self.name.rsplit(".", 1)[0]


# One execution lists logs/ with sizes and each file's first header bytes (for the date),
# and the free space.
_SCAN = """\
import os, binascii
def _hg():
    r = []
    try:
        es = list(os.ilistdir(%r))
    except OSError:
        es = []
    for e in es:
        if e[1] == 0x4000:
            continue
        p = %r + '/' + e[0]
        try:
            s = os.stat(p)[6]
            with open(p, 'rb') as f:
                h = f.read(31)
        except OSError:
            s, h = -1, b''
        r.append((e[0], s, binascii.hexlify(h).decode()))
    try:
        v = os.statvfs('.')
        free = v[0] * v[4]
    except Exception:
        free = -1
    print(repr((r, free)))
try:
    _hg()
finally:
    del _hg
"""


def _scan(board) -> tuple[list, int]:
    """[(name, size, header hex)] of the files in the board's logs/ folder, and free bytes (-1)."""
    out = board.exec_(_SCAN % (LOG_DIR, LOG_DIR), timeout=20)
    try:
        rows, free = ast.literal_eval(out.strip())
    except (ValueError, SyntaxError):
        raise HingeError(f"unexpected answer listing {LOG_DIR}/ on the board: {out.strip()[:80]!r}") from None
    return rows, free


def _start_of(head: bytes) -> str | None:
    """Wall-clock start from a log header, as ``YYYY-MM-DD hh:mm:ss``, or None (logdecode.wall_start)."""
    from hinge.logs.logdecode import wall_start

    start = wall_start(head)
    return start.replace("T", " ") if start else None


def list_logs(board, refused: list | None = None) -> list[LogFile]:
    """Session files on the board (``logs/Snnnn.hlg`` and ``.raw``), oldest session first.

    Names that could escape a folder are refused (one line each on stderr, and appended to
    ``refused`` if given); other files (``LAST``) are not session files and are skipped.
    """
    rows, _ = _scan(board)
    return _entries(rows, refused)


def _entries(rows, refused=None) -> list[LogFile]:
    out = []
    for name, size, hexhead in rows:
        try:
            check_name(name)
        except HingeError as e:
            if LOOKS_LIKE.search(str(name)) or _UNSAFE.search(str(name)) or str(name).startswith("/"):
                _say(f"hinge logs: {e}")
                if refused is not None:
                    refused.append(name)
            continue
        try:
            head = bytes.fromhex(hexhead)
        except ValueError:
            head = b""
        out.append(LogFile(name, int(size), _fmt().session_of(name), name[-3:], _start_of(head), f"{LOG_DIR}/{name}"))
    out.sort(key=lambda f: (f.session, f.kind != "hlg"))
    return out


def _select(files: list[LogFile], sessions, all_: bool) -> list[LogFile]:
    if all_:
        return list(files)
    if not sessions:
        if not files:
            return []
        newest = max(f.session for f in files)
        return [f for f in files if f.session == newest]
    picked = []
    for s in sessions:
        text = str(s)
        n = session_number(text)
        kind = text.rsplit(".", 1)[1] if "." in text else None
        hit = [f for f in files if f.session == n and (kind is None or f.kind == kind)]
        if not hit:
            have = ", ".join(sorted({f.stem for f in files})) or "none"
            raise HingeError(f"{_stem(n)}: no such session on the board (it has: {have})")
        picked += [f for f in hit if f not in picked]
    return picked


# ---- pulling ------------------------------------------------------------------------------
@dataclass
class Pulled:
    """What happened to one file in a pull."""

    file: LogFile
    path: Path  # the local verified copy
    status: str  # "pulled", "resumed", "up to date"
    bytes: int = 0  # bytes transferred now
    seconds: float = 0.0  # transfer time (ranged reads only)
    algo: str = "sha256"
    decoded: list = field(default_factory=list)  # Paths written by the decoder
    problems: list = field(default_factory=list)  # decoder's notes (corruption ...)

    @property
    def kib_s(self) -> float | None:
        return self.bytes / 1024 / self.seconds if self.seconds > 0 and self.bytes else None


def _file_checksum(path: Path, algo: str) -> str:
    if algo == "sha256":
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for b in iter(lambda: f.read(1 << 16), b""):
                h.update(b)
        return h.hexdigest()
    from hinge.board.transport import local_checksum

    return local_checksum(path.read_bytes(), algo)


def _fsync_dir(d: Path):
    with contextlib.suppress(OSError):
        fd = os.open(d, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _download(board, f: LogFile, part: Path, bar) -> tuple[int, float]:
    """Append the rest of ``f`` to ``part`` in ranged reads; (bytes moved, seconds)."""
    offset = part.stat().st_size if part.exists() else 0
    moved = 0
    t0 = time.perf_counter()
    with open(part, "ab") as out:
        while offset < f.size:
            seen = [0]

            def prog(done, _total, seen=seen):
                if bar is not None and done > seen[0]:
                    bar.update(done - seen[0])
                    seen[0] = done

            data = board.fs_read_range(f.path, offset, min(RANGE_BYTES, f.size - offset), progress=prog)
            if not data:
                break  # the file is shorter than listed: the checksum decides
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
            offset += len(data)
            moved += len(data)
    return moved, time.perf_counter() - t0


def _pull_one(board, f: LogFile, dest: Path, bar) -> Pulled:
    final = _inside(dest, f.name)
    part = _inside(dest, f.name + ".part")
    algo, want = board.checksum(f.path)
    if final.exists():
        if _file_checksum(final, algo) == want:
            if bar is not None:
                bar.update(max(0, f.size - (part.stat().st_size if part.exists() else 0)))
            return Pulled(f, final, "up to date", algo=algo)
        raise HingeError(f"{f.name}: a different file of that name is already in {dest} "
                         f"(from another board?): left alone; pull into another --dir")
    resumed_from = part.stat().st_size if part.exists() else 0
    if resumed_from > f.size:  # not a prefix of this file: start again
        part.unlink()
        resumed_from = 0
    moved, secs = 0, 0.0
    for attempt in (1, 2):
        m, s = _download(board, f, part, bar)
        moved += m
        secs += s
        if _file_checksum(part, algo) == want:
            os.replace(part, final)
            _fsync_dir(dest)
            return Pulled(f, final, "resumed" if resumed_from else "pulled", moved, secs, algo)
        part.unlink()
        if attempt == 1 and resumed_from:
            _say(f"hinge logs: {f.name}: the kept partial download did not match the board's file: "
                 f"downloading it again from the start")
            if bar is not None:
                bar.update(-min(bar.n, f.size))
            resumed_from = 0
            continue
        break
    raise HingeError(f"{f.name}: {algo} of the download differs from the board's: discarded "
                     f"(the cable or port lost data?); pull again")


def _write_atomic(path: Path, write):
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def decode_pulled(path: Path, out_dir: Path | None = None) -> tuple[list[Path], list[str]]:
    """Write the decoded files beside a pulled log (or in ``out_dir``: ``hinge export --csv``);
    (paths written, problems noted)."""
    from hinge.logs import export, logdecode

    path = Path(path)
    stem = path.name.rsplit(".", 1)[0]
    d = Path(out_dir) if out_dir is not None else path.parent
    written: list[Path] = []
    try:
        if path.suffix == ".raw":
            out = d / f"{stem}.capture.csv"
            box = {}
            _write_atomic(out, lambda p: box.setdefault("raw", export.raw_to_capture_csv(path, p)))
            return [out], list(box["raw"].problems)
        s = logdecode.decode_session(path)
    except ValueError as e:
        return [], [str(e).splitlines()[0]]
    for table in ("strides", "alerts", "events"):
        out = d / f"{stem}.{table}.csv"
        _write_atomic(out, lambda p, table=table: export.session_to_csv(s, p, table))
        written.append(out)
    out = d / f"{stem}.json"
    _write_atomic(out, lambda p: export.session_to_json(s, p))
    written.append(out)
    return written, list(s.problems)


def pull_files(board, dest_dir, sessions=None, all_: bool = False, progress: bool = True) -> list[Pulled]:
    """Pull session files (see :func:`pull`) and report each one as a :class:`Pulled`.

    A broken connection raises BoardError at once (what arrived stays in ``NAME.part``); a file
    that fails verification or clashes with a local file is reported after the others are done,
    as one HingeError.
    """
    from hinge.board.transport import BoardError

    dest = Path(dest_dir)
    for s in sessions or ():
        session_number(s)  # refuse a bad name before touching the board
    files = _select(list_logs(board), sessions, all_)
    if not files:
        return []
    dest.mkdir(parents=True, exist_ok=True)
    total = sum(f.size for f in files)
    have = 0
    for f in files:
        part = dest / (f.name + ".part")
        if part.exists() and not (dest / f.name).exists():
            have += min(part.stat().st_size, f.size)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, initial=have, unit="B", unit_scale=True, unit_divisor=1024,
                   desc="pull", file=sys.stderr, leave=True, dynamic_ncols=True)
    done: list[Pulled] = []
    failed: list[str] = []
    try:
        for f in files:
            if bar is not None:
                bar.set_postfix_str(f.name)
            try:
                p = _pull_one(board, f, dest, bar)
            except HingeError as e:
                failed.append(str(e))
                _say(f"hinge logs: {e}")
                continue
            except BoardError as e:
                part = dest / (f.name + ".part")
                kept = part.stat().st_size if part.exists() else 0
                raise BoardError(f"{e} ({f.name}: {kept} of {f.size} bytes kept in {part.name}; pull again to continue)",
                                 e.detail, e.errno) from None
            p.decoded, p.problems = decode_pulled(p.path)
            done.append(p)
    finally:
        if bar is not None:
            bar.close()
    if failed:
        raise HingeError(failed[0] if len(failed) == 1 else f"{len(failed)} files failed: " + "; ".join(failed))
    return done


def pull(board, dest_dir, sessions=None, all_: bool = False, progress: bool = True) -> list[Path]:
    """Download session files from ``board`` into ``dest_dir``; the decoded files written.

    ``sessions``: names or numbers (``"S0007"``, ``"S0007.hlg"``, ``7``); ``all_``: every
    session; neither: the newest session. Each file is resumable, verified against a checksum
    computed on the board, and kept raw beside its decoded CSV/JSON (module docstring).
    ``progress``: a tqdm bar on stderr.
    """
    out: list[Path] = []
    for p in pull_files(board, dest_dir, sessions, all_, progress):
        out += p.decoded
    return out


# ---- erasing ------------------------------------------------------------------------------
def erase(board, session) -> list[str]:
    """Delete one session (its .hlg and .raw) from the board; the file names removed."""
    files = _select(list_logs(board), [session], False)
    gone = []
    for f in files:
        board.fs_remove(f.path)
        gone.append(f.name)
    return gone


# ---- CLI ----------------------------------------------------------------------------------
def _kib(n: int) -> str:
    if n < 0:
        return "?"
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / 1024 / 1024:.2f} MiB"


@contextlib.contextmanager
def open_board(a, caller_restarts: bool = False):
    """Connect (interrupting the firmware), say so, and restart it afterwards if ``--resume``.

    ``caller_restarts``: the code inside restarts the firmware itself (and closes the board).
    """
    from hinge.board import transport

    board = transport.connect(a.port)
    resume = getattr(a, "resume", False)
    _say(STOP_NOTE + ("; it restarts when this command is done." if resume else
                      ". Add --resume to restart coaching afterwards, or press the board's reset button."))
    ok = False
    try:
        yield board
        ok = True
    finally:
        if resume and not caller_restarts and board.transport is not None:
            try:
                board.run_main()
                _say("board restarted: coaching again (a new session log begins).")
            except transport.BoardError as e:
                if ok:
                    raise
                _say(f"hinge: could not restart the board: {e}")
        else:
            board.close()


def _pulled_locally(dest: Path, f: LogFile) -> bool:
    p = dest / f.name
    return p.is_file() and p.stat().st_size == f.size


def cmd_logs_list(a) -> int:
    dest = Path(a.dir)
    with open_board(a) as board:
        rows, free = _scan(board)
        files = _entries(rows)
    if not files:
        print(f"No session logs on the board{f' ({_kib(free)} free)' if free >= 0 else ''}.")
        return 0
    by: dict[int, dict] = {}
    for f in files:
        by.setdefault(f.session, {})[f.kind] = f
    print(f"Session logs on the board ({len(by)} session{'s' if len(by) != 1 else ''}, {_kib(sum(f.size for f in files))}"
          f"{f'; {_kib(free)} free' if free >= 0 else ''}):")
    print(f"  {'session':<8} {'started':<20} {'log':>10} {'raw':>10}  pulled to {dest}/")
    for n, kinds in sorted(by.items()):
        h, r = kinds.get("hlg"), kinds.get("raw")
        start = (h or r).start or "date unknown"
        pulled = all(_pulled_locally(dest, f) for f in kinds.values())
        print(f"  {_stem(n):<8} {start:<20} {_kib(h.size) if h else '-':>10} {_kib(r.size) if r else '-':>10}  "
              f"{'yes' if pulled else 'no'}")
    print("Download: hinge logs pull SESSION  (or --all); then: hinge report hinge-logs/SNNNN.hlg --html run.html")
    return 0


def cmd_logs_pull(a) -> int:
    sessions = a.session or None
    if sessions and a.all:
        raise HingeError("give SESSION names or --all, not both")
    for x in sessions or ():
        session_number(x)
    with open_board(a) as board:
        results = pull_files(board, a.dir, sessions, a.all, progress=not a.quiet)
    if not results:
        print("No session logs on the board: nothing to pull.")
        return 0
    warn = False
    for p in results:
        if p.status == "up to date":
            line = f"  {p.file.name:<10} {_kib(p.file.size):>9}  already pulled ({p.algo} matches)"
        else:
            speed = f", {p.kib_s:.1f} KiB/s" if p.kib_s else ""
            how = f"resumed, {_kib(p.bytes)} more" if p.status == "resumed" else "pulled"
            took = f"{p.seconds * 1000:.0f} ms" if p.seconds < 1 else f"{p.seconds:.1f} s"
            line = f"  {p.file.name:<10} {_kib(p.file.size):>9}  {how} in {took}{speed}, {p.algo} verified"
        print(line + f" -> {p.path}")
        if p.decoded:
            print("             decoded: " + ", ".join(x.name for x in p.decoded))
        for prob in p.problems:
            warn = True
            print(f"             warning: {prob}")
    moved = sum(p.bytes for p in results)
    secs = sum(p.seconds for p in results)
    if moved and secs > 0:
        print(f"{_kib(moved)} in {secs:.2f} s: {moved / 1024 / secs:.1f} KiB/s")
    logs = [p.path for p in results if p.file.kind == "hlg"]
    if logs:
        print(f"Next: hinge report {logs[-1]} --html {logs[-1].with_suffix('.html')}")
    return 1 if warn and not any(p.decoded for p in results) else 0


def cmd_logs_erase(a) -> int:
    dest = Path(a.dir)
    session_number(a.session)
    if not a.yes and not sys.stdin.isatty():
        raise HingeError("erase asks before deleting: run it on a terminal or pass --yes")
    with open_board(a) as board:
        files = _select(list_logs(board), [a.session], False)
        desc = ", ".join(f"{f.name} ({_kib(f.size)})" for f in files)
        unsaved = [f.name for f in files if not _pulled_locally(dest, f)]
        if not a.yes:
            if unsaved:
                print(f"not pulled to {dest}/ yet: {', '.join(unsaved)}")
            answer = input(f"Delete {desc} from the board? [y/N] ").strip().lower()
            if answer not in ("y", "yes"):
                print("Nothing deleted.")
                return 1
        for f in files:
            board.fs_remove(f.path)
    print(f"Deleted {desc} from the board." + (f" (Not pulled to {dest}/: {', '.join(unsaved)} is gone.)" if unsaved else ""))
    return 0


def _args_logs(p):
    sub = p.add_subparsers(dest="logs_cmd", metavar="ACTION")
    sub.required = True

    def common(sp):
        sp.add_argument("--dir", default=DEFAULT_DIR, help=f"local folder for logs (default ./{DEFAULT_DIR})")
        sp.add_argument("--resume", action="store_true",
                        help="restart coaching on the board when done (connecting stops it)")

    sp = sub.add_parser("list", help="session logs on the board: size, start date, pulled yet",
                        description="List the session logs on the board. Connecting stops the coach "
                                    "(it closes its log first); --resume restarts it.")
    common(sp)
    sp = sub.add_parser("pull", help="download session logs (resumable, checksum-verified) and decode them",
                        description="Download session logs into --dir: resumable (NAME.part), verified "
                                    "against a SHA-256 computed on the board, decoded to CSV and JSON beside "
                                    "the raw file. Default: the newest session.")
    sp.add_argument("session", nargs="*", help="session(s), e.g. S0007 (default: the newest)")
    sp.add_argument("--all", action="store_true", help="every session on the board")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    common(sp)
    sp = sub.add_parser("erase", help="delete one session from the board (asks first)",
                        description="Delete one session (its .hlg and .raw) from the board.")
    sp.add_argument("session", help="e.g. S0007")
    sp.add_argument("--yes", action="store_true", help="do not ask")
    common(sp)


def cmd_logs(a) -> int:
    return {"list": cmd_logs_list, "pull": cmd_logs_pull, "erase": cmd_logs_erase}[a.logs_cmd](a)


COMMANDS = {
    "logs": (cmd_logs, _args_logs, "session logs on the board: list, pull (resumable, verified), erase"),
}
