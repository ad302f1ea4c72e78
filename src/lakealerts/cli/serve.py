"""``lakealerts serve``: the scheduler (the runtime on its schedules) and the workspace stand-in, until SIGTERM."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from lakealerts.cli import output
from lakealerts.cli.runtime import DEFAULT_QUERY_TIMEOUT, QueryTimeout
from lakealerts.errors import UsageError

DEFAULT_PORT = 8040


def serve(
    ctx: typer.Context,
    bind: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port (0 = any free port).")] = DEFAULT_PORT,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="LAKEALERTS_TOKEN",
            show_default=False,
            help="Bearer token clients must send (env LAKEALERTS_TOKEN); required.",
        ),
    ] = None,
    scheduler: Annotated[
        bool, typer.Option("--scheduler/--no-scheduler", help="Evaluate the rules on their schedules and notify.")
    ] = True,
    max_parallel: Annotated[
        int, typer.Option("--max-parallel", min=1, max=32, help="Evaluation rounds in flight at once.")
    ] = 2,
    query_timeout: QueryTimeout = DEFAULT_QUERY_TIMEOUT,
    ui_allow_sync: Annotated[
        bool, typer.Option("--ui-allow-sync", help="Let the Alert Center apply the sync plan (POST /sync, Apply).")
    ] = False,
) -> None:
    """Run lakealerts as a local alerting service: the scheduler evaluates every enabled, unpaused rule on its
    Quartz schedule and delivers notifications (like `eval --notify`), beside the workspace stand-in — the
    Databricks REST subset lakealerts syncs to (alerts v2, notification destinations, read-only SQL statements,
    workspace mkdirs), stored in <home>/service.duckdb.

    Rule edits are picked up within seconds; a schedule missed while the service was down runs once at start,
    and so do the messages still owed (PENDING after a crash, FAILED after their back-off). Each rule's query
    is bounded by --query-timeout; SIGTERM interrupts running queries.
    Point `lakealerts sync --host http://127.0.0.1:8040` at it with the token as DATABRICKS_TOKEN.
    The Alert Center is at http://127.0.0.1:8040/ui/ (log in with the token), its JSON API under
    /api/lakealerts/v1; it applies a sync plan only with --ui-allow-sync.
    Stops cleanly on SIGTERM or Ctrl-C (evaluations in flight finish first).
    """
    if not token:
        raise UsageError(
            "serve needs a token that clients must present",
            hint="pass --token T or set LAKEALERTS_TOKEN (clients send it as DATABRICKS_TOKEN)",
        )
    # Imported here: the stand-in pulls in databricks-sdk (about 1.5 s), which other commands do not need.
    from lakealerts.serve import run_service

    _log_requests_to_stderr()
    app = ctx.obj.replace(query_timeout=query_timeout)
    run_service(app, token, bind, port, scheduler=scheduler, max_parallel=max_parallel, ui_allow_sync=ui_allow_sync)
    output.info("lakealerts stand-in stopped")


def _log_requests_to_stderr() -> None:
    """One line per request on stderr; uvicorn's own chatter only when something goes wrong."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", datefmt="%H:%M:%S"))
    for name, level in (("lakealerts", logging.INFO), ("uvicorn", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.addHandler(handler)
