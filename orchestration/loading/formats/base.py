"""What a landing format is: its folder, header contract, duplicate key and row parser."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pyarrow as pa

from orchestration.loading.rules import RowChecks

Columns = Mapping[str, pa.Array]
"""Trimmed string columns by source header name (absent optional columns are all '')."""

Parser = Callable[[Columns, RowChecks], pa.Table]
"""Source columns -> target columns (must include `game_date` as date32, null when unparseable)."""


@dataclass(frozen=True)
class LandingFormat:
    """One landing sub-folder and the `nba_raw` table it fills."""

    table: str  # nba_raw table
    folder: str  # landing sub-folder
    required: tuple[str, ...]  # header columns a file must have
    optional: tuple[str, ...]  # header columns used when present
    key: tuple[str, ...]  # target columns unique within one load
    parse: Parser
    date_column: str = "game_date"  # source column holding the game date
    folder_required: bool = True  # a missing folder is an error (props/ is optional)
    # Reference data (the schedule): a ranged load takes every season the range touches in full,
    # so a season's start never depends on the range loaded. Needs a `season_year` target column.
    whole_seasons: bool = False
    # Insert-time SQL for target columns not taken as is from the parsed table.
    sql: dict[str, str] = field(default_factory=dict)
