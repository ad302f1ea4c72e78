"""``alert_state`` and ``alert_evaluations``: the runtime's memory, so a new process neither forgets a
TRIGGERED alert nor notifies twice."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from lakealerts.runtime.state import AlertState
from lakealerts.sql.identifiers import quote
from lakealerts.store.store import Store
from lakealerts.store.tables import ALERT_EVALUATIONS, ALERT_STATE

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


def save_state(store: Store, state: AlertState) -> None:
    """Upsert one alert's state."""
    values = [getattr(state, c) if c != "value" else encode_value(state.value) for c in _STATE_COLUMNS]
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


def record_evaluation(
    store: Store,
    alert_id: str,
    evaluated_at: datetime,
    state: str,
    value: Any,
    error: str | None,
    duration_ms: float,
    notified: bool,
) -> None:
    """Append one evaluation to the history."""
    columns = ALERT_EVALUATIONS.column_names
    store.engine.execute(
        f"INSERT INTO {store.table(ALERT_EVALUATIONS)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})",
        [alert_id, evaluated_at, state, encode_value(value), error, duration_ms, notified],
    )
