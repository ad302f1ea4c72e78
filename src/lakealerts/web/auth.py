"""Who may use the Alert Center (DESIGN §13): the ``serve`` token as a bearer header, or the HttpOnly
SameSite=Strict cookie ``/ui/login`` sets after checking it; mutations must also carry ``HX-Request`` or a JSON
content type (a cross-site form can send neither) and must not come from another site.

Without credentials the API answers 401 in the finding shape and a page redirects to the login form.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "lakealerts_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_OPEN_PATHS = ("/ui/login", "/ui/static/")


def session_value(token: str) -> str:
    """What the cookie holds: a digest of the token, so the cookie never carries the token itself."""
    return hashlib.sha256(b"lakealerts-ui\0" + token.encode()).hexdigest()


def error_body(status: int, code: str, message: str, hint: str, field: str = "") -> JSONResponse:
    """An API error in the finding shape: ``{"error": {"code", "field", "message", "hint", "line", "col"}}``."""
    finding = {"code": code, "field": field, "message": message, "hint": hint, "line": None, "col": None}
    return JSONResponse({"error": finding, "findings": [finding]}, status_code=status)


class WebAuth:
    """ASGI middleware in front of ``/ui`` and ``/api/lakealerts/v1``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        """Guard ``app`` with ``token``."""
        self.app = app
        self._bearer = f"Bearer {token}".encode()
        self._session = session_value(token).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Let authenticated, same-site requests through; answer the others."""
        if scope["type"] != "http" or self._open(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _open(self, path: str) -> bool:
        return path == "/ui/login" or any(path.startswith(p) for p in _OPEN_PATHS[1:])

    def authenticated(self, headers: Headers) -> bool:
        """A matching bearer token or session cookie."""
        bearer = headers.get("authorization", "").encode()
        if bearer and hmac.compare_digest(bearer, self._bearer):
            return True
        return hmac.compare_digest(_cookie(headers.get("cookie", ""), COOKIE).encode(), self._session)

    def _refusal(self, scope: Scope, headers: Headers) -> Response | None:
        api = scope["path"].startswith("/api/")
        if not self.authenticated(headers):
            if api:
                return error_body(401, "UNAUTHENTICATED", "missing or wrong token",
                                  "send Authorization: Bearer <the serve token>, or log in at /ui/login")  # fmt: skip
            target = scope["path"] + (f"?{scope['query_string'].decode()}" if scope.get("query_string") else "")
            return RedirectResponse(f"/ui/login?next={quote(target)}", status_code=303)
        if scope["method"] not in SAFE_METHODS and not _same_site_mutation(headers):
            return error_body(
                403, "CROSS_SITE", "this change must come from the Alert Center or a script",
                "send HX-Request: true or Content-Type: application/json, from the same site",
            )  # fmt: skip
        return None


def _same_site_mutation(headers: Headers) -> bool:
    if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    return headers.get("hx-request") == "true" or kind == "application/json"


def _cookie(header: str, name: str) -> str:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""
