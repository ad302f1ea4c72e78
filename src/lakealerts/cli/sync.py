"""``lakealerts plan`` / ``sync`` / ``destinations sync``: table-driven terraform-like deploys to SQL Alerts V2."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from lakealerts.cli import output
from lakealerts.cli.common import JsonFlag, now
from lakealerts.settings import Settings
from lakealerts.sync.policy import DEFAULT_PARENT_PATH, DEFAULT_SUCCESS_THRESHOLD, DeletePolicy
from lakealerts.wiring import open_store

if TYPE_CHECKING:
    from lakealerts.sync.run import SyncOptions, SyncResult

# The SDK-backed modules are imported inside the commands: importing databricks-sdk costs ~1.5 s, which every
# other command (and --help) should not pay.

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


def _run(settings: Settings, host: str | None, profile: str | None, warehouse_id: str | None, timeout: float,
         options: SyncOptions) -> SyncResult:  # fmt: skip
    from lakealerts.sync.client import check_warehouse_before_connecting, warehouse_for, workspace_client
    from lakealerts.sync.remote import RemoteWorkspace
    from lakealerts.sync.run import SyncOptions, run_sync

    check_warehouse_before_connecting(host, os.environ, warehouse_id)
    client = workspace_client(host, profile, timeout)
    options = SyncOptions(**{**options.__dict__, "warehouse_id": warehouse_for(client, warehouse_id)})
    with open_store(settings) as store:
        return run_sync(store, RemoteWorkspace(client), options, clock=now, env=os.environ, progress=output.info)


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
    from lakealerts.sync.run import SyncOptions

    options = SyncOptions("", parent_path, delete_policy, dry_run=True)
    result = _run(ctx.obj, host, profile, warehouse_id, timeout, options)
    if json_output:
        output.emit_json(result.plan.to_dict())
    else:
        output.stdout.print(result.plan.to_text(), highlight=False, markup=False)


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
    from lakealerts.sync.run import SyncOptions

    options = SyncOptions("", parent_path, delete_policy, dry_run, concurrency)
    result = _run(ctx.obj, host, profile, warehouse_id, timeout, options)
    if json_output:
        output.emit_json(result.to_dict())
    else:
        _print(result)
    if result.success_rate < min_success_rate:
        raise typer.Exit(1)


def _print(result: SyncResult) -> None:
    output.stdout.print(result.plan.to_text(), highlight=False, markup=False)
    if result.outcomes:
        output.table(
            None,
            ("rule", "action", "status", "databricks id", "error"),
            [(o.alert_id or "(no rule)", o.action, o.status, o.databricks_alert_id or "", o.error or "")
             for o in result.outcomes if o.status != "UNCHANGED"],
        )  # fmt: skip
    failed = [d for d in result.destinations if d.status == "FAILED"]
    for destination in failed:
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
    from lakealerts.sync.client import workspace_client
    from lakealerts.sync.remote import RemoteWorkspace
    from lakealerts.sync.run import SyncOptions, run_sync

    client = workspace_client(host, profile, timeout)
    options = SyncOptions("unused", dry_run=dry_run, include_rules=False)
    with open_store(ctx.obj) as store:
        result = run_sync(store, RemoteWorkspace(client), options, clock=now, env=os.environ, progress=output.info)
    if json_output:
        output.emit_json([d.to_dict() for d in result.destinations])
    else:
        output.table(
            None,
            ("destination", "action", "status", "databricks id", "error"),
            [(d.destination_id, d.action, d.status, d.databricks_destination_id or "", d.error or "")
             for d in result.destinations],
        )  # fmt: skip
    if any(d.status == "FAILED" for d in result.destinations):
        raise typer.Exit(1)
