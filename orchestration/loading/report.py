"""What a load did, per table, for the CLI, Dagster metadata and tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from orchestration.dates import season_label


@dataclass
class TableReport:
    table: str
    files_read: int = 0
    rows_read: int = 0  # data lines in the files (after the header, blank lines included)
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_deduplicated: int = 0  # exact repeats of a key already loaded (e.g. real 2023-24 team box)
    rows_out_of_range: int = 0  # outside [start, end], not touched
    blank_lines: int = 0
    dates_replaced: list[date] = field(default_factory=list)
    whole_seasons: list[int] = field(default_factory=list)  # seasons a ranged load took in full (schedule)

    @property
    def rows_skipped(self) -> int:
        """Out of range or blank: read, and deliberately not loaded."""
        return self.rows_out_of_range + self.blank_lines


@dataclass
class LoadReport:
    landing_dir: Path
    start: date | None
    end: date | None
    tables: dict[str, TableReport] = field(default_factory=dict)
    unresolved_occurrences: int = 0  # player-game rows whose player is not in the registry
    unresolved_players: list[tuple[int, str]] = field(default_factory=list)  # distinct (id, name), first 20
    registry_players: int = 0
    registry_teams: int = 0
    registry_quarantined: int = 0
    warnings: list[str] = field(default_factory=list)  # files read with a fallback encoding ...
    dataset: str = ""  # the landing's dataset, as recorded in nba_raw.landing_datasets
    seconds: float = 0.0
    # What this load owns in nba_raw.load_quarantine (a QuarantineScope); the
    # BigQuery writer replaces the same scope there.
    quarantine_scope: object | None = None

    @property
    def dates_loaded(self) -> dict[str, list[date]]:
        return {name: list(t.dates_replaced) for name, t in self.tables.items()}

    @property
    def rows_loaded(self) -> int:
        return sum(t.rows_loaded for t in self.tables.values())

    @property
    def rows_quarantined(self) -> int:
        return sum(t.rows_quarantined for t in self.tables.values()) + self.registry_quarantined

    def summary(self) -> str:
        window = (
            "all dates" if self.start is None and self.end is None else f"{self.start or '...'} .. {self.end or '...'}"
        )
        lines = [f"loaded {self.landing_dir} ({window}) in {self.seconds:.2f} s"]
        if self.dataset:
            lines.append(f"dataset: {self.dataset}")
        lines.append(
            f"{'table':<30} {'files':>6} {'read':>9} {'loaded':>9} {'quarant.':>9} {'dedup':>6} "
            f"{'skipped':>8} {'dates':>6}  range"
        )
        for t in self.tables.values():
            span = f"{t.dates_replaced[0]} .. {t.dates_replaced[-1]}" if t.dates_replaced else "-"
            lines.append(
                f"{t.table:<30} {t.files_read:>6} {t.rows_read:>9,} {t.rows_loaded:>9,} "
                f"{t.rows_quarantined:>9,} {t.rows_deduplicated:>6,} {t.rows_skipped:>8,} "
                f"{len(t.dates_replaced):>6}  {span}"
            )
        lines.append(
            "every data line is counted once: read = loaded + quarant. + dedup + skipped "
            "(skipped = outside the range or blank; quarantined lines: nba_raw.load_quarantine)"
        )
        for t in self.tables.values():
            if t.whole_seasons:
                seasons = ", ".join(season_label(s) for s in t.whole_seasons)
                lines.append(f"{t.table}: whole season(s) {seasons} (reference data: a season is loaded in full)")
        lines.append(
            f"registry: {self.registry_players:,} players, {self.registry_teams:,} teams"
            + (f", {self.registry_quarantined} reference rows quarantined" if self.registry_quarantined else "")
        )
        if self.unresolved_occurrences:
            names = ", ".join(f"{name} ({pid})" for pid, name in self.unresolved_players)
            lines.append(
                f"unresolved players: {self.unresolved_occurrences:,} player-games "
                f"(see nba_raw.unresolved_players): {names}"
            )
        else:
            lines.append("unresolved players: none")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)
