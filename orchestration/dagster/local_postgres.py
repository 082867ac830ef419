"""A throwaway local PostgreSQL server for Dagster's production instance (tests and benchmarks).

Debian's `postgresql-15` binaries (`python3 dev.py test` installs them with apt),
a fresh cluster made by `initdb` in a temporary folder, started by `pg_ctl` on a
free port of 127.0.0.1 (trust authentication, no other listener), stopped and
deleted at the end. PostgreSQL refuses to run as root: as root the cluster
belongs to the `postgres` system user the package creates (`runuser`).

    python -m orchestration.dagster.local_postgres    # start one, print the DAGSTER_PG_* vars, Ctrl-C stops it

    with LocalPostgres.start() as server:             # bounded start-up, `pg_ctl stop` at exit
        env = server.env()                            # what dagster.postgres.yaml reads
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SERVER_USER = "postgres"  # the system user Debian's package creates
DATABASE = "dagster"
START_TIMEOUT_SECONDS = 60


class PostgresUnavailable(RuntimeError):
    """The server could not be set up or started (the message has the tool's output)."""


class PostgresNotInstalled(PostgresUnavailable):
    pass


def postgres_bin_dir() -> Path:
    """The folder of initdb/pg_ctl: on PATH, else Debian's /usr/lib/postgresql/<version>/bin."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(os.path.realpath(on_path)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not candidates:
        raise PostgresNotInstalled(
            "PostgreSQL is not installed: apt-get install postgresql-15 (python3 dev.py test installs it)"
        )
    return Path(candidates[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *command] if os.geteuid() == 0 else command


@dataclass
class LocalPostgres:
    folder: Path
    port: int
    bin_dir: Path
    user: str = DATABASE
    database: str = DATABASE

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    def env(self, database: str | None = None) -> dict[str, str]:
        """The settings dagster.postgres.yaml reads (a password is needed only off this machine)."""
        return {
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": "",
            "DAGSTER_PG_DB": database or self.database,
        }

    def url(self, database: str | None = None) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database or self.database}"

    def create_database(self, name: str) -> str:
        """Another empty database on the server (one instance each), its name."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, name)
        return name

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess:
        result = subprocess.run(_as_server_user([str(self.bin_dir / tool), *args]), capture_output=True, text=True)
        if result.returncode != 0:
            raise PostgresUnavailable(f"{tool} {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result

    @classmethod
    def start(cls, folder: Path | None = None, settings: dict[str, str] | None = None) -> LocalPostgres:
        """A fresh cluster in `folder` (a temporary one by default), started with PostgreSQL `settings`
        (`-c name=value` each) beside the listening address and port."""
        bin_dir = postgres_bin_dir()
        folder = Path(folder or tempfile.mkdtemp(prefix="nba-postgres-"))
        folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(folder, SERVER_USER, SERVER_USER)
        server = cls(folder=folder, port=_free_port(), bin_dir=bin_dir)
        server._run(
            "initdb",
            "-D",
            str(server.data_dir),
            "-U",
            server.user,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        options = " ".join(
            [
                f"-c listen_addresses=127.0.0.1 -p {server.port} -k {folder}",
                *(f"-c {name}={value}" for name, value in (settings or {}).items()),
            ]
        )
        server._run(
            "pg_ctl",
            "-D",
            str(server.data_dir),
            "-l",
            str(folder / "server.log"),
            "-o",
            options,
            "-t",
            str(START_TIMEOUT_SECONDS),
            "-w",
            "start",
        )
        try:
            server.create_database(server.database)
        except BaseException:
            server.stop()
            raise
        return server

    def stop(self) -> None:
        """`pg_ctl stop` (fast shutdown) and the cluster's folder removed."""
        if self.data_dir.exists():
            subprocess.run(
                _as_server_user([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"]),
                capture_output=True,
            )
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> LocalPostgres:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> int:
    with LocalPostgres.start() as server:
        for name, value in server.env().items():
            print(f"export {name}={value!r}")
        print(f"# {server.url()}  (Ctrl-C stops it)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
