"""Form bodies (``application/x-www-form-urlencoded``, what htmx and the login form send), read without
python-multipart: the Alert Center posts no files."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.datastructures import MultiDict
from starlette.requests import Request

MAX_FORM = 512 * 1024


async def form_data(request: Request) -> MultiDict:
    """The request's form fields (repeated names kept); an oversized or non-UTF-8 body reads as empty."""
    raw = await request.body()
    if len(raw) > MAX_FORM:
        return MultiDict()
    try:
        return MultiDict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        return MultiDict()
