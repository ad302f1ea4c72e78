"""Property tests: the evaluator agrees with DuckDB's own aggregates and comparisons on random columns."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.runtime.evaluator import evaluate
from tests.builders import make_rule

pytestmark = pytest.mark.integration

_SQL_AGGREGATE = {
    None: None, "SUM": "sum(x)", "AVG": "avg(x)", "MIN": "min(x)", "MAX": "max(x)", "COUNT": "count(x)",
    "COUNT_DISTINCT": "count(DISTINCT x)", "MEDIAN": "median(x)", "STDDEV": "stddev_samp(x)",
}  # fmt: skip
_OPERATORS = [">", ">=", "<", "<=", "=", "!=", "IS_NULL", "IS_NOT_NULL"]


@pytest.fixture(scope="module")
def duck() -> Iterator[DuckDBEngine]:
    with DuckDBEngine.memory("monitoring") as engine:
        yield engine


def duckdb_state(
    engine: DuckDBEngine,
    values: list[Any],
    aggregation: str | None,
    operator: str,
    threshold: Any,
    sql_type: str,
    empty_state: str,
) -> tuple[str, Any]:
    """The state computed by SQL itself: aggregate, then the comparison DuckDB evaluates."""
    if not values:
        return empty_state, None
    rows = ", ".join(f"({i}, CAST(? AS {sql_type}))" for i in range(len(values)))
    source = f"(SELECT * FROM (VALUES {rows}) AS v(i, x))"
    operand = (
        f"(SELECT x FROM {source} ORDER BY i LIMIT 1)"
        if aggregation is None
        else f"(SELECT {_SQL_AGGREGATE[aggregation]} FROM {source})"
    )
    if operator in ("IS_NULL", "IS_NOT_NULL"):
        condition = f"o IS {'NOT ' if operator == 'IS_NOT_NULL' else ''}NULL"
        params = list(values)
    else:
        condition = f"o {operator} ?"
        params = [threshold, *values]  # the condition comes first in the text
    result = engine.execute(f"SELECT o, COALESCE({condition}, FALSE) FROM (SELECT {operand} AS o)", params)
    value, triggered = result.rows[0]
    return ("TRIGGERED" if triggered else "OK"), value


numbers = st.lists(st.one_of(st.none(), st.integers(-50, 50).map(float)), max_size=8)
texts = st.lists(st.one_of(st.none(), st.text(alphabet="abcXYZ", max_size=3)), max_size=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    values=numbers,
    aggregation=st.sampled_from(list(_SQL_AGGREGATE)),
    operator=st.sampled_from(_OPERATORS),
    threshold=st.integers(-60, 60).map(float),
    empty_state=st.sampled_from(["OK", "TRIGGERED", "ERROR"]),
)
def test_numeric_columns_agree_with_duckdb(
    duck: DuckDBEngine,
    values: list[float | None],
    aggregation: str | None,
    operator: str,
    threshold: float,
    empty_state: str,
) -> None:
    null_op = operator in ("IS_NULL", "IS_NOT_NULL")
    rule = make_rule(
        aggregation_type=aggregation,
        threshold_operator=operator,
        empty_result_state=empty_state,
        threshold_value_double=None if null_op else threshold,
    )
    ours = evaluate(rule, ("value",), [(v,) for v in values])
    expected_state, expected_value = duckdb_state(duck, values, aggregation, operator, threshold, "DOUBLE", empty_state)
    if ours.value is not None and expected_value is not None:
        assert ours.value == pytest.approx(float(expected_value), rel=1e-9, abs=1e-9)
        if abs(float(expected_value) - threshold) < 1e-9 and aggregation in ("AVG", "STDDEV", "MEDIAN"):
            return  # a float exactly at the threshold may round either way; the value already agrees
    else:
        assert (ours.value is None and expected_value is None) or not values
    assert ours.state == expected_state


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    values=texts,
    aggregation=st.sampled_from([None, "MIN", "MAX", "COUNT", "COUNT_DISTINCT"]),
    operator=st.sampled_from(_OPERATORS),
    threshold=st.text(alphabet="abcXYZ", max_size=3),
)
def test_string_columns_agree_with_duckdb(
    duck: DuckDBEngine, values: list[str | None], aggregation: str | None, operator: str, threshold: str
) -> None:
    counting = aggregation in ("COUNT", "COUNT_DISTINCT")
    null_op = operator in ("IS_NULL", "IS_NOT_NULL")
    kind = "DOUBLE" if counting else "STRING"
    typed: dict[str, Any] = {"threshold_value_double": None}
    if not null_op:
        typed = (
            {"threshold_value_double": float(len(threshold))}
            if counting
            else {"threshold_value_double": None, "threshold_value_string": threshold}
        )
    rule = make_rule(
        aggregation_type=aggregation,
        threshold_operator=operator,
        threshold_value_type=kind,
        **typed,
    )
    ours = evaluate(rule, ("value",), [(v,) for v in values])
    sql_threshold = float(len(threshold)) if counting else threshold
    expected_state, _ = duckdb_state(duck, values, aggregation, operator, sql_threshold, "VARCHAR", "OK")
    assert ours.state == expected_state
