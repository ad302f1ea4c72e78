"""``rules export --format bundle``: the rules as ``resources.alerts`` of a Databricks Asset Bundle (pure).

For teams that prefer plain bundle deploys to ``lakealerts sync``. Each enabled rule that passes the static
checks becomes one alert: its fields come from the mapping sync uses too
(:func:`lakealerts.sync.alert_fields.alert_fields`), written as the bundle's own typed model
(``databricks.bundles.alerts.Alert``, :mod:`lakealerts.bundle.alert_model`) and serialised by it
(``Alert.as_dict()``). Safe to deploy to any workspace and target (DESIGN §10.2):

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
* disabled and invalid rules: they are listed as skipped, never deployed (as in sync);
* rules whose text holds ``${`` (name, description, templates, a threshold string, the rendered SQL…): the
  Databricks CLI would interpolate it at deploy, while sync sends it as written — skipped, naming the field.

Strings that YAML 1.2 (which the CLI reads) would take for another type — ``1e3``, ``0o17``, ``.inf``,
``True`` — are written quoted, so every value reads back as the text it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from databricks.bundles.alerts import Alert

from lakealerts.app.files import dump_yaml_document
from lakealerts.bundle.alert_model import (
    bundle_alert,
    destination_variable,
    interpolation_findings,
    lookup_declaration,
    reference,
    resource_key,
)
from lakealerts.errors import UsageError
from lakealerts.model import AlertRule, NotificationDestination, StoredDestination, StoredRule, run_as_identity
from lakealerts.sql.identifiers import Namespace
from lakealerts.sql.render import render
from lakealerts.sync.alert_fields import MappingContext, alert_fields
from lakealerts.validate import validate_rules
from lakealerts.values import FieldError

#: The warehouse of exported alerts unless one is given: the bundle's own variable.
DEFAULT_WAREHOUSE = "${var.warehouse_id}"


@dataclass
class BundleExport:
    """The exported alerts (the bundle's models, by resource key), the lookup variables they use, and the rules
    that were left out, with the reason."""

    alerts: dict[str, Alert] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def alert_count(self) -> int:
        """How many alerts the document holds."""
        return len(self.alerts)

    @property
    def document(self) -> dict[str, Any]:
        """``{"variables": …, "resources": {"alerts": {key: Alert.as_dict()}}}`` (no ``variables`` if none)."""
        alerts = {key: dict(alert.as_dict()) for key, alert in self.alerts.items()}
        variables = {"variables": self.variables} if self.variables else {}
        return {**variables, "resources": {"alerts": alerts}}

    def to_yaml(self) -> str:
        """The document as bundle YAML, with a header and multi-line SQL as readable block scalars."""
        return _HEADER + _dump(self.document)


def export_bundle(
    rules: Sequence[StoredRule],
    destinations: Sequence[StoredDestination],
    namespace: Namespace,
    warehouse_id: str = DEFAULT_WAREHOUSE,
    run_as: str | None = None,
) -> BundleExport:
    """The enabled, valid rules as bundle alerts, and one lookup variable per destination an alert uses.

    ``run_as`` is the identity of the alerts whose rule names none (a user's e-mail or a service principal's
    application id; a UsageError otherwise).
    """
    plain = [stored.rule for stored in rules]
    default_run_as = _default_run_as(run_as)
    report = validate_rules(plain, [d.destination for d in destinations], namespace)
    invalid = {result.alert_id: result.findings for result in report.results if result.findings}
    stored = {d.destination.destination_id: d.destination for d in destinations}
    declarations = _destination_variables(plain, stored)
    ids = {channel: reference(name) for name, (channel, _) in declarations.items()}
    context = MappingContext(namespace, warehouse_id, parent_path=None, destination_ids=ids, run_as=default_run_as)
    export = BundleExport()
    used: set[str] = set()
    for rule in plain:
        if not rule.is_enabled:
            export.skipped.append((rule.alert_id, "disabled"))
        elif rule.alert_id in invalid:
            export.skipped.append((rule.alert_id, "invalid: " + ", ".join(f.code for f in invalid[rule.alert_id])))
        elif interpolated := interpolation_findings(rule, render(rule.alert_query_template, namespace)):
            export.skipped.append((rule.alert_id, "; ".join(f"{f.field}: {f.hint}" for f in interpolated)))
        else:
            export.alerts[_resource_key(rule.alert_id, export.alerts)] = bundle_alert(alert_fields(rule, context))
            used.update(_channels_in(rule, stored))
    # Only the variables an exported alert refers to: each lookup must find its destination at deploy.
    export.variables = {
        name: lookup_declaration(destination) for name, (channel, destination) in sorted(declarations.items())
        if channel in used
    }  # fmt: skip
    return export


def _default_run_as(value: str | None) -> str | None:
    """The export's default identity, checked like a rule's ``run_as`` (UsageError naming ``--run-as``)."""
    if value is None or not value.strip():
        return None
    try:
        return run_as_identity(value)[1]
    except FieldError as problem:
        raise UsageError(f"--run-as: {problem}", hint=problem.hint) from None


def _channels_in(rule: AlertRule, stored: dict[str, NotificationDestination]) -> set[str]:
    return {channel for channel in rule.notification_channels if channel in stored}


def _destination_variables(
    rules: Sequence[AlertRule], stored: dict[str, NotificationDestination]
) -> dict[str, tuple[str, NotificationDestination]]:
    """Variable name -> (destination channel, its destination), for every stored destination a rule names.

    Only stored destinations are looked at: a channel that is neither an address nor a stored destination
    makes its rule invalid, and invalid rules are not exported. Stored Databricks ids are never used.
    """
    channels = sorted({c for rule in rules for c in rule.notification_channels if c in stored})
    variables: dict[str, tuple[str, NotificationDestination]] = {}
    for channel in channels:
        name = destination_variable(channel)
        if name in variables:
            raise UsageError(
                f"destinations {variables[name][0]!r} and {channel!r} both become the bundle variable {name!r}",
                hint="rename one of them (destination_id, and the rules' notification_channels) so that they "
                "differ in letters or digits",
            )
        variables[name] = (channel, stored[channel])
    return variables


def _resource_key(alert_id: str, taken: dict[str, Any]) -> str:
    """A bundle resource key for ``alert_id`` (letters, digits, ``_``, ``-``); UsageError when two collide."""
    key = resource_key(alert_id)
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


def _dump(document: Any) -> str:
    """The bundle document as YAML, keys in their order (the models' own); strings the CLI's YAML 1.2 reader
    would read as another type are quoted (:func:`dump_yaml_document`)."""
    return dump_yaml_document(document)
