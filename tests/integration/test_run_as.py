"""``run_as`` (issue 14): a rule's optional identity reaches the SDK's ``AlertV2.run_as`` and the stand-in, an unset
one leaves the alert exactly as before, and ``init`` adds the column to an older ``alert_configurations``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service.sql import AlertV2RunAs

from lakealerts.app.settings import Settings
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.serve import StandIn
from lakealerts.sql.identifiers import Namespace
from lakealerts.store.store import Store
from lakealerts.store.tables import ALERT_CONFIGURATIONS
from lakealerts.sync.client import workspace_client
from lakealerts.sync.mapping import MappingContext, to_alert
from lakealerts.sync.policy import SyncOptions
from lakealerts.sync.remote import RemoteWorkspace
from lakealerts.sync.run import run_sync
from tests.builders import make_rule

pytestmark = pytest.mark.integration
TOKEN = "run-as-test-token-0b7d"
NAMESPACE = Namespace("monitoring", "gold")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
APP_ID = "6f1c0a52-0d3e-4c8e-9a57-3b1f2f9c4d10"
CONTEXT = MappingContext(NAMESPACE, "wh-1")


def test_an_unset_run_as_leaves_the_alert_exactly_as_before() -> None:
    body = to_alert(make_rule(), CONTEXT).as_dict()
    assert "run_as" not in body and "run_as_user_name" not in body


@pytest.mark.parametrize(
    ("run_as", "expected"),
    [
        ("ops@example.com", AlertV2RunAs(user_name="ops@example.com")),
        (APP_ID, AlertV2RunAs(service_principal_name=APP_ID)),
    ],
)
def test_run_as_maps_to_the_sdk_user_or_service_principal(run_as: str, expected: AlertV2RunAs) -> None:
    assert to_alert(make_rule(run_as=run_as), CONTEXT).run_as == expected


def test_a_context_default_applies_only_to_rules_without_their_own() -> None:
    default = MappingContext(NAMESPACE, "wh-1", run_as=APP_ID)
    assert to_alert(make_rule(), default).run_as == AlertV2RunAs(service_principal_name=APP_ID)
    own = to_alert(make_rule(run_as="ops@example.com"), default)
    assert own.run_as == AlertV2RunAs(user_name="ops@example.com")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[WorkspaceClient]:
    with StandIn.start(Settings(home=tmp_path / "standin"), TOKEN) as standin:
        yield workspace_client(standin.url, None, 10, env={"DATABRICKS_TOKEN": TOKEN})


def test_sync_creates_alerts_that_run_as_the_rule_says(client: WorkspaceClient) -> None:
    with DuckDBEngine.memory(NAMESPACE.catalog) as engine:
        store = Store(engine, NAMESPACE, "tester")
        store.init()
        rules = [make_rule(alert_id=name, alert_name=name, run_as=run_as)
                 for name, run_as in (("R-USER", "ops@example.com"), ("R-SP", APP_ID), ("R-NONE", None))]  # fmt: skip
        store.upsert_rules(rules, NOW)
        remote = RemoteWorkspace(client)
        result = run_sync(lambda: _session(store), remote, SyncOptions(warehouse_id="local"), clock=lambda: NOW, env={})
        assert len(result.plan.create) == 3
        by_name = {a.display_name: a for a in client.alerts_v2.list_alerts()}
        assert by_name["[WARNING] R-USER"].run_as == AlertV2RunAs(user_name="ops@example.com")
        assert by_name["[WARNING] R-SP"].run_as == AlertV2RunAs(service_principal_name=APP_ID)
        assert by_name["[WARNING] R-NONE"].run_as is None  # runs as whoever synced it (effective_run_as)
        again = run_sync(lambda: _session(store), remote, SyncOptions(warehouse_id="local", dry_run=True),
                         clock=lambda: NOW, env={})  # fmt: skip
        assert again.plan.is_empty


def test_init_adds_the_run_as_column_to_an_older_table_and_keeps_the_rules(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with DuckDBEngine.open(path, "monitoring") as engine:
        store = Store(engine, NAMESPACE, "tester")
        store.init()
        store.upsert_rules([make_rule()], NOW)
        engine.execute(f"ALTER TABLE {store.table(ALERT_CONFIGURATIONS)} DROP COLUMN run_as")  # as before issue 14
    with DuckDBEngine.open(path, "monitoring") as engine:
        store = Store(engine, NAMESPACE, "tester")
        assert "alert_configurations.run_as" in store.init().added_columns
        store.upsert_rules([make_rule(run_as=APP_ID)], NOW)
        assert store.get_rule(make_rule().alert_id).rule.run_as == APP_ID


@contextmanager
def _session(store: Store) -> Iterator[Store]:
    yield store
