"""``lakealerts destinations …``: list, import and test notification destinations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from lakealerts.cli import output
from lakealerts.cli.common import JsonFlag, finish_import
from lakealerts.cli.sync import sync_destinations_command

destinations_app = typer.Typer(help="Notification destinations: list, import, sync and test.", no_args_is_help=True)
destinations_app.command("sync")(sync_destinations_command)


@destinations_app.command("list")
def list_destinations(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """List the stored destinations: plain secrets masked as ***, references shown as written (never resolved)."""
    from lakealerts.app import destinations as use

    listed = use.list_destinations(ctx.obj)
    for problem in listed.problems:  # a row broken by hand in SQL: named, and the others still listed
        output.problem(problem)
    if json_output:
        output.emit_json(listed.to_dict())
        return
    rows = [
        (
            s.destination.destination_id,
            s.destination.destination_name,
            s.destination.destination_type.value,
            _config_text(s.destination.masked_config()),
            "yes" if s.destination.is_enabled else "no",
            s.databricks_destination_id or "-",
        )
        for s in listed.destinations
    ]
    columns = ("id", "name", "type", "config", "enabled", "databricks id")
    output.table(f"{len(rows)} destinations", columns, rows)


def _config_text(config: dict[str, Any]) -> str:
    """``key=value`` pairs of an already masked config, lists joined by commas."""
    return " ".join(
        f"{key}={','.join(map(str, value)) if isinstance(value, list) else value}" for key, value in config.items()
    )


@destinations_app.command("import")
def import_command(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="YAML or JSON files: one mapping or a list of mappings.")],
    json_output: JsonFlag = False,
) -> None:
    """Upsert destinations from files; valid ones are stored even when others are rejected (then exit 1).

    config_json by type: EMAIL {addresses: [..]}, SLACK / MICROSOFT_TEAMS {url}, WEBHOOK {url, username,
    password}, PAGERDUTY {integration_key}. Write secrets as references, each the whole value of its field:
    ${env:NAME} (never DATABRICKS_* or LAKEALERTS_*) or {{secrets/<scope>/<key>}}.
    """
    from lakealerts.app import destinations as use

    finish_import(use.import_destinations(ctx.obj, files), "destinations", json_output)


@destinations_app.command("test")
def send_test_command(
    ctx: typer.Context,
    destination_id: Annotated[str, typer.Argument(help="The destination to send through.")],
    rule: Annotated[
        str | None, typer.Option("--rule", help="Render that rule's subject and body (default: a sample message).")
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Send a test message through a destination now and show the peer's answer.

    The message is rendered as if the rule had just triggered (with --rule: its templates, and a value that
    crosses its threshold), its subject starts with \\[test], and it is recorded in the outbox with the event
    `test` and an id of its own; a disabled destination is tested too. One attempt, never retried. Exit 0 when
    the peer accepted it, 1 when it was not delivered (refused, or skipped because the channel is not set up:
    the reason and the fix are printed), 2 for an unknown destination or rule, or a rule whose message cannot
    be rendered.
    """
    from lakealerts.app import destinations as use

    result = use.send_test_message(ctx.obj, destination_id, rule)
    if json_output:
        output.emit_json(result.to_dict())
    delivery = result.delivery
    note = "" if result.was_enabled else " (the destination is disabled: rules do not send to it yet)"
    if result.sent:
        output.info(f"sent a test message to {destination_id} ({result.destination_type}){note}")
    else:
        output.info(
            f"test message to {destination_id} ({result.destination_type}) {delivery.status}: "
            f"{delivery.last_error}{note}"
        )
    if str(delivery.status) == "SKIPPED" and result.destination_type == "EMAIL":
        output.info("  fix: set LAKEALERTS_SMTP_URL=smtp://user:pass@host:port (smtps:// for TLS) to send e-mail")
    output.info(f"recorded in the outbox as {delivery.message_id} (event test)")
    if not result.sent:
        raise typer.Exit(1)
