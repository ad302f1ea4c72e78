"""Sync you can review and trust (DESIGN §10.2): value-level plans with drift, plans that agree with sync,
ownership between stores sharing a folder, rules deleted on purpose — through the real SDK and the stand-in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from databricks.sdk.service.sql import AlertV2

from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.serve import StandIn
from lakealerts.store.store import Store
from lakealerts.sync.client import workspace_client
from lakealerts.sync.planner import Plan
from lakealerts.sync.policy import DeletePolicy
from tests.builders import BASE_RULE
from tests.conftest import Cli
from tests.integration import test_sync as base
from tests.integration.test_sync import NAMESPACE, SLACK_SECRET, TOKEN, Harness, destination, rule, rules

pytestmark = pytest.mark.integration
standin, harness = base.standin, base.harness  # the sync tests' fixtures: a stand-in, and a store beside it


def changes(plan: Plan, alert_id: str) -> dict[str, tuple[Any, Any]]:
    (update,) = [u for u in plan.update if u.alert_id == alert_id]
    return {c.path: (c.before, c.after) for c in update.changes}


def json_changes(plan: Plan, alert_id: str) -> dict[str, tuple[Any, Any]]:
    (update,) = [u for u in plan.to_dict()["update"] if u["alert_id"] == alert_id]
    return {c["path"]: (c["before"], c["after"]) for c in update["changes"]}


def test_a_threshold_and_a_cron_change_show_each_leaf_before_and_after(harness: Harness) -> None:
    harness.upsert(rule(1))
    harness.sync()
    harness.upsert(rule(1, threshold_value_double=6000, schedule_cron="0 30 7 * * ?"))
    plan = harness.plan()
    expected = {
        "evaluation.threshold.value.double_value": (1.0, 6000.0),
        "schedule.quartz_cron_schedule": ("0 0 * * * ?", "0 30 7 * * ?"),
    }
    assert changes(plan, "R-001") == expected == json_changes(plan, "R-001")
    (update,) = plan.to_dict()["update"]
    assert update["fields"] == ["evaluation", "schedule"] and update["drift"] is False
    assert update["databricks_alert_id"] == harness.alerts()["[WARNING] Rule 001"].id
    text = plan.to_text()
    assert "evaluation.threshold.value.double_value: 1 → 6000" in text
    assert 'schedule.quartz_cron_schedule: "0 0 * * * ?" → "0 30 7 * * ?"' in text


def test_a_long_sql_change_is_a_unified_diff(harness: Harness) -> None:
    long_sql = "SELECT value AS value,\n  1 AS other\nFROM ${catalog}.${gold_schema}.t\nWHERE value > 0"
    harness.upsert(rule(1, alert_query_template=long_sql))
    harness.sync()
    harness.upsert(rule(1, alert_query_template=long_sql.replace("value > 0", "value > 10")))
    plan = harness.plan()
    assert list(changes(plan, "R-001")) == ["query_text"]
    text = plan.to_text()
    assert "query_text:" in text and "-WHERE value > 0" in text and "+WHERE value > 10" in text


def test_a_change_made_in_the_workspace_is_drift(harness: Harness) -> None:
    harness.upsert(rule(1, threshold_value_double=5000))
    harness.sync()
    alert = harness.alerts()["[WARNING] Rule 001"]
    edited = AlertV2.from_dict({**alert.as_dict(), "evaluation": {**(alert.evaluation.as_dict() if alert.evaluation
                                else {}), "threshold": {"value": {"double_value": 9999.0}}}})  # fmt: skip
    harness.client.alerts_v2.update_alert(alert.id or "", edited, "evaluation")  # someone edited it in the UI
    plan = harness.plan()
    (update,) = plan.to_dict()["update"]
    assert update["drift"] is True
    assert json_changes(plan, "R-001") == {"evaluation.threshold.value.double_value": (9999.0, 5000.0)}
    assert "~ drift   R-001" in plan.to_text()
    harness.sync()  # the rule wins again: no drift afterwards
    assert harness.plan().is_empty


def test_a_rule_change_is_not_drift(harness: Harness) -> None:
    harness.upsert(rule(1))
    harness.sync()
    harness.upsert(rule(1, threshold_value_double=2))
    assert harness.plan().to_dict()["update"][0]["drift"] is False


def test_destinations_are_planned_and_their_secrets_never_shown(harness: Harness) -> None:
    harness.env = {"SLACK_URL": SLACK_SECRET}
    harness.upsert_destinations(destination("slack_ops", "SLACK", {"url": "${env:SLACK_URL}"}))
    first = harness.plan()
    assert first.to_dict()["destinations"] == {"create": ["slack_ops"], "update": [], "delete": [], "unchanged": []}
    harness.sync()
    again = harness.plan()
    assert again.to_dict()["destinations"]["update"] == ["slack_ops"]
    resent = "  ~ update  destination slack_ops  (its config is sent on every sync: a changed name, address or URL "
    assert resent + "takes effect then; secrets never shown)" in again.to_text()
    assert SLACK_SECRET not in again.to_text() + str(again.to_dict())


def test_plan_fails_what_sync_would_fail(harness: Harness) -> None:
    """A destination whose secret cannot be resolved: plan says its rules are skipped, as sync then does."""
    harness.upsert_destinations(destination("slack_ops", "SLACK", {"url": "${env:SLACK_URL}"}))
    harness.upsert(rule(1, notification_channels=["slack_ops"]), rule(2))
    planned = harness.plan()
    assert planned.to_dict()["create"] == ["R-002"]
    assert [(s.alert_id, s.status) for s in planned.skipped] == [("R-001", "FAILED")]
    synced = harness.sync()
    assert {o.alert_id: o.status for o in synced.outcomes} == {"R-001": "FAILED", "R-002": "CREATED"}


def test_two_stores_share_a_folder_and_neither_trashes_the_other(tmp_path: Path, standin: StandIn) -> None:
    client = workspace_client(standin.url, None, 10, env={"DATABRICKS_TOKEN": TOKEN})
    with DuckDBEngine.open(tmp_path / "a.duckdb", "monitoring") as a_engine, \
            DuckDBEngine.open(tmp_path / "b.duckdb", "monitoring") as b_engine:  # fmt: skip
        team_a, team_b = Store(a_engine, NAMESPACE, "a"), Store(b_engine, NAMESPACE, "b")
        a, b = Harness(team_a, standin.url, client), Harness(team_b, standin.url, client)
        for store in (team_a, team_b):
            store.init()
        a.upsert(*rules(3))
        b.upsert(*rules(2, start=10))
        for turn in (a, b, a, b):
            turn.sync(delete_policy=DeletePolicy.trash)
        names = sorted(harness_alert for harness_alert in a.alerts())
        assert names == [f"[WARNING] Rule {i:03d}" for i in (0, 1, 2, 10, 11)]
        unmanaged = b.plan(delete_policy=DeletePolicy.trash).to_dict()["unmanaged"]
        assert sorted(u["display_name"] for u in unmanaged) == [f"[WARNING] Rule {i:03d}" for i in (0, 1, 2)]
        assert "unmanaged, left alone  [WARNING] Rule 000" in b.plan().to_text()


def test_a_folder_change_moves_owned_alerts_and_leaves_an_unowned_one(harness: Harness) -> None:
    harness.upsert(rule(1))
    harness.sync(parent_path="/Workspace/Shared/old")
    stranger = AlertV2.from_dict({**harness.client.alerts_v2.list_alerts().__iter__().__next__().as_dict(),
                                  "display_name": "made by hand"})  # fmt: skip
    made = harness.client.alerts_v2.create_alert(stranger)
    moved = harness.sync(parent_path="/Workspace/Shared/new", delete_policy=DeletePolicy.trash)
    assert [c.alert_id for c in moved.plan.create] == ["R-001"] and len(moved.plan.delete) == 1
    live = {a.display_name: a.parent_path for a in harness.client.alerts_v2.list_alerts()}
    assert live == {"[WARNING] Rule 001": "/Workspace/Shared/new", "made by hand": made.parent_path}
    assert made.parent_path == "/Workspace/Shared/old"


def test_a_deleted_rule_is_kept_or_trashed_by_policy(cli: Cli, standin: StandIn, tmp_path: Path) -> None:
    env = {"DATABRICKS_TOKEN": TOKEN}
    files = tmp_path / "rules.yaml"
    files.write_text(yaml.safe_dump([_document(i) for i in range(3)]))
    assert cli("rules", "import", str(files)).code == 0
    assert cli("sync", "--host", standin.url, env=env).code == 0
    deleted = cli("rules", "delete", "R-001", "--json")
    assert deleted.code == 0 and deleted.json() == {"deleted": ["R-001"]}
    assert cli("rules", "delete", "NOPE").code == 2
    kept = cli("plan", "--host", standin.url, "--json", env=env).json()
    assert [s["reason"].split(";")[0] for s in kept["skipped"]] == ["rule deleted, kept by policy"]
    text = cli("plan", "--host", standin.url, "--delete-policy", "trash", env=env).stdout
    assert "- trash   R-001  [WARNING] Rule 001" in text
    trash = cli("sync", "--host", standin.url, "--delete-policy", "trash", "--json", env=env).json()
    assert [(o["alert_id"], o["status"]) for o in trash["outcomes"] if o["action"] == "delete"] == [
        ("R-001", "DELETED")]  # fmt: skip
    assert cli("plan", "--host", standin.url, "--json", env=env).json()["delete"] == []


def test_plan_json_equals_a_dry_run_s_plan(cli: Cli, standin: StandIn, tmp_path: Path) -> None:
    files, destinations = tmp_path / "rules.yaml", tmp_path / "destinations.yaml"
    files.write_text(yaml.safe_dump([_document(i) for i in range(3)] + [_document(9, ["slack_ops"])]))
    destinations.write_text(yaml.safe_dump([{"destination_id": "slack_ops", "destination_name": "Slack ops",
                                             "destination_type": "SLACK", "owner": "o",
                                             "config_json": {"url": "${env:SLACK_URL}"}}]))  # fmt: skip
    cli("rules", "import", str(files))
    cli("destinations", "import", str(destinations))
    env = {"DATABRICKS_TOKEN": TOKEN}
    plan = cli("plan", "--host", standin.url, "--json", env=env)
    dry = cli("sync", "--dry-run", "--host", standin.url, "--json", env=env)
    assert plan.json() == dry.json()["plan"]
    assert [s["alert_id"] for s in plan.json()["skipped"]] == ["R-009"]  # its destination cannot be resolved
    assert "destination slack_ops would fail" in plan.stderr


def test_import_prune_deletes_exactly_the_missing_rules(cli: Cli, tmp_path: Path) -> None:
    full, partial = tmp_path / "full.yaml", tmp_path / "partial.yaml"
    full.write_text(yaml.safe_dump([_document(i) for i in range(4)]))
    partial.write_text(yaml.safe_dump([_document(0), {**_document(2), "severity": "NOPE"}, _document(3)]))
    assert cli("rules", "import", str(full)).code == 0
    dry = cli("rules", "import", "--prune", "--dry-run", str(partial), "--json")
    assert dry.json()["pruned"] == ["R-001"] and dry.json()["dry_run"] is True
    assert len(cli("rules", "list", "--json").json()) == 4  # a dry run writes nothing
    pruned = cli("rules", "import", "--prune", str(partial))
    assert pruned.code == 1  # R-002 is rejected (and therefore kept: it is still in the file)
    assert "--prune deleted 1 rules not in the files: R-001" in pruned.stderr
    assert [r["alert_id"] for r in cli("rules", "list", "--json").json()] == ["R-000", "R-002", "R-003"]


@pytest.mark.parametrize(
    "content", ["", "# the rules moved to rules/\n", "[]\n", "---\n", "[null]\n", "- {}\n", "- {alert_name: x}\n"]
)
def test_import_prune_of_a_file_without_a_rule_is_refused_and_deletes_nothing(
    cli: Cli, tmp_path: Path, content: str
) -> None:
    full, empty = tmp_path / "full.yaml", tmp_path / "empty.yaml"
    full.write_text(yaml.safe_dump([_document(i) for i in range(3)]))
    empty.write_text(content)
    assert cli("rules", "import", str(full)).code == 0
    for args in (["--prune", str(empty)], ["--prune", "--dry-run", str(empty)], ["--prune", str(full), str(empty)]):
        refused = cli("rules", "import", *args)
        assert refused.code == 2 and f"--prune with {empty}, which names no rule" in refused.stderr, refused.stderr
        assert "rules delete" in refused.stderr
    assert [r["alert_id"] for r in cli("rules", "list", "--json").json()] == ["R-000", "R-001", "R-002"]
    assert cli("rules", "import", str(empty)).code in (0, 1)  # without --prune: nothing stored, nothing deleted
    assert len(cli("rules", "list", "--json").json()) == 3


def _document(index: int, channels: list[str] | None = None) -> dict[str, Any]:
    return {**BASE_RULE, "alert_id": f"R-{index:03d}", "alert_name": f"Rule {index:03d}",
            "alert_query_template": "SELECT 1 AS value", "notification_channels": channels or []}  # fmt: skip


def test_prune_without_any_file_is_refused_at_the_use_case(tmp_path: Path) -> None:
    """The CLI needs a file; a caller of the use case passing none would otherwise delete every rule."""
    from lakealerts.app.context import AppContext
    from lakealerts.app.rules import import_rules
    from lakealerts.app.settings import Settings
    from lakealerts.errors import UsageError

    ctx = AppContext(settings=Settings(home=tmp_path / "home"), user="tester", env={})
    with pytest.raises(UsageError, match="without a file"):
        import_rules(ctx, [], prune=True)
