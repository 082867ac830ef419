"""The BigQuery connection of the prod target, from the same env vars as dbt's `prod` profile.

NBA_PIPELINE_TARGET=prod        selects BigQuery for dbt and for the Phase 2 loader
NBA_BQ_PROJECT                  project holding the datasets (required)
NBA_BQ_EXECUTION_PROJECT        project billed for jobs (default: NBA_BQ_PROJECT)
NBA_BQ_LOCATION                 dataset location (default US)
NBA_BQ_METHOD                   oauth (application default credentials, the default)
                                | service-account (NBA_BQ_KEYFILE) | oauth-secrets (NBA_BQ_TOKEN)
NBA_BQ_API_ENDPOINT             another endpoint than Google's (the local emulator); empty = Google
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from orchestration.bigquery.setup_errors import BigQuerySetupError

SCOPES = ("https://www.googleapis.com/auth/bigquery", "https://www.googleapis.com/auth/cloud-platform")


def target_name() -> str:
    """The dbt target every entry point uses: NBA_PIPELINE_TARGET, default dev (DuckDB)."""
    return os.environ.get("NBA_PIPELINE_TARGET", "dev") or "dev"


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
    def from_env(cls) -> BigQuerySettings:
        env = os.environ
        project = env.get("NBA_BQ_PROJECT")
        if not project:
            raise BigQuerySetupError(
                "NBA_PIPELINE_TARGET=prod needs NBA_BQ_PROJECT, the Google Cloud project "
                "that holds the datasets: export NBA_BQ_PROJECT=my-project"
            )
        return cls(
            project=project,
            execution_project=env.get("NBA_BQ_EXECUTION_PROJECT") or project,
            location=env.get("NBA_BQ_LOCATION") or "US",
            method=env.get("NBA_BQ_METHOD") or "oauth",
            keyfile=env.get("NBA_BQ_KEYFILE") or "",
            token=env.get("NBA_BQ_TOKEN") or "",
            api_endpoint=env.get("NBA_BQ_API_ENDPOINT") or "",
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
