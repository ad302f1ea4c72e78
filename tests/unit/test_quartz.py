"""Quartz cron parsing, description and next fire times, driven by ``tests/fixtures/quartz_cases.yaml``."""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import yaml

from lakealerts.errors import QuartzError
from lakealerts.quartz import QuartzSchedule, parse, validate_timezone

pytestmark = pytest.mark.unit

_CASES: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parents[1] / "fixtures" / "quartz_cases.yaml").read_text(encoding="utf-8")
)


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [str(case.get("id", case.get("expression"))) for case in cases]


@pytest.mark.parametrize("case", _CASES["fire_times"], ids=_ids(_CASES["fire_times"]))
def test_next_fire_times_match_the_truth_table(case: dict[str, Any]) -> None:
    schedule = parse(case["expression"])
    after = datetime.fromisoformat(case["after"])

    fires = schedule.next_fire_times(after, case["timezone"], count=case.get("count", 5))

    assert [fire.isoformat() for fire in fires] == case["expected"]
    assert all(str(fire.tzinfo) == case["timezone"] for fire in fires)


@pytest.mark.parametrize("case", _CASES["fire_times"], ids=_ids(_CASES["fire_times"]))
def test_next_fire_time_is_the_first_of_next_fire_times(case: dict[str, Any]) -> None:
    after = datetime.fromisoformat(case["after"])

    fire = parse(case["expression"]).next_fire_time(after, case["timezone"])

    expected = case["expected"][0] if case["expected"] else None
    assert (fire.isoformat() if fire else None) == expected


@pytest.mark.parametrize("case", _CASES["invalid"], ids=_ids(_CASES["invalid"]))
def test_invalid_expressions_name_the_field_and_a_fix(case: dict[str, Any]) -> None:
    with pytest.raises(QuartzError) as caught:
        parse(case["expression"])

    error = caught.value
    assert error.field == case["field"]
    assert error.hint
    if case["field"] != "expression":
        assert case["field"].replace("_", "-") in error.message


def test_construction_validates_like_parse() -> None:
    with pytest.raises(QuartzError):
        QuartzSchedule("0 0 24 * * ?")
    assert parse("0 0 8 ? * mon") == QuartzSchedule("0 0 8 ? * mon")
    assert parse(" 0 0 8 ? * mon ").expression == " 0 0 8 ? * mon "


def test_quartz_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="hour"):
        parse("0 0 24 * * ?")


def test_unix_style_day_fields_get_the_documented_hint() -> None:
    with pytest.raises(QuartzError) as caught:
        parse("0 0 8 * * 1")

    hint = caught.value.hint or ""
    assert "set exactly one of day-of-month and day-of-week to '?', e.g. '0 0 8 ? * MON' or '0 0 8 * * ?'" in hint
    assert "1=SUN..7=SAT" in hint


@pytest.mark.parametrize(
    ("expression", "fragments"),
    [
        ("0 0 24 * * ?", ["hour", "24", "0-23"]),
        ("60 0 8 * * ?", ["second", "60", "0-59"]),
        ("0 0 8 32 * ?", ["day-of-month", "32", "1-31"]),
        ("0 0 8 ? 13 *", ["month", "13", "1-12", "JAN-DEC"]),
        ("0 0 8 ? * 8", ["day-of-week", "8", "1=SUN..7=SAT"]),
        ("0 0 8 ? * 2#6", ["day-of-week", "6", "1-5"]),
        ("0 0 8 ? * FOO", ["day-of-week", "FOO", "SUN-SAT"]),
        ("0 0 8 * * ? 2100", ["year", "2100", "1970-2099"]),
        ("0 8 * * 1", ["6 or 7 fields", "got 5"]),
        ("abc 0 8 * * ?", ["second", "'abc'", "0-59"]),
        ("0 0 8 ? jan-13 *", ["month", "'13' in 'jan-13'"]),
    ],
)
def test_messages_name_the_field_the_token_and_the_range(expression: str, fragments: list[str]) -> None:
    with pytest.raises(QuartzError) as caught:
        parse(expression)

    text = f"{caught.value.message} {caught.value.hint}"
    for fragment in fragments:
        assert fragment in text


def test_day_of_week_hints_mention_quartz_numbering() -> None:
    for expression in ("0 0 8 ? * 2#6", "0 0 8 ? * 2-6L", "0 0 8 ? * ?"):
        with pytest.raises(QuartzError) as caught:
            parse(expression)
        assert "1=SUN..7=SAT" in (caught.value.hint or "") + caught.value.message


@pytest.mark.parametrize("name", _CASES["timezones"]["valid"])
def test_valid_timezones_are_returned(name: str) -> None:
    assert validate_timezone(name) == name


@pytest.mark.parametrize("name", _CASES["timezones"]["invalid"])
def test_invalid_timezones_are_rejected(name: str) -> None:
    with pytest.raises(QuartzError) as caught:
        validate_timezone(name)

    assert caught.value.field == "schedule_timezone"
    assert caught.value.hint == "use an IANA name such as 'UTC' or 'America/Los_Angeles'"


def test_next_fire_times_rejects_a_bad_timezone() -> None:
    with pytest.raises(QuartzError) as caught:
        parse("0 0 8 * * ?").next_fire_times(datetime(2026, 1, 1, tzinfo=UTC), "Mars/Olympus")

    assert caught.value.field == "schedule_timezone"
    assert "Mars/Olympus" in caught.value.message


def test_next_fire_times_needs_an_aware_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse("0 0 8 * * ?").next_fire_times(datetime(2026, 1, 1), "UTC")


def test_non_positive_count_and_far_future_give_nothing() -> None:
    schedule = parse("0 0 8 * * ?")

    assert schedule.next_fire_times(datetime(2026, 1, 1, tzinfo=UTC), "UTC", count=0) == []
    assert schedule.next_fire_times(datetime(2100, 1, 1, tzinfo=UTC), "UTC") == []
    assert schedule.next_fire_time(datetime(2099, 12, 31, 9, tzinfo=UTC), "UTC") is None


def test_a_time_before_1970_starts_at_the_first_quartz_year() -> None:
    fire = parse("0 0 8 * * ?").next_fire_time(datetime(1960, 6, 1, tzinfo=UTC), "UTC")

    assert fire == datetime(1970, 1, 1, 8, tzinfo=UTC)


def test_sparse_schedules_stay_fast() -> None:
    # The algorithm walks months, not seconds: a rare or impossible day must not scan millions of times.
    started = time.perf_counter()
    leap = parse("0 0 0 29 2 ? *").next_fire_times(datetime(2026, 1, 1, tzinfo=UTC), "UTC", count=5)
    never = parse("0 0 0 31 4 ?").next_fire_times(datetime(1970, 1, 1, tzinfo=UTC), "UTC")
    fifth = parse("0 0 0 ? 2 6#5 2090-2099").next_fire_times(datetime(2026, 1, 1, tzinfo=UTC), "UTC")

    assert [fire.year for fire in leap] == [2028, 2032, 2036, 2040, 2044]
    assert never == []
    assert [fire.date().isoformat() for fire in fifth] == ["2092-02-29"]  # the only 5-Friday February
    assert time.perf_counter() - started < 2.0


@pytest.mark.parametrize("case", _CASES["descriptions"], ids=_ids(_CASES["descriptions"]))
def test_descriptions(case: dict[str, str]) -> None:
    assert parse(case["expression"]).describe() == case["text"]


def test_description_falls_back_to_own_words_when_the_library_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(expression: str, options: object) -> str:
        raise ValueError(expression)

    monkeypatch.setattr("lakealerts.quartz_description.get_description", broken)

    assert parse("0 0 8 15W * ?").describe() == "At 08:00 AM, on the weekday nearest day 15 of the month"
    assert parse("0 0 9 ? * 2#1").describe() == "At 09:00 AM, on the first Monday of the month"
    assert parse("0 0 9 L-2 jan ?").describe() == "At 09:00 AM, 2 days before the last day of the month, in month JAN"


def test_every_valid_fixture_expression_has_a_description() -> None:
    for case in _CASES["fire_times"]:
        text = parse(case["expression"]).describe()
        assert text
        assert text[0].isupper()


# --- properties checked with an independent matcher -------------------------------------------------------


def _last_day(moment: datetime) -> int:
    return calendar.monthrange(moment.year, moment.month)[1]


def _quartz_dow(moment: datetime) -> int:
    return moment.isoweekday() % 7 + 1  # 1=SUN .. 7=SAT


_MATCHERS: dict[str, Callable[[datetime], bool]] = {
    "0 15,45 8-17 ? * MON-FRI": lambda t: (
        t.second == 0 and t.minute in (15, 45) and 8 <= t.hour <= 17 and 2 <= _quartz_dow(t) <= 6
    ),
    "*/20 */7 * * * ?": lambda t: t.second % 20 == 0 and t.minute % 7 == 0,
    "0 0 12 ? 1/3 2#2": lambda t: (
        (t.second, t.minute, t.hour) == (0, 0, 12)
        and t.month in (1, 4, 7, 10)
        and _quartz_dow(t) == 2
        and 8 <= t.day <= 14
    ),
    "30 59 23 L * ?": lambda t: (t.second, t.minute, t.hour) == (30, 59, 23) and t.day == _last_day(t),
    "0 0 22-2 * * ?": lambda t: (t.second, t.minute) == (0, 0) and t.hour in (22, 23, 0, 1, 2),
    "0 0 9 ? * 6L": lambda t: (
        (t.second, t.minute, t.hour) == (0, 0, 9) and _quartz_dow(t) == 6 and t.day + 7 > _last_day(t)
    ),
}


@pytest.mark.parametrize("expression", sorted(_MATCHERS))
@pytest.mark.parametrize("timezone", ["UTC", "Asia/Kolkata"])  # no DST, so every fire matches its fields
@pytest.mark.parametrize("after", ["2026-01-01T00:00:00+00:00", "2027-02-27T23:59:59.5+05:30"])
def test_fire_times_are_after_ascending_and_match_the_fields(expression: str, timezone: str, after: str) -> None:
    start = datetime.fromisoformat(after)

    fires = parse(expression).next_fire_times(start, timezone, count=20)

    assert len(fires) == 20
    assert fires[0] > start
    assert all(earlier < later for earlier, later in pairwise(fires))
    assert all(_MATCHERS[expression](fire) for fire in fires)
    # Asking again from any fire gives the next one: the sequence does not depend on where it started.
    schedule = parse(expression)
    assert all(schedule.next_fire_time(fire, timezone) == nxt for fire, nxt in pairwise(fires))
    assert schedule.next_fire_time(fires[1] - timedelta(seconds=1), timezone) == fires[1]
