"""Sync settings that the CLI needs without importing the SDK (its import costs a second at start-up)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

DEFAULT_PARENT_PATH = "/Workspace/Shared/lakealerts"
DEFAULT_SUCCESS_THRESHOLD = 0.90
DEFAULT_CONCURRENCY = 8


class DeletePolicy(StrEnum):
    """What happens to alerts of disabled or removed rules: kept (listed as skipped), trashed or purged."""

    keep = "keep"
    trash = "trash"
    purge = "purge"


@dataclass(frozen=True)
class SyncOptions:
    """How to sync: where, with which warehouse, what to do with retired alerts, and whether for real.

    ``warehouse_id`` empty means none was given: the sync use case then deploys with ``local`` to a loopback
    stand-in and refuses any other host (DESIGN §5); :func:`lakealerts.sync.run.run_sync` uses it as it is.
    """

    warehouse_id: str = ""
    parent_path: str = DEFAULT_PARENT_PATH
    delete_policy: DeletePolicy = DeletePolicy.keep
    dry_run: bool = False
    concurrency: int = DEFAULT_CONCURRENCY
    include_rules: bool = True
