"""One line, saying what to set, for a production set-up that is not there yet.

A missing extra (`google-cloud-bigquery`, `dagster-postgres` not installed), no Google
credentials, or no project end in a library's traceback; `nba-pipeline`'s main() prints
`setup_error_line(error)` instead when it recognises one (None: not a set-up problem).
"""

from __future__ import annotations

PROD_EXTRAS_HINT = "install the production extras: python3 dev.py setup --prod (or pip install -e '.[prod]')"
# import names of the production extras (pyproject.toml, extra `prod`)
PROD_MODULES = ("google", "dbt.adapters.bigquery", "dagster_postgres", "psycopg2")
CREDENTIALS_HINT = (
    "run `gcloud auth application-default login`, or set NBA_BQ_METHOD=service-account "
    "and NBA_BQ_KEYFILE=/path/to/key.json (docs/production.md)"
)


class BigQuerySetupError(RuntimeError):
    """A production setting is missing; the message says which and how to set it."""


def _causes(error: BaseException):
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def _missing_prod_module(error: BaseException) -> str | None:
    name = getattr(error, "name", None) or ""
    if isinstance(error, ModuleNotFoundError) and any(name == m or name.startswith(m + ".") for m in PROD_MODULES):
        return name
    return None


def setup_error_line(error: BaseException) -> str | None:
    for cause in _causes(error):
        if isinstance(cause, BigQuerySetupError):
            return str(cause)
        module = _missing_prod_module(cause)
        if module:
            return f"NBA_PIPELINE_TARGET=prod needs {module}, which is not installed: {PROD_EXTRAS_HINT}"
        kind = f"{type(cause).__module__}.{type(cause).__name__}"
        if kind == "google.auth.exceptions.DefaultCredentialsError":
            return f"no Google credentials for BigQuery: {CREDENTIALS_HINT}"
        if kind == "google.auth.exceptions.RefreshError":
            return f"the Google credentials were refused ({cause}): {CREDENTIALS_HINT}"
    return None
