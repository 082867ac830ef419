"""A local BigQuery emulator (Crucible) for tests and development, in its own venv.

crucible-emulator pins duckdb and sqlglot versions that clash with dbt's, so it
lives in `.venv-bq-emulator/` beside the project venv, created on first use
with the exact versions below (reinstalled when they change).

    python -m orchestration.bigquery.emulator        # start one, print the env vars, Ctrl-C stops it

    with BigQueryEmulator.start() as emulator:       # free port, bounded start-up, stopped by its PID
        env = emulator.env()                         # NBA_PIPELINE_TARGET=prod + NBA_BQ_* for it
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import venv
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.settings import settings

EMULATOR_VENV = settings().bq_emulator_venv
# The emulator and its server, pinned exactly (pip freeze of a working install).
EMULATOR_REQUIREMENTS = (
    "crucible-emulator[server]==0.1.0a2",
    "anyio==4.16.0",
    "click==8.5.1",
    "duckdb==1.5.6",
    "h11==0.16.0",
    "idna==3.20",
    "pytz==2026.6",
    "PyYAML==6.0.4",
    "sqlglot==30.22.0",
    "starlette==1.10.0",
    "typing_extensions==4.16.0",
    "uvicorn==0.54.0",
)
# Installed over it (--no-deps): the DuckDB of the project (constraints.txt).
# crucible pins duckdb 1.5.6, whose ROUND(DOUBLE, n) rounds fl(x * 10^n)
# (ROUND(36.5 / 80, 4) = 0.4563) where DuckDB 2.0 rounds the exact binary value
# of x (0.4562), as BigQuery's ROUND does (ZetaSQL scales in extended
# precision). With 1.5.6 the emulator would differ from both at every decimal
# tie; every statement this project sends runs on 2.0.1 (tests/test_bigquery_emulator.py).
EMULATOR_OVERRIDES = ("duckdb==2.0.1",)
EMULATOR_PROJECT = "local-project"
HEALTH_PATH = "/_crucible/health"


class EmulatorError(RuntimeError):
    pass


def _stamp() -> Path:
    return EMULATOR_VENV / ".nba-pipeline-installed"


def ensure_emulator_venv(progress=print) -> Path:
    """The `crucible` executable of the emulator venv, installing it when missing or outdated."""
    executable = EMULATOR_VENV / "bin" / "crucible"
    wanted = "\n".join(EMULATOR_REQUIREMENTS + EMULATOR_OVERRIDES)
    if executable.exists() and _stamp().exists() and _stamp().read_text() == wanted:
        return executable
    if not (EMULATOR_VENV / "bin" / "python").exists():
        progress(f"creating {EMULATOR_VENV}")
        venv.EnvBuilder(with_pip=True, clear=False).create(EMULATOR_VENV)
    progress("installing " + EMULATOR_REQUIREMENTS[0])
    pip = [str(EMULATOR_VENV / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, *EMULATOR_REQUIREMENTS], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*pip, "--no-deps", *EMULATOR_OVERRIDES], check=True, stdout=subprocess.DEVNULL)
    _stamp().write_text(wanted)
    return executable


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _health(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url + HEALTH_PATH, timeout=1) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


@dataclass
class BigQueryEmulator:
    """One running emulator process (in-memory state), stopped by its PID."""

    process: subprocess.Popen
    port: int
    log_path: Path
    health: dict = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(
        cls, port: int | None = None, timeout: float = 30.0, log_dir: Path | None = None, progress=print
    ) -> BigQueryEmulator:
        executable = ensure_emulator_venv(progress)
        port = port or free_port()
        log_path = Path(log_dir or tempfile.mkdtemp(prefix="bq-emulator-")) / f"crucible-{port}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [str(executable), "serve", "--dialect", "bigquery", "--host", "127.0.0.1", "--port", str(port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        emulator = cls(process, port, log_path)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise EmulatorError(f"emulator exited with {process.returncode}: {emulator.log_tail()}")
            health = _health(emulator.endpoint)
            if health and health.get("status") == "ok":
                emulator.health = health
                return emulator
            time.sleep(0.1)
        emulator.stop()
        raise EmulatorError(f"emulator not healthy on port {port} after {timeout:.0f} s: {emulator.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def env(self) -> dict[str, str]:
        """What the prod target (dbt profile and the Phase 2 BigQuery writer) needs to reach this emulator."""
        return {
            "NBA_PIPELINE_TARGET": "prod",
            "NBA_BQ_METHOD": "oauth-secrets",
            "NBA_BQ_TOKEN": "emulator-token",
            "NBA_BQ_PROJECT": EMULATOR_PROJECT,
            "NBA_BQ_EXECUTION_PROJECT": EMULATOR_PROJECT,
            "NBA_BQ_LOCATION": "US",
            "NBA_BQ_API_ENDPOINT": self.endpoint,
        }

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to this emulator's PID (its own process group), SIGKILL if it lingers."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)

    def __enter__(self) -> BigQueryEmulator:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> int:
    emulator = BigQueryEmulator.start()
    print(f"BigQuery emulator (pid {emulator.process.pid}) at {emulator.endpoint}; log {emulator.log_path}")
    print("point the prod target at it with:")
    for name, value in emulator.env().items():
        print(f"  export {name}={value}")
    try:
        emulator.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
