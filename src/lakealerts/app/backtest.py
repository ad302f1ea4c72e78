"""The backtest use case (DESIGN §12): how rules would have behaved over past instants.

Rules and destinations are read from the store; each rule's instants are its Quartz fire times in [from, to) or
every ``--step``; the queries run on the store's engine in one read-only session (on DuckDB one LATERAL statement
per rule where its shape allows, else one per instant); every instant's outcome goes through the real runtime
over an in-memory store (:mod:`lakealerts.backtest.run`), so ``alert_state``, the history and the outbox are never
touched. ``record`` keeps the run in ``alert_backtests``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from lakealerts.app.context import AppContext
from lakealerts.app.files import dump_json
from lakealerts.backtest import instants as when
from lakealerts.backtest.queries import run_queries
from lakealerts.backtest.result import LATERAL, PER_INSTANT, Backtest, RuleBacktest
from lakealerts.backtest.run import backtest_rule
from lakealerts.backtest.stats import DEFAULT_FLAP_WINDOW
from lakealerts.backtest.sweep import check_sweepable, parse_sweep
from lakealerts.errors import UsageError
from lakealerts.model import AlertRule, NotificationDestination
from lakealerts.runtime.query import EngineQuery
from lakealerts.store.store import Store
from lakealerts.store.tables import ALERT_BACKTESTS

MODES = ("auto", LATERAL, PER_INSTANT)


@dataclass(frozen=True)
class BacktestRequest:
    """What to replay: which rules (``alert_ids``, or every enabled rule with ``all_rules``), over [start, end),
    at the rules' fire times or every ``step``; with an optional threshold ``sweep`` (``A:B:STEP``)."""

    alert_ids: Sequence[str]
    start: datetime
    end: datetime
    all_rules: bool = False
    step: str | None = None
    sweep: str | None = None
    max_evaluations: int = when.DEFAULT_MAX_EVALUATIONS
    flap_window: int = DEFAULT_FLAP_WINDOW
    record: bool = False
    mode: str = "auto"


def backtest(ctx: AppContext, request: BacktestRequest) -> Backtest:
    """Replay the requested rules; UsageError for a bad range, an unknown id or too many evaluations."""
    step, thresholds = _checked(request)
    with ctx.store(read_only=True) as store:
        rules = _rules(store, request)
        destinations = store.destinations_by_id(problems=[])
        if thresholds and not request.all_rules:
            for rule in rules:
                check_sweepable(rule)  # a named rule without a DOUBLE threshold: say so before any query runs
        schedules = [(rule.schedule_cron, rule.schedule_timezone) for rule in rules]
        planned = when.plan(schedules, request.start, request.end, step, request.max_evaluations)  # or exit 2
        query = EngineQuery(store.engine, store.namespace, ctx.query_timeout)
        results = [_one(query, rule, destinations, times, request, thresholds)
                   for rule, times in zip(rules, planned, strict=True)]  # fmt: skip
    result = Backtest(str(uuid.uuid4()), request.start, request.end, results, request.step)
    if request.record:
        record(ctx, result)
    return result


def _one(
    query: EngineQuery,
    rule: AlertRule,
    destinations: dict[str, NotificationDestination],
    times: list[datetime],
    request: BacktestRequest,
    thresholds: list[float],
) -> RuleBacktest:
    """One rule's queries, replay and sweep; with --all a rule without a DOUBLE threshold is not swept (a finding)."""
    queries = run_queries(query, rule, times, request.mode)
    if rule.pause_status == "PAUSED" or not rule.is_enabled:
        why = "paused" if rule.pause_status == "PAUSED" else "disabled"
        queries.findings.append(f"the rule is {why}: these are what it would do if it ran on its schedule")
    if thresholds:
        try:
            check_sweepable(rule)
        except UsageError as unsweepable:
            queries.findings.append(f"not swept: {unsweepable.message}")
            thresholds = []
    return backtest_rule(rule, destinations, times, queries, thresholds, request.flap_window)


def _checked(request: BacktestRequest) -> tuple[timedelta | None, list[float]]:
    if request.end <= request.start:
        raise UsageError(
            f"--to {request.end.isoformat()} is not after --from {request.start.isoformat()}",
            hint="give a range: --from 2026-11-01T00:00:00Z --to 2026-12-01T00:00:00Z",
        )
    if request.max_evaluations < 1 or request.flap_window < 0:
        raise UsageError(
            f"--max-evaluations {request.max_evaluations} / --flap-window {request.flap_window} out of range",
            hint="--max-evaluations at least 1, --flap-window at least 0",
        )
    if request.mode not in MODES:
        raise UsageError(f"--mode {request.mode!r} is not a mode", hint=f"one of {', '.join(MODES)}")
    if not request.alert_ids and not request.all_rules:
        raise UsageError("name the rules to backtest", hint="lakealerts backtest COST-001 … or --all")
    if request.alert_ids and request.all_rules:
        raise UsageError("rule ids and --all together", hint="name rules, or --all for every enabled rule")
    step = when.parse_step(request.step) if request.step else None
    return step, parse_sweep(request.sweep) if request.sweep else []


def _rules(store: Store, request: BacktestRequest) -> list[AlertRule]:
    if request.all_rules:
        return [s.rule for s in store.load_rules(problems=[]) if s.rule.is_enabled]
    return [s.rule for s in store.load_rules(list(dict.fromkeys(request.alert_ids)))]  # unknown id: exit 2


def record(ctx: AppContext, result: Backtest) -> None:
    """One ``alert_backtests`` row per rule (a store from before the table existed gets it, as ``init`` would)."""
    now = ctx.now()
    with ctx.store() as store:
        store.init()
        columns = ALERT_BACKTESTS.column_names
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {store.table(ALERT_BACKTESTS)} ({', '.join(columns)}) VALUES ({marks})"
        store.engine.execute_many(sql, [_row(result, rule, now, store.user) for rule in result.rules])


def _row(result: Backtest, rule: RuleBacktest, now: datetime, user: str) -> tuple[object, ...]:
    s = rule.summary
    document = json.loads(dump_json(rule.to_dict()))
    return (result.run_id, rule.alert_id, result.start, result.end, result.step, rule.mode, s.evaluations, s.ok,
            s.triggered, s.error, s.unknown, s.fires, s.notifications, s.flaps, s.triggered_ratio, json.dumps(document),
            now, user)  # fmt: skip
