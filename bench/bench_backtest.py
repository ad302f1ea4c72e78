"""Benchmark: a backtest of 720 hourly instants (30 days) on a demo gold layer of ≥ 1 M rows, vectorised (one
LATERAL query per rule) against one query per instant — the same rules, instants and data, in the same run —
and check that both give the same timelines.

Run: .venv/bin/python bench/bench_backtest.py [--rows N] [--rules COST-001,SEC-001,PERF-001]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from lakealerts.app.backtest import BacktestRequest, backtest
from lakealerts.app.context import AppContext
from lakealerts.app.settings import Settings
from lakealerts.app.setup import demo_data, seed
from lakealerts.backtest.result import Backtest

AS_OF = date(2026, 3, 10)
INSTANTS = 720


def timed(ctx: AppContext, request: BacktestRequest) -> tuple[Backtest, float]:
    """The backtest and its wall time (seconds)."""
    started = time.perf_counter()
    result = backtest(ctx, request)
    return result, time.perf_counter() - started


def main() -> None:
    """Generate, then time both modes over the same instants."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rules", default="COST-001,SEC-001,PERF-001")
    args = parser.parse_args()
    rules = args.rules.split(",")
    with tempfile.TemporaryDirectory() as home:
        ctx = AppContext(settings=Settings(home=Path(home)), user="bench", query_timeout=None)
        seed(ctx)
        report = demo_data(ctx, args.rows, AS_OF).report
        end = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 12, tzinfo=UTC)
        start = end - timedelta(hours=INSTANTS)
        request = BacktestRequest(rules, start, end, step="1h", max_evaluations=INSTANTS * len(rules))
        print(f"{report.total_rows:,} rows; {len(rules)} rules x {INSTANTS} hourly instants")
        vectorised, fast = timed(ctx, request)
        per_instant, slow = timed(ctx, BacktestRequest(**{**vars(request), "mode": "per_instant"}))
    assert [r.timeline for r in vectorised.rules] == [r.timeline for r in per_instant.rules], "modes differ"
    assert {r.mode for r in vectorised.rules} == {"lateral"}, [r.findings for r in vectorised.rules]
    evaluations = sum(r.summary.evaluations for r in vectorised.rules)
    print(f"vectorised (LATERAL): {fast:.2f} s ({1000 * fast / evaluations:.2f} ms per evaluation)")
    print(f"one query per instant: {slow:.2f} s ({1000 * slow / evaluations:.2f} ms per evaluation)")
    print(f"speed-up: {slow / fast:.1f}x, same timelines ({evaluations:,} evaluations)")


if __name__ == "__main__":
    main()
