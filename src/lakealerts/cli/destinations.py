"""``lakealerts destinations …``: list and import notification destinations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakealerts.cli import output
from lakealerts.cli.common import JsonFlag, finish_import, now
from lakealerts.cli.sync import sync_destinations_command
from lakealerts.errors import RuleProblem
from lakealerts.usecases import destination_document, import_destinations
from lakealerts.wiring import open_store

destinations_app = typer.Typer(help="Notification destinations: list, import and sync.", no_args_is_help=True)
destinations_app.command("sync")(sync_destinations_command)


@destinations_app.command("list")
def list_destinations(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """List the stored destinations (secret references are shown as written, never resolved)."""
    with open_store(ctx.obj) as store:
        problems: list[RuleProblem] = []
        stored = store.load_destinations(problems=problems)
    for problem in problems:  # a row broken by hand in SQL: named, and the others still listed
        output.problem(problem)
    if json_output:
        output.emit_json([destination_document(item) for item in stored])
        return
    rows = [
        (
            s.destination.destination_id,
            s.destination.destination_name,
            s.destination.destination_type.value,
            "yes" if s.destination.is_enabled else "no",
            s.databricks_destination_id or "-",
        )
        for s in stored
    ]
    output.table(f"{len(stored)} destinations", ("id", "name", "type", "enabled", "databricks id"), rows)


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
    with open_store(ctx.obj, require_tables=False) as store:
        store.init()
        report = import_destinations(store, files, now())
    finish_import(report, "destinations", json_output)
