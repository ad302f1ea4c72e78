"""What a replayed timeline says (DESIGN §12): fires, notifications, episodes, flaps, percent state change. Pure.

- *fire*: a transition into TRIGGERED, judged from the last non-ERROR state (ERROR is transparent);
- *episode*: a maximal run of TRIGGERED, ERRORs inside it included; any other state — OK, or UNKNOWN (an empty
  result with ``empty_result_state: UNKNOWN``) — ends it, and a later TRIGGERED is a new episode (a new fire).
  ``end`` is the instant of the evaluation that ended it (None while still TRIGGERED at the end of the range),
  ``evaluations`` its TRIGGERED evaluations, ``peak_value`` the most extreme value in the operator's direction
  (the lowest for ``<``/``<=``);
- *flap*: an episode starting at most ``flap_window`` evaluations after the previous one ended — the evaluations
  counted are all of them, whatever their state (OK, UNKNOWN, ERROR), from the one that ended the previous
  episode up to the one that starts the next: ``T O T`` is 1 apart, ``T O E U T`` 3;
- *percent state change* (Nagios): over a window of the last 21 evaluations, each of the 20 transitions weighted
  from 0.8 (oldest) to 1.2 (newest); the maximum over the timeline's full windows is reported (a timeline
  shorter than 21 is one window), flapping above 20 %. ERROR is transparent here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any

from lakealerts.runtime.state import AlertStatus

DEFAULT_FLAP_WINDOW = 3
NAGIOS_WINDOW = 21
FLAPPING_PERCENT = 20.0


@dataclass(frozen=True)
class TimelinePoint:
    """One evaluation of the replay: when, the operand value, the state, and the messages it sent."""

    at: datetime
    value: Any
    state: str
    messages: int = 0
    error: str | None = None  # why an ERROR (kept out of the timeline entry: the rule's findings say it once)

    @property
    def notified(self) -> bool:
        """Whether this evaluation sent anything."""
        return self.messages > 0

    def to_dict(self) -> dict[str, Any]:
        """DESIGN §12's timeline entry."""
        return {"at": self.at, "value": self.value, "state": self.state, "notified": self.notified}


@dataclass(frozen=True)
class Episode:
    """A maximal run of TRIGGERED."""

    start: datetime
    end: datetime | None
    evaluations: int
    peak_value: Any

    def to_dict(self) -> dict[str, Any]:
        """DESIGN §12's episode entry."""
        return {"start": self.start, "end": self.end, "evaluations": self.evaluations, "peak_value": self.peak_value}


@dataclass(frozen=True)
class Summary:
    """The counts of one rule's replay."""

    evaluations: int
    ok: int
    triggered: int
    error: int
    fires: int
    notifications: int
    flaps: int
    percent_state_change_max: float
    triggered_ratio: float
    episodes: list[Episode] = field(default_factory=list)
    unknown: int = 0  # UNKNOWN evaluations (an empty result with empty_result_state UNKNOWN): ok + triggered +
    # error + unknown = evaluations

    @property
    def flapping(self) -> bool:
        """Nagios' verdict: the percent state change went above 20 %."""
        return self.percent_state_change_max > FLAPPING_PERCENT

    def to_dict(self) -> dict[str, Any]:
        """DESIGN §12's summary."""
        return {
            "evaluations": self.evaluations,
            "ok": self.ok,
            "triggered": self.triggered,
            "error": self.error,
            "unknown": self.unknown,
            "fires": self.fires,
            "notifications": self.notifications,
            "flaps": self.flaps,
            "percent_state_change_max": self.percent_state_change_max,
            "triggered_ratio": self.triggered_ratio,
            "episodes": [e.to_dict() for e in self.episodes],
        }


def summarize(
    timeline: Sequence[TimelinePoint], operator: str = ">", flap_window: int = DEFAULT_FLAP_WINDOW
) -> Summary:
    """The summary of a replayed timeline."""
    counts = {s: sum(1 for p in timeline if p.state == s) for s in AlertStatus}
    found = episodes(timeline, operator)
    total = len(timeline)
    return Summary(
        evaluations=total,
        ok=counts[AlertStatus.OK],
        triggered=counts[AlertStatus.TRIGGERED],
        error=counts[AlertStatus.ERROR],
        unknown=counts[AlertStatus.UNKNOWN],
        fires=len(found),
        notifications=sum(p.messages for p in timeline),
        flaps=flaps(timeline, flap_window),
        percent_state_change_max=max_percent_state_change([p.state for p in timeline]),
        triggered_ratio=round(counts[AlertStatus.TRIGGERED] / total, 6) if total else 0.0,
        episodes=found,
    )


def stable_states(states: Sequence[str]) -> list[str]:
    """Each evaluation's state with ERROR replaced by the last non-ERROR state before it (UNKNOWN at first)."""
    stable, last = [], str(AlertStatus.UNKNOWN)
    for state in states:
        if state != AlertStatus.ERROR:
            last = state
        stable.append(last)
    return stable


def episodes(timeline: Sequence[TimelinePoint], operator: str = ">") -> list[Episode]:
    """The maximal runs of TRIGGERED (ERROR transparent; OK and UNKNOWN end one), in order."""
    return [_episode([timeline[i] for i in run], timeline[end].at if end is not None else None, operator)
            for run, end in _runs(timeline)]  # fmt: skip


def _runs(timeline: Sequence[TimelinePoint]) -> list[tuple[list[int], int | None]]:
    """Each episode as the indexes of its TRIGGERED evaluations and the index of the evaluation that ended it."""
    found: list[tuple[list[int], int | None]] = []
    current: list[int] = []
    for index, point in enumerate(timeline):
        if point.state == AlertStatus.TRIGGERED:
            current.append(index)
        elif point.state != AlertStatus.ERROR and current:
            found.append((current, index))
            current = []
    if current:
        found.append((current, None))
    return found


def _episode(points: list[TimelinePoint], end: datetime | None, operator: str) -> Episode:
    return Episode(points[0].at, end, len(points), peak(points, operator))


def peak(points: Sequence[TimelinePoint], operator: str) -> Any:
    """The most extreme numeric value in the direction the operator fires (else the first value)."""
    numbers = [p.value for p in points if _numeric(p.value)]
    if not numbers:
        return points[0].value if points else None
    return min(numbers) if operator in ("<", "<=") else max(numbers)


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def flaps(timeline: Sequence[TimelinePoint], window: int = DEFAULT_FLAP_WINDOW) -> int:
    """Episodes starting at most ``window`` evaluations (of any state) after the previous episode ended."""
    runs = _runs(timeline)
    return sum(
        1
        for (_previous, ended), (started, _end) in pairwise(runs)
        if ended is not None and started[0] - ended <= window
    )


def percent_state_change(states: Sequence[str]) -> float:
    """Nagios' weighted percent state change of a window (oldest first): transitions weighted 0.8 → 1.2."""
    transitions = len(states) - 1
    if transitions < 1:
        return 0.0
    total = 0.0
    for i in range(transitions):
        weight = 0.8 + 0.4 * (i / (transitions - 1) if transitions > 1 else 0.5)
        if states[i + 1] != states[i]:
            total += weight
    return round(100.0 * total / transitions, 2)


def max_percent_state_change(states: Sequence[str], window: int = NAGIOS_WINDOW) -> float:
    """The highest percent state change over every full window of ``window`` evaluations (ERROR transparent);
    a timeline shorter than one window is judged as one window."""
    stable = stable_states(states)
    if len(stable) <= window:
        return percent_state_change(stable)
    return max(percent_state_change(stable[end - window : end]) for end in range(window, len(stable) + 1))
