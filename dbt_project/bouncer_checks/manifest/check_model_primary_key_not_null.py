"""dbt-bouncer check of this project: a model's primary key is tested whole.

`check_model_has_unique_test` (dbt-bouncer's own) asks for a uniqueness test;
this one asks that every column of that key also has a `not_null` test, so the
pair (uniqueness + not null) is the model's tested primary key.
"""

from dbt_bouncer.check_framework.decorator import check, fail


def _key_columns(test) -> list[str] | None:
    metadata = getattr(test, "test_metadata", None)
    if metadata is None:
        return None
    kwargs = getattr(metadata, "kwargs", None) or {}
    if metadata.name == "unique":
        return [kwargs["column_name"]]
    if metadata.name == "unique_combination_of_columns":
        return list(kwargs["combination_of_columns"])
    return None


@check
def check_model_primary_key_not_null(model, ctx):
    """Every column of the model's uniqueness test (`unique` or `unique_combination_of_columns`) has a `not_null` test."""
    tests = ctx.tests_by_attached_node.get(model.unique_id, [])
    keys = [columns for columns in map(_key_columns, tests) if columns]
    if not keys:
        fail(f"`{model.name}` has no uniqueness test (unique or unique_combination_of_columns).")
    not_null = {
        (getattr(test.test_metadata, "kwargs", None) or {}).get("column_name")
        for test in tests
        if getattr(test, "test_metadata", None) is not None and test.test_metadata.name == "not_null"
    }
    if not any(set(columns) <= not_null for columns in keys):
        missing = sorted(set(keys[0]) - not_null)
        fail(f"`{model.name}`: key columns {missing} of its uniqueness test have no not_null test.")
