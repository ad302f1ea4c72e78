"""The runtime's ports on the store: ``alert_state``, ``alert_evaluations`` and ``alert_notification_outbox`` —
the runtime's memory, so a new process neither forgets a TRIGGERED alert nor notifies twice."""

from __future__ import annotations

import json
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from lakealerts.runtime.ports import EvaluationRecord, OutboxEntry
from lakealerts.runtime.state import AlertState
from lakealerts.sql.identifiers import quote
from lakealerts.store.store import Store
from lakealerts.store.tables import ALERT_EVALUATIONS, ALERT_NOTIFICATION_OUTBOX, ALERT_STATE

_STATE_COLUMNS = ALERT_STATE.column_names


def encode_value(value: Any) -> str | None:
    """Operand values are stored as JSON text (numbers, strings, booleans alike)."""
    return None if value is None else json.dumps(value, default=str)


def decode_value(text: str | None) -> Any:
    """The inverse of ``encode_value``."""
    return None if text is None else json.loads(text)


def load_states(store: Store, alert_ids: Iterable[str]) -> dict[str, AlertState]:
    """The remembered state of each id (UNKNOWN for ids never evaluated with --notify)."""
    ids = list(dict.fromkeys(alert_ids))
    states = {alert_id: AlertState(alert_id) for alert_id in ids}
    if not ids:
        return states
    marks = ", ".join("?" for _ in ids)
    rows = store.engine.execute(
        f"SELECT {', '.join(quote(c) for c in _STATE_COLUMNS)} FROM {store.table(ALERT_STATE)} "
        f"WHERE alert_id IN ({marks})",
        ids,
    ).as_dicts()
    for row in rows:
        row["value"] = decode_value(row["value"])
        row["last_stable_state"] = row["last_stable_state"] or "UNKNOWN"
        states[row["alert_id"]] = AlertState(**row)
    return states


def _column_value(state: AlertState, column: str) -> Any:
    value = getattr(state, column)
    if column == "value":
        return encode_value(value)
    return str(value) if isinstance(value, StrEnum) else value  # the driver binds plain strings


def save_state(store: Store, state: AlertState) -> None:
    """Upsert one alert's state."""
    values = [_column_value(state, c) for c in _STATE_COLUMNS]
    types = {c.name: c.type for c in ALERT_STATE.columns}
    source = ", ".join(f"CAST(? AS {types[c]}) AS {quote(c)}" for c in _STATE_COLUMNS)
    updates = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in _STATE_COLUMNS if c != "alert_id")
    inserts = ", ".join(f"s.{quote(c)}" for c in _STATE_COLUMNS)
    store.engine.execute(
        f"MERGE INTO {store.table(ALERT_STATE)} AS t USING (SELECT {source}) AS s ON t.alert_id = s.alert_id "
        f"WHEN MATCHED THEN UPDATE SET {updates} "
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(quote(c) for c in _STATE_COLUMNS)}) VALUES ({inserts})",
        values,
    )


class StoreRuntime:
    """:class:`lakealerts.runtime.ports.RuntimeStore` on lakealerts' tables."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def load_states(self, alert_ids: Iterable[str]) -> dict[str, AlertState]:
        """The remembered state of each id (UNKNOWN for ids never evaluated with --notify)."""
        return load_states(self.store, alert_ids)

    def save_state(self, state: AlertState) -> None:
        """Upsert one alert's state."""
        save_state(self.store, state)

    def record_evaluation(self, record: EvaluationRecord) -> None:
        """Append one evaluation to the history."""
        columns = ALERT_EVALUATIONS.column_names
        self.store.engine.execute(
            f"INSERT INTO {self.store.table(ALERT_EVALUATIONS)} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})",
            [record.alert_id, record.evaluated_at, str(record.state), encode_value(record.value), record.error,
             record.duration_ms, record.notified],
        )  # fmt: skip

    def enqueue(self, entry: OutboxEntry) -> None:
        """Insert the message's row (PENDING) before anything is sent."""
        columns = ("id", "alert_id", "channel", "type", "status", "attempts", "created_at")
        self.store.engine.execute(
            f"INSERT INTO {self.store.table(ALERT_NOTIFICATION_OUTBOX)} ({', '.join(quote(c) for c in columns)}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [entry.id, entry.alert_id, entry.channel, entry.type, str(entry.status), entry.attempts,
             entry.created_at],
        )  # fmt: skip

    def finish(self, entry: OutboxEntry) -> None:
        """Record how the delivery ended."""
        self.store.engine.execute(
            f"UPDATE {self.store.table(ALERT_NOTIFICATION_OUTBOX)} "
            "SET status = ?, attempts = ?, last_error = ?, sent_at = ? WHERE id = ?",
            [str(entry.status), entry.attempts, entry.last_error, entry.sent_at, entry.id],
        )
