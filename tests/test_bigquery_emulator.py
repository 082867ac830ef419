"""The prod target (BigQuery) on a local emulator, compared with the DuckDB build.

One module-scoped scenario on real playoff dates (2022-23, season start
2023-04-15):

- BigQuery: the Phase 2 BigQuery writer loads the landing files of
  [SEASON_START, END]; dbt runs phases 2-6 (whatever exists) on the prod
  target in two overlapping chunks: `dbt run` of [SEASON_START, CHUNK1_END]
  creates the tables, `dbt build` (models and every test) of
  [CHUNK2_START, END] MERGEs into them with insert_overwrite, replacing the
  overlap's partitions and adding the new ones.
- DuckDB: the same files loaded by `load_landing`, one `dbt build` of
  [SEASON_START, END].

Every table of both warehouses must hold the same keys and the same values
(floats within 1e-9); every phase 3-6 table is partitioned by day on game_date
and clustered; the compiled prod SQL of the second chunk reads every partitioned
relation through literal date filters within [season start, END] and replaces
exactly the chunk's partitions.

The emulator (crucible-emulator, own venv .venv-bq-emulator/) starts on a free
port with a bounded timeout and is stopped by its PID.
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from support import run_dbt

from orchestration.bigquery.estimate import partitioned_reads
from orchestration.dbt_invoke import DbtBuildResult

pytestmark = pytest.mark.bigquery

SEASON_START = date(2023, 4, 15)  # first date of the 2022-23 playoffs, the season's first date in the real data
CHUNK1_END = date(2023, 4, 20)
CHUNK2_START = date(2023, 4, 19)
END = date(2023, 4, 24)
CHUNK2 = (CHUNK2_START, END)

DATASETS = ("nba_raw", "nba_analytics", "nba_precompute", "nba_predictions")
MODEL_DATASETS = DATASETS[1:]
STAMP_COLUMNS = {"loaded_at", "detected_at", "quarantined_at", "first_loaded_at"}
# The dbt invocation that wrote a row: another one on each warehouse. input_version IS compared: both adapters
# compute the same digests from the same content versions (macros/freshness.sql, source_versions.py).
IGNORED_COLUMNS = STAMP_COLUMNS | {"build_id"}
RAW_KEYS = {
    "nbac_schedule": ("game_id",),
    "nbac_player_boxscore": ("game_id", "player_id"),
    "nbac_team_boxscore": ("game_id", "team_abbr"),
    "odds_api_player_points_props": ("game_id", "player_id", "bookmaker"),
    "player_registry": ("player_id",),
    "team_registry": ("team_id",),
    "unresolved_players": ("game_id", "player_id"),
    "load_quarantine": ("target_table", "source_file", "line_number"),
}
FLOAT_TOLERANCE = 1e-9


@dataclass
class Build:
    results: list[tuple[str, DbtBuildResult]] = field(default_factory=list)
    target_paths: dict[str, Path] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def run(
        self, name: str, command: str, start: date, end: date, target_path: Path, warehouse: Path | None = None
    ) -> None:
        began = time.monotonic()
        result = run_dbt([command], start, end, warehouse=warehouse, target_path=target_path)
        self.seconds[name] = time.monotonic() - began
        self.results.append((name, result))
        self.target_paths[name] = target_path
        assert result.succeeded, f"dbt {command} {name} ({start}..{end}) failed:\n{result.failure_summary()}"


# ---------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def bigquery(emulator, real_dir, tmp_path_factory):
    """Load and build on the prod target (the emulator); returns (client, Build, load report)."""
    from orchestration.bigquery import BigQueryRaw, load_landing_bigquery

    build = Build()
    with pytest.MonkeyPatch.context() as env:
        for name, value in emulator.env().items():
            env.setenv(name, value)
        env.setenv("NBA_STRICT_MODE", "true")
        began = time.monotonic()
        report = load_landing_bigquery(real_dir, SEASON_START, END)
        build.seconds["load"] = time.monotonic() - began
        build.run("chunk1", "run", SEASON_START, CHUNK1_END, tmp_path_factory.mktemp("bq_chunk1"))
        build.run("chunk2", "build", *CHUNK2, tmp_path_factory.mktemp("bq_chunk2"))
        raw = BigQueryRaw.from_env()
    print("bigquery seconds:", {k: round(v, 1) for k, v in build.seconds.items()})
    return raw, build, report


@pytest.fixture(scope="module")
def duck(real_dir, tmp_path_factory):
    """The same range on DuckDB (the dev target), built in one run."""
    from orchestration.loading import load_landing
    from orchestration.warehouse import connect

    path = tmp_path_factory.mktemp("duck") / "nba.duckdb"
    with connect(path) as con:
        load_landing(real_dir, SEASON_START, END, con=con)
    build = Build()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NBA_PIPELINE_TARGET", "dev")
        env.setenv("NBA_STRICT_MODE", "true")
        build.run("range", "build", SEASON_START, END, tmp_path_factory.mktemp("duck_target"), warehouse=path)
    return path, build


# ---------------------------------------------------------------------------------------------
# reading both warehouses


def duckdb_tables(path: Path) -> dict[str, list[dict]]:
    with duckdb.connect(str(path), read_only=True) as con:
        names = con.execute(f"""
            select table_schema || '.' || table_name from information_schema.tables
            where table_type = 'BASE TABLE' and table_schema in ({", ".join(f"'{d}'" for d in DATASETS)})
            order by 1""").fetchall()
        out = {}
        for (name,) in names:
            cursor = con.execute(f"select * from {name}")
            columns = [d[0] for d in cursor.description]
            out[name] = [dict(zip(columns, row)) for row in cursor.fetchall()]
        return out


def bigquery_tables(raw) -> dict[str, list[dict]]:
    client = raw.client
    out = {}
    for dataset in DATASETS:
        for item in client.list_tables(f"{raw.project}.{dataset}"):
            if item.table_type != "TABLE":
                continue
            rows = client.query(f"select * from `{raw.project}.{dataset}.{item.table_id}`").result()
            out[f"{dataset}.{item.table_id}"] = rows.to_arrow(create_bqstorage_client=False).to_pylist()
    return out


def model_keys(manifest_path: Path) -> dict[str, tuple[str, ...]]:
    """`schema.table` -> its declared unique key (unique_combination_of_columns / unique tests)."""
    manifest = json.loads(manifest_path.read_text())
    relations = {
        uid: f"{node['schema']}.{node['alias']}"
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
    }
    keys: dict[str, tuple[str, ...]] = {}
    for node in manifest["nodes"].values():
        meta = node.get("test_metadata") or {}
        attached = node.get("attached_node")
        if node["resource_type"] != "test" or attached not in relations:
            continue
        kwargs = meta.get("kwargs") or {}
        if meta.get("name") == "unique_combination_of_columns":
            keys[relations[attached]] = tuple(kwargs["combination_of_columns"])
        elif meta.get("name") == "unique" and kwargs.get("column_name"):
            keys.setdefault(relations[attached], (kwargs["column_name"],))
    return keys


def _number(value) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def same_value(left, right) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if _number(left) and _number(right):
        if isinstance(left, float) or isinstance(right, float):
            left, right = float(left), float(right)
            if math.isnan(left) or math.isnan(right):
                return math.isnan(left) and math.isnan(right)
            return math.isclose(left, right, rel_tol=FLOAT_TOLERANCE, abs_tol=FLOAT_TOLERANCE)
        return Decimal(left) == Decimal(right)  # integers and decimals: exact
    return left == right


def compare_table(name: str, left: list[dict], right: list[dict], key: tuple[str, ...] | None) -> list[str]:
    """Problems found between the DuckDB rows (left) and the BigQuery rows (right); [] when equal."""
    problems: list[str] = []
    left_columns = set(left[0]) if left else set()
    right_columns = set(right[0]) if right else set()
    if left and right and left_columns != right_columns:
        problems.append(
            f"{name}: columns only in DuckDB {sorted(left_columns - right_columns)}, "
            f"only in BigQuery {sorted(right_columns - left_columns)}"
        )
    columns = sorted((left_columns | right_columns) - IGNORED_COLUMNS)
    if len(left) != len(right):
        problems.append(f"{name}: {len(left)} rows in DuckDB, {len(right)} in BigQuery")
    if key is None:
        key = tuple(c for c in columns if not any(isinstance(r.get(c), float) for r in left[:50] + right[:50]))
    index_left = {tuple(r[c] for c in key): r for r in left}
    index_right = {tuple(r[c] for c in key): r for r in right}
    if len(index_left) != len(left) or len(index_right) != len(right):
        problems.append(
            f"{name}: key {key} is not unique ({len(index_left)}/{len(left)} DuckDB, "
            f"{len(index_right)}/{len(right)} BigQuery)"
        )
    only_left = sorted(set(index_left) - set(index_right), key=str)
    only_right = sorted(set(index_right) - set(index_left), key=str)
    if only_left or only_right:
        problems.append(
            f"{name}: {len(only_left)} keys only in DuckDB (e.g. {only_left[:3]}), "
            f"{len(only_right)} only in BigQuery (e.g. {only_right[:3]})"
        )
    differing: dict[str, list] = {}
    for k in set(index_left) & set(index_right):
        a, b = index_left[k], index_right[k]
        for column in columns:
            if column in a and column in b and not same_value(a[column], b[column]):
                differing.setdefault(column, []).append((k, a[column], b[column]))
    for column, cases in sorted(differing.items()):
        problems.append(f"{name}.{column}: {len(cases)} rows differ, e.g. {sorted(cases, key=str)[:3]}")
    return problems


# ---------------------------------------------------------------------------------------------
# tests


def test_every_table_matches_the_duckdb_build(bigquery, duck):
    raw, bq_build, _ = bigquery
    duck_path, duck_build = duck
    left, right = duckdb_tables(duck_path), bigquery_tables(raw)
    keys = {
        **{f"nba_raw.{t}": k for t, k in RAW_KEYS.items()},
        **model_keys(duck_build.target_paths["range"] / "manifest.json"),
    }

    leftovers = sorted(t for t in right if "__dbt_tmp" in t or ".__load_" in t or t.split(".")[1].startswith("_load_"))
    assert not leftovers, f"temporary tables left on BigQuery: {leftovers}"
    assert sorted(left) == sorted(right), (
        f"tables only in DuckDB: {sorted(set(left) - set(right))}, only in BigQuery: {sorted(set(right) - set(left))}"
    )

    problems, compared = [], {}
    for name in sorted(left):
        problems += compare_table(name, left[name], right[name], keys.get(name))
        compared[name] = len(left[name])
    print("rows compared per table:", compared)
    assert not problems, "BigQuery differs from DuckDB:\n" + "\n".join(problems)

    # the comparison proves something: every model table and the loaded raw tables hold rows
    # (dbt alone built them, no trained-model step: its source and its system's table are empty on both)
    trained_model_tables = (
        "ml_system_predictions",
        "ml_model_registry",
        "player_prop_predictions_gradient_boosting_v1",
    )
    built = [n for n in left if n.split(".")[0] in MODEL_DATASETS and not n.endswith(trained_model_tables)]
    assert built and all(compared[n] > 0 for n in built), {n: compared[n] for n in built}
    for name in ("nba_raw.nbac_schedule", "nba_raw.nbac_player_boxscore", "nba_raw.nbac_team_boxscore"):
        assert compared[name] > 0


def test_content_versions_and_date_freshness_match_the_duckdb_build(bigquery, duck):
    """nba_orchestration on BigQuery: the Phase 2 writer records the same content version per source date as the
    DuckDB loader, and dbt's freshness view gives the same verdict per model and date: every built date fresh,
    with the same expected input version; verified where a `dbt build` wrote it (chunk 2; chunk 1 was a
    `dbt run`, which verifies nothing)."""
    raw, _, _ = bigquery
    duck_path, _ = duck
    versions = "select source_table, game_date, row_count, content_version from nba_orchestration.source_date_versions"
    freshness = (
        "select model_relation, game_date, row_count, expected_version, is_fresh, is_verified "
        "from nba_orchestration.date_freshness"
    )
    with duckdb.connect(str(duck_path), read_only=True) as con:
        left_versions = con.sql(versions).to_arrow_table().to_pylist()
        left_freshness = con.sql(freshness).to_arrow_table().to_pylist()

    session = raw.session()  # the warehouse interface: the same SQL, transpiled for BigQuery
    right_versions, right_freshness = session.execute(versions).dicts(), session.execute(freshness).dicts()
    assert left_versions and left_freshness
    problems = compare_table("source_date_versions", left_versions, right_versions, ("source_table", "game_date"))
    assert not problems, "\n".join(problems)

    assert all(row["is_fresh"] for row in left_freshness), [r for r in left_freshness if not r["is_fresh"]][:3]
    stale = [row for row in right_freshness if not row["is_fresh"]]
    assert not stale, f"{len(stale)} model dates stale on BigQuery, e.g. {stale[:3]}"
    unverified = [row for row in right_freshness if row["game_date"] >= CHUNK2_START and not row["is_verified"]]
    assert not unverified, f"{len(unverified)} model dates of the dbt build unverified, e.g. {unverified[:3]}"
    key = ("model_relation", "game_date")
    compared = [{k: v for k, v in row.items() if k != "is_verified"} for row in right_freshness]
    problems = compare_table(
        "date_freshness",
        [{k: v for k, v in row.items() if k != "is_verified"} for row in left_freshness],
        compared,
        key,
    )
    assert not problems, "\n".join(problems)


def test_prod_tables_are_partitioned_by_game_date_and_clustered(bigquery):
    raw, build, _ = bigquery
    manifest = json.loads((build.target_paths["chunk2"] / "manifest.json").read_text())
    models = [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["config"]["materialized"] in ("incremental", "table")
    ]
    assert len(models) >= 5
    problems = []
    for node in models:
        config = node["config"]
        name = f"{node['schema']}.{node['alias']}"
        if config.get("incremental_strategy") != "insert_overwrite":
            problems.append(f"{name}: incremental_strategy {config.get('incremental_strategy')}")
        table = raw.client.get_table(f"{raw.project}.{name}")
        partitioning = table.time_partitioning
        if partitioning is None or partitioning.field != "game_date" or partitioning.type_ != "DAY":
            problems.append(f"{name}: partitioning {partitioning}")
        if not table.clustering_fields:
            problems.append(f"{name}: not clustered (add `+cluster_by: [<lookup key>]` in dbt_project.yml)")
        elif table.clustering_fields != list(config.get("cluster_by") or []):
            problems.append(f"{name}: clustered by {table.clustering_fields}, configured {config.get('cluster_by')}")
    for name in ("nbac_schedule", "nbac_player_boxscore", "nbac_team_boxscore", "odds_api_player_points_props"):
        table = raw.client.get_table(raw.table_id(name))
        if table.time_partitioning is None or table.time_partitioning.field != "game_date":
            problems.append(f"nba_raw.{name}: partitioning {table.time_partitioning}")
    assert not problems, "\n".join(problems)


# --- partition pruning, read from the compiled prod SQL (orchestration.bigquery.estimate reads it too) ---

UNPARTITIONED = ("nba_raw.player_registry", "nba_raw.team_registry")


def test_range_backfill_reads_only_the_partitions_it_needs(bigquery):
    """Chunk 2 ([CHUNK2_START, END]) reads [season start, END] at most, and replaces exactly its own partitions."""
    raw, build, _ = bigquery
    target = build.target_paths["chunk2"]
    manifest = json.loads((target / "manifest.json").read_text())
    models = {
        uid: n
        for uid, n in manifest["nodes"].items()
        if n["resource_type"] == "model" and n["config"]["materialized"] == "incremental"
    }
    chunk_days = [CHUNK2[0] + timedelta(days=i) for i in range((CHUNK2[1] - CHUNK2[0]).days + 1)]
    expected_merge = "DBT_INTERNAL_DEST.game_date in (" + ", ".join(f"date '{d.isoformat()}'" for d in chunk_days) + ")"
    problems, lowest = [], {}
    for node in models.values():
        path = node["original_file_path"]
        compiled = (target / "compiled" / "nba_pipeline" / path).read_text()
        reads = [read for read in partitioned_reads(compiled, raw.project) if read[0] not in UNPARTITIONED]
        if not reads:
            problems.append(f"{path}: no pipeline table read found")
        for relation, low, high in reads:
            if low is None or high is None:
                problems.append(f"{path}: reads {relation} without a literal game_date range (full scan)")
            elif low < SEASON_START or high > CHUNK2[1]:
                problems.append(f"{path}: reads {relation} over {low}..{high}, outside {SEASON_START}..{CHUNK2[1]}")
            else:
                lowest[path] = min(lowest.get(path, low), low)
        executed = (target / "run" / "nba_pipeline" / path).read_text()
        if expected_merge not in executed:
            problems.append(f"{path}: the MERGE does not replace exactly {chunk_days[0]}..{chunk_days[-1]}")
        if re.search(r"\bdeclare\b", executed, re.IGNORECASE):
            problems.append(f"{path}: scripting (DECLARE) in the executed SQL")
    assert not problems, "\n".join(problems)
    # the lookback buffer reaches back to the season start, no further
    assert min(lowest.values()) == SEASON_START, lowest


def test_phase2_writer_quarantine_unresolved_and_reload(emulator, real_dir, generated_landing, tmp_path):
    """A landing folder with a bad row and an unknown player, loaded twice into BigQuery (its own project on
    the emulator): nba_raw equals the DuckDB load, quarantine and unresolved players included; then a
    generated landing is refused there, as by the DuckDB loader."""
    import gzip

    from orchestration.bigquery import BigQueryRaw, BigQuerySettings, load_landing_bigquery
    from orchestration.loading import DatasetMismatchError, load_landing
    from orchestration.warehouse import connect

    day = date(2023, 4, 16)
    landing = tmp_path / "landing"
    landing.mkdir()
    for folder in ("schedule", "team_box", "reference"):
        (landing / folder).symlink_to(real_dir / folder)
    (landing / "player_box").mkdir()
    source = real_dir / "player_box" / "nba_playoffs_player_box_2022-23.csv.gz"
    (landing / "player_box" / source.name).symlink_to(source)
    with gzip.open(source, "rt") as f:
        header = f.readline().rstrip("\n")
        row = next(
            line.rstrip("\n").split(",") for line in f if line.split(",")[1] == day.isoformat() and ",DNP" not in line
        )
    columns = header.split(",")
    bad = dict(zip(columns, row), points="abc")  # quarantined: not a number
    unknown = dict(zip(columns, row), personId="999999999", personName="Nobody, Jr.")  # unresolved player
    with open(landing / "player_box" / "extra.csv", "w") as f:
        f.write(header + "\n")
        for record in (bad, unknown):
            f.write(",".join(f'"{record[c]}"' if "," in record[c] else record[c] for c in columns) + "\n")

    duck_path = tmp_path / "raw.duckdb"
    with connect(duck_path) as con:
        duck_report = load_landing(landing, day, day, con=con)
    with pytest.MonkeyPatch.context() as env:
        for name, value in emulator.env().items():
            env.setenv(name, value)
        raw = BigQueryRaw(BigQuerySettings.from_env().client(), "writer-test-project")
        reports = [load_landing_bigquery(landing, day, day, raw=raw) for _ in range(2)]
        with pytest.raises(
            DatasetMismatchError,
            match=r"the warehouse BigQuery writer-test-project\.nba_raw "
            r"holds real data: real NBA playoffs",
        ):
            load_landing_bigquery(generated_landing, day, day, raw=raw)

    assert duck_report.rows_quarantined >= 1 and duck_report.unresolved_occurrences == 1
    left = {k: v for k, v in duckdb_tables(duck_path).items() if k.startswith("nba_raw.")}
    right = {}
    for name in left:
        rows = raw.client.query(f"select * from `{raw.project}.{name}`").result()
        right[name] = rows.to_arrow(create_bqstorage_client=False).to_pylist()
    problems = []
    for name in sorted(left):
        problems += compare_table(name, left[name], right[name], RAW_KEYS.get(name.split(".")[1]))
    assert not problems, "\n".join(problems)
    assert len(right["nba_raw.load_quarantine"]) == duck_report.rows_quarantined
    assert len(right["nba_raw.unresolved_players"]) == 1
    for report in reports:
        assert (report.rows_loaded, report.rows_quarantined, report.unresolved_occurrences) == (
            duck_report.rows_loaded,
            duck_report.rows_quarantined,
            duck_report.unresolved_occurrences,
        )


def test_cli_load_writes_bigquery_on_the_prod_target(emulator, real_dir, tmp_path):
    """`nba-pipeline load DIR` with NBA_PIPELINE_TARGET=prod writes nba_raw on BigQuery (its own project on the
    emulator), not the DuckDB file: per game_date the same player box rows as the DuckDB loader, twice over."""
    import os
    import subprocess
    import sys

    from orchestration.bigquery import BigQueryRaw, BigQuerySettings
    from orchestration.loading import load_landing
    from orchestration.paths import PROJECT_ROOT
    from orchestration.warehouse import connect

    start, end = date(2023, 4, 15), date(2023, 4, 16)
    project = "cli-load-test-project"
    duck_file = tmp_path / "untouched.duckdb"  # where a DuckDB load would have gone
    env = {**os.environ, **emulator.env(), "NBA_BQ_PROJECT": project, "NBA_PIPELINE_DUCKDB": str(duck_file)}
    command = [
        str(Path(sys.executable).parent / "nba-pipeline"),
        "load",
        str(real_dir),
        "--start",
        start.isoformat(),
        "--end",
        end.isoformat(),
    ]

    with connect(tmp_path / "expected.duckdb") as con:
        load_landing(real_dir, start, end, con=con)
        expected = dict(
            con.execute("select game_date, count(*) from nba_raw.nbac_player_boxscore group by 1 order by 1").fetchall()
        )
    assert sorted(expected) == [start, end] and all(n > 0 for n in expected.values()), expected

    with pytest.MonkeyPatch.context() as patch:
        for name, value in emulator.env().items():
            patch.setenv(name, value)
        raw = BigQueryRaw(BigQuerySettings.from_env().client(), project)

    counts = []
    for _ in range(2):
        done = subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
        assert f"written to BigQuery {project}.nba_raw" in done.stdout, done.stdout
        rows = raw.query(
            f"select game_date, count(*) as n from {raw.quoted('nbac_player_boxscore')} "
            "group by game_date order by game_date"
        )
        counts.append({row["game_date"]: row["n"] for row in rows})

    assert counts[0] == expected, f"BigQuery {counts[0]}, DuckDB loader {expected}"
    assert counts[1] == counts[0], f"a second load changed the counts: {counts[0]} -> {counts[1]}"
    assert not duck_file.exists(), "the prod target load wrote the DuckDB warehouse"


def _row_counts(raw) -> dict[str, int]:
    """Every table of every dataset on the emulator and its rows (what a dry run must leave alone)."""
    counts = {}
    for dataset in raw.client.list_datasets(raw.project):
        for item in raw.client.list_tables(f"{raw.project}.{dataset.dataset_id}"):
            if item.table_type == "TABLE":
                counts[f"{dataset.dataset_id}.{item.table_id}"] = raw.client.get_table(
                    f"{raw.project}.{dataset.dataset_id}.{item.table_id}"
                ).num_rows
    return counts


def test_backfill_dry_run_estimates_bytes_from_partition_metadata(bigquery, emulator, monkeypatch):
    """The emulator refuses dry-run query jobs: the estimate falls back to partition metadata, counting the
    emulator's own rows in the partitions each model's compiled SQL reads; nothing is written."""
    import subprocess
    import sys

    from orchestration.bigquery.estimate import PARTITION_METADATA, TIB, estimate_bigquery_backfill
    from orchestration.paths import PROJECT_ROOT
    from orchestration.phases import DBT_PHASES

    raw, build, _ = bigquery
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    before = _row_counts(raw)
    wide = estimate_bigquery_backfill(CHUNK2_START, END, list(DBT_PHASES), price_per_tib=5.0)
    narrow = estimate_bigquery_backfill(END, END, list(DBT_PHASES), price_per_tib=5.0)

    assert wide.method == PARTITION_METADATA
    manifest = json.loads((build.target_paths["chunk2"] / "manifest.json").read_text())
    dated = {
        f"{n['schema']}.{n['alias']}"
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["config"]["materialized"] in ("incremental", "table")
    }
    models = {m.model: m for m in wide.models}
    assert set(models) == dated
    for model in models.values():
        assert model.bytes == sum(read.bytes for read in model.reads), model.model
    # the player box score partitions a Phase 3 window model reads: season start .. END, the emulator's rows
    summary = models["nba_analytics.player_game_summary"]
    box = [read for read in summary.reads if read.relation == "nba_raw.nbac_player_boxscore"]
    rows = list(
        raw.query(
            f"select count(*) as n from {raw.quoted('nbac_player_boxscore')} "
            f"where game_date between '{SEASON_START}' and '{END}'"
        )
    )[0]["n"]
    assert box and all((read.low, read.high, read.rows) == (SEASON_START, END, rows) for read in box)
    assert rows > 0 and summary.bytes > 0
    assert wide.total_bytes == sum(m.bytes for m in wide.models) > 0
    assert wide.cost == pytest.approx(wide.total_bytes / TIB * 5.0)
    # a one-day window reads fewer partitions of the window's own tables, the same lookbacks
    assert 0 < narrow.total_bytes < wide.total_bytes

    command = [
        str(Path(sys.executable).parent / "nba-pipeline"),
        "backfill",
        "--start",
        CHUNK2_START.isoformat(),
        "--end",
        END.isoformat(),
        "--dry-run",
        "--json",
        "--price-per-tib",
        "5",
    ]
    import os

    done = subprocess.run(
        command, env={**os.environ, **emulator.env()}, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    printed = json.loads(done.stdout)["bigquery"]
    assert (printed["total_bytes"], printed["method"]) == (wide.total_bytes, PARTITION_METADATA)
    assert _row_counts(raw) == before


# --- commands on the prod target (the warehouse interface, orchestration/warehouse/) ---


def _cli(emulator, tmp_path: Path, *arguments: str, project: str | None = None, returncode: int = 0):
    """`nba-pipeline <arguments>` on the prod target (the emulator's project the `bigquery` fixture built, or
    `project`), with NBA_PIPELINE_DUCKDB pointing where a DuckDB warehouse would appear."""
    import os
    import subprocess
    import sys

    from orchestration.paths import PROJECT_ROOT

    duck_file = tmp_path / "untouched.duckdb"
    env = {
        **os.environ,
        **emulator.env(),
        "NBA_PIPELINE_DUCKDB": str(duck_file),
        "NBA_PIPELINE_MODEL_STORE": str(tmp_path / "models"),  # not the project's models/ folder
    }
    env.pop("DAGSTER_HOME", None)  # no Dagster instance to sync: the command alone
    if project:
        env.update(NBA_BQ_PROJECT=project, NBA_BQ_EXECUTION_PROJECT=project)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "nba-pipeline"), *arguments],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == returncode, f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert not duck_file.exists() and not list(tmp_path.rglob("*.duckdb*")), "a prod command created a DuckDB file"
    return done


def test_completeness_reads_bigquery_as_it_reads_duckdb(bigquery, duck):
    """coverage_by_date through the warehouse interface: per phase and date the same games present and the same
    stale tables on BigQuery as on the DuckDB build; unverified exactly where BigQuery's dates were written by
    `dbt run` (chunk 1 before CHUNK2_START), and nowhere on DuckDB (one `dbt build`)."""
    from orchestration.completeness import coverage_by_date
    from orchestration.warehouse import DuckDBWarehouse

    raw, _, _ = bigquery
    duck_path, _ = duck
    with DuckDBWarehouse(duck_path).reading() as db:
        left = {(c.phase, c.game_date): c for c in coverage_by_date(db)}
    right = {(c.phase, c.game_date): c for c in coverage_by_date(raw.session())}
    assert left and sorted(left) == sorted(right)
    assert {phase for phase, _ in left} >= {2, 3, 4, 5, 6}
    for key, cell in left.items():
        other = right[key]
        assert (other.final_games, other.present_games, other.stale_tables) == (
            cell.final_games,
            cell.present_games,
            cell.stale_tables,
        ), (key, cell, other)
        phase, day = key
        if day <= END:  # the schedule knows later games, not loaded: missing on both
            assert cell.is_complete, cell
            assert bool(other.unverified_tables) == (phase > 2 and day < CHUNK2_START), (key, other)


def test_status_and_gaps_commands_on_bigquery(bigquery, emulator, tmp_path):
    """`nba-pipeline status` (with --html) and `gaps --json` on NBA_PIPELINE_TARGET=prod read BigQuery and
    create no DuckDB file; the gaps are the dates `dbt run` wrote unverified, and nothing else."""
    status = _cli(emulator, tmp_path, "status", "--html", str(tmp_path / "status.html"))
    assert "warehouse: BigQuery project local-project" in status.stdout, status.stdout
    assert "2022-23" in status.stdout and (tmp_path / "status.html").stat().st_size > 0
    gaps = json.loads(_cli(emulator, tmp_path, "gaps", "--json").stdout)
    loaded = [gap for gap in gaps if gap["game_date"] <= END.isoformat()]  # later: scheduled, never loaded
    assert loaded, "chunk 1 was a `dbt run`: its dates are unverified"
    assert {gap["gap_kind"] for gap in loaded} == {"unverified"}, loaded
    assert all(SEASON_START.isoformat() <= gap["game_date"] < CHUNK2_START.isoformat() for gap in loaded), loaded
    assert {(gap["phase_from"], gap["gap_kind"]) for gap in gaps if gap not in loaded} <= {(1, "missing")}, gaps


def test_report_accuracy_on_bigquery_equals_duckdb(bigquery, duck, emulator, tmp_path):
    """`report accuracy` through the warehouse interface: the same figures per system from BigQuery's
    prediction_accuracy as from the DuckDB build's; the command on the prod target prints them."""
    from orchestration.ml.report import accuracy_report, format_accuracy_report
    from orchestration.warehouse import DuckDBWarehouse

    raw, _, _ = bigquery
    duck_path, _ = duck
    with DuckDBWarehouse(duck_path).reading() as db:
        expected = accuracy_report(db)
    found = accuracy_report(raw.session())
    assert expected and any(row["graded"] > 0 for row in expected), expected
    assert [row["system_id"] for row in found] == [row["system_id"] for row in expected]
    for left, right in zip(expected, found):
        assert all(same_value(left[key], right[key]) for key in left), (left, right)
    printed = _cli(emulator, tmp_path, "report", "accuracy").stdout
    assert format_accuracy_report(expected) in printed, printed


def test_appends_read_back_the_same_rows_as_insert_or_load_job(emulator):
    """`BigQuerySession.append` writes a few rows as one INSERT, more as a CSV load job, and rows whose text has
    line breaks as an INSERT (their CSV needs allow_quoted_newlines, which the emulator refuses): every way, the
    rows read back as given, an integer column with nulls (pandas makes it float) included."""
    import pandas as pd

    from orchestration.bigquery import BigQuerySettings
    from orchestration.warehouse.bigquery import INSERT_ROWS_LIMIT
    from orchestration.warehouse.bigquery import BigQueryWarehouse as Warehouse

    with pytest.MonkeyPatch.context() as patch:
        for name, value in emulator.env().items():
            patch.setenv(name, value)
        db = Warehouse("append-project", client=BigQuerySettings.from_env().client()).session()
    db.execute("create schema if not exists nba_orchestration")
    db.execute(
        "create table nba_orchestration.appended (batch varchar, n bigint, phase integer, note varchar, recorded_at timestamp)"
    )
    batches = {
        "few": INSERT_ROWS_LIMIT,
        "many": INSERT_ROWS_LIMIT + 30,
        "line breaks": INSERT_ROWS_LIMIT + 30,
    }
    expected = []
    for batch, count in batches.items():
        rows = [
            {
                "batch": batch,
                "n": 2**40 + i,  # beyond 32 bits: a 48-bit version hash must survive the load job
                "phase": None if i % 3 == 0 else i % 7,
                "note": f"line {i}\nnext" if batch == "line breaks" else f'note, "quoted" {i}',
                "recorded_at": datetime(2026, 12, 1, 8, i % 60, 30, 250000),
            }
            for i in range(count)
        ]
        assert db.append("nba_orchestration.appended", pd.DataFrame(rows)) == count
        expected += rows
    got = db.execute("select batch, n, phase, note, recorded_at from nba_orchestration.appended order by batch, n")
    assert [dict(zip(got.columns, row)) for row in got.rows] == sorted(expected, key=lambda r: (r["batch"], r["n"]))
