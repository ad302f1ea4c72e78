"""Reaching a workspace: the SDK's own auth (env, ``--profile``), or ``--host`` with a token for the stand-in.

Sync talks to three services: alerts V2, notification destinations and the workspace folder API (plus the
Statement Execution API for a SQL warehouse engine). :func:`connect` builds those on one ``ApiClient`` — the
SDK's unified auth and its retries, without ``WorkspaceClient``, whose import loads every service of the SDK.
:func:`workspace_client` still builds a full ``WorkspaceClient`` on the same configuration, for callers that
want one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlparse

import requests
from databricks.sdk.config import Config
from databricks.sdk.core import ApiClient
from databricks.sdk.service.settings import NotificationDestinationsAPI
from databricks.sdk.service.sql import AlertsV2API, StatementExecutionAPI
from databricks.sdk.service.workspace import WorkspaceAPI

from lakealerts.errors import SetupError, UsageError

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

LOCAL_WAREHOUSE_ID = "local"
_PROBE_SECONDS = 10
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class SyncApis(Protocol):
    """What sync needs of a client: its configuration and three services. ``WorkspaceClient`` is one, and so
    is :class:`WorkspaceApis`."""

    @property
    def config(self) -> Config:
        """The SDK configuration (host, auth, timeouts, retry budget)."""

    @property
    def alerts_v2(self) -> AlertsV2API:
        """SQL Alerts V2."""

    @property
    def notification_destinations(self) -> NotificationDestinationsAPI:
        """Notification destinations."""

    @property
    def workspace(self) -> WorkspaceAPI:
        """The workspace file tree (``mkdirs``)."""


class WorkspaceApis:
    """The services lakealerts uses, on one ``ApiClient`` (the SDK's auth, retries and user agent), as
    ``WorkspaceClient`` would build them."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.api_client = ApiClient(config)
        # The SDK's generated service classes have untyped constructors.
        self.alerts_v2 = AlertsV2API(self.api_client)  # type: ignore[no-untyped-call]
        self.notification_destinations = NotificationDestinationsAPI(self.api_client)  # type: ignore[no-untyped-call]
        self.workspace = WorkspaceAPI(self.api_client)  # type: ignore[no-untyped-call]
        self.statement_execution = StatementExecutionAPI(self.api_client)  # type: ignore[no-untyped-call]


def connect(
    host: str | None, profile: str | None, timeout: float, env: Mapping[str, str] | None = None
) -> WorkspaceApis:
    """The services sync uses, authenticated like the SDK does (see :func:`configure`)."""
    return WorkspaceApis(configure(host, profile, timeout, env))


def workspace_client(
    host: str | None, profile: str | None, timeout: float, env: Mapping[str, str] | None = None
) -> WorkspaceClient:
    """A full ``WorkspaceClient`` on :func:`configure`'s configuration (imports every SDK service)."""
    from databricks.sdk import WorkspaceClient

    return WorkspaceClient(config=configure(host, profile, timeout, env))


def configure(host: str | None, profile: str | None, timeout: float, env: Mapping[str, str] | None = None) -> Config:
    """``--host`` wins and then uses token auth only (DATABRICKS_TOKEN); otherwise the SDK's default chain.

    An unreachable host is a quick, clear error: the SDK would otherwise retry a refused connection (and its
    host-metadata probe) for its whole retry budget before saying anything.
    """
    environment = os.environ if env is None else env
    http_timeout = int(max(1, timeout))
    _check_reachable(host, http_timeout)  # an explicit host is checked before the SDK probes it
    try:
        config = _config(host, profile, environment, http_timeout)
    except ValueError as error:  # the SDK's "cannot configure default credentials"
        raise SetupError(
            f"cannot authenticate to Databricks: {error}",
            hint="set DATABRICKS_HOST and DATABRICKS_TOKEN, pass --profile, or --host for a stand-in",
        ) from error
    if not host:
        _check_reachable(config.host, http_timeout)
    # Once the host answers, 429/503 and dropped connections deserve patient retries — never endless ones.
    config.retry_timeout_seconds = int(max(30, timeout * 6))
    return config


def _config(host: str | None, profile: str | None, env: Mapping[str, str], http_timeout: int) -> Config:
    probe = min(http_timeout, _PROBE_SECONDS)  # the SDK's host-metadata probe runs inside Config()
    if not host:
        return Config(profile=profile, http_timeout_seconds=http_timeout, retry_timeout_seconds=probe)
    token = env.get("DATABRICKS_TOKEN")
    if not token:
        raise UsageError(
            f"--host {host} needs a token",
            hint="export DATABRICKS_TOKEN=… (for `lakealerts serve`, the token it was started with)",
        )
    return Config(
        host=host, token=token, auth_type="pat", http_timeout_seconds=http_timeout, retry_timeout_seconds=probe
    )


def _check_reachable(host: str | None, timeout: int) -> None:
    """Any HTTP answer will do; no answer at all is an environment error (exit 2)."""
    if not host:
        return
    try:
        requests.get(f"{host.rstrip('/')}/.well-known/databricks-config", timeout=min(timeout, _PROBE_SECONDS))
    except requests.RequestException as error:
        raise SetupError(
            f"cannot reach {host}: {type(error).__name__}",
            hint="check the URL (for a stand-in: is `lakealerts serve` running on that port?) and the network",
        ) from error


def check_warehouse_before_connecting(host: str | None, env: Mapping[str, str], warehouse_id: str | None) -> None:
    """A missing warehouse id against a known, non-loopback host is a usage error before any call."""
    target = host or env.get("DATABRICKS_HOST")
    if not warehouse_id and target and not is_loopback(target):
        raise UsageError(
            f"no SQL warehouse id for {target}",
            hint="pass --warehouse-id or set LAKEALERTS_WAREHOUSE_ID (alerts run on a SQL warehouse)",
        )


def is_loopback(host: str | None) -> bool:
    """True for a workspace stand-in on this machine."""
    return (urlparse(host or "").hostname or "") in _LOOPBACK


def warehouse_for(host: str, warehouse_id: str | None) -> str:
    """The warehouse id to deploy with on ``host``: given, or ``local`` on a loopback stand-in; else a usage
    error."""
    if warehouse_id:
        return warehouse_id
    if is_loopback(host):
        return LOCAL_WAREHOUSE_ID
    raise UsageError(
        f"no SQL warehouse id for {host}",
        hint="pass --warehouse-id or set LAKEALERTS_WAREHOUSE_ID (alerts run on a SQL warehouse)",
    )
