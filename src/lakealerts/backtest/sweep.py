"""The threshold sweep (DESIGN §12): the same query results re-judged for every threshold through the real
evaluator, state machine and notification policy — no query runs again. Pure."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation, Overflow, localcontext
from typing import Any

from lakealerts.backtest.stats import DEFAULT_FLAP_WINDOW, TimelinePoint, summarize
from lakealerts.errors import UsageError
from lakealerts.model import AlertRule, ValueType
from lakealerts.runtime.evaluator import Evaluation, evaluate
from lakealerts.runtime.state import AlertState, AlertStatus, NotifyEvent, advance

MAX_SWEEP_POINTS = 1_000
Messages = Callable[[NotifyEvent], int]  # how many messages the rule's channels get for an event


@dataclass(frozen=True)
class QueryRecord:
    """One instant's query result as the evaluator saw it; ``failed`` an evaluation that never reached the
    evaluator (a query error), which stays ERROR whatever the threshold."""

    at: datetime
    columns: tuple[str, ...]
    rows: Sequence[Sequence[Any]]
    failed: Evaluation | None = None


@dataclass(frozen=True)
class SweepPoint:
    """The replay's counts at one threshold."""

    threshold: float
    fires: int
    notifications: int
    triggered_ratio: float
    flaps: int

    def to_dict(self) -> dict[str, Any]:
        """DESIGN §12's sweep entry."""
        return {
            "threshold": self.threshold,
            "fires": self.fires,
            "notifications": self.notifications,
            "triggered_ratio": self.triggered_ratio,
            "flaps": self.flaps,
        }


def parse_sweep(text: str) -> list[float]:
    """``A:B:STEP`` -> A, A+STEP, … up to B inclusive (decimal arithmetic: 0.1 steps land on 0.3, not 0.30000…4).
    A, B and STEP are finite numbers a DOUBLE holds, STEP > 0, A <= B, at most :data:`MAX_SWEEP_POINTS` thresholds."""
    hint = f"e.g. --sweep 1000:8000:500 (finite numbers, STEP > 0, A <= B, at most {MAX_SWEEP_POINTS:,} thresholds)"
    parts = text.split(":")
    try:
        numbers = [Decimal(part.strip()) for part in parts] if len(parts) == 3 else []
    except InvalidOperation:
        numbers = []
    if len(numbers) != 3:
        raise UsageError(f"--sweep {text!r} is not A:B:STEP", hint=hint)
    start, stop, step = numbers
    if not all(n.is_finite() and math.isfinite(float(n)) for n in numbers):
        raise UsageError(f"--sweep {text!r}: A, B and STEP must be finite numbers", hint=hint)
    if step <= 0 or stop < start:
        raise UsageError(f"--sweep {text!r} needs STEP > 0 and A <= B", hint=hint)
    with localcontext() as context:
        context.traps[InvalidOperation] = context.traps[Overflow] = False
        span = (stop - start) / step
    if not span.is_finite() or span >= MAX_SWEEP_POINTS:
        shown = f"{int(span) + 1:,}" if span.is_finite() and span < 10**12 else "too many"
        raise UsageError(f"--sweep {text!r} has {shown} thresholds", hint=hint)
    values = [float(start + i * step) for i in range(int(span) + 1)]
    if len(set(values)) < len(values):  # a STEP too small for a DOUBLE at that size: thresholds would repeat
        raise UsageError(f"--sweep {text!r}: STEP {step} is too small for thresholds around {start}", hint=hint)
    return values


def check_sweepable(rule: AlertRule) -> None:
    """Only a DOUBLE threshold with a comparison operator has a range to sweep."""
    if rule.threshold_value_type is not ValueType.DOUBLE or rule.threshold_operator in ("IS_NULL", "IS_NOT_NULL"):
        raise UsageError(
            f"rule {rule.alert_id}: --sweep needs a DOUBLE threshold compared with an operator "
            f"(threshold_value_type {rule.threshold_value_type.value}, operator {rule.threshold_operator})",
            hint="leave that rule out of a --sweep run",
        )


def judge(rule: AlertRule, record: QueryRecord) -> Evaluation:
    """The evaluator's verdict on one recorded result."""
    if record.failed is not None:
        return record.failed
    try:
        return evaluate(rule, record.columns, record.rows)
    except Exception as error:  # as the query port does: a value the evaluator cannot handle is ERROR
        return Evaluation(AlertStatus.ERROR, error=f"cannot evaluate the result: {type(error).__name__}: {error}")


def replay_policy(
    rule: AlertRule, evaluations: Sequence[tuple[datetime, Evaluation]], messages: Messages
) -> list[TimelinePoint]:
    """The state machine and notification policy over evaluations, from UNKNOWN."""
    state, timeline = AlertState(rule.alert_id), []
    for at, evaluation in evaluations:
        state, decision = advance(state, rule, evaluation.state, evaluation.value, at)
        event = decision.event
        timeline.append(TimelinePoint(at, evaluation.value, str(evaluation.state), messages(event) if event else 0))
    return timeline


def sweep(
    rule: AlertRule,
    records: Sequence[QueryRecord],
    thresholds: Sequence[float],
    messages: Messages,
    flap_window: int = DEFAULT_FLAP_WINDOW,
) -> list[SweepPoint]:
    """The counts the rule would have had at each threshold, from the same recorded results."""
    points = []
    for threshold in thresholds:
        judged = rule.model_copy(update={"threshold_value_double": threshold})
        timeline = replay_policy(judged, [(r.at, judge(judged, r)) for r in records], messages)
        summary = summarize(timeline, rule.threshold_operator, flap_window)
        points.append(SweepPoint(threshold, summary.fires, summary.notifications, summary.triggered_ratio,
                                 summary.flaps))  # fmt: skip
    return points
