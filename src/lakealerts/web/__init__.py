"""The Alert Center (DESIGN §13): pages under ``/ui`` and the JSON API under ``/api/lakealerts/v1``, mounted
by ``serve`` beside the workspace stand-in."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route

from lakealerts.web.api import PREFIX, Api
from lakealerts.web.auth import WebAuth, error_body
from lakealerts.web.pages import Pages
from lakealerts.web.service import SchedulerWatch, WebContext

__all__ = ["SchedulerWatch", "WebContext", "create_web_app", "web_routes"]

log = logging.getLogger("lakealerts.web")
_HTTP_CODES = {400: "USAGE", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "TOO_LARGE"}
_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def web_routes(web: WebContext) -> list[BaseRoute]:
    """The API's and the pages' routes (unguarded: wrap them in :class:`WebAuth`)."""
    return [*Api(web).routes(), *Pages(web).routes()]


def create_web_app(web: WebContext) -> Starlette:
    """The Alert Center as one ASGI app, behind its token (``serve`` mounts it; tests call it directly).

    Every error under the API's prefix is in the finding shape — unknown paths (404), methods (405) and
    unexpected failures (500, without a traceback: that goes to the log) — and under ``/ui`` a page.
    """
    pages = Pages(web)
    routes = [*Api(web).routes(), *pages.routes()]

    def _api(request: Request) -> bool:
        return request.url.path == PREFIX or request.url.path.startswith(PREFIX + "/")

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # Starlette names only the first route of the path; a path has one per method
            headers["Allow"] = allowed_methods(routes, request) or headers.get("Allow", "")
        if _api(request):
            code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
            if exc.status_code == 405:
                message, hint = f"{request.method} is not allowed on {request.url.path}", f"use {headers.get('Allow')}"
            else:
                message = f"{exc.detail}: {request.method} {request.url.path}"
                hint = f"see the README, section The Alert Center, for {PREFIX}"
            response: Response = error_body(exc.status_code, code, message, hint)
        else:
            response = pages.error_page(None, exc.status_code, str(exc.detail))
        response.headers.update(headers)
        return response

    async def internal_error(request: Request, exc: Exception) -> Response:
        log.error("the Alert Center failed on %s %s", request.method, request.url.path, exc_info=exc)
        if _api(request):
            return error_body(500, "INTERNAL", "the server failed to answer this request",
                              "try again; if it persists, see the serve log")  # fmt: skip
        return pages.error_page(None, 500, "The server failed to answer this request; see the serve log.")

    return Starlette(
        routes=routes,
        middleware=[Middleware(WebAuth, token=web.token)],
        exception_handlers={HTTPException: http_error, Exception: internal_error},
    )


def allowed_methods(routes: list[BaseRoute], request: Request) -> str:
    """Every method some route allows on the request's path (the 405's ``Allow``), e.g. "GET, HEAD, PUT, PATCH"."""
    methods: set[str] = set()
    for route in routes:
        if isinstance(route, Route) and route.methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods
    known = [m for m in _METHOD_ORDER if m in methods]
    return ", ".join(known + sorted(methods - set(known)))
