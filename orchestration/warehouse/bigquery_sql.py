"""The project's SQL (DuckDB's dialect) as BigQuery runs it, through sqlglot.

Why one dialect transpiled rather than portable SQL: the queries were written for DuckDB and use what
both engines have under other names (`count(*) filter (where ...)` = COUNTIF, `bool_and` = LOGICAL_AND,
`varchar` = STRING, `timestamp` = DATETIME, QUALIFY, GROUP BY ALL); sqlglot maps those mechanically, so
each query stays written once, readable, and tested on DuckDB by every unit test. What has no
equivalent (DuckDB's `insert ... by name`, `insert or replace`, `information_schema` of the current
database, percentiles as aggregates) is not written in SQL: the session's methods (`append`,
`tables`, `columns`) or Python do it.

Four changes besides the dialect:
- every `schema.table` gets the project: `project.schema.table` (the job may run in another project);
- parameters (`?` in order, `$name` by name) become literals: the emulator runs no query parameters,
  and the values are the pipeline's own (dates, ids, statuses);
- `delete` and `update` become the equivalent MERGE (`on false when not matched by source and <where>
  then delete | update set ...`): one atomic statement on BigQuery as well, and the one DML statement
  the local emulator runs besides INSERT;
- DuckDB's TIMESTAMP (no time zone) is stored as BigQuery's TIMESTAMP, the wall-clock time read as UTC
  and given back the same (session.py): the type the emulator can load from CSV, in tables
  (bigquery_tables.py) and casts alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.tokens import TokenType


def literal(value: Any) -> str:
    """A Python value as a DuckDB-dialect literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return f"cast('{value.replace(tzinfo=None).isoformat(sep=' ')}' as timestamp)"
    if isinstance(value, date):
        return f"cast('{value.isoformat()}' as date)"
    if isinstance(value, Decimal):
        # NUMERIC: BigQuery reads a bare `1.25` as FLOAT64, which it never assigns to a NUMERIC column
        return f"cast('{value}' as decimal)"
    if isinstance(value, (int, float)):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if hasattr(value, "item"):  # numpy scalars
        return literal(value.item())
    return exp.Literal.string(str(value)).sql("duckdb")


def inline_parameters(sql: str, params: Sequence[Any] | Mapping[str, Any] | None) -> str:
    """`sql` with each `?` (in order) or `$name` replaced by its value as a literal."""
    if not params:
        return sql
    tokens = DuckDB().tokenize(sql)
    pieces, last, position = [], 0, 0
    named = isinstance(params, Mapping)
    for index, token in enumerate(tokens):
        if token.token_type == TokenType.PLACEHOLDER and not named:
            value = params[position]
            position += 1
            start, end = token.start, token.end + 1
        elif token.token_type == TokenType.PARAMETER and named and index + 1 < len(tokens):
            name_token = tokens[index + 1]
            value = params[name_token.text]
            start, end = token.start, name_token.end + 1
        else:
            continue
        pieces += [sql[last:start], literal(value)]
        last = end
    if not named and position != len(params):
        raise ValueError(f"{len(params)} parameters for {position} placeholders in: {sql[:200]}")
    return "".join(pieces) + sql[last:]


_NAIVE_TIMESTAMPS = (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ)
MERGE_TARGET = "target"


def _on_target(node: exp.Expression) -> str:
    """A WHERE condition or SET value of a DELETE/UPDATE, its columns on the MERGE's target."""
    node = node.copy()
    for column in node.find_all(exp.Column):
        if not column.table and column.find_ancestor(exp.Subquery, exp.Select) is None:
            column.set("table", exp.to_identifier(MERGE_TARGET))
    return node.sql(dialect="bigquery")


def _as_merge(tree: exp.Delete | exp.Update) -> str:
    where = tree.args.get("where")
    condition = f" and ({_on_target(where.this)})" if where is not None else ""
    if isinstance(tree, exp.Delete):
        action = "delete"
    else:
        action = "update set " + ", ".join(
            f"{assignment.this.name} = {_on_target(assignment.expression)}" for assignment in tree.expressions
        )
    return (
        f"merge {tree.this.sql(dialect='bigquery')} as {MERGE_TARGET} using (select 1 as _nothing) as source "
        f"on false when not matched by source{condition} then {action}"
    )


@lru_cache(maxsize=512)
def _translate(sql: str, project: str) -> str:
    tree = sqlglot.parse_one(sql, read="duckdb")
    for table in tree.find_all(exp.Table):
        if table.args.get("db") is not None and table.args.get("catalog") is None:
            table.set("catalog", exp.to_identifier(project, quoted=True))
    for data_type in tree.find_all(exp.DataType):
        if data_type.this in _NAIVE_TIMESTAMPS:
            data_type.set("this", exp.DataType.Type.TIMESTAMPTZ)
    if isinstance(tree, (exp.Delete, exp.Update)):
        return _as_merge(tree)
    return tree.sql(dialect="bigquery")


def to_bigquery(sql: str, project: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> str:
    """The BigQuery statement for one DuckDB-dialect statement with its parameters."""
    return _translate(inline_parameters(sql, params), project)


def is_create_schema(sql: str) -> str | None:
    """The schema a `create schema [if not exists] x` creates, else None (a dataset on BigQuery)."""
    words = sql.strip().rstrip(";").split()
    if [w.lower() for w in words[:2]] != ["create", "schema"]:
        return None
    return words[-1]
