"""The trained-model step on BigQuery (the local emulator) against the same step on DuckDB, and its model
artifacts in a `gs://` store (a local Cloud Storage emulator).

One DuckDB warehouse is built from real playoff data: phases 2-4 over the start of the 2021-22 playoffs
(TRAINING, enough rows for the 2022-23 model and its validation split) and the first dates of the 2022-23
playoffs (PREDICTED, where players have a game behind them). The trained-model step runs there. Then the
very same `nba_precompute.ml_feature_store` rows (the one table the step reads) are loaded into a project
on the BigQuery emulator, and the step runs on a BigQuery session: its predictions, registry row and
predictions' content versions must equal DuckDB's, and a second run must reuse the model and change
nothing. The same again with NBA_PIPELINE_MODEL_STORE=gs://bucket/prefix on a Cloud Storage emulator.

The end-to-end emulator test (test_bigquery_emulator.py) runs the step on the first playoff dates only,
where there is no earlier season: a `skipped` registry row, no predictions. This file is where the
predictions are written on BigQuery.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest
from support import dbt_build

from orchestration.ml import run_trained_model_step
from orchestration.ml.store import PREDICTIONS_TABLE, REGISTRY_TABLE
from orchestration.ml.trained_model import FEATURE_STORE, MIN_TRAINING_ROWS, PREDICTOR_SUFFIX, SYSTEM_ID
from orchestration.source_versions import VERSIONS_TABLE
from orchestration.warehouse import DuckDBWarehouse, Session

pytestmark = pytest.mark.bigquery

# The 2021-22 playoffs from their first date to the day the training rows of the 2022-23 model pass
# MIN_TRAINING_ROWS in the first 80% of their dates (the validation split: the registry's NUMERIC metrics
# are then measured, not null). A row trains once the player has 3 games behind him (can_use_for_ml_training).
TRAINING = (date(2022, 4, 16), date(2022, 5, 10))
# The 2022-23 playoffs' first dates: every team plays its first game on the 15th or 16th (no history, nothing
# to predict), its second on the 17th or 18th (predicted).
PREDICTED = (date(2023, 4, 15), date(2023, 4, 18))
SEASON = 2022
MODEL_ID = f"{SYSTEM_ID}_{SEASON}"
PHASES_2_TO_4 = "tag:phase_2 tag:phase_3 tag:phase_4"
# Where each run keeps its artifact, not what it computed.
WHERE_COLUMNS = {"artifact_path"}


@dataclass
class Written:
    """What one run of the step left in the warehouse: the trained system's rows, its registry rows, the
    predictions' content versions."""

    predictions: list[dict]
    registry: list[dict]
    versions: list[dict]


def written(db: Session) -> Written:
    def rows(sql: str) -> list[dict]:
        return db.execute(sql).dicts()

    return Written(
        predictions=rows(
            f"select * from {PREDICTIONS_TABLE} where system_id = '{SYSTEM_ID}' order by game_date, game_id, player_id"
        ),
        registry=[
            {k: v for k, v in row.items() if k not in WHERE_COLUMNS}
            for row in rows(f"select * from {REGISTRY_TABLE} order by model_id")
        ],
        versions=rows(
            f"select game_date, row_count, content_version from {VERSIONS_TABLE} "
            f"where source_table = '{PREDICTIONS_TABLE}' order by game_date"
        ),
    )


def differences(found: dict, expected: dict) -> dict:
    """column -> (found, expected) where two rows differ."""
    return {
        k: (found.get(k), expected.get(k)) for k in found.keys() | expected.keys() if found.get(k) != expected.get(k)
    }


def artifact_path(db: Session) -> str:
    return db.scalar(f"select artifact_path from {REGISTRY_TABLE} where model_id = ?", [MODEL_ID])


@dataclass
class StorageEmulator:
    """A local Cloud Storage server (gcp-storage-emulator, in memory) in a process of its own, stopped by its
    PID. google-cloud-storage talks to it when STORAGE_EMULATOR_HOST names it."""

    process: subprocess.Popen
    endpoint: str

    @classmethod
    def start(cls, log: Path, timeout: float = 30.0) -> StorageEmulator:
        from orchestration.bigquery.emulator import free_port

        port = free_port()
        executable = Path(sys.executable).parent / "gcp-storage-emulator"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [str(executable), "start", "--host", "127.0.0.1", "--port", str(port), "--in-memory"],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        emulator = cls(process, f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert process.poll() is None, f"gcp-storage-emulator exited: {log.read_text()[-2000:]}"
            try:
                with urllib.request.urlopen(f"{emulator.endpoint}/storage/v1/b?project=test", timeout=1):
                    return emulator
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        emulator.stop()
        raise AssertionError(f"gcp-storage-emulator not answering after {timeout:.0f} s: {log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


# ---------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def duck(real_dir, tmp_path_factory):
    """The DuckDB warehouse (phases 2-4 over TRAINING and PREDICTED) after the step ran on PREDICTED:
    (path, what the step wrote)."""
    from orchestration.loading import load_landing
    from orchestration.warehouse import connect

    folder = tmp_path_factory.mktemp("trained_duck")
    path = folder / "nba.duckdb"
    began = time.monotonic()
    with connect(path) as con:
        for start, end in (TRAINING, PREDICTED):
            load_landing(real_dir, start, end, con=con)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NBA_PIPELINE_TARGET", "dev")
        env.setenv("NBA_STRICT_MODE", "true")
        env.setenv("NBA_PIPELINE_MODEL_STORE", str(folder / "models"))
        target = tmp_path_factory.mktemp("trained_duck_target")
        for start, end in (TRAINING, PREDICTED):
            result = dbt_build([PHASES_2_TO_4], start, end, path, target)
            assert result.succeeded, result.failure_summary()
        with DuckDBWarehouse(path).writing("test") as db:
            outcome = run_trained_model_step(db, *PREDICTED)
            assert outcome.status == "success" and f"{SEASON}: trained" in outcome.message, outcome.message
            rows = written(db)
    print(f"DuckDB warehouse built and the step run in {time.monotonic() - began:.1f}s")
    return path, rows


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    emulator = StorageEmulator.start(tmp_path_factory.mktemp("gcs") / "gcp-storage-emulator.log")
    try:
        yield emulator
    finally:
        emulator.stop()
        assert emulator.process.poll() is not None, "the storage emulator outlived the tests"


def bigquery_session(emulator, project: str, env: pytest.MonkeyPatch) -> Session:
    """A session on `project` of the emulator, the prod settings pointing there (for the step's store too)."""
    from orchestration.bigquery import BigQuerySettings
    from orchestration.warehouse.bigquery import BigQueryWarehouse

    for name, value in emulator.env().items():
        env.setenv(name, value)
    env.setenv("NBA_BQ_PROJECT", project)
    env.setenv("NBA_BQ_EXECUTION_PROJECT", project)
    return BigQueryWarehouse(project, client=BigQuerySettings.from_env().client()).session()


def copy_feature_store(duck_path: Path, db: Session) -> int:
    """DuckDB's feature store, every row and column, into the BigQuery project as one load job. The BigQuery
    schema comes from DuckDB's catalog through the type mapping of the Python-owned tables."""
    from orchestration.warehouse.bigquery import upload_csv
    from orchestration.warehouse.bigquery_tables import Column, bigquery_type

    schema, table = FEATURE_STORE.split(".")
    db.execute(f"create schema if not exists {schema}")
    with duckdb.connect(str(duck_path), read_only=True) as con:
        columns = [
            Column(name, bigquery_type(kind), nullable == "YES")
            for name, kind, nullable in con.execute(
                "select column_name, data_type, is_nullable from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, table],
            ).fetchall()
        ]
        upload_csv(db.client, f"{db.project}.{FEATURE_STORE}", f"from {FEATURE_STORE}", con, columns, append=False)
        rows = con.execute(f"select count(*) from {FEATURE_STORE}").fetchone()[0]
    assert db.scalar(f"select count(*) from {FEATURE_STORE}") == rows
    return rows


# ---------------------------------------------------------------------------------------------
# tests


def test_trained_model_on_bigquery_writes_what_it_writes_on_duckdb(duck, emulator, tmp_path):
    """Same feature rows, same step: on BigQuery the same predictions (NUMERIC, exact), the same registry row
    (NUMERIC validation metrics, fingerprint) and the same content versions as on DuckDB; the artifact is in
    the store the registry names; a second run reuses it and changes nothing."""
    duck_path, expected = duck
    store = tmp_path / "models"
    with pytest.MonkeyPatch.context() as env:
        db = bigquery_session(emulator, "trained-model-project", env)
        env.setenv("NBA_PIPELINE_MODEL_STORE", str(store))
        copy_feature_store(duck_path, db)

        outcome = run_trained_model_step(db, *PREDICTED)
        assert outcome.status == "success" and f"{SEASON}: trained" in outcome.message, outcome.message
        first = written(db)
        artifact = store / f"{MODEL_ID}.joblib"
        assert artifact_path(db) == str(artifact) and artifact.is_file()
        stamp = (artifact.stat().st_mtime_ns, artifact.read_bytes())

        again = run_trained_model_step(db, *PREDICTED)
        assert again.status == "success" and f"{SEASON}: reused" in again.message, again.message
        assert again.rows_written == outcome.rows_written
        assert written(db) == first
        assert (artifact.stat().st_mtime_ns, artifact.read_bytes()) == stamp  # loaded, not saved again

    (registry,) = expected.registry
    assert registry["status"] == "trained" and registry["training_rows"] >= MIN_TRAINING_ROWS, registry
    assert registry["validation_mae"] is not None and registry["validation_rows"] > 0, registry
    assert expected.predictions and expected.versions
    assert outcome.rows_written == len(expected.predictions)
    assert first.predictions == expected.predictions
    assert len(first.registry) == 1
    assert differences(first.registry[0], registry) == {}
    assert first.versions == expected.versions


def test_gs_model_store_on_a_storage_emulator(duck, emulator, storage, tmp_path):
    """NBA_PIPELINE_MODEL_STORE=gs://bucket/prefix: the step on BigQuery saves its artifact as an object under
    the prefix, the registry names its gs:// URL, and the predictions equal DuckDB's (here every append is a
    load job, the write path of more than INSERT_ROWS_LIMIT rows). A rerun loads the model from the bucket
    (reused, the object not rewritten); with the object deleted it trains again. A missing bucket fails the
    step before training with one line naming it; so do missing credentials (dev target, no login)."""
    from google.cloud import storage as gcs

    duck_path, expected = duck
    bucket, prefix = "nba-models", "pipeline/models"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("STORAGE_EMULATOR_HOST", storage.endpoint)
        db = bigquery_session(emulator, "gcs-store-project", env)
        env.setattr("orchestration.warehouse.bigquery.INSERT_ROWS_LIMIT", 0)
        copy_feature_store(duck_path, db)
        client = gcs.Client()
        client.create_bucket(bucket)  # the owner's step: the store never creates a bucket

        env.setenv("NBA_PIPELINE_MODEL_STORE", "gs://nba-no-such-bucket/models")
        missing = run_trained_model_step(db, *PREDICTED)
        assert missing.status == "failed" and "\n" not in missing.message, missing.message
        assert "bucket nba-no-such-bucket does not exist" in missing.message, missing.message
        assert db.scalar(f"select count(*) from {REGISTRY_TABLE}") == 0  # failed before training

        env.setenv("NBA_PIPELINE_MODEL_STORE", f"gs://{bucket}/{prefix}")
        outcome = run_trained_model_step(db, *PREDICTED)
        assert outcome.status == "success" and f"{SEASON}: trained" in outcome.message, outcome.message
        first = written(db)
        # the artifact, and beside it the trees a reuse predicts from (trained_model.PREDICTOR_SUFFIX)
        blob, trees = sorted(client.list_blobs(bucket), key=lambda b: b.name)
        assert blob.name == f"{prefix}/{MODEL_ID}.joblib" and blob.size > 0
        assert trees.name == f"{prefix}/{MODEL_ID}{PREDICTOR_SUFFIX}.joblib" and trees.size > 0
        assert artifact_path(db) == f"gs://{bucket}/{blob.name}"

        again = run_trained_model_step(db, *PREDICTED)
        assert again.status == "success" and f"{SEASON}: reused" in again.message, again.message
        assert written(db) == first
        reread, _ = sorted(client.list_blobs(bucket), key=lambda b: b.name)
        assert (reread.generation, reread.md5_hash) == (blob.generation, blob.md5_hash)  # not written again

        reread.delete()  # the reuse came from the bucket: without the object the model is fitted again
        retrained = run_trained_model_step(db, *PREDICTED)
        assert f"{SEASON}: trained" in retrained.message, retrained.message
        assert written(db) == first and sorted(b.name for b in client.list_blobs(bucket)) == [blob.name, trees.name]

    assert first.predictions == expected.predictions and first.versions == expected.versions
    assert differences(first.registry[0], expected.registry[0]) == {}

    # the dev target with a gs:// store and no Google login: one line saying how to log in, nothing trained
    warehouse = tmp_path / "dev.duckdb"
    warehouse.write_bytes(duck_path.read_bytes())
    with pytest.MonkeyPatch.context() as env:
        for name in [name for name in os.environ if name.startswith(("NBA_BQ_", "GOOGLE_", "CLOUDSDK_"))]:
            env.delenv(name)
        env.delenv("STORAGE_EMULATOR_HOST", raising=False)
        # no application default credentials anywhere, and no probe of the GCE metadata server
        env.setenv("HOME", str(tmp_path))
        env.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
        env.setenv("NO_GCE_CHECK", "True")
        env.setenv("NBA_PIPELINE_TARGET", "dev")
        env.setenv("NBA_PIPELINE_MODEL_STORE", f"gs://{bucket}/{prefix}")
        with DuckDBWarehouse(warehouse).writing("test") as dev:
            before = written(dev)
            no_login = run_trained_model_step(dev, *PREDICTED)
            after = written(dev)
    assert no_login.status == "failed" and "\n" not in no_login.message, no_login.message
    assert f"NBA_PIPELINE_MODEL_STORE=gs://{bucket}/{prefix} needs Google credentials" in no_login.message
    assert "gcloud auth application-default login" in no_login.message, no_login.message
    assert after.registry == before.registry  # nothing trained; the range's rows removed, as for any failure
