"""Running the definitions on one machine: a DAGSTER_HOME with the project's dagster.yaml,
the `dagster asset materialize` command line, and the tags of a single-run range.

Used by the tests and the benchmarks (and handy in a shell:
`python -m orchestration.dagster.localrun HOME` prepares a DAGSTER_HOME).
"""

from __future__ import annotations

import os
import shutil
import sys
from datetime import date
from pathlib import Path

from orchestration.paths import PROJECT_ROOT
from orchestration.run_modes import range_tags  # noqa: F401  (re-exported for the tests and bench)

DAGSTER_YAML = PROJECT_ROOT / "dagster.yaml"  # local: SQLite under DAGSTER_HOME
DAGSTER_POSTGRES_YAML = PROJECT_ROOT / "dagster.postgres.yaml"  # production: PostgreSQL (DAGSTER_PG_*)


def prepare_dagster_home(home: Path, settings: Path = DAGSTER_YAML) -> Path:
    """A DAGSTER_HOME folder configured like the project (pool of one; `settings` chooses the
    storage: the project's dagster.yaml or the production dagster.postgres.yaml)."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(settings, home / "dagster.yaml")
    return home


def dagster_bin(name: str = "dagster") -> str:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def materialize_command(start: date | str, end: date | str, select: str = "*", tags: dict | None = None) -> list[str]:
    command = [
        dagster_bin(),
        "asset",
        "materialize",
        "-m",
        "orchestration.definitions",
        "--select",
        select,
        "--partition-range",
        f"{start}...{end}",
    ]
    if tags:
        import json

        command += ["--tags", json.dumps(tags)]
    return command


def pipeline_env(home: Path, warehouse: Path, landing: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DAGSTER_HOME": str(home),
            "NBA_PIPELINE_DUCKDB": str(warehouse),
            "NBA_PIPELINE_LANDING": str(landing),
            "DAGSTER_DISABLE_TELEMETRY": "1",
        }
    )
    env.update(extra)
    return env


if __name__ == "__main__":
    print(prepare_dagster_home(Path(sys.argv[1] if len(sys.argv) > 1 else PROJECT_ROOT / ".dagster_home")))
