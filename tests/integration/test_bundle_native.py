"""Bundle-native alerts (issue 20): the resource loader ``lakealerts.bundle.resources:load_resources`` run the way
the Databricks CLI runs it — ``python -m databricks.bundles.build --phase load_resources`` in the bundle root,
with an input document shaped like the CLI's (target selected, variable values set, lookups not yet resolved) —
on examples/bundle-native/.

Its output validates against the bundle schema (tests/fixtures/reference) and holds every valid rule; a file
with a bad rule yields exactly one error diagnostic, naming the file, rule, field and fix, and the other alerts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from databricks.bundles.core import Bundle, Location, Resources, Severity

from lakealerts.bundle.export import export_bundle
from lakealerts.bundle.resources import load_resources
from lakealerts.documents import parse_destinations, parse_rules
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.sql.identifiers import Namespace
from lakealerts.store.store import Store
from tests.bundle_files import ALERT_DEFINITION, ROOT, schema_errors
from tests.conftest import Cli

pytestmark = pytest.mark.integration
EXAMPLE = ROOT / "examples" / "bundle-native"
EXAMPLE_RULES = ("TEAM-COST-001", "TEAM-COST-002", "TEAM-REL-001")
WAREHOUSE = "0123456789abcdef"
BROKEN_FILE = """\
- alert_id: TEAM-QUAL-001
  alert_name: Stale orders
  agent_domain: QUALITY
  severity: WARNING
  alert_query_template: SELECT MAX(ingested_at) AS last_load FROM ${catalog}.${gold_schema}.orders
  threshold_column: last_load
  threshold_operator: IS_NULL
  threshold_value_type: STRING
  schedule_cron: 0 0 * * * ?
  notification_channels: [team_slack]
  owner: data@example.com
- alert_id: TEAM-QUAL-002
  alert_name: Too many rejected rows
  agent_domain: QUALITY
  severity: WARNING
  alert_query_template: SELECT COUNT(*) AS rejected_rows FROM ${catalog}.${gold_schema}.orders_rejected
  threshold_column: rejected_row
  threshold_operator: ">"
  threshold_value_type: DOUBLE
  threshold_value_double: 100
  schedule_cron: 0 0 * * * ?
  owner: data@example.com
"""


@dataclass(frozen=True)
class BuildRun:
    """What ``databricks.bundles.build`` wrote: its exit code, the bundle, the diagnostics and the locations."""

    code: int
    output: dict[str, Any]
    diagnostics: list[dict[str, Any]]
    locations: list[dict[str, Any]]
    stderr: str

    @property
    def alerts(self) -> dict[str, Any]:
        """``resources.alerts`` of the output."""
        alerts: dict[str, Any] = self.output.get("resources", {}).get("alerts", {})
        return alerts

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The error diagnostics."""
        return [d for d in self.diagnostics if d["severity"] == "error"]


def cli_input(root: Path, target: str, values: dict[str, str]) -> dict[str, Any]:
    """The document the CLI hands to the loader: databricks.yml with ``target`` merged and the ``targets``
    section gone, ``bundle.target`` set, each variable's ``value`` set from ``--var`` or its default (lookups
    have none yet), and the workspace paths the CLI derives."""
    config = yaml.safe_load((root / "databricks.yml").read_text(encoding="utf-8"))
    chosen = config.pop("targets")[target]
    config["bundle"] = {**config["bundle"], "target": target, "mode": chosen.get("mode")}
    for name, spec in config["variables"].items():
        value = values.get(name, spec.get("default"))
        if value is not None:
            spec["value"] = value
    root_path = f"/Workspace/Users/dev@example.com/.bundle/{config['bundle']['name']}/{target}"
    config["workspace"] = {**chosen.get("workspace", {"root_path": root_path})}
    config["workspace"]["file_path"] = config["workspace"]["root_path"] + "/files"
    return dict(config)


def run_build(root: Path, tmp_path: Path, target: str = "dev", **values: str) -> BuildRun:
    """``python -m databricks.bundles.build --phase load_resources`` in ``root``, as the CLI calls it."""
    files = {name: tmp_path / f"{name}.json" for name in ("input", "output", "diagnostics", "locations")}
    files["input"].write_text(json.dumps(cli_input(root, target, {"warehouse_id": WAREHOUSE, **values})))
    arguments = [argument for name, path in files.items() for argument in (f"--{name}", str(path))]
    done = subprocess.run(
        [sys.executable, "-m", "databricks.bundles.build", "--phase", "load_resources", *arguments],
        cwd=root, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    lines = {name: files[name].read_text().splitlines() for name in ("diagnostics", "locations")}
    return BuildRun(
        done.returncode,
        json.loads(files["output"].read_text()),
        [json.loads(line) for line in lines["diagnostics"] if line],
        [json.loads(line) for line in lines["locations"] if line],
        done.stderr,
    )


def as_the_user_wrote_it(output: dict[str, Any]) -> dict[str, Any]:
    """The output without the keys the CLI keeps for itself (``bundle.target``/``mode``, ``variables.*.value``),
    which the public schema does not list."""
    document: dict[str, Any] = json.loads(json.dumps(output))
    for key in ("target", "mode"):
        document["bundle"].pop(key, None)
    for spec in document.get("variables", {}).values():
        spec.pop("value", None)
    return document


@pytest.fixture(scope="module")
def example_run(tmp_path_factory: pytest.TempPathFactory) -> BuildRun:
    return run_build(EXAMPLE, tmp_path_factory.mktemp("build"))


def test_the_example_bundle_declares_the_loader_and_its_variables() -> None:
    config = yaml.safe_load((EXAMPLE / "databricks.yml").read_text())
    assert config["python"] == {"venv_path": ".venv", "resources": ["lakealerts.bundle.resources:load_resources"]}
    assert config["variables"]["destination_team_slack"]["lookup"] == {
        "notification_destination": "Team Slack (lakealerts)"
    }
    assert schema_errors(config) == []


def test_loader_output_validates_and_holds_every_valid_rule(example_run: BuildRun) -> None:
    assert example_run.code == 0, example_run.stderr
    assert example_run.diagnostics == []
    assert sorted(example_run.alerts) == sorted(EXAMPLE_RULES)
    assert schema_errors(as_the_user_wrote_it(example_run.output)) == []
    for key, alert in example_run.alerts.items():
        assert schema_errors(alert, ALERT_DEFINITION) == [], key


def test_loaded_alerts_are_the_rules_as_a_bundle_deploys_them(example_run: BuildRun) -> None:
    alerts = example_run.alerts
    cost = alerts["TEAM-COST-001"]
    assert cost["display_name"] == "[WARNING] Serverless SQL cost above budget"
    assert cost["warehouse_id"] == "${var.warehouse_id}"  # the CLI resolves it after the loader
    assert "`monitoring`.`gold`.billing_usage" in cost["query_text"]
    assert cost["evaluation"]["threshold"] == {"value": {"double_value": 1000.0}}
    assert cost["evaluation"]["notification"]["subscriptions"] == [
        {"destination_id": "${var.destination_team_slack}"},
        {"user_email": "finops@example.com"},
    ]
    assert cost["schedule"] == {"quartz_cron_schedule": "0 0 8 * * ?", "timezone_id": "Europe/Berlin"}
    assert alerts["TEAM-COST-002"]["schedule"]["pause_status"] == "PAUSED"
    assert all("parent_path" not in alert for alert in alerts.values())
    reliability = alerts["TEAM-REL-001"]
    assert reliability["run_as"] == {"user_name": "sre-alerts@example.com"}
    assert reliability["custom_summary"] == "CRITICAL {{ALERT_NAME}}: {{QUERY_RESULT_VALUE}} failed runs"
    locations = {entry["path"]: (entry["file"], entry.get("line")) for entry in example_run.locations}
    assert locations["resources.alerts.TEAM-COST-002"] == ("rules/cost.yaml", 21)


def test_every_rule_of_the_example_is_valid_and_enabled() -> None:
    documents = [d for path in sorted((EXAMPLE / "rules").glob("*.yaml")) for d in yaml.safe_load(path.read_text())]
    parsed = parse_rules(documents)
    assert parsed.problems == [] and sorted(rule.alert_id for rule in parsed.valid) == sorted(EXAMPLE_RULES)
    assert all(rule.is_enabled for rule in parsed.valid)  # a disabled rule would be left out silently


def test_a_file_with_a_bad_rule_gives_one_error_and_the_other_alerts(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(EXAMPLE, bundle)
    (bundle / "rules" / "quality.yaml").write_text(BROKEN_FILE)
    run = run_build(bundle, tmp_path)
    assert run.code == 1  # an error: the CLI stops before it deploys anything
    (error,) = run.errors
    assert sorted(run.alerts) == sorted([*EXAMPLE_RULES, "TEAM-QUAL-001"])
    # Located at the field's line (threshold_column, line 17), not the rule's first line (12).
    assert error["summary"].startswith("lakealerts: rule TEAM-QUAL-002 (rules/quality.yaml:17) is not deployed: ")
    assert "threshold_column: " in error["summary"] and "'rejected_row'" in error["summary"]
    assert "(fix: " in error["summary"] and "rejected_rows" in error["summary"]  # the column the query has
    assert error["location"] == {"file": "rules/quality.yaml", "line": 17, "column": 1}
    assert error["detail"].startswith("THRESHOLD_COLUMN_NOT_IN_OUTPUT threshold_column: ")


def test_with_invalid_rules_as_warnings_the_valid_alerts_deploy(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(EXAMPLE, bundle)
    (bundle / "rules" / "quality.yaml").write_text(BROKEN_FILE)
    config = yaml.safe_load((bundle / "databricks.yml").read_text())
    config["variables"]["lakealerts_invalid_rules"] = {"default": "warning"}
    (bundle / "databricks.yml").write_text(yaml.safe_dump(config))
    run = run_build(bundle, tmp_path)
    assert run.code == 0 and run.errors == []
    (warning,) = run.diagnostics
    assert warning["severity"] == "warning" and "TEAM-QUAL-002" in warning["summary"]
    assert "TEAM-QUAL-002" not in run.alerts and "TEAM-QUAL-001" in run.alerts


# --- the loader in process: what it reads, and each problem as one diagnostic naming the fix -----------------


def load_in(bundle: Path, monkeypatch: pytest.MonkeyPatch, **variables: str | None) -> Resources:
    """``load_resources`` as the build module calls it, in ``bundle`` (the CLI's working directory)."""
    monkeypatch.chdir(bundle)
    declared = {"warehouse_id": WAREHOUSE, "destination_team_slack": None, **variables}
    return load_resources(Bundle(target="dev", variables=declared))


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    copy = tmp_path / "bundle"
    shutil.copytree(EXAMPLE, copy)
    return copy


def summaries(resources: Resources) -> list[str]:
    return [item.summary for item in resources.diagnostics.items]


def test_catalog_and_schema_variables_render_the_sql(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    resources = load_in(bundle, monkeypatch, catalog="prod_monitoring", gold_schema="finops")
    assert not resources.diagnostics.items
    assert "`prod_monitoring`.`finops`.billing_usage" in str(resources.alerts["TEAM-COST-001"].query_text)


def test_an_undeclared_destination_variable_names_the_lookup_to_add(
    bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(bundle)
    resources = load_resources(Bundle(target="dev", variables={"warehouse_id": WAREHOUSE}))
    assert sorted(resources.alerts) == ["TEAM-COST-002"]  # the only rule that notifies no destination
    problems = summaries(resources)
    assert len(problems) == 2 and all("notification_channels: destination 'team_slack'" in p for p in problems)
    lookup = "variables: {destination_team_slack: {lookup: {notification_destination: 'Team Slack (lakealerts)'}}}"
    assert lookup in problems[0]


def test_an_unknown_channel_names_the_destinations_folder(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (bundle / "destinations" / "slack.yaml").unlink()
    (problem, second) = summaries(load_in(bundle, monkeypatch))
    assert "channel 'team_slack' is neither an e-mail address nor a known destination_id" in problem
    assert "add the destination to a file in destinations/" in problem and "TEAM-REL-001" in second


def test_an_alert_id_repeated_in_another_file_is_one_error_for_the_later(
    bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = yaml.safe_load((bundle / "rules" / "cost.yaml").read_text())
    (bundle / "rules" / "zz-copy.yaml").write_text(yaml.safe_dump([{**rules[0], "alert_name": "Another name"}]))
    resources = load_in(bundle, monkeypatch)
    assert sorted(resources.alerts) == sorted(EXAMPLE_RULES)
    (problem,) = summaries(resources)
    line = (bundle / "rules" / "zz-copy.yaml").read_text().splitlines().index("  alert_id: TEAM-COST-001") + 1
    assert problem.startswith(f"lakealerts: rule TEAM-COST-001 (rules/zz-copy.yaml:{line}) is not deployed: alert_id: ")
    assert "already defined in rules/cost.yaml:2" in problem


def test_an_unreadable_file_is_one_error_and_the_other_files_load(
    bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (bundle / "rules" / "broken.yml").write_text("- alert_id: [\n")
    resources = load_in(bundle, monkeypatch)
    assert sorted(resources.alerts) == sorted(EXAMPLE_RULES)
    (problem,) = resources.diagnostics.items
    assert problem.summary.startswith("lakealerts: rules/broken.yml:2: nothing in it is deployed: rules/broken.yml is")
    assert problem.location == Location(file="rules/broken.yml", line=2, column=1)


def test_a_disabled_rule_is_left_out_silently(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = bundle / "rules" / "reliability.yaml"
    path.write_text(path.read_text() + "  is_enabled: false\n")
    resources = load_in(bundle, monkeypatch)
    assert "TEAM-REL-001" not in resources.alerts and not resources.diagnostics.items


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"warehouse_id": None}, "the bundle declares no variable 'warehouse_id'"),
        ({"lakealerts_invalid_rules": "ignore"}, "variable 'lakealerts_invalid_rules' is 'ignore'"),
        ({"catalog": "${var.other}"}, "variable 'catalog' is '${var.other}'; the loader needs a plain text value"),
        ({"gold_schema": "gold; DROP"}, "invalid schema name 'gold; DROP'"),
        ({"lakealerts_rules_dir": "alerts"}, "folder 'alerts' not found in the bundle"),
    ],
)
def test_a_bundle_the_loader_cannot_read_is_one_error_and_no_alert(
    bundle: Path, monkeypatch: pytest.MonkeyPatch, variables: dict[str, str | None], message: str
) -> None:
    if variables == {"warehouse_id": None}:
        monkeypatch.chdir(bundle)
        resources = load_resources(Bundle(target="dev", variables={}))
    else:
        resources = load_in(bundle, monkeypatch, **variables)
    (problem,) = resources.diagnostics.items
    assert problem.severity is Severity.ERROR and message in problem.summary
    assert not resources.alerts


def test_the_bundles_files_are_validated_tested_and_backtested_like_any_rules(cli: Cli) -> None:
    """`validate`, `test` and `backtest` work on the files a bundle-native deploy reads, as on any rule."""
    assert cli("destinations", "import", str(EXAMPLE / "destinations" / "slack.yaml")).code == 0
    assert cli("rules", "import", *(str(p) for p in sorted((EXAMPLE / "rules").glob("*.yaml")))).code == 0
    assert cli("demo-data", "--rows", "1000", "--as-of", "2026-11-27").code == 0
    validated = cli("validate", "--json")
    assert validated.code == 0 and [r["alert_id"] for r in validated.json() if r["is_valid"]] == list(EXAMPLE_RULES)
    tested = cli("test", str(EXAMPLE / "tests"), "--json")
    assert tested.code == 0 and (tested.json()["passed"], tested.json()["failed"]) == (2, 0)
    window = ("--from", "2026-11-20T00:00:00Z", "--to", "2026-11-27T00:00:00Z")
    backtested = cli("backtest", "TEAM-COST-001", "TEAM-REL-001", *window, "--json")
    assert backtested.code == 0, backtested.stderr
    summaries = {r["alert_id"]: r["summary"] for r in backtested.json()["rules"]}
    assert summaries["TEAM-COST-001"]["evaluations"] == 7 and summaries["TEAM-REL-001"]["evaluations"] == 336


def test_the_loader_and_rules_export_write_the_same_alerts(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One mapping: the files imported into a store and exported give what the loader gives from the files."""
    read = [yaml.safe_load(path.read_text()) for path in sorted((EXAMPLE / "rules").glob("*.yaml"))]
    rules = parse_rules([document for documents in read for document in documents]).valid
    destinations = parse_destinations(yaml.safe_load((EXAMPLE / "destinations" / "slack.yaml").read_text())).valid
    with DuckDBEngine.memory("monitoring") as engine:
        store = Store(engine, Namespace("monitoring", "gold"), "tester")
        store.init()
        store.upsert_destinations(destinations, datetime(2026, 11, 27, tzinfo=UTC))
        store.upsert_rules(rules, datetime(2026, 11, 27, tzinfo=UTC))
        export = export_bundle(store.load_rules(), store.load_destinations(), Namespace("monitoring", "gold"))
    loaded = load_in(bundle, monkeypatch)
    assert {key: alert.as_dict() for key, alert in loaded.alerts.items()} == export.document["resources"]["alerts"]
    assert set(export.document["variables"]) == {"destination_team_slack"}
    declared = yaml.safe_load((EXAMPLE / "databricks.yml").read_text())["variables"]["destination_team_slack"]
    assert declared["lookup"] == export.document["variables"]["destination_team_slack"]["lookup"]


def test_an_unreadable_file_stays_an_error_when_invalid_rules_are_warnings(
    bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Leaving a broken file out would delete every alert it held: that is never only a warning."""
    (bundle / "rules" / "cost.yaml").write_text("- alert_id: [\n")
    resources = load_in(bundle, monkeypatch, lakealerts_invalid_rules="warning")
    (problem,) = resources.diagnostics.items
    assert problem.severity is Severity.ERROR and "rules/cost.yaml" in problem.summary
    assert sorted(resources.alerts) == ["TEAM-REL-001"]


# --- review findings: text the CLI would interpolate, paths outside the bundle, files that hold nothing ---------

RELIABILITY = yaml.safe_load((EXAMPLE / "rules" / "reliability.yaml").read_text())[0]
STRING_RULE = {
    "alert_id": "TEAM-STR-001", "alert_name": "Last run state", "agent_domain": "RELIABILITY", "severity": "INFO",
    "alert_query_template": "SELECT 'FAILED' AS state", "threshold_column": "state", "threshold_operator": "=",
    "threshold_value_type": "STRING", "threshold_value_string": "FAILED", "schedule_cron": "0 0 * * * ?",
    "notification_channels": ["sre@example.com"], "owner": "sre@example.com",
}  # fmt: skip


def export_of(documents: list[dict[str, Any]]) -> Any:
    """``rules export --format bundle`` of rule documents (with the example's destination), from a store."""
    destinations = parse_destinations(yaml.safe_load((EXAMPLE / "destinations" / "slack.yaml").read_text())).valid
    parsed = parse_rules(documents)
    assert parsed.problems == []
    with DuckDBEngine.memory("monitoring") as engine:
        store = Store(engine, Namespace("monitoring", "gold"), "tester")
        store.init()
        store.upsert_destinations(destinations, datetime(2026, 11, 27, tzinfo=UTC))
        store.upsert_rules(parsed.valid, datetime(2026, 11, 27, tzinfo=UTC))
        return export_bundle(store.load_rules(), store.load_destinations(), Namespace("monitoring", "gold"))


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({**RELIABILITY, "alert_name": "Failed runs in ${bundle.target}"}, "alert_name"),
        ({**RELIABILITY, "alert_description": "See ${var.warehouse_id}"}, "alert_description"),
        ({**RELIABILITY, "custom_subject_template": "{{SEVERITY}} ${currency}"}, "custom_subject_template"),
        ({**RELIABILITY, "custom_body_template": "Rule {{ALERT_ID}} in ${workspace.host}"}, "custom_body_template"),
        ({**STRING_RULE, "threshold_value_string": "${var.warehouse_id}"}, "threshold_value_string"),
        ({**RELIABILITY, "owner": "sre-${bundle.target}@example.com"}, "owner"),
        ({**STRING_RULE, "alert_query_template": "SELECT '${' AS state"}, "alert_query_template"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_text_the_cli_would_interpolate_is_one_error_and_not_deployed_nor_exported(
    bundle: Path, monkeypatch: pytest.MonkeyPatch, rule: dict[str, Any], field: str
) -> None:
    (bundle / "rules" / "reliability.yaml").write_text(yaml.safe_dump([rule], sort_keys=False))
    resources = load_in(bundle, monkeypatch)
    assert rule["alert_id"] not in resources.alerts and sorted(resources.alerts) == ["TEAM-COST-001", "TEAM-COST-002"]
    (problem,) = resources.diagnostics.items
    line = [n for n, text in enumerate(yaml.safe_dump([rule], sort_keys=False).splitlines(), 1) if f" {field}:" in text]
    assert problem.severity is Severity.ERROR and problem.location == Location(
        file="rules/reliability.yaml", line=line[0], column=1
    )
    assert problem.summary.startswith(f"lakealerts: rule {rule['alert_id']} (rules/reliability.yaml:{line[0]}) is ")
    fix = f"(fix: remove `${{…}}` from {field}: `databricks bundle deploy` would replace it; Databricks' own"
    assert f"is not deployed: {field}: " in problem.summary and fix in problem.summary
    assert "template variables are {{…}})" in problem.summary
    export = export_of([rule])
    assert export.alerts == {}
    ((alert_id, reason),) = export.skipped
    assert alert_id == rule["alert_id"] and reason.startswith(f"{field}: remove `${{…}}` from {field}: ")


def test_the_rendered_sql_is_checked_for_what_the_cli_would_interpolate(
    bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rule = {**STRING_RULE, "alert_query_template": "SELECT ${label} AS state"}
    (bundle / "rules" / "reliability.yaml").write_text(yaml.safe_dump([rule]))
    resources = load_in(bundle, monkeypatch, lakealerts_var_label="'${bundle.target}'")
    (problem,) = summaries(resources)
    assert "alert_query_template: the rendered SQL holds `${bundle.target}`" in problem
    assert "TEAM-STR-001" not in resources.alerts


def test_a_bundle_variable_renders_a_template_variable(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = bundle / "rules" / "cost.yaml"
    path.write_text(path.read_text().replace("${gold_schema}.billing_usage", "${finops_schema}.billing_usage", 1))
    undeclared = load_in(bundle, monkeypatch)
    (problem,) = summaries(undeclared)
    assert "alert_query_template: unknown template variable ${finops_schema}" in problem
    assert "declare the bundle variable lakealerts_var_finops_schema in databricks.yml" in problem
    assert "--var" not in problem and "TEAM-COST-001" not in undeclared.alerts
    declared = load_in(bundle, monkeypatch, lakealerts_var_finops_schema="finops")
    assert not declared.diagnostics.items
    assert "`monitoring`.`finops`.billing_usage" in str(declared.alerts["TEAM-COST-001"].query_text)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"lakealerts_var_finops_schema": "fin; DROP TABLE x"}, "variable lakealerts_var_finops_schema: invalid value"),
        ({"lakealerts_var_catalog": "other"}, "variable 'lakealerts_var_catalog' would set ${catalog}"),
        ({"lakealerts_var_x": "${var.y}"}, "variable 'lakealerts_var_x' is '${var.y}'"),
    ],
)
def test_a_bad_template_variable_of_the_bundle_is_one_error_and_no_alert(
    bundle: Path, monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    resources = load_in(bundle, monkeypatch, **variables)
    (problem,) = resources.diagnostics.items
    assert problem.severity is Severity.ERROR and message in problem.summary and not resources.alerts


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder next to the bundle, outside its root, holding a valid rule file."""
    folder = tmp_path / "outside"
    folder.mkdir()
    shutil.copy(EXAMPLE / "rules" / "reliability.yaml", folder / "outside.yaml")
    return folder


@pytest.mark.parametrize("value", ["../outside", "ABSOLUTE", ".", "rules/../.."])
def test_a_rules_folder_outside_the_bundle_root_is_one_error_naming_the_variable(
    bundle: Path, monkeypatch: pytest.MonkeyPatch, outside: Path, value: str
) -> None:
    resources = load_in(bundle, monkeypatch, lakealerts_rules_dir=str(outside) if value == "ABSOLUTE" else value)
    (problem,) = resources.diagnostics.items
    assert problem.severity is Severity.ERROR and "variable lakealerts_rules_dir is " in problem.summary
    assert not resources.alerts


def test_a_destinations_folder_outside_the_bundle_root_is_one_error(
    bundle: Path, monkeypatch: pytest.MonkeyPatch, outside: Path
) -> None:
    resources = load_in(bundle, monkeypatch, lakealerts_destinations_dir="../outside")
    problems = [p for p in summaries(resources) if "variable lakealerts_destinations_dir is '../outside'" in p]
    assert len(problems) == 1


def test_links_leading_out_of_the_bundle_are_refused(
    bundle: Path, monkeypatch: pytest.MonkeyPatch, outside: Path
) -> None:
    (bundle / "rules" / "reliability.yaml").unlink()
    (bundle / "rules" / "linked.yaml").symlink_to(outside / "outside.yaml")
    resources = load_in(bundle, monkeypatch)
    (problem,) = summaries(resources)
    assert "cannot read rules/linked.yaml: it links to " in problem and "outside the bundle root" in problem
    assert "TEAM-REL-001" not in resources.alerts
    shutil.rmtree(bundle / "rules")
    (bundle / "rules").symlink_to(outside)
    resources = load_in(bundle, monkeypatch)
    (problem,) = summaries(resources)
    assert "variable lakealerts_rules_dir is 'rules', outside the bundle root" in problem and not resources.alerts


def test_a_link_to_a_folder_inside_the_bundle_is_read(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (bundle / "rules").rename(bundle / "shared-rules")
    (bundle / "rules").symlink_to(bundle / "shared-rules")
    resources = load_in(bundle, monkeypatch)
    assert not resources.diagnostics.items and sorted(resources.alerts) == sorted(EXAMPLE_RULES)


@pytest.mark.parametrize("kind", ["dangling link", "fifo", "device", "folder"])
def test_a_rule_file_that_is_not_a_file_is_one_error(bundle: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    path = bundle / "rules" / "odd.yaml"
    if kind == "dangling link":
        path.symlink_to(bundle / "missing.yaml")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/null")
    else:
        path.mkdir()
        shutil.copy(EXAMPLE / "rules" / "cost.yaml", path / "nested.yaml")
    resources = load_in(bundle, monkeypatch)
    (problem,) = resources.diagnostics.items
    assert problem.severity is Severity.ERROR
    assert problem.summary.startswith("lakealerts: rules/odd.yaml: nothing in it is deployed: cannot read rules/odd")
    assert sorted(resources.alerts) == sorted(EXAMPLE_RULES)


def test_sub_folders_are_not_read(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (bundle / "rules" / "more").mkdir()
    shutil.copy(EXAMPLE / "rules" / "cost.yaml", bundle / "rules" / "more" / "cost.yaml")
    resources = load_in(bundle, monkeypatch)
    assert not resources.diagnostics.items and sorted(resources.alerts) == sorted(EXAMPLE_RULES)


@pytest.mark.parametrize("text", ["", "# all rules moved elsewhere\n", "[]\n"])
def test_a_rule_file_that_holds_no_rules_is_one_error(bundle: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    (bundle / "rules" / "cost.yaml").write_text(text)
    resources = load_in(bundle, monkeypatch, lakealerts_invalid_rules="warning")
    (problem,) = resources.diagnostics.items
    assert problem.severity is Severity.ERROR
    assert problem.summary == (
        "lakealerts: rules/cost.yaml: nothing in it is deployed: rules/cost.yaml holds no rules (fix: remove the "
        "file, or add rules — its alerts would be deleted by this deploy)"
    )


def test_a_duplicate_key_is_located_at_its_line_and_column(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = bundle / "rules" / "reliability.yaml"
    path.write_text(path.read_text() + "  owner: other@example.com\n")
    (problem,) = load_in(bundle, monkeypatch).diagnostics.items
    assert problem.location == Location(file="rules/reliability.yaml", line=24, column=3)
    assert problem.summary.startswith("lakealerts: rules/reliability.yaml:24: nothing in it is deployed: ")


def test_an_alert_id_read_as_a_date_is_shown_as_written(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = bundle / "rules" / "reliability.yaml"
    path.write_text(path.read_text().replace("alert_id: TEAM-REL-001", "alert_id: 2026-01-01"))
    (problem,) = summaries(load_in(bundle, monkeypatch))
    assert problem.startswith("lakealerts: rule 2026-01-01 (rules/reliability.yaml:1) is not deployed: alert_id: ")


def test_the_export_quotes_strings_yaml_1_2_would_read_as_another_type() -> None:
    documents = [
        {**STRING_RULE, "alert_id": alert_id, "alert_name": f"Rule {alert_id}", "threshold_value_string": value}
        for alert_id, value in [("1e3", "0o17"), ("0x1F", ".inf"), ("12", "on"), ("1_000", "True"), ("x", "1e-3")]
    ]
    export = export_of(documents)
    text = export.to_yaml()
    for quoted in ["'1e3':", "'0o17'", "'0x1F':", "'.inf'", "'12':", "'on'", "'1_000':", "'True'", "'1e-3'"]:
        assert quoted in text, quoted
    assert yaml.safe_load(text) == export.document
