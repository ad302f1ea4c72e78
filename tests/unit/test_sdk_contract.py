"""The databricks-sdk contract (issue 14): the resolved SDK has every method, keyword, response key, dataclass field
and enum member lakealerts calls or builds. ``databricks-sdk>=0.71`` once resolved to versions where
``trash_alert(purge=…)`` did not exist (a TypeError at the first delete); this test fails on such an SDK, with the
missing piece named, before any sync does. No network: signatures, dataclass fields, and the SDK's own list
methods run over a stub transport that answers one canned page.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import settings, sql
from databricks.sdk.service.workspace import WorkspaceAPI

from lakealerts.model import OPERATORS, Aggregation, DestinationType, EmptyResultState, PauseStatus
from lakealerts.sql.identifiers import Namespace
from lakealerts.sync.mapping import MappingContext, to_alert
from lakealerts.sync.remote import LIST_PAGE_SIZE
from tests.builders import make_rule

pytestmark = pytest.mark.unit
APP_ID = "6f1c0a52-0d3e-4c8e-9a57-3b1f2f9c4d10"


def parameters(method: Callable[..., Any]) -> dict[str, inspect.Parameter]:
    """The method's parameters by name (``self`` included, so positions match the call sites)."""
    return dict(inspect.signature(method).parameters)


def fields(cls: type) -> set[str]:
    """The dataclass fields of an SDK class."""
    return {field.name for field in dataclasses.fields(cls)}


# --- the calls (sync/remote.py, sync/destinations.py, engines/warehouse.py) --------------------------------

# (method, positional parameters in call order after self, keyword parameters we pass)
CALLS: list[tuple[Callable[..., Any], tuple[str, ...], tuple[str, ...]]] = [
    (sql.AlertsV2API.list_alerts, (), ("page_size",)),
    (sql.AlertsV2API.create_alert, ("alert",), ()),
    (sql.AlertsV2API.update_alert, ("id", "alert", "update_mask"), ()),
    (sql.AlertsV2API.trash_alert, ("id",), ("purge",)),  # purge= exists from databricks-sdk 0.81
    (WorkspaceAPI.mkdirs, ("path",), ()),
    (settings.NotificationDestinationsAPI.list, (), ("page_size",)),
    (settings.NotificationDestinationsAPI.create, (), ("display_name", "config")),
    (settings.NotificationDestinationsAPI.update, ("id",), ("display_name", "config")),
    (settings.NotificationDestinationsAPI.delete, ("id",), ()),
    (sql.StatementExecutionAPI.execute_statement, ("statement", "warehouse_id"),
     ("wait_timeout", "on_wait_timeout", "parameters", "disposition", "format")),
    (sql.StatementExecutionAPI.get_statement, ("statement_id",), ()),
    (sql.StatementExecutionAPI.cancel_execution, ("statement_id",), ()),
    (sql.StatementExecutionAPI.get_statement_result_chunk_n, ("statement_id", "chunk_index"), ()),
]  # fmt: skip


@pytest.mark.parametrize(("method", "positional", "keywords"), CALLS, ids=lambda c: getattr(c, "__qualname__", ""))
def test_the_sdk_methods_take_the_arguments_we_pass(
    method: Callable[..., Any], positional: tuple[str, ...], keywords: tuple[str, ...]
) -> None:
    found = parameters(method)
    assert tuple(found)[1 : 1 + len(positional)] == positional, f"{method.__qualname__}{inspect.signature(method)}"
    missing = [name for name in keywords if name not in found]
    assert not missing, f"{method.__qualname__} has no parameter {', '.join(missing)}: upgrade databricks-sdk"


def test_the_workspace_client_exposes_the_services_we_use() -> None:
    for service in ("alerts_v2", "notification_destinations", "workspace", "statement_execution"):
        assert hasattr(WorkspaceClient, service), f"WorkspaceClient.{service}"


class _OnePage:
    """The SDK's ApiClient as far as a list method sees it: one canned JSON page for every GET."""

    def __init__(self, page: dict[str, Any]) -> None:
        self.page = page
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self._cfg = SimpleNamespace(workspace_id=None)

    def do(self, method: str, path: str, query: dict[str, Any] | None = None, **_: Any) -> dict[str, Any]:
        self.requests.append((method, path, dict(query or {})))
        return self.page


def test_list_alerts_reads_the_alerts_key_with_our_page_size() -> None:
    """sync/remote.py lists with ``page_size=LIST_PAGE_SIZE``; the SDK must read the ``alerts`` key the API (and
    our stand-in) answers with — older SDKs read ``results`` and saw no alert at all."""
    api = _OnePage({"alerts": [{"id": "a-1", "display_name": "[INFO] x", "parent_path": "/Shared/lakealerts"}]})
    listed = list(sql.AlertsV2API(api).list_alerts(page_size=LIST_PAGE_SIZE))
    assert [(alert.id, alert.parent_path) for alert in listed] == [("a-1", "/Shared/lakealerts")]
    assert api.requests == [("GET", "/api/2.0/alerts", {"page_size": LIST_PAGE_SIZE})]


def test_list_destinations_reads_the_results_key_with_our_page_size() -> None:
    api = _OnePage({"results": [{"id": "d-1", "display_name": "Ops", "destination_type": "SLACK"}]})
    listed = list(settings.NotificationDestinationsAPI(api).list(page_size=LIST_PAGE_SIZE))
    assert [(d.id, d.display_name, d.destination_type) for d in listed] == [
        ("d-1", "Ops", settings.DestinationType.SLACK)
    ]
    assert api.requests == [("GET", "/api/2.0/notification-destinations", {"page_size": LIST_PAGE_SIZE})]


# --- the classes we build (sync/mapping.py, sync/destinations.py) and read (planner, applier) ---------------

BUILT: list[tuple[type, set[str]]] = [
    (sql.AlertV2, {"display_name", "query_text", "warehouse_id", "evaluation", "schedule", "custom_summary",
                   "custom_description", "parent_path", "run_as", "id", "lifecycle_state"}),
    (sql.AlertV2Evaluation, {"source", "comparison_operator", "threshold", "empty_result_state", "notification"}),
    (sql.AlertV2OperandColumn, {"name", "aggregation"}),
    (sql.AlertV2Operand, {"value"}),
    (sql.AlertV2OperandValue, {"double_value", "bool_value", "string_value"}),
    (sql.AlertV2Notification, {"subscriptions", "notify_on_ok", "retrigger_seconds"}),
    (sql.AlertV2Subscription, {"user_email", "destination_id"}),
    (sql.AlertV2RunAs, {"user_name", "service_principal_name"}),
    (sql.CronSchedule, {"quartz_cron_schedule", "timezone_id", "pause_status"}),
    (settings.Config, {"email", "slack", "microsoft_teams", "generic_webhook", "pagerduty"}),
    (settings.EmailConfig, {"addresses"}),
    (settings.SlackConfig, {"url"}),
    (settings.MicrosoftTeamsConfig, {"url"}),
    (settings.GenericWebhookConfig, {"url", "username", "password"}),
    (settings.PagerdutyConfig, {"integration_key"}),
    (settings.NotificationDestination, {"id", "display_name", "destination_type"}),
    (settings.ListNotificationDestinationsResult, {"id", "display_name", "destination_type"}),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "used"), BUILT, ids=lambda c: getattr(c, "__name__", ""))
def test_the_sdk_classes_have_the_fields_we_set_and_read(cls: type, used: set[str]) -> None:
    missing = sorted(used - fields(cls))
    assert not missing, f"{cls.__name__} has no field {', '.join(missing)}: upgrade databricks-sdk"


@pytest.mark.parametrize(
    ("enum", "needed"),
    [
        (sql.ComparisonOperator, set(OPERATORS.values())),
        (sql.Aggregation, {a.value for a in Aggregation if a is not Aggregation.FIRST}),
        (sql.AlertEvaluationState, {s.value for s in EmptyResultState}),
        (sql.SchedulePauseStatus, {s.value for s in PauseStatus}),
        (settings.DestinationType, {t.value for t in DestinationType}),
    ],
    ids=lambda e: getattr(e, "__name__", ""),
)  # fmt: skip
def test_the_sdk_enums_have_every_value_we_map_to(enum: type, needed: set[str]) -> None:
    members = {member.value for member in enum}  # type: ignore[attr-defined]
    missing = sorted(needed - members)
    assert not missing, f"{enum.__name__} lacks {', '.join(missing)}"


def test_an_alert_with_run_as_round_trips_through_the_sdk_request_body() -> None:
    """What mapping builds is what the SDK serialises: ``run_as`` as a nested object, absent when unset."""
    context = MappingContext(Namespace("monitoring", "gold"), "wh-1")
    alert = to_alert(make_rule(run_as=APP_ID), context)
    assert alert.as_dict()["run_as"] == {"service_principal_name": APP_ID}
    assert sql.AlertV2.from_dict(alert.as_dict()).run_as == sql.AlertV2RunAs(service_principal_name=APP_ID)
    assert "run_as" not in to_alert(make_rule(), context).as_dict()
