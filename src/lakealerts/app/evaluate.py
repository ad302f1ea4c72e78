"""The evaluate use cases: ``eval`` (a preview, or ``--notify``), ``history``, and the one place where the
runtime is assembled over the store — for ``eval``, ``quickstart``, ``outbox retry`` and ``serve`` alike.

The store is never held across a network call: rules are read, the queries run (each bounded by
``ctx.query_timeout``) in a read-only session, a round's writes are one transaction, and messages are sent
with the store closed (DESIGN §10.1).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lakealerts.app.context import AppContext, stopping
from lakealerts.findings import Finding
from lakealerts.model import AlertRule, NotificationDestination
from lakealerts.runtime.channels import DeliverySettings, RegistryTransport, SmtpSettings
from lakealerts.runtime.dispatch import Dispatcher
from lakealerts.runtime.outbox import Outbox
from lakealerts.runtime.ports import Delivery, DeliveryStatus, RoundResult, RuleRun
from lakealerts.runtime.query import EngineQuery, Outcome
from lakealerts.runtime.replay import Instant, replay
from lakealerts.runtime.round import Runtime
from lakealerts.runtime.state import AlertStatus
from lakealerts.sql.identifiers import quote
from lakealerts.store.runtime import StoreRuntime, decode_value, preview_sql
from lakealerts.store.store import Store
from lakealerts.store.tables import ALERT_EVALUATIONS, ALERT_NOTIFICATION_OUTBOX, TableDef

# history --json keeps the columns it always showed, plus whether an evaluation was a preview (`eval` without
# --notify: its state is not the rule's); `outbox list` shows the delivery record in full.
_HISTORY_NOTIFICATION_COLUMNS = ("id", "alert_id", "channel", "type", "status", "attempts", "last_error",
                                 "created_at", "sent_at")  # fmt: skip
_HISTORY_EVALUATION_COLUMNS = ("alert_id", "evaluated_at", "state", "value", "error", "duration_ms", "notified")


@dataclass(frozen=True)
class StoreQuery:
    """The query port on the store: read-only sessions, each rule bounded by the timeout.

    A session is given up after ``hold_seconds`` and the next rule opens a new one, so a writer (another
    process's ``rules import``, this process's next round) waits at most that plus one query's timeout.
    """

    ctx: AppContext
    hold_seconds: float = 1.0

    def __call__(self, rules: Sequence[AlertRule], at: datetime | None) -> list[Outcome]:
        """Run and evaluate ``rules`` (none: no session at all)."""
        outcomes: list[Outcome] = []
        while len(outcomes) < len(rules):
            with self.ctx.store(read_only=True) as store:
                query = EngineQuery(store.engine, store.namespace, self.ctx.query_timeout, cancelled=stopping)
                opened = time.monotonic()
                while len(outcomes) < len(rules) and time.monotonic() - opened < self.hold_seconds:
                    outcomes.append(query.one(rules[len(outcomes)], at))
        return outcomes


def runtime_over(ctx: AppContext, *, notify: bool) -> Runtime:
    """The runtime on the context's store; with ``notify`` messages are copied to ``<home>/outbox/`` and sent
    through the channels configured by the environment (or the context's transport)."""
    records = StoreRuntime(ctx.store, lambda: ctx.store(read_only=True))
    if not notify:
        return Runtime(StoreQuery(ctx), records, clock=ctx.clock)
    outbox = Outbox(ctx.settings.outbox_dir, SmtpSettings.from_env(ctx.env).sender)
    return Runtime(StoreQuery(ctx), records, outbox, dispatcher(ctx), clock=ctx.clock)


def migrate(ctx: AppContext) -> None:
    """Bring an older store's tables up to date (``init``, idempotent) before a use case writes to them: a
    read-only session cannot, and the outbox of an older version lacks the delivery columns."""
    with ctx.store() as store:
        store.init()


def dispatcher(ctx: AppContext) -> Dispatcher:
    """Sends messages: the context's transport, or the real channels configured from ``ctx.env``."""
    transport = ctx.transport or RegistryTransport(DeliverySettings.from_env(ctx.env))
    return Dispatcher(transport, ctx.env, ctx.clock, ctx.secret_reader, cancelled=stopping)


@dataclass(frozen=True)
class EvalResult:
    """Every rule's run in one round, and the earlier messages that round sent again."""

    runs: list[RuleRun]
    notified: bool
    retried: list[Delivery] = field(default_factory=list)
    expired: int = 0

    @property
    def has_errors(self) -> bool:
        """Whether any rule ended in ERROR."""
        return any(run.state == AlertStatus.ERROR for run in self.runs)

    @property
    def failed_deliveries(self) -> list[Delivery]:
        """The messages of this round (and its retries) that ended FAILED."""
        sent = [d for run in self.runs for d in run.deliveries] + self.retried
        return [d for d in sent if d.status is DeliveryStatus.FAILED]

    def to_dict(self) -> list[dict[str, Any]]:
        """``eval --json``: ``[{"alert_id", "state", "value", "error", "notifications"}]``."""
        return [run.to_dict() for run in self.runs]


def evaluate(
    ctx: AppContext, alert_ids: Sequence[str] | None = None, *, at: datetime | None = None, notify: bool = False
) -> EvalResult:
    """One round over the named rules (default: every enabled rule), as of ``at`` (default now).

    Without ``notify`` a preview: history is recorded (marked ``preview``), state is not advanced, nothing is
    sent. With it, the messages of earlier rounds that are due again are sent too.
    """
    problems: list[Finding] = []
    migrate(ctx)  # a preview writes history too, with its `preview` column
    with ctx.store(read_only=True) as store:
        stored = store.load_rules(alert_ids or None, problems=problems)
        destinations = store.destinations_by_id(problems=[])
    rules = [s.rule for s in stored if alert_ids or s.rule.is_enabled]
    result = one_round(runtime_over(ctx, notify=notify), rules, destinations, ctx.now(), at)
    # A row broken by hand in SQL cannot run: it is that rule's ERROR, and the others still ran.
    broken = [
        RuleRun(p.rule_id or "<no id>", AlertStatus.ERROR, None, f"stored rule is invalid: {p}") for p in problems
    ]
    return EvalResult(result.runs + broken, notify, result.retried, result.expired)


def one_round(
    runtime: Runtime,
    rules: Sequence[AlertRule],
    destinations: dict[str, NotificationDestination],
    now: datetime,
    at: datetime | None = None,
) -> RoundResult:
    """A single round through the replay loop: as of ``at`` when given (then that is also ``now``)."""
    instant = Instant.pinned(at) if at is not None else Instant(now)
    return next(replay(runtime, rules, destinations, [instant])).result


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
    with ctx.store(read_only=True) as store:
        if alert_id:
            store.get_rule(alert_id)
        evaluations = _recent(store, ALERT_EVALUATIONS, _HISTORY_EVALUATION_COLUMNS, "evaluated_at", alert_id,
                              limit, extra=f"{preview_sql(store)} AS preview")  # fmt: skip
        notifications = _recent(store, ALERT_NOTIFICATION_OUTBOX, _HISTORY_NOTIFICATION_COLUMNS, "created_at",
                                alert_id, limit)  # fmt: skip
    for evaluation in evaluations:  # stored as JSON text: a number stays a number, as `eval --json` gives it
        evaluation["value"] = _decoded(evaluation["value"])
        evaluation["preview"] = bool(evaluation["preview"])
    return HistoryResult(evaluations, notifications)


def _decoded(text: str | None) -> Any:
    try:
        return decode_value(text)
    except ValueError:  # a row written by hand, not as JSON: shown as it is
        return text


def _recent(
    store: Store,
    table: TableDef,
    columns: Sequence[str],
    order: str,
    alert_id: str | None,
    limit: int,
    extra: str = "",
) -> list[dict[str, Any]]:
    """The newest ``limit`` rows' ``columns`` (and the ``extra`` select expression, last)."""
    where, params = ("WHERE alert_id = ?", [alert_id]) if alert_id else ("", [])
    names = ", ".join([*(quote(c) for c in columns), *([extra] if extra else [])])
    sql = f"SELECT {names} FROM {store.table(table)} {where} ORDER BY {quote(order)} DESC, alert_id LIMIT ?"
    return store.engine.execute(sql, [*params, limit]).as_dicts()
