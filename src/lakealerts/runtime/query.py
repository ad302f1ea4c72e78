"""A rule's query: rendered, checked read-only and pinned to an instant (pure), then run on an engine."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from lakealerts.engines.base import Deadline, Engine, QueryResult
from lakealerts.errors import EngineError
from lakealerts.model import AlertRule
from lakealerts.runtime.evaluator import Evaluation, evaluate, evaluation_error
from lakealerts.sql.clock import pin_clock
from lakealerts.sql.identifiers import Namespace
from lakealerts.sql.readonly import parse_query
from lakealerts.sql.render import render, template_findings


@dataclass(frozen=True)
class Outcome:
    """One rule's evaluation and the result it was judged on (for the message's QUERY_RESULT_* variables)."""

    evaluation: Evaluation
    columns: tuple[str, ...] = ()
    rows: Sequence[Sequence[Any]] = ()
    duration_ms: float = 0.0


def rule_sql(rule: AlertRule, namespace: Namespace, at: datetime | None) -> str:
    """The rule's SQL ready to run: rendered, checked read-only, and pinned to ``at`` when given.

    Raises EngineError with the finding's message: a rule that is not one read-only query never runs.
    """
    sql, refused = checked_sql(rule.alert_query_template, namespace)
    if refused is not None:
        raise EngineError(refused)
    return pin_clock(sql, at) if at is not None else sql


@lru_cache(maxsize=2048)
def checked_sql(template: str, namespace: Namespace) -> tuple[str, str | None]:
    """The rendered SQL of ``template`` and why it may not run (``CODE: message``), or None when it is one
    read-only query. Cached by the template and namespace: a rule evaluated every minute (``serve``), every
    instant of a backtest or every step of an alert test is parsed for the guard once, not each time."""
    findings = template_findings(template, namespace=namespace)
    sql = render(template, namespace)
    if not findings:
        findings = parse_query(sql)[1]
    return sql, (f"{findings[0].code}: {findings[0].message}" if findings else None)


@dataclass(frozen=True)
class EngineQuery:
    """Runs rules on an engine and evaluates their results: the runtime's query port.

    Each query is bounded by ``timeout`` seconds (None: unbounded): past it the engine is interrupted and
    the rule ends in ERROR "timed out after N s"; the other rules still run.
    """

    engine: Engine
    namespace: Namespace
    timeout: float | None = None
    timer: Callable[[], float] = time.perf_counter
    cancelled: Callable[[], bool] = lambda: False  # True: the process is stopping, start no new query

    def __call__(self, rules: Sequence[AlertRule], at: datetime | None) -> list[Outcome]:
        """Run and evaluate each rule. Failures are that rule's ERROR with the message kept, never an exception."""
        return [self.one(rule, at) for rule in rules]

    def one(self, rule: AlertRule, at: datetime | None) -> Outcome:
        """Run and evaluate one rule."""
        started = self.timer()
        outcome = self._evaluate(rule, at)
        return replace(outcome, duration_ms=(self.timer() - started) * 1000)

    def _evaluate(self, rule: AlertRule, at: datetime | None) -> Outcome:
        if self.cancelled():
            return Outcome(evaluation_error("not run: the service is stopping"))
        try:
            result = self._bounded(rule_sql(rule, self.namespace, at))
        except EngineError as error:
            return Outcome(evaluation_error(error.message))
        except Exception as error:  # anything else (a translation that gives up) is this rule's ERROR alone
            return Outcome(evaluation_error(f"cannot run the query: {type(error).__name__}: {error}"))
        columns = result.column_names
        try:
            return Outcome(evaluate(rule, columns, result.rows), columns, result.rows)
        except Exception as error:  # a value the evaluator cannot handle is this rule's ERROR, not the round's end
            failed = evaluation_error(f"cannot evaluate the result: {type(error).__name__}: {error}")
            return Outcome(failed, columns, result.rows)

    def _bounded(self, sql: str) -> QueryResult:
        if self.timeout is None:
            return self.engine.execute(sql)
        with Deadline(self.engine, self.timeout) as deadline:
            try:
                return self.engine.execute(sql)
            except EngineError as error:
                if deadline.expired:
                    raise EngineError(f"timed out after {self.timeout:g} s") from error
                if self.cancelled():
                    raise EngineError("interrupted: the service is stopping") from error
                raise
