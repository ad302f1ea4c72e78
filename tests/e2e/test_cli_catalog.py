"""``seed`` and ``demo-data`` as a user runs them: idempotent seeding, --force, the demo tables, bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from lakealerts import catalog
from lakealerts.engines.duckdb import DuckDBEngine
from tests.conftest import Cli

pytestmark = pytest.mark.e2e


def edit_in_store(cli: Cli, sql: str) -> None:
    """Change the store directly, the way a notebook or the sync write-back would (no CLI is running)."""
    with DuckDBEngine.open(cli.home / "lakealerts.duckdb", "monitoring") as engine:
        engine.execute(sql)


def without_fire_times(shown: dict[str, Any]) -> dict[str, Any]:
    """``rules show --json`` without the next fire times, which move with the clock."""
    return {key: value for key, value in shown.items() if key != "next_fire_times"}


def test_seed_twice_changes_nothing_and_creates_default_email(cli: Cli) -> None:
    first = cli("seed", "--json")
    assert first.code == 0, first.stderr
    assert sorted(first.json()["inserted"]) == sorted(catalog.rule_ids())
    assert first.json()["destination"] == {"destination_id": "default_email", "status": "created"}
    listed = cli("rules", "list", "--json")
    second = cli("seed", "--json")
    assert second.code == 0
    assert (second.json()["inserted"], second.json()["restored"]) == ([], [])
    assert cli("rules", "list", "--json").stdout == listed.stdout
    (destination,) = cli("destinations", "list", "--json").json()
    assert destination["config_json"] == {"addresses": ["alerts@example.com"]}


def test_seed_human_output_and_email_option(cli: Cli) -> None:
    result = cli("seed", "--email", "ops@example.com")
    assert result.code == 0, result.stderr
    assert "29 inserted" in result.stderr and " s)" in result.stderr
    (destination,) = cli("destinations", "list", "--json").json()
    assert destination["config_json"] == {"addresses": ["ops@example.com"]}
    bad = cli("seed", "--email", "not-an-address")
    assert bad.code == 2 and "not-an-address" in bad.stderr and "fix:" in bad.stderr


def test_force_restores_an_edited_rule_keeps_its_identity_and_leaves_user_rules(cli: Cli, tmp_path: Path) -> None:
    assert cli("seed").code == 0
    shipped = cli("rules", "show", "COST-001", "--json").json()
    mine = tmp_path / "mine.yaml"
    edited = {k: shipped[k] for k in shipped if k not in ("schedule_description", "next_fire_times")}
    mine.write_text(
        yaml.safe_dump(
            [{**edited, "threshold_value_double": 1.0}, {**edited, "alert_id": "MY-COST", "owner": "me@x.io"}]
        )
    )
    assert cli("rules", "import", str(mine)).code == 0
    edit_in_store(
        cli,
        "UPDATE monitoring.gold.alert_configurations SET databricks_alert_id = 'db-42' WHERE alert_id = 'COST-001'",
    )
    user_before = cli("rules", "show", "MY-COST", "--json").json()

    assert cli("seed", "--json").json()["inserted"] == []
    assert cli("rules", "show", "COST-001", "--json").json()["threshold_value_double"] == 1.0

    forced = cli("seed", "--force", "--json")
    assert forced.code == 0, forced.stderr
    assert forced.json()["restored"] == ["COST-001"]
    restored = cli("rules", "show", "COST-001", "--json").json()
    assert restored["threshold_value_double"] == 5000.0
    assert restored["databricks_alert_id"] == "db-42"
    assert restored["created_at"] == shipped["created_at"]
    user_after = cli("rules", "show", "MY-COST", "--json").json()
    assert without_fire_times(user_after) == without_fire_times(user_before)


def test_demo_data_writes_the_gold_tables_deterministically(cli: Cli) -> None:
    first = cli("demo-data", "--rows", "3000", "--as-of", "2026-03-10", "--json")
    assert first.code == 0, first.stderr
    report = first.json()
    assert report["as_of"] == "2026-03-10" and report["namespace"] == "monitoring.gold"
    assert set(report["tables"]) >= {"billing_usage", "audit_log", "query_history", "table_quality_metrics"}
    assert report["total_rows"] == sum(report["tables"].values())
    assert report["expected_triggered"] == sorted(catalog.expected_triggered())
    assert report["seconds"] >= 0 and "billing_usage" in first.stderr  # progress goes to stderr
    again = cli("demo-data", "--rows", "3000", "--as-of", "2026-03-10")
    assert again.code == 0 and "generated" in again.stderr and " s" in again.stderr
    assert "billing_usage" in again.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--rows", "10"], "--rows"), (["--as-of", "10/03/2026"], "--as-of")],
)
def test_demo_data_refuses_bad_options(cli: Cli, args: list[str], message: str) -> None:
    result = cli("demo-data", *args)
    assert result.code == 2
    assert message in result.stderr
