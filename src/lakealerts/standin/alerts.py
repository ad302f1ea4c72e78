"""Alerts V2 as the stand-in keeps them: what a client sent, plus the fields a workspace fills in (pure).

A stored alert is an :class:`AlertRecord`: the client's document (``spec``, output-only fields removed) and
the server-side facts (id, owner, times, lifecycle and evaluation state). :func:`render_alert` turns it
into the JSON a workspace answers with, filling output-only fields the way a workspace does:
``source.display`` = ``source.name`` when absent, ``effective_run_as`` / ``run_as_user_name`` = the run-as
identity (the owner unless set), ``schedule.pause_status`` UNPAUSED, ``evaluation.state`` UNKNOWN until
evaluated (the stand-in never evaluates), ``lifecycle_state`` ACTIVE or DELETED (trashed).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from databricks.sdk.service.sql import AlertLifecycleState, AlertV2

from lakealerts.standin.errors import invalid
from lakealerts.standin.schema import check_payload, model_fields, nested_model

ACTIVE = AlertLifecycleState.ACTIVE.value
TRASHED = AlertLifecycleState.DELETED.value  # the SDK's AlertLifecycleState has ACTIVE and DELETED only
OUTPUT_ONLY = frozenset({"id", "create_time", "update_time", "lifecycle_state", "effective_run_as", "owner_user_name"})
EVALUATION_OUTPUT_ONLY = frozenset({"state", "last_evaluated_at"})
CREATE_ONLY = frozenset({"parent_path"})
_APPLICATION_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_MISSING = object()


@dataclass(frozen=True)
class AlertRecord:
    """One stored alert: the client's document and the facts only the server knows."""

    id: str
    spec: dict[str, Any]
    owner: str
    create_time: str
    update_time: str
    lifecycle_state: str = ACTIVE
    evaluation_state: str = "UNKNOWN"

    @property
    def display_name(self) -> str:
        """The alert's display name (required, so always present)."""
        return str(self.spec["display_name"])

    @property
    def parent_path(self) -> str:
        """The folder holding the alert (resolved at create time)."""
        return str(self.spec["parent_path"])


def rfc3339(moment: datetime) -> str:
    """A UTC timestamp as a workspace writes it: ``2024-05-01T12:00:00.123Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def home_folder(user: str) -> str:
    """The folder an alert lands in when the client names none: the caller's home."""
    return f"/Users/{user}"


def folder_key(path: str) -> str:
    """The identity of a workspace folder: ``/Workspace/Shared/x`` and ``/Shared/x/`` are one folder."""
    trimmed = path.rstrip("/") or "/"
    if trimmed == "/Workspace" or trimmed.startswith("/Workspace/"):
        trimmed = trimmed[len("/Workspace") :] or "/"
    return trimmed


def new_alert(body: Any, *, alert_id: str, owner: str, now: datetime) -> AlertRecord:
    """The record for a create request; raises 400 if ``body`` is not a valid ``AlertV2``."""
    check_payload(body, AlertV2)
    spec = _without_output_only(body)
    spec.setdefault("parent_path", home_folder(owner))
    stamp = rfc3339(now)
    return AlertRecord(alert_id, spec, owner, create_time=stamp, update_time=stamp)


def apply_update(record: AlertRecord, body: Any, update_mask: str | None, now: datetime) -> AlertRecord:
    """``record`` with only the fields named by ``update_mask`` taken from ``body`` (absent there = cleared).

    Raises 400 for a missing or invalid mask, a body that is not an ``AlertV2``, or a result that misses a
    required field.
    """
    check_payload(body, AlertV2, require=False)
    spec = copy.deepcopy(record.spec)
    for path in parse_mask(update_mask):
        _copy_path(body, spec, path)
    spec = _without_output_only(spec)
    check_payload(spec, AlertV2, "alert")
    return replace(record, spec=spec, update_time=rfc3339(now))


def parse_mask(update_mask: str | None) -> list[tuple[str, ...]]:
    """The field paths of a comma-separated mask (``*`` = every updatable field); 400 for bad paths."""
    if not update_mask or not update_mask.strip():
        raise invalid("update_mask is required: name the fields to change, e.g. update_mask=display_name")
    if update_mask.strip() == "*":
        return [(name,) for name in model_fields(AlertV2) if name not in OUTPUT_ONLY | CREATE_ONLY]
    return [_mask_path(part.strip()) for part in update_mask.split(",")]


def render_alert(record: AlertRecord) -> dict[str, Any]:
    """The alert as a workspace returns it: the client's fields plus the filled output-only fields."""
    doc = copy.deepcopy(record.spec)
    doc.update(
        id=record.id,
        create_time=record.create_time,
        update_time=record.update_time,
        lifecycle_state=record.lifecycle_state,
        owner_user_name=record.owner,
    )
    effective = _effective_run_as(record.spec, record.owner)
    doc["effective_run_as"] = effective
    doc.setdefault("run_as_user_name", next(iter(effective.values())))
    if isinstance(doc.get("schedule"), dict):
        doc["schedule"].setdefault("pause_status", "UNPAUSED")
    if isinstance(doc.get("evaluation"), dict):
        _fill_evaluation(doc["evaluation"], record.evaluation_state)
    return doc


def _fill_evaluation(evaluation: dict[str, Any], state: str) -> None:
    evaluation["state"] = state
    for column in (evaluation.get("source"), (evaluation.get("threshold") or {}).get("column")):
        if isinstance(column, dict) and column.get("name") is not None:
            column.setdefault("display", column["name"])


def _effective_run_as(spec: dict[str, Any], owner: str) -> dict[str, str]:
    run_as = spec.get("run_as") or {}
    if run_as.get("service_principal_name"):
        return {"service_principal_name": str(run_as["service_principal_name"])}
    if run_as.get("user_name"):
        return {"user_name": str(run_as["user_name"])}
    legacy = spec.get("run_as_user_name")
    if legacy:
        key = "service_principal_name" if _APPLICATION_ID.fullmatch(str(legacy)) else "user_name"
        return {key: str(legacy)}
    return {"user_name": owner}


def _without_output_only(body: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``body`` without the fields a client cannot set (a workspace ignores them on input)."""
    spec = {key: copy.deepcopy(value) for key, value in body.items() if key not in OUTPUT_ONLY and value is not None}
    evaluation = spec.get("evaluation")
    if isinstance(evaluation, dict):
        spec["evaluation"] = {k: v for k, v in evaluation.items() if k not in EVALUATION_OUTPUT_ONLY}
    return spec


def _mask_path(text: str) -> tuple[str, ...]:
    path = tuple(text.split("."))
    if not text or any(not part for part in path):
        raise invalid(f"Invalid update_mask path {text!r}")
    if path[0] in CREATE_ONLY:
        raise invalid(f"{path[0]} can only be set on create and cannot be updated")
    if path[0] in OUTPUT_ONLY or (path[0] == "evaluation" and len(path) > 1 and path[1] in EVALUATION_OUTPUT_ONLY):
        raise invalid(f"{text} is output only and cannot be updated")
    model: type | None = AlertV2
    for depth, part in enumerate(path):
        if model is None or part not in model_fields(model):
            raise invalid(f"Invalid update_mask path {text!r}: {'.'.join(path[: depth + 1])} is not a field of AlertV2")
        model = nested_model(model, part)
    return path


def _copy_path(source: dict[str, Any], target: dict[str, Any], path: tuple[str, ...]) -> None:
    """Set ``target[path]`` to ``source[path]``, or remove it when ``source`` has no value there."""
    value: Any = source
    for part in path:
        value = value.get(part, _MISSING) if isinstance(value, dict) else _MISSING
    parent = target
    for part in path[:-1]:
        child = parent.get(part)
        if not isinstance(child, dict):
            if value is _MISSING or value is None:
                return
            child = parent[part] = {}
        parent = child
    if value is _MISSING or value is None:
        parent.pop(path[-1], None)
    else:
        parent[path[-1]] = copy.deepcopy(value)
