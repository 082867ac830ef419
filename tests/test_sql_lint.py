"""sqlfluff over the dbt SQL (models and singular tests) with dbt_project/.sqlfluff: any finding fails CI.

sqlfluff runs in its own process: its dbt templater compiles the project with dbt, which must not
share dbt's process-wide state with the in-process dbt of the other tests (orchestration/dbt_invoke.py).
The macros are not linted as files (no templater renders a macro definition); their SQL is linted
where the models render it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

DBT_PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
LINTED = ("models", "tests")


def test_dbt_sql_passes_sqlfluff(tmp_path):
    # the templater compiles against the DuckDB target: an empty file of its own, never the project's warehouse
    env = {**os.environ, "NBA_PIPELINE_TARGET": "dev", "NBA_PIPELINE_DUCKDB": str(tmp_path / "lint.duckdb")}
    result = subprocess.run(
        [sys.executable, "-m", "sqlfluff", "lint", *LINTED, "--format", "json"],
        cwd=DBT_PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.stdout.strip(), f"sqlfluff printed no report (exit {result.returncode}):\n{result.stderr[-3000:]}"
    report = json.loads(result.stdout)
    findings = [
        f"{Path(entry['filepath']).as_posix()}:{v['start_line_no']}:{v['start_line_pos']} {v['code']} "
        f"{v['description']}"
        for entry in report
        for v in entry["violations"]
    ]
    assert findings == [], "sqlfluff (run `sqlfluff lint` in dbt_project/):\n" + "\n".join(findings)
    # every SQL file was linted: none skipped (a disabled model, a templating error outside the report)
    expected = {
        p.relative_to(DBT_PROJECT).as_posix() for folder in LINTED for p in (DBT_PROJECT / folder).rglob("*.sql")
    }
    assert {Path(entry["filepath"]).as_posix() for entry in report} == expected
    assert result.returncode == 0, result.stderr[-3000:]
