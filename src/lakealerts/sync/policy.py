"""Sync settings that the CLI needs without importing the SDK (its import costs a second at start-up)."""

from __future__ import annotations

from enum import StrEnum

DEFAULT_PARENT_PATH = "/Workspace/Shared/lakealerts"
DEFAULT_SUCCESS_THRESHOLD = 0.90
DEFAULT_CONCURRENCY = 8


class DeletePolicy(StrEnum):
    """What happens to alerts of disabled or removed rules: kept (listed as skipped), trashed or purged."""

    keep = "keep"
    trash = "trash"
    purge = "purge"
