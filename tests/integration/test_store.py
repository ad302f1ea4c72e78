"""The store on a real DuckDB file: init/migrate, upsert/load, identity of audit and sync columns."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lakealerts.documents import parse_destinations, parse_rules
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.errors import InvalidIdentifierError, NotFoundError
from lakealerts.model import AlertRule
from lakealerts.sql.identifiers import Namespace
from lakealerts.store.store import Store
from lakealerts.store.tables import ALERT_CONFIGURATIONS, ALL_TABLES

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def make_rule(alert_id: str = "R-1", **overrides: Any) -> AlertRule:
    document: dict[str, Any] = {
        "alert_id": alert_id,
        "alert_name": f"Rule {alert_id}",
        "agent_domain": "COST",
        "severity": "WARNING",
        "alert_query_template": "SELECT 1 AS x -- it's quoted 'properly'",
        "threshold_column": "x",
        "threshold_operator": ">",
        "threshold_value_type": "DOUBLE",
        "threshold_value_double": 1.5,
        "schedule_cron": "0 0 8 * * ?",
        "notification_channels": ["a@example.com", "default_email"],
        "tags": {"team": "finops", "cost-center": "42"},
        "owner": "a@example.com",
        **overrides,
    }
    report = parse_rules([document])
    assert report.problems == []
    return report.valid[0]


@pytest.fixture(params=["monitoring", "main"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with DuckDBEngine.open(tmp_path / "lakealerts.duckdb", request.param) as engine:
        store = Store(engine, Namespace(request.param, "gold"), "tester")
        store.init()
        yield store


def test_init_creates_every_table_and_is_idempotent(store: Store) -> None:
    for table in ALL_TABLES:
        columns = store.engine.table_columns(store.namespace.catalog, "gold", table.name)
        assert columns is not None
        assert [c.name for c in columns] == list(table.column_names)
    again = store.init()
    assert (again.created_tables, again.added_columns) == ([], [])


def test_upsert_round_trip_keeps_every_value(store: Store) -> None:
    rule = make_rule()
    counts = store.upsert_rules([rule], T0)
    assert (counts.inserted, counts.updated, counts.unchanged) == (1, 0, 0)
    (stored,) = store.load_rules()
    assert stored.rule == rule
    assert stored.audit.created_by == "tester"
    assert stored.audit.created_at == T0
    assert stored.sync.databricks_alert_id is None


def test_upsert_updates_changed_keeps_created_and_sync_columns(store: Store) -> None:
    store.upsert_rules([make_rule(), make_rule("R-2")], T0)
    table = store.table(ALERT_CONFIGURATIONS)
    store.engine.execute(
        f"UPDATE {table} SET databricks_alert_id = ?, last_sync_status = ? WHERE alert_id = ?",
        ["abc-123", "CREATED", "R-1"],
    )
    later = T0 + timedelta(hours=1)
    counts = store.upsert_rules([make_rule(alert_name="Renamed"), make_rule("R-2")], later)
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 1, 1)
    first, second = store.load_rules()
    assert first.rule.alert_name == "Renamed"
    assert (first.audit.created_at, first.audit.updated_at) == (T0, later)
    assert (first.sync.databricks_alert_id, first.sync.last_sync_status) == ("abc-123", "CREATED")
    assert second.audit.updated_at == T0  # unchanged rule not rewritten


def test_load_unknown_id_names_it(store: Store) -> None:
    store.upsert_rules([make_rule()], T0)
    with pytest.raises(NotFoundError, match="NOPE"):
        store.load_rules(["R-1", "NOPE"])


def test_destinations_round_trip(store: Store) -> None:
    report = parse_destinations(
        [
            {
                "destination_id": "hook",
                "destination_name": "Hook",
                "destination_type": "WEBHOOK",
                "owner": "o",
                "config_json": {"url": "https://h.example.com", "username": "u", "password": "${env:PW}"},
            }
        ]
    )
    store.upsert_destinations(report.valid, T0)
    (stored,) = store.load_destinations()
    assert stored.destination == report.valid[0]
    assert store.upsert_destinations(report.valid, T0).unchanged == 1


def test_migration_adds_a_column_without_losing_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with DuckDBEngine.open(path, "monitoring") as engine:
        store = Store(engine, Namespace("monitoring", "gold"), "tester")
        store.init()
        store.upsert_rules([make_rule(), make_rule("R-2")], T0)
        # An older version of the table had no last_sync_error column.
        engine.execute(f"ALTER TABLE {store.table(ALERT_CONFIGURATIONS)} DROP COLUMN last_sync_error")
    with DuckDBEngine.open(path, "monitoring") as engine:
        store = Store(engine, Namespace("monitoring", "gold"), "tester")
        report = store.init()
        assert report.added_columns == ["alert_configurations.last_sync_error"]
        assert [s.rule.alert_id for s in store.load_rules()] == ["R-1", "R-2"]
        assert store.load_rules()[0].rule == make_rule()


@pytest.mark.parametrize("name", ["main`; DROP SCHEMA x; --", "a.b", "", "x y", "1abc"])
def test_namespace_refuses_unsafe_names(name: str) -> None:
    with pytest.raises(InvalidIdentifierError):
        Namespace(name, "gold")
    with pytest.raises(InvalidIdentifierError):
        Namespace("monitoring", name)
