"""A plan as people review it, like ``terraform plan``: every change, every update's leaves before → after,
long SQL as a unified diff, drift labelled, destinations and unmanaged alerts listed. Pure text; the CLI adds
colour on a terminal.

Names, ids and reasons come from the rules and from the workspace (anyone may name an alert there): each is shown
on its own line's terms with ``one_line`` (a line feed as ``\\n``, ESC as ``\\x1b``), so no name can start a line
that looks like a change of its own, nor colour or move the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakealerts.values import one_line as _n

if TYPE_CHECKING:
    from lakealerts.sync.planner import Plan


def plan_text(plan: Plan) -> str:
    """The plan, one line per change (and one per changed leaf), then the summary line."""
    lines = [f"  + create  {_n(c.alert_id)}  {_n(c.alert.display_name)}" for c in plan.create]
    for update in plan.update:
        label = "drift   " if update.drift else "update  "
        why = " (changed in the workspace since the last sync; the rule did not change)" if update.drift else ""
        lines.append(f"  ~ {label}{_n(update.alert_id)}  {_n(update.alert.display_name)}{why}")
        lines += [f"      {line}" for change in update.changes for line in change.to_text()]
    lines += [f"  - {'purge' if d.purge else 'trash'}   {_n(d.alert_id or '(no rule)')}  {_n(d.display_name)}"
              for d in plan.delete]  # fmt: skip
    lines += [f"  ! skip    {_n(s.alert_id or '(no rule)')}  {_n(s.reason)}" for s in plan.skipped]
    lines += [f"  = unmanaged, left alone  {_n(u.display_name)} ({_n(u.databricks_alert_id)})" for u in plan.unmanaged]
    lines += _destination_lines(plan)
    summary = (
        f"Plan: {len(plan.create)} to create, {len(plan.update)} to update, {len(plan.delete)} to delete, "
        f"{len(plan.unchanged)} unchanged, {len(plan.skipped)} skipped."
    )
    return "\n".join([*lines, summary])


def _destination_lines(plan: Plan) -> list[str]:
    destinations = plan.destinations
    lines = [f"  + create  destination {_n(d)}" for d in destinations.create]
    # A workspace keeps secrets write-only and lists no config to compare with, so every enabled destination's
    # config is sent again on each sync (DESIGN §5): shown as an update (a changed address or URL is one), saying so.
    lines += [f"  ~ update  destination {_n(d)}  (its config is sent on every sync: a changed name, address or URL "
              "takes effect then; secrets never shown)" for d in destinations.update]  # fmt: skip
    lines += [f"  - delete  destination {_n(d)}" for d in destinations.delete]
    return lines
