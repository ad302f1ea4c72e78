"""``lakealerts plan`` / ``sync`` / ``destinations sync``: table-driven terraform-like deploys to SQL Alerts V2.

Each command parses its options, runs one use case of :mod:`lakealerts.app.sync` and renders the value it
returns (text, or ``--json`` = ``to_dict()``). The use cases import the SDK only when a run starts, so ``--help``
and the other commands do not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from lakealerts.app.context import AppContext, RemoteOptions
from lakealerts.app.sync import DestinationsSyncResult, plan_alerts, sync_alerts, sync_destinations_only
from lakealerts.cli import output
from lakealerts.cli.common import JsonFlag
from lakealerts.sync.policy import DEFAULT_PARENT_PATH, DEFAULT_SUCCESS_THRESHOLD, DeletePolicy, SyncOptions
from lakealerts.sync.status import SyncStatus

if TYPE_CHECKING:
    from lakealerts.app.sync import SyncResult

Host = Annotated[
    str | None, typer.Option("--host", help="Workspace URL; wins over the SDK's auth and uses DATABRICKS_TOKEN.")
]
Profile = Annotated[str | None, typer.Option("--profile", help="A profile of ~/.databrickscfg.")]
WarehouseId = Annotated[
    str | None,
    typer.Option("--warehouse-id", envvar="LAKEALERTS_WAREHOUSE_ID", help="SQL warehouse the alerts run on."),
]
Timeout = Annotated[float, typer.Option("--timeout", help="Seconds per API request.")]
ParentPath = Annotated[str, typer.Option("--parent-path", help="Workspace folder of the managed alerts.")]
Policy = Annotated[
    DeletePolicy, typer.Option("--delete-policy", help="Alerts of disabled/removed rules: keep, trash or purge.")
]


def plan(
    ctx: typer.Context,
    host: Host = None,
    profile: Profile = None,
    warehouse_id: WarehouseId = None,
    timeout: Timeout = 60.0,
    parent_path: ParentPath = DEFAULT_PARENT_PATH,
    delete_policy: Policy = DeletePolicy.keep,
    json_output: JsonFlag = False,
) -> None:
    """Show what `sync` would change, like `terraform plan` (the same path as `sync --dry-run`)."""
    app: AppContext = ctx.obj
    remote = RemoteOptions(host, profile, timeout)
    result = plan_alerts(app, remote, warehouse_id=warehouse_id, parent_path=parent_path, delete_policy=delete_policy)
    if json_output:
        output.emit_json(result.plan.to_dict())
    else:
        output.plan(result.plan.to_text())
    for destination in result.failed_destinations:  # what `sync` would fail, said before it runs (on stderr)
        output.info(f"destination {destination.destination_id} would fail: {destination.error}")


def sync(
    ctx: typer.Context,
    host: Host = None,
    profile: Profile = None,
    warehouse_id: WarehouseId = None,
    timeout: Timeout = 60.0,
    parent_path: ParentPath = DEFAULT_PARENT_PATH,
    delete_policy: Policy = DeletePolicy.keep,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan only; record the metrics row.")] = False,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=64, help="Requests in flight.")] = 8,
    min_success_rate: Annotated[
        float, typer.Option("--min-success-rate", min=0.0, max=1.0, help="Exit 1 below this success rate.")
    ] = DEFAULT_SUCCESS_THRESHOLD,
    json_output: JsonFlag = False,
) -> None:
    """Sync destinations, then rules, to Databricks SQL Alerts V2: plan, create/update/delete, write back.

    Invalid rules are skipped (never deployed); outcomes are written to each rule's row and a metrics row to
    alert_sync_metrics. Exit 1 when the success rate is below --min-success-rate.
    """
    app: AppContext = ctx.obj
    options = SyncOptions(warehouse_id or "", parent_path, delete_policy, dry_run, concurrency)
    result = sync_alerts(app, RemoteOptions(host, profile, timeout), options)
    if json_output:
        output.emit_json(result.to_dict())
    else:
        _print(result)
    if result.success_rate < min_success_rate:
        raise typer.Exit(1)


def _print(result: SyncResult) -> None:
    output.plan(result.plan.to_text())
    rows = [(o.alert_id or "(no rule)", o.action, o.status, o.databricks_alert_id or "", o.error or "")
            for o in result.outcomes if o.status != SyncStatus.UNCHANGED]  # fmt: skip
    if rows:  # a sync that changed nothing prints no empty table
        output.table(None, ("rule", "action", "status", "databricks id", "error"), rows)
    for destination in result.failed_destinations:
        output.info(f"destination {destination.destination_id} failed: {destination.error}")
    label = "dry run" if result.dry_run else "sync"
    output.info(f"{label} {result.run_id}: success rate {result.success_rate:.0%}")


def sync_destinations_command(
    ctx: typer.Context,
    host: Host = None,
    profile: Profile = None,
    timeout: Timeout = 60.0,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the actions only.")] = False,
    json_output: JsonFlag = False,
) -> None:
    """Sync notification destinations only (secret references resolved just before sending, never printed)."""
    result = sync_destinations_only(ctx.obj, RemoteOptions(host, profile, timeout), dry_run=dry_run)
    if json_output:
        output.emit_json(result.to_dict())
    else:
        _print_destinations(result)
    if result.failed:
        raise typer.Exit(1)


def _print_destinations(result: DestinationsSyncResult) -> None:
    output.table(
        None,
        ("destination", "action", "status", "databricks id", "error"),
        [(d.destination_id, d.action, d.status, d.databricks_destination_id or "", d.error or "")
         for d in result.destinations],
    )  # fmt: skip
