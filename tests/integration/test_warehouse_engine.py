"""The SQL warehouse engine over HTTP: the real SDK client against the stand-in's statement endpoint (issue 9).

The stand-in runs read-only statements on its own DuckDB file and answers as a warehouse does (results as
JSON_ARRAY strings, failures as HTTP 200 with state FAILED) and answers ``EXPLAIN <query>`` as a warehouse does:
the plan, or "Error occurred during query planning" rows for a query that does not analyse.
Writes cannot go through the read-only stand-in; the SQL they send is the Spark engine's, tested there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from databricks.sdk import WorkspaceClient

from lakealerts.app.settings import Settings
from lakealerts.catalog import load_rules
from lakealerts.catalog.seeding import default_destination
from lakealerts.demo.generator import generate
from lakealerts.demo.model import MIN_ROWS, DemoPlan
from lakealerts.engines.base import Column
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.engines.warehouse import WarehouseEngine
from lakealerts.errors import EngineError
from lakealerts.serve import StandIn
from lakealerts.sql.identifiers import Namespace
from lakealerts.store.store import Store
from lakealerts.sync.client import workspace_client
from lakealerts.validate import validate_rules
from tests.builders import make_rule
from tests.conftest import Cli

pytestmark = pytest.mark.integration
TOKEN = "warehouse-test-token-7d1e"
NAMESPACE = Namespace("monitoring", "gold")
AS_OF = date(2026, 3, 10)


@pytest.fixture(scope="module")
def warehouse_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in home whose DuckDB file holds the demo gold layer, the lakealerts tables and a typed table."""
    home = tmp_path_factory.mktemp("warehouse")
    with DuckDBEngine.open(home / "lakealerts.duckdb", NAMESPACE.catalog) as engine:
        generate(engine, NAMESPACE, DemoPlan(MIN_ROWS, AS_OF))
        Store(engine, NAMESPACE, "tester").init()
        engine.execute(
            f"CREATE TABLE {NAMESPACE.table('typed')} AS SELECT 1 AS id, array('a', 'b') AS tags, "
            "map('k', 'v') AS attrs, CAST(12.50 AS DECIMAL(10,2)) AS amount, "
            "TIMESTAMP '2026-03-10 08:15:00' AS at, DATE '2026-03-10' AS day, true AS ok, CAST(NULL AS STRING) AS gap"
        )
    return home


@pytest.fixture(scope="module")
def standin(warehouse_home: Path) -> Iterator[StandIn]:
    with StandIn.start(Settings(home=warehouse_home), TOKEN) as running:
        yield running


@pytest.fixture(scope="module")
def client(standin: StandIn) -> WorkspaceClient:
    return workspace_client(standin.url, None, 10, env={"DATABRICKS_TOKEN": TOKEN})


@pytest.fixture
def warehouse(client: WorkspaceClient) -> WarehouseEngine:
    return WarehouseEngine(client, "local", wait_timeout="5s")


def test_positional_parameters_travel_as_named_typed_strings(warehouse: WarehouseEngine) -> None:
    moment = datetime(2026, 3, 10, 8, 15, tzinfo=UTC)
    result = warehouse.execute(
        "SELECT CAST(? AS INT) AS n, ? AS s, ? AS f, ? AS b, CAST(? AS TIMESTAMP) AS t, ? AS d, ? AS nothing,\n"
        "  '?' AS q, `?` AS `?` -- ? in a comment\nFROM (SELECT 1 AS `?`)",
        [7, "it's", 2.5, True, moment, date(2026, 3, 10), None],
    )
    assert result.rows == ((7, "it's", 2.5, True, moment, date(2026, 3, 10), None, "?", 1),)
    assert result.column_names == ("n", "s", "f", "b", "t", "d", "nothing", "q", "?")


def test_values_come_back_typed_arrays_and_maps_from_json(warehouse: WarehouseEngine) -> None:
    result = warehouse.execute(f"SELECT * FROM {NAMESPACE.table('typed')}")
    assert result.as_dicts() == [
        {
            "id": 1,
            "tags": ["a", "b"],
            "attrs": {"k": "v"},
            "amount": Decimal("12.50"),
            "at": datetime(2026, 3, 10, 8, 15, tzinfo=UTC),
            "day": date(2026, 3, 10),
            "ok": True,
            "gap": None,
        }
    ]
    types = [c.type for c in result.columns]
    assert types == ["INT", "ARRAY<STRING>", "MAP<STRING, STRING>", "DECIMAL(10,2)", "TIMESTAMP", "DATE", "BOOLEAN",
                     "STRING"]  # fmt: skip


def test_a_failed_statement_is_an_engine_error_with_the_warehouse_message(warehouse: WarehouseEngine) -> None:
    with pytest.raises(EngineError, match="missing_table"):
        warehouse.execute(f"SELECT * FROM {NAMESPACE.table('missing_table')}")
    with pytest.raises(EngineError, match="parameter markers"):
        warehouse.execute("SELECT ? AS a", [])


def test_describe_is_a_zero_row_probe(warehouse: WarehouseEngine) -> None:
    query = f"SELECT usage_date, SUM(list_cost) AS cost FROM {NAMESPACE.table('billing_usage')} GROUP BY 1;"
    assert warehouse.describe(query) == (Column("usage_date", "DATE"), Column("cost", "DOUBLE"))


def test_table_columns_of_a_table_and_of_a_missing_one(warehouse: WarehouseEngine) -> None:
    columns = warehouse.table_columns("monitoring", "gold", "alert_validation_results")
    assert columns is not None and columns[0] == Column("run_id", "STRING")
    assert warehouse.table_columns("monitoring", "gold", "nope") is None
    assert warehouse.table_columns("monitoring", "nowhere", "nope") is None


def test_explain_returns_the_plan_or_raises_the_planning_error(warehouse: WarehouseEngine) -> None:
    assert "Physical Plan" in warehouse.explain(f"SELECT * FROM {NAMESPACE.table('typed')}")
    with pytest.raises(EngineError, match=r"(?s)Error occurred during query planning.*nope"):
        warehouse.explain(f"SELECT * FROM {NAMESPACE.table('nope')}")


def test_validation_engine_checks_run_on_the_warehouse(warehouse: WarehouseEngine) -> None:
    rules = [*load_rules(), make_rule(alert_id="BAD-COLUMN", alert_query_template=(
        "SELECT no_such_column AS value FROM ${catalog}.${gold_schema}.billing_usage"))]  # fmt: skip
    report = validate_rules(rules, [default_destination("alerts@example.com")], NAMESPACE, warehouse)
    assert report.invalid_ids == {"BAD-COLUMN"}
    (finding,) = next(r for r in report.results if r.alert_id == "BAD-COLUMN").findings
    assert finding.code == "ENGINE_COLUMN_NOT_FOUND" and "no_such_column" in finding.message


def test_cli_validate_runs_the_engine_checks_on_the_warehouse(cli: Cli, standin: StandIn) -> None:
    """The rules and the results stay in the local store; only EXPLAIN and the probe go to the warehouse."""
    assert cli("seed").code == 0  # a local store without any gold table: DuckDB alone would fail every rule
    local = cli("validate", "--json")
    assert local.code == 1
    env = {"DATABRICKS_TOKEN": TOKEN}
    remote = cli("validate", "--warehouse-id", "local", "--host", standin.url, "--json", env=env)
    assert remote.code == 0, remote.stdout + remote.stderr
    assert all(result["is_valid"] for result in json.loads(remote.stdout))
