"""One evaluation round: query, decide, commit, send, finish (DESIGN §4, §10.1).

1. the query port runs every rule (each bounded by its timeout);
2. the state machine decides each rule's new state and messages (pure), rendering each message; a rule whose
   message cannot be rendered gets FAILED outbox rows with the reason, and the round goes on;
3. the store commits, in one write, each rule's history row, state and PENDING (claimed) messages, and claims
   the earlier messages due again;
4. the dispatcher sends them with the store closed;
5. the store records how each delivery ended.
Without an outbox and dispatcher a round is a preview: it commits history only (rows marked ``preview``) and
never advances state.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from lakealerts.model import AlertRule, NotificationDestination
from lakealerts.runtime.channels import Channel, channels_of, kind_of
from lakealerts.runtime.dispatch import Dispatcher
from lakealerts.runtime.messages import render_message
from lakealerts.runtime.outbox import Outbox
from lakealerts.runtime.ports import (
    Commit,
    Delivery,
    DeliveryStatus,
    EvaluationRecord,
    OutboxEntry,
    RoundResult,
    RuleRun,
    RuntimeStore,
    Step,
)
from lakealerts.runtime.query import Outcome
from lakealerts.runtime.state import AlertState, Decision, NotifyEvent, advance

QueryPort = Callable[[Sequence[AlertRule], datetime | None], list[Outcome]]


@dataclass
class Runtime:
    """The runtime over its ports. ``outbox`` and ``dispatcher`` None: a preview that never advances state."""

    query: QueryPort
    store: RuntimeStore
    outbox: Outbox | None = None
    dispatcher: Dispatcher | None = None
    clock: Callable[[], datetime] | None = None  # the wall clock of claims and expiry; None: the round's ``now``
    new_id: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))  # of history rows

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
        return self.full_round(rules, destinations, now, at).runs

    def full_round(
        self,
        rules: Sequence[AlertRule],
        destinations: Mapping[str, NotificationDestination],
        now: datetime,
        at: datetime | None = None,
    ) -> RoundResult:
        """``round`` with the retries of earlier messages that it sent along."""
        states = self.store.load_states([r.alert_id for r in rules]) if self.notifies else {}
        outcomes = self.query(rules, at)
        files: dict[str, Path | None] = {}
        steps = [self._step(rule, outcome, states.get(rule.alert_id), destinations, now, files)
                 for rule, outcome in zip(rules, outcomes, strict=True)]  # fmt: skip
        commit = self.store.commit(steps, self.clock() if self.clock else now, retry_due=self.notifies)
        sent = self._send(steps, commit, destinations, files)
        by_id = {d.id: d for d in sent}
        for step in steps:
            step.run.deliveries = [by_id[m.id] for m in step.messages if m.id in by_id]
        if self.notifies:
            self.store.finish(sent)
        ours = {m.id for step in steps for m in step.messages}
        return RoundResult([s.run for s in steps], [d for d in sent if d.id not in ours], len(commit.expired))

    def _send(
        self,
        steps: list[Step],
        commit: Commit,
        destinations: Mapping[str, NotificationDestination],
        files: dict[str, Path | None],
    ) -> list[Delivery]:
        if self.dispatcher is None:
            return []
        ready = commit.claimed  # the accepted steps' messages, as the commit recorded (and claimed) them
        unrendered = [Delivery(**vars(m)) for m in ready if m.status is DeliveryStatus.FAILED]
        pending = [m for m in ready if m.status is DeliveryStatus.PENDING] + commit.retries
        return unrendered + self.dispatcher.dispatch(pending, destinations, files)

    def _step(
        self,
        rule: AlertRule,
        outcome: Outcome,
        previous: AlertState | None,
        destinations: Mapping[str, NotificationDestination],
        now: datetime,
        files: dict[str, Path | None],
    ) -> Step:
        evaluation = outcome.evaluation
        run = RuleRun(rule.alert_id, evaluation.state, evaluation.value, evaluation.error)
        record = EvaluationRecord(rule.alert_id, now, evaluation.state, evaluation.value, evaluation.error,
                                  outcome.duration_ms, False, self.new_id(), preview=not self.notifies)  # fmt: skip
        if previous is None or self.outbox is None:
            return Step(run, record)
        new_state, decision = advance(previous, rule, evaluation.state, evaluation.value, now)
        run.previous_state = previous.last_stable_state
        step = Step(run, record, new_state, previous.last_evaluated_at)
        event, targets = decision.event, _targets(rule, destinations, decision, run)
        if event is not None and targets:
            messages = self._messages(rule, outcome, previous, targets, event, now, files)
            step.messages = [replace(m, evaluation_id=record.id) for m in messages]
        return step

    def _messages(
        self,
        rule: AlertRule,
        outcome: Outcome,
        previous: AlertState,
        targets: list[Channel],
        event: NotifyEvent,
        now: datetime,
        files: dict[str, Path | None],
    ) -> list[OutboxEntry]:
        assert self.outbox is not None  # _step builds messages only for a notifying runtime
        evaluation = outcome.evaluation
        markups = {kind_of(channel.type).markup for channel in targets}  # values in each channel's markup
        try:
            messages = {
                markup: render_message(rule, evaluation.state, previous.last_stable_state, evaluation.value, now,
                                       outcome.columns, outcome.rows, markup)
                for markup in markups
            }  # fmt: skip
        except Exception as error:  # a message that cannot be rendered fails its rule's channels, not the round
            reason = f"cannot render the message: {type(error).__name__}: {error}"
            return [self.outbox.failed(channel, rule.alert_id, event, now, reason) for channel in targets]
        entries = []
        for channel in targets:
            try:
                entry, copy = self.outbox.enqueue(channel, messages[kind_of(channel.type).markup], event, now)
                files[entry.id] = copy
            except Exception as error:  # e.g. the copy cannot be written: this channel fails, the others go on
                entry = self.outbox.failed(channel, rule.alert_id, event, now, f"{type(error).__name__}: {error}")
            entries.append(entry)
        return entries


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
