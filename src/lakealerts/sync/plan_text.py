"""A plan as people review it, like ``terraform plan``: every change, every update's leaves before → after,
long SQL as a unified diff, drift labelled, destinations and unmanaged alerts listed. Pure text; the CLI adds
colour on a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lakealerts.sync.planner import Plan


def plan_text(plan: Plan) -> str:
    """The plan, one line per change (and one per changed leaf), then the summary line."""
    lines = [f"  + create  {c.alert_id}  {c.alert.display_name}" for c in plan.create]
    for update in plan.update:
        label = "drift   " if update.drift else "update  "
        why = " (changed in the workspace since the last sync; the rule did not change)" if update.drift else ""
        lines.append(f"  ~ {label}{update.alert_id}  {update.alert.display_name}{why}")
        lines += [f"      {line}" for change in update.changes for line in change.to_text()]
    lines += [f"  - {'purge' if d.purge else 'trash'}   {d.alert_id or '(no rule)'}  {d.display_name}"
              for d in plan.delete]  # fmt: skip
    lines += [f"  ! skip    {s.alert_id or '(no rule)'}  {s.reason}" for s in plan.skipped]
    lines += [f"  = unmanaged, left alone  {u.display_name} ({u.databricks_alert_id})" for u in plan.unmanaged]
    lines += _destination_lines(plan)
    summary = (
        f"Plan: {len(plan.create)} to create, {len(plan.update)} to update, {len(plan.delete)} to delete, "
        f"{len(plan.unchanged)} unchanged, {len(plan.skipped)} skipped."
    )
    return "\n".join([*lines, summary])


def _destination_lines(plan: Plan) -> list[str]:
    destinations = plan.destinations
    lines = [f"  + create  destination {d}" for d in destinations.create]
    lines += [
        f"  ~ update  destination {d}  (config re-sent; secrets (re-sent), never shown)" for d in destinations.update
    ]
    lines += [f"  - delete  destination {d}" for d in destinations.delete]
    return lines
