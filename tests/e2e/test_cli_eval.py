"""`lakealerts eval` and `history` as a user runs them: preview vs --notify across processes, --at, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lakealerts.engines.duckdb import DuckDBEngine
from tests.conftest import Cli
from tests.endpoints import http_recorder, smtp_server

pytestmark = pytest.mark.e2e

RULES = [
    {"alert_id": "HIGH", "alert_name": "High value", "agent_domain": "QUALITY", "severity": "CRITICAL",
     "alert_query_template": "SELECT MAX(value) AS v FROM ${catalog}.${gold_schema}.metrics WHERE d = CURRENT_DATE()",
     "threshold_column": "v", "threshold_operator": ">", "threshold_value_type": "DOUBLE",
     "threshold_value_double": 10, "schedule_cron": "0 * * * * ?", "owner": "o@example.com",
     "notification_channels": ["ops@example.com", "hook", "broken"]},
    {"alert_id": "QUIET", "alert_name": "Quiet", "agent_domain": "QUALITY", "severity": "INFO",
     "alert_query_template": "SELECT MIN(value) AS v FROM ${catalog}.${gold_schema}.metrics",
     "threshold_column": "v", "threshold_operator": "<", "threshold_value_type": "DOUBLE",
     "threshold_value_double": 0, "schedule_cron": "0 * * * * ?", "owner": "o@example.com"},
]  # fmt: skip


def setup(cli: Cli, tmp_path: Path, hook_url: str) -> None:
    rules, destinations = tmp_path / "rules.yaml", tmp_path / "destinations.yaml"
    rules.write_text(yaml.safe_dump(RULES))
    destinations.write_text(yaml.safe_dump([
        {"destination_id": "hook", "destination_name": "Hook", "destination_type": "WEBHOOK", "owner": "o",
         "config_json": {"url": hook_url + "/hook"}},
        {"destination_id": "broken", "destination_name": "Broken", "destination_type": "WEBHOOK", "owner": "o",
         "config_json": {"url": hook_url + "/fail"}},
    ]))  # fmt: skip
    assert cli("destinations", "import", str(destinations)).code == 0
    assert cli("rules", "import", str(rules)).code == 0
    with DuckDBEngine.open(cli.home / "lakealerts.duckdb", "monitoring") as engine:
        engine.execute("CREATE TABLE monitoring.gold.metrics (d DATE, value DOUBLE)")
        engine.execute("INSERT INTO monitoring.gold.metrics VALUES (DATE '2026-11-26', 50), (DATE '2026-11-27', 1)")


def test_eval_notify_twice_sends_once_across_processes(cli: Cli, tmp_path: Path) -> None:
    with http_recorder() as http, smtp_server() as smtp:
        http.failing.add("/fail")
        setup(cli, tmp_path, http.url)
        env = {"LAKEALERTS_SMTP_URL": smtp.url}
        preview = cli("eval", "--at", "2026-11-26T12:00:00Z", "--json", env=env)
        assert preview.code == 0, preview.stderr
        assert [(r["alert_id"], r["state"], r["value"]) for r in preview.json()] == [
            ("HIGH", "TRIGGERED", 50.0), ("QUIET", "OK", 1.0)]  # fmt: skip
        assert http.requests == [] and smtp.messages == []
        first = cli("eval", "HIGH", "--at", "2026-11-26T12:00:00Z", "--notify", "--json", env=env)
        # DESIGN §10.1: a delivery that ended FAILED is exit 1, and stderr names the channel and the reason
        assert first.code == 1 and "broken (WEBHOOK): DeliveryError: HTTP 500" in first.stderr, first.stderr
        statuses = {n["channel"]: n["status"] for n in first.json()[0]["notifications"]}
        assert statuses == {"ops@example.com": "SENT", "hook": "SENT", "broken": "FAILED"}
        assert len(smtp.messages) == 1 and len(http.on("/hook")) == 1 and len(http.on("/fail")) == 3
        second = cli("eval", "HIGH", "--at", "2026-11-26T12:05:00Z", "--notify", "--json", env=env)
        assert second.json()[0]["state"] == "TRIGGERED" and second.json()[0]["notifications"] == []
        assert len(smtp.messages) == 1 and len(http.on("/hook")) == 1
        history = cli("history", "HIGH", "--json").json()
        assert [e["state"] for e in history["evaluations"]] == ["TRIGGERED"] * 3
        assert sorted(e["notified"] for e in history["evaluations"]) == [False, False, True]
        assert sorted(n["status"] for n in history["notifications"]) == ["FAILED", "SENT", "SENT"]
        outbox = sorted(p.suffix for p in (cli.home / "outbox").iterdir())
        assert outbox == [".eml", ".json", ".json"]


def test_eval_at_pins_the_clock_and_errors_exit_1(cli: Cli, tmp_path: Path) -> None:
    setup(cli, tmp_path, "http://127.0.0.1:9")
    on_27th = cli("eval", "HIGH", "--at", "2026-11-27T23:59:59+00:00", "--json").json()
    assert on_27th[0]["state"] == "OK" and on_27th[0]["value"] == 1.0
    with DuckDBEngine.open(cli.home / "lakealerts.duckdb", "monitoring") as engine:
        engine.execute("DROP TABLE monitoring.gold.metrics")
    broken = cli("eval", "--json")
    assert broken.code == 1
    assert all(r["state"] == "ERROR" and "metrics" in r["error"] for r in broken.json())
    assert cli("eval", "NOPE").code == 2
    assert cli("eval", "--at", "yesterday").code == 2


def test_rows_broken_by_hand_are_named_and_the_rest_still_runs(cli: Cli, tmp_path: Path) -> None:
    setup(cli, tmp_path, "http://127.0.0.1:9")
    with DuckDBEngine.open(cli.home / "lakealerts.duckdb", "monitoring") as engine:
        engine.execute(
            "UPDATE monitoring.gold.alert_configurations SET schedule_cron = '0 0 8 * * 1' WHERE alert_id = 'QUIET'"
        )
        engine.execute(
            "UPDATE monitoring.gold.notification_destinations SET config_json = '{}' WHERE destination_id = 'hook'"
        )
    evaluated = cli("eval", "--at", "2026-11-26T12:00:00Z", "--json")
    assert evaluated.code == 1 and "Traceback" not in evaluated.stderr
    states = {r["alert_id"]: r["state"] for r in evaluated.json()}
    assert states == {"HIGH": "TRIGGERED", "QUIET": "ERROR"}
    listed = cli("rules", "list", "--json")
    assert listed.code == 0 and [r["alert_id"] for r in listed.json()] == ["HIGH"] and "QUIET" in listed.stderr
    destinations = cli("destinations", "list", "--json")
    assert destinations.code == 0 and [d["destination_id"] for d in destinations.json()] == ["broken"]
    assert "hook" in destinations.stderr


def test_the_summary_names_the_rules_in_error(cli: Cli, tmp_path: Path) -> None:
    """Exit 1 is explained on the summary line (it said only "2 rules evaluated, 1 triggered" before)."""
    rules = tmp_path / "rules.yaml"
    rule = (
        "- alert_id: {id}\n  alert_name: {id}\n  agent_domain: QUALITY\n  severity: INFO\n"
        "  alert_query_template: {sql}\n  threshold_column: n\n  threshold_operator: '>'\n"
        "  threshold_value_type: DOUBLE\n  threshold_value_double: 0\n  schedule_cron: 0 0 8 * * ?\n"
        "  owner: q@example.com\n"
    )
    rules.write_text(
        rule.format(id="FIRES", sql="SELECT 1 AS n") + rule.format(id="BROKEN", sql="SELECT n FROM no_such_table")
    )
    assert cli("rules", "import", str(rules)).code == 0
    both = cli("eval")
    assert both.code == 1 and "2 rules evaluated, 1 triggered, 1 in ERROR (BROKEN: exit 1)" in both.stderr
    one = cli("eval", "FIRES")
    assert one.code == 0 and "1 rule evaluated, 1 triggered (preview" in one.stderr
