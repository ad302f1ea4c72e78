"""Dispatch: send claimed outbox entries, each with up to 3 quick attempts (back-off 1 s, 2 s), several
channels at once, and say how each ended — with the store closed (DESIGN §10.1).

A failing or hanging channel never blocks another. Secret references are resolved only here, just before
sending, and scrubbed from any error that is stored.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from lakealerts.model import NotificationDestination
from lakealerts.runtime import delivery
from lakealerts.runtime.channels import SkippedDelivery, Transport, channel_named
from lakealerts.runtime.delivery import PARALLEL_SENDS
from lakealerts.runtime.ports import Delivery, DeliveryStatus, OutboxEntry
from lakealerts.secrets import SecretReader, SecretResolutionError, resolve_config

ATTEMPTS = 3
BACKOFF_SECONDS = (1.0, 2.0)


@dataclass
class Dispatcher:
    """Sends entries and says how each ended; ``clock``, ``sleep`` and ``backoff`` are injectable."""

    transport: Transport
    env: Mapping[str, str]
    clock: Callable[[], datetime]
    secret_reader: SecretReader | None = None
    backoff: tuple[float, ...] = BACKOFF_SECONDS
    sleep: Callable[[float], None] = field(default=time.sleep)
    parallel: int = PARALLEL_SENDS
    attempts: int = ATTEMPTS  # quick attempts per message (a test message: one, the peer's first answer)
    cancelled: Callable[[], bool] = lambda: False  # True: the process is stopping, start nothing new

    def dispatch(
        self,
        entries: Sequence[OutboxEntry],
        destinations: Mapping[str, NotificationDestination],
        files: Mapping[str, Path | None] | None = None,
    ) -> list[Delivery]:
        """Send every entry (in parallel); each ends SENT, SKIPPED, FAILED (due again after the back-off), or —
        when the process is stopping before it was tried — stays PENDING for the next start."""
        if not entries:
            return []
        copies = files or {}
        with ThreadPoolExecutor(max_workers=max(1, min(self.parallel, len(entries)))) as pool:
            return list(pool.map(lambda e: self._one(e, destinations, copies.get(e.id)), entries))

    def _one(
        self, entry: OutboxEntry, destinations: Mapping[str, NotificationDestination], file: Path | None
    ) -> Delivery:
        try:
            status, attempts, error = self._attempts(entry, destinations)
        except Exception as failure:  # whatever goes wrong, this message is FAILED and the others go on
            status, attempts, error = DeliveryStatus.FAILED, 1, f"{type(failure).__name__}: {failure}"
        if status is DeliveryStatus.PENDING:  # stopping: untouched, its claim lapses, the next start sends it
            return Delivery(**vars(entry), file=file)
        done = delivery.after_attempt(entry, status, attempts, error, self.clock())
        return Delivery(**vars(done), file=file)

    def _attempts(
        self, entry: OutboxEntry, destinations: Mapping[str, NotificationDestination]
    ) -> tuple[DeliveryStatus, int, str | None]:
        if self.cancelled():
            return DeliveryStatus.PENDING, 0, None
        channel = channel_named(entry.channel, destinations)
        if isinstance(channel, str) or entry.message is None:  # counted: its back-off grows like any failure's
            reason = channel if isinstance(channel, str) else "the message was not kept (an older outbox row)"
            return DeliveryStatus.FAILED, 1, reason
        try:
            config = resolve_config(channel.config, f"destination {channel.name}", self.env, self.secret_reader)
        except SecretResolutionError as unresolved:  # retrying now cannot help: fail this channel at once
            return DeliveryStatus.FAILED, 1, str(unresolved)
        error: str | None = None
        for attempt in range(1, self.attempts + 1):
            if attempt > 1 and self.cancelled():  # stopping: no more retries; the back-off would delay it
                return DeliveryStatus.FAILED, attempt - 1, error
            try:
                self.transport.send(channel, config, entry.message, entry.event)
                return DeliveryStatus.SENT, attempt, None
            except SkippedDelivery as skipped:
                return DeliveryStatus.SKIPPED, attempt, str(skipped)
            except Exception as failure:  # any transport failure is retried, then recorded
                error = scrub(f"{type(failure).__name__}: {failure}", config)
            if attempt < self.attempts:
                self.sleep(self.backoff[min(attempt - 1, len(self.backoff) - 1)])
        return DeliveryStatus.FAILED, self.attempts, error


def scrub(text: str, config: Mapping[str, object]) -> str:
    """``text`` with every resolved config value masked: an HTTP error quoting a webhook URL must not leak it."""
    for value in config.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and len(item) >= 4 and "@" not in item:
                text = text.replace(item, "***")
    return text
