"""An alert unit test whose rule's message cannot be rendered fails, naming the template and the fix: the runtime
records such a message FAILED and never sends it, which no test expects — not even ``expect_notifications: []``."""

from __future__ import annotations

from typing import Any

import pytest

from lakealerts.alerttest import runner
from lakealerts.alerttest.runner import FileSetting, run_test
from lakealerts.alerttest.spec import AlertTest
from lakealerts.sql.identifiers import Namespace
from tests.builders import make_destinations, make_rule

pytestmark = pytest.mark.integration
AT = "2026-11-27T08:00:00Z"


def run(expect_notifications: list[dict[str, Any]] | None, **templates: Any) -> runner.TestResult:
    rule = make_rule(alert_id="HX-8", alert_query_template="SELECT 5 AS v", threshold_column="v",
                     notification_channels=["default_email", "ops@example.com"], **templates)  # fmt: skip
    destinations = make_destinations(
        {"destination_id": "default_email", "destination_type": "EMAIL", "config_json": {"addresses": ["a@x.io"]}}
    )
    setting = FileSetting("t.test.yaml", None, Namespace("monitoring", "gold"), "UTC", {rule.alert_id: rule},
                          destinations, {})  # fmt: skip
    evaluation: dict[str, Any] = {"at": AT, "expect": {"state": "TRIGGERED"}}
    if expect_notifications is not None:
        evaluation["expect_notifications"] = expect_notifications
    return run_test(AlertTest.model_validate({"name": "fires", "rule": "HX-8", "evaluations": [evaluation]}), setting)


@pytest.mark.parametrize("expect_notifications", [[], None])
def test_a_message_that_cannot_be_rendered_fails_the_test(expect_notifications: list[Any] | None) -> None:
    result = run(expect_notifications, use_custom_template=True, custom_subject_template="closing {{/x}} tag")
    assert result.status == "failed" and result.states == ["TRIGGERED"]
    failures = [f.to_dict() for f in result.failures]
    assert [(f["step"], f["field"], f["expected"]) for f in failures] == [
        (1, "message", "a rendered message on default_email"),
        (1, "message", "a rendered message on ops@example.com"),
    ]
    actual = failures[0]["actual"]
    assert actual.startswith("cannot render the message: custom_subject_template: {{/x}} closes a section")
    assert "(Mustache: Section end tag mismatch" in actual and "(fix: close every {{#name}}" in actual
    summary = result.failures[0].summary()
    assert summary.startswith("step 1 (at 2026-11-27T08:00:00+00:00): message: expected a rendered message on")


def test_a_rendered_message_still_passes() -> None:
    result = run([{"channel": "default_email"}, {"channel": "ops@example.com"}], use_custom_template=True,
                 custom_subject_template="{{#ALERT_NAME}}named {{/ALERT_NAME}}{{ALERT_NAME}}")  # fmt: skip
    assert (result.status, result.failures, result.error) == ("passed", [], None)
