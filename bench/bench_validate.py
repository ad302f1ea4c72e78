"""Benchmark: validate 1,200 generated rules; print rules/s and the ratio to bare sqlglot parsing, same run.

Run: .venv/bin/python bench/bench_validate.py [--rules N]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import sqlglot

from lakealerts.documents import parse_rules
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.model import AlertRule
from lakealerts.sql.identifiers import Namespace
from lakealerts.sql.render import render
from lakealerts.validate import validate_rules

NAMESPACE = Namespace("monitoring", "gold")
_SHAPES = (
    "SELECT SUM(list_cost) AS value FROM ${catalog}.${gold_schema}.usage "
    "WHERE usage_date = DATE_SUB(CURRENT_DATE(), {k})",
    "WITH d AS (SELECT workspace_id, SUM(list_cost) AS cost FROM ${catalog}.${gold_schema}.usage "
    "WHERE usage_date >= DATE_SUB(CURRENT_DATE(), {k}) GROUP BY workspace_id) "
    "SELECT workspace_id, cost AS value FROM d ORDER BY cost DESC LIMIT 10",
    "SELECT COUNT(*) AS value FROM ${catalog}.${gold_schema}.usage u JOIN ${catalog}.${gold_schema}.usage v "
    "ON u.workspace_id = v.workspace_id WHERE u.list_cost > {k} AND v.sku_name LIKE '%JOBS%'",
    "SELECT workspace_id, AVG(list_cost) OVER (PARTITION BY workspace_id ORDER BY usage_date "
    "ROWS BETWEEN {k} PRECEDING AND CURRENT ROW) AS value FROM ${catalog}.${gold_schema}.usage",
)


def generated_rules(count: int) -> list[AlertRule]:
    """``count`` valid rules over four query shapes with varying constants."""
    documents: list[dict[str, Any]] = [
        {
            "alert_id": f"BENCH-{i:05d}",
            "alert_name": f"Bench rule {i}",
            "agent_domain": "COST",
            "severity": "INFO",
            "alert_query_template": _SHAPES[i % len(_SHAPES)].replace("{k}", str(i % 30 + 1)),
            "threshold_column": "value",
            "threshold_operator": ">",
            "threshold_value_type": "DOUBLE",
            "threshold_value_double": float(i),
            "schedule_cron": "0 0 * * * ?",
            "owner": "bench@example.com",
        }
        for i in range(count)
    ]
    report = parse_rules(documents)
    assert not report.problems, report.problems[:3]
    return report.valid


def timed(action: Callable[[], object]) -> float:
    """Best of three wall times of ``action`` (seconds)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    """Measure bare parsing, static validation and engine validation of the same rules in one run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rules", type=int, default=1200)
    count = parser.parse_args().rules
    rules = generated_rules(count)
    queries = [render(rule.alert_query_template, NAMESPACE) for rule in rules]

    bare = timed(lambda: [sqlglot.parse(q, read="databricks") for q in queries])
    static = timed(lambda: validate_rules(rules, [], NAMESPACE))
    with DuckDBEngine.memory("monitoring") as engine:
        engine.execute("CREATE SCHEMA monitoring.gold")
        engine.execute(
            "CREATE TABLE monitoring.gold.usage "
            "(workspace_id STRING, sku_name STRING, usage_date DATE, list_cost DOUBLE)"
        )
        report = validate_rules(rules, [], NAMESPACE, engine)
        assert report.all_valid, [r.findings for r in report.results if not r.is_valid][:2]
        with_engine = timed(lambda: validate_rules(rules, [], NAMESPACE, engine))

    print(f"rules: {count}")
    print(f"bare sqlglot parse (baseline): {count / bare:10.0f} rules/s  ({bare * 1000:.0f} ms)")
    print(
        f"static validation:             {count / static:10.0f} rules/s  ({static * 1000:.0f} ms)  "
        f"ratio to baseline {static / bare:.2f}x"
    )
    print(
        f"static + DuckDB engine checks: {count / with_engine:10.0f} rules/s  ({with_engine * 1000:.0f} ms)  "
        f"ratio to baseline {with_engine / bare:.2f}x"
    )


if __name__ == "__main__":
    main()
