"""The alert's fields (:class:`lakealerts.sync.alert_fields.AlertFields`) as the bundle's own typed model,
``databricks.bundles.alerts.Alert`` — what ``rules export --format bundle`` writes and what the bundle's resource
loader (:mod:`lakealerts.bundle.resources`) hands to ``databricks bundle deploy``.

The same fields become the SDK's ``AlertV2`` for sync (:func:`lakealerts.sync.mapping.sdk_alert`); the bundle's
alert differs only where a bundle deploy should (DESIGN §10.2):

* ``schedule.pause_status`` is written only when PAUSED: an alert without it is paused by the bundle's
  development mode (``mode: development``, Databricks CLI 0.286.0 or newer) and runs in production;
* ``parent_path`` is left out: the bundle puts its alerts under ``${workspace.resource_path}``, away from the
  folder ``lakealerts sync`` manages, so the two never claim the same alert.

Serialise with ``Alert.as_dict()`` (the package's own JSON form: keys sorted, empty values left out).
"""

from __future__ import annotations

import re
from typing import Any

from databricks.bundles.alerts import (
    Aggregation,
    Alert,
    AlertEvaluationState,
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

from lakealerts.findings import Finding
from lakealerts.model import AlertRule, NotificationDestination, PauseStatus
from lakealerts.sync.alert_fields import AlertFields
from lakealerts.values import printable

#: Fields of the SDK's ``AlertV2`` that a bundle's alert leaves out on purpose (see the module's docstring).
LEFT_OUT = ("parent_path",)


def bundle_alert(fields: AlertFields) -> Alert:
    """``fields`` as a bundle ``Alert`` resource."""
    return Alert(
        display_name=fields.display_name,
        query_text=fields.query_text,
        warehouse_id=fields.warehouse_id,
        evaluation=_evaluation(fields),
        schedule=CronSchedule(
            quartz_cron_schedule=fields.quartz_cron_schedule,
            timezone_id=fields.timezone_id,
            # Absent when UNPAUSED, so that development mode can pause the alert; PAUSED is kept everywhere.
            pause_status=SchedulePauseStatus.PAUSED if fields.pause_status == PauseStatus.PAUSED.value else None,
        ),
        custom_summary=fields.custom_summary,
        custom_description=fields.custom_description,
        run_as=_run_as(fields),
    )


def _evaluation(fields: AlertFields) -> AlertV2Evaluation:
    return AlertV2Evaluation(
        source=AlertV2OperandColumn(
            name=fields.column, aggregation=Aggregation(fields.aggregation) if fields.aggregation else None
        ),
        comparison_operator=ComparisonOperator(fields.comparison_operator),
        threshold=_threshold(fields),
        empty_result_state=AlertEvaluationState(fields.empty_result_state),
        notification=AlertV2Notification(
            subscriptions=[
                AlertV2Subscription(user_email=s.user_email, destination_id=s.destination_id)
                for s in fields.subscriptions
            ],
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


# --- names in the bundle: resource keys and destination variables ----------------------------------------------

_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_VARIABLE_UNSAFE = re.compile(r"[^A-Za-z0-9]+")


def resource_key(alert_id: str) -> str:
    """The bundle resource key of a rule's alert (``resources.alerts.<key>``): letters, digits, ``_``, ``-``."""
    return _KEY_UNSAFE.sub("_", alert_id)


def destination_variable(destination_id: str) -> str:
    """The bundle variable that holds a destination's Databricks id: ``destination_<id>``, lower-case, with
    every run of other characters as one ``_``."""
    return "destination_" + _VARIABLE_UNSAFE.sub("_", destination_id).strip("_").lower()


def reference(variable: str) -> str:
    """``${var.<variable>}``: how a bundle value refers to a variable (resolved by the CLI at deploy)."""
    return "${var." + variable + "}"


def lookup_declaration(destination: NotificationDestination) -> dict[str, Any]:
    """The declaration of a destination's variable: a lookup of the notification destination by its display
    name (``destination_name``, as ``lakealerts destinations sync`` names it), resolved when the bundle deploys."""
    return {
        "description": f"Databricks id of notification destination {destination.destination_id!r}, looked up by "
        "its display name when the bundle deploys (`lakealerts destinations sync` creates it)",
        "lookup": {"notification_destination": destination.destination_name},
    }


# --- text the Databricks CLI would interpolate ------------------------------------------------------------------

#: The code of a rule whose text holds ``${`` (see :func:`interpolation_findings`).
BUNDLE_INTERPOLATION = "BUNDLE_INTERPOLATION"
_INTERPOLATED = "${"
_QUERY_FIELD = "alert_query_template"


def interpolation_findings(rule: AlertRule, rendered_sql: str | None) -> list[Finding]:
    """One finding per field of ``rule`` whose text holds ``${`` — and for ``rendered_sql`` (the query after
    lakealerts rendered its own ``${catalog}``/``${gold_schema}``/template variables; None: not checked).

    ``databricks bundle deploy`` interpolates every ``${…}`` in a bundle's resources after the loader (or an
    exported file) hands them over — it would put in the target's name or a variable's value, or stop the whole
    deploy on an unknown one without naming the rule — while ``lakealerts sync`` sends the text as written. Such
    a rule is therefore never put into a bundle."""
    findings = []
    for name in type(rule).model_fields:
        if name == _QUERY_FIELD:
            continue
        value = getattr(rule, name)
        texts = [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)] if isinstance(
            value, list | tuple) else []  # fmt: skip
        found = next((text for text in texts if _INTERPOLATED in text), None)
        if found is not None:
            findings.append(_interpolation(name, found))
    if rendered_sql is not None and _INTERPOLATED in rendered_sql:
        findings.append(_interpolation(_QUERY_FIELD, rendered_sql, rendered=True))
    return findings


def _interpolation(field: str, text: str, *, rendered: bool = False) -> Finding:
    start = text.index(_INTERPOLATED)
    end = text.find("}", start)
    excerpt = printable(text[start : end + 1] if 0 <= end - start < 60 else text[start : start + 40] + "…", 80)
    where = "the rendered SQL holds " if rendered else "holds "
    return Finding(
        BUNDLE_INTERPOLATION,
        field,
        f"{where}`{excerpt}`, which the Databricks CLI would interpolate when the bundle deploys",
        f"remove `${{…}}` from {field}: `databricks bundle deploy` would replace it; Databricks' own template "
        "variables are {{…}}",
    )
