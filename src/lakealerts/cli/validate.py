"""``lakealerts validate``: check every rule before anything is deployed, and record the results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from lakealerts.app.context import AppContext, RemoteOptions
from lakealerts.cli import output
from lakealerts.cli.common import JsonFlag
from lakealerts.cli.sync import Host, Profile, Timeout
from lakealerts.values import first_paragraph

if TYPE_CHECKING:
    from lakealerts.app.validate import ValidationRun


def validate(
    ctx: typer.Context,
    rule: Annotated[
        list[str] | None, typer.Option("--rule", help="Check only this alert_id (repeatable); default: all rules.")
    ] = None,
    json_output: JsonFlag = False,
    warehouse_id: Annotated[
        str | None,
        typer.Option("--warehouse-id", help="Run the engine checks on this SQL warehouse instead of DuckDB."),
    ] = None,
    host: Host = None,
    profile: Profile = None,
    timeout: Timeout = 60.0,
) -> None:
    """Validate rules: static checks (template, read-only SQL, threshold, channels, schedule, names), then
    EXPLAIN and output columns on the engine. Results go to alert_validation_results.

    With --warehouse-id the engine checks run on that SQL warehouse (auth as for `sync`); rules and results stay local.

    Exit 0 when every checked rule is valid, 1 when any is invalid, 2 for an unknown --rule id.
    Findings are listed in docs/findings.md with how to fix each.
    """
    app: AppContext = ctx.obj
    from lakealerts.app.validate import validate_store

    run = validate_store(app, rule, warehouse_id=warehouse_id, remote=RemoteOptions(host, profile, timeout))
    _print(run, json_output)
    if not run.report.all_valid:
        raise typer.Exit(1)


def _print(run: ValidationRun, json_output: bool) -> None:
    if json_output:
        output.emit_json(run.to_dict())
        return
    report, run_id = run.report, run.run_id
    rows = []
    for result in report.results:
        if result.is_valid:
            rows.append((result.alert_id, "✓", "", "", ""))
        for finding in result.findings:
            where = f" (line {finding.line}, col {finding.col})" if finding.line else ""
            message = first_paragraph(finding.message)
            rows.append((result.alert_id, "✗", finding.code, finding.field, f"{message}{where}\nfix: {finding.hint}"))
    output.table(None, ("rule", "ok", "code", "field", "finding"), rows, whole=("rule", "code", "field"))
    invalid = len(report.invalid_ids)
    output.info(
        f"{len(report.results)} rules checked: {len(report.results) - invalid} valid, {invalid} invalid (run {run_id})"
    )
