"""Test data and runtimes, built one way for every test: rules, destinations, and the runtime over a store.

Builders return real model objects (parsed like an import), so a test never holds a rule the model would
reject; ``**overrides`` change any column.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lakealerts.documents import parse_destinations, parse_rules
from lakealerts.model import AlertRule, NotificationDestination
from lakealerts.runtime.channels import Transport
from lakealerts.runtime.dispatch import Dispatcher
from lakealerts.runtime.outbox import Outbox
from lakealerts.runtime.ports import RuleRun
from lakealerts.runtime.query import EngineQuery
from lakealerts.runtime.round import Runtime
from lakealerts.store.runtime import StoreRuntime
from lakealerts.store.store import Store

BASE_RULE: dict[str, Any] = {
    "alert_id": "BASE-1",
    "alert_name": "Base",
    "agent_domain": "COST",
    "severity": "WARNING",
    "alert_query_template": "SELECT value AS value, 1 AS other FROM ${catalog}.${gold_schema}.t",
    "threshold_column": "value",
    "threshold_operator": ">",
    "threshold_value_type": "DOUBLE",
    "threshold_value_double": 1,
    "schedule_cron": "0 0 * * * ?",
    "owner": "o@example.com",
}


def make_rule(**overrides: Any) -> AlertRule:
    """A valid rule: ``BASE_RULE`` with ``overrides`` (a None value removes the key)."""
    document = {**BASE_RULE, **overrides}
    report = parse_rules([{k: v for k, v in document.items() if v is not None}])
    assert report.problems == [], report.problems
    return report.valid[0]


def make_destinations(*documents: Mapping[str, Any]) -> dict[str, NotificationDestination]:
    """Destinations by id; ``destination_name`` defaults to the id and ``owner`` to ``o``."""
    report = parse_destinations([{"destination_name": d["destination_id"], "owner": "o", **d} for d in documents])
    assert not report.problems, report.problems
    return {d.destination_id: d for d in report.valid}


def store_runtime(
    store: Store,
    *,
    outbox_dir: Path | None = None,
    transport: Transport | None = None,
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = lambda _seconds: None,
    sender: str = "lakealerts@localhost",
    query_timeout: float | None = None,
) -> Runtime:
    """The runtime on an open ``store``; with a ``transport`` it notifies (copies in ``outbox_dir``), else previews."""
    records = StoreRuntime(lambda: nullcontext(store))
    query = EngineQuery(store.engine, store.namespace, query_timeout)
    if transport is None:
        return Runtime(query, records)
    dispatcher = Dispatcher(transport, dict(env or {}), lambda: datetime.now(UTC), sleep=sleep)
    return Runtime(query, records, Outbox(outbox_dir, sender=sender), dispatcher)


def run_round(
    store: Store,
    rules: Sequence[AlertRule],
    destinations: Mapping[str, NotificationDestination],
    now: datetime,
    *,
    at: datetime | None = None,
    runtime: Runtime | None = None,
) -> list[RuleRun]:
    """One round on ``store`` (a preview unless ``runtime`` notifies)."""
    return (runtime or store_runtime(store)).round(rules, destinations, now, at)
