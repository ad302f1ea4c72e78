"""``lakealerts eval`` and ``history``: run the rules locally with Databricks' alert semantics."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lakealerts.app.context import AppContext
from lakealerts.cli import output
from lakealerts.cli.common import JsonFlag
from lakealerts.errors import UsageError

if TYPE_CHECKING:
    from lakealerts.app import evaluate as use

DEFAULT_QUERY_TIMEOUT = 60.0
QueryTimeout = Annotated[
    float,
    typer.Option("--query-timeout", min=0.1, help="Seconds a rule's query may run; past it the rule is ERROR."),
]


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
    query_timeout: QueryTimeout = DEFAULT_QUERY_TIMEOUT,
    json_output: JsonFlag = False,
) -> None:
    """Evaluate rules on the embedded engine with Databricks' alert semantics.

    Without --notify this is a preview: history is recorded, alert state is not advanced, nothing is sent.
    With --notify, messages of earlier rounds that are due again (PENDING after a crash, FAILED after their
    back-off) are sent too. Each rule's query is bounded by --query-timeout (then that rule is ERROR).
    Exit 1 when any rule is in ERROR or a delivery ended FAILED.
    """
    from lakealerts.app import evaluate as use

    app: AppContext = ctx.obj.replace(query_timeout=query_timeout)
    result = use.evaluate(app, alert_ids, at=parse_instant(at) if at else None, notify=notify)
    _print_runs(result, json_output, app)
    for failed in result.failed_deliveries:  # stderr, also with --json: which channel, and why
        output.info(f"delivery FAILED: {failed.alert_id} -> {failed.channel} ({failed.type}): {failed.last_error}")
    if result.has_errors or result.failed_deliveries:
        raise typer.Exit(1)


def _print_runs(result: use.EvalResult, json_output: bool, app: AppContext) -> None:
    if json_output:
        output.emit_json(result.to_dict())
        return
    runs, notify = result.runs, result.notified
    rows = []
    for run in runs:
        sent = ", ".join(f"{d.channel}:{d.status}" for d in run.deliveries)
        rows.append((run.alert_id, run.state, _short(run.value), (run.error or "").split("\n")[0][:120], sent))
    output.table(None, ("rule", "state", "value", "error", "notifications"), rows)
    triggered = sum(1 for run in runs if run.state == "TRIGGERED")
    errors = [run.alert_id for run in runs if run.state == "ERROR"]
    failing = f", {len(errors)} in ERROR ({', '.join(errors)}: exit 1)" if errors else ""
    note = f"; messages in {app.settings.outbox_dir}" if notify else " (preview: state not advanced, nothing sent)"
    output.info(f"{len(runs)} {'rule' if len(runs) == 1 else 'rules'} evaluated, {triggered} triggered{failing}{note}")
    deliveries = [d for run in runs for d in run.deliveries]
    for reason, count in sorted(Counter(d.last_error or "" for d in deliveries if d.status == "SKIPPED").items()):
        output.info(f"{count} messages not sent: {reason}")  # e.g. no SMTP configured: said, not hidden
    if result.retried or result.expired:
        sent = ", ".join(f"{d.channel}:{d.status}" for d in result.retried) or "none"
        output.info(f"earlier messages sent again: {sent}; given up after 24 h: {result.expired}")


def _short(value: Any, limit: int = 40) -> str:
    """The value as shown (terminal-safe: ESC as ``\\x1b``), then shortened to ``limit`` characters; the cut
    falls between whole characters of the value, never inside the escape of one."""
    text = output.readable(value)
    pieces = [output.safe(char) for char in text[: limit + 1]]  # an escape is never shorter than its character
    if len(text) <= limit and sum(map(len, pieces)) <= limit:
        return "".join(pieces)
    kept: list[str] = []
    for piece in pieces:
        if sum(map(len, kept)) + len(piece) > limit - 3:
            break
        kept.append(piece)
    return "".join(kept) + "..."


def history(
    ctx: typer.Context,
    alert_id: Annotated[str | None, typer.Argument(help="Only this rule.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most recent evaluations to show.")] = 50,
    json_output: JsonFlag = False,
) -> None:
    """Past evaluations and notifications, most recent first."""
    from lakealerts.app import evaluate as use

    result = use.history(ctx.obj, alert_id, limit)  # unknown id: exit 2 with a hint
    if json_output:
        output.emit_json(result.to_dict())
        return
    evaluations, notifications = result.evaluations, result.notifications
    output.table(
        "evaluations",
        ("evaluated at", "rule", "state", "value", "error", "sent"),
        [(_moment(e["evaluated_at"]), e["alert_id"], e["state"] + (" (preview)" if e.get("preview") else ""),
          e["value"], _first_line(e["error"]), "yes" if e["notified"] else "no")
         for e in evaluations],
    )  # fmt: skip
    output.table(
        "notifications",
        ("created at", "rule", "channel", "type", "status", "attempts", "error"),
        [(_moment(n["created_at"]), n["alert_id"], n["channel"], n["type"], n["status"], n["attempts"],
          _first_line(n["last_error"])) for n in notifications],
    )  # fmt: skip


def _moment(value: object) -> object:
    """An instant as ISO 8601, as the JSON documents and every other command show it."""
    return value.isoformat() if isinstance(value, datetime) else value


def _first_line(error: str | None) -> str:
    """An error's first non-blank line, cut near 100 characters at a word when one ends late enough (the whole
    text is in --json)."""
    line = next((text.strip() for text in (error or "").splitlines() if text.strip()), "")
    if len(line) <= 100:
        return line
    head = line[:100].rsplit(" ", 1)[0]
    return (head if len(head) >= 60 else line[:100]) + " …"
