"""The alert state machine and notification policy of DESIGN §4. Pure: "now" is an argument.

Transitions are judged from the last non-ERROR state: ERROR notifies nobody and is transparent, so
TRIGGERED → ERROR → TRIGGERED is one incident and notifies once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from lakealerts.model import AlertRule


class AlertStatus(StrEnum):
    """The states of an alert (DESIGN §4). A ``str``: stored and printed as its name."""

    UNKNOWN = "UNKNOWN"  # never evaluated
    OK = "OK"
    TRIGGERED = "TRIGGERED"
    ERROR = "ERROR"


class NotifyEvent(StrEnum):
    """Why a message is sent: entering (or re-entering) TRIGGERED, a recovery, or a PagerDuty resolve only; or
    a test asked for by ``destinations test`` (never decided by the state machine)."""

    TRIGGER = "trigger"
    OK = "ok"
    RESOLVE = "resolve"
    TEST = "test"


@dataclass(frozen=True)
class AlertState:
    """What the runtime remembers about one alert between evaluations (a row of ``alert_state``)."""

    alert_id: str
    state: str = AlertStatus.UNKNOWN
    last_stable_state: str = AlertStatus.UNKNOWN  # the last state that was not ERROR
    value: Any = None
    last_evaluated_at: datetime | None = None
    last_triggered_at: datetime | None = None
    last_notified_at: datetime | None = None


@dataclass(frozen=True)
class Decision:
    """What to do after an evaluation: which message to send (if any) and whether to resolve PagerDuty."""

    notify: str | None  # None, "TRIGGERED" (incl. re-trigger) or "OK"
    resolve_incidents: bool = False

    @property
    def event(self) -> NotifyEvent | None:
        """The message to send: trigger, ok, resolve (PagerDuty only), or None."""
        if self.notify == AlertStatus.TRIGGERED:
            return NotifyEvent.TRIGGER
        if self.notify == AlertStatus.OK:
            return NotifyEvent.OK
        return NotifyEvent.RESOLVE if self.resolve_incidents else None


def advance(
    previous: AlertState, rule: AlertRule, state: str, value: Any, now: datetime
) -> tuple[AlertState, Decision]:
    """The next remembered state and the notification decision for an evaluation that gave ``state``."""
    evaluated = replace(previous, state=state, value=value, last_evaluated_at=now)
    if state == AlertStatus.ERROR:
        return evaluated, Decision(None)
    decision = _decide(previous, rule, state, now)
    new = replace(evaluated, last_stable_state=state)
    if state == AlertStatus.TRIGGERED and previous.last_stable_state != AlertStatus.TRIGGERED:
        new = replace(new, last_triggered_at=now)
    if decision.notify is not None:
        new = replace(new, last_notified_at=now)
    return new, decision


def _decide(previous: AlertState, rule: AlertRule, state: str, now: datetime) -> Decision:
    was = previous.last_stable_state
    if state == AlertStatus.TRIGGERED:
        if was != AlertStatus.TRIGGERED:
            return Decision(AlertStatus.TRIGGERED)
        return Decision(AlertStatus.TRIGGERED) if _retrigger_due(previous, rule, now) else Decision(None)
    if state == AlertStatus.OK and was == AlertStatus.TRIGGERED:
        return Decision(AlertStatus.OK if rule.notify_on_ok else None, resolve_incidents=True)
    return Decision(None)


def _retrigger_due(previous: AlertState, rule: AlertRule, now: datetime) -> bool:
    """While TRIGGERED: never again with 0/None; else at the first evaluation ≥ N s after the last message."""
    if not rule.retrigger_seconds:
        return False
    if previous.last_notified_at is None:
        return True
    return (now - previous.last_notified_at).total_seconds() >= rule.retrigger_seconds
