"""What a backfill will cost on BigQuery, before it runs: bytes processed per model and in total.

    estimate = estimate_bigquery_backfill(date(2023, 11, 1), date(2023, 11, 30), phases)
    print(estimate.describe())          # per model, the total, the cost at NBA_BQ_PRICE_PER_TIB

1. dbt compiles each dated model of the phases for the window (`dbt compile`, prod target, in process):
   the SQL carries the window's literal date filters, so BigQuery prunes partitions as the real run will;
2. each model's compiled SQL goes to BigQuery as a **dry-run query job**, whose
   `total_bytes_processed` is BigQuery's own estimate (columns read, partitions pruned);
3. where dry runs are refused (the local emulator), the estimate comes from **partition metadata**:
   every relation the SQL reads (views followed to their tables) with its literal game_date range, the
   rows of the day partitions in that range times the row width from the table's schema (BigQuery's
   data sizes; a STRING counted as `ASSUMED_STRING_BYTES`). Every column is counted, so it is an upper
   bound of what the columns really read cost.

Cost = bytes / 2^40 x the price per TiB (`--price-per-tib`, else NBA_BQ_PRICE_PER_TIB, else the
on-demand list price), before BigQuery's 10 MiB minimum per query. The BigQuery calls live here only
(through client.py), so they can move behind the warehouse interface with the rest.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from orchestration.bigquery.client import BigQuerySettings
from orchestration.phases import Phase, phase_of_tags
from orchestration.settings import settings
from orchestration.warehouse.schema import ALL_DATASETS

TIB = 2**40
DRY_RUN, PARTITION_METADATA = "dry-run query jobs", "partition metadata"
# BigQuery's data size per type (bytes per value); STRING and BYTES are 2 + their length.
TYPE_BYTES = {
    "INTEGER": 8,
    "INT64": 8,
    "FLOAT": 8,
    "FLOAT64": 8,
    "NUMERIC": 16,
    "BIGNUMERIC": 32,
    "BOOLEAN": 1,
    "BOOL": 1,
    "DATE": 8,
    "DATETIME": 8,
    "TIME": 8,
    "TIMESTAMP": 8,
}
ASSUMED_STRING_BYTES = 2 + 16
_DATE_LITERAL = re.compile(r"^date '(\d{4}-\d{2}-\d{2})'$", re.IGNORECASE)


def resolve_price_per_tib(price: float | None = None) -> float:
    value = price if price is not None else settings().bq_price_per_tib
    if value < 0:
        raise ValueError(f"price per TiB must be 0 or more, got {value}")
    return value


@dataclass(frozen=True)
class RelationRead:
    relation: str  # dataset.table (a view's tables, not the view)
    low: date | None
    high: date | None
    rows: int
    bytes: int


@dataclass
class ModelEstimate:
    model: str  # dataset.table
    phase: int | None
    bytes: int
    reads: list[RelationRead] = field(default_factory=list)  # partition metadata only


@dataclass
class CostEstimate:
    start: date
    end: date
    project: str
    method: str
    price_per_tib: float
    models: list[ModelEstimate]

    @property
    def total_bytes(self) -> int:
        return sum(model.bytes for model in self.models)

    @property
    def cost(self) -> float:
        return self.total_bytes / TIB * self.price_per_tib

    def as_dict(self) -> dict:
        return {
            "window": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "project": self.project,
            "method": self.method,
            "price_per_tib": self.price_per_tib,
            "total_bytes": self.total_bytes,
            "cost": round(self.cost, 6),
            "models": [{"model": m.model, "phase": m.phase, "bytes": m.bytes} for m in self.models],
        }

    def to_json(self) -> str:
        return json.dumps({"bigquery": self.as_dict(), "plan": PLAN_NOTE}, indent=2)

    def describe(self) -> str:
        how = (
            "BigQuery's dry-run query jobs"
            if self.method == DRY_RUN
            else "partition metadata (no dry runs here): rows of the day partitions read x row width, "
            "every column counted"
        )
        width = max([len(m.model) for m in self.models] + [5])
        lines = [
            f"BigQuery {self.project}: bytes processed for {self.start}..{self.end}, from {how}",
            f"  {'model'.ljust(width)}  phase  {'bytes':>12}",
        ]
        lines += [
            f"  {m.model.ljust(width)}  {str(m.phase or '-'):>5}  {format_bytes(m.bytes):>12}"
            for m in sorted(self.models, key=lambda m: (-m.bytes, m.model))
        ]
        lines.append(
            f"  total {format_bytes(self.total_bytes)}: ${self.cost:,.4f} at ${self.price_per_tib:g} per TiB "
            "(before the 10 MiB minimum per query)"
        )
        lines.append(PLAN_NOTE)
        return "\n".join(lines)


PLAN_NOTE = (
    "the per-phase plan (forward cascade, BLOCKED dates, duration) reads coverage from the DuckDB "
    "warehouse: on the BigQuery target this estimate covers the requested range as given"
)


def format_bytes(value: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:,.1f} TiB"


# ---------------------------------------------------------------- compiled SQL


def compiled_models(
    start: date, end: date, phases: list[Phase]
) -> tuple[list[tuple[str, int | None, str]], dict[str, str]]:
    """(dataset.table, phase, compiled SQL) of every dated model of the phases, compiled for [start, end], and
    the compiled SQL of every view (dataset.view -> SQL: what a view reads, where the API does not say)."""
    from orchestration.dbt_invoke import DbtProject

    project = DbtProject()
    selectors = [part for phase in phases if phase.dbt_selector for part in phase.dbt_selector.split()]
    if not selectors:
        return [], {}
    result = project.invoke(["compile", "--select", *selectors, "config.materialized:view"], start, end)
    if not result.succeeded:
        raise RuntimeError(f"dbt compile for {start}..{end} failed: {result.failure_summary()}")
    manifest = project.manifest()
    compiled_root = Path(project.target_path) / "compiled" / manifest.metadata.project_name
    selected = {node.unique_id for node in result.nodes}
    models, views = [], {}
    for unique_id in sorted(selected):
        node = manifest.nodes[unique_id]
        if node.resource_type != "model":
            continue
        sql = (compiled_root / node.original_file_path).read_text()
        if node.config.materialized == "view":
            views[f"{node.schema}.{node.alias}"] = sql
        elif node.config.materialized in ("incremental", "table"):
            models.append((f"{node.schema}.{node.alias}", phase_of_tags(node.tags), sql))
    return models, views


def _literal_date(node) -> date | None:
    from sqlglot import exp

    text = node.sql(dialect="bigquery")
    match = _DATE_LITERAL.match(text) or re.match(r"^CAST\('(\d{4}-\d{2}-\d{2})' AS DATE\)$", text)
    if match:
        return date.fromisoformat(match.group(1))
    if isinstance(node, exp.Literal) and node.is_string and re.fullmatch(r"\d{4}-\d{2}-\d{2}", node.this):
        return date.fromisoformat(node.this)
    return None


def _date_bounds(where, alias: str | None) -> tuple[date | None, date | None]:
    """The literal bounds a WHERE clause puts on game_date (of `alias`, or unqualified)."""
    from sqlglot import exp

    low = high = None

    def ours(column) -> bool:
        return (
            isinstance(column, exp.Column)
            and column.name == "game_date"
            and (not column.table or column.table == alias)
        )

    for node in where.find_all(exp.Between, exp.GTE, exp.GT, exp.LTE, exp.LT, exp.EQ, exp.In):
        if isinstance(node, exp.Between) and ours(node.this):
            low, high = _literal_date(node.args["low"]), _literal_date(node.args["high"])
        elif isinstance(node, (exp.GTE, exp.GT)) and ours(node.this):
            low = _literal_date(node.expression)
        elif isinstance(node, (exp.LTE, exp.LT)) and ours(node.this):
            high = _literal_date(node.expression)
        elif isinstance(node, exp.EQ) and ours(node.this):
            low = high = _literal_date(node.expression)
        elif isinstance(node, exp.In) and ours(node.this):
            values = [_literal_date(v) for v in node.expressions]
            if values and None not in values:
                low, high = min(values), max(values)
    return low, high


def partitioned_reads(sql: str, project: str) -> list[tuple[str, date | None, date | None]]:
    """Every read of a pipeline table or view in `sql`: (dataset.table, lowest date read, highest date read);
    None where the SQL puts no literal bound on game_date."""
    import sqlglot
    from sqlglot import exp

    reads = []
    for table in sqlglot.parse_one(sql, dialect="bigquery").find_all(exp.Table):
        if (table.catalog and table.catalog != project) or table.db not in ALL_DATASETS:
            continue
        select = table.find_ancestor(exp.Select)
        where = select.args.get("where") if select else None
        low, high = _date_bounds(where, table.alias_or_name) if where is not None else (None, None)
        reads.append((f"{table.db}.{table.name}", low, high))
    return reads


# ---------------------------------------------------------------- the two methods


def _dry_run_bytes(client, sql: str) -> int:
    from google.cloud import bigquery

    job = client.query(sql, job_config=bigquery.QueryJobConfig(dry_run=True, use_query_cache=False))
    return int(job.total_bytes_processed or 0)


def _dry_runs_refused(error: Exception) -> bool:
    return "dry-run" in str(error).lower() or "dry run" in str(error).lower()


class PartitionMetadata:
    """Rows per day partition and row widths of the tables a model reads (read once per table)."""

    def __init__(self, client, project: str, views: dict[str, str] | None = None):
        self.client, self.project = client, project
        self.views = views or {}  # dataset.view -> its SQL, where the API gives none (the emulator)
        self._tables: dict[str, object] = {}
        self._rows_by_day: dict[str, dict[date, int]] = {}

    def _table(self, relation: str):
        if relation not in self._tables:
            self._tables[relation] = self.client.get_table(f"{self.project}.{relation}")
        return self._tables[relation]

    def row_width(self, relation: str) -> int:
        return sum(TYPE_BYTES.get(f.field_type.upper(), ASSUMED_STRING_BYTES) for f in self._table(relation).schema)

    def rows(self, relation: str, low: date | None, high: date | None) -> int:
        table = self._table(relation)
        if table.time_partitioning is None or table.time_partitioning.field != "game_date":
            return int(table.num_rows or 0)
        if relation not in self._rows_by_day:
            result = self.client.query(
                f"select game_date, count(*) as n from `{self.project}.{relation}` group by game_date"
            ).result()
            self._rows_by_day[relation] = {row["game_date"]: row["n"] for row in result}
        return sum(
            n
            for day, n in self._rows_by_day[relation].items()
            if (low is None or day >= low) and (high is None or day <= high)
        )

    def reads(self, relation: str, low: date | None, high: date | None) -> list[RelationRead]:
        """The tables behind a relation (a view is followed to its tables, the outer date bounds kept)."""
        table = self._table(relation)
        view_sql = (table.view_query or self.views.get(relation)) if table.table_type == "VIEW" else None
        if view_sql:
            found = []
            for inner, inner_low, inner_high in partitioned_reads(view_sql, self.project):
                found += self.reads(inner, _latest(inner_low, low), _earliest(inner_high, high))
            return found
        rows = self.rows(relation, low, high)
        return [RelationRead(relation, low, high, rows, rows * self.row_width(relation))]


def _latest(a: date | None, b: date | None) -> date | None:
    return max(d for d in (a, b) if d is not None) if (a or b) else None


def _earliest(a: date | None, b: date | None) -> date | None:
    return min(d for d in (a, b) if d is not None) if (a or b) else None


def estimate_bigquery_backfill(
    start: date, end: date, phases: list[Phase], price_per_tib: float | None = None
) -> CostEstimate:
    """Bytes each dated model of the phases will process over [start, end] on the prod target."""
    settings = BigQuerySettings.from_env()
    client = settings.client()
    price = resolve_price_per_tib(price_per_tib)
    models, views = compiled_models(start, end, phases)
    estimates: list[ModelEstimate] = []
    method = DRY_RUN
    for model, phase, sql in models:
        if method == DRY_RUN:
            try:
                estimates.append(ModelEstimate(model, phase, _dry_run_bytes(client, sql)))
                continue
            except Exception as error:  # google.api_core BadRequest, NotImplemented ...
                if not _dry_runs_refused(error):
                    raise
                method, estimates = PARTITION_METADATA, []
                break
    if method == PARTITION_METADATA:
        metadata = PartitionMetadata(client, settings.project, views)
        for model, phase, sql in models:
            reads = [
                read
                for relation, low, high in partitioned_reads(sql, settings.project)
                for read in metadata.reads(relation, low, high)
            ]
            estimates.append(ModelEstimate(model, phase, sum(r.bytes for r in reads), reads))
    return CostEstimate(start, end, settings.project, method, price, estimates)
