"""From phases.py and the dbt manifest to the asset graph, generically.

- A dbt node's phase is its `phase_<n>` tag (set per folder in dbt_project.yml).
  Every non-ephemeral model must carry exactly one; a model without one would
  silently never run, so loading the definitions fails instead.
- the steps are orchestration/pipeline_steps.py's, exactly as `nba-pipeline
  backfill` runs them: each dbt stretch is one `@dbt_assets`, each Python step
  one multi-asset in between. Today: stretch 1 = phases 2 (staging views), 3,
  4; the trained-model step; stretch 2 = phases 5, 6.
- dbt sources keep dagster-dbt's keys ([source, table]): `nba_raw.*` are the
  Phase 2 raw assets; the sources in the schema of a phase with one Python step
  (e.g. `nba_predictions.ml_system_predictions`) are that step's assets.
- groups `phase_<n>_<name>`, tag `nba/phase`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from dagster import AssetDep, AssetKey, AssetSpec
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from orchestration.phases import PHASES, PHASES_BY_NUMBER, Phase, phase_of_tags
from orchestration.pipeline_steps import DbtStretch, PythonStep, pipeline_steps

PHASE_TAG = "nba/phase"
RAW_PHASE = 2
SOURCE_VERSIONS_KEY = AssetKey(["nba_orchestration", "source_date_versions"])


def group_name(phase_number: int) -> str:
    phase = PHASES_BY_NUMBER.get(phase_number)
    return f"phase_{phase_number}_{phase.name}" if phase else f"phase_{phase_number}"


@dataclass(frozen=True)
class StepAssets:
    """A Python step of pipeline_steps.py as assets: what it writes and the models it reads."""

    step: PythonStep
    keys: tuple[AssetKey, ...]  # what the step writes (its assets)
    relations: dict = field(default_factory=dict, hash=False, compare=False)  # key -> "schema.table"
    deps: tuple[AssetKey, ...] = ()  # the previous phases' models it reads

    @property
    def name(self) -> str:
        return self.step.name

    @property
    def phase(self) -> Phase:
        return self.step.phase

    @property
    def reference(self) -> str:
        return self.step.reference


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
            raise ValueError(
                "dbt models without a phase_<n> tag of phases.py would never run under Dagster: "
                + ", ".join(problems)
                + ". Tag their folder in dbt_project.yml."
            )

    def key_of(self, unique_id: str) -> AssetKey:
        props = self.manifest["nodes"].get(unique_id) or self.manifest["sources"][unique_id]
        return DagsterDbtTranslator().get_asset_key(props)

    @cached_property
    def stretches(self) -> list[DbtStretch]:
        return [step for step in pipeline_steps(self.phases) if isinstance(step, DbtStretch)]

    def models_of_phase(self, number: int) -> list[str]:
        return sorted(uid for uid, phase in self.node_phase.items() if phase == number)

    @cached_property
    def python_steps(self) -> list[StepAssets]:
        steps = []
        numbers = [phase.number for phase in self.phases]
        for step in pipeline_steps(self.phases):
            if not isinstance(step, PythonStep):
                continue
            phase = step.phase
            earlier = [n for n in numbers if n < phase.number]
            previous = next((n for n in reversed(earlier) if self.models_of_phase(n)), None)
            deps = tuple(self.key_of(uid) for uid in self.models_of_phase(previous)) if previous else ()
            sources = (
                sorted(
                    (uid for uid, source in self.manifest["sources"].items() if source["schema"] == phase.schema),
                )
                if len(phase.python_steps) == 1 and phase.schema != "nba_raw"
                else []
            )
            if sources:
                keys = tuple(self.key_of(uid) for uid in sources)
                relations = {
                    self.key_of(uid): f"{self.manifest['sources'][uid]['schema']}."
                    f"{self.manifest['sources'][uid]['name']}"
                    for uid in sources
                }
            else:
                keys = (AssetKey([phase.schema, step.name]),)
                relations = {}
            steps.append(StepAssets(step, keys, relations, deps))
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
        # the versions table is bookkeeping written with every source (macros/freshness.sql): the
        # sources' own assets already order the graph, and it has no asset of its own
        deps = [dep for dep in spec.deps if dep.asset_key != SOURCE_VERSIONS_KEY]
        deps += [AssetDep(key) for key in step_keys if key not in {dep.asset_key for dep in deps}]
        if deps != list(spec.deps):
            spec = spec.replace_attributes(deps=deps)
        return spec
