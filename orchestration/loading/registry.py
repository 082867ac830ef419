"""Player and team registries: nba_api's static lists plus the landing folder's reference/ files.

Registries are upserted (never shrunk): an id keeps its nba_api row unless a
reference file gives it other values, in which case the file wins and is named
in `source`. Box-score players missing from the registry are listed in
`nba_raw.unresolved_players` by the writer, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.loading import rules
from orchestration.loading.csvfiles import FolderRows, Progress, list_files, read_folder
from orchestration.loading.duck import registered
from orchestration.loading.errors import FileProblem
from orchestration.loading.quarantine import QuarantineRows

NBA_API = "nba_api"
REFERENCE_FOLDER = "reference"

PLAYER_REQUIRED = ("id", "full_name")
PLAYER_OPTIONAL = ("is_active",)
TEAM_REQUIRED = ("id", "full_name", "abbreviation")


@cache
def _nba_api_players() -> tuple[tuple[int, str, bool | None], ...]:
    from nba_api.stats.static import players

    return tuple((int(p["id"]), str(p["full_name"]), p.get("is_active")) for p in players.get_players())


@cache
def _nba_api_teams() -> tuple[tuple[int, str, str], ...]:
    from nba_api.stats.static import teams

    return tuple((int(t["id"]), str(t["abbreviation"]), str(t["full_name"])) for t in teams.get_teams())


@dataclass
class Registries:
    """The registry rows to upsert, the reference files read and their bad rows."""

    players: dict[int, tuple[str, bool | None, str]] = field(default_factory=dict)  # id -> name, active, source
    teams: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # id -> abbr, name, source
    files: list[tuple[str, str]] = field(default_factory=list)  # (registry table, path)
    warnings: list[str] = field(default_factory=list)  # e.g. a file not in UTF-8
    quarantine: QuarantineRows = field(default_factory=QuarantineRows)


def _trimmed(rows: FolderRows) -> dict[str, pa.Array]:
    return {name: pc.utf8_trim_whitespace(rows.column(name)) for name in rows.needed}


def _source(path: Path) -> str:
    return f"{REFERENCE_FOLDER}/{path.name}"


def _quarantine_bad(reg: Registries, table: str, rows: FolderRows, checks: rules.RowChecks) -> None:
    for bad in rows.malformed:
        reg.quarantine.add(table, str(rows.files[bad.file_index]), bad.line, bad.rule, bad.raw, None)
    file_index, line_number = rows.file_index, rows.line_number
    for i in np.nonzero(~checks.ok)[0].tolist():
        f, line = int(file_index[i]), int(line_number[i])
        reg.quarantine.add(table, str(rows.files[f]), line, checks.rule[i], rows.raw(f, line), None)


def _overlay(
    reg: Registries,
    registry: dict[int, tuple],
    table: str,
    rows: FolderRows,
    value_columns: Callable[[dict[str, pa.Array], rules.RowChecks], list[list]],
) -> None:
    """The reference rows over nba_api's: an id's values from a file win (named in `source`);
    bad rows are quarantined with their file, line and rule."""
    checks = rules.RowChecks(rows.n)
    cols = _trimmed(rows)
    ids, _ = rules.identifier(cols["id"], checks)
    values = value_columns(cols, checks)
    _quarantine_bad(reg, table, rows, checks)
    for i in np.nonzero(checks.ok)[0].tolist():
        row = tuple(column[i] for column in values)
        current = registry.get(int(ids[i]))
        if current is None or current[: len(row)] != row:
            registry[int(ids[i])] = (*row, _source(rows.files[rows.file_index[i]]))


def read_registries(landing_dir: Path, problems: list[FileProblem], progress: Progress | None = None) -> Registries:
    """nba_api's lists overlaid with reference/*players*.csv[.gz] and reference/*teams*.csv[.gz]."""
    reg = Registries()
    for pid, name, active in _nba_api_players():
        reg.players[pid] = (name, active, NBA_API)
    for tid, abbr, name in _nba_api_teams():
        reg.teams[tid] = (abbr, name, NBA_API)

    files = list_files(landing_dir / REFERENCE_FOLDER)
    player_files = [p for p in files if "players" in p.name]
    team_files = [p for p in files if "teams" in p.name]

    players = read_folder(player_files, PLAYER_REQUIRED, PLAYER_OPTIONAL, problems, progress)
    _overlay(
        reg,
        reg.players,
        "player_registry",
        players,
        lambda cols, checks: [
            rules.text(cols["full_name"], checks, required=True).to_pylist(),
            rules.boolean(cols["is_active"], checks).to_pylist(),
        ],
    )
    teams = read_folder(team_files, TEAM_REQUIRED, (), problems, progress)
    _overlay(
        reg,
        reg.teams,
        "team_registry",
        teams,
        lambda cols, checks: [
            rules.text(cols["abbreviation"], checks, required=True).to_pylist(),
            rules.text(cols["full_name"], checks, required=True).to_pylist(),
        ],
    )

    reg.files = [("player_registry", str(p)) for p in players.files] + [("team_registry", str(p)) for p in teams.files]
    reg.warnings = players.warnings + teams.warnings
    return reg


def write_registries(con: duckdb.DuckDBPyConnection, reg: Registries) -> None:
    """Upsert both registries (inside the caller's transaction); rows that did not change are untouched."""
    players = pa.table(
        {
            "player_id": pa.array(list(reg.players), pa.int64()),
            "player_name": pa.array([v[0] for v in reg.players.values()], pa.string()),
            "is_active": pa.array([v[1] for v in reg.players.values()], pa.bool_()),
            "source": pa.array([v[2] for v in reg.players.values()], pa.string()),
        }
    )
    teams = pa.table(
        {
            "team_id": pa.array(list(reg.teams), pa.int64()),
            "team_abbr": pa.array([v[0] for v in reg.teams.values()], pa.string()),
            "team_name": pa.array([v[1] for v in reg.teams.values()], pa.string()),
            "source": pa.array([v[2] for v in reg.teams.values()], pa.string()),
        }
    )
    for table, key, data in (("player_registry", "player_id", players), ("team_registry", "team_id", teams)):
        cols = data.column_names
        others = [c for c in cols if c != key]
        with registered(con, _registry_rows=data):
            con.execute(f"""
                insert into nba_raw.{table} ({", ".join(cols)})
                select {", ".join(cols)} from _registry_rows
                on conflict ({key}) do update set {", ".join(f"{c} = excluded.{c}" for c in others)}
                where {" or ".join(f"{table}.{c} is distinct from excluded.{c}" for c in others)}""")
