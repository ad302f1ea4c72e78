"""Benchmark: evaluate the 29 pre-built rules on a demo gold layer of millions of rows, and print the runtime's
overhead as a ratio to running the same translated queries directly on DuckDB, in the same run (the statements
the engine runs, decimal typing included; each side best of ``--repeats``, alternating).

Run: .venv/bin/python bench/bench_eval.py [--rows N] [--repeats 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import duckdb

from lakealerts import catalog
from lakealerts.demo.generator import generate
from lakealerts.demo.model import DemoPlan
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.model import AlertRule
from lakealerts.runtime.ports import RuleRun
from lakealerts.runtime.query import EngineQuery, rule_sql
from lakealerts.runtime.round import Runtime
from lakealerts.sql.identifiers import Namespace
from lakealerts.store.runtime import StoreRuntime
from lakealerts.store.store import Store

NAMESPACE = Namespace("monitoring", "gold")


def best_of(repeats: int, action: Callable[[], object]) -> float:
    """Best wall time of ``repeats`` runs (seconds)."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def preview_round(store: Store, rules: list[AlertRule], now: datetime) -> list[RuleRun]:
    """The runtime's preview round on ``store`` (what ``eval`` runs without --notify)."""
    runtime = Runtime(EngineQuery(store.engine, store.namespace), StoreRuntime(lambda: nullcontext(store)))
    return runtime.round(rules, {}, now)


def run_bare(connection: duckdb.DuckDBPyConnection, queries: list[str]) -> None:
    """The baseline: the same translated queries, fetched, nothing else."""
    for sql in queries:
        connection.execute(sql).fetchall()


def main() -> None:
    """Generate, then time the runtime's preview round and the bare DuckDB queries."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--repeats", type=int, default=5, help="rounds of each side (best kept), alternating")
    args = parser.parse_args()
    now = datetime.now(UTC)
    rules = list(catalog.load_rules())
    with tempfile.TemporaryDirectory() as home:
        path = Path(home) / "lakealerts.duckdb"
        with DuckDBEngine.open(path, NAMESPACE.catalog) as engine:
            store = Store(engine, NAMESPACE, "bench")
            store.init()
            started = time.perf_counter()
            report = generate(engine, NAMESPACE, DemoPlan(args.rows, now.date()))
            print(f"demo gold layer: {report.total_rows:,} rows in {time.perf_counter() - started:.1f} s")
            # Exactly the statements the engine runs (Databricks' decimal typing included), translated once here.
            queries = [engine.duckdb_sql(rule_sql(rule, NAMESPACE, None)) for rule in rules]
            triggered = sorted(r.alert_id for r in preview_round(store, rules, now) if r.state == "TRIGGERED")
        # Alternate the two so that neither profits from a warmer cache; a file is attached once at a time.
        ours, bare = float("inf"), float("inf")
        for _ in range(args.repeats):
            with DuckDBEngine.open(path, NAMESPACE.catalog) as engine:
                store = Store(engine, NAMESPACE, "bench")
                ours = min(ours, best_of(1, partial(preview_round, store, rules, now)))
            connection = duckdb.connect()
            connection.execute("SET TimeZone = 'UTC'")
            connection.execute(f"ATTACH '{path}' AS {NAMESPACE.catalog}")
            bare = min(bare, best_of(1, partial(run_bare, connection, queries)))
            connection.close()
    print(f"{len(rules)} rules, {len(triggered)} triggered ({', '.join(triggered)})")
    print(f"bare DuckDB, same translated queries (baseline): {bare * 1000:8.1f} ms")
    print(f"lakealerts eval round (render, guard, translate, run, evaluate, record history): {ours * 1000:8.1f} ms")
    print(
        f"ratio eval / bare DuckDB: {ours / bare:.2f}x  (overhead {(ours - bare) * 1000:.1f} ms for {len(rules)} rules)"
    )


if __name__ == "__main__":
    main()
