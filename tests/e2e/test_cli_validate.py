"""`lakealerts validate` as a user runs it: findings, exit codes, recorded results, nothing else changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakealerts.engines.duckdb import DuckDBEngine
from tests.conftest import Cli

pytestmark = pytest.mark.e2e
RULES = Path(__file__).parent.parent / "fixtures" / "validation" / "cli_rules.yaml"


def results_rows(cli: Cli) -> list[tuple[str, str, bool, str | None, str | None]]:
    with DuckDBEngine.open(cli.home / "lakealerts.duckdb", "monitoring") as engine:
        result = engine.execute(
            "SELECT run_id, alert_id, is_valid, error_code, error_message "
            "FROM monitoring.gold.alert_validation_results ORDER BY alert_id"
        )
    return [tuple(row) for row in result.rows]  # type: ignore[misc]


def test_validate_reports_each_bad_rule_records_results_and_changes_nothing(cli: Cli) -> None:
    assert cli("rules", "import", str(RULES)).code == 0
    before = cli("rules", "list", "--json").stdout
    result = cli("validate", "--json")
    assert result.code == 1, result.stderr
    verdicts = {item["alert_id"]: item for item in result.json()}
    assert verdicts["OK-1"] == {"alert_id": "OK-1", "is_valid": True, "errors": []}
    assert [e["code"] for e in verdicts["BAD-SQL"]["errors"]] == ["SQL_MULTIPLE_STATEMENTS"]
    assert [e["code"] for e in verdicts["BAD-TABLE"]["errors"]] == ["ENGINE_TABLE_NOT_FOUND"]
    assert set(verdicts["BAD-TABLE"]["errors"][0]) == {"code", "field", "message", "hint", "line", "col"}
    assert cli("rules", "list", "--json").stdout == before
    rows = results_rows(cli)
    assert [(r[1], r[2], r[3]) for r in rows] == [
        ("BAD-SQL", False, "SQL_MULTIPLE_STATEMENTS"),
        ("BAD-TABLE", False, "ENGINE_TABLE_NOT_FOUND"),
        ("OK-1", True, None),
    ]
    assert len({r[0] for r in rows}) == 1
    assert json.loads(rows[1][4] or "[]")[0]["code"] == "ENGINE_TABLE_NOT_FOUND"


def test_validate_one_rule_and_exit_codes(cli: Cli) -> None:
    cli("rules", "import", str(RULES))
    ok = cli("validate", "--rule", "OK-1", "--json")
    assert ok.code == 0
    assert [item["alert_id"] for item in ok.json()] == ["OK-1"]
    unknown = cli("validate", "--rule", "NOPE")
    assert unknown.code == 2 and "NOPE" in unknown.stderr
    human = cli("validate")
    assert human.code == 1
    assert "SQL_MULTIPLE_STATEMENTS" in human.stdout and "fix:" in human.stdout


def test_hand_edited_row_is_a_finding_not_a_crash(cli: Cli) -> None:
    cli("rules", "import", str(RULES))
    with DuckDBEngine.open(cli.home / "lakealerts.duckdb", "monitoring") as engine:
        engine.execute(
            "UPDATE monitoring.gold.alert_configurations SET schedule_cron = ? WHERE alert_id = ?",
            ["0 0 8 * * 1", "OK-1"],
        )
    result = cli("validate", "--json")
    assert result.code == 1
    verdicts = {item["alert_id"]: item for item in result.json()}
    assert [(e["code"], e["field"]) for e in verdicts["OK-1"]["errors"]] == [("RULE_INVALID", "schedule_cron")]
    assert "BAD-TABLE" in verdicts


def test_injected_catalog_is_refused(cli: Cli) -> None:
    cli("rules", "import", str(RULES))
    result = cli("--catalog", "main`; DROP SCHEMA x; --", "validate")
    assert result.code == 2
    assert "invalid catalog name" in result.stderr
