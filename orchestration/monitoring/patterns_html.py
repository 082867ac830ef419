"""`nba-pipeline report patterns --html FILE`: the patterns report as one self-contained page.

Charts are drawn by matplotlib (its object API: no pyplot state, no GUI backend) as SVG and
embedded as data URIs, so the page needs no other file and no network. Each image says when the
browser has decoded it (`data-rendered="<width>x<height>"`), which the web test reads.
"""

from __future__ import annotations

import base64
import html
import io
from datetime import datetime
from pathlib import Path

from orchestration.monitoring.coverage_html import CSS
from orchestration.monitoring.patterns import AGE_BUCKETS, PatternsReport, Table

PALETTE = ("#4a90d9", "#2f9e5b", "#e9b949", "#f08c2e", "#d83c3c", "#7d4fb8")
SLOWEST_SHOWN = 12
RENDERED_SCRIPT = """
<script>
for (const img of document.querySelectorAll('img.chart')) {
  const mark = () => img.setAttribute('data-rendered', img.naturalWidth + 'x' + img.naturalHeight);
  if (img.complete) { mark(); } else { img.addEventListener('load', mark); }
}
</script>"""


def _svg_uri(figure) -> str:
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "nba-pipeline"}):
        figure.savefig(buffer, format="svg", bbox_inches="tight")
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100)
    return figure, figure.add_subplot()


def _number(value) -> float:
    return float(value) if isinstance(value, (int, float)) else 0.0


def phase_duration_chart(table: Table) -> str | None:
    if not table.rows:
        return None
    figure, axes = _figure(6.4, 3.0)
    labels = [f"phase {row[0]}\n{row[1]}" for row in table.rows]
    positions = range(len(labels))
    axes.bar([p - 0.2 for p in positions], [_number(r[5]) for r in table.rows], 0.4, label="p50", color=PALETTE[0])
    axes.bar([p + 0.2 for p in positions], [_number(r[6]) for r in table.rows], 0.4, label="p95", color=PALETTE[3])
    axes.set_xticks(list(positions), labels)
    axes.set_ylabel("seconds per step")
    axes.set_title("Step duration per phase and step")
    axes.legend(frameon=False)
    return _svg_uri(figure)


def slowest_models_chart(table: Table) -> str | None:
    rows = table.rows[:SLOWEST_SHOWN]
    if not rows:
        return None
    figure, axes = _figure(7.4, 0.32 * len(rows) + 1.0)
    names = [str(row[0]).split(".", 1)[-1] for row in rows][::-1]
    axes.barh(names, [_number(r[5]) for r in rows][::-1], color=PALETTE[0], label="p95")
    axes.barh(names, [_number(r[4]) for r in rows][::-1], color=PALETTE[1], label="p50")
    axes.set_xlabel("dbt execution time per build (s)")
    axes.set_title(f"Slowest models (top {len(rows)})")
    axes.legend(frameon=False, loc="lower right")
    return _svg_uri(figure)


def skips_chart(table: Table) -> str | None:
    if not table.rows:
        return None
    figure, axes = _figure(6.4, 0.35 * len(table.rows) + 1.0)
    axes.barh([str(r[0]) for r in table.rows][::-1], [_number(r[1]) for r in table.rows][::-1], color=PALETTE[2])
    axes.set_xlabel("rows of run history")
    axes.set_title("Skips per reason")
    return _svg_uri(figure)


def gaps_chart(table: Table) -> str | None:
    if not table.rows:
        return None
    by_phase: dict[str, list[float]] = {}
    for row in table.rows:
        counts = by_phase.setdefault(f"phase {row[0]}", [0.0] * len(AGE_BUCKETS))
        for index in range(len(AGE_BUCKETS)):
            counts[index] += _number(row[3 + index])
    figure, axes = _figure(6.4, 3.0)
    labels = list(by_phase)
    bottom = [0.0] * len(labels)
    for index, (_, _, bucket) in enumerate(AGE_BUCKETS):
        values = [by_phase[label][index] for label in labels]
        axes.bar(labels, values, bottom=bottom, label=bucket, color=PALETTE[index % len(PALETTE)])
        bottom = [b + v for b, v in zip(bottom, values)]
    axes.set_ylabel("gaps found")
    axes.set_title("Gaps per phase and age")
    axes.legend(frameon=False, title="age")
    return _svg_uri(figure)


CHARTS = (
    ("phases", phase_duration_chart),
    ("models", slowest_models_chart),
    ("skips", skips_chart),
    ("gaps", gaps_chart),
)


def _table_html(table: Table) -> str:
    note = f'<p class="meta">{html.escape(table.note)}</p>' if table.note else ""
    if not table.rows:
        return f'<h2>{html.escape(table.title)}</h2>{note}<p class="meta">nothing recorded</p>'
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in table.cells())
    return (
        f"<h2>{html.escape(table.title)}</h2>{note}"
        f'<table class="patterns" id="table-{table.key}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )


def render_patterns_html(report: PatternsReport, warehouse: str = "") -> str:
    charts = {key: draw(report.table(key)) for key, draw in CHARTS}
    images = "".join(
        f'<img class="chart" id="chart-{key}" alt="{key} chart" src="{uri}">' for key, uri in charts.items() if uri
    )
    sections = "".join(_table_html(table) for table in report.tables)
    generated = datetime.now().strftime("%Y-%m-%d %H:%M")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nba-pipeline patterns</title>
<style>{CSS}
.charts {{ display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }}
.charts img {{ max-width: 100%; border: 1px solid #eceff3; border-radius: 6px; }}
table.patterns td, table.patterns th {{ text-align: right; }}
table.patterns td:first-child, table.patterns th:first-child {{ text-align: left; }}
table.patterns td, table.patterns th {{ padding: 3px 9px; border-bottom: 1px solid #eceff3; }}
</style></head>
<body><h1>Pipeline patterns</h1>
<div class="meta">{html.escape(warehouse)} &middot; since {report.since or "the first run"} &middot; generated {generated}</div>
<div class="charts">{images or '<p class="meta">no runs recorded yet: nothing to chart</p>'}</div>
{sections}
{RENDERED_SCRIPT}
</body></html>
"""


def write_patterns_html(path: Path, report: PatternsReport, warehouse: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_patterns_html(report, warehouse), encoding="utf-8")
    return path
