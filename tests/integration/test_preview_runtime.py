"""Preview rounds (`eval` without --notify) on the store: their history rows are marked ``preview``, an older
store gains the column (its rows count as no preview), and the history shows which evaluations were previews."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakealerts.app import alert_center, evaluate, setup
from lakealerts.app.context import AppContext
from lakealerts.app.settings import Settings
from lakealerts.engines.duckdb import DuckDBEngine

pytestmark = pytest.mark.integration
TABLE = "monitoring.gold.alert_evaluations"


def _previews(ctx: AppContext) -> list[tuple[str, bool | None]]:
    with DuckDBEngine.open(ctx.settings.store_path, "monitoring") as engine:
        rows = engine.execute(f"SELECT state, preview FROM {TABLE} WHERE alert_id = 'COST-001' ORDER BY evaluated_at")
        return [(str(state), preview) for state, preview in rows.rows]


def test_an_older_store_gains_the_preview_column_and_previews_are_marked(tmp_path: Path) -> None:
    ctx = AppContext(settings=Settings(home=tmp_path / "home"), user="tester", env={})
    setup.init_tables(ctx)
    setup.demo_data(ctx)
    setup.seed(ctx)
    assert evaluate.evaluate(ctx, ["COST-001"], notify=True).runs[0].state == "TRIGGERED"
    with DuckDBEngine.open(ctx.settings.store_path, "monitoring") as engine:
        engine.execute(f"ALTER TABLE {TABLE} DROP COLUMN preview")  # as an earlier version made it
    older = evaluate.history(ctx, "COST-001").to_dict()["evaluations"]  # read-only: the column is not added
    assert [(e["state"], e["preview"]) for e in older] == [("TRIGGERED", False)]
    assert [t.state for t in alert_center.recent_transitions(ctx) if t.alert_id == "COST-001"] == ["TRIGGERED"]

    assert evaluate.evaluate(ctx, ["COST-001"]).runs[0].state == "TRIGGERED"  # a preview adds the column first
    assert _previews(ctx) == [("TRIGGERED", None), ("TRIGGERED", True)]  # an older row: NULL, no preview
    history = evaluate.history(ctx, "COST-001").to_dict()["evaluations"]
    assert [e["preview"] for e in history] == [True, False]
    assert list(history[0]) == [*evaluate._HISTORY_EVALUATION_COLUMNS, "preview"]

    with DuckDBEngine.open(ctx.settings.store_path, "monitoring") as engine:
        engine.execute(f"ALTER TABLE {TABLE} DROP COLUMN preview")
    assert "alert_evaluations.preview" in setup.init_tables(ctx).report.added_columns
