"""Benchmark: sync 200 rules to the workspace stand-in behind a proxy that adds 50 ms to every request, and
compare, in one run, wall time and API calls of our cold sync, our sync with nothing changed, and the seed's
algorithm (one create after another; on each name conflict a full ``list_alerts()`` re-list, then a PATCH).

API calls are counted at the proxy (``/api/`` requests, retries included; the unauthenticated host-metadata
probes are counted apart). The seed needs conflicts to show its re-lists, so its workspace starts with every
10th alert already there (with a stale threshold); ours from that same start is measured twice: in this process,
and as ``lakealerts sync --host …`` in a fresh process, start-up (Python, the SDK, the store) included. The
ratios printed are the seed's wall time over ours, measured in the same run.

Run from the repository root (the proxy lives in ``tests/faults.py``):
    .venv/bin/python -m bench.bench_sync [--rules 200] [--latency-ms 50] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import ResourceAlreadyExists
from databricks.sdk.service.sql import AlertV2
from tests.faults import FaultProxy, counts_by_route, fault_proxy

from lakealerts.app.settings import Settings
from lakealerts.documents import parse_rules
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.model import AlertRule
from lakealerts.serve import StandIn
from lakealerts.sql.identifiers import Namespace
from lakealerts.store.store import Store
from lakealerts.sync.client import connect, workspace_client
from lakealerts.sync.mapping import MappingContext, to_alert
from lakealerts.sync.planner import MANAGED_FIELDS
from lakealerts.sync.policy import DEFAULT_PARENT_PATH, SyncOptions
from lakealerts.sync.remote import RemoteWorkspace
from lakealerts.sync.run import SyncResult, run_sync
from lakealerts.sync.status import SyncStatus

NAMESPACE = Namespace("monitoring", "gold")
TOKEN = "bench-token"
CONTEXT = MappingContext(NAMESPACE, "local")
# The seed's mask named fields AlertV2 does not have (condition, notification); the fields it meant.
SEED_UPDATE_MASK = ",".join(field for field in MANAGED_FIELDS if field not in ("custom_description", "custom_summary"))


def generated_rules(count: int) -> list[AlertRule]:
    """``count`` valid rules, distinct names, a cost query each."""
    documents: list[dict[str, Any]] = [
        {
            "alert_id": f"SYNC-{i:05d}",
            "alert_name": f"Sync bench rule {i:05d}",
            "agent_domain": "COST",
            "severity": "INFO",
            "alert_query_template": "SELECT SUM(list_cost) AS value FROM ${catalog}.${gold_schema}.usage "
            f"WHERE workspace_id = '{i}'",
            "threshold_column": "value",
            "threshold_operator": ">",
            "threshold_value_type": "DOUBLE",
            "threshold_value_double": float(i),
            "schedule_cron": "0 0 * * * ?",
            "owner": "bench@example.com",
        }
        for i in range(count)
    ]
    report = parse_rules(documents)
    assert not report.problems, report.problems[:3]
    return report.valid


@dataclass(frozen=True)
class Measured:
    """One measured run: its label, wall time and API calls, the calls by endpoint, and other requests (the
    host-metadata probes)."""

    label: str
    seconds: float
    calls: int
    by_route: dict[str, int]
    probes: int = 0


@dataclass
class Workspace:
    """A fresh stand-in behind a latency proxy, a client through the proxy, and a store holding the rules."""

    proxy: FaultProxy
    client: WorkspaceClient
    store: Store

    def measure(self, label: str, action: Callable[[], object]) -> Measured:
        """Run ``action`` once, counting its API calls at the proxy."""
        return measure(self.proxy, label, action)

    def our_sync(self, concurrency: int) -> SyncResult:
        """lakealerts' sync, as ``lakealerts sync`` runs it (the lean client on one ApiClient)."""
        options = SyncOptions(warehouse_id="local", concurrency=concurrency)
        apis = connect(self.proxy.url, None, 60, env={"DATABRICKS_TOKEN": TOKEN})
        return run_sync(self.store, RemoteWorkspace(apis), options, clock=lambda: datetime.now(UTC), env={})

    def alert_count(self) -> int:
        """Alerts in the managed folder."""
        return sum(1 for a in self.client.alerts_v2.list_alerts(page_size=1000) if a.parent_path == DEFAULT_PARENT_PATH)


def measure(proxy: FaultProxy, label: str, action: Callable[[], object]) -> Measured:
    """Run ``action`` once, counting its requests at the proxy."""
    proxy.reset_counts()
    started = time.perf_counter()
    action()
    seconds = time.perf_counter() - started
    probes = sum(count for route, count in proxy.calls.items() if " /api/" not in route)
    return Measured(label, seconds, proxy.api_calls, dict(counts_by_route(proxy)), probes)


@contextmanager
def workspace(home: Path, rules: list[AlertRule], latency: float) -> Iterator[Workspace]:
    """A fresh stand-in under ``home`` with the managed folder, a latency proxy, and a store with ``rules``."""
    with (
        StandIn.start(Settings(home=home / "standin"), TOKEN) as standin,
        fault_proxy(standin.url, latency_seconds=latency) as proxy,
        DuckDBEngine.open(home / "lakealerts.duckdb", NAMESPACE.catalog) as engine,
    ):
        store = Store(engine, NAMESPACE, "bench")
        store.init()
        store.upsert_rules(rules, datetime.now(UTC))
        client = workspace_client(proxy.url, None, 60, env={"DATABRICKS_TOKEN": TOKEN})
        client.workspace.mkdirs(DEFAULT_PARENT_PATH)
        yield Workspace(proxy, client, store)


def seed_sync(client: WorkspaceClient, alerts: list[AlertV2]) -> None:
    """The seed's Phase 5 loop: create one alert after another; on a conflict re-list every alert, then PATCH."""
    for alert in alerts:
        try:
            client.alerts_v2.create_alert(alert)
        except ResourceAlreadyExists:
            existing = next(a for a in list(client.alerts_v2.list_alerts()) if a.display_name == alert.display_name)
            client.alerts_v2.update_alert(existing.id or "", alert, SEED_UPDATE_MASK)


def precreate(client: WorkspaceClient, rules: list[AlertRule], every: int) -> int:
    """Create every ``every``-th rule's alert with a stale threshold (what a half-finished earlier deploy left)."""
    stale = [r.model_copy(update={"threshold_value_double": -1.0}) for r in rules[::every]]
    for rule in stale:
        client.alerts_v2.create_alert(to_alert(rule, CONTEXT))
    return len(stale)


def cli_sync(home: Path, host: str, concurrency: int) -> None:
    """``lakealerts --home HOME sync --host HOST`` in a fresh process, as a user runs it."""
    command = [sys.executable, "-m", "lakealerts", "--home", str(home), "sync", "--host", host,
               "--concurrency", str(concurrency)]  # fmt: skip
    env = {**os.environ, "DATABRICKS_TOKEN": TOKEN}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]


def cli_home(home: Path, rules: list[AlertRule]) -> Path:
    """A lakealerts home holding ``rules`` (the store closed again, for the CLI to open)."""
    with DuckDBEngine.open(Settings(home=home).store_path, NAMESPACE.catalog) as engine:
        store = Store(engine, NAMESPACE, "bench")
        store.init()
        store.upsert_rules(rules, datetime.now(UTC))
    return home


def run(count: int, latency: float, concurrency: int, every: int) -> list[Measured]:
    """All measurements of one benchmark run, each on a fresh stand-in and checked for the right end state."""
    rules = generated_rules(count)
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        root = Path(tmp)
        with workspace(root / "ours", rules, latency) as ours:
            cold = ours.measure("(a) lakealerts, cold sync", lambda: _check_sync(ours.our_sync(concurrency)))
            again = ours.measure("(b) lakealerts, nothing changed", lambda: _check_empty(ours.our_sync(concurrency)))
            assert ours.alert_count() == count
        with workspace(root / "seed", rules, latency) as seed:
            existing = precreate(seed.client, rules, every)
            alerts = [to_alert(rule, CONTEXT) for rule in rules]
            seeds = seed.measure(f"(c) seed algorithm, {existing} pre-existing", lambda: seed_sync(seed.client, alerts))
            assert seed.alert_count() == count
        with workspace(root / "same-start", rules, latency) as same:
            precreate(same.client, rules, every)
            like = same.measure(
                f"(d) lakealerts, {existing} pre-existing", lambda: _check_sync(same.our_sync(concurrency))
            )
            assert same.alert_count() == count
        with workspace(root / "cli", rules, latency) as cli:
            precreate(cli.client, rules, every)
            home = cli_home(root / "cli-home", rules)
            label = f"(e) `lakealerts sync`, {existing} pre-existing"
            end_to_end = cli.measure(label, lambda: cli_sync(home, cli.proxy.url, concurrency))
            noop = cli.measure("(f) `lakealerts sync`, nothing changed", lambda: cli_sync(home, cli.proxy.url, 8))
            assert cli.alert_count() == count
    return [cold, again, seeds, like, end_to_end, noop]


def _check_sync(result: SyncResult) -> None:
    done = (SyncStatus.CREATED, SyncStatus.UPDATED, SyncStatus.UNCHANGED)
    failed = [o for o in result.outcomes if o.status not in done]
    assert not failed, failed[:3]


def _check_empty(result: SyncResult) -> None:
    assert result.plan.is_empty and all(o.status == SyncStatus.UNCHANGED for o in result.outcomes)


def report(results: list[Measured], count: int, latency: float, concurrency: int) -> None:
    """Print the table, ratios to our cold sync, where the calls went, and the seed's time over ours."""
    cold, again, seeds, like, end_to_end, noop = results
    print(f"bench_sync: {count:,} rules; stand-in on loopback behind a proxy adding {latency * 1000:.0f} ms "
          f"per request; our concurrency {concurrency}")  # fmt: skip
    print(f"{'run':<46} {'wall s':>8} {'API calls':>10} {'probes':>7} {'wall vs (a)':>12} {'calls vs (a)':>13}")
    for item in results:
        print(f"{item.label:<46} {item.seconds:8.2f} {item.calls:10,} {item.probes:7} "
              f"{item.seconds / cold.seconds:11.2f}x {item.calls / cold.calls:12.2f}x")  # fmt: skip
    for item in results:
        print(f"  {item.label}: " + ", ".join(f"{route} {n:,}" for route, n in item.by_route.items()))
    print(f"cold sync ratio, seed's algorithm / ours from the same start: {seeds.seconds / like.seconds:.2f}x "
          f"in process (d), {seeds.seconds / end_to_end.seconds:.2f}x as `lakealerts sync` with start-up (e); "
          f"seed / our cold sync (a): {seeds.seconds / cold.seconds:.2f}x")  # fmt: skip
    print(f"no-op re-sync: {again.calls} API calls in process (b), {noop.calls} as `lakealerts sync` (f) "
          f"(+{noop.probes} host-metadata probes), {noop.seconds:.2f} s with start-up")  # fmt: skip


def main() -> None:
    """Parse the options, run every measurement, print the report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=50.0, help="added to every request by the proxy")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--pre-existing-every", type=int, default=10, help="the seed's start: every n-th alert exists")
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    results = run(args.rules, latency, args.concurrency, args.pre_existing_every)
    report(results, args.rules, latency, args.concurrency)


if __name__ == "__main__":
    main()
