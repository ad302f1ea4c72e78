"""The evaluator: Databricks SQL Alerts V2 semantics over a query result (DESIGN §4). Pure, no I/O.

``evaluate(rule, columns, rows)`` gives the alert state and the operand value. The same rule and result give
the same state here as on Databricks: first row or the SQL aggregate, typed comparisons, NULLs, empty results.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lakealerts.model import Aggregation, AlertRule, EmptyResultState, ValueType
from lakealerts.runtime.state import AlertStatus


@dataclass(frozen=True)
class Evaluation:
    """The outcome of one evaluation: state, the operand value, and the error message for ERROR."""

    state: AlertStatus
    value: Any = None
    error: str | None = None


class _UncomparableError(Exception):
    """The operand's type cannot be compared with the threshold's type."""


def evaluate(rule: AlertRule, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Evaluation:
    """Evaluate ``rule`` over a query result given as column names and rows."""
    if not rows:
        return Evaluation(AlertStatus(EmptyResultState(rule.empty_result_state).value))
    index = _column_index(columns, rule.threshold_column)
    if index is None:
        shown = ", ".join(columns)
        return Evaluation(
            AlertStatus.ERROR, error=f"column {rule.threshold_column!r} is not in the query result ({shown})"
        )
    try:
        value = _operand([row[index] for row in rows], rule.aggregation_type)
        triggered = _compare(value, rule)
    except _UncomparableError as exc:
        return Evaluation(AlertStatus.ERROR, error=str(exc))
    return Evaluation(AlertStatus.TRIGGERED if triggered else AlertStatus.OK, _plain(value))


def evaluation_error(message: str) -> Evaluation:
    """A query that failed: ERROR with the engine's message kept."""
    return Evaluation(AlertStatus.ERROR, error=message)


def _column_index(columns: Sequence[str], name: str) -> int | None:
    exact = [i for i, column in enumerate(columns) if column == name]
    if exact:
        return exact[0]
    folded = [i for i, column in enumerate(columns) if column.lower() == name.lower()]
    return folded[0] if folded else None


def _operand(values: list[Any], aggregation: Aggregation | None) -> Any:
    if aggregation in (None, Aggregation.FIRST):
        return values[0]
    present = [v for v in values if v is not None]
    if aggregation is Aggregation.COUNT:
        return len(present)
    if aggregation is Aggregation.COUNT_DISTINCT:
        return len({_distinct_key(v) for v in present})
    numbers = [_number(v, aggregation) for v in present] if aggregation in _NUMERIC_AGGREGATES else present
    if not numbers:
        return None  # SQL aggregates over no non-NULL values are NULL
    return _AGGREGATES[aggregation](numbers)


def _distinct_key(value: Any) -> Any:
    """The value itself when hashable; arrays, maps and structs by a canonical text form."""
    try:
        hash(value)
    except TypeError:
        return json.dumps(value, sort_keys=True, default=str)
    return value


def _number(value: Any, aggregation: Aggregation) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise _UncomparableError(f"{aggregation.value} needs numbers, got {type(value).__name__} {value!r}")
    return float(value)


def _stddev(values: list[float]) -> float | None:
    return statistics.stdev(values) if len(values) > 1 else None  # stddev_samp of one value is NULL


def _extreme(pick: Callable[[list[Any]], Any]) -> Callable[[list[Any]], Any]:
    def aggregate(values: list[Any]) -> Any:
        kinds = {_kind(v) for v in values}
        if len(kinds) > 1:
            raise _UncomparableError(f"cannot order values of mixed types {sorted(kinds)}")
        return pick(values)

    return aggregate


_NUMERIC_AGGREGATES = frozenset({Aggregation.SUM, Aggregation.AVG, Aggregation.MEDIAN, Aggregation.STDDEV})
_AGGREGATES: dict[Aggregation, Callable[[list[Any]], Any]] = {
    Aggregation.SUM: math.fsum,
    Aggregation.AVG: statistics.fmean,
    Aggregation.MEDIAN: statistics.median,  # interpolates: 1,2,3,4 -> 2.5 like percentile(x, 0.5)
    Aggregation.STDDEV: _stddev,
    Aggregation.MIN: _extreme(min),
    Aggregation.MAX: _extreme(max),
}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float | Decimal):
        return "number"
    return type(value).__name__


def _compare(value: Any, rule: AlertRule) -> bool:
    operator = rule.threshold_operator
    if operator == "IS_NULL":
        return value is None
    if operator == "IS_NOT_NULL":
        return value is not None
    if value is None:
        return False  # NULL compared with anything is not true, so the alert stays OK
    if isinstance(value, float) and math.isnan(value):
        return operator in ("!=", "<>")
    left, right = _typed(value, rule)
    return _OPERATORS[operator](left, right)


def _typed(value: Any, rule: AlertRule) -> tuple[Any, Any]:
    """Operands of one type: numbers with DOUBLE (Decimal stays exact), str with STRING, bool with BOOLEAN."""
    kind, threshold = rule.threshold_value_type, rule.threshold_value
    if kind is ValueType.DOUBLE and _kind(value) == "number":
        if isinstance(value, Decimal):
            return value, Decimal(str(threshold))
        return float(value), threshold
    if kind is ValueType.STRING and isinstance(value, str):
        return value, threshold
    if kind is ValueType.BOOLEAN and isinstance(value, bool):
        return value, threshold
    raise _UncomparableError(
        f"cannot compare {_kind(value)} value {value!r} with a {kind.value} threshold {threshold!r}"
    )


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<>": lambda a, b: a != b,
}


def _plain(value: Any) -> Any:
    """Values as JSON can carry them: Decimal as float, everything else unchanged."""
    return float(value) if isinstance(value, Decimal) else value
