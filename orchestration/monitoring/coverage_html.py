"""`nba-pipeline status --html FILE`: one self-contained page (inline CSS and SVG, no external
assets) with the coverage table and a calendar heatmap per season (dates x phases).

Read at a glance: each season is a strip of days (columns) by phases (rows);
green is complete, red missing, orange partial, purple blocked, yellow stale,
blue built but not verified;
pale grey days had no final games. Hovering a cell names the date, the phase
and its games.

The markup is Jinja2 templates (templates/coverage.html, coverage_macros.html and the
stylesheet coverage.css, installed as package data); this module computes what they show:
the heatmap's geometry, the cards, the attention list.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import jinja2

from orchestration.dates import season_label
from orchestration.monitoring.coverage import CoverageCell, PhaseCoverage, SeasonPhaseCoverage
from orchestration.monitoring.gaps import GapRecord
from orchestration.phases import PHASES, Phase

COLORS = {
    "complete": "#2f9e5b",
    "stale": "#e9b949",
    "unverified": "#4a90d9",
    "partial": "#f08c2e",
    "blocked": "#7d4fb8",
    "missing": "#d83c3c",
    "no_games": "#eceff3",
}
CELL_ORDER = ("missing", "blocked", "partial", "unverified", "stale", "complete")
LABELS = {
    "complete": "complete",
    "stale": "stale (upstream changed after it was built)",
    "unverified": "built, not verified (its gates did not pass)",
    "partial": "partial (some games missing)",
    "blocked": "blocked (strict mode)",
    "missing": "missing",
    "no_games": "no final games that day",
}
GAPS_SHOWN = 40

TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("orchestration.monitoring", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html",)),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.filters["thousands"] = lambda value: f"{value:,}"
TEMPLATES.filters["percent"] = lambda value: f"{value:.1f}%"

# The stylesheet, shared with the patterns page (patterns_html.py).
CSS = TEMPLATES.get_template("coverage.css").render()


@dataclass(frozen=True)
class MonthTick:
    x: int
    label_x: int
    label: str


@dataclass(frozen=True)
class HeatmapCell:
    x: int
    y: int
    width: int
    height: int
    rounded: bool
    color: str
    title: str


@dataclass(frozen=True)
class HeatmapRow:
    label: str
    label_y: float
    font_size: float
    cells: list[HeatmapCell]


@dataclass(frozen=True)
class Heatmap:
    first: date
    last: date
    width: int
    height: int
    top: int
    month_ticks: list[MonthTick]
    rows: list[HeatmapRow]


def _phase_label(phase: Phase) -> str:
    return f"{phase.number} {phase.name}"


def _month_ticks(first: date, last: date, label_width: int, cell_w: int) -> list[MonthTick]:
    ticks = []
    last_label_x = -1000
    day = first
    while day <= last:
        if day == first or day.day == 1:
            x = label_width + (day - first).days * cell_w
            # a month starting right after the first date: shift its label clear of the previous one
            label_x = max(x, last_label_x + 58)
            ticks.append(MonthTick(x, label_x, f"{day:%b %Y}" if day == first or day.month == 1 else f"{day:%b}"))
            last_label_x = label_x
        day += timedelta(days=1)
    return ticks


def heatmap(
    cells: list[CoverageCell], phases: tuple[Phase, ...] = PHASES, max_width: int = 1120, cell_h: int = 18
) -> Heatmap:
    """One season's strip: columns are calendar days first..last game date, rows are phases."""
    by_key = {(c.phase, c.game_date): c for c in cells}
    first, last = min(c.game_date for c in cells), max(c.game_date for c in cells)
    days = (last - first).days + 1
    label_width, top, gap = 104, 22, 2
    cell_w = max(3, min(16, (max_width - label_width) // days))
    width = max(cell_w - 1, 1)
    rows = []
    for row, phase in enumerate(phases):
        y = top + row * (cell_h + gap)
        font = 12 if cell_h >= 16 else 10.5
        row_cells = []
        for offset in range(days):
            current = first + timedelta(days=offset)
            cell = by_key.get((phase.number, current))
            x = label_width + offset * cell_w
            if cell is None:
                row_cells.append(
                    HeatmapCell(
                        x,
                        y + cell_h // 2 - 2,
                        width,
                        4,
                        False,
                        COLORS["no_games"],
                        f"{current:%a %Y-%m-%d}: no final games",
                    )
                )
                continue
            title = (
                f"{current:%a %Y-%m-%d} phase {phase.number}: {cell.state}, "
                f"{cell.complete_games}/{cell.final_games} games complete"
            )
            if cell.note:
                title += f" - {cell.note[:200]}"
            row_cells.append(HeatmapCell(x, y, width, cell_h, True, COLORS[cell.state], title))
        rows.append(HeatmapRow(_phase_label(phase), y + cell_h / 2 + font / 2 - 1, font, row_cells))
    return Heatmap(
        first,
        last,
        width=label_width + days * cell_w + 8,
        height=top + len(phases) * (cell_h + gap) + 4,
        top=top,
        month_ticks=_month_ticks(first, last, label_width, cell_w),
        rows=rows,
    )


@dataclass(frozen=True)
class Card:
    phase_label: str
    percent: float
    color: str
    games_complete: int
    games: int
    notes: list[str]


def _card(phase: Phase, p: PhaseCoverage) -> Card:
    if p.percent_games >= 100:
        color = COLORS["complete"]
    else:
        color = COLORS["missing"] if p.percent_games < 90 else COLORS["partial"]
    notes = []
    if p.dates_missing:
        notes.append(f"{p.dates_missing} date{'s' if p.dates_missing != 1 else ''} missing")
    for count, what in ((p.dates_blocked, "blocked"), (p.dates_stale, "stale"), (p.dates_unverified, "not verified")):
        if count:
            notes.append(f"{count} {what}")
    return Card(_phase_label(phase), p.percent_games, color, p.games_complete, p.games, notes)


def _attention(season_cells: list[CoverageCell]) -> str:
    """'3 missing (phase 2); 4 blocked (phases 3, 4)': the cells of a season that are not complete."""
    phases_by_state: dict[str, set[int]] = defaultdict(set)
    for c in season_cells:
        if c.state != "complete":
            phases_by_state[c.state].add(c.phase)
    return "; ".join(
        f"{sum(1 for c in season_cells if c.state == state)} {state} "
        f"(phase{'s' if len(phases) > 1 else ''} {', '.join(str(p) for p in sorted(phases))})"
        for state, phases in sorted(phases_by_state.items(), key=lambda kv: CELL_ORDER.index(kv[0]))
    )


def render_coverage_html(
    cells: list[CoverageCell],
    summaries: list[SeasonPhaseCoverage],
    gaps: list[GapRecord] | None = None,
    warehouse: str = "",
    phases: tuple[Phase, ...] = PHASES,
    generated_at: datetime | None = None,
) -> str:
    by_season: dict[int, list[CoverageCell]] = defaultdict(list)
    for cell in cells:
        by_season[cell.season_year].append(cell)
    total = next((s for s in summaries if s.season_year is None), None)
    cell_h = 18 if len(by_season) <= 3 else 12
    strips, attention = [], []
    for season in sorted(by_season):
        season_cells = by_season[season]
        incomplete = sum(1 for c in season_cells if c.state != "complete")
        strips.append(
            {
                "season_year": season,
                "label": season_label(season),
                "first": min(c.game_date for c in season_cells),
                "last": max(c.game_date for c in season_cells),
                "game_dates": len({c.game_date for c in season_cells}),
                "status": f"{incomplete} date-phase cell(s) not complete" if incomplete else "all complete",
                "heatmap": heatmap(season_cells, phases, cell_h=cell_h),
            }
        )
        if incomplete:
            attention.append(
                {"season_year": season, "label": season_label(season), "summary": _attention(season_cells)}
            )
    table_rows = [
        {
            "coverage": summary.phases[phase.number],
            "phase_label": _phase_label(phase),
            "season_label": summary.label if index == 0 else "",
            "classes": [name for name, on in (("total", summary.season_year is None), ("first", index == 0)) if on],
        }
        for summary in summaries
        for index, phase in enumerate(phases)
    ]
    return TEMPLATES.get_template("coverage.html").render(
        warehouse=warehouse,
        generated_at=generated_at or datetime.now(),
        cards=[_card(phase, total.phases[phase.number]) for phase in phases] if total else [],
        attention=attention,
        legend=[(COLORS[state], label) for state, label in LABELS.items()],
        strips=strips,
        table_rows=table_rows,
        gaps=gaps,
        gaps_shown=GAPS_SHOWN,
    )


def write_coverage_html(
    path: Path, con, warehouse: str = "", today: date | None = None, gaps: list | None = None
) -> Path:
    """Compute coverage and the gaps the data shows now (with their recorded healing status) and write the page.
    `gaps`: `find_gaps(con)` when the caller already has it."""
    from orchestration.monitoring.coverage import coverage_report
    from orchestration.monitoring.gaps import current_gaps, find_gaps

    found = gaps if gaps is not None else find_gaps(con)
    cells, summaries = coverage_report(con)
    gap_rows = current_gaps(con, today=today, found=found).open_gaps
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_coverage_html(cells, summaries, gap_rows, warehouse), encoding="utf-8")
    return path
