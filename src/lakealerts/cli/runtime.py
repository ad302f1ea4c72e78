"""``lakealerts eval`` and ``history``: run the rules locally with Databricks' alert semantics."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from lakealerts.cli import output
from lakealerts.cli.common import JsonFlag, now
from lakealerts.errors import RuleProblem, UsageError
from lakealerts.runtime.runner import RuleRun, run_round
from lakealerts.runtime.service import default_outbox
from lakealerts.settings import Settings
from lakealerts.sql.identifiers import quote
from lakealerts.store.store import Store
from lakealerts.store.tables import ALERT_EVALUATIONS, ALERT_NOTIFICATION_OUTBOX, TableDef
from lakealerts.wiring import open_store


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant; a naive one is read as UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise UsageError(f"--at {text!r} is not an ISO 8601 instant", hint="e.g. --at 2026-11-27T08:00:00Z") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def eval_command(
    ctx: typer.Context,
    alert_ids: Annotated[
        list[str] | None, typer.Argument(help="Rules to evaluate; default: all enabled rules.")
    ] = None,
    at: Annotated[str | None, typer.Option("--at", help="Evaluate as of this ISO 8601 instant (default now).")] = None,
    notify: Annotated[
        bool, typer.Option("--notify", help="Advance alert state and deliver notifications (else a preview).")
    ] = False,
    json_output: JsonFlag = False,
) -> None:
    """Evaluate rules on the embedded engine with Databricks' alert semantics.

    Without --notify this is a preview: history is recorded, alert state is not advanced, nothing is sent.
    Exit 1 when any rule is in ERROR.
    """
    settings: Settings = ctx.obj
    instant = parse_instant(at) if at else None
    with open_store(settings) as store:
        problems: list[RuleProblem] = []
        stored = store.load_rules(alert_ids or None, problems=problems)
        rules = [s.rule for s in stored if alert_ids or s.rule.is_enabled]
        destinations = store.destinations_by_id(problems=[])
        outbox = default_outbox(store, settings, os.environ) if notify else None
        runs = run_round(store, rules, destinations, instant or now(), at=instant, outbox=outbox)
    # A row broken by hand in SQL cannot run: it is that rule's ERROR, and the others still ran.
    runs += [RuleRun(p.rule_id or "<no id>", "ERROR", None, f"stored rule is invalid: {p}") for p in problems]
    _print_runs(runs, json_output, notify, settings)
    if any(run.state == "ERROR" for run in runs):
        raise typer.Exit(1)


def _print_runs(runs: list[RuleRun], json_output: bool, notify: bool, settings: Settings) -> None:
    if json_output:
        output.emit_json([run.to_dict() for run in runs])
        return
    rows = []
    for run in runs:
        sent = ", ".join(f"{d.channel}:{d.status}" for d in run.deliveries)
        rows.append((run.alert_id, run.state, _short(run.value), (run.error or "").split("\n")[0][:120], sent))
    output.table(None, ("rule", "state", "value", "error", "notifications"), rows)
    triggered = sum(1 for run in runs if run.state == "TRIGGERED")
    note = f"; messages in {settings.outbox_dir}" if notify else " (preview: state not advanced, nothing sent)"
    output.info(f"{len(runs)} rules evaluated, {triggered} triggered{note}")


def _short(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def history(
    ctx: typer.Context,
    alert_id: Annotated[str | None, typer.Argument(help="Only this rule.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most recent evaluations to show.")] = 50,
    json_output: JsonFlag = False,
) -> None:
    """Past evaluations and notifications, most recent first."""
    with open_store(ctx.obj) as store:
        if alert_id:
            store.get_rule(alert_id)  # unknown id: exit 2 with a hint
        evaluations = _recent(store, ALERT_EVALUATIONS, "evaluated_at", alert_id, limit)
        notifications = _recent(store, ALERT_NOTIFICATION_OUTBOX, "created_at", alert_id, limit)
    if json_output:
        output.emit_json({"evaluations": evaluations, "notifications": notifications})
        return
    output.table(
        "evaluations",
        ("evaluated at", "rule", "state", "value", "error", "notified"),
        [(e["evaluated_at"], e["alert_id"], e["state"], e["value"], (e["error"] or "")[:80], e["notified"])
         for e in evaluations],
    )  # fmt: skip
    output.table(
        "notifications",
        ("created at", "rule", "channel", "type", "status", "attempts", "error"),
        [(n["created_at"], n["alert_id"], n["channel"], n["type"], n["status"], n["attempts"],
          (n["last_error"] or "")[:80]) for n in notifications],
    )  # fmt: skip


def _recent(store: Store, table: TableDef, order: str, alert_id: str | None, limit: int) -> list[dict[str, Any]]:
    where, params = ("WHERE alert_id = ?", [alert_id]) if alert_id else ("", [])
    sql = f"SELECT * FROM {store.table(table)} {where} ORDER BY {quote(order)} DESC, alert_id LIMIT ?"
    return store.engine.execute(sql, [*params, limit]).as_dicts()
