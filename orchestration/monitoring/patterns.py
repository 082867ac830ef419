"""`nba-pipeline report patterns`: how the pipeline behaves over weeks, and the decision queries.

Read from what runs record (nothing here writes):
- runs per runner and status (`pipeline_runs`, a dead process reads `interrupted`);
- per phase: steps run, failures, p50/p95 duration (`pipeline_step_runs`); per dbt model: builds,
  failures, p50/p95 of dbt's own execution time (`dbt_node_timings`), slowest first;
- skips per reason (`pipeline_run_history`): smart skip (`unchanged_inputs`), early exits
  (`historical_date`), open circuits, no games, upstream failures;
- circuit-breaker trips and time open (the `circuit_open` / `circuit_closed` alerts, the state now);
- alerts per category and severity;
- decision queries: duplicate processing (a table and date built again from the same input version:
  `date_build_inputs`), gaps per phase and age (`data_gaps`), heal success rate.

The same tables render as text (the CLI), Markdown (the Dagster coverage asset's metadata) and HTML
with charts (patterns_html.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from orchestration.completeness import existing_tables
from orchestration.run_history import RUN_HISTORY, recent_runs
from orchestration.step_history import BUILD_INPUTS, NODE_TIMINGS, STEP_KIND_SQL, STEP_RUNS

ALERTS, ALERT_DETAILS = "nba_orchestration.alerts", "nba_orchestration.alert_details"
BREAKERS, GAPS = "nba_orchestration.circuit_breaker_state", "nba_orchestration.data_gaps"
SMART_SKIP, EARLY_EXIT = "unchanged_inputs", "historical_date"
AGE_BUCKETS = ((0, 1, "0-1 d"), (2, 7, "2-7 d"), (8, 30, "8-30 d"), (31, None, "31+ d"))
SEVERITY_COLUMNS = ("critical", "error", "warning", "info")


@dataclass
class Table:
    key: str
    title: str
    header: list[str]
    rows: list[list] = field(default_factory=list)
    note: str = ""

    def cells(self) -> list[list[str]]:
        return [[_cell(value) for value in row] for row in self.rows]


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@dataclass
class PatternsReport:
    since: date | None
    tables: list[Table]

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    def text(self) -> str:
        lines = [f"patterns since {self.since or 'the first run'}"]
        for table in self.tables:
            lines += ["", f"== {table.title}"]
            if table.note:
                lines.append(table.note)
            lines.append(_plain(table) if table.rows else "(nothing recorded)")
        return "\n".join(lines)

    def markdown(self) -> str:
        parts = []
        for table in self.tables:
            parts.append(f"**{table.title}**" + (f"  \n{table.note}" if table.note else ""))
            if table.rows:
                parts.append(
                    "\n".join(
                        [
                            "| " + " | ".join(table.header) + " |",
                            "|" + "|".join("---" for _ in table.header) + "|",
                            *("| " + " | ".join(row) + " |" for row in table.cells()),
                        ]
                    )
                )
            else:
                parts.append("_nothing recorded_")
        return "\n\n".join(parts)


def _plain(table: Table) -> str:
    rows = table.cells()
    widths = [max(len(r[i]) for r in [table.header, *rows]) for i in range(len(table.header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join([line(table.header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


# ---------------------------------------------------------------- the queries


def patterns_report(con, since: date | None = None, now: datetime | None = None) -> PatternsReport:
    tables = existing_tables(con)
    now = now or datetime.now()
    since_at = datetime.combine(since, datetime.min.time()) if since else datetime.min
    return PatternsReport(
        since,
        [
            _runs(con, since_at),
            _phases(con, tables, since_at),
            _models(con, tables, since_at),
            _skips(con, tables, since_at),
            _breakers(con, tables, since_at, now),
            _alerts(con, tables, since_at),
            _duplicates(con, tables, since_at),
            _gaps(con, tables, since_at),
            _healing(con, tables, since_at),
        ],
    )


def _runs(con, since_at: datetime) -> Table:
    table = Table(
        "runs",
        "Runs per runner and status",
        ["runner", "runs", "success", "partial", "failed", "blocked", "nothing_to_do", "interrupted", "running"],
    )
    counts: dict[str, dict[str, int]] = {}
    for run in recent_runs(con, limit=1_000_000):
        if run.started_at >= since_at:
            by_status = counts.setdefault(run.runner, {})
            by_status[run.effective_status] = by_status.get(run.effective_status, 0) + 1
    for runner, by_status in sorted(counts.items()):
        table.rows.append([runner, sum(by_status.values()), *(by_status.get(s, 0) for s in table.header[2:])])
    return table


def _phases(con, tables: set[str], since_at: datetime) -> Table:
    table = Table(
        "phases",
        "Steps per phase: runs, failures, duration (s) of the steps that built it",
        ["phase", "step", "steps run", "failed", "skipped", "p50 s", "p95 s", "max s", "game dates built"],
    )
    if STEP_RUNS not in tables:
        return table
    steps: dict[tuple[int, str], list[tuple[str, float, int]]] = {}
    # one row per step; its phases ("3,4") split and its percentiles taken here, the same on every warehouse
    for phases, kind, status, seconds, game_dates in con.execute(
        f"select phases, {STEP_KIND_SQL} as kind, status, duration_seconds, game_dates from {STEP_RUNS} "
        "where started_at >= ?",
        [since_at],
    ).fetchall():
        for phase in (int(part) for part in phases.split(",") if part):
            steps.setdefault((phase, kind), []).append((status, seconds, game_dates))
    for (phase, kind), rows in sorted(steps.items()):
        built = [seconds for status, seconds, dates in rows if status == "success" and dates > 0]
        succeeded = [(seconds, dates) for status, seconds, dates in rows if status == "success"]
        table.rows.append(
            [
                phase,
                kind,
                sum(1 for status, _, _ in rows if status != "skipped"),
                sum(1 for status, _, _ in rows if status == "failed"),
                sum(1 for status, _, _ in rows if status == "skipped"),
                quantile(built, 0.5),
                quantile(built, 0.95),
                max((seconds for seconds, _ in succeeded), default=None),
                sum(dates for _, dates in succeeded),
            ]
        )
    return table


def quantile(values: list[float], q: float) -> float | None:
    """The q-quantile with linear interpolation between the closest ranks (DuckDB's quantile_cont; BigQuery
    has PERCENTILE_CONT only as a window function); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _models(con, tables: set[str], since_at: datetime) -> Table:
    table = Table(
        "models",
        "dbt models, slowest first (dbt's execution time per build, s)",
        ["model", "phase", "builds", "failed", "p50 s", "p95 s", "total s"],
    )
    if NODE_TIMINGS not in tables:
        return table
    timings: dict[tuple[str, int | None], list[tuple[str, float]]] = {}
    for relation, phase, status, seconds in con.execute(
        f"select relation, phase, status, execution_seconds from {NODE_TIMINGS} "
        "where resource_type = 'model' and status != 'skipped' and started_at >= ?",
        [since_at],
    ).fetchall():
        timings.setdefault((relation, phase), []).append((status, seconds))
    rows = []
    for (relation, phase), builds in timings.items():
        seconds = [value for _, value in builds]
        failed = sum(1 for status, _ in builds if status in ("error", "runtime error"))
        rows.append(
            [relation, phase, len(builds), failed, quantile(seconds, 0.5), quantile(seconds, 0.95), sum(seconds)]
        )
    table.rows = sorted(rows, key=lambda row: (-row[5], -row[6], row[0] or ""))
    return table


def _skips(con, tables: set[str], since_at: datetime) -> Table:
    table = Table(
        "skips",
        "Skips per reason (rows of run history: a table or phase and a date)",
        ["reason", "rows", "share of rows", "runs"],
        note=f"smart skip = {SMART_SKIP}; early exit = {EARLY_EXIT} (normal mode leaves old dates "
        "to backfills); circuit_open = an open breaker",
    )
    if RUN_HISTORY not in tables:
        return table
    total = con.execute(f"select count(*) from {RUN_HISTORY} where started_at >= ?", [since_at]).fetchone()[0]
    rows = con.execute(
        f"""
        select skip_reason, count(*) as skipped_rows, count(distinct run_id) as runs from {RUN_HISTORY}
        where started_at >= ? and skip_reason is not null group by skip_reason order by skipped_rows desc, skip_reason""",
        [since_at],
    ).fetchall()
    table.rows = [[reason, count, f"{100.0 * count / total:.1f}%", runs] for reason, count, runs in rows]
    skipped = {reason: count for reason, count, _ in rows}
    table.note = (
        f"{total:,} rows; smart-skip rate {_share(skipped.get(SMART_SKIP, 0), total)}, "
        f"early exits {_share(skipped.get(EARLY_EXIT, 0), total)}. " + table.note
    )
    return table


def _share(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def _alert_rows(con, tables: set[str], since_at: datetime, categories: tuple[str, ...] | None = None) -> list[tuple]:
    """(category, severity, created_at, context) of every alert (digest rows left out)."""
    if ALERTS not in tables:
        return []
    details = ALERT_DETAILS in tables
    category = "coalesce(d.category, a.source)" if details else "a.source"
    join = f"left join {ALERT_DETAILS} d using (alert_id)" if details else ""
    context = "d.context" if details else "null"
    filters = f" and {category} in ({', '.join('?' * len(categories))})" if categories else ""
    return con.execute(
        f"""
        select {category}, a.severity, a.created_at, {context} from {ALERTS} a {join}
        where a.delivery != 'digest' and a.created_at >= ?{filters} order by a.created_at""",
        [since_at, *(categories or ())],
    ).fetchall()


def _breakers(con, tables: set[str], since_at: datetime, now: datetime) -> Table:
    table = Table("breakers", "Circuit breakers: trips and time open", ["breaker", "trips", "time open", "state now"])
    opened: dict[str, datetime | None] = {}
    trips: dict[str, int] = {}
    seconds_open: dict[str, float] = {}
    for category, _, created, context in _alert_rows(con, tables, since_at, ("circuit_open", "circuit_closed")):
        key = (json.loads(context) if context else {}).get("breaker") or "?"
        if category == "circuit_open":
            trips[key] = trips.get(key, 0) + 1
            if opened.get(key) is None:
                opened[key] = created
        elif opened.get(key) is not None:
            seconds_open[key] = seconds_open.get(key, 0.0) + (created - opened[key]).total_seconds()
            opened[key] = None
    states = dict(con.execute(f"select breaker_key, state from {BREAKERS}").fetchall()) if BREAKERS in tables else {}
    for key, since_open in opened.items():
        if since_open is not None and states.get(key, "OPEN") != "CLOSED":  # still open now
            seconds_open[key] = seconds_open.get(key, 0.0) + (now - since_open).total_seconds()
    for key in sorted(set(trips) | {k for k, s in states.items() if s != "CLOSED"}):
        table.rows.append([key, trips.get(key, 0), _duration(seconds_open.get(key, 0.0)), states.get(key, "-")])
    return table


def _duration(seconds: float) -> str:
    from orchestration.estimates import format_seconds

    return format_seconds(seconds)


def _alerts(con, tables: set[str], since_at: datetime) -> Table:
    table = Table("alerts", "Alerts per category", ["category", "alerts", *SEVERITY_COLUMNS, "last"])
    found: dict[str, list] = {}
    for category, severity, created, _ in _alert_rows(con, tables, since_at):
        row = found.setdefault(category, [category, 0, 0, 0, 0, 0, None])
        row[1] += 1
        if severity in SEVERITY_COLUMNS:
            row[2 + SEVERITY_COLUMNS.index(severity)] += 1
        row[6] = created.strftime("%Y-%m-%d %H:%M")
    table.rows = sorted(found.values(), key=lambda row: (-row[1], row[0]))
    return table


def _duplicates(con, tables: set[str], since_at: datetime) -> Table:
    table = Table(
        "duplicates",
        "Duplicate processing: dates built again from unchanged inputs",
        ["phase", "dates rebuilt unchanged", "extra table builds", "table-dates built", "share wasted"],
        note="a table and date built by several runs from the same input version (date_build_inputs)",
    )
    if BUILD_INPUTS not in tables:
        return table
    table.rows = [
        [phase, dates, extra, built, _share(extra, built)]
        for phase, dates, extra, built in con.execute(
            f"""
        with builds as (
            select phase, relation, game_date, input_version, count(distinct run_id) as runs
            from {BUILD_INPUTS} where recorded_at >= ? and input_version is not null group by all
        )
        select phase, count(distinct game_date) filter (where runs > 1),
               cast(sum(runs - 1) as integer), cast(sum(runs) as integer)
        from builds group by phase order by phase""",
            [since_at],
        ).fetchall()
    ]
    return table


def _gaps(con, tables: set[str], since_at: datetime) -> Table:
    header = ["phase", "kind", "gaps", *(label for _, _, label in AGE_BUCKETS)]
    table = Table("gaps", "Gaps found per phase, kind and age (days from the game date to the scan)", header)
    if GAPS not in tables:
        return table
    buckets = ", ".join(
        f"count(*) filter (where gap_age_days >= {low}" + (f" and gap_age_days <= {high})" if high else ")")
        for low, high, _ in AGE_BUCKETS
    )
    table.rows = [
        list(row)
        for row in con.execute(
            f"""
        select phase_to, gap_kind, count(*), {buckets} from {GAPS}
        where detected_at >= ? group by phase_to, gap_kind order by phase_to, gap_kind""",
            [since_at],
        ).fetchall()
    ]
    return table


def _healing(con, tables: set[str], since_at: datetime) -> Table:
    table = Table(
        "healing",
        "Healing: gaps a heal run was launched for",
        ["phase", "gaps", "healed", "failed", "in progress", "success rate"],
    )
    if GAPS not in tables:
        return table
    rows = con.execute(
        f"""
        select phase_to, count(*), count(*) filter (where healing_status = 'complete'),
               count(*) filter (where healing_status = 'failed'),
               count(*) filter (where healing_status in ('pending', 'triggered'))
        from {GAPS} where heal_run_id is not null and detected_at >= ? group by phase_to order by phase_to""",
        [since_at],
    ).fetchall()
    table.rows = [
        [phase, gaps, healed, failed, waiting, _share(healed, healed + failed)]
        for phase, gaps, healed, failed, waiting in rows
    ]
    if rows:
        healed, failed = sum(r[2] for r in rows), sum(r[3] for r in rows)
        table.note = f"heal success rate {_share(healed, healed + failed)} ({healed} healed, {failed} failed)"
    return table
