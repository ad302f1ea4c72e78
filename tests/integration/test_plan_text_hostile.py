"""Workspace text in the plan (issue A): anyone may name an alert in the managed folder or edit its SQL in the UI, so
a name or a value read from the workspace stays on its own line of ``plan`` / ``sync`` and shows its control
characters escaped; the plan JSON keeps them exactly."""

from __future__ import annotations

from databricks.sdk.service.sql import AlertV2

from tests.integration import test_sync as base
from tests.integration.test_sync import Harness, rule

standin, harness = base.standin, base.harness  # the sync tests' fixtures: a stand-in, and a store beside it

FORGED = "hand-made\n  - purge   COST-001  [WARNING] Daily cost spike\x1b[31m"
CONTROLS = {chr(code) for code in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]}


def test_a_workspace_alert_s_name_cannot_forge_a_plan_line(harness: Harness) -> None:
    harness.upsert(rule(1))
    harness.sync()
    template = next(iter(harness.alerts().values())).as_dict()
    made = harness.client.alerts_v2.create_alert(
        AlertV2.from_dict({k: v for k, v in template.items() if k != "custom_tags"} | {"display_name": FORGED})
    )
    plan = harness.plan()
    text = plan.to_text()
    assert not CONTROLS & set(text), text
    lines = [line for line in text.splitlines() if "hand-made" in line]
    assert len(lines) == 1 and "hand-made\\n  - purge   COST-001  [WARNING] Daily cost spike\\x1b[31m" in lines[0]
    assert not any(line.startswith("  - purge   COST-001") for line in text.splitlines())
    listed = plan.to_dict()
    assert FORGED in [item.get("display_name") for group in ("unmanaged", "delete") for item in listed[group]]
    assert made.id in str(listed)


def test_sql_edited_in_the_workspace_shows_its_escapes_in_the_drift_diff(harness: Harness) -> None:
    long_sql = "SELECT value AS value,\n  1 AS other\nFROM ${catalog}.${gold_schema}.t\nWHERE value > 0"
    harness.upsert(rule(1, alert_query_template=long_sql))
    harness.sync()
    alert = harness.alerts()["[WARNING] Rule 001"]
    hostile = (alert.query_text or "").replace("WHERE value > 0", "WHERE value > 0 \x1b[2J\x1b]8;;http://e.x/\x07x\r")
    edited = AlertV2.from_dict({**alert.as_dict(), "query_text": hostile})
    harness.client.alerts_v2.update_alert(alert.id or "", edited, "query_text")  # edited in the UI
    plan = harness.plan()
    text = plan.to_text()
    assert not CONTROLS & set(text), text
    assert "          -WHERE value > 0 \\x1b[2J\\x1b]8;;http://e.x/\\x07x\\r" in text.splitlines()
    assert "          +WHERE value > 0" in text.splitlines()
    (update,) = plan.to_dict()["update"]
    assert update["drift"] is True
    assert [c["before"] for c in update["changes"] if c["path"] == "query_text"] == [hostile]
