"""``demo-data --system``: every system table has the documented columns and types (tests/fixtures/systables),
the data is deterministic, and each documented incident (docs/systables.md) is in it, found with the SQL a
rule would run on a workspace."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from lakealerts.app import setup
from lakealerts.app.context import AppContext
from lakealerts.app.settings import Settings
from lakealerts.engines.base import Column
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.errors import UsageError
from lakealerts.systables import INCIDENTS, MIN_DAYS, SYSTEM_TABLES, SystemPlan
from lakealerts.systables.fleet import ADHOC, ATTACKER_IP, CUSTOMER_360, FINANCE_EXPORT, ORDERS_ETL, WH_ADHOC, WH_BI

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parents[1] / "fixtures" / "systables"
DOCS = Path(__file__).parents[2] / "docs" / "systables.md"
AS_OF = date(2026, 3, 10)
DAYS = MIN_DAYS


def documented(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


FIXTURE_FILES = sorted(FIXTURES.glob("*.yaml"))


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("systables") / "home"
    result = setup.demo_system_tables(AppContext(settings=Settings(home=home)), DAYS, AS_OF)
    assert result.report.total_rows > 0
    return home


@pytest.fixture
def system(home: Path) -> Iterator[DuckDBEngine]:
    with DuckDBEngine.open(
        home / "lakealerts.duckdb", "monitoring", read_only=True, catalogs_dir=home / "catalogs"
    ) as e:
        yield e


def one(engine: DuckDBEngine, sql: str) -> Any:
    return engine.execute(sql).rows[0][0]


def test_there_is_a_documented_column_list_for_every_table() -> None:
    assert sorted(documented(path)["table"] for path in FIXTURE_FILES) == sorted(t.full_name for t in SYSTEM_TABLES)
    assert len(SYSTEM_TABLES) == 11


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda path: path.stem)
def test_table_has_the_documented_columns_and_types(system: DuckDBEngine, path: Path) -> None:
    doc = documented(path)
    _, schema, table = doc["table"].split(".")
    expected = reference_columns(doc["columns"])
    assert system.table_columns("system", schema, table) == expected
    # The module cites the page the fixture names, beside its DDL.
    (module_table,) = [t for t in SYSTEM_TABLES if t.full_name == doc["table"]]
    assert module_table.doc_url == doc["doc"]
    assert doc["doc"].startswith("https://docs.databricks.com/")


def reference_columns(columns: list[dict[str, str]]) -> tuple[Column, ...]:
    """The documented columns as DuckDB types: a table made from the fixture alone, in its own engine."""
    with DuckDBEngine.memory("reference") as engine:
        engine.execute("CREATE SCHEMA reference.s")
        body = ", ".join(f"`{column['name']}` {column['type']}" for column in columns)
        engine.execute(f"CREATE TABLE reference.s.t ({body})")
        found = engine.table_columns("reference", "s", "t")
    assert found is not None
    return found


def test_nesting_survives_as_struct_map_and_array(system: DuckDBEngine) -> None:
    columns = {c.name: c.type for c in system.table_columns("system", "billing", "list_prices") or ()}
    assert columns["pricing"].startswith('STRUCT("default" DECIMAL(38,18), promotional STRUCT(')
    timeline = {c.name: c.type for c in system.table_columns("system", "lakeflow", "job_run_timeline") or ()}
    assert timeline["job_parameters"] == "MAP(VARCHAR, MAP(VARCHAR, VARCHAR))"
    assert timeline["compute"].endswith("[]")


def test_the_same_plan_gives_the_same_rows_and_another_plan_other_rows() -> None:
    plan = SystemPlan(AS_OF, DAYS)
    for table in SYSTEM_TABLES:
        assert table.rows(plan) == table.rows(SystemPlan(AS_OF, DAYS)), table.full_name
    usage = SYSTEM_TABLES[0]
    assert usage.rows(plan) != usage.rows(SystemPlan(AS_OF + timedelta(days=1), DAYS))


@pytest.mark.parametrize("days", [MIN_DAYS - 1, 400])
def test_days_out_of_range_is_refused(days: int) -> None:
    with pytest.raises(UsageError, match="--days"):
        SystemPlan(AS_OF, days)


def test_every_incident_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for incident in INCIDENTS:
        kind = incident.what.split(":")[0]
        assert kind in text, f"docs/systables.md does not describe {kind!r} ({incident.table})"
        assert incident.table in text


# --- the incidents, found the way a rule would find them ------------------------------------------------

DAY = f"DATE'{AS_OF.isoformat()}'"


def test_failed_logins_from_one_address(system: DuckDBEngine) -> None:
    failed = "action_name = 'login' AND response.status_code = 401"
    assert one(system, f"SELECT COUNT(*) FROM system.access.audit WHERE event_date = {DAY} AND {failed} "
                       f"AND source_ip_address = '{ATTACKER_IP}'") == 45  # fmt: skip
    worst_other_day = one(system, f"SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM system.access.audit WHERE {failed} "
                                  f"AND event_date < {DAY} GROUP BY event_date)")  # fmt: skip
    assert (worst_other_day or 0) <= 1


def test_token_admin_and_permission_changes(system: DuckDBEngine) -> None:
    rows = system.execute(
        "SELECT event_date, action_name, request_params['targetGroupName'] AS grp, "
        "request_params['securable_type'] AS securable FROM system.access.audit "
        "WHERE action_name IN ('generateDbToken', 'addPrincipalToGroup') "
        "OR (action_name = 'updatePermissions' AND request_params['securable_type'] = 'catalog') ORDER BY event_time"
    ).rows
    assert [(r[0], r[1]) for r in rows] == [
        (AS_OF, "generateDbToken"),
        (AS_OF, "addPrincipalToGroup"),
        (AS_OF, "updatePermissions"),
    ]
    assert rows[1][2] == "admins" and rows[2][3] == "catalog"


def test_failed_job_runs_and_a_slow_run(system: DuckDBEngine) -> None:
    failed = system.execute(
        "SELECT hour(period_start_time) FROM system.lakeflow.job_run_timeline "
        f"WHERE result_state = 'FAILED' AND to_date(period_start_time) = {DAY} ORDER BY 1"
    ).rows
    assert failed == ((2,), (3,), (4,))
    assert one(system, f"SELECT DISTINCT job_id FROM system.lakeflow.job_run_timeline WHERE result_state = 'FAILED' "
                       f"AND to_date(period_start_time) = {DAY}") == ORDER_ETL_ID  # fmt: skip
    durations = system.execute(
        "SELECT to_date(MIN(period_start_time)) AS day, "
        "timestampdiff(MINUTE, MIN(period_start_time), MAX(period_end_time)) AS minutes "
        f"FROM system.lakeflow.job_run_timeline WHERE job_id = '{CUSTOMER_360.job_id}' GROUP BY run_id ORDER BY day"
    ).rows
    assert durations[-1] == (AS_OF, 118)
    assert all(minutes < 30 for _, minutes in durations[:-1])


ORDER_ETL_ID = ORDERS_ETL.job_id


def test_a_scheduled_job_stopped_running(system: DuckDBEngine) -> None:
    last = one(system, "SELECT to_date(MAX(period_start_time)) FROM system.lakeflow.job_run_timeline "
                       f"WHERE job_id = '{FINANCE_EXPORT.job_id}'")  # fmt: skip
    assert last == AS_OF - timedelta(days=4)
    assert one(system, f"SELECT paused FROM system.lakeflow.jobs WHERE job_id = '{FINANCE_EXPORT.job_id}'") is False


def test_slow_and_queued_queries(system: DuckDBEngine) -> None:
    on_bi = f"compute.warehouse_id = '{WH_BI.warehouse_id}'"
    usual_p95 = one(system, f"SELECT percentile(total_duration_ms, 0.95) FROM system.query.history "
                            f"WHERE {on_bi} AND to_date(start_time) < {DAY}")  # fmt: skip
    assert usual_p95 < 60_000
    assert one(system, f"SELECT COUNT(*) FROM system.query.history WHERE {on_bi} AND to_date(start_time) = {DAY} "
                       "AND total_duration_ms > 20 * 60 * 1000") == 6  # fmt: skip
    assert one(system, f"SELECT COUNT(*) FROM system.query.history WHERE {on_bi} "
                       "AND waiting_at_capacity_duration_ms >= 5 * 60 * 1000") == 12  # fmt: skip
    assert one(system, f"SELECT MAX(cluster_count) FROM system.compute.warehouse_events "
                       f"WHERE warehouse_id = '{WH_BI.warehouse_id}'") == 5  # fmt: skip


def test_cluster_without_auto_termination_that_is_idle(system: DuckDBEngine) -> None:
    no_auto_termination = system.execute(
        "SELECT cluster_name, to_date(create_time) FROM system.compute.clusters "
        "WHERE auto_termination_minutes = 0 AND cluster_source IN ('UI', 'API')"
    ).rows
    assert no_auto_termination == ((ADHOC.name, AS_OF - timedelta(days=3)),)
    cpu = dict(
        system.execute(
            "SELECT to_date(start_time) AS day, AVG(cpu_user_percent + cpu_system_percent) FROM "
            f"system.compute.node_timeline WHERE cluster_id = '{ADHOC.cluster_id}' GROUP BY 1"
        ).rows
    )
    assert cpu[AS_OF] < 3 and cpu[AS_OF - timedelta(days=1)] > 80
    assert one(system, f"SELECT auto_stop_minutes FROM system.compute.warehouses "
                       f"WHERE warehouse_id = '{WH_ADHOC.warehouse_id}'") == 0  # fmt: skip


def test_spend_spike_the_day_before_as_of_mostly_untagged(system: DuckDBEngine) -> None:
    daily = dict(
        (day, (float(cost), float(untagged)))
        for day, cost, untagged in system.execute(
            "SELECT u.usage_date, SUM(CAST(u.usage_quantity AS DOUBLE) * CAST(p.pricing.default AS DOUBLE)), "
            "SUM(CASE WHEN cardinality(u.custom_tags) = 0 "
            "THEN CAST(u.usage_quantity AS DOUBLE) * CAST(p.pricing.default AS DOUBLE) ELSE 0 END) "
            "FROM system.billing.usage u JOIN system.billing.list_prices p ON u.sku_name = p.sku_name "
            "AND u.usage_end_time >= p.price_start_time "
            "AND (p.price_end_time IS NULL OR u.usage_end_time < p.price_end_time) GROUP BY u.usage_date"
        ).rows
    )
    spike_day = AS_OF - timedelta(days=1)
    trailing = [daily[spike_day - timedelta(days=n)][0] for n in range(1, 8)]
    assert daily[spike_day][0] > 3 * sum(trailing) / 7
    assert daily[spike_day][1] / daily[spike_day][0] > 0.8
