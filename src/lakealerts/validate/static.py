"""Static checks: everything that can be judged from the rule, its SQL text and the destinations — no engine.

Each check returns findings; none raises for a bad rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pystache
from pystache.parser import ParsingError
from sqlglot import exp

from lakealerts import quartz
from lakealerts.documents import closest
from lakealerts.errors import QuartzError
from lakealerts.findings import Finding
from lakealerts.model import EMAIL, SECRET_FIELDS, Aggregation, AlertRule, NotificationDestination, ValueType
from lakealerts.secrets import is_reference
from lakealerts.sql.identifiers import Namespace
from lakealerts.sql.readonly import parse_query
from lakealerts.sql.render import position, render, template_findings

_MUSTACHE = re.compile(r"\{\{\{?\s*([#^/&!>]?)\s*([^}\s]+)\s*\}?\}\}")
_OPENING_TAG = re.compile(r"\{\{\s*([#^])\s*(.+?)\s*\}\}")
_EXPECTED_CLOSING = re.compile(r"expected \{\{/(.+?)\}\}$")  # pystache's "… Found {{/b}}, expected {{/a}}"
TEMPLATE_FIELDS = ("custom_subject_template", "custom_body_template")
TEMPLATE_SYNTAX_HINT = (
    "close every {{#name}} and {{^name}} with its own {{/name}}, innermost first, and remove any stray {{/name}}; "
    "Mustache has no escape: to write {{ literally, change the delimiters first, e.g. {{=<% %>=}} … <%ALERT_NAME%>"
)
# Databricks' alert template variables (kept byte for byte) and ours (replaced before upload and locally).
DATABRICKS_TEMPLATE_VARIABLES = frozenset({
    "ALERT_NAME", "ALERT_STATUS", "ALERT_CONDITION", "ALERT_THRESHOLD", "ALERT_URL", "ALERT_COLUMN",
    "QUERY_NAME", "QUERY_URL", "QUERY_RESULT_VALUE", "QUERY_RESULT_ROWS", "QUERY_RESULT_COLS",
    "QUERY_RESULT_TABLE",
})  # fmt: skip
LAKEALERTS_TEMPLATE_VARIABLES = frozenset({"ALERT_ID", "SEVERITY", "OWNER", "DOMAIN", "DESCRIPTION"})
_SECTIONS_WITH_ROW_SCOPE = frozenset({"QUERY_RESULT_ROWS", "QUERY_RESULT_COLS"})
_NUMERIC_ONLY = frozenset({Aggregation.SUM, Aggregation.AVG, Aggregation.MEDIAN, Aggregation.STDDEV})
_COUNTING = frozenset({Aggregation.COUNT, Aggregation.COUNT_DISTINCT})
_BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)  # without a "now", a schedule must fire at least once from here on


@dataclass(frozen=True)
class StaticContext:
    """What static checks compare a rule with: the namespace, destinations, display-name owners, and the instant
    schedules are judged from (``now``: given by the caller, never read here, so validation is deterministic)."""

    namespace: Namespace
    destinations: Mapping[str, NotificationDestination] = field(default_factory=dict)
    display_name_owner: Mapping[str, str] = field(default_factory=dict)  # display name -> first alert_id
    now: datetime | None = None

    @classmethod
    def build(
        cls,
        namespace: Namespace,
        rules: Sequence[AlertRule],
        destinations: Sequence[NotificationDestination],
        now: datetime | None = None,
    ) -> StaticContext:
        """Display names are owned by the enabled rule with the smallest alert_id."""
        owners: dict[str, str] = {}
        for rule in sorted(rules, key=lambda r: r.alert_id):
            if rule.is_enabled:
                owners.setdefault(display_name(rule), rule.alert_id)
        return cls(namespace, {d.destination_id: d for d in destinations}, owners, now)


def display_name(rule: AlertRule) -> str:
    """The alert's name on Databricks: ``[<SEVERITY>] <alert_name>``."""
    return f"[{rule.severity.value}] {rule.alert_name}"


@dataclass(frozen=True)
class StaticResult:
    """Static findings of one rule, and the parsed, rendered query when it parsed (for the engine checks)."""

    findings: list[Finding]
    rendered_sql: str | None
    query: exp.Query | None


def check_rule(rule: AlertRule, context: StaticContext) -> StaticResult:
    """All static checks of one rule, in the order a user would fix them."""
    findings = template_findings(rule.alert_query_template, namespace=context.namespace)
    rendered = render(rule.alert_query_template, context.namespace) if not findings else None
    query = None
    if rendered is not None:
        query, sql_findings = parse_query(rendered)
        findings += sql_findings
        if query is not None:
            findings += _threshold_column_findings(rule, query)
    for check in _RULE_CHECKS:
        findings += check(rule, context)
    return StaticResult(findings, rendered if query is not None else None, query)


def output_columns(query: exp.Query) -> list[str] | None:
    """Named output columns, or None when a ``*`` makes them unknowable without an engine."""
    names = query.named_selects
    return None if "*" in names else [name for name in names if name]


def _threshold_column_findings(rule: AlertRule, query: exp.Query) -> list[Finding]:
    columns = output_columns(query)
    if columns is None or rule.threshold_column.lower() in (c.lower() for c in columns):
        return []
    shown = ", ".join(columns) or "no named columns"
    return [
        Finding(
            "THRESHOLD_COLUMN_NOT_IN_OUTPUT",
            "threshold_column",
            f"threshold column {rule.threshold_column!r} is not an output column of the query ({shown})",
            threshold_column_hint(rule.threshold_column, columns),
        )
    ]


def threshold_column_hint(wanted: str, columns: Sequence[str]) -> str:
    """The fix for a threshold column the query does not output: the near-miss it probably meant, if any."""
    alias = f"alias the value in the SELECT list, e.g. `… AS {wanted}`"
    by_lower = {column.lower(): column for column in columns}  # column names are case-insensitive
    close = closest(wanted.lower(), by_lower)
    if close:
        return f"did you mean {by_lower[close[0]]!r}? Set threshold_column to it, or {alias}"
    return f"{alias}, or set threshold_column"


def _aggregation_findings(rule: AlertRule, context: StaticContext) -> list[Finding]:
    aggregation, kind = rule.aggregation_type, rule.threshold_value_type
    if rule.threshold_operator in ("IS_NULL", "IS_NOT_NULL") or aggregation is None:
        return []
    if aggregation in _NUMERIC_ONLY and kind is not ValueType.DOUBLE:
        message = f"{aggregation.value} gives a number but the threshold is {kind.value}"
    elif aggregation in _COUNTING and kind is not ValueType.DOUBLE:
        message = f"{aggregation.value} counts values, so the threshold must be DOUBLE, not {kind.value}"
    else:
        return []
    return [
        Finding(
            "AGGREGATION_TYPE_MISMATCH",
            "aggregation_type",
            message,
            "use a DOUBLE threshold with numeric aggregations, or MIN/MAX/FIRST for STRING and BOOLEAN",
        )
    ]


def template_syntax_findings(rule: AlertRule) -> list[Finding]:
    """``TEMPLATE_PARSE_ERROR`` for each custom template Mustache cannot parse (a stray ``{{/x}}``, ``{{#a}}`` closed
    by ``{{/b}}`` or never closed): such a message is never rendered, on any channel."""
    findings = []
    for field_name in TEMPLATE_FIELDS:
        text = getattr(rule, field_name)
        problem = template_syntax_problem(text) if text else None
        if problem is not None:
            message, hint, offset = problem
            line, col = position(text, offset)
            findings.append(Finding("TEMPLATE_PARSE_ERROR", field_name, message, hint, line, col))
    return findings


def render_blocker(rule: AlertRule) -> Finding | None:
    """The ``TEMPLATE_PARSE_ERROR`` of the first custom template that stops the message from being rendered at all
    (the renderer tolerates an unclosed section, validation does not), or None."""
    if not rule.use_custom_template:
        return None
    for finding in template_syntax_findings(rule):
        try:
            pystache.parse(getattr(rule, finding.field))
        except Exception:
            return finding
    return None


def template_syntax_problem(text: str) -> tuple[str, str, int] | None:
    """Why Mustache (pystache, what renders every message) cannot parse ``text``: the message, the fix and the
    offset of the tag at fault; None when it parses. An unclosed section counts too (rendering would silently
    drop it, and other Mustache engines refuse it)."""
    try:
        pystache.parse(text, raise_on_mismatch=True)
    except ParsingError as error:
        end = error.info.position if error.info is not None else 0
        start = max(text.rfind("{{", 0, end), 0)
        opening = _OPENING_TAG.match(text, start)
        if str(error).startswith("Did not find a matching tag") and opening is not None:
            sigil, name = opening.groups()  # (pystache's own text may name the wrong section when they nest)
            return f"{{{{{sigil}{name}}}}} is never closed by {{{{/{name}}}}}", TEMPLATE_SYNTAX_HINT, start
        found = f"{{{{/{error.info.tag_key}}}}}" if error.info is not None else "a closing tag"
        expected = _EXPECTED_CLOSING.search(str(error))
        if expected is None:
            what = f"{found} closes a section that was never opened"
        else:
            what = f"{found} comes where {{{{/{expected.group(1)}}}}} must close the innermost section first"
        return f"{what} (Mustache: {error})", TEMPLATE_SYNTAX_HINT, start
    except Exception as error:  # e.g. IndexError for a delimiter change without two delimiters ("{{=x=}}")
        hint = "a delimiter change names two delimiters, e.g. {{=<% %>=}}; or remove the tag"
        return (
            f"the template does not parse (Mustache: {type(error).__name__}: {error})",
            hint,
            max(text.find("{{="), 0),
        )
    return None


def _template_variable_findings(rule: AlertRule, context: StaticContext) -> list[Finding]:
    findings = template_syntax_findings(rule)
    for field_name in TEMPLATE_FIELDS:
        text = getattr(rule, field_name)
        if not text:
            continue
        findings += _mustache_findings(text, field_name)
    if rule.use_custom_template and not (rule.custom_subject_template or rule.custom_body_template):
        findings.append(
            Finding(
                "TEMPLATE_MISSING",
                "use_custom_template",
                "use_custom_template is true but both templates are empty",
                "write custom_subject_template and/or custom_body_template, or set use_custom_template: false",
            )
        )
    return findings


def _mustache_findings(text: str, field_name: str) -> list[Finding]:
    known = DATABRICKS_TEMPLATE_VARIABLES | LAKEALERTS_TEMPLATE_VARIABLES
    findings: list[Finding] = []
    open_sections: list[str] = []
    for match in _MUSTACHE.finditer(text):
        sigil, name = match.groups()
        if sigil == "!":
            continue
        if sigil == "/":
            open_sections = open_sections[:-1]
            continue
        in_row_scope = any(section in _SECTIONS_WITH_ROW_SCOPE for section in open_sections)
        if sigil in ("#", "^"):
            open_sections.append(name)
        if name not in known and not in_row_scope:
            line, col = position(text, match.start())
            findings.append(
                Finding(
                    "TEMPLATE_UNKNOWN_VARIABLE",
                    field_name,
                    f"unknown template variable {{{{{name}}}}}",
                    "use Databricks' variables (ALERT_NAME, ALERT_STATUS, QUERY_RESULT_VALUE, …) or ALERT_ID, "
                    "SEVERITY, OWNER, DOMAIN, DESCRIPTION",
                    line,
                    col,
                )
            )
    return findings


def _channel_findings(rule: AlertRule, context: StaticContext) -> list[Finding]:
    findings = []
    for channel in rule.notification_channels:
        if EMAIL.match(channel):
            continue
        destination = context.destinations.get(channel)
        if destination is None:
            findings.append(
                Finding(
                    "CHANNEL_UNKNOWN",
                    "notification_channels",
                    f"channel {channel!r} is neither an e-mail address nor a known destination_id",
                    "import the destination first (lakealerts destinations import) or fix the name",
                )
            )
        elif not destination.is_enabled:
            findings.append(
                Finding(
                    "CHANNEL_DISABLED",
                    "notification_channels",
                    f"destination {channel!r} is disabled",
                    "enable the destination or remove it from notification_channels",
                )
            )
        else:
            findings += [
                Finding("DESTINATION_PLAIN_SECRET", "notification_channels",
                        f"destination {destination.destination_id!r} holds a plain secret in config_json.{key}", hint)
                for key, hint in plain_secrets(destination)
            ]  # fmt: skip
    return findings


def plain_secrets(destination: NotificationDestination) -> list[tuple[str, str]]:
    """The secret fields of ``destination``'s config written as plain values, each with the fix (a reference)."""
    return [
        (
            key,
            f"store a reference as the whole value instead, e.g. ${{env:{_env_name(destination.destination_id, key)}}}"
            " or {{secrets/<scope>/<key>}}",
        )
        for key in SECRET_FIELDS[destination.destination_type]
        if destination.config_json.get(key) and not is_reference(destination.config_json[key])
    ]


def _env_name(destination_id: str, key: str) -> str:
    """A variable name to suggest: valid (ids may hold '.' and '-') and never one of lakealerts' own prefixes."""
    return re.sub(r"[^A-Z0-9_]", "_", f"ALERTS_{destination_id}_{key}".upper())


def _schedule_findings(rule: AlertRule, context: StaticContext) -> list[Finding]:
    try:
        schedule = quartz.parse(rule.schedule_cron)
        quartz.validate_timezone(rule.schedule_timezone)
    except QuartzError as exc:
        field_name = "schedule_timezone" if exc.field == "schedule_timezone" else "schedule_cron"
        code = "TIMEZONE_INVALID" if field_name == "schedule_timezone" else "CRON_INVALID"
        return [Finding(code, field_name, exc.message, exc.hint or "fix the schedule")]
    since = context.now or _BEGINNING
    since = (since if since.tzinfo else since.replace(tzinfo=UTC)).astimezone(UTC)
    if schedule.next_fire_time(since, rule.schedule_timezone) is not None:
        return []
    when = f"after {since:%Y-%m-%d %H:%M} UTC" if context.now else "on any day from 1970 to 2099"
    return [
        Finding(
            "SCHEDULE_NEVER_FIRES",
            "schedule_cron",
            f"schedule {rule.schedule_cron!r} never fires {when}",
            "drop the year field (the 7th) or give a year still to come, and check that the day exists "
            "(e.g. no 30 February)",
        )
    ]


def _display_name_findings(rule: AlertRule, context: StaticContext) -> list[Finding]:
    name = display_name(rule)
    owner = context.display_name_owner.get(name)
    if not rule.is_enabled or owner in (None, rule.alert_id):
        return []
    return [
        Finding(
            "DISPLAY_NAME_DUPLICATE",
            "alert_name",
            f"display name {name!r} is already used by rule {owner}",
            "give each enabled rule of the same severity its own alert_name",
        )
    ]


_RULE_CHECKS: tuple[Callable[[AlertRule, StaticContext], list[Finding]], ...] = (
    _aggregation_findings,
    _template_variable_findings,
    _channel_findings,
    _schedule_findings,
    _display_name_findings,
)
