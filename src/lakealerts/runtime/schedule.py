"""Which rules are due when: the scheduler's bookkeeping, pure over rules and times (no I/O, no clock).

Next fire times come from the Quartz module in each rule's timezone (with its DST rule). A rule that fell
behind — the service was down, or busy — runs once for all the times it missed, never once per missed time.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from lakealerts import quartz
from lakealerts.model import AlertRule, PauseStatus


@dataclass(frozen=True)
class Due:
    """One scheduled evaluation: the rule and the fire time it stands for."""

    alert_id: str
    fire_time: datetime
    catch_up: bool = False


@lru_cache(maxsize=8192)
def _parsed(cron: str) -> quartz.QuartzSchedule:
    """Parsed once per expression: thousands of rules share a handful of schedules."""
    return quartz.parse(cron)


@lru_cache(maxsize=4096)
def _next_fire(cron: str, timezone: str, after: datetime) -> datetime | None:
    """Rules sharing a schedule and popped together share one computation of their next time."""
    return _parsed(cron).next_fire_time(after, timezone)


def schedule_key(rule: AlertRule) -> tuple[str, str]:
    """What decides a rule's fire times: a change of either re-plans it."""
    return rule.schedule_cron, rule.schedule_timezone


def is_scheduled(rule: AlertRule) -> bool:
    """Disabled and paused rules are skipped by the scheduler (plain ``eval`` still runs paused ones)."""
    return rule.is_enabled and rule.pause_status is PauseStatus.UNPAUSED


@dataclass
class Schedule:
    """A heap of next fire times, one live entry per scheduled rule."""

    _heap: list[tuple[datetime, int, str]] = field(default_factory=list)
    _keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    _next: dict[str, datetime] = field(default_factory=dict)
    _sequence: int = 0

    def refresh(self, rules: Iterable[AlertRule], now: datetime) -> None:
        """Take in the current rules: new or re-scheduled ones get their next time after ``now``; removed,
        paused and disabled ones leave. Unchanged rules keep their place."""
        wanted = {rule.alert_id: rule for rule in rules if is_scheduled(rule)}
        for alert_id in list(self._keys):
            if alert_id not in wanted:
                self._forget(alert_id)
        for alert_id, rule in wanted.items():
            if self._keys.get(alert_id) != schedule_key(rule):
                self._keys[alert_id] = schedule_key(rule)
                self._plan(alert_id, now)

    def catch_up(self, last_evaluated: Mapping[str, datetime | None], now: datetime) -> list[Due]:
        """Rules whose schedule fired while nobody evaluated them: one run each, now. Rules never
        evaluated have nothing to catch up."""
        due = []
        for alert_id, (cron, timezone) in self._keys.items():
            last = last_evaluated.get(alert_id)
            if last is None:
                continue
            missed = _parsed(cron).next_fire_time(last, timezone)
            if missed is not None and missed <= now:
                due.append(Due(alert_id, missed, catch_up=True))
        return sorted(due, key=lambda d: (d.fire_time, d.alert_id))

    def pop_due(self, now: datetime) -> list[Due]:
        """Every rule due at or before ``now``, each once; their next times are planned after ``now``."""
        due: list[Due] = []
        while self._heap and self._heap[0][0] <= now:
            fire_time, _, alert_id = heapq.heappop(self._heap)
            if self._next.get(alert_id) != fire_time:
                continue  # a stale entry: the rule was re-planned or removed
            due.append(Due(alert_id, fire_time))
            self._plan(alert_id, max(now, fire_time))
        return due

    def next_wake(self) -> datetime | None:
        """The earliest fire time planned, if any."""
        while self._heap and self._next.get(self._heap[0][2]) != self._heap[0][0]:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def next_time(self, alert_id: str) -> datetime | None:
        """The rule's next planned fire time."""
        return self._next.get(alert_id)

    def _plan(self, alert_id: str, after: datetime) -> None:
        cron, timezone = self._keys[alert_id]
        fire_time = _next_fire(cron, timezone, after)
        if fire_time is None:
            self._next.pop(alert_id, None)
            return
        self._next[alert_id] = fire_time
        self._sequence += 1
        heapq.heappush(self._heap, (fire_time, self._sequence, alert_id))

    def _forget(self, alert_id: str) -> None:
        self._keys.pop(alert_id, None)
        self._next.pop(alert_id, None)
