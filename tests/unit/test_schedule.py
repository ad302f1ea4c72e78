"""The scheduler's bookkeeping on values: cron edge cases, DST, pause, edits, removal, catch-up, lag."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from lakealerts.runtime.schedule import Schedule
from tests.builders import make_rule

pytestmark = pytest.mark.unit
T0 = datetime(2026, 11, 27, 8, 0, 0, tzinfo=UTC)


def rule(alert_id: str = "R", cron: str = "0 * * * * ?", tz: str = "UTC", **extra: Any) -> Any:
    return make_rule(alert_id=alert_id, alert_name=alert_id, schedule_cron=cron, schedule_timezone=tz, **extra)


def fire_times(schedule: Schedule, start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """Walk a clock from ``start`` to ``end`` and collect what becomes due."""
    seen, now = [], start
    while now < end:
        seen += [due.fire_time for due in schedule.pop_due(now)]
        now += step
    return seen + [due.fire_time for due in schedule.pop_due(end)]


def test_every_minute_fires_once_per_minute() -> None:
    schedule = Schedule()
    schedule.refresh([rule()], T0)
    times = fire_times(schedule, T0, T0 + timedelta(minutes=3), timedelta(seconds=7))
    assert times == [T0 + timedelta(minutes=m) for m in (1, 2, 3)]


def test_last_day_of_month_and_seconds_field() -> None:
    schedule = Schedule()
    schedule.refresh([rule("L", "30 0 9 L * ?"), rule("S", "*/15 * * * * ?")], datetime(2026, 2, 27, tzinfo=UTC))
    assert schedule.next_time("L") == datetime(2026, 2, 28, 9, 0, 30, tzinfo=UTC)
    assert schedule.next_time("S") == datetime(2026, 2, 27, 0, 0, 15, tzinfo=UTC)


def test_dst_gap_fires_once_after_the_gap() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 3, 28, 12, 0, tzinfo=berlin)
    schedule = Schedule()
    schedule.refresh([rule("GAP", "0 30 2 * * ?", "Europe/Berlin")], start)
    times = fire_times(schedule, start, start + timedelta(days=2), timedelta(minutes=5))
    assert [t.astimezone(berlin).strftime("%d %H:%M") for t in times] == ["29 03:00", "30 02:30"]


def test_dst_repeat_fires_once_at_the_first_occurrence() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 10, 24, 12, 0, tzinfo=berlin)
    schedule = Schedule()
    schedule.refresh([rule("REPEAT", "0 30 2 * * ?", "Europe/Berlin")], start)
    times = fire_times(schedule, start, start + timedelta(days=1, hours=14), timedelta(minutes=5))
    assert [t.astimezone(UTC).strftime("%d %H:%M") for t in times] == ["25 00:30"]  # 02:30 CEST, not CET


def test_paused_and_disabled_rules_are_not_scheduled() -> None:
    schedule = Schedule()
    schedule.refresh([rule("P", pause_status="PAUSED"), rule("D", is_enabled=False), rule("ON")], T0)
    assert [d.alert_id for d in schedule.pop_due(T0 + timedelta(minutes=1))] == ["ON"]


def test_edits_replan_unchanged_keep_place_and_removed_leave() -> None:
    schedule = Schedule()
    schedule.refresh([rule("A"), rule("B")], T0)
    schedule.refresh([rule("A", "0 0 * * * ?", owner="x@example.com")], T0 + timedelta(seconds=30))
    assert schedule.next_time("A") == T0 + timedelta(hours=1)
    assert schedule.next_time("B") is None  # removed
    schedule.refresh([rule("A", "0 0 * * * ?"), rule("B")], T0 + timedelta(seconds=40))
    assert schedule.next_time("B") == T0 + timedelta(minutes=1)
    assert [d.alert_id for d in schedule.pop_due(T0 + timedelta(minutes=1))] == ["B"]


def test_restart_catches_up_once_never_more() -> None:
    schedule = Schedule()
    now = T0 + timedelta(seconds=30)
    schedule.refresh([rule("MISSED"), rule("FRESH"), rule("NEW")], now)
    last = {"MISSED": T0 - timedelta(minutes=30), "FRESH": T0 + timedelta(seconds=1), "NEW": None}
    catch_up = schedule.catch_up(last, now)
    assert [(d.alert_id, d.fire_time, d.catch_up) for d in catch_up] == [("MISSED", T0 - timedelta(minutes=29), True)]


def test_a_late_clock_gets_one_due_not_one_per_missed_time() -> None:
    schedule = Schedule()
    schedule.refresh([rule()], T0)
    late = T0 + timedelta(minutes=10, seconds=5)
    assert [d.fire_time for d in schedule.pop_due(late)] == [T0 + timedelta(minutes=1)]
    assert schedule.next_time("R") == T0 + timedelta(minutes=11)
    assert schedule.next_wake() == T0 + timedelta(minutes=11)


def test_schedule_that_ends_leaves() -> None:
    schedule = Schedule()
    schedule.refresh([rule("Y", "0 0 0 1 1 ? 2027")], T0)
    assert [d.fire_time.year for d in schedule.pop_due(datetime(2027, 1, 2, tzinfo=UTC))] == [2027]
    assert schedule.next_time("Y") is None and schedule.next_wake() is None
