"""From phases.py and the dbt manifest to the asset graph, generically.

- A dbt node's phase is its `phase_<n>` tag (set per folder in dbt_project.yml).
  Every non-ephemeral model must carry exactly one; a model without one would
  silently never run, so loading the definitions fails instead.
- dbt phases are cut into **stretches** at every phase with `python_steps`
  (phases.py): the steps run after the previous phases' models and before that
  phase's models, exactly as `nba-pipeline backfill` runs them. Each stretch is
  one `@dbt_assets`; each step is one asset in between. Today: stretch 1 =
  phases 2 (staging views), 3, 4; the trained-model step; stretch 2 = phases 5, 6.
- dbt sources keep dagster-dbt's keys ([source, table]): `nba_raw.*` are the
  Phase 2 raw assets; the sources in the schema of a phase with one Python step
  (e.g. `nba_predictions.ml_system_predictions`) are that step's assets.
- groups `phase_<n>_<name>`, tag `nba/phase`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

from dagster import AssetDep, AssetKey, AssetSpec
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from orchestration.phases import PHASES, PHASES_BY_NUMBER, Phase

PHASE_TAG = "nba/phase"
RAW_PHASE = 2


def phase_of_tags(tags) -> int | None:
    numbers = {int(tag.split("_", 1)[1]) for tag in tags or () if tag.startswith("phase_") and tag[6:].isdigit()}
    if len(numbers) > 1:
        raise ValueError(f"dbt node tagged with several phases: {sorted(numbers)}")
    return numbers.pop() if numbers else None


def group_name(phase_number: int) -> str:
    phase = PHASES_BY_NUMBER.get(phase_number)
    return f"phase_{phase_number}_{phase.name}" if phase else f"phase_{phase_number}"


def step_name(reference: str) -> str:
    """`orchestration.ml:run_trained_model_step` -> `trained_model`."""
    attribute = reference.partition(":")[2] or reference
    return attribute.removeprefix("run_").removesuffix("_step")


@dataclass(frozen=True)
class Stretch:
    """Consecutive dbt phases built by one `@dbt_assets` (one dbt build per run)."""

    index: int
    phases: tuple[int, ...]

    @property
    def select(self) -> str:
        return " ".join(f"tag:phase_{number}" for number in self.phases)

    @property
    def op_name(self) -> str:
        return "dbt_phases_" + "_".join(str(number) for number in self.phases)


@dataclass(frozen=True)
class PythonStep:
    phase: Phase
    reference: str
    keys: tuple[AssetKey, ...]           # what the step writes (its assets)
    relations: dict = field(default_factory=dict, hash=False, compare=False)   # key -> "schema.table"
    deps: tuple[AssetKey, ...] = ()       # the previous phases' models it reads

    @property
    def name(self) -> str:
        return step_name(self.reference)


class PipelineLayout:
    """Stretches, Python steps and each dbt node's phase, read from the manifest and phases.py."""

    def __init__(self, manifest: Mapping[str, Any] | Path, phases: tuple[Phase, ...] = PHASES):
        if isinstance(manifest, Path):
            manifest = json.loads(manifest.read_text())
        self.manifest = manifest
        self.phases = phases
        self.node_phase: dict[str, int] = {}
        problems = []
        for unique_id, node in manifest["nodes"].items():
            if node["resource_type"] not in {"model", "seed", "snapshot"}:
                continue
            if node["config"].get("materialized") == "ephemeral":
                continue
            phase = phase_of_tags(node.get("tags"))
            if phase is None or (phase not in PHASES_BY_NUMBER and phase != RAW_PHASE):
                problems.append(f"{unique_id} (tags {node.get('tags')})")
            else:
                self.node_phase[unique_id] = phase
        if problems:
            raise ValueError("dbt models without a phase_<n> tag of phases.py would never run under Dagster: "
                             + ", ".join(problems) + ". Tag their folder in dbt_project.yml.")

    def key_of(self, unique_id: str) -> AssetKey:
        props = self.manifest["nodes"].get(unique_id) or self.manifest["sources"][unique_id]
        return DagsterDbtTranslator().get_asset_key(props)

    @cached_property
    def stretches(self) -> list[Stretch]:
        present = sorted(set(self.node_phase.values()))
        cuts = [phase.number for phase in self.phases if phase.python_steps]
        groups: list[list[int]] = []
        for number in present:
            if not groups or number in cuts:
                groups.append([])
            groups[-1].append(number)
        return [Stretch(index, tuple(numbers)) for index, numbers in enumerate(groups)]

    def models_of_phase(self, number: int) -> list[str]:
        return sorted(uid for uid, phase in self.node_phase.items() if phase == number)

    @cached_property
    def python_steps(self) -> list[PythonStep]:
        steps = []
        numbers = [phase.number for phase in self.phases]
        for phase in self.phases:
            if not phase.python_steps:
                continue
            earlier = [n for n in numbers if n < phase.number]
            previous = next((n for n in reversed(earlier) if self.models_of_phase(n)), None)
            deps = tuple(self.key_of(uid) for uid in self.models_of_phase(previous)) if previous else ()
            sources = sorted(
                (uid for uid, source in self.manifest["sources"].items() if source["schema"] == phase.schema),
            ) if len(phase.python_steps) == 1 and phase.schema != "nba_raw" else []
            for reference in phase.python_steps:
                if sources:
                    keys = tuple(self.key_of(uid) for uid in sources)
                    relations = {self.key_of(uid): f"{self.manifest['sources'][uid]['schema']}."
                                                   f"{self.manifest['sources'][uid]['name']}" for uid in sources}
                else:
                    keys = (AssetKey([phase.schema, step_name(reference)]),)
                    relations = {}
                steps.append(PythonStep(phase, reference, keys, relations, deps))
        return steps

    def step_keys_for_phase(self, number: int) -> list[AssetKey]:
        return [key for step in self.python_steps if step.phase.number == number for key in step.keys]


class PipelineDbtTranslator(DagsterDbtTranslator):
    """dagster-dbt's keys, plus phase groups and tags, and the Python steps as upstream of their phase."""

    def __init__(self, layout: PipelineLayout):
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
        self.layout = layout

    def _phase(self, props: Mapping[str, Any]) -> int | None:
        if props["resource_type"] == "source":
            if props["schema"] == "nba_raw":
                return RAW_PHASE
            for step in self.layout.python_steps:
                if props["schema"] == step.phase.schema:
                    return step.phase.number
            return None
        return phase_of_tags(props.get("tags"))

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        phase = self._phase(dbt_resource_props)
        return group_name(phase) if phase is not None else super().get_group_name(dbt_resource_props)

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        tags = dict(super().get_tags(dbt_resource_props))
        phase = self._phase(dbt_resource_props)
        if phase is not None:
            tags[PHASE_TAG] = str(phase)
        return tags

    def get_asset_spec(self, manifest, unique_id, project) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        phase = self.layout.node_phase.get(unique_id)
        step_keys = self.layout.step_keys_for_phase(phase) if phase is not None else []
        missing = [key for key in step_keys if key not in {dep.asset_key for dep in spec.deps}]
        if missing:
            spec = spec.replace_attributes(deps=[*spec.deps, *(AssetDep(key) for key in missing)])
        return spec
