"""``alert_sync_ownership`` (DESIGN §10.2): which Databricks alerts this store created or adopted, per host.

A row is written when a sync creates or adopts an alert (and refreshed with what it wrote), and removed when a
sync deletes it. ``rules delete`` leaves it, so the next sync still knows the alert is ours to retire.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lakealerts.sql.identifiers import quote
from lakealerts.store.store import Store
from lakealerts.store.tables import ALERT_CONFIGURATIONS, ALERT_SYNC_OWNERSHIP


@dataclass(frozen=True)
class OwnershipRecord:
    """One owned alert."""

    databricks_alert_id: str
    alert_id: str
    parent_path: str | None
    created_by_us: bool
    synced_alert: Mapping[str, Any] | None = None


def load_ownership(store: Store, host: str) -> dict[str, OwnershipRecord]:
    """The alerts this store owns on ``host``, by Databricks id — and, for stores synced before ownership was
    recorded, the ids its rules still carry (those alerts were made by this store)."""
    rows = store.engine.execute(
        f"SELECT databricks_alert_id, alert_id, parent_path, created_by_us, synced_alert "
        f"FROM {store.table(ALERT_SYNC_OWNERSHIP)} WHERE host = ?",
        [host],
    ).rows
    owned = {
        str(databricks_id): OwnershipRecord(
            str(databricks_id), str(alert_id), path, bool(ours), json.loads(synced) if synced else None
        )
        for databricks_id, alert_id, path, ours, synced in rows
    }
    legacy = store.engine.execute(
        f"SELECT databricks_alert_id, alert_id FROM {store.table(ALERT_CONFIGURATIONS)} "
        "WHERE databricks_alert_id IS NOT NULL"
    ).rows
    for databricks_id, alert_id in legacy:
        owned.setdefault(str(databricks_id), OwnershipRecord(str(databricks_id), str(alert_id), None, True))
    return owned


def record_ownership(store: Store, host: str, records: Sequence[OwnershipRecord], now: datetime) -> None:
    """Upsert owned alerts (created_by_us stays true once true)."""
    table = store.table(ALERT_SYNC_OWNERSHIP)
    for record in records:
        synced = json.dumps(record.synced_alert, sort_keys=True, default=str) if record.synced_alert else None
        key = [host, record.databricks_alert_id]
        store.engine.execute(f"DELETE FROM {table} WHERE host = ? AND databricks_alert_id = ?", key)
        columns = ", ".join(quote(c) for c in ALERT_SYNC_OWNERSHIP.column_names)
        store.engine.execute(
            f"INSERT INTO {table} ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [*key, record.alert_id, record.parent_path, record.created_by_us, now, synced],
        )


def forget_ownership(store: Store, host: str, databricks_alert_ids: Sequence[str]) -> None:
    """Drop the records of alerts a sync deleted."""
    for databricks_id in databricks_alert_ids:
        store.engine.execute(
            f"DELETE FROM {store.table(ALERT_SYNC_OWNERSHIP)} WHERE host = ? AND databricks_alert_id = ?",
            [host, databricks_id],
        )
