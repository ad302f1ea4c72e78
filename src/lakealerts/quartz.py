"""Quartz cron expressions: parse, describe in words, and compute next fire times.

An alert's schedule is a Quartz cron expression (``sec min hour dom month dow [year]``), the dialect that
Databricks uses. This module is pure: it reads no clock and does no I/O beyond the time-zone database.

Daylight-saving rules: a local time that does not exist (spring-forward gap) fires once, at the first
instant after the gap; an ambiguous local time (fall-back repeat) fires once, at its first occurrence.
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_left
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lakealerts.errors import QuartzError
from lakealerts.quartz_description import describe_tokens

__all__ = ["QuartzSchedule", "parse", "validate_timezone"]

_DOW_NAMES = {name: index + 1 for index, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
_MONTH_NAMES = {name.upper(): index for index, name in enumerate(calendar.month_abbr) if name}
_DOW_NOTE = "day-of-week is 1=SUN..7=SAT, or SUN-SAT"
_TIMEZONE_HINT = "use an IANA name such as 'UTC' or 'America/Los_Angeles'"
_LAST_YEAR = 2099
_EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class _Spec:
    """What one cron field accepts."""

    name: str
    low: int
    high: int
    max_step: int
    names: Mapping[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.name.replace("_", "-")

    @property
    def allowed(self) -> str:
        if self.name == "day_of_week":
            return "1-7 (1=SUN..7=SAT) or SUN-SAT"
        if self.names:
            return f"{self.low}-{self.high} or JAN-DEC"
        return f"{self.low}-{self.high}"

    def error(self, message: str, hint: str | None = None) -> QuartzError:
        default = f"use values in {self.allowed}, e.g. '*', 'a', 'a-b', 'a,b', '*/n' or 'a/n'"
        return QuartzError(f"{self.label} field: {message}", hint=hint or default, field=self.name)


# Quartz caps steps at 59/23/31/12/7; years have no Quartz cap, so any step inside the range is fine.
_SECOND = _Spec("second", 0, 59, 59)
_MINUTE = _Spec("minute", 0, 59, 59)
_HOUR = _Spec("hour", 0, 23, 23)
_DOM = _Spec("day_of_month", 1, 31, 31)
_MONTH = _Spec("month", 1, 12, 12, _MONTH_NAMES)
_DOW = _Spec("day_of_week", 1, 7, 7, _DOW_NAMES)
_YEAR = _Spec("year", 1970, _LAST_YEAR, _LAST_YEAR - 1970)


@dataclass(frozen=True)
class _DayRule:
    """Which days of a month fire; ``kind`` picks the rule and the other fields parameterise it."""

    kind: str  # "dom", "last", "nearest", "dow", "last_dow" or "nth_dow"
    values: frozenset[int] = frozenset()
    offset: int = 0  # L-n: days before the last day of the month
    weekday: bool = False  # LW / L-nW: move to the nearest weekday
    nth: int = 0  # d#k: which occurrence

    def days(self, year: int, month: int) -> list[int]:
        """The sorted days of ``year``-``month`` on which this rule fires."""
        last = calendar.monthrange(year, month)[1]
        if self.kind == "dom":
            return sorted(day for day in self.values if day <= last)
        if self.kind in ("last", "nearest"):
            day = last - self.offset if self.kind == "last" else min(self.values)
            if not 1 <= day <= last:  # L-30 in February or 31W in April: no fire that month
                return []
            return [_nearest_weekday(year, month, day, last) if self.weekday else day]
        weekdays = [day for day in range(1, last + 1) if _quartz_dow(date(year, month, day)) in self.values]
        if self.kind == "dow":
            return weekdays
        if self.kind == "last_dow":
            return weekdays[-1:]
        return weekdays[self.nth - 1 : self.nth]  # empty when the month has no k-th such day


@dataclass(frozen=True)
class _Plan:
    """A parsed expression: sorted value tuples per field plus the day rule."""

    tokens: tuple[str, ...]
    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: tuple[int, ...]
    years: tuple[int, ...]
    days: _DayRule


@dataclass(frozen=True)
class QuartzSchedule:
    """A validated Quartz cron schedule; build it with :func:`parse` (construction validates too)."""

    expression: str
    _plan: _Plan = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_plan", _compile(self.expression))

    def describe(self) -> str:
        """The schedule in words, e.g. ``At 08:00 AM, Monday through Friday``."""
        return describe_tokens(self._plan.tokens)

    def next_fire_times(self, after: datetime, timezone: str, count: int = 5) -> list[datetime]:
        """Up to ``count`` fire times strictly after ``after`` (aware, any zone), ascending, in ``timezone``.

        Fewer are returned when the schedule ends (year field, or year 2099 at the latest).
        """
        zone = ZoneInfo(validate_timezone(timezone))
        if after.tzinfo is None or after.utcoffset() is None:
            raise ValueError("after must be a timezone-aware datetime")
        after_utc = after.astimezone(UTC)
        # A wall time at or before after's own wall time maps to an instant <= after: start just past it.
        wall = after_utc.astimezone(zone).replace(tzinfo=None, microsecond=0)
        if count <= 0 or wall.year > _LAST_YEAR:
            return []
        fires: list[datetime] = []
        for local in _local_candidates(self._plan, max(wall + timedelta(seconds=1), _EPOCH)):
            instant = _resolve_local(local, zone)
            # Skips repeats from the fall-back hour and collapses times in one spring-forward gap.
            if instant <= after_utc or (fires and instant <= fires[-1]):
                continue
            fires.append(instant)
            if len(fires) == count:
                break
        return [fire.astimezone(zone) for fire in fires]

    def next_fire_time(self, after: datetime, timezone: str) -> datetime | None:
        """The first fire time strictly after ``after`` in ``timezone``, or None if the schedule has ended."""
        fires = self.next_fire_times(after, timezone, count=1)
        return fires[0] if fires else None


@lru_cache(maxsize=4096)
def parse(expression: str) -> QuartzSchedule:
    """Parse a Quartz cron expression; raises :class:`QuartzError` naming the field at fault.

    Cached: every rule load validates its schedule, and a schedule is immutable once parsed."""
    return QuartzSchedule(expression)


def validate_timezone(name: str) -> str:
    """Return ``name`` if it is a known IANA time zone, else raise :class:`QuartzError`."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory such as "America"
        raise QuartzError(f"unknown time zone '{name}'", hint=_TIMEZONE_HINT, field="schedule_timezone") from None
    return name


# --- parsing -------------------------------------------------------------------------------------------


def _compile(expression: str) -> _Plan:
    tokens = tuple(expression.split())
    if len(tokens) not in (6, 7):
        raise QuartzError(
            f"expected 6 or 7 fields (second minute hour day-of-month month day-of-week [year]), "
            f"got {len(tokens)} in '{expression}'",
            hint="Quartz cron starts with seconds, e.g. '0 0 8 ? * MON-FRI'; for a 5-field Unix cron, "
            "prepend '0 ' and set one of day-of-month and day-of-week to '?'",
            field="expression",
        )
    second, minute, hour, _, month, _ = tokens[:6]
    return _Plan(
        tokens=tuple(token.upper() for token in tokens),  # Quartz is case-insensitive
        seconds=_sorted_values(_SECOND, second),
        minutes=_sorted_values(_MINUTE, minute),
        hours=_sorted_values(_HOUR, hour),
        months=_sorted_values(_MONTH, month),
        years=_sorted_values(_YEAR, tokens[6] if len(tokens) == 7 else "*"),
        days=_parse_day_rule(tokens),
    )


def _parse_day_rule(tokens: tuple[str, ...]) -> _DayRule:
    dom, dow = tokens[3], tokens[5]
    if (dom == "?") == (dow == "?"):
        second, minute, hour, _, month, _ = tokens[:6]
        problem = "both are '?'" if dom == "?" else f"neither is '?' (got '{dom}' and '{dow}')"
        raise QuartzError(
            f"day-of-month and day-of-week: exactly one must be '?', but {problem}",
            hint=f"set exactly one of day-of-month and day-of-week to '?', e.g. "
            f"'{second} {minute} {hour} ? {month} MON' or "
            f"'{second} {minute} {hour} {'*' if dom == '?' else dom} {month} ?' ({_DOW_NOTE})",
            field="day_of_week",
        )
    return _parse_dom(dom) if dow == "?" else _parse_dow(dow)


def _parse_dom(text: str) -> _DayRule:
    upper = text.upper()
    last = re.fullmatch(r"L(?:-([0-9]+))?(W?)", upper)
    if last:
        offset = int(last[1] or 0)
        if offset > 30:
            raise _DOM.error(f"offset {offset} in '{text}' is too large", hint="use 'L-n' with n from 0 to 30")
        return _DayRule("last", offset=offset, weekday=bool(last[2]))
    nearest = re.fullmatch(r"([0-9]+)W", upper)
    if nearest:
        return _DayRule("nearest", values=frozenset({_value(_DOM, nearest[1], text)}), weekday=True)
    if "L" in upper or "W" in upper:
        raise _DOM.error(
            f"'{text}' is not a valid use of L or W",
            hint="use one of 'L', 'L-n' (n 0-30), 'LW', 'L-nW' or 'nW' (n 1-31), alone (not in a list)",
        )
    return _DayRule("dom", values=_values(_DOM, text))


def _parse_dow(text: str) -> _DayRule:
    upper = text.upper()
    if upper == "L":  # 'L' alone in day-of-week means Saturday, as in Quartz
        return _DayRule("dow", values=frozenset({7}))
    last = re.fullmatch(r"([0-9]+|[A-Z]{3})L", upper)
    if last:
        return _DayRule("last_dow", values=frozenset({_value(_DOW, last[1], text)}))
    nth = re.fullmatch(r"([0-9]+|[A-Z]{3})#([0-9]+)", upper)
    if nth:
        day, k = _value(_DOW, nth[1], text), int(nth[2])
        if not 1 <= k <= 5:
            raise _DOW.error(
                f"occurrence {k} in '{text}' is out of range 1-5",
                hint=f"use 'd#k' with k from 1 to 5, e.g. '2#1' for the first Monday ({_DOW_NOTE})",
            )
        return _DayRule("nth_dow", values=frozenset({day}), nth=k)
    if "L" in upper or "#" in upper:
        raise _DOW.error(
            f"'{text}' is not a valid use of L or #",
            hint=f"use 'dL' (last <d> of the month, e.g. '6L') or 'd#k' (k-th <d>, k 1-5, e.g. '2#1') alone, "
            f"not in a list or range ({_DOW_NOTE})",
        )
    return _DayRule("dow", values=_values(_DOW, text))


def _sorted_values(spec: _Spec, text: str) -> tuple[int, ...]:
    return tuple(sorted(_values(spec, text)))


def _values(spec: _Spec, text: str) -> frozenset[int]:
    """Expand a list of ``*``, ``a``, ``a-b`` and steps into the set of values it names."""
    result: set[int] = set()
    for item in text.split(","):
        if not item:
            raise spec.error(f"empty entry in list '{text}'")
        result |= _item_values(spec, item)
    return frozenset(result)


def _item_values(spec: _Spec, item: str) -> set[int]:
    base, slash, step_text = item.partition("/")
    step = _step(spec, step_text, item) if slash else 1
    if base in ("*", ""):  # Quartz reads '/n' as '*/n'
        start, end = spec.low, spec.high
    elif "-" in base:
        first, _, last = base.partition("-")
        start, end = _value(spec, first, item), _value(spec, last, item)
    else:
        start = _value(spec, base, item)
        end = spec.high if slash else start
    return _expand(spec, start, end, step, item)


def _expand(spec: _Spec, start: int, end: int, step: int, item: str) -> set[int]:
    span = spec.high - spec.low + 1
    if end < start:
        if spec is _YEAR:
            raise spec.error(f"range '{item}' ends before it starts", hint="write the earlier year first")
        end += span  # Quartz wraps ranges such as 'FRI-MON' or '22-2' around the end of the cycle
    return {(value - spec.low) % span + spec.low for value in range(start, end + 1, step)}


def _step(spec: _Spec, text: str, item: str) -> int:
    if not re.fullmatch(r"[0-9]+", text) or not 1 <= int(text) <= spec.max_step:
        raise spec.error(
            f"step '{text}' in '{item}' must be a whole number from 1 to {spec.max_step}",
            hint=f"write '*/n' or 'a/n' with n from 1 to {spec.max_step}",
        )
    return int(text)


def _value(spec: _Spec, token: str, item: str) -> int:
    if "?" in token:
        raise spec.error(
            f"'?' in '{item}' is not allowed here",
            hint="'?' stands alone, and only in day-of-month or day-of-week",
        )
    where = f"'{token}'" if token == item else f"'{token}' in '{item}'"
    if not token:
        raise spec.error(f"a value is missing in '{item}'; allowed {spec.allowed}")
    if re.fullmatch(r"[0-9]+", token):
        value = int(token)
    elif token.upper() in spec.names:
        value = spec.names[token.upper()]
    else:
        raise spec.error(f"{where} is not a valid value; allowed {spec.allowed}")
    if not spec.low <= value <= spec.high:
        raise spec.error(f"{where} is out of range; allowed {spec.allowed}")
    return value


# --- fire times ----------------------------------------------------------------------------------------


def _local_candidates(plan: _Plan, start: datetime) -> Iterator[datetime]:
    """Local wall times at or after ``start`` that match the plan, ascending; skips whole months and years."""
    start_day = start.date()
    for year in plan.years[bisect_left(plan.years, start.year) :]:
        for month in plan.months:
            if (year, month) < (start.year, start.month):
                continue
            for day in plan.days.days(year, month):
                current = date(year, month, day)
                if current < start_day:
                    continue
                first = start.time() if current == start_day else time()
                for clock in _clock_times(plan, first):
                    yield datetime.combine(current, clock)


def _clock_times(plan: _Plan, first: time) -> Iterator[time]:
    """Times of day at or after ``first`` that match the plan, ascending."""
    for hour in plan.hours[bisect_left(plan.hours, first.hour) :]:
        minute_floor = first.minute if hour == first.hour else 0
        for minute in plan.minutes[bisect_left(plan.minutes, minute_floor) :]:
            second_floor = first.second if (hour, minute) == (first.hour, first.minute) else 0
            for second in plan.seconds[bisect_left(plan.seconds, second_floor) :]:
                yield time(hour, minute, second)


def _resolve_local(local: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant at which ``local`` fires: fold=0 for repeated times, the gap's end for missing ones."""
    instant = local.replace(tzinfo=zone).astimezone(UTC)  # fold=0 is the first occurrence
    if instant.astimezone(zone).replace(tzinfo=None) == local:
        return instant
    return _gap_end(local, zone)


def _gap_end(local: datetime, zone: ZoneInfo) -> datetime:
    """The first instant whose wall time is past ``local``, which lies inside a spring-forward gap."""
    # fold=1 reads the gap with the later offset (an instant before the transition), fold=0 with the
    # earlier one (after it); the transition sits between, on a whole second, so bisect on seconds.
    low = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    while high - low > timedelta(seconds=1):
        middle = low + timedelta(seconds=int((high - low).total_seconds()) // 2)
        if middle.astimezone(zone).replace(tzinfo=None) > local:
            high = middle
        else:
            low = middle
    return high


def _nearest_weekday(year: int, month: int, day: int, last: int) -> int:
    """Quartz 'W': the weekday nearest ``day`` without leaving the month."""
    weekday = date(year, month, day).weekday()
    if weekday == calendar.SATURDAY:
        return day + 2 if day == 1 else day - 1
    if weekday == calendar.SUNDAY:
        return day - 2 if day == last else day + 1
    return day


def _quartz_dow(day: date) -> int:
    """Quartz numbering: 1=SUN .. 7=SAT (Python's weekday() is 0=MON .. 6=SUN)."""
    return (day.weekday() + 1) % 7 + 1
