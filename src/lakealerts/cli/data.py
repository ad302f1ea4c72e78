"""``lakealerts data …``: load your own tables from files, and list every catalog's tables (DESIGN §10.3)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from lakealerts.cli import output
from lakealerts.cli.common import JsonFlag

data_app = typer.Typer(
    help="Your own data locally: load a CSV, Parquet or JSON file into catalog.schema.table (a snapshot of a "
    "workspace table, say), so your rules run on it; list the tables of every catalog.",
    no_args_is_help=True,
)


class FileFormat(StrEnum):
    """The formats `data load` reads."""

    CSV = "csv"
    PARQUET = "parquet"
    JSON = "json"


@data_app.command("load")
def load_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The CSV, Parquet or JSON (lines or array) file to read.")],
    table: Annotated[str, typer.Option("--table", help="Where to: catalog.schema.table, e.g. prod.sales.orders.")],
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite the table if it exists.")] = False,
    file_format: Annotated[
        FileFormat | None,
        typer.Option("--format", case_sensitive=False, help="The file's format (default: from its extension)."),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Read FILE into --table, creating its catalog and schema when missing.

    The store's own catalog (--catalog) lives in lakealerts.duckdb; every other catalog in
    <home>/catalogs/<catalog>.duckdb, attached whenever rules run, so rule SQL reads it as on a workspace.
    An existing table is an error unless --replace. lakealerts reads the file; rule SQL cannot.
    """
    from lakealerts.app import data as use

    result = use.load(ctx.obj, file, table, replace=replace, file_format=file_format.value if file_format else None)
    if json_output:
        output.emit_json(result.to_dict())
        return
    output.table(
        f"{result.table}: {result.rows:,} rows", ("column", "type"), [(c.name, c.type) for c in result.columns]
    )
    verb = "replaced" if result.replaced else "created"
    output.info(
        f"{verb} {result.table} from {result.file} ({result.file_format}, {result.rows:,} rows, "
        f"{result.seconds:.2f} s) in {result.catalog_file}"
    )


@data_app.command("list")
def list_command(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """List the tables of every local catalog with their row counts, the store's own catalog first."""
    from lakealerts.app import data as use

    listing = use.list_tables(ctx.obj)
    if json_output:
        output.emit_json(listing.to_dict())
        return
    rows = [
        (catalog.catalog, table.schema, table.table, "" if table.rows is None else f"{table.rows:,}")
        for catalog in listing.catalogs
        for table in catalog.tables
    ]
    output.table(None, ("catalog", "schema", "table", "rows"), rows)
    for catalog in listing.catalogs:
        count = len(catalog.tables)
        output.info(f"{catalog.catalog}: {catalog.file} ({count} table{'' if count == 1 else 's'})")
