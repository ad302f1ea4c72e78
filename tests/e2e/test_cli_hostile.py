"""Hostile files through the CLI (issue 13): exit 1 for rejected documents, 2 for an unreadable file; stderr names the
file, the rule, the field and the fix; never a traceback, and nothing hostile is stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli, CliResult

pytestmark = pytest.mark.e2e
HOSTILE = Path(__file__).parent.parent / "fixtures" / "hostile"
RULE_HEAD = "- alert_id: BIG-1\n  alert_name: Big\n  agent_domain: COST\n  severity: INFO\n"


def no_traceback(result: CliResult) -> CliResult:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    return result


def test_hostile_rules_are_rejected_with_rule_field_and_fix_and_the_good_one_stored(cli: Cli) -> None:
    result = no_traceback(cli("rules", "import", str(HOSTILE / "rules.yaml")))
    assert result.code == 1
    expected = {
        "BAD-NAME": "alert_name: contains a carriage return",
        "BAD-SUBJECT": "custom_subject_template: contains a line feed",
        "BAD-NAN": "threshold_value_double: must be a number, not NaN",
        "BAD-RETRIGGER": "retrigger_seconds: Input should be less than or equal to 31536000",
        "BAD-NUL": "alert_query_template: contains a NUL byte",
    }
    for rule_id, fragment in expected.items():
        assert f"rule {rule_id}: {fragment}" in result.stderr, result.stderr
    assert result.stderr.count("fix:") >= len(expected)
    assert "1 inserted" in result.stderr and "5 rejected" in result.stderr
    assert [rule["alert_id"] for rule in cli("rules", "list", "--json").json()] == ["OK-1"]


@pytest.mark.parametrize(
    ("name", "text", "fragments"),
    [
        ("huge.yaml", RULE_HEAD + "  threshold_value_double: " + "9" * 5000 + "\n",
         ["line 5", "rule BIG-1", "key 'threshold_value_double'", "5000 digits"]),
        ("deep.json", '[{"alert_id": "DEEP-1", "tags": ' + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "}]",
         ["line 1", "nested more than 64 levels"]),
        ("duplicate_keys.yaml", None, ["line 6", "rule DUP-1", "key 'severity' appears twice (first at line 5)"]),
    ],
    ids=["5000-digit integer", "100,000-deep JSON", "duplicate key"],
)  # fmt: skip
def test_an_unreadable_file_exits_2_naming_file_line_and_rule(
    cli: Cli, tmp_path: Path, name: str, text: str | None, fragments: list[str]
) -> None:
    path = HOSTILE / name
    if text is not None:
        path = tmp_path / name
        path.write_text(text)
    result = no_traceback(cli("rules", "import", str(path)))
    assert result.code == 2
    assert str(path) in result.stderr and "fix:" in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
    assert cli("rules", "list", "--json").json() == []


def test_a_schedule_that_never_fires_again_is_a_validation_finding(cli: Cli) -> None:
    assert cli("rules", "import", str(HOSTILE / "past_schedule.yaml")).code == 0
    result = no_traceback(cli("validate", "--json"))
    assert result.code == 1
    (verdict,) = result.json()
    (finding,) = verdict["errors"]
    assert verdict["alert_id"] == "PAST-1"
    assert (finding["code"], finding["field"]) == ("SCHEDULE_NEVER_FIRES", "schedule_cron")
    assert "year" in finding["hint"]
    shown = no_traceback(cli("rules", "show", "PAST-1"))
    assert shown.code == 0 and "never (the schedule has no fire time after now)" in shown.stdout
    assert cli("rules", "show", "PAST-1", "--json").json()["next_fire_times"] == []


def test_misplaced_references_are_rejected_and_plain_secrets_masked_when_listed(cli: Cli) -> None:
    result = no_traceback(cli("destinations", "import", str(HOSTILE / "destinations.yaml")))
    assert result.code == 1
    leaky = "destination leaky_hook: config_json.url: holds the reference ${env:DATABRICKS_TOKEN} inside"
    assert leaky in result.stderr
    assert "destination own_token: config_json.integration_key:" in result.stderr and "own credential" in result.stderr
    assert "destination crlf_name: destination_name: contains a carriage return" in result.stderr
    listed = {d["destination_id"]: d["config_json"] for d in cli("destinations", "list", "--json").json()}
    assert listed == {
        "plain_hook": {"url": "***", "username": "***", "password": "***"},
        "ref_slack": {"url": "${env:OPS_SLACK_URL}"},
    }
    text = cli("destinations", "list")
    assert "s3cr3t" not in text.stdout and "hunter2" not in text.stdout
    assert "url=***" in text.stdout and "url=${env:OPS_SLACK_URL}" in text.stdout


def test_rule_text_that_looks_like_markup_is_listed_verbatim(cli: Cli, tmp_path: Path) -> None:
    """A table cell is the user's text: rich markup in a rule's name is neither applied nor an error."""
    names = {"MARK-1": "[bold red]loud[/bold red] [link=file:///etc/passwd]click[/link]", "MARK-2": "closing [/x] tag"}
    rules = tmp_path / "markup.yaml"
    rules.write_text(
        "".join(
            f"- alert_id: {rule_id}\n  alert_name: {name!r}\n  agent_domain: COST\n  severity: INFO\n"
            "  alert_query_template: SELECT 1 AS n\n  threshold_column: n\n  threshold_operator: GREATER_THAN\n"
            "  threshold_value_type: DOUBLE\n  threshold_value_double: 0\n  schedule_cron: 0 0 8 * * ?\n"
            "  schedule_timezone: UTC\n  owner: ops@example.com\n"
            for rule_id, name in names.items()
        )
    )
    assert no_traceback(cli("rules", "import", str(rules))).code == 0
    for _ in range(2):  # checked by the model, then from the memo
        listed = no_traceback(cli("rules", "list"))
        assert listed.code == 0
        for name in names.values():
            assert name in listed.stdout, listed.stdout


TERMINAL_CONTROLS = {chr(code) for code in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]} | set(
    "\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
ESC_RULES = """\
- alert_id: ESC-1
  alert_name: Esc
  agent_domain: COST
  severity: WARNING
  alert_query_template: "SELECT CAST(chr(27) || '[31mred' AS INTEGER) AS value"
  threshold_column: value
  threshold_operator: ">"
  threshold_value_type: DOUBLE
  threshold_value_double: 1
  schedule_cron: 0 0 8 * * ?
  schedule_timezone: UTC
  owner: a@example.com
- alert_id: ESC-2
  alert_name: Esc2
  agent_domain: COST
  severity: WARNING
  alert_query_template: "SELECT chr(27) || ']8;;http://evil.example/' || chr(27) || 'click' AS value"
  threshold_column: value
  threshold_operator: "!="
  threshold_value_type: STRING
  threshold_value_string: "a"
  schedule_cron: 0 0 8 * * ?
  schedule_timezone: UTC
  owner: a@example.com
"""
ESC_TEST = """\
rules: [rules.yaml]
session_timezone: UTC
tests:
  - name: "name \\e[31m RED"
    rule: ESC-2
    evaluations:
      - at: 2026-11-27T08:00:00Z
        expect: {state: TRIGGERED, value: "zz"}
"""


def terminal_safe(result: CliResult) -> CliResult:
    """Nothing a terminal would act on (ESC, CR, C1, bidi overrides) reaches stdout or stderr raw."""
    assert not TERMINAL_CONTROLS & set(result.stdout + result.stderr), repr(result.stdout + result.stderr)
    return no_traceback(result)


def test_escape_sequences_in_data_values_and_errors_reach_the_terminal_escaped(cli: Cli, tmp_path: Path) -> None:
    """Issue B: a CSV header, a query's value, a DuckDB error quoting data, a test's actual value and an error
    message quoting a path show ESC as the four characters \\x1b; the JSON documents keep the raw text."""
    table = tmp_path / "hostile.csv"
    table.write_text('name,"col\x1b[31mred",v\n"evil\x1b[2J",1,2\n')
    loaded = terminal_safe(cli("data", "load", str(table), "--table", "main.default.h"))
    assert loaded.code == 0 and "col\\x1b[31mred" in loaded.stdout
    (tmp_path / "rules.yaml").write_text(ESC_RULES)
    assert no_traceback(cli("rules", "import", str(tmp_path / "rules.yaml"))).code == 0
    evaluated = terminal_safe(cli("eval"))
    assert evaluated.code == 1
    assert "Could not convert string '\\x1b[31mred' to INT32" in evaluated.stdout
    assert "\\x1b]8;;http://evil.example/" in evaluated.stdout  # escaped, then shortened to 40 characters
    values = {run["alert_id"]: run["value"] for run in cli("eval", "--json").json()}
    assert values["ESC-2"] == "\x1b]8;;http://evil.example/\x1bclick"
    assert "\\x1b[31mred" in terminal_safe(cli("history")).stdout
    replayed = terminal_safe(cli("backtest", "--all", "--from", "2026-11-01", "--to", "2026-11-03"))
    assert "\\x1b[31mred" in replayed.stdout and "\\x1b]8;;http://evil.example/" in replayed.stdout
    (tmp_path / "esc.test.yaml").write_text(ESC_TEST)
    tested = terminal_safe(cli("test", "--diff", str(tmp_path / "esc.test.yaml")))
    assert tested.code == 1 and "name \\x1b[31m RED" in tested.stdout
    assert "+ \\x1b]8;;http://evil.example/\\x1bclick" in tested.stdout
    missing = terminal_safe(cli("data", "load", str(tmp_path / "no\x1b[2J\x1b[1A.csv"), "--table", "main.default.x"))
    assert missing.code == 2 and "error: no such file: " in missing.stderr
    assert "no\\x1b[2J\\x1b[1A.csv" in missing.stderr


def test_an_error_quoting_a_path_that_ends_in_a_backslash_shows_it_once(cli: Cli, tmp_path: Path) -> None:
    """Issue C: the user's text verbatim, a trailing backslash not doubled."""
    result = no_traceback(cli("data", "load", str(tmp_path / "dir\\"), "--table", "main.default.x"))
    assert result.code == 2
    assert f"error: no such file: {tmp_path / 'dir'}\\\n" in result.stderr, result.stderr


def test_a_plain_secret_is_stored_with_a_warning_that_names_what_will_refuse_it(cli: Cli, tmp_path: Path) -> None:
    destinations = tmp_path / "destinations.yaml"
    destinations.write_text(
        "- {destination_id: my_hook, destination_name: Hook, destination_type: WEBHOOK,\n"
        "   config_json: {url: 'https://hooks.example.com/T0/secret-path'}, owner: ops@example.com}\n"
        "- {destination_id: ref_hook, destination_name: Ref, destination_type: WEBHOOK,\n"
        "   config_json: {url: '${env:OPS_HOOK_URL}'}, owner: ops@example.com}\n"
    )
    for args in ((), ("--json",)):
        result = no_traceback(cli("destinations", "import", str(destinations), *args))
        assert result.code == 0
        assert result.stderr.count("warning: destination my_hook: config_json.url is a plain secret") == 1
        assert "DESTINATION_PLAIN_SECRET" in result.stderr and "${env:ALERTS_MY_HOOK_URL}" in result.stderr
        assert "ref_hook" not in result.stderr and "secret-path" not in result.stderr
