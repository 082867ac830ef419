"""One writer at a time on the DuckDB warehouse, readers that wait for it, and one clear line when it cannot be opened.

DuckDB lets one process open a file read-write; a second one fails at once with
"Could not set lock on file ... Conflicting lock is held". That lock lasts as long
as a connection, and a build opens many (the loader, each dbt invocation, the run
records), so another writer can slip in between them. Hence two locks:

- **Ours** (`writer_lock`): an advisory `fcntl.flock` on a file beside the
  warehouse (`nba.duckdb` -> `nba.duckdb.lock`), held exclusively for a whole
  command, with the holder's pid, command and start time written into it so that
  a waiting process can say whom it waits for. Readers (`connect_read_only`,
  `reading`) hold it shared while they read: they wait while a writer works, and a
  writer waits the few seconds they read, so a writer's own DuckDB connections
  (dbt's included) never meet a reader's.
- **DuckDB's**: a process outside nba-pipeline (a plain `dbt build`, a notebook)
  knows nothing of our file; against it every open here retries until DuckDB's
  lock is free, printing the same one line.

Every wait shares one deadline (`lock_timeout`: the argument, else
`NBA_PIPELINE_LOCK_TIMEOUT`, else 300 s), after which `WarehouseBusy` is raised.
A missing, damaged or inaccessible file raises `WarehouseUnreadable`, whose
message names the file and what to do (`explain` turns a raw DuckDB error into
either of the two, for the CLI's last line of defence).
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import psutil

from orchestration.duckdb_resources import open_duckdb
from orchestration.settings import env_name, settings

LOCK_TIMEOUT_ENV = env_name("lock_timeout")
POLL_SECONDS = 0.1
# A new holder writes its record just after it locks; give it this long before saying "unknown holder".
RECORD_GRACE_SECONDS = 0.2

Say = Callable[[str], None]


class WarehouseBusy(Exception):
    """Another process held the warehouse for longer than the lock timeout."""


class WarehouseUnreadable(Exception):
    """The warehouse file is missing, damaged or not accessible; the message names the file and what to do."""


def lock_timeout(timeout: float | None = None) -> float:
    """Seconds to wait for the warehouse: `timeout` (--lock-timeout), else the setting (NBA_PIPELINE_LOCK_TIMEOUT)."""
    if timeout is None:
        return settings().lock_timeout
    if math.isnan(timeout) or timeout < 0:
        raise ValueError(f"the lock timeout must be 0 or more seconds, not {timeout}")
    return timeout


def lock_file(warehouse: Path) -> Path:
    """The lock file of a warehouse: beside it, same name plus `.lock`."""
    return warehouse.with_name(warehouse.name + ".lock")


# ---------------------------------------------------------------- who holds it


@dataclass(frozen=True)
class Holder:
    """A process holding the warehouse, as the waiting line names it."""

    pid: int
    command: str
    started_at: datetime | None

    def describe(self) -> str:
        if self.pid <= 0:  # DuckDB did not name it
            return f"held by {self.command}"
        if self.started_at is None:
            return f"held by PID {self.pid} ({self.command})"
        shown = self.started_at.strftime(
            "%H:%M:%S" if self.started_at.date() == datetime.now().date() else "%Y-%m-%d %H:%M:%S"
        )
        return f"held by PID {self.pid} ({self.command}, since {shown})"

    def record(self) -> bytes:
        started = self.started_at.isoformat(timespec="seconds") if self.started_at else None
        return (json.dumps({"pid": self.pid, "command": self.command, "started_at": started}) + "\n").encode()

    @classmethod
    def from_record(cls, raw: bytes) -> Holder | None:
        """The holder a lock file names, or None when it is empty, half-written or not ours."""
        try:
            fields = json.loads(raw.decode())
            started = fields["started_at"]
            return cls(int(fields["pid"]), str(fields["command"]), datetime.fromisoformat(started) if started else None)
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            return None

    def is_running(self) -> bool:
        """The process is alive and is the one that wrote the record (not a later process with its pid)."""
        try:
            created = datetime.fromtimestamp(psutil.Process(self.pid).create_time())
        except psutil.Error:
            return False
        return self.started_at is None or created <= self.started_at + timedelta(seconds=1)


def _short_command(argv: list[str], width: int = 60) -> str:
    """`/venv/bin/python /venv/bin/dbt build --vars ...` -> `dbt build --vars ...` (clipped)."""
    words = list(argv)
    if len(words) > 1 and Path(words[0]).name.startswith("python") and not words[1].startswith("-"):
        words = words[1:]  # a script run by the interpreter: name the script
    if words:
        words[0] = Path(words[0]).name
    text = " ".join(" ".join(words).split())
    return text if len(text) <= width else text[: width - 3] + "..."


def process_holder(pid: int, fallback: str) -> Holder:
    """Describe any process by its pid (its command line and start time), `fallback` when it is gone."""
    try:
        process = psutil.Process(pid)
        return Holder(
            pid,
            _short_command(process.cmdline()) or fallback,
            datetime.fromtimestamp(process.create_time()).replace(microsecond=0),
        )
    except psutil.Error:
        return Holder(pid, fallback, None)


_DUCKDB_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


def duckdb_lock_holder(error: BaseException) -> Holder | None:
    """The process named by DuckDB's "Could not set lock on file" error, None for any other error."""
    if not isinstance(error, duckdb.Error):
        return None
    match = _DUCKDB_HOLDER.search(str(error))
    if match is None:
        return None if "Could not set lock on file" not in str(error) else Holder(0, "another process", None)
    return process_holder(int(match["pid"]), Path(match["program"]).name)


# ---------------------------------------------------------------- errors a person can act on

_DAMAGED = (
    "Could not read enough bytes",
    "not a valid DuckDB database",
    "Corrupt database file",
    "does not match stored checksum",
)
_OTHER_VERSION = ("version number", "storage version", "newer version of DuckDB", "older version of DuckDB")
_NO_ACCESS = ("Permission denied", "Read-only file system")
_MISSING = ("database does not exist",)
_FILE_IN_MESSAGE = re.compile(r'file "(?P<path>[^"]+)"')


def _detail(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return re.sub(r"^[A-Za-z ]*Error: ", "", text)


def _named_file(error: BaseException, warehouse: Path) -> str:
    """The file a DuckDB error names (a caller may have opened another one), else the warehouse."""
    named = _FILE_IN_MESSAGE.search(str(error))
    return named["path"] if named else str(warehouse)


def _no_warehouse(path: Path | str) -> WarehouseUnreadable:
    return WarehouseUnreadable(
        f"no warehouse at {path}: create it with `nba-pipeline load <landing folder>`, "
        f"or point NBA_PIPELINE_DUCKDB at an existing one"
    )


def unreadable(error: BaseException, warehouse: Path) -> WarehouseUnreadable | None:
    """The one-line explanation of a DuckDB error that means the file cannot be used, else None."""
    if not isinstance(error, duckdb.Error):
        return None
    text = str(error)
    path = _named_file(error, warehouse)
    if any(marker in text for marker in _MISSING):
        return _no_warehouse(path)
    if any(marker in text for marker in _DAMAGED):
        return WarehouseUnreadable(
            f"the warehouse {path} is damaged or not a DuckDB database ({_detail(error)}): restore it from a "
            f"backup, or move it aside and rebuild it (`nba-pipeline load <landing folder>`, then `nba-pipeline "
            f"backfill`)"
        )
    if any(marker in text for marker in _OTHER_VERSION):
        return WarehouseUnreadable(
            f"the warehouse {path} was written by another DuckDB version ({_detail(error)}): open it with that "
            f"version, or move it aside and rebuild it"
        )
    if any(marker in text for marker in _NO_ACCESS):
        return WarehouseUnreadable(
            f"cannot open the warehouse {path} ({_detail(error)}): commands that read need read access to the "
            f"file, commands that write need write access to it and its folder; fix the permissions or point "
            f"NBA_PIPELINE_DUCKDB at a copy you can use"
        )
    return None


def explain(error: BaseException, warehouse: Path) -> WarehouseBusy | WarehouseUnreadable | None:
    """A raw DuckDB error as `WarehouseBusy` / `WarehouseUnreadable` (for code that opened the file itself)."""
    holder = duckdb_lock_holder(error)
    if holder is not None:
        return WarehouseBusy(
            f"the warehouse {_named_file(error, warehouse)} is {holder.describe()}; run this again when it is done"
        )
    return unreadable(error, warehouse)


# ---------------------------------------------------------------- waiting


class _Wait:
    """One deadline for everything a command waits for; each new holder is said once."""

    def __init__(self, warehouse: Path, timeout: float | None, say: Say) -> None:
        self.warehouse = warehouse
        self.timeout = lock_timeout(timeout)
        self.deadline = time.monotonic() + self.timeout
        self.say = say
        self.said: str | None = None
        self.blocked_since: float | None = None

    def blocked(self, holder: str | None, unknown: str) -> None:
        """Sleep a moment, saying who holds the warehouse the first time; past the deadline raise WarehouseBusy."""
        now = time.monotonic()
        self.blocked_since = self.blocked_since if self.blocked_since is not None else now
        if holder is None and now - self.blocked_since < RECORD_GRACE_SECONDS and now < self.deadline:
            time.sleep(POLL_SECONDS)  # the holder may still be writing its record
            return
        who = holder or unknown
        if now >= self.deadline:
            raise WarehouseBusy(
                f"the warehouse {self.warehouse} is still {who} after waiting {self.timeout:g} s; run this again "
                f"when it is done, or wait longer with --lock-timeout SECONDS (or {LOCK_TIMEOUT_ENV})"
            )
        if who != self.said:
            self.say(f"waiting for the warehouse: {who}")
            self.said = who
        time.sleep(min(POLL_SECONDS, self.deadline - now))


def _recorded_holder(fd: int) -> str | None:
    holder = Holder.from_record(os.pread(fd, 4096, 0))
    return holder.describe() if holder is not None and holder.is_running() else None


def _flock(fd: int, mode: int, wait: _Wait, unknown: str) -> None:
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            wait.blocked(_recorded_holder(fd), unknown)


def _open_duckdb(warehouse: Path, read_only: bool, wait: _Wait) -> duckdb.DuckDBPyConnection:
    """Connect, retrying while another process holds DuckDB's own lock; unusable files become one clear error."""
    while True:
        try:
            return open_duckdb(warehouse, read_only=read_only)
        except duckdb.Error as error:
            holder = duckdb_lock_holder(error)
            if holder is None:
                explained = unreadable(error, warehouse)
                if explained is None:
                    raise
                raise explained from error
            wait.blocked(holder.describe(), "held by another process")


# ---------------------------------------------------------------- writers

_held: dict[Path, int] = {}  # warehouse -> nesting depth of writer_lock in this process
_held_guard = threading.Lock()


def _key(warehouse: Path) -> Path:
    return Path(warehouse).resolve()


def holds_writer_lock(warehouse: Path) -> bool:
    """Whether this process holds `writer_lock` on the warehouse."""
    with _held_guard:
        return _key(warehouse) in _held


def _open_for_writer(warehouse: Path) -> int:
    path = lock_file(warehouse)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as error:
        raise WarehouseUnreadable(
            f"cannot write the warehouse {warehouse}: its lock file {path} cannot be opened "
            f"({error.strerror}); commands that write need write access to {path.parent}, or point "
            f"NBA_PIPELINE_DUCKDB at a warehouse you can write"
        ) from error


@contextmanager
def writer_lock(warehouse: Path, command: str, timeout: float | None = None, say: Say = print) -> Iterator[None]:
    """Hold the warehouse exclusively for a whole command (`command` names it to waiters, e.g.
    "nba-pipeline backfill"). While another process holds it, say so once and wait up to `timeout`
    seconds (see `lock_timeout`), then raise WarehouseBusy. Nested use within one process is a no-op."""
    key = _key(warehouse)
    with _held_guard:
        nested = key in _held
        if nested:
            _held[key] += 1
    if nested:
        try:
            yield
        finally:
            with _held_guard:
                _held[key] -= 1
        return

    fd = _open_for_writer(key)
    try:
        _flock(fd, fcntl.LOCK_EX, _Wait(key, timeout, say), "being read by another nba-pipeline command")
        os.ftruncate(fd, 0)
        os.pwrite(fd, Holder(os.getpid(), command, datetime.now().replace(microsecond=0)).record(), 0)
        with _held_guard:
            _held[key] = 1
        try:
            yield
        finally:
            with _held_guard:
                del _held[key]
            os.ftruncate(fd, 0)  # an empty record: no writer (the file stays, deleting it races)
    finally:
        os.close(fd)  # releases the flock


def connect_writer(warehouse: Path, timeout: float | None = None, say: Say = print) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-write, for code inside `writer_lock`: waits (same line, same timeout) while a
    process outside nba-pipeline holds DuckDB's own lock; a damaged or inaccessible file raises
    WarehouseUnreadable."""
    key = _key(warehouse)
    if not holds_writer_lock(key):
        raise RuntimeError(f"connect_writer({key}) is for code that holds writer_lock on it")
    key.parent.mkdir(parents=True, exist_ok=True)
    return _open_duckdb(key, read_only=False, wait=_Wait(key, timeout, say))


# ---------------------------------------------------------------- readers


def _open_for_reader(warehouse: Path) -> int | None:
    """The lock file opened for a shared lock; None when there is none (no nba-pipeline writer has used this
    warehouse yet, and a read-only command creates no files) or it cannot be opened. DuckDB's own lock still
    keeps writers out while the connection is open."""
    try:
        return os.open(lock_file(warehouse), os.O_RDONLY)
    except (FileNotFoundError, PermissionError):
        return None


def _open_reader(
    warehouse: Path, timeout: float | None, say: Say
) -> tuple[duckdb.DuckDBPyConnection, Callable[[], None]]:
    """A read-only connection and the function that releases its shared lock."""
    key = _key(warehouse)
    if not key.is_file():
        raise _no_warehouse(key)
    wait = _Wait(key, timeout, say)
    # Inside our own writer_lock a shared lock would wait for ourselves.
    fd = None if holds_writer_lock(key) else _open_for_reader(key)
    release = (lambda: None) if fd is None else (lambda: os.close(fd))
    try:
        if fd is not None:
            _flock(fd, fcntl.LOCK_SH, wait, "held by another nba-pipeline command")
        return _open_duckdb(key, read_only=True, wait=wait), release
    except BaseException:
        release()
        raise


def connect_read_only(warehouse: Path, timeout: float | None = None, say: Say = print) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-only, waiting (one line, `lock_timeout`) while a writer holds it: one of ours
    (the lock file) or another process (DuckDB's lock). Missing, damaged or inaccessible: WarehouseUnreadable.

    The shared lock that keeps writers out is released when the connection object is garbage-collected;
    `reading` releases it as soon as its block ends."""
    connection, release = _open_reader(warehouse, timeout, say)
    weakref.finalize(connection, release)
    return connection


@contextmanager
def readers_lock(warehouse: Path, timeout: float | None = None, say: Say = print) -> Iterator[None]:
    """The readers' shared lock alone (writers wait), for work that opens the file itself, read-only (dbt)."""
    key = _key(warehouse)
    if not key.is_file():
        raise _no_warehouse(key)
    fd = None if holds_writer_lock(key) else _open_for_reader(key)
    try:
        if fd is not None:
            _flock(fd, fcntl.LOCK_SH, _Wait(key, timeout, say), "held by another nba-pipeline command")
        yield
    finally:
        if fd is not None:
            os.close(fd)


@contextmanager
def reading(warehouse: Path, timeout: float | None = None, say: Say = print) -> Iterator[duckdb.DuckDBPyConnection]:
    """`connect_read_only` for one block: the connection is closed and the shared lock released at its end."""
    connection, release = _open_reader(warehouse, timeout, say)
    try:
        yield connection
    finally:
        try:
            connection.close()
        finally:
            release()
