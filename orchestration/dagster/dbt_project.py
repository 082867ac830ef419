"""The dbt project as dagster-dbt sees it, and a manifest that is always there and current.

`dagster asset materialize -m orchestration.definitions` must work from a fresh
checkout, where `dbt_project/target/manifest.json` does not exist, and after an
edit of a model. So at load time the project files are fingerprinted (models,
tests, macros, seeds, snapshots, analyses, dbt_project.yml, profiles.yml and the
target name) and `dbt parse` runs when the manifest is missing or was parsed from
other files. A file lock makes concurrent loaders (webserver, daemon, run
workers) parse once. `prepare_if_dev` would only do this under `dagster dev`.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
from pathlib import Path

import yaml
from dagster_dbt import DbtProject

from orchestration.dbt_invoke import dbt_executable, window_env
from orchestration.paths import DBT_PROJECT_DIR
from orchestration.settings import settings

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
FINGERPRINT_FILE = "manifest.fingerprint"
PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def _project_inputs(project_dir: Path) -> list[Path]:
    config = yaml.safe_load((project_dir / "dbt_project.yml").read_text()) or {}
    folders: list[str] = []
    for key, default in (
        ("model-paths", ["models"]),
        ("test-paths", ["tests"]),
        ("macro-paths", ["macros"]),
        ("seed-paths", ["seeds"]),
        ("snapshot-paths", ["snapshots"]),
        ("analysis-paths", ["analyses"]),
    ):
        folders.extend(config.get(key, default))
    files = [project_dir / name for name in ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml")]
    for folder in folders:
        root = (project_dir / folder).resolve()
        if root.is_dir():
            files.extend(path for path in root.rglob("*") if path.is_file() and "__pycache__" not in path.parts)
    return sorted({path for path in files if path.exists()})


def project_fingerprint(project_dir: Path = DBT_PROJECT_DIR) -> str:
    digest = hashlib.sha256()
    digest.update(settings().target.encode())
    for path in _project_inputs(project_dir):
        digest.update(
            str(path.relative_to(project_dir.parent) if path.is_relative_to(project_dir.parent) else path).encode()
        )
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def ensure_manifest(project: DbtProject = DBT_PROJECT) -> Path:
    """Parse the project when its manifest is missing or stale; returns the manifest path."""
    manifest = Path(project.manifest_path)
    stamp = manifest.with_name(FINGERPRINT_FILE)
    fingerprint = project_fingerprint(Path(project.project_dir))
    if manifest.exists() and stamp.exists() and stamp.read_text().strip() == fingerprint:
        return manifest
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest.parent / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if manifest.exists() and stamp.exists() and stamp.read_text().strip() == fingerprint:
                return manifest
            command = [
                dbt_executable(),
                "parse",
                "--quiet",
                "--project-dir",
                str(project.project_dir),
                "--profiles-dir",
                str(project.profiles_dir),
                "--target-path",
                str(manifest.parent),
            ]
            result = subprocess.run(
                command,
                cwd=project.project_dir,
                env={**os.environ, **window_env(None, None), "DBT_USE_COLORS": "false"},
                capture_output=True,
                text=True,
            )
            if result.returncode != 0 or not manifest.exists():
                raise RuntimeError(
                    f"dbt parse failed ({' '.join(command)}):\n{result.stdout[-4000:]}{result.stderr[-2000:]}"
                )
            stamp.write_text(fingerprint)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return manifest
