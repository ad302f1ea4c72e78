"""Batch writes on DuckDB (issue 19): a VALUES list of repeated parameter rows is translated with two rows and
the translated row repeated, so a write-back of 2,000 rules costs one small translation — and means exactly
what the whole statement translated means. Nested transactions join the outer one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.sql.translate import cache_info, translate

pytestmark = pytest.mark.integration
ROW = "(CAST(? AS STRING), CAST(? AS TIMESTAMP), CAST(? AS DECIMAL(10, 2)))"


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    with DuckDBEngine.memory("main") as opened:  # a reserved name: the catalog alias must survive the shortcut
        opened.execute("CREATE SCHEMA gold")
        opened.execute("CREATE TABLE main.gold.t (k STRING, at TIMESTAMP, amount DECIMAL(10, 2))")
        opened.execute("INSERT INTO main.gold.t VALUES ('a', NULL, 0), ('b', NULL, 0), ('c', NULL, 0), ('d', NULL, 0)")
        yield opened


def merge(rows: int) -> str:
    return (f"MERGE INTO main.gold.t AS t USING (SELECT * FROM (VALUES {', '.join([ROW] * rows)}) AS v(k, at, amount))"
            " AS s ON t.k = s.k WHEN MATCHED THEN UPDATE SET at = s.at, amount = s.amount")  # fmt: skip


def test_repeated_rows_translate_as_the_whole_statement_does(engine: DuckDBEngine) -> None:
    for rows in (3, 40):
        shortcut = engine._translate(merge(rows))
        _, misses, _ = cache_info()
        whole = translate(merge(rows), engine.catalog_aliases)
        assert cache_info()[1] == misses + 1  # the engine never translated the whole text: it took the shortcut
        assert (shortcut.sql, shortcut.placeholders) == (whole.sql, whole.placeholders) == (whole.sql, 3 * rows)


def test_a_batch_merge_writes_every_row(engine: DuckDBEngine) -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    engine.execute(merge(3), ["a", now, "1.50", "c", None, "2.25", "d", now, "-3"])
    rows = engine.execute("SELECT k, at, CAST(amount AS STRING) FROM main.gold.t ORDER BY k").rows
    assert rows == (("a", now, "1.50"), ("b", None, "0.00"), ("c", None, "2.25"), ("d", now, "-3.00"))


def test_an_inner_transaction_joins_the_outer_one(engine: DuckDBEngine) -> None:
    with pytest.raises(RuntimeError), engine.transaction():
        engine.execute_many("UPDATE main.gold.t SET amount = ? WHERE k = ?", [[7, "a"]])  # its own block, nested
        with engine.transaction():
            engine.execute("UPDATE main.gold.t SET amount = 8 WHERE k = 'b'")
        raise RuntimeError("the outer block fails")
    assert engine.execute("SELECT CAST(SUM(amount) AS INT) FROM main.gold.t").rows == ((0,),)
    with engine.transaction():
        engine.execute_many("UPDATE main.gold.t SET amount = ? WHERE k = ?", [[7, "a"]])
    assert engine.execute("SELECT CAST(SUM(amount) AS INT) FROM main.gold.t").rows == ((7,),)
