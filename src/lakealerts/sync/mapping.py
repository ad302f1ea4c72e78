"""Rule -> the SDK's real ``AlertV2`` (DESIGN §5). Pure: no client, no I/O.

Our template variables (ALERT_ID, SEVERITY, OWNER, DOMAIN, DESCRIPTION) are replaced before upload;
Databricks' own variables are kept byte for byte for the workspace to fill.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from databricks.sdk.service.sql import Aggregation as SdkAggregation
from databricks.sdk.service.sql import (
    AlertEvaluationState,
    AlertV2,
    AlertV2Evaluation,
    AlertV2Notification,
    AlertV2Operand,
    AlertV2OperandColumn,
    AlertV2OperandValue,
    AlertV2RunAs,
    AlertV2Subscription,
    ComparisonOperator,
    CronSchedule,
    SchedulePauseStatus,
)

from lakealerts.errors import LakeAlertsError
from lakealerts.model import EMAIL, Aggregation, AlertRule, ValueType, run_as_identity
from lakealerts.sql.identifiers import Namespace
from lakealerts.sql.render import render
from lakealerts.sync.policy import DEFAULT_PARENT_PATH
from lakealerts.validate.static import display_name


class MappingError(LakeAlertsError):
    """Raised when a rule cannot become an alert yet (e.g. a destination that has no Databricks id)."""


@dataclass(frozen=True)
class MappingContext:
    """Everything a rule needs to become an alert besides itself."""

    namespace: Namespace
    warehouse_id: str
    parent_path: str = DEFAULT_PARENT_PATH
    destination_ids: Mapping[str, str] | None = None  # our destination_id -> Databricks destination id
    run_as: str | None = None  # the identity of rules that name none (a validated e-mail or application id)


def to_alert(rule: AlertRule, context: MappingContext) -> AlertV2:
    """The AlertV2 a rule deploys as."""
    custom = rule.use_custom_template
    return AlertV2(
        display_name=display_name(rule),
        query_text=render(rule.alert_query_template, context.namespace),
        warehouse_id=context.warehouse_id,
        evaluation=_evaluation(rule, context),
        schedule=CronSchedule(
            quartz_cron_schedule=rule.schedule_cron,
            timezone_id=rule.schedule_timezone,
            pause_status=SchedulePauseStatus(rule.pause_status.value),
        ),
        custom_summary=fill_our_variables(rule.custom_subject_template, rule) if custom else None,
        custom_description=fill_our_variables(rule.custom_body_template, rule) if custom else None,
        parent_path=context.parent_path,
        run_as=_run_as(rule.run_as or context.run_as),
    )


def _run_as(identity: str | None) -> AlertV2RunAs | None:
    """``AlertV2RunAs`` for a user's e-mail or a service principal's application id; None (the field is not
    sent, so the alert runs as whoever deploys it) when no identity is given."""
    if not identity:
        return None
    field_name, value = run_as_identity(identity)
    if field_name == "user_name":
        return AlertV2RunAs(user_name=value)
    return AlertV2RunAs(service_principal_name=value)


def _evaluation(rule: AlertRule, context: MappingContext) -> AlertV2Evaluation:
    aggregation = rule.aggregation_type
    sdk_aggregation = None if aggregation in (None, Aggregation.FIRST) else SdkAggregation(aggregation.value)
    return AlertV2Evaluation(
        source=AlertV2OperandColumn(name=rule.threshold_column, aggregation=sdk_aggregation),
        comparison_operator=ComparisonOperator(rule.sdk_operator),
        threshold=_threshold(rule),
        empty_result_state=AlertEvaluationState(rule.empty_result_state.value),
        notification=AlertV2Notification(
            subscriptions=_subscriptions(rule, context) or None,
            notify_on_ok=rule.notify_on_ok,
            retrigger_seconds=rule.retrigger_seconds or None,
        ),
    )


def _threshold(rule: AlertRule) -> AlertV2Operand | None:
    value = rule.threshold_value
    if value is None:
        return None  # IS_NULL / IS_NOT_NULL compare with nothing
    if rule.threshold_value_type is ValueType.DOUBLE:
        return AlertV2Operand(value=AlertV2OperandValue(double_value=float(value)))
    if rule.threshold_value_type is ValueType.BOOLEAN:
        return AlertV2Operand(value=AlertV2OperandValue(bool_value=bool(value)))
    return AlertV2Operand(value=AlertV2OperandValue(string_value=str(value)))


def _subscriptions(rule: AlertRule, context: MappingContext) -> list[AlertV2Subscription]:
    ids = context.destination_ids or {}
    subscriptions = []
    for channel in rule.notification_channels:
        if EMAIL.match(channel):
            subscriptions.append(AlertV2Subscription(user_email=channel))
        elif channel in ids:
            subscriptions.append(AlertV2Subscription(destination_id=ids[channel]))
        else:
            raise MappingError(
                f"rule {rule.alert_id}: destination {channel!r} has no Databricks id yet",
                hint="run `lakealerts destinations sync` (or `sync`, which does it first) and check it succeeded",
            )
    return subscriptions


def fill_our_variables(template: str | None, rule: AlertRule) -> str | None:
    """Replace ALERT_ID, SEVERITY, OWNER, DOMAIN, DESCRIPTION; leave Databricks' variables untouched."""
    if template is None:
        return None
    values = {
        "ALERT_ID": rule.alert_id,
        "SEVERITY": rule.severity.value,
        "OWNER": rule.owner,
        "DOMAIN": rule.agent_domain,
        "DESCRIPTION": rule.alert_description or "",
    }
    pattern = re.compile(r"\{\{\{?\s*&?\s*(" + "|".join(values) + r")\s*\}?\}\}")
    return pattern.sub(lambda match: values[match.group(1)], template)
