"""The runtime's ports: where it keeps alert state, evaluation history and the outbox — and in-memory
implementations, so a unit test or a backtest can run the real rounds without writing anywhere.

The DuckDB store's implementation is :class:`lakealerts.store.runtime.StoreRuntime`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from lakealerts.runtime.state import AlertState, AlertStatus


class DeliveryStatus(StrEnum):
    """Where a message stands (DESIGN §10.1): recorded, then sent, failed, or deliberately skipped."""

    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"


@dataclass(frozen=True)
class EvaluationRecord:
    """One row of the evaluation history."""

    alert_id: str
    evaluated_at: datetime
    state: str
    value: Any
    error: str | None
    duration_ms: float
    notified: bool


@dataclass(frozen=True)
class OutboxEntry:
    """One message on one channel, as the outbox records it."""

    id: str
    alert_id: str
    channel: str
    type: str
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None = None


@dataclass(frozen=True)
class Delivery(OutboxEntry):
    """How one message's delivery ended (secrets never included), and the copy written for people."""

    file: Path | None = None


@dataclass
class RuleRun:
    """What one rule's evaluation gave, and where its messages went."""

    alert_id: str
    state: str
    value: Any
    error: str | None
    previous_state: str = AlertStatus.UNKNOWN
    deliveries: list[Delivery] = field(default_factory=list)
    undeliverable: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``{"alert_id", "state", "value", "error"}`` (DESIGN §7), plus where messages went."""
        return {
            "alert_id": self.alert_id,
            "state": self.state,
            "value": self.value,
            "error": self.error,
            "notifications": [_delivery_dict(d) for d in self.deliveries],
        }


def _delivery_dict(delivery: Delivery) -> dict[str, Any]:
    return {
        "channel": delivery.channel,
        "type": delivery.type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "error": delivery.last_error,
        "file": str(delivery.file),
    }


class StateStore(Protocol):
    """The remembered state of each alert between evaluations."""

    def load_states(self, alert_ids: Iterable[str]) -> dict[str, AlertState]:
        """Each id's state; UNKNOWN for ids never evaluated with notifications."""
        ...

    def save_state(self, state: AlertState) -> None:
        """Upsert one alert's state."""
        ...


class History(Protocol):
    """The evaluation history."""

    def record_evaluation(self, record: EvaluationRecord) -> None:
        """Append one evaluation."""
        ...


class OutboxStore(Protocol):
    """The delivery record: messages are enqueued PENDING, then finished SENT, FAILED or SKIPPED."""

    def enqueue(self, entry: OutboxEntry) -> None:
        """Record a message before anything is sent."""
        ...

    def finish(self, entry: OutboxEntry) -> None:
        """Record how a message's delivery ended (status, attempts, last error, sent_at)."""
        ...


class RuntimeStore(StateStore, History, OutboxStore, Protocol):
    """All three ports, as one store provides them."""


@dataclass
class MemoryRuntimeStore:
    """The runtime's memory in dictionaries: nothing is written anywhere (tests, backtests)."""

    states: dict[str, AlertState] = field(default_factory=dict)
    evaluations: list[EvaluationRecord] = field(default_factory=list)
    outbox: dict[str, OutboxEntry] = field(default_factory=dict)

    def load_states(self, alert_ids: Iterable[str]) -> dict[str, AlertState]:
        """Each id's state; UNKNOWN for ids never saved."""
        return {alert_id: self.states.get(alert_id, AlertState(alert_id)) for alert_id in alert_ids}

    def save_state(self, state: AlertState) -> None:
        """Keep ``state`` (frozen: no copy needed)."""
        self.states[state.alert_id] = state

    def record_evaluation(self, record: EvaluationRecord) -> None:
        """Append one evaluation."""
        self.evaluations.append(record)

    def enqueue(self, entry: OutboxEntry) -> None:
        """Record a PENDING message."""
        self.outbox[entry.id] = entry

    def finish(self, entry: OutboxEntry) -> None:
        """Replace the message's record with its outcome."""
        self.outbox[entry.id] = replace(self.outbox.get(entry.id, entry), **_outcome(entry))


def _outcome(entry: OutboxEntry) -> dict[str, Any]:
    return {
        "status": entry.status,
        "attempts": entry.attempts,
        "last_error": entry.last_error,
        "sent_at": entry.sent_at,
    }
