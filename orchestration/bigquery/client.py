"""The BigQuery connection of the prod target (NBA_PIPELINE_TARGET=prod), from the same settings as dbt's
`prod` profile: NBA_BQ_* in orchestration/settings.py (`nba-pipeline config` lists them)."""

from __future__ import annotations

from dataclasses import dataclass

from orchestration.bigquery.setup_errors import BigQuerySetupError
from orchestration.settings import settings

SCOPES = ("https://www.googleapis.com/auth/bigquery", "https://www.googleapis.com/auth/cloud-platform")


def target_name() -> str:
    """The dbt target every entry point uses: NBA_PIPELINE_TARGET, default dev (DuckDB)."""
    return settings().target


def is_bigquery_target() -> bool:
    return target_name() == "prod"


@dataclass(frozen=True)
class BigQuerySettings:
    project: str
    execution_project: str
    location: str
    method: str
    keyfile: str
    token: str
    api_endpoint: str

    @classmethod
    def from_env(cls, require_project: bool = True) -> BigQuerySettings:
        """The settings; `require_project=False` for what needs only the credentials (a gs:// model store on
        the dev target): the project is then "" when unset."""
        env = settings()
        project = env.bq_project or ""
        if not project and require_project:
            raise BigQuerySetupError(
                "NBA_PIPELINE_TARGET=prod needs NBA_BQ_PROJECT, the Google Cloud project "
                "that holds the datasets: export NBA_BQ_PROJECT=my-project"
            )
        return cls(
            project=project,
            execution_project=env.bq_execution_project or project,
            location=env.bq_location,
            method=env.bq_method,
            keyfile=env.bq_keyfile,
            token=env.bq_token,
            api_endpoint=env.bq_api_endpoint,
        )

    def credentials(self):
        if self.method == "oauth":
            import google.auth

            credentials, _ = google.auth.default(scopes=list(SCOPES))
            return credentials
        if self.method == "service-account":
            from google.oauth2 import service_account

            if not self.keyfile:
                raise ValueError("NBA_BQ_METHOD=service-account needs NBA_BQ_KEYFILE")
            return service_account.Credentials.from_service_account_file(self.keyfile, scopes=list(SCOPES))
        if self.method == "oauth-secrets":
            from google.oauth2.credentials import Credentials

            if not self.token:
                raise ValueError("NBA_BQ_METHOD=oauth-secrets needs NBA_BQ_TOKEN")
            return Credentials(token=self.token, scopes=list(SCOPES))
        raise ValueError(f"NBA_BQ_METHOD={self.method!r}: expected oauth, service-account or oauth-secrets")

    def client(self):
        from google.api_core.client_options import ClientOptions
        from google.cloud import bigquery

        return bigquery.Client(
            project=self.execution_project,
            credentials=self.credentials(),
            location=self.location,
            client_options=ClientOptions(api_endpoint=self.api_endpoint or None),
        )
