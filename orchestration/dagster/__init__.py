"""Dagster orchestration of the pipeline, in small modules assembled by `orchestration.definitions`.

| module | what |
|---|---|
| `partitions`   | the one daily partitions definition on game_date, the backfill policy, the run window |
| `modes`        | strict / backfill mode and the trigger of a run, from its tags and the settings |
| `resources`    | `PipelineResource` (warehouse, landing folder, mode defaults), the dbt CLI resource |
| `dbt_project`  | the dbt project and its manifest, parsed at load time when missing or out of date |
| `translator`   | dbt nodes -> asset keys, groups and tags per phase; dbt sources -> raw / step assets |
| `runtime`      | what every warehouse-writing step shares: the project's runner (orchestration/runner.py: plan, build, record, alert) under the Dagster run id, BLOCKED as a step failure |
| `raw_assets`   | Phase 2: the `nba_raw` tables loaded from the landing folder |
| `dbt_assets`   | phases 3+ from the dbt project, one `@dbt_assets` per stretch of dbt phases |
| `step_assets`  | the Python steps of phases.py (e.g. the trained model) as assets between dbt stretches |
| `monitoring_assets` | the coverage asset (the status table as metadata) and the gap-healing sensor |
| `checks`       | asset checks written in Python (dbt tests become checks through dagster-dbt) |
| `concurrency`  | the single-writer pool, freeing the slots of runs whose process was killed, waiting for the file |
| `executor`     | the in-process executor that frees those slots before claiming |
| `pool_wait`    | a run waiting for the pool sleeps until its next claim check (a Dagster 1.13.27 fault put right) |
| `instance`     | the local instance class (dagster.yaml): every storage in the instance's folder, the event batch size |
| `storage`      | the SQLite event log for long single-run ranges (the local instance's; production: stock PostgreSQL) |
| `local_postgres` | a throwaway local PostgreSQL server for the production instance (tests, bench) |
| `jobs`, `schedules`, `sensors` | the daily job and schedule (stopped by default), the digest job and sensor |
| `localrun`     | a DAGSTER_HOME with the project's dagster.yaml (or dagster.postgres.yaml), the CLI command, range tags (tests, bench) |

Circuit breakers, smart skip and alerts are the runner's, as for `nba-pipeline`.
"""
