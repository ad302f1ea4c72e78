"""The Spark engine through a stand-in session that runs ``spark.sql`` on DuckDB (issue 9, "Done when").

Everything the engine sends must parse as Databricks SQL; tables are created as Delta tables with the named
primary keys of the seed (key columns NOT NULL) and change data feed; the store, the seed and the jobs work
through it unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlglot

from lakealerts.bundle import jobs
from lakealerts.catalog import load_rules
from lakealerts.catalog.seeding import seed_catalog
from lakealerts.demo.generator import generate
from lakealerts.demo.model import MIN_ROWS, DemoPlan
from lakealerts.engines.databricks_sql import CHANGE_DATA_FEED
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.engines.spark import SparkEngine
from lakealerts.errors import EngineError
from lakealerts.sql.identifiers import Namespace
from lakealerts.store.store import Store
from lakealerts.store.tables import ALL_TABLES
from lakealerts.store.validation_results import record_validation
from lakealerts.validate import validate_rules
from tests.spark_standin import DuckSparkSession

pytestmark = pytest.mark.integration
NAMESPACE = Namespace("monitoring", "gold")
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


@pytest.fixture
def session() -> Iterator[DuckSparkSession]:
    with DuckDBEngine.memory(NAMESPACE.catalog) as duckdb:
        yield DuckSparkSession(duckdb)


@pytest.fixture
def spark(session: DuckSparkSession) -> SparkEngine:
    return SparkEngine(session)


@pytest.fixture
def store(spark: SparkEngine) -> Store:
    store = Store(spark, NAMESPACE, "tester")
    store.init()
    return store


def test_tables_are_delta_with_named_primary_keys_and_change_data_feed(store: Store, session: DuckSparkSession) -> None:
    assert set(session.tables) == {table.name for table in ALL_TABLES}
    for table in ALL_TABLES:
        created = session.tables[table.name]
        assert created.using == "DELTA", table.name
        assert created.properties[CHANGE_DATA_FEED] == "true", table.name
        if table.primary_key:
            assert created.constraints == {f"pk_{table.name}": table.primary_key}
            assert set(table.primary_key) <= created.not_null  # Unity Catalog wants key columns NOT NULL
        else:
            assert created.constraints == {}


def test_every_statement_parses_as_databricks_sql(store: Store, session: DuckSparkSession) -> None:
    seed_catalog(store, NOW)
    store.load_rules()
    for statement in session.statements:
        sqlglot.parse_one(statement, read="databricks")  # raises on anything Databricks would not parse
    assert any(statement.startswith("MERGE INTO") for statement in session.statements)


def test_init_twice_creates_nothing_the_second_time(store: Store, session: DuckSparkSession) -> None:
    before = len(session.tables)
    report = store.init()
    assert (report.created_tables, report.added_columns, len(session.tables)) == ([], [], before)


def test_seed_round_trips_arrays_maps_and_timestamps(store: Store) -> None:
    report = seed_catalog(store, NOW)
    assert len(report.inserted) == 29
    stored = store.load_rules()
    assert [s.rule for s in stored] == sorted(load_rules(), key=lambda rule: rule.alert_id)
    assert stored[0].audit.created_at == NOW  # a naive local datetime from Spark, read back as UTC
    assert stored[0].rule.notification_channels and stored[0].rule.tags


def test_many_rows_are_one_statement(store: Store, session: DuckSparkSession) -> None:
    """execute_many promises all rows or none; one statement is atomic on Delta."""
    seed_catalog(store, NOW)
    merges = [s for s in session.statements if s.startswith("MERGE INTO") and "alert_configurations" in s]
    assert len(merges) == 1
    rules = [s.rule for s in store.load_rules()]
    report = validate_rules(rules, [d.destination for d in store.load_destinations()], NAMESPACE)
    before = len(session.statements)
    assert record_validation(store, "run-1", report, NOW) == 29
    assert len(session.statements) == before + 1


def test_explain_and_describe_on_a_query(spark: SparkEngine, session: DuckSparkSession) -> None:
    generate(session.engine, NAMESPACE, DemoPlan(MIN_ROWS, date(2026, 3, 10)))
    query = f"SELECT usage_date, SUM(list_cost) AS cost FROM {NAMESPACE.table('billing_usage')} GROUP BY usage_date;"
    assert spark.explain(query)
    assert [(c.name, c.type) for c in spark.describe(query)] == [("usage_date", "DATE"), ("cost", "DOUBLE")]
    assert spark.execute(query).rows  # the probe did not change the query itself


def test_a_query_that_does_not_analyse_fails_explain_with_sparks_message(spark: SparkEngine) -> None:
    """Spark answers EXPLAIN of a broken query with rows of error text; the engine makes that a failure."""
    with pytest.raises(EngineError, match=r"(?s)Error occurred during query planning.*missing_table"):
        spark.explain(f"SELECT 1 AS x FROM {NAMESPACE.table('missing_table')}")
    with pytest.raises(EngineError, match="AnalysisException"):
        spark.describe(f"SELECT 1 AS x FROM {NAMESPACE.table('missing_table')}")


def test_table_columns_is_none_for_a_missing_table(store: Store, spark: SparkEngine) -> None:
    assert spark.table_columns("monitoring", "gold", "nope") is None
    assert spark.table_columns("monitoring", "no_schema", "nope") is None
    columns = spark.table_columns("monitoring", "gold", "alert_validation_results")
    assert columns is not None and [c.name for c in columns][:2] == ["run_id", "alert_id"]


def test_parameters_bind_positionally_and_values_come_back_as_the_port_promises(spark: SparkEngine) -> None:
    result = spark.execute(
        "SELECT CAST(? AS INT) AS n, ? AS s, CAST(? AS TIMESTAMP) AS t, from_json(?, 'ARRAY<STRING>') AS a, '?' AS q",
        [7, "text", NOW, '["x", "y"]'],
    )
    assert result.rows == ((7, "text", NOW, ["x", "y"], "?"),)
    assert [c.type for c in result.columns] == ["INT", "STRING", "TIMESTAMP", "ARRAY<STRING>", "STRING"]


def test_a_closed_engine_refuses_statements(spark: SparkEngine) -> None:
    with spark:
        spark.execute("SELECT 1 AS x")
    with pytest.raises(EngineError, match="closed"):
        spark.execute("SELECT 1 AS x")


def test_the_jobs_run_on_spark(spark: SparkEngine, session: DuckSparkSession) -> None:
    generate(session.engine, NAMESPACE, DemoPlan(MIN_ROWS, date(2026, 3, 10)))
    assert len(jobs.setup_tables(spark, "monitoring", "gold")["created_tables"]) == 9
    assert jobs.seed_rules(spark, "monitoring", "gold", clock=lambda: NOW)["inserted"] == 29
    status = jobs.validate_rules_job(spark, "monitoring", "gold", clock=lambda: NOW)
    assert (status["checked"], status["valid"]) == (29, 29)
    # The session's user (current_user() on Databricks) is who the rows were written by.
    creators = session.engine.execute(f"SELECT DISTINCT created_by FROM {NAMESPACE.table('alert_configurations')}")
    assert creators.rows == ((spark.current_user(),),)
