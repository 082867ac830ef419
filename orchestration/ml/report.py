"""`nba-pipeline report accuracy [--season S]`: per-system MAE and hit rate.

Read from nba_predictions.prediction_accuracy (Phase 6). Each system is also
compared with the moving-average baseline on exactly the player-games it
graded, so a system that predicts fewer rows (the trained model has nothing
for a league's first season) is compared on equal terms.
"""

from __future__ import annotations

import duckdb

from orchestration.warehouse import Session, as_session

ACCURACY_TABLE = "nba_predictions.prediction_accuracy"


def accuracy_report(con: Session | duckdb.DuckDBPyConnection, season: int | None = None) -> list[dict]:
    """One dict per system, best MAE first.

    Keys: system_id, seasons, predictions (rows of final games), graded, mae, bias, within_3_pct,
    recommendations (OVER/UNDER bets), wins, losses, pushes, hit_rate (wins / (wins + losses);
    None without decided bets, e.g. no prop lines), baseline_mae (moving_average's MAE on exactly
    the rows this system graded) and mae_vs_moving_average (mae - baseline_mae; negative = better
    than the baseline on the same player-games).
    """
    db = as_session(con)
    if ACCURACY_TABLE not in db.tables():
        return []
    season_filter = "season_year = ?" if season is not None else "true"
    params = [season] if season is not None else []
    rows = db.execute(
        f"""
        with accuracy as (
            select * from {ACCURACY_TABLE} where {season_filter}
        ),
        baseline as (
            select game_id, player_id, absolute_error as baseline_error
            from accuracy where system_id = 'moving_average' and is_graded
        )
        select
            accuracy.system_id,
            string_agg(distinct cast(accuracy.season_year as varchar), ',' order by cast(accuracy.season_year as varchar))
                as seasons,
            count(*) as predictions,
            count(*) filter (where accuracy.is_graded) as graded,
            avg(accuracy.absolute_error) filter (where accuracy.is_graded) as mae,
            avg(accuracy.error) filter (where accuracy.is_graded) as bias,
            avg(case when accuracy.within_3_points then 1.0 else 0.0 end) filter (where accuracy.is_graded)
                as within_3_pct,
            count(*) filter (where accuracy.recommendation in ('OVER', 'UNDER') and accuracy.is_graded)
                as recommendations,
            count(*) filter (where accuracy.recommendation_result = 'WIN') as wins,
            count(*) filter (where accuracy.recommendation_result = 'LOSS') as losses,
            count(*) filter (where accuracy.recommendation_result = 'PUSH') as pushes,
            avg(baseline.baseline_error) filter (where accuracy.is_graded) as baseline_mae
        from accuracy
        left join baseline using (game_id, player_id)
        group by accuracy.system_id
        order by mae nulls last, system_id
    """,
        params,
    )
    report = []
    for item in rows.dicts():
        for key in ("mae", "bias", "within_3_pct", "baseline_mae"):
            item[key] = None if item[key] is None else round(float(item[key]), 4)
        for key in ("predictions", "graded", "recommendations", "wins", "losses", "pushes"):
            item[key] = item[key] or 0  # the BigQuery emulator's COUNTIF of no row is null (BigQuery's is 0)
        decided = item["wins"] + item["losses"]
        item["hit_rate"] = round(item["wins"] / decided, 4) if decided else None
        item["mae_vs_moving_average"] = (
            None
            if item["mae"] is None or item["baseline_mae"] is None
            else round(item["mae"] - item["baseline_mae"], 4)
        )
        report.append(item)
    return report


def format_accuracy_report(report: list[dict], season: int | None = None) -> str:
    """The table `nba-pipeline report accuracy` prints."""
    scope = f"season {season}" if season is not None else "all seasons"
    if not report:
        return f"no graded predictions ({scope}): build phases 5 and 6 first"
    header = (
        f"{'system':<24}{'seasons':>12}{'graded':>8}{'MAE':>8}{'bias':>8}{'<=3pts':>8}{'bets':>7}"
        f"{'hit rate':>10}{'MA same rows':>14}{'vs MA':>8}"
    )
    lines = [f"prediction accuracy, {scope}", header, "-" * len(header)]
    for r in report:
        hit = f"{r['hit_rate']:.1%}" if r["hit_rate"] is not None else "n/a"
        fmt = lambda v, spec: format(v, spec) if v is not None else "n/a"  # noqa: E731
        lines.append(
            f"{r['system_id']:<24}{_seasons(r['seasons']):>12}{r['graded']:>8}{fmt(r['mae'], '8.3f')}{fmt(r['bias'], '8.2f')}"
            f"{fmt(r['within_3_pct'], '8.1%')}{r['recommendations']:>7}{hit:>10}"
            f"{fmt(r['baseline_mae'], '14.3f')}{fmt(r['mae_vs_moving_average'], '+8.3f')}"
        )
    lines.append(
        "MAE in points over graded predictions; hit rate: OVER/UNDER bets against the prop line, pushes "
        "excluded (n/a: no lines or no bets); MA same rows: the moving_average baseline on the same player-games."
    )
    return "\n".join(lines)


def _seasons(listed: str) -> str:
    seasons = listed.split(",")
    return listed if len(seasons) <= 2 else f"{seasons[0]}..{seasons[-1]}"
