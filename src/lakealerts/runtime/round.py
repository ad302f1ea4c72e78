"""One evaluation round: run each rule's query, evaluate, and — when notifying — advance the state, enqueue
the decided messages and dispatch them. Without an outbox a round is a preview: it records history only.

The round knows its surroundings only through ports (query, runtime store, outbox, dispatcher), so the same
code runs ``eval``, the scheduler, unit tests and backtests.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from lakealerts.model import AlertRule, NotificationDestination
from lakealerts.runtime.channels import Channel, channels_of, kind_of
from lakealerts.runtime.dispatch import Dispatcher
from lakealerts.runtime.messages import render_message
from lakealerts.runtime.outbox import Envelope, Outbox
from lakealerts.runtime.ports import Delivery, DeliveryStatus, EvaluationRecord, RuleRun, RuntimeStore
from lakealerts.runtime.query import Outcome
from lakealerts.runtime.state import AlertState, Decision, NotifyEvent, advance

QueryPort = Callable[[AlertRule, datetime | None], Outcome]


@dataclass
class Runtime:
    """The runtime over its ports. ``outbox`` and ``dispatcher`` None: a preview that never advances state."""

    query: QueryPort
    store: RuntimeStore
    outbox: Outbox | None = None
    dispatcher: Dispatcher | None = None
    timer: Callable[[], float] = time.perf_counter

    @property
    def notifies(self) -> bool:
        """Whether rounds advance the state machine and send messages."""
        return self.outbox is not None and self.dispatcher is not None

    def round(
        self,
        rules: Sequence[AlertRule],
        destinations: Mapping[str, NotificationDestination],
        now: datetime,
        at: datetime | None = None,
    ) -> list[RuleRun]:
        """Evaluate ``rules`` at ``now``, their SQL pinned to ``at`` when given (else the query's own clock)."""
        states = self.store.load_states([r.alert_id for r in rules]) if self.notifies else {}
        return [self._one(rule, states.get(rule.alert_id), destinations, now, at) for rule in rules]

    def _one(
        self,
        rule: AlertRule,
        previous: AlertState | None,
        destinations: Mapping[str, NotificationDestination],
        now: datetime,
        at: datetime | None,
    ) -> RuleRun:
        started = self.timer()
        outcome = self.query(rule, at)
        duration_ms = (self.timer() - started) * 1000
        evaluation = outcome.evaluation
        run = RuleRun(rule.alert_id, evaluation.state, evaluation.value, evaluation.error)
        if previous is not None:
            envelopes = self._advance(rule, previous, outcome, now, destinations, run)
            run.deliveries = [self._dispatch(envelope) for envelope in envelopes]
        notified = any(d.status is DeliveryStatus.SENT for d in run.deliveries)
        self.store.record_evaluation(EvaluationRecord(rule.alert_id, now, evaluation.state, evaluation.value,
                                                      evaluation.error, duration_ms, notified))  # fmt: skip
        return run

    def _advance(
        self,
        rule: AlertRule,
        previous: AlertState,
        outcome: Outcome,
        now: datetime,
        destinations: Mapping[str, NotificationDestination],
        run: RuleRun,
    ) -> list[Envelope]:
        """Advance the state machine and enqueue the decided messages (the state is saved first: a crash while
        sending must not cause a second notification later)."""
        evaluation = outcome.evaluation
        new_state, decision = advance(previous, rule, evaluation.state, evaluation.value, now)
        run.previous_state = previous.last_stable_state
        self.store.save_state(new_state)
        event, targets = decision.event, _targets(rule, destinations, decision, run)
        if event is None or not targets or self.outbox is None:
            return []
        message = render_message(rule, evaluation.state, previous.last_stable_state, evaluation.value, now,
                                 outcome.columns, outcome.rows)  # fmt: skip
        return [self.outbox.enqueue(channel, message, event, now) for channel in targets]

    def _dispatch(self, envelope: Envelope) -> Delivery:
        assert self.dispatcher is not None  # _advance runs only when the runtime notifies
        return self.dispatcher.dispatch(envelope)


def _targets(
    rule: AlertRule, destinations: Mapping[str, NotificationDestination], decision: Decision, run: RuleRun
) -> list[Channel]:
    """All channels for a notification; for a silent recovery only those that resolve incidents (PagerDuty)."""
    if decision.event is None:
        return []
    channels = []
    for channel in channels_of(rule, destinations):
        if isinstance(channel, str):
            run.undeliverable.append(channel)
        elif decision.event is not NotifyEvent.RESOLVE or kind_of(channel.type).resolves_on_recovery:
            channels.append(channel)
    return channels
