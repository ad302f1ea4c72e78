"""Enqueue: a decided message becomes an outbox entry (PENDING, claimed by the round that decided it, with its
stable id) and a copy under ``<home>/outbox/`` for people. The round commits the entry with the state change;
sending is :mod:`lakealerts.runtime.dispatch`'s job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from lakealerts.runtime import delivery
from lakealerts.runtime.channels import Channel, kind_of
from lakealerts.runtime.messages import Message
from lakealerts.runtime.ports import DeliveryStatus, OutboxEntry
from lakealerts.runtime.state import NotifyEvent

_UNSAFE = re.compile(r"[^A-Za-z0-9_.@-]+")
DEFAULT_SENDER = "lakealerts@localhost"


@dataclass
class Outbox:
    """Builds outbox entries and writes their copies to ``directory`` (None writes none: tests, backtests)."""

    directory: Path | None
    sender: str = DEFAULT_SENDER  # the From of e-mails, also in the .eml copies

    def enqueue(
        self, channel: Channel, message: Message, event: NotifyEvent, now: datetime
    ) -> tuple[OutboxEntry, Path | None]:
        """The entry (PENDING; the commit that records it claims it) and the copy written for people."""
        identified = replace(message, message_id=delivery.message_id(message.alert_id, now, channel.name, event))
        entry = OutboxEntry(identified.message_id, message.alert_id, channel.name, channel.type.value,
                            DeliveryStatus.PENDING, 0, None, now, event=str(event), message=identified)  # fmt: skip
        return entry, self._write_copy(channel, identified, now)  # claimed by the commit, on the wall clock

    def failed(self, channel: Channel, alert_id: str, event: NotifyEvent, now: datetime, error: str) -> OutboxEntry:
        """An entry for a message that could not even be rendered: FAILED, never retried, the reason kept."""
        entry_id = delivery.message_id(alert_id, now, channel.name, event)
        return OutboxEntry(entry_id, alert_id, channel.name, channel.type.value, DeliveryStatus.FAILED, 0, error, now,
                           event=str(event))  # fmt: skip

    def _write_copy(self, channel: Channel, message: Message, now: datetime) -> Path | None:
        if self.directory is None:
            return None
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        stem = f"{stamp}-{_UNSAFE.sub('_', message.alert_id)}-{_UNSAFE.sub('_', channel.name)}"
        suffix, content = kind_of(channel.type).copy(self.sender, channel, message)
        path = self.directory / f"{stem}{suffix}"
        path.write_bytes(content)
        return path
