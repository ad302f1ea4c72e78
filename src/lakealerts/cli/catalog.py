"""``lakealerts seed`` and ``lakealerts demo-data``: the pre-built rules, and a gold layer that makes them fire."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from lakealerts.cli import output
from lakealerts.cli.common import JsonFlag
from lakealerts.errors import UsageError
from lakealerts.options import (
    DEFAULT_DEMO_ROWS,
    DEFAULT_EMAIL,
    DEFAULT_PACK,
    DEFAULT_SYSTEM_DAYS,
    MAX_SYSTEM_DAYS,
    MIN_DEMO_ROWS,
    MIN_SYSTEM_DAYS,
)

if TYPE_CHECKING:
    from lakealerts.app import setup


def seed(
    ctx: typer.Context,
    force: Annotated[
        bool,
        typer.Option("--force", help="Restore the pre-built rules to their shipped form (keeps sync identity)."),
    ] = False,
    email: Annotated[
        str | None,
        typer.Option("--email", help=f"Address of the default_email destination (default {DEFAULT_EMAIL})."),
    ] = None,
    pack: Annotated[
        str,
        typer.Option(
            "--pack",
            help="Which pre-built rules: gold (the 29 over the demo gold layer), system (the rules on Databricks "
            "system tables) or all.",
        ),
    ] = DEFAULT_PACK,
    json_output: JsonFlag = False,
) -> None:
    """Store the pre-built rules (the 29; --pack system: the system-table pack) and the default_email destination.

    Only missing rules are inserted: a pre-built rule you edited stays as you left it.
    --force restores the pre-built rules to their shipped form, keeping created_* and the Databricks alert ids;
    rules with other ids are never touched.
    default_email is created when missing and changed only by --email.
    --pack system stores the SYS-* rules on Databricks system tables instead (system.billing.usage, …;
    docs/systables.md), --pack all both packs.
    The rules and why some fire on the demo data: docs/catalog.md.
    """
    from lakealerts.app import setup
    from lakealerts.catalog import DEFAULT_DESTINATION_ID

    result = setup.seed(ctx.obj, force=force, email=email, pack=pack)
    if json_output:
        output.emit_json(result.to_dict())
        return
    report, seconds = result.report, result.seconds
    output.info(
        f"pre-built rules: {len(report.inserted)} inserted, {len(report.restored)} restored, "
        f"{len(report.unchanged)} unchanged; destination {DEFAULT_DESTINATION_ID}: {report.destination} "
        f"({seconds:.2f} s)"
    )
    if report.unchanged and not force:
        again = "lakealerts seed --force" if pack == DEFAULT_PACK else f"lakealerts seed --pack {pack} --force"
        output.info(f"rules already stored are kept as they are; `{again}` restores them")


def demo_data(
    ctx: typer.Context,
    rows: Annotated[
        int | None,
        typer.Option(
            "--rows",
            min=MIN_DEMO_ROWS,
            help=f"Event rows in all, split over billing, audit and queries (default {DEFAULT_DEMO_ROWS:,}).",
        ),
    ] = None,
    as_of: Annotated[
        datetime | None,
        typer.Option("--as-of", formats=["%Y-%m-%d"], help="The day the anomalies happen (default: today, UTC)."),
    ] = None,
    system: Annotated[
        bool,
        typer.Option("--system", help="Write the Databricks system tables (catalog system) instead of the gold layer."),
    ] = False,
    days: Annotated[
        int | None,
        typer.Option(
            "--days",
            min=MIN_SYSTEM_DAYS,
            max=MAX_SYSTEM_DAYS,
            help=f"With --system: days of activity (default {DEFAULT_SYSTEM_DAYS}). For the gold layer (at most 35): "
            "its incidents also happen every 7th day before --as-of within the last N days (for backtests).",
        ),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Write synthetic gold tables modelled on Databricks system tables into --catalog.--schema.

    Billing usage, audit log, query history, node utilisation, job runs, pipeline updates, streaming progress
    and table quality metrics: 35 days ending with --as-of, replaced whole on every run.
    The same --rows and --as-of give the same tables.
    Anomalies on the as-of day make a documented subset of the pre-built rules fire (docs/catalog.md).

    --system writes the Databricks system tables themselves instead (system.billing.usage, system.access.audit,
    system.lakeflow.*, system.query.history, system.compute.*), with their documented columns, --days days
    ending with --as-of, and documented incidents (docs/systables.md); rule SQL reads them as on a workspace.
    """
    if system:
        if rows is not None:
            raise UsageError("--rows applies to the gold layer, not to --system", hint="use --days with --system")
        _system_tables(ctx, DEFAULT_SYSTEM_DAYS if days is None else days, as_of, json_output)
        return
    from lakealerts.app import setup

    result = setup.demo_data(
        ctx.obj, DEFAULT_DEMO_ROWS if rows is None else rows, as_of.date() if as_of else None, days
    )
    if json_output:
        output.emit_json(result.to_dict())
        return
    _print_demo(result)


def _system_tables(ctx: typer.Context, days: int, as_of: datetime | None, json_output: bool) -> None:
    from lakealerts.app import setup

    result = setup.demo_system_tables(ctx.obj, days, as_of.date() if as_of else None)
    if json_output:
        output.emit_json(result.to_dict())
        return
    report = result.report
    output.table(
        f"Databricks system tables, {report.plan.days} days to {report.as_of.isoformat()}",
        ("table", "rows"),
        [(name, f"{count:,}") for name, count in report.table_rows.items()],
    )
    output.info(f"generated {report.total_rows:,} rows in {result.seconds:.2f} s")
    output.info("incidents (docs/systables.md):")
    for incident in report.incidents():
        output.info(f"  {incident['date']} {incident['time']:>11}  {incident['table']}: {incident['what']}")
    output.info(
        f"with `seed --pack system`, `eval --at {result.evaluate_at}` fires {', '.join(result.expected_triggered)}; "
        "the other rules of the pack stay OK"
    )


def _print_demo(result: setup.DemoResult) -> None:
    report, seconds = result.report, result.seconds
    output.table(
        f"demo gold layer in {report.namespace}, as of {report.as_of.isoformat()}",
        ("table", "rows"),
        [(name, f"{count:,}") for name, count in report.table_rows.items()],
    )
    output.info(f"generated {report.total_rows:,} rows in {seconds:.2f} s")
    triggered = ", ".join(result.expected_triggered)
    if result.history is not None:  # demo-data --days: the incidents replayed on earlier days (README, Backtesting)
        history = result.history
        days = ", ".join(day.isoformat() for day in history.incident_days)
        start = (report.as_of - timedelta(days=history.days - 1)).isoformat()
        end = (report.as_of + timedelta(days=1)).isoformat()
        output.info(
            f"the incidents happen on {days}; `lakealerts backtest COST-001 --from {start} --to {end}` shows when a "
            "rule would have fired"
        )
        return
    output.info(f"on {report.as_of.isoformat()} these pre-built rules fire: {triggered}; the others stay OK")
