"""``demo-data --days N`` (the gold layer's incidents every 7th day): the documented days, and that a backtest of
the pre-built rules finds the incidents there and nowhere near."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lakealerts import catalog
from lakealerts.backtest.queries import run_queries
from lakealerts.demo.history import generate_history, incident_days
from lakealerts.demo.model import DemoPlan
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.errors import UsageError
from lakealerts.runtime.query import EngineQuery
from lakealerts.sql.identifiers import Namespace

pytestmark = pytest.mark.integration

AS_OF = date(2026, 3, 10)
NAMESPACE = Namespace("monitoring", "gold")


def test_incident_days_are_weekly_within_the_range() -> None:
    assert incident_days(AS_OF, 30) == [date(2026, 3, 10), date(2026, 3, 3), date(2026, 2, 24), date(2026, 2, 17),
                                        date(2026, 2, 10)]  # fmt: skip
    assert incident_days(AS_OF, 7) == [AS_OF]
    with pytest.raises(UsageError, match="--days 36"):
        incident_days(AS_OF, 36)


def test_the_incidents_happen_on_the_documented_days() -> None:
    engine = DuckDBEngine.memory("monitoring")
    try:
        history = generate_history(engine, NAMESPACE, DemoPlan(1_000, AS_OF), 15)
        assert history.incident_days == [AS_OF, AS_OF - timedelta(days=7), AS_OF - timedelta(days=14)]
        assert "monitoring.gold__lakealerts_incident" not in str(
            engine.execute("SELECT schema_name FROM information_schema.schemata").rows
        )  # the scratch schema is gone
        rules = {rule.alert_id: rule for rule in catalog.load_rules()}
        query = EngineQuery(engine, NAMESPACE)
        days = [AS_OF - timedelta(days=back) for back in range(16)]
        at_eight = [datetime(d.year, d.month, d.day, 8, tzinfo=UTC) for d in sorted(days)]
        for alert_id in ("SEC-001", "REL-002", "PERF-003", "COST-001"):
            run = run_queries(query, rules[alert_id], at_eight)
            fired = {
                at.date() for at, o in zip(at_eight, run.outcomes, strict=True) if o.evaluation.state == "TRIGGERED"
            }
            assert fired == set(history.incident_days), alert_id
        new_ip = run_queries(query, rules["SEC-005"], at_eight)
        fired = [
            at.date() for at, o in zip(at_eight, new_ip.outcomes, strict=True) if o.evaluation.state == "TRIGGERED"
        ]
        assert fired == [AS_OF - timedelta(days=14)]  # an IP is new only the first time it is seen
    finally:
        engine.close()
