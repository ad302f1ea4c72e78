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
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from lakealerts.model import Aggregation, AlertRule, EmptyResultState, ValueType
from lakealerts.runtime.state import AlertStatus
from lakealerts.sql.decimals import MAX_PRECISION, DecimalType, avg_division_type, avg_type


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
    if not present:
        return None  # SQL aggregates over no non-NULL values are NULL
    if aggregation in _EXACT_AGGREGATES and all(isinstance(v, Decimal) for v in present):
        return _EXACT_AGGREGATES[aggregation](present)
    numbers = [_number(v, aggregation) for v in present] if aggregation in _NUMERIC_AGGREGATES else present
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


def _decimal_sum(values: list[Decimal]) -> Decimal:
    """SUM over a DECIMAL column is exact on Databricks (a DECIMAL itself), not a float sum."""
    with localcontext() as context:
        context.prec = 2 * MAX_PRECISION
        return sum(values, Decimal(0))


def _decimal_avg(values: list[Decimal]) -> Decimal:
    """AVG over a DECIMAL(38,s) column as Databricks computes it: sum / count rounded HALF_UP to the division's
    scale, then to AVG's own (DESIGN §10.3; the column's precision is taken as 38, DuckDB's and Spark's usual)."""
    column = DecimalType(MAX_PRECISION, max(-int(v.as_tuple().exponent) for v in values))
    division, average = avg_division_type(column), avg_type(column)
    with localcontext() as context:
        context.prec, context.rounding = 3 * MAX_PRECISION, ROUND_HALF_UP
        quotient = (_decimal_sum(values) / len(values)).quantize(Decimal(1).scaleb(-division.scale))
        return quotient.quantize(Decimal(1).scaleb(-average.scale))


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
_EXACT_AGGREGATES: dict[Aggregation, Callable[[list[Decimal]], Decimal]] = {
    Aggregation.SUM: _decimal_sum,
    Aggregation.AVG: _decimal_avg,
}
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


def triggering_value(rule: AlertRule, sample: Any = 6) -> Any:
    """A value that makes ``rule`` trigger, for a test message: its threshold when that triggers (``>=``, ``=``),
    else one step past it (``> 8000`` -> 8001.0, ``!= 'ok'`` -> ``'ok!'``); ``sample`` for IS_NOT_NULL."""
    threshold = rule.threshold_value
    candidates: list[Any]
    if isinstance(threshold, bool):
        candidates = [threshold, not threshold]
    elif isinstance(threshold, int | float):
        candidates = [threshold, threshold + 1, threshold - 1]
    elif isinstance(threshold, str):
        candidates = [threshold, threshold + "!", ""]
    else:
        candidates = [None, sample]
    for candidate in candidates:
        try:
            if _compare(candidate, rule):
                return candidate
        except _UncomparableError:
            continue
    return threshold


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
    """Operands of one type: numbers with DOUBLE, str with STRING, bool with BOOLEAN. A DECIMAL value meets the
    threshold as written (``Decimal(str(5000.1))``): 5000.100000000000000001 > 5000.1, no float rounding."""
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
