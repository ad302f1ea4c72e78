"""Quickstart's one step that needs a workspace: a stand-in started in this process, synced to at once."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from lakealerts.app.context import AppContext, RemoteOptions
from lakealerts.app.sync import sync_alerts
from lakealerts.sync.policy import SyncOptions

if TYPE_CHECKING:
    from lakealerts.app.sync import SyncResult


def sync_to_local_standin(ctx: AppContext) -> tuple[str, SyncResult]:
    """Start a stand-in on a free loopback port with a throw-away token, sync every rule to it, stop it.

    Returns the stand-in's URL and the sync's result; SetupError when the stand-in cannot start (e.g.
    ``lakealerts serve`` already holds this home's service store).
    """
    from lakealerts.serve import StandIn
    from lakealerts.sync.client import LOCAL_WAREHOUSE_ID, workspace_client

    token = secrets.token_urlsafe(16)
    with StandIn.start(ctx.settings, token) as standin:
        client = workspace_client(standin.url, None, 30.0, env={"DATABRICKS_TOKEN": token})
        quiet = ctx.replace(client=client, progress=lambda _message: None)
        return standin.url, sync_alerts(quiet, RemoteOptions(), SyncOptions(warehouse_id=LOCAL_WAREHOUSE_ID))
