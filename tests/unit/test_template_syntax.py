"""Custom subject and body templates that Mustache cannot parse are a TEMPLATE_PARSE_ERROR finding of validate
(and of the Alert Center's edit check), naming the field, the parser's message and the fix: such a rule's messages
are never rendered, on any channel, so it must never pass validation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lakealerts.runtime.messages import render_message
from lakealerts.sql.identifiers import Namespace
from lakealerts.validate import validate_rules
from lakealerts.validate.static import render_blocker, template_syntax_findings
from tests.builders import make_rule

pytestmark = pytest.mark.unit
NAMESPACE = Namespace("monitoring", "gold")
NOW = datetime(2026, 11, 27, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("field", "template", "says", "line_col"),
    [
        ("custom_subject_template", "closing {{/x}} tag", "{{/x}} closes a section that was never opened", (1, 9)),
        ("custom_body_template", "{{#ALERT_NAME}}x{{/B}}", "{{/B}} comes where {{/ALERT_NAME}} must close", (1, 17)),
        ("custom_body_template", "Rows:\n{{#QUERY_RESULT_ROWS}}\n{{a}}\n{{/b}}\n", "{{/b}} comes where", (4, 1)),
        ("custom_subject_template", "{{#ALERT_NAME}} never closed", "{{#ALERT_NAME}} is never closed", (1, 1)),
        ("custom_body_template", "x {{#ALERT_ID}}{{#OWNER}}y{{/OWNER}}", "{{#ALERT_ID}} is never closed", (1, 3)),
        ("custom_body_template", "x {{^ALERT_ID}}", "{{^ALERT_ID}} is never closed", (1, 3)),
        ("custom_subject_template", "a {{=x=}} b", "does not parse (Mustache: IndexError", (1, 3)),
    ],
)
def test_a_template_that_does_not_parse_is_a_finding(
    field: str, template: str, says: str, line_col: tuple[int, int]
) -> None:
    rule = make_rule(use_custom_template=True, **{field: template})
    report = validate_rules([rule], [], NAMESPACE)
    (result,) = report.results
    assert not result.is_valid
    (finding,) = [f for f in result.findings if f.code == "TEMPLATE_PARSE_ERROR"]
    assert finding.field == field and says in finding.message
    assert (finding.line, finding.col) == line_col
    assert finding.hint


def test_the_parser_s_message_and_the_fix_are_given() -> None:
    (finding,) = template_syntax_findings(make_rule(use_custom_template=True, custom_subject_template="a {{/x}} b"))
    assert "(Mustache: Section end tag mismatch" in finding.message
    assert "{{/name}}" in finding.hint and "{{=<% %>=}}" in finding.hint  # how to close, and how to print braces


@pytest.mark.parametrize(
    "template",
    [
        "{{#QUERY_RESULT_ROWS}}{{workspace_id}}: {{value}}{{/QUERY_RESULT_ROWS}} {{SEVERITY}}",
        "{{#ALERT_NAME}}{{^OWNER}}nobody{{/OWNER}}{{/ALERT_NAME}}",
        "{{! a comment }}{{{QUERY_RESULT_TABLE}}} {{&ALERT_NAME}}",
        "{{=<% %>=}}literal {{/x}} and {{#y}} for <%ALERT_NAME%>",  # what the hint suggests for braces
        "{ALERT_NAME} }} {{",
    ],
)
def test_templates_that_parse_have_no_such_finding(template: str) -> None:
    rule = make_rule(use_custom_template=True, custom_subject_template=template, custom_body_template=template)
    assert template_syntax_findings(rule) == []
    assert render_blocker(rule) is None


def test_the_render_blocker_is_the_template_the_renderer_refuses() -> None:
    unclosed_subject = make_rule(use_custom_template=True, custom_subject_template="{{#ALERT_NAME}} x",
                                 custom_body_template="{{#a}}{{/b}}")  # fmt: skip
    blocker = render_blocker(unclosed_subject)
    assert blocker is not None and blocker.field == "custom_body_template"  # the renderer drops an open section
    with pytest.raises(Exception, match="Section end tag mismatch"):
        render_message(unclosed_subject, "TRIGGERED", "OK", 1, NOW)
    switched_off = make_rule(custom_body_template="{{#a}}{{/b}}")  # not used: the defaults are rendered
    assert render_blocker(switched_off) is None
