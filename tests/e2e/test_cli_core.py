"""The core CLI as a user runs it: init, rules/destinations import, list, show, export, exit codes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from lakealerts import quartz
from tests.conftest import Cli

pytestmark = pytest.mark.e2e
FIXTURES = Path(__file__).parent.parent / "fixtures" / "rules"


def test_mixed_file_stores_valid_rules_rejects_each_bad_one_and_exits_1(cli: Cli) -> None:
    result = cli("rules", "import", str(FIXTURES / "mixed.yaml"), "--json")
    assert result.code == 1, result.stderr
    report = result.json()
    assert report["stored"] == ["GOOD-1", "GOOD-2"]
    expected = yaml.safe_load((FIXTURES / "expected_problems.yaml").read_text())
    assert {r["id"]: r["field"] for r in report["rejected"]} == expected
    assert all(r["message"] and r["hint"] for r in report["rejected"])
    listed = cli("rules", "list", "--json").json()
    assert [r["alert_id"] for r in listed] == ["GOOD-1", "GOOD-2"]


def test_human_errors_name_rule_field_and_fix_without_traceback(cli: Cli) -> None:
    result = cli("rules", "import", str(FIXTURES / "mixed.yaml"))
    assert result.code == 1
    assert "BAD-CRON" in result.stderr and "schedule_cron" in result.stderr and "fix:" in result.stderr
    assert "Traceback" not in result.stderr


def test_list_json_reimports_unchanged(cli: Cli, tmp_path: Path) -> None:
    assert cli("rules", "import", str(FIXTURES / "mixed.yaml")).code == 1
    listed = cli("rules", "list", "--json")
    dump = tmp_path / "rules.json"
    dump.write_text(listed.stdout)
    again = cli("rules", "import", str(dump), "--json")
    assert again.code == 0, again.stderr
    assert again.json()["unchanged"] == 2 and again.json()["updated"] == 0
    assert cli("rules", "list", "--json").stdout == listed.stdout


def test_export_yaml_reimports_unchanged(cli: Cli, tmp_path: Path) -> None:
    cli("rules", "import", str(FIXTURES / "mixed.yaml"))
    exported = tmp_path / "export.yaml"
    assert cli("rules", "export", "--output", str(exported)).code == 0
    assert "|" in exported.read_text() or "SELECT" in exported.read_text()
    again = cli("rules", "import", str(exported), "--json")
    assert again.json()["unchanged"] == 2


def test_show_json_gives_five_correct_next_fire_times(cli: Cli) -> None:
    cli("rules", "import", str(FIXTURES / "mixed.yaml"))
    before = datetime.now().astimezone()
    shown = cli("rules", "show", "GOOD-1", "--json").json()
    times = [datetime.fromisoformat(t) for t in shown["next_fire_times"]]
    assert len(times) == 5
    assert shown["schedule_cron"] == "0 0 8 ? * MON-FRI"
    assert shown["schedule_description"]
    for moment in times:
        assert moment.utcoffset() is not None and moment > before
        local = moment.astimezone(ZoneInfo("Europe/Berlin"))
        assert (local.hour, local.minute, local.second) == (8, 0, 0)
        assert local.isoweekday() <= 5
    assert times == sorted(times) and len(set(times)) == 5
    assert times == quartz.parse("0 0 8 ? * MON-FRI").next_fire_times(before, "Europe/Berlin", 5)


def test_unknown_rule_id_is_exit_2_with_hint(cli: Cli) -> None:
    assert cli("init").code == 0
    result = cli("rules", "show", "NOPE")
    assert result.code == 2
    assert "NOPE" in result.stderr and "fix:" in result.stderr


def test_unreadable_file_is_exit_2_and_stores_nothing(cli: Cli, tmp_path: Path) -> None:
    result = cli("rules", "import", str(FIXTURES / "mixed.yaml"), str(tmp_path / "missing.yaml"))
    assert result.code == 2
    assert "missing.yaml" in result.stderr
    assert cli("rules", "list", "--json").json() == []


def test_list_before_init_tells_to_run_init(cli: Cli) -> None:
    result = cli("rules", "list")
    assert result.code == 2
    assert "lakealerts init" in result.stderr


def test_bad_catalog_is_refused_before_anything_runs(cli: Cli) -> None:
    result = cli("--catalog", "main`; DROP SCHEMA x; --", "init")
    assert result.code == 2
    assert "invalid catalog name" in result.stderr
    assert not cli.home.exists()


def test_catalog_main_works(cli: Cli) -> None:
    assert cli("--catalog", "main", "rules", "import", str(FIXTURES / "mixed.yaml")).code == 1
    listed = cli("--catalog", "main", "rules", "list", "--json").json()
    assert len(listed) == 2


def test_destinations_import_and_list(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "destinations.yaml"
    source.write_text(
        yaml.safe_dump(
            [
                {
                    "destination_id": "ops_slack",
                    "destination_name": "Ops",
                    "destination_type": "slack",
                    "config_json": {"url": "${env:SLACK_URL}"},
                    "owner": "ops@example.com",
                },
                {
                    "destination_id": "bad",
                    "destination_name": "Bad",
                    "destination_type": "FAX",
                    "config_json": {},
                    "owner": "o",
                },
            ]
        )
    )
    result = cli("destinations", "import", str(source), "--json")
    assert result.code == 1
    assert [r["id"] for r in result.json()["rejected"]] == ["bad"]
    listed = cli("destinations", "list", "--json").json()
    assert listed[0]["destination_type"] == "SLACK"
    assert listed[0]["config_json"] == {"url": "${env:SLACK_URL}"}


def test_quickstart_runs_twice(cli: Cli) -> None:
    first = cli("quickstart")
    assert first.code == 0, first.stderr
    assert "demo data:" in first.stderr and "29 new" in first.stderr
    assert "validate: 29 of 29 rules valid" in first.stderr
    assert "Plan: 29 to create" in first.stdout and "outcomes: 29 created; success rate 100%" in first.stderr
    assert "eval --notify: 13 of 29 rules triggered" in first.stderr and "13 skipped" in first.stderr
    assert len(list((cli.home / "outbox").glob("*.eml"))) == 13
    second = cli("quickstart")
    assert second.code == 0
    assert "0 new, 29 already there" in second.stderr
    assert "29 unchanged" in second.stdout and "notifications: none new" in second.stderr
    assert len(list((cli.home / "outbox").glob("*.eml"))) == 13
    assert "COST-001" in second.stdout and "Every 15 minutes" in second.stdout
    assert len(cli("rules", "list", "--json").json()) == 29


def test_environment_errors_exit_2_without_traceback(cli: Cli, tmp_path: Path) -> None:
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    undecodable = cli("rules", "import", str(binary))
    assert undecodable.code == 2 and "UTF-8" in undecodable.stderr and "Traceback" not in undecodable.stderr
    cli("rules", "import", str(FIXTURES / "mixed.yaml"))
    unwritable = cli("rules", "export", "--output", str(tmp_path / "missing-dir" / "x.yaml"))
    assert unwritable.code == 2 and "Traceback" not in unwritable.stderr


def test_import_counts_rejected_rules_not_problems(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "two-faults.yaml"
    source.write_text(yaml.safe_dump([{"alert_id": "TWO-FAULTS", "severity": "URGENT", "owner": "o"}]))
    result = cli("rules", "import", str(source), "--json")
    assert result.code == 1
    assert result.json()["rejected_count"] == 1 and len(result.json()["rejected"]) > 1
    assert "1 rejected (" in cli("rules", "import", str(source)).stderr


def test_sync_fails_fast_and_clearly_without_a_reachable_host_or_a_warehouse(cli: Cli) -> None:
    assert cli("init").code == 0
    unreachable = cli("plan", "--host", "http://127.0.0.1:9", env={"DATABRICKS_TOKEN": "t"}, timeout=30)
    assert unreachable.code == 2 and "cannot reach http://127.0.0.1:9" in unreachable.stderr
    no_warehouse = cli("sync", env={"DATABRICKS_HOST": "https://example.cloud.databricks.com", "DATABRICKS_TOKEN": "t"})
    assert no_warehouse.code == 2 and "no SQL warehouse id" in no_warehouse.stderr
    assert "Traceback" not in unreachable.stderr + no_warehouse.stderr
