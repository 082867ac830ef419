"""The local Dagster instance (dagster.yaml `instance_class`): one folder for everything, and
the event batch size as a setting.

Dagster builds an instance's storage from its base folder: `$DAGSTER_HOME`, or, for a bare
`dagster dev` / `dagster asset materialize` without DAGSTER_HOME, a temporary
`.tmp_dagster_home_*` folder in the working folder (removed at exit), configured by
./dagster.yaml. Defaults for that folder come from the instance class's `config_defaults`; this
class swaps the event log in those defaults for the project's SQLite event log
(`storage.FastSqliteEventLogStorage`) at `<base>/history`, beside the run storage
(`<base>/history/runs.db`) and the schedules (`<base>/schedules`). A storage configured
in dagster.yaml itself could not know that folder: a bare `dagster dev` then kept its runs in
the temporary folder and its events elsewhere (materializations shown with "Run: None").

`event_batch_size` (dagster.yaml, top level): Dagster writes the per-partition events of an
output as one `store_event_batch` when its batch size is above 0. Dagster reads that size from
DAGSTER_EVENT_BATCH_SIZE; here it is a setting of the instance, and the variable, when set, still
wins.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import yaml
from dagster import DagsterInstance, Field, IntSource
from dagster._core.instance.ref import InstanceRef
from dagster._serdes import ConfigurableClassData

EVENT_LOG_MODULE, EVENT_LOG_CLASS = "orchestration.dagster.storage", "FastSqliteEventLogStorage"
# Dagster's own default (events stored one by one); the project's size is in dagster.yaml
DAGSTER_DEFAULT_EVENT_BATCH_SIZE = 0
EVENT_BATCH_SIZE_VARIABLE = "DAGSTER_EVENT_BATCH_SIZE"


def _class_data(data: ConfigurableClassData) -> dict[str, str]:
    return {"module_name": data.module_name, "class_name": data.class_name, "config_yaml": data.config_yaml}


class PipelineInstance(DagsterInstance):
    def __init__(self, *args: Any, event_batch_size: int = DAGSTER_DEFAULT_EVENT_BATCH_SIZE, **kwargs: Any):
        self._configured_event_batch_size = event_batch_size
        super().__init__(*args, **kwargs)

    @classmethod
    def config_schema(cls) -> Mapping[str, Field]:
        return {"event_batch_size": Field(IntSource, is_required=False, default_value=DAGSTER_DEFAULT_EVENT_BATCH_SIZE)}

    @staticmethod
    def config_defaults(base_dir: str) -> Mapping[str, ConfigurableClassData | None]:
        defaults = dict(InstanceRef.config_defaults(base_dir))
        event_log = ConfigurableClassData(
            EVENT_LOG_MODULE, EVENT_LOG_CLASS, yaml.dump({"base_dir": os.path.join(base_dir, "history")})
        )
        defaults["event_log_storage"] = event_log
        defaults["storage"] = ConfigurableClassData(
            "dagster._core.storage.legacy_storage",
            "CompositeStorage",
            yaml.dump(
                {
                    "run_storage": _class_data(defaults["run_storage"]),
                    "event_log_storage": _class_data(event_log),
                    "schedule_storage": _class_data(defaults["schedule_storage"]),
                }
            ),
        )
        return defaults

    def _get_event_batch_size(self) -> int:
        setting = os.environ.get(EVENT_BATCH_SIZE_VARIABLE)
        return int(setting) if setting else self._configured_event_batch_size
