"""Dataset identity: which dataset a landing folder holds, which one a warehouse holds, and whether they match.

Identity comes from what the data is, never from the folder's path:

1. a manifest at the landing root (`dataset.json`, written by the generator);
2. the markers of a known real source: its PROVENANCE.md, its file names, its reference lists;
3. the box-score player ids: synthetic players have ids in SYNTHETIC_PLAYER_IDS, real ones below.

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
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.dataset_manifest import (
    GENERATED,
    GENERATOR_SOURCE,
    MANIFEST_FILE,
    REAL,
    SYNTHETIC_PLAYER_IDS,
    ManifestError,
    read_manifest,
)
from orchestration.loading.duck import registered
from orchestration.loading.errors import FileProblem, LandingFileError
from orchestration.loading.staging import StagedTable
from orchestration.season_calendar import PLAYOFFS, SEGMENTS

MIXED = "mixed"  # files of both kinds, or markers its player ids contradict: matches only a mixed warehouse
UNKNOWN = "unknown"  # no markers and no player ids (e.g. a schedule alone): cannot tell, matches any
ALLOW_FLAG = "--allow-other-dataset"


@dataclass(frozen=True)
class KnownSource:
    """A real dataset the loader recognises by its markers."""

    dataset_id: str
    description: str
    segments: tuple[str, ...]
    provenance_mark: str  # text its PROVENANCE.md names
    file_name: re.Pattern[str]  # names of its box-score / schedule files
    reference_file: str  # its player list under reference/


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

    dataset_id: str  # e.g. generated:seed-42:from-2021-22; "<kind>:unidentified" if unknown
    kind: str  # real | generated (mixed | unknown: see above)
    description: str
    segments: tuple[str, ...]  # season segments the dataset holds (season_calendar.SEGMENTS names)
    evidence: str  # how it was recognised
    identified: bool = True  # False: the kind is known (player ids) but not which dataset

    def describe(self) -> str:
        return f"{self.kind} data: {self.description} (id {self.dataset_id}; recognised by {self.evidence})"

    def matches(self, other: DatasetIdentity) -> bool:
        """Same kind, and the same dataset whenever both are identified."""
        if UNKNOWN in (self.kind, other.kind):
            return True
        if self.kind != other.kind:
            return False
        return not (self.identified and other.identified) or self.dataset_id == other.dataset_id


class DatasetMismatchError(ValueError):
    """A landing of another dataset than the warehouse's; nothing was written."""

    def __init__(
        self,
        recorded: list[DatasetIdentity],
        landing: DatasetIdentity,
        landing_dir: Path,
        warehouse: str,
        folders: list[str],
    ) -> None:
        self.recorded, self.landing, self.landing_dir, self.folders = recorded, landing, landing_dir, folders
        super().__init__(self.message(warehouse))

    def message(self, warehouse: str) -> str:
        held = "; ".join(r.describe() for r in self.recorded)
        where = f", loaded from {', '.join(self.folders)}" if self.folders else ""
        return (
            f"load refused: the warehouse {warehouse} holds {held}{where}. The landing {self.landing_dir} is "
            f"{self.landing.describe()}. Loading it would mix two datasets in one warehouse, so nothing was "
            f"written. Load it into a warehouse of its own (e.g. NBA_PIPELINE_DUCKDB=warehouse/other.duckdb "
            f"nba-pipeline load {self.landing_dir}), or pass {ALLOW_FLAG} to load it into this one anyway."
        )

    def for_warehouse(self, warehouse: str) -> DatasetMismatchError:
        return DatasetMismatchError(self.recorded, self.landing, self.landing_dir, warehouse, self.folders)


# -- what a landing is ------------------------------------------------------------------------------------------


def id_kind(real: int, synthetic: int) -> str | None:
    """The kind of most of a file's player rows; None without any (ids outside both ranges count for neither)."""
    if not real and not synthetic:
        return None
    return MIXED if real == synthetic else REAL if real > synthetic else GENERATED


def count_ids(ids: np.ndarray) -> tuple[int, int]:
    """(rows with real ids, rows with synthetic ids)."""
    synthetic = (ids >= SYNTHETIC_PLAYER_IDS.start) & (ids < SYNTHETIC_PLAYER_IDS.stop)
    return int((ids < SYNTHETIC_PLAYER_IDS.start).sum()), int(synthetic.sum())


def _file_kinds(staged: list[StagedTable]) -> dict[str, list[Path]]:
    """The box-score and prop files by the kind of their player ids (an odd bogus id does not turn a file)."""
    kinds: dict[str, list[Path]] = {}
    for s in staged:
        for path, ids in s.player_ids.items():
            kind = id_kind(*count_ids(ids))
            if kind is not None:
                kinds.setdefault(kind, []).append(path)
    return kinds


def _names(paths: list[Path], limit: int = 3) -> str:
    shown = ", ".join(f"{p.parent.name}/{p.name}" for p in paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


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
    """The dataset `landing_dir` holds: its manifest or the markers of a known source, checked against the
    player ids of its files; the player ids alone when it has neither. Files of both kinds, or markers the
    ids contradict, make a `mixed` landing, which only a mixed warehouse accepts."""
    kinds = _file_kinds(staged)
    try:
        manifest = read_manifest(landing_dir)
    except ManifestError as error:
        raise LandingFileError([FileProblem(landing_dir / MANIFEST_FILE, str(error))]) from None
    declared: DatasetIdentity | None = None
    if manifest is not None:
        seasons = manifest.seasons
        described = (
            manifest.source
            + (f", seed {manifest.seed}" if manifest.seed is not None else "")
            + (
                ""
                if not seasons
                else f", season {seasons[0]}"
                if len(seasons) == 1
                else f", seasons {seasons[0]}..{seasons[-1]}"
            )
        )
        declared = DatasetIdentity(manifest.dataset_id, manifest.kind, described, manifest.segments, MANIFEST_FILE)
    elif (known := _known_source(landing_dir, staged)) is not None:
        source, evidence = known
        declared = DatasetIdentity(source.dataset_id, REAL, source.description, source.segments, evidence)

    if len(kinds) > 1 or MIXED in kinds:
        parts = "; ".join(f"{kind} player ids in {_names(paths)}" for kind, paths in sorted(kinds.items()))
        return DatasetIdentity(
            f"{MIXED}:unidentified",
            MIXED,
            f"files of both kinds ({parts})",
            _segments_in(staged),
            "its player ids",
            identified=False,
        )
    content = next(iter(kinds), None)
    if declared is not None and content in (None, declared.kind):
        return declared
    if declared is not None:
        return DatasetIdentity(
            f"{MIXED}:unidentified",
            MIXED,
            f"{declared.evidence} says {declared.kind} data, its player ids say {content} ({_names(kinds[content])})",
            _segments_in(staged),
            f"{declared.evidence} and its player ids",
            identified=False,
        )
    if content is not None:
        description = {
            REAL: "box scores of real nba.com players",
            GENERATED: f"box scores of synthetic players ({GENERATOR_SOURCE})",
        }[content]
        return DatasetIdentity(
            f"{content}:unidentified", content, description, _segments_in(staged), "its player ids", identified=False
        )
    return DatasetIdentity(
        f"{UNKNOWN}:unidentified",
        UNKNOWN,
        "a landing without box scores or markers",
        _segments_in(staged),
        "nothing (no manifest, markers or player ids)",
        identified=False,
    )


# -- what a warehouse holds --------------------------------------------------------------------------------------


def recorded_datasets(con: duckdb.DuckDBPyConnection) -> list[DatasetIdentity]:
    """The datasets recorded for the warehouse; for a warehouse loaded before this record existed, the kind
    its loaded player ids show."""
    rows = con.execute("""
        select dataset_id, kind, description, segments, evidence, identified
        from nba_raw.landing_datasets order by first_loaded_at, dataset_id""").fetchall()
    if rows:
        return [DatasetIdentity(r[0], r[1], r[2], tuple(r[3].split(",")) if r[3] else (), r[4], r[5]) for r in rows]
    real, synthetic = con.execute(
        """
        select count(*) filter (where player_id < ?), count(*) filter (where player_id >= ? and player_id < ?)
        from nba_raw.nbac_player_boxscore""",
        [SYNTHETIC_PLAYER_IDS.start, SYNTHETIC_PLAYER_IDS.start, SYNTHETIC_PLAYER_IDS.stop],
    ).fetchone()
    kind = id_kind(real, synthetic)
    if kind is None:
        return []
    return [
        DatasetIdentity(
            f"{kind}:unidentified",
            kind,
            "rows loaded before datasets were recorded",
            (),
            "its loaded player ids",
            identified=False,
        )
    ]


def _folders(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The folders loaded into the warehouse, most recent first (three at most)."""
    return [
        r[0]
        for r in con.execute("""select landing_dir from nba_raw.landing_folders group by landing_dir
                                         order by max(loaded_at) desc limit 3""").fetchall()
    ]


def _warehouse_name(con: duckdb.DuckDBPyConnection) -> str:
    path = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()
    return path[0] if path and path[0] else "(in memory)"


def check_and_record(
    con: duckdb.DuckDBPyConnection,
    landing: DatasetIdentity,
    landing_dir: Path,
    staged: list[StagedTable],
    loaded_at: datetime,
    allow_other_dataset: bool = False,
) -> str:
    """Refuse a landing of another dataset (before any write), else record it; inside the load's transaction.

    Returns the dataset id the load is recorded under.
    """
    recorded = recorded_datasets(con)
    matching = [r for r in recorded if landing.matches(r)]
    if recorded and not matching and not allow_other_dataset:
        raise DatasetMismatchError(recorded, landing, landing_dir, _warehouse_name(con), _folders(con))
    # A folder of unknown provenance that matches an identified dataset counts as that dataset.
    owner = next((r for r in matching if r.identified), landing) if not landing.identified else landing
    con.execute(
        """
        insert into nba_raw.landing_datasets
            (dataset_id, kind, description, segments, evidence, identified, first_loaded_at, loaded_at)
        values (?, ?, ?, ?, ?, ?, ?, ?)
        on conflict (dataset_id) do update set loaded_at = excluded.loaded_at""",
        [
            owner.dataset_id,
            owner.kind,
            owner.description,
            ",".join(owner.segments),
            owner.evidence,
            owner.identified,
            loaded_at,
            loaded_at,
        ],
    )
    dates = sorted({d for s in staged for d in s.file_dates})
    folder = str(Path(landing_dir).resolve())
    con.execute("delete from nba_raw.landing_folders where landing_dir = ?", [folder])
    with registered(con, _folder_dates=pa.table({"d": pa.array(dates, pa.date32())})):
        con.execute(
            """
            insert into nba_raw.landing_folders (landing_dir, dataset_id, file_game_date, loaded_at)
            select ?, ?, d, ? from _folder_dates""",
            [folder, owner.dataset_id, loaded_at],
        )
    return owner.dataset_id


def recorded_landing(con, day: date | None = None) -> Path | None:
    """The landing folder to reload this warehouse from, as recorded by its loads; None if none is recorded.

    With `day`: the folder loaded most recently whose files hold that game date (a folder of corrected
    files loaded after the whole dataset wins for its dates); None when no folder loaded here held it.
    Without: the folder whose files hold the most game dates (the whole dataset), the most recent on a tie.
    The folder may have moved since; check that it exists.
    """
    from orchestration.warehouse import as_session

    con = as_session(con)
    if "nba_raw.landing_folders" not in con.tables():
        return None
    if day is not None:
        row = con.execute(
            """
            select landing_dir from nba_raw.landing_folders where file_game_date = ?
            order by loaded_at desc limit 1""",
            [day],
        ).fetchone()
    else:
        row = con.execute("""
            select landing_dir from nba_raw.landing_folders group by landing_dir
            order by count(*) desc, max(loaded_at) desc limit 1""").fetchone()
    return Path(row[0]) if row else None
