"""Fixture injection as a sqlglot rewrite (pure): which tables are replaced, typed relations, findings."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lakealerts.sql.clock import pin_clock
from lakealerts.sql.rewrite import (
    Fixture,
    FixtureValueError,
    inject_fixtures,
    injection_findings,
    relation_sql,
    resolve_table,
    wall_clock,
)

pytestmark = pytest.mark.unit
USAGE = Fixture(("monitoring", "gold", "usage"), (("d", "DATE"), ("cost", "DECIMAL(38,18)")), ((date(2026, 1, 2), 5),))


def test_names_resolve_like_rule_sql() -> None:
    assert resolve_table("usage", "Monitoring", "gold") == ("monitoring", "gold", "usage")
    assert resolve_table("silver.usage", "monitoring", "gold") == ("monitoring", "silver", "usage")
    assert resolve_table("system.billing.usage", "monitoring", "gold") == ("system", "billing", "usage")


def test_every_spelling_of_a_fixture_table_is_replaced_and_others_are_not() -> None:
    sql = ("SELECT u.cost, v.cost FROM `monitoring`.`gold`.usage u JOIN gold.usage v ON u.d = v.d "
           "JOIN usage w ON w.d = u.d JOIN other.gold.usage x ON x.d = u.d")  # fmt: skip
    rewritten = inject_fixtures(sql, [USAGE], "monitoring", "gold")
    assert rewritten.count("CAST(c1 AS DECIMAL(38, 18)) AS `cost`") == 3
    assert "other.gold.usage AS x" in rewritten
    assert "FROM VALUES ('2026-01-02', '5') AS fixture(c0, c1)" in rewritten


def test_an_empty_fixture_is_a_typed_empty_relation() -> None:
    empty = Fixture(("c", "s", "t"), (("tags", "MAP<STRING, STRING>"), ("s", "STRUCT<a: BIGINT>")))
    assert relation_sql(empty) == (
        "SELECT CAST(NULL AS MAP<STRING, STRING>) AS `tags`, CAST(NULL AS STRUCT<a: BIGINT>) AS `s` WHERE FALSE"
    )


def test_nested_values_are_built_and_typed() -> None:
    nested = Fixture(("c", "s", "t"), (("s", "STRUCT<a: STRING, b: ARRAY<BIGINT>>"),), (({"a": "x", "b": [1]},),))
    assert "CAST(named_struct('a', CAST('x' AS STRING), 'b', CAST(array(CAST('1' AS BIGINT))" in relation_sql(nested)


@pytest.mark.parametrize(
    ("columns", "value", "message"),
    [
        ((("n", "BIGINT"),), "many", "column n: 'many' is not a number"),
        ((("b", "BOOLEAN"),), "yes", "column b: 'yes' is not true or false"),
        ((("s", "STRUCT<a: STRING>"),), {"z": 1}, "column s: field 'z' is not in STRUCT<a: STRING>"),
    ],
)
def test_a_value_that_does_not_fit_names_its_column(columns: tuple[tuple[str, str], ...], value: object,
                                                    message: str) -> None:  # fmt: skip
    with pytest.raises(FixtureValueError, match=message):
        relation_sql(Fixture(("c", "s", "t"), columns, ((value,),)))


def test_offset_timestamps_are_shown_in_the_session_zone_and_so_is_the_clock() -> None:
    stamps = Fixture(("c", "s", "t"), (("at", "TIMESTAMP"),), ((datetime(2026, 1, 2, 6, tzinfo=UTC),),))
    assert "('2026-01-02 07:00:00')" in relation_sql(stamps, "Europe/Berlin")
    pinned = pin_clock("SELECT CURRENT_DATE()", wall_clock(datetime(2026, 1, 1, 23, 30, tzinfo=UTC), "Europe/Berlin"))
    assert "2026-01-02" in pinned


def test_what_a_fixture_cannot_decide_is_a_finding() -> None:
    sql = "SELECT rand() AS r FROM usage VERSION AS OF 3 JOIN seen ON true JOIN gold.usage u ON true"
    findings = injection_findings(sql, [("monitoring", "gold", "usage")], "monitoring", "gold")
    assert [(f.code, f.message) for f in findings] == [
        ("FIXTURE_TIME_TRAVEL", "monitoring.gold.usage is read with time travel"),
        ("FIXTURE_TABLE_MISSING", "no fixture for monitoring.gold.seen (a view or a table)"),
        ("FIXTURE_NONDETERMINISTIC", "RAND() is nondeterministic"),
    ]
