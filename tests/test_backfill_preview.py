"""`nba-pipeline backfill --dry-run`: it writes nothing, and its dates are the dates the real run builds.

One warehouse of real playoff files (2022 playoffs), through the CLI in this process:
1. a dry run before any build: every date not built yet, no history for the estimate; then the real run
   of the same range, whose run history has exactly the dry run's dates per phase;
2. Phase 3 of one date deleted behind the pipeline's back, then a dry run of phases 4-6 over a later
   date: the forward cascade, every date BLOCKED with its missing upstream and the fix; every table of
   the warehouse is the same after it, and no lock file appeared; the real run blocks the same dates;
3. a dry run of the deleted date itself: not built, complete (rebuilt) and stale dates, an estimate
   fitted on the first run; the real run builds exactly those dates.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from support import table_differences

from orchestration.cli import main
from orchestration.warehouse_lock import lock_file

FIRST = ["--start", "2022-04-16", "--end", "2022-04-19"]
DELETED = date(2022, 4, 17)
SECOND = ["--start", "2022-04-18", "--end", "2022-04-18", "--phases", "4,5,6"]
THIRD = ["--start", DELETED.isoformat(), "--end", DELETED.isoformat()]


def _cli(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def _every_table(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return [
            row[0]
            for row in con.execute(
                "select table_schema || '.' || table_name from information_schema.tables "
                "where table_type = 'BASE TABLE' order by 1"
            ).fetchall()
        ]


def _history(path: Path, run_id: str) -> dict[tuple[int, str], set[str]]:
    """(phase, status) -> dates the run recorded."""
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select phase, status, game_date from nba_orchestration.pipeline_run_history where run_id = ?", [run_id]
        ).fetchall()
    found: dict[tuple[int, str], set[str]] = {}
    for phase, status, day in rows:
        found.setdefault((phase, status), set()).add(day.isoformat())
    return found


def _run_id(output: str) -> str:
    line = next(line for line in output.splitlines() if line.startswith("backfill "))
    return line.split()[1].rstrip(":")


def _assert_run_matches(preview: dict, history: dict[tuple[int, str], set[str]]) -> None:
    for phase in preview["phases"]:
        number = phase["phase"]
        built = set().union(*(dates for (p, status), dates in history.items() if p == number and status != "blocked"))
        assert built == set(phase["dates_to_build"]), (number, sorted(built), phase["dates_to_build"])
        blocked = history.get((number, "blocked"), set())
        assert blocked == set(phase["blocked"]["dates"] if phase["blocked"] else []), (number, blocked)


@pytest.fixture()
def warehouse(real_raw_warehouse, tmp_path, monkeypatch) -> Path:
    path = tmp_path / "preview.duckdb"
    shutil.copyfile(real_raw_warehouse, path)
    monkeypatch.setenv("NBA_PIPELINE_DUCKDB", str(path))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return path


def test_dry_run_writes_nothing_and_names_the_dates_the_run_builds(warehouse, tmp_path, capsys):
    code, output = _cli(capsys, "backfill", *FIRST, "--dry-run", "--json")
    assert code == 0
    first = json.loads(output)
    assert first["estimate"]["history"] == "no history yet"
    assert [p["phase"] for p in first["phases"]] == [3, 4, 5, 6]
    for phase in first["phases"]:
        assert phase["dates_to_build"] == ["2022-04-16", "2022-04-17", "2022-04-18", "2022-04-19"]
        assert phase["not_built"] == phase["dates_to_build"] and not phase["complete_rebuilt"]
    assert not lock_file(warehouse).exists()

    code, output = _cli(capsys, "backfill", *FIRST)
    assert code == 0
    _assert_run_matches(first, _history(warehouse, _run_id(output)))

    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from nba_analytics.player_game_summary where game_date = ?", [DELETED])
    lock_file(warehouse).unlink()
    before = tmp_path / "before.duckdb"
    shutil.copyfile(warehouse, before)

    code, text = _cli(capsys, "backfill", *SECOND, "--dry-run")
    assert code == 0
    code, output = _cli(capsys, "backfill", *SECOND, "--dry-run", "--json")
    assert code == 0
    second = json.loads(output)

    # nothing written: every table equal, no lock file created
    assert not lock_file(warehouse).exists()
    tables = _every_table(before)
    assert tables == _every_table(warehouse) and "nba_orchestration.pipeline_runs" in tables
    for table in tables:
        left, right, only_left, only_right = table_differences(before, warehouse, table)
        assert (left, only_left, only_right) == (right, 0, 0), table

    # the plan: the cascade to the last date built; every phase BLOCKED by the deleted Phase 3 date in its window
    assert (second["requested"], second["end"], second["cascaded"]) == (
        {"start": "2022-04-18", "end": "2022-04-18"},
        "2022-04-19",
        True,
    )
    phase4 = second["phases"][0]
    assert phase4["phase"] == 4 and phase4["blocked"]["missing_upstream"] == [DELETED.isoformat()]
    assert "nba-pipeline backfill --start 2022-04-17" in phase4["blocked"]["fix"]
    assert "BLOCKED: phase 4" in text and "Fix: nba-pipeline backfill" in text
    for phase in second["phases"]:
        assert phase["blocked"]["dates"] == ["2022-04-18", "2022-04-19"] and phase["dates_to_build"] == []
    code, output = _cli(capsys, "backfill", *SECOND)
    assert code == 3  # BLOCKED
    _assert_run_matches(second, _history(warehouse, _run_id(output)))

    # the deleted date itself: Phase 3 builds it (not built) and rebuilds the later complete dates; Phase 4 is
    # no longer blocked (the run builds its upstream) and its dates are stale (their Phase 3 input changed)
    code, output = _cli(capsys, "backfill", *THIRD, "--dry-run", "--json")
    third = json.loads(output)
    phase3, phase4 = third["phases"][:2]
    assert phase3["not_built"] == [DELETED.isoformat()] and phase3["complete_rebuilt"] == ["2022-04-18", "2022-04-19"]
    assert phase4["stale"] == phase4["dates_to_build"] == ["2022-04-17", "2022-04-18", "2022-04-19"]
    assert not any(phase["blocked"] for phase in third["phases"])
    estimate = third["estimate"]
    assert estimate["history"] == "fitted" and estimate["total_seconds"] > 0
    assert {p: v["runs"] for p, v in estimate["phases"].items()} == {"3": 1, "4": 1, "5": 1, "6": 1}
    code, output = _cli(capsys, "backfill", *THIRD)
    assert code == 0
    _assert_run_matches(third, _history(warehouse, _run_id(output)))
