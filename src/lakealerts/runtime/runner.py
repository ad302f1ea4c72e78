"""One evaluation round: run each rule's query on the engine, evaluate, and (with ``notify``) advance the
state and deliver. Plain evaluation is a preview: it records history but never advances ``alert_state``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lakealerts.errors import EngineError
from lakealerts.model import AlertRule, NotificationDestination
from lakealerts.runtime.channels import Channel, channels_of
from lakealerts.runtime.evaluator import Evaluation, evaluate, evaluation_error
from lakealerts.runtime.messages import render_message
from lakealerts.runtime.outbox import Delivery, Outbox
from lakealerts.runtime.state import AlertState, Decision, advance
from lakealerts.runtime.state_store import load_states, record_evaluation, save_state
from lakealerts.sql.clock import pin_clock
from lakealerts.sql.readonly import parse_query
from lakealerts.sql.render import render, template_findings
from lakealerts.store.store import Store


@dataclass
class RuleRun:
    """What one rule's evaluation gave, and where its messages went."""

    alert_id: str
    state: str
    value: Any
    error: str | None
    previous_state: str = "UNKNOWN"
    deliveries: list[Delivery] = field(default_factory=list)
    undeliverable: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``{"alert_id", "state", "value", "error"}`` (DESIGN §7), plus where messages went."""
        return {
            "alert_id": self.alert_id,
            "state": self.state,
            "value": self.value,
            "error": self.error,
            "notifications": [_delivery_dict(d) for d in self.deliveries],
        }


def _delivery_dict(delivery: Delivery) -> dict[str, Any]:
    return {
        "channel": delivery.channel,
        "type": delivery.type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "error": delivery.last_error,
        "file": str(delivery.file),
    }


def query_for(rule: AlertRule, store: Store, at: datetime | None) -> str:
    """The rule's SQL ready to run: rendered, checked read-only, and pinned to ``at`` when given.

    Raises EngineError with the finding's message: a rule that is not one read-only query never runs.
    """
    findings = template_findings(rule.alert_query_template)
    sql = render(rule.alert_query_template, store.namespace)
    if not findings:
        findings = parse_query(sql)[1]
    if findings:
        raise EngineError(f"{findings[0].code}: {findings[0].message}")
    return pin_clock(sql, at) if at is not None else sql


def evaluate_rule(rule: AlertRule, store: Store, at: datetime | None) -> tuple[Evaluation, tuple[str, ...], Any]:
    """Run and evaluate one rule: (evaluation, columns, rows). Failures are ERROR with the message kept."""
    try:
        result = store.engine.execute(query_for(rule, store, at))
    except EngineError as error:
        return evaluation_error(error.message), (), ()
    columns = tuple(column.name for column in result.columns)
    try:
        return evaluate(rule, columns, result.rows), columns, result.rows
    except Exception as error:  # a value the evaluator cannot handle is this rule's ERROR, not the round's end
        return evaluation_error(f"cannot evaluate the result: {type(error).__name__}: {error}"), columns, result.rows


def run_round(
    store: Store,
    rules: Sequence[AlertRule],
    destinations: Mapping[str, NotificationDestination],
    now: datetime,
    *,
    at: datetime | None = None,
    outbox: Outbox | None = None,
) -> list[RuleRun]:
    """Evaluate ``rules`` as of ``at`` (default: the query's own clock). With an outbox, advance the state
    machine and deliver; without, a preview that only records history."""
    states = load_states(store, [r.alert_id for r in rules]) if outbox is not None else {}
    runs = []
    for rule in rules:
        started = time.perf_counter()
        evaluation, columns, rows = evaluate_rule(rule, store, at)
        duration_ms = (time.perf_counter() - started) * 1000
        run = RuleRun(rule.alert_id, evaluation.state, evaluation.value, evaluation.error)
        if outbox is not None:
            _advance_and_deliver(store, rule, states[rule.alert_id], evaluation, columns, rows, now, destinations,
                                 outbox, run)  # fmt: skip
        record_evaluation(store, rule.alert_id, now, evaluation.state, evaluation.value, evaluation.error,
                          duration_ms, any(d.status == "SENT" for d in run.deliveries))  # fmt: skip
        runs.append(run)
    return runs


def _advance_and_deliver(
    store: Store,
    rule: AlertRule,
    previous: AlertState,
    evaluation: Evaluation,
    columns: tuple[str, ...],
    rows: Any,
    now: datetime,
    destinations: Mapping[str, NotificationDestination],
    outbox: Outbox,
    run: RuleRun,
) -> None:
    new_state, decision = advance(previous, rule, evaluation.state, evaluation.value, now)
    run.previous_state = previous.last_stable_state
    # The state is saved before sending: a crash while sending must not cause a second notification later.
    save_state(store, new_state)
    targets = _targets(rule, destinations, decision, run)
    if not targets:
        return
    message = render_message(rule, evaluation.state, previous.last_stable_state, evaluation.value, now, columns, rows)
    event = "trigger" if decision.notify == "TRIGGERED" else ("ok" if decision.notify == "OK" else "resolve")
    run.deliveries = [outbox.deliver(channel, message, event, now) for channel in targets]


def _targets(
    rule: AlertRule, destinations: Mapping[str, NotificationDestination], decision: Decision, run: RuleRun
) -> list[Channel]:
    """All channels for a notification; only PagerDuty ones for a silent recovery (to resolve incidents)."""
    if decision.notify is None and not decision.resolve_incidents:
        return []
    channels = []
    for channel in channels_of(rule, destinations):
        if isinstance(channel, str):
            run.undeliverable.append(channel)
        elif decision.notify is not None or channel.type.value == "PAGERDUTY":
            channels.append(channel)
    return channels
