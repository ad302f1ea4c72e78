"""The asset bundle (issues 9 and 14): every file validates against the reference bundle schema, each notebook belongs
to exactly one atomic job and calls the library with exactly that job's parameters, the orchestrator's graph is
tables -> import -> seed & notifications -> validation -> deploy, the import job reads the folders the bundle ships,
and `rules export --format bundle` validates too, with destinations as lookups and no UNPAUSED.
"""

from __future__ import annotations

import inspect
import re
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from lakealerts.bundle import jobs as job_functions
from lakealerts.bundle.export import export_bundle
from lakealerts.catalog import load_rules
from lakealerts.catalog.seeding import seed_catalog
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.errors import UsageError
from lakealerts.model import PauseStatus
from lakealerts.sql.identifiers import Namespace
from lakealerts.store.store import Store
from tests.bundle_files import (
    ALERT_DEFINITION,
    ATOMIC_JOBS,
    BUNDLE_ROOT_FILE,
    NOTEBOOK_DIR,
    ORCHESTRATOR,
    ROOT,
    SHIPPED_FOLDERS,
    bundle_files,
    job_parameters,
    jobs,
    load,
    local_copy,
    notebook_call,
    notebook_of,
    schema_errors,
)
from tests.conftest import Cli

pytestmark = pytest.mark.integration
NAMESPACE = Namespace("monitoring", "gold")
SP_APP_ID = "6f1c0a52-0d3e-4c8e-9a57-3b1f2f9c4d10"
# Arguments a notebook passes besides its widgets: the notebook's own services.
INJECTED = {"secret_reader"}


@pytest.mark.parametrize("path", bundle_files(), ids=lambda p: p.name)
def test_bundle_file_validates_against_the_reference_schema(path: Any) -> None:
    assert schema_errors(load(path)) == []


def test_the_schema_check_catches_what_bundle_validate_would() -> None:
    """The validator is live: a misspelt key and a wrong type are reported, with where they are."""

    def job(**settings: Any) -> dict[str, Any]:
        return {"bundle": {"name": "x"}, "resources": {"jobs": {"x": {"name": "x", **settings}}}}

    assert schema_errors(job(timeout_second=10)) == [
        "resources/jobs/x: Additional properties are not allowed ('timeout_second' was unexpected)"
    ]
    assert schema_errors(job(max_concurrent_runs="one")) == [
        "resources/jobs/x/max_concurrent_runs: 'one' is not of type 'integer'"
    ]


def test_root_names_the_bundle_its_targets_variables_and_the_wheel() -> None:
    root = load(BUNDLE_ROOT_FILE)
    assert root["bundle"]["name"] == "lakealerts"
    assert root["include"] == ["resources/alerting/*.yml"]
    assert root["targets"]["dev"] == {**root["targets"]["dev"], "mode": "development", "default": True}
    assert root["targets"]["prod"]["mode"] == "production"
    assert {"catalog", "gold_schema", "warehouse_id"} <= set(root["variables"])
    (artifact,) = root["artifacts"].values()
    assert artifact["type"] == "whl" and "--wheel" in artifact["build"]
    assert (ROOT / artifact["path"] / "pyproject.toml").exists()


def test_every_reference_to_a_variable_is_declared() -> None:
    declared = set(load(BUNDLE_ROOT_FILE)["variables"])
    used = {m for path in bundle_files() for m in re.findall(r"\$\{var\.([\w-]+)\}", path.read_text())}
    assert used <= declared


def test_the_jobs_are_the_six_atomic_ones_and_the_orchestrator() -> None:
    assert set(jobs()) == {*ATOMIC_JOBS, ORCHESTRATOR}
    for key, (path, _job) in jobs().items():
        assert path.stem == key, "one job per file, named after the job"


@pytest.mark.parametrize("job", ATOMIC_JOBS)
def test_atomic_job_runs_one_notebook_in_a_serverless_environment_with_the_wheel(job: str) -> None:
    path, settings = jobs()[job]
    (environment,) = settings["environments"]
    (task,) = settings["tasks"]
    assert task["environment_key"] == environment["environment_key"]
    assert environment["spec"]["environment_version"]
    (wheel,) = environment["spec"]["dependencies"]
    # Bundles resolve a local library path relative to the file that names it: here the repository's dist/.
    assert (path.parent / wheel).resolve() == (ROOT / "dist" / "*.whl").resolve()
    assert settings["tags"]["job_level"] == "atomic" and settings["tags"]["project"] == "lakealerts"
    assert settings["timeout_seconds"] > 0 and task["timeout_seconds"] > 0
    assert notebook_of(job).exists()


def test_each_notebook_is_used_by_exactly_one_atomic_job() -> None:
    used = [notebook_of(job) for job in ATOMIC_JOBS]
    assert sorted(used) == sorted(path.resolve() for path in NOTEBOOK_DIR.glob("*.py"))
    assert len(set(used)) == len(used)


@pytest.mark.parametrize("job", ATOMIC_JOBS)
def test_notebook_is_widgets_then_one_library_call_then_an_exit(job: str) -> None:
    path = notebook_of(job)
    text = path.read_text(encoding="utf-8")
    cells = text.split("\n# COMMAND ----------\n")
    assert text.startswith("# Databricks notebook source\n")
    assert cells[-1].strip() == "dbutils.notebook.exit(json.dumps(status))"
    call = notebook_call(path)
    # The job's parameters are the notebook's widgets, and the notebook hands each of them to the function.
    assert set(call.widgets) == set(job_parameters(job))
    assert set(call.keywords) - INJECTED == set(call.widgets)
    signature = inspect.signature(getattr(job_functions, call.function))
    assert set(call.keywords) <= set(signature.parameters)


def test_deploy_job_parameters_default_to_a_real_run_that_keeps_retired_alerts() -> None:
    parameters = job_parameters("alerting_deploy_job")
    assert parameters["dry_run"] == "false"
    assert parameters["delete_policy"] == "keep"
    assert parameters["warehouse_id"]  # from --var warehouse_id=…


def test_orchestrator_chains_tables_import_seed_and_notifications_validation_deploy() -> None:
    _path, orchestrator = jobs()[ORCHESTRATOR]
    tasks = {task["task_key"]: task for task in orchestrator["tasks"]}
    edges = {(key, dep["task_key"]) for key, task in tasks.items() for dep in task.get("depends_on", [])}
    assert edges == {
        ("import", "tables"),
        ("seed", "import"),
        ("notifications", "import"),
        ("validation", "seed"),
        ("validation", "notifications"),
        ("deploy", "validation"),
    }
    runs = {key: task["run_job_task"]["job_id"] for key, task in tasks.items()}
    assert runs == {
        step: "${resources.jobs.alerting_" + job + "_job.id}"
        for step, job in {
            "tables": "tables",
            "import": "import",
            "seed": "seed",
            "notifications": "notifications",
            "validation": "validation",
            "deploy": "deploy",
        }.items()
    }
    assert orchestrator["tags"]["job_level"] == "orchestrator"


def test_orchestrator_forwards_only_parameters_the_atomic_jobs_take() -> None:
    _path, orchestrator = jobs()[ORCHESTRATOR]
    own = {p["name"] for p in orchestrator["parameters"]}
    for task in orchestrator["tasks"]:
        job = task["run_job_task"]["job_id"].split(".")[2]
        forwarded = task["run_job_task"].get("job_parameters", {})
        assert set(forwarded) <= set(job_parameters(job)), job
        for name, value in forwarded.items():
            assert value == "{{job.parameters." + name + "}}" and name in own


def test_import_job_reads_the_rule_and_destination_folders_the_bundle_ships() -> None:
    parameters = job_parameters("alerting_import_job", "dev")
    for folder in SHIPPED_FOLDERS:
        shipped = local_copy(parameters[f"{folder}_dir"])
        assert shipped == ROOT / folder and shipped.is_dir()
        assert job_functions.shipped_files(shipped), f"{folder}/ ships no *.yaml file"
    excluded = load(BUNDLE_ROOT_FILE)["sync"]["exclude"]
    assert not any(pattern.split("/")[0] in SHIPPED_FOLDERS for pattern in excluded)


# --- rules export --format bundle --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded_store() -> Any:
    with DuckDBEngine.memory(NAMESPACE.catalog) as engine:
        store = Store(engine, NAMESPACE, "tester")
        store.init()
        seed_catalog(store, datetime(2026, 3, 1, tzinfo=UTC))
        yield store


def test_exported_alerts_of_the_29_prebuilt_rules_validate_against_the_alert_definition(seeded_store: Store) -> None:
    export = export_bundle(seeded_store.load_rules(), seeded_store.load_destinations(), NAMESPACE)
    document = yaml.safe_load(export.to_yaml())
    alerts = document["resources"]["alerts"]
    assert sorted(alerts) == sorted(rule.alert_id for rule in load_rules())
    assert export.skipped == []
    for key, alert in alerts.items():
        assert schema_errors(alert, ALERT_DEFINITION) == [], key
    assert schema_errors(document) == []
    # default_email is looked up by its display name when the bundle deploys.
    assert document["variables"] == {
        "destination_default_email": {
            "description": document["variables"]["destination_default_email"]["description"],
            "lookup": {"notification_destination": "Default alert e-mail"},
        }
    }


def test_exported_alert_carries_the_rule_as_sync_would_deploy_it(seeded_store: Store) -> None:
    destinations = seeded_store.load_destinations()
    alerts = export_bundle(seeded_store.load_rules(), destinations, NAMESPACE, "abc123").document["resources"]["alerts"]
    alert = alerts["COST-001"]
    assert alert["display_name"] == "[WARNING] Daily cost spike"
    assert alert["warehouse_id"] == "abc123"
    assert "`monitoring`.`gold`.billing_usage" in alert["query_text"]
    assert alert["evaluation"]["source"] == {"name": "daily_cost_usd"}
    assert alert["evaluation"]["threshold"] == {"value": {"double_value": 5000.0}}
    assert alert["schedule"] == {"quartz_cron_schedule": "0 0 7 * * ?", "timezone_id": "America/New_York"}
    assert "parent_path" not in alert  # the bundle's own folder, never the one sync manages
    assert "run_as" not in alert  # neither the rule nor the export names one: whoever deploys the bundle


def test_export_skips_disabled_and_invalid_rules_and_never_writes_a_stored_destination_id(
    seeded_store: Store,
) -> None:
    stored = seeded_store.load_rules()
    disabled = stored[0].model_copy(update={"rule": stored[0].rule.model_copy(update={"is_enabled": False})})
    invalid = stored[1].model_copy(update={"rule": stored[1].rule.model_copy(update={"threshold_column": "nope x"})})
    destination = seeded_store.load_destinations()[0].model_copy(update={"databricks_destination_id": "d-123"})
    export = export_bundle([disabled, invalid, *stored[2:]], [destination], NAMESPACE)
    alerts = export.document["resources"]["alerts"]
    assert dict(export.skipped)[stored[0].rule.alert_id] == "disabled"
    assert dict(export.skipped)[stored[1].rule.alert_id].startswith("invalid: ")
    assert len(alerts) == 27
    subscriptions = {
        s["destination_id"] for a in alerts.values() for s in a["evaluation"]["notification"]["subscriptions"]
    }
    assert subscriptions == {"${var.destination_default_email}"}
    assert "d-123" not in export.to_yaml()


def test_export_keeps_pause_status_only_when_paused_and_maps_run_as(seeded_store: Store) -> None:
    stored = seeded_store.load_rules()
    updates = [{"pause_status": PauseStatus.PAUSED}, {"run_as": "ops@example.com"}, {"run_as": SP_APP_ID}]
    changed = [
        s.model_copy(update={"rule": s.rule.model_copy(update=u)}) for s, u in zip(stored, updates, strict=False)
    ]
    default = "11111111-2222-3333-4444-555555555555"
    document = export_bundle([*changed, *stored[3:]], seeded_store.load_destinations(), NAMESPACE,
                             run_as=default).document  # fmt: skip
    alerts = list(document["resources"]["alerts"].values())
    assert alerts[0]["schedule"]["pause_status"] == "PAUSED"
    assert all("pause_status" not in alert["schedule"] for alert in alerts[1:])
    assert alerts[1]["run_as"] == {"user_name": "ops@example.com"}
    assert alerts[2]["run_as"] == {"service_principal_name": SP_APP_ID}
    assert {str(alert["run_as"]) for alert in [alerts[0], *alerts[3:]]} == {str({"service_principal_name": default})}
    assert schema_errors(document) == []


def test_export_refuses_a_run_as_default_of_another_shape(seeded_store: Store) -> None:
    with pytest.raises(UsageError, match="--run-as: run_as 'alerting bot' is neither") as refused:
        export_bundle(seeded_store.load_rules(), seeded_store.load_destinations(), NAMESPACE, run_as="alerting bot")
    assert "application id" in (refused.value.hint or "")


def test_two_destinations_that_would_share_a_variable_are_named_with_the_fix(seeded_store: Store) -> None:
    (default,) = seeded_store.load_destinations()
    twin = default.model_copy(
        update={"destination": default.destination.model_copy(update={"destination_id": "default.email"})}
    )
    rule = seeded_store.load_rules()[0]
    both = rule.model_copy(
        update={"rule": rule.rule.model_copy(update={"notification_channels": ["default_email", "default.email"]})}
    )
    clash_message = re.escape("destinations 'default.email' and 'default_email' both become the bundle variable")
    with pytest.raises(UsageError, match=clash_message) as clash:
        export_bundle([both], [default, twin], NAMESPACE)
    assert "rename one of them" in (clash.value.hint or "")


def test_bundle_exported_after_quickstart_is_safe_to_deploy(cli: Cli) -> None:
    """Issue 14: after `quickstart` the store holds the stand-in's destination ids; the export holds none of them,
    validates against the bundle schema, never says UNPAUSED, and looks up every destination its alerts use."""
    assert cli("quickstart").code == 0
    stored_ids = {d["databricks_destination_id"] for d in cli("destinations", "list", "--json").json()}
    assert stored_ids and None not in stored_ids  # quickstart synced the destinations to its stand-in
    result = cli("rules", "export", "--format", "bundle")
    assert result.code == 0, result.stderr
    text, document = result.stdout, yaml.safe_load(result.stdout)
    assert schema_errors(document) == []
    assert not any(stored_id in text for stored_id in stored_ids)
    assert "UNPAUSED" not in text
    names = {d["destination_id"]: d["destination_name"] for d in cli("destinations", "list", "--json").json()}
    alerts = document["resources"]["alerts"].values()
    used = {s["destination_id"] for a in alerts for s in a["evaluation"]["notification"].get("subscriptions", [])
            if "destination_id" in s}  # fmt: skip
    assert used and all(re.fullmatch(r"\$\{var\.destination_[a-z0-9_]+\}", ref) for ref in used)
    variables = document["variables"]
    assert {ref[6:-1] for ref in used} == set(variables)
    channels = {c for rule in cli("rules", "list", "--json").json() for c in rule["notification_channels"]}
    assert {v["lookup"]["notification_destination"] for v in variables.values()} == {
        names[c] for c in channels if c in names
    }


def test_cli_exports_bundle_yaml_that_validates(cli: Cli) -> None:
    assert cli("seed").code == 0
    result = cli("rules", "export", "--format", "bundle", "--warehouse-id", "wh-42", "--run-as", SP_APP_ID)
    assert result.code == 0, result.stderr
    document = yaml.safe_load(result.stdout)
    assert len(document["resources"]["alerts"]) == 29
    assert {a["warehouse_id"] for a in document["resources"]["alerts"].values()} == {"wh-42"}
    assert {a["run_as"]["service_principal_name"] for a in document["resources"]["alerts"].values()} == {SP_APP_ID}
    assert schema_errors(document) == []
    refused = cli("rules", "export", "--format", "bundle", "--run-as", "Alerting SP")
    assert refused.code == 2 and "--run-as" in refused.stderr and "application id" in refused.stderr
