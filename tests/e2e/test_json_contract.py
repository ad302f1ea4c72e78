"""The ``--json`` contract: every main command's JSON document, compared with a golden file recorded before a refactor.

One session on one store, as a user runs it: init, seed, demo data, imports (with rejected documents), list, show,
validate, eval (a preview, then two ``--notify`` rounds: OK -> TRIGGERED and TRIGGERED -> OK), history, and plan /
destinations sync / sync against the workspace stand-in (``lakealerts serve --no-scheduler``). Each command's exit
code and its whole JSON document (keys, key order, types, values) must match
``tests/fixtures/json_contract/<name>.json``. Only values that depend on the wall clock, on random ids or on the
temporary directory are replaced by placeholders (see ``normalise``); the raw stdout must also be laid out exactly as
``json.dumps(document, indent=2)`` lays it out, so together the documents are byte-identical up to those values.

Regenerate the golden files (only when a change of a document is intended)::

    LAKEALERTS_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/e2e/test_json_contract.py -s
"""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Cli, CliResult
from tests.e2e.test_cli_serve import free_port, wait_until_ready
from tests.endpoints import http_recorder

pytestmark = pytest.mark.e2e

GOLDEN = Path(__file__).parent.parent / "fixtures" / "json_contract"
REGENERATE = os.environ.get("LAKEALERTS_REGEN_GOLDEN") == "1"
TOKEN = "json-contract-token-7c1e"
AS_OF = "2026-03-10"
PREVIEW_AT = "2026-03-10T12:00:00Z"  # the demo anomalies are on the as-of day
FIRST_NOTIFY_AT = "2026-03-10T12:05:00Z"  # same data: OK -> TRIGGERED
SECOND_NOTIFY_AT = "2026-03-11T12:00:00Z"  # the next day: most rules go back TRIGGERED -> OK
PINNED = {datetime.fromisoformat(moment) for moment in (PREVIEW_AT, FIRST_NOTIFY_AT, SECOND_NOTIFY_AT)}
SLACK_ENV, PAGERDUTY_ENV = "CONTRACT_SLACK_URL", "CONTRACT_PAGERDUTY_KEY"  # the second one is never set

# Two good rules of each kind of value, two that import but fail validation, one disabled; then rejected ones.
RULES: list[Any] = [
    {"alert_id": "GOOD-1", "alert_name": "Yesterday's cost", "alert_description": "List cost of the day before.",
     "agent_domain": "cost", "severity": "warning",
     "alert_query_template": "SELECT ROUND(SUM(list_cost), 2) AS daily_cost\n"
                             "FROM ${catalog}.${gold_schema}.billing_usage\n"
                             "WHERE usage_date = date_sub(CURRENT_DATE(), 1)",
     "threshold_column": "daily_cost", "threshold_operator": ">", "threshold_value_type": "double",
     "threshold_value_double": 5000, "aggregation_type": "sum", "schedule_cron": "0 0 8 ? * MON-FRI",
     "schedule_timezone": "Europe/Berlin", "notification_channels": ["ops_slack"], "notify_on_ok": True,
     "owner": "finops@example.com", "tags": {"team": "finops", "tier": "1"}},
    {"alert_id": "GOOD-2", "alert_name": "Audit rows as text", "agent_domain": "SECURITY", "severity": "CRITICAL",
     "alert_query_template": "SELECT CAST(COUNT(*) AS VARCHAR) AS events FROM ${catalog}.${gold_schema}.audit_log",
     "threshold_column": "events", "threshold_operator": "NOT_EQUAL", "threshold_value_type": "STRING",
     "threshold_value_string": "0", "schedule_cron": "0 0 * * * ?", "retrigger_seconds": 3600,
     "notification_channels": ["pager", "nowhere"], "owner": "sec@example.com"},
    {"alert_id": "GOOD-3", "alert_name": "Missing table", "agent_domain": "QUALITY", "severity": "INFO",
     "alert_query_template": "SELECT COUNT(*) > 0 AS has_rows FROM ${catalog}.${gold_schema}.no_such_table",
     "threshold_column": "has_rows", "threshold_operator": "=", "threshold_value_type": "BOOLEAN",
     "threshold_value_bool": True, "empty_result_state": "triggered", "schedule_cron": "0 0/5 * * * ?",
     "pause_status": "paused", "notification_channels": ["ops@example.com"], "owner": "q@example.com"},
    {"alert_id": "GOOD-4", "alert_name": "Does not parse", "agent_domain": "QUALITY", "severity": "INFO",
     "alert_query_template": "SELECT COUNT(* AS n\nFROM ${catalog}.${gold_schema}.audit_log",
     "threshold_column": "n", "threshold_operator": ">", "threshold_value_type": "DOUBLE",
     "threshold_value_double": 0, "schedule_cron": "0 0 8 * * ?", "owner": "q@example.com"},
    {"alert_id": "GOOD-5", "alert_name": "Disabled", "agent_domain": "RELIABILITY", "severity": "INFO",
     "alert_query_template": "SELECT 1 AS one", "threshold_column": "one", "threshold_operator": "IS_NULL",
     "threshold_value_type": "DOUBLE", "schedule_cron": "0 0 8 * * ?", "is_enabled": False, "owner": "r@example.com"},
    {"alert_id": "BAD-ENUM", "alert_name": "Wrong severity", "agent_domain": "COST", "severity": "URGENT",
     "alert_query_template": "SELECT 1 AS x", "threshold_column": "x", "threshold_operator": ">",
     "threshold_value_type": "DOUBLE", "threshold_value_double": 1, "schedule_cron": "0 0 8 * * ?", "owner": "a@b.co"},
    {"alert_id": "BAD-CRON", "alert_name": "Both day fields", "agent_domain": "COST", "severity": "INFO",
     "alert_query_template": "SELECT 1 AS x", "threshold_column": "x", "threshold_operator": ">",
     "threshold_value_type": "DOUBLE", "threshold_value_double": 1, "schedule_cron": "0 0 8 * * 1", "owner": "a@b.co",
     "threshhold_value": 3},
    {"alert_name": "No id", "agent_domain": "COST", "severity": "INFO", "alert_query_template": "SELECT 1 AS x",
     "threshold_column": "x", "threshold_operator": ">", "threshold_value_type": "DOUBLE",
     "threshold_value_double": 1, "schedule_cron": "0 0 8 * * ?", "owner": "a@b.co"},
    "not a mapping",
]  # fmt: skip

DESTINATIONS: list[Any] = [
    {"destination_id": "ops_slack", "destination_name": "Ops Slack", "destination_type": "slack",
     "config_json": {"url": "${env:" + SLACK_ENV + "}"}, "owner": "ops@example.com"},
    {"destination_id": "pager", "destination_name": "On-call", "destination_type": "PAGERDUTY",
     "config_json": {"integration_key": "${env:" + PAGERDUTY_ENV + "}"}, "owner": "ops@example.com",
     "tags": {"rota": "primary"}},
    {"destination_id": "fax", "destination_name": "Fax", "destination_type": "FAX", "config_json": {}, "owner": "o"},
    {"destination_id": "no config", "destination_name": "Bad id", "destination_type": "EMAIL", "owner": "o"},
]  # fmt: skip

# Keys whose value is read from the wall clock (not from --at/--as-of), generated ids, and durations.
WALL_CLOCK_KEYS = frozenset({"created_at", "updated_at", "last_synced_at", "sent_at"})
FIRE_TIME_KEYS = frozenset({"next_fire_times"})  # from now, in the rule's zone: the date and the DST offset vary
GENERATED_ID_KEYS = frozenset({"databricks_alert_id", "databricks_destination_id"})
DURATION_KEYS = {"duration_ms": "ms", "seconds": "s"}
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
ISO_TIMESTAMP = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})(?P<time>[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)(?P<zone>Z|[+-]\d{2}:?\d{2})?"
)


def normalise(value: Any, replacements: dict[str, str], key: str | None = None) -> Any:
    """``value`` with its volatile parts replaced by placeholders that still show the JSON type and format.

    By key: wall-clock timestamps -> ``<ts>`` plus the zone as written (``<ts>Z``, ``<ts>+00:00``) unless the
    instant is one the test pinned with --at; next fire times keep their local time of day (``<date>T07:00:00`` +
    zone, a non-UTC offset as ``<offset>`` since it follows DST); stand-in ids -> ``<id>``; durations ->
    ``<ms:float>`` / ``<s:float>`` (the type of the number kept). By pattern, anywhere in a string: the temporary
    paths and URLs in ``replacements`` (-> ``<home>``, ``<tmp>``, ``<url>``) and UUIDs (-> ``<uuid>``).
    A list's items are normalised under the list's key.
    """
    if isinstance(value, dict):
        return {name: normalise(item, replacements, name) for name, item in value.items()}
    if isinstance(value, list):
        return [normalise(item, replacements, key) for item in value]
    if key in DURATION_KEYS and isinstance(value, int | float) and not isinstance(value, bool):
        return f"<{DURATION_KEYS[key]}:{type(value).__name__}>"
    if not isinstance(value, str):
        return value
    if key in GENERATED_ID_KEYS:
        return "<id>"
    stamp = ISO_TIMESTAMP.fullmatch(value)
    if stamp and key in WALL_CLOCK_KEYS and datetime.fromisoformat(value) not in PINNED:
        return "<ts>" + _zone(stamp.group("zone"))
    if stamp and key in FIRE_TIME_KEYS:
        return "<date>" + stamp.group("time") + _zone(stamp.group("zone"))
    for literal, placeholder in replacements.items():
        value = value.replace(literal, placeholder)
    return UUID.sub("<uuid>", value)


def _zone(designator: str | None) -> str:
    """A timestamp's zone as written when it is UTC (``Z``, ``+00:00``) or absent; any other offset as ``<offset>``."""
    if designator is None or designator in ("Z", "+00:00", "+0000"):
        return designator or ""
    return "<offset>"


class Contract:
    """Runs commands, compares (or with LAKEALERTS_REGEN_GOLDEN=1 writes) one golden file per command."""

    def __init__(self, cli: Cli, replacements: dict[str, str]) -> None:
        self.cli = cli
        self.replacements = dict(sorted(replacements.items(), key=lambda item: -len(item[0])))  # longest first
        self.differences: list[str] = []
        self.names: list[str] = []

    def check(self, name: str, *args: str) -> CliResult:
        """Run ``lakealerts --home <home> *args`` and compare its exit code and JSON document with ``name``."""
        assert name not in self.names, f"two documents named {name}"
        self.names.append(name)
        result = self.cli(*args)
        try:
            document = json.loads(result.stdout)
        except json.JSONDecodeError:
            self.differences.append(f"{name}: stdout is not one JSON document (exit {result.code})\n"
                                    f"stdout: {result.stdout[:2000]}\nstderr: {result.stderr[-2000:]}")  # fmt: skip
            return result
        if result.stdout != json.dumps(document, indent=2) + "\n":
            self.differences.append(f"{name}: stdout is not laid out as json.dumps(document, indent=2) + newline")
        record = {
            "command": normalise(list(args), self.replacements),
            "exit_code": result.code,
            "document": normalise(document, self.replacements),
        }
        text = json.dumps(record, indent=2) + "\n"
        path = GOLDEN / f"{name}.json"
        if REGENERATE:
            path.write_text(text)
        elif not path.exists():
            self.differences.append(f"{name}: no golden file {path} (set LAKEALERTS_REGEN_GOLDEN=1 to record it)")
        elif (expected := path.read_text()) != text:
            diff = difflib.unified_diff(expected.splitlines(), text.splitlines(), "golden", "now", lineterm="", n=2)
            self.differences.append(f"{name}: differs from {path.name}\n" + "\n".join(list(diff)[:80]))
        return result


@contextmanager
def stand_in(home: Path, log: Path) -> Iterator[str]:
    """``lakealerts serve --no-scheduler`` (the workspace stand-in only) on a free port; yields its URL."""
    port = free_port()
    command = [sys.executable, "-m", "lakealerts", "--home", str(home), "serve", "--token", TOKEN,
               "--port", str(port), "--no-scheduler"]  # fmt: skip
    with log.open("ab") as stderr:
        process = subprocess.Popen(command, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_ready(url, process, log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_json_documents_match_the_golden_files(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(os.environ):  # nothing from the developer's shell may change a document
        if name.startswith(("LAKEALERTS_", "DATABRICKS_")) or name in (SLACK_ENV, PAGERDUTY_ENV):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    if REGENERATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        where = subprocess.run([sys.executable, "-c", "import lakealerts; print(lakealerts.__file__)"],
                               capture_output=True, text=True, check=True)  # fmt: skip
        with capsys.disabled():
            print(f"\nregenerating {GOLDEN} with lakealerts from {where.stdout.strip()}")
    rules, destinations = tmp_path / "rules.yaml", tmp_path / "destinations.yaml"
    rules.write_text(yaml.safe_dump(RULES, sort_keys=False))
    destinations.write_text(yaml.safe_dump(DESTINATIONS, sort_keys=False))

    with http_recorder() as slack, stand_in(tmp_path / "standin", tmp_path / "serve.log") as workspace:
        monkeypatch.setenv(SLACK_ENV, slack.url + "/slack")  # ops_slack is SENT; pager has no key: FAILED
        replacements = {str(cli.home.resolve()): "<home>", str(cli.home): "<home>", str(tmp_path.resolve()): "<tmp>",
                        str(tmp_path): "<tmp>", workspace: "<url>", slack.url: "<url>"}  # fmt: skip
        contract = Contract(cli, replacements)
        contract.check("init", "init", "--json")
        contract.check("seed", "seed", "--json")
        contract.check("demo_data", "demo-data", "--rows", "1000", "--as-of", AS_OF, "--json")
        contract.check("destinations_import", "destinations", "import", str(destinations), "--json")
        contract.check("rules_import", "rules", "import", str(rules), "--json")
        contract.check("rules_list", "rules", "list", "--json")
        contract.check("rules_show", "rules", "show", "COST-001", "--json")
        contract.check("destinations_list", "destinations", "list", "--json")
        contract.check("validate", "validate", "--json")
        contract.check("eval", "eval", "--at", PREVIEW_AT, "--json")
        contract.check("eval_notify_first", "eval", "--at", FIRST_NOTIFY_AT, "--notify", "--json")
        contract.check("eval_notify_second", "eval", "--at", SECOND_NOTIFY_AT, "--notify", "--json")
        contract.check("history", "history", "--json")
        contract.check("plan", "plan", "--host", workspace, "--warehouse-id", "local", "--json")
        contract.check("destinations_sync", "destinations", "sync", "--host", workspace, "--json")
        contract.check("sync", "sync", "--host", workspace, "--warehouse-id", "local", "--json")
        contract.check("plan_after_sync", "plan", "--host", workspace, "--warehouse-id", "local", "--json")
        contract.check("rules_show_after_sync", "rules", "show", "GOOD-1", "--json")

    if contract.differences:
        changed = "\n\n".join(contract.differences)
        pytest.fail(
            f"{len(contract.differences)} of {len(contract.names)} documents changed:\n\n{changed}", pytrace=False
        )
    assert [r.path for r in slack.requests] == ["/slack", "/slack"]  # trigger, then back to OK
    if not REGENERATE:
        recorded = sorted(path.stem for path in GOLDEN.glob("*.json"))
        assert recorded == sorted(contract.names), "golden files without a command (or the reverse)"
