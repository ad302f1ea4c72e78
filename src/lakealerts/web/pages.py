"""The Alert Center's pages under ``/ui`` (DESIGN §13): server-rendered Jinja2, htmx for partial updates.

One template per page, one partial per refreshable part; a partial serves both the full page and its htmx
refresh (``HX-Request``). Routes call use cases, never the store.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from lakealerts.app import alert_center, evaluate, outbox, rules, sync
from lakealerts.app.files import dump_yaml_document
from lakealerts.errors import LakeAlertsError, NotFoundError, UsageError
from lakealerts.sql.render import render as render_sql
from lakealerts.sync.plan_text import plan_text
from lakealerts.sync.policy import SyncOptions
from lakealerts.web import charts, listing
from lakealerts.web.api import call
from lakealerts.web.auth import COOKIE, session_value
from lakealerts.web.forms import form_data
from lakealerts.web.service import WebContext
from lakealerts.web.yaml_text import excerpt, load_rule_text, placed

CHART_DAYS = (1, 7, 30)


def environment() -> Environment:
    """The templates of the installed package, autoescaped, with the Alert Center's filters."""
    env = Environment(loader=PackageLoader("lakealerts.web", "templates"), autoescape=select_autoescape(),
                      trim_blocks=True, lstrip_blocks=True)  # fmt: skip
    env.filters.update(when=_when, value=_value, condition=listing.condition, strip_html=strip_html)
    env.globals.update(colours=charts.STATE_COLOURS)
    return env


def static_dir() -> str:
    """The package's static folder (htmx, CSS), found through the installed package, not the repository."""
    return str(resources.files("lakealerts.web") / "static")


class Pages:
    """The page routes, bound to one :class:`WebContext`."""

    def __init__(self, web: WebContext) -> None:
        """Bind the pages to ``web``."""
        self.web = web
        self.env = environment()

    def routes(self) -> list[BaseRoute]:
        """Every page and fragment; a use case's error becomes a page (404 "Not found", 400, 503), never a 500."""
        pages: list[tuple[str, Callable[[Request], Awaitable[Response]], str]] = [
            ("/ui/login", self.login_form, "GET"),
            ("/ui/login", self.login, "POST"),
            ("/ui/logout", self.logout, "POST"),
            ("/ui", self.overview, "GET"),
            ("/ui/", self.overview, "GET"),
            ("/ui/rules", self.rules_list, "GET"),
            ("/ui/rules/bulk", self.bulk, "POST"),
            ("/ui/rules/{id}", self.rule_page, "GET"),
            ("/ui/rules/{id}/chart", self.chart, "GET"),
            ("/ui/rules/{id}/run", self.run_now, "POST"),
            ("/ui/rules/{id}/edit", self.edit_form, "GET"),
            ("/ui/rules/{id}/edit", self.edit_save, "POST"),
            ("/ui/history", self.history, "GET"),
            ("/ui/plan", self.plan, "GET"),
            ("/ui/sync", self.apply, "POST"),
        ]
        static = Mount("/ui/static", app=StaticFiles(directory=static_dir()), name="static")
        return [static, *(Route(path, self._guarded(handler), methods=[method]) for path, handler, method in pages)]

    def _guarded(self, handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except LakeAlertsError as exc:
                return self.error_page(exc)

        answer.__name__ = getattr(handler, "__name__", "page")
        return answer

    def error_page(self, exc: LakeAlertsError | None, status: int = 500, message: str = "") -> Response:
        """An error as a page: an unknown rule is the 404 "Not found" page, bad input 400, the store 503; without
        ``exc`` a page with ``status`` and ``message`` (the app's handlers: unknown paths, unexpected failures)."""
        if isinstance(exc, NotFoundError):
            return self.render("pages/missing.html", status=404, message=str(exc), page="rules")
        if exc is not None:
            status, message = (400 if isinstance(exc, UsageError) else 503), str(exc)
        if status == 404:
            return self.render("pages/missing.html", status=404, message=message or "No such page.", page="rules")
        titles = {400: "Cannot do that", 405: "Not allowed here", 503: "Not available"}
        return self.render("pages/error.html", status=status, title=titles.get(status, "Something went wrong"),
                           message=message, page="rules")  # fmt: skip

    def render(
        self, template: str, status: int = 200, headers: dict[str, str] | None = None, **values: Any
    ) -> Response:
        """A template as an HTML response."""
        html = self.env.get_template(template).render(allow_sync=self.web.allow_sync, **values)
        return HTMLResponse(html, status_code=status, headers=headers)

    # --- login -------------------------------------------------------------------------------------------
    async def login_form(self, request: Request) -> Response:
        return self.render("pages/login.html", next=_next(request.query_params.get("next")), error=None)

    async def login(self, request: Request) -> Response:
        form = await form_data(request)
        given, target = str(form.get("token", "")), _next(str(form.get("next", "")))
        if not hmac.compare_digest(given.encode(), self.web.token.encode()):
            return self.render("pages/login.html", status=401, next=target, error="That token is not this server's.")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, session_value(self.web.token), httponly=True, samesite="strict", path="/")
        return response

    async def logout(self, _request: Request) -> Response:
        response = Response(status_code=204, headers={"HX-Redirect": "/ui/login"})
        response.delete_cookie(COOKIE, path="/")
        return response

    # --- overview ----------------------------------------------------------------------------------------
    async def overview(self, _request: Request) -> Response:
        board = await call(alert_center.rule_board, self.web.ctx)
        transitions = await call(alert_center.recent_transitions, self.web.ctx, 15)
        failed = await call(_failed_deliveries, self.web)
        counts = board.counts()
        states = ["TRIGGERED", "ERROR", "OK", "UNKNOWN"]
        totals = {s: sum(c.get(s, 0) for c in counts.values()) for s in states}
        return self.render("pages/overview.html", page="overview", counts=counts, states=states, totals=totals,
                           transitions=transitions, failed=failed, watch=self.web.watch, lag=board.lag_seconds(),
                           total=len(board.rows), now=board.now, problems=board.problems)  # fmt: skip

    # --- rules -------------------------------------------------------------------------------------------
    async def rules_list(self, request: Request) -> Response:
        problem: str | None = None
        try:
            query = listing.Query.parse(request.query_params)
        except UsageError as exc:
            query, problem = listing.Query(), exc.message
        board = await call(alert_center.rule_board, self.web.ctx)
        page = listing.select(board.rows, query)
        values = {"page": "rules", "rows": page.rows, "matched": page.matched, "total": len(board.rows),
                  "query": query, "next_url": self._next_page(request, page.next_page_token), "problem": problem,
                  "domains": sorted({r.stored.rule.agent_domain for r in board.rows}), "sorts": listing.SORTS,
                  "now": board.now}  # fmt: skip
        if request.headers.get("hx-request") == "true" and request.headers.get("hx-target") == "rule-table":
            return self.render("partials/rules_table.html", **values)
        return self.render("pages/rules.html", **values)

    def _next_page(self, request: Request, token: str | None) -> str | None:
        if token is None:
            return None
        params = {**request.query_params, "page_token": token}
        return f"/ui/rules?{urlencode(params)}"

    async def bulk(self, request: Request) -> Response:
        form = await form_data(request)
        ids = [str(v) for v in form.getlist("alert_ids")]
        message = "Choose rules first (the boxes in the first column)."
        if ids:
            try:
                action = rules.BulkAction(str(form.get("action", "")))
                report = await call(rules.bulk_update, self.web.ctx, ids, action)
                message = f"{action.value}: {report.updated} changed, {report.unchanged} already so ({', '.join(ids)})"
            except (ValueError, LakeAlertsError) as exc:
                message = f"not done: {exc}"
        target = str(form.get("back", "")) or "/ui/rules"
        return Response(status_code=204, headers={"HX-Redirect": _next(target) + _flash(message, _next(target))})

    async def rule_page(self, request: Request) -> Response:
        alert_id = request.path_params["id"]
        details = await call(rules.show_rule, self.web.ctx, alert_id)  # unknown: the 404 page (_guarded)
        board = await call(alert_center.rule_board, self.web.ctx, [alert_id])
        findings = await call(alert_center.rule_findings, self.web.ctx, alert_id)
        past = await call(evaluate.history, self.web.ctx, alert_id, 50)
        days = _days(request.query_params.get("days"))
        chart = await self._chart(alert_id, details, days)
        rule = details.stored.rule
        return self.render(
            "pages/rule.html", page="rules", details=details, rule=rule, row=board.rows[0], sync=details.stored.sync,
            sql_text=_rendered_sql(rule.alert_query_template, self.web), findings=findings, history=past,
            chart=chart, days=days, chart_days=CHART_DAYS, flash=request.query_params.get("flash"),
            threshold=listing.threshold(rule),
        )  # fmt: skip

    async def chart(self, request: Request) -> Response:
        alert_id = request.path_params["id"]
        details = await call(rules.show_rule, self.web.ctx, alert_id)
        days = _days(request.query_params.get("days"))
        return self.render("partials/chart.html", chart=await self._chart(alert_id, details, days), days=days,
                           chart_days=CHART_DAYS, rule=details.stored.rule)  # fmt: skip

    async def _chart(self, alert_id: str, details: rules.RuleDetails, days: int) -> str:
        end = self.web.ctx.now() + timedelta(minutes=1)
        start = end - timedelta(days=days)
        data = await call(alert_center.series, self.web.ctx, alert_id, start, end)
        rule = details.stored.rule
        threshold = charts.numeric(listing.threshold(rule))
        return charts.chart_svg(
            data.values(), threshold, data.states(), data.notifications, start=start, end=end,  # previews: no state
            title=f"{alert_id} ({rule.alert_name}): {listing.condition(rule)} over the last {days} days",
        )  # fmt: skip

    async def run_now(self, request: Request) -> Response:
        alert_id = request.path_params["id"]
        try:
            result = await call(alert_center.preview, self.web.ctx, alert_id)
            run, problem = result.runs[0], None
        except LakeAlertsError as exc:
            run, problem = None, str(exc)
        return self.render("partials/run_result.html", run=run, problem=problem, now=self.web.ctx.now())

    # --- edit as YAML ------------------------------------------------------------------------------------
    async def edit_form(self, request: Request) -> Response:
        alert_id = request.path_params["id"]
        details = await call(rules.show_rule, self.web.ctx, alert_id)  # unknown: the 404 page (_guarded)
        text = dump_yaml_document(details.stored.rule.model_dump(mode="json"))
        return self.render("pages/edit.html", page="rules", alert_id=alert_id, text=text,
                           etag=rules.rule_etag(details.stored), findings=[], lines=[], stale=False)  # fmt: skip

    async def edit_save(self, request: Request) -> Response:
        alert_id = request.path_params["id"]
        form = await form_data(request)
        text, etag = str(form.get("yaml", "")), str(form.get("etag", "")) or None
        loaded = load_rule_text(text)
        findings, stale, status = loaded.findings, False, 422
        if loaded.document is not None:
            try:
                await call(rules.update_rule, self.web.ctx, alert_id, loaded.document, etag)
            except rules.RuleRejectedError as exc:
                findings = exc.findings
            except rules.StaleRuleError:
                stale, status = True, 409
            else:
                return Response(status_code=204,
                                headers={"HX-Redirect": f"/ui/rules/{alert_id}" + _flash("Saved.")})  # fmt: skip
        shown = placed(text, findings)
        return self.render("partials/editor.html", status=status, alert_id=alert_id, text=text, etag=etag or "",
                           findings=shown, lines=excerpt(text, shown), stale=stale)  # fmt: skip

    # --- history, plan -----------------------------------------------------------------------------------
    async def history(self, request: Request) -> Response:
        alert_id = request.query_params.get("rule") or None
        try:
            past = await call(evaluate.history, self.web.ctx, alert_id, 200)
        except NotFoundError as exc:
            return self.render("pages/missing.html", status=404, message=str(exc), page="history")
        return self.render("pages/history.html", page="history", history=past, alert_id=alert_id or "")

    async def plan(self, _request: Request) -> Response:
        ctx, remote, warehouse = self.web.remote()
        try:
            result = await call(sync.plan_alerts, ctx, remote, warehouse_id=warehouse)
        except LakeAlertsError as exc:
            return self.render("pages/plan.html", page="plan", plan=None, text="", problem=str(exc))
        return self.render("pages/plan.html", page="plan", plan=result.plan.to_dict(), text=plan_text(result.plan),
                           problem=None)  # fmt: skip

    async def apply(self, _request: Request) -> Response:
        if not self.web.allow_sync:
            return self.render(
                "partials/sync_result.html",
                status=403,
                result=None,
                problem="This server does not apply plans: restart serve with --ui-allow-sync.",
            )
        ctx, remote, warehouse = self.web.remote()
        try:
            result = await call(sync.sync_alerts, ctx, remote, SyncOptions(warehouse_id=warehouse or ""))
        except LakeAlertsError as exc:
            return self.render("partials/sync_result.html", result=None, problem=str(exc))
        return self.render("partials/sync_result.html", result=result.to_dict(), problem=None)


def _failed_deliveries(web: WebContext) -> list[dict[str, Any]]:
    entries = outbox.list_outbox(web.ctx, "FAILED", 20).entries + outbox.list_outbox(web.ctx, "EXPIRED", 20).entries
    return sorted((e.to_dict() for e in entries), key=lambda e: e["created_at"], reverse=True)[:20]


def _rendered_sql(template: str, web: WebContext) -> str:
    try:
        return render_sql(template, web.ctx.namespace)
    except LakeAlertsError as exc:
        return f"-- cannot render: {exc}\n{template}"


def _days(text: str | None) -> int:
    return int(text) if text and text.isdigit() and int(text) in CHART_DAYS else 7


# A path of this UI in printable ASCII without spaces or backslashes: no open redirect, and nothing a header
# cannot carry (a non-ASCII or control character in HX-Redirect failed the response with a 500).
_UI_PATH = re.compile(r"/ui(?:[/?#][!-\[\]-~]*)?")


def _next(target: str | None) -> str:
    """Where to go after a form: ``target`` when it is a path of this UI, else the overview."""
    if target and _UI_PATH.fullmatch(target) and ".." not in target.split("?")[0].split("#")[0].split("/"):
        return target
    return "/ui/"


def _flash(message: str, target: str = "") -> str:
    return ("&" if "?" in target else "?") + urlencode({"flash": message})


def _when(moment: Any) -> str:
    if moment is None:
        return "–"
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return str(moment)
    if isinstance(moment, datetime):
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return str(moment)


_STRIP_CELLS = {
    state: Markup(
        f'<span class="day state-{state or "NONE"}" title="{state or "not evaluated"}">{(state or "·")[0]}</span>'
    )
    for state in ("", "OK", "TRIGGERED", "ERROR", "UNKNOWN")
}


def strip_html(days: list[str]) -> Markup:
    """The 7-day strip: a cell per day, oldest first, its state's initial on its colour, the words for readers."""
    words = escape(", ".join(day or "none" for day in days))
    cells = "".join(_STRIP_CELLS.get(day) or _STRIP_CELLS["UNKNOWN"] for day in days)
    return Markup(f'<span class="strip" role="img" aria-label="last 7 days, oldest first: {words}">{cells}</span>')


def _value(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) < 1e12 else f"{value:.4g}"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
