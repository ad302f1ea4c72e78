"""Comparing a tick with what the test expects: state, value, error text and every message (pure).

A mismatch is a :class:`StepFailure` with the expected and actual values and the ``--diff`` text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from lakealerts.alerttest.capture import CapturedMessage
from lakealerts.alerttest.spec import Expectation, NotificationExpectation
from lakealerts.runtime.ports import RuleRun


@dataclass(frozen=True)
class StepFailure:
    """One expectation a tick missed."""

    step: int  # 1-based
    at: str
    field: str
    expected: Any
    actual: Any

    def to_dict(self) -> dict[str, Any]:
        """DESIGN §11's ``{"step", "at", "field", "expected", "actual"}``."""
        return {"step": self.step, "at": self.at, "field": self.field, "expected": self.expected, "actual": self.actual}

    def summary(self) -> str:
        """One line: ``step 1 (at …): state: expected TRIGGERED, got OK``."""
        expected, actual = _shown(self.expected), _shown(self.actual)
        return f"step {self.step} (at {self.at}): {self.field}: expected {expected}, got {actual}"

    def diff(self) -> str:
        """The ``--diff`` text: expected lines with ``-``, actual lines with ``+``."""
        expected, actual = _lines(self.expected), _lines(self.actual)
        body = [f"  - {line}" for line in expected if line not in actual]
        body += [f"  + {line}" for line in actual if line not in expected]
        return "\n".join([f"step {self.step} (at {self.at}): {self.field}", *body])


def _shown(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True) if not isinstance(value, str) else value


def _lines(value: Any) -> list[str]:
    if isinstance(value, list):
        return [_shown(item) for item in value] or ["(none)"]
    return _shown(value).splitlines() or [""]


def check_step(
    step: int,
    at: str,
    expect: Expectation | None,
    run: RuleRun,
    messages: Sequence[CapturedMessage],
    expected_messages: Sequence[NotificationExpectation] | None,
) -> list[StepFailure]:
    """Every expectation of one tick the run missed."""
    failures: list[StepFailure] = []
    if expect is not None:
        if expect.state is not None and expect.state != run.state:
            failures.append(StepFailure(step, at, "state", expect.state, _state_shown(run)))
        if "value" in expect.model_fields_set and not values_match(expect.value, run.value, expect.tolerance):
            failures.append(StepFailure(step, at, "value", json_ready(expect.value), json_ready(run.value)))
        if expect.error_contains is not None and expect.error_contains not in (run.error or ""):
            failures.append(StepFailure(step, at, "error", expect.error_contains, run.error))
    if expected_messages is not None:
        unmatched = unmatched_messages(expected_messages, messages)
        if unmatched != ([], []):
            wanted = [e.model_dump(exclude_none=True) for e in unmatched[0]]
            got = [_message_view(m, wanted) for m in unmatched[1]]
            failures.append(StepFailure(step, at, "notifications", wanted, got))
    return failures


def _state_shown(run: RuleRun) -> str:
    """The state, and for ERROR the first line of its message (what a wrong column looks like)."""
    if run.state == "ERROR" and run.error:
        return f"ERROR ({run.error.splitlines()[0][:200]})"
    return str(run.state)


_SHOWN_BY = {"subject_contains": "subject", "body_contains": "body"}
_ALWAYS = ("channel", "type", "action", "subject")


def _message_view(message: CapturedMessage, wanted: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A message as far as the expectations look at it (its channel, type, action and subject always)."""
    full = message.to_dict()
    keys = {_SHOWN_BY.get(key, key) for expectation in wanted for key in expectation} | set(_ALWAYS)
    view = {key: full[key] for key in full if key in keys}
    payload_keys = {k for e in wanted for k in (e.get("payload") or {})}
    if "payload" in view and isinstance(view["payload"], dict):
        view["payload"] = {k: v for k, v in view["payload"].items() if k in payload_keys}
    if "to" in view:
        view["to"] = list(message.to)
    return view


def unmatched_messages(
    expected: Sequence[NotificationExpectation], actual: Sequence[CapturedMessage]
) -> tuple[list[NotificationExpectation], list[CapturedMessage]]:
    """Pair each expectation with the first message it fits (any order); what is left over on both sides."""
    left = list(actual)
    missing = []
    for expectation in expected:
        match = next((m for m in left if message_fits(expectation, m)), None)
        if match is None:
            missing.append(expectation)
        else:
            left.remove(match)
    return missing, left


def message_fits(expected: NotificationExpectation, message: CapturedMessage) -> bool:
    """Whether every key the expectation gives holds for ``message``."""
    checks = [
        expected.channel is None or expected.channel == message.channel,
        expected.type is None or expected.type.upper() == message.type,
        expected.to is None or sorted(expected.to) == sorted(message.to),
        expected.subject is None or expected.subject == message.subject,
        expected.subject_contains is None or expected.subject_contains in message.subject,
        expected.body_contains is None or all(part in message.body for part in expected.body_contains),
        expected.payload is None or is_subset(expected.payload, message.payload),
        expected.action is None or expected.action == message.action,
    ]
    return all(checks)


def is_subset(expected: Any, actual: Any) -> bool:
    """Mappings: every expected key with a fitting value; lists and scalars: equal (numbers by value)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and is_subset(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(is_subset(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return values_match(expected, actual, None)


def values_match(expected: Any, actual: Any, tolerance: float | None) -> bool:
    """Numbers by value (within ``tolerance``), dates and times by their ISO text, anything else by equality."""
    left, right = _number(expected), _number(actual)
    if left is not None and right is not None:
        return abs(left - right) <= Decimal(str(tolerance or 0))
    if isinstance(actual, date | datetime) and isinstance(expected, str | date | datetime):
        return _iso(expected) == _iso(actual)
    return bool(expected == actual)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def json_ready(value: Any) -> Any:
    """A value as JSON shows it: decimals as numbers, dates as ISO text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
