"""The manifest a landing folder may carry at its root, `dataset.json`: which dataset its files belong to.

The generator writes one beside its files; the loader reads it first when it tells
datasets apart (orchestration/loading/dataset.py). A folder copied out of a
dataset (a day of corrected files) may carry the manifest along or not: without
it, the loader recognises the data by its content.

    {"dataset_id": "generated:seed-42:from-2021-22", "kind": "generated", "seed": 42, ...}
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from orchestration.season_calendar import SEGMENTS_BY_NAME

MANIFEST_FILE = "dataset.json"
REAL = "real"
GENERATED = "generated"
KINDS = (REAL, GENERATED)
GENERATOR_SOURCE = "nba-pipeline generator"
# Synthetic players get ids from this block, far above any real nba.com personId (under 2 million in
# 2025): the id alone tells a generated box-score row from a real one. Ids above the block are neither.
SYNTHETIC_PLAYER_IDS = range(9_000_000, 10_000_000)


class ManifestError(ValueError):
    """A dataset.json that cannot be read; names the file and what is wrong."""


@dataclass(frozen=True)
class DatasetManifest:
    dataset_id: str  # stable name of the dataset, e.g. generated:seed-42:from-2021-22
    kind: str  # real | generated
    source: str  # who made it, e.g. "nba-pipeline generator"
    segments: tuple[str, ...]  # season segments the dataset holds: regular_season, play_in, playoffs
    seed: int | None = None  # generated: the generator seed
    seasons: tuple[str, ...] = ()  # generated: the seasons written, e.g. ("2021-22", "2022-23")

    def to_json(self) -> str:
        """Byte-stable text (sorted keys), so the same dataset writes the same file."""
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"


def generated_manifest(seed: int, seasons: list[str]) -> DatasetManifest:
    """The generator's identity: its seed and first season (the league starts there, so a later first
    season is other data), holding every segment."""
    return DatasetManifest(
        dataset_id=f"{GENERATED}:seed-{seed}:from-{seasons[0]}",
        kind=GENERATED,
        source=GENERATOR_SOURCE,
        segments=tuple(SEGMENTS_BY_NAME),
        seed=seed,
        seasons=tuple(seasons),
    )


def write_manifest(landing_dir: Path, manifest: DatasetManifest) -> Path:
    path = Path(landing_dir) / MANIFEST_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(manifest.to_json(), encoding="utf-8")
    return path


def read_manifest(landing_dir: Path) -> DatasetManifest | None:
    """The folder's manifest, None when it has none; raises ManifestError for a broken one."""
    path = Path(landing_dir) / MANIFEST_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        manifest = DatasetManifest(
            dataset_id=str(data["dataset_id"]),
            kind=str(data["kind"]),
            source=str(data["source"]),
            segments=tuple(str(s) for s in data["segments"]),
            seed=None if data.get("seed") is None else int(data["seed"]),
            seasons=tuple(str(s) for s in data.get("seasons", ())),
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ManifestError(f"{path}: not a dataset manifest ({error.__class__.__name__}: {error})") from None
    if manifest.kind not in KINDS:
        raise ManifestError(f"{path}: kind {manifest.kind!r} is not one of {', '.join(KINDS)}")
    unknown = [s for s in manifest.segments if s not in SEGMENTS_BY_NAME]
    if unknown:
        raise ManifestError(f"{path}: unknown segments {unknown}; choose from {', '.join(SEGMENTS_BY_NAME)}")
    return manifest
