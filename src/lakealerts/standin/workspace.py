"""The stand-in's workspace: alerts, destinations and folders over the service store, one request at a time.

Each public method takes a decoded JSON body (or ids and query values), raises
:class:`lakealerts.standin.errors.ApiError` for anything a workspace refuses, and returns the JSON document
to answer with. A lock serialises requests: the store is one DuckDB connection and the name check plus the
insert must be atomic.
"""

from __future__ import annotations

import base64
import binascii
import threading
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from lakealerts.standin.alerts import (
    ACTIVE,
    TRASHED,
    AlertRecord,
    apply_update,
    folder_key,
    new_alert,
    render_alert,
    rfc3339,
)
from lakealerts.standin.destinations import (
    DestinationRecord,
    apply_destination_update,
    new_destination,
    render_destination,
    render_summary,
)
from lakealerts.standin.errors import already_exists, invalid, not_found
from lakealerts.standin.store import ServiceStore

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
# Folders every workspace has; anything else must be created with mkdirs first.
_ROOT_FOLDERS = frozenset({"/", "/Shared", "/Users"})


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


class Workspace:
    """Alerts V2, notification destinations and workspace folders, as a workspace answers them."""

    def __init__(
        self,
        store: ServiceStore,
        user: str,
        *,
        clock: Callable[[], datetime] = _utc_now,
        new_id: Callable[[], str] = _new_id,
    ) -> None:
        """Serve ``store`` as the workspace user ``user`` (the owner of everything created)."""
        self._store = store
        self._user = user
        self._clock = clock
        self._new_id = new_id
        self._lock = threading.Lock()

    # --- alerts ---------------------------------------------------------------------------------------

    def create_alert(self, body: Any) -> dict[str, Any]:
        """POST /api/2.0/alerts: 400 invalid, 404 unknown folder, 409 name taken in the folder."""
        with self._lock:
            record = new_alert(body, alert_id=self._new_id(), owner=self._user, now=self._clock())
            folder = folder_key(record.parent_path)
            if not self._folder_exists(folder):
                raise not_found(f"Path ({record.parent_path}) doesn't exist: create it with workspace mkdirs")
            self._check_name_free(folder, record)
            self._store.add_alert(record, folder)
            return render_alert(record)

    def get_alert(self, alert_id: str) -> dict[str, Any]:
        """GET /api/2.0/alerts/{id}: trashed alerts too (``lifecycle_state`` DELETED); 404 when unknown."""
        with self._lock:
            return render_alert(self._alert(alert_id))

    def list_alerts(self, page_size: str | None, page_token: str | None) -> dict[str, Any]:
        """GET /api/2.0/alerts: active alerts by creation time, under both ``alerts`` and ``results``."""
        limit, after = _page_size(page_size), _decode_token(page_token)
        with self._lock:
            rows = self._store.list_alerts(after, limit + 1)
        items = [render_alert(record) for _, record in rows[:limit]]
        page: dict[str, Any] = {"alerts": items, "results": items}
        if len(rows) > limit:
            page["next_page_token"] = _encode_token(rows[limit - 1][0])
        return page

    def update_alert(self, alert_id: str, body: Any, update_mask: str | None) -> dict[str, Any]:
        """PATCH /api/2.0/alerts/{id}?update_mask=...: only the masked fields change."""
        with self._lock:
            record = self._alert(alert_id)
            if record.lifecycle_state != ACTIVE:
                raise not_found(f"Alert {alert_id} is in the trash")
            updated = apply_update(record, body, update_mask, self._clock())
            if updated.display_name != record.display_name:
                self._check_name_free(folder_key(updated.parent_path), updated)
            self._store.save_alert(updated)
            return render_alert(updated)

    def trash_alert(self, alert_id: str, purge: bool) -> dict[str, Any]:
        """DELETE /api/2.0/alerts/{id}: to the trash (leaves list and name check), or gone with ``purge``."""
        with self._lock:
            record = self._alert(alert_id)
            if purge:
                self._store.remove_alert(alert_id)
            elif record.lifecycle_state == ACTIVE:
                trashed = replace(record, lifecycle_state=TRASHED, update_time=rfc3339(self._clock()))
                self._store.save_alert(trashed)
        return {}

    # --- notification destinations --------------------------------------------------------------------

    def create_destination(self, body: Any) -> dict[str, Any]:
        """POST /api/2.0/notification-destinations: secrets kept as ``*_set`` flags only."""
        with self._lock:
            record = new_destination(body, destination_id=self._new_id())
            self._store.add_destination(record)
            return render_destination(record)

    def get_destination(self, destination_id: str) -> dict[str, Any]:
        """GET /api/2.0/notification-destinations/{id}."""
        with self._lock:
            return render_destination(self._destination(destination_id))

    def list_destinations(self, page_size: str | None, page_token: str | None) -> dict[str, Any]:
        """GET /api/2.0/notification-destinations: ``results`` of id, display name and type."""
        limit, after = _page_size(page_size), _decode_token(page_token)
        with self._lock:
            rows = self._store.list_destinations(after, limit + 1)
        page: dict[str, Any] = {"results": [render_summary(record) for _, record in rows[:limit]]}
        if len(rows) > limit:
            page["next_page_token"] = _encode_token(rows[limit - 1][0])
        return page

    def update_destination(self, destination_id: str, body: Any) -> dict[str, Any]:
        """PATCH /api/2.0/notification-destinations/{id}: a new name and/or config of the same type."""
        with self._lock:
            updated = apply_destination_update(self._destination(destination_id), body)
            self._store.save_destination(updated)
            return render_destination(updated)

    def delete_destination(self, destination_id: str) -> dict[str, Any]:
        """DELETE /api/2.0/notification-destinations/{id}."""
        with self._lock:
            self._destination(destination_id)
            self._store.remove_destination(destination_id)
        return {}

    # --- workspace folders ----------------------------------------------------------------------------

    def mkdirs(self, body: Any) -> dict[str, Any]:
        """POST /api/2.0/workspace/mkdirs: the folder and its parents; existing ones are fine."""
        path = body.get("path") if isinstance(body, dict) else None
        if not isinstance(path, str) or not path.startswith("/"):
            raise invalid(f"Path ({path}) doesn't start with '/': give an absolute workspace path")
        key = folder_key(path)
        parts = [part for part in key.split("/") if part]
        with self._lock:
            self._store.add_folders(["/" + "/".join(parts[: depth + 1]) for depth in range(len(parts))])
        return {}

    # --- helpers --------------------------------------------------------------------------------------

    def _alert(self, alert_id: str) -> AlertRecord:
        record = self._store.get_alert(alert_id)
        if record is None:
            raise not_found(f"Alert {alert_id} does not exist")
        return record

    def _destination(self, destination_id: str) -> DestinationRecord:
        record = self._store.get_destination(destination_id)
        if record is None:
            raise not_found(f"Notification destination {destination_id} does not exist")
        return record

    def _check_name_free(self, folder: str, record: AlertRecord) -> None:
        holder = self._store.active_alert_named(folder, record.display_name)
        if holder is not None and holder != record.id:
            raise already_exists(f"An alert named '{record.display_name}' already exists in {record.parent_path}")

    def _folder_exists(self, folder: str) -> bool:
        # Every user has a home folder (/Users/<name>), as on a workspace.
        home = folder.startswith("/Users/") and folder.count("/") == 2
        return folder in _ROOT_FOLDERS or home or self._store.has_folder(folder)


def _page_size(raw: str | None) -> int:
    """``page_size`` from the query: default 100, at most 1000 (larger values are capped), 400 if not a count."""
    if raw is None or raw == "":
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        raise invalid(f"Invalid page_size {raw!r}: expected a whole number") from None
    if size < 0:
        raise invalid(f"Invalid page_size {size}: must not be negative")
    return min(size, MAX_PAGE_SIZE) if size else DEFAULT_PAGE_SIZE


def _encode_token(position: int) -> str:
    return base64.urlsafe_b64encode(f"after:{position}".encode()).decode()


def _decode_token(token: str | None) -> int:
    """The position a page token continues after (0 = from the start); 400 for a token we did not issue."""
    if not token:
        return 0
    try:
        prefix, _, position = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if prefix == "after" and position.isdigit():
            return int(position)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise invalid(f"Invalid page_token {token!r}")
