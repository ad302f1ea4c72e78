"""The evaluator's semantics (DESIGN §4) as a truth table, and the state machine's notification policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from lakealerts.runtime.evaluator import evaluate, triggering_value
from lakealerts.runtime.state import AlertState, advance
from tests.builders import make_rule

pytestmark = pytest.mark.unit
T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def state_of(rows: list[tuple[Any, ...]], columns: tuple[str, ...] = ("value",), **rule: Any) -> str:
    return evaluate(make_rule(**rule), columns, rows).state


@pytest.mark.parametrize(
    ("rows", "rule", "expected"),
    [
        ([(5,)], {}, "TRIGGERED"),  # 5 > 1, first row
        ([(0,), (9,)], {}, "OK"),  # first row only
        ([(1,)], {}, "OK"),
        ([(1,)], {"threshold_operator": ">="}, "TRIGGERED"),
        ([(Decimal("1.10"),)], {"threshold_value_double": 1.1, "threshold_operator": "="}, "TRIGGERED"),
        # DECIMAL values meet a DOUBLE threshold exactly (float(…) would round both to 5000.1 and say equal).
        ([(Decimal("5000.100000000000000001"),)], {"threshold_value_double": 5000.1}, "TRIGGERED"),
        ([(Decimal("5000.099999999999999999"),)], {"threshold_value_double": 5000.1, "threshold_operator": "<"},
         "TRIGGERED"),
        # SUM over a DECIMAL column is exact (a float sum of these is 0.30000000000000004 > 0.3).
        ([(Decimal("0.1"),), (Decimal("0.2"),)], {"aggregation_type": "SUM", "threshold_value_double": 0.3,
                                                  "threshold_operator": "="}, "TRIGGERED"),
        # AVG over DECIMAL(38,18) as Databricks: sum / count rounded at 18 decimals (1.666666666666666667).
        ([(Decimal("1.000000000000000000"),), (Decimal("2.000000000000000000"),), (Decimal("2.000000000000000001"),)],
         {"aggregation_type": "AVG", "threshold_value_double": 1.6666666666666667, "threshold_operator": "<"},
         "TRIGGERED"),
        ([(Decimal("1E+20"),), (Decimal("1"),)], {"aggregation_type": "SUM",
                                                   "threshold_value_double": 100000000000000000000,
                                                   "threshold_operator": ">"}, "TRIGGERED"),
        ([(None,)], {}, "OK"),  # NULL with a comparison is never true
        ([(None,)], {"threshold_operator": "IS_NULL", "threshold_value_double": None}, "TRIGGERED"),
        ([(3,)], {"threshold_operator": "IS_NOT_NULL", "threshold_value_double": None}, "TRIGGERED"),
        ([], {}, "OK"),
        ([], {"empty_result_state": "TRIGGERED"}, "TRIGGERED"),
        ([], {"empty_result_state": "ERROR"}, "ERROR"),
        ([], {"empty_result_state": "UNKNOWN", "aggregation_type": "COUNT"}, "UNKNOWN"),  # before aggregation
        ([(1,), (None,), (2,)], {"aggregation_type": "SUM", "threshold_value_double": 2.5}, "TRIGGERED"),
        ([(None,), (None,)], {"aggregation_type": "SUM"}, "OK"),  # SUM of nothing is NULL
        ([(1,), (None,), (2,)], {"aggregation_type": "COUNT", "threshold_value_double": 2, "threshold_operator": "="},
         "TRIGGERED"),
        ([(1,), (1,), (2,)], {"aggregation_type": "COUNT_DISTINCT", "threshold_value_double": 2,
                              "threshold_operator": "="}, "TRIGGERED"),
        ([(1,), (2,), (3,), (4,)], {"aggregation_type": "MEDIAN", "threshold_value_double": 2.5,
                                    "threshold_operator": "="}, "TRIGGERED"),
        ([(2,), (4,)], {"aggregation_type": "AVG", "threshold_value_double": 3, "threshold_operator": "="},
         "TRIGGERED"),
        ([(7,)], {"aggregation_type": "STDDEV", "threshold_value_double": 0, "threshold_operator": ">="}, "OK"),
        ([("b",), ("a",)], {"aggregation_type": "MIN", "threshold_value_type": "STRING",
                            "threshold_value_double": None, "threshold_value_string": "a",
                            "threshold_operator": "="}, "TRIGGERED"),
        ([("FAILED",)], {"threshold_value_type": "STRING", "threshold_value_double": None,
                         "threshold_value_string": "FAILED", "threshold_operator": "!="}, "OK"),
        ([("b",)], {"threshold_value_type": "STRING", "threshold_value_double": None,
                    "threshold_value_string": "a", "threshold_operator": ">"}, "TRIGGERED"),  # lexicographic
        ([(False,)], {"threshold_value_type": "BOOLEAN", "threshold_value_double": None,
                      "threshold_value_bool": False, "threshold_operator": "="}, "TRIGGERED"),
        ([("5",)], {}, "ERROR"),  # a string with a DOUBLE threshold is uncomparable
        ([(True,)], {}, "ERROR"),  # a boolean is not a number here
        ([(1,)], {"threshold_value_type": "BOOLEAN", "threshold_value_double": None, "threshold_value_bool": True,
                  "threshold_operator": "="}, "ERROR"),
        ([("x",)], {"aggregation_type": "SUM"}, "ERROR"),
    ],
)  # fmt: skip
def test_truth_table(rows: list[tuple[Any, ...]], rule: dict[str, Any], expected: str) -> None:
    assert state_of(rows, **rule) == expected


def test_missing_column_is_error_with_message() -> None:
    result = evaluate(make_rule(), ("other",), [(1,)])
    assert result.state == "ERROR" and "value" in (result.error or "") and "other" in (result.error or "")


def test_column_match_falls_back_to_case_insensitive() -> None:
    assert evaluate(make_rule(), ("VALUE",), [(5,)]).state == "TRIGGERED"


def test_value_is_reported() -> None:
    assert evaluate(make_rule(aggregation_type="SUM"), ("value",), [(Decimal("1.5"),), (2,)]).value == 3.5


def run(rule: Any, states: list[str], step: timedelta = timedelta(minutes=1)) -> list[str | None]:
    current = AlertState("R")
    sent = []
    for index, state in enumerate(states):
        current, decision = advance(current, rule, state, None, T0 + index * step)
        sent.append(decision.notify)
    return sent


def test_notify_on_entering_triggered_only_once_without_retrigger() -> None:
    assert run(make_rule(), ["OK", "TRIGGERED", "TRIGGERED", "TRIGGERED"]) == [None, "TRIGGERED", None, None]


def test_unknown_to_ok_sends_nothing_and_ok_needs_notify_on_ok() -> None:
    assert run(make_rule(), ["OK", "TRIGGERED", "OK"]) == [None, "TRIGGERED", None]
    assert run(make_rule(notify_on_ok=True), ["OK", "TRIGGERED", "OK"]) == [None, "TRIGGERED", "OK"]


def test_error_is_transparent() -> None:
    assert run(make_rule(), ["TRIGGERED", "ERROR", "TRIGGERED"]) == ["TRIGGERED", None, None]
    assert run(make_rule(notify_on_ok=True), ["TRIGGERED", "ERROR", "OK"]) == ["TRIGGERED", None, "OK"]


def test_retrigger_after_n_seconds_since_last_notification() -> None:
    rule = make_rule(retrigger_seconds=150)
    assert run(rule, ["TRIGGERED"] * 7) == ["TRIGGERED", None, None, "TRIGGERED", None, None, "TRIGGERED"]
    assert run(make_rule(retrigger_seconds=1), ["TRIGGERED"] * 3) == ["TRIGGERED"] * 3


def test_recovery_resolves_incidents_whatever_notify_on_ok() -> None:
    state = AlertState("R")
    state, _ = advance(state, make_rule(), "TRIGGERED", 5, T0)
    state, decision = advance(state, make_rule(), "OK", 0, T0 + timedelta(minutes=1))
    assert decision.notify is None and decision.resolve_incidents
    assert state.last_triggered_at == T0 and state.last_notified_at == T0


def test_count_distinct_of_arrays_and_a_failing_value_stay_per_rule() -> None:
    rule = make_rule(aggregation_type="COUNT_DISTINCT", threshold_value_double=1)
    assert evaluate(rule, ("value",), [([1, 2],), ([3],), ([1, 2],)]).value == 2


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"threshold_operator": ">", "threshold_value_double": 8000}, 8001.0),
        ({"threshold_operator": ">=", "threshold_value_double": 8000}, 8000.0),
        ({"threshold_operator": "<", "threshold_value_double": 0.5}, -0.5),
        ({"threshold_operator": "!=", "threshold_value_type": "STRING", "threshold_value_string": "ok",
          "threshold_value_double": None}, "ok!"),
        ({"threshold_operator": "==", "threshold_value_type": "BOOLEAN", "threshold_value_bool": True,
          "threshold_value_double": None}, True),
        ({"threshold_operator": "IS_NULL", "threshold_value_double": None}, None),
        ({"threshold_operator": "IS_NOT_NULL", "threshold_value_double": None}, 6),
    ],
)  # fmt: skip
def test_a_test_message_carries_a_value_that_triggers(overrides: dict[str, Any], expected: Any) -> None:
    rule = make_rule(**overrides)
    assert triggering_value(rule) == expected
    assert evaluate(rule, ["value"], [[expected]]).state == "TRIGGERED"
