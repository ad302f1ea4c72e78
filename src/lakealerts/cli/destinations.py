"""``lakealerts destinations …``: list and import notification destinations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from lakealerts.app import destinations as use
from lakealerts.cli import output
from lakealerts.cli.common import JsonFlag, finish_import
from lakealerts.cli.sync import sync_destinations_command

destinations_app = typer.Typer(help="Notification destinations: list, import and sync.", no_args_is_help=True)
destinations_app.command("sync")(sync_destinations_command)


@destinations_app.command("list")
def list_destinations(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """List the stored destinations: plain secrets masked as ***, references shown as written (never resolved)."""
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
    finish_import(use.import_destinations(ctx.obj, files), "destinations", json_output)
