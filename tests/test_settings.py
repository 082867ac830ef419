"""Settings live in one module (orchestration/settings.py): every NBA_* variable the project reads is listed there
with its default, Python reads none of them elsewhere, dbt's `env_var()` defaults agree with the list, and
`nba-pipeline config` prints it."""

from __future__ import annotations

import ast
import json
import re

import pytest

from orchestration.cli import main
from orchestration.paths import DBT_PROJECT_DIR, PROJECT_ROOT
from orchestration.settings import ENV_NAMES, Settings, env_name, settings

ENV_VAR_CALL = re.compile(r"env_var\(\s*'(?P<name>NBA_[A-Z_]+)'\s*(?:,\s*'(?P<default>[^']*)')?")
DBT_SOURCES = [
    DBT_PROJECT_DIR / "profiles.yml",
    DBT_PROJECT_DIR / "dbt_project.yml",
    *(PROJECT_ROOT / "macros").rglob("*.sql"),
    *(DBT_PROJECT_DIR / "models").rglob("*.sql"),
    *(DBT_PROJECT_DIR / "models").rglob("*.yml"),
]


def _dbt_env_vars() -> dict[str, set[str | None]]:
    found: dict[str, set[str | None]] = {}
    for path in DBT_SOURCES:
        for match in ENV_VAR_CALL.finditer(path.read_text()):
            found.setdefault(match["name"], set()).add(match["default"])
    return found


def test_every_dbt_env_var_is_a_setting_with_the_same_default():
    found = _dbt_env_vars()
    assert {"NBA_PIPELINE_TARGET", "NBA_PIPELINE_DUCKDB", "NBA_STRICT_MODE", "NBA_BQ_PROJECT"} <= set(found)
    assert set(found) <= set(ENV_NAMES), f"dbt reads variables the settings do not list: {set(found) - set(ENV_NAMES)}"
    by_name = {info.validation_alias: info for info in Settings.model_fields.values()}
    for name, defaults in found.items():
        info = by_name[name]
        assert "dbt" in info.json_schema_extra["read_by"], f"{name}: read by dbt, not marked so"
        for default in defaults - {None}:
            if name == "NBA_PIPELINE_DUCKDB":  # the profile names the same file from dbt_project/
                assert (DBT_PROJECT_DIR / default).resolve() == (PROJECT_ROOT / info.default).resolve()
            elif isinstance(info.default, bool):
                assert default == str(info.default).lower(), name
            else:
                assert type(info.default)(default) == info.default, f"{name}: dbt's default {default!r}"


def _environ_reads(tree: ast.AST) -> list[tuple[int, str]]:
    """Reads of os.environ / os.getenv whose key is an NBA_ literal or a *_ENV constant."""
    reads = []
    for node in ast.walk(tree):
        key = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            func = ast.unparse(node.func)
            if func in {"os.environ.get", "os.getenv", "environ.get"} and node.args:
                key = node.args[0]
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)
            and ast.unparse(node.value) == "os.environ"
        ):
            key = node.slice
        if key is None:
            continue
        text = ast.unparse(key)
        if re.fullmatch(r"['\"]NBA_[A-Z_]+['\"]|[A-Z_]+_ENV", text):
            reads.append((node.lineno, text))
    return reads


def test_python_reads_nba_variables_only_through_settings():
    offenders = []
    for path in sorted((PROJECT_ROOT / "orchestration").rglob("*.py")):
        if path.name == "settings.py":
            continue
        offenders += [
            f"{path.relative_to(PROJECT_ROOT)}:{line} {key}"
            for line, key in _environ_reads(ast.parse(path.read_text()))
        ]
    assert offenders == []


def test_settings_follow_the_environment_and_name_a_bad_value(monkeypatch):
    monkeypatch.setenv("NBA_PIPELINE_DUCKDB", "elsewhere/w.duckdb")
    assert settings().warehouse == PROJECT_ROOT / "elsewhere" / "w.duckdb"
    monkeypatch.setenv(env_name("lock_timeout"), "  ")  # blank is unset
    assert settings().lock_timeout == Settings.model_fields["lock_timeout"].default
    monkeypatch.setenv(env_name("backfill_chunk_days"), "thirty")
    with pytest.raises(ValueError, match=r"^NBA_PIPELINE_BACKFILL_CHUNK_DAYS='thirty': .*integer"):
        settings()


def test_config_lists_every_setting_and_hides_secrets(monkeypatch, capsys):
    monkeypatch.setenv("NBA_BQ_TOKEN", "ya29.secret")
    monkeypatch.setenv("NBA_PIPELINE_LOCK_TIMEOUT", "12")
    assert main(["config", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert list(rows) == list(ENV_NAMES)
    assert rows["NBA_PIPELINE_LOCK_TIMEOUT"] | {"description": None} == {
        "name": "NBA_PIPELINE_LOCK_TIMEOUT",
        "value": "12",
        "set": True,
        "default": "300",
        "read_by": "python",
        "description": None,
    }
    assert rows["NBA_BQ_TOKEN"]["value"] == "****" and "ya29.secret" not in json.dumps(rows)
    assert all(row["description"] for row in rows.values())

    assert main(["config"]) == 0
    text = capsys.readouterr().out
    assert all(name in text for name in ENV_NAMES) and "300  (default)" not in text and "ya29" not in text


def test_a_bad_setting_is_one_line_and_exit_2(monkeypatch, capsys):
    monkeypatch.setenv("NBA_PIPELINE_TARGET", "staging")
    assert main(["config"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("nba-pipeline: NBA_PIPELINE_TARGET='staging': Input should be 'dev' or 'prod'")
    assert "\n" not in err


def test_help_points_to_config(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "nba-pipeline config" in capsys.readouterr().out
