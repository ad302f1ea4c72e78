"""The outbox use cases: the delivery record (``outbox list``) and sending again now (``outbox retry``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lakealerts.app.context import AppContext
from lakealerts.app.evaluate import dispatcher, migrate
from lakealerts.errors import NotFoundError, UsageError
from lakealerts.runtime.ports import Delivery, DeliveryStatus, OutboxEntry
from lakealerts.runtime.state import NotifyEvent
from lakealerts.store.runtime import StoreRuntime


@dataclass(frozen=True)
class OutboxList:
    """Messages of the delivery record, newest first."""

    entries: list[OutboxEntry]

    def to_dict(self) -> list[dict[str, Any]]:
        """``outbox list --json`` (DESIGN §10.1)."""
        return [entry.to_dict() for entry in self.entries]


def list_outbox(ctx: AppContext, status: str | None = None, limit: int = 1000) -> OutboxList:
    """The delivery record (of one ``status``: PENDING, SENT, FAILED, EXPIRED or SKIPPED)."""
    chosen = _status(status)
    migrate(ctx)
    return OutboxList(_records(ctx).outbox(chosen, limit))


@dataclass(frozen=True)
class RetryResult:
    """How each message sent again now ended."""

    deliveries: list[Delivery]

    @property
    def failed(self) -> list[Delivery]:
        """The messages that failed again."""
        return [d for d in self.deliveries if d.status is DeliveryStatus.FAILED]

    def to_dict(self) -> list[dict[str, Any]]:
        """``outbox retry --json``: the messages' records after the attempt."""
        return [d.to_dict() for d in self.deliveries]


def retry(ctx: AppContext, message_ids: Sequence[str] | None) -> RetryResult:
    """Send the named PENDING/FAILED messages (``None``: all of them) now, whatever their age or back-off.

    NotFoundError names an id that is not in the outbox, or not PENDING/FAILED (with its status).
    """
    migrate(ctx)
    records = _records(ctx)
    if message_ids is not None:
        _check_retriable(records, message_ids)
    with ctx.store(read_only=True) as store:
        destinations = store.destinations_by_id(problems=[])
    now = ctx.now()
    claimed = records.claim(message_ids, now)
    sent = dispatcher(ctx).dispatch(claimed, destinations)
    records.finish(sent)
    return RetryResult(sent)


def _records(ctx: AppContext) -> StoreRuntime:
    return StoreRuntime(ctx.store, lambda: ctx.store(read_only=True))


def _check_retriable(records: StoreRuntime, message_ids: Sequence[str]) -> None:
    known = {entry.id: entry for entry in records.outbox(limit=1_000_000)}
    for message_id in message_ids:
        entry = known.get(message_id)
        if entry is None:
            raise NotFoundError(f"no message {message_id!r} in the outbox", hint="see `lakealerts outbox list`")
        if entry.event == NotifyEvent.TEST:
            raise UsageError(
                f"message {message_id} is a test message: it is answered once and never sent again",
                hint=f"send a new one: lakealerts destinations test {entry.channel}",
            )
        if entry.status is DeliveryStatus.SKIPPED:  # final (DESIGN §10.1): its channel was not configured then
            raise UsageError(
                f"message {message_id} is SKIPPED ({entry.last_error or 'its channel was not configured'}): a "
                "skipped message is final and is not sent later",
                hint=f"configure the channel, then check it with `lakealerts destinations test {entry.channel}`; "
                "the rule's next notification is sent through it",
            )
        if entry.status not in (DeliveryStatus.PENDING, DeliveryStatus.FAILED):
            raise UsageError(
                f"message {message_id} is {entry.status}: only PENDING and FAILED messages are sent again",
                hint="see `lakealerts outbox list --status FAILED`",
            )


def _status(status: str | None) -> str | None:
    if status is None:
        return None
    try:
        return DeliveryStatus(status.upper()).value
    except ValueError:
        choices = ", ".join(s.value for s in DeliveryStatus)
        raise UsageError(f"--status {status!r} is not a delivery status", hint=f"use one of {choices}") from None
