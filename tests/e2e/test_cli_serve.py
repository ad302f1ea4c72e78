"""``lakealerts serve`` as a user runs it: a real process, stopped with SIGTERM or Ctrl-C, data kept."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import settings as dest
from databricks.sdk.service import sql

from tests.conftest import Cli

pytestmark = pytest.mark.e2e
TOKEN = "e2e-token-5b2a"
FOLDER = "/Workspace/Shared/lakealerts"


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(cli: Cli, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``lakealerts --home H serve --port P`` in the background, token from the environment, until ready."""
    env = {**os.environ, "LAKEALERTS_USER": "tester", "LAKEALERTS_TOKEN": TOKEN}
    command = [sys.executable, "-m", "lakealerts", "--home", str(cli.home), "serve", "--port", str(port)]
    with log.open("ab") as stderr:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", process, log)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def wait_until_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(url + "/.well-known/databricks-config", timeout=1) as response:
                assert json.load(response) == {}
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise AssertionError(f"serve did not answer within 30 s:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes], signum: int) -> int:
    """Send ``signum`` and return the exit code (the process must end within 15 s)."""
    process.send_signal(signum)
    return process.wait(timeout=15)


def an_alert(name: str) -> sql.AlertV2:
    return sql.AlertV2(
        display_name=name,
        query_text="SELECT count(*) AS n FROM monitoring.gold.alert_configurations",
        warehouse_id="local",
        parent_path=FOLDER,
        evaluation=sql.AlertV2Evaluation(
            source=sql.AlertV2OperandColumn(name="n"), comparison_operator=sql.ComparisonOperator.IS_NULL
        ),
        schedule=sql.CronSchedule(quartz_cron_schedule="0 0/5 * * * ?", timezone_id="UTC"),
    )


def test_serve_without_a_token_is_a_usage_error(cli: Cli) -> None:
    env = {key: value for key, value in os.environ.items() if key != "LAKEALERTS_TOKEN"}
    completed = subprocess.run(
        [sys.executable, "-m", "lakealerts", "--home", str(cli.home), "serve"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert completed.returncode == 2
    assert "token" in completed.stderr and "LAKEALERTS_TOKEN" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_serve_on_a_taken_port_is_a_setup_error(cli: Cli) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = cli("serve", "--token", TOKEN, "--port", str(taken.getsockname()[1]))
    assert result.code == 2 and "--port" in result.stderr and "Traceback" not in result.stderr


def test_serve_stops_cleanly_and_a_restart_keeps_everything(cli: Cli, tmp_path: Path) -> None:
    assert cli("init").code == 0
    port, log = free_port(), tmp_path / "serve.log"
    host = f"http://127.0.0.1:{port}"
    with serving(cli, port, log) as process:
        w = WorkspaceClient(host=host, token=TOKEN, auth_type="pat")
        w.workspace.mkdirs(FOLDER)
        created = w.alerts_v2.create_alert(an_alert("[INFO] survives"))
        destination = w.notification_destinations.create(
            display_name="pager", config=dest.Config(pagerduty=dest.PagerdutyConfig(integration_key="k"))
        )
        assert cli("init").code == 0  # the CLI keeps working on lakealerts.duckdb while serve runs
        counted = w.statement_execution.execute_statement(
            "SELECT count(*) AS n FROM monitoring.gold.alert_configurations", "local"
        )
        assert counted.status.state == sql.StatementState.SUCCEEDED and counted.result.data_array == [["0"]]
        assert stop(process, signal.SIGTERM) == 0
    stderr = log.read_text()
    assert "POST /api/2.0/alerts 200" in stderr and "stopped" in stderr and "Traceback" not in stderr
    assert TOKEN not in stderr
    with serving(cli, port, log) as process:
        w = WorkspaceClient(host=host, token=TOKEN, auth_type="pat")
        assert w.alerts_v2.get_alert(created.id) == created
        assert [item.id for item in w.alerts_v2.list_alerts()] == [created.id]
        assert w.notification_destinations.get(destination.id) == destination
        assert stop(process, signal.SIGINT) == 0  # Ctrl-C stops it just as cleanly
