"""The Alert Center on a real loopback server over a real store (the 29 pre-built rules on the demo data, one
``eval --notify`` round): every JSON route equals the CLI's ``--json`` on the same store; auth; 401, 403, 404,
409 and 422; and the pages hold the rows they should."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from markupsafe import escape

from lakealerts.app import evaluate, setup
from lakealerts.app.context import AppContext
from lakealerts.app.settings import Settings
from lakealerts.serve import StandIn, UiOptions
from tests.conftest import Cli

pytestmark = pytest.mark.integration
TOKEN = "web-token-8c1f"
API = "/api/lakealerts/v1"


@dataclass
class Center:
    """A served home: its URL, the CLI on the same home, and sessions with and without credentials."""

    url: str
    cli: Cli
    ctx: AppContext

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {TOKEN}", **kwargs.pop("headers", {})}
        return requests.request(method, self.url + API + path, headers=headers, timeout=60, **kwargs)

    def browser(self) -> requests.Session:
        session = requests.Session()
        answer = session.post(self.url + "/ui/login", data={"token": TOKEN, "next": "/ui/"}, timeout=30)
        assert answer.status_code == 200, answer.text
        return session

    def page(self, path: str) -> str:
        answer = self.browser().get(self.url + path, timeout=60)
        assert answer.status_code == 200, answer.text
        return answer.text


@pytest.fixture(scope="module")
def center(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Center]:
    home = tmp_path_factory.mktemp("center") / "home"
    ctx = AppContext(settings=Settings(home=home), user="tester", env={})
    setup.init_tables(ctx)
    setup.demo_data(ctx)
    setup.seed(ctx)
    evaluate.evaluate(ctx, notify=True)
    with StandIn.start(ctx.settings, TOKEN, ui=UiOptions(ctx)) as standin:
        yield Center(standin.url, Cli(home), ctx)


def _cli_json_all(center: Center, commands: dict[str, list[str]]) -> dict[str, Any]:
    """Run the CLI commands side by side (they only read, or write what the others do not read) and parse
    each one's ``--json`` document."""
    env = {**os.environ, "LAKEALERTS_USER": "tester", "DATABRICKS_TOKEN": TOKEN, "DATABRICKS_HOST": "",
           "LAKEALERTS_SMTP_URL": ""}  # fmt: skip
    running = {
        name: subprocess.Popen([sys.executable, "-m", "lakealerts", "--home", str(center.cli.home), *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for name, args in commands.items()
    }  # fmt: skip
    documents = {}
    for name, process in running.items():
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode in (0, 1), (name, stderr)
        documents[name] = json.loads(stdout)
    return documents


def test_every_json_route_equals_the_cli_json_on_the_same_store(center: Center) -> None:
    cli = _cli_json_all(center, {
        "list": ["rules", "list", "--json"], "show": ["rules", "show", "COST-001", "--json"],
        "history": ["history", "COST-001", "--json"], "outbox": ["outbox", "list", "--json"],
        "validate": ["validate", "--json"], "eval": ["eval", "COST-002", "--json"],
        "plan": ["plan", "--json", "--host", center.url],
        "backtest": ["backtest", "COST-001", "--from", "2025-01-01", "--to", "2025-01-04", "--step", "1d", "--json"],
    })  # fmt: skip
    assert center.api("GET", "/rules", params={"page_size": 1000}).json()["rules"] == cli["list"]
    assert center.api("GET", "/rules/COST-001").json() == cli["show"]
    assert center.api("GET", "/rules/COST-001/evaluations").json() == cli["history"]
    assert center.api("GET", "/outbox").json() == cli["outbox"]
    assert center.api("POST", "/validate", json={}).json() == cli["validate"]
    assert center.api("POST", "/rules/COST-002/evaluate", json={}).json() == cli["eval"]
    plan = center.api("GET", "/plan").json()
    assert plan == cli["plan"]
    assert len(plan["create"]) == 29  # nothing was synced to this server yet
    window = {"from": "2025-01-01", "to": "2025-01-04", "step": "1d"}
    backtest = center.api("POST", "/rules/COST-001/backtest", json=window).json()
    assert {**backtest, "run_id": None} == {**cli["backtest"], "run_id": None}  # a new run id per run
    assert backtest["rules"][0]["summary"]["evaluations"] == 3


def test_list_filters_pages_and_counts(center: Center) -> None:
    everything = center.api("GET", "/rules", params={"page_size": 1000}).json()
    triggered = center.api("GET", "/rules", params={"state": "triggered", "page_size": 1000}).json()
    ids = [r["alert_id"] for r in triggered["rules"]]
    assert ids and all(triggered["status"][i]["state"] == "TRIGGERED" for i in ids)
    assert triggered["matched"] == sum(c.get("TRIGGERED", 0) for c in everything["counts"].values())
    first = center.api("GET", "/rules", params={"page_size": 10}).json()
    second = center.api("GET", "/rules", params={"page_size": 10, "page_token": first["next_page_token"]}).json()
    assert [r["alert_id"] for r in first["rules"] + second["rules"]] == [r["alert_id"] for r in everything["rules"]][
        :20
    ]
    search = center.api("GET", "/rules", params={"q": "cost spike", "sort": "-id"}).json()
    assert [r["alert_id"] for r in search["rules"]] == ["COST-005", "COST-001"]
    assert center.api("GET", "/rules", params={"sort": "colour"}).status_code == 400


def test_the_api_needs_the_token(center: Center) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        answer = requests.get(center.url + API + "/rules", headers=headers, timeout=30)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "UNAUTHENTICATED"
    page = requests.get(center.url + "/ui/rules", timeout=30, allow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/ui/login")
    wrong = requests.post(center.url + "/ui/login", data={"token": "nope", "next": "/ui/"}, timeout=30)
    assert wrong.status_code == 401 and "lakealerts_session" not in wrong.cookies


def test_login_sets_an_httponly_same_site_strict_cookie(center: Center) -> None:
    answer = requests.post(center.url + "/ui/login", data={"token": TOKEN, "next": "/ui/rules"}, timeout=30,
                           allow_redirects=False)  # fmt: skip
    cookie = answer.headers["set-cookie"]
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/rules"
    assert "HttpOnly" in cookie and re.search(r"SameSite=strict", cookie, re.I)
    assert TOKEN not in cookie
    assert center.browser().get(center.url + API + "/health", timeout=30).json()["status"] == "ok"


def test_mutations_refuse_cross_site_and_plain_form_requests(center: Center) -> None:
    browser = center.browser()
    form = {"alert_ids": "SEC-008", "action": "disable"}
    assert browser.post(center.url + "/ui/rules/bulk", data=form, timeout=30).status_code == 403
    cross = {"HX-Request": "true", "Sec-Fetch-Site": "cross-site"}
    assert browser.post(center.url + "/ui/rules/bulk", data=form, headers=cross, timeout=30).status_code == 403
    assert center.api("GET", "/rules/SEC-008").json()["is_enabled"] is True


def test_put_checks_the_etag_and_the_rule(center: Center) -> None:
    read = center.api("GET", "/rules/QUAL-004")
    etag, document = read.headers["etag"], read.json()
    changed = {**document, "threshold_value_double": 2.0}
    saved = center.api("PUT", "/rules/QUAL-004", json=changed, headers={"If-Match": etag})
    assert saved.status_code == 200 and saved.json()["threshold_value_double"] == 2.0
    assert saved.headers["etag"] != etag
    stale = center.api("PUT", "/rules/QUAL-004", json=document, headers={"If-Match": etag})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "STALE"
    current = {"If-Match": saved.headers["etag"]}
    bad = center.api("PUT", "/rules/QUAL-004", json={**document, "threshold_operator": "~"}, headers=current)
    assert bad.status_code == 422
    assert bad.json()["findings"][0]["field"] == "threshold_operator"
    assert set(bad.json()["findings"][0]) >= {"code", "field", "message", "hint", "line", "col"}
    cron = center.api("PUT", "/rules/QUAL-004", json={**document, "schedule_cron": "0 0 8 * * 1"}, headers=current)
    assert cron.status_code == 422 and any(f["field"] == "schedule_cron" for f in cron.json()["findings"])
    assert center.api("GET", "/rules/QUAL-004").json()["threshold_value_double"] == 2.0


def test_patch_and_bulk_change_flags(center: Center) -> None:
    assert center.api("PATCH", "/rules/REL-004", json={"is_enabled": False}).json()["is_enabled"] is False
    paused = center.api("POST", "/rules:bulk", json={"action": "pause", "alert_ids": ["REL-004", "REL-005"]})
    assert paused.status_code == 200 and paused.json()["updated"] == 2
    assert center.api("GET", "/rules/REL-005").json()["pause_status"] == "PAUSED"
    listed = center.api("GET", "/rules", params={"paused": "true"}).json()  # the list sees the change at once
    assert [r["alert_id"] for r in listed["rules"]] == ["REL-004", "REL-005"]
    again = center.api("POST", "/rules:bulk", json={"action": "pause", "alert_ids": ["REL-005"]}).json()
    assert (again["updated"], again["unchanged"]) == (0, 1)
    assert center.api("POST", "/rules:bulk", json={"action": "explode", "alert_ids": ["REL-005"]}).status_code == 400


def test_unknown_rules_are_404_and_sync_needs_the_flag(center: Center) -> None:
    for method, path in (("GET", "/rules/NOPE"), ("GET", "/rules/NOPE/series"), ("GET", "/rules/NOPE/evaluations"),
                         ("PUT", "/rules/NOPE"), ("POST", "/rules/NOPE/evaluate")):  # fmt: skip
        answer = center.api(method, path, json={} if method != "GET" else None)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json()["error"]["code"] == "NOT_FOUND"
    assert center.api("POST", "/rules:bulk", json={"action": "enable", "alert_ids": ["NOPE"]}).status_code == 404
    forbidden = center.api("POST", "/sync", json={})
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "SYNC_NOT_ALLOWED"


def test_preview_stores_nothing_and_series_buckets(center: Center) -> None:
    before = center.api("GET", "/rules/SEC-001/evaluations").json()
    run = center.api("POST", "/rules/SEC-001/evaluate", json={}).json()
    assert run[0]["alert_id"] == "SEC-001" and run[0]["state"] == "TRIGGERED"
    assert center.api("GET", "/rules/SEC-001/evaluations").json() == before
    series = center.api("GET", "/rules/SEC-001/series", params={"buckets": 24}).json()
    assert len(series["buckets"]) == 24 and series["evaluations"] >= 1
    evaluated = [b for b in series["buckets"] if b["count"]]
    assert evaluated and evaluated[-1]["state"] == "TRIGGERED"  # the latest evaluated bucket holds the last state


def test_pages_hold_the_expected_rows(center: Center) -> None:
    rules = center.api("GET", "/rules", params={"page_size": 1000}).json()
    triggered = sorted(i for i, s in rules["status"].items() if s["state"] == "TRIGGERED")
    overview = center.page("/ui/")
    assert "Recent transitions" in overview and "By state and domain" in overview
    assert f'<span class="n">{len(triggered)}</span> TRIGGERED' in overview
    listing = center.page("/ui/rules?state=TRIGGERED")
    assert sorted(re.findall(r'data-id="([^"]+)" data-state="TRIGGERED"', listing)) == triggered
    assert 'data-state="OK"' not in listing
    assert "<code>daily_cost_usd &gt; 5000</code>" in center.page("/ui/rules?q=COST-001")
    rule = center.page("/ui/rules/COST-001")
    assert "<svg" in rule and 'class="threshold"' in rule and "At 07:00 AM" in rule
    assert "billing_usage" in rule and "default_email" in rule
    assert "COST-001" in center.page("/ui/history?rule=COST-001")
    assert "to create" in center.page("/ui/plan")


def test_edit_as_yaml_shows_findings_at_their_line_then_saves(center: Center) -> None:
    browser = center.browser()
    form = browser.get(center.url + "/ui/rules/PERF-004/edit", timeout=30).text
    etag = re.search(r'name="etag" value="([^"]+)"', form)
    text = re.search(r'<textarea id="yaml" name="yaml"[^>]*>(.*?)</textarea>', form, re.S)
    assert etag and text
    yaml_text, tag = html.unescape(text.group(1)), html.unescape(etag.group(1))
    broken = re.sub(r"threshold_value_double: .*", "threshold_value_double: lots", yaml_text)
    line = broken.splitlines().index("threshold_value_double: lots") + 1
    htmx = {"HX-Request": "true"}
    answer = browser.post(center.url + "/ui/rules/PERF-004/edit", data={"yaml": broken, "etag": tag},
                          headers=htmx, timeout=30)  # fmt: skip
    assert answer.status_code == 422
    assert f'data-line="{line}"' in answer.text and f"line {line}</a>" in answer.text
    fixed = re.sub(r"threshold_value_double: .*", "threshold_value_double: 95.0", yaml_text)
    saved = browser.post(center.url + "/ui/rules/PERF-004/edit", data={"yaml": fixed, "etag": tag},
                         headers=htmx, timeout=30)  # fmt: skip
    assert saved.status_code == 204 and saved.headers["hx-redirect"].startswith("/ui/rules/PERF-004")
    assert center.api("GET", "/rules/PERF-004").json()["threshold_value_double"] == 95.0
    stale = browser.post(center.url + "/ui/rules/PERF-004/edit", data={"yaml": fixed, "etag": tag},
                         headers=htmx, timeout=30)  # fmt: skip
    assert stale.status_code == 409 and 'id="stale"' in stale.text


def test_serve_still_binds_loopback_by_default() -> None:
    from lakealerts.cli.serve import serve

    defaults = serve.__defaults__ or ()
    assert "127.0.0.1" in defaults


def test_the_web_package_ships_its_templates(center: Center) -> None:
    from lakealerts.web.pages import static_dir

    assert Path(static_dir(), "htmx.min.js").is_file()
    assert "/ui/static/htmx.min.js" in center.page("/ui/")
    assert requests.get(center.url + "/ui/static/htmx.min.js", timeout=30).status_code == 200


def test_sync_applies_with_ui_allow_sync(center: Center, tmp_path: Path) -> None:
    home = tmp_path / "copy"
    home.mkdir()
    shutil.copyfile(center.cli.home / "lakealerts.duckdb", home / "lakealerts.duckdb")
    ctx = center.ctx.replace(settings=Settings(home=home))
    with StandIn.start(ctx.settings, TOKEN, ui=UiOptions(ctx, allow_sync=True)) as standin:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        synced = requests.post(standin.url + API + "/sync", json={}, headers=headers, timeout=120)
        assert synced.status_code == 200, synced.text
        created = synced.json()["plan"]["create"]
        assert synced.json()["success_rate"] == 1.0 and len(created) >= 28  # the enabled rules (one test disables one)
        plan = requests.get(standin.url + API + "/plan", headers=headers, timeout=120).json()
        assert plan["unchanged"] == created and plan["create"] == []


def _finding_error(answer: requests.Response, status: int, code: str) -> dict[str, Any]:
    """The answer is ``status`` in the finding shape with ``code``; its error finding."""
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"error", "findings"} and body["error"]["code"] == code, body
    assert set(body["error"]) >= {"code", "field", "message", "hint", "line", "col"}
    return dict(body["error"])


def test_concurrent_patches_of_different_fields_both_persist(center: Center) -> None:
    rounds = 12
    for n in range(rounds):
        barrier = threading.Barrier(3)
        answers: dict[str, requests.Response] = {}

        def patch(name: str, change: dict[str, Any], barrier: threading.Barrier = barrier,
                  answers: dict[str, requests.Response] = answers) -> None:  # fmt: skip
            barrier.wait(timeout=30)
            answers[name] = center.api("PATCH", "/rules/QUAL-003", json=change)

        def bulk(barrier: threading.Barrier = barrier, answers: dict[str, requests.Response] = answers,
                 action: str = "pause" if n % 2 == 0 else "unpause") -> None:  # fmt: skip
            barrier.wait(timeout=30)
            answers["bulk"] = center.api("POST", "/rules:bulk", json={"action": action, "alert_ids": ["QUAL-003"]})

        threshold, description = {"threshold_value_double": 100.0 + n}, {"alert_description": f"round {n}"}
        threads = [threading.Thread(target=patch, args=("threshold", threshold)),
                   threading.Thread(target=patch, args=("description", description)),
                   threading.Thread(target=bulk)]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert [answers[k].status_code for k in ("threshold", "description", "bulk")] == [200] * 3, answers
        stored = center.api("GET", "/rules/QUAL-003").json()
        paused = "PAUSED" if n % 2 == 0 else "UNPAUSED"
        assert (stored["threshold_value_double"], stored["alert_description"], stored["pause_status"]) == (
            100.0 + n, f"round {n}", paused), n  # fmt: skip
    assert rounds % 2 == 0  # the last round unpauses: the other tests see QUAL-003 as the demo left it


def test_put_without_if_match_is_428(center: Center) -> None:
    document = center.api("GET", "/rules/QUAL-005").json()
    error = _finding_error(center.api("PUT", "/rules/QUAL-005", json=document), 428, "PRECONDITION_REQUIRED")
    assert error["field"] == "If-Match" and "GET" in error["hint"]
    assert center.api("PUT", "/rules/NOPE", json=document).status_code == 404  # an unknown rule is still 404


def test_pages_answer_the_missing_page_for_unknown_rules(center: Center) -> None:
    browser = center.browser()
    htmx = {"HX-Request": "true"}
    for method, path, data in (("POST", "/ui/rules/NOPE/edit", {"yaml": "alert_name: x\n", "etag": '"x"'}),
                               ("GET", "/ui/rules/NOPE/chart", None), ("GET", "/ui/rules/NOPE", None),
                               ("GET", "/ui/rules/NOPE/edit", None)):  # fmt: skip
        answer = browser.request(method, center.url + path, data=data, headers=htmx, timeout=30)
        assert answer.status_code == 404, (method, path, answer.text)
        assert "<h1>Not found</h1>" in answer.text and "NOPE" in answer.text, (method, path)


def test_malformed_api_input_is_400_in_the_finding_shape(center: Center) -> None:
    cases: list[tuple[str, str, Any, dict[str, str] | None]] = [
        ("POST", "/rules/COST-001/evaluate", {"at": 5}, None),
        ("POST", "/rules/COST-001/evaluate", {"at": "yesterday"}, None),
        ("POST", "/rules/COST-001/evaluate", {"at": ["2025-01-01"]}, None),
        ("GET", "/rules/COST-001/series", None, {"to": "0001-01-02"}),
        ("GET", "/rules/COST-001/series", None, {"from": "0001-01-01T00:00:00+01:00"}),
        ("GET", "/rules/COST-001/series", None, {"to": "9999-12-31T23:59:59-01:00"}),
        ("GET", "/rules/COST-001/series", None, {"from": "9999-12-31T00:00:00Z", "to": "9999-12-31T23:59:59.999999Z"}),
        ("POST", "/rules/COST-001/backtest", {"from": "2025-01-01", "to": "2025-01-04", "step": 5}, None),
        ("POST", "/rules/COST-001/backtest", {"from": "2025-01-01", "to": "2025-01-04", "sweep": [1, 2]}, None),
        ("POST", "/rules/COST-001/backtest", {"from": "2025-01-01", "to": "2025-01-04", "sweep": {"a": 1}}, None),
        ("POST", "/rules/COST-001/backtest", {"from": "2025-01-01", "to": "2025-01-04", "max_evaluations": "x"}, None),
        ("POST", "/rules/COST-001/backtest", {"from": 20250101, "to": "2025-01-04"}, None),
    ]
    for method, path, body, params in cases:
        answer = center.api(method, path, json=body, params=params)
        _finding_error(answer, 400, "USAGE")
    nested = "[" * 100_000 + "]" * 100_000
    deep = center.api("POST", "/validate", data=nested, headers={"Content-Type": "application/json"})
    assert "nested" in _finding_error(deep, 400, "USAGE")["message"]


def test_backtest_options_are_type_checked(center: Center) -> None:
    window = {"from": "2025-01-01", "to": "2025-01-04", "step": "1d"}
    for option, value in (("record", "false"), ("record", 0), ("flap_window", "abc"), ("flap_window", -1),
                          ("flap_window", 2.5), ("max_evaluations", 1e400), ("max_evaluations", 0),
                          ("max_evaluations", True), ("max_evaluations", 10**30), ("mode", 3)):  # fmt: skip
        answer = center.api("POST", "/rules/COST-001/backtest", data=json.dumps({**window, option: value}),
                            headers={"Content-Type": "application/json"})  # fmt: skip
        error = _finding_error(answer, 400, "USAGE")
        assert error["field"] == option and option in error["message"], (option, value, error)
    ok = center.api("POST", "/rules/COST-001/backtest", json={**window, "record": False, "max_evaluations": 100,
                                                               "flap_window": 2})  # fmt: skip
    assert ok.status_code == 200, ok.text


def test_validate_checks_alert_ids(center: Center) -> None:
    for ids in ("COST-001", [1], [None], {"COST-001": True}):
        error = _finding_error(center.api("POST", "/validate", json={"alert_ids": ids}), 400, "USAGE")
        assert error["field"] == "alert_ids"
        assert "SELECT" not in json.dumps(error)
    one = center.api("POST", "/validate", json={"alert_ids": ["COST-001"]})
    assert one.status_code == 200 and [r["alert_id"] for r in one.json()] == ["COST-001"]


def test_list_filters_refuse_unknown_values(center: Center) -> None:
    for name, value in (("enabled", "1"), ("enabled", "yes"), ("paused", "0"), ("state", "BROKEN"),
                        ("severity", "HIGH")):  # fmt: skip
        error = _finding_error(center.api("GET", "/rules", params={name: value}), 400, "USAGE")
        assert error["field"] == name
    assert "TRIGGERED" in _finding_error(center.api("GET", "/rules", params={"state": "x"}), 400, "USAGE")["hint"]
    assert "CRITICAL" in _finding_error(center.api("GET", "/rules", params={"severity": "x"}), 400, "USAGE")["hint"]
    enabled = center.api("GET", "/rules", params={"enabled": "TRUE", "severity": "critical", "page_size": 1000})
    assert enabled.status_code == 200 and enabled.json()["matched"] >= 1


def test_unknown_api_paths_and_methods_use_the_finding_shape(center: Center) -> None:
    _finding_error(center.api("GET", "/nothing-here"), 404, "NOT_FOUND")
    not_allowed = center.api("DELETE", "/rules/COST-001", headers={"Content-Type": "application/json"})
    _finding_error(not_allowed, 405, "METHOD_NOT_ALLOWED")
    assert "GET" in not_allowed.headers.get("allow", "")
    page = center.browser().get(center.url + "/ui/nothing-here", timeout=30)
    assert page.status_code == 404 and "<h1>Not found</h1>" in page.text


def test_an_unexpected_failure_is_a_500_finding_without_a_traceback(
    center: Center, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lakealerts.app import alert_center

    browser = center.browser()  # logging in lands on the overview, which the failure below would break

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(alert_center, "rule_board", broken)
    error = _finding_error(center.api("GET", "/rules"), 500, "INTERNAL")
    assert "secret" not in json.dumps(error) and "Traceback" not in json.dumps(error)
    page = browser.get(center.url + "/ui/rules", timeout=30)
    assert page.status_code == 500 and "secret" not in page.text and "Traceback" not in page.text


def test_hostile_names_render_escaped_on_the_list_the_rule_page_and_the_chart(center: Center) -> None:
    hostile = '<script>alert(1)</script>"onmouseover=x'
    read = center.api("GET", "/rules/PERF-003")
    changed = center.api("PATCH", "/rules/PERF-003", json={"alert_name": "Large scans " + hostile,
                                                           "alert_description": "About " + hostile})  # fmt: skip
    assert changed.status_code == 200, changed.text
    try:
        listing = center.page("/ui/rules?q=PERF-003")
        rule = center.page("/ui/rules/PERF-003")
        chart = center.browser().get(center.url + "/ui/rules/PERF-003/chart?days=7", timeout=30).text
        for text in (listing, rule, chart):
            assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
            assert not re.search(r"<[^>]*onmouseover", text)  # never inside a tag, so never an attribute
        escaped = str(escape(hostile))  # as Jinja writes it
        assert escaped in listing and rule.count(escaped) >= 2  # the heading and the description
        for page in (rule, chart):
            svg = re.search(r"<svg.*?</svg>", page, re.S)
            assert svg, page
            title = ET.fromstring(svg.group(0)).findtext("{http://www.w3.org/2000/svg}title") or ""
            assert "Large scans " + hostile in title  # the SVG parses, and its title is the name as text
    finally:
        original = read.json()
        restore = {"alert_name": original["alert_name"], "alert_description": original["alert_description"]}
        center.api("PATCH", "/rules/PERF-003", json=restore)


def test_a_cli_preview_is_marked_and_is_no_transition(center: Center) -> None:
    """`eval` without --notify records history marked as a preview: the rule stays TRIGGERED, and the overview's
    transitions, the chart's state band and the history lists do not show it as a change to OK."""
    from lakealerts.app import alert_center

    rule = "REL-002"  # TRIGGERED (9 > 5) after the fixture's --notify round
    before = center.api("GET", f"/rules/{rule}/evaluations").json()["evaluations"]
    assert [(e["state"], e["preview"]) for e in before] == [("TRIGGERED", False)]
    assert center.api("PATCH", f"/rules/{rule}", json={"threshold_value_double": 100.0}).status_code == 200
    try:
        preview = center.cli("eval", rule, "--json", env={"LAKEALERTS_SMTP_URL": ""})
        assert preview.code == 0, preview.stderr
        assert preview.json()[0]["state"] == "OK"
    finally:
        center.api("PATCH", f"/rules/{rule}", json={"threshold_value_double": 5.0})
    history = center.api("GET", f"/rules/{rule}/evaluations").json()["evaluations"]
    assert [(e["state"], e["preview"]) for e in history] == [("OK", True), ("TRIGGERED", False)]
    status = center.api("GET", "/rules", params={"q": rule}).json()["status"][rule]
    assert status["state"] == "TRIGGERED"
    moves = [(t.previous, t.state) for t in alert_center.recent_transitions(center.ctx, 1000) if t.alert_id == rule]
    assert moves == [(None, "TRIGGERED")]  # the first evaluation only
    overview = center.page("/ui/")
    assert not re.search(rf'{rule}</a></td><td><span class="badge state-\w+">\w+</span></td>'
                         r'<td><span class="badge state-OK">', overview)  # fmt: skip
    series = center.api("GET", f"/rules/{rule}/series", params={"buckets": 24}).json()
    assert series["evaluations"] == 2  # the preview's value is on the line ...
    assert [b["state"] for b in series["buckets"] if b["count"]][-1] == "TRIGGERED"  # ... but not in the band
    for page in (center.page(f"/ui/history?rule={rule}"), center.page(f"/ui/rules/{rule}")):
        rows = re.findall(r"<tr><td>.*?</tr>", page.split("<h2>Evaluations")[-1])
        assert 'class="tag preview"' in rows[0] and "state-OK" in rows[0]
        assert "preview" not in rows[1] and "state-TRIGGERED" in rows[1]


def test_the_evaluations_table_says_sent_not_notified(center: Center) -> None:
    """`notified` means a message was delivered: beside "Last notified" (a SKIPPED e-mail counts), the
    column is "Sent", explained, so "no" does not contradict it."""
    rule = center.page("/ui/rules/COST-001")
    assert "Last notified" in rule
    assert '<th scope="col" title="a message of this evaluation was delivered">Sent</th>' in rule
    assert ">Notified</th>" not in rule
    assert '<th scope="col" title="a message of this evaluation was delivered">Sent</th>' in center.page("/ui/history")


def test_put_accepts_the_etag_quoted_unquoted_weak_or_star(center: Center) -> None:
    read = center.api("GET", "/rules/QUAL-002")
    etag, document = read.headers["etag"], read.json()
    opaque = etag.strip('"')
    for header in (opaque, f"W/{etag}", "*", f'"0000", {etag}', f'{etag} ,W/"1"'):
        answer = center.api("PUT", "/rules/QUAL-002", json=document, headers={"If-Match": header})
        assert answer.status_code == 200, (header, answer.text)
        assert answer.headers["etag"] == etag  # the same document: the same version
    patched = center.api("PATCH", "/rules/QUAL-002", json={"alert_description": "changed"},
                         headers={"If-Match": f"W/{etag}"})  # fmt: skip
    assert patched.status_code == 200, patched.text
    try:
        for header in (opaque, f"W/{etag}", etag):  # now stale, in every form
            stale = center.api("PUT", "/rules/QUAL-002", json=document, headers={"If-Match": header})
            assert _finding_error(stale, 409, "STALE")
        for header in ('"5aca', "5aca 0c1d", "*, " + etag, f"{etag}x", ","):
            error = _finding_error(center.api("PUT", "/rules/QUAL-002", json=document, headers={"If-Match": header}),
                                   400, "USAGE")  # fmt: skip
            assert error["field"] == "If-Match" and "If-Match must be the ETag from GET" in error["message"], header
        bad_patch = center.api("PATCH", "/rules/QUAL-002", json={}, headers={"If-Match": '"open'})
        assert _finding_error(bad_patch, 400, "USAGE")["field"] == "If-Match"
        wrong_type = center.api("PATCH", "/rules/QUAL-002", json={"threshold_value_double": "lots"})  # README: 422
        assert _finding_error(wrong_type, 422, "RULE_REJECTED")["field"] == "threshold_value_double"
    finally:
        current = center.api("GET", "/rules/QUAL-002").headers["etag"]
        restored = center.api("PUT", "/rules/QUAL-002", json=document, headers={"If-Match": current})
        assert restored.status_code == 200 and restored.headers["etag"] == etag


def test_a_405_names_every_method_of_the_path_and_a_404_the_readme(center: Center) -> None:
    answer = center.api("DELETE", "/rules/COST-001", headers={"Content-Type": "application/json"})
    error = _finding_error(answer, 405, "METHOD_NOT_ALLOWED")
    assert answer.headers["allow"] == "GET, HEAD, PUT, PATCH"
    assert error["hint"] == "use GET, HEAD, PUT, PATCH"
    assert center.api("GET", "/rules/COST-001/evaluate").headers["allow"] == "POST"
    missing = _finding_error(center.api("GET", "/nothing-here"), 404, "NOT_FOUND")
    assert "README, section The Alert Center" in missing["hint"] and "DESIGN" not in json.dumps(missing)


@pytest.mark.parametrize(
    ("back", "lands_on"),
    [
        ("/ui/rules?domain=COST", "/ui/rules?domain=COST"),
        ("/ui/rules/✓", "/ui/"),  # not ASCII: a header cannot carry it (a 500 before)
        ("/ui/rules\r\nX-Evil: 1", "/ui/"),
        ("//evil.example/ui", "/ui/"),
        ("/uievil", "/ui/"),
        ("/ui/../api/lakealerts/v1/rules", "/ui/"),
        ("/ui\\evil.example", "/ui/"),
    ],
)
def test_a_forms_way_back_is_a_path_of_this_ui(center: Center, back: str, lands_on: str) -> None:
    headers = {"HX-Request": "true", "Sec-Fetch-Site": "same-origin"}
    form = {"alert_ids": "NOPE-1", "action": "disable", "back": back}
    answer = center.browser().post(center.url + "/ui/rules/bulk", data=form, headers=headers, timeout=30)
    assert answer.status_code == 204, answer.text
    assert answer.headers["HX-Redirect"].split("?flash=")[0].split("&flash=")[0] == lands_on
