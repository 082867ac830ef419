"""The landing formats, one module each, by target `nba_raw` table (load order)."""

from __future__ import annotations

from orchestration.loading.formats import player_box, props, schedule, team_box
from orchestration.loading.formats.base import Columns, LandingFormat

FORMATS: dict[str, LandingFormat] = {
    f.table: f for f in (schedule.FORMAT, player_box.FORMAT, team_box.FORMAT, props.FORMAT)
}

__all__ = ["FORMATS", "Columns", "LandingFormat"]
