"""Dispatch: send an enqueued message with up to 3 attempts (back-off 1 s, 2 s) and record how it ended.

A failing channel never blocks another (DESIGN §7 delivery). Secret references are resolved only here,
just before sending, and scrubbed from any error that is stored.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from lakealerts.runtime.channels import SkippedDelivery, Transport
from lakealerts.runtime.outbox import Envelope
from lakealerts.runtime.ports import Delivery, DeliveryStatus, OutboxEntry, OutboxStore
from lakealerts.secrets import SecretReader, SecretResolutionError, resolve_config

ATTEMPTS = 3
BACKOFF_SECONDS = (1.0, 2.0)


@dataclass
class Dispatcher:
    """Sends envelopes and records the outcome; ``clock``, ``sleep`` and ``backoff`` are injectable."""

    records: OutboxStore
    transport: Transport
    env: Mapping[str, str]
    clock: Callable[[], datetime]
    secret_reader: SecretReader | None = None
    backoff: tuple[float, ...] = BACKOFF_SECONDS
    sleep: Callable[[float], None] = field(default=time.sleep)

    def dispatch(self, envelope: Envelope) -> Delivery:
        """Up to 3 attempts; the record ends SENT, FAILED or SKIPPED."""
        status, attempts, error = self._attempts(envelope)
        sent_at = self.clock() if status is DeliveryStatus.SENT else None
        entry: OutboxEntry = replace(envelope.entry, status=status, attempts=attempts, last_error=error,
                                     sent_at=sent_at)  # fmt: skip
        self.records.finish(entry)
        return Delivery(**vars(entry), file=envelope.file)

    def _attempts(self, envelope: Envelope) -> tuple[DeliveryStatus, int, str | None]:
        channel = envelope.channel
        try:
            config = resolve_config(channel.config, f"destination {channel.name}", self.env, self.secret_reader)
        except SecretResolutionError as unresolved:  # retrying cannot help: fail this channel at once
            return DeliveryStatus.FAILED, 1, str(unresolved)
        error: str | None = None
        for attempt in range(1, ATTEMPTS + 1):
            try:
                self.transport.send(channel, config, envelope.message, envelope.event)
                return DeliveryStatus.SENT, attempt, None
            except SkippedDelivery as skipped:
                return DeliveryStatus.SKIPPED, attempt, str(skipped)
            except Exception as failure:  # any transport failure is retried, then recorded
                error = scrub(f"{type(failure).__name__}: {failure}", config)
            if attempt < ATTEMPTS:
                self.sleep(self.backoff[min(attempt - 1, len(self.backoff) - 1)])
        return DeliveryStatus.FAILED, ATTEMPTS, error


def scrub(text: str, config: Mapping[str, object]) -> str:
    """``text`` with every resolved config value masked: an HTTP error quoting a webhook URL must not leak it."""
    for value in config.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and len(item) >= 4 and "@" not in item:
                text = text.replace(item, "***")
    return text
