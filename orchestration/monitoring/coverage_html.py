"""`nba-pipeline status --html FILE`: one self-contained page (inline CSS and SVG, no external
assets) with the coverage table and a calendar heatmap per season (dates x phases).

Read at a glance: each season is a strip of days (columns) by phases (rows);
green is complete, red missing, orange partial, purple blocked, yellow stale,
blue built but not verified;
pale grey days had no final games. Hovering a cell names the date, the phase
and its games.
"""

from __future__ import annotations

import html
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

from orchestration.dates import season_label
from orchestration.monitoring.coverage import CoverageCell, SeasonPhaseCoverage
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

CSS = """
body { font: 14px/1.45 -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif; color: #1f2933;
       margin: 24px 32px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
.meta { color: #616e7c; font-size: 12.5px; margin-bottom: 18px; }
.cards { display: flex; gap: 10px; flex-wrap: wrap; margin: 8px 0 4px; max-width: 1240px; }
.card { border: 1px solid #d9dee4; border-radius: 8px; padding: 8px 12px; flex: 1 1 0; min-width: 170px; }
.card .phase { font-size: 12px; color: #616e7c; text-transform: uppercase; letter-spacing: .04em; }
.card .pct { font-size: 26px; font-weight: 650; }
.card .sub { font-size: 12px; color: #616e7c; }
.legend { display: flex; gap: 16px; flex-wrap: wrap; font-size: 12.5px; margin: 6px 0 2px; }
.legend span.sw { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 5px;
                  vertical-align: -1px; }
.season { margin: 14px 0 2px; }
.season h3 { font-size: 14.5px; margin: 0 0 4px; }
.season h3 small { color: #616e7c; font-weight: 400; }
table { border-collapse: collapse; font-size: 13px; margin-top: 6px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e4e7eb; text-align: right; white-space: nowrap; }
th { background: #f5f7fa; font-weight: 600; }
th.l, td.l { text-align: left; }
tr.total td { font-weight: 650; background: #fafbfc; }
tr.total.first td { border-top: 2px solid #616e7c; }
td.bad { color: #b42318; font-weight: 650; }
td.blk { color: #5b3a8e; font-weight: 650; }
td.ok { color: #1e7a45; }
tr.first td { border-top: 2px solid #cbd2d9; }
.gaps td { font-size: 12.5px; }
.attention { margin: 12px 0 0; padding: 8px 14px; border-left: 4px solid #d83c3c; background: #fdf3f2;
             max-width: 1210px; }
.attention ul { margin: 4px 0 0; padding-left: 20px; }
.attention a { color: #1f2933; font-weight: 650; }
.allgood { margin: 12px 0 0; padding: 8px 14px; border-left: 4px solid #2f9e5b; background: #f0f8f3;
           max-width: 1210px; }
"""


def _phase_label(phase: Phase) -> str:
    return f"{phase.number} {phase.name}"


def heatmap_svg(cells: list[CoverageCell], phases: tuple[Phase, ...] = PHASES, max_width: int = 1120,
                cell_h: int = 18) -> str:
    """One season's strip: columns are calendar days first..last game date, rows are phases."""
    by_key = {(c.phase, c.game_date): c for c in cells}
    first, last = min(c.game_date for c in cells), max(c.game_date for c in cells)
    days = (last - first).days + 1
    label_width, top = 104, 22
    cell_w = max(3, min(16, (max_width - label_width) // days))
    gap = 2
    width = label_width + days * cell_w + 8
    height = top + len(phases) * (cell_h + gap) + 4
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="coverage heatmap {first} to {last}">']
    # month ticks and labels
    day = first
    last_label_x = -1000
    while day <= last:
        if day == first or day.day == 1:
            x = label_width + (day - first).days * cell_w
            parts.append(f'<line x1="{x}" y1="{top - 6}" x2="{x}" y2="{height}" stroke="#9aa5b1" stroke-width="1"/>')
            text = f"{day:%b %Y}" if day == first or day.month == 1 else f"{day:%b}"
            if x - last_label_x < 58:            # a month starting right after the first date: shift its label
                x = last_label_x + 58
            parts.append(f'<text x="{x + 3}" y="{top - 9}" font-size="11" fill="#3e4c59">{text}</text>')
            last_label_x = x
        day += timedelta(days=1)
    for row, phase in enumerate(phases):
        y = top + row * (cell_h + gap)
        font = 12 if cell_h >= 16 else 10.5
        parts.append(f'<text x="0" y="{y + cell_h / 2 + font / 2 - 1:.1f}" font-size="{font}" fill="#1f2933">'
                     f'{html.escape(_phase_label(phase))}</text>')
        for offset in range(days):
            current = first + timedelta(days=offset)
            cell = by_key.get((phase.number, current))
            x = label_width + offset * cell_w
            if cell is None:
                parts.append(f'<rect x="{x}" y="{y + cell_h // 2 - 2}" width="{max(cell_w - 1, 1)}" height="4" '
                             f'fill="{COLORS["no_games"]}"><title>{current:%a %Y-%m-%d}: no final games</title></rect>')
                continue
            title = (f"{current:%a %Y-%m-%d} phase {phase.number}: {cell.state}, "
                     f"{cell.complete_games}/{cell.final_games} games complete")
            if cell.note:
                title += f" - {cell.note[:200]}"
            parts.append(f'<rect x="{x}" y="{y}" width="{max(cell_w - 1, 1)}" height="{cell_h}" rx="1" '
                         f'fill="{COLORS[cell.state]}"><title>{html.escape(title)}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)


def _number_cell(value: int, kind: str) -> str:
    css = ""
    if value and kind == "missing":
        css = ' class="bad"'
    elif value and kind == "blocked":
        css = ' class="blk"'
    return f"<td{css}>{value:,}</td>"


def coverage_table_html(summaries: list[SeasonPhaseCoverage], phases: tuple[Phase, ...] = PHASES) -> str:
    head = ("<tr><th class='l' rowspan='2'>season</th><th class='l' rowspan='2'>phase</th>"
            "<th colspan='6'>game dates</th><th colspan='4'>final games</th>"
            "<th rowspan='2'>% games<br>complete</th></tr>"
            "<tr><th>scheduled</th><th>complete</th><th>stale</th><th>unverified</th><th>missing</th><th>blocked</th>"
            "<th>scheduled</th><th>complete</th><th>missing</th><th>blocked</th></tr>")
    rows = []
    for summary in summaries:
        for index, phase in enumerate(phases):
            p = summary.phases[phase.number]
            classes = []
            if summary.season_year is None:
                classes.append("total")
            if index == 0:
                classes.append("first")
            pct_class = "ok" if p.percent_games >= 100 else "bad"
            rows.append(
                f"<tr class='{' '.join(classes)}'><td class='l'>{summary.label if index == 0 else ''}</td>"
                f"<td class='l'>{html.escape(_phase_label(phase))}</td>"
                f"<td>{p.dates:,}</td><td>{p.dates_complete:,}</td>{_number_cell(p.dates_stale, 'stale')}"
                f"{_number_cell(p.dates_unverified, 'unverified')}{_number_cell(p.dates_missing, 'missing')}"
                f"{_number_cell(p.dates_blocked, 'blocked')}"
                f"<td>{p.games:,}</td><td>{p.games_complete:,}</td>{_number_cell(p.games_missing, 'missing')}"
                f"{_number_cell(p.games_blocked, 'blocked')}"
                f"<td class='{pct_class}'>{p.percent_games:.1f}%</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _cards(total: SeasonPhaseCoverage | None, phases: tuple[Phase, ...]) -> str:
    if total is None:
        return ""
    cards = []
    for phase in phases:
        p = total.phases[phase.number]
        color = COLORS["complete"] if p.percent_games >= 100 else (COLORS["missing"] if p.percent_games < 90
                                                                   else COLORS["partial"])
        extra = []
        if p.dates_missing:
            extra.append(f"{p.dates_missing} date{'s' if p.dates_missing != 1 else ''} missing")
        if p.dates_blocked:
            extra.append(f"{p.dates_blocked} blocked")
        if p.dates_stale:
            extra.append(f"{p.dates_stale} stale")
        if p.dates_unverified:
            extra.append(f"{p.dates_unverified} not verified")
        cards.append(
            f"<div class='card'><div class='phase'>phase {html.escape(_phase_label(phase))}</div>"
            f"<div class='pct' style='color:{color}'>{p.percent_games:.1f}%</div>"
            f"<div class='sub'>{p.games_complete:,} of {p.games:,} games"
            f"{' &middot; ' + ', '.join(extra) if extra else ' &middot; all dates complete'}</div></div>")
    return f"<div class='cards'>{''.join(cards)}</div>"


def _gaps_table(gaps: list[GapRecord], limit: int = 40) -> str:
    if not gaps:
        return "<p>No gaps: every phase is complete and current wherever its upstream is.</p>"
    rows = "".join(
        f"<tr><td class='l'>{html.escape(g.pair)}</td><td class='l'>{g.game_date}</td><td class='l'>{g.gap_kind}</td>"
        f"<td>{g.gap_age_days}</td><td class='l'>{g.healing_status if g.gap_id else 'not recorded yet'}</td>"
        f"<td class='l'>{html.escape((g.detail or '')[:140])}</td></tr>" for g in gaps[:limit])
    more = f"<p>... and {len(gaps) - limit} more (nba-pipeline gaps --json)</p>" if len(gaps) > limit else ""
    return ("<table class='gaps'><tr><th class='l'>pair</th><th class='l'>game date</th><th class='l'>kind</th>"
            f"<th>age (days)</th><th class='l'>healing</th><th class='l'>detail</th></tr>{rows}</table>{more}")


def render_coverage_html(
    cells: list[CoverageCell],
    summaries: list[SeasonPhaseCoverage],
    gaps: list[GapRecord] | None = None,
    warehouse: str = "",
    phases: tuple[Phase, ...] = PHASES,
    generated_at: datetime | None = None,
) -> str:
    generated_at = generated_at or datetime.now()
    by_season: dict[int, list[CoverageCell]] = defaultdict(list)
    for cell in cells:
        by_season[cell.season_year].append(cell)
    total = next((s for s in summaries if s.season_year is None), None)
    legend = "".join(f"<span><span class='sw' style='background:{COLORS[k]}'></span>{html.escape(v)}</span>"
                     for k, v in LABELS.items())
    strips = []
    attention = []
    cell_h = 18 if len(by_season) <= 3 else 12
    for season in sorted(by_season):
        season_cells = by_season[season]
        first = min(c.game_date for c in season_cells)
        last = max(c.game_date for c in season_cells)
        final_dates = len({c.game_date for c in season_cells})
        incomplete = sum(1 for c in season_cells if c.state != "complete")
        status = "all complete" if not incomplete else f"{incomplete} date-phase cell(s) not complete"
        strips.append(
            f"<div class='season' id='season-{season}'><h3>{season_label(season)} <small>{first} .. {last} &middot; "
            f"{final_dates} game dates &middot; {status}</small></h3>{heatmap_svg(season_cells, phases, cell_h=cell_h)}"
            "</div>")
        if incomplete:
            counts: dict[str, set] = defaultdict(set)
            for c in season_cells:
                if c.state != "complete":
                    counts[c.state].add(c.phase)
            what = "; ".join(
                f"{sum(1 for c in season_cells if c.state == state)} {state} "
                f"(phase{'s' if len(ph) > 1 else ''} {', '.join(str(p) for p in sorted(ph))})"
                for state, ph in sorted(counts.items(), key=lambda kv: CELL_ORDER.index(kv[0])))
            attention.append(f"<li><a href='#season-{season}'>{season_label(season)}</a>: {what}</li>")
    body = [
        "<h1>NBA pipeline coverage</h1>",
        f"<div class='meta'>Completeness from the data: final games in the schedule vs each phase's tables. "
        f"Warehouse {html.escape(warehouse)} &middot; generated {generated_at:%Y-%m-%d %H:%M:%S}</div>",
        _cards(total, phases),
        ("<div class='attention'><b>Needs attention</b> (date-phase cells):<ul>" + "".join(attention) + "</ul></div>")
        if attention else "<div class='allgood'>Every phase is complete for every final game.</div>",
        "<h2>Calendar (dates &times; phases)</h2>",
        f"<div class='legend'>{legend}</div>",
        "".join(strips) or "<p>No schedule loaded.</p>",
        "<h2>Per season and phase</h2>",
        coverage_table_html(summaries, phases) if summaries else "<p>No schedule loaded.</p>",
    ]
    if gaps is not None:
        body += [f"<h2>Gaps the data shows now ({len(gaps)})</h2>", _gaps_table(gaps)]
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>NBA pipeline coverage</title><style>{CSS}</style></head><body>"
            + "\n".join(body) + "</body></html>")


def write_coverage_html(path: Path, con, warehouse: str = "", today: date | None = None,
                        gaps: list | None = None) -> Path:
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
