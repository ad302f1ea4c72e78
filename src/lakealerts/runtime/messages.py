"""What a notification says: Mustache subject and body with Databricks' variables and ours (DESIGN §4).

Custom templates are used when ``use_custom_template``; otherwise a plain default. The template's own text is
kept as written (a Slack template may say ``<!here>``); the values of ``{{VARIABLE}}`` — a query result, which
whoever writes the data controls — are written in the channel's :class:`Markup` (Slack: ``<``, ``>`` and ``&``
as entities, so a value never pings a channel nor dresses up a link; plain text for e-mail, webhooks and
PagerDuty), and ``QUERY_RESULT_TABLE`` is built in it with every cell quoted. ``{{{VARIABLE}}}`` inserts a value
unquoted, as Mustache defines it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

import pystache

from lakealerts.model import AlertRule

Quote = Callable[[str], str]  # a value as the channel's markup shows it literally
Table = Callable[[Sequence[str], Sequence[Sequence[Any]]], str]  # QUERY_RESULT_TABLE in the channel's markup


@dataclass(frozen=True)
class Markup:
    """How a channel writes a message's values: ``quote`` one value so that it shows as itself, ``table`` the
    query result (``QUERY_RESULT_TABLE``) with every cell quoted. None on a kind means plain text."""

    quote: Quote
    table: Table


class Written(str):
    """Text already in the channel's markup (the result table): the renderer never quotes it again."""


_RENDERERS: dict[Markup | None, pystache.Renderer] = {}


def _renderer(markup: Markup | None) -> pystache.Renderer:
    """One renderer per markup (pystache calls ``escape`` on every ``{{value}}``, never on ``{{{value}}}``, and
    passes a ``str`` subclass through to it as it is)."""
    if markup not in _RENDERERS:

        def escape(text: str) -> str:
            return text if markup is None or isinstance(text, Written) else markup.quote(text)

        _RENDERERS[markup] = pystache.Renderer(escape=escape, missing_tags="ignore")
    return _RENDERERS[markup]


DEFAULT_SUBJECT = "[{{SEVERITY}}] {{ALERT_NAME}} is {{ALERT_STATUS}}"
DEFAULT_BODY = (
    "Alert {{ALERT_ID}} ({{DOMAIN}}) is {{ALERT_STATUS}}.\n"
    "Condition: {{ALERT_CONDITION}} {{ALERT_THRESHOLD}}\n"
    "Value: {{QUERY_RESULT_VALUE}}\n"
    "Owner: {{OWNER}}\n"
    "{{DESCRIPTION}}\n"
)


@dataclass(frozen=True)
class Message:
    """One rendered notification of one evaluation."""

    alert_id: str
    alert_name: str
    state: str
    previous_state: str
    value: Any
    condition: str
    threshold: Any
    evaluated_at: datetime
    subject: str
    body: str
    severity: str
    message_id: str = ""  # DESIGN §10.1: stable across retries; receivers de-duplicate on it

    def to_dict(self) -> dict[str, Any]:
        """The message as JSON-ready data (how the outbox keeps it until it is sent)."""
        return {**{f: getattr(self, f) for f in _FIELDS}, "evaluated_at": self.evaluated_at.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Message:
        """The inverse of :meth:`to_dict`."""
        text = {f: str(data.get(f) or "") for f in _TEXT_FIELDS}
        return cls(
            **text,
            value=data.get("value"),
            threshold=data.get("threshold"),
            evaluated_at=datetime.fromisoformat(str(data["evaluated_at"])),
        )


_TEXT_FIELDS = ("alert_id", "alert_name", "state", "previous_state", "condition", "subject", "body", "severity",
                "message_id")  # fmt: skip
_FIELDS = (*_TEXT_FIELDS, "value", "threshold", "evaluated_at")


def condition_text(rule: AlertRule) -> str:
    """``AGG(column) OP`` as Databricks shows ALERT_CONDITION."""
    column = rule.threshold_column
    aggregation = rule.aggregation_type
    operand = column if aggregation is None or aggregation.value == "FIRST" else f"{aggregation.value}({column})"
    return f"{operand} {rule.threshold_operator}"


def condition_with_threshold(rule: AlertRule) -> str:
    """The condition in the user's words, threshold included (``failed_runs_1h > 5.0``): the ``condition`` of the
    webhook and PagerDuty payloads. It reads as the default body's ``Condition:`` line (ALERT_CONDITION, which
    keeps Databricks' meaning, then ALERT_THRESHOLD); an operator without an operand (IS_NULL) stands alone."""
    condition = condition_text(rule)
    return condition if rule.threshold_value is None else f"{condition} {rule.threshold_value}"


def variables(
    rule: AlertRule,
    state: str,
    value: Any,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    markup: Markup | None = None,
) -> dict[str, Any]:
    """The template variables, filled locally with the meaning Databricks gives them (the result table in the
    channel's ``markup``; an HTML table for plain-text channels, as Databricks sends it)."""
    shown_rows = [dict(zip(columns, row, strict=False)) for row in rows[:100]]
    return {
        "ALERT_NAME": rule.alert_name,
        "ALERT_STATUS": state,
        "ALERT_CONDITION": condition_text(rule),
        "ALERT_THRESHOLD": "" if rule.threshold_value is None else rule.threshold_value,
        "ALERT_URL": "",
        "ALERT_COLUMN": rule.threshold_column,
        "QUERY_NAME": rule.alert_name,
        "QUERY_URL": "",
        "QUERY_RESULT_VALUE": "" if value is None else value,
        "QUERY_RESULT_ROWS": shown_rows,
        "QUERY_RESULT_COLS": list(columns),
        "QUERY_RESULT_TABLE": Written((markup.table if markup else html_table)(columns, rows[:100])),
        "ALERT_ID": rule.alert_id,
        "SEVERITY": rule.severity.value,
        "OWNER": rule.owner,
        "DOMAIN": rule.agent_domain,
        "DESCRIPTION": rule.alert_description or "",
    }


def render_message(
    rule: AlertRule,
    state: str,
    previous_state: str,
    value: Any,
    evaluated_at: datetime,
    columns: Sequence[str] = (),
    rows: Sequence[Sequence[Any]] = (),
    markup: Markup | None = None,
) -> Message:
    """Subject and body for this evaluation: the rule's templates, or the defaults; ``markup`` writes each
    variable's value in the channel's markup (None: plain text)."""
    context = variables(rule, state, value, columns, rows, markup)
    renderer = _renderer(markup)
    custom = rule.use_custom_template
    subject = (rule.custom_subject_template if custom else None) or DEFAULT_SUBJECT
    body = (rule.custom_body_template if custom else None) or DEFAULT_BODY
    return Message(
        alert_id=rule.alert_id,
        alert_name=rule.alert_name,
        state=state,
        previous_state=previous_state,
        value=value,
        condition=condition_with_threshold(rule),
        threshold=rule.threshold_value,
        evaluated_at=evaluated_at,
        subject=renderer.render(subject, context).strip(),
        body=renderer.render(body, context),
        severity=rule.severity.value,
    )


def html_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], cell: Quote = escape) -> str:
    """The result as an HTML table, each header and cell written by ``cell`` (HTML-escaped by default)."""
    head = "".join(f"<th>{cell(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"
