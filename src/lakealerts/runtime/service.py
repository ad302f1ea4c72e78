"""The runtime as ``serve`` runs it: rules and evaluation rounds on the embedded store, opened per round."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from lakealerts.errors import RuleProblem
from lakealerts.model import AlertRule
from lakealerts.runtime.channels import PAGERDUTY_URL, DefaultTransport, SmtpSettings
from lakealerts.runtime.outbox import Outbox
from lakealerts.runtime.runner import RuleRun, run_round
from lakealerts.runtime.state_store import load_states
from lakealerts.settings import Settings
from lakealerts.store.store import Store
from lakealerts.wiring import open_store

log = logging.getLogger("lakealerts.scheduler")
# DuckDB lets a process attach a file once at a time: reads and rounds of this process take turns here
# instead of failing on each other after the lock wait.
_STORE_TURN = threading.Lock()


def default_outbox(store: Store, settings: Settings, env: Mapping[str, str]) -> Outbox:
    """The outbox with SMTP and PagerDuty configured from the environment (DESIGN §7 delivery)."""
    smtp = SmtpSettings.from_env(env)
    transport = DefaultTransport(smtp, env.get("LAKEALERTS_PAGERDUTY_URL") or PAGERDUTY_URL)
    return Outbox(store, settings.outbox_dir, transport, env, sender=smtp.sender)


@dataclass
class StoreRuleSource:
    """Rules and their last evaluation times, read from ``lakealerts.duckdb`` (opened only for the read)."""

    settings: Settings

    def load(self) -> tuple[Sequence[AlertRule], Mapping[str, datetime | None]]:
        """All readable rules; rows the model rejects are logged and left out."""
        problems: list[RuleProblem] = []
        with _STORE_TURN, open_store(self.settings, require_tables=False) as store:
            store.init()
            rules = [stored.rule for stored in store.load_rules(problems=problems)]
            states = load_states(store, [rule.alert_id for rule in rules])
        for problem in problems:
            log.warning("scheduler: skipping invalid stored rule: %s", problem)
        return rules, {alert_id: state.last_evaluated_at for alert_id, state in states.items()}


@dataclass
class StoreBatchEvaluator:
    """One evaluation round with notifications: state advances, messages go out through the outbox."""

    settings: Settings
    env: Mapping[str, str]

    def evaluate(self, alert_ids: Sequence[str], now: datetime) -> list[RuleRun]:
        """Evaluate the rules among ``alert_ids`` that still exist and are enabled."""
        wanted = set(alert_ids)
        with _STORE_TURN, open_store(self.settings) as store:
            rules = [s.rule for s in store.load_rules(problems=[]) if s.rule.alert_id in wanted and s.rule.is_enabled]
            destinations = store.destinations_by_id(problems=[])
            return run_round(store, rules, destinations, now, outbox=default_outbox(store, self.settings, self.env))
