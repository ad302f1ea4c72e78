"""Rule -> the fields of a Databricks SQL alert (v2), once, as plain values (DESIGN §5). Pure: no SDK, no I/O.

This is the one mapping of lakealerts. Its output, :class:`AlertFields`, is serialised twice:

* as the SDK's ``AlertV2`` for ``sync`` (:func:`lakealerts.sync.mapping.to_alert`), and
* as the bundle's ``databricks.bundles.alerts.Alert`` for ``rules export --format bundle`` and the bundle's
  resource loader (:mod:`lakealerts.bundle.alert_model`),

so a value can never differ between the two paths. Enum-valued fields hold the API's names (``GREATER_THAN``,
``SUM``, ``PAUSED``), which both models read.

Our template variables (ALERT_ID, SEVERITY, OWNER, DOMAIN, DESCRIPTION) are replaced here; Databricks' own
variables are kept byte for byte for the workspace to fill.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

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
    """Everything a rule needs to become an alert besides itself.

    ``destination_ids`` maps our ``destination_id`` to what the alert's subscription carries: a Databricks id
    for sync, a ``${var.destination_<id>}`` lookup variable for a bundle. ``parent_path`` None leaves the folder
    to whoever deploys (a bundle puts its alerts under ``${workspace.resource_path}``).
    """

    namespace: Namespace
    warehouse_id: str
    parent_path: str | None = DEFAULT_PARENT_PATH
    destination_ids: Mapping[str, str] | None = None  # our destination_id -> Databricks destination id
    run_as: str | None = None  # the identity of rules that name none (a validated e-mail or application id)


@dataclass(frozen=True)
class Threshold:
    """The value a result is compared with, as the API's operand value: exactly one field is set."""

    double_value: float | None = None
    bool_value: bool | None = None
    string_value: str | None = None


@dataclass(frozen=True)
class Subscription:
    """Who is notified: a user's e-mail or a notification destination's id (exactly one is set)."""

    user_email: str | None = None
    destination_id: str | None = None


@dataclass(frozen=True)
class RunAs:
    """The identity the alert runs as: a user's e-mail (``user_name``) or a service principal's application id
    (``service_principal_name``); exactly one is set."""

    user_name: str | None = None
    service_principal_name: str | None = None


@dataclass(frozen=True)
class AlertFields:
    """Every field lakealerts manages on an alert, as the API names them (DESIGN §5).

    ``aggregation`` None is the first row; ``retrigger_seconds`` None is "never again"; ``subscriptions`` empty
    is "nobody"; ``custom_summary``/``custom_description`` None are Databricks' default message.
    """

    display_name: str
    query_text: str
    warehouse_id: str
    column: str
    aggregation: str | None
    comparison_operator: str
    threshold: Threshold | None
    empty_result_state: str
    subscriptions: tuple[Subscription, ...]
    notify_on_ok: bool
    retrigger_seconds: int | None
    quartz_cron_schedule: str
    timezone_id: str
    pause_status: str
    custom_summary: str | None
    custom_description: str | None
    parent_path: str | None
    run_as: RunAs | None


def alert_fields(rule: AlertRule, context: MappingContext) -> AlertFields:
    """The alert a rule deploys as (MappingError when a destination it notifies has no id in ``context``)."""
    custom = rule.use_custom_template
    aggregation = rule.aggregation_type
    return AlertFields(
        display_name=display_name(rule),
        query_text=render(rule.alert_query_template, context.namespace),
        warehouse_id=context.warehouse_id,
        column=rule.threshold_column,
        aggregation=None if aggregation in (None, Aggregation.FIRST) else aggregation.value,
        comparison_operator=rule.sdk_operator,
        threshold=_threshold(rule),
        empty_result_state=rule.empty_result_state.value,
        subscriptions=_subscriptions(rule, context),
        notify_on_ok=rule.notify_on_ok,
        retrigger_seconds=rule.retrigger_seconds or None,
        quartz_cron_schedule=rule.schedule_cron,
        timezone_id=rule.schedule_timezone,
        pause_status=rule.pause_status.value,
        custom_summary=fill_our_variables(rule.custom_subject_template, rule) if custom else None,
        custom_description=fill_our_variables(rule.custom_body_template, rule) if custom else None,
        parent_path=context.parent_path,
        run_as=_run_as(rule.run_as or context.run_as),
    )


def _threshold(rule: AlertRule) -> Threshold | None:
    value = rule.threshold_value
    if value is None:
        return None  # IS_NULL / IS_NOT_NULL compare with nothing
    if rule.threshold_value_type is ValueType.DOUBLE:
        return Threshold(double_value=float(value))
    if rule.threshold_value_type is ValueType.BOOLEAN:
        return Threshold(bool_value=bool(value))
    return Threshold(string_value=str(value))


def _run_as(identity: str | None) -> RunAs | None:
    """A user's e-mail or a service principal's application id; None (the field is not sent, so the alert runs
    as whoever deploys it) when no identity is given."""
    if not identity:
        return None
    field_name, value = run_as_identity(identity)
    return RunAs(user_name=value) if field_name == "user_name" else RunAs(service_principal_name=value)


def _subscriptions(rule: AlertRule, context: MappingContext) -> tuple[Subscription, ...]:
    ids = context.destination_ids or {}
    subscriptions = []
    for channel in rule.notification_channels:
        if EMAIL.match(channel):
            subscriptions.append(Subscription(user_email=channel))
        elif channel in ids:
            subscriptions.append(Subscription(destination_id=ids[channel]))
        else:
            raise MappingError(
                f"rule {rule.alert_id}: destination {channel!r} has no Databricks id yet",
                hint="run `lakealerts destinations sync` (or `sync`, which does it first) and check it succeeded",
            )
    return tuple(subscriptions)


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
