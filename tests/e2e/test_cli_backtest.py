"""``lakealerts backtest`` as a user runs it (DESIGN §12): the golden backtest of the shipped packs, the text
summary, CSV, and the exit codes (1 an evaluation ended ERROR, 2 over --max-evaluations).

The golden file is the ``--json`` document of both shipped packs (the 29 on ``demo-data --days 30``, whose incidents
happen on 2026-03-10 and every 7th day before; the system pack on ``demo-data --system --days 30``) replayed daily
at 08:00 UTC over the 30 days to 2026-03-10; only the run id is masked. Regenerate it (only when a change is intended)::

    LAKEALERTS_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/e2e/test_cli_backtest.py
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.conftest import Cli

pytestmark = pytest.mark.e2e

GOLDEN = Path(__file__).parent.parent / "fixtures" / "backtest" / "golden.json"
REGENERATE = os.environ.get("LAKEALERTS_REGEN_GOLDEN") == "1"
AS_OF = "2026-03-10"
RANGE = ("--from", "2026-02-09T08:00:00Z", "--to", "2026-03-11T08:00:00Z")
SHORT = ("--from", "2026-03-08T08:00:00Z", "--to", "2026-03-11T08:00:00Z")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """Both packs seeded over the demo gold layer and the demo system tables."""
    cli = Cli(tmp_path_factory.mktemp("backtest") / "home")
    for args in (("seed", "--pack", "all"), ("demo-data", "--rows", "3000", "--as-of", AS_OF, "--days", "30"),
                 ("demo-data", "--system", "--days", "30", "--as-of", AS_OF)):  # fmt: skip
        assert cli(*args).code == 0, args
    return cli


def test_golden_backtest_of_the_shipped_rules(home: Cli) -> None:
    result = home("backtest", "--all", *RANGE, "--step", "1d", "--json")
    assert result.code == 0, result.stderr
    document = result.json()
    document["run_id"] = "<run_id>"
    if REGENERATE:
        GOLDEN.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert len(document["rules"]) == 29 + 22
    assert {rule["mode"] for rule in document["rules"]} == {"lateral"}
    for got, want in zip(document["rules"], golden["rules"], strict=True):
        assert got == want, got["alert_id"]
    assert document == golden


def test_text_summary_with_a_sweep(home: Cli) -> None:
    result = home("backtest", "COST-001", *RANGE, "--step", "1d", "--sweep", "5000:6000:500")
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("backtest ") and "every 1d" in lines[0]
    assert "COST-001  Daily cost spike  [> 5000, lateral]" in lines
    assert "  |.#......#......#......#......#|" in lines  # the runaway cluster, every 7th day (billed the day before)
    assert "  threshold  fires  notifications  triggered  flaps" in lines


def test_csv_and_quartz_instants(home: Cli, tmp_path: Path) -> None:
    target = tmp_path / "timeline.csv"
    result = home("backtest", "COST-001", "SEC-001", *SHORT, "--csv", str(target), "--json")
    assert result.code == 0, result.stderr
    rows = target.read_text(encoding="utf-8").splitlines()
    document = result.json()
    cost, sec = document["rules"]
    assert cost["summary"]["evaluations"] == 3  # 0 0 7 * * ? in New York: once a day
    assert sec["summary"]["evaluations"] == 3 * 24 * 4  # every 15 minutes
    assert rows[0] == "alert_id,at,value,state,notified" and len(rows) == 1 + 3 + 3 * 96
    assert f"wrote 291 evaluations to {target}" in result.stderr  # where the CSV went, and how much


def test_too_many_evaluations_is_exit_2_with_the_count(home: Cli) -> None:
    result = home("backtest", "SEC-001", *RANGE, "--max-evaluations", "100", "--json")
    assert result.code == 2
    error = result.json()["error"]
    assert error["code"] == "USAGE" and "2,880 evaluations" in error["message"]


def test_a_huge_range_is_refused_at_once(home: Cli) -> None:
    """Every rule's fire times over a century: refused without counting them all (it took minutes)."""
    began = time.monotonic()
    result = home("backtest", "--all", "--from", "2000-01-01", "--to", "2100-01-01")
    assert result.code == 2 and "more than 20,000 evaluations" in result.stderr
    assert time.monotonic() - began < 15  # the process's start included; the count itself is well under a second


BAD_RANGES = [
    (("--step", "1000000000d"), "--step '1000000000d' is too long"),
    (("--step", "99999999999d"), "--step '99999999999d' is too long"),
    (("--from", "0001-01-01", "--to", "0001-01-03"), "1970-2099"),
    (("--from", "9999-12-30", "--to", "9999-12-31T23:59:59"), "1970-2099"),
    (("--from", "9999-12-30", "--to", "9999-12-31T23:59:59", "--step", "1h"), "before 9999-01-01"),
    (("--sweep", "x"), "--sweep 'x' is not A:B:STEP"),  # verbatim: no emoji for :b:, no markup
    (("--sweep", "[x]:b:1"), "--sweep '[x]:b:1' is not A:B:STEP"),
    *((("--sweep", hostile), f"--sweep '{hostile}'") for hostile in
      ("nan:1:1", "inf:inf:1", "1:inf:1", "-inf:1:1", "1e400:1e401:1e399")),
]  # fmt: skip


def test_bad_ranges_steps_and_sweeps_are_exit_2(home: Cli) -> None:
    """Out-of-range steps, calendar edges and hostile sweeps: a usage error on stderr, never a traceback."""
    for args, message in BAD_RANGES:
        if "--from" not in args:
            args = (*SHORT, *args)
        result = home("backtest", "COST-001", *args)
        assert result.code == 2, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr, (args, result.stderr)
    early = home("backtest", "COST-001", "--from", "0001-01-01", "--to", "0001-01-03", "--step", "1d", "--json")
    assert early.code == 0 and early.json()["rules"][0]["summary"]["evaluations"] == 2, early.stderr


def test_an_error_is_exit_1_and_nothing_is_written(home: Cli, tmp_path: Path) -> None:
    rules = tmp_path / "broken.yaml"
    rules.write_text(
        "alert_id: BROKEN-1\nalert_name: Missing table\nagent_domain: QUALITY\nseverity: INFO\n"
        "alert_query_template: SELECT COUNT(*) AS n FROM ${catalog}.${gold_schema}.no_such_table\n"
        "threshold_column: n\nthreshold_operator: '>'\nthreshold_value_type: DOUBLE\nthreshold_value_double: 0\n"
        "schedule_cron: 0 0 8 * * ?\nowner: q@example.com\n",
        encoding="utf-8",
    )
    assert home("rules", "import", str(rules)).code == 0
    result = home("backtest", "BROKEN-1", *SHORT, "--record", "--json")
    assert result.code == 1
    rule = result.json()["rules"][0]
    assert rule["summary"]["error"] == 3 and rule["mode"] == "per_instant"
    assert "no_such_table" in rule["findings"][0]
    history = home("history", "BROKEN-1", "--json").json()
    assert history["evaluations"] == [] and history["notifications"] == []
    assert home("rules", "delete", "BROKEN-1").code == 0


def test_errors_in_the_lateral_mode_are_explained_once(home: Cli, tmp_path: Path) -> None:
    """The query runs, its result lacks the threshold column: every instant is ERROR, and the findings say why
    (before, the text showed |EEE| and --json an empty findings list)."""
    rules = tmp_path / "no-column.yaml"
    rules.write_text(
        "alert_id: NO-COLUMN-1\nalert_name: Missing column\nagent_domain: QUALITY\nseverity: INFO\n"
        "alert_query_template: SELECT 1 AS n\nthreshold_column: missing_col\nthreshold_operator: '>'\n"
        "threshold_value_type: DOUBLE\nthreshold_value_double: 0\nschedule_cron: 0 0 8 * * ?\nowner: q@example.com\n",
        encoding="utf-8",
    )
    assert home("rules", "import", str(rules)).code == 0
    result = home("backtest", "NO-COLUMN-1", *SHORT, "--json")
    assert result.code == 1
    (rule,) = result.json()["rules"]
    assert rule["mode"] == "lateral" and rule["summary"]["error"] == 3
    assert rule["findings"] == [
        "ERROR at 3 of 3 instants; the first, 2026-03-08T08:00:00+00:00: "
        "column 'missing_col' is not in the query result (n)"
    ]
    text = home("backtest", "NO-COLUMN-1", *SHORT)
    assert "note: ERROR at 3 of 3 instants" in text.stdout + text.stderr
    assert home("rules", "delete", "NO-COLUMN-1").code == 0


def test_a_paused_rule_is_backtested_and_says_so(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    rule = tmp_path / "paused.yaml"
    rule.write_text(
        "- {alert_id: PAUSED-1, alert_name: Paused, agent_domain: COST, severity: INFO, owner: a@example.com,\n"
        "   schedule_cron: '0 0 8 * * ?', alert_query_template: SELECT 7 AS v, threshold_column: v,\n"
        "   threshold_operator: '>', threshold_value_type: DOUBLE, threshold_value_double: 5, pause_status: PAUSED}\n"
    )
    assert cli("init").code == 0 and cli("rules", "import", str(rule)).code == 0
    result = cli("backtest", "PAUSED-1", *SHORT, "--json")
    assert result.code == 0, result.stderr
    (entry,) = result.json()["rules"]
    assert entry["summary"]["fires"] == 1  # what it would do on its schedule
    assert "the rule is paused: these are what it would do if it ran on its schedule" in entry["findings"]
