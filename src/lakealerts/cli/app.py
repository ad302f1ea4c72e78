"""The ``lakealerts`` command: global options, the sub-commands, and the mapping of errors to exit codes.

Exit codes (DESIGN §7): 0 ok; 1 findings (rejected rules, invalid rules, …); 2 usage or environment errors.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from lakealerts.app.context import AppContext
from lakealerts.app.settings import DEFAULT_CATALOG, DEFAULT_HOME, DEFAULT_SCHEMA, Settings, template_variables
from lakealerts.cli import output
from lakealerts.cli.alerttest import test_command
from lakealerts.cli.backtest import backtest_command
from lakealerts.cli.catalog import demo_data, seed
from lakealerts.cli.data import data_app
from lakealerts.cli.destinations import destinations_app
from lakealerts.cli.outbox import outbox_app
from lakealerts.cli.quickstart import quickstart
from lakealerts.cli.rules import rules_app
from lakealerts.cli.runtime import eval_command, history
from lakealerts.cli.serve import serve
from lakealerts.cli.sync import plan, sync
from lakealerts.cli.validate import validate
from lakealerts.errors import LakeAlertsError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


app = typer.Typer(
    name="lakealerts",
    help="Alerts as configuration for the Databricks lakehouse: rules live in a table, are validated, "
    "synced to Databricks SQL Alerts V2, or run locally on DuckDB.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(rules_app, name="rules")
app.add_typer(destinations_app, name="destinations")
app.add_typer(outbox_app, name="outbox")
app.add_typer(data_app, name="data")
app.command()(quickstart)
app.command("seed")(seed)
app.command("demo-data")(demo_data)
app.command("serve")(serve)
app.command()(validate)
app.command()(plan)
app.command()(sync)
app.command("eval")(eval_command)
app.command("test")(test_command)
app.command("backtest")(backtest_command)
app.command()(history)


@app.callback()
def main_options(
    ctx: typer.Context,
    home: Annotated[
        Path,
        typer.Option(envvar="LAKEALERTS_HOME", help="Directory of the embedded store, service store, outbox."),
    ] = DEFAULT_HOME,
    catalog: Annotated[
        str,
        typer.Option(envvar="LAKEALERTS_CATALOG", help="Catalog of the tables; also ${catalog} in rule SQL."),
    ] = DEFAULT_CATALOG,
    schema: Annotated[
        str,
        typer.Option(envvar="LAKEALERTS_SCHEMA", help="Schema of the tables; also ${gold_schema} in rule SQL."),
    ] = DEFAULT_SCHEMA,
    var: Annotated[
        list[str] | None,
        typer.Option(
            "--var",
            metavar="NAME=VALUE",
            help="Render ${NAME} in rule SQL (repeatable; env LAKEALERTS_VAR_<NAME>): an identifier, a number, "
            "a 'quoted string', TRUE, FALSE or NULL.",
        ),
    ] = None,
) -> None:
    """Global options go before the command, e.g. `lakealerts --home /tmp/la rules list`."""
    variables = template_variables(var or [], os.environ)
    settings = Settings(home=home, catalog=catalog, schema=schema, variables=variables)
    settings.namespace  # noqa: B018 - validates catalog and schema before any command runs
    ctx.obj = AppContext(settings=settings, progress=output.info)


@app.command()
def init(
    ctx: typer.Context,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Create the schema and all lakealerts tables; add columns missing from older versions. Idempotent."""
    from lakealerts.app.setup import init_tables

    result = init_tables(ctx.obj)
    if json_output:
        output.emit_json(result.to_dict())
        return
    report = result.report
    output.info(
        f"tables ready in {result.namespace} in {result.store}: {len(report.created_tables)} created, "
        f"{len(report.added_columns)} columns added"
    )


def main() -> None:
    """Entry point: run the app and turn errors into a message and exit code 2.

    With ``--json`` anywhere on the command line every exit prints one JSON document on stdout; a usage or
    environment error prints ``{"error": {"code", "message", "hint"}}`` (codes in ``lakealerts.errors`` and
    the README), typer's own usage errors included (code ``USAGE``).
    """
    json_mode = "--json" in sys.argv[1:]
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:  # typer's own usage errors: unknown option, missing argument, …
        from typer import rich_utils

        if json_mode:
            output.error_json("USAGE", exc.format_message(), _usage_hint(exc))
        rich_utils.rich_format_error(exc)  # type: ignore[arg-type]  # a click exception under typer's name
        sys.exit(exc.exit_code)
    except typer.Abort:
        output.info("Aborted!")
        sys.exit(1)
    except LakeAlertsError as exc:
        if json_mode:
            output.error_json(exc.code, exc.message, exc.hint)
        output.error(exc)
        sys.exit(EXIT_USAGE)
    except OSError as exc:  # an unwritable --home or --output: the user's environment, not a bug
        where = f" ({exc.filename})" if exc.filename else ""
        error = LakeAlertsError(f"{exc.strerror or exc}{where}", hint="check the path and its permissions")
        if json_mode:
            output.error_json("FILE", error.message, error.hint)
        output.error(error)
        sys.exit(EXIT_USAGE)
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def _usage_hint(exc: typer.TyperException) -> str:
    names: list[str] = []
    context = getattr(exc, "ctx", None)
    while context is not None and context.parent is not None:  # the program's own name is always lakealerts
        names.insert(0, context.info_name or "")
        context = context.parent
    return f"see `{' '.join(['lakealerts', *names, '--help'])}`"
