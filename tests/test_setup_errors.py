"""A production set-up that is not there yet gives one line saying what to set (exit 2), never a
traceback: `nba-pipeline load` with NBA_PIPELINE_TARGET=prod as a real process, without a project,
without Google credentials, and without the BigQuery client library."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.bigquery.setup_errors import setup_error_line

LOAD = ["load", "--start", "2023-04-15", "--end", "2023-04-15"]


def _prod_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {
        name: value for name, value in os.environ.items() if not name.startswith(("NBA_BQ_", "GOOGLE_", "CLOUDSDK_"))
    }
    # no application default credentials anywhere: an empty home and gcloud folder, and no
    # probe of the GCE metadata server (no traffic leaves the machine)
    env.update(
        {
            "NBA_PIPELINE_TARGET": "prod",
            "HOME": str(tmp_path),
            "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"),
            "NO_GCE_CHECK": "True",
            "NBA_PIPELINE_DUCKDB": str(tmp_path / "never.duckdb"),
            **settings,
        }
    )
    return env


def _nba_pipeline(real_dir: Path, env: dict[str, str], prelude: str = "") -> subprocess.CompletedProcess:
    code = f"{prelude}\nimport sys\nfrom orchestration.cli import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, LOAD[0], str(real_dir), *LOAD[1:]],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("nba-pipeline: ")
    return line


def test_no_project_names_the_variable(real_dir, tmp_path):
    line = _one_line(_nba_pipeline(real_dir, _prod_env(tmp_path)))
    assert "NBA_BQ_PROJECT" in line and "export NBA_BQ_PROJECT=" in line
    assert not (tmp_path / "never.duckdb").exists()


def test_no_credentials_says_how_to_log_in(real_dir, tmp_path):
    pytest.importorskip("google.auth")
    line = _one_line(_nba_pipeline(real_dir, _prod_env(tmp_path, NBA_BQ_PROJECT="my-project", NBA_BQ_METHOD="oauth")))
    assert "no Google credentials" in line
    assert "gcloud auth application-default login" in line and "NBA_BQ_KEYFILE" in line


def test_missing_client_library_says_which_extra_to_install(real_dir, tmp_path):
    # the import fails exactly as with the package absent (a None entry in sys.modules)
    prelude = "import sys\nsys.modules['google.api_core'] = None"
    env = _prod_env(tmp_path, NBA_BQ_PROJECT="my-project", NBA_BQ_METHOD="oauth-secrets", NBA_BQ_TOKEN="t")
    line = _one_line(_nba_pipeline(real_dir, env, prelude))
    assert "google.api_core" in line and "python3 dev.py setup --prod" in line


def _raised_from(cause: BaseException) -> BaseException:
    try:
        try:
            raise cause
        except ModuleNotFoundError as error:
            raise RuntimeError("could not load the instance") from error
    except RuntimeError as wrapped:
        return wrapped


def test_other_errors_are_not_disguised():
    assert setup_error_line(RuntimeError("a bug")) is None
    assert setup_error_line(ModuleNotFoundError("No module named 'pandas'", name="pandas")) is None
    # a production module missing behind another error is still named
    missing = ModuleNotFoundError("No module named 'dagster_postgres'", name="dagster_postgres")
    assert "dagster_postgres" in setup_error_line(_raised_from(missing))


def test_demo_refuses_the_prod_target_before_it_writes_anything(tmp_path):
    """The demo writes four synthetic seasons: on prod it stops with one line naming what to run instead,
    before generating, loading or opening any warehouse (no landing folder, no DuckDB file)."""
    env = _prod_env(tmp_path, NBA_BQ_PROJECT="my-project", NBA_PIPELINE_LANDING=str(tmp_path / "landing"))
    result = subprocess.run(
        [str(Path(sys.executable).parent / "nba-pipeline"), "demo"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = _one_line(result)
    assert "embedded DuckDB default only" in line and "nba-pipeline load" in line, line
    assert result.stdout == "" and sorted(path.name for path in tmp_path.iterdir()) == [], list(tmp_path.iterdir())
