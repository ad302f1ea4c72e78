"""A malformed Mustache template is caught before it silences a rule: `validate` reports TEMPLATE_PARSE_ERROR, and
`destinations test --rule` is a usage error naming the rule, the field and the fix — never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli

pytestmark = pytest.mark.e2e

RULE = """\
- alert_id: HX-8
  alert_name: bad template
  agent_domain: COST
  severity: INFO
  alert_query_template: SELECT 5 AS v
  threshold_column: v
  threshold_operator: ">"
  threshold_value_type: DOUBLE
  threshold_value_double: 1
  schedule_cron: 0 0 8 * * ?
  notification_channels: [team_mail]
  use_custom_template: true
  custom_subject_template: "closing {{/x}} tag"
  custom_body_template: "{{#ALERT_NAME}}x{{/B}}"
  owner: a@example.com
"""
DESTINATION = """\
- {destination_id: team_mail, destination_name: Team, destination_type: EMAIL,
   config_json: {addresses: [team@example.com]}, owner: ops@example.com}
"""


def test_validate_finds_it_and_destinations_test_names_it(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(RULE)
    (tmp_path / "destinations.yaml").write_text(DESTINATION)
    assert cli("destinations", "import", str(tmp_path / "destinations.yaml")).code == 0
    assert cli("rules", "import", str(tmp_path / "rules.yaml")).code == 0  # a value the model accepts: validate's
    validated = cli("validate", "--rule", "HX-8", "--json")
    assert validated.code == 1, validated.stderr
    (result,) = validated.json()
    found = [(e["code"], e["field"], e["line"], e["col"]) for e in result["errors"]]
    assert found == [("TEMPLATE_PARSE_ERROR", "custom_subject_template", 1, 9),
                     ("TEMPLATE_PARSE_ERROR", "custom_body_template", 1, 17)]  # fmt: skip
    assert "Section end tag mismatch" in result["errors"][0]["message"]

    tested = cli("destinations", "test", "team_mail", "--rule", "HX-8", "--json")
    assert tested.code == 2, tested.stderr
    error = tested.json()["error"]
    assert error["code"] == "USAGE"
    assert error["message"].startswith("rule HX-8: custom_subject_template: cannot render the message: {{/x}}")
    assert "{{/name}}" in error["hint"]
    plain = cli("destinations", "test", "team_mail", "--rule", "HX-8")
    assert plain.code == 2 and "Traceback" not in plain.stderr and "ParsingError" not in plain.stderr
    assert "rule HX-8: custom_subject_template" in plain.stderr
    assert cli("outbox", "list", "--json").json() == []  # nothing was sent, nothing recorded
