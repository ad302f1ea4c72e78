"""Repeated syncs converge through a faulty network (issue 6): 429 and 503 with Retry-After, 500, dropped
connections and answers slower than the client's timeout, each before or after the stand-in did the work.

The SDK client talks HTTP to :mod:`tests.faults`' proxy in front of the stand-in; a second, clean client (no
proxy) judges the outcome. Converged means: the plan is empty, every rule has exactly one alert in the folder,
and every rule's written-back id is the id of its alert.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from databricks.sdk import WorkspaceClient

from lakealerts.app.settings import Settings
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.model import AlertRule
from lakealerts.serve import StandIn
from lakealerts.sql.identifiers import Namespace
from lakealerts.store.store import Store
from lakealerts.sync.client import workspace_client
from lakealerts.sync.policy import DEFAULT_PARENT_PATH, DeletePolicy, SyncOptions
from lakealerts.sync.remote import RemoteWorkspace
from lakealerts.sync.run import SyncResult, run_sync
from lakealerts.sync.status import SUCCESS_STATUSES
from tests.builders import make_rule
from tests.faults import Fault, FaultProxy, FaultSchedule, fault_proxy

pytestmark = pytest.mark.integration
TOKEN = "fault-test-token-81c2"
RULES = 40
MAX_RUNS = 6
SEED = int(os.environ.get("LAKEALERTS_FAULT_SEED", "20260301"))  # another seed explores other interleavings
HTTP_TIMEOUT = 2  # seconds; the proxy's slow answers take longer
FAULT_RATE = 0.3


def rule(index: int, **overrides: object) -> AlertRule:
    """Rule ``F-<index>``."""
    return make_rule(**{"alert_id": f"F-{index:03d}", "alert_name": f"Faulty {index:03d}", **overrides})


@dataclass
class Rig:
    """Store, stand-in, the proxy in front of it, a client through the proxy and a clean one beside it."""

    store: Store
    proxy: FaultProxy
    faulty: WorkspaceClient
    clean: WorkspaceClient

    def __post_init__(self) -> None:
        self._ticks = itertools.count()

    def now(self) -> datetime:
        """A clock that moves a second per reading."""
        return datetime(2026, 3, 1, tzinfo=UTC) + timedelta(seconds=next(self._ticks))

    def sync(self, client: WorkspaceClient, policy: DeletePolicy, dry_run: bool = False) -> SyncResult:
        """One run; our own 5xx back-off is shortened to keep the test quick."""
        options = SyncOptions(warehouse_id="local", delete_policy=policy, dry_run=dry_run)
        return run_sync(self.store, RemoteWorkspace(client, backoff_seconds=0.1), options, clock=self.now, env={})

    def converge(self, policy: DeletePolicy) -> list[SyncResult]:
        """Sync through the faults until the clean view shows nothing left to do; the runs it took."""
        runs: list[SyncResult] = []
        while len(runs) < MAX_RUNS:
            runs.append(self.sync(self.faulty, policy))
            self.proxy.wait_idle()  # a slow request must land before we judge
            if self.sync(self.clean, policy, dry_run=True).plan.is_empty and self._all_written_back():
                print(f"converged after {len(runs)} runs; faults so far: {dict(self.proxy.injected)}")
                return runs
        pytest.fail(f"no convergence after {MAX_RUNS} runs; last outcomes: {[o.to_dict() for o in runs[-1].outcomes]}")

    def _all_written_back(self) -> bool:
        enabled = [s for s in self.store.load_rules() if s.rule.is_enabled]
        return all(s.sync.last_sync_status in SUCCESS_STATUSES and s.sync.databricks_alert_id for s in enabled)

    def assert_deployed_exactly_once(self, expected: dict[str, str]) -> None:
        """``expected``: alert_id -> display name of every enabled rule; one alert each, ids written back."""
        listed = [a for a in self.clean.alerts_v2.list_alerts() if a.parent_path == DEFAULT_PARENT_PATH]
        names = [a.display_name for a in listed]
        assert len(names) == len(set(names)) == len(expected), "duplicate or missing alerts"
        by_name = {a.display_name: a.id for a in listed}
        written = {s.rule.alert_id: s.sync for s in self.store.load_rules()}
        for alert_id, name in expected.items():
            assert written[alert_id].databricks_alert_id == by_name[name], alert_id
            assert written[alert_id].databricks_display_name == name, alert_id


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    """A fresh store and stand-in with a seeded fault proxy in front."""
    namespace = Namespace("monitoring", "gold")
    schedule = FaultSchedule(seed=SEED, rate=FAULT_RATE)
    env = {"DATABRICKS_TOKEN": TOKEN}
    with (
        StandIn.start(Settings(home=tmp_path / "standin"), TOKEN) as standin,
        fault_proxy(standin.url, schedule, slow_seconds=HTTP_TIMEOUT + 0.5) as proxy,
        DuckDBEngine.open(tmp_path / "lakealerts.duckdb", namespace.catalog) as engine,
    ):
        store = Store(engine, namespace, "tester")
        store.init()
        faulty = workspace_client(proxy.url, None, HTTP_TIMEOUT, env=env)
        clean = workspace_client(standin.url, None, 10, env=env)
        yield Rig(store, proxy, faulty, clean)


def test_repeated_syncs_converge_through_injected_faults(rig: Rig) -> None:
    rig.store.upsert_rules([rule(i) for i in range(RULES)], rig.now())
    rig.converge(DeletePolicy.trash)
    rig.assert_deployed_exactly_once({f"F-{i:03d}": f"[WARNING] Faulty {i:03d}" for i in range(RULES)})

    # Then edits, renames and deletions through the same faults: PATCH and DELETE meet them too.
    changed = [rule(i, threshold_value_double=50) for i in range(0, 10)]
    renamed = [rule(i, alert_name=f"Renamed {i:03d}") for i in range(10, 15)]
    disabled = [rule(i, is_enabled=False) for i in range(15, 20)]
    rig.store.upsert_rules([*changed, *renamed, *disabled], rig.now())
    rig.converge(DeletePolicy.trash)
    expected = {f"F-{i:03d}": f"[WARNING] Faulty {i:03d}" for i in [*range(0, 10), *range(20, RULES)]}
    expected |= {f"F-{i:03d}": f"[WARNING] Renamed {i:03d}" for i in range(10, 15)}
    rig.assert_deployed_exactly_once(expected)
    thresholds = {
        a.display_name: a.evaluation.threshold.value.double_value
        for a in rig.clean.alerts_v2.list_alerts()
        if a.evaluation and a.evaluation.threshold and a.evaluation.threshold.value
    }
    assert all(thresholds[f"[WARNING] Faulty {i:03d}"] == 50 for i in range(10))

    injected = set(rig.proxy.injected)
    for fault in (Fault.THROTTLED, Fault.UNAVAILABLE, Fault.INTERNAL_ERROR, Fault.DROP, Fault.SLOW):
        assert {f"POST {fault.value}-before", f"POST {fault.value}-after"} <= injected, rig.proxy.injected
    assert any(label.startswith(("PATCH", "DELETE")) for label in injected), rig.proxy.injected
