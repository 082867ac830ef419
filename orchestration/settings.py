"""Every `NBA_*` environment variable the project reads: its type, default and meaning, in one place.

Python reads them only through `settings()`, a typed, validated object (pydantic, already installed with
Dagster and dbt). dbt reads some of the same variables itself, through `env_var()` in profiles.yml and the
macros, so that a plain `dbt build` works; those are listed here too (`read_by`), and
tests/test_settings.py holds every `env_var()` of the dbt project to this list and its defaults.
`nba-pipeline config` prints the list with the values in effect.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent

Target = Literal["dev", "prod"]
BigQueryMethod = Literal["oauth", "service-account", "oauth-secrets"]


def _env(name: str, description: str, read_by: str = "python", secret: bool = False) -> dict:
    """A field's environment variable and documentation (pydantic keeps them in the field's metadata)."""
    return {
        "validation_alias": name,
        "description": description,
        "json_schema_extra": {"read_by": read_by, "secret": secret},
    }


class Settings(BaseModel):
    """The environment, parsed: a missing or empty variable takes the default."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    # where things are, and which warehouse
    target: Target = Field(
        "dev",
        **_env(
            "NBA_PIPELINE_TARGET",
            "the warehouse of every command and the dbt target: dev = the DuckDB file, prod = BigQuery",
            read_by="python, dbt profile",
        ),
    )
    duckdb: Path = Field(
        Path("warehouse/nba.duckdb"),
        **_env(
            "NBA_PIPELINE_DUCKDB",
            "the DuckDB warehouse file (dev); a relative path is under the project root",
            read_by="python, dbt profile",
        ),
    )
    real_duckdb: Path | None = Field(
        None,
        **_env(
            "NBA_PIPELINE_REAL_DUCKDB",
            "the demo's second warehouse, of the real playoffs (default: nba_real.duckdb beside NBA_PIPELINE_DUCKDB)",
        ),
    )
    landing: Path = Field(
        Path("landing"),
        **_env(
            "NBA_PIPELINE_LANDING",
            "the landing folder Dagster's Phase 2 assets and `heal` load from; a relative "
            "path is under the current folder",
        ),
    )
    real_data_dir: Path = Field(
        PROJECT_ROOT.parent / "shared" / "data" / "real",
        **_env(
            "NBA_REAL_DATA_DIR",
            "the real NBA files, read where they lie (tests and the demo)",
        ),
    )
    dbt_target_dir: Path = Field(
        PROJECT_ROOT / "dbt_project" / "target",
        **_env(
            "NBA_DBT_TARGET_DIR",
            "where the pipeline's dbt keeps a target folder per warehouse name (parse state, compiled SQL, "
            "logs); parallel test workers each get their own",
        ),
    )
    model_store: str = Field(
        "",
        **_env(
            "NBA_PIPELINE_MODEL_STORE",
            "where the trained model keeps its artifacts: a folder (relative: under the project root) or "
            "gs://bucket/prefix (empty: models/<file stem>/ beside the DuckDB file on dev, models/<NBA_BQ_PROJECT> under the "
            "project root on prod)",
        ),
    )
    # DuckDB's resources (dev), one pair for every connection of a process: the dbt profile's and
    # Python's (orchestration/duckdb_resources.py). Both are global to a database file opened in a process.
    duckdb_memory_limit: str = Field(
        "384MB",
        **_env(
            "NBA_PIPELINE_DUCKDB_MEMORY_LIMIT",
            "DuckDB's buffer memory (e.g. 384MB); beyond it DuckDB spills to <warehouse file>.tmp instead of growing",
            read_by="python, dbt profile",
        ),
    )
    duckdb_threads: Annotated[int, Field(ge=1)] = Field(
        2,
        **_env(
            "NBA_PIPELINE_DUCKDB_THREADS",
            "DuckDB's worker threads",
            read_by="python, dbt profile",
        ),
    )
    # how commands behave
    lock_timeout: Annotated[float, Field(ge=0)] = Field(
        300.0,
        **_env(
            "NBA_PIPELINE_LOCK_TIMEOUT",
            "seconds a writer waits for a warehouse another process holds (--lock-timeout)",
        ),
    )
    alert_webhook: str | None = Field(
        None,
        **_env(
            "NBA_PIPELINE_ALERT_WEBHOOK",
            "a URL alerts are POSTed to as JSON (none: alerts are recorded and logged)",
        ),
    )
    strict_mode: bool = Field(
        True,
        **_env(
            "NBA_STRICT_MODE",
            "false: build dates whose lookback window has gaps (var strict_mode wins)",
            read_by="dbt",
        ),
    )
    record_freshness: bool = Field(
        True,
        **_env(
            "NBA_RECORD_FRESHNESS",
            "false: builds write no input_version/build_id (the bench's measure of their cost)",
            read_by="dbt",
        ),
    )
    start_date: date | None = Field(
        None,
        **_env(
            "NBA_START_DATE",
            "the run window's first date; set by the runner for each dbt invocation",
            read_by="dbt",
        ),
    )
    end_date: date | None = Field(
        None,
        **_env(
            "NBA_END_DATE",
            "the run window's last date; set by the runner for each dbt invocation",
            read_by="dbt",
        ),
    )
    # Dagster
    partition_start: date = Field(
        date(2010, 10, 1),
        **_env(
            "NBA_PIPELINE_PARTITION_START",
            "the first game_date partition of the Dagster assets",
        ),
    )
    backfill_chunk_days: Annotated[int, Field(ge=0)] = Field(
        0,
        **_env(
            "NBA_PIPELINE_BACKFILL_CHUNK_DAYS",
            "Dagster backfills: at most N dates per run (0: one run per range)",
        ),
    )
    # BigQuery (NBA_PIPELINE_TARGET=prod; docs/production.md)
    bq_project: str | None = Field(
        None,
        **_env(
            "NBA_BQ_PROJECT",
            "the Google Cloud project holding the datasets (required on prod)",
            read_by="python, dbt profile",
        ),
    )
    bq_execution_project: str | None = Field(
        None,
        **_env(
            "NBA_BQ_EXECUTION_PROJECT",
            "the project billed for jobs (default: NBA_BQ_PROJECT)",
            read_by="python, dbt profile",
        ),
    )
    bq_dataset: str = Field(
        "nba",
        **_env(
            "NBA_BQ_DATASET",
            "the dbt target dataset; models land in <dataset>_<schema>",
            read_by="dbt profile",
        ),
    )
    bq_location: str = Field(
        "US",
        **_env(
            "NBA_BQ_LOCATION",
            "the datasets' location",
            read_by="python, dbt profile",
        ),
    )
    bq_method: BigQueryMethod = Field(
        "oauth",
        **_env(
            "NBA_BQ_METHOD",
            "oauth (application default credentials) | service-account (NBA_BQ_KEYFILE) | oauth-secrets (NBA_BQ_TOKEN)",
            read_by="python, dbt profile",
        ),
    )
    bq_keyfile: str = Field(
        "",
        **_env(
            "NBA_BQ_KEYFILE",
            "a service account's JSON key file (NBA_BQ_METHOD=service-account)",
            read_by="python, dbt profile",
        ),
    )
    bq_token: str = Field(
        "",
        **_env(
            "NBA_BQ_TOKEN",
            "an OAuth access token (NBA_BQ_METHOD=oauth-secrets)",
            read_by="python, dbt profile",
            secret=True,
        ),
    )
    bq_api_endpoint: str = Field(
        "",
        **_env(
            "NBA_BQ_API_ENDPOINT",
            "another endpoint than Google's, e.g. the local emulator (empty: Google)",
            read_by="python, dbt profile",
        ),
    )
    bq_threads: Annotated[int, Field(ge=1)] = Field(
        4,
        **_env(
            "NBA_BQ_THREADS",
            "dbt threads on BigQuery",
            read_by="dbt profile",
        ),
    )
    bq_price_per_tib: Annotated[float, Field(ge=0)] = Field(
        6.25,
        **_env(
            "NBA_BQ_PRICE_PER_TIB",
            "USD per TiB processed, for `backfill --dry-run` cost estimates (on-demand list price)",
        ),
    )
    bq_emulator_venv: Path = Field(
        PROJECT_ROOT / ".venv-bq-emulator",
        **_env(
            "NBA_BQ_EMULATOR_VENV",
            "where the BigQuery emulator of the tests is installed",
        ),
    )
    # tests
    test_hook: str = Field(
        "",
        **_env(
            "NBA_PIPELINE_TEST_HOOK",
            "fault injection for tests: POINT=kill or POINT=call:module:function",
        ),
    )

    @field_validator("*", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @property
    def warehouse(self) -> Path:
        """The DuckDB file, absolute: a relative NBA_PIPELINE_DUCKDB is under the project root, wherever a
        command runs (the dbt profile's default names the same file from dbt_project/)."""
        return self.duckdb if self.duckdb.is_absolute() else (PROJECT_ROOT / self.duckdb).resolve()

    @property
    def is_bigquery(self) -> bool:
        return self.target == "prod"


class SettingsError(ValueError):
    """A variable with a value of the wrong type; the message is one line naming the variable."""


def env_name(field: str) -> str:
    """The environment variable of a setting, e.g. env_name("lock_timeout") == "NBA_PIPELINE_LOCK_TIMEOUT"."""
    return Settings.model_fields[field].validation_alias


ENV_NAMES: tuple[str, ...] = tuple(env_name(field) for field in Settings.model_fields)


def settings() -> Settings:
    """The settings in effect. Parsed once per distinct environment: a command, or a test, that changes a
    variable (the CLI's --lock-timeout does) gets the new value."""
    return _parse(tuple((name, os.environ[name]) for name in ENV_NAMES if os.environ.get(name, "").strip()))


@functools.lru_cache(maxsize=16)
def _parse(values: tuple[tuple[str, str], ...]) -> Settings:
    try:
        return Settings.model_validate(dict(values))
    except ValidationError as error:
        problem = error.errors()[0]
        name = problem["loc"][0] if problem["loc"] else "?"
        raise SettingsError(f"{name}={problem.get('input')!r}: {problem['msg']}") from None


@contextmanager
def overridden_environment(values: dict[str, str]) -> Iterator[None]:
    """Variables set for a block (and the processes it starts), then put back as they were: how the runner
    hands dbt its window and the CLI its --lock-timeout."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def describe() -> list[dict[str, object]]:
    """Every variable: name, value in effect, whether it is set, default, who reads it and what it does
    (`nba-pipeline config`; secrets are shown as set or not, never their value)."""
    current = settings()
    rows = []
    for field, info in Settings.model_fields.items():
        extra = info.json_schema_extra or {}
        name = info.validation_alias
        value = getattr(current, field)
        is_set = bool(os.environ.get(name, "").strip())
        rows.append(
            {
                "name": name,
                "value": ("****" if is_set else "") if extra.get("secret") else _text(value),
                "set": is_set,
                "default": _text(info.default),
                "read_by": extra.get("read_by", "python"),
                "description": info.description,
            }
        )
    return rows


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
