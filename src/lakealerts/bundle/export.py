"""``rules export --format bundle``: the rules as ``resources.alerts`` of a Databricks Asset Bundle (pure).

For teams that prefer plain bundle deploys to ``lakealerts sync``. Each enabled rule that passes the static
checks becomes one alert, built by the same mapping as sync (:func:`lakealerts.sync.mapping.to_alert`) and
written with the field names of the bundle schema's ``resources.alerts``. Safe to deploy to any workspace and
target (DESIGN §10.2):

* destinations are referred to by **lookup variables**, never by a stored Databricks id (an id from another
  workspace, or from the local stand-in after ``quickstart``, means nothing where the bundle deploys): each
  destination channel becomes ``destination_id: ${var.destination_<id>}`` and the file declares
  ``variables.destination_<id>.lookup.notification_destination: "<destination_name>"``, which the Databricks CLI
  resolves by display name at deploy time;
* ``schedule.pause_status`` is written only when the rule is PAUSED: an alert without it is paused by the bundle's
  development mode (``mode: development``; Databricks CLI 0.286.0 or newer) and runs in production, so a ``dev``
  deploy notifies nobody;
* ``run_as`` comes from the rule, else from the export's default (``--run-as``), else is left out (the alert
  then runs as the identity that deploys the bundle).

What is left out, and why:

* ``parent_path``: the bundle puts its alerts under ``${workspace.resource_path}``, away from the folder that
  ``lakealerts sync`` manages, so the two never claim the same alert;
* disabled and invalid rules: they are listed as skipped, never deployed (as in sync).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lakealerts.app.files import dump_yaml_document
from lakealerts.errors import UsageError
from lakealerts.model import PauseStatus, StoredDestination, StoredRule, run_as_identity
from lakealerts.sql.identifiers import Namespace
from lakealerts.sync.mapping import MappingContext, to_alert
from lakealerts.validate import validate_rules
from lakealerts.values import FieldError

#: The warehouse of exported alerts unless one is given: the bundle's own variable.
DEFAULT_WAREHOUSE = "${var.warehouse_id}"
_BUNDLE_FIELDS = (
    "display_name",
    "query_text",
    "warehouse_id",
    "evaluation",
    "schedule",
    "custom_summary",
    "custom_description",
    "run_as",
)
_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_VARIABLE_UNSAFE = re.compile(r"[^A-Za-z0-9]+")


@dataclass
class BundleExport:
    """The bundle document and the rules that were left out, with the reason."""

    document: dict[str, Any]
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def alert_count(self) -> int:
        """How many alerts the document holds."""
        return len(self.document.get("resources", {}).get("alerts", {}))

    def to_yaml(self) -> str:
        """The document as bundle YAML, with a header and multi-line SQL as readable block scalars."""
        return _HEADER + dump_yaml_document(self.document)


def export_bundle(
    rules: Sequence[StoredRule],
    destinations: Sequence[StoredDestination],
    namespace: Namespace,
    warehouse_id: str = DEFAULT_WAREHOUSE,
    run_as: str | None = None,
) -> BundleExport:
    """``{"variables": …, "resources": {"alerts": {key: alert}}}`` for the enabled, valid rules.

    ``run_as`` is the identity of the alerts whose rule names none (a user's e-mail or a service principal's
    application id; a UsageError otherwise). ``variables`` holds one lookup per destination an alert uses.
    """
    plain = [stored.rule for stored in rules]
    default_run_as = _default_run_as(run_as)
    report = validate_rules(plain, [d.destination for d in destinations], namespace)
    invalid = {result.alert_id: result.findings for result in report.results if result.findings}
    ids, variables = _destination_variables(plain, destinations)
    context = MappingContext(namespace, warehouse_id, destination_ids=ids, run_as=default_run_as)
    export = BundleExport({})
    alerts: dict[str, Any] = {}
    for rule in plain:
        if not rule.is_enabled:
            export.skipped.append((rule.alert_id, "disabled"))
        elif rule.alert_id in invalid:
            export.skipped.append((rule.alert_id, "invalid: " + ", ".join(f.code for f in invalid[rule.alert_id])))
        else:
            alerts[_resource_key(rule.alert_id, alerts)] = bundle_alert(to_alert(rule, context).as_dict())
    used = {name: variables[name] for name in sorted(variables) if _mentions(alerts, name)}
    if used:  # only the ones an exported alert refers to: each lookup must find its destination at deploy
        export.document["variables"] = used
    export.document["resources"] = {"alerts": alerts}
    return export


def bundle_alert(alert: dict[str, Any]) -> dict[str, Any]:
    """An ``AlertV2`` request body (``as_dict``) in the shape of the bundle's alert resource.

    ``schedule.pause_status`` is dropped when UNPAUSED (the API's default), so that the bundle's development
    mode can pause the alert; PAUSED is kept.
    """
    shaped = {name: alert[name] for name in _BUNDLE_FIELDS if alert.get(name) is not None}
    schedule = shaped.get("schedule")
    if isinstance(schedule, dict) and schedule.get("pause_status") == PauseStatus.UNPAUSED.value:
        shaped["schedule"] = {key: value for key, value in schedule.items() if key != "pause_status"}
    return shaped


def _default_run_as(value: str | None) -> str | None:
    """The export's default identity, checked like a rule's ``run_as`` (UsageError naming ``--run-as``)."""
    if value is None or not value.strip():
        return None
    try:
        return run_as_identity(value)[1]
    except FieldError as problem:
        raise UsageError(f"--run-as: {problem}", hint=problem.hint) from None


def _destination_variables(
    rules: Sequence[Any], destinations: Sequence[StoredDestination]
) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Destination channel -> ``${var.destination_<id>}``, and each variable's declaration: a lookup of the
    notification destination by its display name (``destination_name``, as ``destinations sync`` names it).

    Only stored destinations are looked at: a channel that is neither an address nor a stored destination
    makes its rule invalid, and invalid rules are not exported. Stored Databricks ids are never used.
    """
    stored = {d.destination.destination_id: d.destination for d in destinations}
    channels = sorted({c for rule in rules for c in rule.notification_channels if c in stored})
    ids: dict[str, str] = {}
    variables: dict[str, dict[str, Any]] = {}
    owners: dict[str, str] = {}
    for channel in channels:
        name = "destination_" + _VARIABLE_UNSAFE.sub("_", channel).strip("_").lower()
        if name in variables:
            raise UsageError(
                f"destinations {owners[name]!r} and {channel!r} both become the bundle variable {name!r}",
                hint="rename one of them (destination_id, and the rules' notification_channels) so that they "
                "differ in letters or digits",
            )
        destination = stored[channel]
        ids[channel], owners[name] = "${var." + name + "}", channel
        variables[name] = {
            "description": f"Databricks id of notification destination {channel!r}, looked up by its display name "
            "when the bundle deploys (`lakealerts destinations sync` creates it)",
            "lookup": {"notification_destination": destination.destination_name},
        }
    return ids, variables


def _resource_key(alert_id: str, taken: dict[str, Any]) -> str:
    """A bundle resource key for ``alert_id`` (letters, digits, ``_``, ``-``); UsageError when two collide."""
    key = _KEY_UNSAFE.sub("_", alert_id)
    if key in taken:
        raise UsageError(
            f"rules {alert_id!r} and another one both become the bundle resource key {key!r}",
            hint="rename one of the rules (alert_id) so that they differ in letters, digits, '_' or '-'",
        )
    return key


_HEADER = (
    "# Generated by `lakealerts rules export --format bundle`: one SQL alert (v2) per enabled, valid rule.\n"
    "# Include it from databricks.yml (`include:`); the bundle must define the variable warehouse_id.\n"
    "# Destinations are looked up by display name at deploy: they must exist in the target workspace.\n"
    "# Alerts without pause_status are paused by development mode (`-t dev`, CLI 0.286.0+) and run in production.\n"
)


def _mentions(alerts: dict[str, Any], variable: str) -> bool:
    return ("${var." + variable + "}") in repr(alerts)
