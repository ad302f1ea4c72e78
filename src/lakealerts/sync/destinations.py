"""Destinations sync: notification_destinations rows -> Databricks notification destinations (DESIGN §5).

Identity is the stored ``databricks_destination_id``, then the display name. Secrets are write-only on
Databricks, so every enabled destination's config is re-sent each run with its references resolved just
before the call (and never printed). A type change is delete + create; disabled rows with a stored id are
deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from databricks.sdk.service.settings import (
    Config,
    EmailConfig,
    GenericWebhookConfig,
    MicrosoftTeamsConfig,
    PagerdutyConfig,
    SlackConfig,
)

from lakealerts.errors import LakeAlertsError
from lakealerts.model import DestinationType, NotificationDestination, StoredDestination
from lakealerts.secrets import SecretReader, resolve_config
from lakealerts.sync.remote import RemoteWorkspace
from lakealerts.sync.status import SyncStatus


@dataclass(frozen=True)
class DestinationOutcome:
    """What happened to one destination; ``databricks_destination_id`` is what gets written back."""

    destination_id: str
    action: str  # create | update | recreate | delete | none
    status: SyncStatus  # CREATED | UPDATED | DELETED | UNCHANGED | FAILED | PLANNED
    databricks_destination_id: str | None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of ``destinations sync --json``."""
        return {
            "destination_id": self.destination_id,
            "action": self.action,
            "status": self.status,
            "databricks_destination_id": self.databricks_destination_id,
            "error": self.error,
        }


def to_config(destination: NotificationDestination, resolved: Mapping[str, Any]) -> Config:
    """The SDK ``Config`` of a destination, from its already resolved config values."""
    kind = destination.destination_type
    if kind is DestinationType.EMAIL:
        return Config(email=EmailConfig(addresses=list(resolved["addresses"])))
    if kind is DestinationType.SLACK:
        return Config(slack=SlackConfig(url=resolved["url"]))
    if kind is DestinationType.MICROSOFT_TEAMS:
        return Config(microsoft_teams=MicrosoftTeamsConfig(url=resolved["url"]))
    if kind is DestinationType.WEBHOOK:
        return Config(
            generic_webhook=GenericWebhookConfig(
                url=resolved["url"], username=resolved.get("username"), password=resolved.get("password")
            )
        )
    return Config(pagerduty=PagerdutyConfig(integration_key=resolved["integration_key"]))


def sync_destinations(
    stored: list[StoredDestination],
    remote: RemoteWorkspace,
    env: Mapping[str, str],
    *,
    secret_reader: SecretReader | None = None,
    dry_run: bool = False,
) -> list[DestinationOutcome]:
    """Bring the workspace's destinations in line with the table; one outcome per stored destination."""
    listing = remote.list_destinations()
    by_id = {item[0]: item for item in listing}
    by_name = {item[1]: item for item in listing}
    return [_sync_one(item, by_id, by_name, remote, env, secret_reader, dry_run) for item in stored]


def _sync_one(
    stored: StoredDestination,
    by_id: Mapping[str, tuple[str, str, str]],
    by_name: Mapping[str, tuple[str, str, str]],
    remote: RemoteWorkspace,
    env: Mapping[str, str],
    secret_reader: SecretReader | None,
    dry_run: bool,
) -> DestinationOutcome:
    destination = stored.destination
    found = by_id.get(stored.databricks_destination_id or "") or by_name.get(destination.destination_name)
    remote_id = found[0] if found else None
    if not destination.is_enabled:
        return _retire(destination.destination_id, stored.databricks_destination_id, by_id, remote, dry_run)
    action = "create" if found is None else ("recreate" if found[2] != destination.destination_type.value else "update")
    try:
        # Resolved in a dry run too: `plan` must fail what `sync` would fail (DESIGN §10.2), never send it.
        config = to_config(destination, resolve_config(destination.config_json, destination.destination_id, env,
                                                       secret_reader))  # fmt: skip
        if dry_run:
            return DestinationOutcome(destination.destination_id, action, SyncStatus.PLANNED, remote_id)
        if action == "recreate" and remote_id:
            remote.delete_destination(remote_id)
        if action == "update" and remote_id:
            remote.update_destination(remote_id, destination.destination_name, config)
            return DestinationOutcome(destination.destination_id, action, SyncStatus.UPDATED, remote_id)
        created = remote.create_destination(destination.destination_name, config)
    except Exception as error:  # one destination's failure never stops the others
        message = str(error) if isinstance(error, LakeAlertsError) else f"{type(error).__name__}: {error}"
        keep = None if action == "recreate" else remote_id
        return DestinationOutcome(destination.destination_id, action, SyncStatus.FAILED, keep, message)
    return DestinationOutcome(destination.destination_id, action, SyncStatus.CREATED, created.id)


def _retire(
    destination_id: str,
    stored_id: str | None,
    by_id: Mapping[str, tuple[str, str, str]],
    remote: RemoteWorkspace,
    dry_run: bool,
) -> DestinationOutcome:
    """Only a disabled row with a stored id that still exists is deleted."""
    if not stored_id or stored_id not in by_id:
        return DestinationOutcome(destination_id, "none", SyncStatus.UNCHANGED, None)
    if dry_run:
        return DestinationOutcome(destination_id, "delete", SyncStatus.PLANNED, stored_id)
    try:
        remote.delete_destination(stored_id)
    except Exception as error:
        message = f"{type(error).__name__}: {error}"
        return DestinationOutcome(destination_id, "delete", SyncStatus.FAILED, stored_id, message)
    return DestinationOutcome(destination_id, "delete", SyncStatus.DELETED, None)
