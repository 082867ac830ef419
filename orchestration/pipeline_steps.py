"""The steps a run executes, in order, from phases.py: one definition for the CLI and Dagster.

Phase 2 is the load of the landing files; consecutive dbt phases share one
`dbt build` (a stretch); a phase's Python steps run after the previous phases'
models and before its own. Today: the load, stretch phases 3-4 (with the
Phase 2 staging views), the trained-model step, stretch phases 5-6. Each
Dagster multi-asset is one of these steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from orchestration.phases import Phase


@dataclass(frozen=True)
class DbtStretch:
    phases: tuple[Phase, ...]
    select: tuple[str, ...] | None = None  # a narrower dbt selection (a Dagster run of some of its assets)

    @property
    def phase_selectors(self) -> list[str]:
        return [phase.dbt_selector for phase in self.phases if phase.dbt_selector]

    @property
    def selectors(self) -> list[str]:
        return list(self.select) if self.select else self.phase_selectors

    @property
    def tags(self) -> tuple[int, ...]:
        """The phase numbers its selectors name (the Phase 2 staging views ride with the first stretch)."""
        return tuple(
            sorted(
                {
                    int(part.split("_", 1)[1])
                    for selector in self.phase_selectors
                    for part in selector.split()
                    if part.startswith("tag:phase_")
                }
            )
        )

    @property
    def name(self) -> str:
        return "dbt_phases_" + "_".join(str(number) for number in self.tags)

    @property
    def phase_numbers(self) -> list[int]:
        return [phase.number for phase in self.phases]


@dataclass(frozen=True)
class PythonStep:
    phase: Phase
    reference: str  # "module:function"

    @property
    def name(self) -> str:
        """`orchestration.ml:run_trained_model_step` -> `trained_model`."""
        attribute = self.reference.partition(":")[2] or self.reference
        return attribute.removeprefix("run_").removesuffix("_step")

    @property
    def phase_numbers(self) -> list[int]:
        return [self.phase.number]


@dataclass(frozen=True)
class LoadStep:
    """Phase 2: the landing folder's files into nba_raw (orchestration/loading)."""

    phase: Phase
    name: str = "load"

    @property
    def phase_numbers(self) -> list[int]:
        return [self.phase.number]


Step = LoadStep | DbtStretch | PythonStep
RAW_PHASE = 2


def pipeline_steps(phases: Sequence[Phase]) -> list[Step]:
    """The steps that build `phases`, in run order."""
    steps: list[Step] = []
    pending: list[Phase] = []
    for phase in phases:
        if phase.number == RAW_PHASE:
            steps.append(LoadStep(phase))
        if phase.python_steps:
            if pending:
                steps.append(DbtStretch(tuple(pending)))
                pending = []
            steps.extend(PythonStep(phase, reference) for reference in phase.python_steps)
        if phase.dbt_selector:
            pending.append(phase)
    if pending:
        steps.append(DbtStretch(tuple(pending)))
    return steps
