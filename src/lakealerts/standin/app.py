"""The stand-in's HTTP surface: a Starlette app with the REST subset of DESIGN §6.

Routes only unpack the request (path, query, JSON body) and hand it to :class:`Workspace` or
:class:`StatementRunner` on a worker thread (both block on DuckDB); errors become Databricks error bodies.
Every path but ``/.well-known/databricks-config`` needs ``Authorization: Bearer <token>``. Each request is
logged as one line (method, path, status, duration) on the ``lakealerts.standin`` logger.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lakealerts.standin.errors import ApiError, endpoint_not_found, invalid, malformed, unauthenticated
from lakealerts.standin.statements import StatementRunner
from lakealerts.standin.workspace import Workspace

log = logging.getLogger("lakealerts.standin")
WELL_KNOWN = "/.well-known/databricks-config"
ALERTS, DESTINATIONS, STATEMENTS = "/api/2.0/alerts", "/api/2.0/notification-destinations", "/api/2.0/sql/statements"
_MAX_BODY = 16 * 1024 * 1024
MAX_BODY_DEPTH = 64  # the API's payloads nest five levels; nothing legitimate comes close


def create_app(workspace: Workspace, statements: StatementRunner, token: str) -> Starlette:
    """The ASGI app serving ``workspace`` and ``statements`` to clients that send ``token``."""
    api = _Api(workspace, statements)
    return Starlette(
        routes=api.routes(),
        middleware=[Middleware(RequestLog), Middleware(BearerAuth, token=token)],
        exception_handlers={ApiError: _api_error, HTTPException: _http_error, Exception: _internal_error},
        max_body_size=_MAX_BODY,
    )


class _Api:
    """The endpoints, bound to one workspace and one statement runner."""

    def __init__(self, workspace: Workspace, statements: StatementRunner) -> None:
        """Bind the endpoints to their backends."""
        self.workspace = workspace
        self.statements = statements

    def routes(self) -> list[Route]:
        """Every endpoint of the stand-in; paths and methods as the SDK calls them."""
        alerts, destinations, statements = ALERTS, DESTINATIONS, STATEMENTS
        return [
            Route(WELL_KNOWN, _well_known, methods=["GET"]),
            Route(alerts, self.create_alert, methods=["POST"]),
            Route(alerts, self.list_alerts, methods=["GET"]),
            Route(alerts + "/{id}", self.get_alert, methods=["GET"]),
            Route(alerts + "/{id}", self.update_alert, methods=["PATCH"]),
            Route(alerts + "/{id}", self.trash_alert, methods=["DELETE"]),
            Route(destinations, self.create_destination, methods=["POST"]),
            Route(destinations, self.list_destinations, methods=["GET"]),
            Route(destinations + "/{id}", self.get_destination, methods=["GET"]),
            Route(destinations + "/{id}", self.update_destination, methods=["PATCH"]),
            Route(destinations + "/{id}", self.delete_destination, methods=["DELETE"]),
            Route(statements, self.execute_statement, methods=["POST"]),
            Route(statements + "/{id}", self.get_statement, methods=["GET"]),
            Route(statements + "/{id}/cancel", self.cancel_statement, methods=["POST"]),
            Route(statements + "/{id}/result/chunks/{chunk:int}", self.get_chunk, methods=["GET"]),
            Route("/api/2.0/workspace/mkdirs", self.mkdirs, methods=["POST"]),
        ]

    async def create_alert(self, request: Request) -> Response:
        return await _answer(self.workspace.create_alert, await _body(request))

    async def list_alerts(self, request: Request) -> Response:
        query = request.query_params
        return await _answer(self.workspace.list_alerts, query.get("page_size"), query.get("page_token"))

    async def get_alert(self, request: Request) -> Response:
        return await _answer(self.workspace.get_alert, request.path_params["id"])

    async def update_alert(self, request: Request) -> Response:
        mask = request.query_params.get("update_mask")
        return await _answer(self.workspace.update_alert, request.path_params["id"], await _body(request), mask)

    async def trash_alert(self, request: Request) -> Response:
        purge = _flag(request.query_params.get("purge"), "purge")
        return await _answer(self.workspace.trash_alert, request.path_params["id"], purge)

    async def create_destination(self, request: Request) -> Response:
        return await _answer(self.workspace.create_destination, await _body(request))

    async def list_destinations(self, request: Request) -> Response:
        query = request.query_params
        return await _answer(self.workspace.list_destinations, query.get("page_size"), query.get("page_token"))

    async def get_destination(self, request: Request) -> Response:
        return await _answer(self.workspace.get_destination, request.path_params["id"])

    async def update_destination(self, request: Request) -> Response:
        return await _answer(self.workspace.update_destination, request.path_params["id"], await _body(request))

    async def delete_destination(self, request: Request) -> Response:
        return await _answer(self.workspace.delete_destination, request.path_params["id"])

    async def execute_statement(self, request: Request) -> Response:
        return await _answer(self.statements.execute, await _body(request))

    async def get_statement(self, request: Request) -> Response:
        return await _answer(self.statements.get, request.path_params["id"])

    async def cancel_statement(self, request: Request) -> Response:
        # Statements finish before their POST answers: there is never anything left to cancel.
        await _answer(self.statements.get, request.path_params["id"])
        return JSONResponse({})

    async def get_chunk(self, request: Request) -> Response:
        return await _answer(self.statements.chunk, request.path_params["id"], request.path_params["chunk"])

    async def mkdirs(self, request: Request) -> Response:
        return await _answer(self.workspace.mkdirs, await _body(request))


class BearerAuth:
    """ASGI middleware: 401 ``UNAUTHENTICATED`` unless ``Authorization: Bearer <token>`` (the probe is open)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == WELL_KNOWN:
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("authorization")
        if given is None:
            error = unauthenticated("Credential was not sent or was of an unsupported type for this API.")
        elif not hmac.compare_digest(given.encode(), self._expected):
            error = unauthenticated("Invalid access token.")
        else:
            await self.app(scope, receive, send)
            return
        await JSONResponse(error.body(), status_code=error.status)(scope, receive, send)


class RequestLog:
    """ASGI middleware: one log line per request (never headers, query strings or bodies: they hold secrets)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            log.info("%s %s %d %.0f ms", scope["method"], scope["path"], status, elapsed)


async def _answer(call: Callable[..., dict[str, Any]], *args: Any) -> Response:
    """Run a blocking workspace call on a worker thread and answer with its JSON document."""
    return JSONResponse(await run_in_threadpool(call, *args))


async def _body(request: Request) -> Any:
    """The request's JSON body; 400 for text that is not JSON, and for JSON nested deeper than ``MAX_BODY_DEPTH``
    (100,000 brackets would exhaust the parser's stack: answered like any other invalid payload, never a 500)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except RecursionError:
        raise invalid(f"The request body is nested more than {MAX_BODY_DEPTH} levels deep") from None
    except (ValueError, UnicodeDecodeError):
        raise malformed("Invalid JSON given in the body of the request") from None
    if _depth(body) > MAX_BODY_DEPTH:
        raise invalid(f"The request body is nested more than {MAX_BODY_DEPTH} levels deep")
    return body


def _depth(value: Any) -> int:
    """How deeply ``value`` nests lists and objects (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if level <= MAX_BODY_DEPTH:
            stack.extend((child, level + 1) for child in children)
    return deepest


def _flag(value: str | None, name: str) -> bool:
    if value is None or value.lower() in ("false", "0"):
        return False
    if value.lower() in ("true", "1"):
        return True
    raise invalid(f"Invalid value for {name}: expected true or false, got {value!r}")


async def _well_known(request: Request) -> Response:
    """The discovery probe the SDK sends while configuring: nothing to discover here."""
    return JSONResponse({})


def _api_error(request: Request, exc: Exception) -> Response:
    error = exc if isinstance(exc, ApiError) else ApiError(500, "INTERNAL_ERROR", str(exc))
    return JSONResponse(error.body(), status_code=error.status)


def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status in (404, 405):
        error = endpoint_not_found(request.method, request.url.path)
    else:
        error = ApiError(status, "BAD_REQUEST" if status < 500 else "INTERNAL_ERROR", str(getattr(exc, "detail", exc)))
    return JSONResponse(error.body(), status_code=error.status)


def _internal_error(request: Request, exc: Exception) -> Response:
    # Starlette re-raises after this answer, so the server logs the traceback once.
    return JSONResponse({"error_code": "INTERNAL_ERROR", "message": f"{type(exc).__name__}: {exc}"}, status_code=500)
