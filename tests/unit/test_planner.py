"""The planner on values: identity, normalised diff, exact update masks, delete policy, skipped rules."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from databricks.sdk.service.sql import AlertV2

from lakealerts.sql.identifiers import Namespace
from lakealerts.sync.mapping import MappingContext, MappingError, fill_our_variables, to_alert
from lakealerts.sync.planner import DeletePolicy, Desired, build_plan, changed_fields
from tests.builders import make_rule

pytestmark = pytest.mark.unit
FOLDER = "/Workspace/Shared/lakealerts"
CONTEXT = MappingContext(Namespace("main", "gold"), "wh-1", FOLDER, {"ops": "dest-123"})


def deployed(alert: AlertV2, alert_id: str, **workspace_fills: Any) -> AlertV2:
    """What a workspace returns for ``alert``: output-only fields filled, equivalent spellings changed."""
    raw = alert.as_dict()
    raw.update(id=alert_id, lifecycle_state="ACTIVE", create_time="2026-11-27T00:00:00Z", owner_user_name="me")
    raw["evaluation"]["source"]["display"] = raw["evaluation"]["source"]["name"]
    raw["evaluation"]["state"] = "OK"
    raw["evaluation"]["notification"].setdefault("retrigger_seconds", 0)
    raw["evaluation"]["notification"]["subscriptions"] = list(
        reversed(raw["evaluation"]["notification"].get("subscriptions", []))
    )
    raw["schedule"].pop("pause_status", None)
    raw.update(workspace_fills)
    return AlertV2.from_dict(raw)


def test_mapping_uses_the_sdk_classes_and_renders_sql() -> None:
    rule = make_rule(notification_channels=["a@example.com", "ops"], aggregation_type="SUM", retrigger_seconds=60)
    alert = to_alert(rule, CONTEXT)
    assert alert.display_name == "[WARNING] Base"
    assert alert.query_text == "SELECT value AS value, 1 AS other FROM `main`.`gold`.t"
    assert alert.evaluation.comparison_operator.value == "GREATER_THAN"
    assert alert.evaluation.source.aggregation is not None and alert.evaluation.source.aggregation.value == "SUM"
    assert alert.evaluation.threshold is not None and alert.evaluation.threshold.value is not None
    assert alert.evaluation.threshold.value.double_value == 1.0
    subscriptions = alert.evaluation.notification.subscriptions if alert.evaluation.notification else None
    assert [(s.user_email, s.destination_id) for s in subscriptions or []] == [
        ("a@example.com", None),
        (None, "dest-123"),
    ]
    assert alert.schedule.quartz_cron_schedule == "0 0 * * * ?" and alert.parent_path == FOLDER
    assert alert.custom_template_format is None


def test_unsynced_destination_is_a_mapping_error() -> None:
    with pytest.raises(MappingError, match="no Databricks id"):
        to_alert(make_rule(notification_channels=["pager"]), CONTEXT)


def test_our_template_variables_are_filled_databricks_ones_kept() -> None:
    rule = make_rule(alert_description="Too much", owner="me@example.com")
    text = fill_our_variables("{{ALERT_ID}} {{ SEVERITY }} {{{OWNER}}} {{DESCRIPTION}} {{ALERT_STATUS}}", rule)
    assert text == "BASE-1 WARNING me@example.com Too much {{ALERT_STATUS}}"


def test_first_plan_creates_second_is_empty_after_workspace_normalisation() -> None:
    rules = [make_rule(alert_id=f"R-{i}", alert_name=f"Rule {i}", notification_channels=["ops", "b@x.io"])
             for i in range(3)]  # fmt: skip
    desired = [Desired(r.alert_id, to_alert(r, CONTEXT)) for r in rules]
    first = build_plan(desired, [], FOLDER, DeletePolicy.keep)
    assert [c.alert_id for c in first.create] == ["R-0", "R-1", "R-2"]
    current = [deployed(d.alert, f"id-{d.alert_id}") for d in desired if d.alert]
    stored = [dataclasses.replace(d, stored_alert_id=f"id-{d.alert_id}") for d in desired]
    second = build_plan(stored, current, FOLDER, DeletePolicy.keep)
    assert second.is_empty and [u.alert_id for u in second.unchanged] == ["R-0", "R-1", "R-2"]


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"threshold_value_double": 7}, ("evaluation",)),
        ({"alert_name": "Renamed"}, ("display_name",)),
        ({"alert_query_template": "SELECT 2 AS value"}, ("query_text",)),
        ({"schedule_cron": "0 0 8 * * ?"}, ("schedule",)),
        ({"pause_status": "PAUSED"}, ("schedule",)),
        (
            {"alert_name": "Renamed", "severity": "CRITICAL", "schedule_cron": "0 5 * * * ?"},
            ("display_name", "schedule"),
        ),
        ({"use_custom_template": True, "custom_subject_template": "{{ALERT_ID}}"}, ("custom_summary",)),
    ],
)
def test_update_mask_is_exactly_the_changed_fields(change: dict[str, Any], fields: tuple[str, ...]) -> None:
    before = to_alert(make_rule(), CONTEXT)
    current = deployed(before, "id-1")
    after = to_alert(make_rule(**change), CONTEXT)
    plan = build_plan([Desired("BASE-1", after, "id-1")], [current], FOLDER, DeletePolicy.keep)
    assert [(u.alert_id, u.fields) for u in plan.update] == [("BASE-1", fields)]
    assert plan.update[0].update_mask == ",".join(sorted(fields))
    assert not plan.create and not plan.delete


def test_rename_without_stored_id_is_a_create_but_with_id_an_update() -> None:
    current = deployed(to_alert(make_rule(), CONTEXT), "id-1")
    renamed = to_alert(make_rule(alert_name="New name"), CONTEXT)
    with_id = build_plan([Desired("BASE-1", renamed, "id-1")], [current], FOLDER, DeletePolicy.keep)
    assert [u.fields for u in with_id.update] == [("display_name",)] and not with_id.create


def test_adopt_by_display_name_and_gone_stored_id_falls_back() -> None:
    alert = to_alert(make_rule(), CONTEXT)
    current = deployed(alert, "id-9")
    plan = build_plan([Desired("BASE-1", alert, "id-gone")], [current], FOLDER, DeletePolicy.keep)
    assert [u.databricks_alert_id for u in plan.unchanged] == ["id-9"]


def test_disabled_rule_kept_trashed_or_purged() -> None:
    current = deployed(to_alert(make_rule(), CONTEXT), "id-1")
    disabled = Desired("BASE-1", None, "id-1")
    keep = build_plan([disabled], [current], FOLDER, DeletePolicy.keep)
    assert not keep.delete and keep.skipped[0].alert_id == "BASE-1" and "keep" in keep.skipped[0].reason
    trash = build_plan([disabled], [current], FOLDER, DeletePolicy.trash)
    assert [(d.alert_id, d.databricks_alert_id, d.purge) for d in trash.delete] == [("BASE-1", "id-1", False)]
    assert build_plan([disabled], [current], FOLDER, DeletePolicy.purge).delete[0].purge


def test_orphans_in_folder_only_and_outside_alerts_never_touched() -> None:
    orphan = deployed(to_alert(make_rule(alert_name="Orphan"), CONTEXT), "id-o")
    outside = deployed(to_alert(make_rule(alert_name="Mine"), CONTEXT), "id-x", parent_path="/Users/someone")
    plan = build_plan([], [orphan, outside], FOLDER, DeletePolicy.trash)
    assert [(d.alert_id, d.databricks_alert_id) for d in plan.delete] == [(None, "id-o")]


def test_invalid_rule_is_skipped_and_never_changes_remote() -> None:
    current = deployed(to_alert(make_rule(), CONTEXT), "id-1")
    plan = build_plan([Desired("BASE-1", None, "id-1", skip_reason="invalid: SQL_NOT_READ_ONLY")], [current], FOLDER,
                      DeletePolicy.purge)  # fmt: skip
    assert plan.is_empty and plan.skipped[0].reason == "invalid: SQL_NOT_READ_ONLY"


def test_folder_change_is_delete_plus_create() -> None:
    old = deployed(to_alert(make_rule(), CONTEXT), "id-1", parent_path="/Workspace/Old")
    plan = build_plan([Desired("BASE-1", to_alert(make_rule(), CONTEXT), "id-1")], [old], FOLDER, DeletePolicy.keep)
    assert [c.alert_id for c in plan.create] == ["BASE-1"] and [d.databricks_alert_id for d in plan.delete] == ["id-1"]


def test_plan_json_and_text_shapes() -> None:
    plan = build_plan([Desired("BASE-1", to_alert(make_rule(), CONTEXT))], [], FOLDER, DeletePolicy.keep)
    assert plan.to_dict() == {
        "create": ["BASE-1"], "update": [], "delete": [], "unchanged": [], "skipped": [],
        "destinations": {"create": [], "update": [], "delete": [], "unchanged": []}, "unmanaged": [],
    }  # fmt: skip
    assert "1 to create" in plan.to_text()


def test_changed_fields_ignores_output_only_fields() -> None:
    alert = to_alert(make_rule(), CONTEXT)
    assert changed_fields(alert, deployed(alert, "id-1", update_time="2030-01-01T00:00:00Z")) == ()


def test_trashed_alerts_are_gone_and_folder_spellings_match() -> None:
    alert = to_alert(make_rule(), CONTEXT)
    trashed = deployed(alert, "id-1", lifecycle_state="DELETED")
    plan = build_plan([Desired("BASE-1", alert, "id-1")], [trashed], FOLDER, DeletePolicy.trash)
    assert [c.alert_id for c in plan.create] == ["BASE-1"] and not plan.delete
    spelled = deployed(alert, "id-2", parent_path="/Shared/lakealerts/")
    plan = build_plan([Desired("BASE-1", alert, "id-2")], [spelled], FOLDER, DeletePolicy.trash)
    assert [u.alert_id for u in plan.unchanged] == ["BASE-1"] and plan.is_empty
