"""The applier: carries out a Plan against a workspace with bounded concurrency (DESIGN §5).

Creates are POSTed once. A create answered RESOURCE_ALREADY_EXISTS, or lost to a timeout or a dropped
connection, is adopted by display name from one fresh listing at the end of the run (PATCHed if it differs) —
never a second POST in the same run. Every rule gets an outcome; one failure never stops the others.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import requests
from databricks.sdk.errors import NotFound, ResourceAlreadyExists
from databricks.sdk.service.sql import AlertV2

from lakealerts.sync.planner import Create, Delete, Plan, Update, changed_fields, same_folder
from lakealerts.sync.policy import DEFAULT_CONCURRENCY
from lakealerts.sync.remote import RemoteWorkspace
from lakealerts.sync.status import SyncStatus


@dataclass(frozen=True)
class Outcome:
    """What happened to one rule (or an orphan alert, ``alert_id`` None) in this run."""

    alert_id: str | None
    action: str  # create | update | delete | unchanged | skip
    status: SyncStatus  # never PLANNED: a dry run has no outcomes
    databricks_alert_id: str | None
    display_name: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"alert_id", "action", "status", "databricks_alert_id", "error"}`` (DESIGN §7)."""
        return {
            "alert_id": self.alert_id,
            "action": self.action,
            "status": self.status,
            "databricks_alert_id": self.databricks_alert_id,
            "error": self.error,
        }


class _LostCreate(Exception):  # noqa: N818 - a signal inside this module, not an error for users
    """A create whose answer we did not get (or that collided by name): settle it by adoption."""

    def __init__(self, create: Create, reason: str) -> None:
        super().__init__(reason)
        self.create = create
        self.reason = reason


def apply_plan(
    plan: Plan,
    remote: RemoteWorkspace,
    parent_path: str,
    *,
    stored_ids: dict[str, str | None] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Callable[[Outcome], None] | None = None,
    deleted: list[str] | None = None,
) -> list[Outcome]:
    """Apply ``plan``; ``stored_ids`` (alert_id -> stored databricks id) keeps ids on skipped rules; the ids of
    the alerts actually deleted are appended to ``deleted`` (a folder move's delete included)."""
    stored = stored_ids or {}
    outcomes = [
        Outcome(u.alert_id, "unchanged", SyncStatus.UNCHANGED, u.databricks_alert_id, u.display_name)
        for u in plan.unchanged
    ]
    outcomes += [
        Outcome(s.alert_id, "skip", s.status, stored.get(s.alert_id or ""), s.display_name, s.reason)
        for s in plan.skipped
    ]
    if plan.create:
        remote.mkdirs(parent_path)
    gone = deleted if deleted is not None else []
    tasks: list[Callable[[], Outcome]] = [partial(_delete, remote, d, gone) for d in plan.delete]
    tasks += [partial(_update, remote, u) for u in plan.update]
    tasks += [partial(_create, remote, c) for c in plan.create]
    lost: list[_LostCreate] = []
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for result in pool.map(_settle, tasks):
            if isinstance(result, _LostCreate):
                lost.append(result)
            else:
                outcomes.append(result)
                if progress is not None:
                    progress(result)
    if lost:
        outcomes += _adopt(remote, lost, parent_path)
    return _one_per_rule(outcomes)


def _settle(task: Callable[[], Outcome]) -> Outcome | _LostCreate:
    try:
        return task()
    except _LostCreate as lost:
        return lost


def _create(remote: RemoteWorkspace, create: Create) -> Outcome:
    try:
        created = remote.create_alert(create.alert)
    except ResourceAlreadyExists as error:
        raise _LostCreate(create, str(error)) from error
    except (requests.ConnectionError, requests.Timeout, TimeoutError) as error:
        raise _LostCreate(create, f"no answer to the create: {error}") from error
    except Exception as error:  # any failure of one rule becomes its outcome
        return Outcome(create.alert_id, "create", SyncStatus.FAILED, None, create.alert.display_name, _message(error))
    return Outcome(create.alert_id, "create", SyncStatus.CREATED, created.id, created.display_name)


def _update(remote: RemoteWorkspace, update: Update) -> Outcome:
    try:
        remote.update_alert(update.databricks_alert_id, update.alert, update.update_mask)
    except Exception as error:
        return Outcome(update.alert_id, "update", SyncStatus.FAILED, update.databricks_alert_id,
                       update.alert.display_name, _message(error))  # fmt: skip
    return Outcome(update.alert_id, "update", SyncStatus.UPDATED, update.databricks_alert_id, update.alert.display_name)


def _delete(remote: RemoteWorkspace, delete: Delete, gone: list[str]) -> Outcome:
    try:
        remote.delete_alert(delete.databricks_alert_id, delete.purge)
    except NotFound:
        pass  # already gone: the goal is reached
    except Exception as error:
        return Outcome(delete.alert_id, "delete", SyncStatus.FAILED, delete.databricks_alert_id,
                       delete.display_name, _message(error))  # fmt: skip
    gone.append(delete.databricks_alert_id)  # list.append is atomic: safe from the pool's threads
    return Outcome(delete.alert_id, "delete", SyncStatus.DELETED, None, delete.display_name)


def _adopt(remote: RemoteWorkspace, lost: list[_LostCreate], parent_path: str) -> list[Outcome]:
    """One fresh listing for all lost creates; each is adopted by display name or reported FAILED."""
    try:
        listing = remote.list_alerts()
    except Exception as error:
        return [_lost_failure(item, f"{item.reason}; listing to adopt it failed: {_message(error)}") for item in lost]
    in_folder = {a.display_name: a for a in listing if same_folder(a.parent_path, parent_path) and a.id}
    return [_adopt_one(remote, item, in_folder.get(item.create.alert.display_name)) for item in lost]


def _adopt_one(remote: RemoteWorkspace, item: _LostCreate, found: AlertV2 | None) -> Outcome:
    create = item.create
    if found is None or not found.id:
        return _lost_failure(item, f"{item.reason}; no alert named {create.alert.display_name!r} to adopt")
    fields = changed_fields(create.alert, found)
    if fields:
        try:
            remote.update_alert(found.id, create.alert, ",".join(fields))
        except Exception as error:
            return Outcome(create.alert_id, "create", SyncStatus.FAILED, found.id, found.display_name, _message(error))
    return Outcome(create.alert_id, "create", SyncStatus.CREATED, found.id, found.display_name)


def _lost_failure(item: _LostCreate, message: str) -> Outcome:
    return Outcome(item.create.alert_id, "create", SyncStatus.FAILED, None, item.create.alert.display_name, message)


def _one_per_rule(outcomes: list[Outcome]) -> list[Outcome]:
    """A folder move is delete + create of one rule: the create's outcome is the rule's outcome."""
    chosen: dict[object, Outcome] = {}
    for index, outcome in enumerate(outcomes):
        key: object = outcome.alert_id if outcome.alert_id is not None else ("orphan", index)
        if key in chosen and chosen[key].action == "create" and outcome.action == "delete":
            continue
        chosen[key] = outcome
    return sorted(chosen.values(), key=lambda o: (o.alert_id is None, o.alert_id or "", o.action))


def _message(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
