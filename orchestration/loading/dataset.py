"""Dataset identity: which dataset a landing folder holds, which one a warehouse holds, and whether they match.

Identity comes from what the data is, never from the folder's path:

1. a manifest at the landing root (`dataset.json`, written by the generator);
2. the markers of a known real source: its PROVENANCE.md, its file names, its reference lists;
3. the box-score player ids: synthetic players have ids from SYNTHETIC_PLAYER_ID_FLOOR on, real ones below.

A folder copied out of a dataset (a day of corrected files) is therefore recognised
as that dataset wherever it lies. A warehouse records the datasets it holds in
`nba_raw.landing_datasets` and the folders loaded into it in
`nba_raw.landing_folders`, in the load's own transaction. A load whose landing is
another dataset than the warehouse's is refused (DatasetMismatchError) unless
the caller allows it explicitly.

Later code reloads from the folder recorded for a warehouse:

    recorded_landing(con)                       # the folder of the widest load (the whole dataset)
    recorded_landing(con, day=date(2022, 5, 1)) # the folder loaded last that holds that date
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.dataset_manifest import (
    GENERATED,
    GENERATOR_SOURCE,
    MANIFEST_FILE,
    REAL,
    SYNTHETIC_PLAYER_ID_FLOOR,
    ManifestError,
    read_manifest,
)
from orchestration.loading.duck import registered
from orchestration.loading.errors import FileProblem, LandingFileError
from orchestration.loading.staging import StagedTable
from orchestration.season_calendar import PLAYOFFS, SEGMENTS, SEGMENTS_BY_SEASON_TYPE

MIXED = "mixed"        # markers and player ids disagree, or both kinds of player ids: matches no dataset
UNKNOWN = "unknown"    # no markers and no player ids (e.g. a schedule alone): cannot tell, matches any
ALLOW_FLAG = "--allow-other-dataset"


@dataclass(frozen=True)
class KnownSource:
    """A real dataset the loader recognises by its markers."""

    dataset_id: str
    description: str
    segments: tuple[str, ...]
    provenance_mark: str               # text its PROVENANCE.md names
    file_name: re.Pattern[str]         # names of its box-score / schedule files
    reference_file: str                # its player list under reference/


REAL_PLAYOFFS = KnownSource(
    dataset_id="real:nba-playoffs-2010-2024",
    description="real NBA playoffs 2010-11..2023-24 (NocturneBear/NBA-Data-2010-2024, nba_api reference lists)",
    segments=(PLAYOFFS.name,),
    provenance_mark="NocturneBear/NBA-Data-2010-2024",
    file_name=re.compile(r"^nba_playoffs_(player_box|team_box|schedule)_\d{4}-\d{2}"),
    reference_file="nba_api_static_players.csv.gz",
)
KNOWN_SOURCES = (REAL_PLAYOFFS,)


@dataclass(frozen=True)
class DatasetIdentity:
    """What a landing (or a warehouse) holds."""

    dataset_id: str                    # e.g. generated:seed-42:from-2021-22; "<kind>:unidentified" if unknown
    kind: str                          # real | generated | mixed
    description: str
    segments: tuple[str, ...]          # season segments the dataset holds (season_calendar.SEGMENTS names)
    evidence: str                      # how it was recognised
    identified: bool = True            # False: the kind is known (player ids) but not which dataset

    def describe(self) -> str:
        return f"{self.kind} data: {self.description} (id {self.dataset_id}; recognised by {self.evidence})"

    def matches(self, other: DatasetIdentity) -> bool:
        """Same kind, and the same dataset whenever both are identified."""
        if UNKNOWN in (self.kind, other.kind):
            return True
        if self.kind != other.kind or MIXED in (self.kind, other.kind):
            return False
        return not (self.identified and other.identified) or self.dataset_id == other.dataset_id


class DatasetMismatchError(ValueError):
    """A landing of another dataset than the warehouse's; nothing was written."""

    def __init__(self, recorded: list[DatasetIdentity], landing: DatasetIdentity, landing_dir: Path,
                 warehouse: str, folders: list[str]) -> None:
        self.recorded, self.landing, self.landing_dir, self.folders = recorded, landing, landing_dir, folders
        super().__init__(self.message(warehouse))

    def message(self, warehouse: str) -> str:
        held = "; ".join(r.describe() for r in self.recorded)
        where = f", loaded from {', '.join(self.folders)}" if self.folders else ""
        return (f"load refused: the warehouse {warehouse} holds {held}{where}. The landing {self.landing_dir} is "
                f"{self.landing.describe()}. Loading it would mix two datasets in one warehouse, so nothing was "
                f"written. Load it into a warehouse of its own (e.g. NBA_PIPELINE_DUCKDB=warehouse/other.duckdb "
                f"nba-pipeline load {self.landing_dir}), or pass {ALLOW_FLAG} to load it into this one anyway.")

    def for_warehouse(self, warehouse: str) -> DatasetMismatchError:
        return DatasetMismatchError(self.recorded, self.landing, self.landing_dir, warehouse, self.folders)


# -- what a landing is ------------------------------------------------------------------------------------------

def _kind_of_ids(low: int, high: int) -> str:
    if low >= SYNTHETIC_PLAYER_ID_FLOOR:
        return GENERATED
    return REAL if high < SYNTHETIC_PLAYER_ID_FLOOR else MIXED


def _player_id_kind(staged: list[StagedTable]) -> str | None:
    """real / generated / mixed from the player ids of every valid box-score and prop row; None without any."""
    ranges = [s.player_ids for s in staged if s.player_ids is not None]
    if not ranges:
        return None
    return _kind_of_ids(min(r[0] for r in ranges), max(r[1] for r in ranges))


def _segments_in(staged: list[StagedTable]) -> tuple[str, ...]:
    """The segments whose season type appears in the staged schedule rows."""
    types: set[str] = set()
    for s in staged:
        if "season_type" in s.rows.column_names:
            types |= set(pc.unique(s.rows.column("season_type")).to_pylist())
    return tuple(seg.name for seg in SEGMENTS if seg.season_type in types)


def _known_source(landing_dir: Path, staged: list[StagedTable]) -> tuple[KnownSource, str] | None:
    provenance = landing_dir / "PROVENANCE.md"
    for source in KNOWN_SOURCES:
        if provenance.is_file() and source.provenance_mark in provenance.read_text(encoding="utf-8", errors="replace"):
            return source, "PROVENANCE.md"
        if any(source.file_name.match(p.name) for s in staged for p in s.files):
            return source, "its file names"
        if (landing_dir / "reference" / source.reference_file).is_file():
            return source, f"reference/{source.reference_file}"
    return None


def identify_landing(landing_dir: Path, staged: list[StagedTable]) -> DatasetIdentity:
    """The dataset `landing_dir` holds, from its manifest, its markers or its player ids (in that order).

    Markers that contradict the player ids make a `mixed` identity, which matches no dataset.
    """
    content = _player_id_kind(staged)
    try:
        manifest = read_manifest(landing_dir)
    except ManifestError as error:
        raise LandingFileError([FileProblem(landing_dir / MANIFEST_FILE, str(error))]) from None
    if manifest is not None:
        seasons = manifest.seasons
        described = manifest.source + (f", seed {manifest.seed}" if manifest.seed is not None else "") + (
            "" if not seasons else f", season {seasons[0]}" if len(seasons) == 1
            else f", seasons {seasons[0]}..{seasons[-1]}")
        identity = DatasetIdentity(manifest.dataset_id, manifest.kind, described, manifest.segments, MANIFEST_FILE)
    elif (known := _known_source(landing_dir, staged)) is not None:
        source, evidence = known
        identity = DatasetIdentity(source.dataset_id, REAL, source.description, source.segments, evidence)
    elif content in (REAL, GENERATED):
        description = (f"box scores of synthetic players (ids from {SYNTHETIC_PLAYER_ID_FLOOR:,}), "
                       f"{GENERATOR_SOURCE}" if content == GENERATED else "box scores of real nba.com players")
        return DatasetIdentity(f"{content}:unidentified", content, description, _segments_in(staged),
                               "its player ids", identified=False)
    elif content == MIXED:
        return DatasetIdentity(f"{MIXED}:unidentified", MIXED, "a landing with both real and synthetic player ids",
                               _segments_in(staged), "its player ids", identified=False)
    else:
        return DatasetIdentity(f"{UNKNOWN}:unidentified", UNKNOWN, "a landing without box scores or markers",
                               _segments_in(staged), "nothing (no manifest, markers or player ids)",
                               identified=False)
    if content is not None and content != identity.kind:
        return DatasetIdentity(f"{MIXED}:unidentified", MIXED,
                               f"{identity.description}, but with {content} player ids", identity.segments,
                               f"{identity.evidence} and its player ids", identified=False)
    return identity


# -- what a warehouse holds --------------------------------------------------------------------------------------

def recorded_datasets(con: duckdb.DuckDBPyConnection) -> list[DatasetIdentity]:
    """The datasets recorded for the warehouse; for a warehouse loaded before this record existed, the kind
    its loaded player ids show."""
    rows = con.execute("""
        select dataset_id, kind, description, segments, evidence, identified
        from nba_raw.landing_datasets order by first_loaded_at, dataset_id""").fetchall()
    if rows:
        return [DatasetIdentity(r[0], r[1], r[2], tuple(r[3].split(",")) if r[3] else (), r[4], r[5])
                for r in rows]
    low, high = con.execute("select min(player_id), max(player_id) from nba_raw.nbac_player_boxscore").fetchone()
    if low is None:
        return []
    kind = _kind_of_ids(low, high)
    return [DatasetIdentity(f"{kind}:unidentified", kind, "rows loaded before datasets were recorded", (),
                            "its loaded player ids", identified=False)]


def _folders(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The folders loaded into the warehouse, most recent first (three at most)."""
    return [r[0] for r in con.execute("""select landing_dir from nba_raw.landing_folders group by landing_dir
                                         order by max(loaded_at) desc limit 3""").fetchall()]


def _warehouse_name(con: duckdb.DuckDBPyConnection) -> str:
    path = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()
    return path[0] if path and path[0] else "(in memory)"


def check_and_record(con: duckdb.DuckDBPyConnection, landing: DatasetIdentity, landing_dir: Path,
                     staged: list[StagedTable], loaded_at: datetime, allow_other_dataset: bool = False) -> str:
    """Refuse a landing of another dataset (before any write), else record it; inside the load's transaction.

    Returns the dataset id the load is recorded under.
    """
    recorded = recorded_datasets(con)
    matching = [r for r in recorded if landing.matches(r)]
    if recorded and not matching and not allow_other_dataset:
        raise DatasetMismatchError(recorded, landing, landing_dir, _warehouse_name(con), _folders(con))
    # A folder of unknown provenance that matches an identified dataset counts as that dataset.
    owner = next((r for r in matching if r.identified), landing) if not landing.identified else landing
    con.execute("""
        insert into nba_raw.landing_datasets
            (dataset_id, kind, description, segments, evidence, identified, first_loaded_at, loaded_at)
        values (?, ?, ?, ?, ?, ?, ?, ?)
        on conflict (dataset_id) do update set loaded_at = excluded.loaded_at""",
                [owner.dataset_id, owner.kind, owner.description, ",".join(owner.segments), owner.evidence,
                 owner.identified, loaded_at, loaded_at])
    dates = sorted({d for s in staged for d in s.file_dates})
    folder = str(Path(landing_dir).resolve())
    con.execute("delete from nba_raw.landing_folders where landing_dir = ?", [folder])
    with registered(con, _folder_dates=pa.table({"d": pa.array(dates, pa.date32())})):
        con.execute("""
            insert into nba_raw.landing_folders (landing_dir, dataset_id, file_game_date, loaded_at)
            select ?, ?, d, ? from _folder_dates""", [folder, owner.dataset_id, loaded_at])
    return owner.dataset_id


def recorded_landing(con: duckdb.DuckDBPyConnection, day: date | None = None) -> Path | None:
    """The landing folder to reload this warehouse from, as recorded by its loads; None if none is recorded.

    With `day`: the folder loaded most recently whose files hold that game date (a folder of corrected
    files loaded after the whole dataset wins for its dates); None when no folder loaded here held it.
    Without: the folder whose files hold the most game dates (the whole dataset), the most recent on a tie.
    The folder may have moved since; check that it exists.
    """
    exists = con.execute("""select count(*) from information_schema.tables
                            where table_schema = 'nba_raw' and table_name = 'landing_folders'""").fetchone()[0]
    if not exists:
        return None
    if day is not None:
        row = con.execute("""
            select landing_dir from nba_raw.landing_folders where file_game_date = ?
            order by loaded_at desc limit 1""", [day]).fetchone()
    else:
        row = con.execute("""
            select landing_dir from nba_raw.landing_folders group by landing_dir
            order by count(*) desc, max(loaded_at) desc limit 1""").fetchone()
    return Path(row[0]) if row else None
