"""Enqueue: a decided message is written to ``<home>/outbox/`` and recorded PENDING before anything is sent.

Sending is :mod:`lakealerts.runtime.dispatch`'s job; between the two, the outbox record says what is owed.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lakealerts.runtime.channels import Channel, kind_of
from lakealerts.runtime.messages import Message
from lakealerts.runtime.ports import DeliveryStatus, OutboxEntry, OutboxStore
from lakealerts.runtime.state import NotifyEvent

_UNSAFE = re.compile(r"[^A-Za-z0-9_.@-]+")
DEFAULT_SENDER = "lakealerts@localhost"


@dataclass(frozen=True)
class Envelope:
    """A recorded message on its way: what to send, where, why, and the copy written for people."""

    entry: OutboxEntry
    channel: Channel
    message: Message
    event: NotifyEvent
    file: Path | None


@dataclass
class Outbox:
    """Records messages (``records``) and writes their copies (``directory``; None writes none)."""

    records: OutboxStore
    directory: Path | None
    sender: str = DEFAULT_SENDER  # the From of e-mails, also in the .eml copies

    def enqueue(self, channel: Channel, message: Message, event: NotifyEvent, now: datetime) -> Envelope:
        """File first, then the PENDING record: whatever happens next, the message is on record."""
        path = self._write_copy(channel, message, now)
        entry = OutboxEntry(str(uuid.uuid4()), message.alert_id, channel.name, channel.type.value,
                            DeliveryStatus.PENDING, 0, None, now)  # fmt: skip
        self.records.enqueue(entry)
        return Envelope(entry, channel, message, event, path)

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
