"""A backtest of one rule through the runtime's own path (DESIGN §12): each instant's outcome goes through the
real :class:`lakealerts.runtime.round.Runtime` — state machine, notification policy, Mustache rendering, the
outbox — over a :class:`MemoryRuntimeStore` and a transport that sends nothing, driven by
:func:`lakealerts.runtime.replay.replay`. Nothing is written anywhere (no ``alert_state``, no outbox copies).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lakealerts.backtest.queries import QueryRun
from lakealerts.backtest.result import RuleBacktest
from lakealerts.backtest.stats import DEFAULT_FLAP_WINDOW, TimelinePoint, summarize
from lakealerts.backtest.sweep import QueryRecord, sweep
from lakealerts.model import AlertRule, NotificationDestination
from lakealerts.runtime.channels import Channel, channels_of, kind_of
from lakealerts.runtime.dispatch import Dispatcher
from lakealerts.runtime.messages import Message
from lakealerts.runtime.outbox import Outbox
from lakealerts.runtime.ports import MemoryRuntimeStore
from lakealerts.runtime.query import Outcome
from lakealerts.runtime.replay import Instant, replay
from lakealerts.runtime.round import Runtime
from lakealerts.runtime.state import AlertStatus, NotifyEvent
from lakealerts.values import first_paragraph


@dataclass
class CountingTransport:
    """Takes every message the dispatcher hands it and sends nothing (a backtest only counts them)."""

    taken: int = 0

    def send(self, channel: Channel, config: Mapping[str, Any], message: Message, event: str) -> None:
        """Count ``message``; deliver nothing."""
        self.taken += 1


@dataclass
class Recorded:
    """The runtime's query port over outcomes already obtained, one per instant, in order."""

    outcomes: Sequence[Outcome]
    served: list[int] = field(default_factory=lambda: [0])

    def __call__(self, rules: Sequence[AlertRule], at: datetime | None) -> list[Outcome]:
        """The next instant's outcome (a backtest replays one rule at a time)."""
        outcome = self.outcomes[self.served[0]]
        self.served[0] += 1
        return [outcome for _ in rules]


def replay_rule(
    rule: AlertRule,
    destinations: Mapping[str, NotificationDestination],
    instants: Sequence[datetime],
    queries: QueryRun,
) -> list[TimelinePoint]:
    """The timeline ``rule`` would have had: each instant's outcome through the real round, from UNKNOWN."""
    clock = [instants[0]] if instants else []
    dispatcher = Dispatcher(CountingTransport(), {}, clock=lambda: clock[0], sleep=lambda _seconds: None)
    runtime = Runtime(Recorded(queries.outcomes), MemoryRuntimeStore(), Outbox(directory=None), dispatcher,
                      clock=lambda: clock[0])  # fmt: skip
    timeline = []
    for step in replay(runtime, [rule], destinations, (_pinned(clock, at) for at in instants)):
        run = step.runs[0]
        timeline.append(TimelinePoint(step.instant.now, run.value, str(run.state), len(run.deliveries), run.error))
    return timeline


def _pinned(clock: list[datetime], at: datetime) -> Instant:
    clock[0] = at  # the round's wall clock (claims, expiry) is the instant it replays
    return Instant.pinned(at)


def message_counter(rule: AlertRule, destinations: Mapping[str, NotificationDestination]) -> Any:
    """How many messages an event sends: every resolvable channel, a recovery without ``notify_on_ok`` only to
    the channels that resolve incidents (PagerDuty) — the round's own targeting."""
    channels = [c for c in channels_of(rule, destinations) if not isinstance(c, str)]
    resolving = sum(1 for c in channels if kind_of(c.type).resolves_on_recovery)

    def messages(event: NotifyEvent) -> int:
        return resolving if event is NotifyEvent.RESOLVE else len(channels)

    return messages


def backtest_rule(
    rule: AlertRule,
    destinations: Mapping[str, NotificationDestination],
    instants: Sequence[datetime],
    queries: QueryRun,
    thresholds: Sequence[float] = (),
    flap_window: int = DEFAULT_FLAP_WINDOW,
) -> RuleBacktest:
    """Replay, summarise and sweep one rule."""
    timeline = replay_rule(rule, destinations, instants, queries)
    records = [_record(at, outcome) for at, outcome in zip(instants, queries.outcomes, strict=True)]
    swept = sweep(rule, records, thresholds, message_counter(rule, destinations), flap_window) if thresholds else []
    return RuleBacktest(
        rule.alert_id,
        rule.alert_name,
        rule.threshold_operator,
        rule.threshold_value,
        queries.mode,
        summarize(timeline, rule.threshold_operator, flap_window),
        timeline,
        swept,
        [*queries.findings, *_errors(timeline)],
    )


def _errors(timeline: Sequence[TimelinePoint]) -> list[str]:
    """One finding that says why evaluations ended ERROR (the first one's error), as ``eval`` would show it."""
    failed = [point for point in timeline if point.state == AlertStatus.ERROR]
    if not failed:
        return []
    first = failed[0]
    reason = " ".join(first_paragraph(first.error).split())  # on one line
    return [f"ERROR at {len(failed)} of {len(timeline)} instants; the first, {first.at.isoformat()}: {reason}"]


def _record(at: datetime, outcome: Outcome) -> QueryRecord:
    failed = outcome.evaluation if outcome.evaluation.state == AlertStatus.ERROR and not outcome.columns else None
    return QueryRecord(at, tuple(outcome.columns), outcome.rows, failed)
