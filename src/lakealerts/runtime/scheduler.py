"""The scheduler component of ``serve``: evaluates rules on their Quartz schedules through the runtime.

It reloads the rules every few seconds (edits apply without a restart), runs each batch of rules due at the
same time as one evaluation round in a worker thread, bounds the rounds in flight so that many due rules
queue instead of stampeding, runs one catch-up round for schedules missed while it was down, and on stop
lets in-flight rounds finish. Time comes from a clock port, so tests drive it with a controllable clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from lakealerts.model import AlertRule
from lakealerts.runtime.ports import RuleRun
from lakealerts.runtime.schedule import Due, Schedule

log = logging.getLogger("lakealerts.scheduler")
BATCH_SIZE = 200


class Clock(Protocol):
    """Where the scheduler gets the time and waits."""

    def now(self) -> datetime: ...

    async def sleep(self, seconds: float, stop: asyncio.Event) -> None:
        """Wait ``seconds`` or until ``stop`` is set, whichever comes first."""
        ...


@dataclass(frozen=True)
class SystemClock:
    """Real time: ``read`` is the process's clock (the composition root's), waits are real waits."""

    read: Callable[[], datetime]

    def now(self) -> datetime:
        """The current instant."""
        return self.read()

    async def sleep(self, seconds: float, stop: asyncio.Event) -> None:
        """Wait, returning early on stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=max(0.0, seconds))


class RuleSource(Protocol):
    """The rules to schedule and when each was last evaluated (for catch-up)."""

    def load(self) -> tuple[Sequence[AlertRule], Mapping[str, datetime | None]]: ...


class BatchEvaluator(Protocol):
    """Runs one evaluation round for some rules (blocking; called in a worker thread)."""

    def evaluate(self, alert_ids: Sequence[str], now: datetime) -> list[RuleRun]: ...


@dataclass
class SchedulerComponent:
    """Drives the runtime from the schedule until ``stop`` is set (a ``serve`` component)."""

    source: RuleSource
    evaluator: BatchEvaluator
    clock: Clock
    max_parallel: int = 2
    reload_seconds: float = 5.0
    send_owed: Callable[[datetime], object] | None = None  # sends the messages owed since before a restart

    def __post_init__(self) -> None:
        self._in_flight: set[asyncio.Task[None]] = set()

    @property
    def busy(self) -> bool:
        """Whether evaluation rounds are queued or running (a test clock waits for this before advancing)."""
        return bool(self._in_flight)

    async def run(self, stop: asyncio.Event) -> None:
        """Schedule, evaluate, reload; on stop, let the rounds in flight finish."""
        schedule, slots = Schedule(), asyncio.Semaphore(max(1, self.max_parallel))
        in_flight = self._in_flight
        rules, last = await self._load(())
        now = self.clock.now()
        schedule.refresh(rules, now)
        log.info(
            "scheduler: %d of %d rules scheduled", sum(1 for r in rules if schedule.next_time(r.alert_id)), len(rules)
        )
        self._submit(schedule.catch_up(last, now), slots, in_flight)
        if self.send_owed is not None:
            self._track(asyncio.create_task(self._owed(self.send_owed, now, slots)), in_flight)
        next_reload = now + timedelta(seconds=self.reload_seconds)
        while not stop.is_set():
            now = self.clock.now()
            if now >= next_reload:
                rules, _ = await self._load(rules)
                schedule.refresh(rules, now)
                next_reload = now + timedelta(seconds=self.reload_seconds)
            self._submit(schedule.pop_due(now), slots, in_flight)
            wake = min(t for t in (schedule.next_wake(), next_reload) if t is not None)
            await self.clock.sleep((wake - self.clock.now()).total_seconds(), stop)
        if in_flight:
            log.info("scheduler: stopping after %d evaluation rounds in flight", len(in_flight))
            await asyncio.gather(*in_flight, return_exceptions=True)

    async def _load(self, previous: Sequence[AlertRule]) -> tuple[Sequence[AlertRule], Mapping[str, datetime | None]]:
        """The rules now; when the store cannot be read (locked by a long command, say), the previous ones.
        The service must outlive any one failed read."""
        try:
            return await asyncio.to_thread(self.source.load)
        except Exception as error:
            log.warning("scheduler: cannot reload the rules, keeping the %d known ones: %s", len(previous), error)
            return previous, {}

    async def _owed(self, send: Callable[[datetime], object], now: datetime, slots: asyncio.Semaphore) -> None:
        """At start: send the messages still owed (PENDING after a crash, FAILED after their back-off); every
        evaluation round does so too (DESIGN §10.1)."""
        async with slots:
            try:
                await asyncio.to_thread(send, now)
            except Exception:
                log.exception("scheduler: sending the owed messages failed")

    def _track(self, task: asyncio.Task[None], in_flight: set[asyncio.Task[None]]) -> None:
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)

    def _submit(self, due: list[Due], slots: asyncio.Semaphore, in_flight: set[asyncio.Task[None]]) -> None:
        """Rules due at the same time form rounds of at most BATCH_SIZE rules; rounds wait for a slot."""
        by_time: dict[datetime, list[Due]] = {}
        for item in due:
            by_time.setdefault(item.fire_time, []).append(item)
        for fire_time, items in sorted(by_time.items()):
            for start in range(0, len(items), BATCH_SIZE):
                batch = items[start : start + BATCH_SIZE]
                self._track(asyncio.create_task(self._round(batch, fire_time, slots)), in_flight)

    async def _round(self, batch: list[Due], fire_time: datetime, slots: asyncio.Semaphore) -> None:
        async with slots:
            started = self.clock.now()
            ids = [item.alert_id for item in batch]
            try:
                runs = await asyncio.to_thread(self.evaluator.evaluate, ids, started)
            except Exception:  # a failed round is logged; the schedule goes on
                log.exception("scheduler: evaluation round for %s failed", ", ".join(ids))
                return
        lag = (started - fire_time).total_seconds()
        kind = "catch-up " if any(item.catch_up for item in batch) else ""
        for run in runs:
            log.info("%sevaluated %s: %s value=%s lag=%.3fs%s", kind, run.alert_id, run.state, run.value, lag,
                     _details(run))  # fmt: skip


def _details(run: RuleRun) -> str:
    sent = ", ".join(f"{d.channel}:{d.status}" for d in run.deliveries)
    error = f" error={run.error.splitlines()[0]}" if run.error else ""
    return error + (f" notified {sent}" if sent else "")
