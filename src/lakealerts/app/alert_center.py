"""The Alert Center's read models (DESIGN §13): every rule with its remembered state, last and next run and a
7-day state strip; recent transitions; one rule's value series; and a preview evaluation that stores nothing.

Each opens the store read-only for one request, so the UI never blocks ``serve``'s scheduler for long.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from lakealerts import quartz
from lakealerts.app.context import AppContext
from lakealerts.app.evaluate import EvalResult, StoreQuery, one_round
from lakealerts.errors import EngineError, QuartzError
from lakealerts.findings import Finding
from lakealerts.model import StoredRule
from lakealerts.runtime.ports import MemoryRuntimeStore
from lakealerts.runtime.round import Runtime
from lakealerts.runtime.state import AlertState
from lakealerts.store.runtime import decode_value, load_states, preview_sql
from lakealerts.store.store import Store
from lakealerts.store.tables import ALERT_CONFIGURATIONS, ALERT_EVALUATIONS, ALERT_NOTIFICATION_OUTBOX

STRIP_DAYS = 7
#: Which state a day of the strip shows when it saw several: the most alarming one.
_RANK = {"TRIGGERED": 4, "ERROR": 3, "OK": 2, "UNKNOWN": 1}


@dataclass(frozen=True)
class RuleRow:
    """One rule as the rules list shows it."""

    stored: StoredRule
    state: AlertState
    strip: list[str]  # STRIP_DAYS entries, oldest first: the day's most alarming state, "" when not evaluated
    next_run: datetime | None

    @property
    def alert_id(self) -> str:
        """The rule's id."""
        return self.stored.rule.alert_id


@dataclass(frozen=True)
class RuleBoard:
    """Every readable rule with its state, as of ``now``; rows broken by hand are in ``problems``."""

    rows: list[RuleRow]
    problems: list[Finding]
    now: datetime

    def counts(self) -> dict[str, dict[str, int]]:
        """Rules per domain per state (``{"COST": {"TRIGGERED": 2, "OK": 4}}``), domains sorted."""
        counts: dict[str, dict[str, int]] = {}
        for row in sorted(self.rows, key=lambda r: r.stored.rule.agent_domain):
            by_state = counts.setdefault(row.stored.rule.agent_domain, {})
            by_state[str(row.state.state)] = by_state.get(str(row.state.state), 0) + 1
        return counts

    def lag_seconds(self) -> float:
        """How late the most overdue enabled, unpaused rule is: now minus the first fire time after its last
        evaluation (0 when none is overdue, or none was evaluated yet)."""
        worst = 0.0
        for row in self.rows:
            rule, last = row.stored.rule, row.state.last_evaluated_at
            if last is None or not rule.is_enabled or rule.pause_status != "UNPAUSED":
                continue
            due = _next_fire(rule.schedule_cron, rule.schedule_timezone, _aware(last))
            if due is not None and due < self.now:
                worst = max(worst, (self.now - due).total_seconds())
        return worst


def rule_board(ctx: AppContext, alert_ids: Sequence[str] | None = None) -> RuleBoard:
    """Every rule (or ``alert_ids``) with its state, strip and next run, read in one read-only session."""
    problems: list[Finding] = []
    now = ctx.now()
    with ctx.store(read_only=True) as store:
        stored = _load_rules(store, problems) if not alert_ids else store.load_rules(alert_ids, problems=problems)
        ids = [s.rule.alert_id for s in stored]
        states = load_states(store, ids)
        strips = _strips(store, now)
    rows = [
        RuleRow(s, states[s.rule.alert_id], strips.get(s.rule.alert_id, [""] * STRIP_DAYS),
                _next_fire(s.rule.schedule_cron, s.rule.schedule_timezone, now))
        for s in stored
    ]  # fmt: skip
    return RuleBoard(rows, problems, now)


# Every rule, as last read, per table, with the fingerprint of the rows it was read from: pages re-read the
# rules often and the table rarely changes; parsing 2,000 rows into models costs ~0.3 s, the fingerprint ~5 ms.
_RULES: dict[str, tuple[tuple[Any, ...], list[StoredRule], list[Finding]]] = {}
_RULES_LOCK = threading.Lock()


def _load_rules(store: Store, problems: list[Finding]) -> list[StoredRule]:
    """``store.load_rules()``, re-parsed only when a row changed (any column: the fingerprint hashes them all)."""
    table = store.table(ALERT_CONFIGURATIONS)
    key = f"{getattr(store.engine, 'path', '')}:{table}"
    try:  # DuckDB's hash of each row's text; another engine simply reads every time
        fingerprint = tuple(store.engine.execute(f"SELECT count(*), sum(hash(CAST(t AS VARCHAR))) FROM {table} AS t")
                            .rows[0])  # fmt: skip
    except EngineError:
        return store.load_rules(problems=problems)
    with _RULES_LOCK:
        cached = _RULES.get(key)
    if cached is not None and cached[0] == fingerprint:
        problems.extend(cached[2])
        return list(cached[1])
    found: list[Finding] = []
    stored = store.load_rules(problems=found)
    with _RULES_LOCK:
        _RULES[key] = (fingerprint, stored, found)
    problems.extend(found)
    return list(stored)


def _strips(store: Store, now: datetime) -> dict[str, list[str]]:
    """Per rule, the most alarming state of each of the last STRIP_DAYS UTC days (oldest first); previews, which
    never changed the state, left out."""
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=STRIP_DAYS - 1)
    rows = store.engine.execute(
        f"SELECT alert_id, CAST(evaluated_at AS DATE) AS day, list(DISTINCT state) AS states "
        f"FROM {store.table(ALERT_EVALUATIONS)} WHERE evaluated_at >= ? AND NOT {preview_sql(store)} GROUP BY ALL",
        [datetime(first.year, first.month, first.day)],
    ).rows
    strips: dict[str, list[str]] = {}
    for alert_id, day, seen in rows:
        index = (day - first).days
        if 0 <= index < STRIP_DAYS:
            strip = strips.setdefault(str(alert_id), [""] * STRIP_DAYS)
            strip[index] = max(seen, key=lambda s: _RANK.get(s, 0))
    return strips


@lru_cache(maxsize=4096)
def _schedule(cron: str) -> quartz.QuartzSchedule | None:
    try:
        return quartz.parse(cron)
    except QuartzError:
        return None


# (cron, zone) -> (the instant it was computed after, the next fire time after it). Still right for a later
# instant that comes before that fire time: no fire time lies between.
_NEXT: dict[tuple[str, str], tuple[datetime, datetime | None]] = {}


def _next_fire(cron: str, timezone: str, after: datetime) -> datetime | None:
    known = _NEXT.get((cron, timezone))
    if known is not None and known[1] is not None and known[0] <= after < known[1]:
        return known[1]
    found = _compute_next_fire(cron, timezone, after)
    if len(_NEXT) > 100_000:
        _NEXT.clear()
    _NEXT[(cron, timezone)] = (after, found)
    return found


def _compute_next_fire(cron: str, timezone: str, after: datetime) -> datetime | None:
    schedule = _schedule(cron)
    if schedule is None:
        return None
    try:
        times = schedule.next_fire_times(after, timezone, 1)
    except (QuartzError, ValueError, KeyError):  # an unknown zone: validation names it
        return None
    return times[0] if times else None


def _aware(moment: datetime) -> datetime:
    """Stored timestamps are naive UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Transition:
    """A rule's state changed between two evaluations."""

    alert_id: str
    at: datetime
    previous: str | None
    state: str
    value: Any


def recent_transitions(ctx: AppContext, limit: int = 20) -> list[Transition]:
    """The last ``limit`` state changes over all rules, newest first (a first evaluation counts). Previews
    (``eval`` without --notify) advance no state: they are neither a transition nor the state before one."""
    with ctx.store(read_only=True) as store:
        rows = store.engine.execute(
            f"SELECT alert_id, evaluated_at, previous, state, value FROM (SELECT alert_id, evaluated_at, state, "
            f"value, lag(state) OVER (PARTITION BY alert_id ORDER BY evaluated_at) AS previous "
            f"FROM {store.table(ALERT_EVALUATIONS)} WHERE NOT {preview_sql(store)}) "
            f"WHERE previous IS DISTINCT FROM state "
            f"ORDER BY evaluated_at DESC, alert_id LIMIT ?",
            [limit],
        ).rows
    return [Transition(str(r[0]), _aware(r[1]), r[2], str(r[3]), _decoded(r[4])) for r in rows]


@dataclass(frozen=True)
class SeriesPoint:
    """One evaluation of a rule: when, the operand value, the state, whether it notified, and whether it was a
    preview (a value the rule saw, but not a state it was in)."""

    at: datetime
    value: Any
    state: str
    notified: bool
    preview: bool = False


@dataclass(frozen=True)
class Series:
    """A rule's evaluations and notifications in [start, end)."""

    alert_id: str
    start: datetime
    end: datetime
    points: list[SeriesPoint] = field(default_factory=list)
    notifications: list[datetime] = field(default_factory=list)

    def values(self) -> list[tuple[datetime, Any]]:
        """Every evaluation's value (the chart's line), previews included: the query really returned them."""
        return [(point.at, point.value) for point in self.points]

    def states(self) -> list[tuple[datetime, str]]:
        """The states the rule was in (the chart's band): previews left out, they advanced no state."""
        return [(point.at, point.state) for point in self.points if not point.preview]


def series(ctx: AppContext, alert_id: str, start: datetime, end: datetime) -> Series:
    """The evaluations and notification times of ``alert_id`` (NotFoundError when unknown) in [start, end)."""
    bounds = [alert_id, _naive(start), _naive(end)]
    with ctx.store(read_only=True) as store:
        store.get_rule(alert_id)
        evaluations = store.engine.execute(
            f"SELECT evaluated_at, value, state, notified, {preview_sql(store)} FROM {store.table(ALERT_EVALUATIONS)} "
            f"WHERE alert_id = ? AND evaluated_at >= ? AND evaluated_at < ? ORDER BY evaluated_at",
            bounds,
        ).rows
        sent = store.engine.execute(
            f"SELECT DISTINCT created_at FROM {store.table(ALERT_NOTIFICATION_OUTBOX)} "
            f"WHERE alert_id = ? AND created_at >= ? AND created_at < ? ORDER BY created_at",
            bounds,
        ).rows
    points = [SeriesPoint(_aware(at), _decoded(value), str(state), bool(notified), bool(preview))
              for at, value, state, notified, preview in evaluations]  # fmt: skip
    return Series(alert_id, start, end, points, [_aware(row[0]) for row in sent])


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _decoded(text: Any) -> Any:
    try:
        return decode_value(text)
    except (ValueError, TypeError):
        return text


def preview(ctx: AppContext, alert_id: str, at: datetime | None = None) -> EvalResult:
    """Evaluate one rule now (or as of ``at``) and store nothing: no history, no state, no message ("Run now").

    The result is ``eval ID --json``'s document; NotFoundError when the rule is unknown.
    """
    with ctx.store(read_only=True) as store:
        stored = store.get_rule(alert_id)
        destinations = store.destinations_by_id(problems=[])
    runtime = Runtime(StoreQuery(ctx), MemoryRuntimeStore(), clock=ctx.clock)
    result = one_round(runtime, [stored.rule], destinations, ctx.now(), at)
    return EvalResult(result.runs, notified=False)


def rule_findings(ctx: AppContext, alert_id: str) -> list[Finding]:
    """The static findings of one stored rule, judged now and recorded nowhere (the rule page's list)."""
    from lakealerts.validate import validate_rules  # sqlglot: only when asked for

    with ctx.store(read_only=True) as store:
        everything = store.load_rules(problems=[])
        chosen = [s.rule for s in everything if s.rule.alert_id == alert_id] or [store.get_rule(alert_id).rule]
        destinations = list(store.destinations_by_id(problems=[]).values())
        report = validate_rules(chosen, destinations, store.namespace, None,
                                all_rules=[s.rule for s in everything], now=ctx.now())  # fmt: skip
    return [f for result in report.results for f in result.findings]
