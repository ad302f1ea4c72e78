"""The scheduler's view of the store: which rules to schedule, and one evaluation round with notifications.

``serve`` hands these to :class:`lakealerts.runtime.scheduler.SchedulerComponent`; each opens the store only
for its own read or round.
"""

from __future__ import annotations

import logging
import threading
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
# DuckDB lets a process attach a file once at a time: reads and rounds of this process take turns here
# instead of failing on each other after the lock wait.
_STORE_TURN = threading.Lock()


@dataclass
class StoreRuleSource:
    """Rules and their last evaluation times, read from the store (opened only for the read)."""

    ctx: AppContext

    def load(self) -> tuple[Sequence[AlertRule], Mapping[str, datetime | None]]:
        """All readable rules; rows the model rejects are logged and left out."""
        problems: list[Finding] = []
        with _STORE_TURN, self.ctx.store(require_tables=False) as store:
            store.init()
            rules = [stored.rule for stored in store.load_rules(problems=problems)]
            states = load_states(store, [rule.alert_id for rule in rules])
        for problem in problems:
            log.warning("scheduler: skipping invalid stored rule: %s", problem)
        return rules, {alert_id: state.last_evaluated_at for alert_id, state in states.items()}


@dataclass
class StoreBatchEvaluator:
    """One evaluation round with notifications: state advances, messages go out through the outbox."""

    ctx: AppContext

    def evaluate(self, alert_ids: Sequence[str], now: datetime) -> list[RuleRun]:
        """Evaluate the rules among ``alert_ids`` that still exist and are enabled."""
        wanted = set(alert_ids)
        with _STORE_TURN, self.ctx.store() as store:
            rules = [s.rule for s in store.load_rules(problems=[]) if s.rule.alert_id in wanted and s.rule.is_enabled]
            destinations = store.destinations_by_id(problems=[])
            return one_round(runtime_over(self.ctx, store, notify=True), rules, destinations, now)
