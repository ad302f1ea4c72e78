"""A sync that changes nothing costs the API's floor (issue 19): the two list calls, the alerts at the largest
page size — counted at a proxy in front of the stand-in, the run built the way ``lakealerts sync --host`` builds
it (the lean client of ``sync/client.py``, the SDK's auth and retries)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lakealerts.app.context import AppContext, RemoteOptions
from lakealerts.app.settings import Settings
from lakealerts.app.setup import init_tables
from lakealerts.app.sync import sync_alerts
from lakealerts.serve import StandIn
from lakealerts.sync.policy import SyncOptions
from lakealerts.sync.remote import LIST_PAGE_SIZE
from lakealerts.sync.status import SyncStatus
from tests.builders import make_destinations, make_rule
from tests.faults import FaultProxy, counts_by_route, fault_proxy

pytestmark = pytest.mark.integration
TOKEN = "sync-calls-token-7c1e"
LISTS = {"GET /api/2.0/alerts": 1, "GET /api/2.0/notification-destinations": 1}


@dataclass
class Rig:
    """A home with rules, and a stand-in behind a counting proxy whose request paths (query included) are kept."""

    ctx: AppContext
    proxy: FaultProxy
    paths: list[str]

    def sync(self) -> list[tuple[str | None, SyncStatus]]:
        """One ``lakealerts sync --host <proxy>`` run; the outcomes, counted from a clean slate."""
        self.proxy.reset_counts()
        self.paths.clear()
        result = sync_alerts(self.ctx, RemoteOptions(host=self.proxy.url, timeout=10), SyncOptions())
        return [(o.alert_id, o.status) for o in result.outcomes]


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with StandIn.start(Settings(home=tmp_path / "standin"), TOKEN) as standin, fault_proxy(standin.url) as proxy:
        paths: list[str] = []
        counted = proxy.begin

        def begin(method: str, path: str) -> object:
            paths.append(f"{method} {path}")
            return counted(method, path)

        proxy.begin = begin  # type: ignore[method-assign,assignment]  # record, then count as ever
        ctx = AppContext(settings=Settings(home=tmp_path / "home"), env={"DATABRICKS_TOKEN": TOKEN})
        init_tables(ctx)
        with ctx.store() as store:
            store.upsert_rules([make_rule(alert_id=f"R-{i}", alert_name=f"Rule {i}") for i in range(3)], ctx.now())
        yield Rig(ctx, proxy, paths)


def test_a_sync_that_changes_nothing_makes_only_the_list_calls(rig: Rig) -> None:
    cold = rig.sync()
    assert [status for _, status in cold] == [SyncStatus.CREATED] * 3
    assert counts_by_route(rig.proxy)["POST /api/2.0/alerts"] == 3

    again = rig.sync()
    assert [status for _, status in again] == [SyncStatus.UNCHANGED] * 3
    assert dict(counts_by_route(rig.proxy)) == LISTS
    listing = [p for p in rig.paths if p.startswith("GET /api/2.0/alerts")]
    assert listing == [f"GET /api/2.0/alerts?page_size={LIST_PAGE_SIZE}"]


def test_an_enabled_destination_is_the_one_call_a_no_op_adds(rig: Rig) -> None:
    """DESIGN §5: secrets are write-only, so every enabled destination's config is re-sent each run."""
    (mail,) = make_destinations({"destination_id": "mail", "destination_type": "EMAIL",
                                 "config_json": {"addresses": ["ops@example.com"]}}).values()  # fmt: skip
    with rig.ctx.store() as store:
        store.upsert_destinations([mail], rig.ctx.now())
    rig.sync()
    rig.sync()
    assert dict(counts_by_route(rig.proxy)) == {**LISTS, "PATCH /api/2.0/notification-destinations/{id}": 1}
