"""Completeness as a query, and what follows from it: coverage, gaps, healing, validation,
alerts, circuit breakers, smart skip.

| module            | what |
|---|---|
| `run_state`       | latest run per phase/date (blocked?) and processed-at times (run history + Phase 2 `loaded_at`) |
| `coverage`        | date x phase cells (complete / stale / partial / blocked / missing) and the per-season table |
| `coverage_html`   | the self-contained HTML page of `status --html` (table + calendar heatmap) |
| `gaps`            | missing and stale dates per phase pair; `nba_orchestration.data_gaps` |
| `healing`         | `heal`: one run per contiguous range, forward cascade, phase order; old gaps alert |
| `validation`      | `validate --date D`: execution, volume, quality, dependencies, business levels |
| `recompute`       | rolling averages and ratings recomputed in Python, for the business level |
| `alerts`          | `nba_orchestration.alerts` (+ `alert_details`), log, webhook, one digest per backfill |
| `circuit_breaker` | CLOSED / OPEN / HALF_OPEN per processor and prediction system; `circuit_breaker_state` |
| `smart_skip`      | input fingerprints (`input_fingerprints`) and the skip decision (`unchanged_inputs`) |
| `dagster_hooks`   | the gap-healing sensor, coverage metadata / asset, guard + finish helpers for asset runs |
"""
