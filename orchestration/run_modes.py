"""Run modes (DESIGN.md "Runs, modes and gates"), resolved once per step from the run's tags.

- **strict** (default on): before a phase runs, upstream must be complete for
  the run's dates and their lookback windows; otherwise the step fails BLOCKED.
  Off with the resource config `strict: false` or the run tag `nba/strict=false`.
- **backfill mode**: on by itself for every run of a Dagster backfill (tag
  `dagster/backfill`), or by config `backfill_mode: true` / tag
  `nba/mode=backfill`. Historical dates are never skipped, alerts wait for one
  digest per backfill, downstream auto-triggers wait for the phase gate.
- normal mode, for runs a schedule or sensor started: an early exit for old
  dates (a run whose last date is more than `recent_days` before today is
  skipped, reason `historical_date`; the default is the gap healer's age
  limit, so the healer's runs are never cut short), smart skip (a range whose
  inputs did not change since its last success is skipped, `unchanged_inputs`),
  alerts delivered one by one. A manual run (`dagster asset materialize`, the
  UI's Materialize) always runs.
- circuit breakers guard every run, with the higher thresholds in backfill mode.
- **trigger**: backfill | schedule | sensor | manual, as run history records it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

BACKFILL_TAG = "dagster/backfill"
SCHEDULE_TAG = "dagster/schedule_name"
SENSOR_TAG = "dagster/sensor_name"
MODE_TAG = "nba/mode"  # backfill | normal
STRICT_TAG = "nba/strict"  # true | false
CASCADE_TAG = "nba/cascade"  # true | false
HEAL_TAG = "nba/heal"  # the phase pair a gap-healing run was launched for
PENDING_ALERTS_TAG = "nba/pending_alerts"  # the run kept alerts for its backfill's digest
RANGE_START_TAG = "dagster/asset_partition_range_start"  # a single run over a partition range
RANGE_END_TAG = "dagster/asset_partition_range_end"

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass(frozen=True)
class RunMode:
    backfill: bool
    strict: bool
    cascade: bool
    trigger: str  # backfill | schedule | sensor | manual
    backfill_id: str | None = None
    recent_days: int = 30
    healing: bool = False  # launched by the gap healer for exactly these dates

    @property
    def automated(self) -> bool:
        return self.trigger in {"schedule", "sensor"}

    @property
    def smart_skip(self) -> bool:
        return self.automated and not self.backfill

    def skips_as_historical(self, end: date, today: date | None = None) -> bool:
        """Normal-mode early exit: automated runs leave old dates to backfills. Never for a healing
        run: the healer asked for these dates (its own age limit decided they are worth it)."""
        if self.backfill or self.healing or not self.automated:
            return False
        return end < (today or date.today()) - timedelta(days=self.recent_days)

    def describe(self) -> str:
        parts = [
            "backfill mode" if self.backfill else "normal mode",
            "strict" if self.strict else "not strict",
            "cascade" if self.cascade else "no cascade",
            f"trigger {self.trigger}",
        ]
        if self.backfill_id:
            parts.append(f"backfill {self.backfill_id}")
        return ", ".join(parts)


def range_tags(start: date | str, end: date | str) -> dict[str, str]:
    """Tags that make one run cover a partition range, both ends included (what --partition-range does)."""
    return {RANGE_START_TAG: str(start), RANGE_END_TAG: str(end)}


def _flag(tags: Mapping[str, str], tag: str, default: bool) -> bool:
    value = str(tags.get(tag, "")).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if value:
        raise ValueError(f"run tag {tag}={tags[tag]!r}: expected true or false")
    return default


def trigger_of(tags: Mapping[str, str]) -> str:
    if tags.get(BACKFILL_TAG):
        return "backfill"
    if tags.get(SCHEDULE_TAG):
        return "schedule"
    if tags.get(SENSOR_TAG):
        return "sensor"
    return "manual"


def resolve_mode(
    tags: Mapping[str, str],
    strict: bool = True,
    cascade: bool = True,
    backfill_mode: bool | None = None,
    recent_days: int = 30,
) -> RunMode:
    """Tags win over the configured defaults; a backfill's runs are in backfill mode unless told otherwise."""
    backfill_id = tags.get(BACKFILL_TAG) or None
    mode_tag = str(tags.get(MODE_TAG, "")).strip().lower()
    if mode_tag and mode_tag not in {"backfill", "normal"}:
        raise ValueError(f"run tag {MODE_TAG}={tags[MODE_TAG]!r}: expected backfill or normal")
    if mode_tag:
        backfill = mode_tag == "backfill"
    elif backfill_mode is not None:
        backfill = backfill_mode
    else:
        backfill = backfill_id is not None
    return RunMode(
        backfill=backfill,
        strict=_flag(tags, STRICT_TAG, strict),
        cascade=_flag(tags, CASCADE_TAG, cascade),
        trigger=trigger_of(tags),
        backfill_id=backfill_id,
        recent_days=recent_days,
        healing=bool(tags.get(HEAL_TAG)),
    )
