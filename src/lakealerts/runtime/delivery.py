"""The delivery policy of DESIGN §10.1, pure: message ids, when a message is due, back-off and expiry.

At least once: a message is recorded PENDING with the state change that decided it, *claimed* (its next
attempt pushed out by a lease long enough for this round to send everything it claimed, so nobody else sends
it meanwhile), sent with the store closed, and marked after. A sender that dies leaves the claim to lapse: the
message is due again after the lease.

Claims, back-off and expiry run on the wall clock (the process's clock), never on the instant a rule is
evaluated as of: ``eval --at`` in the past or future must not expire or delay anything.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from lakealerts.runtime.ports import DeliveryStatus, OutboxEntry

GRACE = timedelta(minutes=2)  # a claimed message not marked within its lease is due again: at least this
SEND_BUDGET = timedelta(seconds=40)  # one message's worst case: 3 attempts × 10 s timeout + 1 s + 2 s back-off
PARALLEL_SENDS = 8  # messages sent at once by one round
EXPIRY = timedelta(hours=24)  # a message still undelivered this long after it was recorded is given up
FIRST_BACKOFF_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 3600.0
RETRIABLE = frozenset({DeliveryStatus.PENDING, DeliveryStatus.FAILED})
_NAMESPACE = uuid.UUID("7f0c7d2e-5d0a-4d8b-9a57-6c1b8f0e2a11")  # lakealerts' own UUIDv5 namespace


def message_id(alert_id: str, evaluated_at: datetime, channel: str, event: str) -> str:
    """A UUIDv5 over (alert, evaluation instant, channel, event): the same message always has the same id."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join((alert_id, evaluated_at.isoformat(), channel, str(event)))))


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed delivery round: 30 s × 2^(n-1), at most one hour."""
    exponent = max(attempts - 1, 0)
    return timedelta(seconds=min(FIRST_BACKOFF_SECONDS * 2 ** min(exponent, 20), MAX_BACKOFF_SECONDS))


def is_due(entry: OutboxEntry, now: datetime) -> bool:
    """PENDING or FAILED, and its next attempt (or claim's lapse) has come; one without a date never is."""
    return entry.status in RETRIABLE and entry.next_attempt_at is not None and entry.next_attempt_at <= now


def is_expired(entry: OutboxEntry, now: datetime) -> bool:
    """Still undelivered 24 h after it was recorded."""
    return entry.status in RETRIABLE and entry.expires_at is not None and now >= entry.expires_at


def lease(count: int) -> timedelta:
    """How long a round's claim on ``count`` messages lasts: the grace period, plus the worst case of sending
    them ``PARALLEL_SENDS`` at a time, so a slow but healthy round is never overtaken by another."""
    batches = -(-max(count, 1) // PARALLEL_SENDS)
    return GRACE + SEND_BUDGET * batches


def claimed(entry: OutboxEntry, now: datetime, hold: timedelta = GRACE) -> OutboxEntry:
    """The entry while one sender works on it: nobody else finds it due before ``hold`` lapses. A message
    claimed for the first time is recorded now, and expires 24 h from now."""
    expires = entry.expires_at if entry.expires_at is not None else now + EXPIRY
    return replace(entry, next_attempt_at=now + hold, expires_at=expires)


def expired(entry: OutboxEntry) -> OutboxEntry:
    """The entry given up (no further attempt)."""
    reason = f"expired after {int(EXPIRY.total_seconds() // 3600)} h undelivered"
    last = f"{entry.last_error}; {reason}" if entry.last_error else reason
    return replace(entry, status=DeliveryStatus.EXPIRED, next_attempt_at=None, last_error=last)


def after_attempt(
    entry: OutboxEntry, status: DeliveryStatus, attempts: int, error: str | None, now: datetime
) -> OutboxEntry:
    """The entry after a delivery round at ``now``: SENT (at ``now``) and SKIPPED are final; FAILED is due
    again after the back-off."""
    total = entry.attempts + attempts
    if status is DeliveryStatus.FAILED:
        return replace(entry, status=status, attempts=total, last_error=error, next_attempt_at=now + backoff(total))
    sent_at = now if status is DeliveryStatus.SENT else None
    return replace(entry, status=status, attempts=total, last_error=error, sent_at=sent_at, next_attempt_at=None)
