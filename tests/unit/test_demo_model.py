"""The demo generator's pure part: plans, the statements it builds, and the SQL helpers (no engine)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlglot
from sqlglot import exp

from lakealerts.demo.generator import DEMO_TABLES, create_statements
from lakealerts.demo.hashing import choice, hash_int, uniform
from lakealerts.demo.model import MAX_ROWS, MIN_ROWS, DemoPlan, select
from lakealerts.errors import UsageError
from lakealerts.sql.identifiers import Namespace
from lakealerts.sql.translate import translate

pytestmark = pytest.mark.unit

PLAN = DemoPlan(30_000, date(2026, 3, 10))
NAMESPACE = Namespace("main", "gold")


def test_plan_splits_rows_over_the_three_event_tables_and_knows_its_midnight() -> None:
    assert PLAN.rows_per_event_table == 10_000
    assert datetime.fromtimestamp(PLAN.day0, UTC) == datetime(2026, 3, 10, tzinfo=UTC)
    assert PLAN.base_params == ("2026-03-10", PLAN.day0)


@pytest.mark.parametrize("rows", [MIN_ROWS - 1, 0, -5, MAX_ROWS + 1])
def test_plan_refuses_rows_out_of_range_with_a_hint(rows: int) -> None:
    with pytest.raises(UsageError, match="--rows") as caught:
        DemoPlan(rows, date(2026, 3, 10))
    assert caught.value.hint and f"{MIN_ROWS:,}" in caught.value.hint


def test_demo_tables_cover_the_system_tables_the_rules_read() -> None:
    names = [table.name for table in DEMO_TABLES]
    assert len(set(names)) == len(names)
    assert {
        "billing_usage",
        "job_run_timeline",
        "audit_log",
        "query_history",
        "node_utilization",
        "table_quality_metrics",
    } <= set(names)
    for table in DEMO_TABLES:
        assert len(set(table.column_names)) == len(table.column_names), table.name
        assert set(table.order_by) <= set(table.column_names), table.name
        assert table.modelled_on and table.description
        assert all(column.description for column in table.columns), table.name


@pytest.mark.parametrize("table_name", [table.name for table in DEMO_TABLES])
def test_each_statement_replaces_one_table_in_the_namespace_with_bound_values(table_name: str) -> None:
    (statement,) = [s for t, s in create_statements(NAMESPACE, PLAN) if t.name == table_name]
    tree = sqlglot.parse_one(statement.sql, read="databricks")
    assert isinstance(tree, exp.Create) and tree.args.get("replace")
    assert tree.this.sql(dialect="databricks") == f"`main`.`gold`.`{table_name}`"
    # Values travel as parameters: one per placeholder, the as-of date among them, never in the text.
    assert translate(statement.sql, {"main": "lakealerts_main"}).placeholders == len(statement.params)
    assert "2026-03-10" in statement.params and "2026-03-10" not in statement.sql
    assert list(tree.find_all(exp.Order))


def test_statements_are_the_same_text_for_every_as_of_so_translations_are_cached() -> None:
    other = DemoPlan(30_000, date(2027, 1, 1))
    first = [s.sql for _, s in create_statements(NAMESPACE, PLAN)]
    assert first == [s.sql for _, s in create_statements(NAMESPACE, other)]


def test_select_lists_every_column_once_in_order_and_refuses_a_mismatch() -> None:
    sql = select(("a", "b"), {"b": "2", "a": "1"}, "t", where="x > 0")
    assert sql.split() == ["SELECT", "1", "AS", "a,", "2", "AS", "b", "FROM", "t", "WHERE", "x", ">", "0"]
    with pytest.raises(ValueError, match="missing"):
        select(("a", "b"), {"a": "1"}, "t")


def test_hash_expressions_use_only_portable_integer_arithmetic() -> None:
    for text in (hash_int("r.id", 3), uniform("r.id", 3), choice("r.id", 3, 7)):
        tree = sqlglot.parse_one(f"SELECT {text} AS v", read="databricks")
        assert not list(tree.find_all(exp.Func)), text  # no engine-specific hash or rand()
    assert hash_int("r.id", 1) != hash_int("r.id", 2)
