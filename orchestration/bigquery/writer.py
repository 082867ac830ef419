"""Phase 2 on BigQuery: the same load as `load_landing`, written to BigQuery's `nba_raw`.

Reading, rule checks, quarantine, de-duplication and the registry upsert are the
DuckDB loader's own code, run unchanged against a scratch in-memory DuckDB that
starts with BigQuery's current registries. Only the write differs: per table,
the scratch rows go up as one CSV load job into a staging table, then one MERGE
replaces exactly the loaded dates' partitions of the target:

    merge nba_raw.T using nba_raw._load_T on false
    when not matched by source and T.game_date in (date '2024-04-20', ...) then delete
    when not matched then insert (...)

Each MERGE is atomic, so a table is never seen half-loaded; the tables are
written one after the other (dataset record, registries, dated tables, unresolved players,
quarantine), and a load that fails midway is repaired by running it again
(every step is idempotent). CSV is the one load format both BigQuery and the
local emulator accept.

Content versions (orchestration/source_versions.py), as on DuckDB: computed from the
staged rows by the DuckDB loader in the scratch database (the same function, so the same
versions), compared with the versions and row counts BigQuery holds; only the dates whose
content changed are written. BigQuery has no transaction across tables here, so the order
makes every interruption safe: (1) the changed dates' versions are deleted, (2) their rows
are replaced, (3) their new versions are inserted. A kill after (1) or (2) leaves those
dates without a version: every model date whose window reads them is stale (its recorded
digest included the old version), and the next load writes them again (no version held).
Never the other way round: rows first and versions last would leave changed rows behind
an old version, which reads fresh.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from orchestration.bigquery.client import BigQuerySettings
from orchestration.loading import DatasetMismatchError, load_landing
from orchestration.loading.duck import registered, scalar
from orchestration.loading.report import LoadReport
from orchestration.loading.writer import PLAYER_BOX
from orchestration.source_versions import VERSIONS_TABLE, changed_dates, delete_versions, record_versions
from orchestration.warehouse import RAW_SCHEMA, ensure_raw_schema
from orchestration.warehouse.bigquery import BigQuerySession, upload_csv
from orchestration.warehouse.bigquery_tables import TableSpec as RawTable
from orchestration.warehouse.bigquery_tables import raw_tables

Progress = Callable[[str], None]
REGISTRY_KEYS = {"player_registry": "player_id", "team_registry": "team_id"}
# Which dataset(s) the warehouse holds: read down before the load (which refuses another dataset), written
# back whole after it (a handful of rows).
DATASET_TABLES = ("landing_datasets", "landing_folders")
STAGING_PREFIX = "_load_"


@dataclass
class BigQueryRaw:
    """The `nba_raw` dataset of one BigQuery project, reached through a google-cloud-bigquery client."""

    client: object
    project: str
    dataset: str = RAW_SCHEMA
    location: str = "US"

    @classmethod
    def from_env(cls) -> BigQueryRaw:
        settings = BigQuerySettings.from_env()
        return cls(settings.client(), settings.project, RAW_SCHEMA, settings.location)

    def table_id(self, name: str) -> str:
        return f"{self.project}.{self.dataset}.{name}"

    def quoted(self, name: str) -> str:
        return f"`{self.table_id(name)}`"

    def query(self, sql: str):
        return self.client.query(sql).result()

    def delete_where(self, name: str, condition: str) -> None:
        """Delete the rows of `name` (alias `target`) matching `condition`. A MERGE with an empty source
        rather than DELETE: the same single atomic statement on BigQuery, and one the emulator runs."""
        self.query(f"""
            merge {self.quoted(name)} as target
            using (select 1 as nothing) as source
            on false
            when not matched by source and ({condition}) then delete""")

    def session(self) -> BigQuerySession:
        """The warehouse interface on the same project (nba_orchestration, the versions)."""
        return BigQuerySession(self.client, self.project, self.location)

    def ensure_tables(self) -> None:
        """The tables a load creates (nba_raw, nba_orchestration), as on DuckDB."""
        from orchestration.warehouse.schema import load_tables

        self.session().ensure_tables(*load_tables())


def load_landing_bigquery(
    landing_dir: Path,
    start: date | None = None,
    end: date | None = None,
    raw: BigQueryRaw | None = None,
    tables: Collection[str] | None = None,
    progress: Progress | None = None,
    allow_other_dataset: bool = False,
) -> LoadReport:
    """`load_landing` with BigQuery as the warehouse (the prod target); same arguments, same report."""
    began = time.perf_counter()
    raw = raw or BigQueryRaw.from_env()
    contract = raw_tables()
    raw.ensure_tables()
    with duckdb.connect() as scratch:
        ensure_raw_schema(scratch)
        _copy_registries_down(raw, scratch, contract)
        _copy_down(raw, scratch, contract, DATASET_TABLES)
        try:
            report = load_landing(
                landing_dir,
                start,
                end,
                con=scratch,
                tables=tables,
                progress=progress,
                allow_other_dataset=allow_other_dataset,
            )
        except DatasetMismatchError as error:
            raise error.for_warehouse(f"BigQuery {raw.project}.{raw.dataset}") from None
        uploader = _Uploader(raw, scratch, progress)
        for name in DATASET_TABLES:
            uploader.replace_all(contract[name])
        for name, key in REGISTRY_KEYS.items():
            uploader.upsert(contract[name], key)
        changed = _changed_dates(raw, scratch, report, progress)
        # (1) versions of the changed dates gone, (2) their rows, (3) their new versions: see the docstring
        delete_versions(raw.session(), {f"{RAW_SCHEMA}.{name}": dates for name, dates in changed.items()})
        for name, dates in changed.items():
            uploader.replace_dates(contract[name], dates)
        record_versions(raw.session(), _scratch_versions(scratch, changed), _written_at(scratch))
        if PLAYER_BOX in report.tables:
            uploader.replace_dates(contract["unresolved_players"], report.tables[PLAYER_BOX].dates_replaced)
        uploader.replace_quarantine(contract["load_quarantine"], report)
    report.seconds = time.perf_counter() - began
    if progress:
        progress(f"written to BigQuery {raw.project}.{raw.dataset} in {report.seconds:.2f} s")
    return report


def _changed_dates(
    raw: BigQueryRaw, scratch: duckdb.DuckDBPyConnection, report: LoadReport, progress: Progress | None
) -> dict[str, list[date]]:
    """Per loaded dated table, the dates whose content (as the loader versioned it in the scratch database)
    differs from what BigQuery holds: another version, or another row count (rows removed behind its back)."""
    changed = {}
    session = raw.session()
    for name, table_report in report.tables.items():
        table = f"{RAW_SCHEMA}.{name}"
        versions = {
            day: (count, version)
            for day, count, version in scratch.execute(
                f"select game_date, row_count, content_version from {VERSIONS_TABLE} where source_table = ?", [table]
            ).fetchall()
            if day in set(table_report.dates_replaced)
        }
        changed[name] = changed_dates(session, table, versions)
        unchanged = len(versions) - len(changed[name])
        if unchanged and progress:
            progress(f"BigQuery {name}: {unchanged:,} date(s) unchanged, not rewritten")
    return changed


def _scratch_versions(
    scratch: duckdb.DuckDBPyConnection, changed: dict[str, list[date]]
) -> dict[str, dict[date, tuple[int, str]]]:
    """table -> date -> (rows, version) of the changed dates, as the loader recorded them in the scratch db."""
    found: dict[str, dict[date, tuple[int, str]]] = {}
    for name, dates in changed.items():
        table = f"{RAW_SCHEMA}.{name}"
        wanted = set(dates)
        found[table] = {
            day: (count, version)
            for day, count, version in scratch.execute(
                f"select game_date, row_count, content_version from {VERSIONS_TABLE} where source_table = ?", [table]
            ).fetchall()
            if day in wanted
        }
    return found


def _written_at(scratch: duckdb.DuckDBPyConnection):
    """When the load wrote (the loader's time, recorded with the versions)."""
    return scalar(scratch, f"select max(written_at) from {VERSIONS_TABLE}")


def _copy_down(
    raw: BigQueryRaw, scratch: duckdb.DuckDBPyConnection, contract: dict[str, RawTable], names: Collection[str]
) -> None:
    """Copy whole BigQuery tables into the scratch database's nba_raw."""
    for name in names:
        columns = ", ".join(contract[name].column_names)
        rows = raw.client.query(f"select {columns} from {raw.quoted(name)}").result()
        with registered(scratch, _bq_rows=rows.to_arrow(create_bqstorage_client=False)):
            scratch.execute(f"insert into {RAW_SCHEMA}.{name} ({columns}) select {columns} from _bq_rows")


def _copy_registries_down(raw: BigQueryRaw, scratch: duckdb.DuckDBPyConnection, contract: dict[str, RawTable]) -> None:
    """Start the scratch registries from BigQuery's, so the upsert and the unresolved check see what DuckDB
    would; a copy (`_bq_<registry>`) tells afterwards which rows the load added or changed."""
    _copy_down(raw, scratch, contract, REGISTRY_KEYS)
    for name in REGISTRY_KEYS:
        scratch.execute(
            f"create table _bq_{name} as select {', '.join(contract[name].column_names)} from {RAW_SCHEMA}.{name}"
        )


def _date_list(dates: Collection[date]) -> str:
    return ", ".join(f"date '{d.isoformat()}'" for d in sorted(dates))


class _Uploader:
    def __init__(self, raw: BigQueryRaw, scratch: duckdb.DuckDBPyConnection, progress: Progress | None):
        self.raw, self.scratch, self.progress = raw, scratch, progress

    def _say(self, message: str) -> None:
        if self.progress:
            self.progress(message)

    def _stage(self, table: RawTable, source: str) -> str:
        """Upload the scratch rows `select <columns> <source>` into a staging table; returns its name."""
        staging = STAGING_PREFIX + table.name
        upload_csv(self.raw.client, self.raw.table_id(staging), source, self.scratch, list(table.columns), append=False)
        return staging

    def _drop(self, staging: str) -> None:
        self.raw.client.delete_table(self.raw.table_id(staging), not_found_ok=True)

    def _insert_branch(self, table: RawTable) -> str:
        columns = ", ".join(f"`{c}`" for c in table.column_names)
        return f"when not matched then insert ({columns}) values ({columns})"

    def replace_dates(self, table: RawTable, dates: Collection[date]) -> None:
        """Replace the partitions of `dates` with the scratch rows of those dates, in one statement."""
        if not dates:
            return
        in_dates = f"game_date in ({_date_list(dates)})"
        rows = self._replace_rows(table, f"from {RAW_SCHEMA}.{table.name} where {in_dates}", f"target.{in_dates}")
        self._say(f"BigQuery {table.name}: {rows:,} rows over {len(dates):,} dates")

    def _replace_rows(self, table: RawTable, source: str, owned: str) -> int:
        """Swap the BigQuery rows matching `owned` for the scratch rows of `source`, in ONE statement
        (a MERGE, so readers never see the table half replaced). Returns the rows written."""
        rows = scalar(self.scratch, f"select count(*) {source}")
        if not rows:
            self.raw.delete_where(table.name, owned)
            return 0
        staging = self._stage(table, source)
        try:
            self.raw.query(f"""
                merge {self.raw.quoted(table.name)} as target
                using {self.raw.quoted(staging)} as source
                on false
                when not matched by source and ({owned}) then delete
                {self._insert_branch(table)}""")
        finally:
            self._drop(staging)
        return rows

    def replace_all(self, table: RawTable) -> None:
        """The whole table from the scratch database, in one statement."""
        rows = self._replace_rows(table, f"from {RAW_SCHEMA}.{table.name}", "true")
        self._say(f"BigQuery {table.name}: {rows:,} rows")

    def upsert(self, table: RawTable, key: str) -> None:
        """Insert new registry rows, update changed ones, never delete (like the DuckDB registry upsert).
        Only the rows this load added or changed go up."""
        columns = table.column_names
        others = [c for c in columns if c != key]
        source = (
            f"from {RAW_SCHEMA}.{table.name} as loaded where not exists ("
            f"select 1 from _bq_{table.name} as stored where stored.{key} = loaded.{key} and "
            + " and ".join(f"stored.{c} is not distinct from loaded.{c}" for c in others)
            + ")"
        )
        rows = scalar(self.scratch, f"select count(*) {source}")
        if not rows:
            self._say(f"BigQuery {table.name}: unchanged")
            return
        staging = self._stage(table, source)
        changed = " or ".join(f"target.{c} is distinct from source.{c}" for c in others)
        try:
            self.raw.query(f"""
                merge {self.raw.quoted(table.name)} as target
                using {self.raw.quoted(staging)} as source
                on target.{key} = source.{key}
                when matched and ({changed}) then update set {", ".join(f"{c} = source.{c}" for c in others)}
                {self._insert_branch(table)}""")
        finally:
            self._drop(staging)
        self._say(f"BigQuery {table.name}: {rows:,} rows added or changed")

    def replace_quarantine(self, table: RawTable, report: LoadReport) -> None:
        """The quarantine rows of what this load owns: its (table, date) pairs and the date-less rows of its files."""
        scope = getattr(report, "quarantine_scope", None)
        if scope is None:
            raise RuntimeError("LoadReport.quarantine_scope is missing: the BigQuery writer needs the loader's scope")
        pairs = sorted({f"{t}|{d.isoformat()}" for t, d in scope.dates})
        files = sorted({f"{t}|{f}" for t, f in scope.files})
        dates = sorted({d for _, d in scope.dates})
        conditions = []
        if pairs:
            conditions.append(
                f"(target.game_date in ({_date_list(dates)}) and "
                f"concat(target.target_table, '|', cast(target.game_date as string)) in ({_strings(pairs)}))"
            )
        if files:
            conditions.append(
                f"(target.game_date is null and "
                f"concat(target.target_table, '|', target.source_file) in ({_strings(files)}))"
            )
        owned = " or ".join(conditions) or "false"
        rows = self._replace_rows(table, f"from {RAW_SCHEMA}.{table.name}", owned)
        self._say(f"BigQuery {table.name}: {rows:,} rows")


def _strings(values: Collection[str]) -> str:
    return ", ".join("'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'" for v in values)
