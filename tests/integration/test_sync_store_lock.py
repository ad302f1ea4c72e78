"""A long sync does not lock other processes out of ``lakealerts.duckdb`` (DESIGN §3, §10.1; issue 13).

The sync runs in a thread of this process through the app's use case — the store opened per phase, exactly as
``lakealerts sync`` does — against the stand-in behind :mod:`tests.faults`' proxy, which slows every request.
While it is applying, a real ``lakealerts rules list --json`` subprocess must complete: DuckDB's file lock is
per process, so if the sync held the file the subprocess would wait 10 s and exit 2 "locked".
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lakealerts.app.context import AppContext, RemoteOptions
from lakealerts.app.settings import Settings
from lakealerts.app.sync import sync_alerts
from lakealerts.serve import StandIn
from lakealerts.sync.client import workspace_client
from lakealerts.sync.policy import SyncOptions
from lakealerts.sync.status import SyncStatus
from tests.builders import make_rule
from tests.conftest import Cli
from tests.faults import FaultProxy, fault_proxy

pytestmark = pytest.mark.integration
TOKEN = "store-lock-token-5d2e"
RULES = 40
CREATE = "POST /api/2.0/alerts"
SLOW = 0.1  # seconds added to every request: a slow workspace
SLOWER = 1.0  # while the other command runs: ~40 creates one at a time outlast it by far


def wait_for_first_create(proxy: FaultProxy, timeout: float = 30.0) -> None:
    """Return once the sync has sent its first create: it is past reading and planning, and applying."""
    deadline = time.monotonic() + timeout
    while proxy.calls[CREATE] == 0:
        if time.monotonic() > deadline:
            raise TimeoutError("the sync never started creating alerts")
        time.sleep(0.02)


def test_rules_list_completes_while_a_sync_waits_on_a_slow_workspace(cli: Cli, tmp_path: Path) -> None:
    ctx = AppContext(settings=Settings(home=cli.home), env={}, user="tester")
    ids = [f"L-{i:03d}" for i in range(RULES)]
    with ctx.store(require_tables=False) as store:
        store.init()
        store.upsert_rules([make_rule(alert_id=i, alert_name=f"Lock {i}") for i in ids], datetime.now(UTC))

    with (
        StandIn.start(Settings(home=tmp_path / "standin"), TOKEN) as standin,
        fault_proxy(standin.url, latency_seconds=SLOW) as proxy,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        client = workspace_client(proxy.url, None, 30, env={"DATABRICKS_TOKEN": TOKEN})
        options = SyncOptions(concurrency=1)  # one create at a time: the run lasts as long as its requests
        syncing = pool.submit(sync_alerts, ctx.replace(client=client), RemoteOptions(), options)
        try:
            wait_for_first_create(proxy)
            proxy.latency_seconds = SLOWER
            listed = cli("rules", "list", "--json")
            sync_was_running = not syncing.done()
            creates_when_listed = proxy.calls[CREATE]
        finally:
            proxy.latency_seconds = 0.0  # let the sync finish quickly, whatever happened
        result = syncing.result(timeout=60)

    assert listed.code == 0, listed.stderr
    assert sorted(rule["alert_id"] for rule in listed.json()) == ids
    assert sync_was_running, "the sync had finished before `rules list` returned: no overlap was tested"
    assert proxy.calls[CREATE] > creates_when_listed  # the sync went on creating after the other command
    assert [o.status for o in result.outcomes] == [SyncStatus.CREATED] * RULES
    with ctx.store() as store:  # and its write-back landed once it was done
        assert all(s.sync.last_sync_status == SyncStatus.CREATED for s in store.load_rules())
