"""Warehouses the monitoring tests share, built once per session and copied per test.

- generated: one generated season (the conftest's in-season landing, seed 7,
  played through 2021-11-20: the whole schedule published, the games after
  that date not played yet), Phase 2 loaded for 2021-10-19..2021-11-20 only
  (the schedule of the season whole), with nothing downstream, then built
  through every phase by `heal` itself (the issue's acceptance scenario, checked
  by test_monitoring_healing): small enough to copy and rebuild fast.
- real: the real playoff files, every phase built in strict mode (the partial
  2023-24 playoffs stay blocked / missing, as they should).

Each build is made once per test run (conftest.built_once: one worker builds,
the others wait for it) and copied once per worker, so the test modules that
need it share one build.
"""

from __future__ import annotations

import pickle
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from conftest import IN_SEASON_PLAYED_THROUGH, built_once

from orchestration.loading import load_landing
from orchestration.monitoring.gaps import find_gaps
from orchestration.monitoring.healing import heal
from orchestration.runner import run_backfill
from orchestration.warehouse import connect

GENERATED_START = date(2021, 10, 19)
GENERATED_END = IN_SEASON_PLAYED_THROUGH
GENERATED_TODAY = date(2021, 11, 22)  # generated data is historical: gap ages are counted from here

_CACHE: dict[str, Path] = {}
HEAL_RECORD = "heal.pickle"  # (gaps found after the Phase 2 load, the heal report), beside the built file


def built_generated(tmp_path_factory, landing: Path) -> Path:
    """The generated season's first month: Phase 2 loaded, then healed through every phase (built once per
    test run, copied once per worker)."""
    if "generated" not in _CACHE:

        def load_and_heal(folder: Path) -> None:
            path = folder / "built.duckdb"
            with connect(path) as con:
                load_landing(landing, start=GENERATED_START, end=GENERATED_END, con=con)
                gaps_before = find_gaps(con)
            report = heal(path, today=GENERATED_TODAY, max_age_days=60)
            assert report.ok and report.runs, report.summary()
            (folder / HEAL_RECORD).write_bytes(pickle.dumps((gaps_before, report)))

        _CACHE["generated"] = built_once(tmp_path_factory, "monitoring_generated", load_and_heal) / "built.duckdb"
    return _CACHE["generated"]


def generated_heal(tmp_path_factory, landing: Path):
    """(gaps found after the Phase 2 load, the heal report) of the generated warehouse's build."""
    return pickle.loads((built_generated(tmp_path_factory, landing).parent / HEAL_RECORD).read_bytes())


def built_real(tmp_path_factory, raw: Path) -> Path:
    """The real playoffs built through every phase in strict mode (built once per test run, copied once per
    worker)."""
    if "real" not in _CACHE:

        def backfill(folder: Path) -> None:
            path = folder / "built.duckdb"
            shutil.copyfile(raw, path)
            with connect(path) as con:
                first, last = con.execute("select min(game_date), max(game_date) from nba_raw.nbac_schedule").fetchone()
            result = run_backfill(first, last, warehouse=path, trigger="manual")
            assert result.succeeded, result.plan.describe()

        _CACHE["real"] = built_once(tmp_path_factory, "monitoring_real", backfill) / "built.duckdb"
    return _CACHE["real"]


def corrected_landing(landing: Path, destination: Path, day: date) -> Path:
    """A copy of `landing` where one box score line of `day` is corrected (one more assist for the
    first player who played): the kind of fix a source publishes after the fact."""
    import csv
    import gzip
    import io

    shutil.copytree(landing, destination)
    for path in sorted((destination / "player_box").glob("*.csv*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", newline="") as handle:
            rows = list(csv.DictReader(handle))
        target = next((row for row in rows if row["game_date"] == day.isoformat() and row["minutes"]), None)
        if target is None:
            continue
        target["assists"] = str(int(target["assists"]) + 1)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        with opener(path, "wt", newline="") as handle:
            handle.write(buffer.getvalue())
        return destination
    raise AssertionError(f"no played box score line on {day} in {landing}")


def copy_to(source: Path, folder: Path, name: str = "work.duckdb") -> Path:
    destination = folder / name
    shutil.copyfile(source, destination)
    return destination


def sql(warehouse: Path, statement: str, params=None) -> list[tuple]:
    with duckdb.connect(str(warehouse)) as con:
        return con.execute(statement, params or []).fetchall()


def test_support_copies_are_independent(tmp_path):
    """The copy helper gives each test its own file (a sanity check of the helper itself)."""
    source = tmp_path / "a.duckdb"
    sql(source, "create table t as select 1 as x")
    copy = copy_to(source, tmp_path, "b.duckdb")
    sql(copy, "insert into t values (2)")
    assert sql(source, "select count(*) from t") == [(1,)]
    assert sql(copy, "select count(*) from t") == [(2,)]


def test_built_once_builds_once_and_each_caller_gets_its_own_copy(tmp_path_factory, tmp_path):
    """The run-wide build helper (conftest.built_once): a build that fails is not kept (the next caller
    builds again), a finished one is never rebuilt, and each caller's copy is its own."""
    name = f"sanity_{tmp_path.name}"
    builds: list[Path] = []

    def failing(folder: Path) -> None:
        builds.append(folder)
        (folder / "half").write_text("a build that stopped half-way")
        raise RuntimeError("build failed")

    def build(folder: Path) -> None:
        builds.append(folder)
        sql(folder / "w.duckdb", "create table t as select 1 as x")

    with pytest.raises(RuntimeError, match="build failed"):
        built_once(tmp_path_factory, name, failing)
    first = built_once(tmp_path_factory, name, build)
    second = built_once(tmp_path_factory, name, build)
    assert len(builds) == 2 and not (first / "half").exists()
    assert first != second
    sql(first / "w.duckdb", "insert into t values (2)")
    assert sql(second / "w.duckdb", "select count(*) from t") == [(1,)]
    assert built_once(tmp_path_factory, name, build, copy=False) == builds[-1]
