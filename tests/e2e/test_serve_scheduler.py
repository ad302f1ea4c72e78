"""`lakealerts serve` as a local alerting service: a rule due every minute is evaluated and notifies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
import yaml

from lakealerts.engines.duckdb import DuckDBEngine
from tests.conftest import Cli
from tests.endpoints import http_recorder

pytestmark = pytest.mark.e2e


def test_serve_evaluates_on_schedule_and_notifies(cli: Cli, tmp_path: Path) -> None:
    with http_recorder() as http:
        destinations, rules = tmp_path / "destinations.yaml", tmp_path / "rules.yaml"
        destinations.write_text(
            yaml.safe_dump(
                [
                    {
                        "destination_id": "hook",
                        "destination_name": "Hook",
                        "owner": "o",
                        "destination_type": "WEBHOOK",
                        "config_json": {"url": http.url},
                    }
                ]
            )
        )
        # Due every minute, at a second a few seconds from now, so the test need not wait for :00.
        second = (datetime.now().second + 8) % 60
        rules.write_text(yaml.safe_dump([{
            "alert_id": "EVERY-MINUTE", "alert_name": "Every minute", "agent_domain": "RELIABILITY",
            "severity": "CRITICAL", "threshold_column": "n", "threshold_operator": ">",
            "alert_query_template": "SELECT COUNT(*) AS n FROM ${catalog}.${gold_schema}.alert_configurations",
            "threshold_value_type": "DOUBLE", "threshold_value_double": 0, "schedule_cron": f"{second} * * * * ?",
            "notification_channels": ["hook"], "owner": "o@example.com",
        }]))  # fmt: skip
        assert cli("destinations", "import", str(destinations)).code == 0
        assert cli("rules", "import", str(rules)).code == 0
        env = {**os.environ, "LAKEALERTS_USER": "tester"}
        command = [sys.executable, "-m", "lakealerts", "--home", str(cli.home), "serve", "--port", "0", "--token", "t"]
        service = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
        try:
            deadline = time.monotonic() + 75  # within a minute, plus start-up
            while not http.requests and time.monotonic() < deadline and service.poll() is None:
                time.sleep(0.2)
            assert http.requests, "no notification within 75 s"
        finally:
            service.send_signal(signal.SIGTERM)
            _, stderr = service.communicate(timeout=30)
        assert service.returncode == 0, stderr
    (request,) = http.requests
    assert request.body["alert_id"] == "EVERY-MINUTE" and request.body["state"] == "TRIGGERED"
    lag = (datetime_second(request.body["evaluated_at"]) - second) % 60
    assert lag < 5  # started within seconds of its due time
    assert "evaluated EVERY-MINUTE: TRIGGERED" in stderr and "notified hook:SENT" in stderr
    with DuckDBEngine.open(cli.home / "lakealerts.duckdb", "monitoring") as engine:
        state = engine.execute("SELECT state FROM monitoring.gold.alert_state").rows
    assert list(state) == [("TRIGGERED",)]


def datetime_second(text: str) -> float:
    moment = datetime.fromisoformat(text)
    return moment.second + moment.microsecond / 1e6


SLOW_QUERY = (
    "SELECT COUNT(*) AS value FROM ${catalog}.${gold_schema}.big a CROSS JOIN ${catalog}.${gold_schema}.big b "
    "WHERE (a.v * b.v) % 1000003 = 17"
)  # 4e10 pairs: minutes on this machine


def slow_and_fast(cli: Cli, tmp_path: Path, url: str) -> tuple[int, int]:
    """A slow rule and an every-minute rule one second after it; returns their due seconds."""
    destinations, rules = tmp_path / "destinations.yaml", tmp_path / "rules.yaml"
    destinations.write_text(yaml.safe_dump([{"destination_id": "hook", "destination_name": "Hook", "owner": "o",
                                             "destination_type": "WEBHOOK", "config_json": {"url": url}}]))  # fmt: skip
    slow, fast = (datetime.now().second + 8) % 60, (datetime.now().second + 9) % 60
    common = {"agent_domain": "RELIABILITY", "severity": "CRITICAL", "threshold_column": "value",
              "threshold_operator": ">", "threshold_value_type": "DOUBLE", "threshold_value_double": 0,
              "owner": "o@example.com", "notification_channels": ["hook"]}  # fmt: skip
    rules.write_text(yaml.safe_dump([
        {**common, "alert_id": "SLOW", "alert_name": "Slow", "alert_query_template": SLOW_QUERY,
         "schedule_cron": f"{slow} * * * * ?"},
        {**common, "alert_id": "FAST", "alert_name": "Fast", "schedule_cron": f"{fast} * * * * ?",
         "alert_query_template": "SELECT COUNT(*) AS value FROM ${catalog}.${gold_schema}.alert_configurations"},
    ]))  # fmt: skip
    assert cli("destinations", "import", str(destinations)).code == 0
    assert cli("rules", "import", str(rules)).code == 0
    connection = duckdb.connect()
    connection.execute(f"ATTACH '{cli.home / 'lakealerts.duckdb'}' AS monitoring")
    connection.execute("CREATE TABLE monitoring.gold.big AS SELECT range AS v FROM range(200000)")
    connection.close()
    return slow, fast


def start_serve(cli: Cli, *options: str) -> subprocess.Popen[str]:
    env = {**os.environ, "LAKEALERTS_USER": "tester"}
    command = [sys.executable, "-m", "lakealerts", "--home", str(cli.home), "serve", "--port", "0", "--token", "t",
               *options]  # fmt: skip
    return subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)


def wait_for_second(second: int, after: float = 0.0) -> None:
    """Sleep until ``after`` seconds past the next wall-clock second ``second``."""
    now = datetime.now()
    wait = (second - now.second) % 60 - now.microsecond / 1e6 + after
    time.sleep(wait if wait > 0 else wait + 60)


def test_a_slow_rule_times_out_while_the_others_run_and_notify(cli: Cli, tmp_path: Path) -> None:
    with http_recorder() as http:
        slow, fast = slow_and_fast(cli, tmp_path, http.url)
        service = start_serve(cli, "--query-timeout", "3")
        try:
            wait_for_second(slow, after=1.0)  # the slow query is running now
            history, listed = cli("history", "--json"), cli("rules", "list", "--json")
            assert (history.code, listed.code) == (0, 0), history.stderr + listed.stderr  # readers run beside it
            imported = cli("rules", "import", str(tmp_path / "rules.yaml"))
            assert imported.code == 0, imported.stderr  # a writer waits for the query's timeout, not more
            deadline = time.monotonic() + 30
            while not http.requests and time.monotonic() < deadline and service.poll() is None:
                time.sleep(0.2)
        finally:
            service.send_signal(signal.SIGTERM)
            _, stderr = service.communicate(timeout=30)
    assert service.returncode == 0, stderr
    assert "evaluated SLOW: ERROR" in stderr and "timed out after 3 s" in stderr
    (request,) = [r for r in http.requests if r.body["alert_id"] == "FAST"]
    lag = (datetime_second(request.body["evaluated_at"]) - fast) % 60
    assert lag < 5  # at most the slow rule's timeout late: its query held the store, never the schedule


def test_sigterm_interrupts_a_running_query(cli: Cli, tmp_path: Path) -> None:
    with http_recorder() as http:
        slow, _ = slow_and_fast(cli, tmp_path, http.url)
        service = start_serve(cli, "--query-timeout", "600")
        wait_for_second(slow, after=1.5)  # the slow query is running, for minutes if left alone
        service.send_signal(signal.SIGTERM)
        try:
            _, stderr = service.communicate(timeout=20)  # far below the query's 600 s: it was interrupted
        except subprocess.TimeoutExpired:
            service.kill()
            raise
    assert service.returncode == 0, stderr
    assert "evaluated SLOW: ERROR" in stderr and "lakealerts stand-in stopped" in stderr
