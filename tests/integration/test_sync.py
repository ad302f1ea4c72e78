"""Sync end to end: the store, ``run_sync`` and the real databricks-sdk ``WorkspaceClient`` over HTTP against the
workspace stand-in (issue 6, "Done when"). No mocks: what the stand-in holds is asserted through the SDK.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound
from databricks.sdk.service.sql import AlertV2

from lakealerts.app.settings import Settings
from lakealerts.documents import parse_destinations
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.errors import SetupError
from lakealerts.model import AlertRule, NotificationDestination, RuleSyncState
from lakealerts.serve import StandIn
from lakealerts.sql.identifiers import Namespace
from lakealerts.store.store import Store
from lakealerts.store.tables import ALERT_CONFIGURATIONS, ALERT_SYNC_METRICS
from lakealerts.sync import remote as remote_module
from lakealerts.sync.client import workspace_client
from lakealerts.sync.mapping import MappingContext, to_alert
from lakealerts.sync.planner import Plan
from lakealerts.sync.policy import DEFAULT_PARENT_PATH, DeletePolicy, SyncOptions
from lakealerts.sync.remote import RemoteWorkspace
from lakealerts.sync.run import SyncAbortedError, SyncResult, run_sync
from tests.builders import make_rule
from tests.conftest import Cli
from tests.faults import counts_by_route, fault_proxy

pytestmark = pytest.mark.integration
TOKEN = "sync-test-token-3f9a"
NAMESPACE = Namespace("monitoring", "gold")
SLACK_SECRET = "https://hooks.slack.com/services/T0001/B0001/s3cr3t-v4lue"


def rule(index: int, **overrides: Any) -> AlertRule:
    """Rule ``R-<index>`` named ``Rule <index>`` (display name ``[WARNING] Rule <index>``)."""
    return make_rule(**{"alert_id": f"R-{index:03d}", "alert_name": f"Rule {index:03d}", **overrides})


def rules(count: int, start: int = 0) -> list[AlertRule]:
    """``count`` valid rules numbered from ``start``."""
    return [rule(index) for index in range(start, start + count)]


class TickingClock:
    """A clock that moves one second per reading: run starts and ends stay ordered and distinct."""

    def __init__(self) -> None:
        self._ticks = itertools.count()

    def __call__(self) -> datetime:
        return datetime(2026, 3, 1, 12, 0, tzinfo=UTC) + timedelta(seconds=next(self._ticks))


@dataclass
class Harness:
    """A store and a stand-in, with the real SDK client pointed at the stand-in."""

    store: Store
    standin_url: str
    client: WorkspaceClient
    env: dict[str, str] = field(default_factory=dict)
    clock: Callable[[], datetime] = field(default_factory=TickingClock)

    def upsert(self, *items: AlertRule) -> None:
        """Store rules as ``rules import`` would."""
        self.store.upsert_rules(list(items), self.clock())

    def upsert_destinations(self, *items: NotificationDestination) -> None:
        """Store destinations as ``destinations import`` would."""
        self.store.upsert_destinations(list(items), self.clock())

    def sync(self, client: WorkspaceClient | None = None, **options: Any) -> SyncResult:
        """One sync run through ``client`` (default: straight to the stand-in) with a fresh call log."""
        remote = RemoteWorkspace(client or self.client)
        return run_sync(lambda: self.store_phase(remote), remote, SyncOptions(warehouse_id="local", **options),
                        clock=self.clock, env=self.env)  # fmt: skip

    @contextmanager
    def store_phase(self, remote: RemoteWorkspace) -> Iterator[Store]:
        """The store for one phase of a run; a workspace call made while it is open fails the test (§10.1)."""
        calls = len(remote.log.latencies_ms)
        yield self.store
        assert len(remote.log.latencies_ms) == calls, "the workspace was called while the run held the store"

    def plan(self, **options: Any) -> Plan:
        """What the next sync would do (a dry run: only its metrics row is written)."""
        return self.sync(dry_run=True, **options).plan

    def alerts(self) -> dict[str, AlertV2]:
        """Active alerts of the managed folder by display name, read with the SDK's default paging."""
        listed = [a for a in self.client.alerts_v2.list_alerts() if a.parent_path == DEFAULT_PARENT_PATH]
        by_name = {a.display_name or "": a for a in listed}
        assert len(by_name) == len(listed), "two alerts share a display name"
        return by_name

    def sync_state(self) -> dict[str, RuleSyncState]:
        """Each rule's write-back columns."""
        return {stored.rule.alert_id: stored.sync for stored in self.store.load_rules()}

    def forget_alert_id(self, alert_id: str) -> None:
        """Lose a rule's written-back id, as a crash between the create and the write-back would."""
        self.store.engine.execute(
            f"UPDATE {self.store.table(ALERT_CONFIGURATIONS)} SET databricks_alert_id = NULL, "
            "databricks_display_name = NULL, last_sync_status = NULL WHERE alert_id = ?",
            [alert_id],
        )


@pytest.fixture
def standin(tmp_path: Path) -> Iterator[StandIn]:
    """A fresh stand-in on a free loopback port, with its own home."""
    with StandIn.start(Settings(home=tmp_path / "standin"), TOKEN) as running:
        yield running


@pytest.fixture
def harness(tmp_path: Path, standin: StandIn) -> Iterator[Harness]:
    """An initialised store and a client built the way ``lakealerts sync --host`` builds it."""
    with DuckDBEngine.open(tmp_path / "lakealerts.duckdb", NAMESPACE.catalog) as engine:
        store = Store(engine, NAMESPACE, "tester")
        store.init()
        client = workspace_client(standin.url, None, 10, env={"DATABRICKS_TOKEN": TOKEN})
        yield Harness(store, standin.url, client)


def outcomes_by_rule(result: SyncResult) -> dict[str | None, str]:
    """alert_id -> outcome status."""
    return {o.alert_id: o.status for o in result.outcomes}


def test_first_sync_creates_every_alert_and_the_second_plan_is_empty(harness: Harness) -> None:
    harness.upsert(*rules(5))
    first = harness.sync()
    assert outcomes_by_rule(first) == {f"R-{i:03d}": "CREATED" for i in range(5)}
    alerts = harness.alerts()
    assert sorted(alerts) == [f"[WARNING] Rule {i:03d}" for i in range(5)]
    state = harness.sync_state()
    for index in range(5):
        written = state[f"R-{index:03d}"]
        assert written.last_sync_status == "CREATED"
        assert written.databricks_alert_id == alerts[f"[WARNING] Rule {index:03d}"].id
        assert written.databricks_display_name == f"[WARNING] Rule {index:03d}"

    second = harness.plan()
    assert second.is_empty and not second.skipped
    assert [u.alert_id for u in second.unchanged] == [f"R-{i:03d}" for i in range(5)]
    again = harness.sync()
    assert set(outcomes_by_rule(again).values()) == {"UNCHANGED"} and len(harness.alerts()) == 5
    unchanged = harness.sync_state()["R-003"]
    assert (unchanged.last_sync_status, unchanged.databricks_alert_id) == (
        "UNCHANGED",
        state["R-003"].databricks_alert_id,
    )
    assert unchanged.databricks_display_name == "[WARNING] Rule 003"


def test_editing_one_rule_updates_exactly_that_alert_with_its_mask(harness: Harness) -> None:
    harness.upsert(*rules(4))
    harness.sync()
    before = {name: harness.client.alerts_v2.get_alert(a.id or "").as_dict() for name, a in harness.alerts().items()}
    edited = rule(
        2, alert_query_template="SELECT 2 AS value FROM ${catalog}.${gold_schema}.t", schedule_cron="0 5 * * * ?"
    )
    harness.upsert(edited)

    result = harness.sync()
    assert [(u.alert_id, u.fields, u.update_mask) for u in result.plan.update] == [
        ("R-002", ("query_text", "schedule"), "query_text,schedule")
    ]
    assert not result.plan.create and not result.plan.delete
    assert outcomes_by_rule(result)["R-002"] == "UPDATED"
    after = {name: harness.client.alerts_v2.get_alert(a.id or "").as_dict() for name, a in harness.alerts().items()}
    for name, old in before.items():
        changed = {key for key in old.keys() | after[name].keys() if old.get(key) != after[name].get(key)}
        expected = {"query_text", "schedule", "update_time"} if name == "[WARNING] Rule 002" else set()
        assert changed == expected, name
    updated = after["[WARNING] Rule 002"]
    assert updated["query_text"] == "SELECT 2 AS value FROM `monitoring`.`gold`.t"
    assert updated["schedule"]["quartz_cron_schedule"] == "0 5 * * * ?"
    assert harness.plan().is_empty


def test_a_rename_updates_the_same_alert(harness: Harness) -> None:
    harness.upsert(*rules(3))
    harness.sync()
    old_id = harness.alerts()["[WARNING] Rule 001"].id
    harness.upsert(rule(1, alert_name="Renamed rule"))

    result = harness.sync()
    assert [(u.alert_id, u.fields) for u in result.plan.update] == [("R-001", ("display_name",))]
    assert not result.plan.create
    alerts = harness.alerts()
    assert len(alerts) == 3 and "[WARNING] Rule 001" not in alerts
    assert alerts["[WARNING] Renamed rule"].id == old_id
    assert harness.sync_state()["R-001"].databricks_display_name == "[WARNING] Renamed rule"


def test_a_disabled_rule_is_kept_under_keep_and_deleted_under_trash_or_purge(harness: Harness) -> None:
    harness.upsert(*rules(3))
    harness.sync()
    ids = {name: a.id for name, a in harness.alerts().items()}
    harness.upsert(rule(0, is_enabled=False), rule(1, is_enabled=False))

    kept = harness.sync(delete_policy=DeletePolicy.keep)
    assert not kept.plan.delete and len(harness.alerts()) == 3
    assert {s.alert_id for s in kept.plan.skipped} == {"R-000", "R-001"}
    assert all("kept by delete policy keep" in s.reason for s in kept.plan.skipped)
    assert kept.success_rate == 1.0  # kept alerts are out of scope, not failures

    trashed = harness.sync(delete_policy=DeletePolicy.trash)
    # Both disabled rules are deleted under trash; check R-000's alert went to the trash, not away.
    assert {(d.alert_id, d.purge) for d in trashed.plan.delete} == {("R-000", False), ("R-001", False)}
    assert sorted(harness.alerts()) == ["[WARNING] Rule 002"]
    in_trash = harness.client.alerts_v2.get_alert(ids["[WARNING] Rule 000"] or "")
    assert in_trash.lifecycle_state is not None and in_trash.lifecycle_state.value == "DELETED"
    state = harness.sync_state()
    assert (state["R-000"].last_sync_status, state["R-000"].databricks_alert_id) == ("DELETED", None)
    assert harness.plan(delete_policy=DeletePolicy.trash).is_empty


def test_a_disabled_rule_is_retired_even_when_it_is_also_invalid(harness: Harness) -> None:
    harness.upsert(*rules(2))
    harness.sync()
    harness.upsert(rule(1, is_enabled=False, alert_query_template="DELETE FROM ${catalog}.${gold_schema}.t"))
    result = harness.sync(delete_policy=DeletePolicy.trash)
    assert [d.alert_id for d in result.plan.delete] == ["R-001"] and result.success_rate == 1.0
    assert sorted(harness.alerts()) == ["[WARNING] Rule 000"]


def test_purge_deletes_for_good(harness: Harness) -> None:
    harness.upsert(*rules(2))
    harness.sync()
    purged_id = harness.alerts()["[WARNING] Rule 000"].id or ""
    harness.upsert(rule(0, is_enabled=False))

    result = harness.sync(delete_policy=DeletePolicy.purge)
    assert [(d.alert_id, d.purge) for d in result.plan.delete] == [("R-000", True)]
    assert outcomes_by_rule(result)["R-000"] == "DELETED"
    with pytest.raises(NotFound):
        harness.client.alerts_v2.get_alert(purged_id)
    assert sorted(harness.alerts()) == ["[WARNING] Rule 001"]


def test_a_create_whose_write_back_was_lost_is_adopted_on_the_next_run(harness: Harness) -> None:
    harness.upsert(*rules(3))
    harness.sync()
    lost_id = harness.alerts()["[WARNING] Rule 001"].id
    harness.forget_alert_id("R-001")

    result = harness.sync()
    assert not result.plan.create and "R-001" in {u.alert_id for u in result.plan.unchanged}
    assert len(harness.alerts()) == 3
    assert harness.sync_state()["R-001"].databricks_alert_id == lost_id


def test_alerts_created_before_a_crash_are_adopted_by_display_name(harness: Harness) -> None:
    """The crashed run's POSTs reached the workspace and nothing was written back: adopt, never a second alert."""
    context = MappingContext(NAMESPACE, "local")
    harness.client.workspace.mkdirs(DEFAULT_PARENT_PATH)
    same = harness.client.alerts_v2.create_alert(to_alert(rule(0), context))
    stale = harness.client.alerts_v2.create_alert(to_alert(rule(1, threshold_value_double=99), context))
    harness.upsert(*rules(3))

    result = harness.sync()
    assert [c.alert_id for c in result.plan.create] == ["R-002"]
    assert [(u.alert_id, u.fields) for u in result.plan.update] == [("R-001", ("evaluation",))]
    assert [u.alert_id for u in result.plan.unchanged] == ["R-000"]
    assert len(harness.alerts()) == 3
    state = harness.sync_state()
    assert (state["R-000"].databricks_alert_id, state["R-001"].databricks_alert_id) == (same.id, stale.id)
    assert harness.plan().is_empty


class KilledBeforeWriteBackError(Exception):
    """Stands for the process dying after the remote phase, before the store is opened to write back."""


def test_a_run_killed_before_its_write_back_is_adopted_by_the_next_run(harness: Harness) -> None:
    """The store is opened to read, then to write back: a death in between leaves created alerts and destinations
    nobody recorded, and the next run adopts them by display name instead of creating them again."""
    harness.upsert(*rules(3))
    harness.upsert_destinations(destination("ops_mail", "EMAIL", {"addresses": ["ops@example.com"]}))
    openings = itertools.count(1)

    @contextmanager
    def killed_at_the_write_back() -> Iterator[Store]:
        if next(openings) == 2:
            raise KilledBeforeWriteBackError
        yield harness.store

    with pytest.raises(KilledBeforeWriteBackError):
        run_sync(killed_at_the_write_back, RemoteWorkspace(harness.client), SyncOptions(warehouse_id="local"),
                 clock=harness.clock, env={})  # fmt: skip
    created = {name: alert.id for name, alert in harness.alerts().items()}
    assert sorted(created) == [f"[WARNING] Rule {i:03d}" for i in range(3)]  # the workspace has them ...
    assert all(state.databricks_alert_id is None for state in harness.sync_state().values())  # ... we do not
    assert [d.databricks_destination_id for d in harness.store.load_destinations()] == [None]
    assert not _metrics(harness.store)

    again = harness.sync()
    assert not again.plan.create and [u.alert_id for u in again.plan.unchanged] == ["R-000", "R-001", "R-002"]
    assert [(d.destination_id, d.action, d.status) for d in again.destinations] == [("ops_mail", "update", "UPDATED")]
    assert len(harness.alerts()) == 3 and len(list(harness.client.notification_destinations.list())) == 1
    written = {alert_id: state.databricks_alert_id for alert_id, state in harness.sync_state().items()}
    assert written == {f"R-{i:03d}": created[f"[WARNING] Rule {i:03d}"] for i in range(3)}


def test_more_alerts_than_one_page(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    # Our listing asks for 1,000 per page; 50 makes this run page through 120 alerts as it would through 1,001.
    monkeypatch.setattr(remote_module, "LIST_PAGE_SIZE", 50)
    harness.upsert(*rules(120))
    with fault_proxy(harness.standin_url) as proxy:
        client = workspace_client(proxy.url, None, 10, env={"DATABRICKS_TOKEN": TOKEN})
        first = harness.sync(client)
        assert len(first.plan.create) == 120 and first.success_rate == 1.0
        proxy.reset_counts()
        second = harness.sync(client, dry_run=True)
        assert second.plan.is_empty and len(second.plan.unchanged) == 120
        assert counts_by_route(proxy)["GET /api/2.0/alerts"] == 3  # 50 + 50 + 20
        proxy.reset_counts()
        assert len(list(client.alerts_v2.list_alerts())) == 120  # the SDK's default page size, 100
        assert counts_by_route(proxy)["GET /api/2.0/alerts"] == 2
    state = harness.sync_state()
    assert len({s.databricks_alert_id for s in state.values()}) == 120


def test_an_invalid_rule_is_skipped_and_the_rest_deploy(harness: Harness) -> None:
    bad = make_rule(alert_id="R-BAD", alert_name="Bad", alert_query_template="SELECT 1 AS x; DROP TABLE t",
                    threshold_column="x")  # fmt: skip
    harness.upsert(*rules(4), bad)

    result = harness.sync()
    assert [s.alert_id for s in result.plan.skipped] == ["R-BAD"] and len(result.plan.create) == 4
    assert outcomes_by_rule(result)["R-BAD"] == "INVALID"
    assert result.success_rate == pytest.approx(0.8)
    assert "[WARNING] Bad" not in harness.alerts() and len(harness.alerts()) == 4
    written = harness.sync_state()["R-BAD"]
    assert written.last_sync_status == "INVALID" and written.databricks_alert_id is None
    assert written.last_sync_error is not None and "invalid" in written.last_sync_error


def test_a_rule_that_turns_invalid_leaves_its_alert_alone(harness: Harness) -> None:
    harness.upsert(*rules(2))
    harness.sync()
    before = harness.alerts()["[WARNING] Rule 001"]
    harness.upsert(rule(1, alert_query_template="DELETE FROM ${catalog}.${gold_schema}.t"))

    result = harness.sync(delete_policy=DeletePolicy.purge)
    assert result.plan.is_empty and outcomes_by_rule(result)["R-001"] == "INVALID"
    assert harness.alerts()["[WARNING] Rule 001"] == before
    written = harness.sync_state()["R-001"]
    assert (written.databricks_alert_id, written.databricks_display_name) == (before.id, "[WARNING] Rule 001")


def _store_for_cli(home: Path, items: list[AlertRule], destinations: list[NotificationDestination]) -> None:
    settings = Settings(home=home)
    with DuckDBEngine.open(settings.store_path, settings.catalog) as engine:
        store = Store(engine, settings.namespace, "tester")
        store.init()
        store.upsert_rules(items, datetime(2026, 3, 1, tzinfo=UTC))
        store.upsert_destinations(destinations, datetime(2026, 3, 1, tzinfo=UTC))


def test_cli_sync_exit_code_follows_the_success_rate(cli: Cli, standin: StandIn) -> None:
    bad = make_rule(alert_id="R-BAD", alert_name="Bad", alert_query_template="SELECT 1 AS x; DROP TABLE t",
                    threshold_column="x")  # fmt: skip
    slack = destination("slack_ops", "SLACK", {"url": "${env:SLACK_URL}"})
    _store_for_cli(cli.home, [*rules(4), bad], [slack])
    env = {"DATABRICKS_TOKEN": TOKEN, "SLACK_URL": SLACK_SECRET}

    below = cli("sync", "--host", standin.url, "--json", env=env)
    assert below.code == 1, below.stderr
    document = below.json()
    assert document["success_rate"] == pytest.approx(0.8) and not document["dry_run"]
    assert {o["alert_id"]: o["status"] for o in document["outcomes"]}["R-BAD"] == "INVALID"
    assert [d["status"] for d in document["destinations"]] == ["CREATED"]
    assert SLACK_SECRET not in below.stdout + below.stderr

    _store_for_cli(cli.home, rules(15, start=4), [])
    above = cli("sync", "--host", standin.url, env=env)
    assert above.code == 0, above.stderr
    assert "95%" in above.stderr and SLACK_SECRET not in above.stdout + above.stderr


def destination(destination_id: str, kind: str, config: dict[str, Any]) -> NotificationDestination:
    """A valid destination document of ``kind``."""
    document = {"destination_id": destination_id, "destination_name": f"lakealerts {destination_id}",
                "destination_type": kind, "config_json": config, "owner": "ops@example.com"}  # fmt: skip
    report = parse_destinations([document])
    assert not report.problems, report.problems
    return report.valid[0]


def test_destinations_are_synced_with_resolved_secrets_and_used_in_subscriptions(harness: Harness) -> None:
    harness.env = {"SLACK_URL": SLACK_SECRET}
    harness.upsert_destinations(
        destination("slack_ops", "SLACK", {"url": "${env:SLACK_URL}"}),
        destination("pager", "PAGERDUTY", {"integration_key": "${env:PD_ROUTING_KEY}"}),
    )
    harness.upsert(
        rule(0, notification_channels=["slack_ops", "ops@example.com"]),
        rule(1, notification_channels=["pager"]),
        rule(2),
    )

    result = harness.sync()
    outcomes = {d.destination_id: d for d in result.destinations}
    slack_id = outcomes["slack_ops"].databricks_destination_id
    assert outcomes["slack_ops"].status == "CREATED" and slack_id
    remote = harness.client.notification_destinations.get(slack_id)
    assert remote.config is not None and remote.config.slack is not None
    assert remote.config.slack.url_set and remote.config.slack.url is None  # write-only: never returned
    stored = {d.destination.destination_id: d.databricks_destination_id for d in harness.store.load_destinations()}
    assert stored == {"slack_ops": slack_id, "pager": None}

    pager = outcomes["pager"]
    assert pager.status == "FAILED" and pager.error is not None
    assert "pager" in pager.error and "PD_ROUTING_KEY" in pager.error
    subscriptions = _subscriptions(harness.alerts()["[WARNING] Rule 000"])
    assert subscriptions == {("destination_id", slack_id), ("user_email", "ops@example.com")}
    statuses = outcomes_by_rule(result)
    assert (statuses["R-000"], statuses["R-001"], statuses["R-002"]) == ("CREATED", "FAILED", "CREATED")
    assert "[WARNING] Rule 001" not in harness.alerts()
    assert SLACK_SECRET not in json.dumps(result.to_dict()) + str(_metrics(harness.store))


def _subscriptions(alert: AlertV2) -> set[tuple[str, str]]:
    notification = alert.evaluation.notification if alert.evaluation else None
    return {
        ("destination_id", s.destination_id) if s.destination_id else ("user_email", s.user_email or "")
        for s in (notification.subscriptions if notification else None) or []
    }


def _metrics(store: Store) -> list[dict[str, Any]]:
    return store.engine.execute(f"SELECT * FROM {store.table(ALERT_SYNC_METRICS)} ORDER BY sync_started_at").as_dicts()


def test_one_metrics_row_per_run_dry_runs_included(harness: Harness) -> None:
    harness.upsert(*rules(6))
    runs = [harness.sync(dry_run=True), harness.sync(), harness.sync()]
    rows = _metrics(harness.store)
    assert [r["sync_run_id"] for r in rows] == [run.run_id for run in runs]
    assert [r["dry_run"] for r in rows] == [True, False, False]
    assert [(r["total_alerts"], r["created_count"], r["success_count"]) for r in rows] == [(6, 0, 0), (6, 6, 6),
                                                                                          (6, 0, 6)]  # fmt: skip
    for row in rows:
        assert row["error_count"] == 0 and row["error_summary"] is None
        assert 0 < row["min_api_latency_ms"] <= row["avg_api_latency_ms"] <= row["max_api_latency_ms"]
        assert row["min_api_latency_ms"] <= row["p95_api_latency_ms"] <= row["max_api_latency_ms"]
        assert row["total_duration_seconds"] > 0 and row["sync_ended_at"] > row["sync_started_at"]
        assert (row["catalog"], row["gold_schema"]) == ("monitoring", "gold")


def test_a_dry_run_plans_rules_whose_destination_it_would_create(harness: Harness) -> None:
    harness.env = {"SLACK_URL": SLACK_SECRET}
    harness.upsert_destinations(destination("slack_ops", "SLACK", {"url": "${env:SLACK_URL}"}))
    harness.upsert(rule(0, notification_channels=["slack_ops"]))

    dry = harness.sync(dry_run=True)
    assert [(d.destination_id, d.action, d.status) for d in dry.destinations] == [("slack_ops", "create", "PLANNED")]
    assert [c.alert_id for c in dry.plan.create] == ["R-000"] and not dry.plan.skipped
    assert dry.success_rate == 1.0  # `sync --dry-run` in CI must not fail a rule the real sync deploys
    assert outcomes_by_rule(harness.sync()) == {"R-000": "CREATED"}


def test_a_run_s_metrics_count_only_its_own_calls(harness: Harness) -> None:
    harness.upsert(*rules(3))
    with fault_proxy(harness.standin_url, latency_seconds=0.3) as proxy:
        remote = RemoteWorkspace(workspace_client(proxy.url, None, 10, env={"DATABRICKS_TOKEN": TOKEN}))
        options = SyncOptions(warehouse_id="local")
        run_sync(harness.store, remote, options, clock=harness.clock, env={})
        proxy.latency_seconds = 0.0
        run_sync(harness.store, remote, options, clock=harness.clock, env={})
    slow, quick = _metrics(harness.store)
    assert slow["min_api_latency_ms"] >= 300
    assert quick["max_api_latency_ms"] < 300  # the first run's slow calls are not this run's


def test_cli_sync_against_a_refusing_workspace_is_a_clear_error(cli: Cli, standin: StandIn) -> None:
    _store_for_cli(cli.home, rules(2), [])
    refused = cli("sync", "--host", standin.url, env={"DATABRICKS_TOKEN": "not-the-token"})
    assert refused.code == 2, refused.stderr
    assert "Traceback" not in refused.stderr and "Invalid access token" in refused.stderr
    assert "not-the-token" not in refused.stderr


def test_a_run_the_workspace_refuses_stops_with_a_setup_error_and_still_records_its_metrics(
    harness: Harness, standin: StandIn
) -> None:
    harness.upsert(*rules(2))
    refusing = workspace_client(standin.url, None, 10, env={"DATABRICKS_TOKEN": "not-the-token"})
    with pytest.raises(SyncAbortedError, match="Invalid access token") as stopped:
        harness.sync(refusing)
    assert isinstance(stopped.value, SetupError)  # the CLI's exit 2, with a hint instead of a traceback
    (row,) = _metrics(harness.store)
    assert row["error_summary"].startswith("run stopped: Unauthenticated") and row["total_alerts"] == 0
    assert all(state.last_sync_status is None for state in harness.sync_state().values())


def test_a_dry_run_reports_the_success_rate_the_real_sync_gets(harness: Harness) -> None:
    harness.upsert(*rules(3))
    harness.sync()
    harness.upsert(rule(0, is_enabled=False), rule(1, alert_query_template="SELECT 1 AS x; DROP TABLE t"))
    planned = harness.sync(dry_run=True)
    real = harness.sync()
    assert planned.success_rate == real.success_rate == 0.5


def test_a_destination_row_broken_by_hand_is_reported_and_the_rest_syncs(harness: Harness) -> None:
    harness.upsert(*rules(2))
    harness.upsert_destinations(destination("ops_mail", "EMAIL", {"addresses": ["ops@example.com"]}))
    harness.store.engine.execute(
        "UPDATE monitoring.gold.notification_destinations SET config_json = '{}' WHERE destination_id = 'ops_mail'"
    )
    result = harness.sync()
    assert [(d.destination_id, d.status) for d in result.destinations] == [("ops_mail", "FAILED")]
    assert "stored destination is invalid" in (result.destinations[0].error or "")
    assert outcomes_by_rule(result) == {"R-000": "CREATED", "R-001": "CREATED"}
