"""The planner: desired alerts × what the workspace holds ⇒ a Plan (DESIGN §5). Pure; like ``terraform plan``.

Identity is the stored ``databricks_alert_id`` first, then the display name inside the managed folder, so a
rename is an update and never a second alert. Only managed fields are compared, after normalising what a
workspace fills in or spells differently, so the plan after a sync is empty on a real workspace too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from databricks.sdk.service.sql import AlertV2

from lakealerts.sync.policy import DeletePolicy
from lakealerts.sync.status import SyncStatus

__all__ = ["DeletePolicy", "Desired", "Plan", "build_plan", "changed_fields", "normalise"]

MANAGED_FIELDS = (
    "custom_description",
    "custom_summary",
    "display_name",
    "evaluation",
    "query_text",
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
class Plan:
    """A frozen plan; renders as text and as the JSON of DESIGN §7."""

    create: tuple[Create, ...] = ()
    update: tuple[Update, ...] = ()
    delete: tuple[Delete, ...] = ()
    unchanged: tuple[Unchanged, ...] = ()
    skipped: tuple[Skipped, ...] = ()

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
        """The plan JSON of DESIGN §7: create ids, update {alert_id, fields}, delete, unchanged ids, skipped."""
        return {
            "create": [c.alert_id for c in self.create],
            "update": [{"alert_id": u.alert_id, "fields": list(u.fields)} for u in self.update],
            "delete": [
                {"alert_id": d.alert_id, "databricks_alert_id": d.databricks_alert_id, "display_name": d.display_name}
                for d in self.delete
            ],
            "unchanged": [u.alert_id for u in self.unchanged],
            "skipped": [{"alert_id": s.alert_id, "reason": s.reason} for s in self.skipped],
        }

    def to_text(self) -> str:
        """A terraform-like summary, one line per change."""
        lines = [f"  + create  {c.alert_id}  {c.alert.display_name}" for c in self.create]
        lines += [f"  ~ update  {u.alert_id}  ({', '.join(u.fields)})" for u in self.update]
        lines += [
            f"  - {'purge' if d.purge else 'trash'}   {d.alert_id or '(no rule)'}  {d.display_name}"
            for d in self.delete
        ]
        lines += [f"  ! skip    {s.alert_id or '(no rule)'}  {s.reason}" for s in self.skipped]
        summary = (
            f"Plan: {len(self.create)} to create, {len(self.update)} to update, {len(self.delete)} to delete, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped."
        )
        return "\n".join([*lines, summary])


@dataclass
class _Builder:
    create: list[Create] = field(default_factory=list)
    update: list[Update] = field(default_factory=list)
    delete: list[Delete] = field(default_factory=list)
    unchanged: list[Unchanged] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def freeze(self) -> Plan:
        return Plan(
            tuple(self.create), tuple(self.update), tuple(self.delete), tuple(self.unchanged), tuple(self.skipped)
        )


def build_plan(
    desired: Sequence[Desired], current: Sequence[AlertV2], parent_path: str, delete_policy: DeletePolicy
) -> Plan:
    """Compare what the rules want with what the workspace has. ``current`` may span the whole workspace;
    only alerts inside ``parent_path`` are matched by name or considered for deletion."""
    live = [alert for alert in current if alert.id and not _is_deleted(alert)]
    by_id = {alert.id: alert for alert in live if alert.id}
    in_folder = {alert.display_name: alert for alert in live if same_folder(alert.parent_path, parent_path)}
    claimed: set[str] = set()
    plan = _Builder()
    for item in sorted(desired, key=lambda d: d.alert_id):
        existing = _match(item, by_id, in_folder)
        if existing is not None and existing.id:
            claimed.add(existing.id)
        _plan_one(plan, item, existing, parent_path, delete_policy)
    for alert in sorted(in_folder.values(), key=lambda a: a.display_name or ""):
        if alert.id not in claimed:
            _retire(plan, None, alert, delete_policy, "no rule claims this alert")
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
            plan.update.append(Update(item.alert_id, existing.id, item.alert, fields))
        else:
            plan.unchanged.append(Unchanged(item.alert_id, existing.id, existing.display_name))


def _retire(plan: _Builder, alert_id: str | None, alert: AlertV2, policy: DeletePolicy, why: str) -> None:
    name = alert.display_name or ""
    if policy is DeletePolicy.keep:
        plan.skipped.append(Skipped(alert_id, f"{why}; alert {name!r} ({alert.id}) kept by delete policy keep"))
    else:
        plan.delete.append(Delete(alert_id, alert.id or "", name, purge=policy is DeletePolicy.purge))


def changed_fields(desired: AlertV2, current: AlertV2) -> tuple[str, ...]:
    """Sorted managed top-level fields whose normalised values differ (the exact ``update_mask``)."""
    want, have = normalise(desired), normalise(current)
    return tuple(name for name in MANAGED_FIELDS if want.get(name) != have.get(name))


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
    notification["subscriptions"] = sorted(tuple(sorted(s.items())) for s in subscriptions)
    evaluation["notification"] = notification
    evaluation.setdefault("empty_result_state", None)
    evaluation.setdefault("threshold", None)
    return evaluation
