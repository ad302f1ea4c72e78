"""``demo-data --days N``: the demo gold layer with its incidents repeated every week of the last N days, so a
backtest (DESIGN §12) has several incidents to find, on documented days.

The incident days are the as-of day and every 7th day before it within the last N days (N = 30: as-of, -7, -14,
-21, -28). The layer is generated for the as-of day as usual; then, for each earlier incident day D, the layer
generated *as of D* is written to a scratch schema and its rows of D and the day before (where the incidents of
an as-of day live: the runaway cluster bills the day before) replace those days' rows. Deterministic in
(rows, as_of, days); without ``--days`` nothing here runs and the layer is exactly ``demo-data``'s.

Repeated incidents are not independent, which is what a backtest shows (README, "Backtesting"): SEC-005 (a source
IP unseen in 30 days) fires at the first incident only; QUAL-004 (schema drift) fires on each incident day and the
day after (the column count goes back); COST-003 (tag coverage over 30 days) drifts below 80 % as the runaway
cluster's untagged spend accumulates. So the as-of day's documented fire set holds for plain ``demo-data`` only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from lakealerts.demo.generator import DEMO_TABLES, DemoReport, generate
from lakealerts.demo.model import HISTORY_DAYS, DemoPlan
from lakealerts.engines.base import Engine
from lakealerts.errors import UsageError
from lakealerts.sql.identifiers import Namespace, quote

INCIDENT_EVERY_DAYS = 7
MIN_DAYS, MAX_DAYS = 1, HISTORY_DAYS  # the layer's history is HISTORY_DAYS long
# The column that says which day a row belongs to, per demo table.
DAY_COLUMNS = {
    "billing_usage": "usage_date",
    "audit_log": "event_date",
    "query_history": "start_time",
    "node_utilization": "start_time",
    "job_run_timeline": "period_start_time",
    "pipeline_update_timeline": "period_start_time",
    "streaming_progress": "progress_time",
    "table_quality_metrics": "metric_date",
}
_SCRATCH_SUFFIX = "__lakealerts_incident"


@dataclass(frozen=True)
class HistoryReport:
    """The layer written and the days its incidents happen on (newest first)."""

    report: DemoReport
    days: int
    incident_days: list[date] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``demo-data --days N --json`` adds ``days`` and ``incident_days`` to the layer's document."""
        return {
            **self.report.to_dict(),
            "days": self.days,
            "incident_days": [d.isoformat() for d in self.incident_days],
        }


def incident_days(as_of: date, days: int) -> list[date]:
    """The as-of day and every 7th day before it within the last ``days`` days, newest first."""
    if not MIN_DAYS <= days <= MAX_DAYS:
        hint = f"use at most {MAX_DAYS} days: the gold layer's history is {HISTORY_DAYS} days"
        raise UsageError(f"--days {days} is out of range for the gold layer", hint=hint)
    return [as_of - timedelta(days=back) for back in range(0, days, INCIDENT_EVERY_DAYS)]


def generate_history(
    engine: Engine,
    namespace: Namespace,
    plan: DemoPlan,
    days: int,
    progress: Callable[[str], None] | None = None,
) -> HistoryReport:
    """The layer for ``plan`` with its incidents on :func:`incident_days` as well."""
    chosen = incident_days(plan.as_of, days)
    report = generate(engine, namespace, plan, progress)
    scratch = Namespace(namespace.catalog, namespace.schema + _SCRATCH_SUFFIX)
    try:
        for day in chosen[1:]:
            if progress is not None:
                progress(f"replaying the incidents on {day.isoformat()} …")
            generate(engine, scratch, DemoPlan(plan.rows, day))
            for table in DEMO_TABLES:
                _splice(engine, namespace, scratch, table.name, day)
    finally:
        engine.execute(f"DROP SCHEMA IF EXISTS {scratch.qualified} CASCADE")
    for table in DEMO_TABLES:
        count = engine.execute(f"SELECT COUNT(*) AS n FROM {namespace.table(table.name)}").rows[0][0]
        report.table_rows[table.name] = int(count)
    return HistoryReport(report, days, chosen)


def _splice(engine: Engine, target: Namespace, source: Namespace, table: str, day: date) -> None:
    """Replace ``table``'s rows of ``day`` and the day before with ``source``'s rows of those days."""
    within = f"CAST({quote(DAY_COLUMNS[table])} AS DATE) BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)"
    window = [(day - timedelta(days=1)).isoformat(), day.isoformat()]
    engine.execute(f"DELETE FROM {target.table(table)} WHERE {within}", window)
    engine.execute(f"INSERT INTO {target.table(table)} SELECT * FROM {source.table(table)} WHERE {within}", window)
