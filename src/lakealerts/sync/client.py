"""Building the ``WorkspaceClient``: the SDK's own auth, or ``--host`` with a token for the stand-in."""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlparse

from databricks.sdk import WorkspaceClient
from databricks.sdk.config import Config

from lakealerts.errors import SetupError, UsageError

LOCAL_WAREHOUSE_ID = "local"
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def workspace_client(
    host: str | None, profile: str | None, timeout: float, env: Mapping[str, str] | None = None
) -> WorkspaceClient:
    """``--host`` wins and then uses token auth only (DATABRICKS_TOKEN); otherwise the SDK's default chain."""
    environment = os.environ if env is None else env
    # Retries of 429/503/timeouts may take a while against a real workspace, but never forever.
    http_timeout, retry_timeout = int(max(1, timeout)), int(max(30, timeout * 6))
    try:
        if host:
            token = environment.get("DATABRICKS_TOKEN")
            if not token:
                raise UsageError(
                    f"--host {host} needs a token",
                    hint="export DATABRICKS_TOKEN=… (for `lakealerts serve`, the token it was started with)",
                )
            config = Config(
                host=host,
                token=token,
                auth_type="pat",
                http_timeout_seconds=http_timeout,
                retry_timeout_seconds=retry_timeout,
            )
        else:
            config = Config(profile=profile, http_timeout_seconds=http_timeout, retry_timeout_seconds=retry_timeout)
        return WorkspaceClient(config=config)
    except ValueError as error:  # the SDK's "cannot configure default credentials"
        raise SetupError(
            f"cannot authenticate to Databricks: {error}",
            hint="set DATABRICKS_HOST and DATABRICKS_TOKEN, pass --profile, or --host for a stand-in",
        ) from error


def is_loopback(host: str | None) -> bool:
    """True for a workspace stand-in on this machine."""
    return (urlparse(host or "").hostname or "") in _LOOPBACK


def warehouse_for(client: WorkspaceClient, warehouse_id: str | None) -> str:
    """The warehouse id to deploy with: given, or ``local`` on a loopback stand-in; else a usage error."""
    if warehouse_id:
        return warehouse_id
    if is_loopback(client.config.host):
        return LOCAL_WAREHOUSE_ID
    raise UsageError(
        f"no SQL warehouse id for {client.config.host}",
        hint="pass --warehouse-id or set LAKEALERTS_WAREHOUSE_ID (alerts run on a SQL warehouse)",
    )
