"""The sync use cases (DESIGN §5): ``plan``, ``sync`` (destinations, then alerts) and ``destinations sync``.

This is the one place a sync run is assembled: the workspace is the context's ready client (a job's identity,
quickstart's in-process stand-in, a test's) or a new one from :class:`RemoteOptions`; the store is opened to
read and to write back, never across a workspace call; secret references resolve from ``ctx.env`` and
``ctx.secret_reader``; the time is ``ctx.clock``; progress goes to ``ctx.progress``. Each returns a value
whose ``to_dict()`` is the command's ``--json``.

The SDK-backed modules are imported when a run starts, not with this module: importing databricks-sdk costs
a second and more, which ``--help`` and every other command should not pay.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakealerts.app.context import AppContext, RemoteOptions
from lakealerts.sync.policy import DEFAULT_PARENT_PATH, DeletePolicy, SyncOptions
from lakealerts.sync.status import SyncStatus, success_rate

if TYPE_CHECKING:
    from lakealerts.sync.destinations import DestinationOutcome
    from lakealerts.sync.remote import RemoteWorkspace
    from lakealerts.sync.run import SyncResult as SyncResult  # the value plan/sync return, for the entry points


@dataclass(frozen=True)
class DestinationsSyncResult:
    """A destinations-only run: one outcome per stored destination (``destinations sync``)."""

    run_id: str
    dry_run: bool
    destinations: list[DestinationOutcome]

    @property
    def failed(self) -> list[DestinationOutcome]:
        """The destinations whose sync failed."""
        return [d for d in self.destinations if d.status == SyncStatus.FAILED]

    @property
    def success_rate(self) -> float:
        """Synced destinations / destinations (a dry run's PLANNED ones count as synced; none ⇒ 1.0)."""
        return success_rate(d.status for d in self.destinations)

    def to_dict(self) -> list[dict[str, Any]]:
        """``destinations sync --json``: ``[{"destination_id", "action", "status", "databricks_destination_id",
        "error"}]``."""
        return [d.to_dict() for d in self.destinations]


def plan_alerts(
    ctx: AppContext,
    remote: RemoteOptions,
    *,
    warehouse_id: str | None = None,
    parent_path: str = DEFAULT_PARENT_PATH,
    delete_policy: DeletePolicy = DeletePolicy.keep,
) -> SyncResult:
    """What ``sync`` would change (``plan`` and ``sync --dry-run`` are one path): nothing remote changes and
    only the run's metrics row is written. ``plan --json`` is ``result.plan.to_dict()``."""
    options = SyncOptions(warehouse_id or "", parent_path, delete_policy, dry_run=True)
    return sync_alerts(ctx, remote, options)


def sync_alerts(ctx: AppContext, remote: RemoteOptions, options: SyncOptions) -> SyncResult:
    """Destinations, then every rule to SQL Alerts V2: plan, apply, write back, one metrics row.

    Without ``options.warehouse_id`` the alerts deploy with ``local`` to a loopback stand-in; for any other
    host that is a UsageError — before any call when a new client is to be built (DESIGN §5).
    Raises :class:`lakealerts.sync.run.SyncAbortedError` when the workspace cannot be listed.
    """
    from lakealerts.sync.client import check_warehouse_before_connecting, warehouse_for

    given = options.warehouse_id or None
    if ctx.client is None:
        check_warehouse_before_connecting(remote.host, ctx.env, given)
    workspace = ctx.workspace(remote)
    return _run(ctx, workspace, dataclasses.replace(options, warehouse_id=warehouse_for(workspace.host, given)))


def sync_destinations_only(ctx: AppContext, remote: RemoteOptions, *, dry_run: bool = False) -> DestinationsSyncResult:
    """Notification destinations only (secret references resolved just before each call, never printed)."""
    result = _run(ctx, ctx.workspace(remote), SyncOptions(dry_run=dry_run, include_rules=False))
    return DestinationsSyncResult(result.run_id, result.dry_run, result.destinations)


def _run(ctx: AppContext, workspace: RemoteWorkspace, options: SyncOptions) -> SyncResult:
    """One run on the context's store, opened to read and again to write back, never while the workspace is
    called: a long sync does not lock out other commands or ``serve``'s scheduler (DESIGN §10.1)."""
    from lakealerts.sync.run import run_sync

    return run_sync(ctx.store, workspace, options, clock=ctx.clock, env=ctx.env, secret_reader=ctx.secret_reader,
                    progress=ctx.progress)  # fmt: skip
