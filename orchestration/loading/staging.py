"""One landing folder's rows -> the rows to load, the dates they replace, the rows to quarantine."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.loading import rules
from orchestration.loading.csvfiles import FolderRows
from orchestration.loading.dedup import find_duplicates
from orchestration.loading.errors import LoadAccountingError
from orchestration.loading.formats import LandingFormat
from orchestration.loading.quarantine import QuarantineRows

EPOCH = date(1970, 1, 1)


def _day(d: date) -> int:
    return (d - EPOCH).days


@dataclass
class StagedTable:
    """What a load writes for one table."""

    fmt: LandingFormat
    files: list[Path]
    rows: pa.Table  # valid, in range, de-duplicated; + source_file, source_line
    dates: list[date]  # game dates replaced (all in-range dates seen, valid or not)
    quarantine: QuarantineRows = field(default_factory=QuarantineRows)
    rows_read: int = 0  # data lines of the files (after the header, blank ones included)
    rows_deduplicated: int = 0
    rows_out_of_range: int = 0
    blank_lines: int = 0
    whole_seasons: list[int] = field(default_factory=list)  # seasons a ranged load took in full
    file_dates: list[date] = field(default_factory=list)  # every valid game date in the files (any range)
    # Per file: the valid player ids of its rows (any range), for telling real data from generated.
    player_ids: dict[Path, np.ndarray] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        return self.rows.num_rows

    @property
    def rows_skipped(self) -> int:
        return self.rows_out_of_range + self.blank_lines

    def check_accounting(self) -> None:
        """Every data line read is loaded, quarantined, de-duplicated or skipped: exactly one of them."""
        accounted = self.rows_loaded + len(self.quarantine) + self.rows_deduplicated + self.rows_skipped
        if accounted != self.rows_read:
            raise LoadAccountingError(
                f"internal error: {self.fmt.table}: {self.rows_read:,} data lines read but {self.rows_loaded:,} "
                f"loaded + {len(self.quarantine):,} quarantined + {self.rows_deduplicated:,} deduplicated + "
                f"{self.rows_skipped:,} skipped = {accounted:,}; nothing was written (files: "
                f"{', '.join(str(p) for p in self.files)})"
            )


def _in_range(d: date, start: date | None, end: date | None) -> bool:
    return (start is None or d >= start) and (end is None or d <= end)


def _day_of(d: int) -> date:
    return EPOCH + timedelta(days=int(d))


def _whole_seasons(
    parsed: pa.Table, valid: np.ndarray, days: np.ndarray, start: date | None, end: date | None
) -> tuple[date | None, date | None, list[int]]:
    """[start, end] widened to every season with a valid row in it (reference data is loaded by season)."""
    seasons = np.asarray(parsed.column("season_year").to_numpy(zero_copy_only=False), dtype=np.int64)
    in_range = valid.copy()
    if start is not None:
        in_range &= days >= _day(start)
    if end is not None:
        in_range &= days <= _day(end)
    touched = np.unique(seasons[in_range])
    if not touched.size:
        return start, end, []
    season_days = days[valid & np.isin(seasons, touched)]
    first, last = _day_of(season_days.min()), _day_of(season_days.max())
    return (
        None if start is None else min(start, first),
        None if end is None else max(end, last),
        [int(s) for s in touched],
    )


def stage(fmt: LandingFormat, folder: FolderRows, start: date | None, end: date | None) -> StagedTable:
    """Apply the format's rules, the date range and the duplicate-key rule to `folder`'s rows."""
    columns = {name: pc.utf8_trim_whitespace(folder.column(name)) for name in folder.needed}
    checks = rules.RowChecks(folder.n)
    parsed = fmt.parse(columns, checks)

    # Date range: dates are days since the epoch; rows without a parseable date already failed.
    dates = parsed.column("game_date").combine_chunks() if parsed.num_rows else pa.array([], pa.date32())
    has_date = rules.as_mask(pc.is_valid(dates))
    days = np.asarray(pc.fill_null(pc.cast(dates, pa.int32()), 0).to_numpy(zero_copy_only=False), dtype=np.int64)
    whole: list[int] = []
    if fmt.whole_seasons and (start is not None or end is not None):
        start, end, whole = _whole_seasons(parsed, checks.ok & has_date, days, start, end)
    in_range = has_date.copy()
    if start is not None:
        in_range &= days >= _day(start)
    if end is not None:
        in_range &= days <= _day(end)

    paths = [str(p) for p in folder.files]
    file_index = folder.file_index
    line_number = folder.line_number
    table = parsed.append_column(
        "source_file", pa.array(paths, pa.string()).take(pa.array(file_index)) if paths else pa.array([], pa.string())
    )
    table = table.append_column("source_line", pa.array(line_number, pa.int32()))

    quarantine = QuarantineRows()

    def as_date(i: int) -> date | None:
        return _day_of(days[i]) if has_date[i] else None

    malformed_out_of_range = 0
    for bad in folder.malformed:
        # The date is still worth reading when the line only lost or gained fields at the end.
        found = rules.date_from_fields(bad.fields, folder.headers[bad.file_index], fmt.date_column)
        if found is None or _in_range(found, start, end):
            quarantine.add(fmt.table, paths[bad.file_index], bad.line, bad.rule, bad.raw, found)
        else:
            malformed_out_of_range += 1
    for i in np.nonzero(~checks.ok & (~has_date | in_range))[0].tolist():
        f, line = int(file_index[i]), int(line_number[i])
        quarantine.add(fmt.table, paths[f], line, checks.rule[i], folder.raw(f, line), as_date(i))

    valid = checks.ok & in_range
    positions = np.nonzero(valid)[0]
    rows = table.filter(pa.array(valid))
    dups = find_duplicates(rows, fmt.key)
    for pos in dups.conflicts.tolist():
        i = int(positions[pos])
        f, line = int(file_index[i]), int(line_number[i])
        quarantine.add(fmt.table, paths[f], line, rules.DUPLICATE_KEY_CONFLICT, folder.raw(f, line), as_date(i))
    dropped = np.concatenate([dups.identical, dups.conflicts])
    if dropped.size:
        keep = np.ones(rows.num_rows, dtype=bool)
        keep[dropped] = False
        rows = rows.filter(pa.array(keep))

    replaced_days = {int(d) for d in np.unique(days[in_range])}
    replaced_days |= {_day(d) for d in quarantine.game_date if d is not None}
    replaced = sorted(_day_of(d) for d in replaced_days)
    valid_days = days[checks.ok & has_date]
    player_ids: dict[Path, np.ndarray] = {}
    if "player_id" in parsed.column_names:
        ids = np.asarray(parsed.column("player_id").to_numpy(zero_copy_only=False))
        for f, path in enumerate(folder.files):
            player_ids[path] = ids[checks.ok & (file_index == f)]
    staged = StagedTable(
        fmt=fmt,
        files=list(folder.files),
        rows=rows,
        dates=replaced,
        quarantine=quarantine,
        rows_read=folder.lines_read,
        rows_deduplicated=int(dups.identical.size),
        rows_out_of_range=int((has_date & ~in_range).sum()) + malformed_out_of_range,
        blank_lines=folder.blank_lines,
        whole_seasons=whole,
        file_dates=[_day_of(d) for d in np.unique(valid_days)],
        player_ids=player_ids,
        warnings=list(folder.warnings),
    )
    staged.check_accounting()
    return staged
