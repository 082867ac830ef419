"""Completeness as a query, and what follows from it: coverage, gaps, healing, validation,
alerts, circuit breakers. Nothing here imports Dagster (orchestration/dagster/ wires it).

| module            | what |
|---|---|
| `run_state`       | latest run per phase/date (a blocked date reads blocked, not missing) |
| `coverage`        | date x phase cells (complete / stale / unverified / partial / blocked / missing) and the per-season table |
| `coverage_html`   | the self-contained HTML page of `status --html` (table + calendar heatmap), rendered from the Jinja2 templates in `templates/` |
| `gaps`            | missing, stale and unverified dates per phase pair; `nba_orchestration.data_gaps` |
| `healing`         | `heal`: one run per contiguous range, forward cascade, phase order; old gaps alert; the sensor's requests |
| `validation`      | `validate --date D`: execution, volume, quality, dependencies, business levels |
| `recompute`       | rolling averages and ratings recomputed in Python, for the business level |
| `alerts`          | `nba_orchestration.alerts` (+ `alert_details`), log, webhook, one digest per backfill |
| `circuit_breaker` | CLOSED / OPEN / HALF_OPEN per processor and prediction system; `circuit_breaker_state` |
"""
