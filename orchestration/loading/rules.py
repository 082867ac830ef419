"""Row rules: vectorised column parsers that record the first failing rule of every row.

Every parser takes a trimmed arrow string column and a `RowChecks`, flags the rows
whose value breaks a rule, and returns the parsed values (garbage but well-typed
in flagged rows, which never reach a table). A row's rule is the first one flagged.
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.season_calendar import SEGMENTS

# Rule names written to nba_raw.load_quarantine.rule.
WRONG_COLUMN_COUNT = "wrong_column_count"  # line has more/fewer fields than the header (ragged, extra columns)
UNTERMINATED_QUOTE = "unterminated_quote"  # a quote opened on the line never closes on it
REPEATED_HEADER = "repeated_header"  # the header line again, mid-file (e.g. files concatenated)
MISSING_VALUE = "missing_value"  # required field empty
BAD_NUMBER = "bad_number"  # not a (whole) number where one is required
BAD_DATE = "bad_date"  # not YYYY-MM-DD[T00:00:00] or not a calendar date
BAD_GAME_ID = "bad_game_id"  # not 00[1-6]NNNNNNN (player box: leading zeros may be stripped)
BAD_SEASON = "bad_season"  # not YYYY-YY (consecutive years) or YYYY
UNKNOWN_SEASON_TYPE = "unknown_season_type"  # not Regular Season | PlayIn | Playoffs
BAD_MINUTES = "bad_minutes"  # player minutes not M:SS
BAD_MATCHUP = "bad_matchup"  # MATCHUP not "AAA vs. BBB"/"AAA @ BBB" of this team; schedule home == away
BAD_GAME_STATUS = "bad_game_status"  # schedule game_status not 1, 2 or 3
INCOMPLETE_SCORE = "incomplete_score"  # one of home/away points missing, or final without points
BAD_BOOLEAN = "bad_boolean"  # reference is_active not True/False
UNKNOWN_MARKET = "unknown_market"  # props market other than player_points
NEGATIVE_STAT = "negative_stat"  # counting stat < 0
MADE_GT_ATTEMPTED = "made_gt_attempted"  # fgm>fga, fg3m>fg3a, ftm>fta or fg3m>fgm
REB_MISMATCH = "reb_mismatch"  # reb != oreb + dreb
POINTS_MISMATCH = "points_mismatch"  # points != 2*fgm + fg3m + ftm
DNP_WITH_STATS = "dnp_with_stats"  # no minutes but a non-zero stat
DUPLICATE_KEY_CONFLICT = "duplicate_key_conflict"  # key seen earlier in this load with different values

ALL_RULES = (
    WRONG_COLUMN_COUNT,
    UNTERMINATED_QUOTE,
    REPEATED_HEADER,
    MISSING_VALUE,
    BAD_NUMBER,
    BAD_DATE,
    BAD_GAME_ID,
    BAD_SEASON,
    UNKNOWN_SEASON_TYPE,
    BAD_MINUTES,
    BAD_MATCHUP,
    BAD_GAME_STATUS,
    INCOMPLETE_SCORE,
    BAD_BOOLEAN,
    UNKNOWN_MARKET,
    NEGATIVE_STAT,
    MADE_GT_ATTEMPTED,
    REB_MISMATCH,
    POINTS_MISMATCH,
    DNP_WITH_STATS,
    DUPLICATE_KEY_CONFLICT,
)

SEASON_TYPES = tuple(segment.season_type for segment in SEGMENTS)

_INT = r"^[+-]?[0-9]{1,9}(\.0*)?$"  # `9.0` is a whole number (team box TOV, PLUS_MINUS)
_ID = r"^[0-9]{1,18}$"
_DECIMAL = r"^[0-9]{1,4}(\.[0-9]+)?$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(T00:00:00)?$"
_GAME_ID = r"^00[1-6][0-9]{7}$"
_MINUTES = r"^(?P<m>[0-9]{1,3}):(?P<s>[0-5][0-9]|60)$"  # real data has `32:60` (rounding artefact)
_SEASON = r"^(?P<y>[0-9]{4})(?P<yy>-[0-9]{2})?$"


def as_mask(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean arrow result as a numpy bool array, nulls as False."""
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def date_from_fields(fields: list[str] | None, header: list[str], column: str) -> date | None:
    """The game date of a malformed record when its date column still holds a date, else None."""
    if fields is None or column not in header:
        return None
    i = header.index(column)
    if i >= len(fields):
        return None
    value = fields[i].strip()
    if not re.match(_DATE, value):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _matches(col: pa.Array, pattern: str) -> np.ndarray:
    return as_mask(pc.match_substring_regex(col, pattern))


def _empty(col: pa.Array) -> np.ndarray:
    return as_mask(pc.equal(col, ""))


class RowChecks:
    """The first failing rule of each of `n` rows."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.ok = np.ones(n, dtype=bool)
        self.rule = np.full(n, "", dtype=object)

    def flag(self, rule: str, bad: np.ndarray) -> None:
        """Mark rows in `bad` that have not failed yet as failing `rule`."""
        hit = bad & self.ok
        if hit.any():
            self.rule[hit] = rule
            self.ok &= ~hit


def text(col: pa.Array, checks: RowChecks, *, required: bool) -> pa.Array:
    """A string; empty -> null (or `missing_value` when required)."""
    empty = _empty(col)
    if required:
        checks.flag(MISSING_VALUE, empty)
    return pc.if_else(pa.array(empty), pa.scalar(None, pa.string()), col)


def integer(
    col: pa.Array, checks: RowChecks, *, required: bool = True, nonnegative: bool = False, pattern: str = _INT
) -> tuple[np.ndarray, np.ndarray]:
    """Whole numbers (`9`, `-3`, `+120`, `9.0`): values (0 where invalid/empty) and a present mask."""
    empty = _empty(col)
    ok = _matches(col, pattern)
    if required:
        checks.flag(MISSING_VALUE, empty)
    checks.flag(BAD_NUMBER, ~ok & ~empty)
    clean = pc.replace_substring_regex(pc.if_else(pa.array(ok), col, "0"), r"\.0*$|^\+", "")
    values = np.asarray(pc.cast(clean, pa.int64()).to_numpy(), dtype=np.int64)
    if nonnegative:
        checks.flag(NEGATIVE_STAT, values < 0)
    return values, ok


def identifier(col: pa.Array, checks: RowChecks, *, required: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """A numeric id (player, team): non-negative, up to 18 digits."""
    return integer(col, checks, required=required, pattern=_ID)


def decimal_text(col: pa.Array, checks: RowChecks) -> pa.Array:
    """A non-negative decimal kept as text ('0' where invalid) for DuckDB to cast exactly."""
    empty = _empty(col)
    ok = _matches(col, _DECIMAL)
    checks.flag(MISSING_VALUE, empty)
    checks.flag(BAD_NUMBER, ~ok & ~empty)
    return pc.if_else(pa.array(ok), col, "0")


def game_date(col: pa.Array, checks: RowChecks) -> pa.Array:
    """`YYYY-MM-DD` or `YYYY-MM-DDT00:00:00` -> date32 (null where unparseable)."""
    empty = _empty(col)
    day = pc.utf8_slice_codeunits(col, 0, 10)
    shaped = _matches(col, _DATE)
    stamp = pc.strptime(
        pc.if_else(pa.array(shaped), day, "1970-01-01"), format="%Y-%m-%d", unit="s", error_is_null=True
    )
    # strptime rolls 2023-02-30 over to 03-02: require the round trip to give the same text.
    valid = shaped & as_mask(pc.equal(pc.strftime(stamp, format="%Y-%m-%d"), day))
    checks.flag(MISSING_VALUE, empty)
    checks.flag(BAD_DATE, ~valid & ~empty)
    return pc.if_else(pa.array(valid), pc.cast(stamp, pa.date32()), pa.scalar(None, pa.date32()))


def game_id(col: pa.Array, checks: RowChecks, *, leading_zeros_stripped: bool = False) -> pa.Array:
    """A 10-char NBA game id; the player box strips leading zeros (8 digits), so pad those."""
    empty = _empty(col)
    shape = r"^[0-9]{8,10}$" if leading_zeros_stripped else r"^[0-9]{10}$"
    padded = pc.utf8_lpad(col, 10, "0") if leading_zeros_stripped else col
    ok = _matches(col, shape) & _matches(padded, _GAME_ID)
    checks.flag(MISSING_VALUE, empty)
    checks.flag(BAD_GAME_ID, ~ok & ~empty)
    return padded


def season_start_year(col: pa.Array, checks: RowChecks) -> np.ndarray:
    """`2022-23` (or `2022`) -> 2022; the two years must be consecutive."""
    empty = _empty(col)
    parts = pc.extract_regex(pc.if_else(pa.array(_matches(col, _SEASON)), col, "0000"), _SEASON)
    year_text = parts.field("y")
    year = np.asarray(pc.cast(year_text, pa.int64()).to_numpy(), dtype=np.int64)
    yy_text = pc.utf8_ltrim(parts.field("yy"), characters="-")
    has_yy = ~_empty(yy_text)
    yy = np.asarray(pc.cast(pc.if_else(pa.array(has_yy), yy_text, "0"), pa.int64()).to_numpy(), dtype=np.int64)
    ok = _matches(col, _SEASON) & (~has_yy | (yy == (year + 1) % 100)) & (year > 1900)
    checks.flag(MISSING_VALUE, empty)
    checks.flag(BAD_SEASON, ~ok & ~empty)
    return year


def season_type(col: pa.Array, checks: RowChecks) -> pa.Array:
    empty = _empty(col)
    known = as_mask(pc.is_in(col, value_set=pa.array(SEASON_TYPES)))
    checks.flag(MISSING_VALUE, empty)
    checks.flag(UNKNOWN_SEASON_TYPE, ~known & ~empty)
    return col


def seconds_played(col: pa.Array, checks: RowChecks) -> tuple[np.ndarray, np.ndarray]:
    """`M:SS` -> seconds; empty (did not play) -> 0. Returns (seconds, played mask)."""
    played = ~_empty(col)
    ok = _matches(col, _MINUTES)
    checks.flag(BAD_MINUTES, played & ~ok)
    parts = pc.extract_regex(pc.if_else(pa.array(ok), col, "0:00"), _MINUTES)
    minutes = np.asarray(pc.cast(parts.field("m"), pa.int64()).to_numpy(), dtype=np.int64)
    seconds = np.asarray(pc.cast(parts.field("s"), pa.int64()).to_numpy(), dtype=np.int64)
    return minutes * 60 + seconds, played


def boolean(col: pa.Array, checks: RowChecks) -> pa.Array:
    """`True`/`False` (any case) or `1`/`0`; empty -> null."""
    lower = pc.utf8_lower(col)
    true = as_mask(pc.is_in(lower, value_set=pa.array(["true", "1", "t", "yes"])))
    false = as_mask(pc.is_in(lower, value_set=pa.array(["false", "0", "f", "no"])))
    empty = _empty(col)
    checks.flag(BAD_BOOLEAN, ~(true | false | empty))
    return pa.array(np.where(true, True, False), mask=~(true | false))


def box_score_consistency(stats: dict[str, np.ndarray], checks: RowChecks) -> None:
    """Made <= attempted, rebounds add up, points = 2*fgm + fg3m + ftm."""
    made_gt = (
        (stats["fgm"] > stats["fga"])
        | (stats["fg3m"] > stats["fg3a"])
        | (stats["ftm"] > stats["fta"])
        | (stats["fg3m"] > stats["fgm"])
    )
    checks.flag(MADE_GT_ATTEMPTED, made_gt)
    checks.flag(REB_MISMATCH, stats["reb"] != stats["oreb"] + stats["dreb"])
    checks.flag(POINTS_MISMATCH, stats["points"] != 2 * stats["fgm"] + stats["fg3m"] + stats["ftm"])


_MATCHUP = r"^(?P<team>[A-Z0-9]{2,4}) (?P<sep>vs\.|@) (?P<opp>[A-Z0-9]{2,4})$"


def matchup(col: pa.Array, team_abbr: pa.Array, checks: RowChecks) -> tuple[np.ndarray, pa.Array]:
    """`BOS vs. MIA` (home) / `MIA @ BOS` (away) of this row's team -> (is_home, opponent abbr)."""
    empty = _empty(col)
    shaped = _matches(col, _MATCHUP)
    parts = pc.extract_regex(pc.if_else(pa.array(shaped), col, "AAA @ BBB"), _MATCHUP)
    ok = shaped & as_mask(pc.equal(parts.field("team"), pc.fill_null(team_abbr, "")))
    ok &= ~as_mask(pc.equal(parts.field("team"), parts.field("opp")))
    checks.flag(MISSING_VALUE, empty)
    checks.flag(BAD_MATCHUP, ~ok & ~empty)
    return as_mask(pc.equal(parts.field("sep"), "vs.")), parts.field("opp")
