"""``rules export --format bundle``: the rules as ``resources.alerts`` of a Databricks Asset Bundle (pure).

For teams that prefer plain bundle deploys to ``lakealerts sync``. Each enabled rule that passes the static
checks becomes one alert, built by the same mapping as sync (:func:`lakealerts.sync.mapping.to_alert`) and
written with the field names of the bundle schema's ``resources.alerts``. What is left out, and why:

* ``parent_path``: the bundle puts its alerts under ``${workspace.resource_path}``, away from the folder that
  ``lakealerts sync`` manages, so the two never claim the same alert;
* disabled and invalid rules: they are listed as skipped, never deployed (as in sync).

A destination channel needs a Databricks destination id: the stored one after ``destinations sync``, else a
bundle variable ``destination_<id>`` that the export declares and the deploy must set.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lakealerts.app.files import dump_yaml_document
from lakealerts.errors import UsageError
from lakealerts.model import StoredDestination, StoredRule
from lakealerts.sql.identifiers import Namespace
from lakealerts.sync.mapping import MappingContext, to_alert
from lakealerts.validate import validate_rules

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
) -> BundleExport:
    """``{"variables": …, "resources": {"alerts": {key: alert}}}`` for the enabled, valid rules."""
    plain = [stored.rule for stored in rules]
    report = validate_rules(plain, [d.destination for d in destinations], namespace)
    invalid = {result.alert_id: result.findings for result in report.results if result.findings}
    ids, variables = _destination_ids(plain, destinations)
    context = MappingContext(namespace, warehouse_id, destination_ids=ids)
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
    if used:  # only the ones an exported alert refers to: a declared variable must be given a value
        export.document["variables"] = used
    export.document["resources"] = {"alerts": alerts}
    return export


def bundle_alert(alert: dict[str, Any]) -> dict[str, Any]:
    """An ``AlertV2`` request body (``as_dict``) in the shape of the bundle's alert resource."""
    return {name: alert[name] for name in _BUNDLE_FIELDS if alert.get(name) is not None}


def _destination_ids(
    rules: Sequence[Any], destinations: Sequence[StoredDestination]
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Destination channel -> Databricks id (stored, or a ``${var.…}`` reference) and the variables needed.

    Only stored destinations are looked at: a channel that is neither an address nor a stored destination
    makes its rule invalid, and invalid rules are not exported.
    """
    stored = {d.destination.destination_id: d.databricks_destination_id for d in destinations}
    channels = sorted({c for rule in rules for c in rule.notification_channels if c in stored})
    ids: dict[str, str] = {}
    variables: dict[str, dict[str, str]] = {}
    for channel in channels:
        known = stored[channel]
        if known:
            ids[channel] = known
            continue
        name = "destination_" + _VARIABLE_UNSAFE.sub("_", channel).strip("_").lower()
        if name in variables:
            raise UsageError(
                f"destinations {channel!r} and another one both become the bundle variable {name!r}",
                hint="run `lakealerts destinations sync` first, so that the export can use their Databricks ids",
            )
        ids[channel] = "${var." + name + "}"
        variables[name] = {
            "description": f"Databricks id of notification destination {channel!r} "
            "(`lakealerts destinations sync` creates it and stores the id)"
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
)


def _mentions(alerts: dict[str, Any], variable: str) -> bool:
    return ("${var." + variable + "}") in repr(alerts)
