"""Static validation from cases as data (tests/fixtures/validation/*.yaml): one finding per bad case."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from lakealerts.documents import parse_destinations
from lakealerts.secrets import reference_problem
from lakealerts.sql.identifiers import Namespace
from lakealerts.sql.readonly import check_read_only
from lakealerts.sql.render import render, template_findings
from lakealerts.validate import validate_rules
from lakealerts.validate.static import StaticContext, check_rule, threshold_column_hint
from tests.builders import make_rule

pytestmark = pytest.mark.unit
CASES = Path(__file__).parent.parent / "fixtures" / "validation"
SQL_CASES = yaml.safe_load((CASES / "sql_cases.yaml").read_text())
RULE_CASES = yaml.safe_load((CASES / "rule_cases.yaml").read_text())
NAMESPACE = Namespace("monitoring", "gold")


DESTINATIONS = parse_destinations([
    {"destination_id": "email_ok", "destination_name": "E", "destination_type": "EMAIL", "owner": "o",
     "config_json": {"addresses": ["a@example.com"]}},
    {"destination_id": "slack_plain", "destination_name": "S", "destination_type": "SLACK", "owner": "o",
     "config_json": {"url": "https://hooks.slack.com/services/T000/B000/XXXX"}},
    {"destination_id": "slack_ref", "destination_name": "S2", "destination_type": "SLACK", "owner": "o",
     "config_json": {"url": "${env:SLACK_URL}"}},
    {"destination_id": "hook_plain", "destination_name": "H", "destination_type": "WEBHOOK", "owner": "o",
     "config_json": {"url": "https://hooks.example.com/T000/XXXX"}},
    {"destination_id": "hook_ref", "destination_name": "H2", "destination_type": "WEBHOOK", "owner": "o",
     "config_json": {"url": "${env:HOOK_URL}", "username": "{{secrets/alerting/hook_user}}",
                     "password": "${env:HOOK_PASSWORD}"}},
    {"destination_id": "off", "destination_name": "Off", "destination_type": "EMAIL", "owner": "o",
     "config_json": {"addresses": ["a@example.com"]}, "is_enabled": False},
]).valid  # fmt: skip


def findings_of(sql: str) -> list[str]:
    template = template_findings(sql)
    if template:
        return [f.code for f in template]
    return [f.code for f in check_read_only(render(sql, NAMESPACE))]


@pytest.mark.parametrize("sql", SQL_CASES["valid"])
def test_valid_sql(sql: str) -> None:
    assert findings_of(sql) == []


@pytest.mark.parametrize("case", SQL_CASES["invalid"], ids=lambda case: case["sql"][:40])
def test_invalid_sql_gets_exactly_its_finding(case: dict[str, str]) -> None:
    assert findings_of(case["sql"]) == [case["expect"]]


def test_parse_error_has_line_and_column() -> None:
    (finding,) = check_read_only("SELECT 1 AS x\nFROM t WHERE (a")
    assert finding.code == "SQL_PARSE_ERROR"
    assert finding.line == 2 and finding.col is not None


def test_unknown_template_variable_points_at_it() -> None:
    (finding,) = template_findings("SELECT 1 AS x\nFROM ${catalog}.${schema}.t")
    assert (finding.line, finding.col) == (2, 17)


def test_render_quotes_validated_identifiers() -> None:
    sql = render("SELECT 1 AS x FROM ${catalog}.${ gold_schema }.t", Namespace("main", "my-schema"))
    assert sql == "SELECT 1 AS x FROM `main`.`my-schema`.t"


@pytest.mark.parametrize("case", RULE_CASES, ids=lambda case: case["name"])
def test_rule_case(case: dict[str, Any]) -> None:
    rule = make_rule(**case["rule"])
    other = make_rule(alert_id="BASE-OTHER", alert_name="Other")
    report = validate_rules([rule], DESTINATIONS, NAMESPACE, all_rules=[rule, other])
    (result,) = report.results
    found = [(f.code, f.field) for f in result.findings]
    expected = [] if case["expect"] is None else [(case["expect"]["code"], case["expect"]["field"])]
    assert found == expected
    assert all(f.message and f.hint for f in result.findings)


def test_bad_rules_do_not_stop_the_others() -> None:
    rules = [
        make_rule(alert_id="A", alert_query_template="SELECT 1 AS x; DROP TABLE t"),
        make_rule(alert_id="B", alert_name="B"),
        make_rule(alert_id="C", alert_name="C", notification_channels=["nobody"]),
    ]
    report = validate_rules(rules, DESTINATIONS, NAMESPACE)
    assert [(r.alert_id, r.is_valid) for r in report.results] == [("A", False), ("B", True), ("C", False)]
    assert [len(r.findings) for r in report.results] == [1, 0, 1]


@pytest.mark.parametrize(
    ("cron", "zone", "now", "fires"),
    [
        ("0 0 8 1 1 ? 2020", "UTC", datetime(2026, 3, 10, tzinfo=UTC), False),  # a year in the past
        ("0 0 8 1 1 ? 2020", "UTC", datetime(2019, 6, 1, tzinfo=UTC), True),  # judged from the given now only
        ("0 0 8 1 1 ? 2020-2030", "Europe/Berlin", datetime(2026, 3, 10, tzinfo=UTC), True),
        ("0 0 0 30 2 ?", "UTC", None, False),  # 30 February: never, whatever the date
        ("0 0 0 L 2 ?", "UTC", None, True),
    ],
)
def test_schedule_that_never_fires_is_a_finding(cron: str, zone: str, now: datetime | None, fires: bool) -> None:
    rule = make_rule(schedule_cron=cron, schedule_timezone=zone)
    context = StaticContext.build(NAMESPACE, [rule], [], now=now)
    found = [f for f in check_rule(rule, context).findings if f.code == "SCHEDULE_NEVER_FIRES"]
    assert bool(found) is not fires
    if found:
        assert found[0].field == "schedule_cron" and cron in found[0].message and "year" in found[0].hint


def test_validate_rules_passes_now_through() -> None:
    rule = make_rule(schedule_cron="0 0 8 1 1 ? 2020")
    assert validate_rules([rule], [], NAMESPACE).all_valid  # without a now, 2020 is a year it fires in
    report = validate_rules([rule], [], NAMESPACE, now=datetime(2026, 1, 1, tzinfo=UTC))
    assert [f.code for f in report.results[0].findings] == ["SCHEDULE_NEVER_FIRES"]


def test_a_reference_inside_a_longer_value_never_becomes_a_destination() -> None:
    report = parse_destinations([
        {"destination_id": "slack_part", "destination_name": "S3", "destination_type": "SLACK", "owner": "o",
         "config_json": {"url": "https://hooks.slack.com/services/${env:SLACK_SECRET}"}},
    ])  # fmt: skip
    assert report.valid == []
    (problem,) = report.problems
    assert (problem.rule_id, problem.field) == ("slack_part", "config_json.url")
    assert "${env:SLACK_SECRET} inside a longer value" in problem.message
    assert "whole value" in problem.hint


def test_the_plain_secret_hint_suggests_a_reference_that_would_be_accepted() -> None:
    (plain,) = parse_destinations([
        {"destination_id": "lakealerts.ops-hook", "destination_name": "H", "destination_type": "WEBHOOK",
         "owner": "o", "config_json": {"url": "https://hooks.example.com/s3cr3t"}},
    ]).valid  # fmt: skip
    rule = make_rule(notification_channels=["lakealerts.ops-hook"])
    (finding,) = validate_rules([rule], [plain], NAMESPACE).results[0].findings
    assert finding.code == "DESTINATION_PLAIN_SECRET" and "s3cr3t" not in finding.message + finding.hint
    suggested = re.search(r"\$\{env:[^}]*\}", finding.hint)
    assert suggested and suggested.group() == "${env:ALERTS_LAKEALERTS_OPS_HOOK_URL}"
    assert reference_problem(suggested.group()) is None


@pytest.mark.parametrize(
    ("wanted", "columns", "hint"),
    [
        ("failed_run", ["failed_runs", "failed_jobs"], "did you mean 'failed_runs'? Set threshold_column to it"),
        ("Daily_Cost", ["usage_date", "daily_cost"], "did you mean 'daily_cost'?"),
        ("value", ["usage_date", "workspaces"], "alias the value in the SELECT list, e.g. `… AS value`, or set"),
    ],
)
def test_a_missing_threshold_column_hint_names_the_near_miss(wanted: str, columns: list[str], hint: str) -> None:
    assert threshold_column_hint(wanted, columns).startswith(hint)
