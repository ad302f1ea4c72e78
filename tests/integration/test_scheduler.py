"""The scheduler component with a controllable clock over the real runtime (DuckDB store, loopback webhook)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lakealerts.app.context import AppContext
from lakealerts.app.scheduling import StoreBatchEvaluator, StoreRuleSource
from lakealerts.app.settings import Settings
from lakealerts.documents import parse_destinations
from lakealerts.runtime.scheduler import SchedulerComponent
from tests.builders import make_rule
from tests.endpoints import HttpRecorder, http_recorder

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 27, 8, 0, 30, tzinfo=UTC)


@dataclass
class StepClock:
    """Virtual time: ``sleep`` waits until the scheduler is idle, then jumps; stops the run at ``end``."""

    current: datetime
    end: datetime
    component: SchedulerComponent | None = None

    def now(self) -> datetime:
        return self.current

    async def sleep(self, seconds: float, stop: asyncio.Event) -> None:
        while self.component is not None and self.component.busy:
            await asyncio.sleep(0.005)
        self.current += timedelta(seconds=max(seconds, 0.001))
        if self.current >= self.end:
            stop.set()


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[tuple[AppContext, HttpRecorder]]:
    settings = AppContext(Settings(home=tmp_path / "home"), env={})
    with http_recorder() as http:
        _prepare(settings, http)
        yield settings, http


def _prepare(settings: AppContext, http: HttpRecorder) -> None:
    with settings.store(require_tables=False) as store:
        store.init()
        store.engine.execute("CREATE TABLE monitoring.gold.metrics (value DOUBLE)")
        store.engine.execute("INSERT INTO monitoring.gold.metrics VALUES (42)")
        destinations = parse_destinations(
            [
                {
                    "destination_id": "hook",
                    "destination_name": "Hook",
                    "owner": "o",
                    "destination_type": "WEBHOOK",
                    "config_json": {"url": http.url + "/hook"},
                }
            ]
        )
        store.upsert_destinations(destinations.valid, T0)  # fmt: skip


def upsert(settings: AppContext, **overrides: Any) -> None:
    document: dict[str, Any] = {
        "alert_query_template": "SELECT value FROM ${catalog}.${gold_schema}.metrics",
        "threshold_value_double": 10,
        "schedule_cron": "0 * * * * ?",
        "notification_channels": ["hook"],
        **overrides,
    }
    with settings.store() as store:
        store.upsert_rules([make_rule(**document)], T0)


def run_scheduler(settings: AppContext, start: datetime, minutes: float) -> list[str]:
    """Run the real component on virtual time; return the log of evaluations (alert_id@minute:state)."""
    clock = StepClock(start, start + timedelta(minutes=minutes))
    component = SchedulerComponent(StoreRuleSource(settings), StoreBatchEvaluator(settings), clock,
                                   max_parallel=1, reload_seconds=20)  # fmt: skip
    clock.component = component
    asyncio.run(component.run(asyncio.Event()))
    with settings.store() as store:
        rows = store.engine.execute(
            "SELECT alert_id, evaluated_at, state FROM monitoring.gold.alert_evaluations ORDER BY evaluated_at"
        ).rows
    return [f"{a}@{(t - T0).total_seconds() / 60:.1f}:{s}" for a, t, s in rows]


def test_retrigger_timing_on_schedule(settings: tuple[AppContext, HttpRecorder]) -> None:
    config, http = settings
    upsert(config, retrigger_seconds=150)
    log = run_scheduler(config, T0, minutes=6)
    assert log == [f"BASE-1@{m - 0.5:.1f}:TRIGGERED" for m in range(1, 7)]
    minutes = [(datetime.fromisoformat(r.body["evaluated_at"]) - T0).total_seconds() / 60 for r in http.on("/hook")]
    assert minutes == [0.5, 3.5]  # first evaluation, then the first one at least 150 s after it


def test_edit_is_picked_up_and_pause_stops_it(settings: tuple[AppContext, HttpRecorder]) -> None:
    config, _ = settings
    upsert(config)
    first = run_scheduler(config, T0, minutes=2)
    assert len(first) == 2
    upsert(config, schedule_cron="0 0/5 * * * ?")
    second = run_scheduler(config, T0 + timedelta(minutes=2), minutes=8)[2:]
    assert second == ["BASE-1@4.5:TRIGGERED", "BASE-1@9.5:TRIGGERED"]
    upsert(config, schedule_cron="0 0/5 * * * ?", pause_status="PAUSED")
    assert run_scheduler(config, T0 + timedelta(minutes=10), minutes=10)[4:] == []


def test_restart_runs_one_catch_up_for_a_missed_schedule(settings: tuple[AppContext, HttpRecorder]) -> None:
    config, http = settings
    upsert(config)
    run_scheduler(config, T0, minutes=1)
    later = T0 + timedelta(hours=3)  # the service was down for three hours: 180 fire times missed
    log = run_scheduler(config, later, minutes=0.2)
    assert log[1:] == ["BASE-1@180.0:TRIGGERED"]  # exactly one catch-up, right at start
    assert len(http.on("/hook")) == 1  # still TRIGGERED from before the restart: nobody is told twice


@dataclass
class FlakySource:
    """Loads once, then fails like a store locked by a long command."""

    rules: list[Any]
    calls: int = 0

    def load(self) -> tuple[list[Any], dict[str, datetime | None]]:
        self.calls += 1
        if self.calls > 1:
            raise RuntimeError("the DuckDB file is locked (waited 10.0 s)")
        return self.rules, {}


@dataclass
class Recorder:
    seen: list[datetime]

    def evaluate(self, alert_ids: Any, now: datetime) -> list[Any]:
        self.seen.append(now)
        return []


def test_a_failed_reload_keeps_the_schedule_running() -> None:
    source, recorder = FlakySource([make_rule(schedule_cron="0 * * * * ?")]), Recorder([])
    clock = StepClock(T0, T0 + timedelta(minutes=3))
    component = SchedulerComponent(source, recorder, clock, max_parallel=1, reload_seconds=20)
    clock.component = component
    asyncio.run(component.run(asyncio.Event()))
    assert source.calls > 3 and len(recorder.seen) == 3
