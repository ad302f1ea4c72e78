"""A round's history rows go in as multi-row INSERTs of up to 500 rows: every row lands once, with its values, in
the round's one transaction — and none of them when the transaction fails."""

from __future__ import annotations

import dataclasses
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.errors import EngineError
from lakealerts.runtime.ports import EvaluationRecord, RuleRun, Step
from lakealerts.sql.identifiers import Namespace
from lakealerts.store.runtime import StoreRuntime, decode_value
from lakealerts.store.store import Store

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
VALUES: list[object] = [None, 1.5, "it's 'quoted'", True, 0, -2.25e300]


def _step(index: int) -> Step:
    value = VALUES[index % len(VALUES)]
    state = "ERROR" if value is None else "OK"
    record = EvaluationRecord(
        alert_id=f"R-{index:04}",
        evaluated_at=NOW + timedelta(microseconds=index),
        state=state,
        value=value,
        error="boom" if value is None else None,
        duration_ms=float(index),
        notified=False,
        id=f"ev-{index}",
        preview=index % 2 == 0,
    )
    return Step(RuleRun(record.alert_id, state, value, record.error), record)


@pytest.mark.parametrize("count", [1, 2, 3, 500, 1001])
def test_every_history_row_of_a_round_lands_once_with_its_values(tmp_path: Path, count: int) -> None:
    with DuckDBEngine.open(tmp_path / "s.duckdb", "monitoring") as engine:
        store = Store(engine, Namespace.of("monitoring", "gold"), "tester")
        store.init()
        StoreRuntime(lambda: nullcontext(store)).commit([_step(i) for i in range(count)], NOW, retry_due=False)
        rows = engine.execute(
            "SELECT alert_id, evaluated_at, state, value, error, duration_ms, evaluation_id, preview "
            "FROM monitoring.gold.alert_evaluations ORDER BY alert_id"
        ).rows
    assert len(rows) == count
    for index, (alert_id, at, state, value, error, duration, evaluation_id, preview) in enumerate(rows):
        expected = _step(index).record
        assert (alert_id, at, state, error, duration, evaluation_id, preview) == (
            expected.alert_id,
            expected.evaluated_at,
            expected.state,
            expected.error,
            expected.duration_ms,
            expected.id,
            expected.preview,
        )
        assert decode_value(value) == expected.value


def test_a_failing_round_leaves_no_history_row(tmp_path: Path) -> None:
    with DuckDBEngine.open(tmp_path / "s.duckdb", "monitoring") as engine:
        store = Store(engine, Namespace.of("monitoring", "gold"), "tester")
        store.init()
        steps = [_step(i) for i in range(700)]
        broken = dataclasses.replace(steps[0].record, evaluated_at=None)  # type: ignore[arg-type]
        steps.append(Step(steps[0].run, broken))  # NOT NULL: the second INSERT (rows 501-701) fails
        with pytest.raises(EngineError):
            StoreRuntime(lambda: nullcontext(store)).commit(steps, NOW, retry_due=False)
        assert engine.execute("SELECT count(*) FROM monitoring.gold.alert_evaluations").rows == ((0,),)
