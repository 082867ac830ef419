"""Where the trained model keeps its artifacts (joblib files, one per season model).

`NBA_PIPELINE_MODEL_STORE` chooses (orchestration/settings.py): a local folder, or `gs://bucket/prefix`
(google-cloud-storage, with the credentials the BigQuery target uses). Unset, the session says where
(`Session.default_model_store`): `models/` beside the DuckDB file on dev, `models/<project>` under the
project root on BigQuery, which has no warehouse folder.

The registry records where each artifact is (`artifact_path`): relative to the session's base folder (the
DuckDB file's folder, the project root on BigQuery) when it is under it, else in full (a path or a gs:// URL).
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import joblib

from orchestration.settings import PROJECT_ROOT, settings
from orchestration.warehouse import Session

SUFFIX = ".joblib"
GCS_SCHEME = "gs://"


class ModelStore(ABC):
    """Saves and loads artifacts by model id."""

    @abstractmethod
    def load(self, model_id: str) -> dict[str, Any] | None:
        """The stored artifact, or None when there is none or it does not load."""

    @abstractmethod
    def save(self, model_id: str, artifact: dict[str, Any]) -> None:
        """Store (replace) the artifact."""

    @abstractmethod
    def recorded(self, model_id: str) -> str:
        """What the registry's artifact_path says for this model."""


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

    def recorded(self, model_id: str) -> str:
        path = self.path(model_id)
        if self.base is not None and path.resolve().is_relative_to(self.base.resolve()):
            return str(path.resolve().relative_to(self.base.resolve()))
        return str(path)


class GcsModelStore(ModelStore):
    """Artifacts as objects `gs://<bucket>/<prefix>/<model_id>.joblib`."""

    def __init__(self, url: str, client=None):
        bucket, _, prefix = url.removeprefix(GCS_SCHEME).partition("/")
        if not bucket:
            raise ValueError(f"NBA_PIPELINE_MODEL_STORE={url!r}: expected gs://bucket or gs://bucket/prefix")
        self.url, self.bucket_name, self.prefix = url, bucket, prefix.strip("/")
        self._client = client

    @property
    def client(self):
        if self._client is None:
            from orchestration.bigquery.client import BigQuerySettings
            from orchestration.bigquery.setup_errors import PROD_EXTRAS_HINT, BigQuerySetupError

            try:
                from google.cloud import storage
            except ModuleNotFoundError:
                raise BigQuerySetupError(
                    f"NBA_PIPELINE_MODEL_STORE={self.url} needs google-cloud-storage: {PROD_EXTRAS_HINT}"
                ) from None

            bigquery = BigQuerySettings.from_env()
            self._client = storage.Client(project=bigquery.execution_project, credentials=bigquery.credentials())
        return self._client

    def _name(self, model_id: str) -> str:
        return f"{self.prefix}/{model_id}{SUFFIX}" if self.prefix else f"{model_id}{SUFFIX}"

    def _blob(self, model_id: str):
        return self.client.bucket(self.bucket_name).blob(self._name(model_id))

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
