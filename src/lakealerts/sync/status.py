"""What became of a rule or a destination in a sync run, and the one success rate over those outcomes (DESIGN §5).

Pure and free of the SDK: the CLI renders these without paying for the databricks-sdk import.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class SyncStatus(StrEnum):
    """An outcome's status; a ``str``, so the JSON documents and ``last_sync_status`` hold the bare name."""

    CREATED = "CREATED"
    UPDATED = "UPDATED"
    UNCHANGED = "UNCHANGED"
    DELETED = "DELETED"
    FAILED = "FAILED"  # the call failed, or the rule could not be mapped (e.g. a destination without an id)
    INVALID = "INVALID"  # static findings: skipped, never deployed
    SKIPPED = "SKIPPED"  # kept by the delete policy: out of scope
    PLANNED = "PLANNED"  # a dry run's destination: what it would do


#: Outcomes that reached their goal (written back without an error).
SUCCESS_STATUSES = frozenset({SyncStatus.CREATED, SyncStatus.UPDATED, SyncStatus.UNCHANGED, SyncStatus.DELETED})
#: Outcomes that count against the success rate.
FAILURE_STATUSES = frozenset({SyncStatus.FAILED, SyncStatus.INVALID})


def success_rate(statuses: Iterable[SyncStatus]) -> float:
    """Successes / outcomes in scope: SKIPPED is out of scope, FAILED and INVALID are failures, any other
    status a success (unchanged too). Nothing in scope ⇒ 1.0. Callers choose which outcomes they pass."""
    in_scope = [status for status in statuses if status != SyncStatus.SKIPPED]
    if not in_scope:
        return 1.0
    return sum(1 for status in in_scope if status not in FAILURE_STATUSES) / len(in_scope)
