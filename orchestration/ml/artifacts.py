"""Where the trained model keeps its artifacts (joblib files, one per season model).

`NBA_PIPELINE_MODEL_STORE` chooses (orchestration/settings.py): a local folder, or `gs://bucket/prefix`
(google-cloud-storage, with the credentials the BigQuery target uses). Unset, the session says where
(`Session.default_model_store`): `models/<file stem>/` beside the DuckDB file on dev, `models/<project>` under the
project root on BigQuery, which has no warehouse folder.

The registry records where each artifact is (`artifact_path`): relative to the session's base folder (the
DuckDB file's folder, the project root on BigQuery) when it is under it, else in full (a path or a gs:// URL).
"""

from __future__ import annotations

import io
import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import joblib

from orchestration.settings import PROJECT_ROOT, settings
from orchestration.warehouse import Session

SUFFIX = ".joblib"
GCS_SCHEME = "gs://"
# google-cloud-storage reads it: the host of a Cloud Storage emulator
STORAGE_EMULATOR_HOST = "STORAGE_EMULATOR_HOST"


class ModelStore(ABC):
    """Saves and loads artifacts by model id."""

    @abstractmethod
    def load(self, model_id: str) -> dict[str, Any] | None:
        """The stored artifact, or None when there is none or it does not load."""

    @abstractmethod
    def save(self, model_id: str, artifact: dict[str, Any]) -> None:
        """Store (replace) the artifact."""

    @abstractmethod
    def exists(self, model_id: str) -> bool:
        """Whether the artifact is stored (without loading it)."""

    @abstractmethod
    def recorded(self, model_id: str) -> str:
        """What the registry's artifact_path says for this model."""

    def check(self) -> None:  # noqa: B027 (a default: a folder is created when first saved to)
        """Raise, saying what to set, when the store cannot be used (before anything is trained)."""


class LocalModelStore(ModelStore):
    def __init__(self, folder: Path, base: Path | None = None):
        self.folder, self.base = Path(folder), base

    def path(self, model_id: str) -> Path:
        return self.folder / f"{model_id}{SUFFIX}"

    def load(self, model_id: str) -> dict[str, Any] | None:
        path = self.path(model_id)
        if not path.exists():
            return None
        try:
            return joblib.load(path)
        except Exception:  # a damaged artifact is retrained, not fatal
            return None

    def save(self, model_id: str, artifact: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        joblib.dump(artifact, self.path(model_id))

    def exists(self, model_id: str) -> bool:
        return self.path(model_id).exists()

    def recorded(self, model_id: str) -> str:
        path = self.path(model_id)
        if self.base is not None and path.resolve().is_relative_to(self.base.resolve()):
            return str(path.resolve().relative_to(self.base.resolve()))
        return str(path)


class GcsModelStore(ModelStore):
    """Artifacts as objects `gs://<bucket>/<prefix>/<model_id>.joblib`.

    The bucket must exist: the store never creates one (its location, retention and access are the
    owner's choice). A missing bucket or no credentials fail the step with one line saying what to do.
    With STORAGE_EMULATOR_HOST set (google-cloud-storage's own variable) the client talks to that
    emulator without credentials."""

    def __init__(self, url: str, client=None):
        bucket, _, prefix = url.removeprefix(GCS_SCHEME).partition("/")
        if not bucket:
            raise ValueError(f"NBA_PIPELINE_MODEL_STORE={url!r}: expected gs://bucket or gs://bucket/prefix")
        self.url, self.bucket_name, self.prefix = url, bucket, prefix.strip("/")
        self._client = client
        self._bucket = None

    @property
    def client(self):
        if self._client is None:
            from orchestration.bigquery.client import BigQuerySettings
            from orchestration.bigquery.setup_errors import CREDENTIALS_HINT, PROD_EXTRAS_HINT, BigQuerySetupError

            try:
                from google.auth.exceptions import DefaultCredentialsError
                from google.cloud import storage
            except ModuleNotFoundError:
                raise BigQuerySetupError(
                    f"NBA_PIPELINE_MODEL_STORE={self.url} needs google-cloud-storage: {PROD_EXTRAS_HINT}"
                ) from None

            if os.environ.get(STORAGE_EMULATOR_HOST):
                self._client = storage.Client()  # the library's emulator mode: anonymous, no project
            else:
                google = BigQuerySettings.from_env(require_project=False)
                try:
                    credentials = google.credentials()
                except DefaultCredentialsError:
                    raise BigQuerySetupError(
                        f"NBA_PIPELINE_MODEL_STORE={self.url} needs Google credentials: {CREDENTIALS_HINT}"
                    ) from None
                self._client = storage.Client(project=google.execution_project or None, credentials=credentials)
        return self._client

    @property
    def bucket(self):
        """The bucket, checked once: a missing one is a set-up error, not a missing artifact to retrain."""
        if self._bucket is None:
            from google.api_core.exceptions import Forbidden

            from orchestration.bigquery.setup_errors import BigQuerySetupError

            bucket = self.client.bucket(self.bucket_name)
            try:
                found = bucket.exists()
            except Forbidden:  # allowed the objects only (roles/storage.objectAdmin): their reads and writes tell
                found = True
            if not found:
                raise BigQuerySetupError(
                    f"NBA_PIPELINE_MODEL_STORE={self.url}: bucket {self.bucket_name} does not exist; create it "
                    f"(gcloud storage buckets create gs://{self.bucket_name}) or name another"
                )
            self._bucket = bucket
        return self._bucket

    def check(self) -> None:
        self.bucket  # noqa: B018 (the check is the bucket's lookup)

    def _name(self, model_id: str) -> str:
        return f"{self.prefix}/{model_id}{SUFFIX}" if self.prefix else f"{model_id}{SUFFIX}"

    def _blob(self, model_id: str):
        return self.bucket.blob(self._name(model_id))

    def load(self, model_id: str) -> dict[str, Any] | None:
        from google.api_core.exceptions import NotFound

        try:
            data = self._blob(model_id).download_as_bytes()
        except NotFound:
            return None
        try:
            return joblib.load(io.BytesIO(data))
        except Exception:  # a damaged artifact is retrained, not fatal
            return None

    def save(self, model_id: str, artifact: dict[str, Any]) -> None:
        buffer = io.BytesIO()
        joblib.dump(artifact, buffer)
        self._blob(model_id).upload_from_string(buffer.getvalue(), content_type="application/octet-stream")

    def exists(self, model_id: str) -> bool:
        return self._blob(model_id).exists()

    def recorded(self, model_id: str) -> str:
        return f"{GCS_SCHEME}{self.bucket_name}/{self._name(model_id)}"


def model_store(db: Session) -> ModelStore:
    """The store NBA_PIPELINE_MODEL_STORE names, else the session's default."""
    base = db.folder or PROJECT_ROOT
    location = settings().model_store or str(db.default_model_store)
    if location.startswith(GCS_SCHEME):
        return GcsModelStore(location)
    folder = Path(location)
    return LocalModelStore(folder if folder.is_absolute() else PROJECT_ROOT / folder, base)
