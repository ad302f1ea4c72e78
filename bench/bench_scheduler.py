"""Benchmark: schedule 10,000 rules due every minute with a no-cost engine; print p50/p99 lag between due time
and start, beside a bare loop over the same due times as the baseline (same run, same clock).

Run: .venv/bin/python bench/bench_scheduler.py [--rules N] [--minutes M]

The clock is virtual for waiting (a sleep jumps ahead instantly) but real for work: every microsecond the
scheduler spends shows up as lag, so the numbers measure the scheduler, not the wall clock's minute.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from lakealerts.documents import parse_rules
from lakealerts.model import AlertRule
from lakealerts.runtime.ports import RuleRun
from lakealerts.runtime.scheduler import SchedulerComponent

START = datetime(2026, 11, 27, 8, 0, 30, tzinfo=UTC)


@dataclass
class VirtualClock:
    """Sleeping jumps ahead; computing takes real time."""

    base: datetime
    end: datetime
    real_base: float = field(default_factory=time.perf_counter)

    def now(self) -> datetime:
        return self.base + timedelta(seconds=time.perf_counter() - self.real_base)

    async def sleep(self, seconds: float, stop: asyncio.Event) -> None:
        self.base, self.real_base = self.now() + timedelta(seconds=max(0.0, seconds)), time.perf_counter()
        if self.now() >= self.end:
            stop.set()
        await asyncio.sleep(0)


@dataclass
class Rules:
    """A no-I/O rule source."""

    rules: list[AlertRule]

    def load(self) -> tuple[Sequence[AlertRule], Mapping[str, datetime | None]]:
        return self.rules, {}


@dataclass
class NoCostEngine:
    """Evaluates nothing; records each rule's lag behind its minute."""

    clock: VirtualClock
    lags: list[float] = field(default_factory=list)

    def evaluate(self, alert_ids: Sequence[str], now: datetime) -> list[RuleRun]:
        for _ in alert_ids:
            started = self.clock.now()
            self.lags.append((started - started.replace(second=0, microsecond=0)).total_seconds())
        return []


def rules(count: int) -> list[AlertRule]:
    """``count`` valid rules, all due every minute."""
    documents = [
        {"alert_id": f"R{i:05d}", "alert_name": f"R{i}", "agent_domain": "COST", "severity": "INFO",
         "alert_query_template": "SELECT 1 AS x", "threshold_column": "x", "threshold_operator": ">",
         "threshold_value_type": "DOUBLE", "threshold_value_double": 0, "schedule_cron": "0 * * * * ?",
         "owner": "o@example.com"}
        for i in range(count)
    ]  # fmt: skip
    return parse_rules(documents).valid


def scheduler_lags(all_rules: list[AlertRule], minutes: int) -> list[float]:
    """Lags measured through the real SchedulerComponent."""
    clock = VirtualClock(START, START + timedelta(minutes=minutes, seconds=20))
    engine = NoCostEngine(clock)
    component = SchedulerComponent(Rules(all_rules), engine, clock, max_parallel=2, reload_seconds=3600)
    asyncio.run(component.run(asyncio.Event()))
    return engine.lags


def baseline_lags(count: int, minutes: int) -> list[float]:
    """A bare loop over the same due times: jump to each minute, then 'start' every rule in turn."""
    clock = VirtualClock(START, START + timedelta(minutes=minutes, seconds=20))
    engine = NoCostEngine(clock)
    ids = [f"R{i:05d}" for i in range(count)]
    for minute in range(1, minutes + 1):
        due = START.replace(second=0) + timedelta(minutes=minute)
        clock.base, clock.real_base = due, time.perf_counter()
        engine.evaluate(ids, due)
    return engine.lags


def percentiles(values: list[float]) -> tuple[float, float]:
    """p50 and p99 (nearest rank) in milliseconds."""
    ordered = sorted(values)
    p99 = ordered[max(0, int(len(ordered) * 0.99 + 0.5) - 1)]
    return statistics.median(ordered) * 1000, p99 * 1000


def main() -> None:
    """Run both and print the lags side by side."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rules", type=int, default=10_000)
    parser.add_argument("--minutes", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("lakealerts").setLevel(logging.WARNING)
    all_rules = rules(args.rules)
    ours = scheduler_lags(all_rules, args.minutes)
    base = baseline_lags(args.rules, args.minutes)
    assert len(ours) == len(base) == args.rules * args.minutes, (len(ours), len(base))
    (o50, o99), (b50, b99) = percentiles(ours), percentiles(base)
    print(f"{args.rules} rules due every minute, {args.minutes} minutes, {len(ours)} evaluations each")
    print(f"bare loop over the due times (baseline): p50 {b50:8.2f} ms   p99 {b99:8.2f} ms")
    print(f"scheduler (SchedulerComponent):          p50 {o50:8.2f} ms   p99 {o99:8.2f} ms")
    print(f"ratio scheduler / baseline:              p50 {o50 / b50:8.1f}x   p99 {o99 / b99:8.1f}x")


if __name__ == "__main__":
    main()
