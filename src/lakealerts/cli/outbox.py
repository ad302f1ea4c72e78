"""``lakealerts outbox …``: the delivery record, and sending messages again now (DESIGN §10.1)."""

from __future__ import annotations

from typing import Annotated

import typer

from lakealerts.cli import output
from lakealerts.cli.common import JsonFlag

outbox_app = typer.Typer(
    help="The delivery record: every message, PENDING until sent; FAILED ones are retried with back-off "
    "for 24 h, then EXPIRED.",
    no_args_is_help=True,
)
_COLUMNS = ("created at", "message id", "rule", "channel", "type", "event", "status", "attempts", "next attempt",
            "error")  # fmt: skip


@outbox_app.command("list")
def list_command(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option("--status", help="Only PENDING, SENT, FAILED, EXPIRED or SKIPPED messages.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most recent messages to show.")] = 1000,
    json_output: JsonFlag = False,
) -> None:
    """List messages, newest first: who was told what, when, and how it went."""
    from lakealerts.app import outbox as use

    listed = use.list_outbox(ctx.obj, status, limit)
    if json_output:
        output.emit_json(listed.to_dict())
        return
    output.table(None, _COLUMNS, [_row(entry.to_dict()) for entry in listed.entries])


@outbox_app.command("retry")
def retry_command(
    ctx: typer.Context,
    message_ids: Annotated[list[str] | None, typer.Argument(help="Message ids (see `outbox list`).")] = None,
    retry_all: Annotated[bool, typer.Option("--all", help="Every PENDING and FAILED message.")] = False,
    json_output: JsonFlag = False,
) -> None:
    """Send PENDING and FAILED messages again now, whatever their age or back-off. Exit 1 if any fails again."""
    from lakealerts.app import outbox as use

    if bool(message_ids) == retry_all:
        raise typer.BadParameter("name message ids, or pass --all (not both)")
    result = use.retry(ctx.obj, None if retry_all else message_ids)
    if json_output:
        output.emit_json(result.to_dict())
    elif result.deliveries:
        output.table(None, _COLUMNS, [_row(d.to_dict()) for d in result.deliveries])
        sent = len(result.deliveries) - len(result.failed)
        output.info(f"{len(result.deliveries)} messages tried again: {sent} sent, {len(result.failed)} failed")
    else:
        output.info("nothing to send again: no PENDING or FAILED message (a test message is never sent again)")
    if result.failed:
        raise typer.Exit(1)


def _row(entry: dict[str, object]) -> tuple[object, ...]:
    return (entry["created_at"], entry["message_id"], entry["alert_id"], entry["channel"], entry["type"],
            entry["event"], entry["status"], entry["attempts"], entry["next_attempt_at"] or "",
            entry["last_error"] or "")  # fmt: skip
