"""Gaps between phases, found from the data and recorded in `nba_orchestration.data_gaps`.

For every phase pair (schedule->2, 2->3, 3->4, 4->5, 5->6) a game date is a gap
when
- **missing**: upstream is complete for the date and downstream lacks games
  (for schedule->2: the schedule has final games whose box scores are absent);
- **stale**: downstream holds every game, but some table of it recorded input
  versions that differ from its inputs now: its windows were computed from data
  that has since changed (completeness.py, macros/freshness.sql);
- **unverified**: downstream holds every game, but the build that wrote it did
  not pass its gates (killed before its tests, or a test failed).

A rescan never duplicates an open gap (pending / triggered / failed): it
refreshes it; an open gap no longer found is closed as `complete`; a gap
someone marked `ignored` stays ignored.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime

import pandas as pd

from orchestration.completeness import (
    MISSING,
    PARTIAL,
    PARTIAL_SEASON,
    STALE,
    UNVERIFIED,
    DateCoverage,
    coverage_by_date,
    existing_tables,
    partial_seasons,
    season_bounds,
    season_of,
)
from orchestration.dates import format_date_ranges
from orchestration.phases import PHASES, Phase
from orchestration.warehouse import Session, as_session
from orchestration.warehouse.schema import ORCHESTRATION_SCHEMA, ORCHESTRATION_TABLES

SCHEDULE_PHASE = 1  # phase_from of schedule->2: the schedule of the landing files (phase 1)
OPEN_STATUSES = ("pending", "triggered", "failed")
HEALING_STATUSES = ("pending", "triggered", "complete", "failed", "ignored")
GAP_KINDS = ("missing", "stale", "unverified")

DATA_GAPS_DDL = ORCHESTRATION_TABLES["data_gaps"]
GAPS = f"{ORCHESTRATION_SCHEMA}.data_gaps"


def ensure_gaps_table(con) -> None:
    as_session(con).ensure_tables(GAPS)


@dataclass(frozen=True)
class PhasePair:
    upstream: int
    downstream: int

    @property
    def label(self) -> str:
        source = "schedule" if self.upstream == SCHEDULE_PHASE else str(self.upstream)
        return f"{source}->{self.downstream}"


def phase_pairs(phases: tuple[Phase, ...] = PHASES) -> list[PhasePair]:
    numbers = [phase.number for phase in phases]
    return [PhasePair(SCHEDULE_PHASE, numbers[0])] + [PhasePair(a, b) for a, b in zip(numbers, numbers[1:])]


def pair_label(phase_from: int, phase_to: int) -> str:
    return PhasePair(phase_from, phase_to).label


@dataclass(frozen=True)
class Gap:
    """A gap as the data shows it now (not yet recorded)."""

    phase_from: int
    phase_to: int
    game_date: date
    season_year: int
    kind: str
    detail: str

    @property
    def key(self) -> tuple[int, int, date]:
        return (self.phase_from, self.phase_to, self.game_date)


@dataclass
class GapRecord:
    """A row of `data_gaps` (gap_id None: found by `current_gaps`, not recorded yet)."""

    gap_id: str | None
    detected_at: datetime
    phase_from: int
    phase_to: int
    game_date: date
    gap_kind: str
    gap_age_days: int
    healing_status: str
    healed_at: datetime | None
    last_seen_at: datetime
    heal_run_id: str | None
    triggered_at: datetime | None
    alerted_at: datetime | None
    detail: str | None

    @property
    def key(self) -> tuple[int, int, date]:
        return (self.phase_from, self.phase_to, self.game_date)

    @property
    def pair(self) -> str:
        return pair_label(self.phase_from, self.phase_to)

    def to_json(self) -> dict:
        payload = asdict(self)
        payload["pair"] = self.pair
        for name, value in payload.items():
            if isinstance(value, (date, datetime)):
                payload[name] = value.isoformat()
        return payload


@dataclass
class ScanResult:
    found: list[Gap]
    open_gaps: list[GapRecord]
    new: int
    closed: int

    def by_pair(self) -> dict[str, list[GapRecord]]:
        grouped: dict[str, list[GapRecord]] = {}
        for gap in self.open_gaps:
            grouped.setdefault(gap.pair, []).append(gap)
        return grouped


# ---------------------------------------------------------------- finding


def _index(coverage: list[DateCoverage]) -> dict[int, dict[date, DateCoverage]]:
    by_phase: dict[int, dict[date, DateCoverage]] = {}
    for item in coverage:
        by_phase.setdefault(item.phase, {})[item.game_date] = item
    return by_phase


def find_gaps(
    con: Session,
    phases: tuple[Phase, ...] = PHASES,
    start: date | None = None,
    end: date | None = None,
    coverage: list[DateCoverage] | None = None,
) -> list[Gap]:
    """Every gap the data shows now, in phase-pair then date order. `coverage`: the caller's
    `coverage_by_date(con, phases)` when it has one, so the warehouse is scanned once.

    Gaps are reported where they start: a date downstream of an upstream gap is left to that
    gap (its heal rebuilds every later phase with the forward cascade), so one hole in Phase 3
    is one gap, not one per later phase and date whose window reads it."""
    coverage = _index(coverage if coverage is not None else coverage_by_date(con, phases))
    bounds = season_bounds(con)

    def in_range(day):
        return (start is None or day >= start) and (end is None or day <= end)

    gaps: list[Gap] = []
    for season in partial_seasons(con).values():  # a season loaded in part: its start is the gap
        if in_range(season.calendar_start):
            gaps.append(
                Gap(
                    SCHEDULE_PHASE,
                    phase_pairs(phases)[0].downstream,
                    season.calendar_start,
                    season.season_year,
                    "missing",
                    season.describe(),
                )
            )
    for pair in phase_pairs(phases):
        downstream = coverage.get(pair.downstream, {})
        upstream = coverage.get(pair.upstream, {})
        first_upstream_gap = _first_incomplete_per_season(upstream, bounds)
        for day in sorted(downstream):
            if not in_range(day):
                continue
            down = downstream[day]
            season = season_of(day, bounds)
            upstream_window_complete = pair.upstream == SCHEDULE_PHASE or not (
                season in first_upstream_gap and first_upstream_gap[season] <= day
            )
            if down.state == PARTIAL_SEASON:
                continue  # the season's start gap (above) stands for it
            if down.state in (MISSING, PARTIAL):
                if pair.upstream != SCHEDULE_PHASE and not (day in upstream and upstream[day].is_complete):
                    continue  # the upstream pair's gap: healed from there
                source = "the schedule" if pair.upstream == SCHEDULE_PHASE else f"phase {pair.upstream}"
                detail = (
                    f"{down.present_games} of {down.final_games} final games present in phase "
                    f"{pair.downstream}; {source} has them all"
                )
                gaps.append(Gap(pair.upstream, pair.downstream, day, down.season_year, "missing", detail))
            elif not upstream_window_complete:
                continue  # stale or unverified because of an upstream gap
            elif down.state == UNVERIFIED:
                detail = (
                    f"built, not verified: the build that wrote {', '.join(down.unverified_tables)} "
                    "did not pass its gates (killed before its tests, or a test failed)"
                )
                gaps.append(Gap(pair.upstream, pair.downstream, day, down.season_year, "unverified", detail))
            elif down.state == STALE:
                detail = (
                    f"stale: {', '.join(down.stale_tables)} recorded input versions that differ from "
                    "their inputs now (an upstream date of the window changed since it was built)"
                )
                gaps.append(Gap(pair.upstream, pair.downstream, day, down.season_year, "stale", detail))
    return sorted(gaps, key=lambda gap: gap.key)


def _first_incomplete_per_season(cells: dict[date, DateCoverage], bounds) -> dict[int, date]:
    """season -> its first date not complete in this phase (a gap every later window of it reads)."""
    first: dict[int, date] = {}
    for day in sorted(cells):
        if not cells[day].is_complete:
            season = season_of(day, bounds)
            if season is not None and season not in first:
                first[season] = day
    return first


# ---------------------------------------------------------------- recording

_COLUMNS = [
    "gap_id",
    "detected_at",
    "phase_from",
    "phase_to",
    "game_date",
    "gap_kind",
    "gap_age_days",
    "healing_status",
    "healed_at",
    "last_seen_at",
    "heal_run_id",
    "triggered_at",
    "alerted_at",
    "detail",
]


def _rows(con: Session, where: str, params: list | None = None) -> list[GapRecord]:
    if "nba_orchestration.data_gaps" not in existing_tables(con):
        return []  # nothing recorded yet (and a read-only connection cannot create it)
    rows = con.execute(
        f"select {', '.join(_COLUMNS)} from nba_orchestration.data_gaps where {where} "
        "order by phase_from, phase_to, game_date",
        params or [],
    ).fetchall()
    return [GapRecord(*row) for row in rows]


def open_gaps(con: Session) -> list[GapRecord]:
    statuses = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
    return _rows(con, f"healing_status in ({statuses})")


def all_gaps(con: Session) -> list[GapRecord]:
    return _rows(con, "true")


@dataclass
class _Merge:
    """What a scan changes in data_gaps: gaps to insert, open rows to refresh, open rows no longer found."""

    new: list[Gap]
    refreshed: list[tuple[GapRecord, Gap]]
    closed: list[GapRecord]


def _merge(con: Session, found: list[Gap]) -> _Merge:
    existing_open = {gap.key: gap for gap in open_gaps(con)}
    ignored = {gap.key for gap in _rows(con, "healing_status = 'ignored'")}
    found_keys = {gap.key for gap in found}
    return _Merge(
        new=[gap for gap in found if gap.key not in existing_open and gap.key not in ignored],
        refreshed=[(existing_open[gap.key], gap) for gap in found if gap.key in existing_open],
        closed=[gap for key, gap in existing_open.items() if key not in found_keys],
    )


def _pending(gap: Gap, today: date, now: datetime, gap_id: str | None) -> GapRecord:
    """The row recording inserts for a gap seen for the first time (gap_id None: not recorded yet)."""
    age = (today - gap.game_date).days
    return GapRecord(
        gap_id,
        now,
        gap.phase_from,
        gap.phase_to,
        gap.game_date,
        gap.kind,
        age,
        "pending",
        None,
        now,
        None,
        None,
        None,
        gap.detail,
    )


# Open gaps refreshed per statement: a few hundred keep a statement far below BigQuery's 1 MB query text.
REFRESH_BATCH = 200


def _refresh(con: Session, refreshed: list[tuple[GapRecord, Gap]], today: date, now: datetime) -> None:
    """Today's kind, age and detail on these open rows, in one statement (one job on BigQuery, not one per gap:
    a heal refreshes every gap of the schedule's dates not loaded yet): each value picked by gap_id."""

    def by_gap(column_type: str, value_of) -> tuple[str, list]:
        branches = " ".join(f"when ? then cast(? as {column_type})" for _ in refreshed)
        return f"case gap_id {branches} end", [v for record, gap in refreshed for v in (record.gap_id, value_of(gap))]

    kind, kind_params = by_gap("varchar", lambda gap: gap.kind)
    age, age_params = by_gap("integer", lambda gap: (today - gap.game_date).days)
    detail, detail_params = by_gap("varchar", lambda gap: gap.detail)
    gap_ids = [record.gap_id for record, _ in refreshed]
    con.execute(
        f"update nba_orchestration.data_gaps set gap_kind = {kind}, gap_age_days = {age}, last_seen_at = ?, "
        f"detail = {detail} where gap_id in ({', '.join('?' * len(gap_ids))})",
        [*kind_params, *age_params, now, *detail_params, *gap_ids],
    )


def record_gaps(con: Session, found: list[Gap], today: date | None = None, now: datetime | None = None) -> ScanResult:
    """Merge what a scan found into data_gaps: insert new, refresh open, close healed (one transaction on
    DuckDB; on BigQuery each statement commits alone, and the next scan redoes what a kill left undone)."""
    con = as_session(con)
    ensure_gaps_table(con)
    today = today or date.today()
    now = now or datetime.now()
    merge = _merge(con, found)
    inserts = [asdict(_pending(gap, today, now, uuid.uuid4().hex[:16])) for gap in merge.new]
    closed = [record.gap_id for record in merge.closed]

    with con.transaction():
        if inserts:
            frame = pd.DataFrame(inserts, columns=_COLUMNS)
            frame["healed_at"] = pd.to_datetime(frame["healed_at"])
            frame["alerted_at"] = pd.to_datetime(frame["alerted_at"])
            frame["triggered_at"] = pd.to_datetime(frame["triggered_at"])
            frame["heal_run_id"] = frame["heal_run_id"].astype("object")
            con.append(GAPS, frame)
        for start in range(0, len(merge.refreshed), REFRESH_BATCH):
            _refresh(con, merge.refreshed[start : start + REFRESH_BATCH], today, now)
        if closed:
            con.execute(
                "update nba_orchestration.data_gaps set healing_status = 'complete', healed_at = ? "
                f"where gap_id in ({', '.join('?' * len(closed))})",
                [now, *closed],
            )
    return ScanResult(found, open_gaps(con), len(inserts), len(closed))


def scan_gaps(
    con: Session,
    today: date | None = None,
    now: datetime | None = None,
    phases: tuple[Phase, ...] = PHASES,
) -> ScanResult:
    """Find the gaps in the data and record them: what the healer and the Dagster sensor start with."""
    return record_gaps(con, find_gaps(con, phases), today, now)


def current_gaps(
    con: Session,
    today: date | None = None,
    now: datetime | None = None,
    phases: tuple[Phase, ...] = PHASES,
    found: list[Gap] | None = None,
) -> ScanResult:
    """What `scan_gaps` would record, without writing (`nba-pipeline gaps` reads a read-only warehouse).

    A gap already recorded keeps its row (id, healing status) with today's kind, age and detail; a gap not
    recorded yet comes with no id and status pending, as recording would insert it; `new` and `closed`
    count what the next recording scan will insert and close. `found`: the caller's `find_gaps(con)`."""
    today = today or date.today()
    now = now or datetime.now()
    found = found if found is not None else find_gaps(con, phases)
    merge = _merge(con, found)
    current = [
        replace(
            record, gap_kind=gap.kind, gap_age_days=(today - gap.game_date).days, last_seen_at=now, detail=gap.detail
        )
        for record, gap in merge.refreshed
    ]
    current += [_pending(gap, today, now, None) for gap in merge.new]
    current.sort(key=lambda record: record.key)
    return ScanResult(found, current, len(merge.new), len(merge.closed))


def set_gap_status(
    con: Session,
    gap_ids: list[str],
    status: str,
    run_id: str | None = None,
    detail: str | None = None,
    now: datetime | None = None,
) -> None:
    if status not in HEALING_STATUSES:
        raise ValueError(f"healing status {status!r} is not one of {HEALING_STATUSES}")
    if not gap_ids:
        return
    con = as_session(con)
    ensure_gaps_table(con)
    now = now or datetime.now()
    con.execute(  # one statement for every gap (one job on BigQuery)
        "update nba_orchestration.data_gaps set healing_status = ?, heal_run_id = coalesce(?, heal_run_id), "
        "detail = coalesce(?, detail), "
        "healed_at = case when ? = 'complete' then ? else healed_at end, "
        "triggered_at = case when ? = 'triggered' then ? else triggered_at end "
        f"where gap_id in ({', '.join('?' * len(gap_ids))})",
        [status, run_id, detail, status, now, status, now, *gap_ids],
    )


def mark_alerted(con: Session, gap_ids: list[str], now: datetime | None = None) -> None:
    if gap_ids:
        as_session(con).execute(
            f"update nba_orchestration.data_gaps set alerted_at = ? where gap_id in ({', '.join('?' * len(gap_ids))})",
            [now or datetime.now(), *gap_ids],
        )


def ignore_gaps(con: Session, phase_to: int, dates: list[date]) -> int:
    """Mark open gaps of phase_to on these dates `ignored` (a known hole of the source, say)."""
    targets = [gap.gap_id for gap in open_gaps(con) if gap.phase_to == phase_to and gap.game_date in set(dates)]
    set_gap_status(con, targets, "ignored")
    return len(targets)


def gaps_json(gaps: list[GapRecord]) -> str:
    return json.dumps([gap.to_json() for gap in gaps], indent=2)


def format_gaps(result: ScanResult, limit_per_pair: int = 12) -> str:
    """The text `nba-pipeline gaps` prints: per phase pair, the open gaps grouped into date ranges."""
    lines = [
        f"scan: {len(result.found)} gap(s) found, {result.new} new, {result.closed} closed since the last "
        f"recorded scan (heal and the Dagster sensor record them)"
    ]
    grouped = result.by_pair()
    for pair in phase_pairs():
        gaps = grouped.get(pair.label, [])
        if not gaps:
            lines.append(f"{pair.label:>12}: no gaps")
            continue
        kinds = ", ".join(f"{sum(1 for g in gaps if g.gap_kind == kind)} {kind}" for kind in GAP_KINDS)
        ages = [g.gap_age_days for g in gaps]
        lines.append(f"{pair.label:>12}: {len(gaps)} date(s) ({kinds}), age {min(ages)}-{max(ages)} days")
        lines.append("              " + format_date_ranges([g.game_date for g in gaps], limit_per_pair))
    return "\n".join(lines)
