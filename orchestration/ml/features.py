"""The feature list v1 of nba_precompute.ml_feature_store, as the trained model reads it.

The dbt model documents each feature (dbt_project/models/precompute/_precompute__models.yml);
a test checks every name here is a column of the table.
"""

from __future__ import annotations

FEATURE_VERSION = "v1"

FEATURES_V1: tuple[str, ...] = (
    "points_avg_last_5",
    "points_avg_last_10",
    "points_avg_last_30",
    "points_avg_season",
    "points_std_last_10",
    "minutes_avg_last_10",
    "minutes_avg_season",
    "usage_rate_avg_last_10",
    "fga_avg_last_10",
    "fg3a_avg_last_10",
    "fta_avg_last_10",
    "ts_pct_last_10",
    "games_last_10",
    "games_season",
    "days_rest",
    "is_back_to_back",
    "is_home",
    "is_playoffs",
    "minutes_last_7_days",
    "points_share_3pt_last_10",
    "points_share_ft_last_10",
    "opponent_games_in_window",
    "opponent_defensive_rating_last_15",
    "opponent_strength_2pt",
    "opponent_strength_3pt",
    "opponent_strength_ft",
    "pace_ratio",
    "fatigue_adjustment",
    "zone_mismatch_adjustment",
    "pace_adjustment",
    "usage_adjustment",
    "total_adjustment",
)

TARGET = "target_points"
