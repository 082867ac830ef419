"""The prod target: BigQuery. Phase 2 writer, connection settings and the local emulator used by tests.

    from orchestration.bigquery import load_landing_bigquery
    report = load_landing_bigquery(Path("landing"), start=date(2024, 4, 20), end=date(2024, 4, 22))

google-cloud-bigquery is imported lazily (pyproject extra `bigquery`).
"""

from __future__ import annotations

from orchestration.bigquery.client import BigQuerySettings, is_bigquery_target, target_name
from orchestration.bigquery.writer import BigQueryRaw, load_landing_bigquery

__all__ = ["BigQueryRaw", "BigQuerySettings", "is_bigquery_target", "load_landing_bigquery", "target_name"]
