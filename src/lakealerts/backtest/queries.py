"""Running a rule's query at every instant of a backtest, on the engine port: one statement per instant (the
query port ``eval --at`` uses), or — on DuckDB, where the query's shape allows — one LATERAL statement for all of
them (:mod:`lakealerts.backtest.lateral`). Both give each instant's :class:`Outcome` as the evaluator judged it.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lakealerts.backtest.lateral import lateral_sql, shape_problem
from lakealerts.backtest.result import LATERAL, PER_INSTANT
from lakealerts.engines.base import Deadline, QueryResult
from lakealerts.errors import EngineError
from lakealerts.model import Aggregation, AlertRule
from lakealerts.runtime.evaluator import evaluate, evaluation_error
from lakealerts.runtime.query import EngineQuery, Outcome, rule_sql
from lakealerts.runtime.state import AlertStatus

WAREHOUSE_PARALLEL = 4  # statements in flight on a SQL warehouse (DuckDB's one connection runs one at a time)
_ORDER_BLIND = frozenset(set(Aggregation) - {Aggregation.FIRST})  # aggregates the rows' order cannot change


# Errors the engine raises before reading any data (a missing table, column or function, a syntax error): the
# same at every instant, unlike a runtime error that depends on the rows (a failed CAST).
_STATIC_ERRORS = ("CatalogException", "BinderException", "ParserException")


class TimedOutError(EngineError):
    """The vectorised query ran past the port's timeout."""


@dataclass
class QueryRun:
    """Each instant's outcome, how they were obtained, and what is worth telling about it."""

    outcomes: list[Outcome]
    mode: str
    findings: list[str] = field(default_factory=list)


def run_queries(query: EngineQuery, rule: AlertRule, instants: Sequence[datetime], mode: str = "auto") -> QueryRun:
    """``rule``'s outcome at each instant. ``mode``: ``auto`` (lateral where possible), ``lateral`` (the same,
    said when impossible) or ``per_instant``."""
    if mode == PER_INSTANT:
        return QueryRun(per_instant(query, rule, instants), PER_INSTANT)
    if query.engine.name != "duckdb":
        note = f"the {query.engine.name} engine runs one statement per instant ({WAREHOUSE_PARALLEL} at a time)"
        return QueryRun(per_instant(query, rule, instants, WAREHOUSE_PARALLEL), PER_INSTANT, [note])
    return lateral(query, rule, instants)


def per_instant(query: EngineQuery, rule: AlertRule, instants: Sequence[datetime], parallel: int = 1) -> list[Outcome]:
    """One statement per instant, exactly as ``eval --at`` runs it."""
    if parallel <= 1 or len(instants) <= 1:
        return [query.one(rule, at) for at in instants]
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        return list(pool.map(lambda at: query.one(rule, at), instants))


def lateral(query: EngineQuery, rule: AlertRule, instants: Sequence[datetime]) -> QueryRun:
    """All instants in one statement; per instant again where that is what equality needs."""
    if not instants:
        return QueryRun([], LATERAL)
    try:
        sql = rule_sql(rule, query.namespace, None)
    except EngineError as error:  # not one read-only query: every instant is that ERROR, as eval --at says
        return QueryRun([Outcome(evaluation_error(error.message)) for _ in instants], LATERAL)
    problem = shape_problem(sql)
    if problem is not None:
        return QueryRun(per_instant(query, rule, instants), PER_INSTANT, [f"one query per instant: {problem}"])
    started = query.timer()
    try:
        statement, params, ordered = lateral_sql(sql, instants)
        result = _bounded(query, statement, params)
    except TimedOutError as error:  # one query per instant could take N x --query-timeout: say so instead
        note = (f"the vectorised query {error.message}: every instant is ERROR (not retried one instant at a time; "
                "raise --query-timeout or narrow --from/--to)")  # fmt: skip
        return QueryRun([Outcome(evaluation_error(error.message)) for _ in instants], LATERAL, [note])
    except EngineError as error:
        return _fallback(query, rule, instants, error)
    share = (query.timer() - started) * 1000 / len(instants)
    width = len(result.column_names) - (1 if ordered else 0)  # the row number, if any, is the last column
    columns = tuple(result.column_names[1:width])
    grouped: dict[datetime, list[tuple[object, ...]]] = {_utc(at): [] for at in instants}
    for row in result.rows:
        grouped[_utc(row[0])].append(tuple(row[1:width]))
    outcomes, again = [], 0
    for at in instants:
        rows = grouped[_utc(at)]
        if len(rows) > 1 and not ordered and rule.aggregation_type not in _ORDER_BLIND:
            outcomes.append(query.one(rule, at))  # "the first row" needs the query's own order: run it alone
            again += 1
        else:
            outcomes.append(_judged(rule, columns, rows, share))
    findings = [f"{again} instants with several rows ran on their own (the first row needs the query's order)"]
    return QueryRun(outcomes, LATERAL, findings if again else [])


def _fallback(query: EngineQuery, rule: AlertRule, instants: Sequence[datetime], error: EngineError) -> QueryRun:
    """One query per instant after the vectorised one failed — unless the first instant alone fails with the same
    catalog, binder or parser error (a missing table, column or function: every instant would fail alike), when
    every instant is that ERROR without running the rest."""
    failure = _first_line(error.message)
    note = f"one query per instant: the vectorised query failed ({failure[:200]})"
    first = query.one(rule, instants[0])
    failed = first.evaluation.error if first.evaluation.state == AlertStatus.ERROR and not first.columns else None
    if failed is not None and _first_line(failed) == failure and failure.startswith(_STATIC_ERRORS):
        rest = [Outcome(evaluation_error(failed)) for _ in instants[1:]]
        note += f"; the first instant failed the same way, so the other {len(rest)} were not run"
        return QueryRun([first, *rest], PER_INSTANT, [note])
    return QueryRun([first, *per_instant(query, rule, instants[1:])], PER_INSTANT, [note])


def _first_line(message: str | None) -> str:
    return (message or "").strip().splitlines()[0] if (message or "").strip() else ""


def _judged(rule: AlertRule, columns: tuple[str, ...], rows: list[tuple[object, ...]], duration_ms: float) -> Outcome:
    try:
        return Outcome(evaluate(rule, columns, rows), columns, rows, duration_ms)
    except Exception as error:  # as the query port does: a value the evaluator cannot handle is this rule's ERROR
        failed = evaluation_error(f"cannot evaluate the result: {type(error).__name__}: {error}")
        return Outcome(failed, columns, rows, duration_ms)


def _utc(moment: datetime) -> datetime:
    """An instant as a key: aware, in UTC (the engine gives the instants column back as TIMESTAMP WITH TIME ZONE)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _bounded(query: EngineQuery, sql: str, params: list[str]) -> QueryResult:
    """``sql`` on the port's engine, interrupted after the port's timeout (per query, here for all instants)."""
    if query.timeout is None:
        return query.engine.execute(sql, params)
    with Deadline(query.engine, query.timeout) as deadline:
        try:
            return query.engine.execute(sql, params)
        except EngineError as error:
            if deadline.expired:
                raise TimedOutError(f"timed out after {query.timeout:g} s") from error
            raise
