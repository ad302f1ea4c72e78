"""The instants a backtest evaluates at (DESIGN §12): a rule's Quartz fire times in its zone in [from, to) —
with §4's DST rule — or every ``--step``. Pure.

Counting is bounded: :func:`plan` stops listing as soon as the running total over all rules passes
``--max-evaluations`` and then counts on only as far as is cheap (:data:`COUNT_CAP` fire times), so a refusal
is immediate whatever the range.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

from lakealerts import quartz
from lakealerts.errors import UsageError

DEFAULT_MAX_EVALUATIONS = 10_000
COUNT_CAP = 20_000  # past --max-evaluations, fire times are counted for the message up to this many in all
# Quartz schedules fire in the years 1970-2099 only: a range outside them has no fire times to replay.
QUARTZ_START = datetime(1970, 1, 1, tzinfo=UTC)
QUARTZ_END = datetime(2100, 1, 1, tzinfo=UTC)
# The replay's clocks look up to a day past each instant (message expiry): --to stays a year short of datetime's end.
CALENDAR_END = datetime(9999, 1, 1, tzinfo=UTC)
_STEP = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
_STEP_HINT = "use minutes, hours or days: 15m, 1h, 1d"


def parse_step(text: str) -> timedelta:
    """``15m``, ``1h``, ``1d`` (any positive count of minutes, hours or days, at most 999,999,999 days)."""
    match = _STEP.match(text.lower())
    if match is None or int(match.group(1)) == 0:
        raise UsageError(f"--step {text!r} is not a step", hint=_STEP_HINT)
    try:
        return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    except OverflowError as error:
        raise UsageError(f"--step {text!r} is too long", hint=f"{_STEP_HINT} (at most 999999999d)") from error


def fire_times(cron: str, zone: str, start: datetime, end: datetime, limit: int | None = None) -> Iterator[datetime]:
    """The schedule's fire times in [start, end), in UTC; at most ``limit`` of them. Quartz has none before
    1970, so the search starts there at the earliest (and never steps outside ``datetime``'s range)."""
    schedule = quartz.parse(cron)
    after, produced = max(start, QUARTZ_START) - timedelta(microseconds=1), 0
    while limit is None or produced < limit:
        batch = schedule.next_fire_times(after, zone, count=256)
        for moment in batch:
            if moment >= end or (limit is not None and produced >= limit):
                return
            produced += 1
            yield moment.astimezone(UTC)
        if len(batch) < 256:
            return
        after = batch[-1]


def step_times(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """``start``, ``start + step``, … before ``end``, in UTC."""
    count = step_count(start, end, step)
    first = start.astimezone(UTC)
    return [first + i * step for i in range(count)]


def step_count(start: datetime, end: datetime, step: timedelta) -> int:
    """How many steps fit in [start, end)."""
    if end <= start:
        return 0
    return -(-(end - start) // step)


def instants_for(
    cron: str, zone: str, start: datetime, end: datetime, step: timedelta | None, limit: int
) -> tuple[list[datetime], int]:
    """The instants if there are at most ``limit`` (else none), and how many there are: exact with a ``step``;
    for fire times exact up to ``limit``, and ``limit + 1`` meaning "more than ``limit``" (no more are looked for)."""
    if step is not None:
        count = step_count(start, end, step)
        return (step_times(start, end, step) if count <= limit else []), count
    found = list(fire_times(cron, zone, start, end, limit + 1))
    return (found if len(found) <= limit else []), len(found)


def plan(
    schedules: Sequence[tuple[str, str]], start: datetime, end: datetime, step: timedelta | None, limit: int
) -> list[list[datetime]]:
    """Each schedule's (``cron``, ``zone``) instants; a UsageError as soon as the running total over all of
    them passes ``limit`` — nothing beyond it is listed, and it is counted only as far as :data:`COUNT_CAP`."""
    if step is None and (start < QUARTZ_START or end > QUARTZ_END):
        raise UsageError(
            f"--from {start.isoformat()} --to {end.isoformat()} reaches outside 1970-2099, "
            "the only years Quartz schedules fire in",
            hint="keep the range within 1970-01-01 .. 2100-01-01, or give --step to evaluate at fixed intervals",
        )
    if end > CALENDAR_END:
        raise UsageError(
            f"--to {end.isoformat()} is past {CALENDAR_END.date().isoformat()}, too close to the end of the calendar",
            hint="give a --to before 9999-01-01",
        )
    planned: list[list[datetime]] = []
    total = 0
    for index, (cron, zone) in enumerate(schedules):
        times, count = instants_for(cron, zone, start, end, step, limit - total)
        if total + count > limit:
            _refuse(total, schedules[index:], start, end, step, limit)
        total += count
        planned.append(times)
    return planned


def _refuse(
    counted: int, rest: Sequence[tuple[str, str]], start: datetime, end: datetime, step: timedelta | None, limit: int
) -> None:
    """Refuse the run (``counted`` evaluations before ``rest``, whose first schedule passed ``limit``), saying how
    many evaluations it would have: exactly when that is cheap (steps are arithmetic; fire times are counted on
    up to :data:`COUNT_CAP` in all), else "more than" a bound."""
    if step is not None:
        total, exact = counted + sum(step_count(start, end, step) for _ in rest), True
    elif limit >= COUNT_CAP:
        total, exact = limit + 1, False
    else:
        total = counted
        for cron, zone in rest:
            total += sum(1 for _ in fire_times(cron, zone, start, end, COUNT_CAP - total + 1))
            if total > COUNT_CAP:
                break
        exact = total <= COUNT_CAP
    _too_many(f"{total:,}" if exact else f"more than {max(limit, COUNT_CAP):,}", limit)


def check_count(total: int, limit: int) -> None:
    """More evaluations than ``limit``: a usage error saying how many there would be."""
    if total > limit:
        _too_many(f"{total:,}", limit)


def _too_many(shown: str, limit: int) -> None:
    raise UsageError(
        f"the backtest would run {shown} evaluations, more than --max-evaluations {limit:,}",
        hint="narrow --from/--to, pick fewer rules, use a coarser --step, or raise --max-evaluations",
    )
