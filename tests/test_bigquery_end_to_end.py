"""The pipeline end to end on the prod target (BigQuery on the local emulator), as a user runs it.

With NBA_PIPELINE_TARGET=prod and real playoff dates: `load`; `backfill` with cascade; `status` complete; one
date's Phase 3 rows deleted on BigQuery; `gaps` finds it; a later Phase 4 backfill BLOCKED with the fix named;
`heal`; `gaps` empty; `validate`; `report patterns`; no DuckDB file; then every table equals a DuckDB build of
the same dates. A file of its own, so that pytest-xdist runs it beside the emulator's table-equality scenario
(tests/test_bigquery_emulator.py), whose `_cli` and table readers it shares (the emulator fixture is in
conftest.py).
"""

from __future__ import annotations

import json
import re
import time
from datetime import date

import pytest
from test_bigquery_emulator import RAW_KEYS, _cli, bigquery_tables, compare_table, duckdb_tables, model_keys

pytestmark = pytest.mark.bigquery

E2E_PROJECT = "e2e-heal-project"  # its own project on the emulator: the `bigquery` fixture's stays as built
E2E_DATES = (date(2023, 4, 15), date(2023, 4, 16))  # the first two playoff dates: one to break, one to cascade to
_STATUS_ROW = re.compile(r"^(?:\S+)?\s+([2-6]) [a-z]+\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)")


def _status_counts(text: str) -> dict[int, tuple[int, ...]]:
    """The season block of `status`: per phase (complete, stale, unverified) game dates."""
    counts: dict[int, tuple[int, ...]] = {}
    for line in text.splitlines():
        found = _STATUS_ROW.match(line)
        if found and int(found[1]) not in counts:
            counts[int(found[1])] = tuple(int(n) for n in found.group(3, 4, 5))
    return counts


def _loaded_gaps(text: str, last: date) -> list[tuple]:
    """The open gaps of `gaps --json` on the loaded dates (later dates are scheduled, never loaded)."""
    return sorted(
        (gap["phase_from"], gap["phase_to"], gap["game_date"], gap["gap_kind"])
        for gap in json.loads(text)
        if gap["game_date"] <= last.isoformat()
    )


def test_backfill_blocked_gaps_and_heal_on_bigquery(emulator, real_dir, tmp_path, tmp_path_factory):
    """As a user on NBA_PIPELINE_TARGET=prod: `load`; `backfill` (phases 3-6) -> `status` complete; one date's
    Phase 3 rows deleted on BigQuery -> `gaps` finds that date; a Phase 4 backfill after it is BLOCKED and names
    the fix for this project; `heal` rebuilds it and cascades to the later date -> `gaps` empty on the loaded
    dates, the rows back, `validate` of the healed date passes (dbt's tests included). The trained-model step
    runs on BigQuery: the playoffs' first dates have no earlier season loaded, so its registry row on BigQuery
    says skipped and why, and it writes no predictions (tests/test_bigquery_trained_model.py trains and
    predicts there). The runs, breakers and alerts are recorded on BigQuery, and `report patterns` reads them;
    no DuckDB file anywhere."""
    from orchestration.bigquery import BigQuerySettings
    from orchestration.exit_codes import ExitCode
    from orchestration.ml.store import PREDICTIONS_TABLE, REGISTRY_TABLE
    from orchestration.ml.trained_model import SYSTEM_ID
    from orchestration.phases import PHASES_BY_NUMBER
    from orchestration.warehouse.bigquery import BigQueryWarehouse

    first, last = E2E_DATES
    began = time.monotonic()

    def cli(*arguments: str, returncode: int = 0):
        return _cli(emulator, tmp_path, *arguments, project=E2E_PROJECT, returncode=returncode)

    with pytest.MonkeyPatch.context() as patch:
        for name, value in emulator.env().items():
            patch.setenv(name, value)
        warehouse = BigQueryWarehouse(E2E_PROJECT, client=BigQuerySettings.from_env().client())
    db = warehouse.session()
    span = ("--start", first.isoformat(), "--end", last.isoformat())

    assert f"written to BigQuery {E2E_PROJECT}.nba_raw" in cli("load", str(real_dir), *span).stdout
    built = cli("backfill", *span)
    assert f"{first}..{last}: success" in built.stdout, built.stdout + built.stderr
    # the trained model ran on BigQuery: read its feature store, wrote its registry there (no earlier season)
    assert "step trained_model: skipped 2022: skipped (no earlier season to train on)" in built.stdout, built.stdout
    registry = db.execute(f"select model_id, season_year, status, status_reason, training_rows from {REGISTRY_TABLE}")
    assert registry.fetchall() == [(f"{SYSTEM_ID}_2022", 2022, "skipped", "no earlier season to train on", 0)]
    assert db.scalar(f"select count(*) from {PREDICTIONS_TABLE}") == 0
    assert not (tmp_path / "models").exists()  # nothing trained, no artifact
    assert _status_counts(cli("status").stdout) == dict.fromkeys(range(2, 7), (2, 0, 0))

    phase3 = PHASES_BY_NUMBER[3].completeness_tables
    rows_before = {table: db.scalar(f"select count(*) from {table} where game_date = ?", [first]) for table in phase3}
    assert all(rows_before.values()), rows_before
    for table in phase3:
        db.execute(f"delete from {table} where game_date = ?", [first])
    assert _loaded_gaps(cli("gaps", "--json").stdout, last) == [(2, 3, first.isoformat(), "missing")]

    blocked = cli("backfill", "--start", last.isoformat(), "--end", last.isoformat(), "--phases", "4",
                  returncode=ExitCode.BLOCKED)  # fmt: skip
    fix = (
        f"NBA_PIPELINE_TARGET=prod NBA_BQ_PROJECT={E2E_PROJECT} nba-pipeline backfill --start {first} --end {last} "
        "--phases 3,4,5,6"
    )
    assert "BLOCKED" in blocked.stdout and fix in blocked.stdout + blocked.stderr, blocked.stdout + blocked.stderr

    healed = cli("heal", "--today", last.isoformat())
    assert f"(cascade to {last})" in healed.stdout + healed.stderr and "1 gap(s) healed" in healed.stdout
    assert _loaded_gaps(cli("gaps", "--json").stdout, last) == []
    rows_after = {table: db.scalar(f"select count(*) from {table} where game_date = ?", [first]) for table in phase3}
    assert rows_after == rows_before

    runs = db.execute("select command, status from nba_orchestration.pipeline_runs order by started_at").fetchall()
    assert [status for _, status in runs] == ["success", "blocked", "success"], runs
    skipped = db.execute("select count(*) from nba_orchestration.pipeline_run_history where status = 'skipped'")
    assert skipped.scalar() == 0  # every step ran on BigQuery, the trained model's too
    steps = db.execute(
        "select status, count(*) from nba_orchestration.pipeline_step_runs where step = 'trained_model' group by 1"
    ).fetchall()
    assert steps == [("success", 2)], steps  # the backfill's and the heal's cascade
    breakers = db.execute(
        "select breaker_key, state, consecutive_failures from nba_orchestration.circuit_breaker_state order by 1"
    ).fetchall()
    assert breakers == [(f"processor:phase_{n}", "CLOSED", 0) for n in range(3, 7)], breakers
    categories = db.execute(
        "select category, count(*) from nba_orchestration.alert_details group by 1 order by 1"
    ).fetchall()
    assert ("phase_blocked", 1) in categories, categories
    # dbt's tests and the checks, on BigQuery
    validated = cli("validate", "--date", first.isoformat(), "--verbose").stdout
    assert re.search(r"^  overall\s+PASS$", validated, re.MULTILINE), validated
    assert "dbt data tests:" in validated and "FAIL" not in validated, validated
    patterns = cli("report", "patterns", "--html", str(tmp_path / "patterns.html")).stdout  # from the same tables
    assert "heal success rate 100.0% (1 healed, 0 failed)" in patterns, patterns
    # the steps table: the trained model ran twice in Phase 5, none failed or skipped
    assert re.search(r"^5\s+trained_model\s+2\s+0\s+0\s", patterns, re.MULTILINE), patterns
    print(f"end-to-end on the emulator: {time.monotonic() - began:.0f}s")

    # after all that, every table equals a DuckDB build of the same dates (the healed date included)
    from orchestration.bigquery import BigQueryRaw
    from orchestration.dagster.dbt_project import ensure_manifest
    from orchestration.loading import load_landing
    from orchestration.runner import run_backfill
    from orchestration.warehouse import connect

    reference = tmp_path_factory.mktemp("duckdb_reference")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NBA_PIPELINE_TARGET", "dev")
        patch.setenv("NBA_PIPELINE_MODEL_STORE", str(reference / "models"))
        with connect(reference / "nba.duckdb") as con:
            load_landing(real_dir, first, last, con=con)
        assert run_backfill(first, last, warehouse=reference / "nba.duckdb", command="reference build").succeeded
        keys = {**{f"nba_raw.{table}": key for table, key in RAW_KEYS.items()}, **model_keys(ensure_manifest())}
    left, right = duckdb_tables(reference / "nba.duckdb"), bigquery_tables(BigQueryRaw(warehouse.client, E2E_PROJECT))
    assert sorted(left) == sorted(right), sorted(set(left) ^ set(right))
    problems = [
        problem for name in sorted(left) for problem in compare_table(name, left[name], right[name], keys.get(name))
    ]
    assert not problems, "BigQuery differs from DuckDB:\n" + "\n".join(problems)
    assert all(left[table] for table in phase3), {table: len(left[table]) for table in phase3}
