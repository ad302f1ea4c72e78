"""The workspace stand-in over real HTTP, driven by the real databricks-sdk ``WorkspaceClient`` (no mocks)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import (
    BadRequest,
    InvalidParameterValue,
    NotFound,
    ResourceAlreadyExists,
    ResourceDoesNotExist,
    Unauthenticated,
)
from databricks.sdk.service import settings as dest
from databricks.sdk.service import sql

from lakealerts.app.settings import Settings
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.serve import StandIn
from lakealerts.standin.statements import StatementRunner

pytestmark = pytest.mark.integration
TOKEN = "test-token-7c1f"
FOLDER = "/Workspace/Shared/lakealerts"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A home whose lakealerts.duckdb holds one small table, monitoring.gold.costs."""
    home = Settings(home=tmp_path / "home")
    with DuckDBEngine.open(home.store_path, home.catalog) as engine:
        engine.execute("CREATE SCHEMA gold")
        engine.execute("CREATE TABLE gold.costs (day DATE, sku STRING, cost DECIMAL(10,2), spiky BOOLEAN)")
        engine.execute_many(
            "INSERT INTO gold.costs VALUES (CAST(? AS DATE), ?, ?, ?)",
            [["2024-05-01", "JOBS", 120.5, False], ["2024-05-02", "SQL", 7000, True], ["2024-05-03", None, 3, None]],
        )
    return home


@pytest.fixture
def standin(settings: Settings) -> Iterator[StandIn]:
    """A fresh stand-in on a free loopback port."""
    with StandIn.start(settings, TOKEN) as running:
        yield running


@pytest.fixture
def w(standin: StandIn) -> WorkspaceClient:
    """The real SDK client, token auth only, pointed at the stand-in; the alert folder exists."""
    client = WorkspaceClient(host=standin.url, token=TOKEN, auth_type="pat")
    client.workspace.mkdirs(FOLDER)
    return client


def alert(name: str = "[WARNING] cost spike", folder: str = FOLDER, **changes: Any) -> sql.AlertV2:
    """A complete AlertV2 as the sync would send it."""
    fields: dict[str, Any] = {
        "display_name": name,
        "query_text": "SELECT sum(cost) AS total FROM monitoring.gold.costs",
        "warehouse_id": "local",
        "parent_path": folder,
        "evaluation": sql.AlertV2Evaluation(
            source=sql.AlertV2OperandColumn(name="total"),
            comparison_operator=sql.ComparisonOperator.GREATER_THAN,
            threshold=sql.AlertV2Operand(value=sql.AlertV2OperandValue(double_value=5000.0)),
            empty_result_state=sql.AlertEvaluationState.OK,
            notification=sql.AlertV2Notification(
                subscriptions=[sql.AlertV2Subscription(user_email="ops@example.com")], retrigger_seconds=3600
            ),
        ),
        "schedule": sql.CronSchedule(quartz_cron_schedule="0 0 8 * * ?", timezone_id="Europe/Amsterdam"),
        "custom_summary": "{{ALERT_NAME}} is {{ALERT_STATUS}}",
    }
    return sql.AlertV2(**{**fields, **changes})


def raw(standin: StandIn, method: str, path: str, body: Any = None, token: str | None = TOKEN) -> tuple[int, Any]:
    """One plain HTTP request (no SDK): status and decoded JSON body."""
    data = body if isinstance(body, bytes) else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(standin.url + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


# --- probe and authentication ------------------------------------------------------------------------


def test_well_known_probe_needs_no_token(standin: StandIn) -> None:
    assert raw(standin, "GET", "/.well-known/databricks-config", token=None) == (200, {})


def test_requests_without_or_with_a_wrong_token_are_401(standin: StandIn) -> None:
    for token in (None, "wrong"):
        status, body = raw(standin, "GET", "/api/2.0/alerts", token=token)
        assert status == 401
        assert body["error_code"] == "UNAUTHENTICATED" and body["message"]
    with pytest.raises(Unauthenticated):
        list(WorkspaceClient(host=standin.url, token="wrong", auth_type="pat").alerts_v2.list_alerts())


def test_unknown_endpoint_is_404_endpoint_not_found(standin: StandIn) -> None:
    assert raw(standin, "GET", "/api/2.0/clusters/list")[0] == 404
    status, body = raw(standin, "PUT", "/api/2.0/alerts")
    assert (status, body["error_code"]) == (404, "ENDPOINT_NOT_FOUND")


# --- alerts --------------------------------------------------------------------------------------------


def test_create_fills_output_only_fields_and_get_returns_the_same(w: WorkspaceClient) -> None:
    created = w.alerts_v2.create_alert(alert())
    assert created.id and created.create_time and created.create_time == created.update_time
    assert created.create_time.endswith("Z") and "T" in created.create_time
    assert created.lifecycle_state == sql.AlertLifecycleState.ACTIVE
    assert created.owner_user_name and created.run_as_user_name == created.owner_user_name
    assert created.effective_run_as == sql.AlertV2RunAs(user_name=created.owner_user_name)
    assert created.evaluation.state == sql.AlertEvaluationState.UNKNOWN
    assert created.evaluation.source.display == "total"
    assert created.schedule.pause_status == sql.SchedulePauseStatus.UNPAUSED
    assert created.parent_path == FOLDER and created.custom_summary == "{{ALERT_NAME}} is {{ALERT_STATUS}}"
    assert w.alerts_v2.get_alert(created.id) == created


def test_create_without_a_folder_lands_in_the_owners_home(w: WorkspaceClient) -> None:
    created = w.alerts_v2.create_alert(alert(folder=None, run_as=sql.AlertV2RunAs(service_principal_name="sp-1")))
    assert created.parent_path == f"/Users/{created.owner_user_name}"
    assert created.effective_run_as == sql.AlertV2RunAs(service_principal_name="sp-1")


def test_list_pages_through_250_alerts_in_creation_order(w: WorkspaceClient, standin: StandIn) -> None:
    ids = [w.alerts_v2.create_alert(alert(f"[INFO] rule {n:03}")).id for n in range(250)]
    status, first = raw(standin, "GET", "/api/2.0/alerts?page_size=100")
    assert status == 200 and len(first["alerts"]) == 100 and first["results"] == first["alerts"]
    assert first["next_page_token"]
    listed = [item.id for item in w.alerts_v2.list_alerts(page_size=100)]
    assert listed == ids
    assert [item.id for item in w.alerts_v2.list_alerts()] == ids  # default page size 100


def test_list_refuses_bad_page_size_and_token(standin: StandIn) -> None:
    for query in ("page_size=-1", "page_size=ten", "page_token=not-ours"):
        status, body = raw(standin, "GET", f"/api/2.0/alerts?{query}")
        assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE"), query
    status, body = raw(standin, "GET", "/api/2.0/alerts?page_size=5000")  # capped at 1000, not refused
    assert status == 200 and body["alerts"] == [] and "next_page_token" not in body


def test_update_changes_only_masked_fields(w: WorkspaceClient) -> None:
    created = w.alerts_v2.create_alert(alert())
    sent = alert(
        "[CRITICAL] cost spike",
        query_text="SELECT 1 AS total",
        schedule=sql.CronSchedule(quartz_cron_schedule="0 30 9 * * ?", timezone_id="UTC"),
        custom_summary=None,
    )
    updated = w.alerts_v2.update_alert(created.id, sent, update_mask="display_name,schedule,custom_summary")
    assert updated.display_name == "[CRITICAL] cost spike"
    assert updated.schedule.quartz_cron_schedule == "0 30 9 * * ?" and updated.schedule.timezone_id == "UTC"
    assert updated.custom_summary is None  # masked and absent: cleared
    assert updated.query_text == created.query_text  # not masked: unchanged
    assert updated.evaluation == created.evaluation and updated.create_time == created.create_time
    assert updated.update_time >= created.update_time
    assert w.alerts_v2.get_alert(created.id) == updated


def test_sending_back_what_get_returned_with_a_full_mask_changes_nothing(w: WorkspaceClient) -> None:
    created = w.alerts_v2.create_alert(alert())
    fetched = w.alerts_v2.get_alert(created.id)  # output-only fields included: a workspace ignores them
    updated = w.alerts_v2.update_alert(created.id, fetched, update_mask="*")
    assert {**updated.as_dict(), "update_time": None} == {**created.as_dict(), "update_time": None}


def test_update_with_a_nested_mask_keeps_the_rest_of_the_object(w: WorkspaceClient) -> None:
    created = w.alerts_v2.create_alert(alert())
    sent = alert()
    sent.evaluation.notification = sql.AlertV2Notification(notify_on_ok=True)
    sent.evaluation.comparison_operator = sql.ComparisonOperator.LESS_THAN
    updated = w.alerts_v2.update_alert(created.id, sent, update_mask="evaluation.notification")
    notification = updated.evaluation.notification
    assert notification.notify_on_ok is True and not notification.subscriptions and not notification.retrigger_seconds
    assert updated.evaluation.comparison_operator == sql.ComparisonOperator.GREATER_THAN


@pytest.mark.parametrize(
    ("mask", "reason"),
    [
        ("parent_path", "create"),
        ("id", "output only"),
        ("evaluation.state", "output only"),
        ("no_such_field", "not a field"),
        ("query_text.x", "not a field"),
        ("query_text", "Missing required field"),  # masked but absent in the body: a required field cleared
    ],
)
def test_update_masks_that_a_workspace_refuses_are_400(w: WorkspaceClient, mask: str, reason: str) -> None:
    created = w.alerts_v2.create_alert(alert())
    sent = alert(query_text=None) if mask == "query_text" else alert()
    with pytest.raises(InvalidParameterValue, match=reason):
        w.alerts_v2.update_alert(created.id, sent, update_mask=mask)


def test_update_without_a_mask_is_400(w: WorkspaceClient, standin: StandIn) -> None:
    created = w.alerts_v2.create_alert(alert())
    status, body = raw(standin, "PATCH", f"/api/2.0/alerts/{created.id}", alert().as_dict())
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE")


def test_duplicate_display_name_in_one_folder_is_refused(w: WorkspaceClient) -> None:
    w.alerts_v2.create_alert(alert("[WARNING] twice"))
    with pytest.raises(ResourceAlreadyExists):
        w.alerts_v2.create_alert(alert("[WARNING] twice"))
    with pytest.raises(ResourceAlreadyExists):  # the same folder written without the /Workspace prefix
        w.alerts_v2.create_alert(alert("[WARNING] twice", folder="/Shared/lakealerts/"))
    w.workspace.mkdirs("/Workspace/Shared/other")
    assert w.alerts_v2.create_alert(alert("[WARNING] twice", folder="/Workspace/Shared/other")).id


def test_concurrent_creates_of_one_name_make_exactly_one_alert(w: WorkspaceClient) -> None:
    def create(_: int) -> str:
        try:
            return str(w.alerts_v2.create_alert(alert("[INFO] raced")).id)
        except ResourceAlreadyExists:
            return "refused"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(create, range(8)))
    assert outcomes.count("refused") == 7
    assert [a.id for a in w.alerts_v2.list_alerts()] == [o for o in outcomes if o != "refused"]


def test_rename_onto_a_taken_name_is_refused(w: WorkspaceClient) -> None:
    w.alerts_v2.create_alert(alert("[WARNING] a"))
    second = w.alerts_v2.create_alert(alert("[WARNING] b"))
    with pytest.raises(ResourceAlreadyExists):
        w.alerts_v2.update_alert(second.id, alert("[WARNING] a"), update_mask="display_name")


def test_alert_in_a_missing_folder_is_refused_until_mkdirs(w: WorkspaceClient) -> None:
    with pytest.raises(ResourceDoesNotExist):
        w.alerts_v2.create_alert(alert(folder="/Workspace/Shared/not-yet"))
    w.workspace.mkdirs("/Workspace/Shared/not-yet")
    w.workspace.mkdirs("/Workspace/Shared/not-yet")  # idempotent
    assert w.alerts_v2.create_alert(alert(folder="/Workspace/Shared/not-yet")).id


def test_trash_hides_the_alert_and_frees_its_name_and_purge_deletes_it(w: WorkspaceClient) -> None:
    first = w.alerts_v2.create_alert(alert("[INFO] gone soon"))
    w.alerts_v2.trash_alert(first.id, purge=False)
    trashed = w.alerts_v2.get_alert(first.id)
    assert trashed.lifecycle_state == sql.AlertLifecycleState.DELETED
    assert [a.id for a in w.alerts_v2.list_alerts()] == []
    second = w.alerts_v2.create_alert(alert("[INFO] gone soon"))  # the trashed one no longer holds the name
    with pytest.raises(NotFound):
        w.alerts_v2.update_alert(first.id, alert(), update_mask="display_name")
    w.alerts_v2.trash_alert(first.id, purge=True)
    w.alerts_v2.trash_alert(second.id, purge=True)
    for alert_id in (first.id, second.id):
        with pytest.raises(NotFound):
            w.alerts_v2.get_alert(alert_id)


def test_unknown_ids_are_not_found(w: WorkspaceClient) -> None:
    unknown = "00000000-0000-0000-0000-000000000000"
    calls = [
        lambda: w.alerts_v2.get_alert(unknown),
        lambda: w.alerts_v2.update_alert(unknown, alert(), update_mask="display_name"),
        lambda: w.alerts_v2.trash_alert(unknown),
        lambda: w.notification_destinations.get(unknown),
        lambda: w.notification_destinations.update(unknown, display_name="x"),
        lambda: w.notification_destinations.delete(unknown),
        lambda: w.statement_execution.get_statement(unknown),
    ]
    for call in calls:
        with pytest.raises(ResourceDoesNotExist):
            call()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("display_name"), "display_name"),
        (lambda d: d["evaluation"].pop("source"), "evaluation.source"),
        (lambda d: d["schedule"].pop("timezone_id"), "schedule.timezone_id"),
        (lambda d: d["evaluation"].update(comparison_operator="BIGGER"), "comparison_operator"),
        (lambda d: d["evaluation"]["notification"].update(retrigger_seconds="soon"), "retrigger_seconds"),
        (lambda d: d["evaluation"]["notification"].update(notify_on_ok=1), "notify_on_ok"),
        (lambda d: d.update(query_text=["SELECT 1"]), "query_text"),
        (lambda d: d.update(severity="HIGH"), "severity"),
    ],
)
def test_payloads_the_sdk_model_rejects_are_400(w: WorkspaceClient, change: Any, field: str) -> None:
    body = alert().as_dict()
    change(body)
    with pytest.raises(InvalidParameterValue, match=field):
        w.api_client.do("POST", "/api/2.0/alerts", body=body)


def test_a_body_that_is_not_json_is_400(w: WorkspaceClient, standin: StandIn) -> None:
    status, body = raw(standin, "POST", "/api/2.0/alerts", b"{not json")
    assert (status, body["error_code"]) == (400, "MALFORMED_REQUEST")
    with pytest.raises(BadRequest):
        w.api_client.do("POST", "/api/2.0/alerts", body=[1, 2])  # type: ignore[arg-type]  # not an object


@pytest.mark.parametrize("depth", [100_000, 65])  # past the JSON parser's stack, and just past the stand-in's limit
@pytest.mark.parametrize("path", ["/api/2.0/alerts", "/api/2.0/notification-destinations", "/api/2.0/sql/statements"])
def test_a_deeply_nested_body_is_400_invalid_parameter_value(standin: StandIn, path: str, depth: int) -> None:
    nested = b'{"display_name": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"
    status, body = raw(standin, "POST", path, nested)
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert "nested more than 64 levels" in body["message"]


# --- notification destinations -------------------------------------------------------------------------

SECRETS = ("https://hooks.slack.invalid/T0/B0/s3cr3t", "hunter2-password", "pd-integration-k3y", "teams-url-x9")


def test_destinations_never_return_a_secret(w: WorkspaceClient) -> None:
    slack_url, password, pd_key, teams_url = SECRETS
    configs = {
        "slack": dest.Config(slack=dest.SlackConfig(url=slack_url)),
        "hook": dest.Config(
            generic_webhook=dest.GenericWebhookConfig(url=slack_url, username="bot", password=password)
        ),
        "pager": dest.Config(pagerduty=dest.PagerdutyConfig(integration_key=pd_key)),
        "teams": dest.Config(microsoft_teams=dest.MicrosoftTeamsConfig(url=teams_url)),
        "mail": dest.Config(email=dest.EmailConfig(addresses=["ops@example.com"])),
    }
    path = "/api/2.0/notification-destinations"
    bodies = [
        w.api_client.do("POST", path, body={"display_name": n, "config": c.as_dict()}) for n, c in configs.items()
    ]
    ids = {body["display_name"]: body["id"] for body in bodies}
    bodies += [w.api_client.do("GET", f"{path}/{destination_id}") for destination_id in ids.values()]
    bodies.append(w.api_client.do("GET", path))
    bodies.append(w.api_client.do("PATCH", f"{path}/{ids['hook']}", body={"config": configs["hook"].as_dict()}))
    everything = json.dumps(bodies)
    assert not [secret for secret in SECRETS if secret in everything]
    hook = w.notification_destinations.get(ids["hook"])
    assert hook.destination_type == dest.DestinationType.WEBHOOK
    assert hook.config.generic_webhook == dest.GenericWebhookConfig(url_set=True, username_set=True, password_set=True)
    assert w.notification_destinations.get(ids["pager"]).config.pagerduty.integration_key_set is True
    assert w.notification_destinations.get(ids["teams"]).config.microsoft_teams.url_set is True
    assert w.notification_destinations.get(ids["slack"]).config.slack.url_set is True
    assert w.notification_destinations.get(ids["mail"]).config.email.addresses == ["ops@example.com"]


def test_destination_crud_through_the_sdk(w: WorkspaceClient) -> None:
    created = w.notification_destinations.create(
        display_name="ops mail", config=dest.Config(email=dest.EmailConfig(addresses=["a@example.com"]))
    )
    assert created.destination_type == dest.DestinationType.EMAIL and created.id
    renamed = w.notification_destinations.update(created.id, display_name="ops e-mail")
    assert renamed.display_name == "ops e-mail" and renamed.config == created.config
    listed = list(w.notification_destinations.list(page_size=1))
    assert [(item.id, item.display_name, item.destination_type) for item in listed] == [
        (created.id, "ops e-mail", dest.DestinationType.EMAIL)
    ]
    with pytest.raises(InvalidParameterValue, match="type cannot be changed"):
        w.notification_destinations.update(created.id, config=dest.Config(slack=dest.SlackConfig(url="https://x")))
    w.notification_destinations.delete(created.id)
    with pytest.raises(NotFound):
        w.notification_destinations.get(created.id)


def test_destinations_list_across_pages(w: WorkspaceClient) -> None:
    config = dest.Config(email=dest.EmailConfig(addresses=["a@example.com"]))
    ids = [w.notification_destinations.create(display_name=f"d{n}", config=config).id for n in range(7)]
    assert [item.id for item in w.notification_destinations.list(page_size=3)] == ids


@pytest.mark.parametrize(
    "body",
    [
        {"display_name": "none"},
        {"display_name": "two", "config": {"email": {"addresses": ["a@x"]}, "slack": {"url": "https://x"}}},
        {"display_name": "empty mail", "config": {"email": {"addresses": []}}},
        {"display_name": "hook without url", "config": {"generic_webhook": {"password": "p"}}},
        {"display_name": "typo", "config": {"pagerduty": {"integration_kee": "k"}}},
        {"config": {"email": {"addresses": ["a@x"]}}},
    ],
)
def test_destination_payloads_a_workspace_refuses_are_400(w: WorkspaceClient, body: dict[str, Any]) -> None:
    with pytest.raises(InvalidParameterValue):
        w.api_client.do("POST", "/api/2.0/notification-destinations", body=body)


# --- statement execution -------------------------------------------------------------------------------


def test_a_read_only_statement_returns_rows_as_strings(w: WorkspaceClient) -> None:
    response = w.statement_execution.execute_statement(
        "SELECT day, sku, cost, spiky, cost > :limit AS over FROM monitoring.gold.costs ORDER BY day",
        "local",
        parameters=[sql.StatementParameterListItem(name="limit", value="100", type="DECIMAL(10,2)")],
    )
    assert response.status.state == sql.StatementState.SUCCEEDED and response.statement_id
    columns = response.manifest.schema.columns
    assert [(c.name, c.type_name, c.position) for c in columns] == [
        ("day", sql.ColumnInfoTypeName.DATE, 0),
        ("sku", sql.ColumnInfoTypeName.STRING, 1),
        ("cost", sql.ColumnInfoTypeName.DECIMAL, 2),
        ("spiky", sql.ColumnInfoTypeName.BOOLEAN, 3),
        ("over", sql.ColumnInfoTypeName.BOOLEAN, 4),
    ]
    assert (columns[2].type_text, columns[2].type_precision, columns[2].type_scale) == ("DECIMAL(10,2)", 10, 2)
    assert response.manifest.format == sql.Format.JSON_ARRAY and response.manifest.total_row_count == 3
    assert response.result.data_array == [
        ["2024-05-01", "JOBS", "120.50", "false", "true"],
        ["2024-05-02", "SQL", "7000.00", "true", "true"],
        ["2024-05-03", None, "3.00", None, "false"],
    ]
    assert w.statement_execution.get_statement(response.statement_id) == response


def test_statement_options_schema_row_limit_and_timestamps(w: WorkspaceClient) -> None:
    response = w.statement_execution.execute_statement(
        "SELECT sku, TIMESTAMP '2024-05-01 12:00:00' AS at, 7 AS n FROM costs ORDER BY day",
        "local",
        catalog="monitoring",
        schema="gold",
        row_limit=1,
        wait_timeout="5s",
    )
    assert response.status.state == sql.StatementState.SUCCEEDED
    assert response.manifest.truncated is True
    assert response.result.data_array == [["JOBS", "2024-05-01T12:00:00.000Z", "7"]]
    assert [c.type_name for c in response.manifest.schema.columns][1:] == [
        sql.ColumnInfoTypeName.TIMESTAMP,
        sql.ColumnInfoTypeName.INT,
    ]


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO monitoring.gold.costs VALUES (DATE '2024-06-01', 'X', 1, false)",
        "WITH gone AS (DELETE FROM monitoring.gold.costs RETURNING *) SELECT * FROM gone",
        "SELECT 1; DROP TABLE monitoring.gold.costs",
        "CREATE TABLE monitoring.gold.other (x INT)",
        "SET TIME ZONE 'UTC'",
    ],
)
def test_statements_that_are_not_read_only_are_refused(w: WorkspaceClient, statement: str) -> None:
    response = w.statement_execution.execute_statement(statement, "local")
    assert response.status.state == sql.StatementState.FAILED
    assert response.status.error.error_code == sql.ServiceErrorCode.BAD_REQUEST
    assert "read-only" in response.status.error.message
    count = w.statement_execution.execute_statement("SELECT count(*) AS n FROM monitoring.gold.costs", "local")
    assert count.result.data_array == [["3"]]


def test_failing_statements_report_the_engines_message(w: WorkspaceClient) -> None:
    cases = {
        "SELECT * FROM monitoring.gold.nope": "nope",
        "SELECT :missing AS x": "UNBOUND_SQL_PARAMETER",
        "SELEC 1": "PARSE_ERROR",
    }
    for statement, message in cases.items():
        response = w.statement_execution.execute_statement(statement, "local")
        assert response.status.state == sql.StatementState.FAILED, statement
        assert message in response.status.error.message
    other_catalog = w.statement_execution.execute_statement("SELECT 1", "local", catalog="prod")
    assert "NO_SUCH_CATALOG" in other_catalog.status.error.message


def test_statement_requests_a_warehouse_refuses_are_400(w: WorkspaceClient) -> None:
    with pytest.raises(InvalidParameterValue, match="INLINE"):
        w.statement_execution.execute_statement("SELECT 1", "local", disposition=sql.Disposition.EXTERNAL_LINKS)
    with pytest.raises(InvalidParameterValue, match="wait_timeout"):
        w.statement_execution.execute_statement("SELECT 1", "local", wait_timeout="60s")
    with pytest.raises(InvalidParameterValue, match="warehouse_id"):
        w.api_client.do("POST", "/api/2.0/sql/statements", body={"statement": "SELECT 1"})


def test_statements_do_not_hold_the_store_between_requests(w: WorkspaceClient, settings: Settings) -> None:
    w.statement_execution.execute_statement("SELECT 1 AS one", "local")
    with DuckDBEngine.open(settings.store_path, settings.catalog, lock_timeout=0) as engine:  # no wait: free now
        engine.execute("INSERT INTO gold.costs VALUES (DATE '2024-05-04', 'NEW', 1, false)")
    response = w.statement_execution.execute_statement("SELECT count(*) FROM monitoring.gold.costs", "local")
    assert response.result.data_array == [["4"]]


def test_a_statement_over_the_runner_s_timeout_is_cancelled_and_answered_failed(settings: Settings) -> None:
    runner = StatementRunner(settings.store_path, settings.catalog, statement_timeout=1.0)
    endless = "SELECT sum(hash(x + y)) AS n FROM range(1000000) AS a(x) CROSS JOIN range(1000000) AS b(y)"  # 10^12
    answer = runner.execute({"statement": endless, "warehouse_id": "local"})
    response = sql.StatementResponse.from_dict(answer)  # read as the SDK (and our warehouse engine) reads it
    assert response.status.state == sql.StatementState.FAILED and response.result is None
    assert response.status.error.error_code == sql.ServiceErrorCode.DEADLINE_EXCEEDED
    assert "timed out after 1 s" in response.status.error.message
    assert runner.get(answer["statement_id"]) == answer
    with DuckDBEngine.open(settings.store_path, settings.catalog, lock_timeout=0):  # cancelled and closed: free
        pass
    count = runner.execute({"statement": "SELECT count(*) AS n FROM monitoring.gold.costs", "warehouse_id": "local"})
    assert count["result"]["data_array"] == [["3"]]


# --- persistence ---------------------------------------------------------------------------------------


def test_a_restart_keeps_every_alert_destination_and_folder(settings: Settings) -> None:
    with StandIn.start(settings, TOKEN) as first:
        w = WorkspaceClient(host=first.url, token=TOKEN, auth_type="pat")
        w.workspace.mkdirs(FOLDER)
        kept = w.alerts_v2.create_alert(alert("[INFO] kept"))
        trashed = w.alerts_v2.create_alert(alert("[INFO] trashed"))
        w.alerts_v2.trash_alert(trashed.id)
        kept = w.alerts_v2.update_alert(kept.id, alert("[INFO] kept and renamed"), update_mask="display_name")
        destination = w.notification_destinations.create(
            display_name="hook", config=dest.Config(generic_webhook=dest.GenericWebhookConfig(url="https://x"))
        )
        trashed = w.alerts_v2.get_alert(trashed.id)
    with StandIn.start(settings, TOKEN) as second:
        w = WorkspaceClient(host=second.url, token=TOKEN, auth_type="pat")
        assert [a.id for a in w.alerts_v2.list_alerts()] == [kept.id]
        assert w.alerts_v2.get_alert(kept.id) == kept
        assert w.alerts_v2.get_alert(trashed.id) == trashed
        assert w.notification_destinations.get(destination.id) == destination
        with pytest.raises(ResourceAlreadyExists):
            w.alerts_v2.create_alert(alert("[INFO] kept and renamed"))
        assert w.alerts_v2.create_alert(alert("[INFO] new after restart")).id  # the folder survived too
