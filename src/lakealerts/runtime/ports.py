"""The runtime's ports: where it keeps alert state, evaluation history and the outbox — and an in-memory
implementation, so a unit test or a backtest runs the real rounds without writing anywhere.

A round *commits* each rule's step (history row, new state and the messages it decided, recorded PENDING) in
one write, then sends with that write closed, then *finishes* the messages, marking the evaluations whose
message went out as ``notified`` (DESIGN §10.1). The DuckDB store's
implementation is :class:`lakealerts.store.runtime.StoreRuntime`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from lakealerts.runtime.messages import Message
from lakealerts.runtime.state import AlertState, AlertStatus


class DeliveryStatus(StrEnum):
    """Where a message stands (DESIGN §10.1): recorded, sent, failed (retried), given up, or deliberately skipped."""

    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"
    SKIPPED = "SKIPPED"


@dataclass(frozen=True)
class EvaluationRecord:
    """One row of the evaluation history; ``id`` lets a message sent later mark it ``notified``; ``preview``: a
    round that advanced no state and sent nothing (its state is not the rule's, and no transition)."""

    alert_id: str
    evaluated_at: datetime
    state: str
    value: Any
    error: str | None
    duration_ms: float
    notified: bool
    id: str = ""
    preview: bool = False


@dataclass(frozen=True)
class OutboxEntry:
    """One message on one channel, as the outbox records it; ``id`` is its stable ``message_id``."""

    id: str
    alert_id: str
    channel: str
    type: str
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None = None
    next_attempt_at: datetime | None = None
    event: str = "trigger"
    message: Message | None = None  # what is sent; None only for rows written before the outbox kept it
    expires_at: datetime | None = None  # wall clock: 24 h after the message was recorded
    evaluation_id: str | None = None  # the history row whose ``notified`` a sent message sets

    @property
    def message_id(self) -> str:
        """The id receivers de-duplicate on (the row's key)."""
        return self.id

    def to_dict(self) -> dict[str, Any]:
        """``outbox list --json``: DESIGN §10.1's shape."""
        return {
            "message_id": self.id,
            "alert_id": self.alert_id,
            "channel": self.channel,
            "type": self.type,
            "status": self.status,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "created_at": self.created_at,
            "sent_at": self.sent_at,
            "next_attempt_at": self.next_attempt_at,
            "event": self.event,  # trigger, ok, resolve — or test (``destinations test``)
        }


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


@dataclass
class RoundResult:
    """A round's runs, and the earlier messages it sent again or gave up."""

    runs: list[RuleRun]
    retried: list[Delivery]
    expired: int = 0


@dataclass
class Step:
    """One rule's evaluation, ready to commit: the history row, and when notifying, the new state (saved only
    if the stored one is still ``expected``: two runtimes never both act on one transition) and its messages."""

    run: RuleRun
    record: EvaluationRecord
    state: AlertState | None = None
    expected: datetime | None = None  # the last_evaluated_at the decision was made from
    messages: list[OutboxEntry] = field(default_factory=list)


@dataclass(frozen=True)
class Commit:
    """What a commit did: the steps whose state was saved (their messages recorded and claimed), and the
    earlier messages it claimed for another attempt or gave up."""

    accepted: frozenset[str]
    retries: list[OutboxEntry] = field(default_factory=list)
    expired: list[OutboxEntry] = field(default_factory=list)
    claimed: list[OutboxEntry] = field(default_factory=list)  # the accepted steps' messages, as recorded


class RuntimeStore(Protocol):
    """State, history and outbox, written together (DESIGN §10.1)."""

    def load_states(self, alert_ids: Iterable[str]) -> dict[str, AlertState]:
        """Each id's state; UNKNOWN for ids never evaluated with notifications."""
        ...

    def commit(self, steps: Sequence[Step], now: datetime, *, retry_due: bool = True) -> Commit:
        """In one write: every step's history row; its state and messages (claimed) when the stored state is the
        one it was decided from; with ``retry_due``, claim the messages due again and expire the stale ones.
        ``now`` is the wall clock (claims, expiry), not the instant the rules were evaluated as of."""
        ...

    def finish(self, entries: Sequence[OutboxEntry]) -> None:
        """Record how deliveries ended (status, attempts, error, sent_at, next attempt); a sent message marks
        its evaluation ``notified``."""
        ...

    def outbox(self, status: str | None = None, limit: int = 1000) -> list[OutboxEntry]:
        """The delivery record, newest first."""
        ...

    def claim(self, ids: Sequence[str] | None, now: datetime) -> list[OutboxEntry]:
        """Claim the named PENDING/FAILED messages (all of them with None) for an attempt now, due or not."""
        ...


@dataclass
class MemoryRuntimeStore:
    """The runtime's memory in dictionaries: nothing is written anywhere (tests, backtests)."""

    states: dict[str, AlertState] = field(default_factory=dict)
    evaluations: list[EvaluationRecord] = field(default_factory=list)
    messages: dict[str, OutboxEntry] = field(default_factory=dict)

    def load_states(self, alert_ids: Iterable[str]) -> dict[str, AlertState]:
        """Each id's state; UNKNOWN for ids never saved."""
        return {alert_id: self.states.get(alert_id, AlertState(alert_id)) for alert_id in alert_ids}

    def commit(self, steps: Sequence[Step], now: datetime, *, retry_due: bool = True) -> Commit:
        """Apply the steps (same rules as the store: a stale expectation saves nothing but history)."""
        from lakealerts.runtime import delivery  # the policy module imports this one

        retries: list[OutboxEntry] = []
        expired: list[OutboxEntry] = []
        if retry_due:
            for entry in list(self.messages.values()):
                if delivery.is_expired(entry, now):
                    expired.append(self._put(delivery.expired(entry)))
                elif delivery.is_due(entry, now):
                    retries.append(entry)
        accepted, fresh = set(), []
        for step in steps:
            self.evaluations.append(step.record)
            if step.state is not None and self._current(step.state.alert_id) == step.expected:
                accepted.add(step.run.alert_id)
                self.states[step.state.alert_id] = step.state
                fresh += [m for m in step.messages if m.id not in self.messages]
        hold = delivery.lease(len(fresh) + len(retries))
        claimed = [self._put(delivery.claimed(e, now, hold) if e.status in delivery.RETRIABLE else e) for e in fresh]
        retries = [self._put(delivery.claimed(entry, now, hold)) for entry in retries]
        return Commit(frozenset(accepted), retries, expired, claimed)

    def finish(self, entries: Sequence[OutboxEntry]) -> None:
        """Replace each message's record with its outcome; a sent one marks its evaluation notified."""
        for entry in entries:
            self._put(_recorded(entry))
            if entry.status is DeliveryStatus.SENT and entry.evaluation_id:
                self.evaluations = [replace(e, notified=True) if e.id == entry.evaluation_id else e
                                    for e in self.evaluations]  # fmt: skip

    def outbox(self, status: str | None = None, limit: int = 1000) -> list[OutboxEntry]:
        """The messages, newest first."""
        chosen = [e for e in self.messages.values() if status is None or e.status == status]
        return sorted(chosen, key=lambda e: (e.created_at, e.id), reverse=True)[:limit]

    def claim(self, ids: Sequence[str] | None, now: datetime) -> list[OutboxEntry]:
        """Claim the named (or all) retriable messages."""
        from lakealerts.runtime import delivery

        wanted = set(ids) if ids is not None else None
        chosen = [e for e in self.messages.values() if e.status in delivery.RETRIABLE
                  and (wanted is None or e.id in wanted)]  # fmt: skip
        hold = delivery.lease(len(chosen))
        return [self._put(delivery.claimed(entry, now, hold)) for entry in chosen]

    def _current(self, alert_id: str) -> datetime | None:
        state = self.states.get(alert_id)
        return state.last_evaluated_at if state else None

    def _put(self, entry: OutboxEntry) -> OutboxEntry:
        self.messages[entry.id] = entry
        return entry


def _recorded(entry: OutboxEntry) -> OutboxEntry:
    """A Delivery as the outbox records it (the file copy is not part of the record)."""
    if isinstance(entry, Delivery):
        fields = {name: getattr(entry, name) for name in OutboxEntry.__dataclass_fields__}
        return OutboxEntry(**fields)
    return entry
