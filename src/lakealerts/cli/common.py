"""Pieces every command uses: the ``--json`` flag and the end of an import."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from lakealerts.cli import output

if TYPE_CHECKING:
    from lakealerts.app.rules import ImportReport

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def finish_import(report: ImportReport, what: str, json_output: bool) -> None:
    """Print an import's outcome and exit 1 if anything was rejected."""
    for warning in report.warnings:  # on stderr with --json too: stored, yet something downstream refuses it
        output.info(f"warning: {warning}")
    if json_output:
        output.emit_json(report.to_dict())
    else:
        for item in report.rejected:
            output.problem(item)
        output.info(
            f"{what}: {report.inserted} inserted, {report.updated} updated, {report.unchanged} unchanged, "
            f"{report.rejected_documents} rejected ({len(report.rejected)} problems)"
        )
    if report.rejected:
        raise typer.Exit(1)
