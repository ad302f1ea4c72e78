"""The Alert Center's JSON API under ``/api/lakealerts/v1`` (DESIGN §13).

Every route unpacks the request, calls one use case on a worker thread and answers that value's ``to_dict()``
through the CLI's own serialiser (``dump_json``), so a body equals the ``--json`` document of the same CLI
operation. Errors use the finding shape (:func:`lakealerts.web.auth.error_body`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from lakealerts.app import alert_center, evaluate, outbox, rules, sync, validate
from lakealerts.app.files import dump_json
from lakealerts.errors import LakeAlertsError, UsageError
from lakealerts.sync.policy import SyncOptions
from lakealerts.web import charts, listing
from lakealerts.web.auth import error_body
from lakealerts.web.listing import InputError
from lakealerts.web.service import WebContext

PREFIX = "/api/lakealerts/v1"
_MAX_BODY = 1024 * 1024
_STATUS = {"NotFoundError": 404, "StaleRuleError": 409, "RuleRejectedError": 422}
MAX_BACKTEST_EVALUATIONS = 1_000_000
MAX_FLAP_WINDOW = 10_000
# One entity tag of an If-Match list: optionally weak (W/), quoted as ETag sends it — or, leniently, bare.
_ENTITY_TAG = re.compile(r'\s*(?:[Ww]/)?(?:"([\x21\x23-\x7e\x80-\xff]*)"|([\x21\x23-\x29\x2b\x2d-\x7e]+))\s*')
_IF_MATCH_EXAMPLE = 'If-Match must be the ETag from GET, e.g. "5aca…"'


def json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """``value`` serialised exactly as the CLI's ``--json`` does."""
    return Response(dump_json(value) + "\n", status_code=status, media_type="application/json", headers=headers)


def error_response(exc: LakeAlertsError) -> Response:
    """A use case's error as an HTTP answer: 404 unknown, 409 stale, 422 rejected (every finding), 400 usage."""
    status = _STATUS.get(type(exc).__name__, 400 if isinstance(exc, UsageError) else 503)
    findings = getattr(exc, "findings", None)
    if findings:
        body = [f.to_dict() for f in findings]
        return JSONResponse({"error": {**body[0], "code": exc.code, "message": exc.message}, "findings": body},
                            status_code=status)  # fmt: skip
    return error_body(status, exc.code, exc.message, exc.hint or "", str(getattr(exc, "field", None) or ""))


async def call(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a blocking use case on a worker thread (the store and the engines block)."""
    return await run_in_threadpool(function, *args, **kwargs)


async def read_json(request: Request, default: Any = None) -> Any:
    """The request's JSON body (``default`` when empty); UsageError when it is not JSON."""
    raw = await request.body()
    if not raw.strip():
        return default
    if len(raw) > _MAX_BODY:
        raise UsageError("the request body is too large", hint=f"send at most {_MAX_BODY} bytes")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise UsageError(f"the request body is not JSON: {exc}", hint="send a JSON document") from None
    except RecursionError:
        raise UsageError("the request body is nested too deeply", hint="send a flatter JSON document") from None


def if_match_values(header: str) -> list[str] | None:
    """The opaque values an ``If-Match`` header names (quoted, weak ``W/"…"`` or bare), None for ``*`` (any
    current version); InputError when it is none of these."""
    text = header.strip()
    if text == "*":
        return None
    values: list[str] = []
    position = 0
    while True:
        found = _ENTITY_TAG.match(text, position)
        if found is None or found.end() == position:
            break
        values.append(found.group(1) if found.group(1) is not None else found.group(2))
        position = found.end()
        if position == len(text):
            return values
        if text[position] != ",":
            break
        position += 1
    raise InputError("If-Match", _IF_MATCH_EXAMPLE,
                     hint=f"send back the ETag header of GET {PREFIX}/rules/<id> as it came (quotes included), or * "
                          "for any version")  # fmt: skip


def _mapping(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UsageError(f"{what} must be a JSON object", hint="send {...}")
    return value


def _instant(text: Any, default: datetime, name: str) -> datetime:
    """An ISO 8601 instant (naive = UTC) that UTC can hold; InputError names ``name`` when it is not one."""
    if text is None or text == "":
        return default
    hint = "e.g. 2025-01-20T06:00:00Z"
    if not isinstance(text, str):
        raise InputError(name, f"{name} must be an ISO 8601 instant as a string, not {type(text).__name__}", hint)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        moment.astimezone(UTC)  # 0001-01-01T00:00+01:00 is before the first instant UTC can hold
    except (ValueError, OverflowError):
        raise InputError(name, f"{name} {text!r} is not an ISO 8601 instant", hint) from None
    return moment


def _whole(body: dict[str, Any], name: str, low: int, high: int) -> int | None:
    """The JSON integer ``body[name]`` in [low, high] (None when absent or null); InputError names it."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(name, f"{name} must be a whole number, not {json.dumps(value)[:40]}", f"send {low}..{high}")
    if not low <= value <= high:
        raise InputError(name, f"{name} {value} is out of range", hint=f"send {low}..{high}")
    return value


def _text(body: dict[str, Any], name: str, example: str) -> str | None:
    """The JSON string ``body[name]`` (None when absent or null); InputError names it."""
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise InputError(name, f"{name} must be a string, not {type(value).__name__}", hint=f"e.g. {example}")
    return value


def _flag(body: dict[str, Any], name: str) -> bool | None:
    """The JSON boolean ``body[name]`` (None when absent or null); InputError names it ("false" is not false)."""
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise InputError(name, f"{name} must be true or false, not {json.dumps(value)[:40]}", "send a JSON boolean")
    return value


def _ids(body: dict[str, Any], name: str) -> list[str] | None:
    """The list of rule ids ``body[name]`` (None when absent, null or empty: every rule); InputError names it."""
    value = body.get(name)
    if value is None or value == []:
        return None
    if not isinstance(value, list) or not all(isinstance(i, str) and i for i in value):
        raise InputError(name, f"{name} must be a list of rule ids (strings)", hint='e.g. ["COST-001", "REL-002"]')
    return value


class Api:
    """The routes, bound to one :class:`WebContext`."""

    def __init__(self, web: WebContext) -> None:
        """Bind the routes to ``web``."""
        self.web = web

    def routes(self) -> list[Route]:
        """Every route of DESIGN §13's API."""
        handlers: list[tuple[str, Callable[[Request], Any], str]] = [
            ("/health", self.health, "GET"),
            ("/rules", self.list_rules, "GET"),
            ("/rules:bulk", self.bulk, "POST"),
            ("/rules/{id}", self.get_rule, "GET"),
            ("/rules/{id}", self.put_rule, "PUT"),
            ("/rules/{id}", self.patch_rule, "PATCH"),
            ("/rules/{id}/evaluate", self.evaluate, "POST"),
            ("/rules/{id}/evaluations", self.evaluations, "GET"),
            ("/rules/{id}/series", self.series, "GET"),
            ("/rules/{id}/backtest", self.backtest, "POST"),
            ("/validate", self.validate, "POST"),
            ("/plan", self.plan, "GET"),
            ("/sync", self.sync, "POST"),
            ("/outbox", self.outbox, "GET"),
        ]
        return [Route(PREFIX + path, _guarded(handler), methods=[method]) for path, handler, method in handlers]

    async def health(self, _request: Request) -> Response:
        return json_response({"status": "ok", "scheduler": self.web.watch.to_dict(), "allow_sync": self.web.allow_sync})

    async def list_rules(self, request: Request) -> Response:
        query = listing.Query.parse(request.query_params)
        board = await call(alert_center.rule_board, self.web.ctx)
        page = listing.select(board.rows, query)
        body = {
            "rules": [rules.rule_document(row.stored) for row in page.rows],  # = `rules list --json` items
            "status": {row.alert_id: status_dict(row) for row in page.rows},
            "next_page_token": page.next_page_token,
            "total": len(board.rows),
            "matched": page.matched,
            "counts": board.counts(),
        }
        return json_response(body)

    async def get_rule(self, request: Request) -> Response:
        details = await call(rules.show_rule, self.web.ctx, request.path_params["id"])
        return json_response(details.to_dict(), headers={"ETag": rules.rule_etag(details.stored)})

    async def put_rule(self, request: Request) -> Response:
        """Replace the whole rule: only with the ``If-Match`` etag of what was read (428 without one)."""
        alert_id = request.path_params["id"]
        document = _mapping(await read_json(request, {}), "the rule")
        etag = request.headers.get("if-match")
        if not etag:
            await call(rules.show_rule, self.web.ctx, alert_id)  # an unknown rule is 404 first
            return error_body(428, "PRECONDITION_REQUIRED", f"replacing rule {alert_id} needs its etag",
                              f"GET {PREFIX}/rules/{alert_id} and send its ETag header back as If-Match (or PATCH "
                              "only the columns you change)", field="If-Match")  # fmt: skip
        expected = await self._expected(alert_id, etag)
        details = await call(rules.update_rule, self.web.ctx, alert_id, document, expected)
        return json_response(details.to_dict(), headers={"ETag": rules.rule_etag(details.stored)})

    async def patch_rule(self, request: Request) -> Response:
        """Change the columns the body names; read, merge and write in one store session (no lost update)."""
        patch = _mapping(await read_json(request, {}), "the patch")
        alert_id, etag = request.path_params["id"], request.headers.get("if-match")
        expected = await self._expected(alert_id, etag) if etag else None
        details = await call(rules.patch_rule, self.web.ctx, alert_id, patch, expected)
        return json_response(details.to_dict(), headers={"ETag": rules.rule_etag(details.stored)})

    async def _expected(self, alert_id: str, header: str) -> str | None:
        """The etag an If-Match header expects, as ``rule_etag`` writes it (None: ``*``, any version). Weak and
        bare forms compare by their opaque value; of several, the current one when listed (the write checks
        again)."""
        values = if_match_values(header)
        if values is None:
            return None
        if len(values) > 1:
            current = rules.rule_etag((await call(rules.show_rule, self.web.ctx, alert_id)).stored)
            return current if current.strip('"') in values else f'"{values[0]}"'
        return f'"{values[0]}"'

    async def bulk(self, request: Request) -> Response:
        body = _mapping(await read_json(request, {}), "the bulk request")
        ids = body.get("alert_ids")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise InputError("alert_ids", "alert_ids must be a non-empty list of rule ids",
                             hint='send {"action", "alert_ids"}')  # fmt: skip
        try:
            action = rules.BulkAction(str(body.get("action", "")).lower())
        except ValueError:
            choices = ", ".join(a.value for a in rules.BulkAction)
            raise InputError("action", f"action {body.get('action')!r} is unknown", f"use one of {choices}") from None
        report = await call(rules.bulk_update, self.web.ctx, ids, action)
        return json_response(report.to_dict())

    async def evaluate(self, request: Request) -> Response:
        body = _mapping(await read_json(request, {}), "the request")
        at = _instant(body["at"], datetime.min, "at") if body.get("at") not in (None, "") else None
        result = await call(alert_center.preview, self.web.ctx, request.path_params["id"], at)
        return json_response(result.to_dict())

    async def evaluations(self, request: Request) -> Response:
        limit = listing.bounded(request.query_params.get("limit"), "limit", 50, 1, 10_000)
        result = await call(evaluate.history, self.web.ctx, request.path_params["id"], limit)
        return json_response(result.to_dict())

    async def series(self, request: Request) -> Response:
        params = request.query_params
        now = self.web.ctx.now()
        end = _instant(params.get("to"), now, "to")
        try:
            week_before = end - timedelta(days=7)
        except OverflowError:
            raise InputError("to", f"to {params.get('to')!r} leaves no week before it", "pass a later to") from None
        start = _instant(params.get("from"), week_before, "from")
        if start >= end:
            raise InputError("from", "from must be before to", hint="pass from=<earlier ISO instant>")
        count = listing.bounded(params.get("buckets"), "buckets", charts.MAX_BUCKETS, 1, charts.MAX_BUCKETS)
        details, data = await call(_rule_and_series, self.web, request.path_params["id"], start, end)
        try:
            cells = charts.bucket(data.values(), data.states(), start, end, count)  # previews: no state
        except OverflowError:  # a range at the end of the calendar: its buckets' edges are past 9999-12-31
            raise InputError("to", "the range reaches past the last instant a bucket can hold",
                             hint="pass an earlier to") from None  # fmt: skip
        return json_response({
            "alert_id": data.alert_id, "from": start.isoformat(), "to": end.isoformat(),
            "threshold": listing.threshold(details.stored.rule), "evaluations": len(data.points),
            "buckets": [c.to_dict() for c in cells],
            "notifications": [moment.isoformat() for moment in data.notifications],
        })  # fmt: skip

    async def backtest(self, request: Request) -> Response:
        """``backtest ID --json``: the body names ``from`` and ``to`` (ISO 8601) and optionally ``step``,
        ``sweep``, ``max_evaluations``, ``flap_window``, ``mode`` and ``record``, as the CLI's options."""
        from lakealerts.app import backtest as use  # the replay machinery: only when asked for

        body = _mapping(await read_json(request, {}), "the request")
        for name in ("from", "to"):
            if not body.get(name):
                raise InputError(name, "from and to are required", '{"from": "2026-11-01", "to": "2026-12-01"}')
        now = self.web.ctx.now()
        options: dict[str, Any] = {
            "step": _text(body, "step", '"1h"'), "sweep": _text(body, "sweep", '"1000:5000:500"'),
            "mode": _text(body, "mode", '"auto"'), "record": _flag(body, "record"),
            "max_evaluations": _whole(body, "max_evaluations", 1, MAX_BACKTEST_EVALUATIONS),
            "flap_window": _whole(body, "flap_window", 0, MAX_FLAP_WINDOW),
        }  # fmt: skip
        backtest_request = use.BacktestRequest(alert_ids=[request.path_params["id"]],
                                               start=_instant(body["from"], now, "from"),
                                               end=_instant(body["to"], now, "to"),
                                               **{k: v for k, v in options.items() if v is not None})  # fmt: skip
        result = await call(use.backtest, self.web.ctx, backtest_request)
        return json_response(result.to_dict())

    async def validate(self, request: Request) -> Response:
        body = _mapping(await read_json(request, {}), "the request")
        run = await call(validate.validate_store, self.web.ctx, _ids(body, "alert_ids"))
        return json_response(run.to_dict())

    async def plan(self, _request: Request) -> Response:
        ctx, remote, warehouse = self.web.remote()
        result = await call(sync.plan_alerts, ctx, remote, warehouse_id=warehouse)
        return json_response(result.plan.to_dict())

    async def sync(self, _request: Request) -> Response:
        if not self.web.allow_sync:
            return error_body(403, "SYNC_NOT_ALLOWED", "this server does not apply plans",
                              "restart serve with --ui-allow-sync, or run `lakealerts sync`")  # fmt: skip
        ctx, remote, warehouse = self.web.remote()
        result = await call(sync.sync_alerts, ctx, remote, SyncOptions(warehouse_id=warehouse or ""))
        return json_response(result.to_dict())

    async def outbox(self, request: Request) -> Response:
        result = await call(outbox.list_outbox, self.web.ctx, request.query_params.get("status") or None)
        return json_response(result.to_dict())


def _rule_and_series(
    web: WebContext, alert_id: str, start: datetime, end: datetime
) -> tuple[rules.RuleDetails, alert_center.Series]:
    return rules.show_rule(web.ctx, alert_id), alert_center.series(web.ctx, alert_id, start, end)


def status_dict(row: alert_center.RuleRow) -> dict[str, Any]:
    """A rule's runtime status in ``GET /rules``: state, value, last and next run, the 7-day strip."""
    state = row.state
    return {
        "state": str(state.state), "value": state.value,
        "last_evaluated_at": state.last_evaluated_at.isoformat() if state.last_evaluated_at else None,
        "next_run": row.next_run.isoformat() if row.next_run else None,
        "last_triggered_at": state.last_triggered_at.isoformat() if state.last_triggered_at else None,
        "strip": row.strip,
    }  # fmt: skip


def _guarded(handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
    async def answer(request: Request) -> Response:
        try:
            response: Response = await handler(request)
        except LakeAlertsError as exc:
            return error_response(exc)
        return response

    answer.__name__ = getattr(handler, "__name__", "route")
    return answer
