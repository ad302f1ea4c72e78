"""The Alert Center in a real browser: Debian's chromium driven by Playwright against a real ``lakealerts serve``.

login → overview → filter the list → open a triggered rule → see its chart → disable it → edit its threshold as
YAML with a validation error, then a fix. A screenshot of each page goes to ``artefacts/alert-center/``
(git-ignored); the README shows three of them, copied to docs/images/ only when LAKEALERTS_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright import sync_api as playwright

from lakealerts.app import evaluate, setup
from lakealerts.app.context import AppContext, utc_now
from lakealerts.app.settings import Settings
from tests.e2e.test_cli_serve import free_port, wait_until_ready

pytestmark = pytest.mark.e2e
CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "browser-token-3e9d"
HISTORY_DAYS = 10
ARTEFACTS = Path(__file__).parents[2] / "artefacts" / "alert-center"
README_SHOTS = ("overview", "rules-triggered", "rule-chart")
DOC_IMAGES = Path(__file__).parents[2] / "docs" / "images"


def _store(home: Path) -> None:
    """The pre-built rules on the demo data, COST-001 evaluated once a day for HISTORY_DAYS (as of each day)."""
    now = utc_now()
    ctx = AppContext(settings=Settings(home=home), user="tester", env={})
    setup.init_tables(ctx)
    setup.demo_data(ctx)
    setup.seed(ctx)
    for days in range(HISTORY_DAYS, 0, -1):
        moment = now - timedelta(days=days)
        evaluate.evaluate(ctx.replace(clock=lambda moment=moment: moment), ["COST-001"], at=moment, notify=True)
    evaluate.evaluate(ctx, notify=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # Not a skip: the README's second command installs chromium, so a missing browser is a broken setup.
    assert CHROMIUM.exists(), "Debian's chromium is not installed: apt-get install -y chromium (as .ci/run does)"
    home = tmp_path_factory.mktemp("browser") / "home"
    _store(home)
    port, log = free_port(), home.parent / "serve.log"
    env = {**os.environ, "LAKEALERTS_USER": "tester", "LAKEALERTS_TOKEN": TOKEN}
    command = [sys.executable, "-m", "lakealerts", "--home", str(home), "serve", "--port", str(port), "--no-scheduler"]
    with log.open("ab") as stderr:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=15)


def _shot(page: object, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_login_filter_chart_disable_and_edit_in_a_real_browser(server: str) -> None:
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM))
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            _walk(page, server)
            phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
            _phone(phone, server)
        finally:
            browser.close()
    if os.environ.get("LAKEALERTS_UPDATE_SCREENSHOTS") == "1":  # the README's images change only on purpose
        for name in README_SHOTS:
            shutil.copyfile(ARTEFACTS / f"{name}.png", DOC_IMAGES / f"alert-center-{name}.png")


def _walk(page: object, server: str) -> None:
    expect = playwright.expect
    p = page  # Playwright's Page
    p.goto(server + "/ui/")  # type: ignore[attr-defined]
    expect(p.get_by_role("heading", name="Log in to the Alert Center")).to_be_visible()  # type: ignore[attr-defined]
    _shot(p, "login")
    p.get_by_label("Token").fill(TOKEN)  # type: ignore[attr-defined]
    p.get_by_role("button", name="Log in").click()  # type: ignore[attr-defined]

    expect(p.get_by_role("heading", name="Overview")).to_be_visible()  # type: ignore[attr-defined]
    expect(p.locator(".tile.state-TRIGGERED")).to_contain_text("TRIGGERED")  # type: ignore[attr-defined]
    expect(p.locator("table.counts")).to_contain_text("COST")  # type: ignore[attr-defined]
    _shot(p, "overview")
    p.keyboard.press("Tab")  # type: ignore[attr-defined]
    expect(p.locator("a.skip")).to_be_focused()  # type: ignore[attr-defined]

    p.get_by_role("link", name="Rules", exact=True).click()  # type: ignore[attr-defined]
    expect(p.locator("tr.rule-row")).to_have_count(29)  # type: ignore[attr-defined]
    p.get_by_label("State").select_option("TRIGGERED")  # type: ignore[attr-defined]
    expect(p.locator('tr.rule-row[data-state="OK"]')).to_have_count(0)  # type: ignore[attr-defined]
    rows = p.locator("tr.rule-row")  # type: ignore[attr-defined]
    assert rows.count() > 0 and "state=TRIGGERED" in p.url  # type: ignore[attr-defined]
    _shot(p, "rules-triggered")

    p.get_by_role("link", name="COST-001", exact=True).click()  # type: ignore[attr-defined]
    expect(p.get_by_role("heading", level=1)).to_contain_text("COST-001")  # type: ignore[attr-defined]
    chart = p.locator("svg.chart")  # type: ignore[attr-defined]
    expect(chart).to_be_visible()
    expect(chart.locator("polyline.value")).to_have_count(1)
    expect(chart.locator("line.threshold")).to_have_count(1)
    p.get_by_role("link", name="30 days").click()  # type: ignore[attr-defined]
    expect(p.locator('nav.ranges a[aria-current="true"]')).to_have_text("30 days")  # type: ignore[attr-defined]
    points = p.locator("svg.chart polyline.value").get_attribute("points") or ""  # type: ignore[attr-defined]
    assert len(points.split()) == HISTORY_DAYS + 1  # one a day, and today's
    _shot(p, "rule-chart")

    p.get_by_role("button", name="Disable").click()  # type: ignore[attr-defined]
    expect(p.get_by_role("button", name="Enable")).to_be_visible()  # type: ignore[attr-defined]
    expect(p.locator(".flash")).to_contain_text("disable: 1 changed")  # type: ignore[attr-defined]
    _shot(p, "rule-disabled")

    p.get_by_role("link", name="Edit as YAML").click()  # type: ignore[attr-defined]
    editor = p.get_by_label("YAML")  # type: ignore[attr-defined]
    text = editor.input_value()
    broken = "\n".join("threshold_value_double: lots" if line.startswith("threshold_value_double:") else line
                       for line in text.splitlines())  # fmt: skip
    editor.fill(broken)
    p.get_by_role("button", name="Save").click()  # type: ignore[attr-defined]
    expect(p.locator("#findings")).to_contain_text("threshold_value_double")  # type: ignore[attr-defined]
    line = broken.splitlines().index("threshold_value_double: lots") + 1
    expect(p.locator(f"#line-{line}.marked")).to_be_visible()  # type: ignore[attr-defined]
    _shot(p, "edit-finding")

    fixed = broken.replace("threshold_value_double: lots", "threshold_value_double: 6000")
    p.get_by_label("YAML").fill(fixed)  # type: ignore[attr-defined]
    p.get_by_role("button", name="Save").click()  # type: ignore[attr-defined]
    expect(p.locator("code.condition")).to_contain_text("> 6000")  # type: ignore[attr-defined]
    expect(p.locator(".flash")).to_contain_text("Saved")  # type: ignore[attr-defined]
    _shot(p, "rule-saved")


def _phone(page: object, server: str) -> None:
    p = page
    p.goto(server + "/ui/login")  # type: ignore[attr-defined]
    p.get_by_label("Token").fill(TOKEN)  # type: ignore[attr-defined]
    p.get_by_role("button", name="Log in").click()  # type: ignore[attr-defined]
    p.goto(server + "/ui/rules?state=TRIGGERED")  # type: ignore[attr-defined]
    playwright.expect(p.locator("tr.rule-row").first).to_be_visible()  # type: ignore[attr-defined]
    width = p.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
    assert width <= 400, f"the page scrolls sideways on a phone ({width} px)"
    _shot(p, "phone-rules")
