"""The dbt project's conventions, held by dbt-bouncer (dbt_project/dbt-bouncer.yml) on the
manifest and catalog of a real build: documented models with a tested primary key,
sources with freshness and in use, only staging reading sources, staging in a folder per
source, every column documented, contracts on the tables Python reads in types both
adapters accept. Zero findings; every exception is written in the
configuration with its reason.

The artifacts come from `dbt docs generate` (a parse and the catalog) on the generated
season the monitoring tests build (shared, built once per session), into a target folder
of this test's own. The checker is the maintained CLI, run on them; a second test feeds it
tampered artifacts to show each rule of the project finds what it should.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from test_monitoring_support import built_generated, copy_to

from orchestration.dbt_invoke import DbtProject
from orchestration.paths import DBT_PROJECT_DIR

CONFIG = DBT_PROJECT_DIR / "dbt-bouncer.yml"
BOUNCER = Path(sys.executable).parent / "dbt-bouncer"


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory, in_season_landing) -> Path:
    """manifest.json and catalog.json of the project, on a warehouse built through every phase."""
    folder = tmp_path_factory.mktemp("conventions")
    warehouse = copy_to(built_generated(tmp_path_factory, in_season_landing), folder)
    target = folder / "target"
    result = DbtProject(warehouse, target_path=target).invoke(["docs", "generate"])
    assert result.succeeded, result.failure_summary()
    assert (target / "manifest.json").is_file() and (target / "catalog.json").is_file()
    return target


def run_checker(artifacts_dir: Path, folder: Path) -> list[dict]:
    """dbt-bouncer with the project's configuration on `artifacts_dir`: the failed checks."""
    config = yaml.safe_load(CONFIG.read_text())
    config["dbt_artifacts_dir"] = str(artifacts_dir)
    config["custom_checks_dir"] = str(DBT_PROJECT_DIR / config["custom_checks_dir"])
    config_file, output = folder / "dbt-bouncer.yml", folder / "findings.json"
    config_file.write_text(yaml.safe_dump(config))
    run = subprocess.run(
        [
            str(BOUNCER),
            "run",
            "--config-file",
            str(config_file),
            "--output-file",
            str(output),
            "--output-only-failures",
        ],
        capture_output=True,
        text=True,
        cwd=DBT_PROJECT_DIR,
    )
    assert output.is_file(), f"dbt-bouncer did not run:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    findings = json.loads(output.read_text())
    assert (run.returncode == 0) == (not findings), run.stdout[-3000:]
    return findings


def test_the_project_has_no_findings(artifacts, tmp_path):
    findings = run_checker(artifacts, tmp_path)
    assert not findings, "dbt conventions broken:\n" + "\n".join(
        f"{f['check_run_id']}: {f['failure_message']}" for f in findings
    )


def test_each_rule_finds_what_it_should(artifacts, tmp_path):
    """Break one thing per rule in a copy of the artifacts; the checker names exactly those."""
    broken = tmp_path / "broken"
    broken.mkdir()
    manifest = json.loads((artifacts / "manifest.json").read_text())
    catalog = json.loads((artifacts / "catalog.json").read_text())
    nodes, sources = manifest["nodes"], manifest["sources"]
    summary = "model.nba_pipeline.player_game_summary"

    # a model without its description, a key column without its not_null test
    nodes["model.nba_pipeline.team_offense_game_summary"]["description"] = ""
    not_null_player = next(
        uid
        for uid, node in nodes.items()
        if node["resource_type"] == "test"
        and node.get("attached_node") == summary
        and (node.get("test_metadata") or {}).get("name") == "not_null"
        and node["test_metadata"]["kwargs"].get("column_name") == "player_id"
    )
    del nodes[not_null_player]
    # a source without freshness; a Phase 3 model reading a source
    sources["source.nba_pipeline.nba_raw.nbac_schedule"]["freshness"] = None
    nodes[summary]["depends_on"]["nodes"].append("source.nba_pipeline.nba_raw.nbac_team_boxscore")
    # a staging model outside a folder per source
    staging = nodes["model.nba_pipeline.stg_nba_raw__team_boxscores"]
    staging["original_file_path"] = staging["original_file_path"].replace("staging/nba_raw/", "staging/")
    staging["path"] = staging["path"].replace("staging/nba_raw/", "staging/")
    # a column in the warehouse the YAML does not describe
    catalog["nodes"][summary]["columns"]["undocumented_column"] = {
        "type": "INTEGER",
        "index": 999,
        "name": "undocumented_column",
        "comment": None,
    }
    # a table Python reads without its contract; a contract type only one adapter knows
    nodes["model.nba_pipeline.ml_feature_store"]["contract"]["enforced"] = False
    nodes["model.nba_pipeline.prediction_accuracy"]["columns"]["error"]["data_type"] = "double"
    (broken / "manifest.json").write_text(json.dumps(manifest))
    (broken / "catalog.json").write_text(json.dumps(catalog))

    found = {
        f["check_run_id"].split(":")[0] + ":" + f["check_run_id"].split(":")[-1] for f in run_checker(broken, tmp_path)
    }
    expected = {
        "check_model_description_populated:team_offense_game_summary",
        "check_model_primary_key_not_null:player_game_summary",
        "check_source_freshness_populated:nba_raw_nbac_schedule",
        "check_lineage_source_cannot_be_used:player_game_summary",
        "check_model_does_not_directly_join_to_source:player_game_summary",
        "check_model_directories:stg_nba_raw__team_boxscores",
        "check_columns_are_all_documented:player_game_summary",
        "check_model_has_contracts_enforced:ml_feature_store",
        "check_model_column_name_complies_to_column_type:prediction_accuracy",
    }
    assert expected <= found, f"not found: {expected - found}; found: {found}"
