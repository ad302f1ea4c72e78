"""``rules list`` (text): rows the model checked before are shown from the memo without loading the model; any
change of a row, of the code or of the memo checks again, and a row broken by hand is still named."""

from __future__ import annotations

import json
import subprocess
import sys
import zoneinfo
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakealerts.app import rule_listing
from lakealerts.app.context import AppContext
from lakealerts.app.rule_listing import RuleSummary, summarize_rules
from lakealerts.app.rules import list_rules
from lakealerts.app.settings import Settings
from lakealerts.app.setup import seed
from lakealerts.engines.duckdb import DuckDBEngine

pytestmark = pytest.mark.integration


@pytest.fixture
def ctx(tmp_path: Path) -> AppContext:
    """A home with the 29 pre-built rules."""
    context = AppContext(settings=Settings(home=tmp_path / "home"), user="tester", env={})
    seed(context)
    return context


def _update(ctx: AppContext, sql: str, params: list[object]) -> None:
    """Edit the store by hand, as a user with SQL access would."""
    with DuckDBEngine.open(ctx.settings.store_path, ctx.settings.catalog) as engine:
        engine.execute(sql, params)


def _set(ctx: AppContext, alert_id: str, column: str, value: object) -> None:
    """Set one column of one stored rule by hand."""
    _update(ctx, f"UPDATE monitoring.gold.alert_configurations SET {column} = ? WHERE alert_id = ?", [value, alert_id])


def _memo_files(ctx: AppContext) -> list[Path]:
    return sorted(ctx.settings.cache_dir.glob("checked-rules-*"))


def test_summaries_equal_the_models_for_every_shipped_rule(ctx: AppContext) -> None:
    first = summarize_rules(ctx)
    assert first.checked == 29 and first.problems == []
    through_model = [RuleSummary.of_rule(stored) for stored in list_rules(ctx).rules]
    assert first.rules == through_model
    again = summarize_rules(ctx)
    assert again.checked == 0 and again.rules == through_model  # every row came from the memo
    assert len(_memo_files(ctx)) == 1
    assert len(_memo_files(ctx)[0].read_text().split()) == 29


def test_a_row_broken_by_hand_after_it_was_checked_is_named_and_left_out(ctx: AppContext) -> None:
    summarize_rules(ctx)
    _set(ctx, "COST-001", "schedule_cron", "0 0 8 * * 1")
    listed = summarize_rules(ctx)
    assert listed.checked == 1
    assert [p.rule_id for p in listed.problems] == ["COST-001"]
    assert [p.field for p in listed.problems] == ["schedule_cron"]
    assert "COST-001" not in [rule.alert_id for rule in listed.rules] and len(listed.rules) == 28
    again = summarize_rules(ctx)  # a broken row never enters the memo: named again, not hidden
    assert again.checked == 1 and [p.rule_id for p in again.problems] == ["COST-001"]


def test_a_row_the_model_reads_differently_is_shown_as_the_model_reads_it(ctx: AppContext) -> None:
    summarize_rules(ctx)
    _set(ctx, "COST-001", "severity", "critical")
    listed = summarize_rules(ctx)
    shown = {rule.alert_id: rule.severity for rule in listed.rules}
    assert listed.problems == [] and shown["COST-001"] == "CRITICAL"
    assert summarize_rules(ctx).checked == 1  # as stored it would show "critical": it stays out of the memo


def test_another_version_of_the_code_checks_every_row_again(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    summarize_rules(ctx)
    monkeypatch.setattr(rule_listing, "code_fingerprint", lambda: "another build")
    assert summarize_rules(ctx).checked == 29
    assert summarize_rules(ctx).checked == 0


def test_a_sync_write_back_changes_the_row_so_it_is_checked_again(ctx: AppContext) -> None:
    summarize_rules(ctx)
    _set(ctx, "COST-002", "last_sync_status", "SUCCESS")
    listed = summarize_rules(ctx)
    assert listed.checked == 1
    assert {rule.alert_id: rule.last_sync_status for rule in listed.rules}["COST-002"] == "SUCCESS"


def test_an_id_the_model_reads_differently_is_listed_as_the_model_reads_it(ctx: AppContext) -> None:
    summarize_rules(ctx)
    _set(ctx, "COST-005", "alert_id", " COST-005")
    listed = summarize_rules(ctx)
    assert len(listed.rules) == 29 and listed.problems == []
    assert "COST-005" in [rule.alert_id for rule in listed.rules]
    assert summarize_rules(ctx).checked == 1  # as stored it reads " COST-005": never vouched for


def test_a_rows_verdict_is_its_own_when_another_row_reads_as_the_same_id(ctx: AppContext) -> None:
    """A valid copy stored as 'COST-001 ' reads as COST-001 through the model; the real COST-001, broken by hand,
    is still named on every listing (its verdict is not the copy's)."""
    summarize_rules(ctx)
    with DuckDBEngine.open(ctx.settings.store_path, ctx.settings.catalog) as engine:
        engine.execute(
            "INSERT INTO monitoring.gold.alert_configurations SELECT * REPLACE ('COST-001 ' AS alert_id) "
            "FROM monitoring.gold.alert_configurations WHERE alert_id = 'COST-001'"
        )
        engine.execute(
            "UPDATE monitoring.gold.alert_configurations SET threshold_operator = 'bogus' WHERE alert_id = 'COST-001'"
        )
    for _ in range(2):
        listed = summarize_rules(ctx)
        assert [(p.rule_id, p.field) for p in listed.problems] == [("COST-001", "threshold_operator")]
        assert [rule.alert_id for rule in listed.rules].count("COST-001") == 1  # the copy, as the model reads it


def test_a_value_that_changes_type_but_not_text_is_checked_again(ctx: AppContext) -> None:
    instant = "2026-01-01T00:00:00+00:00"
    _update(ctx, "UPDATE monitoring.gold.alert_configurations SET alert_description = ?", [None])
    _set(ctx, "COST-001", "alert_description", instant)
    assert summarize_rules(ctx).problems == []
    _update(
        ctx, "ALTER TABLE monitoring.gold.alert_configurations ALTER alert_description TYPE TIMESTAMP", []
    )  # the same text, now a timestamp the model refuses as a description
    listed = summarize_rules(ctx)
    assert listed.checked == 1 and [(p.rule_id, p.field) for p in listed.problems] == [
        ("COST-001", "alert_description")
    ]


@pytest.fixture
def fresh_fingerprint() -> Iterator[None]:
    """The fingerprint is computed once per process: recompute it in the test, and after it."""
    rule_listing.code_fingerprint.cache_clear()
    yield
    rule_listing.code_fingerprint.cache_clear()


@pytest.mark.usefixtures("fresh_fingerprint")
def test_another_time_zone_database_checks_every_row_again(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    summarize_rules(ctx)
    monkeypatch.setattr(zoneinfo, "TZPATH", ("/nowhere/zoneinfo",))  # PYTHONTZPATH, or another machine's files
    rule_listing.code_fingerprint.cache_clear()
    assert summarize_rules(ctx).checked == 29


@pytest.mark.parametrize(
    "content",
    [
        "not a memo\n",
        "\x00\xff" * 40,
        "a" * 64 + "\n" + "0" * 63 + "\n",  # a digest of nothing stored, and a truncated line
    ],
)
def test_a_damaged_memo_means_check(ctx: AppContext, content: str) -> None:
    summarize_rules(ctx)
    (memo,) = _memo_files(ctx)
    memo.write_bytes(content.encode("latin-1"))
    listed = summarize_rules(ctx)
    assert listed.checked == 29 and len(listed.rules) == 29
    assert summarize_rules(ctx).checked == 0  # rewritten whole


def test_a_cache_that_cannot_be_written_only_costs_time(ctx: AppContext) -> None:
    ctx.settings.cache_dir.write_text("a file where the cache directory would be")
    assert summarize_rules(ctx).checked == 29
    listed = summarize_rules(ctx)
    assert listed.checked == 29 and len(listed.rules) == 29 and listed.problems == []


def test_two_namespaces_in_one_home_keep_their_own_memo(ctx: AppContext) -> None:
    other = ctx.replace(settings=Settings(home=ctx.settings.home, schema="other"))
    seed(other)
    summarize_rules(ctx)
    summarize_rules(other)
    assert len(_memo_files(ctx)) == 2
    assert summarize_rules(ctx).checked == 0 and summarize_rules(other).checked == 0


def test_a_listing_from_the_memo_loads_neither_the_model_nor_sqlglot(ctx: AppContext) -> None:
    summarize_rules(ctx)
    probe = (
        "import sys\n"
        "from lakealerts.cli.app import main\n"
        f"sys.argv = ['lakealerts', '--home', {str(ctx.settings.home)!r}, 'rules', 'list']\n"
        "try:\n    main()\nexcept SystemExit as stop:\n    assert not stop.code, stop.code\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'sqlglot', 'yaml')\n"
        "                or m in ('lakealerts.model', 'lakealerts.documents'))\n"
        "print('LOADED', __import__('json').dumps(loaded))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, env={"COLUMNS": "200"}
    )
    assert done.returncode == 0, done.stderr
    table, _, loaded = done.stdout.rpartition("LOADED ")
    assert json.loads(loaded) == []
    assert "29 rules in monitoring.gold" in table and "COST-001" in table
