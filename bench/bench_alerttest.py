"""Benchmark: 200 alert tests × 5 ticks through the real runner; print the time per tick against a bare DuckDB
query of the same rewritten SQL (fixtures injected, clock pinned, translated), in the same run.

Run: .venv/bin/python bench/bench_alerttest.py [--tests N] [--steps N]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from lakealerts.alerttest.runner import FileSetting, run_test
from lakealerts.alerttest.spec import AlertTest, FixtureSpec
from lakealerts.documents import parse_rules
from lakealerts.model import AlertRule
from lakealerts.runtime.query import rule_sql
from lakealerts.sql.identifiers import Namespace
from lakealerts.sql.rewrite import Fixture, inject_fixtures, resolve_table, wall_clock
from lakealerts.sql.translate import to_duckdb

NAMESPACE = Namespace("monitoring", "gold")
START = datetime(2026, 11, 20, 7, tzinfo=UTC)
QUERY = (
    "SELECT usage_date, ROUND(SUM(list_cost), 2) AS cost, COUNT(DISTINCT workspace_id) AS ws "
    "FROM ${catalog}.${gold_schema}.billing_usage WHERE usage_date = date_sub(CURRENT_DATE(), 1) GROUP BY usage_date"
)
COLUMNS = {"usage_date": "DATE", "workspace_id": "STRING", "list_cost": "DECIMAL(38,18)"}


def bench_rule(index: int) -> AlertRule:
    """A COST-001-like rule; the threshold varies so that every rule is its own."""
    document: dict[str, Any] = {
        "alert_id": f"BENCH-{index:04d}", "alert_name": f"Bench {index}", "agent_domain": "COST",
        "severity": "WARNING", "owner": "bench@example.com", "schedule_cron": "0 0 7 * * ?",
        "alert_query_template": QUERY,
        "threshold_column": "cost", "threshold_operator": ">", "threshold_value_type": "DOUBLE",
        "threshold_value_double": 1000 + index, "notification_channels": ["bench@example.com"],
    }  # fmt: skip
    return parse_rules([document]).valid[0]


def fixture_rows(index: int) -> list[dict[str, Any]]:
    """Two rows per day over the bench's days (16 rows, a typical test's size), some days above the threshold."""
    return [{"usage_date": (START - timedelta(days=d)).date(), "workspace_id": f"ws-{r}", "list_cost": 400 * d + index}
            for d in range(-5, 3) for r in range(2)]  # fmt: skip


def bench_test(index: int, steps: int) -> AlertTest:
    """One test: ``steps`` daily ticks, no expectations (the runner's work is the same)."""
    fixture = FixtureSpec(columns=COLUMNS, rows=fixture_rows(index))
    evaluations = [{"at": START + timedelta(days=day)} for day in range(steps)]
    return AlertTest.model_validate({"name": f"t{index}", "rule": f"BENCH-{index:04d}",
                                     "fixtures": {"billing_usage": fixture}, "evaluations": evaluations})  # fmt: skip


def bare_sql(test: AlertTest, rule: AlertRule, steps: int) -> list[str]:
    """The DuckDB SQL each tick of ``test`` runs: rendered, pinned, fixtures injected, translated."""
    spec = test.fixtures["billing_usage"]
    rows = tuple(tuple(row.get(c) for c in COLUMNS) for row in spec.rows)
    fixture = Fixture(resolve_table("billing_usage", "monitoring", "gold"), tuple(COLUMNS.items()), rows)
    moments = [START + timedelta(days=day) for day in range(steps)]
    return [to_duckdb(inject_fixtures(rule_sql(rule, NAMESPACE, wall_clock(at, "UTC")), [fixture], "monitoring",
                                      "gold"), {}) for at in moments]  # fmt: skip


def main() -> None:
    """Run both and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=int, default=200)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    rules = {rule.alert_id: rule for rule in (bench_rule(i) for i in range(args.tests))}
    tests = [bench_test(i, args.steps) for i in range(args.tests)]
    setting = FileSetting("bench", None, NAMESPACE, "UTC", rules, {}, {})
    started = time.perf_counter()
    results = [run_test(test, setting) for test in tests]
    runner_seconds = time.perf_counter() - started
    assert all(r.status == "passed" and len(r.states) == args.steps for r in results), results[0]
    statements = [sql for test in tests for sql in bare_sql(test, rules[test.rule], args.steps)]
    connection = duckdb.connect(":memory:")
    connection.execute("SET TimeZone = 'UTC'")
    started = time.perf_counter()
    for sql in statements:
        connection.execute(sql).fetchall()
    bare_seconds = time.perf_counter() - started
    ticks = args.tests * args.steps
    per_tick, per_query = runner_seconds / ticks * 1000, bare_seconds / len(statements) * 1000
    print(f"{args.tests} tests x {args.steps} ticks: {runner_seconds:.2f} s, {per_tick:.2f} ms per tick")
    print(f"bare DuckDB, same rewritten SQL: {bare_seconds:.2f} s, {per_query:.2f} ms per query")
    print(f"ratio: {per_tick / per_query:.1f}x (target <= 3x)")


if __name__ == "__main__":
    main()
