"""Databricks -> DuckDB translation: catalog aliases, one statement per call, placeholders, the fix list.

Whether the translated SQL runs (and means what Databricks means) is tested on a real DuckDB in
``tests/integration/test_duckdb_engine.py``; these tests pin the pure text transformation.
"""

from __future__ import annotations

import pytest

from lakealerts.errors import EngineError
from lakealerts.sql.decimals import ColumnTypes, DecimalType, avg_type, literal_type, result_type, sum_type
from lakealerts.sql.translate import (
    RESERVED_CATALOGS,
    catalog_aliases,
    duckdb_catalog_name,
    to_duckdb,
    translate,
    typed_tables,
)

pytestmark = pytest.mark.unit

MAIN = {"main": "lakealerts_main"}


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT a FROM main.gold.t",
        "SELECT a FROM MAIN.gold.t",
        "SELECT a FROM `main`.gold.t",
        "SELECT a FROM `Main`.`gold`.`t`",
    ],
)
def test_reserved_catalog_is_rewritten_to_its_alias(sql: str) -> None:
    out = to_duckdb(sql, MAIN)
    assert '"lakealerts_main"' in out
    assert "main." not in out.lower().replace("lakealerts_main", "")


def test_alias_rewrite_reaches_joins_subqueries_ddl_and_four_part_columns() -> None:
    sql = (
        "SELECT main.gold.t.a FROM main.gold.t "
        "JOIN (SELECT * FROM `MAIN`.gold.u) AS u ON t.a = u.a "
        "WHERE EXISTS (SELECT 1 FROM main.gold.v)"
    )
    out = to_duckdb(sql, MAIN)
    assert out.count('"lakealerts_main"') == 4
    assert to_duckdb("CREATE SCHEMA IF NOT EXISTS main.gold", MAIN) == (
        'CREATE SCHEMA IF NOT EXISTS "lakealerts_main".gold'
    )
    assert '"lakealerts_main".gold.t' in to_duckdb("INSERT INTO main.gold.t (a) VALUES (?)", MAIN)


def test_other_catalogs_and_schemas_named_main_are_untouched() -> None:
    out = to_duckdb("SELECT * FROM monitoring.gold.t JOIN main.t ON 1 = 1 JOIN gold.main ON 1 = 1", MAIN)
    assert "lakealerts_main" not in out
    assert "monitoring.gold.t" in out
    assert to_duckdb("SELECT * FROM main.gold.t", {}) == "SELECT * FROM main.gold.t"


def test_alias_map_keys_match_case_insensitively() -> None:
    assert "lakealerts_main" in to_duckdb("SELECT * FROM main.gold.t", {"MAIN": "lakealerts_main"})


@pytest.mark.parametrize("catalog", ["main", "MAIN", "system", "temp", "memory"])
def test_reserved_names_get_an_alias(catalog: str) -> None:
    assert catalog.lower() in RESERVED_CATALOGS
    assert duckdb_catalog_name(catalog) == f"lakealerts_{catalog.lower()}"
    assert catalog_aliases(catalog) == {catalog.lower(): f"lakealerts_{catalog.lower()}"}


def test_ordinary_catalog_is_attached_under_its_own_name() -> None:
    assert duckdb_catalog_name("monitoring") == "monitoring"
    assert catalog_aliases("monitoring") == {}


def test_two_statements_are_refused() -> None:
    with pytest.raises(EngineError, match="one SQL statement, got 2"):
        to_duckdb("SELECT 1; SELECT 2", {})


def test_a_trailing_semicolon_is_one_statement() -> None:
    assert to_duckdb("SELECT 1;", {}) == "SELECT 1"


@pytest.mark.parametrize("sql", ["", "   ", ";"])
def test_empty_sql_is_refused(sql: str) -> None:
    with pytest.raises(EngineError, match="empty"):
        to_duckdb(sql, {})


def test_unparseable_sql_raises_engine_error() -> None:
    with pytest.raises(EngineError, match="cannot parse"):
        to_duckdb("SELECT FROM WHERE (", {})


def test_placeholders_survive_and_are_counted() -> None:
    result = translate("SELECT * FROM main.gold.t WHERE a = ? AND b IN (?, ?) AND c > date_sub(?, 1)", MAIN)
    assert result.sql.count("?") == 4
    assert result.placeholders == 4
    assert translate("SELECT 1", {}).placeholders == 0


def test_translations_are_cached() -> None:
    first = translate("SELECT count_if(x > 1) FROM main.gold.t", MAIN)
    assert translate("SELECT count_if(x > 1) FROM main.gold.t", dict(MAIN)) is first
    assert translate("SELECT count_if(x > 1) FROM main.gold.t", {}) is not first


@pytest.mark.parametrize(
    ("databricks", "duckdb_fragment"),
    [
        ("SELECT percentile(x, 0.95) FROM t", "QUANTILE_CONT(x, 0.95)"),
        ("SELECT date_sub(d, 7) FROM t", "CAST(d AS DATE) + CAST(7 * -1 AS INT)"),
        ("SELECT date_add(d, 7) FROM t", "CAST(d AS DATE) + CAST(7 AS INT)"),
        ("SELECT trunc(d, 'MM') FROM t", "CAST(DATE_TRUNC('MONTH', d) AS DATE)"),
        ("SELECT unix_timestamp(ts) FROM t", "EPOCH(CAST(ts AS TIMESTAMPTZ))"),
        ("SELECT from_json(s, 'ARRAY<STRING>') FROM t", "TRY(FROM_JSON(CAST(s AS TEXT), '\"TEXT[]\"'))"),
        ("SELECT dayofweek(d) FROM t", "DAYOFWEEK(CAST(d AS DATE)) + 1"),
        ("SELECT weekday(d) FROM t", "ISODOW(d) - 1"),
        ("SELECT timestamp_seconds(n) FROM t", "TO_TIMESTAMP(n)"),
        ("SELECT timestampdiff(HOUR, a, b) FROM t", "DATE_SUB('HOUR', a, b)"),
        ("SELECT timestampdiff(day, a, b) FROM t", "DATE_SUB('DAY', a, b)"),
        ("SELECT datediff(MINUTE, a, b) FROM t", "DATE_SUB('MINUTE', a, b)"),
        ("SELECT map_contains_key(m, 'team') FROM t", "MAP_CONTAINS(m, 'team')"),
    ],
)
def test_fix_list(databricks: str, duckdb_fragment: str) -> None:
    assert duckdb_fragment in to_duckdb(databricks, {})


def test_nested_fixes_are_all_applied() -> None:
    out = to_duckdb("SELECT dayofweek(date_add(trunc(d, 'MM'), 1)) FROM t", {})
    assert "DAYOFWEEK(" in out and "DATE_TRUNC('MONTH'" in out and "CAST(1 AS INT)" in out


def test_unix_timestamp_with_explicit_format_keeps_strptime() -> None:
    assert "STRPTIME(s, '%Y-%m-%d')" in to_duckdb("SELECT unix_timestamp(s, 'yyyy-MM-dd') FROM t", {})


def test_from_json_with_unknown_schema_is_left_alone() -> None:
    assert "FROM_JSON(s, 'not a schema at all')" in to_duckdb("SELECT from_json(s, 'not a schema at all') FROM t", {})


def test_delta_table_properties_and_comments_are_dropped_quietly(caplog: pytest.LogCaptureFixture) -> None:
    out = to_duckdb(
        "CREATE TABLE IF NOT EXISTS main.gold.t (a STRING COMMENT 'the a', ts TIMESTAMP) USING DELTA "
        "PARTITIONED BY (a) COMMENT 'a table' TBLPROPERTIES ('delta.appendOnly' = 'true')",
        MAIN,
    )
    assert out == 'CREATE TABLE IF NOT EXISTS "lakealerts_main".gold.t (a TEXT, ts TIMESTAMPTZ)'
    assert "Unsupported" not in caplog.text


def test_two_argument_datediff_keeps_day_boundaries() -> None:
    # datediff(end, start) counts calendar days on Databricks, which DATE_DIFF('DAY', ..) also does.
    assert "DATE_DIFF('DAY', a, b)" in to_duckdb("SELECT datediff(b, a) FROM t", {})


# --- Databricks' decimal types (DESIGN §10.3; values on a real DuckDB: tests/integration/test_decimals.py) --------

_COLUMNS = (("q", "DECIMAL(38,18)"), ("p", "DECIMAL(38,18)"), ("n", "INTEGER"))
_USAGE = ColumnTypes("lakealerts_system", "main", ((("lakealerts_system", "billing", "usage"), _COLUMNS),))


@pytest.mark.parametrize(
    ("operator", "left", "right", "expected"),
    [  # Spark's decimalArithmeticOperations.sql.out and the formulas of DESIGN §10.3
        ("+", (38, 18), (38, 18), (38, 17)),
        ("*", (38, 18), (38, 18), (38, 6)),
        ("/", (38, 18), (38, 18), (38, 6)),
        ("*", (38, 18), (2, 0), (38, 15)),
        ("/", (38, 18), (2, 0), (38, 18)),
        ("*", (3, 1), (3, 1), (7, 2)),
        ("*", (20, 18), (19, 18), (38, 34)),
        ("/", (26, 12), (15, 15), (38, 9)),
        ("+", (10, 2), (10, 0), (13, 2)),
    ],
)
def test_result_types_follow_spark(
    operator: str, left: tuple[int, int], right: tuple[int, int], expected: tuple[int, int]
) -> None:
    assert result_type(operator, DecimalType(*left), DecimalType(*right)) == DecimalType(*expected)


def test_sum_and_avg_types_and_literals() -> None:
    assert sum_type(DecimalType(38, 18)) == DecimalType(38, 18) and sum_type(DecimalType(10, 2)) == DecimalType(20, 2)
    assert avg_type(DecimalType(38, 18)) == DecimalType(38, 22) and avg_type(DecimalType(10, 2)) == DecimalType(14, 6)
    assert [literal_type(t) for t in ("2", "0.001", "1.50", "100.0", "1e3")] == [
        DecimalType(1, 0), DecimalType(3, 3), DecimalType(3, 2), DecimalType(4, 1), None,
    ]  # fmt: skip


def test_types_are_only_asked_for_arithmetic_and_change_the_translation() -> None:
    sql = "SELECT SUM(u.q * u.p) AS cost, SUM(u.n) AS n FROM system.billing.usage AS u"
    aliases = {"system": "lakealerts_system"}
    assert typed_tables("SELECT q FROM system.billing.usage", aliases) is None
    assert typed_tables(sql, aliases) == (("lakealerts_system", "billing", "usage"),)
    untyped, typed = translate(sql, aliases), translate(sql, aliases, _USAGE)
    assert untyped.decimal_operations == () and "DECIMAL(38, 6)" not in untyped.sql
    assert typed.decimal_operations == (("u.q * u.p", "DECIMAL(38,6)"), ("SUM(u.q * u.p)", "DECIMAL(38,6)"))
    assert "SUM(u.n)" in typed.sql  # an INTEGER sum is DuckDB's own


def test_a_bare_decimal_is_decimal_10_0_and_ddl_is_flagged() -> None:
    assert to_duckdb("SELECT CAST(x AS DECIMAL) FROM t", {}) == "SELECT CAST(x AS DECIMAL(10, 0)) FROM t"
    assert translate("CREATE TABLE t (a INT)", {}).changes_tables
    assert not translate("SELECT 1", {}).changes_tables


@pytest.mark.parametrize(
    "sql",
    [  # sqlglot would type these as one branch; Spark takes the wider type: rather than guess, DuckDB's own
        "SELECT SUM(x * 2) AS v FROM (SELECT q AS x FROM system.billing.usage UNION ALL "
        "SELECT CAST(n AS DECIMAL(10,2)) AS x FROM system.billing.usage)",
        "SELECT SUM(ROUND(q, 2) * 2) AS v FROM system.billing.usage",  # Spark's ROUND has its own type rule
    ],
)
def test_decimal_types_sqlglot_would_guess_are_left_to_duckdb(sql: str) -> None:
    assert translate(sql, {"system": "lakealerts_system"}, _USAGE).decimal_operations == ()


def test_a_choice_of_branches_takes_sparks_wider_type() -> None:
    sql = (
        "SELECT SUM(COALESCE(u.q, 0) * u.p) AS cost, SUM(CASE WHEN u.n > 0 THEN CAST(u.n AS DECIMAL(10,2)) END) AS s "
        "FROM system.billing.usage AS u"
    )
    ops = translate(sql, {"system": "lakealerts_system"}, _USAGE).decimal_operations
    assert sorted(ops) == [
        ("COALESCE(u.q, 0) * u.p", "DECIMAL(38,6)"),  # COALESCE(DECIMAL(38,18), INT) is DECIMAL(38,18)
        ("SUM(CASE WHEN u.n > 0 THEN CAST(u.n AS DECIMAL(10, 2)) END)", "DECIMAL(20,2)"),
        ("SUM(COALESCE(u.q, 0) * u.p)", "DECIMAL(38,6)"),
    ]
