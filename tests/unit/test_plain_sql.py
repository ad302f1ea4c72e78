"""The store's plain reads translate without sqlglot (:mod:`lakealerts.sql.plain`), to exactly sqlglot's text.

Generated statements of the grammar must give byte for byte what :func:`lakealerts.sql.translate.translate`
gives; everything outside it must give None (sqlglot translates it); and a real DuckDB sorts NULLs first.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.sql.plain import plain_select_to_duckdb
from lakealerts.sql.translate import RESERVED_CATALOGS, cache_info, translate

pytestmark = pytest.mark.unit

MAIN = {"main": "lakealerts_main"}
# Quoted, these are plain names; a careless parser would trip on them.
KEYWORDS = ["select", "FROM", "Where", "in", "ORDER", "by", "nulls", "FIRST", "null", "limit", "table", "_", "main"]


def any_case(word: str) -> st.SearchStrategy[str]:
    """``word`` with each letter upper- or lower-case."""
    flips = st.lists(st.booleans(), min_size=len(word), max_size=len(word))
    return flips.map(lambda upper: "".join(c.upper() if u else c.lower() for c, u in zip(word, upper, strict=True)))


names = st.one_of(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True), st.sampled_from(KEYWORDS))
reserved = st.sampled_from(sorted(RESERVED_CATALOGS)).flatmap(any_case)
catalogs = st.one_of(reserved, names)


def quoted(name: str) -> str:
    return f"`{name}`"


@st.composite
def plain_reads(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    """A statement of the grammar and an alias map (that often names the statement's catalog)."""
    columns = draw(st.lists(names, min_size=1, max_size=5))
    parts = draw(st.lists(st.one_of(names, reserved), min_size=0, max_size=2))
    table = [draw(catalogs), *parts[1:], draw(names)] if len(parts) == 2 else [*parts, draw(names)]
    sql = f"SELECT {', '.join(map(quoted, columns))} FROM {'.'.join(map(quoted, table))}"
    params = draw(st.integers(0, 5))
    if params:
        sql += f" WHERE {quoted(draw(names))} IN ({', '.join('?' * params)})"
    if draw(st.booleans()):
        sql += f" ORDER BY {quoted(draw(names))}"
    aliases = draw(st.dictionaries(catalogs, names, max_size=3))
    if len(table) == 3 and draw(st.booleans()):
        aliases[draw(any_case(table[0]))] = draw(names)  # the statement's own catalog, in any case
    return sql, aliases


@settings(max_examples=400, deadline=None)
@given(read=plain_reads())
def test_a_plain_read_translates_exactly_as_sqlglot_does(read: tuple[str, dict[str, str]]) -> None:
    sql, aliases = read
    fast = plain_select_to_duckdb(sql, aliases)
    slow = translate(sql, aliases)
    assert fast == slow.sql
    assert fast.count("?") == slow.placeholders


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "SELECT `alert_id`, `alert_name` FROM `monitoring`.`gold`.`alert_configurations` ORDER BY `alert_id`",
            'SELECT "alert_id", "alert_name" FROM "monitoring"."gold"."alert_configurations" '
            'ORDER BY "alert_id" NULLS FIRST',
        ),
        (
            "SELECT `alert_id` FROM `MAIN`.`gold`.`alert_configurations` WHERE `alert_id` IN (?, ?) "
            "ORDER BY `alert_id`",
            'SELECT "alert_id" FROM "lakealerts_main"."gold"."alert_configurations" WHERE "alert_id" IN (?, ?) '
            'ORDER BY "alert_id" NULLS FIRST',
        ),
        ("SELECT `a` FROM `main`.`t`", 'SELECT "a" FROM "main"."t"'),  # a schema named main: not a catalog
        ("SELECT `a` FROM `t` WHERE `a` IN (?)", 'SELECT "a" FROM "t" WHERE "a" IN (?)'),
    ],
)
def test_the_store_reads_translate(sql: str, expected: str) -> None:
    assert plain_select_to_duckdb(sql, MAIN) == expected == translate(sql, MAIN).sql


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM `t`",
        "SELECT `a` FROM `t` -- a comment",
        "/* a comment */ SELECT `a` FROM `t`",
        "SELECT lower(`a`) FROM `t`",
        "SELECT `a` FROM `t` WHERE `a` IN ('x')",
        "SELECT `a` FROM `t` WHERE `a` = ?",
        "SELECT `a` FROM `t`;",
        "SELECT `a` FROM `t`; SELECT `b` FROM `t`",
        "SELECT `a` FROM `t`\nORDER BY `a`",
        "SELECT `a` FROM `t`\tORDER BY `a`",
        "SELECT  `a` FROM `t`",
        " SELECT `a` FROM `t`",
        "SELECT `a` FROM `t` ",
        "SELECT `a` FROM `t` WHERE `a` IN (?,?)",
        "select `a` from `t`",
        "SELECT a FROM t",
        "SELECT `a`, b FROM `t`",
        "SELECT `a` FROM `a`.`b`.`c`.`d`",
        "SELECT `a` FROM `t` ORDER BY `a` DESC",
        "SELECT `a` FROM `t` ORDER BY `a` NULLS LAST",
        "SELECT `a` FROM `t` ORDER BY `a`, `b`",
        "SELECT `a` FROM `t` WHERE `a` IN ()",
        "SELECT `a` AS `b` FROM `t`",
        "SELECT `a` FROM `t` LIMIT 1",
        "SELECT `a`, FROM `t`",
        "SELECT `a-b` FROM `t`",
        "SELECT `a``b` FROM `t`",
        "SELECT `1a` FROM `t`",
        "SELECT `` FROM `t`",
        "SELECT `a` FROM `t` ORDER BY `a` WHERE `a` IN (?)",
    ],
)
def test_anything_else_is_left_to_sqlglot(sql: str) -> None:
    assert plain_select_to_duckdb(sql, MAIN) is None


def test_an_alias_sqlglot_would_escape_is_left_to_sqlglot() -> None:
    assert plain_select_to_duckdb("SELECT `a` FROM `main`.`s`.`t`", {"main": 'odd"name'}) is None


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    with DuckDBEngine.memory("main") as opened:  # a reserved name: the alias must be applied on the fast path
        opened.execute("CREATE SCHEMA gold")
        opened.execute("CREATE TABLE main.gold.t (k STRING, v INT)")
        opened.execute("INSERT INTO main.gold.t VALUES ('b', 2), (NULL, 0), ('a', 1), ('c', 3)")
        yield opened


def test_duckdb_sorts_nulls_first_on_the_fast_path(engine: DuckDBEngine) -> None:
    sql = "SELECT `k`, `v` FROM `Main`.`gold`.`t` ORDER BY `k`"
    hits, misses, _ = cache_info()
    rows = engine.execute(sql).rows
    assert cache_info()[:2] == (hits, misses)  # sqlglot's translation never ran
    assert rows == ((None, 0), ("a", 1), ("b", 2), ("c", 3))  # as on Databricks: NULLs first ascending
    assert engine.duckdb_sql(sql) == plain_select_to_duckdb(sql, engine.catalog_aliases)


def test_the_fast_path_binds_its_placeholders(engine: DuckDBEngine) -> None:
    sql = "SELECT `v` FROM `main`.`gold`.`t` WHERE `k` IN (?, ?, ?) ORDER BY `v`"
    assert engine._translate(sql).placeholders == 3
    assert engine.execute(sql, ["c", "a", "zz"]).rows == ((1,), (3,))
    assert engine.describe(sql)[0].name == "v"  # DESCRIBE binds every placeholder to NULL
