"""The bundle's job functions on DuckDB, called exactly as their notebooks call them (issue 9, "Done when").

Each job's parameters are read from its YAML (variables resolved as ``bundle deploy -t dev`` resolves them) and
the function is the one its notebook calls, so the YAML, the notebook and ``lakealerts.bundle.jobs`` cannot drift
apart unnoticed. Jobs that talk to Databricks talk to the workspace stand-in through the real SDK client.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from databricks.sdk import WorkspaceClient

from lakealerts.app.settings import Settings
from lakealerts.bundle import jobs
from lakealerts.catalog import load_rules
from lakealerts.demo.generator import generate
from lakealerts.demo.model import MIN_ROWS, DemoPlan
from lakealerts.documents import parse_destinations
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.errors import EngineError, SetupError, UsageError
from lakealerts.serve import StandIn
from lakealerts.sql.identifiers import Namespace
from lakealerts.store.store import Store
from lakealerts.store.tables import ALERT_VALIDATION_RESULTS, ALL_TABLES
from lakealerts.sync.client import workspace_client
from tests.builders import make_rule
from tests.bundle_files import WORKSPACE_VALUES, job_parameters, local_copy, notebook_call, notebook_of

pytestmark = pytest.mark.integration
TOKEN = "jobs-test-token-51c2"
NAMESPACE = Namespace("monitoring", "gold")
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
SLACK_URL = "https://hooks.slack.com/services/T0001/B0001/n0tebook-s3cret"


def run_job(job: str, engine: DuckDBEngine, **services: Any) -> dict[str, Any]:
    """Call the function the job's notebook calls, with the parameters the job passes (plus services)."""
    function = getattr(jobs, notebook_call(notebook_of(job)).function)
    if "clock" in inspect.signature(function).parameters:
        services = {"clock": lambda: NOW, **services}
    result: dict[str, Any] = function(engine, **local_parameters(job), **services)
    return result


def local_parameters(job: str) -> dict[str, str]:
    """The job's parameters, with paths into the bundle's synced files (``${workspace.file_path}/…``) pointing
    at the repository's copy, which is what ``bundle deploy`` uploads there."""
    files = WORKSPACE_VALUES["workspace.file_path"]
    return {
        name: str(local_copy(value)) if value.startswith(files + "/") else value
        for name, value in job_parameters(job, "dev").items()
    }


@pytest.fixture
def standin(tmp_path: Path) -> Iterator[StandIn]:
    with StandIn.start(Settings(home=tmp_path / "standin"), TOKEN) as running:
        yield running


@pytest.fixture
def client(standin: StandIn) -> WorkspaceClient:
    return workspace_client(standin.url, None, 10, env={"DATABRICKS_TOKEN": TOKEN})


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    with DuckDBEngine.memory(NAMESPACE.catalog) as duckdb:
        yield duckdb


@pytest.fixture
def gold(engine: DuckDBEngine) -> DuckDBEngine:
    """The engine with the demo gold layer, so the pre-built rules pass the engine checks."""
    generate(engine, NAMESPACE, DemoPlan(MIN_ROWS, date(2026, 3, 10)))
    return engine


def remote(client: WorkspaceClient, **extra: Any) -> dict[str, Any]:
    """The services a Databricks-facing job gets in a test: the stand-in's client, no environment secrets."""
    return {"client": client, "env": {}, **extra}


def deployed(client: WorkspaceClient, parent_path: str) -> dict[str, Any]:
    """Display name -> alert, for the alerts in ``parent_path``."""
    return {a.display_name: a for a in client.alerts_v2.list_alerts() if a.parent_path == parent_path}


def test_orchestrated_jobs_set_up_validate_and_deploy_the_prebuilt_rules(
    gold: DuckDBEngine, client: WorkspaceClient
) -> None:
    tables = run_job("alerting_tables_job", gold)
    assert tables["status"] == "SUCCEEDED" and len(tables["created_tables"]) == len(ALL_TABLES)
    imported = run_job("alerting_import_job", gold)  # the example files the bundle ships: one of each, disabled
    assert imported["files"] == ["destinations/example.yaml", "rules/example.yaml"]
    assert (imported["rules"]["inserted"], imported["destinations"]["inserted"], imported["rejected"]) == (1, 1, [])
    seed = run_job("alerting_seed_job", gold)
    assert seed["inserted"] == 29 and seed["destination"] == "created"
    notifications = run_job("alerting_notifications_job", gold, **remote(client))
    assert notifications["failed"] == 0
    assert [d.display_name for d in client.notification_destinations.list()] == ["Default alert e-mail"]
    validation = run_job("alerting_validation_job", gold)
    assert (validation["checked"], validation["valid"], validation["invalid"]) == (30, 30, 0)
    deploy = run_job("alerting_deploy_job", gold, **remote(client))
    assert (deploy["create"], deploy["failed"], deploy["success_rate"]) == (29, 0, 1.0)  # the example is disabled
    alerts = deployed(client, job_parameters("alerting_deploy_job", "dev")["parent_path"])
    assert len(alerts) == 29
    assert {a.warehouse_id for a in alerts.values()} == {job_parameters("alerting_deploy_job")["warehouse_id"]}
    again = run_job("alerting_deploy_job", gold, **remote(client))
    assert (again["create"], again["update"], again["unchanged"]) == (0, 0, 29)


def test_tables_job_is_idempotent(engine: DuckDBEngine) -> None:
    assert len(run_job("alerting_tables_job", engine)["created_tables"]) == len(ALL_TABLES)
    assert run_job("alerting_tables_job", engine)["created_tables"] == []


def test_validation_job_records_invalid_rules_and_succeeds(engine: DuckDBEngine) -> None:
    run_job("alerting_seed_job", engine)  # no gold tables: every rule fails the engine checks
    status = run_job("alerting_validation_job", engine)
    assert status["status"] == "SUCCEEDED"
    assert (status["checked"], status["invalid"]) == (29, 29)
    rows = engine.execute(
        f"SELECT run_id, error_code FROM {NAMESPACE.table(ALERT_VALIDATION_RESULTS.name)} WHERE NOT is_valid"
    ).rows
    assert {row[0] for row in rows} == {status["run_id"]}
    assert {row[1] for row in rows} == {"ENGINE_TABLE_NOT_FOUND"}


def test_deploy_job_skips_invalid_rules_and_fails_only_below_the_threshold(
    engine: DuckDBEngine, client: WorkspaceClient
) -> None:
    run_job("alerting_seed_job", engine)
    store = Store(engine, NAMESPACE, "tester")
    store.upsert_rules([make_rule(alert_id="BAD-1", alert_query_template="DELETE FROM t")], NOW)
    status = run_job("alerting_deploy_job", engine, **remote(client))
    assert (status["create"], status["invalid"], status["status"]) == (29, 1, "SUCCEEDED")
    assert status["success_rate"] == pytest.approx(29 / 30)
    assert "[WARNING] Base" not in deployed(client, job_parameters("alerting_deploy_job", "dev")["parent_path"])
    with pytest.raises(jobs.JobFailedError) as failed:
        jobs.deploy_alerts(engine, **{**job_parameters("alerting_deploy_job", "dev"), "min_success_rate": "1"},
                           **remote(client))  # fmt: skip
    assert failed.value.status["status"] == "FAILED" and failed.value.status["invalid"] == 1


def test_deploy_dry_run_plans_without_changing_the_workspace(engine: DuckDBEngine, client: WorkspaceClient) -> None:
    run_job("alerting_seed_job", engine)
    parameters = {**job_parameters("alerting_deploy_job", "dev"), "dry_run": "True"}
    status = jobs.deploy_alerts(engine, **parameters, **remote(client))
    assert (status["dry_run"], status["create"]) == (True, 29)
    assert deployed(client, parameters["parent_path"]) == {}


def test_notifications_job_resolves_databricks_secret_references(engine: DuckDBEngine, client: WorkspaceClient) -> None:
    run_job("alerting_tables_job", engine)
    slack = parse_destinations([{
        "destination_id": "slack_ops", "destination_name": "Ops Slack", "destination_type": "SLACK", "owner": "ops",
        "config_json": {"url": "{{secrets/alerting/slack_url}}"},
    }]).valid  # fmt: skip
    Store(engine, NAMESPACE, "tester").upsert_destinations(slack, NOW)
    read: list[tuple[str, str]] = []

    def dbutils_secrets_get(scope: str, key: str) -> str:
        read.append((scope, key))
        return SLACK_URL

    status = run_job("alerting_notifications_job", engine, **remote(client, secret_reader=dbutils_secrets_get))
    assert (status["destinations"], status["failed"]) == (1, 0)
    assert read == [("alerting", "slack_url")]
    assert [d.display_name for d in client.notification_destinations.list()] == ["Ops Slack"]
    # Outside a notebook there is no secret reader: the destination fails and so does the job (rate 0 < 0.9).
    with pytest.raises(jobs.JobFailedError) as failed:
        run_job("alerting_notifications_job", engine, **remote(client))
    assert failed.value.status["failed_ids"] == ["slack_ops"]


def test_jobs_need_the_tables_job_first(engine: DuckDBEngine, client: WorkspaceClient) -> None:
    with pytest.raises(SetupError, match="alerting_tables_job"):
        run_job("alerting_validation_job", engine)
    with pytest.raises(SetupError, match="alerting_tables_job"):
        run_job("alerting_deploy_job", engine, **remote(client))


@pytest.mark.parametrize(
    ("widget", "value", "message"),
    [
        ("catalog", "monitoring`; DROP TABLE x; --", "invalid catalog name"),
        ("gold_schema", "gold.other", "invalid schema name"),
        ("dry_run", "maybe", "dry_run must be true or false"),
        ("delete_policy", "shred", "delete_policy must be one of keep, trash, purge"),
        ("warehouse_id", "abc 123", "not a SQL warehouse id"),
        ("parent_path", "Shared/lakealerts", "absolute workspace folder"),
        ("parent_path", "/Workspace/Shared/../Users", "absolute workspace folder"),
        ("min_success_rate", "90%", "number from 0 to 1"),
    ],
)
def test_widget_values_are_refused_before_any_sql(widget: str, value: str, message: str) -> None:
    closed = DuckDBEngine.memory(NAMESPACE.catalog)
    closed.close()  # any statement would raise EngineError: a UsageError proves nothing ran
    parameters = {**job_parameters("alerting_deploy_job", "dev"), widget: value}
    with pytest.raises(UsageError, match=message):
        jobs.deploy_alerts(closed, **parameters, client=None)
    with pytest.raises(EngineError):
        jobs.deploy_alerts(closed, **job_parameters("alerting_deploy_job", "dev"), client=None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("True", True), (" yes ", True), ("1", True), ("on", True), ("false", False), ("No", False),
     ("0", False), ("", False), (True, True), (False, False)],
)  # fmt: skip
def test_bool_ish_widget_text(text: str | bool, expected: bool) -> None:
    assert jobs.parse_bool(text, "dry_run") is expected


def test_seed_job_force_restores_and_email_sets_the_default_destination(engine: DuckDBEngine) -> None:
    run_job("alerting_seed_job", engine)
    store = Store(engine, NAMESPACE, "tester")
    first = load_rules()[0]
    store.upsert_rules([first.model_copy(update={"alert_name": "Edited"})], NOW)
    kept = jobs.seed_rules(engine, "monitoring", "gold", force="false", email="")
    assert (kept["inserted"], kept["restored"], kept["destination"]) == (0, 0, "unchanged")
    restored = jobs.seed_rules(engine, "monitoring", "gold", force="true", email="ops@example.com")
    assert (restored["restored"], restored["destination"]) == (1, "updated")
    assert store.get_rule(first.alert_id).rule == first


# --- the import of the rule files shipped with the bundle ---------------------------------------------------


def shipped(tmp_path: Path, rules: str, destinations: str | None = None) -> dict[str, str]:
    """Folders ``rules/`` (one file) and ``destinations/`` (one file, or none) like the bundle ships them."""
    folders = {"rules_dir": tmp_path / "rules", "destinations_dir": tmp_path / "destinations"}
    for folder in folders.values():
        folder.mkdir()
    (folders["rules_dir"] / "team.yaml").write_text(rules, encoding="utf-8")
    (folders["rules_dir"] / "notes.md").write_text("not a rule file", encoding="utf-8")
    if destinations is not None:
        (folders["destinations_dir"] / "team.yml").write_text(destinations, encoding="utf-8")
    return {name: str(folder) for name, folder in folders.items()}


TEAM_RULE = """
- {alert_id: TEAM-1, alert_name: Team rule, agent_domain: COST, severity: INFO, alert_query_template: SELECT 1 AS x,
   threshold_column: x, threshold_operator: '>', threshold_value_type: DOUBLE, threshold_value_double: 0,
   schedule_cron: '0 0 8 * * ?', owner: team@example.com, notification_channels: [team_mail],
   run_as: 6f1c0a52-0d3e-4c8e-9a57-3b1f2f9c4d10}
"""
TEAM_DESTINATION = """
- {destination_id: team_mail, destination_name: Team mail, destination_type: EMAIL,
   config_json: {addresses: [team@example.com]}, owner: team@example.com}
"""


def test_import_job_stores_the_shipped_destinations_and_rules_before_validation(
    engine: DuckDBEngine, tmp_path: Path
) -> None:
    run_job("alerting_tables_job", engine)
    folders = shipped(tmp_path, TEAM_RULE, TEAM_DESTINATION)
    status = jobs.import_rule_files(engine, "monitoring", "gold", **folders, clock=lambda: NOW)
    assert status["files"] == ["destinations/team.yml", "rules/team.yaml"]
    assert (status["rules"]["inserted"], status["destinations"]["inserted"]) == (1, 1)
    store = Store(engine, NAMESPACE, "tester")
    assert store.get_rule("TEAM-1").rule.run_as == "6f1c0a52-0d3e-4c8e-9a57-3b1f2f9c4d10"
    assert [d.destination.destination_id for d in store.load_destinations()] == ["team_mail"]
    validation = run_job("alerting_validation_job", engine)
    assert validation["checked"] == 1
    again = jobs.import_rule_files(engine, "monitoring", "gold", **folders, clock=lambda: NOW)
    assert (again["rules"]["unchanged"], again["destinations"]["unchanged"]) == (1, 1)


def test_import_job_fails_on_a_rejected_document_after_storing_the_valid_ones(
    engine: DuckDBEngine, tmp_path: Path
) -> None:
    run_job("alerting_tables_job", engine)
    folders = shipped(tmp_path, TEAM_RULE + "- {alert_id: TEAM-2, severity: URGENT}\n", TEAM_DESTINATION)
    with pytest.raises(jobs.JobFailedError) as failed:
        jobs.import_rule_files(engine, "monitoring", "gold", **folders, clock=lambda: NOW)
    status = failed.value.status
    assert status["status"] == "FAILED" and status["rules"]["rejected"] == 1
    assert {problem["id"] for problem in status["rejected"]} == {"TEAM-2"}
    assert "URGENT" in {problem["message"] for problem in status["rejected"] if problem["field"] == "severity"}.pop()
    assert Store(engine, NAMESPACE, "tester").get_rule("TEAM-1")


def test_import_job_skips_an_empty_folder_widget_and_refuses_a_missing_folder(
    engine: DuckDBEngine, tmp_path: Path
) -> None:
    folders = shipped(tmp_path, TEAM_RULE)
    status = jobs.import_rule_files(engine, "monitoring", "gold", rules_dir="", destinations_dir="")
    assert status["files"] == [] and status["rules"]["inserted"] == 0
    with pytest.raises(UsageError, match="widget rules_dir is not a folder"):
        jobs.import_rule_files(engine, "monitoring", "gold", rules_dir=str(tmp_path / "nope"),
                               destinations_dir=folders["destinations_dir"])  # fmt: skip
