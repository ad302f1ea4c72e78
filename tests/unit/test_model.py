"""The rule model's value rules (DESIGN §3, §4, §7) through the document parser users hit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from lakealerts.documents import parse_destinations, parse_rules
from lakealerts.model import AlertRule, EmptyResultState, PauseStatus, Severity, run_as_identity

pytestmark = pytest.mark.unit
FIXTURES = Path(__file__).parent.parent / "fixtures" / "rules"


def rule(**overrides: Any) -> dict[str, Any]:
    """A valid rule document with ``overrides`` applied (a value of ``...`` removes the key)."""
    document: dict[str, Any] = {
        "alert_id": "R-1",
        "alert_name": "Cost",
        "agent_domain": "COST",
        "severity": "WARNING",
        "alert_query_template": "SELECT 1 AS x",
        "threshold_column": "x",
        "threshold_operator": ">",
        "threshold_value_type": "DOUBLE",
        "threshold_value_double": 1.0,
        "schedule_cron": "0 0 8 * * ?",
        "owner": "a@example.com",
    }
    document.update(overrides)
    return {k: v for k, v in document.items() if v is not ...}


def only_problem(document: dict[str, Any]) -> tuple[str, str, str]:
    report = parse_rules([document])
    assert report.valid == []
    assert len(report.problems) == 1, [str(p) for p in report.problems]
    problem = report.problems[0]
    assert problem.rule_id == document.get("alert_id")
    assert problem.hint
    return problem.field, problem.message, problem.hint or ""


def test_defaults_and_case_insensitive_enums() -> None:
    parsed = parse_rules([rule(severity="critical", empty_result_state="triggered", agent_domain="cost")])
    assert parsed.problems == []
    (alert,) = parsed.valid
    assert alert.severity is Severity.CRITICAL
    assert alert.empty_result_state is EmptyResultState.TRIGGERED
    assert alert.agent_domain == "COST"
    assert alert.pause_status is PauseStatus.UNPAUSED
    assert (alert.is_enabled, alert.notify_on_ok, alert.use_custom_template) == (True, False, False)
    assert alert.query_source == "CUSTOM"
    assert alert.notification_channels == []


@pytest.mark.parametrize(
    ("spelling", "stored", "sdk"),
    [
        (">", ">", "GREATER_THAN"),
        ("==", "==", "EQUAL"),
        ("<>", "<>", "NOT_EQUAL"),
        ("greater_than_or_equal", ">=", "GREATER_THAN_OR_EQUAL"),
        ("is_null", "IS_NULL", "IS_NULL"),
    ],
)
def test_operator_spellings(spelling: str, stored: str, sdk: str) -> None:
    extra: dict[str, Any] = {"threshold_value_double": ...} if sdk == "IS_NULL" else {}
    (alert,) = parse_rules([rule(threshold_operator=spelling, **extra)]).valid
    assert (alert.threshold_operator, alert.sdk_operator) == (stored, sdk)


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"threshhold_value": 3}, "threshhold_value", "unknown key"),
        ({"severity": "URGENT"}, "severity", "not a valid"),
        ({"threshold_operator": "~"}, "threshold_operator", "unknown operator"),
        ({"schedule_cron": "0 0 8 * * 1"}, "schedule_cron", ""),
        ({"schedule_timezone": "Mars/Olympus"}, "schedule_timezone", "Mars/Olympus"),
        ({"threshold_value_double": ...}, "threshold_value_double", "needs a value"),
        ({"threshold_value_string": "x"}, "threshold_value_string", "DOUBLE"),
        ({"threshold_operator": "IS_NULL"}, "threshold_value_double", "takes no threshold value"),
        (
            {
                "threshold_value_type": "BOOLEAN",
                "threshold_value_double": ...,
                "threshold_value_bool": True,
                "threshold_operator": ">",
            },
            "threshold_operator",
            "BOOLEAN",
        ),
        ({"alert_id": "bad id!"}, "alert_id", ""),
        ({"alert_id": "x" * 129}, "alert_id", ""),
        ({"agent_domain": "cost team"}, "agent_domain", ""),
        ({"aggregation_type": "P99"}, "aggregation_type", "not a valid"),
        ({"empty_result_state": "MAYBE"}, "empty_result_state", "not a valid"),
        ({"notification_channels": ["not an address!"]}, "notification_channels", "neither"),
        ({"retrigger_seconds": -5}, "retrigger_seconds", ""),
        ({"owner": ...}, "owner", "missing"),
    ],
)
def test_each_bad_value_is_one_problem_naming_rule_field_and_fix(
    overrides: dict[str, Any], field: str, fragment: str
) -> None:
    got_field, message, _hint = only_problem(rule(**overrides))
    assert got_field == field
    assert fragment in message


def test_cron_problem_explains_the_question_mark_rule() -> None:
    _field, _message, hint = only_problem(rule(schedule_cron="0 0 8 * * 1"))
    assert "?" in hint


def test_unknown_key_suggests_the_close_one() -> None:
    _field, _message, hint = only_problem(rule(threshold_colum="x"))
    assert "threshold_column" in hint


def test_aggregation_none_and_first() -> None:
    assert parse_rules([rule(aggregation_type="none")]).valid[0].aggregation_type is None
    assert parse_rules([rule(aggregation_type="first")]).valid[0].aggregation_type == "FIRST"
    assert parse_rules([rule(aggregation_type="count_distinct")]).valid[0].aggregation_type == "COUNT_DISTINCT"


def test_duplicate_id_in_one_batch_rejects_the_second() -> None:
    report = parse_rules([rule(), rule(alert_name="Other")])
    assert [r.alert_name for r in report.valid] == ["Cost"]
    assert report.problems[0].field == "alert_id"


def test_mixed_file_keeps_valid_rules_and_names_each_bad_one() -> None:
    documents = yaml.safe_load((FIXTURES / "mixed.yaml").read_text())
    expected = yaml.safe_load((FIXTURES / "expected_problems.yaml").read_text())
    report = parse_rules(documents)
    assert [r.alert_id for r in report.valid] == ["GOOD-1", "GOOD-2"]
    assert {p.rule_id: p.field for p in report.problems} == expected
    assert len(report.problems) == len(expected)


def test_typed_threshold_value() -> None:
    alert = AlertRule.model_validate(
        rule(
            threshold_value_type="STRING",
            threshold_value_double=None,
            threshold_value_string="FAILED",
            threshold_operator="=",
        )
    )
    assert alert.threshold_value == "FAILED"


@pytest.mark.parametrize(
    ("config", "ok"),
    [
        ({"addresses": ["a@example.com"]}, True),
        ({"addresses": "a@example.com"}, False),
        ({"url": "https://x"}, False),
        ({}, False),
    ],
)
def test_email_destination_config(config: dict[str, Any], ok: bool) -> None:
    report = parse_destinations(
        [
            {
                "destination_id": "d",
                "destination_name": "D",
                "destination_type": "email",
                "config_json": config,
                "owner": "o",
            }
        ]
    )
    assert (len(report.valid) == 1) is ok
    if not ok:
        assert report.problems[0].field == "config_json"


def test_destination_config_as_json_text_and_webhook_keys() -> None:
    report = parse_destinations(
        [
            {
                "destination_id": "hook",
                "destination_name": "Hook",
                "destination_type": "WEBHOOK",
                "config_json": '{"url": "https://h", "username": "u", "password": "${env:HOOK_PW}"}',
                "owner": "o",
            },
            {
                "destination_id": "pd",
                "destination_name": "PD",
                "destination_type": "PAGERDUTY",
                "config_json": {"integration_key": "${env:PD}", "url": "x"},
                "owner": "o",
            },
        ]
    )
    assert [d.destination_id for d in report.valid] == ["hook"]
    assert report.valid[0].config_json["password"] == "${env:HOOK_PW}"
    assert report.problems[0].rule_id == "pd" and "url" in report.problems[0].message


def test_json_output_is_strict_even_for_nan() -> None:
    import json

    from lakealerts.app.files import dump_json

    text = dump_json([{"value": float("nan"), "other": [float("inf"), 1.5]}])
    assert json.loads(text) == [{"value": None, "other": [None, 1.5]}]


# --- run_as: who the deployed alert runs as ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored", "identity"),
    [
        (None, None, None),
        ("", None, None),
        ("ops@example.com", "ops@example.com", ("user_name", "ops@example.com")),
        (" 6F1C0A52-0D3E-4C8E-9A57-3B1F2F9C4D10 ", "6f1c0a52-0d3e-4c8e-9a57-3b1f2f9c4d10",
         ("service_principal_name", "6f1c0a52-0d3e-4c8e-9a57-3b1f2f9c4d10")),
    ],
)  # fmt: skip
def test_run_as_is_a_user_email_or_a_service_principal_application_id(
    given: str | None, stored: str | None, identity: tuple[str, str] | None
) -> None:
    parsed = parse_rules([rule(run_as=given)])
    assert parsed.problems == []
    (alert,) = parsed.valid
    assert alert.run_as == stored
    assert (run_as_identity(alert.run_as) if alert.run_as else None) == identity


def test_run_as_is_optional_and_absent_by_default() -> None:
    (alert,) = parse_rules([rule()]).valid
    assert alert.run_as is None


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("Alerting Service Principal", "neither a user's e-mail address nor a service principal's application id"),
        ("6f1c0a52-0d3e-4c8e-9a57", "neither a user's e-mail address"),
        ("ops@example.com\nBcc: x@example.com", "line feed"),
    ],
)
def test_run_as_of_another_shape_is_rejected_naming_rule_field_and_fix(value: str, fragment: str) -> None:
    field, message, hint = only_problem(rule(run_as=value))
    assert field == "run_as"
    assert fragment in message
    assert hint


def test_run_as_hint_says_what_to_give() -> None:
    _field, _message, hint = only_problem(rule(run_as="alerting-sp"))
    assert "e-mail" in hint and "application id" in hint
