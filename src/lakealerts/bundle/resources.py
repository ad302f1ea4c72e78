"""The bundle's resource loader: rule files become ``resources.alerts`` when ``databricks bundle deploy`` runs.

A bundle names it in its ``python:`` section (Databricks CLI 0.279.0 or newer, for alerts; ``databricks-bundles`` and
lakealerts installed in ``venv_path``)::

    python:
      venv_path: .venv
      resources:
        - "lakealerts.bundle.resources:load_resources"

The CLI runs ``python -m databricks.bundles.build --phase load_resources`` in the bundle root, which calls
:func:`load_resources` with the target and the bundle's variable values. It reads, relative to the bundle root:

* ``rules/`` — rule files, the format of ``lakealerts rules import`` (variable ``lakealerts_rules_dir``);
* ``destinations/`` — destination files, the format of ``lakealerts destinations import`` (variable
  ``lakealerts_destinations_dir``; optional when rules notify e-mail addresses only).

Only files directly in those folders, inside the bundle root, are read (:mod:`lakealerts.bundle.rule_files`).

Every rule passes the same static checks as ``lakealerts validate`` (SQL, threshold column, operators, schedule,
templates, channels), rendered for the variables ``catalog`` / ``gold_schema`` (defaults ``monitoring`` /
``gold``) and, for any other template variable ``${NAME}``, the bundle variable ``lakealerts_var_NAME`` (an
identifier or a literal, checked like ``--var``). A rule whose text would still hold ``${`` is not deployed: the
CLI would interpolate it. Each enabled, valid rule becomes one alert, ``resources.alerts.<alert_id>``, with the
very fields ``lakealerts sync`` would deploy (:mod:`lakealerts.bundle.alert_model`):
``warehouse_id: ${var.warehouse_id}`` (the bundle must declare ``warehouse_id``), destinations as
``${var.destination_<id>}`` (the bundle declares each as a lookup of the destination's display name: a loader
cannot add variables), no ``pause_status`` unless PAUSED (so ``mode: development`` pauses the alerts), no
``parent_path``.

Every rule, destination or file that cannot be deployed becomes **one** diagnostic naming the file and line,
the rule, the field and the fix, and is left out; disabled rules are left out silently. The diagnostics are
errors by default — the CLI then stops before it changes anything — or warnings with
``lakealerts_invalid_rules: warning`` (the valid alerts deploy, the invalid ones are left out). A file or folder
that cannot be read is always an error: leaving it out would delete every alert it holds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from databricks.bundles.alerts import Alert
from databricks.bundles.core import Bundle, Diagnostic, Diagnostics, Location, Resources, Severity

from lakealerts.bundle.alert_model import (
    bundle_alert,
    destination_variable,
    interpolation_findings,
    reference,
    resource_key,
)
from lakealerts.bundle.rule_files import ShippedDocument, ShippedFolder, read_folder
from lakealerts.documents import parse_destinations, parse_rules
from lakealerts.errors import LakeAlertsError, UsageError
from lakealerts.findings import DESTINATION, Finding
from lakealerts.model import EMAIL, AlertRule, NotificationDestination
from lakealerts.sql.identifiers import BUILT_IN_VARIABLES, Namespace, validate_variable
from lakealerts.sql.render import render
from lakealerts.sync.alert_fields import MappingContext, MappingError, alert_fields
from lakealerts.validate import validate_rules
from lakealerts.values import printable

#: Bundle variables the loader reads (name -> default); ``warehouse_id`` has no default and must be declared.
RULES_DIR, DESTINATIONS_DIR = "lakealerts_rules_dir", "lakealerts_destinations_dir"
INVALID_RULES, WAREHOUSE, CATALOG, SCHEMA = "lakealerts_invalid_rules", "warehouse_id", "catalog", "gold_schema"
DEFAULTS = {RULES_DIR: "rules", DESTINATIONS_DIR: "destinations", INVALID_RULES: "error", CATALOG: "monitoring",
            SCHEMA: "gold"}  # fmt: skip
_SEVERITIES = {"error": Severity.ERROR, "warning": Severity.WARNING}
#: A bundle variable ``lakealerts_var_<NAME>`` renders ``${NAME}`` in rule SQL (as ``--var NAME=…`` does).
VARIABLE_PREFIX = "lakealerts_var_"


@dataclass(frozen=True)
class LoaderSettings:
    """Where the loader reads, how it renders and judges rules, and what the bundle declares."""

    rules_dir: str = DEFAULTS[RULES_DIR]
    destinations_dir: str = DEFAULTS[DESTINATIONS_DIR]
    namespace: Namespace = field(default_factory=lambda: Namespace(DEFAULTS[CATALOG], DEFAULTS[SCHEMA]))
    declared: frozenset[str] = frozenset({WAREHOUSE})  # the bundle's variables
    invalid_severity: Severity = Severity.ERROR

    @classmethod
    def from_variables(cls, variables: Mapping[str, Any]) -> LoaderSettings:
        """Settings from the bundle's variable values (UsageError naming the variable and the fix)."""
        if WAREHOUSE not in variables:
            raise UsageError(
                "the bundle declares no variable 'warehouse_id', which every alert runs on",
                hint="add to databricks.yml: variables: {warehouse_id: {description: SQL warehouse of the alerts}}",
            )
        text = {name: _text(variables, name) for name in DEFAULTS}
        severity = _SEVERITIES.get(text[INVALID_RULES].lower())
        if severity is None:
            raise UsageError(
                f"variable {INVALID_RULES!r} is {text[INVALID_RULES]!r}",
                hint="use 'error' (an invalid rule stops the deploy) or 'warning' (it is left out)",
            )
        namespace = Namespace.of(text[CATALOG], text[SCHEMA], _template_variables(variables))
        return cls(text[RULES_DIR], text[DESTINATIONS_DIR], namespace, frozenset(variables), severity)


def _template_variables(variables: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(NAME, value)`` of each bundle variable ``lakealerts_var_NAME``, checked like ``--var NAME=value``."""
    found = []
    for variable, value in sorted(variables.items()):
        if not variable.startswith(VARIABLE_PREFIX):
            continue
        name = variable[len(VARIABLE_PREFIX) :]
        if name in BUILT_IN_VARIABLES:
            raise UsageError(
                f"variable {variable!r} would set ${{{name}}}, which the bundle variable {name!r} sets",
                hint=f"remove {variable} and declare the variable {name} in databricks.yml",
            )
        if not isinstance(value, str) or value.startswith("${"):
            raise UsageError(
                f"variable {variable!r} is {value!r}; the loader needs a plain text value",
                hint=f"give {variable} a literal value (a default, --var {variable}=… or BUNDLE_VAR_{variable}): "
                "an identifier, a number or a quoted string",
            )
        found.append(validate_variable(name, value, f"variable {variable}"))
    return found


def _text(variables: Mapping[str, Any], name: str) -> str:
    value = variables.get(name)
    if value is None or value == "":
        return DEFAULTS[name]
    if not isinstance(value, str) or value.startswith("${"):
        raise UsageError(
            f"variable {name!r} is {value!r}; the loader needs a plain text value",
            hint=f"give {name} a literal value (a default, --var {name}=… or BUNDLE_VAR_{name}), not a reference",
        )
    return value


@dataclass(frozen=True)
class NotDeployed:
    """A rule, destination or file left out of the bundle, where it is, and every problem with it."""

    file: str
    line: int | None
    what: str  # "rule COST-001", "destination team_slack" or "file"
    findings: tuple[Finding, ...]
    column: int | None = None

    @property
    def summary(self) -> str:
        """One line: the file (and line), the document, the first problem's field, message and fix."""
        first = self.findings[0]
        where = f"{self.file}:{self.line}" if self.line else self.file
        more = f" [and {len(self.findings) - 1} more problems, see the detail]" if len(self.findings) > 1 else ""
        if self.what == "file":
            return f"lakealerts: {where}: nothing in it is deployed: {first.message} (fix: {first.hint})"
        problem = f"{first.field}: {first.message} (fix: {first.hint})"
        return f"lakealerts: {self.what} ({where}) is not deployed: {problem}{more}"

    @property
    def detail(self) -> str:
        """Every problem: code, field, message and fix."""
        return "\n".join(f"{f.code} {f.field}: {f.message}\n  fix: {f.hint}" for f in self.findings)


@dataclass(frozen=True)
class LoadedAlert:
    """An alert for the bundle, its resource key, and the file and line of the rule it comes from."""

    key: str
    alert: Alert
    file: str
    line: int | None


@dataclass
class LoadedRules:
    """What the bundle's files give: alerts to deploy, what is left out and why, and the disabled rules."""

    alerts: list[LoadedAlert] = field(default_factory=list)
    not_deployed: list[NotDeployed] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)


def load_resources(bundle: Bundle) -> Resources:
    """The rule files of the bundle as alert resources, and one diagnostic per rule that is left out
    (the entry point a bundle's ``python: resources:`` names; run by the CLI in the bundle root)."""
    resources = Resources()  # type: ignore[no-untyped-call]  # the package's __init__ has no annotation
    try:
        settings = LoaderSettings.from_variables(bundle.variables)
    except LakeAlertsError as problem:
        resources.add_diagnostic_error(f"lakealerts: {problem.message}", detail=f"fix: {problem.hint}")
        return resources
    loaded = load_alerts(Path.cwd(), settings)
    for alert in loaded.alerts:
        resources.add_alert(alert.key, alert.alert, location=_location(alert.file, alert.line))
    for item in loaded.not_deployed:
        # A file that cannot be read is always an error: leaving it out would delete every alert it holds.
        severity = Severity.ERROR if item.what == "file" else settings.invalid_severity
        diagnostic = Diagnostic(
            severity=severity,
            summary=item.summary,
            detail=item.detail,
            location=_location(item.file, item.line, item.column),
        )
        resources.add_diagnostics(Diagnostics(items=(diagnostic,)))
    return resources


def _location(file: str, line: int | None, column: int | None = None) -> Location:
    return Location(file=file, line=line, column=(column or 1) if line else None)


def load_alerts(root: Path, settings: LoaderSettings) -> LoadedRules:
    """Read, check and map the rule and destination files under ``root`` (never raises for a bad document)."""
    loaded = LoadedRules()
    destinations_folder = read_folder(
        root, settings.destinations_dir, required=False, variable=DESTINATIONS_DIR, kind="destinations"
    )
    destinations = _destinations(destinations_folder, loaded)
    rules = _rules(read_folder(root, settings.rules_dir, required=True, variable=RULES_DIR), loaded)
    report = validate_rules([rule for _, rule in rules], destinations, settings.namespace)
    ids = {d.destination_id: reference(destination_variable(d.destination_id)) for d in destinations}
    context = MappingContext(settings.namespace, reference(WAREHOUSE), parent_path=None, destination_ids=ids)
    names = {d.destination_id: d.destination_name for d in destinations}
    keys: dict[str, str] = {}
    for (document, rule), result in zip(rules, report.results, strict=True):
        if not rule.is_enabled:
            loaded.disabled.append(rule.alert_id)
            continue
        findings = [_in_bundle_terms(f, settings) for f in result.findings] + _variable_findings(
            rule, names, settings.declared
        )
        # Text the CLI would interpolate at deploy; the SQL once rendered, unless it has problems already.
        sql_checked = not any(f.field == "alert_query_template" for f in findings)
        rendered = render(rule.alert_query_template, settings.namespace) if sql_checked else None
        findings += interpolation_findings(rule, rendered)
        key = resource_key(rule.alert_id)
        if key in keys:
            findings.append(_key_clash(rule.alert_id, key, keys[key]))
        keys.setdefault(key, rule.alert_id)
        _add(loaded, document, rule, key, context, findings)
    return loaded


def _add(
    loaded: LoadedRules,
    document: ShippedDocument,
    rule: AlertRule,
    key: str,
    context: MappingContext,
    findings: list[Finding],
) -> None:
    """The rule's alert, or the rule as not deployed with its findings."""
    if not findings:
        try:
            alert = bundle_alert(alert_fields(rule, context))
        except MappingError as problem:
            findings = [Finding("CHANNEL_UNKNOWN", "notification_channels", problem.message, problem.hint or "")]
        else:
            loaded.alerts.append(LoadedAlert(key, alert, document.file, document.line))
            return
    what = f"rule {rule.alert_id}"
    loaded.not_deployed.append(NotDeployed(document.file, _line_of(document, findings), what, tuple(findings)))


def _line_of(document: ShippedDocument, findings: list[Finding]) -> int | None:
    """The line of the first finding's field in the file when the file has it, else the document's."""
    key = findings[0].field.split(".")[0] if findings else ""
    return document.field_lines.get(key, document.line)


def _destinations(folder: ShippedFolder, loaded: LoadedRules) -> list[NotificationDestination]:
    """The valid destinations (the first of each variable name); the others are not deployed."""
    _unreadable(folder, loaded)
    valid: list[NotificationDestination] = []
    owners: dict[str, str] = {}
    for document in folder.documents:
        parsed = parse_destinations([document.content])
        findings = list(parsed.problems)
        for destination in parsed.valid:
            name = destination_variable(destination.destination_id)
            if name in owners:
                findings.append(_variable_clash(destination.destination_id, name, owners[name]))
            else:
                owners[name] = destination.destination_id
                valid.append(destination)
        if findings:
            label = _label(document.content, "destination_id", findings[0].rule_id)
            what = f"destination {label}"
            line = _line_of(document, findings)
            loaded.not_deployed.append(NotDeployed(document.file, line, what, tuple(findings)))
    return valid


def _rules(folder: ShippedFolder, loaded: LoadedRules) -> list[tuple[ShippedDocument, AlertRule]]:
    """The rules the model accepts, with their document; the others (and repeated ids) are not deployed."""
    _unreadable(folder, loaded)
    accepted: list[tuple[ShippedDocument, AlertRule]] = []
    first_seen: dict[str, ShippedDocument] = {}
    for document in folder.documents:
        parsed = parse_rules([document.content])
        findings = list(parsed.problems)
        for rule in parsed.valid:
            earlier = first_seen.setdefault(rule.alert_id, document)
            if earlier is document:
                accepted.append((document, rule))
            else:
                findings.append(_repeated_id(rule.alert_id, earlier))
        if findings:
            what = f"rule {_label(document.content, 'alert_id', findings[0].rule_id)}"
            line = _line_of(document, findings)
            loaded.not_deployed.append(NotDeployed(document.file, line, what, tuple(findings)))
    return accepted


def _unreadable(folder: ShippedFolder, loaded: LoadedRules) -> None:
    for problem in folder.unreadable:
        finding = Finding("FILE_UNREADABLE", "<file>", problem.message, problem.hint)
        loaded.not_deployed.append(NotDeployed(problem.file, problem.line, "file", (finding,), problem.column))


def _label(content: Any, key: str, rule_id: str | None = None) -> str:
    """The document's id as its file shows it (a date or a number as written, not its Python repr)."""
    value = content.get(key) if isinstance(content, dict) else None
    if value is None or isinstance(value, dict | list) or value == "":
        return rule_id or f"<no {key}>"
    return printable(str(value).lower() if isinstance(value, bool) else str(value), 200)


def _in_bundle_terms(finding: Finding, settings: LoaderSettings) -> Finding:
    """A validation finding whose fix names a command is told as the bundle's files need it."""
    if finding.code == "CHANNEL_UNKNOWN":
        hint = (
            f"add the destination to a file in {settings.destinations_dir}/ (the format of `lakealerts "
            "destinations import`), or use an e-mail address or a destination_id defined there"
        )
        return replace(finding, hint=hint)
    unknown = _UNKNOWN_VARIABLE.fullmatch(finding.message)
    if finding.code == "TEMPLATE_UNKNOWN_VARIABLE" and unknown and finding.hint.startswith("give it a value"):
        name = unknown.group(1)
        hint = (
            f"declare the bundle variable {VARIABLE_PREFIX}{name} in databricks.yml (variables: "
            f"{{{VARIABLE_PREFIX}{name}: {{default: VALUE}}}}; an identifier, a number or a quoted string), "
            "or write the name literally"
        )
        return replace(finding, hint=hint)
    return finding


_UNKNOWN_VARIABLE = re.compile(r"unknown template variable \$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _variable_findings(rule: AlertRule, names: Mapping[str, str], declared: frozenset[str]) -> list[Finding]:
    """A destination channel needs its lookup variable declared in the bundle: a loader cannot add one."""
    findings = []
    for channel in rule.notification_channels:
        variable = destination_variable(channel)
        if EMAIL.match(channel) or channel not in names or variable in declared:
            continue
        findings.append(
            Finding(
                "BUNDLE_VARIABLE_MISSING",
                "notification_channels",
                f"destination {channel!r} is notified through ${{var.{variable}}}, which databricks.yml "
                "does not declare",
                f"declare it in databricks.yml: variables: {{{variable}: {{lookup: {{notification_destination: "
                f"{names[channel]!r}}}}}}} (the destination's display name in the workspace)",
            )
        )
    return findings


def _key_clash(alert_id: str, key: str, owner: str) -> Finding:
    return Finding(
        "BUNDLE_KEY_DUPLICATE",
        "alert_id",
        f"rules {owner!r} and {alert_id!r} both become the bundle resource key {key!r}",
        "rename one of the rules (alert_id) so that they differ in letters, digits, '_' or '-'",
    )


def _variable_clash(destination_id: str, variable: str, owner: str) -> Finding:
    finding = Finding(
        "BUNDLE_VARIABLE_DUPLICATE",
        "destination_id",
        f"destinations {owner!r} and {destination_id!r} both become the bundle variable {variable!r}",
        "rename one of them (destination_id, and the rules' notification_channels) so that they differ in "
        "letters or digits",
        rule_id=destination_id,
    )
    return replace(finding, kind=DESTINATION)


def _repeated_id(alert_id: str, earlier: ShippedDocument) -> Finding:
    where = f"{earlier.file}:{earlier.line}" if earlier.line else earlier.file
    return Finding.rejected(alert_id, "alert_id", f"alert_id {alert_id!r} is already defined in {where}",
                            "give each rule its own alert_id, or remove one of the two")  # fmt: skip
