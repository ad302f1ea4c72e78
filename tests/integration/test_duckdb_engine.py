"""The DuckDB engine on real files: catalogs, parameters, types, errors, transactions, the file lock, and
every Databricks function the fix list in ``lakealerts.sql.translate`` covers (run, not just translated).
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lakealerts.engines.base import Column, Engine
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.errors import EngineError, SetupError, StoreLockedError

pytestmark = pytest.mark.integration

DDL = (
    "CREATE TABLE IF NOT EXISTS {catalog}.gold.events ("
    " id BIGINT NOT NULL, name STRING, tags ARRAY<STRING>, labels MAP<STRING, STRING>,"
    " happened_at TIMESTAMP, amount DOUBLE) USING DELTA"
)
INSERT = "INSERT INTO {catalog}.gold.events VALUES (?, ?, ?, ?, ?, ?)"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "home" / "lakealerts.duckdb"


@pytest.fixture
def engine(store: Path) -> Iterator[DuckDBEngine]:
    with DuckDBEngine.open(store, "main") as opened:
        opened.execute("CREATE SCHEMA IF NOT EXISTS main.gold")
        opened.execute(DDL.format(catalog="main"))
        yield opened


def test_engine_satisfies_the_port(engine: DuckDBEngine) -> None:
    port: Engine = engine
    assert port.name == "duckdb"


# --- catalogs, parameters, types -------------------------------------------------------------------------


@pytest.mark.parametrize("catalog", ["main", "MAIN", "monitoring"])
def test_create_insert_and_read_back_in_a_file(store: Path, catalog: str) -> None:
    happened = datetime(2024, 5, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    with DuckDBEngine.open(store, catalog) as engine:
        engine.execute(f"CREATE SCHEMA IF NOT EXISTS {catalog}.gold")
        engine.execute(DDL.format(catalog=f"`{catalog}`"))
        engine.execute(INSERT.format(catalog=catalog), [1, "a", ["x", "y"], {"k": "v"}, happened, 1.5])
    assert store.exists()

    # Reopen: the rows were written to the file, and the lock was released by close().
    with DuckDBEngine.open(store, catalog) as engine:
        result = engine.execute(f"SELECT * FROM {catalog}.gold.events WHERE id = ?", [1])

    assert result.as_dicts() == [
        {
            "id": 1,
            "name": "a",
            "tags": ["x", "y"],
            "labels": {"k": "v"},
            "happened_at": happened,
            "amount": 1.5,
        }
    ]
    assert [c.type for c in result.columns] == [
        "BIGINT",
        "VARCHAR",
        "VARCHAR[]",
        "MAP(VARCHAR, VARCHAR)",
        "TIMESTAMP WITH TIME ZONE",
        "DOUBLE",
    ]


def test_timestamps_come_back_aware_in_utc(engine: DuckDBEngine) -> None:
    local = datetime(2024, 1, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    naive = datetime(2024, 1, 2, 1, 0)  # read as UTC: the session time zone
    engine.execute_many(INSERT.format(catalog="main"), [[1, "aware", None, None, local, None]])
    engine.execute(INSERT.format(catalog="main"), [2, "naive", None, None, naive, None])

    rows = engine.execute("SELECT id, happened_at FROM main.gold.events ORDER BY id").rows
    (first, second) = (rows[0][1], rows[1][1])
    assert first == datetime(2024, 1, 2, 4, 30, tzinfo=UTC)
    assert first.utcoffset() == timedelta(0) and (first.hour, first.day) == (4, 2)
    assert second == datetime(2024, 1, 2, 1, 0, tzinfo=UTC)
    same_day = engine.execute(
        "SELECT count(*) AS n FROM main.gold.events WHERE to_date(happened_at) = DATE '2024-01-02'"
    )
    assert same_day.rows == ((2,),)


def test_arrays_and_maps_can_also_be_written_as_json_strings(engine: DuckDBEngine) -> None:
    # The warehouse has no ARRAY/MAP parameters, so shared store code sends JSON text through from_json.
    engine.execute(
        "INSERT INTO main.gold.events (id, tags, labels) "
        "VALUES (?, from_json(?, 'ARRAY<STRING>'), from_json(?, 'MAP<STRING, STRING>'))",
        [7, json.dumps(["p", "q"]), json.dumps({"team": "core"})],
    )
    row = engine.execute("SELECT tags, labels, size(tags) AS n FROM main.gold.events").as_dicts()[0]
    assert row == {"tags": ["p", "q"], "labels": {"team": "core"}, "n": 2}


def test_two_part_names_resolve_in_the_attached_catalog(engine: DuckDBEngine) -> None:
    engine.execute(INSERT.format(catalog="main"), [1, "a", None, None, None, None])
    assert engine.execute("SELECT count(*) FROM gold.events").rows == ((1,),)


@pytest.mark.parametrize("catalog", ["main", "memory", "system", "temp", "monitoring"])
def test_memory_engine_for_tests(catalog: str) -> None:
    with DuckDBEngine.memory(catalog) as engine:
        engine.execute(f"CREATE SCHEMA {catalog}.s")
        engine.execute(f"CREATE TABLE {catalog}.s.t AS SELECT 1 AS a")
        assert engine.execute(f"SELECT a FROM {catalog}.s.t").rows == ((1,),)
        assert engine.path is None


def test_path_with_a_quote_and_spaces(tmp_path: Path) -> None:
    odd = tmp_path / "it's a dir" / "o'neil.duckdb"
    with DuckDBEngine.open(odd, "monitoring") as engine:
        engine.execute("CREATE SCHEMA monitoring.gold")
    assert odd.exists()


def test_read_only_engine_refuses_writes(store: Path, engine: DuckDBEngine) -> None:
    engine.close()
    with DuckDBEngine.open(store, "main", read_only=True) as reader:
        assert reader.table_columns("main", "gold", "events") is not None
        with pytest.raises(EngineError, match="read-only"):
            reader.execute(INSERT.format(catalog="main"), [1, "a", None, None, None, None])


def test_closed_engine_raises_engine_error(engine: DuckDBEngine) -> None:
    engine.close()
    engine.close()  # harmless
    with pytest.raises(EngineError, match="closed"):
        engine.execute("SELECT 1")


# --- errors, explain, describe, table_columns ------------------------------------------------------------


def test_explain_returns_a_plan(engine: DuckDBEngine) -> None:
    engine.execute(INSERT.format(catalog="main"), [1, "a", None, None, None, 2.0])
    plan = engine.explain("SELECT name, count(*) FROM main.gold.events WHERE amount > 1 GROUP BY name")
    assert "Group By" in plan
    # `?` placeholders are bound to NULL for EXPLAIN, which DuckDB would otherwise refuse.
    assert engine.explain("SELECT name FROM main.gold.events WHERE amount > ?").strip()


def test_explain_missing_table_keeps_duckdbs_message(engine: DuckDBEngine) -> None:
    with pytest.raises(EngineError) as info:
        engine.explain("SELECT * FROM main.gold.nope")
    message = str(info.value)
    assert message.startswith("CatalogException: Catalog Error: Table with name nope does not exist")
    assert "lakealerts_main" not in message  # the user's catalog name, not the internal alias


def test_explain_missing_column_keeps_duckdbs_message(engine: DuckDBEngine) -> None:
    with pytest.raises(EngineError, match=r'BinderException: .*"nope" not found'):
        engine.explain("SELECT nope FROM main.gold.events")


def test_execute_wraps_runtime_errors(engine: DuckDBEngine) -> None:
    with pytest.raises(EngineError, match="ConversionException"):
        engine.execute("SELECT CAST('x' AS INT)")


def test_describe_returns_names_and_types_without_running(engine: DuckDBEngine) -> None:
    columns = engine.describe(
        "SELECT name, count(*) AS n, max(happened_at) AS last_at, collect_set(name) AS names "
        "FROM main.gold.events WHERE id > ? GROUP BY name"
    )
    assert columns == (
        Column("name", "VARCHAR"),
        Column("n", "BIGINT"),
        Column("last_at", "TIMESTAMP WITH TIME ZONE"),
        Column("names", "VARCHAR[]"),
    )
    # DESCRIBE only binds: a query that would fail at run time describes fine.
    assert engine.describe("SELECT CAST('x' AS INT) AS boom") == (Column("boom", "INTEGER"),)


def test_describe_missing_table_raises(engine: DuckDBEngine) -> None:
    with pytest.raises(EngineError, match="Table with name nope does not exist"):
        engine.describe("SELECT * FROM main.gold.nope")


def test_table_columns(engine: DuckDBEngine) -> None:
    columns = engine.table_columns("MAIN", "Gold", "events")
    assert columns is not None
    assert [c.name for c in columns] == ["id", "name", "tags", "labels", "happened_at", "amount"]
    assert columns[2] == Column("tags", "VARCHAR[]")
    assert engine.table_columns("main", "gold", "nope") is None
    assert engine.table_columns("main", "nope", "events") is None


# --- execute_many ----------------------------------------------------------------------------------------


def test_execute_many_inserts_every_row(engine: DuckDBEngine) -> None:
    rows = [[i, f"n{i}", [f"t{i}"], {"i": str(i)}, datetime(2024, 1, 1, tzinfo=UTC), i * 1.0] for i in range(5)]
    engine.execute_many(INSERT.format(catalog="main"), rows)
    assert engine.execute("SELECT count(*) FROM main.gold.events").rows == ((5,),)


def test_execute_many_is_all_or_nothing(engine: DuckDBEngine) -> None:
    rows: list[list[Any]] = [[1, "ok", None, None, None, None], [2, "ok", None, None, None, None]]
    rows.append([None, "id is NOT NULL", None, None, None, None])
    with pytest.raises(EngineError, match="NOT NULL"):
        engine.execute_many(INSERT.format(catalog="main"), rows)
    assert engine.execute("SELECT count(*) FROM main.gold.events").rows == ((0,),)
    # The connection is usable afterwards (the transaction was rolled back, not left open).
    engine.execute_many(INSERT.format(catalog="main"), rows[:2])
    assert engine.execute("SELECT count(*) FROM main.gold.events").rows == ((2,),)


def test_execute_many_with_no_rows_does_nothing(engine: DuckDBEngine) -> None:
    engine.execute_many(INSERT.format(catalog="main"), [])
    assert engine.execute("SELECT count(*) FROM main.gold.events").rows == ((0,),)


# --- the file lock ---------------------------------------------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from lakealerts.engines.duckdb import DuckDBEngine

    engine = DuckDBEngine.open(Path(sys.argv[1]), "main")
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
    engine.close()
    """
)


@pytest.fixture
def hold_lock(store: Path) -> Iterator[Callable[[float], None]]:
    """Start a child process that opens ``store`` and holds it for the given seconds; wait until it does."""
    children: list[subprocess.Popen[str]] = []

    def start(seconds: float) -> None:
        child = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(store), str(seconds)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        children.append(child)
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == "holding", child.stderr.read() if child.stderr else line

    yield start
    for child in children:
        child.wait(timeout=30)
        assert child.returncode == 0


def test_open_waits_for_a_lock_held_by_another_process(
    store: Path, hold_lock: Callable[[float], None], caplog: pytest.LogCaptureFixture
) -> None:
    hold_lock(1.5)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="lakealerts.engines.duckdb"):
        engine = DuckDBEngine.open(store, "main", lock_timeout=10.0)
    waited = time.monotonic() - started
    with engine:
        assert engine.execute("SELECT 1 AS one").rows == ((1,),)
    assert 1.0 <= waited < 8.0
    waiting = [r for r in caplog.records if "waiting for lock on" in r.getMessage()]
    assert len(waiting) == 1 and str(store) in waiting[0].getMessage()


def test_open_gives_up_after_the_lock_timeout(store: Path, hold_lock: Callable[[float], None]) -> None:
    hold_lock(4.0)
    started = time.monotonic()
    with pytest.raises(StoreLockedError) as info:
        DuckDBEngine.open(store, "main", lock_timeout=0.5)
    waited = time.monotonic() - started
    assert 0.5 <= waited < 3.0
    assert str(store) in info.value.message
    assert info.value.hint is not None and "lakealerts serve" in info.value.hint


def test_a_second_engine_in_the_same_process_waits_too(store: Path) -> None:
    first = DuckDBEngine.open(store, "main")
    with pytest.raises(StoreLockedError):
        DuckDBEngine.open(store, "main", lock_timeout=0.2)
    first.close()
    DuckDBEngine.open(store, "main", lock_timeout=0.2).close()


# --- other catalogs: one file each under the catalogs directory ------------------------------------------


@pytest.fixture
def catalogs(tmp_path: Path) -> Path:
    """A home whose store is catalog `monitoring`, with catalogs `system` (reserved by DuckDB) and `prod`."""
    home = tmp_path / "home"
    with DuckDBEngine.open(
        home / "lakealerts.duckdb", "monitoring", catalogs_dir=home / "catalogs", write_catalogs=("system", "prod")
    ) as engine:
        engine.execute("CREATE SCHEMA system.billing")
        engine.execute("CREATE TABLE system.billing.usage (sku_name STRING, usage_quantity DECIMAL(38,18))")
        engine.execute("INSERT INTO system.billing.usage VALUES ('JOBS', 2.5), ('SQL', 1.5)")
        engine.execute("CREATE SCHEMA prod.sales")
        engine.execute("CREATE TABLE prod.sales.orders (order_id BIGINT, sku_name STRING)")
        engine.execute("INSERT INTO prod.sales.orders VALUES (1, 'JOBS'), (2, 'SQL'), (3, 'SQL')")
        engine.execute("CREATE SCHEMA monitoring.gold")
        engine.execute("CREATE TABLE monitoring.gold.budget (amount DOUBLE)")
    return home


def open_home(home: Path, *, read_only: bool = True, write: tuple[str, ...] = ()) -> DuckDBEngine:
    return DuckDBEngine.open(
        home / "lakealerts.duckdb",
        "monitoring",
        read_only=read_only,
        catalogs_dir=home / "catalogs",
        write_catalogs=write,
    )


def test_other_catalogs_live_in_their_own_files(catalogs: Path) -> None:
    assert sorted(p.name for p in (catalogs / "catalogs").iterdir()) == ["prod.duckdb", "system.duckdb"]
    with open_home(catalogs) as engine:
        assert engine.catalog_files == {
            "monitoring": catalogs / "lakealerts.duckdb",
            "prod": catalogs / "catalogs" / "prod.duckdb",
            "system": catalogs / "catalogs" / "system.duckdb",
        }


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT o.sku_name, SUM(u.usage_quantity) AS dbus FROM system.billing.usage AS u "
        "JOIN prod.sales.orders AS o ON o.sku_name = u.sku_name GROUP BY o.sku_name ORDER BY o.sku_name",
        "SELECT o.sku_name, SUM(u.usage_quantity) AS dbus FROM `SYSTEM`.billing.usage AS u "
        "JOIN Prod.sales.orders AS o ON o.sku_name = u.sku_name GROUP BY ALL ORDER BY 1",
        "SELECT o.sku_name, SUM(system.billing.usage.usage_quantity) AS dbus FROM system.billing.usage "
        "JOIN prod.sales.orders AS o ON o.sku_name = system.billing.usage.sku_name GROUP BY ALL ORDER BY 1",
    ],
)
def test_rule_sql_reads_other_catalogs_unchanged(catalogs: Path, sql: str) -> None:
    with open_home(catalogs) as engine:
        rows = engine.execute(sql).rows
        assert engine.execute("SELECT COUNT(*) FROM gold.budget").rows == ((0,),)  # two-part: the store's catalog
    assert rows == (("JOBS", Decimal("2.5")), ("SQL", Decimal("3.0")))


@pytest.mark.parametrize("read_only", [True, False])
def test_other_catalogs_are_read_only_unless_the_session_writes_them(catalogs: Path, read_only: bool) -> None:
    with open_home(catalogs, read_only=read_only) as engine:
        for catalog in ("prod", "system"):
            with pytest.raises(EngineError, match="read-only"):
                engine.execute(f"CREATE SCHEMA {catalog}.more")
    with open_home(catalogs, read_only=True, write=("prod",)) as engine, pytest.raises(EngineError, match="read-only"):
        engine.execute("INSERT INTO prod.sales.orders VALUES (4, 'JOBS')")  # a read-only session writes nothing
    with open_home(catalogs, read_only=False, write=("PROD",)) as engine:
        engine.execute("INSERT INTO prod.sales.orders VALUES (4, 'JOBS')")
        engine.execute("CREATE SCHEMA monitoring.silver")  # the store itself is writable as before
        assert engine.execute("SELECT COUNT(*) FROM prod.sales.orders").rows == ((4,),)
        with pytest.raises(EngineError, match="read-only"):
            engine.execute("CREATE SCHEMA system.more")


def test_errors_name_the_users_catalog_not_the_alias(catalogs: Path) -> None:
    with open_home(catalogs) as engine, pytest.raises(EngineError) as caught:
        engine.execute("SELECT * FROM system.billing.nothing")
    assert "system" in caught.value.message and "lakealerts_system" not in caught.value.message


def test_the_engine_stays_sealed_with_other_catalogs(catalogs: Path) -> None:
    loose = catalogs / "catalogs" / "loose.csv"
    loose.write_text("a\n1\n")
    with open_home(catalogs) as engine:
        for sql in (
            f"SELECT * FROM read_csv('{loose}')",
            f"ATTACH '{catalogs / 'catalogs' / 'new.duckdb'}' AS new",
            "SET enable_external_access = true",
        ):
            with pytest.raises(EngineError):
                engine.execute(sql)


def test_files_that_are_not_catalogs_are_left_alone(catalogs: Path) -> None:
    directory = catalogs / "catalogs"
    (directory / "not a catalog.duckdb").write_text("ignored: not a catalog name")
    (directory / "notes.txt").write_text("ignored: not a .duckdb file")
    with open_home(catalogs) as engine:
        assert set(engine.catalog_files) == {"monitoring", "prod", "system"}
        assert engine.execute("SELECT COUNT(*) FROM monitoring.gold.budget").rows == ((0,),)


def test_a_catalog_file_named_like_the_store_is_an_error_naming_it(catalogs: Path) -> None:
    """Rules reading ``monitoring.x.y`` would read the store and never this file: refused, not shadowed."""
    DuckDBEngine.open(catalogs / "other.duckdb", "monitoring").close()
    shadowed = catalogs / "catalogs" / "monitoring.duckdb"
    (catalogs / "other.duckdb").rename(shadowed)
    with pytest.raises(SetupError) as caught:
        open_home(catalogs)
    assert str(shadowed) in caught.value.message and "another catalog name" in (caught.value.hint or "")


def test_a_broken_catalog_file_is_an_error_naming_it(catalogs: Path) -> None:
    broken = catalogs / "catalogs" / "broken.duckdb"
    broken.write_text("this is not a DuckDB database")
    with pytest.raises(SetupError) as caught:
        open_home(catalogs)
    assert str(broken) in caught.value.message and "broken" in (caught.value.hint or "")


def test_a_missing_catalogs_directory_attaches_the_store_alone(tmp_path: Path) -> None:
    with DuckDBEngine.open(tmp_path / "s.duckdb", "system", catalogs_dir=tmp_path / "none") as engine:
        assert engine.catalog_files == {"system": tmp_path / "s.duckdb"}
        engine.execute("CREATE SCHEMA system.billing")
    assert not (tmp_path / "none").exists()


# --- the Databricks functions alert SQL uses, run on DuckDB ----------------------------------------------

TODAY = "today"  # marker: the expected value is the current UTC date, give or take a midnight
NUMBERS = "FROM (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) AS t(x)"
WORDS = "FROM (VALUES ('a'), ('b'), ('a'), (NULL)) AS t(s)"


def _utc_today() -> date:
    return datetime.now(UTC).date()


def _is_today(value: Any, days: int = 0) -> bool:
    return type(value) is date and abs((value - (_utc_today() + timedelta(days=days))).days) <= 1


def _is_now(value: Any) -> bool:
    return (
        isinstance(value, datetime)
        and value.utcoffset() == timedelta(0)
        and abs((value - datetime.now(UTC)).total_seconds()) < 120
    )


FUNCTIONS: list[tuple[str, str, list[Any], Callable[[Any], bool]]] = [
    ("current_date", "SELECT CURRENT_DATE() AS v", [], _is_today),
    ("date_sub_current", "SELECT date_sub(CURRENT_DATE(), 7) AS v", [], lambda v: _is_today(v, -7)),
    ("date_sub", "SELECT date_sub(DATE '2024-03-01', 1) AS v", [], lambda v: v == date(2024, 2, 29)),
    ("date_sub_param", "SELECT date_sub(DATE '2024-03-01', ?) AS v", [2], lambda v: v == date(2024, 2, 28)),
    ("date_add", "SELECT date_add(DATE '2024-02-28', 2) AS v", [], lambda v: type(v) is date and v.day == 1),
    (
        "date_add_ts",
        "SELECT date_add(TIMESTAMP '2024-02-28 23:00:00', 1) AS v",
        [],
        lambda v: v == date(2024, 2, 29),
    ),
    ("datediff", "SELECT datediff(DATE '2024-03-01', DATE '2024-02-01') AS v", [], lambda v: v == 29),
    (
        "datediff_ts",
        "SELECT datediff(TIMESTAMP '2024-03-01 01:00:00', TIMESTAMP '2024-02-29 23:00:00') AS v",
        [],
        lambda v: v == 1,
    ),
    ("current_timestamp", "SELECT current_timestamp() AS v", [], _is_now),
    ("now", "SELECT now() AS v", [], _is_now),
    (
        "timestampadd",
        "SELECT TIMESTAMPADD(HOUR, -24, TIMESTAMP '2024-01-02 00:00:00') AS v",
        [],
        lambda v: v == datetime(2024, 1, 1, tzinfo=UTC),
    ),
    (
        "timestampadd_now",
        "SELECT TIMESTAMPADD(HOUR, -24, current_timestamp()) < current_timestamp() AS v",
        [],
        lambda v: v is True,
    ),
    ("percentile", f"SELECT percentile(x, 0.95) AS v {NUMBERS}", [], lambda v: v == pytest.approx(8.55)),
    ("percentile_median", f"SELECT percentile(x, 0.5) AS v {NUMBERS}", [], lambda v: v == pytest.approx(4.5)),
    ("percentile_approx", f"SELECT percentile_approx(x, 0.5) AS v {NUMBERS}", [], lambda v: 4 <= v <= 5),
    ("count_if", f"SELECT count_if(x > 3) AS v {NUMBERS}", [], lambda v: v == 6),
    ("collect_set", f"SELECT collect_set(s) AS v {WORDS}", [], lambda v: sorted(v) == ["a", "b"]),
    ("size_collect_set", f"SELECT size(collect_set(s)) AS v {WORDS}", [], lambda v: v == 2),
    ("size_array", "SELECT size(array(1, 2, 3)) AS v", [], lambda v: v == 3),
    ("nvl", "SELECT nvl(NULL, 1) AS v", [], lambda v: v == 1),
    ("coalesce", "SELECT coalesce(NULL, NULL, 'x') AS v", [], lambda v: v == "x"),
    (
        "to_json_map",
        "SELECT to_json(map('a', 'b', 'c', 'd')) AS v",
        [],
        lambda v: json.loads(v) == {"a": "b", "c": "d"},
    ),
    (
        "from_json_struct",
        """SELECT from_json('{"a": 1, "b": "x", "extra": true}', 'a INT, b STRING') AS v""",
        [],
        lambda v: v == {"a": 1, "b": "x"},
    ),
    (
        "from_json_array",
        """SELECT from_json('["a", "b"]', 'ARRAY<STRING>') AS v""",
        [],
        lambda v: v == ["a", "b"],
    ),
    (
        "from_json_map",
        """SELECT from_json('{"k": "v"}', 'MAP<STRING, STRING>') AS v""",
        [],
        lambda v: v == {"k": "v"},
    ),
    ("from_json_malformed", "SELECT from_json('not json', 'ARRAY<STRING>') AS v", [], lambda v: v is None),
    ("from_json_param", "SELECT from_json(?, 'ARRAY<INT>') AS v", ["[1, 2]"], lambda v: v == [1, 2]),
    (
        "interval_day",
        "SELECT TIMESTAMP '2024-01-02 00:00:00' - INTERVAL 1 DAY AS v",
        [],
        lambda v: v == datetime(2024, 1, 1, tzinfo=UTC),
    ),
    (
        "interval_window",
        "SELECT current_timestamp() - INTERVAL 1 DAY < current_timestamp() - INTERVAL '2' HOURS AS v",
        [],
        lambda v: v is True,
    ),
    (
        "date_trunc_month_ts",
        "SELECT DATE_TRUNC('MONTH', TIMESTAMP '2024-03-07 10:00:00') AS v",
        [],
        lambda v: v == datetime(2024, 3, 1, tzinfo=UTC),
    ),
    ("date_trunc_month_today", "SELECT DATE_TRUNC('MONTH', CURRENT_DATE()) AS v", [], lambda v: v.day == 1),
    ("trunc_mm", "SELECT trunc(DATE '2024-03-07', 'MM') AS v", [], lambda v: v == date(2024, 3, 1)),
    (
        "unix_timestamp_ts",
        "SELECT unix_timestamp(TIMESTAMP '2024-01-01 00:00:00') AS v",
        [],
        lambda v: v == 1704067200,
    ),
    ("unix_timestamp_now", "SELECT unix_timestamp() AS v", [], lambda v: abs(v - time.time()) < 120),
    (
        "hours_since",
        "SELECT (unix_timestamp(current_timestamp()) - unix_timestamp(TIMESTAMP '2024-01-01 00:00:00')) / 3600 AS v",
        [],
        lambda v: v > 10_000,
    ),
    ("dayofweek_sunday", "SELECT dayofweek(DATE '2024-01-07') AS v", [], lambda v: v == 1),
    ("dayofweek_saturday", "SELECT dayofweek(DATE '2024-01-06') AS v", [], lambda v: v == 7),
    ("weekday_monday", "SELECT weekday(DATE '2024-01-01') AS v", [], lambda v: v == 0),
    ("weekday_sunday", "SELECT weekday(DATE '2024-01-07') AS v", [], lambda v: v == 6),
    (
        "timestamp_seconds",
        "SELECT timestamp_seconds(0) AS v",
        [],
        lambda v: v == datetime(1970, 1, 1, tzinfo=UTC),
    ),
    (
        "cast_timestamp",
        "SELECT CAST('2024-01-01 00:00:00' AS TIMESTAMP) AS v",
        [],
        lambda v: v == datetime(2024, 1, 1, tzinfo=UTC) and v.utcoffset() == timedelta(0),
    ),
]


@pytest.mark.parametrize(("sql", "params", "check"), [f[1:] for f in FUNCTIONS], ids=[f[0] for f in FUNCTIONS])
def test_databricks_function_runs_on_duckdb(
    engine: DuckDBEngine, sql: str, params: list[Any], check: Callable[[Any], bool]
) -> None:
    value = engine.execute(sql, params).rows[0][0]
    assert check(value), f"{sql!r} gave {value!r}"
