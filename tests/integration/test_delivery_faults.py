"""At-least-once delivery under crashes (DESIGN §10.1): a process dies in each window of the delivery path,
and the next round delivers every message at least once — exactly once except when it died after sending
and before marking. Then: a channel that fails and recovers, one that never does, and `outbox retry`.

Each crash is a real process death: ``os._exit`` at a hook (tests/crash_runner.py), or SIGKILL while a
webhook holds the request.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from lakealerts.engines.duckdb import DuckDBEngine
from tests.conftest import Cli
from tests.endpoints import HttpRecorder, http_recorder

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[2]
T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
AFTER_GRACE = T0 + timedelta(minutes=3)  # a claimed, unmarked message is due again after 2 min


def at(moment: datetime) -> str:
    return moment.isoformat()


def setup(cli: Cli, tmp_path: Path, url: str) -> None:
    destinations, rules = tmp_path / "destinations.yaml", tmp_path / "rules.yaml"
    destinations.write_text(yaml.safe_dump([{"destination_id": "hook", "destination_name": "Hook", "owner": "o",
                                             "destination_type": "WEBHOOK", "config_json": {"url": url}}]))  # fmt: skip
    rules.write_text(yaml.safe_dump([{
        "alert_id": "HIGH", "alert_name": "High", "agent_domain": "COST", "severity": "CRITICAL",
        "alert_query_template": "SELECT 50 AS value", "threshold_column": "value", "threshold_operator": ">",
        "threshold_value_type": "DOUBLE", "threshold_value_double": 10, "schedule_cron": "0 * * * * ?",
        "notification_channels": ["hook"], "owner": "o@example.com",
    }]))  # fmt: skip
    assert cli("destinations", "import", str(destinations)).code == 0
    assert cli("rules", "import", str(rules)).code == 0


def crash(cli: Cli, window: str, moment: datetime, clock: datetime | None = None) -> int:
    """A notify round as of ``moment`` (wall clock ``clock``, default the same), dying in ``window``."""
    command = [sys.executable, "-m", "tests.crash_runner", window, str(cli.home), at(moment), at(clock or moment)]
    env = {**os.environ, "LAKEALERTS_USER": "tester"}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120).returncode


def start_held_round(cli: Cli, http: HttpRecorder) -> subprocess.Popen[bytes]:
    """An ``eval --notify`` round (wall clock T0) in a subprocess whose webhook will hold the request unanswered."""
    http.hanging.add("/hook")
    command = [sys.executable, "-m", "tests.crash_runner", "none", str(cli.home), at(T0)]
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, "LAKEALERTS_USER": "tester"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def received(http: HttpRecorder) -> Counter[str]:
    """How many times the webhook received each message id."""
    return Counter(r.body["message_id"] for r in http.on("/hook"))


def outbox(cli: Cli) -> list[dict[str, object]]:
    listed = cli("outbox", "list", "--json")
    assert listed.code == 0, listed.stderr
    rows: list[dict[str, object]] = listed.json()
    return rows


@pytest.mark.parametrize(
    ("window", "exactly_once"),
    [("before_state_write", True), ("after_state_write", True), ("after_send", False), ("after_mark", True)],
)
def test_every_crash_window_delivers_at_least_once(cli: Cli, tmp_path: Path, window: str, exactly_once: bool) -> None:
    with http_recorder() as http:
        setup(cli, tmp_path, http.url + "/hook")
        assert crash(cli, window, T0) == 137  # the process died in the window
        assert crash(cli, "none", AFTER_GRACE) == 0  # the next round, the claim's lease lapsed
        counts = received(http)
    assert sum(counts.values()) >= 1, f"{window}: the message was lost"
    if exactly_once:
        assert sum(counts.values()) == 1, f"{window}: sent {counts}"
    else:  # died after the peer had it, before it was marked: sent again, with the same id to de-duplicate
        assert list(counts.values()) == [2], counts
    assert [m["status"] for m in outbox(cli)] == ["SENT"]
    history = cli("history", "HIGH", "--json").json()["evaluations"]
    assert [e["state"] for e in history] == ["TRIGGERED"] * (1 if window == "before_state_write" else 2)
    # the evaluation that decided the message keeps its history row, and it says notified once sent
    assert [e["notified"] for e in history] == ([True] if window == "before_state_write" else [False, True])


def test_killed_while_a_webhook_holds_the_request(cli: Cli, tmp_path: Path) -> None:
    """SIGKILL during the send: the peer never answered, so it never counted the message; the next round
    after the grace period sends it, once."""
    with http_recorder() as http:
        setup(cli, tmp_path, http.url + "/hook")
        sender = start_held_round(cli, http)
        try:
            assert http.held.wait(timeout=60), "the round never reached the webhook"
        finally:
            sender.send_signal(signal.SIGKILL)
            sender.wait(timeout=30)
        http.hanging.clear()
        http.release.set()
        (pending,) = outbox(cli)
        assert pending["status"] == "PENDING"  # recorded before the send, claimed, never marked
        assert crash(cli, "none", T0 + timedelta(minutes=1)) == 0
        assert received(http) == Counter()  # still inside the claim's lease
        assert crash(cli, "none", AFTER_GRACE) == 0
        assert list(received(http).values()) == [1]
    assert [m["status"] for m in outbox(cli)] == ["SENT"]


def test_a_channel_that_fails_then_recovers_gets_its_message_on_a_later_round(cli: Cli, tmp_path: Path) -> None:
    with http_recorder() as http:
        setup(cli, tmp_path, http.url + "/hook")
        http.failing.add("/hook")
        assert crash(cli, "none", T0) == 1  # a delivery ended FAILED
        (failed,) = outbox(cli)
        assert failed["status"] == "FAILED" and failed["attempts"] == 3
        assert failed["next_attempt_at"] == at(T0 + timedelta(minutes=2))  # back-off 30 s × 2^2 after 3 attempts
        assert crash(cli, "none", T0 + timedelta(minutes=1)) == 0  # not due yet: no attempt
        assert outbox(cli)[0]["attempts"] == 3
        http.failing.clear()  # the channel recovers
        before = len(http.on("/hook"))  # the recorder also counts the failed attempts
        assert crash(cli, "none", T0 + timedelta(minutes=5)) == 0
        (sent,) = outbox(cli)
        assert sent["status"] == "SENT" and sent["attempts"] == 4 and sent["message_id"] == failed["message_id"]
        assert [r.body["evaluated_at"] for r in http.on("/hook")[before:]] == [at(T0)]  # the original, once


def test_a_channel_that_never_recovers_ends_expired(cli: Cli, tmp_path: Path) -> None:
    with http_recorder() as http:
        setup(cli, tmp_path, http.url + "/hook")
        http.failing.add("/hook")
        crash(cli, "none", T0)
        crash(cli, "none", T0 + timedelta(hours=1))  # retried, fails again
        assert outbox(cli)[0]["attempts"] == 6
        crash(cli, "none", T0 + timedelta(hours=25))
    (expired,) = outbox(cli)
    assert expired["status"] == "EXPIRED" and expired["attempts"] == 6
    assert "expired after 24 h" in str(expired["last_error"])
    assert cli("outbox", "list", "--status", "EXPIRED", "--json").json()[0]["message_id"] == expired["message_id"]


def test_outbox_retry_sends_now_whatever_the_back_off(cli: Cli, tmp_path: Path) -> None:
    with http_recorder() as http:
        setup(cli, tmp_path, http.url + "/hook")
        http.failing.add("/hook")
        cli("eval", "--notify", "--at", at(T0))
        (failed,) = outbox(cli)
        assert cli("outbox", "retry", "nope").code == 2
        again = cli("outbox", "retry", str(failed["message_id"]))
        assert again.code == 1  # still failing
        http.failing.clear()
        before = len(http.on("/hook"))  # the recorder also counts the failed attempts
        done = cli("outbox", "retry", "--all", "--json")
        assert done.code == 0, done.stderr
        assert [d["status"] for d in done.json()] == ["SENT"]
        assert cli("outbox", "retry", str(failed["message_id"])).code == 2  # SENT: nothing to send again
        assert len(http.on("/hook")) == before + 1


def test_the_store_is_free_while_a_webhook_hangs(cli: Cli, tmp_path: Path) -> None:
    """Sending happens with lakealerts.duckdb closed: other commands run while a delivery hangs."""
    with http_recorder() as http:
        setup(cli, tmp_path, http.url + "/hook")
        sender = start_held_round(cli, http)
        try:
            assert http.held.wait(timeout=60)
            started = time.monotonic()
            listed = cli("rules", "list", "--json")
            imported = cli("rules", "import", str(tmp_path / "rules.yaml"))
            history = cli("history", "--json")
            assert (listed.code, imported.code, history.code) == (0, 0, 0), imported.stderr
            assert sender.poll() is None  # the delivery still hangs
            assert time.monotonic() - started < 60
        finally:
            http.release.set()
            sender.wait(timeout=60)
    with DuckDBEngine.open(cli.home / "lakealerts.duckdb", "monitoring") as engine:
        assert engine.execute("SELECT state FROM monitoring.gold.alert_state").rows == (("TRIGGERED",),)


def test_an_older_store_is_brought_up_to_date_before_a_notify_round(cli: Cli, tmp_path: Path) -> None:
    """A store made by an earlier version lacks the outbox's delivery columns: `eval --notify` and `outbox
    list` add them (init is idempotent) instead of failing on a missing column."""
    with http_recorder() as http:
        setup(cli, tmp_path, http.url + "/hook")
        with DuckDBEngine.open(cli.home / "lakealerts.duckdb", "monitoring") as engine:
            for column in ("message_id", "next_attempt_at", "event", "payload", "expires_at", "evaluation_id"):
                engine.execute(f"ALTER TABLE monitoring.gold.alert_notification_outbox DROP COLUMN {column}")
            engine.execute("ALTER TABLE monitoring.gold.alert_evaluations DROP COLUMN evaluation_id")
        assert cli("outbox", "list", "--json").json() == []
        notified = cli("eval", "--notify", "--json")
        assert notified.code == 0, notified.stderr
        assert [m["status"] for m in outbox(cli)] == ["SENT"] and len(http.on("/hook")) == 1
