#!/usr/bin/env python3
"""Set-up and entry points that need nothing but python3.

    python3 dev.py demo           # create .venv, install pinned deps, run the main job
    python3 dev.py test           # create .venv, install pinned deps (prod extras too), run the whole test suite
    python3 dev.py setup [--prod] # only create .venv; --prod adds what production needs
                                  # (BigQuery client and adapter, Dagster's PostgreSQL storage)

The demo runs on the embedded default only (on NBA_PIPELINE_TARGET=prod it refuses: no synthetic seasons in
a BigQuery project).

Safe to run twice: the venv is reused and reinstalled only when
constraints.txt or pyproject.toml change.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
STAMP = VENV / ".nba-pipeline-installed"
INSTALL_INPUTS = ("constraints.txt", "pyproject.toml")
# Debian packages the tests drive: headless Chromium (web UI tests) and PostgreSQL
# (Dagster's production instance, started per test session by orchestration/dagster/local_postgres.py).
TEST_DEBIAN_PACKAGES = ("chromium", "chromium-driver", "postgresql-15")
# The suite runs a test file per worker on every core, up to four (pytest-xdist): a file's module fixtures
# (built warehouses, a webserver, a PostgreSQL server) are built once. One worker more than the cores was
# tried (a file's processes sat idle 16-45% of its time): on a clean clone, quiet, the same code took 25m19s
# against 24m26s with one worker per core, its slowest test (BigQuery end-to-end) 353 s. The slowest tests are
# listed at the end, for whoever makes the suite faster next.
PARALLEL_TESTS = (
    "--numprocesses=auto",
    "--maxprocesses=4",
    "--dist=loadfile",
    # files in collection order, not by test count: the Dagster and BigQuery files (few tests, the
    # slowest) start first instead of leaving one worker running them alone at the end
    "--no-loadscope-reorder",
    "--durations=20",
)
# Compiled modules of the suite's processes, when the environment turns bytecode writing off
# (PYTHONDONTWRITEBYTECODE, set on these machines): every test starts Python processes (the CLI, Dagster's
# webserver, daemon, code servers and runs, sqlfluff) that import the same modules, and each compiled them all
# again from source; importing the CLI, dbt and the Dagster definitions took 6.5 CPU seconds that way, 3.3
# from this cache. Kept inside .venv, so the source folders stay as clean as the setting meant them to.
BYTECODE_CACHE = VENV / "pycache"
# pyproject extras: the tests, and production (BigQuery + Dagster on PostgreSQL).
TEST_EXTRAS, PROD_EXTRAS = "test", "test,prod"


def _run(command: list[str], **kwargs) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, **kwargs)


def _install_fingerprint() -> str:
    digest = hashlib.sha256()
    for name in INSTALL_INPUTS:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_venv(extras: str) -> None:
    """A venv with the pinned set from constraints.txt and this project (editable)."""
    if not (BIN / "python").exists():
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    fingerprint = f"{_install_fingerprint()}:{extras}"
    if STAMP.exists() and STAMP.read_text() == fingerprint:
        return
    # --no-compile: Python compiles the modules a command imports when it first imports them; compiling every
    # installed module up front cost 45 of the install's 104 CPU seconds (test and prod extras, side by side)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "--no-compile", "-q"]
    _run([*pip, "-c", str(ROOT / "constraints.txt"), "-e", f"{ROOT}[{extras}]"])
    STAMP.write_text(fingerprint)


def test_environment() -> dict[str, str]:
    """The suite's environment: compiled modules written once and reused by every process (BYTECODE_CACHE)."""
    env = dict(os.environ)
    if env.pop("PYTHONDONTWRITEBYTECODE", None):
        env["PYTHONPYCACHEPREFIX"] = str(BYTECODE_CACHE)
    return env


def ensure_debian_packages(packages: tuple[str, ...]) -> None:
    """Install Debian packages the tests need when they are missing (root on CI machines)."""
    missing = [p for p in packages if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0]
    if not missing or not shutil.which("apt-get"):
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run([*sudo, "apt-get", "update", "-qq"], env=env)
    _run([*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env)


def main(argv: list[str]) -> int:
    if len(argv) < 1 or argv[0] not in {"demo", "test", "setup"}:
        print(__doc__)
        return 2
    action, rest = argv[0], argv[1:]
    if action == "test":
        ensure_venv(PROD_EXTRAS)
        ensure_debian_packages(TEST_DEBIAN_PACKAGES)
        chosen = any(arg.startswith(("-n", "--numprocesses", "-p")) for arg in rest)  # the caller's own choice
        parallel = [] if chosen else list(PARALLEL_TESTS)
        command = [str(BIN / "python"), "-m", "pytest", *parallel, *rest]
        return subprocess.run(command, cwd=ROOT, env=test_environment()).returncode
    if action == "setup":
        if rest not in ([], ["--prod"]):
            print(__doc__)
            return 2
        ensure_venv(PROD_EXTRAS if rest else TEST_EXTRAS)
        return 0
    ensure_venv(TEST_EXTRAS)
    return subprocess.run([str(BIN / "nba-pipeline"), "demo", *rest], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
