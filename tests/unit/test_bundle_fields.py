"""One mapping, two serialisations (issue 20): a rule's fields are worked out once, and the SDK's ``AlertV2``
(sync) and the bundle's ``Alert`` (export, resource loader) carry the same values, path by path — for every
shipped rule and for variants that reach the fields the shipped rules leave empty.

The only differences are the ones a bundle deploy wants: no ``parent_path`` (the bundle's own folder) and no
``schedule.pause_status`` when UNPAUSED (so development mode can pause the alert).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from databricks.bundles.alerts import CronSchedule, SchedulePauseStatus

from lakealerts.bundle.alert_model import LEFT_OUT, bundle_alert, destination_variable, reference
from lakealerts.catalog import load_rules
from lakealerts.model import EMAIL, AlertRule
from lakealerts.sql.identifiers import Namespace
from lakealerts.sync.alert_fields import MappingContext, alert_fields
from lakealerts.sync.mapping import to_alert
from tests.builders import make_rule

pytestmark = pytest.mark.unit
NAMESPACE = Namespace("monitoring", "gold")
APP_ID = "6f1c0a52-0d3e-4c8e-9a57-3b1f2f9c4d10"
SHIPPED = [*load_rules("gold"), *load_rules("system")]
VARIANTS = {
    "paused, string threshold, run as a user": make_rule(
        pause_status="PAUSED", threshold_value_type="STRING", threshold_operator="=", threshold_value_double=None,
        threshold_value_string="FAILED", run_as="ops@example.com",
    ),
    "boolean threshold, median, retrigger, run as a service principal": make_rule(
        threshold_value_type="BOOLEAN", threshold_operator="!=", threshold_value_double=None,
        threshold_value_bool=True, aggregation_type="MEDIAN", retrigger_seconds=3600, run_as=APP_ID,
    ),
    "IS_NULL, custom templates, destinations and an address": make_rule(
        threshold_operator="IS_NULL", threshold_value_double=None, use_custom_template=True,
        custom_subject_template="{{SEVERITY}} {{ALERT_NAME}}",
        custom_body_template="{{ALERT_ID}}: {{QUERY_RESULT_VALUE}}", notify_on_ok=True, empty_result_state="ERROR",
        notification_channels=["oncall", "ops@example.com", "team.slack"],
    ),
    "FIRST is the first row, as no aggregation": make_rule(aggregation_type="FIRST", retrigger_seconds=0),
}  # fmt: skip


def leaves(value: Any, path: str = "") -> dict[str, Any]:
    """Every leaf of a JSON-shaped value by its path (``evaluation.threshold.value.double_value``,
    ``evaluation.notification.subscriptions[0].user_email``)."""
    if isinstance(value, dict):
        return {p: v for key, item in value.items() for p, v in leaves(item, f"{path}.{key}" if path else key).items()}
    if isinstance(value, list):
        return {p: v for i, item in enumerate(value) for p, v in leaves(item, f"{path}[{i}]").items()}
    return {path: value}


def context_for(rule: AlertRule) -> MappingContext:
    """Sync's context, with each destination's id being its bundle variable (what the export writes)."""
    ids = {c: reference(destination_variable(c)) for c in rule.notification_channels if not EMAIL.match(c)}
    return MappingContext(NAMESPACE, "${var.warehouse_id}", destination_ids=ids)


def compare(rule: AlertRule) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the SDK payload's leaves without what a bundle leaves out, the bundle alert's leaves)."""
    context = context_for(rule)
    sdk = leaves(to_alert(rule, context).as_dict())
    bundle = leaves(bundle_alert(alert_fields(rule, context)).as_dict())
    expected = {
        path: value for path, value in sdk.items()
        if path.split(".")[0] not in LEFT_OUT and (path, value) != ("schedule.pause_status", "UNPAUSED")
    }  # fmt: skip
    return expected, bundle


def test_the_shipped_rules_are_the_29_and_the_22_of_the_system_pack() -> None:
    assert len(load_rules("gold")) == 29 and len(load_rules("system")) == 22


@pytest.mark.parametrize("rule", SHIPPED, ids=lambda rule: rule.alert_id)
def test_sdk_payload_and_bundle_alert_of_a_shipped_rule_carry_the_same_values(rule: AlertRule) -> None:
    expected, bundle = compare(rule)
    assert bundle == expected
    assert "schedule.pause_status" not in bundle  # every shipped rule is UNPAUSED: dev mode pauses it


@pytest.mark.parametrize("name", VARIANTS)
def test_sdk_payload_and_bundle_alert_agree_on_the_other_fields(name: str) -> None:
    expected, bundle = compare(VARIANTS[name])
    assert bundle == expected


def test_the_comparison_reaches_every_field_a_rule_can_set() -> None:
    """The paths compared above include every managed field, so a field mapped differently would be seen."""
    compared = {path for rule in [*SHIPPED, *VARIANTS.values()] for path in compare(rule)[1]}
    fields = {path.split("[")[0] if "[" not in path else path.split("[")[0] + "[]" for path in compared}
    assert {
        "display_name", "query_text", "warehouse_id", "custom_summary", "custom_description",
        "run_as.user_name", "run_as.service_principal_name", "schedule.quartz_cron_schedule", "schedule.timezone_id",
        "schedule.pause_status", "evaluation.source.name", "evaluation.source.aggregation",
        "evaluation.comparison_operator", "evaluation.empty_result_state", "evaluation.threshold.value.double_value",
        "evaluation.threshold.value.string_value", "evaluation.threshold.value.bool_value",
        "evaluation.notification.notify_on_ok", "evaluation.notification.retrigger_seconds",
        "evaluation.notification.subscriptions[]",
    } <= fields  # fmt: skip


def test_the_bundle_alert_differs_only_by_parent_path_and_an_unpaused_status() -> None:
    rule = make_rule(notification_channels=["ops@example.com"])
    sdk = to_alert(rule, MappingContext(NAMESPACE, "wh-1")).as_dict()
    bundle: dict[str, Any] = dict(bundle_alert(alert_fields(rule, MappingContext(NAMESPACE, "wh-1"))).as_dict())
    assert sdk["parent_path"] == "/Workspace/Shared/lakealerts" and "parent_path" not in bundle
    assert sdk["schedule"]["pause_status"] == "UNPAUSED" and "pause_status" not in bundle["schedule"]
    paused = bundle_alert(alert_fields(make_rule(pause_status="PAUSED"), MappingContext(NAMESPACE, "wh-1")))
    schedule = CronSchedule(quartz_cron_schedule="0 0 * * * ?", timezone_id="UTC")
    assert paused.schedule == replace(schedule, pause_status=SchedulePauseStatus.PAUSED)


def test_custom_templates_have_our_variables_filled_and_databricks_variables_kept() -> None:
    rule = VARIANTS["IS_NULL, custom templates, destinations and an address"]
    alert: dict[str, Any] = dict(bundle_alert(alert_fields(rule, context_for(rule))).as_dict())
    assert alert["custom_summary"] == "WARNING {{ALERT_NAME}}"
    assert alert["custom_description"] == "BASE-1: {{QUERY_RESULT_VALUE}}"
    subscriptions = alert["evaluation"]["notification"]["subscriptions"]
    assert subscriptions == [
        {"destination_id": "${var.destination_oncall}"},
        {"user_email": "ops@example.com"},
        {"destination_id": "${var.destination_team_slack}"},
    ]
