"""The planner: desired alerts × what the workspace holds ⇒ a Plan (DESIGN §5). Pure; like ``terraform plan``.

Identity is the stored ``databricks_alert_id`` first, then the display name inside the managed folder, so a
rename is an update and never a second alert. Only managed fields are compared, after normalising what a
workspace fills in or spells differently, so the plan after a sync is empty on a real workspace too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from databricks.sdk.service.sql import AlertV2

from lakealerts.sync.diff import Change, changes
from lakealerts.sync.policy import DeletePolicy
from lakealerts.sync.status import SyncStatus

__all__ = ["DeletePolicy", "Desired", "Owned", "Plan", "build_plan", "changed_fields", "normalise"]

MANAGED_FIELDS = (
    "custom_description",
    "custom_summary",
    "display_name",
    "evaluation",
    "query_text",
    "run_as",
    "schedule",
    "warehouse_id",
)


@dataclass(frozen=True)
class Desired:
    """One rule in scope: its id, and the alert it should be (None when it must not be deployed)."""

    alert_id: str
    alert: AlertV2 | None
    stored_alert_id: str | None = None
    skip_reason: str | None = None  # set for rules that must not change anything remote this run
    skip_status: SyncStatus = SyncStatus.INVALID  # or FAILED (e.g. a destination without a Databricks id)
    claim_name: str | None = None  # display name that still identifies the alert of a skipped rule


@dataclass(frozen=True)
class Create:
    alert_id: str
    alert: AlertV2


@dataclass(frozen=True)
class Update:
    alert_id: str
    databricks_alert_id: str
    alert: AlertV2
    fields: tuple[str, ...]
    changes: tuple[Change, ...] = ()  # each differing leaf, before (the workspace) -> after (the rule)
    drift: bool = False  # the workspace changed since the last sync wrote it, and the rule did not

    def to_dict(self) -> dict[str, Any]:
        """``{"alert_id", "fields"}`` (DESIGN §7) + ``databricks_alert_id``, ``changes``, ``drift`` (§10.2)."""
        return {
            "alert_id": self.alert_id,
            "fields": list(self.fields),
            "databricks_alert_id": self.databricks_alert_id,
            "changes": [change.to_dict() for change in self.changes],
            "drift": self.drift,
        }

    @property
    def update_mask(self) -> str:
        """The comma-separated, sorted top-level fields that differ."""
        return ",".join(self.fields)


@dataclass(frozen=True)
class Delete:
    alert_id: str | None  # None for an alert in the folder that no rule claims
    databricks_alert_id: str
    display_name: str
    purge: bool = False


@dataclass(frozen=True)
class Unchanged:
    alert_id: str
    databricks_alert_id: str
    display_name: str | None = None  # written back, so the row keeps naming its alert


@dataclass(frozen=True)
class Skipped:
    alert_id: str | None
    reason: str
    status: SyncStatus = SyncStatus.SKIPPED  # kept by the delete policy; INVALID or FAILED count as failures
    display_name: str | None = None  # of the rule's existing alert, written back with INVALID / FAILED


@dataclass(frozen=True)
class Unmanaged:
    """An alert in the managed folder that this store neither created nor adopted: never touched."""

    databricks_alert_id: str
    display_name: str
    parent_path: str | None

    def to_dict(self) -> dict[str, Any]:
        """``{"databricks_alert_id", "display_name", "parent_path"}`` (DESIGN §10.2)."""
        return {"databricks_alert_id": self.databricks_alert_id, "display_name": self.display_name,
                "parent_path": self.parent_path}  # fmt: skip


@dataclass(frozen=True)
class Owned:
    """What this store recorded about an alert it created or adopted (table ``alert_sync_ownership``)."""

    databricks_alert_id: str
    alert_id: str
    parent_path: str | None = None
    synced: Mapping[str, Any] | None = None  # the normalised alert as the last sync wrote it (for drift)


@dataclass(frozen=True)
class DestinationsPlan:
    """Destination ids by what a sync does to them (secrets are re-sent on every update, never shown)."""

    create: tuple[str, ...] = ()
    update: tuple[str, ...] = ()
    delete: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, list[str]]:
        """``{"create", "update", "delete", "unchanged"}`` (DESIGN §10.2)."""
        return {"create": list(self.create), "update": list(self.update), "delete": list(self.delete),
                "unchanged": list(self.unchanged)}  # fmt: skip


@dataclass(frozen=True)
class Plan:
    """A frozen plan; renders as text and as the JSON of DESIGN §7 and §10.2."""

    create: tuple[Create, ...] = ()
    update: tuple[Update, ...] = ()
    delete: tuple[Delete, ...] = ()
    unchanged: tuple[Unchanged, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    unmanaged: tuple[Unmanaged, ...] = ()
    destinations: DestinationsPlan = field(default_factory=DestinationsPlan)

    @property
    def is_empty(self) -> bool:
        """No remote change."""
        return not (self.create or self.update or self.delete)

    def expected_statuses(self) -> list[SyncStatus]:
        """One status per rule in scope: what a sync of this plan gives it if every call succeeds (a folder move
        is one rule; alerts no rule claims and alerts kept by the delete policy are out of scope)."""
        expected: dict[str | None, SyncStatus] = {d.alert_id: SyncStatus.DELETED for d in self.delete if d.alert_id}
        expected |= {c.alert_id: SyncStatus.CREATED for c in self.create}
        expected |= {u.alert_id: SyncStatus.UPDATED for u in self.update}
        expected |= {u.alert_id: SyncStatus.UNCHANGED for u in self.unchanged}
        expected |= {s.alert_id: s.status for s in self.skipped if s.status != SyncStatus.SKIPPED}
        return list(expected.values())

    def to_dict(self) -> dict[str, Any]:
        """The plan JSON of DESIGN §7 (create ids, update {alert_id, fields}, delete, unchanged ids, skipped)
        with §10.2's additions: each update's databricks id, changes and drift; destinations; unmanaged."""
        return {
            "create": [c.alert_id for c in self.create],
            "update": [
                {
                    "alert_id": u.alert_id,
                    "fields": list(u.fields),
                    "databricks_alert_id": u.databricks_alert_id,
                    "changes": [c.to_dict() for c in u.changes],
                    "drift": u.drift,
                }
                for u in self.update
            ],
            "delete": [
                {"alert_id": d.alert_id, "databricks_alert_id": d.databricks_alert_id, "display_name": d.display_name}
                for d in self.delete
            ],
            "unchanged": [u.alert_id for u in self.unchanged],
            "skipped": [{"alert_id": s.alert_id, "reason": s.reason} for s in self.skipped],
            "destinations": self.destinations.to_dict(),
            "unmanaged": [u.to_dict() for u in self.unmanaged],
        }

    def to_text(self) -> str:
        """A terraform-like plan: one line per change, each update's leaves before → after (drift labelled)."""
        from lakealerts.sync.plan_text import plan_text  # rendering lives beside, so the planner stays small

        return plan_text(self)


@dataclass
class _Builder:
    owned: Mapping[str, Owned]
    create: list[Create] = field(default_factory=list)
    update: list[Update] = field(default_factory=list)
    delete: list[Delete] = field(default_factory=list)
    unchanged: list[Unchanged] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    unmanaged: list[Unmanaged] = field(default_factory=list)

    def freeze(self) -> Plan:
        return Plan(tuple(self.create), tuple(self.update), tuple(self.delete), tuple(self.unchanged),
                    tuple(self.skipped), tuple(self.unmanaged))  # fmt: skip


def build_plan(
    desired: Sequence[Desired],
    current: Sequence[AlertV2],
    parent_path: str,
    delete_policy: DeletePolicy,
    owned: Mapping[str, Owned] | None = None,
) -> Plan:
    """Compare what the rules want with what the workspace has. ``current`` may span the whole workspace;
    only alerts inside ``parent_path`` are matched by name.

    With ``owned`` (DESIGN §10.2: the alerts this store created or adopted, by Databricks id) only owned alerts
    are ever retired — a rule deleted, disabled, or moved to another folder; every other alert in the folder is
    listed as unmanaged and left alone. Without it, every alert in the folder counts as this store's.
    """
    live = [alert for alert in current if alert.id and not _is_deleted(alert)]
    by_id = {alert.id: alert for alert in live if alert.id}
    in_folder = {alert.display_name: alert for alert in live if same_folder(alert.parent_path, parent_path)}
    claimed: set[str] = set()
    plan = _Builder(owned if owned is not None else {})
    for item in sorted(desired, key=lambda d: d.alert_id):
        existing = _match(item, by_id, in_folder)
        if existing is not None and existing.id:
            claimed.add(existing.id)
        _plan_one(plan, item, existing, parent_path, delete_policy)
    for alert in sorted(in_folder.values(), key=lambda a: a.display_name or ""):
        if alert.id in claimed or alert.id is None:
            continue
        if owned is None:
            _retire(plan, None, alert, delete_policy, "no rule claims this alert")
        elif alert.id not in owned:
            plan.unmanaged.append(Unmanaged(alert.id, alert.display_name or "", alert.parent_path))
    if owned is not None:  # owned alerts no rule claims any more, in this folder or the one they were moved from
        gone = [by_id[i] for i in sorted(owned) if i in by_id and i not in claimed]
        for alert in gone:
            _retire(plan, owned[alert.id or ""].alert_id, alert, delete_policy, "rule deleted")
    return plan.freeze()


def same_folder(left: str | None, right: str | None) -> bool:
    """Workspace paths name the same folder with or without the ``/Workspace`` prefix or a trailing slash."""
    return _folder(left) == _folder(right)


def _folder(path: str | None) -> str:
    text = (path or "").rstrip("/")
    return text.removeprefix("/Workspace") if text.startswith("/Workspace/") else text


def _is_deleted(alert: AlertV2) -> bool:
    """A trashed alert is gone for sync: it may still be fetched by id, but it is no longer deployed."""
    state = alert.lifecycle_state
    return state is not None and str(getattr(state, "value", state)) in ("DELETED", "TRASHED")


def _match(item: Desired, by_id: Mapping[str, AlertV2], in_folder: Mapping[str, AlertV2]) -> AlertV2 | None:
    if item.stored_alert_id and item.stored_alert_id in by_id:
        return by_id[item.stored_alert_id]
    name = item.alert.display_name if item.alert is not None else item.claim_name
    return in_folder.get(name) if name else None


def _plan_one(plan: _Builder, item: Desired, existing: AlertV2 | None, parent_path: str, policy: DeletePolicy) -> None:
    if item.skip_reason is not None:
        name = existing.display_name if existing is not None else None
        plan.skipped.append(Skipped(item.alert_id, item.skip_reason, item.skip_status, name))
    elif item.alert is None:
        if existing is not None:
            _retire(plan, item.alert_id, existing, policy, "rule is disabled")
    elif existing is None or not existing.id:
        plan.create.append(Create(item.alert_id, item.alert))
    elif not same_folder(existing.parent_path, parent_path):
        # parent_path is create-only: moving folders is delete + create.
        plan.delete.append(Delete(item.alert_id, existing.id, existing.display_name or "", purge=False))
        plan.create.append(Create(item.alert_id, item.alert))
    else:
        fields = changed_fields(item.alert, existing)
        if fields:
            plan.update.append(_update(item, existing, fields, plan.owned.get(existing.id)))
        else:
            plan.unchanged.append(Unchanged(item.alert_id, existing.id, existing.display_name))


def _update(item: Desired, existing: AlertV2, fields: tuple[str, ...], owned: Owned | None) -> Update:
    """The update with its leaf changes; drift when the workspace moved off what the last sync wrote while
    the rule still wants exactly that."""
    assert item.alert is not None and existing.id is not None  # _plan_one updates only deployable, live alerts
    want, have = comparable(item.alert, existing)
    synced = dict(owned.synced) if owned is not None and owned.synced is not None else None
    if synced is not None and "run_as" not in want:
        synced.pop("run_as", None)
    drift = synced is not None and _json_equal(want, synced) and not _json_equal(have, synced)
    return Update(item.alert_id, existing.id, item.alert, fields, changes(have, want), drift)


def _json_equal(left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    """Equal as stored JSON (the recorded alert went through a JSON round trip)."""
    return json.dumps(left, sort_keys=True, default=str) == json.dumps(right, sort_keys=True, default=str)


def _retire(plan: _Builder, alert_id: str | None, alert: AlertV2, policy: DeletePolicy, why: str) -> None:
    name = alert.display_name or ""
    if policy is DeletePolicy.keep:
        reason = f"{why}, kept by policy; alert {name!r} ({alert.id}) kept by delete policy keep"
        plan.skipped.append(Skipped(alert_id, reason))
    else:
        plan.delete.append(Delete(alert_id, alert.id or "", name, purge=policy is DeletePolicy.purge))


def changed_fields(desired: AlertV2, current: AlertV2) -> tuple[str, ...]:
    """Sorted managed top-level fields whose normalised values differ (the exact ``update_mask``)."""
    want, have = comparable(desired, current)
    return tuple(name for name in MANAGED_FIELDS if want.get(name) != have.get(name))


def comparable(desired: AlertV2, current: AlertV2) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both alerts normalised; a ``run_as`` the rule leaves unset is the workspace's business, not a change."""
    want, have = normalise(desired), normalise(current)
    if want.get("run_as") is None:
        want.pop("run_as", None)
        have.pop("run_as", None)
    return want, have


def normalise(alert: AlertV2) -> dict[str, Any]:
    """Managed fields only, with workspace-filled and equivalent spellings made equal (DESIGN §5)."""
    raw = alert.as_dict()
    result: dict[str, Any] = {name: raw.get(name) or None for name in MANAGED_FIELDS}
    result["evaluation"] = _normal_evaluation(raw.get("evaluation") or {})
    schedule = dict(raw.get("schedule") or {})
    schedule["pause_status"] = schedule.get("pause_status") or "UNPAUSED"
    result["schedule"] = schedule
    return result


def _normal_evaluation(evaluation: dict[str, Any]) -> dict[str, Any]:
    evaluation = {k: v for k, v in evaluation.items() if k not in ("state", "last_evaluated_at")}
    source = dict(evaluation.get("source") or {})
    if source.get("display") in (None, source.get("name")):
        source.pop("display", None)
    evaluation["source"] = source
    notification = dict(evaluation.get("notification") or {})
    notification["retrigger_seconds"] = notification.get("retrigger_seconds") or 0
    notification["notify_on_ok"] = bool(notification.get("notify_on_ok"))
    subscriptions = notification.get("subscriptions") or []
    notification["subscriptions"] = sorted((dict(sorted(s.items())) for s in subscriptions),
                                           key=lambda s: json.dumps(s, sort_keys=True))  # fmt: skip
    evaluation["notification"] = notification
    evaluation.setdefault("empty_result_state", None)
    evaluation.setdefault("threshold", None)
    return evaluation
