"""Rule -> the SDK's real ``AlertV2`` (DESIGN §5). Pure: no client, no I/O.

The rule's fields are worked out once, by :func:`lakealerts.sync.alert_fields.alert_fields`; this module only
writes them in the SDK's classes. The bundle's ``Alert`` is built from the same fields
(:mod:`lakealerts.bundle.alert_model`), so sync and a bundle deploy carry the same values.
"""

from __future__ import annotations

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

from lakealerts.model import AlertRule
from lakealerts.sync.alert_fields import (
    AlertFields,
    MappingContext,
    MappingError,
    alert_fields,
    fill_our_variables,
)

__all__ = ["MappingContext", "MappingError", "fill_our_variables", "sdk_alert", "to_alert"]


def to_alert(rule: AlertRule, context: MappingContext) -> AlertV2:
    """The AlertV2 a rule deploys as."""
    return sdk_alert(alert_fields(rule, context))


def sdk_alert(fields: AlertFields) -> AlertV2:
    """``fields`` as the SDK's ``AlertV2`` (None fields are left unset, so ``as_dict()`` omits them)."""
    return AlertV2(
        display_name=fields.display_name,
        query_text=fields.query_text,
        warehouse_id=fields.warehouse_id,
        evaluation=_evaluation(fields),
        schedule=CronSchedule(
            quartz_cron_schedule=fields.quartz_cron_schedule,
            timezone_id=fields.timezone_id,
            pause_status=SchedulePauseStatus(fields.pause_status),
        ),
        custom_summary=fields.custom_summary,
        custom_description=fields.custom_description,
        parent_path=fields.parent_path,
        run_as=_run_as(fields),
    )


def _evaluation(fields: AlertFields) -> AlertV2Evaluation:
    subscriptions = [
        AlertV2Subscription(user_email=s.user_email, destination_id=s.destination_id) for s in fields.subscriptions
    ]
    return AlertV2Evaluation(
        source=AlertV2OperandColumn(
            name=fields.column, aggregation=SdkAggregation(fields.aggregation) if fields.aggregation else None
        ),
        comparison_operator=ComparisonOperator(fields.comparison_operator),
        threshold=_threshold(fields),
        empty_result_state=AlertEvaluationState(fields.empty_result_state),
        notification=AlertV2Notification(
            subscriptions=subscriptions or None,
            notify_on_ok=fields.notify_on_ok,
            retrigger_seconds=fields.retrigger_seconds,
        ),
    )


def _threshold(fields: AlertFields) -> AlertV2Operand | None:
    value = fields.threshold
    if value is None:
        return None
    return AlertV2Operand(
        value=AlertV2OperandValue(
            double_value=value.double_value, bool_value=value.bool_value, string_value=value.string_value
        )
    )


def _run_as(fields: AlertFields) -> AlertV2RunAs | None:
    identity = fields.run_as
    if identity is None:
        return None
    return AlertV2RunAs(user_name=identity.user_name, service_principal_name=identity.service_principal_name)
