"""One writer at a time, and never a traceback: real `nba-pipeline` processes on a real DuckDB file.

The warehouse holds a few real playoff dates (2022 Finals) loaded by `nba-pipeline load`. Another process
holds it in three ways: our writer lock (a subprocess inside `writer_lock`), a reader (a subprocess inside
`reading`) and DuckDB's own lock (a plain `duckdb.connect` that knows nothing of ours). Read-only files are
tested as an unprivileged user when the tests run as root, for whom permissions do not apply.
"""

from __future__ import annotations

import hashlib
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.exit_codes import ExitCode
from orchestration.warehouse_lock import (
    LOCK_TIMEOUT_ENV,
    Holder,
    connect_writer,
    holds_writer_lock,
    lock_file,
    lock_timeout,
    writer_lock,
)

NBA_PIPELINE = str(Path(sys.executable).parent / "nba-pipeline")
LOADED = (date(2022, 6, 1), date(2022, 6, 16))  # the 2022 Finals: 6 game dates
SECOND_LOAD = (date(2022, 5, 26), date(2022, 5, 29))  # conference finals: 3 game dates, loaded by the second writer
NOBODY = 65534


@pytest.fixture(scope="module")
def finals_warehouse(real_dir: Path, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("finals") / "nba.duckdb"
    result = run_cli(path, "load", str(real_dir), "--start", str(LOADED[0]), "--end", str(LOADED[1]))
    assert result.returncode == 0, result.stdout + result.stderr
    return path


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder any user can enter (pytest's own tmp folders are private to their owner)."""
    folder = Path(tempfile.mkdtemp(prefix="nba-lock-"))
    folder.chmod(0o755)
    yield folder
    folder.chmod(0o755)
    shutil.rmtree(folder)


@pytest.fixture
def warehouse(finals_warehouse: Path, open_folder: Path) -> Path:
    copy = open_folder / "nba.duckdb"
    shutil.copyfile(finals_warehouse, copy)
    return copy


def env_for(warehouse: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != LOCK_TIMEOUT_ENV}
    return env | {"NBA_PIPELINE_DUCKDB": str(warehouse), "PYTHONDONTWRITEBYTECODE": "1"} | extra


def as_unprivileged() -> dict:
    """Popen arguments that run a command as a user file permissions apply to."""
    if os.geteuid() != 0:
        return {}
    return {"user": NOBODY, "group": NOBODY, "extra_groups": [], "cwd": "/"}


def run_cli(
    warehouse: Path, *args: str, unprivileged: bool = False, timeout: float = 120, **popen
) -> subprocess.CompletedProcess:
    options = as_unprivileged() if unprivileged else {}
    # that user's own home (nobody's, as in /etc/passwd), not root's: dbt reads its settings from it
    env = env_for(warehouse, HOME="/nonexistent") if options else env_for(warehouse)
    return subprocess.run(
        [NBA_PIPELINE, *args], env=env, capture_output=True, text=True, timeout=timeout, **options, **popen
    )


def start_cli(warehouse: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [NBA_PIPELINE, *args], env=env_for(warehouse), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


class Lines:
    """The output of a running process, line by line, readable with a timeout."""

    def __init__(self, stream) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, needle: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            if needle in line:
                return line
        raise AssertionError(f"no line with {needle!r} in:\n" + "\n".join(self.seen))

    def rest(self) -> list[str]:
        while (line := self._queue.get(timeout=60)) is not None:
            self.seen.append(line)
        return self.seen


HOLD_WRITER = """
import sys
from pathlib import Path
from orchestration.warehouse_lock import writer_lock
with writer_lock(Path(sys.argv[1]), "nba-pipeline backfill"):
    print("holding", flush=True)
    sys.stdin.readline()
"""
HOLD_READER = """
import sys
from pathlib import Path
from orchestration.warehouse_lock import reading
with reading(Path(sys.argv[1])) as con:
    print("holding", con.execute("select count(*) from nba_raw.nbac_schedule").fetchone()[0], flush=True)
    sys.stdin.readline()
"""
HOLD_DUCKDB = """
import sys
import duckdb
con = duckdb.connect(sys.argv[1])          # read-write: DuckDB's own exclusive lock, not ours
print("holding", flush=True)
sys.stdin.readline()
con.close()
"""


class Holding:
    """A Python subprocess that holds the warehouse until `release()`."""

    def __init__(self, script: str, warehouse: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", script, str(warehouse)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.pid = self.process.pid
        assert self.process.stdout.readline().startswith("holding")

    def release(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.write("\n")
            self.process.stdin.flush()
        assert self.process.wait(timeout=30) == 0


@pytest.fixture
def holding() -> Iterator:
    started: list[Holding] = []

    def start(script: str, warehouse: Path) -> Holding:
        started.append(Holding(script, warehouse))
        return started[-1]

    yield start
    for holder in started:
        if holder.process.poll() is None:
            holder.process.kill()
            holder.process.wait()


def raw_dates(warehouse: Path) -> list[date]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [
            row[0]
            for row in con.execute("select distinct game_date from nba_raw.nbac_player_boxscore order by 1").fetchall()
        ]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_args(real_dir: Path, *extra: str) -> list[str]:
    return ["load", str(real_dir), "--start", str(SECOND_LOAD[0]), "--end", str(SECOND_LOAD[1]), *extra]


# ---------------------------------------------------------------- writers queue behind each other


def test_second_writer_waits_naming_the_holder_then_loads(warehouse, real_dir, holding):
    before = raw_dates(warehouse)
    assert len(before) == 6
    first = holding(HOLD_WRITER, warehouse)
    second = start_cli(warehouse, *load_args(real_dir, "--lock-timeout", "60"))
    lines = Lines(second.stdout)
    waiting = lines.wait_for("waiting for the warehouse")
    assert waiting.startswith(f"waiting for the warehouse: held by PID {first.pid} (nba-pipeline backfill, since ")
    time.sleep(0.5)
    assert second.poll() is None and raw_dates(warehouse) == before  # still waiting, nothing written
    first.release()
    assert second.wait(timeout=60) == ExitCode.OK, "\n".join(lines.rest())
    assert sum(1 for line in lines.rest() if "waiting for the warehouse" in line) == 1
    after = raw_dates(warehouse)
    assert len(after) == 9 and set(before) < set(after)
    assert lock_file(warehouse).read_bytes() == b""  # released: no holder recorded


def test_second_writer_stops_after_the_timeout_and_writes_nothing(warehouse, real_dir, holding):
    before = digest(warehouse)
    first = holding(HOLD_WRITER, warehouse)
    began = time.monotonic()
    result = run_cli(warehouse, *load_args(real_dir, "--lock-timeout", "1"))
    waited = time.monotonic() - began
    assert result.returncode == ExitCode.WAREHOUSE_BUSY
    assert f"waiting for the warehouse: held by PID {first.pid} (nba-pipeline backfill, since " in result.stdout
    (error,) = result.stderr.strip().splitlines()
    assert error.startswith(f"nba-pipeline: the warehouse {warehouse} is still held by PID {first.pid}")
    assert "--lock-timeout" in error and "Traceback" not in result.stdout + result.stderr
    assert 1 <= waited < 30
    assert digest(warehouse) == before
    first.release()


def test_writer_waits_for_a_reader_and_readers_wait_for_a_writer(warehouse, real_dir, holding):
    run_cli(warehouse, *load_args(real_dir))  # a writer has run: the lock file exists
    reader = holding(HOLD_READER, warehouse)
    result = run_cli(
        warehouse, "load", str(real_dir), "--start", "2022-06-02", "--end", "2022-06-02", "--lock-timeout", "1"
    )
    assert result.returncode == ExitCode.WAREHOUSE_BUSY
    assert "waiting for the warehouse: being read by another nba-pipeline command" in result.stdout
    reader.release()

    writer = holding(HOLD_WRITER, warehouse)
    result = run_cli(warehouse, "gaps", "--json", "--lock-timeout", "0.5")
    assert result.returncode == ExitCode.WAREHOUSE_BUSY and result.stdout == ""
    assert result.stderr.splitlines()[0].startswith(f"waiting for the warehouse: held by PID {writer.pid} ")
    writer.release()


# ---------------------------------------------------------------- a process outside nba-pipeline


def test_status_waits_for_duckdbs_own_lock_then_reads(warehouse, holding):
    outsider = holding(HOLD_DUCKDB, warehouse)
    result = run_cli(warehouse, "status", "--lock-timeout", "0.5")
    assert result.returncode == ExitCode.WAREHOUSE_BUSY
    assert f"waiting for the warehouse: held by PID {outsider.pid} (python -c" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 2

    status = start_cli(warehouse, "status")
    lines = Lines(status.stdout)
    lines.wait_for(f"waiting for the warehouse: held by PID {outsider.pid}")
    outsider.release()
    assert status.wait(timeout=60) == ExitCode.OK
    # the season's whole schedule is loaded (45 playoff dates), box scores for 6 of them
    assert any(line.split()[:5] == ["2021-22", "2", "raw", "45", "6"] for line in lines.rest()), lines.seen


# ---------------------------------------------------------------- read-only and unreadable files


def test_read_only_commands_work_on_a_read_only_file_and_folder(warehouse, real_dir):
    before = digest(warehouse)
    warehouse.chmod(0o444)
    commands = (["status"], ["gaps", "--json"], ["validate", "--date", "2022-06-16"], ["report", "accuracy"])
    # validate runs dbt's tests (a parse in this user's own target folder: slow on a loaded machine)
    results = {args[0]: run_cli(warehouse, *args, unprivileged=True, timeout=600) for args in commands}
    for command, result in results.items():
        assert result.stderr == "", (command, result.stderr)
    assert results["validate"].returncode == ExitCode.FAILED  # phases 3-6 are not built: FAIL, cleanly
    assert {command: result.returncode for command, result in results.items() if command != "validate"} == {
        "status": ExitCode.OK,
        "gaps": ExitCode.OK,
        "report": ExitCode.OK,
    }
    assert "2->3 6" in _gaps_line(results["status"].stdout)  # computed from the data, nothing recorded

    warehouse.parent.chmod(0o555)  # no lock file, and none can be made
    status = run_cli(warehouse, "status", unprivileged=True)
    assert status.returncode == ExitCode.OK and status.stderr == "" and "2->3 6" in _gaps_line(status.stdout)
    load = run_cli(warehouse, *load_args(real_dir), unprivileged=True)
    assert load.returncode == ExitCode.WAREHOUSE_UNREADABLE
    (error,) = load.stderr.strip().splitlines()
    assert f"cannot write the warehouse {warehouse}" in error
    assert digest(warehouse) == before and not lock_file(warehouse).exists()


def test_read_only_folder_with_a_lock_file(warehouse, real_dir):
    assert run_cli(warehouse, *load_args(real_dir)).returncode == ExitCode.OK
    assert lock_file(warehouse).exists()
    warehouse.chmod(0o444)
    warehouse.parent.chmod(0o555)
    status = run_cli(warehouse, "status", unprivileged=True)
    assert status.returncode == ExitCode.OK and status.stderr == "" and "2->3 9" in _gaps_line(status.stdout)


def _gaps_line(stdout: str) -> str:
    """The status note on gaps (per phase pair: the loaded box scores leave the rest of the season's schedule
    without them)."""
    return next(line for line in stdout.splitlines() if line.startswith("gaps: "))


@pytest.mark.parametrize("damage", ["truncated", "not_duckdb", "empty", "missing", "no_access"])
def test_unreadable_warehouse_is_one_line_and_exit_74(warehouse, damage):
    content = warehouse.read_bytes()
    if damage == "truncated":
        warehouse.write_bytes(content[:300_000])
    elif damage == "not_duckdb":
        warehouse.write_bytes(b"game_id,game_date\n" * 1000)
    elif damage == "empty":
        warehouse.write_bytes(b"")
    elif damage == "missing":
        warehouse.unlink()
    else:
        warehouse.chmod(0o000)
    for args in (["status"], ["gaps", "--json"]):
        result = run_cli(warehouse, *args, unprivileged=damage == "no_access")
        assert result.returncode == ExitCode.WAREHOUSE_UNREADABLE, result.stderr
        assert result.stdout == ""
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith("nba-pipeline: ") and str(warehouse) in line
        expected = {
            "truncated": "is damaged",
            "not_duckdb": "is damaged",
            "empty": "is damaged",
            "missing": "no warehouse at",
            "no_access": "Permission denied",
        }[damage]
        assert expected in line


# ---------------------------------------------------------------- a closed stdout


def test_closed_stdout_ends_quietly(warehouse):
    reader = subprocess.Popen(
        [NBA_PIPELINE, "gaps", "--json"],
        env=env_for(warehouse),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reader.stdout.close()  # the reader is gone before the first line is written
    assert reader.wait(timeout=60) == ExitCode.BROKEN_PIPE
    assert reader.stderr.read() == ""

    shell = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {NBA_PIPELINE} gaps --json | head -1"],
        env=env_for(warehouse),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shell.stdout == "[\n" and shell.stderr == ""
    assert shell.returncode in (ExitCode.OK, ExitCode.BROKEN_PIPE)  # 0 when head read it all before leaving


# ---------------------------------------------------------------- the API, in process


def test_writer_lock_is_reentrant_and_records_its_holder(tmp_path):
    warehouse = tmp_path / "nba.duckdb"
    with writer_lock(warehouse, "nba-pipeline heal", timeout=0):
        recorded = Holder.from_record(lock_file(warehouse).read_bytes())
        assert (recorded.pid, recorded.command) == (os.getpid(), "nba-pipeline heal") and recorded.is_running()
        with writer_lock(warehouse, "nba-pipeline load", timeout=0):  # nested: a no-op, not a deadlock
            with connect_writer(warehouse, timeout=0) as con:
                con.execute("create table t as select 1 as x")
        assert holds_writer_lock(warehouse)
        assert Holder.from_record(lock_file(warehouse).read_bytes()) == recorded
    assert not holds_writer_lock(warehouse)
    with pytest.raises(RuntimeError, match="writer_lock"):
        connect_writer(warehouse)


def test_lock_timeout_comes_from_the_argument_then_the_environment(monkeypatch):
    monkeypatch.delenv(LOCK_TIMEOUT_ENV, raising=False)
    assert lock_timeout() == 300
    monkeypatch.setenv(LOCK_TIMEOUT_ENV, "2.5")
    assert lock_timeout() == 2.5 and lock_timeout(7) == 7
    monkeypatch.setenv(LOCK_TIMEOUT_ENV, "soon")
    with pytest.raises(ValueError, match=LOCK_TIMEOUT_ENV):
        lock_timeout()
    with pytest.raises(ValueError):
        lock_timeout(-1)
