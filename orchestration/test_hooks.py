"""Deterministic interruption points, for tests of kills and races (never set in production).

    NBA_PIPELINE_TEST_HOOK="after:dbt_phases_2_3_4=kill"
    NBA_PIPELINE_TEST_HOOK="tests:dbt_phases_2_3_4=kill"
    NBA_PIPELINE_TEST_HOOK="after:dbt_phases_2_3_4=call:tests.hooks:correct_one_date"

Points: `after:<step>` once a step of a run has been built and recorded;
`tests:<step>` when a test of a dbt step starts after the step wrote its first
dated model (that model's rows are written, its gates not yet passed). Actions: `kill` sends SIGKILL to the whole
process group (the run and any child), as an OOM killer or a closed laptop
would; `call:<module>:<function>` calls function(point, warehouse) in the run's
process (`warehouse`: the run's `Warehouse`) (e.g. a load landing between two builds).
"""

from __future__ import annotations

import importlib
import os
import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING

from orchestration.settings import settings

if TYPE_CHECKING:
    from orchestration.warehouse import Warehouse


@dataclass(frozen=True)
class TestHook:
    point: str
    action: str

    @classmethod
    def from_env(cls) -> TestHook | None:
        spec = settings().test_hook
        if not spec:
            return None
        point, _, action = spec.partition("=")
        return cls(point.strip(), action.strip())

    def fire(self, point: str, warehouse: Warehouse) -> None:
        if point != self.point:
            return
        if self.action == "kill":
            os.killpg(os.getpgid(0), signal.SIGKILL)
        if self.action.startswith("call:"):
            module, _, function = self.action.removeprefix("call:").partition(":")
            getattr(importlib.import_module(module), function)(point, warehouse)


def fire(point: str, warehouse: Warehouse) -> None:
    hook = TestHook.from_env()
    if hook is not None:
        hook.fire(point, warehouse)
