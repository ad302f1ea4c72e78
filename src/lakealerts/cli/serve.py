"""``lakealerts serve``: the workspace stand-in (and, in a later wave, the scheduler) until SIGTERM or Ctrl-C."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from lakealerts.cli import output
from lakealerts.errors import UsageError
from lakealerts.settings import Settings

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
) -> None:
    """Serve the workspace stand-in: the Databricks REST subset lakealerts syncs to (alerts v2, notification
    destinations, read-only SQL statements, workspace mkdirs), stored in <home>/service.duckdb.

    Point the SDK or `lakealerts sync --host http://127.0.0.1:8040` at it with the token as DATABRICKS_TOKEN.
    Stops cleanly on SIGTERM or Ctrl-C.
    """
    settings: Settings = ctx.obj
    if not token:
        raise UsageError(
            "serve needs a token that clients must present",
            hint="pass --token T or set LAKEALERTS_TOKEN (clients send it as DATABRICKS_TOKEN)",
        )
    # Imported here: the stand-in pulls in databricks-sdk (about 1.5 s), which other commands do not need.
    from lakealerts.standin.server import open_http_server, run_until_signalled, service_store_path

    _log_requests_to_stderr()
    with open_http_server(settings, token, bind, port) as http:
        output.info(
            f"lakealerts stand-in on {http.url} (store {service_store_path(settings)}, "
            f"statements on {settings.store_path}); stop with Ctrl-C or SIGTERM"
        )
        output.info(f"use it with: DATABRICKS_HOST={http.url} DATABRICKS_TOKEN=<token>")
        run_until_signalled([http])
    output.info("lakealerts stand-in stopped")


def _log_requests_to_stderr() -> None:
    """One line per request on stderr; uvicorn's own chatter only when something goes wrong."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", datefmt="%H:%M:%S"))
    for name, level in (("lakealerts", logging.INFO), ("uvicorn", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.addHandler(handler)
