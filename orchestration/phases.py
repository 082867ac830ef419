"""The pipeline's phases: what each one builds and which tables prove it complete.

One definition used by the CLI backfill, the Dagster assets, the coverage
report and the gap scanner, so "phase 3 is complete for date D" means the same
thing everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from orchestration.paths import DBT_PROJECT_DIR


def _dbt_completeness_models() -> dict[int, list[str]]:
    """The var `phase_completeness_models` of dbt_project.yml: per phase, the models proving it complete
    (defined there once; the Phase 4 gap check in macros/upstream_gaps.sql reads it too)."""
    config = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    return {int(phase): list(models) for phase, models in config["vars"]["phase_completeness_models"].items()}


_COMPLETENESS_MODELS = _dbt_completeness_models()


def _completeness_tables(number: int, schema: str) -> tuple[str, ...]:
    return tuple(f"{schema}.{model}" for model in _COMPLETENESS_MODELS[number])


@dataclass(frozen=True)
class Phase:
    number: int
    name: str
    schema: str
    # Tables that must hold rows for both teams of every final game of a date
    # for the date to count as complete in this phase.
    completeness_tables: tuple[str, ...]
    # dbt selector for the phase's models and tests (None: built outside dbt).
    dbt_selector: str | None = None
    # Python steps run after the phase's dbt models, before the next phase.
    python_steps: tuple[str, ...] = field(default_factory=tuple)


PHASES: tuple[Phase, ...] = (
    Phase(
        2,
        "raw",
        "nba_raw",
        ("nba_raw.nbac_player_boxscore", "nba_raw.nbac_team_boxscore"),
    ),
    Phase(
        3,
        "analytics",
        "nba_analytics",
        _completeness_tables(3, "nba_analytics"),
        # staging views over nba_raw are built with the first dbt phase
        dbt_selector="tag:phase_2 tag:phase_3",
    ),
    Phase(
        4,
        "precompute",
        "nba_precompute",
        _completeness_tables(4, "nba_precompute"),
        dbt_selector="tag:phase_4",
    ),
    Phase(
        5,
        "predictions",
        "nba_predictions",
        _completeness_tables(5, "nba_predictions"),
        dbt_selector="tag:phase_5",
        # the trained model (Python, outside dbt) writes nba_predictions.ml_system_predictions,
        # which the phase 5 dbt build reads; a failing step leaves the other systems running
        python_steps=("orchestration.ml:run_trained_model_step",),
    ),
    Phase(
        6,
        "grading",
        "nba_predictions",
        _completeness_tables(6, "nba_predictions"),
        dbt_selector="tag:phase_6",
    ),
)

PHASES_BY_NUMBER: dict[int, Phase] = {phase.number: phase for phase in PHASES}
DBT_PHASES: tuple[Phase, ...] = tuple(phase for phase in PHASES if phase.dbt_selector)


def phase_of_tags(tags) -> int | None:
    """A dbt node's phase: its `phase_<n>` tag (dbt_project.yml sets one per folder)."""
    numbers = {int(tag.split("_", 1)[1]) for tag in tags or () if tag.startswith("phase_") and tag[6:].isdigit()}
    if len(numbers) > 1:
        raise ValueError(f"dbt node tagged with several phases: {sorted(numbers)}")
    return numbers.pop() if numbers else None


def phases_from_spec(spec: str | None) -> list[Phase]:
    """`"3,4"` -> those phases in pipeline order; None -> every phase built by a backfill."""
    if not spec:
        return list(DBT_PHASES)
    numbers = set()
    for part in spec.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) not in PHASES_BY_NUMBER:
            known = ", ".join(str(p.number) for p in PHASES)
            raise ValueError(f"unknown phase {part!r}: phases are {known}")
        numbers.add(int(part))
    return [phase for phase in PHASES if phase.number in numbers]
