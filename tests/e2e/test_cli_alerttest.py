"""`lakealerts test` as a user runs it: the shipped rules' tests at full coverage, deliberately broken rules
failing with the exact text and --diff, JUnit and --json per DESIGN §11, exit 2 with file:line, --init, and a
test file giving the same answers on a fresh home and on one full of data."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Cli

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).parents[2]
SHIPPED = ROOT / "tests" / "alerts"
BROKEN = ROOT / "tests" / "fixtures" / "alerttest"
STEP1 = "step 1 (at 2026-11-27T07:00:00+00:00)"
EXPECTED_MESSAGE = ('{"channel": "finops", "payload": {"alert_name": "Daily spend", "state": "TRIGGERED"}, '
                    '"subject": "Daily spend is TRIGGERED: 6100.5", "type": "WEBHOOK"}')  # fmt: skip
COLUMN_ERROR = 'ERROR (BinderException: Binder Error: Referenced column "list_price" not found in FROM clause!)'


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """The broken-rules test file and its rule file, copied where the test may write."""
    for name in ("rules.yaml", "broken.test.yaml"):
        shutil.copy(BROKEN / name, tmp_path / name)
    return tmp_path / "broken.test.yaml"


def test_the_shipped_rules_are_all_tested_and_pass(cli: Cli) -> None:
    result = cli("test", str(SHIPPED), "--coverage-threshold", "100")
    assert result.code == 0, result.stdout + result.stderr
    assert "54 passed, 0 failed, 0 errors" in result.stdout
    assert "coverage: 51 of 51 rules tested (100%)" in result.stdout
    assert "  SYS-COST-001: OK, TRIGGERED" in result.stdout
    assert "  REL-002: OK, TRIGGERED" in result.stdout


def test_broken_rules_fail_with_the_exact_reason(cli: Cli, broken: Path) -> None:
    result = cli("test", str(broken))
    assert result.code == 1
    lines = result.stdout.splitlines()
    assert f"PASS {broken}: good rule fires (SPEND)" in lines
    assert lines[lines.index(f"FAIL {broken}: wrong threshold (SPEND-WRONG-THRESHOLD)") + 1 :][:2] == [
        f"    {STEP1}: state: expected TRIGGERED, got OK",
        f"    {STEP1}: notifications: expected [{EXPECTED_MESSAGE}], got []",
    ]
    assert f"    {STEP1}: state: expected TRIGGERED, got {COLUMN_ERROR}" in lines
    having = lines.index(f"FAIL {broken}: HAVING hides the value (SPEND-HAVING)")
    assert lines[having + 2] == f"    {STEP1}: value: expected 6100.5, got null"
    typo = lines.index(f"FAIL {broken}: template variable typo (SPEND-TEMPLATE-TYPO)")
    assert lines[typo + 1] == (
        f'    {STEP1}: notifications: expected [{EXPECTED_MESSAGE}], got [{{"action": "trigger", '
        '"channel": "finops", "payload": {"alert_name": "Daily spend", "state": "TRIGGERED"}, '
        '"subject": "is TRIGGERED: 6100.5", "type": "WEBHOOK"}]'
    )
    assert lines[-1] == "2 passed, 5 failed, 0 errors"


def test_diff_shows_expected_and_actual_lines(cli: Cli, broken: Path) -> None:
    result = cli("test", str(broken), "--diff", "--run", "typo", "--run", "threshold")
    assert result.code == 1
    assert result.stdout.splitlines() == [
        f"FAIL {broken}: wrong threshold (SPEND-WRONG-THRESHOLD)",
        f"    {STEP1}: state",
        "      - TRIGGERED",
        "      + OK",
        f"    {STEP1}: notifications",
        f"      - {EXPECTED_MESSAGE}",
        "      + (none)",
        f"FAIL {broken}: template variable typo (SPEND-TEMPLATE-TYPO)",
        f"    {STEP1}: notifications",
        f"      - {EXPECTED_MESSAGE}",
        '      + {"action": "trigger", "channel": "finops", "payload": {"alert_name": "Daily spend", '
        '"state": "TRIGGERED"}, "subject": "is TRIGGERED: 6100.5", "type": "WEBHOOK"}',
        "0 passed, 2 failed, 0 errors",
    ]


def test_junit_holds_one_testcase_per_test_and_routing_check(cli: Cli, broken: Path, tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    assert cli("test", str(broken), "--junit", str(report)).code == 1
    suites = ElementTree.parse(report).getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == [str(broken)]
    cases = suites[0].findall("testcase")
    assert len(cases) == 5 + 2
    assert {c.get("classname") for c in cases} == {str(broken)}
    failed = {c.get("name"): c.find("failure") for c in cases if c.find("failure") is not None}
    assert set(failed) == {"wrong threshold", "wrong column", "HAVING hides the value", "template variable typo",
                           "routing: warnings go to e-mail"}  # fmt: skip
    threshold = failed["wrong threshold"]
    assert threshold is not None and threshold.text is not None
    assert threshold.text.splitlines()[:4] == [f"{STEP1}: state", "  - TRIGGERED", "  + OK", f"{STEP1}: notifications"]


def test_json_is_the_documented_shape(cli: Cli, broken: Path) -> None:
    result = cli("test", str(broken), "--json")
    assert result.code == 1
    document = result.json()
    assert set(document) == {"passed", "failed", "errors", "tests", "routing", "coverage"}
    assert (document["passed"], document["failed"], document["errors"]) == (2, 5, 0)
    test = next(t for t in document["tests"] if t["name"] == "wrong threshold")
    assert set(test) == {"file", "name", "rule", "status", "duration_ms", "failures"}
    assert (test["file"], test["rule"], test["status"]) == (str(broken), "SPEND-WRONG-THRESHOLD", "failed")
    assert test["failures"][0] == {"step": 1, "at": "2026-11-27T07:00:00+00:00", "field": "state",
                                   "expected": "TRIGGERED", "actual": "OK"}  # fmt: skip
    routing = {r["name"]: r for r in document["routing"]}
    assert routing["warnings go to e-mail"]["status"] == "failed"
    assert routing["every rule reaches a webhook"] == {"file": str(broken), "name": "every rule reaches a webhook",
                                                       "status": "passed", "offenders": []}  # fmt: skip
    coverage = document["coverage"]
    assert set(coverage) == {"rules_total", "rules_tested", "percent", "untested", "outcomes"}
    assert (coverage["rules_total"], coverage["rules_tested"], coverage["percent"]) == (5, 5, 100.0)
    assert coverage["outcomes"]["SPEND-WRONG-COLUMN"] == ["ERROR"]


def test_fixtures_shadow_real_tables_completely(cli: Cli, tmp_path: Path) -> None:
    file = str(SHIPPED / "cost.test.yaml")
    fresh = _without_durations(cli("test", file, "--json").json())
    loaded = Cli(tmp_path / "loaded")
    assert loaded("demo-data", "--rows", "2000", "--as-of", "2026-11-27").code == 0
    assert _without_durations(loaded("test", file, "--json").json()) == fresh
    assert fresh["failed"] == 0 and fresh["errors"] == 0


def _without_durations(document: dict[str, Any]) -> dict[str, Any]:
    for test in document["tests"]:
        test.pop("duration_ms")
    return document


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rules: [catalog:COST-001]\ntests:\n  - name: t\n    rule: COST-001\n    evaluatons: []\n",
         ":5: tests.0.evaluatons: unknown key 'evaluatons'\n  fix: did you mean 'evaluations'?"),
        ("rules: [catalog:COST-001]\nfixtures:\n  usage:\n    columns: {a: DATE}\n    rowz: []\n",
         ":5: fixtures.usage.rowz: unknown key 'rowz'\n  fix: did you mean 'rows'?"),
        ("rules: [catalog:COST-001]\ntests:\n  - name: t\n    rule: COST-001\n    evaluations:\n"
         "      - {at: 2026-11-27, expect_notification: []}\n",
         ":6: tests.0.evaluations.0.expect_notification: unknown key 'expect_notification'\n"
         "  fix: did you mean 'expect_notifications'?"),
        ("rules: [catalog:COST-001]\ntests:\n  - name: t\n    rule: COST-999\n    evaluations: [{at: 2026-11-27}]\n",
         ":4: unknown rule 'COST-999'"),
        ("rules: [catalog:NOPE]\n", ":1: unknown rule 'catalog:NOPE'"),
        ("rules: [catalog:COST-001\n", ":2: not valid YAML"),
        ("rules: [catalog:COST-001]\ntests:\n  - name: t\n    rule: COST-001\n    name: u\n",
         ":5: key 'name' is given twice"),
    ],
)  # fmt: skip
def test_an_invalid_file_exits_2_with_its_line(cli: Cli, tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.test.yaml"
    path.write_text(text)
    result = cli("test", str(path))
    assert result.code == 2
    assert f"{path}{expected}" in result.stderr


def test_low_coverage_exits_1(cli: Cli) -> None:
    result = cli("test", str(SHIPPED / "quality.test.yaml"), "--coverage-threshold", "50")
    assert result.code == 1
    assert "coverage 9.8% is below --coverage-threshold 50%" in result.stderr  # 5 of the 51 shipped rules


def test_init_writes_a_starter_file_that_runs(cli: Cli, tmp_path: Path) -> None:
    result = cli("test", "--init", "COST-006", str(tmp_path))
    assert result.code == 0, result.stderr
    starter = tmp_path / "COST-006.test.yaml"
    document = yaml.safe_load(starter.read_text())
    assert document["rules"] == ["catalog:COST-006"]
    columns = document["fixtures"]["billing_usage"]["columns"]
    assert set(columns) == {"list_cost", "workspace_id", "cluster_id", "usage_date", "custom_tags"}
    assert [t["evaluations"][0]["expect"]["state"] for t in document["tests"]] == ["OK", "TRIGGERED"]
    ran = cli("test", str(starter), "--json")
    assert ran.code == 1  # the TRIGGERED test waits for its rows
    assert [t["status"] for t in json.loads(ran.stdout)["tests"]] == ["passed", "failed"]
    assert cli("test", "--init", "COST-006", str(tmp_path)).code == 2  # never overwrites
    unknown = cli("test", "--init", "NOPE-1", str(tmp_path), "--json")  # an unknown id: NOT_FOUND, as elsewhere
    assert unknown.code == 2 and unknown.json()["error"]["code"] == "NOT_FOUND"


def test_system_tables_session_zone_pagerduty_and_overrides(cli: Cli) -> None:
    result = cli("test", str(BROKEN / "pagerduty.test.yaml"), "--json")
    assert result.code == 1
    tests = {t["name"]: t for t in result.json()["tests"]}
    assert tests["pages then resolves"]["status"] == "passed"
    assert tests["bad override"]["status"] == "error"
    assert tests["bad override"]["failures"][0]["actual"] == (
        "rule_overrides: severity: 'URGENT' is not a valid severity (fix: use one of 'CRITICAL', 'WARNING' or 'INFO')"
    )


def test_destination_secrets_stay_as_written_and_are_never_needed(cli: Cli, tmp_path: Path) -> None:
    """Nothing is sent, so a destination's ``${env:…}`` and ``{{secrets/…}}`` need no value: the captured
    message shows the reference as written, whatever the environment holds."""
    shutil.copy(BROKEN / "rules.yaml", tmp_path / "rules.yaml")
    (tmp_path / "secrets.test.yaml").write_text(
        "rules: [rules.yaml]\n"
        "destinations:\n"
        "  - {destination_id: finops, destination_type: WEBHOOK, config_json: {url: '${env:UNSET_HOOK_URL}',"
        " password: '{{secrets/ops/hook}}', username: bot}}\n"
        "fixtures:\n"
        "  billing_usage:\n"
        "    columns: {usage_date: DATE, list_cost: DOUBLE}\n"
        "    rows: [{usage_date: 2026-11-26, list_cost: 6100.5}]\n"
        "tests:\n"
        "  - name: fires with an unset secret\n"
        "    rule: SPEND\n"
        "    evaluations:\n"
        "      - at: 2026-11-27T07:00:00Z\n"
        "        expect: {state: TRIGGERED}\n"
        "        expect_notifications: [{channel: finops, type: WEBHOOK, subject_contains: TRIGGERED}]\n"
    )
    result = cli("test", str(tmp_path / "secrets.test.yaml"), "--json")
    assert result.code == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["passed"] == 1
