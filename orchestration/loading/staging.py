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
    rows: pa.Table                      # valid, in range, de-duplicated; + source_file, source_line
    dates: list[date]                   # game dates replaced (all in-range dates seen, valid or not)
    quarantine: QuarantineRows = field(default_factory=QuarantineRows)
    rows_read: int = 0
    rows_deduplicated: int = 0
    rows_out_of_range: int = 0

    @property
    def rows_loaded(self) -> int:
        return self.rows.num_rows


def _in_range(d: date, start: date | None, end: date | None) -> bool:
    return (start is None or d >= start) and (end is None or d <= end)


def stage(fmt: LandingFormat, folder: FolderRows, start: date | None, end: date | None) -> StagedTable:
    """Apply the format's rules, the date range and the duplicate-key rule to `folder`'s rows."""
    columns = {name: pc.utf8_trim_whitespace(folder.column(name)) for name in folder.needed}
    checks = rules.RowChecks(folder.n)
    parsed = fmt.parse(columns, checks)

    # Date range: dates are days since the epoch; rows without a parseable date already failed.
    dates = parsed.column("game_date").combine_chunks() if parsed.num_rows else pa.array([], pa.date32())
    has_date = rules.as_mask(pc.is_valid(dates))
    days = np.asarray(pc.fill_null(pc.cast(dates, pa.int32()), 0).to_numpy(zero_copy_only=False), dtype=np.int64)
    in_range = has_date.copy()
    if start is not None:
        in_range &= days >= _day(start)
    if end is not None:
        in_range &= days <= _day(end)

    paths = [str(p) for p in folder.files]
    file_index = folder.file_index
    line_number = folder.line_number
    table = parsed.append_column("source_file", pa.array(paths, pa.string()).take(pa.array(file_index))
                                 if paths else pa.array([], pa.string()))
    table = table.append_column("source_line", pa.array(line_number, pa.int32()))

    quarantine = QuarantineRows()

    def as_date(i: int) -> date | None:
        return EPOCH + timedelta(days=int(days[i])) if has_date[i] else None

    for file_i, line, raw, fields in folder.malformed:
        # The date is still worth reading when the row only lost or gained fields at the end.
        found = rules.date_from_fields(fields, folder.headers[file_i], fmt.date_column)
        if found is None or _in_range(found, start, end):
            quarantine.add(fmt.table, paths[file_i], line, rules.WRONG_COLUMN_COUNT, raw, found)
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
    replaced = sorted(EPOCH + timedelta(days=d) for d in replaced_days)
    return StagedTable(
        fmt=fmt,
        files=list(folder.files),
        rows=rows,
        dates=replaced,
        quarantine=quarantine,
        rows_read=folder.rows_read,
        rows_deduplicated=int(dups.identical.size),
        rows_out_of_range=int((has_date & ~in_range).sum()),
    )
