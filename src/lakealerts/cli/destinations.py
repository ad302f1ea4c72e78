"""``lakealerts destinations …``: list and import notification destinations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakealerts.app import destinations as use
from lakealerts.cli import output
from lakealerts.cli.common import JsonFlag, finish_import
from lakealerts.cli.sync import sync_destinations_command

destinations_app = typer.Typer(help="Notification destinations: list, import and sync.", no_args_is_help=True)
destinations_app.command("sync")(sync_destinations_command)


@destinations_app.command("list")
def list_destinations(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """List the stored destinations (secret references are shown as written, never resolved)."""
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
            "yes" if s.destination.is_enabled else "no",
            s.databricks_destination_id or "-",
        )
        for s in listed.destinations
    ]
    output.table(f"{len(rows)} destinations", ("id", "name", "type", "enabled", "databricks id"), rows)


@destinations_app.command("import")
def import_command(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="YAML or JSON files: one mapping or a list of mappings.")],
    json_output: JsonFlag = False,
) -> None:
    """Upsert destinations from files; valid ones are stored even when others are rejected (then exit 1).

    config_json by type: EMAIL {addresses: [..]}, SLACK / MICROSOFT_TEAMS {url}, WEBHOOK {url, username,
    password}, PAGERDUTY {integration_key}. Write secrets as references: ${env:NAME}.
    """
    finish_import(use.import_destinations(ctx.obj, files), "destinations", json_output)
