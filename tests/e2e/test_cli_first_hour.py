"""Issue 21, "the first hour without a stumble": errors and JSON a script can rely on, tables for people,
destinations as first-class as rules, a test message on demand, messages in the user's words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import Cli

pytestmark = pytest.mark.e2e


def _error_document(result_stdout: str) -> dict[str, object]:
    import json

    document = json.loads(result_stdout)  # exactly one document: json.loads fails on anything else
    assert set(document) == {"error"}
    error = document["error"]
    assert set(error) == {"code", "message", "hint"}
    assert error["message"] and error["hint"]
    return dict(error)


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("rules", "show", "--json"), "USAGE", "Missing argument"),  # typer's own usage error
        (("eval", "--at", "yesterday", "--json"), "USAGE", "ISO 8601"),
        (("rules", "show", "NOPE", "--json"), "NOT_FOUND", "NOPE"),
        (("--catalog", "a b", "rules", "list", "--json"), "INVALID_NAME", "catalog"),
        (("validate", "--json"), "SETUP", "no lakealerts tables"),
    ],
)
def test_json_errors_are_one_document_on_stdout(cli: Cli, args: tuple[str, ...], code: str, says: str) -> None:
    if code == "NOT_FOUND":
        assert cli("init").code == 0
    result = cli(*args)
    assert result.code == 2, result.stderr
    error = _error_document(result.stdout)
    assert error["code"] == code
    assert says in str(error["message"])
    assert "Traceback" not in result.stderr


def test_json_error_for_the_environment(tmp_path: Path) -> None:
    result = Cli(tmp_path / "file" / "home")("init", "--json") if (tmp_path / "file").write_text("x") else None
    assert result is not None and result.code == 2
    assert _error_document(result.stdout)["code"] == "FILE"


def test_flags_read_as_flags_in_help(cli: Cli) -> None:
    result = cli("eval", "--help", env={"COLUMNS": "120"})
    assert result.code == 0
    assert "--json" in result.stdout and "--notify" in result.stdout
    assert "<bool>" not in result.stdout


RAW = 18093.177792999995
ROUND_RULE = f"""
alert_id: ROUND-1
alert_name: A long fraction
agent_domain: COST
severity: INFO
alert_query_template: "SELECT CAST({RAW} AS DOUBLE) AS cost"
threshold_column: cost
threshold_operator: ">"
threshold_value_type: DOUBLE
threshold_value_double: 5
schedule_cron: "0 0 8 * * ?"
owner: finops@example.com
"""
COLUMN_RULE = """
alert_id: COLS-1
alert_name: A column that is not there
agent_domain: QUALITY
severity: INFO
alert_query_template: "SELECT no_such_column AS n FROM (SELECT 1 AS one) AS t"
threshold_column: n
threshold_operator: ">"
threshold_value_type: DOUBLE
threshold_value_double: 0
schedule_cron: "0 0 8 * * ?"
owner: q@example.com
"""


def test_values_keep_their_types_and_tables_round_for_reading(cli: Cli, tmp_path: Path) -> None:
    rules = tmp_path / "round.yaml"
    rules.write_text(ROUND_RULE)
    assert cli("init").code == 0
    assert cli("rules", "import", str(rules)).code == 0
    evaluated = cli("eval", "ROUND-1", "--json")
    assert evaluated.json()[0]["value"] == RAW  # JSON stays exact
    history = cli("history", "ROUND-1", "--json").json()
    assert history["evaluations"][0]["value"] == RAW  # a number, as eval gives it (it was the string "18093…")
    shown = cli("rules", "show", "ROUND-1", "--json").json()
    assert shown["threshold_value_double"] == 5  # a number too
    assert "18,093.18" in cli("eval", "ROUND-1").stdout
    table = cli("history", "ROUND-1").stdout
    assert "18,093.18" in table and "18093.17779" not in table
    row = next(line for line in table.splitlines() if "ROUND-1" in line)  # ISO 8601 and yes/no, as elsewhere
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", row) and row.rstrip("│ ").endswith("no"), row


def test_validate_table_keeps_codes_whole_at_80_columns(cli: Cli, tmp_path: Path) -> None:
    rules = tmp_path / "cols.yaml"
    rules.write_text(COLUMN_RULE)
    assert cli("init").code == 0
    assert cli("rules", "import", str(rules)).code == 0
    result = cli("validate", "--rule", "COLS-1", env={"COLUMNS": "80"})
    assert result.code == 1
    assert "ENGINE_COLUMN_NOT_FOUND" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_destination_findings_say_destination_and_suggest_the_key(cli: Cli, tmp_path: Path) -> None:
    destinations = tmp_path / "destinations.yaml"
    destinations.write_text(
        "- {destination_id: ops_webhook, display_name: Ops, destination_type: WEBHOOK,\n"
        "   config_json: {url: 'http://127.0.0.1:9/x'}, owner: ops@example.com}\n"
    )
    assert cli("init").code == 0
    result = cli("destinations", "import", str(destinations))
    assert result.code == 1
    assert "✗ destination ops_webhook: display_name: unknown key" in result.stderr
    assert "rule ops_webhook" not in result.stderr
    assert "did you mean 'destination_name'?" in result.stderr


def test_did_you_mean_ranks_every_key_by_edit_distance() -> None:
    from lakealerts.documents import parse_rules

    document = {
        "alert_id": "T1", "alert_name": "x", "agent_domain": "COST", "severity": "INFO",
        "alert_query_template": "SELECT 1 AS v", "threshold_column": "v", "threshold_operator": ">",
        "threshold_value_type": "DOUBLE", "threshhold_value": 5, "schedule_cron": "0 0 8 * * ?", "owner": "a@b.co",
    }  # fmt: skip
    (problem,) = parse_rules([document]).problems
    assert problem.kind == "rule" and problem.field == "threshhold_value"
    assert "'threshold_value_double'" in problem.hint  # it was 'threshold_value_type', a key already given
    assert "'threshold_value_type'" not in problem.hint
    fixed = {key: value for key, value in document.items() if key not in {"threshhold_value", "severity"}}
    problems = parse_rules([{**fixed, "threshold_value_double": 5, "severty": "INFO"}]).problems
    (typo,) = [problem for problem in problems if problem.field == "severty"]
    assert typo.hint == "did you mean 'severity'? Otherwise remove the key"


def _destinations(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "destinations.yaml"
    path.write_text(text)
    return path


def test_destinations_test_sends_through_a_webhook_and_records_it(cli: Cli, tmp_path: Path) -> None:
    from tests.endpoints import http_recorder

    with http_recorder() as peer:
        destinations = _destinations(
            tmp_path,
            f"- {{destination_id: ops_webhook, destination_name: Ops, destination_type: WEBHOOK,\n"
            f"   config_json: {{url: '{peer.url}/hook'}}, owner: ops@example.com, is_enabled: false}}\n"
            f"- {{destination_id: refusing, destination_name: Refusing, destination_type: WEBHOOK,\n"
            f"   config_json: {{url: '{peer.url}/refuse'}}, owner: ops@example.com}}\n",
        )
        peer.failing.add("/refuse")
        assert cli("destinations", "import", str(destinations)).code == 0
        sent = cli("destinations", "test", "ops_webhook", "--json")
        refused = cli("destinations", "test", "refusing")
        retried = cli("outbox", "retry", "--all")  # a refused test message is not sent again, by name neither
        refused_id = next(e["message_id"] for e in cli("outbox", "list", "--json").json() if e["channel"] == "refusing")
        named = cli("outbox", "retry", refused_id)
        assert cli("eval", "--notify").code in (0, 1)  # nor by a round's due retries
    assert retried.code == 0 and "nothing to send again" in retried.stderr
    assert named.code == 2 and "is a test message" in named.stderr
    assert sent.code == 0, sent.stderr
    document = sent.json()
    assert document["status"] == "SENT" and document["event"] == "test" and document["error"] is None
    (request,) = peer.on("/hook")
    assert request.body["subject"].startswith("[test] ")
    assert request.body["condition"] == "failed_runs_1h > 5.0"  # the threshold is in the condition
    assert request.body["message_id"] == document["message_id"]
    assert refused.code == 1
    assert "FAILED" in refused.stderr and "500" in refused.stderr  # the peer's answer, printed
    assert len(peer.on("/refuse")) == 1  # one attempt: a test is never retried
    outbox = {entry["channel"]: entry for entry in cli("outbox", "list", "--json").json()}
    assert outbox["ops_webhook"]["status"] == "SENT" and outbox["ops_webhook"]["event"] == "test"
    assert outbox["refusing"]["status"] == "FAILED" and outbox["refusing"]["next_attempt_at"] is None
    assert outbox["ops_webhook"]["message_id"] != outbox["refusing"]["message_id"]


def test_destinations_test_sends_a_rule_s_email_through_smtp(cli: Cli, tmp_path: Path) -> None:
    from tests.endpoints import smtp_server

    rules = tmp_path / "round.yaml"
    rules.write_text(
        ROUND_RULE + "use_custom_template: true\ncustom_subject_template: '{{ALERT_NAME}} over {{ALERT_THRESHOLD}}'\n"
    )
    destinations = _destinations(
        tmp_path,
        "- {destination_id: team_mail, destination_name: Team, destination_type: EMAIL,\n"
        "   config_json: {addresses: [team@example.com]}, owner: ops@example.com}\n",
    )
    assert cli("rules", "import", str(rules)).code == 0
    assert cli("destinations", "import", str(destinations)).code == 0
    with smtp_server() as server:
        result = cli("destinations", "test", "team_mail", "--rule", "ROUND-1", env={"LAKEALERTS_SMTP_URL": server.url})
        assert result.code == 0, result.stderr
        (mail,) = server.messages
    assert mail["Subject"] == "[test] A long fraction over 5.0"
    assert mail["To"] == "team@example.com"
    missing = cli("destinations", "test", "nope", "--json")
    assert missing.code == 2 and missing.json()["error"]["code"] == "NOT_FOUND"


def test_parse_findings_show_no_class_names() -> None:
    from lakealerts.sql.readonly import check_read_only

    (finding,) = check_read_only("SELECT COUNT(*) AS n FROM t WHERE a =")
    assert "<class" not in finding.message and "sqlglot" not in finding.message
    assert finding.message.endswith("'=' is missing its right-hand side")


def test_demo_data_prints_its_row_counts_once(cli: Cli) -> None:
    result = cli("demo-data", "--rows", "1000", "--as-of", "2026-03-10")
    assert result.code == 0
    assert "billing_usage" in result.stdout
    assert "rows" not in "\n".join(line for line in result.stderr.splitlines() if "billing_usage" in line)


def test_retrying_a_skipped_message_says_why_and_what_to_do(cli: Cli) -> None:
    """After the quickstart every e-mail is SKIPPED (no SMTP URL): final by design, and the refusal says so and
    how to check the channel once it is configured (the hint pointed at FAILED messages before)."""
    env = {"LAKEALERTS_SMTP_URL": ""}
    assert cli("quickstart", env=env).code == 0
    skipped = [e for e in cli("outbox", "list", "--json", env=env).json() if e["status"] == "SKIPPED"]
    assert skipped, "the quickstart's e-mails should be SKIPPED without SMTP"
    retried = cli("outbox", "retry", skipped[0]["message_id"], env=env)
    assert retried.code == 2 and "is SKIPPED" in retried.stderr and "final" in retried.stderr
    assert f"lakealerts destinations test {skipped[0]['channel']}" in retried.stderr
