"""`lakealerts serve` as a local alerting service: a rule due every minute is evaluated and notifies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

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
