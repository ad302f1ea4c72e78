"""The evaluate use cases: ``eval`` (a preview, or ``--notify``), ``history``, and the one place where the
runtime is assembled over a store — for ``eval``, ``quickstart`` and the scheduler in ``serve`` alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lakealerts.app.context import AppContext
from lakealerts.findings import Finding
from lakealerts.model import AlertRule, NotificationDestination
from lakealerts.runtime.channels import DeliverySettings, RegistryTransport, SmtpSettings
from lakealerts.runtime.dispatch import Dispatcher
from lakealerts.runtime.outbox import Outbox
from lakealerts.runtime.ports import RuleRun
from lakealerts.runtime.query import EngineQuery
from lakealerts.runtime.replay import Instant, replay
from lakealerts.runtime.round import Runtime
from lakealerts.runtime.state import AlertStatus
from lakealerts.sql.identifiers import quote
from lakealerts.store.runtime import StoreRuntime
from lakealerts.store.store import Store
from lakealerts.store.tables import ALERT_EVALUATIONS, ALERT_NOTIFICATION_OUTBOX, TableDef


def runtime_over(ctx: AppContext, store: Store, *, notify: bool) -> Runtime:
    """The runtime on ``store``: queries on its engine, state/history/outbox in its tables; with ``notify`` the
    messages go to ``<home>/outbox/`` and out through the channels configured by the environment."""
    records = StoreRuntime(store)
    query = EngineQuery(store.engine, store.namespace)
    if not notify:
        return Runtime(query, records)
    settings = DeliverySettings.from_env(ctx.env)
    outbox = Outbox(records, ctx.settings.outbox_dir, sender=SmtpSettings.from_env(ctx.env).sender)
    dispatcher = Dispatcher(records, RegistryTransport(settings), ctx.env, ctx.clock, ctx.secret_reader)
    return Runtime(query, records, outbox, dispatcher)


@dataclass(frozen=True)
class EvalResult:
    """Every rule's run in one round."""

    runs: list[RuleRun]
    notified: bool

    @property
    def has_errors(self) -> bool:
        """Whether any rule ended in ERROR (exit 1)."""
        return any(run.state == AlertStatus.ERROR for run in self.runs)

    def to_dict(self) -> list[dict[str, Any]]:
        """``eval --json``: ``[{"alert_id", "state", "value", "error", "notifications"}]``."""
        return [run.to_dict() for run in self.runs]


def evaluate(
    ctx: AppContext, alert_ids: Sequence[str] | None = None, *, at: datetime | None = None, notify: bool = False
) -> EvalResult:
    """One round over the named rules (default: every enabled rule), as of ``at`` (default now).

    Without ``notify`` a preview: history is recorded, state is not advanced, nothing is sent.
    """
    with ctx.store() as store:
        problems: list[Finding] = []
        stored = store.load_rules(alert_ids or None, problems=problems)
        rules = [s.rule for s in stored if alert_ids or s.rule.is_enabled]
        destinations = store.destinations_by_id(problems=[])
        runs = one_round(runtime_over(ctx, store, notify=notify), rules, destinations, ctx.now(), at)
    # A row broken by hand in SQL cannot run: it is that rule's ERROR, and the others still ran.
    runs += [RuleRun(p.rule_id or "<no id>", AlertStatus.ERROR, None, f"stored rule is invalid: {p}") for p in problems]
    return EvalResult(runs, notify)


def one_round(
    runtime: Runtime,
    rules: Sequence[AlertRule],
    destinations: dict[str, NotificationDestination],
    now: datetime,
    at: datetime | None = None,
) -> list[RuleRun]:
    """A single round through the replay loop: as of ``at`` when given (then that is also ``now``)."""
    instant = Instant.pinned(at) if at is not None else Instant(now)
    return next(replay(runtime, rules, destinations, [instant])).runs


@dataclass(frozen=True)
class HistoryResult:
    """Recent evaluations and notifications, most recent first."""

    evaluations: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``history --json``."""
        return {"evaluations": self.evaluations, "notifications": self.notifications}


def history(ctx: AppContext, alert_id: str | None = None, limit: int = 50) -> HistoryResult:
    """The last ``limit`` evaluations and notifications (of ``alert_id``: NotFoundError when unknown)."""
    with ctx.store() as store:
        if alert_id:
            store.get_rule(alert_id)
        evaluations = _recent(store, ALERT_EVALUATIONS, "evaluated_at", alert_id, limit)
        notifications = _recent(store, ALERT_NOTIFICATION_OUTBOX, "created_at", alert_id, limit)
    return HistoryResult(evaluations, notifications)


def _recent(store: Store, table: TableDef, order: str, alert_id: str | None, limit: int) -> list[dict[str, Any]]:
    where, params = ("WHERE alert_id = ?", [alert_id]) if alert_id else ("", [])
    sql = f"SELECT * FROM {store.table(table)} {where} ORDER BY {quote(order)} DESC, alert_id LIMIT ?"
    return store.engine.execute(sql, [*params, limit]).as_dicts()
