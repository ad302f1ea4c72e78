"""The runtime's ports on the store: ``alert_state``, ``alert_evaluations`` and ``alert_notification_outbox`` —
the runtime's memory, so a new process neither forgets a TRIGGERED alert nor notifies twice."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from lakealerts.runtime import delivery
from lakealerts.runtime.messages import Message
from lakealerts.runtime.ports import Commit, DeliveryStatus, EvaluationRecord, OutboxEntry, Step
from lakealerts.runtime.state import AlertState, NotifyEvent
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


def preview_sql(store: Store) -> str:
    """SQL of whether an ``alert_evaluations`` row is a preview (``eval`` without --notify): its ``preview``
    column, NULL (an older row) counting as not; ``FALSE`` in a store older than the column (read-only
    sessions cannot add it; ``init`` and every evaluation do)."""
    columns = store.engine.table_columns(store.namespace.catalog, store.namespace.schema, ALERT_EVALUATIONS.name)
    present = {column.name.lower() for column in columns or ()}
    return "coalesce(preview, false)" if "preview" in present else "false"


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


StoreOpener = Callable[[], AbstractContextManager[Store]]
_OUTBOX_COLUMNS = ALERT_NOTIFICATION_OUTBOX.column_names


class StoreRuntime:
    """:class:`lakealerts.runtime.ports.RuntimeStore` on lakealerts' tables.

    Every call opens the store for itself and closes it before returning (``read`` for reads, ``write`` for
    writes): no process holds ``lakealerts.duckdb`` while it sends a message (DESIGN §10.1).
    """

    def __init__(self, write: StoreOpener, read: StoreOpener | None = None) -> None:
        self._write = write
        self._read = read or write

    def load_states(self, alert_ids: Iterable[str]) -> dict[str, AlertState]:
        """The remembered state of each id (UNKNOWN for ids never evaluated with --notify)."""
        with self._read() as store:
            return load_states(store, alert_ids)

    def commit(self, steps: Sequence[Step], now: datetime, *, retry_due: bool = True) -> Commit:
        """One transaction: history rows; states still as expected, with their messages; due retries claimed
        (one lease for all this round sends)."""
        with self._write() as store, store.engine.transaction():
            due, expired = _sweep(store, now) if retry_due else ([], [])
            current = _evaluated_at(store, [s.state.alert_id for s in steps if s.state is not None])
            accepted, fresh = set(), []
            _insert_evaluations(store, [step.record for step in steps])
            for step in steps:
                if step.state is not None and current.get(step.state.alert_id) == step.expected:
                    accepted.add(step.run.alert_id)
                    save_state(store, step.state)
                    fresh += step.messages
            hold = delivery.lease(len(fresh) + len(due))
            recorded = [delivery.claimed(e, now, hold) if e.status in delivery.RETRIABLE else e for e in fresh]
            claimed = [entry for entry in recorded if _insert_entry(store, entry)]
            retries = [_claim(store, entry, now, hold) for entry in due]
        return Commit(frozenset(accepted), retries, expired, claimed)

    def finish(self, entries: Sequence[OutboxEntry]) -> None:
        """Record each delivery's end; a sent message marks its evaluation ``notified``."""
        if not entries:
            return
        with self._write() as store, store.engine.transaction():
            for entry in entries:
                _update_entry(store, entry)
                if entry.status is DeliveryStatus.SENT and entry.evaluation_id:
                    store.engine.execute(
                        f"UPDATE {store.table(ALERT_EVALUATIONS)} SET notified = true WHERE evaluation_id = ?",
                        [entry.evaluation_id],
                    )

    def record(self, entries: Sequence[OutboxEntry]) -> None:
        """Insert messages decided outside a round (``destinations test``), each once."""
        with self._write() as store, store.engine.transaction():
            for entry in entries:
                _insert_entry(store, entry)

    def outbox(self, status: str | None = None, limit: int = 1000) -> list[OutboxEntry]:
        """The delivery record, newest first (``status`` filters)."""
        where, params = ("WHERE status = ?", [status]) if status else ("", [])
        with self._read() as store:
            rows = store.engine.execute(
                f"SELECT {_select()} FROM {store.table(ALERT_NOTIFICATION_OUTBOX)} {where} "
                "ORDER BY created_at DESC, id DESC LIMIT ?",
                [*params, limit],
            ).as_dicts()
        return [_entry(row) for row in rows]

    def claim(self, ids: Sequence[str] | None, now: datetime) -> list[OutboxEntry]:
        """Claim the named (or every) PENDING/FAILED message for an attempt now, due or not."""
        with self._write() as store, store.engine.transaction():
            chosen = [e for e in _retriable(store) if ids is None or e.id in set(ids)]
            hold = delivery.lease(len(chosen))
            return [_claim(store, e, now, hold) for e in chosen]


def _select() -> str:
    return ", ".join(quote(c) for c in _OUTBOX_COLUMNS)


def _retriable(store: Store) -> list[OutboxEntry]:
    """PENDING and FAILED messages; never a test message (`destinations test`), which is answered once."""
    rows = store.engine.execute(
        f"SELECT {_select()} FROM {store.table(ALERT_NOTIFICATION_OUTBOX)} WHERE status IN (?, ?) "
        "AND (event IS NULL OR event <> ?) ORDER BY created_at, id",
        [str(DeliveryStatus.PENDING), str(DeliveryStatus.FAILED), str(NotifyEvent.TEST)],
    ).as_dicts()
    return [_entry(row) for row in rows]


def _sweep(store: Store, now: datetime) -> tuple[list[OutboxEntry], list[OutboxEntry]]:
    """Give up the stale messages; return the due ones, to be claimed (inside the caller's transaction)."""
    due: list[OutboxEntry] = []
    expired: list[OutboxEntry] = []
    for entry in _retriable(store):
        if delivery.is_expired(entry, now):
            gone = delivery.expired(entry)
            _update_entry(store, gone)
            expired.append(gone)
        elif delivery.is_due(entry, now):
            due.append(entry)
    return due, expired


def _claim(store: Store, entry: OutboxEntry, now: datetime, hold: timedelta) -> OutboxEntry:
    claimed = delivery.claimed(entry, now, hold)
    _update_entry(store, claimed)
    return claimed


def _evaluated_at(store: Store, alert_ids: list[str]) -> dict[str, datetime | None]:
    """Each id's stored last_evaluated_at (None for ids never saved), read inside the commit."""
    return {alert_id: state.last_evaluated_at for alert_id, state in load_states(store, alert_ids).items()}


_ROWS_PER_INSERT = 500


def _insert_evaluations(store: Store, records: Sequence[EvaluationRecord]) -> None:
    """The round's history rows, a multi-row INSERT per 500 (one by one, the 29 rows of a round took 20 ms, most
    of the round's time beyond its queries; as one statement 3 ms)."""
    columns = ALERT_EVALUATIONS.column_names
    row = f"({', '.join('?' for _ in columns)})"
    for start in range(0, len(records), _ROWS_PER_INSERT):
        chunk = records[start : start + _ROWS_PER_INSERT]
        params: list[object] = []
        for record in chunk:
            values = _evaluation_values(record)
            params.extend(values[column] for column in columns)
        store.engine.execute(
            f"INSERT INTO {store.table(ALERT_EVALUATIONS)} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES {', '.join(row for _ in chunk)}",
            params,
        )


def _evaluation_values(record: EvaluationRecord) -> dict[str, object]:
    return {"alert_id": record.alert_id, "evaluated_at": record.evaluated_at, "state": str(record.state),
            "value": encode_value(record.value), "error": record.error, "duration_ms": record.duration_ms,
            "notified": record.notified, "evaluation_id": record.id or None, "preview": record.preview}  # fmt: skip


def _insert_entry(store: Store, entry: OutboxEntry) -> bool:
    """Insert a message once: the same id (a replayed decision) is never recorded — nor sent — twice."""
    table = store.table(ALERT_NOTIFICATION_OUTBOX)
    if store.engine.execute(f"SELECT 1 FROM {table} WHERE id = ?", [entry.id]).rows:
        return False
    marks = ", ".join("?" for _ in _OUTBOX_COLUMNS)
    store.engine.execute(f"INSERT INTO {table} ({_select()}) VALUES ({marks})", _row(entry))
    return True


def _update_entry(store: Store, entry: OutboxEntry) -> None:
    store.engine.execute(
        f"UPDATE {store.table(ALERT_NOTIFICATION_OUTBOX)} SET status = ?, attempts = ?, last_error = ?, "
        "sent_at = ?, next_attempt_at = ?, expires_at = ? WHERE id = ?",
        [
            str(entry.status),
            entry.attempts,
            entry.last_error,
            entry.sent_at,
            entry.next_attempt_at,
            entry.expires_at,
            entry.id,
        ],
    )


def _row(entry: OutboxEntry) -> list[Any]:
    payload = json.dumps(entry.message.to_dict(), default=str) if entry.message is not None else None
    values = {**vars(entry), "status": str(entry.status), "message_id": entry.id, "payload": payload}
    return [values.get(column) for column in _OUTBOX_COLUMNS]


def _entry(row: dict[str, Any]) -> OutboxEntry:
    payload = row.get("payload")
    message = Message.from_dict(json.loads(payload)) if payload else None
    return OutboxEntry(
        row["id"], row["alert_id"], row["channel"], row["type"], DeliveryStatus(row["status"]), row["attempts"],
        row["last_error"], row["created_at"], row["sent_at"], row["next_attempt_at"], row["event"] or "trigger",
        message, row["expires_at"], row["evaluation_id"],
    )  # fmt: skip
