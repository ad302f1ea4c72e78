"""Notifications end to end on real loopback peers: SMTP, Slack, Teams, webhook (basic auth), PagerDuty."""

from __future__ import annotations

import base64
import html
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lakealerts.documents import parse_destinations
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.model import NotificationDestination
from lakealerts.runtime.channels import DefaultTransport, SmtpSettings
from lakealerts.runtime.channels.slack import slack_quote
from lakealerts.runtime.channels.teams import teams_quote
from lakealerts.runtime.ports import RuleRun
from lakealerts.runtime.round import Runtime
from lakealerts.sql.identifiers import Namespace
from lakealerts.store.store import Store
from tests.builders import make_rule, run_round, store_runtime
from tests.endpoints import HttpRecorder, SmtpServer, http_recorder, smtp_server

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
SECRET = "s3cr3t-hook-token"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with DuckDBEngine.open(tmp_path / "lakealerts.duckdb", "monitoring") as engine:
        store = Store(engine, Namespace("monitoring", "gold"), "tester")
        store.init()
        engine.execute("CREATE TABLE monitoring.gold.metrics (name STRING, value DOUBLE)")
        engine.execute("INSERT INTO monitoring.gold.metrics VALUES ('cost', 9000)")
        yield store


@pytest.fixture
def peers() -> Iterator[tuple[HttpRecorder, SmtpServer]]:
    with http_recorder() as http, smtp_server() as smtp:
        yield http, smtp


def destinations(http: HttpRecorder) -> dict[str, NotificationDestination]:
    documents: list[dict[str, Any]] = [
        {"destination_id": "slack", "destination_type": "SLACK", "config_json": {"url": http.url + "/slack"}},
        {"destination_id": "teams", "destination_type": "MICROSOFT_TEAMS", "config_json": {"url": http.url + "/teams"}},
        {"destination_id": "hook", "destination_type": "WEBHOOK",
         "config_json": {"url": "${env:HOOK_URL}", "username": "bot", "password": "${env:HOOK_PASSWORD}"}},
        {"destination_id": "pd", "destination_type": "PAGERDUTY", "config_json": {"integration_key": "${env:PD_KEY}"}},
        {"destination_id": "broken", "destination_type": "WEBHOOK", "config_json": {"url": http.url + "/fail"}},
    ]  # fmt: skip
    report = parse_destinations([{"destination_name": d["destination_id"], "owner": "o", **d} for d in documents])
    assert not report.problems
    return {d.destination_id: d for d in report.valid}


def outbox(store: Store, tmp_path: Path, http: HttpRecorder, smtp: SmtpServer, sleeps: list[float]) -> Runtime:
    env = {"HOOK_URL": http.url + "/hook", "HOOK_PASSWORD": SECRET, "PD_KEY": "pd-routing-key"}
    transport = DefaultTransport(SmtpSettings(smtp.url, "alerts@lakealerts.test"), http.url + "/pagerduty")
    return store_runtime(store, outbox_dir=tmp_path / "outbox", transport=transport, env=env, sleep=sleeps.append,
                         sender="alerts@lakealerts.test")  # fmt: skip


RULE = {
    "alert_query_template": "SELECT name, value FROM ${catalog}.${gold_schema}.metrics",
    "threshold_value_double": 5000,
    "notification_channels": ["ops@example.com", "slack", "teams", "hook", "pd", "broken"],
    "use_custom_template": True,
    "custom_subject_template": "{{SEVERITY}} {{ALERT_NAME}}: {{QUERY_RESULT_VALUE}} "
                               "{{ALERT_CONDITION}} {{ALERT_THRESHOLD}}",
    "custom_body_template": "{{#QUERY_RESULT_ROWS}}{{name}}={{value}};{{/QUERY_RESULT_ROWS}} owner {{OWNER}}",
}  # fmt: skip


def deliver(store: Store, box: Runtime, http: HttpRecorder, at: datetime, **rule: Any) -> RuleRun:
    (run,) = run_round(store, [make_rule(**{**RULE, **rule})], destinations(http), at, runtime=box)
    return run


def test_every_channel_receives_its_payload(
    store: Store, tmp_path: Path, peers: tuple[HttpRecorder, SmtpServer]
) -> None:
    http, smtp = peers
    http.failing.add("/fail")
    sleeps: list[float] = []
    run = deliver(store, outbox(store, tmp_path, http, smtp, sleeps), http, T0)
    assert run.state == "TRIGGERED" and run.value == 9000
    subject = "WARNING Base: 9000.0 value > 5000.0"
    (mail,) = smtp.messages
    assert mail["Subject"] == subject and mail["To"] == "ops@example.com"
    assert "cost=9000.0; owner o@example.com" in mail.get_payload()
    (slack,) = http.on("/slack")
    # Slack shows &gt; as ">": every value is written in its markup (the condition's ">" included)
    assert slack.body == {"text": "*WARNING Base: 9000.0 value &gt; 5000.0*\ncost=9000.0; owner o@example.com"}
    (teams,) = http.on("/teams")
    assert teams.body["@type"] == "MessageCard" and teams.body["summary"] == subject
    assert teams.body["title"] == "WARNING Base: 9000.0 value &#62; 5000.0"  # quoted as the text is
    (hook,) = http.on("/hook")
    assert hook.headers["Authorization"] == "Basic " + base64.b64encode(f"bot:{SECRET}".encode()).decode()
    assert hook.body["state"] == "TRIGGERED" and hook.body["previous_state"] == "UNKNOWN"
    assert hook.body["value"] == 9000 and hook.body["subject"] == subject
    assert set(hook.body) == {"alert_id", "alert_name", "state", "previous_state", "value", "condition",
                              "threshold", "evaluated_at", "subject", "body", "message_id"}  # fmt: skip
    # DESIGN §10.1: the stable id to de-duplicate on, in the header and the payload; e-mail's Message-ID
    assert hook.headers["X-Lakealerts-Message-Id"] == hook.body["message_id"]
    assert mail["Message-ID"].startswith("<") and mail["Message-ID"].endswith("@lakealerts>")
    (pd,) = http.on("/pagerduty")
    assert pd.body["event_action"] == "trigger" and pd.body["routing_key"] == "pd-routing-key"
    assert pd.body["dedup_key"] == "lakealerts-BASE-1"
    statuses = {d.channel: (d.status, d.attempts) for d in run.deliveries}
    assert statuses == {"ops@example.com": ("SENT", 1), "slack": ("SENT", 1), "teams": ("SENT", 1),
                        "hook": ("SENT", 1), "pd": ("SENT", 1), "broken": ("FAILED", 3)}  # fmt: skip
    assert len(http.on("/fail")) == 3 and sleeps == [1.0, 2.0]
    rows = store.engine.execute(
        "SELECT channel, status, attempts FROM monitoring.gold.alert_notification_outbox ORDER BY channel"
    ).rows
    assert ("broken", "FAILED", 3) in rows and ("slack", "SENT", 1) in rows
    files = sorted(p.name for p in (tmp_path / "outbox").iterdir())
    assert len(files) == 6 and sum(name.endswith(".eml") for name in files) == 1
    for path in (tmp_path / "outbox").iterdir():
        assert SECRET not in path.read_text() and "pd-routing-key" not in path.read_text()


def test_triggered_twice_sends_once_and_recovery_resolves_pagerduty(
    store: Store, tmp_path: Path, peers: tuple[HttpRecorder, SmtpServer]
) -> None:
    http, smtp = peers
    box = outbox(store, tmp_path, http, smtp, [])
    channels = {"notification_channels": ["slack", "pd"]}
    assert deliver(store, box, http, T0, **channels).deliveries
    assert deliver(store, box, http, T0 + timedelta(minutes=1), **channels).deliveries == []
    store.engine.execute("UPDATE monitoring.gold.metrics SET value = 1")
    recovered = deliver(store, box, http, T0 + timedelta(minutes=2), **channels)
    assert recovered.state == "OK"
    assert [d.channel for d in recovered.deliveries] == ["pd"]  # notify_on_ok false: only the resolve
    triggers, resolve = http.on("/pagerduty")[:1], http.on("/pagerduty")[1:]
    assert [r.body["event_action"] for r in triggers + resolve] == ["trigger", "resolve"]
    assert {r.body["dedup_key"] for r in triggers + resolve} == {"lakealerts-BASE-1"}
    assert len(http.on("/slack")) == 1


def test_retrigger_and_notify_on_ok(store: Store, tmp_path: Path, peers: tuple[HttpRecorder, SmtpServer]) -> None:
    http, smtp = peers
    box = outbox(store, tmp_path, http, smtp, [])
    rule = {"notification_channels": ["slack"], "retrigger_seconds": 300, "notify_on_ok": True,
            "use_custom_template": False}  # fmt: skip
    minutes = [0, 2, 5, 6]
    sent = [bool(deliver(store, box, http, T0 + timedelta(minutes=m), **rule).deliveries) for m in minutes]
    assert sent == [True, False, True, False]
    store.engine.execute("UPDATE monitoring.gold.metrics SET value = 1")
    ok = deliver(store, box, http, T0 + timedelta(minutes=7), **rule)
    assert [d.status for d in ok.deliveries] == ["SENT"]
    assert http.on("/slack")[-1].body["text"].startswith("*[WARNING] Base is OK*")
    assert http.on("/slack")[0].body["text"].startswith("*[WARNING] Base is TRIGGERED*")


def test_preview_records_history_but_keeps_state(store: Store, tmp_path: Path) -> None:
    (run,) = run_round(store, [make_rule(**{**RULE, "notification_channels": []})], {}, T0)
    assert run.state == "TRIGGERED" and run.deliveries == []
    assert store.engine.execute("SELECT count(*) FROM monitoring.gold.alert_state").rows[0][0] == 0
    history = store.engine.execute("SELECT state, notified FROM monitoring.gold.alert_evaluations").rows
    assert list(history) == [("TRIGGERED", False)]


def test_missing_secret_fails_that_channel_only_and_names_it(
    store: Store, tmp_path: Path, peers: tuple[HttpRecorder, SmtpServer]
) -> None:
    http, smtp = peers
    box = outbox(store, tmp_path, http, smtp, [])
    assert box.dispatcher is not None
    box.dispatcher.env = {}
    run = deliver(store, box, http, T0, notification_channels=["hook", "slack"])
    statuses = {d.channel: (d.status, d.last_error) for d in run.deliveries}
    assert statuses["slack"] == ("SENT", None)
    assert statuses["hook"][0] == "FAILED" and "HOOK_URL" in (statuses["hook"][1] or "")


def test_sql_that_is_not_read_only_never_runs(store: Store) -> None:
    rule = make_rule(alert_query_template="SELECT 1 AS value; DELETE FROM ${catalog}.${gold_schema}.metrics")
    (run,) = run_round(store, [rule], {}, T0)
    assert run.state == "ERROR" and "SQL_MULTIPLE_STATEMENTS" in (run.error or "")
    assert store.engine.execute("SELECT count(*) FROM monitoring.gold.metrics").rows[0][0] == 1


def test_unreachable_webhook_error_names_the_host_never_the_url(store: Store, tmp_path: Path) -> None:
    secret_path = "/services/T000/B000/WHOLEURLSECRET"
    env = {"SLACK_URL": "http://127.0.0.1:9" + secret_path}
    box = store_runtime(store, outbox_dir=tmp_path / "outbox", transport=DefaultTransport(SmtpSettings(None)), env=env)
    slack = {
        "slack": NotificationDestination(
            destination_id="slack", destination_name="S", owner="o", destination_type="SLACK",
            config_json={"url": "${env:SLACK_URL}"},
        )
    }  # fmt: skip
    (run,) = run_round(store, [make_rule(**{**RULE, "notification_channels": ["slack"]})], slack, T0, runtime=box)
    (delivery,) = run.deliveries
    assert delivery.status == "FAILED" and "127.0.0.1" in (delivery.last_error or "")
    assert "WHOLEURLSECRET" not in (delivery.last_error or "")
    rows = store.engine.execute("SELECT last_error FROM monitoring.gold.alert_notification_outbox").rows
    assert all("WHOLEURLSECRET" not in (row[0] or "") for row in rows)


HOSTILE_NAME = "<!channel> & <https://evil.example/login|https://login.microsoftonline.com> [login](https://evil)"


def test_values_are_quoted_in_each_channels_markup_and_the_templates_own_text_is_kept(
    store: Store, tmp_path: Path, peers: tuple[HttpRecorder, SmtpServer]
) -> None:
    """A query value (a user name in an audit log: data anyone may write) cannot ping a Slack channel, dress up
    a link or format a Teams card; the template's own markup (``<!here>``) and ``{{{…}}}`` stay as written;
    plain-text channels get the value as it is."""
    http, smtp = peers
    store.engine.execute("INSERT INTO monitoring.gold.metrics VALUES (?, 9001)", [HOSTILE_NAME])
    rule = {
        "alert_query_template": "SELECT name FROM ${catalog}.${gold_schema}.metrics WHERE value = 9001",
        "threshold_column": "name",
        "threshold_operator": "IS_NOT_NULL",
        "threshold_value_type": "STRING",
        "threshold_value_double": None,
        "notification_channels": ["ops@example.com", "slack", "teams", "hook"],
        "custom_subject_template": "Login by {{QUERY_RESULT_VALUE}}",
        "custom_body_template": "<!here> quoted: {{QUERY_RESULT_VALUE}} raw: {{{ALERT_ID}}}",
    }
    run = deliver(store, outbox(store, tmp_path, http, smtp, []), http, T0, **rule)
    assert {d.channel: d.status for d in run.deliveries} == dict.fromkeys(rule["notification_channels"], "SENT")
    slack_value = HOSTILE_NAME.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    (slack,) = http.on("/slack")
    assert slack.body["text"] == f"*Login by {slack_value}*\n<!here> quoted: {slack_value} raw: BASE-1"
    (teams,) = http.on("/teams")
    assert "<!here> quoted: &#60;&#33;channel&#62; &#38; &#60;https://evil.example/login" in teams.body["text"]
    assert "&#91;login&#93;&#40;https://evil&#41;" in teams.body["text"] and "[login](" not in teams.body["text"]
    assert teams.body["summary"] == f"Login by {HOSTILE_NAME}"  # the plain-text preview
    assert html.unescape(teams.body["title"]) == teams.body["summary"] and "[login](" not in teams.body["title"]
    (hook,) = http.on("/hook")
    assert hook.body["subject"] == f"Login by {HOSTILE_NAME}" and hook.body["value"] == HOSTILE_NAME
    (mail,) = smtp.messages
    assert f"quoted: {HOSTILE_NAME} raw: BASE-1" in mail.get_payload(decode=True).decode()


@given(value=st.text(max_size=40))
@settings(max_examples=200, deadline=None)
def test_a_quoted_value_reads_back_as_itself(value: str) -> None:
    """Quoting only changes how a value is written, never what it says."""
    assert html.unescape(teams_quote(value)) == value
    assert html.unescape(slack_quote(value)) == value
    assert "<" not in slack_quote(value) + teams_quote(value) and "[" not in teams_quote(value)


@pytest.mark.parametrize("tag", ["{{QUERY_RESULT_TABLE}}", "{{{QUERY_RESULT_TABLE}}}", "{{&QUERY_RESULT_TABLE}}"])
def test_the_result_table_is_built_in_each_channels_markup_once(
    store: Store, tmp_path: Path, peers: tuple[HttpRecorder, SmtpServer], tag: str
) -> None:
    """Slack renders no HTML: a line per row; Teams gets the HTML table with its cells quoted; e-mail the HTML
    table Databricks sends. Quoted once, whichever tag the template uses (a cell was quoted twice, or not at all
    with the triple tag)."""
    http, smtp = peers
    cell = "Tom & Jerry [login](https://evil) <b>"
    store.engine.execute("INSERT INTO monitoring.gold.metrics VALUES (?, 9001)", [cell])
    rule = {
        "alert_query_template": "SELECT name, value FROM ${catalog}.${gold_schema}.metrics WHERE value = 9001",
        "notification_channels": ["ops@example.com", "slack", "teams"],
        "custom_body_template": f"rows:\n{tag}",
    }
    deliver(store, outbox(store, tmp_path, http, smtp, []), http, T0, **rule)
    (slack,) = http.on("/slack")
    assert slack.body["text"].endswith("rows:\nname | value\nTom &amp; Jerry [login](https://evil) &lt;b&gt; | 9001.0")
    (teams,) = http.on("/teams")
    teams_cell = "Tom &#38; Jerry &#91;login&#93;&#40;https://evil&#41; &#60;b&#62;"
    assert teams.body["text"] == f"rows:<br><table><tr><th>name</th><th>value</th></tr><tr><td>{teams_cell}</td>" + (
        "<td>9001.0</td></tr></table>"
    )
    (mail,) = smtp.messages
    assert "<td>Tom &amp; Jerry [login](https://evil) &lt;b&gt;</td>" in mail.get_payload(decode=True).decode()


def test_a_slack_table_row_stays_on_its_line() -> None:
    from lakealerts.runtime.channels.slack import slack_table

    assert slack_table(["name", "n"], [["x\ny\r\nz", 1], ["<b>", 2]]) == "name | n\nx y z | 1\n&lt;b&gt; | 2"
