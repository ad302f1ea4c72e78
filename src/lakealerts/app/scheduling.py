"""The scheduler's view of the store: which rules to schedule, and one evaluation round with notifications.

``serve`` hands these to :class:`lakealerts.runtime.scheduler.SchedulerComponent`; each opens the store only
for its own read or round.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from lakealerts.app.context import AppContext
from lakealerts.app.evaluate import one_round, runtime_over
from lakealerts.findings import Finding
from lakealerts.model import AlertRule
from lakealerts.runtime.ports import RuleRun
from lakealerts.store.runtime import load_states

log = logging.getLogger("lakealerts.scheduler")


@dataclass
class StoreRuleSource:
    """Rules and their last evaluation times, read from the store (opened only for the read)."""

    ctx: AppContext
    _initialised: bool = False

    def load(self) -> tuple[Sequence[AlertRule], Mapping[str, datetime | None]]:
        """All readable rules; rows the model rejects are logged and left out. The first load creates the
        tables if needed; later ones only read (beside other readers)."""
        problems: list[Finding] = []
        with self.ctx.store(require_tables=False, read_only=self._initialised) as store:
            if not self._initialised:
                store.init()
            rules = [stored.rule for stored in store.load_rules(problems=problems)]
            states = load_states(store, [rule.alert_id for rule in rules])
        self._initialised = True
        for problem in problems:
            log.warning("scheduler: skipping invalid stored rule: %s", problem)
        return rules, {alert_id: state.last_evaluated_at for alert_id, state in states.items()}


@dataclass
class StoreBatchEvaluator:
    """One evaluation round with notifications: state advances, messages go out through the outbox, and the
    messages of earlier rounds that are due again go along (so a round with no rules only retries)."""

    ctx: AppContext

    def send_owed(self, now: datetime) -> list[RuleRun]:
        """A round of no rules: it only sends the messages owed (``serve`` runs it at start)."""
        return self.evaluate([], now)

    def evaluate(self, alert_ids: Sequence[str], now: datetime) -> list[RuleRun]:
        """Evaluate the rules among ``alert_ids`` that still exist and are enabled."""
        wanted = set(alert_ids)
        with self.ctx.store(read_only=True) as store:
            rules = [s.rule for s in store.load_rules(problems=[]) if s.rule.alert_id in wanted and s.rule.is_enabled]
            destinations = store.destinations_by_id(problems=[])
        result = one_round(runtime_over(self.ctx, notify=True), rules, destinations, now)
        for retried in result.retried:
            log.info("sent again %s to %s: %s%s", retried.message_id, retried.channel, retried.status,
                     f" ({retried.last_error})" if retried.last_error else "")  # fmt: skip
        if result.expired:
            log.warning("gave up %d messages undelivered for 24 h (see `lakealerts outbox list --status EXPIRED`)",
                        result.expired)  # fmt: skip
        return result.runs
