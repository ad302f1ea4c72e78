"""The outbox: every message is written to ``<home>/outbox/`` and to ``alert_notification_outbox``, then sent
with 3 attempts (back-off 1 s, 2 s). A failing channel never blocks another (DESIGN §7 delivery).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from lakealerts.model import DestinationType
from lakealerts.runtime.channels import Channel, SkippedDelivery, Transport, email_message, webhook_payload
from lakealerts.runtime.messages import Message
from lakealerts.secrets import SecretReader, SecretResolutionError, resolve_config
from lakealerts.sql.identifiers import quote
from lakealerts.store.store import Store
from lakealerts.store.tables import ALERT_NOTIFICATION_OUTBOX

ATTEMPTS = 3
BACKOFF_SECONDS = (1.0, 2.0)
_UNSAFE = re.compile(r"[^A-Za-z0-9_.@-]+")


@dataclass(frozen=True)
class Delivery:
    """One message on one channel: its final status, attempts and the last error (secrets never included)."""

    id: str
    alert_id: str
    channel: str
    type: str
    status: str  # SENT | FAILED | SKIPPED
    attempts: int
    last_error: str | None
    file: Path


@dataclass
class Outbox:
    """Writes, records and sends messages; ``sleep`` and ``backoff`` are injectable for tests."""

    store: Store
    directory: Path
    transport: Transport
    env: Mapping[str, str]
    secret_reader: SecretReader | None = None
    backoff: tuple[float, ...] = BACKOFF_SECONDS
    sender: str = "lakealerts@localhost"  # the From of e-mails, also in the outbox's .eml copies
    sleep: Callable[[float], None] = field(default=time.sleep)

    def deliver(self, channel: Channel, message: Message, event: str, now: datetime) -> Delivery:
        """File first, then the table row, then up to 3 attempts; the row ends SENT, FAILED or SKIPPED."""
        delivery_id = str(uuid.uuid4())
        path = self._write_file(channel, message, now)
        self._insert(delivery_id, message.alert_id, channel, now)
        status, attempts, error = self._attempts(channel, message, event)
        sent_at = datetime.now(UTC) if status == "SENT" else None
        self._finish(delivery_id, status, attempts, error, sent_at)
        return Delivery(delivery_id, message.alert_id, channel.name, channel.type.value, status, attempts, error, path)

    def _attempts(self, channel: Channel, message: Message, event: str) -> tuple[str, int, str | None]:
        try:
            config = resolve_config(channel.config, f"destination {channel.name}", self.env, self.secret_reader)
        except SecretResolutionError as unresolved:  # retrying cannot help: fail this channel at once
            return "FAILED", 1, str(unresolved)
        error: str | None = None
        for attempt in range(1, ATTEMPTS + 1):
            try:
                self.transport.send(channel, config, message, event)
                return "SENT", attempt, None
            except SkippedDelivery as skipped:
                return "SKIPPED", attempt, str(skipped)
            except Exception as failure:  # any transport failure is retried, then recorded
                error = scrub(f"{type(failure).__name__}: {failure}", config)
            if attempt < ATTEMPTS:
                self.sleep(self.backoff[min(attempt - 1, len(self.backoff) - 1)])
        return "FAILED", ATTEMPTS, error

    def _write_file(self, channel: Channel, message: Message, now: datetime) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        stem = f"{stamp}-{_UNSAFE.sub('_', message.alert_id)}-{_UNSAFE.sub('_', channel.name)}"
        if channel.type is DestinationType.EMAIL:
            path = self.directory / f"{stem}.eml"
            recipients = [str(a) for a in channel.config.get("addresses", [])]
            path.write_bytes(bytes(email_message(self.sender, recipients, message)))
        else:
            path = self.directory / f"{stem}.json"
            document = {"channel": channel.name, "type": channel.type.value, **webhook_payload(message)}
            path.write_text(json.dumps(document, indent=2, default=str), encoding="utf-8")
        return path

    def _insert(self, delivery_id: str, alert_id: str, channel: Channel, now: datetime) -> None:
        table = self.store.table(ALERT_NOTIFICATION_OUTBOX)
        columns = ("id", "alert_id", "channel", "type", "status", "attempts", "created_at")
        self.store.engine.execute(
            f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [delivery_id, alert_id, channel.name, channel.type.value, "PENDING", 0, now],
        )

    def _finish(
        self, delivery_id: str, status: str, attempts: int, error: str | None, sent_at: datetime | None
    ) -> None:
        self.store.engine.execute(
            f"UPDATE {self.store.table(ALERT_NOTIFICATION_OUTBOX)} "
            "SET status = ?, attempts = ?, last_error = ?, sent_at = ? WHERE id = ?",
            [status, attempts, error, sent_at, delivery_id],
        )


def scrub(text: str, config: Mapping[str, object]) -> str:
    """``text`` with every resolved config value masked: an HTTP error quoting a webhook URL must not leak it."""
    for value in config.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and len(item) >= 4 and "@" not in item:
                text = text.replace(item, "***")
    return text
