"""What a sync reads and writes of its own: the rules' sync columns (read raw for rows the model rejects), rule
outcomes (one MERGE), destination ids, and one ``alert_sync_metrics`` row."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from lakealerts.sql.identifiers import quote
from lakealerts.store.store import Store
from lakealerts.store.tables import ALERT_CONFIGURATIONS, ALERT_SYNC_METRICS, NOTIFICATION_DESTINATIONS
from lakealerts.sync.status import SyncStatus

_WRITE_BACK = ("databricks_alert_id", "databricks_display_name", "last_synced_at", "last_sync_status",
               "last_sync_error")  # fmt: skip


@dataclass(frozen=True)
class RuleWriteBack:
    """The sync columns of one rule after a run."""

    alert_id: str
    databricks_alert_id: str | None
    databricks_display_name: str | None
    status: SyncStatus  # stored as its name in last_sync_status
    error: str | None


def load_sync_ids(store: Store, alert_ids: Sequence[str]) -> list[tuple[str, str | None, str | None]]:
    """``(alert_id, databricks_alert_id, databricks_display_name)`` of the given rules, read from the columns
    themselves: what a sync still knows of a row the model rejects."""
    if not alert_ids:
        return []
    marks = ", ".join("?" for _ in alert_ids)
    rows = store.engine.execute(
        f"SELECT alert_id, databricks_alert_id, databricks_display_name FROM "
        f"{store.table(ALERT_CONFIGURATIONS)} WHERE alert_id IN ({marks})",
        list(alert_ids),
    ).rows
    return [(str(alert_id), databricks_id, name) for alert_id, databricks_id, name in rows]


def write_back_rules(store: Store, rows: Sequence[RuleWriteBack], now: datetime) -> None:
    """One MERGE of every rule's sync columns (a VALUES source with all rows, values as parameters)."""
    if not rows:
        return
    types = {"alert_id": "STRING", "databricks_alert_id": "STRING", "databricks_display_name": "STRING",
             "last_synced_at": "TIMESTAMP", "last_sync_status": "STRING", "last_sync_error": "STRING"}  # fmt: skip
    columns = ("alert_id", *_WRITE_BACK)
    row_sql = "(" + ", ".join(f"CAST(? AS {types[c]})" for c in columns) + ")"
    params = [
        value
        for row in rows
        for value in (row.alert_id, row.databricks_alert_id, row.databricks_display_name, now, row.status, row.error)
    ]
    names = ", ".join(quote(c) for c in columns)
    updates = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in _WRITE_BACK)
    store.engine.execute(
        f"MERGE INTO {store.table(ALERT_CONFIGURATIONS)} AS t "
        f"USING (SELECT * FROM (VALUES {', '.join(row_sql for _ in rows)}) AS v({names})) AS s "
        f"ON t.alert_id = s.alert_id WHEN MATCHED THEN UPDATE SET {updates}",
        params,
    )


def write_destination_ids(store: Store, ids: dict[str, str | None]) -> None:
    """Store each destination's Databricks id (None after a delete), in one transaction."""
    if ids:
        store.engine.execute_many(
            f"UPDATE {store.table(NOTIFICATION_DESTINATIONS)} SET databricks_destination_id = ? "
            "WHERE destination_id = ?",
            [[databricks_id, destination_id] for destination_id, databricks_id in ids.items()],
        )


@dataclass(frozen=True)
class SyncMetrics:
    """One row of ``alert_sync_metrics``."""

    sync_run_id: str
    sync_started_at: datetime
    sync_ended_at: datetime
    total_alerts: int
    success_count: int
    error_count: int
    created_count: int
    updated_count: int
    deleted_count: int
    skipped_count: int
    avg_api_latency_ms: float
    max_api_latency_ms: float
    min_api_latency_ms: float
    p95_api_latency_ms: float
    total_duration_seconds: float
    dry_run: bool
    catalog: str
    gold_schema: str
    error_summary: str | None


def latency_stats(latencies_ms: Sequence[float]) -> tuple[float, float, float, float]:
    """(avg, max, min, p95 by nearest rank); zero calls give zeros."""
    if not latencies_ms:
        return 0.0, 0.0, 0.0, 0.0
    ordered = sorted(latencies_ms)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    return sum(ordered) / len(ordered), ordered[-1], ordered[0], p95


def record_metrics(store: Store, metrics: SyncMetrics) -> None:
    """Append the run's metrics row."""
    columns = ALERT_SYNC_METRICS.column_names
    values = [getattr(metrics, column) for column in columns]
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join("?" for _ in columns)
    store.engine.execute(f"INSERT INTO {store.table(ALERT_SYNC_METRICS)} ({names}) VALUES ({marks})", values)
