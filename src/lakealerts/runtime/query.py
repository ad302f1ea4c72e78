"""A rule's query: rendered, checked read-only and pinned to an instant (pure), then run on an engine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lakealerts.engines.base import Engine
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


def rule_sql(rule: AlertRule, namespace: Namespace, at: datetime | None) -> str:
    """The rule's SQL ready to run: rendered, checked read-only, and pinned to ``at`` when given.

    Raises EngineError with the finding's message: a rule that is not one read-only query never runs.
    """
    findings = template_findings(rule.alert_query_template)
    sql = render(rule.alert_query_template, namespace)
    if not findings:
        findings = parse_query(sql)[1]
    if findings:
        raise EngineError(f"{findings[0].code}: {findings[0].message}")
    return pin_clock(sql, at) if at is not None else sql


@dataclass(frozen=True)
class EngineQuery:
    """Runs rules on an engine and evaluates their results: the runtime's query port."""

    engine: Engine
    namespace: Namespace

    def __call__(self, rule: AlertRule, at: datetime | None) -> Outcome:
        """Run and evaluate one rule. Failures are ERROR with the message kept, never an exception."""
        try:
            result = self.engine.execute(rule_sql(rule, self.namespace, at))
        except EngineError as error:
            return Outcome(evaluation_error(error.message))
        columns = result.column_names
        try:
            return Outcome(evaluate(rule, columns, result.rows), columns, result.rows)
        except Exception as error:  # a value the evaluator cannot handle is this rule's ERROR, not the round's end
            failed = evaluation_error(f"cannot evaluate the result: {type(error).__name__}: {error}")
            return Outcome(failed, columns, result.rows)
