"""Deterministic synthetic NBA seasons written as a landing folder in the real data's formats.

    from orchestration.generator import generate_seasons, FaultConfig, parse_seasons
    summary = generate_seasons(parse_seasons("2021-22:2024-25"), Path("landing"), seed=42)

Modules: seasons (labels, key dates), teams, names, rosters (players, turnover), calendar (regular-season
schedule), availability (injuries), box_scores (one game's lines), postseason (play-in, playoffs),
season (one season's games), timeline (final / scheduled / unknown as of a date), props (prop lines),
faults (deliberate faults), writer (formats, gzip CSV), generate (the public entry point).
"""

from .faults import FaultConfig, FaultReport, MalformedRow
from .generate import GenerationSummary, generate_seasons
from .seasons import parse_seasons, season_label

__all__ = [
    "FaultConfig",
    "FaultReport",
    "GenerationSummary",
    "MalformedRow",
    "generate_seasons",
    "parse_seasons",
    "season_label",
]
