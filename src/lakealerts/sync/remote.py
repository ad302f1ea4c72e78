"""The Databricks side of a sync: a thin, instrumented adapter over the SDK's services (:class:`SyncApis`:
``WorkspaceClient``, or the lean :class:`lakealerts.sync.client.WorkspaceApis`).

The SDK itself retries 429/503 (honouring Retry-After), timeouts and dropped connections — POST included. It
does not retry 500/502/504; this adapter retries those for GET/PATCH/DELETE (up to 3 more attempts) and never
for POST, so a create is never sent twice by us. Every logical call's latency (retries included) is recorded
for the sync metrics.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import requests
from databricks.sdk.errors.base import DatabricksError
from databricks.sdk.service.settings import Config, NotificationDestination
from databricks.sdk.service.sql import AlertV2

from lakealerts.sync.client import SyncApis

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

T = TypeVar("T")
_RETRIED_STATUS = (500, 502, 504)
RETRIES = 3
LIST_PAGE_SIZE = 1000
# What a workspace call raises once the SDK's and our retries are spent: an API error, a transport error, or the
# SDK's TimeoutError when its retry deadline passed.
REMOTE_ERRORS: tuple[type[BaseException], ...] = (DatabricksError, requests.RequestException, TimeoutError)


@dataclass
class CallLog:
    """Latency of every logical API call, in milliseconds; safe to append from worker threads."""

    latencies_ms: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, started: float) -> None:
        """Record one call that started at ``started`` (perf_counter seconds)."""
        with self._lock:
            self.latencies_ms.append((time.perf_counter() - started) * 1000)


def status_of(error: BaseException) -> int | None:
    """The HTTP status behind an SDK error, when it carries one."""
    response = getattr(error, "_response", None) or getattr(error, "response", None)
    return getattr(response, "status_code", None)


def is_server_error(error: BaseException) -> bool:
    """500/502/504 (retried by us for idempotent calls), judged by status or by the SDK's error class."""
    if status_of(error) in _RETRIED_STATUS:
        return True
    return type(error).__name__ in ("InternalError", "DeadlineExceeded", "BadGateway")


class RemoteWorkspace:
    """What sync needs from a workspace: alerts V2, notification destinations and a folder."""

    def __init__(self, apis: SyncApis, log: CallLog | None = None, backoff_seconds: float = 0.5) -> None:
        self.apis = apis
        self.log = log or CallLog()
        self._backoff = backoff_seconds
        self._client: WorkspaceClient | None = None

    @property
    def host(self) -> str:
        """The workspace's URL: the key of this store's ownership records (DESIGN §10.2)."""
        return str(self.apis.config.host or "").rstrip("/")

    @property
    def client(self) -> WorkspaceClient:
        """A full ``WorkspaceClient`` on the same configuration (a SQL warehouse engine's); built on first use,
        since importing it loads every service of the SDK."""
        from databricks.sdk import WorkspaceClient

        if isinstance(self.apis, WorkspaceClient):
            return self.apis
        if self._client is None:
            self._client = WorkspaceClient(config=self.apis.config)
        return self._client

    def _call(self, action: Callable[[], T], *, idempotent: bool) -> T:
        started = time.perf_counter()
        try:
            attempt = 0
            while True:
                try:
                    return action()
                except DatabricksError as error:
                    if not idempotent or attempt >= RETRIES or not is_server_error(error):
                        raise
                    attempt += 1
                    time.sleep(self._backoff * attempt)
        finally:
            self.log.record(started)

    # --- alerts -----------------------------------------------------------------------------------------
    def list_alerts(self) -> list[AlertV2]:
        """Every alert of the workspace (all pages), as one logical call."""
        return self._call(lambda: list(self.apis.alerts_v2.list_alerts(page_size=LIST_PAGE_SIZE)), idempotent=True)

    def create_alert(self, alert: AlertV2) -> AlertV2:
        """POST once; never retried by us."""
        return self._call(lambda: self.apis.alerts_v2.create_alert(alert), idempotent=False)

    def update_alert(self, alert_id: str, alert: AlertV2, update_mask: str) -> AlertV2:
        """PATCH with the exact mask."""
        return self._call(lambda: self.apis.alerts_v2.update_alert(alert_id, alert, update_mask), idempotent=True)

    def delete_alert(self, alert_id: str, purge: bool) -> None:
        """Trash (purge=False) or delete for good."""
        self._call(lambda: self.apis.alerts_v2.trash_alert(alert_id, purge=purge), idempotent=True)

    def mkdirs(self, path: str) -> None:
        """Create the managed folder (idempotent on Databricks)."""
        self._call(lambda: self.apis.workspace.mkdirs(path), idempotent=True)

    # --- destinations -----------------------------------------------------------------------------------
    def list_destinations(self) -> list[tuple[str, str, str]]:
        """(id, display_name, destination_type) of every destination."""

        def listing() -> list[tuple[str, str, str]]:
            return [
                (d.id or "", d.display_name or "", d.destination_type.value if d.destination_type else "")
                for d in self.apis.notification_destinations.list(page_size=LIST_PAGE_SIZE)
            ]

        return self._call(listing, idempotent=True)

    def create_destination(self, display_name: str, config: Config) -> NotificationDestination:
        """POST once."""
        return self._call(
            lambda: self.apis.notification_destinations.create(display_name=display_name, config=config),
            idempotent=False,
        )

    def update_destination(self, destination_id: str, display_name: str, config: Config) -> NotificationDestination:
        """Re-send name and config (secrets are write-only, so there is nothing to compare)."""
        return self._call(
            lambda: self.apis.notification_destinations.update(
                destination_id, display_name=display_name, config=config
            ),
            idempotent=True,
        )

    def delete_destination(self, destination_id: str) -> None:
        """Delete a destination."""
        self._call(lambda: self.apis.notification_destinations.delete(destination_id), idempotent=True)
